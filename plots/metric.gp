# metric.gp: a metric vs a numeric parameter, one line per series (GPU throughput vs size,
# copy time or bandwidth vs size, and any parameter sweep without its own plot).
# datafile: one block per series (header line with the title, then rows "x y min max").
# Also: nseries, xlabel, ylabel, logx, logy; optionally tick labels (tics.gp).
load plotsdir.'/common.gp'
set xlabel xlabel
set ylabel ylabel
if (logx) { set logscale x 2 }
load plotsdir.'/tics.gp'
if (logy) { set logscale y } else { set yrange [0:*] }
set offsets graph 0.03, graph 0.03, 0, 0
plot for [i=0:nseries-1] datafile index i using 1:2:3:4 with yerrorlines lt i+1 title columnheader(1)
