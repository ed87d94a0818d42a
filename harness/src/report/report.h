/* report.h: the report's Markdown-to-HTML conversion (html.c), and the plots it embeds (plot/plot.h). */
#ifndef SL_REPORT_H
#define SL_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "plot/plot.h"

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
