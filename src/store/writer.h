/*
 * writer.h - the one writer of a database, with group commit.
 *
 * Request threads hand over validated events in a writer_job and are told
 * when the job's transaction has committed; the writer thread takes every job
 * that is queued, commits them all in one transaction (one fsync for many
 * requests), refolds the orders they touched, and calls each job's done
 * callback.  A job is only reported done after its commit, so an answer sent
 * from the callback is durable.
 *
 * Jobs: the caller owns a job and everything it points to until done() has
 * been called; done() runs on the writer thread and must be quick (wake or
 * resume someone).  The writer fills seq/received_at of each accepted event,
 * duplicate[i] for each event, and job->result.
 *
 * Events from adapters may not name their order yet (adapters/adapter.h):
 * the writer resolves it, in the batch's transaction, from the job's aliases
 * and earlier ones, or from the package's tracking number; an event it
 * cannot resolve is parked (kept, parked[i] set) and applied in the batch in
 * which its reference or tracking number becomes known.  An event whose
 * status is unknown, that carries a source code and no detail (a code no
 * mapping table has, adapters/mapping.h) is counted in the unmapped-codes
 * table.  A job's raw body is kept with its events, unless every one of
 * them was a duplicate (store_raw_add/store_raw_drop).  A job with
 * reject_reason set stores its raw body
 * and the reason in the rejected list (and counts a "rejected" sync
 * failure), and no events; a job with failure_kind set only counts that
 * failure.  Every event appended in a batch gets visible_at, the time just
 * before the batch's COMMIT (docs/kpis.md).
 *
 * Back-pressure: writer_submit() refuses with WERR_BUSY (and does not take
 * the job) while the queue holds more than queue_max events; with
 * WERR_SHUTDOWN once writer_stop() has begun.
 *
 * Thread-safety: writer_submit, writer_stats and writer_submit_wait may be
 * called from any thread; writer_stop/writer_free from one.
 */
#ifndef WISMO_WRITER_H
#define WISMO_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../core/event.h"
#include "../core/policy.h"
#include "store.h"

/* One (source, code, raw payload) a remap corrected. */
struct remap_done {
	const char *source, *code;
	int64_t raw_id;
};

struct writer_job {
	/* input */
	const char *source;        /* raw payload's source (may be NULL: no raw kept) */
	const char *content_type;
	const void *raw;           /* the request body as received, or NULL */
	size_t rawlen;
	struct event *events;      /* keys set; the writer sets seq, received_at */
	size_t nevents;
	const struct store_alias *aliases; /* recorded under `source` */
	size_t naliases;
	const char *reject_reason; /* non-NULL: store the body as rejected */
	bool fetch_later;          /* store the raw body and a fetch job for it
	                              (store_fetch_put), no events: the body
	                              calls for a fetch the background fetcher
	                              makes (src/poll/fetcher.h) */
	const char *failure_kind;  /* non-NULL: only count a failed sync event of
	                              `source` (sync_failures: "signature",
	                              "fetch"); no raw body, no events */
	int64_t raw_id;            /* events read again from a body already stored
	                              (a remap): they point to it; raw is NULL */
	const struct remap_done *remapped; /* (source, code, raw) pairs a remap
	                              corrected, taken off the work list in the
	                              events' transaction (store_remap_done) */
	size_t nremapped;
	const char (*refold)[EV_ORDER_MAX + 1]; /* orders to refold with no new
	                              event (the exception sweep: a threshold
	                              passed), nrefold of them */
	size_t nrefold;
	int64_t received_at;
	void (*done)(struct writer_job *job); /* called on the writer thread */
	void *ctx;                 /* the caller's */
	/* output */
	bool *duplicate;           /* nevents entries, caller-allocated */
	bool *parked;              /* nevents entries or NULL */
	enum werr result;
	/* private */
	struct writer_job *next;
};

#define WRITER_HIST_BUCKETS 12

struct writer_stats {
	uint64_t commits;
	uint64_t jobs;
	uint64_t events;
	uint64_t failures;
	uint64_t pages_written;          /* database pages the commits wrote */
	size_t queue_events;             /* events waiting now */
	size_t queue_jobs;
	/* batch size (events per commit) histogram, upper bounds 1,2,4,...,2048,+Inf */
	uint64_t batch_hist[WRITER_HIST_BUCKETS];
	uint64_t batch_sum;
	/* commit latency histogram in ms, upper bounds 1,2,4,...,2048,+Inf */
	uint64_t latency_hist[WRITER_HIST_BUCKETS];
	double latency_sum_ms;
};

struct writer;

/* Opens its own store handle on url and starts the thread. */
enum werr writer_new(const char *url, const struct policy *pol, size_t queue_max, struct writer **out,
		     char *errbuf, size_t errcap);
enum werr writer_submit(struct writer *w, struct writer_job *job);
/* Submits and blocks until done (for the CLI and tests). */
enum werr writer_submit_wait(struct writer *w, struct writer_job *job);
void writer_stats(struct writer *w, struct writer_stats *out);
/* Refuses new jobs, commits every queued one, joins the thread. */
void writer_stop(struct writer *w);
void writer_free(struct writer *w);

/*
 * Consumers (added before the first job is submitted, by the wiring in
 * src/cli/serve.c; all run on the writer thread, in the order added):
 *  - a project hook is called inside the batch's transaction for every
 *    order the batch refolded, with its new state; it may write to st (the
 *    outbox, tasks); an error rolls the whole batch back and fails its jobs.
 *  - a commit listener is called after each successful commit with the
 *    distinct order numbers the batch refolded (live updates, the outbox
 *    worker); it must be quick.
 * WERR_TOO_LARGE past WRITER_LISTENERS_MAX of a kind.
 */
#define WRITER_LISTENERS_MAX 8
typedef enum werr (*writer_project_fn)(void *ctx, struct store *st, const struct order_state *o, int64_t now);
typedef void (*writer_commit_fn)(void *ctx, const char *const *orders, size_t n);
enum werr writer_add_project_hook(struct writer *w, writer_project_fn fn, void *ctx);
enum werr writer_add_commit_listener(struct writer *w, writer_commit_fn fn, void *ctx);

/*
 * Counts one failed sync of source (kind "signature", "fetch") through the
 * writer, without waiting (webhooks, the poller; docs/kpis.md).  Best
 * effort: when the writer is busy the failure is only logged.
 */
void writer_note_failure(struct writer *w, const char *source, const char *kind);

/*
 * Refolds one order from its events and writes its projection, inside the
 * caller's transaction.  Used by the writer and by rebuild.  When out is not
 * NULL it receives the folded state (initialised by the caller; release it
 * with order_release).
 */
enum werr project_order(struct store *st, const struct policy *pol, const char *order, struct order_state *out);
/* Recomputes every projection from the event log in one transaction; fn
 * (may be NULL) is called on each refolded order with now, as the project
 * hooks that keep projections of their own are (the exception engine). */
enum werr store_rebuild(struct store *st, const struct policy *pol, writer_project_fn fn, void *ctx, int64_t now,
			size_t *norders);

#endif
