/*
 * adapter.h - a source adapter: verify one request from a source and turn its
 * body into normalized events.
 *
 * One adapter per file in src/adapters/ (shopify.c, easypost.c, ups.c, ...),
 * each exporting one `const struct adapter adapter_NAME`, listed in
 * registry.c.  An adapter is pure with respect to the server: it reads the
 * body and headers it is given, the mapping tables and the time zone table,
 * and writes events into an adapter_out.  It never touches the store, the
 * network or the clock; what it needs from outside comes through
 * adapter_env (ShipStation's resource_url fetch is the one callback).
 *
 * Rules every adapter follows (tests/adapters check them):
 *  - every event it emits has `id` set to a natural, stable id of the fact
 *    (e.g. "order:450789469:placed", "fulfillment_event:944956394"), so that
 *    the same fact delivered twice, by any topic, has the same key;
 *  - status codes go through the mapping tables (mapping_apply): a code no
 *    table knows gives status unknown with `code` and `description` kept, never
 *    a guess;
 *  - when the body does not name the order (carrier responses, Shopify
 *    fulfillment events) the event's `order` is left "" and `ref` names what
 *    the body does give ("fulfillment:255858046"); the writer resolves it from
 *    the aliases an earlier body recorded (adapter_alias) or from the package's
 *    tracking number, and parks the event until it can.  A ref of the form
 *    "tracking:NUMBER" names the order holding that parcel;
 *  - a body it cannot read returns WERR_INVALID with out->reason set (shown in
 *    the rejected-payloads list); events already pushed are discarded by the
 *    caller.  A body that is valid but says nothing wismo tracks returns
 *    WERR_OK with no events.
 *
 * Signatures: verify() returns WERR_OK, or WERR_UNAUTHORIZED with `why` set
 * ("missing X-Shopify-Hmac-Sha256", "signature mismatch", "timestamp too
 * old").  A source with no secret configured is refused (the caller does not
 * call verify without a secret).
 */
#ifndef WISMO_ADAPTER_H
#define WISMO_ADAPTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/buf.h"
#include "../base/err.h"
#include "../core/event.h"
#include "../core/policy.h"

struct mappings;
struct zones;

struct hook_request {
	const char *body;           /* not NUL-terminated */
	size_t len;
	const char *content_type;   /* may be NULL */
	/* Case-insensitive header lookup; NULL when absent.  header may be
	 * NULL (no headers: `wismo parse`, the poller). */
	const char *(*header)(const void *hctx, const char *name);
	const void *hctx;
};

struct adapter_env {
	const char *source;            /* the source name events get ("shopify") */
	const struct mappings *maps;   /* loaded mapping tables */
	const struct zones *zones;     /* location -> time zone table */
	int64_t now_ms;                /* the receipt: signature windows, and the time of a body
	                                  that carries none (Shopify's returns) */
	/* GET url with the source's credentials (ShipStation resource_url):
	 * WERR_IO when it cannot be fetched (no API access configured, the API
	 * unreachable or refusing).  NULL when not available: the adapter
	 * returns WERR_IO too.  On a request thread it never fetches: it
	 * notes the fetch and returns WERR_IO, and the webhook stores the body
	 * for the background fetcher (src/poll/fetcher.h), which parses it
	 * again with a fetch that asks the API.  With no API access configured
	 * the webhook answers 502 fetch_failed. */
	enum werr (*fetch)(void *fctx, const char *url, struct buf *out, char *why, size_t whycap);
	void *fctx;
	/* The tracking number the answer was asked about (the poller, remap, `wismo parse --tracking`), or
	 * NULL: a described carrier whose answer does not repeat it names it "{tracking}" (declared.h). */
	const char *tracking;
	/* The shop's own milestones (core/milestones.h): a warehouse or ERP
	 * feed may report one by its name (scans.c); NULL: none configured. */
	const struct ms_config *milestones;
};

