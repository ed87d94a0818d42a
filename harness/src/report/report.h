/* report.h: the report's Markdown-to-HTML conversion (html.c), and the plots it embeds (plot/plot.h). */
#ifndef SL_REPORT_H
#define SL_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "plot/plot.h"

/* The heading of a combined report's key-results table: the table right under a level-2 heading of
 * exactly this text becomes <div class="table key"> in the HTML, its last cell's full text in its
 * title; with more than SL_REPORT_KEY_ONE_COLUMN body rows also "many": laid out in two columns of
 * one-line rows on a wide screen, so that the first experiment's answer and plot still fit on the
 * first screen. */
#define SL_REPORT_KEY_HEADING "Key results"
#define SL_REPORT_KEY_ONE_COLUMN 12

/* Write md (the subset report.md uses: headings, paragraphs, lists, pipe tables, block quotes,
 * `code`, **bold**, and image lines "![alt](path)") as HTML body to out. Images are embedded: the
 * SVG inline when path.svg's twin exists (path relative to base), else the PNG as base64. Never
 * fails: an image that cannot be read is replaced by its alt text. The table right under the heading
 * SL_REPORT_KEY_HEADING is marked as the key-results table. */
void sl_md_to_html(FILE *out, const char *md, const char *base);

/* Write the anchor id of a heading: lower-case letters and digits joined by '-' (what report.md's
 * "[name](#id)" links use). Never fails. */
void sl_html_slug(FILE *out, const char *s, size_t len);

/* Write s with HTML's special characters escaped. Never fails. */
void sl_html_escape(FILE *out, const char *s, size_t len);

#endif
