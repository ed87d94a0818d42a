/* csv.h: strict CSV reading (RFC 4180 quoting) and writing for the result files. */
#ifndef SL_CSV_H
#define SL_CSV_H

#include <stddef.h>
#include <stdio.h>

struct sl_csv {
	char path[512];
	size_t ncols;
	char **header;          /* ncols names */
	size_t nrows;
	char ***rows;           /* nrows rows of ncols cells (never NULL; missing cells are ""), each row
				 * one allocation: read them, change one with sl_csv_set */
	int *lines;             /* line number of each row, for messages */
};

/* Read path. Every row must have the header's number of cells; a final line without newline is
 * accepted only when complete (truncated final rows are dropped only if allow_truncated_tail).
 * Returns 0, or -errno / -EINVAL with the reason printed as "speedlab: FILE:LINE: message". */
int sl_csv_read(const char *path, struct sl_csv *csv, int allow_truncated_tail);
/* Read from a string (fuzzing, tests); name is used in messages. Same contract. */
int sl_csv_parse(const char *name, const char *text, size_t len, struct sl_csv *csv, int allow_truncated_tail);
/* Free everything read. Safe on a zeroed struct. */
void sl_csv_free(struct sl_csv *csv);
/* Replace cell (row r, column c) by a copy of value (a row is one allocation: never free a cell).
 * Returns 0, -EINVAL (no such cell) or -ENOMEM (the row unchanged). */
int sl_csv_set(struct sl_csv *csv, size_t r, int c, const char *value);
/* Index of the column called name, or -1. */
int sl_csv_col(const struct sl_csv *csv, const char *name);
/* Cell (row r, column c) or "" when c < 0. */
const char *sl_csv_cell(const struct sl_csv *csv, size_t r, int c);
/* The cell as a number: NAN when empty, not a number, or not finite. */
double sl_csv_num(const struct sl_csv *csv, size_t r, int c);

/* Write one cell, quoted when it needs it. */
void sl_csv_put(FILE *f, const char *cell);
/* Write a number with enough digits to round-trip the figure (%.6g), or nothing for NAN. */
void sl_csv_put_num(FILE *f, double v);

#endif
