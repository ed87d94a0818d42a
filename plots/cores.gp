# cores.gp: vertical lines at the machine's physical and logical core counts (used by the plots
# whose x axis is worker processes). Needs logical and physical (0 when unknown).
if (physical > 0 && physical != logical) {
    set arrow 901 from physical, graph 0 to physical, graph 1 nohead lc rgb '#888888' dt 4 lw 1.5 back
    set label 901 sprintf('%d physical cores ', physical) at physical, graph 0.97 right font ',9' tc rgb '#666666'
}
if (logical > 0) {
    set arrow 902 from logical, graph 0 to logical, graph 1 nohead lc rgb '#888888' dt 4 lw 1.5 back
    set label 902 sprintf(physical == logical ? ' %d cores' : ' %d logical CPUs', logical) \
        at logical, graph 0.97 left font ',9' tc rgb '#666666'
}
