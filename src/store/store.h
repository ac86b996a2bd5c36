/*
 * store.h - the storage interface (DESIGN.md section 6).
 *
 * One interface, tables of function pointers grouped by concern (log,
 * orders, keys, sources, kpis, notify, settings, fetch, privacy: see struct store_ops
 * below), with one implementation per backend (store_sqlite*.c and
 * store_pg*.c, one file per concern), and one conformance suite
 * (tests/store/test_store*.c) that every backend must pass.
 *
 * What is stored:
 *  - events: append-only, unique by key; a repeated key is a duplicate and
 *    only bumps a counter in the duplicates table;
 *  - raw payloads: each distinct request body as received (one row per
 *    SHA-256 of source and body: a replay reuses the row), referenced by
 *    its events, purged after [retention] raw_days (docs/privacy.md);
 *  - projections: one row per order (status, updated_at, lookup fields and
 *    the order's JSON) and one per package; always recomputable from the
 *    events (store_clear_projections + refold = rebuild);
 *  - API keys: SHA-256 of the key, role, optional source;
 *  - what sources need (adapters/adapter.h): aliases (a source's reference
 *    -> order / package), parked events (waiting for their reference or
 *    tracking number to become known), unmapped codes (one row per source,
 *    carrier and code, counted) and rejected bodies (the reason and the raw
 *    payload's id).
 *
 * Threads: a struct store is used by one thread at a time.  Open one per
 * thread (readers) and exactly one for the writer; SQLite's WAL lets readers
 * run beside the writer.  Writes happen between store_begin() and
 * store_commit(); on any error inside, call store_rollback().
 *
 * Memory: functions that return strings or arrays allocate them; the caller
 * frees them with the matching *_free() or free().  Inputs are copied.
 * Errors: WERR_NOT_FOUND for a missing object, WERR_DB for a backend error
 * (the message is in store_errmsg()), WERR_BUSY when the database is locked
 * beyond the busy timeout.
 */
#ifndef WISMO_STORE_H
#define WISMO_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/buf.h"
#include "../base/err.h"
#include "../core/event.h"
#include "../core/kpi_ms.h"
#include "../core/lanes.h"
#include "../core/order.h"
#include "../core/outbox.h"
#include "../core/predict.h"

