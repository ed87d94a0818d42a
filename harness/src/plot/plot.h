/* plot.h: `speedlab plot`'s interface to the layers above it: rendering a result directory's plots,
 * where the gnuplot scripts are, and reading back the index of plots made. */
#ifndef SL_PLOT_H
#define SL_PLOT_H

#include <stdbool.h>

/* Render every plot kind that applies to the result directory dir into dir/plots/ (PNG and SVG, their
 * data files, and dir/plots/index.tsv listing them). Returns the number of plots made (0 when none
 * applies), or -errno/-EINVAL with the reason printed as "speedlab: FILE:LINE: message" (unreadable
 * or malformed input, gnuplot missing or failing). */
int sl_plot_dir(const char *dir, bool quiet);

/* The directory holding the gnuplot scripts: $SPEEDLAB_PLOTS, else plots/ next to the build
 * directory of the running binary, else ./plots. NULL (with a message) when none holds them. */
const char *sl_plot_scripts_dir(void);

/* The longest caption of a plot, with the series it leaves out named. */
#define SL_PLOT_CAPTION_LEN 2048

/* One plot of dir/plots/index.tsv. */
struct sl_plot_entry {
	char name[96];       /* file stem: dir/plots/<name>.png and .svg */
	char title[256];
	char caption[SL_PLOT_CAPTION_LEN];   /* how to read it, and what it leaves out */
};

/* Read dir/plots/index.tsv into entries (at most max). Returns the count, or -errno when absent. */
int sl_plot_index_read(const char *dir, struct sl_plot_entry *entries, int max);

#endif
