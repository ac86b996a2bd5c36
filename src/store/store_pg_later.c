/*
 * store_pg_later.c - single-row writes of a write transaction gathered into
 * multi-row statements (pg_int.h: pg_run_later).
 *
 * A statement "INSERT INTO t(...) VALUES($1, ..., $k) [ON CONFLICT ...]"
 * whose VALUES list is its k parameters in order, and whose parameters
 * appear nowhere else, has a multi-row form,
 * made once per process: "INSERT INTO t(...) SELECT * FROM unnest($1::text[],
 * $2::bigint[], ...) [ON CONFLICT ...]", each array's type taken from the
 * parameter's format letter.  pg_run_later appends a row's values to one
 * queue per statement (array literals, as store_pg_log.c's held-back
 * events); the queue goes to the server as one statement
 *   - before any statement that names the table (pg_later_send), so no
 *     statement of the transaction reads t, or deletes from it, without the
 *     rows written before it;
 *   - before a row whose key (the caller's: an upsert's conflict target) is
 *     in the queue already: an upsert may not affect one row twice;
 *   - before COMMIT (pg_later_send with sql NULL).
 * A rolled-back transaction drops the queues (pg_later_discard).  A
 * statement of another shape, or a handle outside a write transaction,
 * runs at once as pg_run would.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"
#include "../base/banned.h"

#define FORMS_MAX 32 /* statements with a multi-row form, per process */

/* The multi-row forms, made once and kept for the process's life (the
 * prepared statements are keyed by the text's address). */
static struct form {
	const char *sql;
	char *many; /* NULL: the statement has none */
	char table[64];
} forms[FORMS_MAX];
static int nforms;
static pthread_mutex_t forms_mu = PTHREAD_MUTEX_INITIALIZER;

struct pg_later {
	const struct form *form;
	char fmt[PG_MAX_PARAMS + 1];
	struct buf col[PG_MAX_PARAMS];
	size_t n;
	char kind; /* the transaction's memory kind marking the queue's keys */
};

/* "INSERT INTO t... VALUES($1, ..., $k) rest" with no '$' in rest, and k
 * the number of letters of fmt: its multi-row form, else NULL. */
static char *make_many(const char *sql, const char *fmt, char table[64])
{
	const char *into = "INSERT INTO ", *values = strstr(sql, " VALUES"), *open, *close, *rest;
	size_t k = strlen(fmt), tlen, nparams = 0;
	struct buf b = BUF_INIT;

	if (strncmp(sql, into, strlen(into)) || !values)
		return NULL;
	tlen = strcspn(sql + strlen(into), " (");
	if (!tlen || tlen >= 64)
		return NULL;
	memcpy(table, sql + strlen(into), tlen);
	table[tlen] = '\0';
	if (!(open = strchr(values, '(')) || !(close = strchr(open, ')')))
		return NULL;
	rest = close + 1;
	if (strchr(rest, '$'))
		return NULL;
	for (const char *p = open + 1;;) { /* exactly "$1, $2, ..., $k" */
		char *end;
		p += strspn(p, " ,");
		if (p >= close)
			break;
		if (*p != '$' || strtoul(p + 1, &end, 10) != ++nparams || end > close)
			return NULL;
		p = end;
	}
	if (nparams != k)
		return NULL;
	buf_append(&b, sql, (size_t)(values - sql));
	buf_puts(&b, " SELECT * FROM unnest(");
	for (size_t i = 0; i < k; i++) {
		const char *type = fmt[i] == 'i' || fmt[i] == 'o' ? "bigint" : "text";
		if (fmt[i] == 'b')
			goto none; /* bytea: not as an array literal */
		buf_printf(&b, "%s$%zu::%s[]", i ? ", " : "", i + 1, type);
	}
	buf_putc(&b, ')');
	buf_puts(&b, rest);
	if (buf_failed(&b))
		goto none;
	return buf_detach(&b);
none:
	buf_release(&b);
	return NULL;
}

static const struct form *form_of(const char *sql, const char *fmt)
{
	const struct form *f = NULL;

	pthread_mutex_lock(&forms_mu);
	for (int i = 0; i < nforms && !f; i++)
		if (forms[i].sql == sql)
			f = &forms[i];
	if (!f && nforms < FORMS_MAX) {
		struct form *n = &forms[nforms];
		n->many = make_many(sql, fmt, n->table);
		n->sql = sql;
		f = &forms[nforms++];
	}
	pthread_mutex_unlock(&forms_mu);
	return f && f->many ? f : NULL;
}

