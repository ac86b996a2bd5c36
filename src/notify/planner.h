/*
 * planner.h - planning notifications in the writer's transaction, the
 * effective rule set, and the "side store" for admin writes
 * (docs/notifications.md).
 *
 * The planner is the writer's project hook (store/writer.h): for every
 * order a batch refolded it runs rules_plan() (core/rules.h) on the new
 * state and puts each plan into the outbox inside the same transaction as
 * the events that caused it, keyed by hex(sha256(order NUL milestone NUL
 * channel NUL recipient)) so a plan made again is a no-op.  A plan becomes
 * a row in state
 *   review     when its rule requires approval,
 *   cancelled  for an SMS to a phone without recorded opt-in (last_error
 *              says why; the suppression is kept, so a later opt-in does
 *              not send a stale message),
 *   pending    otherwise, due at now + the rule's delay.
 *
 * Rules: the built-in defaults (core/rules.h), changed or extended by
 * [rule NAME] sections, changed again by rules stored through the API
 * (table rules; a stored deletion hides a default or configured rule).  The
 * set is read by the writer thread and changed by request threads, under a
 * mutex.
 *
 * Side store: one read-write store handle for writes from request threads
 * (rules, consent, outbox decisions), opened on first use, behind a mutex.
 * SQLite allows one writer at a time, so such a write waits (busy timeout)
 * for the group-commit writer: fine at admin rates, not for ingest.
 *
 * Exceptions: the hook reads the order's open exceptions (the exception
 * engine's projection, written by the hook before it in the same
 * transaction) and gives them to the rules as milestones of their own
 * (core/rules.h: owner, grace).
 *
 * Thread-safety: every function may be called from any thread, except
 * notify_planner_free (once, after the writer stopped).
 */
#ifndef WISMO_NOTIFY_PLANNER_H
#define WISMO_NOTIFY_PLANNER_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/err.h"
#include "../core/order.h"
#include "../core/link.h"
#include "../core/rules.h"
#include "../store/store.h"
#include "notify_config.h"

/* The rules' settings: [rule NAME] sections and [notify] templates, locale,
 * default_rules (docs/config.md). */
struct rules_config {
	char templates[1024];   /* override directory for message templates, "" none */
	char locale[16];        /* message locale, "" = "en" */
	bool no_default_rules;  /* default_rules = false: only configured rules */
	struct rule rules[RULES_MAX];
	int nrules;
};

/* One INI entry of [rule NAME] or of the rules' keys in [notify]: 1 taken,
 * 0 not ours, -1 bad (a message on stderr). */
int notify_rules_config_set(struct rules_config *cfg, const char *section, const char *name, const char *value);

/* Who the messages come from ([web] name, support_email, support_phone). */
struct notify_shop {
	char name[128];
	char support_email[256];
	char support_phone[64];
	char return_instructions[RET_INSTRUCTIONS_MAX + 1];
};

/* What the planner is made of.  new() copies the settings; links (may be
 * NULL: messages then carry no tracking link) must outlive the planner. */
struct notify_planner_opts {
	const struct rules_config *rules;
	const struct notify_config *notify;
	const struct notify_shop *shop;
	const struct link_signer *links;
	const char *store_url;
	/* the exceptions' owners and graces, and the working days they are
	 * counted in; NULL: the order's exceptions are not read */
	const struct exc_config *exc;
	const struct calendar *cal;
	/* the shop's own milestones (labels, who may hear of them); NULL: none */
	const struct ms_config *milestones;
};

struct notify_planner;

/* Builds the rule set from defaults and the configured rules (checked),
 * then loads the rules stored through the API from the side store. */
enum werr notify_planner_new(const struct notify_planner_opts *o, struct notify_planner **out, char *errbuf,
			     size_t errcap);
void notify_planner_free(struct notify_planner *p);

/* The writer's project hook (writer_project_fn); ctx is the planner. */
enum werr notify_planner_hook(void *ctx, struct store *st, const struct order_state *o, int64_t now);

/* The side store, locked; NULL (logged) when it cannot be opened.  Every
 * successful lock is followed by one unlock. */
struct store *notify_side_lock(struct notify_planner *p);
void notify_side_unlock(struct notify_planner *p);

/* A copy of the effective rules. */
void notify_rules_snapshot(struct notify_planner *p, struct rule_set *out);
/* Stores r (checked) through the side store with an audit entry by actor,
 * and makes it effective.  WERR_TOO_LARGE when the set is full. */
enum werr notify_rule_put(struct notify_planner *p, const struct rule *r, const char *actor, int64_t now);
/* Stores a deletion (audited); WERR_NOT_FOUND when no effective rule has the name. */
enum werr notify_rule_delete(struct notify_planner *p, const char *name, const char *actor, int64_t now);

/* The defaults (unless [notify] default_rules = false) with the
 * configured rules on top, each checked; WERR_INVALID with a message. */
enum werr notify_rules_base(const struct rules_config *cfg, struct rule_set *out, char *errbuf, size_t errcap);
/* Applies the rules stored through the API (a NULL json removes). */
void notify_rules_apply_stored(struct rule_set *set, const struct rule_row *rows, size_t n);

/* The templates override directory ([notify] templates), "" for none. */
const char *notify_templates_dir(const struct notify_planner *p);

/* The open exceptions of o in st, as the rules see them (po->exc NULL:
 * none).  *x (free()) points into *rows (free()); *n of each. */
enum werr notify_order_exceptions(const struct notify_planner_opts *po, struct store *st, const struct order_state *o,
				  struct rules_exception **x, struct exception_row **rows, size_t *n);

/*
 * What the hook does, without the store: the outbox rows the rules call
 * for on o and its open exceptions x[0..nx) at now (state pending or
 * review; SMS rows flagged by needs_consent[i] for the caller).  Their
 * views carry the order's tracking link signed with po->links for 90
 * days (none when po->links is NULL or cannot sign), made only when a row
 * is.  Used by the hook and by `wismo notify preview`.  Free with
 * outbox_rows_free(); free needs_consent with free().
 */
enum werr notify_build_rows(const struct notify_planner_opts *po, const struct rule *rules, size_t nrules, bool all_channels,
			    const struct order_state *o, const struct rules_exception *x, size_t nx, int64_t now,
			    struct outbox_row **rows, bool **needs_consent, size_t *n);
/* hex(sha256(order NUL milestone NUL channel NUL recipient)). */
void notify_outbox_key(const char *order, const char *milestone, const char *channel, const char *recipient,
		       char out[OUTBOX_KEY_MAX + 1]);

#endif
