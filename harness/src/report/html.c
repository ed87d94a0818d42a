/* html.c: the Markdown subset report.md is written in, as self-contained HTML (images embedded). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "core/speedlab.h"

void sl_html_escape(FILE *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len && s[i]; i++) {
		switch (s[i]) {
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '&': fputs("&amp;", out); break;
		case '"': fputs("&quot;", out); break;
		default: fputc(s[i], out);
		}
	}
}

void sl_html_slug(FILE *out, const char *s, size_t len)
{
	bool dash = false, any = false;

	for (size_t i = 0; i < len && s[i]; i++) {
		char ch = s[i];

		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z')) {
			if (dash && any)
				fputc('-', out);
			fputc(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch, out);
			dash = false;
			any = true;
		} else if (ch != '`' && ch != '*') {
			dash = true;
		}
	}
	if (!any)
		fputs("section", out);
}

/* Inline markup of one line: `code`, **bold**, *emphasis*, [text](link), \| for a bar. */
static void inline_md(FILE *out, const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		const char *end;

		if (s[i] == '`' && (end = memchr(s + i + 1, '`', len - i - 1))) {
			fputs("<code>", out);
			sl_html_escape(out, s + i + 1, (size_t)(end - s - i - 1));
			fputs("</code>", out);
			i = (size_t)(end - s) + 1;
		} else if (s[i] == '*' && i + 1 < len && s[i + 1] == '*' && i + 2 < len &&
			   (end = strstr(s + i + 2, "**")) && (size_t)(end - s) < len) {
			fputs("<strong>", out);
			inline_md(out, s + i + 2, (size_t)(end - s - i - 2));
			fputs("</strong>", out);
			i = (size_t)(end - s) + 2;
		} else if (s[i] == '*' && i + 1 < len && s[i + 1] != ' ' && (end = memchr(s + i + 1, '*', len - i - 1))) {
			fputs("<em>", out);
			inline_md(out, s + i + 1, (size_t)(end - s - i - 1));
			fputs("</em>", out);
			i = (size_t)(end - s) + 1;
		} else if (s[i] == '[' && (end = memchr(s + i, ']', len - i)) && (size_t)(end - s) + 1 < len &&
			   end[1] == '(' && memchr(end, ')', len - (size_t)(end - s))) {
			const char *close = memchr(end, ')', len - (size_t)(end - s));

			fputs("<a href=\"", out);
			sl_html_escape(out, end + 2, (size_t)(close - end - 2));
			fputs("\">", out);
			inline_md(out, s + i + 1, (size_t)(end - s - i - 1));
			fputs("</a>", out);
			i = (size_t)(close - s) + 1;
		} else if (s[i] == '\\' && i + 1 < len && s[i + 1] == '|') {
			fputc('|', out);   /* a table cell's escaped bar */
			i += 2;
		} else {
			sl_html_escape(out, s + i, 1);
			i++;
		}
	}
}

static void base64(FILE *out, const unsigned char *p, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);

		fputc(tab[v >> 18 & 63], out);
		fputc(tab[v >> 12 & 63], out);
		fputc(i + 1 < n ? tab[v >> 6 & 63] : '=', out);
		fputc(i + 2 < n ? tab[v & 63] : '=', out);
	}
}

/* An image line: the SVG twin of path if it exists, else path itself, as a data URI; the line's text
 * after the image (cap, caplen) as its caption. */
static void image(FILE *out, const char *alt, size_t altlen, const char *path, size_t pathlen, const char *base,
		  const char *cap, size_t caplen)
{
	char file[PATH_MAX], svg[PATH_MAX];
	const char *mime = "image/png";
	unsigned char *data = NULL;
	size_t len = 0;

	snprintf(file, sizeof(file), "%s%s%.*s", path[0] == '/' ? "" : base, path[0] == '/' ? "" : "/", (int)pathlen,
		 path);
	snprintf(svg, sizeof(svg), "%s", file);
	if (strlen(svg) > 4 && strcmp(svg + strlen(svg) - 4, ".png") == 0) {
		strcpy(svg + strlen(svg) - 4, ".svg");
		data = (unsigned char *)sl_read_file_nofollow(svg, &len);
		if (data)
			mime = "image/svg+xml";
	}
	if (!data)
		data = (unsigned char *)sl_read_file_nofollow(file, &len);
	fputs("<figure>", out);
	if (data) {
		fprintf(out, "<img alt=\"");
		sl_html_escape(out, alt, altlen);
		fprintf(out, "\" src=\"data:%s;base64,", mime);
		base64(out, data, len);
		fputs("\">", out);
	} else {
		fputs("<p class=\"missing\">(plot missing: ", out);
		sl_html_escape(out, path, pathlen);
		fputs(")</p>", out);
	}
	while (caplen > 0 && *cap == ' ')
		cap++, caplen--;
	if (caplen > 0) {
		fputs("<figcaption>", out);
		inline_md(out, cap, caplen);
		fputs("</figcaption>", out);
	}
	fputs("</figure>\n", out);
	free(data);
}

