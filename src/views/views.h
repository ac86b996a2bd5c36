/*
 * views.h - the read models shared by the JSON API (src/api/kpis.c,
 * orders.c) and the dashboard pages (src/web/dashboard.c): each builder reads this thread's
 * read-only store and returns a new cJSON tree that the caller deletes
 * with cJSON_Delete().  Nothing here writes, waits for the writer, or reads
 * the clock: `now` (ms since the epoch, UTC) is passed in.
 *
 * Errors: WERR_NOT_FOUND (no such order / queue name), WERR_INVALID (bad
 * argument: from > to, unknown group_by), WERR_NOMEM, or the store's error
 * (its message in store_errmsg(st)).  On error *out is NULL.
 *
 * Personal data: the agent view shows what a support agent needs (the
 * stored projection shows the first name only); raw payload ids are
 * included, and it is up to the route to hide them from roles that may not
 * open raw payloads (queues "rejected" and "failures" are admin-only in the
 * API).
 *
 * Times in the output are RFC 3339 strings in UTC ("2024-03-05T14:00:00Z"),
 * or null.
 */
#ifndef WISMO_VIEWS_H
#define WISMO_VIEWS_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "../base/err.h"
#include "../core/policy.h"
#include "../store/store.h"

/* [kpis] (docs/config.md). */
#define VIEW_QUIET_HOURS_DEFAULT 48
struct views_config {
	int quiet_hours; /* a carrier-held parcel with no event for this long is "quiet"; 0: the default */
};

/* One INI entry of [kpis]: 1 taken, 0 not ours, -1 bad value. */
int views_config_set(struct views_config *c, const char *section, const char *name, const char *value);

/*
 * One order for a support agent.  order may be the order number, "#" plus
 * it, or a tracking number of one of its parcels.
 *
 *   {"order": <the stored projection object, as GET /v1/orders/{o}>,
 *    "answer": "Your order shipped with UPS on Tuesday and is expected on Thursday.",
 *    "timeline": [ {"key","source","source_event_id","package","carrier","status","detail",
 *                   "code","description","occurred_at","received_at",
 *                   "visible_at" (when readers could see it; null before migration 4),
 *                   "location"?,
 *                   "outcome": "applied"|"claim"|"unmapped", "decisive": bool,
 *                   "conflict": bool,   (this event is the claim of an open conflict)
 *                   "raw_id": n|null} ... oldest first (event time, then key) ],
 *    "duplicates": [ {"key","source","count","first_received_at","last_received_at"} ],
 *    "conflicts": [ same objects as the projection's "conflicts" ],
 *    "open_conflicts": n,
 *    "exceptions": [...], "tasks": [...] (docs/exceptions.md) }
 *
 * Each package of "order" with a carrier gains "predicted" (view_add_predictions).
 *
 * WERR_NOT_FOUND for no such order.
 */
enum werr view_agent(struct store *st, const struct policy *pol, const char *order, int64_t now, cJSON **out);

/*
 * Adds to each object of packages (an order projection's "packages") the
 * prediction stored for it (docs/predictions.md):
 *   "predicted": {"earliest","likely","latest","basis":"lane"|"carrier",
 *                 "lane_level":0..3|null,"samples":n,"best"}
 * ("best" is the one date the tracking page shows).  Packages without one
 * are left as they are.
 */
enum werr view_add_predictions(struct store *st, const char *order, cJSON *packages);

/*
 * One task as the agent view and the dashboard show it:
 *   {"id","order","kind","package"|null,"team","priority","state",
 *    "assignee"|null,"reason","opened_at","due_at","resolved_at"?,"overdue"}
 * NULL when out of memory.
 */
cJSON *view_task_json(const struct task_row *t, int64_t now);

