/* report.h: what `speedlab plot` and `speedlab report` share: rendering a result directory's plots,
 * the index of plots made, and the Markdown-to-HTML conversion of the report. */
#ifndef SL_REPORT_H
#define SL_REPORT_H

#include <stdbool.h>
#include <stdio.h>

/* Render every plot that applies to the result directory dir into dir/plots/ (PNG and SVG, their
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

/* Write md (the subset report.md uses: headings, paragraphs, lists, pipe tables, block quotes,
 * `code`, **bold**, and image lines "![alt](path)") as HTML body to out. Images are embedded: the
 * SVG inline when path.svg's twin exists (path relative to base), else the PNG as base64. Never
 * fails: an image that cannot be read is replaced by its alt text. */
void sl_md_to_html(FILE *out, const char *md, const char *base);

/* Write the anchor id of a heading: lower-case letters and digits joined by '-' (what report.md's
 * "[name](#id)" links use). Never fails. */
void sl_html_slug(FILE *out, const char *s, size_t len);

/* Write s with HTML's special characters escaped. Never fails. */
void sl_html_escape(FILE *out, const char *s, size_t len);

#endif
