/* test_results_csv.c: the CSV format of the result files (csv.c): quoting, truncation, bad shapes. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/csv.h"

/* Run sl_csv_parse on text with stderr captured into msg. */
static int parse_capture(const char *text, struct sl_csv *csv, int allow_tail, char *msg, size_t msglen)
{
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO), err;
	size_t n;

	assert_non_null(tmp);
	fflush(stderr);
	dup2(fileno(tmp), STDERR_FILENO);
	err = sl_csv_parse("t.csv", text, strlen(text), csv, allow_tail);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(msg, 1, msglen - 1, tmp);
	msg[n] = '\0';
	fclose(tmp);
	return err;
}

static void test_quoting_round_trip(void **state)
{
	const char *cells[] = { "plain", "a,b", "say \"hi\"", "two\nlines", "cr\r\nlf", "", " spaced ", "\"" };
	size_t n = sizeof(cells) / sizeof(cells[0]);
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	struct sl_csv csv;

	(void)state;
	for (size_t i = 0; i < n; i++)
		fprintf(m, "%sc%zu", i ? "," : "", i);
	fputc('\n', m);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(',', m);
		sl_csv_put(m, cells[i]);
	}
	fputc('\n', m);
	fclose(m);
	assert_int_equal(sl_csv_parse("rt.csv", text, len, &csv, 0), 0);
	assert_int_equal(csv.ncols, n);
	assert_int_equal(csv.nrows, 1);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(csv.rows[0][i], cells[i]);
	assert_int_equal(csv.lines[0], 2);
	assert_int_equal(sl_csv_col(&csv, "c3"), 3);
	assert_int_equal(sl_csv_col(&csv, "nope"), -1);
	assert_string_equal(sl_csv_cell(&csv, 0, -1), "");
	sl_csv_free(&csv);
	free(text);
}

static void test_numbers(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	struct sl_csv csv;

	(void)state;
	fputs("a,b,c,d,e,f\n", m);
	sl_csv_put_num(m, 0.415123456);
	fputc(',', m);
	sl_csv_put_num(m, NAN);
	fputc(',', m);
	sl_csv_put_num(m, INFINITY);
	fputs(",nan,inf,1e3\n", m);
	fclose(m);
	assert_string_equal(text, "a,b,c,d,e,f\n0.415123,,,nan,inf,1e3\n");
	assert_int_equal(sl_csv_parse("n.csv", text, len, &csv, 0), 0);
	assert_true(fabs(sl_csv_num(&csv, 0, 0) - 0.415123) < 1e-12);
	assert_true(isnan(sl_csv_num(&csv, 0, 1)));   /* empty: does not apply */
	assert_true(isnan(sl_csv_num(&csv, 0, 3)));   /* nan and inf cells are not numbers */
	assert_true(isnan(sl_csv_num(&csv, 0, 4)));
	assert_true(sl_csv_num(&csv, 0, 5) == 1000);
	sl_csv_free(&csv);
	free(text);
}

static void test_truncated_tail(void **state)
{
	struct sl_csv csv;
	char msg[512];

	(void)state;
	/* a crash mid-row: accepted only when asked, and the partial row is dropped */
	assert_int_equal(parse_capture("a,b\n1,2\n3", &csv, 1, msg, sizeof(msg)), 0);
	assert_int_equal(csv.nrows, 1);
	sl_csv_free(&csv);
	assert_int_equal(parse_capture("a,b\n1,2\n3", &csv, 0, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "speedlab: t.csv:3: "));
	assert_non_null(strstr(msg, "truncated"));
	/* a complete last line without its newline is fine */
	assert_int_equal(parse_capture("a,b\n1,2\n3,4", &csv, 0, msg, sizeof(msg)), 0);
	assert_int_equal(csv.nrows, 2);
	sl_csv_free(&csv);
	/* an open quote at the end is never complete */
	assert_int_equal(parse_capture("a,b\n1,\"2\n", &csv, 0, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "t.csv:2: unterminated quoted cell"));
}

static void test_bad_shapes(void **state)
{
	struct sl_csv csv;
	char msg[512];

	(void)state;
	assert_int_equal(parse_capture("a,b\n1,2\n1,2,3\n4,5\n", &csv, 1, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "speedlab: t.csv:3: 3 cells where the header has 2\n");
	assert_int_equal(parse_capture("a,b,a\n1,2,3\n", &csv, 0, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "speedlab: t.csv:1: duplicate column 'a' in the header\n");
	assert_int_equal(parse_capture("", &csv, 0, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "t.csv:1: empty file"));
	assert_int_equal(parse_capture("a,,b\n", &csv, 0, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "empty column name"));
	assert_int_equal(parse_capture("a,b\nx\"y\",2\n", &csv, 0, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "t.csv:2: quote inside an unquoted cell"));
	assert_int_equal(parse_capture("a,b\n\"x\"y,2\n", &csv, 0, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "text after a closing quote"));
	/* line numbers count the lines inside quoted cells */
	assert_int_equal(parse_capture("a,b\n\"1\n2\",3\n4\n", &csv, 0, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "t.csv:4: "));
	/* CRLF line ends are accepted */
	assert_int_equal(parse_capture("a,b\r\n1,2\r\n", &csv, 0, msg, sizeof(msg)), 0);
	assert_string_equal(csv.rows[0][1], "2");
	sl_csv_free(&csv);
}

static void test_read_file_errors(void **state)
{
	struct sl_csv csv;
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	char msg[512];
	size_t n;

	(void)state;
	fflush(stderr);
	dup2(fileno(tmp), STDERR_FILENO);
	assert_int_equal(sl_csv_read("/nonexistent/runs.csv", &csv, 0), -ENOENT);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(msg, 1, sizeof(msg) - 1, tmp);
	msg[n] = '\0';
	fclose(tmp);
	assert_string_equal(msg, "speedlab: /nonexistent/runs.csv: cannot read: No such file or directory\n");
	sl_csv_free(&csv);   /* safe on the zeroed struct */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quoting_round_trip),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_truncated_tail),
		cmocka_unit_test(test_bad_shapes),
		cmocka_unit_test(test_read_file_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
