# speedup.gp: speedup vs worker processes, one line per series (with its 95% CI as error bars),
# the ideal line, each series' Amdahl fit (dashed) and the machine's core counts marked.
# datafile: one block per series: a header line whose first field is the series title, then
#           rows "processes speedup ci_lo ci_hi". fitfile: the Amdahl curves, blocks in the same order.
# Also: nseries, xmax, logx (0/1), logical, physical.
load plotsdir.'/common.gp'
set xlabel 'worker processes'
set ylabel logx ? 'speedup vs 1 process (×, log scale)' : 'speedup vs 1 process (×)'
# with many process counts both axes are logarithmic: the ideal line stays straight and the low
# speedups stay readable
if (logx) { set logscale xy 2; set xrange [0.9:xmax*1.1]; set yrange [0.5:*] } else { set xrange [0.5:xmax+0.5]; set yrange [0:*] }
load plotsdir.'/tics.gp'
load plotsdir.'/cores.gp'
plot x with lines lc rgb '#aaaaaa' dt 3 lw 1.5 title 'ideal (speedup = processes)', \
     NaN with lines lc rgb '#555555' dt 2 lw 1.5 title 'Amdahl fit (dashed)', \
     for [i=0:nseries-1] datafile index i using 1:2:3:4 with yerrorlines lt i+1 title columnheader(1), \
     for [i=0:nseries-1] fitfile index i using 1:2 with lines lt i+1 dt 2 lw 1.5 notitle