/*
 * Inserts into arr (timeline entries in time order, as view_agent's) one
 * entry per change of each of the order's tasks, by time:
 *   {"outcome":"task","task":id,"action":"opened"|"acknowledged"|"resolved",
 *    "exception":kind,"package","team","priority","occurred_at",
 *    opened: "since","reason"; resolved: "resolution","note"?}
 * (the dashboard's order page shows them among the events).
 */
enum werr view_task_entries(struct store *st, const char *order, cJSON *arr);
/* The same for the customers' help-desk tickets about the order (docs/helpdesk.md):
 * {"outcome":"ticket","ticket","ticket_status","matched","cause","link"?,"occurred_at"} at their opening. */
enum werr view_ticket_entries(struct store *st, const char *order, cJSON *arr);

/*
 * Every event of an order in event-time order, and one entry per key that
 * was delivered again (GET /v1/orders/{o}/timeline).  order as for
 * view_agent.  The events' entries are the agent view's timeline entries.
 *
 *   {"order","status","events":[ <timeline entry> |
 *     {"key","source","outcome":"duplicate","count","occurred_at","first_received_at","received_at"} ...]}
 *
 * WERR_NOT_FOUND for no such order.
 */
/* The order named by id (its number, a tracking number or "#number"),
 * folded into o (order_init'ed; order_release it); WERR_NOT_FOUND. */
enum werr view_fold(struct store *st, const struct policy *pol, const char *id, struct order_state *o);

enum werr view_timeline(struct store *st, const struct policy *pol, const char *order, cJSON **out);

/*
 * KPIs over [from, to) (ms; to > from), definitions in docs/kpis.md.
 * group_by: "source", "carrier" or NULL (latency then grouped by source).
 *
 *   {"from","to","group_by",
 *    "latency": {"carrier_to_received": [{"key":"ups","n":n,"p50_ms":x|null,"p95_ms":x|null}...],
 *                "received_to_visible": [ same ]},
 *    "status_agreement": {"orders":n,"with_open_conflict":n,"rate":0..1|null},
 *    "on_time": {"delivered_with_promise":n,"on_time":n,"rate":0..1|null,
 *                "by_carrier":[{"carrier","delivered_with_promise","on_time","rate"}],
 *                "by_lane":[{"carrier","to","delivered_with_promise","on_time","rate"}]},
 *                (carrier "mixed": parcels of several; "" none named; to: the
 *                destination country, "" unknown)
 *    "cycle_time": {"n":n,"p50_ms","p95_ms"},          placed -> first carrier possession
 *    "click_to_door": {"n":n,"p50_ms","p95_ms"},       placed -> delivered
 *    "events_per_source": [{"source","events"}],
 *    "failures": [{"day":"YYYY-MM-DD","source","kind":"signature"|"rejected"|"fetch","count"}],
 *    "failures_total": n,
 *    "series": [{"day":"YYYY-MM-DD","events":n,"failures":n,"delivered":n,"on_time":n,
 *                "latency_p50_ms":x|null,"latency_p95_ms":x|null}],  one entry per UTC day in range
 *    "exceptions": see view_kpis_exceptions, then "returns", "tickets", "milestones" (below) }
 */
enum werr view_kpis(struct store *st, int64_t from, int64_t to, const char *group_by, int64_t now, cJSON **out);

/*
 * Adds to root the exceptions' and tasks' figures (kpi_exceptions.c),
 * counted through the tasks (one per exception):
 *   "exceptions": {"opened":n,"closed":n,"resolved_n":n,"resolve_p50_ms":x|null,"resolve_p95_ms":x|null,
 *                  "open_tasks":n,"overdue_tasks":n,
 *                  "by_kind":[{"kind", the same counts}],     kinds with any
 *                  "by_team":[{"team","open_tasks","overdue_tasks"}]}  every team
 * opened/closed/resolve: tasks opened / resolved in [from, to); open and
 * overdue (due before now): live tasks, whenever opened.
 */
enum werr view_kpis_exceptions(struct store *st, int64_t from, int64_t to, int64_t now, cJSON *root);