static enum werr send_queue(struct pg_store *s, struct pg_later *q)
{
	const char *values[PG_MAX_PARAMS];
	struct buf lit[PG_MAX_PARAMS];
	size_t k = strlen(q->fmt);
	enum werr err;

	if (!q->n)
		return WERR_OK;
	err = pg_array_literals(q->col, k, lit); /* the queue starts over */
	for (size_t i = 0; i < k; i++)
		values[i] = lit[i].p;
	q->n = 0;
	pg_tx_forget_kind(s, q->kind);
	if (err)
		pg_msg(s, "unable to send gathered rows of %s: %s", q->form->table, werr_name(err));
	else
		err = pg_run_texts(s, q->form->many, "unable to write gathered rows", values, (int)k);
	for (size_t i = 0; i < k; i++)
		buf_release(&lit[i]);
	return err;
}

enum werr pg_later_send(struct pg_store *s, const char *sql)
{
	enum werr err = WERR_OK;

	for (int i = 0; i < s->nlater && !err; i++)
		if (s->later[i]->n && (!sql || strstr(sql, s->later[i]->form->table)))
			err = send_queue(s, s->later[i]);
	return err;
}

void pg_later_discard(struct pg_store *s)
{
	for (int i = 0; i < s->nlater; i++) {
		for (int c = 0; c < PG_MAX_PARAMS; c++)
			buf_release(&s->later[i]->col[c]);
		free(s->later[i]);
	}
	s->nlater = 0;
}

static struct pg_later *queue_of(struct pg_store *s, const struct form *form, const char *fmt)
{
	struct pg_later *q;

	for (int i = 0; i < s->nlater; i++)
		if (s->later[i]->form == form)
			return s->later[i];
	if (s->nlater == PG_LATER || !(q = calloc(1, sizeof(*q))))
		return NULL;
	q->form = form;
	snprintf(q->fmt, sizeof(q->fmt), "%s", fmt);
	q->kind = (char)('0' + s->nlater); /* kinds '0'.. are the queues' (pg_int.h) */
	for (int c = 0; c < PG_MAX_PARAMS; c++)
		buf_init(&q->col[c], BUF_MAX_DEFAULT);
	return s->later[s->nlater++] = q;
}

enum werr pg_run_later(struct pg_store *s, const char *sql, const char *key, const char *what, const char *fmt,
		       ...)
{
	static const char queued = 'Q';
	const struct form *form;
	struct pg_later *q = NULL;
	enum werr err = WERR_OK;
	va_list ap;

	va_start(ap, fmt);
	if (!s->piped || strlen(fmt) > PG_MAX_PARAMS || !(form = form_of(sql, fmt)) ||
	    !(q = queue_of(s, form, fmt)) || strcmp(q->fmt, fmt)) {
		err = pg_run_v(s, sql, what, fmt, ap); /* at once */
		va_end(ap);
		return err;
	}
	if (key && pg_tx_get(s, q->kind, key) && (err = send_queue(s, q)))
		goto out;
	for (size_t i = 0; fmt[i]; i++) {
		struct buf *c = &q->col[i];
		switch (fmt[i]) {
		case 's':
		case 'S': {
			const char *v = va_arg(ap, const char *);
			bool null = !v || (fmt[i] == 's' && !v[0]);
			pg_array_elem(c, v ? v : "", v ? strlen(v) : 0, null);
			break;
		}
		case 't': {
			const char *v = va_arg(ap, const char *);
			size_t len = va_arg(ap, size_t);
			pg_array_elem(c, v ? v : "", v ? len : 0, false);
			break;
		}
		default: { /* 'i', 'o' (form_of refused any other) */
			int64_t v = va_arg(ap, int64_t);
			char num[24];
			snprintf(num, sizeof(num), "%" PRId64, v);
			pg_array_elem(c, num, strlen(num), fmt[i] == 'o' && !v);
			break;
		}
		}
		if (!err)
			err = buf_error(c);
	}
	q->n++;
	if (err)
		pg_msg(s, "%s: %s", what, werr_name(err));
	else if (key && (err = pg_tx_put(s, q->kind, key, &queued, 1)))
		pg_msg(s, "%s: out of memory", what);
out:
	va_end(ap);
	return err;
}