/* What an earlier body said a reference stands for. */
struct adapter_alias {
	char ref[EV_ID_MAX + 1];        /* "order:450789469", "fulfillment:255858046" */
	char order[EV_ORDER_MAX + 1];
	char package[EV_PACKAGE_MAX + 1];
	char carrier[EV_CARRIER_MAX + 1];
};

/* A privacy request (Shopify's mandatory privacy webhooks): the body names a
 * person or a whole shop instead of facts.  The hook path acts on it
 * (store/privacy.h, docs/privacy.md) and keeps no copy of the body. */
#define ADAPTER_PRIVACY_REFS 64
struct adapter_privacy {
	char action[16];                /* "" none; "erase", "erase_source", "data_request" */
	char email[EV_EMAIL_MAX + 1];   /* the person ("" when the body gives none) */
	char phone[EV_PHONE_MAX + 1];
	char request_id[EV_ID_MAX + 1]; /* the source's id of a data request */
	size_t nrefs;                   /* orders the body names, as alias refs ("order:ID") */
	char refs[ADAPTER_PRIVACY_REFS][EV_ID_MAX + 1];
};

struct adapter_out {
	struct event *events;
	size_t nevents, evcap;
	struct adapter_alias *aliases;
	size_t naliases, alcap;
	char reason[256];               /* why the body cannot be read */
	struct adapter_privacy privacy; /* action "" unless the body is a privacy request */
};

struct adapter {
	const char *name;               /* built-in source name; route /hooks/NAME */
	enum source_kind kind;
	/* NULL for sources that are polled, not pushed (direct carriers). */
	enum werr (*verify)(const struct hook_request *rq, const char *secret, int64_t now_ms,
			    char *why, size_t whycap);
	enum werr (*parse)(const struct adapter_env *env, const struct hook_request *rq,
			   struct adapter_out *out);
	/* A carrier described by data (declared.h): parse is NULL and
	 * decl_parse reads its answers. */
	const struct carrier_decl *decl;
};

/*
 * The one way into an adapter's parse: the body must be valid text first
 * (base/text.h: UTF-8, no NUL, no \u0000 in a JSON string), else
 * WERR_INVALID with the reason in out (the webhook answers 422 and keeps the
 * body in the rejected list; the poller counts a failed answer).  Every path
 * calls this, never ad->parse directly: webhooks, the poller, the fetcher,
 * `wismo parse`.
 */
enum werr adapter_parse(const struct adapter *ad, const struct adapter_env *env, const struct hook_request *rq,
			struct adapter_out *out);

/* The registry (registry.c): a built-in adapter by name. */
const struct adapter *adapter_find(const char *name);
/* A built-in adapter, else a carrier the loaded tables describe
 * (mappings/NAME.carrier, declared.h); m may be NULL. */
struct mappings;
const struct adapter *adapter_lookup(const struct mappings *m, const char *name);
/* NULL-terminated list of every built-in adapter. */
extern const struct adapter *const adapters_all[];

/* adapter_out helpers (adapter.c). */
/* Appends an initialised event with source = env->source; NULL on ENOMEM. */
struct event *adapter_push(struct adapter_out *out, const struct adapter_env *env);
/* Drops the last pushed event (a fact the body turned out not to hold). */
void adapter_pop(struct adapter_out *out);
enum werr adapter_alias(struct adapter_out *out, const char *ref, const char *order,
			const char *package, const char *carrier);
/* Members of a JSON object (cJSON), typed: NULL when absent or of another
 * type.  adapter_json_str gives only non-empty strings.  An array or object
 * NULL works with cJSON_ArrayForEach (as empty). */
struct cJSON;
const char *adapter_json_str(const struct cJSON *o, const char *key);
bool adapter_json_has(const struct cJSON *o, const char *key);
const struct cJSON *adapter_json_arr(const struct cJSON *o, const char *key);
const struct cJSON *adapter_json_obj(const struct cJSON *o, const char *key);

/* Writes ev->id from a format; an id that does not fit fails the body
 * (WERR_INVALID with the reason set): a fact we cannot key is not stored. */
