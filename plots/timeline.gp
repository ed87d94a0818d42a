# timeline.gp: the utilisation timeline of one run: per-CPU busy % over time as a heat strip.
# datafile rows: "t_s cpu busy_pct". Also: ncpu, dt (the sampling interval, s), tmax.
load plotsdir.'/common.gp'
set xlabel 'time since the run started (s)'
set xrange [0:tmax+dt]
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
plot datafile using ($1+dt/2):2:(dt*0.51):(0.51):3 with boxxyerror lc palette notitle
