/* csv.c: strict CSV reading and writing for the result files (which are untrusted input to compare). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "speedlab.h"

#define CSV_MAX_COLS 512
#define CSV_MAX_CELL (64 * 1024)

struct cellbuf {
	char *s;
	size_t len, cap;
};

static int cell_add(struct cellbuf *c, char ch)
{
	if (c->len + 1 >= c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		char *n;

		if (cap > CSV_MAX_CELL)
			return -E2BIG;
		n = realloc(c->s, cap);
		if (!n)
			return -ENOMEM;
		c->s = n;
		c->cap = cap;
	}
	c->s[c->len++] = ch;
	c->s[c->len] = '\0';
	return 0;
}

static void free_row(char **row, size_t n)
{
	if (!row)
		return;
	for (size_t i = 0; i < n; i++)
		free(row[i]);
	free(row);
}

void sl_csv_free(struct sl_csv *csv)
{
	free_row(csv->header, csv->ncols);
	for (size_t r = 0; r < csv->nrows; r++)
		free_row(csv->rows[r], csv->ncols);
	free(csv->rows);
	free(csv->lines);
	memset(csv, 0, sizeof(*csv));
}

/* Parse one record starting at *pos. Returns the number of cells (>= 1), 0 at end of input,
 * -EINVAL for a malformed record (message in msg), or -ENOMEM/-E2BIG. *complete is false when the
 * input ended inside the record without a newline. */
static int parse_record(const char *t, size_t len, size_t *pos, char ***cells_out, int *line,
			bool *complete, char *msg, size_t msglen)
{
	char **cells = NULL;
	size_t ncells = 0;
	struct cellbuf cur = { 0 };
	size_t i = *pos;
	bool quoted = false, was_quoted = false;
	int err;

	*complete = false;
	if (i >= len)
		return 0;
	for (;;) {
		char ch = i < len ? t[i] : '\0';
		bool end = i >= len;

		if (quoted) {
			if (end) {
				snprintf(msg, msglen, "unterminated quoted cell");
				err = -EINVAL;
				goto out_free;
			}
			if (ch == '"') {
				if (i + 1 < len && t[i + 1] == '"') {
					if ((err = cell_add(&cur, '"')) < 0)
						goto out_free;
					i += 2;
					continue;
				}
				quoted = false;
				i++;
				continue;
			}
			if (ch == '\n')
				(*line)++;
			if ((err = cell_add(&cur, ch)) < 0)
				goto out_free;
			i++;
			continue;
		}
		if (end || ch == ',' || ch == '\n' || ch == '\r') {
			char **n;

			if (ncells >= CSV_MAX_COLS) {
				snprintf(msg, msglen, "more than %d columns", CSV_MAX_COLS);
				err = -EINVAL;
				goto out_free;
			}
			n = realloc(cells, (ncells + 1) * sizeof(*cells));
			if (!n) {
				err = -ENOMEM;
				goto out_free;
			}
			cells = n;
			cells[ncells++] = cur.s ? cur.s : strdup("");
			if (!cells[ncells - 1]) {
				err = -ENOMEM;
				goto out_free;
			}
			cur = (struct cellbuf){ 0 };
			was_quoted = false;
			if (end) {
				*complete = false;
				break;
			}
			if (ch == ',') {
				i++;
				continue;
			}
			if (ch == '\r') {
				if (i + 1 < len && t[i + 1] == '\n')
					i++;
				else {
					snprintf(msg, msglen, "stray carriage return");
					err = -EINVAL;
					goto out_free;
				}
			}
			i++;        /* the newline */
			*complete = true;
			break;
		}
		if (ch == '"') {
			if (cur.len > 0 || was_quoted) {
				snprintf(msg, msglen, "quote inside an unquoted cell");
				err = -EINVAL;
				goto out_free;
			}
			quoted = true;
			was_quoted = true;
			i++;
			continue;
		}
		if (was_quoted) {
			snprintf(msg, msglen, "text after a closing quote");
			err = -EINVAL;
			goto out_free;
		}
		if (ch == '\0') {
			snprintf(msg, msglen, "NUL byte in a cell");
			err = -EINVAL;
			goto out_free;
		}
		if ((err = cell_add(&cur, ch)) < 0)
			goto out_free;
		i++;
	}
	*pos = i;
	*cells_out = cells;
	return (int)ncells;

out_free:
	free(cur.s);
	free_row(cells, ncells);
	if (err == -E2BIG)
		snprintf(msg, msglen, "cell longer than %d bytes", CSV_MAX_CELL);
	return err == -E2BIG ? -EINVAL : err;
}

