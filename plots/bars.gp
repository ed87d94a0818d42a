# bars.gp: clustered bars with error bars (start-method latency by parent memory, CPU use by GPU
# sync mode). datafile: a header line "cluster \"title1\" lo hi \"title2\" lo hi ...", then one row
# per cluster: its name, then "value min max" for each bar. Also: nbars, xlabel, ylabel, nokey (1:
# a single unnamed bar per cluster, no legend), logy and ymin (a log scale from ymin).
load plotsdir.'/common.gp'
set xlabel xlabel
set ylabel ylabel
set style data histograms
set style histogram errorbars gap 1.5 lw 1.5
set style fill solid 0.85 border rgb '#333333'
set boxwidth 0.9
if (exists("logy") && logy) { set logscale y; set yrange [ymin:*] } else { set yrange [0:*] }
set grid noxtics ytics
set xtics scale 0
if (exists("nokey") && nokey) { unset key }
bar = "datafile using (column(2+3*i)):(column(3+3*i)):(column(4+3*i)):xtic(1) lt i+1"
# from the ninth bar on the colours repeat, hatched (an empty plot-for range is not skipped here)
if (nbars <= 8) {
    plot for [i=0:nbars-1] @bar title columnheader(2+3*i)
} else {
    plot for [i=0:7] @bar title columnheader(2+3*i), \
         for [i=8:nbars-1] @bar dt 1 fs pattern 4 + (i/8)%3 border rgb '#333333' title columnheader(2+3*i)
}
