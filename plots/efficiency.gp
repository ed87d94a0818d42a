# efficiency.gp: parallel efficiency (speedup / processes) vs worker processes, one line per series.
# datafile: one block per series (header line with the title, then rows "processes efficiency").
# Also: nseries, xmax, logx, logical, physical.
load plotsdir.'/common.gp'
set xlabel 'worker processes'
set ylabel 'efficiency (speedup / processes)'
if (logx) { set logscale x 2; set xrange [0.9:xmax*1.1] } else { set xrange [0.5:xmax+0.5] }
set yrange [0:*]
set offsets 0, 0, graph 0.05, 0
load plotsdir.'/tics.gp'
load plotsdir.'/cores.gp'
plot 1 with lines lc rgb '#aaaaaa' dt 3 lw 1.5 title 'ideal (1.0)', \
     for [i=0:nseries-1] datafile index i using 1:2 with linespoints lt i+1 title columnheader(1)
