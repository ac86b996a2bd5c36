/*
 * engine.h - exceptions over time and their tasks, in the server
 * (docs/exceptions.md): the writer's project hook that keeps each order's
 * open exceptions and next check (a projection) and opens or resolves the
 * task of each exception, and the sweep that refolds the orders whose next
 * check is due.
 *
 * The hook (exc_engine_project) runs in the writer's transaction for every
 * order a batch refolded, and in a rebuild for every order: it computes the
 * exceptions (core/exceptions.h) at `now`, and only when they differ from
 * the stored ones writes them and
 *   - opens one task per new exception (idempotent per order, kind and
 *     package: store task_open), routed to the kind's team with its
 *     priority, due at opened + 4 h (high), 24 h (normal) or 72 h (low);
 *   - resolves, as "auto", the task of each exception that closed;
 * each task change goes to the audit log (subject "task:ID").  The next
 * check is written on every refold (a new scan moves it).
 *
 * The sweep (exc_sweep_start) wakes every [exceptions] sweep_seconds, reads
 * the orders whose next check is due (an index on the time: it never visits
 * the others) and hands them to the writer as one refold job per 500, so
 * their exceptions are computed in the writer's transaction like any other
 * change.
 *
 * Thread-safety: the engine is read-only after exc_engine_new; the hook
 * runs on the writer thread; the sweep has its own thread and store handle.
 */
#ifndef WISMO_EXC_ENGINE_H
#define WISMO_EXC_ENGINE_H

#include <stdint.h>

#include "../base/err.h"
#include "../core/exceptions.h"
#include "../core/policy.h"
#include "../store/store.h"
#include "../store/writer.h"

#define EXC_SWEEP_BATCH 500

struct exc_engine {
	const struct exc_config *cfg;
	const struct policy *pol;
};

/* Due time of a new task of priority p opened at `at`. */
int64_t exc_task_due(enum exc_priority p, int64_t at);

/* The project hook (store/writer.h's writer_project_fn; ctx: struct exc_engine). */
enum werr exc_engine_project(void *ctx, struct store *st, const struct order_state *o, int64_t now);

struct exc_sweep;

enum werr exc_sweep_start(const struct exc_config *cfg, const char *store_url, struct writer *w,
			  struct exc_sweep **out, char *errbuf, size_t errcap);
/* One pass at now: refolds every due order through w; *n = orders refolded. */
enum werr exc_sweep_once(struct store *st, struct writer *w, int64_t now, size_t *n);
void exc_sweep_stop(struct exc_sweep *s);

#endif
