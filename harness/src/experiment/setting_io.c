/* setting_io.c: a setting as key=value text and back, for workers started as a fresh image (mpi, spawn). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "experiment/axis.h"
#include "experiment/setting_io.h"

#define SETTING_HEADER "speedlab-setting 1"

enum field_type { F_INT, F_DOUBLE, F_TEXT, F_THREADS_KIND };

struct field {
	const char *key;
	enum field_type type;
	size_t offset;
	size_t size;        /* of a text field, with its NUL */
};

#define INT(f) { #f, F_INT, offsetof(struct sl_setting, f), 0 }
#define INT_AS(key, f) { key, F_INT, offsetof(struct sl_setting, f), 0 }
#define DBL(f) { #f, F_DOUBLE, offsetof(struct sl_setting, f), 0 }
#define TXT(f) { #f, F_TEXT, offsetof(struct sl_setting, f), sizeof(((struct sl_setting *)0)->f) }

/* The fields besides the axes (each axis is written and read as its name, through the axis table);
 * chunksize and threads as resolved, beside the axes as written. */
static const struct field fields[] = {
	INT(config),
	TXT(workload),
	INT_AS("chunksize_n", chunksize),
	{ "threads_kind", F_THREADS_KIND, offsetof(struct sl_setting, threads_kind), 0 },
	INT_AS("threads_n", threads),
	TXT(allowed_cpus),
	TXT(coordinator_cpus),
	DBL(timeout_s),
	TXT(mpi_hosts),
	TXT(mpi_hostfile),
	INT(mpi_ranks_per_node),
	TXT(mpi_bind),
	{ NULL, F_INT, 0, 0 },
};

static const char *const threads_kinds[] = { "unset", "auto", "n" };

static void put_escaped(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			fputs("\\\\", f);
		else if (*v == '\n')
			fputs("\\n", f);
		else if (*v == '\r')
			fputs("\\r", f);
		else
			fputc(*v, f);
	}
}

static void put_double(FILE *f, double v)
{
	if (isnan(v))
		fputs("nan", f);
	else
		fprintf(f, "%.17g", v);
}

int sl_setting_write(FILE *f, const struct sl_setting *s)
{
	fputs(SETTING_HEADER "\n", f);
	for (const struct field *d = fields; d->key; d++) {
		const char *p = (const char *)s + d->offset;

		fprintf(f, "%s=", d->key);
		switch (d->type) {
		case F_INT:
			fprintf(f, "%d", *(const int *)p);
			break;
		case F_DOUBLE:
			put_double(f, *(const double *)p);
			break;
		case F_TEXT:
			put_escaped(f, p);
			break;
		case F_THREADS_KIND: {
			unsigned k = (unsigned)*(const enum sl_threads_kind *)p;

			fputs(k < 3 ? threads_kinds[k] : "?", f);
			break;
		}
		}
		fputc('\n', f);
	}
	for (const struct sl_axis_def *a = sl_axes; a->name; a++) {
		char buf[SL_VALUE_LEN];

		sl_axis_stored(s, a, buf, sizeof(buf));
		fprintf(f, "%s=", a->name);
		put_escaped(f, buf);
		fputc('\n', f);
	}
	for (int i = 0; i < s->nparams && i < SL_MAX_PARAMS; i++) {
		fprintf(f, "param.%s=", s->params[i].name);
		put_escaped(f, s->params[i].text);
		fprintf(f, "\nparam_num.%s=", s->params[i].name);
		put_double(f, s->params[i].num);
		fputc('\n', f);
	}
	fflush(f);
	return ferror(f) ? -EIO : 0;
}

char *sl_setting_format(const struct sl_setting *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int err;

	if (!f)
		return NULL;
	err = sl_setting_write(f, s);
	if (fclose(f) != 0 && !err)
		err = -errno;
	if (err) {
		free(buf);
		errno = -err;
		return NULL;
	}
	return buf;
}

/* Unescape v into out (size n). False when it does not fit or holds a bad escape. */
static bool unescape(const char *v, char *out, size_t n)
{
	size_t o = 0;

	for (; *v; v++) {
		char c = *v;

		if (c == '\\') {
			v++;
			if (*v == '\\')
				c = '\\';
			else if (*v == 'n')
				c = '\n';
			else if (*v == 'r')
				c = '\r';
			else
				return false;
		}
		if (o + 1 >= n)
			return false;
		out[o++] = c;
	}
	out[o] = '\0';
	return true;
}

static bool parse_double_any(const char *v, double *out)
{
	char *end;

	if (!*v)
		return false;
	errno = 0;
	*out = strtod(v, &end);
	return !errno && !*end;
}

