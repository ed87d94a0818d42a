# cores_busy.gp: CPU cores kept busy (process-tree CPU time / wall time) vs worker processes, one
# line per series, with the line y = processes: points above it use more cores than processes.
# datafile: one block per series (header line with the title, then rows "processes cores_busy").
# Also: nseries, xmax, logx, logical, physical.
load plotsdir.'/common.gp'
set xlabel 'worker processes'
set ylabel logx ? 'cores busy (CPU time / wall time, log scale)' : 'cores busy (CPU time / wall time)'
if (logx) { set logscale xy 2; set xrange [0.9:xmax*1.1]; set yrange [0.25:*] } else { set xrange [0.5:xmax+0.5]; set yrange [0:*] }
load plotsdir.'/tics.gp'
load plotsdir.'/cores.gp'
if (logical > 0) {
    set arrow 903 from graph 0, first logical to graph 1, first logical nohead lc rgb '#bbbbbb' dt 2 back
    set label 903 sprintf('all %d logical CPUs busy', logical) at graph 0.01, first logical offset 0,0.6 left font ',9' tc rgb '#666666'
}
plot x with lines lc rgb '#888888' dt 3 lw 1.5 title 'y = processes', \
     for [i=0:nseries-1] datafile index i using 1:2 with linespoints lt i+1 title columnheader(1)
