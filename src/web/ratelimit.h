/*
 * ratelimit.h - a token bucket per client, in bounded memory.
 *
 * Each client (its IP address as text) has a bucket of `burst` tokens that
 * refills at per_minute tokens a minute; a lookup takes one token.  The
 * buckets live in a fixed table of `slots` entries (open addressing, 8
 * probes); when every probed slot is in use, the one seen least recently is
 * given to the new client.  So memory never grows with the number of
 * clients, and a flood of addresses can at worst reset some other client's
 * bucket to full - never block an innocent one.
 *
 * The clock is the caller's (now in milliseconds), so tests need no sleep.
 * Thread-safe: one mutex per table.
 */
#ifndef WISMO_WEB_RATELIMIT_H
#define WISMO_WEB_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ratelimit;

/* NULL on allocation failure or when slots or per_minute is 0. */
struct ratelimit *ratelimit_new(size_t slots, unsigned per_minute, unsigned burst);
void ratelimit_free(struct ratelimit *rl);

/* Takes a token for client at now_ms.  true: allowed.  false: refused, and
 * *retry_after_s (if not NULL) says in how many seconds a token is back. */
bool ratelimit_take(struct ratelimit *rl, const char *client, int64_t now_ms, unsigned *retry_after_s);

#endif
