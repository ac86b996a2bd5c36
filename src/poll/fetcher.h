/*
 * fetcher.h - makes the fetches webhook bodies call for (ShipStation's
 * SHIP_NOTIFY and friends carry only a resource_url), on a thread of its
 * own, so that no request thread ever waits for a remote API.
 *
 * The webhook route stores such a body and a fetch job in one writer commit
 * and answers 200 (accepted for processing: store.h, struct
 * store_fetch_ops).  This thread, twice a second, takes the due jobs (store
 * fetch_due), and for each, within its source's budget (the source's
 * rate_per_minute, default 40, a token bucket as the poller's), re-reads the
 * stored body with the source's adapter, which asks for its resource with
 * the poller's HTTP call (poll_http.h: 20 s per request, 10 s to connect,
 * 8 MiB per page), and hands the events to the writer; the job is deleted
 * once they commit.  A crash between the commit and the delete fetches
 * again: the events come back as duplicates, nothing is applied twice.
 *
 *   the API unreachable, refusing or        counted (writer_note_failure
 *   answering other than 200                "fetch"), retried after
 *                                           5 min x 2^(failures-1)
 *   FETCHER_ATTEMPTS failures in a row      given up: the body goes to the
 *   (the last ~10.6 h after the first)      rejected list with the last error
 *   an answer or a body the adapter cannot  rejected at once (asking again
 *   read, a source no longer configured     gives the same answer)
 *   the writer busy or failing              tried again on the next tick
 *
 * fetcher_start() always starts the thread (jobs may wait from an earlier
 * run); fetcher_stop() abandons a transfer in flight (the job stays due) and
 * joins it; call it before writer_stop().  Only the fetcher's thread touches
 * its state.
 */
#ifndef WISMO_FETCHER_H
#define WISMO_FETCHER_H

#include "../adapters/sources.h"
#include "../store/writer.h"

#define FETCHER_ATTEMPTS 8
#define FETCHER_RATE_DEFAULT 40 /* per minute: ShipStation's own API budget */

struct fetcher;

/* The delay before the next attempt after `failures` failed ones in a row
 * (1..), or 0 when the job is to be given up. */
int64_t fetcher_retry_ms(int failures);

enum werr fetcher_start(const struct sources_config *sources, const char *store_url, struct writer *w,
			const struct mappings *maps, const struct zones *zones, struct fetcher **out, char *errbuf,
			size_t errcap);
void fetcher_stop(struct fetcher *f);

#endif