/*
 * Adds to root the returns' figures (kpi_returns.c), after the series:
 *   "returns": {"requested":n,"received":n,"resolved":n,"delivered_orders":n,"return_rate":x|null,
 *               "cycle_time":{"n","p50_ms","p90_ms"},         request -> refund, replacement or credit
 *               "receipt_to_refund":{"n","p50_ms","p90_ms"},  back at the warehouse -> the same
 *               "open":n,"by_reason":[{"reason","returns"}],"by_disposition":[{"disposition","returns"}],
 *               "open_by_state":[{"state","returns"}]}
 * requested/received/resolved: in [from, to); the rate per order delivered in
 * it; open: every return still to be resolved.
 */
enum werr view_kpis_returns(struct store *st, int64_t from, int64_t to, cJSON *root);

/*
 * Adds to root the WISMO-ticket figures (kpi_tickets.c), after cycle_time:
 *   "tickets": {"opened":n,"linked":n,"ambiguous":n,"orders_shipped":n,"per_100_shipped":x|null,
 *               "avoidable":n,"by_cause":[{"cause","tickets"}],"by_link":[{"link","tickets"}],
 *               "by_carrier":[{"carrier","tickets"}],
 *               "self_service":{"orders_delivered":n,"tracking_page_opened":n,"share":x|null}}
 * Tickets opened in [from, to); causes at the moment each was opened
 * (core/ticket.h); by_link: the avoidable ones, most first.
 */
enum werr view_kpis_tickets(struct store *st, int64_t from, int64_t to, cJSON *root);

/*
 * Adds to root the time orders spend in each of the shop's milestones
 * (kpi_milestones.c, core/kpi_ms.h), last:
 *   "milestones": [{"name","n","p50_ms":x|null,"p90_ms":x|null,"open":n,
 *                   "by_channel":[{"channel", the same figures}]}]
 * n and the percentiles: of left_at - reached_at over the orders that left
 * the milestone in [from, to); open: the orders in it now.  By name, then
 * channel (bytes); channel "none" for orders without one.
 */
enum werr view_kpis_milestones(struct store *st, int64_t from, int64_t to, cJSON *root);

/*
 * Finds orders by order number ("#1001" too), tracking number, or customer
 * email (exact, case-insensitive).  limit 1..100.
 *   {"query":q,"results":[{"order","status","updated_at","matched":"order"|"tracking"|"email"}]}
 * No match is not an error (empty results).
 */
enum werr view_search(struct store *st, const char *q, int limit, cJSON **out);

/*
 * A work queue for the dashboard.  name:
 *   conflicts  orders with an open conflict: {"order","status","updated_at","conflicts":[...]}
 *   unmapped   codes no mapping knows: {"source","carrier","code","description","count",
 *              "first_seen","last_seen","sample_raw_id"}
 *   rejected   rejected bodies: {"id","source","reason","received_at","raw_id"}
 *   quiet      packages the carrier has in hand (in_transit, out_for_delivery,
 *              available_for_pickup, delivery_attempted, exception) with no
 *              carrier event for more than cfg->quiet_hours (default 48):
 *              {"order","tracking_number","carrier","status","status_at","quiet_hours"}
 *   failures   failed sync events per day: {"day","source","kind","count"}
 *   {"queue":name,"count":n,"items":[...]}  (count is the queue's full size,
 *   items at most limit, 1..1000).  WERR_NOT_FOUND for an unknown name.
 */
enum werr view_queue(struct store *st, const struct views_config *cfg, const char *name, int64_t now, int limit,
		     cJSON **out);

/* {"conflicts":n,"unmapped":n,"rejected":n,"quiet":n,"failures":n}
 * (failures: failed sync events of the last 7 days). */
enum werr view_queue_counts(struct store *st, const struct views_config *cfg, int64_t now, cJSON **out);

#endif
