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
 * Lanes: the hook looks up each parcel's lane (core/lanes.h) in the
 * engine's lane model - the stalled rhythm - and keeps the package_lanes
 * projection: every parcel a carrier took, its lane sample (the delivered
 * ones are what the model learns from) and its predicted delivery
 * (core/predict.h).  The sweep builds the model from the newest
 * EXC_LANE_SAMPLES deliveries when it starts and every
 * [exceptions] lanes_refresh_minutes; an order sees a new model at its
 * next refold or check (a parcel on its way is checked at least once per
 * rhythm).  Without a model (NULL lanes) every lane uses the defaults.
 *
 * Thread-safety: the engine is read-only once set up; its lane model is
 * swapped under a mutex; the hook runs on the writer thread; the sweep has
 * its own thread and store handle.
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
#define EXC_LANE_SAMPLES 100000

struct exc_lanes;

struct exc_engine {
	const struct exc_config *cfg;
	const struct policy *pol;
	struct exc_lanes *lanes; /* NULL: no lane model */
};

struct exc_lanes *exc_lanes_new(void);
void exc_lanes_free(struct exc_lanes *l);
/* Learns a new model from the newest EXC_LANE_SAMPLES deliveries in st
 * (working time per cal) and makes it current; *nsamples (may be NULL)
 * gets how many it read. */
enum werr exc_lanes_refresh(struct exc_lanes *l, struct store *st, const struct calendar *cal, size_t *nsamples);
/* What the current model knows of each package of o, into
 * stats[0..o->npackages) (l NULL: nothing, level -1). */
void exc_lanes_lookup(struct exc_lanes *l, const struct order_state *o, struct lane_stat *stats);

/* One carrier + service's answer for a lane (POST /v1/predictions). */
struct lane_quote {
	char carrier[EV_CARRIER_MAX + 1];
	char service[LANE_SERVICE_MAX + 1]; /* "" for the carrier as a whole */
	struct prediction pred;
};
/* For each carrier + service the model answers for (lanes_each_service;
 * only `where->carrier` when it is not ""), the prediction for a parcel
 * handed to the carrier at `shipped` on where's origin and destination;
 * at most cap into out, their number returned. */
size_t exc_lanes_quote(struct exc_lanes *l, const struct lane *where, const struct calendar *cal, int64_t shipped,
		       struct lane_quote *out, size_t cap);

/* Due time of a new task of priority p opened at `at`. */
int64_t exc_task_due(enum exc_priority p, int64_t at);

/* The project hook (store/writer.h's writer_project_fn; ctx: struct exc_engine). */
enum werr exc_engine_project(void *ctx, struct store *st, const struct order_state *o, int64_t now);

struct exc_sweep;

/* Starts the sweep for e (its config, calendar and lane model, which it
 * refreshes). */
enum werr exc_sweep_start(const struct exc_engine *e, const char *store_url, struct writer *w,
			  struct exc_sweep **out, char *errbuf, size_t errcap);
/* One pass at now: refolds every due order through w; *n = orders refolded. */
enum werr exc_sweep_once(struct store *st, struct writer *w, int64_t now, size_t *n);
void exc_sweep_stop(struct exc_sweep *s);

#endif
