/*
 * worker.h - the outbox worker: the thread that sends planned messages.
 *
 * The planner writes messages to the outbox in the same transaction as the
 * events that caused them (notify/rules); this thread takes them out:
 *
 *   loop:  claim due rows (store_outbox_claim, a lease of [outbox] lease s)
 *          for each: render it (render.h), check SMS consent and quiet
 *          hours, channel_send(), then finish it:
 *            accepted             -> sent (remote id kept)
 *            failed, retryable    -> pending at now + base * 2^(attempts-1),
 *                                    capped at [outbox] backoff_max
 *            failed for good, or
 *            attempts = max       -> dead (listed at /v1/outbox?state=dead)
 *            no SMS consent now   -> cancelled (never sent)
 *            quiet hours (SMS)    -> pending at the end of the quiet hours
 *          then waits for worker_wake() or [outbox] poll_ms, whichever
 *          comes first.
 *
 * At least once, deduplicated by the receiver: a process that dies after
 * claiming leaves its rows in "sending"; when their lease runs out any
 * worker claims them again, so a message planned before a crash is sent
 * after the restart.  If the crash came after the receiver accepted it but
 * before "sent" was written, it is sent twice with the same idempotency key
 * (Message-ID, X-Wismo-Event-Id, I-Twilio-Idempotency-Token), on which the
 * receiver drops the repeat (docs/channels.md).
 *
 * Store: the worker opens its own read-write handle on the store URL;
 * SQLite lets one writer at a time, and its busy timeout makes the worker
 * wait for the group-commit writer (and the reverse).  Transactions are a
 * claim or a finish, never held across a network call.
 *
 * Threads: worker_start/worker_stop from one thread; worker_wake from any
 * thread (it only signals), e.g. the writer's commit listener.
 */
#ifndef WISMO_WORKER_H
#define WISMO_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "notify_config.h"

struct worker;
struct zones;

struct worker_opts {
	const char *store_url;
	const struct notify_config *cfg; /* copied */
	const struct zones *zones;       /* may be NULL; must outlive the worker */
	const char *templates_override;  /* [notify] templates: found first; "" or NULL: none; copied */
};

/* Opens the worker's store and starts its thread. */
enum werr worker_start(const struct worker_opts *o, struct worker **out, char *errbuf, size_t errcap);
/* Look for due rows now (cheap; any thread). */
void worker_wake(struct worker *w);
/* A writer commit listener (writer.h, writer_commit_fn) that wakes ctx, a
 * struct worker; to chain after another listener. */
void worker_commit_listener(void *ctx, const char *const *orders, size_t n);
/* Finishes the message being sent, stops the thread and frees w (NULL is fine). */
void worker_stop(struct worker *w);

/* --- pure parts (unit-tested) --- */

/* The delay before the next attempt after `attempts` failed ones (>= 1):
 * base * 2^(attempts-1), capped at max; in milliseconds. */
int64_t worker_backoff_ms(const struct notify_worker_cfg *c, int attempts);
/* local_ms: a wall-clock time in the customer's zone read as UTC.  When its
 * hour falls within quiet hours [start, end) (wrapping past midnight when
 * start > end), the local time they end at; else 0.  start == end: never. */
int64_t worker_quiet_end(int start_h, int end_h, int64_t local_ms);
/* Whether an SMS for this milestone may go out in quiet hours
 * (out for delivery, a failed delivery attempt, an exception). */
bool worker_sms_urgent(const char *milestone);

#endif
