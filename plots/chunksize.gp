# chunksize.gp: runtime vs chunk size (log scale), one line per dispatch channel (or series), with
# Python's default chunk size ceil(N / (4 P)) marked.
# datafile: one block per series (header line with the title, then rows "chunksize runtime_s min max").
# Also: nseries, logy, pychunks (space-separated chunk sizes of Python's rule within the chunk sizes
# measured, smallest first; "" when none).
load plotsdir.'/common.gp'
set xlabel 'chunk size (tasks per chunk, log scale)'
set ylabel 'median runtime (s), bars: min–max'
set logscale x 2
if (logy) { set logscale y }
else { set yrange [0:*] }
set offsets graph 0.05, graph 0.05, 0, 0
load plotsdir.'/tics.gp'
# a dashed line at each, labelled once (labels side by side would run into each other)
pylabel = ''
do for [w in pychunks] {
    set arrow from w+0, graph 0 to w+0, graph 1 nohead lc rgb '#888888' dt 4 lw 1.5 back
    pylabel = pylabel . (strlen(pylabel) ? ', ' : '') . w
}
if (strlen(pylabel)) {
    set label sprintf('Python default ceil(N/4P) = %s ', pylabel) at word(pychunks, 1)+0, graph 1 offset -1.8,-0.3 \
        right rotate by 90 front font ',9' tc rgb '#666666'
}
plot for [i=0:nseries-1] datafile index i using 1:2:3:4 with yerrorlines lt i+1 title columnheader(1)
