/* csv.c: strict CSV reading and writing for the result files (which are untrusted input to compare). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/csv.h"
#include "core/speedlab.h"

#define CSV_MAX_COLS 512
#define CSV_MAX_CELL (64 * 1024)

/* One record being parsed: its cells one after another, each NUL-terminated, in text; where each
 * starts in off. Reused from record to record (no allocation per cell). */
struct record {
	char *text;
	size_t len, cap;
	size_t off[CSV_MAX_COLS];
	size_t ncells;
	size_t cell_start;
};

static int rec_add(struct record *r, char ch)
{
	if (r->len - r->cell_start + 1 > CSV_MAX_CELL)
		return -E2BIG;
	if (r->len + 1 >= r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 1024;
		char *n = realloc(r->text, cap);

		if (!n)
			return -ENOMEM;
		r->text = n;
		r->cap = cap;
	}
	r->text[r->len++] = ch;
	return 0;
}

static void rec_free(struct record *r)
{
	if (r)
		free(r->text);
	free(r);
}

/* End the current cell. Returns 0, -EINVAL (too many columns) or -ENOMEM. */
static int rec_end_cell(struct record *r)
{
	int err;

	if (r->ncells >= CSV_MAX_COLS)
		return -EINVAL;
	if ((err = rec_add(r, '\0')) < 0)
		return err;
	r->off[r->ncells++] = r->cell_start;
	r->cell_start = r->len;
	return 0;
}

/* The record as one allocation: ncells pointers, then the cells' text (freed with one free()). */
static char **rec_pack(const struct record *r)
{
	char **row = malloc(r->ncells * sizeof(char *) + r->len);
	char *text;

	if (!row)
		return NULL;
	text = (char *)(row + r->ncells);
	memcpy(text, r->text, r->len);
	for (size_t c = 0; c < r->ncells; c++)
		row[c] = text + r->off[c];
	return row;
}

void sl_csv_free(struct sl_csv *csv)
{
	free(csv->header);
	for (size_t r = 0; r < csv->nrows; r++)
		free(csv->rows[r]);
	free(csv->rows);
	free(csv->lines);
	memset(csv, 0, sizeof(*csv));
}

/* Parse one record starting at *pos into rec, then *cells_out (one allocation). Returns the number
 * of cells (>= 1), 0 at end of input, -EINVAL for a malformed record (message in msg), or -ENOMEM.
 * *complete is false when the input ended inside the record without a newline. Time and memory
 * linear in the record's length. */
static int parse_record(struct record *rec, const char *t, size_t len, size_t *pos, char ***cells_out, int *line,
			bool *complete, char *msg, size_t msglen)
{
	size_t i = *pos;
	bool quoted = false, was_quoted = false;
	int err;

	*complete = false;
	rec->len = rec->ncells = rec->cell_start = 0;
	if (i >= len)
		return 0;
	for (;;) {
		char ch = i < len ? t[i] : '\0';
		bool end = i >= len;

		if (quoted) {
			if (end) {
				snprintf(msg, msglen, "unterminated quoted cell");
				return -EINVAL;
			}
			if (ch == '"') {
				if (i + 1 < len && t[i + 1] == '"') {
					if ((err = rec_add(rec, '"')) < 0)
						goto out_err;
					i += 2;
					continue;
				}
				quoted = false;
				i++;
				continue;
			}
			if (ch == '\n')
				(*line)++;
			if ((err = rec_add(rec, ch)) < 0)
				goto out_err;
			i++;
			continue;
		}
		if (end || ch == ',' || ch == '\n' || ch == '\r') {
			if ((err = rec_end_cell(rec)) < 0)
				goto out_err;
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
					return -EINVAL;
				}
			}
			i++;        /* the newline */
			*complete = true;
			break;
		}
		if (ch == '"') {
			if (rec->len > rec->cell_start || was_quoted) {
				snprintf(msg, msglen, "quote inside an unquoted cell");
				return -EINVAL;
			}
			quoted = true;
			was_quoted = true;
			i++;
			continue;
		}
		if (was_quoted) {
			snprintf(msg, msglen, "text after a closing quote");
			return -EINVAL;
		}
		if (ch == '\0') {
			snprintf(msg, msglen, "NUL byte in a cell");
			return -EINVAL;
		}
		if ((err = rec_add(rec, ch)) < 0)
			goto out_err;
		i++;
	}
	*cells_out = rec_pack(rec);
	if (!*cells_out)
		return -ENOMEM;
	*pos = i;
	return (int)rec->ncells;

out_err:
	if (err == -E2BIG)
		snprintf(msg, msglen, "cell longer than %d bytes", CSV_MAX_CELL);
	else if (err == -EINVAL)
		snprintf(msg, msglen, "more than %d columns", CSV_MAX_COLS);
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
	struct record *rec = calloc(1, sizeof(*rec));

	memset(csv, 0, sizeof(*csv));
	snprintf(csv->path, sizeof(csv->path), "%s", name);
	if (!rec) {
		sl_err_at(name, 0, "out of memory");
		return -ENOMEM;
	}
	err = parse_record(rec, text, len, &pos, &cells, &line, &complete, msg, sizeof(msg));
	if (err == 0) {
		rec_free(rec);
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
		err = parse_record(rec, text, len, &pos, &cells, &line, &complete, msg, sizeof(msg));
		if (err == 0)
			break;
		if (err < 0) {
			line = rec_line;
			goto out_err;
		}
		if ((size_t)err != csv->ncols) {
			bool tail = !complete && pos >= len;

			free(cells);
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
				free(cells);
				err = -ENOMEM;
				goto out_err;
			}
			csv->rows = nr;
			nl = realloc(csv->lines, ncap * sizeof(*nl));
			if (!nl) {
				free(cells);
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
	rec_free(rec);
	return 0;

out_err:
	if (err == -ENOMEM)
		snprintf(msg, sizeof(msg), "out of memory");
	sl_err_at(name, line, "%s", msg);
	sl_csv_free(csv);
	rec_free(rec);
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

int sl_csv_set(struct sl_csv *csv, size_t r, int c, const char *value)
{
	size_t len = 0;
	char **row, *text;

	if (r >= csv->nrows || c < 0 || (size_t)c >= csv->ncols)
		return -EINVAL;
	for (size_t k = 0; k < csv->ncols; k++)
		len += strlen(k == (size_t)c ? value : csv->rows[r][k]) + 1;
	row = malloc(csv->ncols * sizeof(char *) + len);
	if (!row)
		return -ENOMEM;
	text = (char *)(row + csv->ncols);
	for (size_t k = 0; k < csv->ncols; k++) {
		const char *cell = k == (size_t)c ? value : csv->rows[r][k];

		row[k] = text;
		text = stpcpy(text, cell) + 1;
	}
	free(csv->rows[r]);
	csv->rows[r] = row;
	return 0;
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
