# timeline.gp: the utilisation timeline of one run: per-CPU busy % over time as a heat strip.
# datafile rows: "t_mid_s cpu busy_pct half_width_s" (each sample covers the interval since the one
# before). Also: ncpu, dt (the mean sampling interval, s), tmax.
load plotsdir.'/common.gp'
set xlabel 'time since the run started (s)'
set xrange [0:tmax]
set yrange [-0.5:ncpu-0.5]
ystep = ncpu <= 16 ? 1 : ncpu <= 64 ? 4 : 16
set ytics 0, ystep
set ylabel 'logical CPU'
unset grid
set border 3
set cbrange [0:100]
set cblabel 'busy (%)'
set palette defined (0 '#ffffff', 20 '#c6dbef', 50 '#4292c6', 80 '#08519c', 100 '#08306b')
set style fill solid 1.0 noborder
# each strip spans its sample's own interval (column 4: half its width)
plot datafile using 1:2:4:(0.51):3 with boxxyerror lc palette notitle
