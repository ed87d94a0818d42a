# heatmap.gp: runtime by worker processes × threads per worker; each cell shows the median runtime
# and the cores kept busy; cells with more threads than logical CPUs are outlined.
# datafile rows: "xi yi runtime_s \"runtime\" oversubscribed(0/1) \"cores busy\"" (xi, yi: column
# and row index).
# Also: tick labels naming the columns and rows (tics.gp), nx, ny.
load plotsdir.'/common.gp'
set xlabel 'worker processes'
set ylabel 'threads per worker'
load plotsdir.'/tics.gp'
set xrange [-0.5:nx-0.5]
set yrange [ny-0.5:-0.5]
unset grid
set tics scale 0
set border 0
set palette defined (0 '#f7fcf5', 0.35 '#c7e9c0', 0.6 '#fdd49e', 1 '#d7301f')
set cblabel 'median runtime (s): lighter is faster'
set style fill solid 1.0 noborder
set bmargin 6
set key at screen 0.5, screen 0.015 center bottom horizontal noopaque nobox
plot datafile using 1:2:(0.5):(0.5):3 with boxxyerror lc palette notitle, \
     '' using ($5 > 0 ? $1 : NaN):2:(0.47):(0.47) with boxxyerror fs empty lc rgb '#000000' lw 3 \
        title 'outlined: processes × threads > logical CPUs (oversubscribed)', \
     '' using 1:2:4 with labels offset 0,0.55 font ',10' notitle, \
     '' using 1:2:6 with labels offset 0,-0.55 font ',9' tc rgb '#444444' notitle