enum werr adapter_set_id(struct adapter_out *out, struct event *ev, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Copies text meant for people (names, messages, places) into a fixed
 * field: control characters become spaces, and an over-long value is cut at
 * a UTF-8 character boundary rather than refused (losing the end of a
 * product name must not lose the event).  Never for identifiers. */
void adapter_set_text(char *field, size_t cap, const char *s);
#define ADAPTER_SET_TEXT(field, s) adapter_set_text((field), sizeof(field), (s))
/* Sets a contact field (e-mail, phone, postal code) only whole and only
 * without control characters: a cut e-mail address is a wrong one. */
void adapter_set_contact(char *field, size_t cap, const char *s);
#define ADAPTER_SET_CONTACT(field, s) adapter_set_contact((field), sizeof(field), (s))
/*
 * Proof of delivery (core/event.h struct event_proof, docs/appointments.md),
 * the same way for every source.  signed_by and left_at are text for people
 * (ADAPTER_SET_TEXT: cut at a UTF-8 boundary).  A link is kept only whole
 * and only when it is https:// with no space or control character in it
 * (the scheme is written in lower case, as POST /v1/events wants it); any
 * other link is dropped, never the event.  Coordinates are kept only when
 * both are finite and in range (lat -90..90, lng -180..180).  Each returns
 * whether it kept the value.
 */
bool adapter_proof_url(struct event_proof *pr, const char *url);
bool adapter_proof_geo(struct event_proof *pr, double lat, double lng);
/* The newest event of out->events[from..) whose status is s (the later one
 * of two at the same time), or NULL: where a body's proof goes when the
 * source gives it for the parcel rather than for one scan. */
struct event *adapter_newest_with(struct adapter_out *out, size_t from, enum ev_status s);
/* Sets out->reason and returns WERR_INVALID. */
enum werr adapter_fail(struct adapter_out *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void adapter_out_free(struct adapter_out *out);

/* Sets ev->key (docs/architecture.md: the source's event id where it has
 * one, else a hash of the key material) and, when the source named no
 * carrier for a parcel, the carrier told from the tracking number's format
 * (detect.h, then the [detect] of the carriers m describes; m may be NULL).
 * Every path into the writer calls it: /v1/events, webhooks, the poller. */
void adapter_event_key(const struct mappings *m, struct event *ev);

/*
 * Reads a source's time stamp: RFC 3339 with an offset (or Z) as it is; a
 * local time without an offset ("2024-03-10T01:30:00", a space for the T is
 * fine) in the zone of (country, region) when env->zones knows it, otherwise
 * as UTC.  Sets *local_guess when the zone was unknown and UTC was assumed
 * (may be NULL).  Returns false when s is not a time.
 */
bool adapter_time(const struct adapter_env *env, const char *s, const char *country,
		  const char *region, int64_t *ms, bool *local_guess);

/* Signature checks shared by adapters (constant time). */
/* header == base64(HMAC-SHA256(secret, body)) */
bool sig_hmac_b64_ok(const char *secret, const void *body, size_t len, const char *header);
/* header == hex(HMAC-SHA256(secret, body)), either case */
bool sig_hmac_hex_ok(const char *secret, const void *body, size_t len, const char *header);

/*
 * wismo's generic scheme (the scan feed, outbound webhooks):
 *   X-Wismo-Timestamp: unix seconds
 *   X-Wismo-Signature: sha256=hex(HMAC-SHA256(secret, timestamp + "." + body))
 * valid within SIG_GENERIC_WINDOW_S of now either way.  Returns WERR_OK or
 * WERR_UNAUTHORIZED with why set.
 */
#define SIG_GENERIC_WINDOW_S 300
enum werr sig_generic_check(const char *secret, const void *body, size_t len, const char *timestamp,
			    const char *signature, int64_t now_ms, char *why, size_t whycap);
/* Writes the two header values for body at now_ms (for senders and tests):
 * ts must hold 24 bytes, sig 80. */
void sig_generic_sign(const char *secret, const void *body, size_t len, int64_t now_ms, char ts[24],
		      char sig[80]);

#endif
