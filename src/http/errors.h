/*
 * errors.h - the one table of wire error codes: every error answer's
 * {"error":{"code","message"}} takes its code and HTTP status from a row
 * here, and docs/api.md ("Error codes") lists exactly these rows (a unit
 * test compares them).  Codes are stable: a row is added, never renamed or
 * given another status (clients key on them).
 *
 * The per-event rejection codes (core/event_json.c and the ingest handler)
 * are rows too: they appear in a batch's "results" and, when every event of
 * a batch is refused, as the 422 answer's code.
 */
#ifndef WISMO_HTTP_ERRORS_H
#define WISMO_HTTP_ERRORS_H

/* X(ID, code, status, meaning) */
#define HTTP_ERRORS(X)                                                                                         \
	/* the request */                                                                                      \
	X(MALFORMED_JSON, "malformed_json", 400, "the body is not the JSON value this path takes")             \
	X(TOO_DEEP, "too_deep", 400, "the JSON nests deeper than [limits] max_depth")                           \
	X(INVALID_BODY, "invalid_body", 400, "the JSON does not have the shape this path takes")               \
	X(INVALID_QUERY, "invalid_query", 400, "a query parameter is malformed or out of range")                \
	X(INVALID_TEXT, "invalid_text", 400, "the body is not valid UTF-8, or a string holds NUL (\\u0000)")  \
	X(INVALID, "invalid", 400, "the request does not follow the contract")                                 \
	X(UNAUTHORIZED, "unauthorized", 401, "no API key, or an unknown or revoked one")                        \
	X(INVALID_SIGNATURE, "invalid_signature", 401, "a webhook's signature is missing or does not match")    \
	X(FORBIDDEN, "forbidden", 403, "the key's role may not do this")                                        \
	X(NOT_FOUND, "not_found", 404, "no such path or object")                                                \
	X(UNKNOWN_SOURCE, "unknown_source", 404, "no source of this name takes webhooks")                       \
	X(METHOD_NOT_ALLOWED, "method_not_allowed", 405, "the path does not take this method (see Allow)")      \
	X(EXISTS, "exists", 409, "the object exists already")                                                  \
	X(WRONG_STATE, "wrong_state", 409, "the object is not in a state this action applies to")              \
	X(TOO_MANY_RULES, "too_many_rules", 409, "the rule set is full")                                       \
	X(NOT_RETURNABLE, "not_returnable", 409, "nothing asked for can be returned: not delivered, past the return window, or in another return") \
	X(BODY_TOO_LARGE, "body_too_large", 413, "the body is over [limits] max_body")                          \
	X(TOO_MANY_EVENTS, "too_many_events", 413, "more events than [limits] max_batch")                       \
	X(TOO_MANY_PARAMS, "too_many_params", 413, "a form body has more fields than are read")                \
	X(TOO_LARGE, "too_large", 413, "an input is over a limit")                                             \
	X(UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", 415, "the Content-Type is not one this path takes") \
	X(UNSUPPORTED, "unsupported", 415, "a valid request for something this server does not provide")       \
	X(INVALID_FIELD, "invalid_field", 422, "a field has a value outside its contract")                     \
	X(INVALID_RULE, "invalid_rule", 422, "a notification rule does not check")                             \
	X(UNKNOWN_TEMPLATE, "unknown_template", 422, "a rule names a message template that does not exist")     \
	X(UNREADABLE_PAYLOAD, "unreadable_payload", 422, "the source's adapter cannot read the body (kept in /v1/rejected)") \
	/* per-event rejection codes (a batch's results; the 422 when all are refused) */                     \
	X(MISSING_FIELD, "missing_field", 422, "an event lacks a required field")                              \
	X(TOO_LONG, "too_long", 422, "a field is longer than its limit")                                       \
	X(UNKNOWN_STATUS, "unknown_status", 422, "'status' is not a word of the shared status language")       \
	X(PACKAGE_REQUIRED, "package_required", 422, "a package status without a tracking number")             \
	X(INVALID_TIME, "invalid_time", 422, "a time is not RFC 3339")                                         \
	X(TIME_WITHOUT_OFFSET, "time_without_offset", 422, "a time has no UTC offset")                         \
	X(TOO_MANY_ITEMS, "too_many_items", 422, "more line items than an event holds")                        \
	X(SOURCE_NOT_ALLOWED, "source_not_allowed", 422, "an ingest key bound to one source sent another's event") \
	X(FUTURE_TIME, "future_time", 422, "an event dated further ahead than [resolution] future_skew_hours") \
	/* the server */                                                                                       \
	X(INTERNAL, "internal", 500, "a bug or an answer too large to send; logged")                            \
	X(OUT_OF_MEMORY, "out_of_memory", 500, "an allocation failed")                                         \
	X(IO_ERROR, "io_error", 500, "a file or socket error")                                                 \
	X(STORAGE_ERROR, "storage_error", 500, "the transaction failed and was rolled back: nothing was stored") \
	X(FETCH_FAILED, "fetch_failed", 502, "the webhook calls for a fetch and no API access is configured")   \
	X(BUSY, "busy", 503, "the writer's queue is full: retry after Retry-After")                            \
	X(SHUTTING_DOWN, "shutting_down", 503, "the server is stopping")                                       \
	X(STORAGE_UNAVAILABLE, "storage_unavailable", 503, "the store cannot be read or written now (read-only, I/O error): retry after Retry-After") \
	X(STORAGE_FULL, "storage_full", 503, "the disk is full: nothing was stored, retry after Retry-After")  \
	X(NOT_READY, "not_ready", 503, "the store cannot be read (readiness probe)")                            \
	X(TOO_MANY_CONNECTIONS, "too_many_connections", 503, "over [limits] connections")                      \
	X(TOO_MANY_STREAMS, "too_many_streams", 503, "over [streams] max live streams")

enum http_error_id {
#define HTTP_ERROR_ENUM(id, code, status, meaning) HE_##id,
	HTTP_ERRORS(HTTP_ERROR_ENUM)
#undef HTTP_ERROR_ENUM
	HE__COUNT
};

struct http_error_row {
	const char *code;
	unsigned status;
	const char *meaning;
};

extern const struct http_error_row http_errors[HE__COUNT];

/* The row of a code, or NULL. */
const struct http_error_row *http_error_find(const char *code);

#endif