#define STORE_READONLY   1 /* open for reading only */
#define STORE_NO_MIGRATE 2 /* do not apply pending migrations on open */
#define STORE_CHECKPOINT_APART 4 /* this connection never copies its log into the
				    database itself (SQLite: wal_autocheckpoint=0):
				    another handle's store_checkpoint() does, off
				    the committing thread (the writer's checkpointer) */
#define STORE_KEEP_SNAPSHOT 8 /* with STORE_READONLY, SQLite: between
				 store_reader_enter() and _leave() of its thread,
				 reads share one snapshot while no commit of this
				 process happened since it began and for at most
				 STORE_SNAPSHOT_MAX_US; it stays open between uses
				 until then (a read transaction begun and ended per
				 read costs three system calls), and the backend
				 ends an unused one before each checkpoint.  A commit
				 of another process is seen at the latest
				 STORE_SNAPSHOT_MAX_US after it.  Other backends
				 ignore it (docs/performance.md, "Lookups") */
#define STORE_SNAPSHOT_MAX_US 1000

struct store;

struct order_row {
	char order[EV_ORDER_MAX + 1];
	char status[32];
	int64_t updated_at;
	char *json; /* the stored projection */
};

struct order_query {
	const char *status;    /* NULL: any */
	int64_t updated_since; /* 0: any; else updated_at >= this */
	const char *cursor;    /* NULL or "" for the first page */
	int limit;             /* 1..1000 */
};

struct order_page {
	size_t n;
	struct order_row *rows;
	char next_cursor[160]; /* "" when this is the last page */
};

struct dup_row {
	char key[EV_KEY_MAX + 1];
	char source[EV_SOURCE_MAX + 1];
	int64_t count;           /* repeats after the first delivery */
	int64_t first_received;
	int64_t last_received;
};

enum key_role { ROLE_ADMIN = 1, ROLE_INGEST = 2, ROLE_AGENT = 3 };

struct api_key {
	int64_t id;
	enum key_role role;
	char source[EV_SOURCE_MAX + 1]; /* ingest keys bound to one source, else "" */
	int64_t created_at;
	int64_t revoked_at; /* 0 while valid */
	char prefix[16];    /* first characters of the key, for people */
};

struct store_alias {
	char ref[EV_ID_MAX + 1];
	char order[EV_ORDER_MAX + 1];     /* "" when the source did not say */
	char package[EV_PACKAGE_MAX + 1];
	char carrier[EV_CARRIER_MAX + 1];
};

struct unmapped_row {
	char source[EV_SOURCE_MAX + 1];
	char carrier[EV_CARRIER_MAX + 1];
	char code[EV_CODE_MAX + 1];
	char description[EV_DESC_MAX + 1];
	int64_t count;
	int64_t first_seen, last_seen;
	int64_t sample_raw_id;   /* 0: none */
	char *sample_event;      /* the first such event's JSON; free with unmapped_rows_free */
};

/* A raw payload holding events of an unknown code (store_remap_pending). */
struct remap_row {
	int64_t raw_id;
	char source[EV_SOURCE_MAX + 1];
};

struct rejected_row {
	int64_t id;
	char source[EV_SOURCE_MAX + 1];
	char reason[256];
	int64_t received_at;
	int64_t raw_id;
};

/* A package the poller should ask its carrier about. */
struct poll_row {
	char tracking[EV_PACKAGE_MAX + 1];
	enum pkg_status status;
	int failures;            /* polls in a row that failed */
};

/* A parked event and the raw payload it came in. */
struct parked_event {
	struct event ev;
	int64_t raw_id;
};

/* ---- notifications ---- */
/* One planned message (docs/notifications.md).  state holds the name of an
 * enum outbox_state (core/outbox.h: the states, the diagram and the one
 * transition check the operations below apply). */
#define OUTBOX_KEY_MAX 64
struct outbox_row {
	int64_t id;
	char key[OUTBOX_KEY_MAX + 1];   /* unique: hex of sha256(order, milestone, channel, recipient) */
	char order[EV_ORDER_MAX + 1];
	char rule[64];
	char milestone[64];             /* "shipped", "package:1Z..:delivered", "exception:stalled" ... */
	char channel[16];               /* email, sms, webhook, ticket */
	char recipient[256];            /* address, phone, subscriber or team name */
	char template_name[64];
	char locale[16];
	char state[16];
	int attempts;
	int64_t created_at, next_at, sent_at;
	char last_error[256];
	char remote_id[128];            /* the receiver's id (SMTP queue id, SMS sid, ticket id) */
	char *view;                     /* the template view (JSON), captured when planned */
};
void outbox_rows_free(struct outbox_row *rows, size_t n);
/* A rule set through the API (docs/notifications.md); json NULL: deleted
 * (hides the configured or default rule of that name). */
struct rule_row {
	char name[64];
	char *json;
	int64_t updated_at;
};
void rule_rows_free(struct rule_row *rows, size_t n);
struct audit_row {
	int64_t id;
	int64_t at;
	char actor[64];
	char action[64];
	char subject[256];
	char *detail; /* JSON, may be NULL */
};
void audit_rows_free(struct audit_row *rows, size_t n);

/* ---- KPIs, agent view, streams ---- */
/* One event as the KPIs see it (store_kpi_events). */
struct kpi_event_row {
	char source[EV_SOURCE_MAX + 1];
	char carrier[EV_CARRIER_MAX + 1];
	enum ev_status status;
	bool has_package;
	int64_t occurred_at, received_at;
	int64_t visible_at; /* 0: not recorded (stored before migration 4) */
};

/* The timing columns of one order projection (store_kpi_orders). */
struct kpi_order_row {
	char order[EV_ORDER_MAX + 1];
	int64_t updated_at, placed_at, shipped_at, delivered_at, promised_by; /* 0: none */
	int conflicts;
	char carrier[EV_CARRIER_MAX + 1]; /* its parcels' carrier, "mixed" for several, "" none */
	char dest[EV_PLACE_MAX + 1];      /* the destination country, "" unknown */
};

struct sync_failure_row {
	char day[11]; /* YYYY-MM-DD, UTC */
	char source[EV_SOURCE_MAX + 1];
	char kind[16]; /* signature, rejected, fetch */
	int64_t count;
	int64_t last_at;
};

/* A package the carrier holds that has gone quiet (store_quiet_packages). */
struct quiet_row {
	char order[EV_ORDER_MAX + 1];
	char tracking[EV_PACKAGE_MAX + 1];
	char carrier[EV_CARRIER_MAX + 1];
	enum pkg_status status;
	int64_t status_at;
};

/* What store_event_meta gives per event of an order. */
struct event_meta {
	char key[EV_KEY_MAX + 1];
	int64_t raw_id;     /* 0: none */
	int64_t visible_at; /* 0: unknown */
};

/* Sizes of the dashboard's queues (store_web_counts). */
struct web_counts {
	int64_t conflicts, unmapped, rejected, quiet, failures;
};

/* ---- personal data ---- */
/* What an erasure changed (store_erase_order, store_erase_person add to it). */
struct erase_counts {
	int64_t events;   /* event bodies whose customer was removed */
	int64_t raws;     /* raw payloads deleted */
	int64_t outbox;   /* outbox rows whose recipient and view were removed */
	int64_t parked;   /* parked event bodies whose customer was removed */
	int64_t consent;  /* consent rows deleted */
	int64_t audit;    /* audit entries whose subject or detail named the person */
};

/* ---- exceptions and tasks (docs/exceptions.md) ---- */
/* One open exception of an order, as core/exceptions.h computed it. */
struct exception_row {
	char order[EV_ORDER_MAX + 1];
	char kind[32];
	char package[EV_PACKAGE_MAX + 1]; /* "" for the order itself */
	int64_t since;
	char reason[256];
	char basis[64];
	int64_t threshold;
};

/* A parcel a carrier took: its lane sample (delivered_at 0 while on its
 * way) and its prediction (likely 0: none; level -1: the carrier's). */
struct package_lane_row {
	char order[EV_ORDER_MAX + 1];
	char package[EV_PACKAGE_MAX + 1];
	struct lane_sample sample;
	struct prediction pred;
	int64_t best; /* predict_best(): the date the page shows, 0 none */
};

/* A task: states open -> acknowledged -> resolved (or open -> resolved). */
struct task_row {
	int64_t id;
	char order[EV_ORDER_MAX + 1];
	char kind[32];
	char package[EV_PACKAGE_MAX + 1];
	char team[16];
	char priority[8];
	char state[16];
	char assignee[64];        /* "" none */
	char reason[256];
	int64_t since;            /* the exception's */
	int64_t opened_at, due_at, acked_at, resolved_at; /* 0: not yet */
	char resolution[16];      /* "auto" (the exception closed) or "manual" */
	char note[512];
};

/* One task as the KPIs see it (store task_kpis). */
struct task_kpi_row {
	char kind[32];
	char team[16];
	bool live;                /* not resolved */
	int64_t opened_at, resolved_at, due_at; /* resolved_at 0: not resolved */
};

struct task_query {
	const char *state;        /* NULL: any; "live": open or acknowledged */
	const char *team, *kind, *order; /* NULL: any */
	int limit;                /* 1..1000 */
};

/*
 * The operations, one table per concern, so that a backend is written (and
 * reviewed) table by table and each concern's tables and statements live
 * in one file of their own (store_sqlite_<concern>.c for SQLite):
 *
 *   concern   table                   what                              tables (SQLite)
 *   log       struct store_log_ops    raw payloads, events, duplicates  raw_payloads, events, duplicates
 *   orders    struct store_order_ops  projections and their lookups     orders, packages
 *   keys      struct store_key_ops    API keys                          api_keys
 *   sources   struct store_source_ops aliases, parked events, unmapped  aliases, parked, unmapped,
 *                                     codes, rejected bodies, polls     rejected, polls
 *   kpis      struct store_kpi_ops    KPI rows, failure counters,       sync_failures (+ reads of
 *                                     the dashboard's queues            events, orders, packages)
 *   notify    struct store_notify_ops outbox, consent, audit, tickets,  outbox, consent, audit_log,
 *                                     rules                             tickets, rules
 *   settings  struct store_setting_ops named values made on first use   settings
 *   fetch     struct store_fetch_ops  webhook bodies waiting for the    fetch_jobs
 *                                     fetch they call for
 *   privacy   struct store_privacy_ops retention purge, erasure         (rows of raw_payloads, events,
 *                                                                      parked, unmapped, outbox, consent,
 *                                                                      audit_log)
 *   exceptions struct store_exception_ops open exceptions, next checks, order_exceptions,
 *                                     lane samples and predictions,     exception_checks,
 *                                     tasks                             package_lanes, tasks
 *   parcels   struct store_parcel_ops who owns each tracking number     parcel_owners, parcel_claims
 *   milestones struct store_milestone_ops the time spent in each of the  order_milestones
 *                                     shop's milestones
 *   peers     struct store_peer_ops   what several nodes need: change   (none)
 *                                     announcements, leases
 *
 * struct store_ops holds the connection's own operations (close, migrate,
 * transactions) and one pointer per table; none may be NULL.  Callers do
 * not see the tables: they call the store_xxx() wrappers at the end of this
 * file.
 */

/* log: the append-only event log and what came with each event. */
struct store_log_ops {
	/* Copies what the log (SQLite: the WAL) holds into the database without
	 * waiting for readers or the writer (a passive checkpoint); *logged
	 * (may be NULL) gets the number of pages the log holds.  With rewind,
	 * it instead waits a moment for the writer's transaction and the
	 * readers, copies all, and so lets the next write start the log over
	 * (SQLite: RESTART): under a steady stream of commits a passive copy
	 * never catches up with the end, and the log would grow without bound.
	 * A wait that times out is not an error (the next call tries again). */
	enum werr (*checkpoint)(struct store *st, bool rewind, int64_t *logged);
	/* Database pages this handle has written since it was opened (SQLite:
	 * pages appended to the WAL), for the writer's write amplification. */
	uint64_t (*pages_written)(struct store *st);
	enum werr (*put_raw)(struct store *st, const char *source, const char *content_type,
			     const void *body, size_t len, int64_t received_at, int64_t *raw_id);
	/* Stores a body that brought events, without its digest: their keys
	 * dedupe it, and a body whose events all turn out to be duplicates is
	 * taken back with raw_drop() in the same transaction (docs/privacy.md).
	 * put_raw() keeps the bodies without events once per digest. */
	enum werr (*raw_add)(struct store *st, const char *source, const char *content_type,
			     const void *body, size_t len, int64_t received_at, int64_t *raw_id);
	enum werr (*raw_drop)(struct store *st, int64_t raw_id);
	/* A raw payload: its content type and body (appended to body). */
	enum werr (*raw_get)(struct store *st, int64_t id, char content_type[128], struct buf *body);
	/* Inserts ev (its key, source, order, ... and event_to_json(with_meta)).
	 * Sets ev->seq on insert.  When the key exists: *duplicate = true, the
	 * duplicates row is created or bumped, and nothing else changes. */
	enum werr (*append_event)(struct store *st, struct event *ev, int64_t raw_id, bool *duplicate);
	/* A hint, in a transaction, before appending events with these keys:
	 * the backend may learn at once which of them the log holds, so that
	 * each append_event need not wait for its own answer (PostgreSQL: one
	 * statement for a whole job instead of one wait per event).  Changes
	 * no answer; SQLite has nothing to learn. */
	enum werr (*append_hint)(struct store *st, const char *const *keys, size_t n);
	/* A hint, in a transaction, before refolding these orders (the writer
	 * reads each one's events before seq `before`, and its packages, lanes,
	 * exceptions and tasks): the backend may learn at once which of them
	 * have none, so that those reads need not wait (PostgreSQL: one
	 * statement for the batch instead of a wait per order and table).
	 * Changes no answer; SQLite has nothing to learn.  Every other row
	 * asked about is a projection of the order's events, written by a
	 * refold of the order (or the exception engine's pass over it) in the
	 * transaction that added them or later, and events are never deleted:
	 * an order with no events before `before` has none of those rows
	 * either, unless this transaction wrote them before the hint. */
	enum werr (*refold_hint)(struct store *st, const char *const *orders, size_t n, int64_t before);
	/* The events of one order with seq < before, in seq order: all of them
	 * through store_order_events(); the writer has the newer ones of its
	 * batch in memory.  Free with event_array_free(). */
	enum werr (*order_events)(struct store *st, const char *order, int64_t before, struct event **evs,
				  size_t *n);
	enum werr (*order_duplicates)(struct store *st, const char *order, struct dup_row **rows, size_t *n);
	/* Calls fn for every distinct order number in the event log. */
	enum werr (*each_order)(struct store *st, enum werr (*fn)(const char *order, void *ctx), void *ctx);
	/* Counts for /metrics and tests. */
	enum werr (*count_events)(struct store *st, int64_t *events, int64_t *duplicates);
	/* Sets visible_at = at on every event with seq >= first_seq (the
	 * writer, just before its COMMIT). */
	enum werr (*mark_visible)(struct store *st, int64_t first_seq, int64_t at);
	/* raw_id and visible_at of each event of an order (free()). */
	enum werr (*event_meta)(struct store *st, const char *order, struct event_meta **rows, size_t *n);
};

/* orders: the projections (always recomputable from the log). */
struct store_order_ops {
	/* Replaces the projection rows of one order (order + its packages). */
	enum werr (*put_order)(struct store *st, const struct order_state *o, const char *json);
	enum werr (*get_order)(struct store *st, const char *order, char **json);
	/* Order number of the order owning this tracking number (docs/parcels.md),
	 * else of the package row holding it. */
	enum werr (*find_package)(struct store *st, const char *tracking, char order[EV_ORDER_MAX + 1]);
	enum werr (*list_orders)(struct store *st, const struct order_query *q, struct order_page *page);
	enum werr (*clear_projections)(struct store *st);
	/* Writes every projection row in a canonical order, for comparison. */
	enum werr (*dump_projections)(struct store *st, struct buf *out);
	/* The lookup fields of one order (as received; "" when unknown), or
	 * WERR_NOT_FOUND.  For the customer lookup, whose timing must not tell
	 * whether an order exists: both outcomes do the same reads (an unknown
	 * order reads another order's row as a decoy; its values are then
	 * returned in email/postal with WERR_NOT_FOUND, for the caller to
	 * compare and discard, so the comparisons match too), and the order's
	 * JSON is never read. */
	enum werr (*order_contact)(struct store *st, const char *order, char email[EV_EMAIL_MAX + 1],
				   char postal[EV_POSTAL_MAX + 1]);
	/* Orders whose customer email is email (case-insensitive), newest first
	 * (order_rows_free). */
	enum werr (*orders_by_email)(struct store *st, const char *email, int limit, struct order_row **rows,
				     size_t *n);
	/* Orders with an open conflict, newest first (order_rows_free). */
	enum werr (*conflict_orders)(struct store *st, int limit, struct order_row **rows, size_t *n);
};

/* keys: API keys, stored by hash. */
struct store_key_ops {
	enum werr (*key_put)(struct store *st, const char *hash, const struct api_key *k, int64_t *id);
	/* A valid (not revoked) key by hash, or WERR_NOT_FOUND. */
	enum werr (*key_find)(struct store *st, const char *hash, struct api_key *out);
	enum werr (*key_list)(struct store *st, struct api_key **keys, size_t *n);
	enum werr (*key_revoke)(struct store *st, int64_t id, int64_t at);
};

/* sources: what the adapters and the poller keep about their sources. */
struct store_source_ops {
	/* Records (source, ref) -> order/package/carrier; a later call fills or
	 * changes fields but never blanks one. */
	enum werr (*alias_put)(struct store *st, const char *source, const struct store_alias *a, int64_t at);
	enum werr (*alias_find)(struct store *st, const char *source, const char *ref, struct store_alias *out);
	/* Keeps an event whose order is not known yet (its key set).  A key
	 * parked before: *duplicate = true. */
	enum werr (*park_event)(struct store *st, const struct event *ev, int64_t raw_id, bool *duplicate);
	/* Removes and returns the events parked for this package or this
	 * (source, ref); either may be NULL.  Free with parked_events_free(). */
	enum werr (*unpark)(struct store *st, const char *package, const char *source, const char *ref,
			    struct parked_event **out, size_t *n);
	/* Counts one event whose code no table maps (ev->status unknown). */
	enum werr (*unmapped_bump)(struct store *st, const struct event *ev, int64_t raw_id);
	enum werr (*unmapped_list)(struct store *st, int limit, struct unmapped_row **rows, size_t *n);
	/* Remapping (docs/adapters.md): the raw payloads holding unmapped
	 * events of source and code (either NULL: any), raw id after after, in
	 * raw id order, at most limit (free()); the unknown events of one raw
	 * payload no correction supersedes yet (event_array_free); and, in the writer's transaction, the
	 * (source, code, raw) done - the unmapped row of (source, code) goes
	 * with its last raw payload. */
	enum werr (*remap_pending)(struct store *st, const char *source, const char *code, int64_t after, int limit,
				   struct remap_row **rows, size_t *n);
	enum werr (*raw_unknown_events)(struct store *st, int64_t raw_id, struct event **evs, size_t *n);
	enum werr (*remap_done)(struct store *st, const char *source, const char *code, int64_t raw_id);
	enum werr (*reject_put)(struct store *st, const char *source, const char *reason, int64_t raw_id,
				int64_t at);
	/* Newest first; source NULL for all. */
	enum werr (*rejected_list)(struct store *st, const char *source, int limit, struct rejected_row **rows,
				   size_t *n);
	/* Packages of carrier that are not final and due at now (never polled
	 * first, then by their next time); free *rows with free(). */
	enum werr (*poll_due)(struct store *st, const char *carrier, int64_t now, int limit, struct poll_row **rows,
			      size_t *n);
	enum werr (*poll_done)(struct store *st, const char *tracking, int64_t next_at, int failures, int64_t at);
};

/* kpis: plain rows for core/kpi.c (no arithmetic in the backend), the
 * failure counters, and the dashboard's queues. */
struct store_kpi_ops {
	/* Adds n to the failures of (UTC day of at, source, kind). */
	enum werr (*sync_failure_bump)(struct store *st, const char *source, const char *kind, int64_t n, int64_t at);
	/* Failure counts of the days that overlap [from, to), by day, source, kind. */
	enum werr (*sync_failures)(struct store *st, int64_t from, int64_t to, struct sync_failure_row **rows,
				  size_t *n);
	/* Events received in [from, to), in seq order (free()). */
	enum werr (*kpi_events)(struct store *st, int64_t from, int64_t to, struct kpi_event_row **rows, size_t *n);
	/* Orders updated, shipped or delivered in [from, to) (free()). */
	enum werr (*kpi_orders)(struct store *st, int64_t from, int64_t to, struct kpi_order_row **rows, size_t *n);
	/* Packages in a carrier-held status whose deciding event is older than
	 * before, oldest first (free()). */
	enum werr (*quiet_packages)(struct store *st, int64_t before, int limit, struct quiet_row **rows, size_t *n);
	/* Queue sizes: quiet as above, failures since failures_since. */
	enum werr (*web_counts)(struct store *st, int64_t quiet_before, int64_t failures_since, struct web_counts *out);
};

/* notify: notifications (docs/notifications.md).  Every state change of an
 * outbox row is a move of core/outbox.h's table; any other is refused
 * (WERR_INVALID for a state no such operation can set, WERR_EXISTS for a
 * row in a state it cannot leave that way). */
struct store_notify_ops {
	/* Inserts a planned message (a plan move: state review, pending or
	 * cancelled); a row with the same key exists: *dup = true and nothing
	 * changes.  Sets row->id. */
	enum werr (*outbox_put)(struct store *st, struct outbox_row *row, bool *dup);
	/* Claims up to limit rows in state pending with next_at <= now (and rows
	 * left in sending whose lease ran out: a worker that died), sets them to
	 * sending with lease_until, attempts + 1, and returns them (oldest
	 * first).  Free with outbox_rows_free(). */
	enum werr (*outbox_claim)(struct store *st, int64_t now, int64_t lease_until, int limit,
				  struct outbox_row **rows, size_t *n);
	/* Ends an attempt: state "sent" (sent_at = at, remote_id), "pending"
	 * (retry at next_at, error kept) or "dead" (error kept). */
	enum werr (*outbox_finish)(struct store *st, int64_t id, const char *state, int64_t next_at,
				   const char *error, const char *remote_id, int64_t at);
	/* Rows in a state (NULL: any), newest first. */
	enum werr (*outbox_list)(struct store *st, const char *state, const char *order, int limit,
				 struct outbox_row **rows, size_t *n);
	enum werr (*outbox_get)(struct store *st, int64_t id, struct outbox_row *out);
	/* dead or review -> pending at `at` (attempts reset); review or pending
	 * -> cancelled (a rejected review, or the worker's cancel). */
	enum werr (*outbox_set_state)(struct store *st, int64_t id, const char *state, int64_t at);
	/* SMS consent of a phone number (E.164): *opted_in, and when; WERR_NOT_FOUND if never recorded. */
	enum werr (*consent_get)(struct store *st, const char *phone, bool *opted_in, int64_t *at);
	enum werr (*consent_put)(struct store *st, const char *phone, bool opted_in, const char *source, int64_t at);
	/* Whether a consent change for phone was already recorded from the
	 * inbound message message_id (the provider's id, kept in the audit
	 * entry's detail as "message_sid"): WERR_OK if so, WERR_NOT_FOUND if not.
	 * Reads the audit log, which has no index for it: a scan. */
	enum werr (*consent_message_seen)(struct store *st, const char *phone, const char *message_id);
	/* Audit log: who (key prefix or "config"), what ("rule.update", "consent.sms_opt_out" ...), detail JSON. */
	enum werr (*audit_put)(struct store *st, const char *actor, const char *action, const char *subject,
			       const char *detail_json, int64_t at);
	/* Audit entries, newest first, id < before_id (0: from the newest). */
	enum werr (*audit_list)(struct store *st, int64_t before_id, int limit, struct audit_row **rows, size_t *n);
	/* The help-desk ticket opened for an order (ticket id), or WERR_NOT_FOUND. */
	enum werr (*ticket_get)(struct store *st, const char *order, char ticket_id[128], char state[16]);
	enum werr (*ticket_put)(struct store *st, const char *order, const char *ticket_id, const char *state, int64_t at);
	/* Rules stored through the API, by name; json NULL records a deletion. */
	enum werr (*rule_put)(struct store *st, const char *name, const char *json, int64_t at);
	enum werr (*rule_list)(struct store *st, struct rule_row **rows, size_t *n);
};

/* settings: named values the server makes itself (the link secret). */
struct store_setting_ops {
	/* The value of setting name; when there is none yet, stores proposed
	 * (needs a writable store) and returns it.  Whoever stores first wins,
	 * so concurrent callers all get the same value. */
	enum werr (*setting_get_or_create)(struct store *st, const char *name, const char *proposed,
					   char *value, size_t cap);
};

/*
 * fetch: webhook bodies that call for a fetch (ShipStation's resource_url),
 * done by the background fetcher (src/poll/fetcher.h).  A job is put by the
 * writer in the transaction that stores its raw payload, so an acknowledged
 * body always has its job.  States:
 *
 *   pending --fetched, events committed--> (deleted)
 *      |  \--failed: attempts + 1, next_at later--> pending
 *      \----given up after the last attempt--> failed (kept)
 */
struct fetch_row {
	int64_t id;
	char source[EV_SOURCE_MAX + 1];
	int64_t raw_id;
	int64_t received_at;
	int attempts;            /* fetches tried so far, all failed */
};

struct store_fetch_ops {
	/* A pending job for raw payload raw_id, due at once. */
	enum werr (*fetch_put)(struct store *st, const char *source, int64_t raw_id, int64_t received_at);
	/* Pending jobs due at now (next_at <= now), oldest first, at most
	 * limit.  Free rows with free(). */
	enum werr (*fetch_due)(struct store *st, int64_t now, int limit, struct fetch_row **rows, size_t *n);
	/* A failed attempt: attempts and next_at set, the error kept. */
	enum werr (*fetch_retry)(struct store *st, int64_t id, int attempts, int64_t next_at, const char *error);
	/* The job is over: deleted when failed is false, else kept as 'failed'
	 * with its error.  WERR_NOT_FOUND when no pending job has this id. */
	enum werr (*fetch_finish)(struct store *st, int64_t id, bool failed, const char *error, int64_t at);
	/* Jobs in each state, for tests and the operator's checks. */
	enum werr (*fetch_counts)(struct store *st, int64_t *pending, int64_t *failed);
};

/* privacy: retention and erasure (docs/privacy.md).  Erasure removes the
 * person, not the facts: an event keeps its key, order, package, status
 * and times (so the log still rebuilds), only its "customer" object goes;
 * the caller refolds the orders afterwards (project_order), so the
 * projections lose the person too. */
struct store_privacy_ops {
	/* Deletes up to limit raw payloads received before `before`, oldest
	 * first; *n = rows deleted (fewer than limit: nothing older is left).
	 * Events keep their raw_id; reading a purged one gives WERR_NOT_FOUND. */
	enum werr (*raw_purge)(struct store *st, int64_t before, int limit, int64_t *n);
	/* The orders whose events name this customer email (case-insensitive)
	 * or phone ("" for either: not searched), by order number (free()).
	 * Reads every event body: an erasure is rare, an index on personal
	 * data would be one more copy of it. */
	enum werr (*person_orders)(struct store *st, const char *email, const char *phone,
				   char (**orders)[EV_ORDER_MAX + 1], size_t *n);
	/* Removes the customer from every event of order, deletes the raw
	 * payloads its events came in, and removes the recipient and view of
	 * its outbox rows (pending ones are cancelled, review ones rejected;
	 * a row being sent is left to finish). */
	enum werr (*erase_order)(struct store *st, const char *order, int64_t at, struct erase_counts *c);
	/* Removes the person's email and phone ("" for either: none) where
	 * they appear outside an order's events: consent, raw payloads that
	 * contain them, parked events, unmapped-code samples, outbox rows
	 * addressed to them, audit entries. */
	enum werr (*erase_person)(struct store *st, const char *email, const char *phone, int64_t at,
				  struct erase_counts *c);
};

/* exceptions: the engine's projection and the tasks it opens. */
struct store_exception_ops {
	/* Replaces the open exceptions of order with rows[0..n) (rows NULL:
	 * leaves them as they are) and its next check with next_at (0: none). */
	enum werr (*exc_put)(struct store *st, const char *order, const struct exception_row *rows, size_t n,
			     int64_t next_at);
	/* The open exceptions of order (NULL: of every order, newest first, at
	 * most limit), free(). */
	enum werr (*exc_list)(struct store *st, const char *order, int limit, struct exception_row **rows,
			      size_t *n);
	/* Orders whose next check is at or before now, soonest first (free()). */
	enum werr (*exc_due)(struct store *st, int64_t now, int limit, char (**orders)[EV_ORDER_MAX + 1],
			     size_t *n);
	/* Replaces the package_lanes rows of order with rows[0..n). */
	enum werr (*lane_put)(struct store *st, const char *order, const struct package_lane_row *rows, size_t n);
	/* The package_lanes rows of order (free()). */
	enum werr (*lane_list)(struct store *st, const char *order, struct package_lane_row **rows, size_t *n);
	/* The lane samples of the newest `limit` deliveries (free()). */
	enum werr (*lane_samples)(struct store *st, int limit, struct lane_sample **out, size_t *n);
	/* Inserts a task (state open) and sets row->id; when a task not yet
	 * resolved exists for (order, kind, package): *exists = true, row->id
	 * is that task's and nothing changes. */
	enum werr (*task_open)(struct store *st, struct task_row *row, bool *exists);
	/* Tasks matching q, by due time then id (free()). */
	enum werr (*task_list)(struct store *st, const struct task_query *q, struct task_row **rows, size_t *n);
	enum werr (*task_get)(struct store *st, int64_t id, struct task_row *out);
	/* Writes the mutable fields of row (state, assignee, priority, due_at,
	 * acked_at, resolved_at, resolution, note) to task row->id. */
	enum werr (*task_update)(struct store *st, const struct task_row *row);
	/* The tasks opened or resolved in [from, to), and every live one
	 * (free()). */
	enum werr (*task_kpis)(struct store *st, int64_t from, int64_t to, struct task_kpi_row **rows, size_t *n);
};

/* A return, as the returns projection lists it (docs/returns.md). */
struct return_row {
	char id[EV_RETURN_ID_MAX + 1];
	char order[EV_ORDER_MAX + 1];
	char state[24];
	char reason[EV_REASON_MAX + 1];
	char disposition[EV_DISPOSITION_MAX + 1];
	int64_t requested_at, received_at, resolved_at, updated_at; /* 0: not yet */
};

/* Each filter NULL: any.  state "live": neither resolved, closed, rejected
 * nor cancelled. */
struct return_query {
	const char *id;
	const char *state;
	const char *reason;
	int limit;
};

/* returns: the projection of the orders' returns. */
struct store_return_ops {
	/* Returns matching q, the latest changed first (free()). */
	enum werr (*ret_list)(struct store *st, const struct return_query *q, struct return_row **rows, size_t *n);
	/* The returns requested, received or resolved in [from, to), and every
	 * live one (free()). */
	enum werr (*ret_kpis)(struct store *st, int64_t from, int64_t to, struct return_row **rows, size_t *n);
};

/* A customer's help-desk ticket (docs/helpdesk.md, core/ticket.h). */
struct ticket_row {
	char ticket_id[64];
	char order[EV_ORDER_MAX + 1];   /* "" when no order or several matched */
	char matched[16];               /* "field", "text", "email", "ambiguous", "none" */
	char status[16];                /* the help desk's: new, open, pending, solved, closed */
	char cause[16];                 /* core/ticket.h, at the moment it was opened */
	char link[80];
	char carrier[EV_CARRIER_MAX + 1]; /* of the order's parcels then, "" none, "mixed" several */
	int64_t opened_at, updated_at;
	int64_t noted_at;               /* the last change note planned, 0 none */
};

/* tickets: the help desk's word on its tickets. */
struct store_ticket_ops {
	/* Inserts or updates (status, updated_at; the order, match and cause
	 * only while no order was matched) ticket row->ticket_id; *created says
	 * whether it was new. */
	enum werr (*tk_put)(struct store *st, const struct ticket_row *row, bool *created);
	enum werr (*tk_get)(struct store *st, const char *ticket_id, struct ticket_row *out);
	/* The order whose task ticket (the one wismo opened, store_ticket_get)
	 * is ticket_id, or WERR_NOT_FOUND. */
	enum werr (*tk_own)(struct store *st, const char *ticket_id, char order[EV_ORDER_MAX + 1]);
	/* The first time order's tracking page was opened (kept once). */
	enum werr (*open_put)(struct store *st, const char *order, int64_t at);
	/* Orders delivered in [from, to), and how many of them had their
	 * tracking page opened. */
	enum werr (*open_counts)(struct store *st, int64_t from, int64_t to, int64_t *delivered, int64_t *opened);
	/* Records that a change note was planned on the ticket at at. */
	enum werr (*tk_noted)(struct store *st, const char *ticket_id, int64_t at);
	/* The tickets of order, newest first (free()). */
	enum werr (*tk_list)(struct store *st, const char *order, struct ticket_row **rows, size_t *n);
	/* The tickets opened in [from, to) (free()). */
	enum werr (*tk_kpis)(struct store *st, int64_t from, int64_t to, struct ticket_row **rows, size_t *n);
};

/* milestones: the time orders spend in each of the shop's milestones
 * (core/kpi_ms.h, docs/kpis.md "Milestones").  A projection: the writer's
 * hook (store/milestone_times.h) writes it, store_clear_projections()
 * empties it and store_rebuild() with the hook refills it. */
struct store_milestone_ops {
	/* Replaces the rows of order with rows[0..n) (each naming order; n 0:
	 * deletes them). */
	enum werr (*ms_put)(struct store *st, const char *order, const struct kpi_ms_row *rows, size_t n);
	/* The rows that left in [from, to), and every current one (free()). */
	enum werr (*ms_kpis)(struct store *st, int64_t from, int64_t to, struct kpi_ms_row **rows, size_t *n);
};

/* parcels: who owns each tracking number (core/parcels.h, docs/parcels.md).
 * A projection of the log in log order: the writer writes it as it appends,
 * store_clear_projections() empties it and store_rebuild() replays it. */
struct store_parcel_ops {
	/* The owner of tracking, or WERR_NOT_FOUND. */
	enum werr (*parcel_owner)(struct store *st, const char *tracking, struct parcel_owner *out);
	/* A hint, in a transaction, before the writer asks the owners of these
	 * tracking numbers: the backend may read them all at once (PostgreSQL:
	 * one statement for a batch).  Changes no answer; SQLite does nothing. */
	enum werr (*owner_hint)(struct store *st, const char *const *trackings, size_t n);
	/* Records decision d of parcel_decide() for e (prev: the owner before,
	 * NULL when none; next: the owner after).  *orders (free(); NULL when
	 * *n is 0) gets the other orders whose parcel facts it changed. */
	enum werr (*parcel_note)(struct store *st, enum parcel_decision d, const struct event *e,
				 const struct parcel_owner *prev, const struct parcel_owner *next,
				 char (**orders)[EV_ORDER_MAX + 1], size_t *n);
	/* What the fold of order must know about its parcels, by role then
	 * tracking number (free()). */
	enum werr (*parcel_facts)(struct store *st, const char *order, struct parcel_fact **out, size_t *n);
	/* Calls fn, in log order, for every logged event that names a parcel,
	 * with the fields ownership reads (seq, key, source, order, package,
	 * status, occurred_at, received_at; the rest empty).  fn may write. */
	enum werr (*parcel_each_attach)(struct store *st, enum werr (*fn)(const struct event *e, void *ctx),
					void *ctx);
};

/* peers: what several nodes on one database need of it (docs/scale-out.md).
 * SQLite serves one node: announce does nothing, listen is unsupported and
 * every lease is held. */
struct store_peer_ops {
	/* In the caller's transaction: tells the other nodes' listeners, when it
	 * commits, that these orders changed (PostgreSQL: NOTIFY, delivered only
	 * if and when the transaction commits). */
	enum werr (*announce)(struct store *st, const char *const *orders, size_t n);
	/* Waits up to timeout_ms for other processes' announcements on this
	 * handle (its own session; never inside a transaction) and calls fn with
	 * each one's orders; a process never hears its own.  WERR_OK after a
	 * timeout too; WERR_UNSUPPORTED when the backend has no other nodes. */
	enum werr (*listen)(struct store *st, int timeout_ms,
			    void (*fn)(void *ctx, const char *const *orders, size_t n), void *ctx);
	/* Takes or keeps the lease `name` for this handle's session: *held says
	 * whether this handle holds it now.  At most one handle holds a lease; it
	 * is released when the handle closes or its connection ends (a node that
	 * dies loses it as soon as the server sees the connection go).  The one
	 * node of SQLite always holds it. */
	enum werr (*lease)(struct store *st, const char *name, bool *held);
};

struct store_ops {
	const char *name;
	void (*close)(struct store *st);
	enum werr (*migrate)(struct store *st, int *from, int *to);
	enum werr (*begin)(struct store *st);
	enum werr (*commit)(struct store *st);
	enum werr (*rollback)(struct store *st);
	const struct store_log_ops *log;
	const struct store_order_ops *orders;
	const struct store_key_ops *keys;
	const struct store_source_ops *sources;
	const struct store_kpi_ops *kpis;
	const struct store_notify_ops *notify;
	const struct store_setting_ops *settings;
	const struct store_fetch_ops *fetch;
	const struct store_privacy_ops *privacy;
	const struct store_exception_ops *exceptions;
	const struct store_return_ops *returns;
	const struct store_ticket_ops *tickets;
	const struct store_parcel_ops *parcels;
	const struct store_peer_ops *peers;
	const struct store_milestone_ops *milestones;
	/* STORE_KEEP_SNAPSHOT's use marks; NULL where it means nothing */
	void (*reader_enter)(struct store *st);
	void (*reader_leave)(struct store *st);
};

/* Every backend's struct starts with this. */
struct store {
	const struct store_ops *ops;
	char errmsg[256];
};

/*
 * Opens a store from a URL: "sqlite:PATH" (PATH may be relative) or a
 * PostgreSQL connection URI "postgres://user:pass@host:port/db?..." (never
 * echoed in messages: it may hold a password).  Applies
 * pending migrations unless STORE_NO_MIGRATE or STORE_READONLY.  On failure
 * returns an error, *out is NULL and errbuf (if not NULL) says why.
 */
enum werr store_open(const char *url, int flags, struct store **out, char *errbuf, size_t errcap);
void store_close(struct store *st);
/* url as people may see it (a log line, a banner): a PostgreSQL URI's
 * password (user:PASSWORD@ and password=...) replaced with "***". */
void store_url_display(const char *url, char *out, size_t cap);
const char *store_errmsg(const struct store *st);

/* The latest schema version this build knows. */
int store_schema_version(void);

/*
 * Folds evs[0..n) (all of one order, as store_order_events gives them) into
 * o with order_fold_parcels() and the store's parcel facts for that order
 * (docs/parcels.md): every reader that folds an order from the log folds it
 * this way, so it sees what the projection shows.  Errors: the store's, or
 * order_fold's.
 */
enum werr store_fold(struct store *st, const struct policy *pol, const struct event *evs, size_t n,
		     struct order_state *o, enum ev_outcome *outcomes);

void event_array_free(struct event *evs, size_t n);
void order_page_release(struct order_page *page);
void parked_events_free(struct parked_event *p, size_t n);
void unmapped_rows_free(struct unmapped_row *rows, size_t n);
void order_rows_free(struct order_row *rows, size_t n);

const char *key_role_name(enum key_role r);
int key_role_from_name(const char *name);

/* Backends. */
enum werr store_sqlite_open(const char *path, int flags, struct store **out, char *errbuf, size_t errcap);
/* url: a libpq connection URI (postgres://...); built when libpq was found. */
enum werr store_pg_open(const char *url, int flags, struct store **out, char *errbuf, size_t errcap);

/* The wrappers every caller uses: store_begin(st) rather than
 * st->ops->begin(st), store_append_event(st, ...) rather than
 * st->ops->log->append_event(st, ...).  Same names and arguments as the
 * operations above. */
#define store_migrate(st, a, b)        ((st)->ops->migrate((st), (a), (b)))
#define store_begin(st)                ((st)->ops->begin(st))
#define store_commit(st)               ((st)->ops->commit(st))
#define store_rollback(st)             ((st)->ops->rollback(st))
/* The thread that owns a STORE_KEEP_SNAPSHOT handle uses it only between
 * the two (not nested); outside them the handle's kept snapshot may be
 * ended by another thread (the backend's checkpoint).  No-ops elsewhere. */
#define store_reader_enter(st)         ((st)->ops->reader_enter ? (st)->ops->reader_enter(st) : (void)0)
#define store_reader_leave(st)         ((st)->ops->reader_leave ? (st)->ops->reader_leave(st) : (void)0)
/* log */
#define store_put_raw(st, ...)         ((st)->ops->log->put_raw((st), __VA_ARGS__))
#define store_checkpoint(st, ...)      ((st)->ops->log->checkpoint((st), __VA_ARGS__))
#define store_pages_written(st)        ((st)->ops->log->pages_written((st)))
#define store_raw_add(st, ...)         ((st)->ops->log->raw_add((st), __VA_ARGS__))
#define store_raw_drop(st, ...)        ((st)->ops->log->raw_drop((st), __VA_ARGS__))
#define store_raw_get(st, ...)         ((st)->ops->log->raw_get((st), __VA_ARGS__))
#define store_append_event(st, ...)    ((st)->ops->log->append_event((st), __VA_ARGS__))
#define store_append_hint(st, ...)     ((st)->ops->log->append_hint((st), __VA_ARGS__))
#define store_refold_hint(st, ...)     ((st)->ops->log->refold_hint((st), __VA_ARGS__))
#define store_order_events(st, order, evs, n) ((st)->ops->log->order_events((st), (order), INT64_MAX, (evs), (n)))
#define store_order_events_before(st, ...) ((st)->ops->log->order_events((st), __VA_ARGS__))
#define store_order_duplicates(st, ...) ((st)->ops->log->order_duplicates((st), __VA_ARGS__))
#define store_each_order(st, ...)      ((st)->ops->log->each_order((st), __VA_ARGS__))
#define store_count_events(st, ...)    ((st)->ops->log->count_events((st), __VA_ARGS__))
#define store_mark_visible(st, ...)    ((st)->ops->log->mark_visible((st), __VA_ARGS__))
#define store_event_meta(st, ...)      ((st)->ops->log->event_meta((st), __VA_ARGS__))
/* orders */
#define store_put_order(st, ...)       ((st)->ops->orders->put_order((st), __VA_ARGS__))
#define store_get_order(st, ...)       ((st)->ops->orders->get_order((st), __VA_ARGS__))
#define store_find_package(st, ...)    ((st)->ops->orders->find_package((st), __VA_ARGS__))
#define store_list_orders(st, ...)     ((st)->ops->orders->list_orders((st), __VA_ARGS__))
#define store_clear_projections(st)    ((st)->ops->orders->clear_projections(st))
#define store_dump_projections(st, ...) ((st)->ops->orders->dump_projections((st), __VA_ARGS__))
#define store_order_contact(st, ...)   ((st)->ops->orders->order_contact((st), __VA_ARGS__))
#define store_orders_by_email(st, ...) ((st)->ops->orders->orders_by_email((st), __VA_ARGS__))
#define store_conflict_orders(st, ...) ((st)->ops->orders->conflict_orders((st), __VA_ARGS__))
/* keys */
#define store_key_put(st, ...)         ((st)->ops->keys->key_put((st), __VA_ARGS__))
#define store_key_find(st, ...)        ((st)->ops->keys->key_find((st), __VA_ARGS__))
#define store_key_list(st, ...)        ((st)->ops->keys->key_list((st), __VA_ARGS__))
#define store_key_revoke(st, ...)      ((st)->ops->keys->key_revoke((st), __VA_ARGS__))
/* sources */
#define store_alias_put(st, ...)       ((st)->ops->sources->alias_put((st), __VA_ARGS__))
#define store_alias_find(st, ...)      ((st)->ops->sources->alias_find((st), __VA_ARGS__))
#define store_park_event(st, ...)      ((st)->ops->sources->park_event((st), __VA_ARGS__))
#define store_unpark(st, ...)          ((st)->ops->sources->unpark((st), __VA_ARGS__))
#define store_unmapped_bump(st, ...)   ((st)->ops->sources->unmapped_bump((st), __VA_ARGS__))
#define store_unmapped_list(st, ...)   ((st)->ops->sources->unmapped_list((st), __VA_ARGS__))
#define store_remap_pending(st, ...)   ((st)->ops->sources->remap_pending((st), __VA_ARGS__))
#define store_raw_unknown_events(st, ...) ((st)->ops->sources->raw_unknown_events((st), __VA_ARGS__))
#define store_remap_done(st, ...)      ((st)->ops->sources->remap_done((st), __VA_ARGS__))
#define store_reject_put(st, ...)      ((st)->ops->sources->reject_put((st), __VA_ARGS__))
#define store_rejected_list(st, ...)   ((st)->ops->sources->rejected_list((st), __VA_ARGS__))
#define store_poll_due(st, ...)        ((st)->ops->sources->poll_due((st), __VA_ARGS__))
#define store_poll_done(st, ...)       ((st)->ops->sources->poll_done((st), __VA_ARGS__))
/* kpis */
#define store_sync_failure_bump(st, ...) ((st)->ops->kpis->sync_failure_bump((st), __VA_ARGS__))
#define store_sync_failures(st, ...)   ((st)->ops->kpis->sync_failures((st), __VA_ARGS__))
#define store_kpi_events(st, ...)      ((st)->ops->kpis->kpi_events((st), __VA_ARGS__))
#define store_kpi_orders(st, ...)      ((st)->ops->kpis->kpi_orders((st), __VA_ARGS__))
#define store_quiet_packages(st, ...)  ((st)->ops->kpis->quiet_packages((st), __VA_ARGS__))
#define store_web_counts(st, ...)      ((st)->ops->kpis->web_counts((st), __VA_ARGS__))
/* notify */
#define store_outbox_put(st, ...)      ((st)->ops->notify->outbox_put((st), __VA_ARGS__))
#define store_outbox_claim(st, ...)    ((st)->ops->notify->outbox_claim((st), __VA_ARGS__))
#define store_outbox_finish(st, ...)   ((st)->ops->notify->outbox_finish((st), __VA_ARGS__))
#define store_outbox_list(st, ...)     ((st)->ops->notify->outbox_list((st), __VA_ARGS__))
#define store_outbox_get(st, ...)      ((st)->ops->notify->outbox_get((st), __VA_ARGS__))
#define store_outbox_set_state(st, ...) ((st)->ops->notify->outbox_set_state((st), __VA_ARGS__))
#define store_consent_get(st, ...)     ((st)->ops->notify->consent_get((st), __VA_ARGS__))
#define store_consent_put(st, ...)     ((st)->ops->notify->consent_put((st), __VA_ARGS__))
#define store_consent_message_seen(st, ...) ((st)->ops->notify->consent_message_seen((st), __VA_ARGS__))
#define store_audit_put(st, ...)       ((st)->ops->notify->audit_put((st), __VA_ARGS__))
#define store_audit_list(st, ...)      ((st)->ops->notify->audit_list((st), __VA_ARGS__))
#define store_ticket_get(st, ...)      ((st)->ops->notify->ticket_get((st), __VA_ARGS__))
#define store_ticket_put(st, ...)      ((st)->ops->notify->ticket_put((st), __VA_ARGS__))
#define store_rule_put(st, ...)        ((st)->ops->notify->rule_put((st), __VA_ARGS__))
#define store_rule_list(st, ...)       ((st)->ops->notify->rule_list((st), __VA_ARGS__))
/* settings */
#define store_setting_get_or_create(st, ...) ((st)->ops->settings->setting_get_or_create((st), __VA_ARGS__))
/* fetch */
#define store_fetch_put(st, ...)       ((st)->ops->fetch->fetch_put((st), __VA_ARGS__))
#define store_fetch_due(st, ...)       ((st)->ops->fetch->fetch_due((st), __VA_ARGS__))
#define store_fetch_retry(st, ...)     ((st)->ops->fetch->fetch_retry((st), __VA_ARGS__))
#define store_fetch_finish(st, ...)    ((st)->ops->fetch->fetch_finish((st), __VA_ARGS__))
#define store_fetch_counts(st, ...)    ((st)->ops->fetch->fetch_counts((st), __VA_ARGS__))
/* privacy */
#define store_raw_purge(st, ...)       ((st)->ops->privacy->raw_purge((st), __VA_ARGS__))
#define store_person_orders(st, ...)   ((st)->ops->privacy->person_orders((st), __VA_ARGS__))
#define store_erase_order(st, ...)     ((st)->ops->privacy->erase_order((st), __VA_ARGS__))
#define store_erase_person(st, ...)    ((st)->ops->privacy->erase_person((st), __VA_ARGS__))
/* exceptions */
#define store_exc_put(st, ...)         ((st)->ops->exceptions->exc_put((st), __VA_ARGS__))
#define store_exc_list(st, ...)        ((st)->ops->exceptions->exc_list((st), __VA_ARGS__))
#define store_exc_due(st, ...)         ((st)->ops->exceptions->exc_due((st), __VA_ARGS__))
#define store_lane_put(st, ...)        ((st)->ops->exceptions->lane_put((st), __VA_ARGS__))
#define store_lane_list(st, ...)       ((st)->ops->exceptions->lane_list((st), __VA_ARGS__))
#define store_lane_samples(st, ...)    ((st)->ops->exceptions->lane_samples((st), __VA_ARGS__))
#define store_task_open(st, ...)       ((st)->ops->exceptions->task_open((st), __VA_ARGS__))
#define store_tk_put(st, ...)          ((st)->ops->tickets->tk_put((st), __VA_ARGS__))
#define store_tk_get(st, ...)          ((st)->ops->tickets->tk_get((st), __VA_ARGS__))
#define store_tk_own(st, ...)          ((st)->ops->tickets->tk_own((st), __VA_ARGS__))
#define store_open_put(st, ...)        ((st)->ops->tickets->open_put((st), __VA_ARGS__))
#define store_open_counts(st, ...)     ((st)->ops->tickets->open_counts((st), __VA_ARGS__))
#define store_tk_noted(st, ...)        ((st)->ops->tickets->tk_noted((st), __VA_ARGS__))
#define store_tk_list(st, ...)         ((st)->ops->tickets->tk_list((st), __VA_ARGS__))
#define store_tk_kpis(st, ...)         ((st)->ops->tickets->tk_kpis((st), __VA_ARGS__))
#define store_ret_list(st, ...)        ((st)->ops->returns->ret_list((st), __VA_ARGS__))
#define store_ret_kpis(st, ...)        ((st)->ops->returns->ret_kpis((st), __VA_ARGS__))
#define store_task_list(st, ...)       ((st)->ops->exceptions->task_list((st), __VA_ARGS__))
#define store_task_get(st, ...)        ((st)->ops->exceptions->task_get((st), __VA_ARGS__))
#define store_task_update(st, ...)     ((st)->ops->exceptions->task_update((st), __VA_ARGS__))
#define store_task_kpis(st, ...)       ((st)->ops->exceptions->task_kpis((st), __VA_ARGS__))
/* parcels */
#define store_parcel_owner(st, ...)    ((st)->ops->parcels->parcel_owner((st), __VA_ARGS__))
#define store_owner_hint(st, ...)      ((st)->ops->parcels->owner_hint((st), __VA_ARGS__))
#define store_parcel_note(st, ...)     ((st)->ops->parcels->parcel_note((st), __VA_ARGS__))
#define store_parcel_facts(st, ...)    ((st)->ops->parcels->parcel_facts((st), __VA_ARGS__))
#define store_parcel_each_attach(st, ...) ((st)->ops->parcels->parcel_each_attach((st), __VA_ARGS__))
/* milestones */
#define store_ms_put(st, ...)          ((st)->ops->milestones->ms_put((st), __VA_ARGS__))
#define store_ms_kpis(st, ...)         ((st)->ops->milestones->ms_kpis((st), __VA_ARGS__))
/* peers */
#define store_announce(st, ...)        ((st)->ops->peers->announce((st), __VA_ARGS__))
#define store_listen(st, ...)          ((st)->ops->peers->listen((st), __VA_ARGS__))
#define store_lease(st, ...)           ((st)->ops->peers->lease((st), __VA_ARGS__))

#endif