/* Split a table row "| a | b |" into cells; returns the count. */
static int table_cells(const char *line, size_t len, const char **cell, size_t *clen, int max)
{
	const char *p = line, *end = line + len;
	int n = 0;

	while (p < end && *p == ' ')
		p++;
	if (p < end && *p == '|')
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\r'))
		end--;
	if (end > p && end[-1] == '|')
		end--;
	while (n < max) {
		const char *bar = p;
		const char *stop;

		/* the next bar that is not escaped (\|: a bar inside a cell) */
		while ((bar = memchr(bar, '|', (size_t)(end - bar))) && bar > p && bar[-1] == '\\')
			bar++;
		stop = bar ? bar : end;

		while (p < stop && *p == ' ')
			p++;
		cell[n] = p;
		clen[n] = (size_t)(stop - p);
		while (clen[n] > 0 && p[clen[n] - 1] == ' ')
			clen[n]--;
		n++;
		if (!bar)
			break;
		p = bar + 1;
	}
	return n;
}

static bool is_separator_row(const char *line, size_t len)
{
	bool dash = false;

	for (size_t i = 0; i < len; i++) {
		if (line[i] == '-')
			dash = true;
		else if (!strchr("|: ", line[i]))
			return false;
	}
	return dash;
}

/* A cell's text as a title attribute's value: the Markdown marks (`, *, the \ of \|) left out. */
static void title_text(FILE *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != '`' && s[i] != '*' && !(s[i] == '\\' && i + 1 < len && s[i + 1] == '|'))
			sl_html_escape(out, s + i, 1);
}

/* One body row; in the key-results table (key) the last cell's full text is also its title, for a
 * screen that shows it cut to one line. */
static void table_row(FILE *out, const char **cell, const size_t *clen, int n, bool key)
{
	fputs("<tr>", out);
	for (int i = 0; i < n; i++) {
		if (key && i == n - 1 && n > 1) {
			fputs("<td title=\"", out);
			title_text(out, cell[i], clen[i]);
			fputs("\">", out);
		} else {
			fputs("<td>", out);
		}
		inline_md(out, cell[i], clen[i]);
		fputs("</td>", out);
	}
	fputs("</tr>\n", out);
}

/* How many lines from p on are table rows. */
static int table_rows(const char *p)
{
	int n = 0;

	while (*p == '|') {
		const char *nl = strchr(p, '\n');

		n++;
		if (!nl)
			break;
		p = nl + 1;
	}
	return n;
}

enum block { B_NONE, B_PARA, B_LIST, B_TABLE, B_QUOTE, B_CODE };

static void close_block(FILE *out, enum block *b)
{
	static const char *const closers[] = { "", "</p>\n", "</ul>\n", "</tbody></table></div>\n", "</blockquote>\n",
					       "</code></pre>\n" };

	fputs(closers[*b], out);
	*b = B_NONE;
}

