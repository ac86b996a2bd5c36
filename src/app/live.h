/*
 * live.h - live updates: what a committed order means to the event streams
 * (docs/web.md).
 *
 * The wiring registers app_live_committed as a writer commit listener (it
 * hands the order numbers to the transport's hub, which returns at once)
 * and app_live_feed as the hub's feed: on the hub's thread it reads each
 * order's row from its own read-only store handle and publishes
 *   topic "order:<number>"  event "update"  data {"order","status","updated_at"}
 *   topic "dashboard"       event "order"   data {"order","status","updated_at"}
 * and app_live_check as the hub's check, which ends the streams of a key
 * revoked since they opened.
 */
#ifndef WISMO_APP_LIVE_H
#define WISMO_APP_LIVE_H

#include "../http/sse.h"

struct app_live;

/* Reads orders from store_url (read-only, opened on first use). */
struct app_live *app_live_new(const char *store_url, struct sse_hub *hub);
/* Frees it; call after the hub has stopped feeding (http_server_stop). */
void app_live_free(struct app_live *l);
/* The writer's commit listener (writer_commit_fn); ctx is the app_live. */
void app_live_committed(void *ctx, const char *const *orders, size_t n);
/* The hub's feed (sse_feed_fn); ctx is the app_live. */
void app_live_feed(void *ctx, struct sse_hub *h, const char *order);
/* The hub's check (sse_check_fn) for staff streams: principal is a key's
 * SHA-256 hex (app_stream_grant), valid until the key is revoked; read from
 * the same handle as the feed, on the hub's thread. */
bool app_live_check(void *ctx, const char *principal);

#endif