static int set_field(struct sl_setting *s, const struct field *d, const char *v)
{
	char *p = (char *)s + d->offset;
	long l;

	switch (d->type) {
	case F_INT:
		if (!sl_parse_long(v, &l) || l < -2147483647L || l > 2147483647L)
			return -EINVAL;
		*(int *)p = (int)l;
		return 0;
	case F_DOUBLE:
		return parse_double_any(v, (double *)p) ? 0 : -EINVAL;
	case F_TEXT:
		return unescape(v, p, d->size) ? 0 : -EINVAL;
	case F_THREADS_KIND:
		for (unsigned k = 0; k < 3; k++)
			if (strcmp(v, threads_kinds[k]) == 0) {
				*(enum sl_threads_kind *)p = (enum sl_threads_kind)k;
				return 0;
			}
		return -EINVAL;
	}
	return -EINVAL;
}

static struct sl_param_value *find_param(struct sl_setting *s, const char *name)
{
	for (int i = 0; i < s->nparams; i++)
		if (strcmp(s->params[i].name, name) == 0)
			return &s->params[i];
	return NULL;
}

static int read_param(struct sl_setting *s, const char *key, const char *v, char *msg, size_t msglen)
{
	bool is_num = strncmp(key, "param_num.", 10) == 0;
	const char *name = key + (is_num ? 10 : 6);
	struct sl_param_value *p = find_param(s, name);

	if (!*name || strlen(name) >= SL_NAME_LEN) {
		snprintf(msg, msglen, "bad parameter name '%s'", name);
		return -EINVAL;
	}
	if (is_num) {
		if (!p) {
			snprintf(msg, msglen, "'%s' before 'param.%s'", key, name);
			return -EINVAL;
		}
		if (!parse_double_any(v, &p->num)) {
			snprintf(msg, msglen, "bad number '%s' for '%s'", v, key);
			return -EINVAL;
		}
		return 0;
	}
	if (p) {
		snprintf(msg, msglen, "parameter '%s' given twice", name);
		return -EINVAL;
	}
	if (s->nparams >= SL_MAX_PARAMS) {
		snprintf(msg, msglen, "more than %d parameters", SL_MAX_PARAMS);
		return -EINVAL;
	}
	p = &s->params[s->nparams];
	strcpy(p->name, name);
	p->num = NAN;
	if (!unescape(v, p->text, sizeof(p->text))) {
		snprintf(msg, msglen, "bad value for '%s' (too long or bad escape)", key);
		return -EINVAL;
	}
	s->nparams++;
	return 0;
}

int sl_setting_read(struct sl_setting *s, const char *text, char *msg, size_t msglen)
{
	char *copy = strdup(text), *line, *save = NULL;
	char what[200] = "";
	int lineno = 0, err = 0;

	if (!copy) {
		snprintf(msg, msglen, "out of memory");
		return -ENOMEM;
	}
	memset(s, 0, sizeof(*s));
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const struct field *d;
		char *eq;

		lineno++;
		if (lineno == 1) {
			if (strcmp(line, SETTING_HEADER) != 0) {
				snprintf(what, sizeof(what), "not a setting (expected '%s')", SETTING_HEADER);
				err = -EINVAL;
				break;
			}
			continue;
		}
		eq = strchr(line, '=');
		if (!eq) {
			snprintf(what, sizeof(what), "expected key=value");
			err = -EINVAL;
			break;
		}
		*eq = '\0';
		if (strncmp(line, "param.", 6) == 0 || strncmp(line, "param_num.", 10) == 0) {
			err = read_param(s, line, eq + 1, what, sizeof(what));
			if (err)
				break;
			continue;
		}
		for (d = fields; d->key && strcmp(d->key, line) != 0; d++)
			;
		if (!d->key) {
			const struct sl_axis_def *a = sl_axis_find(line);
			char buf[SL_VALUE_LEN];

			if (!a) {
				snprintf(what, sizeof(what), "unknown key '%.60s'", line);
				err = -EINVAL;
				break;
			}
			if (!unescape(eq + 1, buf, sizeof(buf)) || sl_axis_set(s, a, buf) < 0) {
				snprintf(what, sizeof(what), "bad value '%.60s' for '%s'", eq + 1, a->name);
				err = -EINVAL;
				break;
			}
			continue;
		}
		err = set_field(s, d, eq + 1);
		if (err) {
			snprintf(what, sizeof(what), "bad value '%.60s' for '%s'", eq + 1, d->key);
			break;
		}
	}
	if (!err && lineno == 0) {
		snprintf(what, sizeof(what), "empty setting");
		err = -EINVAL;
	}
	if (err)
		snprintf(msg, msglen, "line %d: %s", lineno, what);
	free(copy);
	return err;
}
