/*
 * poller.h - asks direct carriers (UPS, FedEx, USPS, DHL, and those described
 * by data: mappings/NAME.carrier, adapters/declared.h) about the packages
 * that are not final, and feeds their answers through the carrier's adapter
 * to the writer, like a webhook.
 *
 * One thread for every configured carrier source ([source NAME] with an
 * adapter of kind carrier and an api_base).  Each second it takes, per
 * carrier, the packages whose turn has come (store poll_due) within that
 * carrier's budget (rate_per_minute, a token bucket), asks the carrier's
 * tracking API, and schedules the next ask:
 *
 *   label_created                              every 4 h
 *   in_transit, exception, unknown             every 2 h
 *   out_for_delivery, available_for_pickup,
 *   delivery_attempted                         every 30 min
 *   a failed ask (network, 5xx, 429, bad body) 5 min x 2^failures, at most 12 h
 *
 * A carrier answering 429 pauses that carrier for its Retry-After (or a
 * minute).  OAuth client-credential tokens (UPS, FedEx, USPS) are fetched
 * from the same api_base and kept until shortly before they expire; DHL
 * takes its api_key in a header.  Requests and token endpoints are listed in
 * docs/adapters.md.
 *
 * poller_start() returns a running poller (or NULL when no carrier is
 * configured); poller_stop() joins the thread.  Only the poller thread
 * touches its state.
 */
#ifndef WISMO_POLLER_H
#define WISMO_POLLER_H

#include "../adapters/sources.h"
#include "../core/status.h"
#include "../store/writer.h"

struct poller;

/* The interval before asking again about a package in this state. */
int64_t poll_interval_ms(enum pkg_status status, int failures);

enum werr poller_start(const struct sources_config *sources, const char *store_url, struct writer *w,
		       const struct mappings *maps,
		       const struct zones *zones, struct poller **out, char *errbuf, size_t errcap);
void poller_stop(struct poller *p);

#endif