void sl_md_to_html(FILE *out, const char *md, const char *base)
{
	enum block b = B_NONE;
	const char *p = md;
	/* after_key: the last block was the key-results heading; key: the open table is its table */
	bool after_key = false, key = false;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		const char *next = nl ? nl + 1 : p + len;
		const char *cell[64];
		size_t clen[64];

		if (len >= 3 && strncmp(p, "```", 3) == 0) {
			if (b == B_CODE) {
				close_block(out, &b);
			} else {
				close_block(out, &b);
				fputs("<pre><code>", out);
				b = B_CODE;
			}
			p = next;
			continue;
		}
		if (b == B_CODE) {
			sl_html_escape(out, p, len);
			fputc('\n', out);
			p = next;
			continue;
		}
		if (len == 0) {
			close_block(out, &b);
			p = next;
			continue;
		}
		if (b != B_TABLE)
			key = after_key && p[0] == '|';
		after_key = false;
		if ((len == 9 && strncmp(p, "<details>", 9) == 0) || (len == 10 && strncmp(p, "</details>", 10) == 0)) {
			/* a folded part: these two tags exactly, nothing else of HTML passes */
			close_block(out, &b);
			fprintf(out, "%.*s\n", (int)len, p);
		} else if (len > 19 && strncmp(p, "<summary>", 9) == 0 && strncmp(p + len - 10, "</summary>", 10) == 0) {
			close_block(out, &b);
			fputs("<summary>", out);
			inline_md(out, p + 9, len - 19);
			fputs("</summary>\n", out);
		} else if (len > 28 && strncmp(p, "<details><summary>", 18) == 0 &&
			   strncmp(p + len - 10, "</summary>", 10) == 0) {
			/* both on one line */
			close_block(out, &b);
			fputs("<details>\n<summary>", out);
			inline_md(out, p + 18, len - 28);
			fputs("</summary>\n", out);
		} else if (p[0] == '#') {
			int level = 0;

			while (level < (int)len && p[level] == '#')
				level++;
			close_block(out, &b);
			if (level > 6)
				level = 6;
			fprintf(out, "<h%d id=\"", level);
			sl_html_slug(out, p + level + (p[level] == ' '), len - (size_t)level - (p[level] == ' '));
			fputs("\">", out);
			inline_md(out, p + level + (p[level] == ' '), len - (size_t)level - (p[level] == ' '));
			fprintf(out, "</h%d>\n", level);
			after_key = level == 2 && len == 3 + strlen(SL_REPORT_KEY_HEADING) &&
				    strncmp(p + 3, SL_REPORT_KEY_HEADING, len - 3) == 0;
		} else if (len > 4 && strncmp(p, "![", 2) == 0 && memchr(p, ']', len)) {
			const char *rb = memchr(p, ']', len);
			const char *close = rb[1] == '(' ? memchr(rb, ')', len - (size_t)(rb - p)) : NULL;

			close_block(out, &b);
			if (close)
				image(out, p + 2, (size_t)(rb - p - 2), rb + 2, (size_t)(close - rb - 2), base, close + 1,
				      len - (size_t)(close + 1 - p));
		} else if (p[0] == '|') {
			int n = table_cells(p, len, cell, clen, 64);

			if (b != B_TABLE) {
				const char *nl2 = *next ? strchr(next, '\n') : NULL;
				size_t len2 = nl2 ? (size_t)(nl2 - next) : strlen(next);
				bool sep = *next == '|' && is_separator_row(next, len2);

				close_block(out, &b);
				fputs(!key ? "<div class=\"table\">" : table_rows(next) - sep > SL_REPORT_KEY_ONE_COLUMN ?
					      "<div class=\"table key many\">" : "<div class=\"table key\">", out);
				fputs("<table><thead><tr>", out);
				for (int i = 0; i < n; i++) {
					fputs("<th>", out);
					inline_md(out, cell[i], clen[i]);
					fputs("</th>", out);
				}
				fputs("</tr></thead><tbody>\n", out);
				b = B_TABLE;
				if (sep)
					next = nl2 ? nl2 + 1 : next + len2;
			} else {
				table_row(out, cell, clen, n, key);
			}
		} else if (len >= 2 && (p[0] == '-' || p[0] == '*') && p[1] == ' ') {
			if (b != B_LIST) {
				close_block(out, &b);
				fputs("<ul>\n", out);
				b = B_LIST;
			}
			fputs("<li>", out);
			inline_md(out, p + 2, len - 2);
			fputs("</li>\n", out);
		} else if (p[0] == '>') {
			if (b != B_QUOTE) {
				close_block(out, &b);
				fputs("<blockquote>", out);
				b = B_QUOTE;
			} else {
				fputc(' ', out);
			}
			inline_md(out, p + 1 + (len > 1 && p[1] == ' '), len - 1 - (len > 1 && p[1] == ' '));
		} else {
			if (b == B_LIST && (p[0] == ' ' || p[0] == '\t')) {
				/* a list item's continuation */
				fputc(' ', out);
				inline_md(out, p, len);
				p = next;
				continue;
			}
			if (b != B_PARA) {
				close_block(out, &b);
				fputs("<p>", out);
				b = B_PARA;
			} else {
				fputs("<br>\n", out);
			}
			inline_md(out, p, len);
		}
		p = next;
	}
	close_block(out, &b);
}
