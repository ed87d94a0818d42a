# safety.gp: the start-safety matrix: one cell per start method (columns) and situation (rows),
# coloured by outcome: ok green, hang red, crash purple, error orange, skipped grey.
# datafile rows: "xi yi colour(0xRRGGBB) \"cell text\"". Also: tick labels (tics.gp), nx, ny.
load plotsdir.'/common.gp'
set xlabel 'start method'
set ylabel ''
load plotsdir.'/tics.gp'
set xrange [-0.5:nx-0.5]
set yrange [ny-0.5:-0.5]
unset grid
set tics scale 0
set border 0
set style fill solid 1.0 border rgb '#ffffff'
set bmargin 6
set key at screen 0.5, screen 0.015 center bottom horizontal nobox
plot datafile using 1:2:(0.5):(0.5):3 with boxxyerror lc rgb variable notitle, \
     '' using 1:2:4 with labels font ',10' notitle, \
     NaN with boxes lc rgb '#4daf4a' title 'ok', \
     NaN with boxes lc rgb '#e41a1c' title 'hang', \
     NaN with boxes lc rgb '#984ea3' title 'crash', \
     NaN with boxes lc rgb '#ff7f00' title 'error', \
     NaN with boxes lc rgb '#bdbdbd' title 'skipped'
