# tics.gp: tick labels that `speedlab plot` passes as data, never as gnuplot code: per axis (x, y)
# the arrays <axis>tic_l (labels), <axis>tic_x (positions), <axis>tic_low (1: one line lower), their
# count <axis>tic_n and <axis>tic_lowered (some label is lower: the axis label moves down a line).
if (exists("xtic_n")) {
    set xtics ()
    do for [i=1:xtic_n] { tic_label = (xtic_low[i] ? "\n" : "").xtic_l[i]; set xtics add (tic_label xtic_x[i]) }
    if (xtic_lowered) { set xlabel offset 0,-1 }
}
if (exists("ytic_n")) {
    set ytics ()
    do for [i=1:ytic_n] { tic_label = ytic_l[i]; set ytics add (tic_label ytic_x[i]) }
}