int sl_csv_parse(const char *name, const char *text, size_t len, struct sl_csv *csv, int allow_truncated_tail)
{
	size_t pos = 0;
	int line = 1, err;
	char msg[160] = "";
	bool complete;
	char **cells;
	size_t cap = 0;

	memset(csv, 0, sizeof(*csv));
	snprintf(csv->path, sizeof(csv->path), "%s", name);
	err = parse_record(text, len, &pos, &cells, &line, &complete, msg, sizeof(msg));
	if (err == 0) {
		sl_err_at(name, 1, "empty file (no header)");
		return -EINVAL;
	}
	if (err < 0)
		goto out_err;
	csv->ncols = (size_t)err;
	csv->header = cells;
	for (size_t c = 0; c < csv->ncols; c++) {
		if (!csv->header[c][0]) {
			snprintf(msg, sizeof(msg), "empty column name in the header (column %zu)", c + 1);
			err = -EINVAL;
			goto out_err;
		}
		for (size_t d = 0; d < c; d++)
			if (strcmp(csv->header[c], csv->header[d]) == 0) {
				snprintf(msg, sizeof(msg), "duplicate column '%s' in the header", csv->header[c]);
				err = -EINVAL;
				goto out_err;
			}
	}
	for (;;) {
		int rec_line;

		line++;
		rec_line = line;
		err = parse_record(text, len, &pos, &cells, &line, &complete, msg, sizeof(msg));
		if (err == 0)
			break;
		if (err < 0) {
			line = rec_line;
			goto out_err;
		}
		if ((size_t)err != csv->ncols) {
			bool tail = !complete && pos >= len;

			free_row(cells, (size_t)err);
			if (tail && allow_truncated_tail)
				break;
			if (err == 1 && complete && !cells) /* unreachable: kept for clarity */
				continue;
			snprintf(msg, sizeof(msg), "%d cells where the header has %zu%s", err, csv->ncols,
				 tail ? " (truncated last line)" : "");
			line = rec_line;
			err = -EINVAL;
			goto out_err;
		}
		if (csv->nrows == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			char ***nr = realloc(csv->rows, ncap * sizeof(*nr));
			int *nl;

			if (!nr) {
				free_row(cells, csv->ncols);
				err = -ENOMEM;
				goto out_err;
			}
			csv->rows = nr;
			nl = realloc(csv->lines, ncap * sizeof(*nl));
			if (!nl) {
				free_row(cells, csv->ncols);
				err = -ENOMEM;
				goto out_err;
			}
			csv->lines = nl;
			cap = ncap;
		}
		csv->rows[csv->nrows] = cells;
		csv->lines[csv->nrows] = rec_line;
		csv->nrows++;
	}
	return 0;

out_err:
	if (err == -ENOMEM)
		snprintf(msg, sizeof(msg), "out of memory");
	sl_err_at(name, line, "%s", msg);
	sl_csv_free(csv);
	return err;
}

int sl_csv_read(const char *path, struct sl_csv *csv, int allow_truncated_tail)
{
	size_t len;
	char *text = sl_read_file_nofollow(path, &len);
	int err;

	memset(csv, 0, sizeof(*csv));
	if (!text) {
		err = -errno;
		sl_err_at(path, 0, "cannot read: %s", sl_strerror(errno));
		return err;
	}
	err = sl_csv_parse(path, text, len, csv, allow_truncated_tail);
	free(text);
	return err;
}

int sl_csv_col(const struct sl_csv *csv, const char *name)
{
	for (size_t c = 0; c < csv->ncols; c++)
		if (strcmp(csv->header[c], name) == 0)
			return (int)c;
	return -1;
}

const char *sl_csv_cell(const struct sl_csv *csv, size_t r, int c)
{
	if (c < 0 || (size_t)c >= csv->ncols || r >= csv->nrows)
		return "";
	return csv->rows[r][c];
}

double sl_csv_num(const struct sl_csv *csv, size_t r, int c)
{
	double v;

	if (!sl_parse_double(sl_csv_cell(csv, r, c), &v) || !isfinite(v))
		return NAN;
	return v;
}

void sl_csv_put(FILE *f, const char *cell)
{
	if (!strpbrk(cell, ",\"\n\r")) {
		fputs(cell, f);
		return;
	}
	fputc('"', f);
	for (const char *p = cell; *p; p++) {
		if (*p == '"')
			fputc('"', f);
		fputc(*p, f);
	}
	fputc('"', f);
}

void sl_csv_put_num(FILE *f, double v)
{
	if (isnan(v) || !isfinite(v))
		return;
	fprintf(f, "%.6g", v);
}
