# common.gp: what every speedlab plot shares: the terminal (from the output's extension), fonts,
# colours (Okabe-Ito, readable by colour-blind readers; 16 line styles) and the title block with
# the machine.
# Set by `speedlab plot`: outfile, title, subtitle; optionally width and height (pixels).
if (!exists("width")) width = 960
if (!exists("height")) height = 600
if (strlen(outfile) > 4 && outfile[strlen(outfile)-2:] eq 'svg') {
    set terminal svg size width,height dynamic font 'DejaVu Sans,12' background rgb 'white'
} else {
    set terminal pngcairo size width,height font 'DejaVu Sans,11' background rgb 'white'
}
set output outfile
set encoding utf8
set termoption noenhanced
if (!exists("subtitle")) subtitle = ''
set label 1000 title at screen 0.5, screen 1 offset 0,-1.1 center font ',14' front
set label 1001 subtitle at screen 0.5, screen 1 offset 0,-2.4 center font ',9' tc rgb '#555555' front
set tmargin 5
set border 3 lc rgb '#444444'
set tics nomirror out
set grid xtics ytics lc rgb '#e5e5e5' lw 1 dt 1
set key outside right top vertical Left reverse nobox samplen 2.5 spacing 1.15
set linetype 1 lc rgb '#0072B2' lw 2 pt 7 ps 1.1
set linetype 2 lc rgb '#D55E00' lw 2 pt 5 ps 1.0
set linetype 3 lc rgb '#009E73' lw 2 pt 9 ps 1.3
set linetype 4 lc rgb '#CC79A7' lw 2 pt 11 ps 1.3
set linetype 5 lc rgb '#E69F00' lw 2 pt 13 ps 1.3
set linetype 6 lc rgb '#56B4E9' lw 2 pt 15 ps 1.1
set linetype 7 lc rgb '#000000' lw 2 pt 4 ps 1.0
set linetype 8 lc rgb '#999999' lw 2 pt 6 ps 1.0
# 9-16: the same colours again, dash-dotted and with other markers, so that 16 series stay apart
set linetype 9 lc rgb '#0072B2' lw 2 dt 4 pt 6 ps 1.1
set linetype 10 lc rgb '#D55E00' lw 2 dt 4 pt 4 ps 1.0
set linetype 11 lc rgb '#009E73' lw 2 dt 4 pt 8 ps 1.3
set linetype 12 lc rgb '#CC79A7' lw 2 dt 4 pt 10 ps 1.3
set linetype 13 lc rgb '#E69F00' lw 2 dt 4 pt 12 ps 1.3
set linetype 14 lc rgb '#56B4E9' lw 2 dt 4 pt 14 ps 1.1
set linetype 15 lc rgb '#000000' lw 2 dt 4 pt 5 ps 1.0
set linetype 16 lc rgb '#999999' lw 2 dt 4 pt 7 ps 1.0
set linetype cycle 16
# Vertical markers for the machine's core counts (logical, physical: 0 when unknown).
if (!exists("logical")) logical = 0
if (!exists("physical")) physical = 0
cores_markers = 1
