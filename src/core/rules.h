/*
 * rules.h - notification rules and the planner (DESIGN.md section 8,
 * docs/notifications.md).  Pure: no I/O, no clock, no globals.
 *
 * A rule says: when the order reaches a milestone (its trigger), and the
 * conditions hold, send this template through this channel to this
 * audience, optionally after a delay or only after a person approved it.
 *
 * The planner looks only at an order's CURRENT state (order.h) and `now`:
 *
 *   order_state --rules_milestones--> milestones the state shows now
 *               --rules_plan-------> one plan per (rule, milestone, recipient)
 *
 * Each milestone has a stable key ("shipped", "out_for_delivery:1Z...",
 * "delayed:2024-05-07"); the caller stores each plan in the outbox under
 * hex(sha256(order NUL milestone NUL channel NUL recipient)), UNIQUE, so
 * planning again after any repeated, late or reordered event finds the row
 * and changes nothing: at most one message per (order, milestone, channel,
 * recipient).
 *
 * What does not fire (stale milestones):
 *  - a milestone the order is past: "confirmed" once shipped, "shipped" once
 *    fully delivered or cancelled, "out_for_delivery" once the package is
 *    delivered (or anything but out for delivery), a package status the
 *    package no longer has;
 *  - a milestone whose trigger time is older than the rule's max age
 *    (default RULES_MAX_AGE_DEFAULT_H hours), so a rebuild, an order first
 *    seen long after the fact, or a rule added today does not message old
 *    orders;
 *  - "shipped" never fires from a label alone: the order status (order.h
 *    rule 7) only becomes (partially_)shipped on carrier possession.
 *
 * Memory: struct rule is plain data.  rules_plan() allocates *out; free()
 * it.  Thread-safety: none needed.
 */
#ifndef WISMO_RULES_H
#define WISMO_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "../base/err.h"
#include "exceptions.h"
#include "order.h"

#define RULE_NAME_MAX 63
#define RULES_MAX 64
#define RULE_MILESTONE_MAX 63
#define RULES_MAX_AGE_DEFAULT_H 72

enum rule_channel { RCH_EMAIL = 0, RCH_SMS, RCH_WEBHOOK, RCH_TICKET, RCH__COUNT };

/* The customer, a team (addresses from the [teams] configuration), the
 * webhook subscribers (the audience of every webhook rule), or the owner:
 * the team that owns the exception a milestone is about ([exceptions]
 * team.KIND; support for any other milestone). */
enum rule_audience {
	AUD_CUSTOMER = 0, AUD_SUPPORT, AUD_WAREHOUSE, AUD_OPERATIONS, AUD_SUBSCRIBERS, AUD_RETURNS, AUD_OWNER,
	AUD__COUNT
};

struct rule {
	char name[RULE_NAME_MAX + 1];
	char trigger[48];              /* rules_trigger_valid(); "any": every status milestone */
	char detail[EV_DETAIL_MAX + 1];/* trigger exception: only this detail; "" any */
	enum rule_audience audience;
	enum rule_channel channel;
	char template_name[64];
	int delay_minutes;             /* send this long after planning; 0 at once */
	int max_age_hours;             /* older trigger: stale, not sent; 0 = default */
	bool requires_approval;        /* plan into the review queue */
	bool enabled;
	/* Order value conditions: against the order's value (event "value");
	 * a rule with either set does not fire for an order with no value. */
	bool has_min_value, has_max_value;
	double min_value, max_value;
	char origin[8];                /* "default", "config", "api" */
};

/* An open exception of the order (the exception engine's projection), as
 * the planner sees it.  Its milestone key is "exc:KIND:TRACKING@SINCE"
 * (TRACKING "order" for an order-level one), so an exception that closes
 * and opens again is a new milestone. */
struct rules_exception {
	enum exc_kind kind;
	int package;                       /* index in o->packages, -1 order-level */
	int64_t since;
	int64_t customer_at;               /* customers hear of it from here (grace) */
	enum rule_audience owner;          /* the owning team (AUD_SUPPORT ... AUD_RETURNS) */
	const char *reason;                /* plain language, may be NULL */
	const char *priority;              /* the task's: "low", "normal", "high"; may be NULL */
	int ret;                           /* index in o->returns of a return's exception, -1 none
	                                      (0 names the first return: set it) */
};

/* What the planner needs from outside the order. */
struct rules_env {
	bool email, sms, webhook, ticket;  /* channels configured; no plan for the others */
	const char *team[AUD__COUNT];      /* address by audience (support ...); NULL/"" none */
	const char *const *subscribers;    /* webhook subscriber names */
	size_t nsubscribers;
	const char *locale;                /* message locale; NULL = "en" */
	const struct rules_exception *exceptions; /* the order's open exceptions */
	size_t nexceptions;
	/* the shop's own milestones: an internal one never reaches the
	 * customer; NULL: none configured */
	const struct ms_config *milestones;
};

