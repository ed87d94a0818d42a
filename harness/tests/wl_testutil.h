/* wl_testutil.h: drive a workload's callbacks directly (no pool), for the workload unit tests. */
#ifndef SL_WL_TESTUTIL_H
#define SL_WL_TESTUTIL_H

#include <stdlib.h>
#include <string.h>

#include "core/workload.h"

/* A setting with the standard axes at their plain values and every parameter at its default. */
static inline void wl_setting_defaults(struct sl_setting *s, const struct sl_workload_ops *w)
{
	memset(s, 0, sizeof(*s));
	s->processes = 1;
	s->chunksize = 1;
	strcpy(s->chunksize_text, "1");
	strcpy(s->start_method, "fork");
	s->threads_kind = SL_THREADS_UNSET;
	strcpy(s->threads_text, "unset");
	strcpy(s->thread_api, "env");
	strcpy(s->dispatch, "pipe");
	strcpy(s->device, "cpu");
	strcpy(s->blas, "pthread");
	strcpy(s->parent_uses, "none");
	s->timeout_s = 60;
	snprintf(s->workload, sizeof(s->workload), "%s", w->name);
	for (const struct sl_param_def *p = w->params; p->name; p++) {
		struct sl_param_value *v = &s->params[s->nparams++];
		char *end;

		snprintf(v->name, sizeof(v->name), "%s", p->name);
		snprintf(v->text, sizeof(v->text), "%s", p->def);
		v->num = p->type == SL_PARAM_STRING ? NAN : strtod(p->def, &end);
	}
}

/* Set parameter name to text (numeric parameters get their number too). */
static inline void wl_set(struct sl_setting *s, const char *name, const char *text)
{
	for (int i = 0; i < s->nparams; i++)
		if (strcmp(s->params[i].name, name) == 0) {
			char *end;
			double d = strtod(text, &end);

			snprintf(s->params[i].text, sizeof(s->params[i].text), "%s", text);
			s->params[i].num = *end || end == text ? NAN : d;
			return;
		}
	abort();
}

/* What wl_run saw. */
struct wl_run {
	long ntasks;
	double *results;
	unsigned char *outputs;      /* ntasks × task_out_bytes, or NULL */
	int lib_threads;
	int rc;                      /* first non-zero return of setup or run_task */
	char msg[256];
};

/* Run every task of s in this process as one worker would: setup, make_input, run_task, teardown.
 * The caller frees r->results and r->outputs (wl_run_free). */
static inline void wl_run(const struct sl_workload_ops *w, const struct sl_setting *s, struct wl_run *r)
{
	struct sl_wctx ctx = { .setting = s, .worker = 0 };
	size_t inb = w->task_in_bytes ? w->task_in_bytes(s) : 0;
	size_t outb = w->task_out_bytes ? w->task_out_bytes(s) : 0;
	void *in = inb ? malloc(inb) : NULL;

	memset(r, 0, sizeof(*r));
	r->ntasks = sl_workload_ntasks(w, s);
	r->results = calloc((size_t)r->ntasks, sizeof(double));
	r->outputs = outb ? calloc((size_t)r->ntasks, outb) : NULL;
	r->rc = w->setup ? w->setup(&ctx, r->msg, sizeof(r->msg)) : 0;
	for (long t = 0; r->rc == 0 && t < r->ntasks; t++) {
		if (inb)
			w->make_input(s, t, in);
		r->rc = w->run_task(&ctx, t, in, outb ? r->outputs + (size_t)t * outb : NULL, &r->results[t],
				    r->msg, sizeof(r->msg));
	}
	r->lib_threads = ctx.lib_threads;
	if (w->teardown)
		w->teardown(&ctx);
	free(in);
}

static inline int wl_verify(const struct sl_workload_ops *w, const struct sl_setting *s, struct wl_run *r)
{
	return w->verify(s, r->ntasks, r->results, r->outputs, r->msg, sizeof(r->msg));
}

static inline void wl_run_free(struct wl_run *r)
{
	free(r->results);
	free(r->outputs);
	r->results = NULL;
	r->outputs = NULL;
}

/* Every parameter of w is sane: a name, help, a default that parses and lies within its range
 * (or among its choices). Returns NULL, or the name of the first bad parameter. */
static inline const char *wl_params_bad(const struct sl_workload_ops *w)
{
	for (const struct sl_param_def *p = w->params; p->name; p++) {
		if (!p->help || strlen(p->help) < 10 || !p->def)
			return p->name;
		if (p->type == SL_PARAM_STRING) {
			if (p->choices) {
				const char *c = strstr(p->choices, p->def);
				size_t len = strlen(p->def);

				if (!c || (c != p->choices && c[-1] != '|') || (c[len] && c[len] != '|'))
					return p->name;
			}
		} else {
			char *end;
			double d = strtod(p->def, &end);

			if (*end || end == p->def || d < p->min || d > p->max || p->min > p->max)
				return p->name;
			if (p->type == SL_PARAM_INT && d != (double)(long)d)
				return p->name;
		}
	}
	return NULL;
}

#endif