struct rule_plan {
	size_t rule;                       /* index into the rules array */
	char milestone[RULE_MILESTONE_MAX + 1];
	enum rule_channel channel;
	char recipient[256];
	char template_name[64];
	char locale[16];
	int package;                       /* index in o->packages the milestone is about, -1 none */
	int ret;                           /* index in o->returns the milestone is about, -1 none */
	int64_t trigger_at;
	int64_t next_at;
	bool review;                       /* requires approval: outbox state "review" */
	bool needs_consent;                /* SMS to the customer: the caller checks recorded opt-in */
	const struct rules_exception *exc; /* the milestone's exception, or NULL */
};

/* A milestone the order's current state shows. */
struct rules_milestone {
	char key[RULE_MILESTONE_MAX + 1];
	const char *trigger;               /* static trigger name */
	char detail[EV_DETAIL_MAX + 1];    /* exception detail, or "full"/"partial" for refunded */
	int package;                       /* -1 for an order-level milestone */
	int ret;                           /* a return's milestone: its index in o->returns; else -1 */
	int64_t at;                        /* trigger time (event time) */
	int64_t revised;                   /* delayed: the new estimate, 0 if none */
	bool internal;                     /* a shop milestone the customer does not see */
	const struct rules_exception *exc; /* an exception's milestone: it; else NULL */
};

const char *rule_channel_name(enum rule_channel c);
int rule_channel_from_name(const char *name);
const char *rule_audience_name(enum rule_audience a);
int rule_audience_from_name(const char *name);
bool rules_trigger_valid(const char *trigger);
/* NULL-terminated list of the status trigger names; an exception's are
 * "exception:KIND" (core/exceptions.h kinds) and "exception:any". */
extern const char *const rules_triggers[];
/* The trigger of an exception kind ("exception:stalled"); static. */
const char *rules_exception_trigger(enum exc_kind k);

/* A disabled-by-nothing rule with this name: enabled, audience customer,
 * channel email, no trigger or template yet. */
void rule_init(struct rule *r, const char *name);
/*
 * Sets one field from its text form (INI value, or a JSON value turned into
 * text): trigger, detail, channel, audience, template, delay_minutes,
 * max_age_hours, requires_approval, enabled, min_value, max_value.
 * WERR_INVALID with a message for an unknown key or a bad value.
 */
enum werr rule_set(struct rule *r, const char *key, const char *value, char *err, size_t errcap);
/* Checks a complete rule: a trigger, a template (webhooks default to
 * "milestone"), and an audience that fits the channel (SMS: customer only;
 * ticket: a team; webhook: the subscribers).  Fills defaults it implies. */
enum werr rule_check(struct rule *r, char *err, size_t errcap);
/* From a JSON object {"trigger":..,"channel":..,...}; unknown members are an
 * error.  The result is checked (rule_check). */
enum werr rule_from_json(const cJSON *obj, const char *name, struct rule *out, char *err, size_t errcap);
/* The rule as the API shows it; NULL on allocation failure. */
cJSON *rule_to_json(const struct rule *r);

/* The built-in rules (docs/notifications.md); returns how many (<= cap). */
size_t rules_defaults(struct rule *out, size_t cap);

/* An ordered set of rules by name (defaults, then config, then the API). */
struct rule_set {
	struct rule r[RULES_MAX];
	size_t n;
};
/* Replaces the rule of the same name or appends; WERR_TOO_LARGE when full. */
enum werr rule_set_put(struct rule_set *s, const struct rule *r);
/* Removes the rule of that name; false when there was none. */
bool rule_set_remove(struct rule_set *s, const char *name);
const struct rule *rule_set_find(const struct rule_set *s, const char *name);

/* The milestones o shows now (at most cap), in a fixed order. */
size_t rules_milestones(const struct order_state *o, struct rules_milestone *out, size_t cap);

/* The milestone of an exception, as rules_plan() adds it from env. */
void rules_exception_milestone(const struct order_state *o, const struct rules_exception *x,
			       struct rules_milestone *out);

/*
 * Plans the messages that o's current state and open exceptions
 * (env->exceptions) call for under rules[0..n), at now.  A rule for the
 * customer does not fire on an exception before its customer_at (the
 * team's grace: internal first, customer second).  Disabled rules, stale milestones, unconfigured channels and
 * missing recipients (no email, no phone, no team address) give no plan.
 * *out (free()) holds *nout plans, in rule order then milestone order.
 */
enum werr rules_plan(const struct rule *rules, size_t n, const struct rules_env *env, const struct order_state *o,
		     int64_t now, struct rule_plan **out, size_t *nout);

#endif
