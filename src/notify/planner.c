/*
 * planner.c - rules -> outbox rows in the writer's transaction; the
 * effective rule set; the side store (contract in planner.h).
 */
#include "planner.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/crypto.h"
#include "../base/log.h"
#include "../core/notify_view.h"
#include "channel.h"
#include "../base/banned.h"

#define LINK_DAYS 90 /* a link in a message outlives the message by a good margin */

struct notify_planner {
	struct notify_planner_opts o; /* its pointers: to the copies below, and the shared signer */
	struct rules_config rules;
	struct notify_config notify;
	struct notify_shop shop;
	struct exc_config exc;
	struct calendar cal;
	struct ms_config milestones;
	char store_url[1024];
	pthread_mutex_t rules_mu;
	struct rule_set base;       /* defaults + config */
	struct rule_set eff;        /* base + the API's */
	pthread_mutex_t side_mu;
	struct store *side;
};

void notify_outbox_key(const char *order, const char *milestone, const char *channel, const char *recipient,
		       char out[OUTBOX_KEY_MAX + 1])
{
	struct buf b = BUF_INIT;
	const char *parts[4] = { order, milestone, channel, recipient };

	for (int i = 0; i < 4; i++)
		if (buf_append(&b, parts[i], strlen(parts[i]) + (i < 3 ? 1 : 0))) {
			out[0] = '\0'; /* cannot happen below the buffer's 64 MiB limit */
			buf_release(&b);
			return;
		}
	crypto_sha256_hex(b.p, b.len, out);
	buf_release(&b);
}

/* ---- configuration ---- */

static struct rule *config_rule(struct rules_config *cfg, const char *name)
{
	struct rule defs[RULES_MAX];
	size_t nd;
	struct rule *r;

	for (int i = 0; i < cfg->nrules; i++)
		if (!strcmp(cfg->rules[i].name, name))
			return &cfg->rules[i];
	if (cfg->nrules >= RULES_MAX || !name[0] || strlen(name) > RULE_NAME_MAX)
		return NULL;
	r = &cfg->rules[cfg->nrules++];
	rule_init(r, name);
	/* a section named like a default rule starts from it ([rule shipped]
	 * enabled = false turns it off) */
	nd = rules_defaults(defs, RULES_MAX);
	for (size_t i = 0; i < nd; i++)
		if (!strcmp(defs[i].name, name)) {
			*r = defs[i];
			snprintf(r->origin, sizeof(r->origin), "config");
		}
	return r;
}

int notify_rules_config_set(struct rules_config *cfg, const char *section, const char *name, const char *value)
{
	char err[256];
	struct rule *r;

	if (!strcmp(section, "notify")) {
		if (!strcmp(name, "templates")) {
			if (strlen(value) >= sizeof(cfg->templates))
				return -1;
			snprintf(cfg->templates, sizeof(cfg->templates), "%s", value);
		} else if (!strcmp(name, "locale")) {
			if (!value[0] || strlen(value) >= sizeof(cfg->locale) || strchr(value, '/') ||
			    strchr(value, '.'))
				return -1;
			snprintf(cfg->locale, sizeof(cfg->locale), "%s", value);
		} else if (!strcmp(name, "default_rules")) {
			if (!strcmp(value, "true") || !strcmp(value, "yes") || !strcmp(value, "1"))
				cfg->no_default_rules = false;
			else if (!strcmp(value, "false") || !strcmp(value, "no") || !strcmp(value, "0"))
				cfg->no_default_rules = true;
			else
				return -1;
		} else {
			return 0;
		}
		return 1;
	}
	if (strncmp(section, "rule ", 5))
		return 0;
	if (!(r = config_rule(cfg, section + 5))) {
		fprintf(stderr, "wismo: too many rules, or a bad rule name in [%s]\n", section);
		return -1;
	}
	if (!strcmp(name, "conditions")) {
		/* "min_value=50 max_value=500": the value conditions in one line */
		char buf[256], *save = NULL, *tok;
		snprintf(buf, sizeof(buf), "%s", value);
		for (tok = strtok_r(buf, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save)) {
			char *eq = strchr(tok, '=');
			if (!eq) {
				fprintf(stderr, "wismo: [%s] conditions: '%s' is not key=value\n", section, tok);
				return -1;
			}
			*eq = '\0';
			if (strcmp(tok, "min_value") && strcmp(tok, "max_value")) {
				fprintf(stderr, "wismo: [%s] conditions: unknown condition '%s' (min_value, max_value)\n",
					section, tok);
				return -1;
			}
			if (rule_set(r, tok, eq + 1, err, sizeof(err))) {
				fprintf(stderr, "wismo: [%s]: %s\n", section, err);
				return -1;
			}
		}
		return 1;
	}
	if (rule_set(r, name, value, err, sizeof(err))) {
		fprintf(stderr, "wismo: [%s]: %s\n", section, err);
		return -1;
	}
	return 1;
}

/* ---- rows ---- */

static enum werr view_text(const struct notify_shop *shop, const struct ms_config *milestones,
			   const struct order_state *o, const struct rule *r, const struct rule_plan *pl,
			   const char *tracking_url, char **out)
{
	struct notify_view_ctx c = {
		.milestone = pl->milestone,
		.trigger = r->trigger,
		.rule = r->name,
		.locale = pl->locale,
		.package = pl->package,
		.ret = pl->ret,
		.tracking_url = tracking_url,
		.shop_name = shop->name,
		.support_email = shop->support_email,
		.support_phone = shop->support_phone,
		.exc = pl->exc,
		.return_instructions = shop->return_instructions,
		.milestones = milestones,
	};
	cJSON *v = notify_view(o, &c);

	/* the trigger of an "any" rule is the milestone's own */
	if (v && !strcmp(r->trigger, "any")) {
		char trig[32];
		snprintf(trig, sizeof(trig), "%.*s", (int)strcspn(pl->milestone, ":"), pl->milestone);
		cJSON_ReplaceItemInObject(v, "trigger", cJSON_CreateString(trig));
	}
	*out = v ? cJSON_PrintUnformatted(v) : NULL;
	cJSON_Delete(v);
	return *out ? WERR_OK : WERR_NOMEM;
}

enum werr notify_order_exceptions(const struct notify_planner_opts *po, struct store *st, const struct order_state *o,
				  struct rules_exception **x, struct exception_row **rows, size_t *n)
{
	static const enum rule_audience owner[TEAM__COUNT] = { [TEAM_SUPPORT] = AUD_SUPPORT,
							       [TEAM_WAREHOUSE] = AUD_WAREHOUSE,
							       [TEAM_OPERATIONS] = AUD_OPERATIONS,
							       [TEAM_RETURNS] = AUD_RETURNS };
	struct rules_exception *out;
	size_t k = 0;
	enum werr err;

	*x = NULL;
	*rows = NULL;
	*n = 0;
	if (!po->exc)
		return WERR_OK;
	if ((err = store_exc_list(st, o->order, (int)exceptions_max(o) + 1, rows, n)) || !*n)
		return err;
	if (!(out = calloc(*n, sizeof(*out)))) {
		free(*rows);
		*rows = NULL;
		*n = 0;
		return WERR_NOMEM;
	}
	for (size_t i = 0; i < *n; i++) {
		const struct exception_row *r = &(*rows)[i];
		int kind = exc_kind_from_name(r->kind);
		if (kind < 0)
			continue; /* a kind this version does not know */
		out[k].kind = (enum exc_kind)kind;
		out[k].package = out[k].ret = -1;
		for (size_t p = 0; r->package[0] && p < o->npackages; p++)
			if (!strcmp(o->packages[p].tracking, r->package))
				out[k].package = (int)p;
		/* a return's exception names the return (core/exceptions.h) */
		for (size_t p = 0; r->package[0] && out[k].package < 0 && p < o->nreturns; p++)
			if (!strcmp(o->returns[p].id, r->package))
				out[k].ret = (int)p;
		out[k].since = r->since;
		out[k].customer_at = exc_customer_at(po->exc, po->cal, (enum exc_kind)kind, r->since);
		out[k].owner = owner[po->exc->team[kind] < TEAM__COUNT ? po->exc->team[kind] : TEAM_SUPPORT];
		out[k].reason = r->reason;
		out[k].priority = exc_priority_name(po->exc->priority[kind]);
		k++;
	}
	*x = out;
	*n = k;
	return WERR_OK;
}

enum werr notify_build_rows(const struct notify_planner_opts *po, const struct rule *rules, size_t nrules, bool all_channels,
			    const struct order_state *o, const struct rules_exception *x, size_t nx, int64_t now,
			    struct outbox_row **rows, bool **needs_consent, size_t *n)
{
	const struct notify_config *nc = po->notify;
	const char *subs[NOTIFY_SUBSCRIBERS_MAX];
	struct rules_env env = { 0 };
	struct rule_plan *plans = NULL;
	struct outbox_row *out = NULL;
	struct buf url = BUF_INIT;
	bool *consent = NULL;
	size_t np = 0;
	int64_t exp;
	enum werr err;

	*rows = NULL;
	*needs_consent = NULL;
	*n = 0;
	for (int i = 0; i < nc->nsubscribers && i < NOTIFY_SUBSCRIBERS_MAX; i++)
		subs[i] = nc->subscribers[i].name;
	env.subscribers = subs;
	env.nsubscribers = (size_t)(nc->nsubscribers > 0 ? nc->nsubscribers : 0);
	env.email = all_channels || channel_configured(nc, "email");
	env.sms = all_channels || channel_configured(nc, "sms");
	env.webhook = all_channels || channel_configured(nc, "webhook");
	env.ticket = all_channels || channel_configured(nc, "ticket");
	env.team[AUD_SUPPORT] = nc->teams.support;
	env.team[AUD_WAREHOUSE] = nc->teams.warehouse;
	env.team[AUD_OPERATIONS] = nc->teams.operations;
	env.team[AUD_RETURNS] = nc->teams.returns;
	env.exceptions = x;
	env.nexceptions = nx;
	env.locale = po->rules->locale[0] ? po->rules->locale : "en";
	env.milestones = po->milestones;
	if ((err = rules_plan(rules, nrules, &env, o, now, &plans, &np)) || !np)
		goto out;
	if (!(out = calloc(np, sizeof(*out))) || !(consent = calloc(np, sizeof(*consent)))) {
		err = WERR_NOMEM;
		goto out;
	}
	/* signed only now: most refolds plan no message (an HMAC per order
	 * was ~2 % of the writer's work at one event per request) */
	if (po->links && link_signer_url(po->links, o->order, LINK_DAYS, now, &url, &exp))
		buf_reset(&url);
	for (size_t i = 0; i < np; i++) {
		const struct rule_plan *pl = &plans[i];
		const struct rule *r = &rules[pl->rule];
		struct outbox_row *row = &out[i];
		snprintf(row->order, sizeof(row->order), "%s", o->order);
		snprintf(row->rule, sizeof(row->rule), "%s", r->name);
		snprintf(row->milestone, sizeof(row->milestone), "%s", pl->milestone);
		snprintf(row->channel, sizeof(row->channel), "%s", rule_channel_name(pl->channel));
		snprintf(row->recipient, sizeof(row->recipient), "%s", pl->recipient);
		snprintf(row->template_name, sizeof(row->template_name), "%s", pl->template_name);
		snprintf(row->locale, sizeof(row->locale), "%s", pl->locale);
		snprintf(row->state, sizeof(row->state), "%s", outbox_state_name(pl->review ? OUTBOX_REVIEW : OUTBOX_PENDING));
		row->created_at = now;
		row->next_at = pl->next_at;
		notify_outbox_key(row->order, row->milestone, row->channel, row->recipient, row->key);
		consent[i] = pl->needs_consent;
		if ((err = view_text(po->shop, po->milestones, o, r, pl, url.len ? url.p : NULL, &row->view)))
			goto out;
	}
	*rows = out;
	*needs_consent = consent;
	*n = np;
	out = NULL;
	consent = NULL;
out:
	if (out)
		outbox_rows_free(out, np);
	free(consent);
	free(plans);
	buf_release(&url);
	return err;
}

/* ---- the writer's hook ---- */

enum werr notify_planner_hook(void *ctx, struct store *st, const struct order_state *o, int64_t now)
{
	struct notify_planner *p = ctx;
	struct outbox_row *rows = NULL;
	struct rules_exception *x = NULL;
	struct exception_row *xrows = NULL;
	bool *sms = NULL, dup;
	size_t n = 0, nx = 0;
	enum werr err;

	if ((err = notify_order_exceptions(&p->o, st, o, &x, &xrows, &nx)))
		return err;
	pthread_mutex_lock(&p->rules_mu);
	err = notify_build_rows(&p->o, p->eff.r, p->eff.n, false, o, x, nx, now, &rows, &sms, &n);
	pthread_mutex_unlock(&p->rules_mu);
	free(x);
	free(xrows);
	for (size_t i = 0; !err && i < n; i++) {
		struct outbox_row *row = &rows[i];
		if (sms[i]) {
			bool in = false;
			enum werr ce = store_consent_get(st, row->recipient, &in, NULL);
			if (ce && ce != WERR_NOT_FOUND) {
				err = ce;
				break;
			}
			if (!in) {
				snprintf(row->state, sizeof(row->state), "%s", outbox_state_name(OUTBOX_CANCELLED));
				snprintf(row->last_error, sizeof(row->last_error), "%s",
					 ce == WERR_NOT_FOUND ? "suppressed: no SMS opt-in recorded"
							      : "suppressed: the customer opted out of SMS");
			}
		}
		if ((err = store_outbox_put(st, row, &dup)))
			break;
		if (!dup)
			wlog(LOG_INFO, "notification_planned", "order", row->order, "rule", row->rule, "milestone",
			     row->milestone, "channel", row->channel, "state", row->state, NULL);
	}
	if (err)
		wlog(LOG_ERROR, "notification_plan_failed", "order", o->order, "detail", store_errmsg(st), NULL);
	outbox_rows_free(rows, n);
	free(sms);
	return err;
}

/* ---- rules ---- */

void notify_rules_apply_stored(struct rule_set *set, const struct rule_row *rows, size_t n)
{
	char err[256];

	for (size_t i = 0; i < n; i++) {
		struct rule r;
		cJSON *j;
		if (!rows[i].json) {
			rule_set_remove(set, rows[i].name);
			continue;
		}
		j = cJSON_Parse(rows[i].json);
		if (!j || rule_from_json(j, rows[i].name, &r, err, sizeof(err))) {
			wlog(LOG_WARN, "stored_rule_ignored", "rule", rows[i].name, "detail", j ? err : "not JSON", NULL);
		} else if (rule_set_put(set, &r)) {
			wlog(LOG_WARN, "stored_rule_ignored", "rule", rows[i].name, "detail", "too many rules", NULL);
		}
		cJSON_Delete(j);
	}
}

enum werr notify_rules_base(const struct rules_config *cfg, struct rule_set *out, char *errbuf, size_t errcap)
{
	char err[256];
	enum werr e;

	out->n = cfg->no_default_rules ? 0 : rules_defaults(out->r, RULES_MAX);
	for (int i = 0; i < cfg->nrules; i++) {
		struct rule r = cfg->rules[i];
		if ((e = rule_check(&r, err, sizeof(err)))) {
			snprintf(errbuf, errcap, "%s", err);
			return e;
		}
		if ((e = rule_set_put(out, &r))) {
			snprintf(errbuf, errcap, "more than %d rules", RULES_MAX);
			return e;
		}
	}
	return WERR_OK;
}

static enum werr reload(struct notify_planner *p)
{
	struct rule_row *rows = NULL;
	size_t n = 0;
	struct store *st = notify_side_lock(p);
	enum werr err;

	if (!st)
		return WERR_DB;
	err = store_rule_list(st, &rows, &n);
	notify_side_unlock(p);
	if (err)
		return err;
	pthread_mutex_lock(&p->rules_mu);
	p->eff = p->base;
	notify_rules_apply_stored(&p->eff, rows, n);
	pthread_mutex_unlock(&p->rules_mu);
	rule_rows_free(rows, n);
	return WERR_OK;
}

enum werr notify_planner_new(const struct notify_planner_opts *o, struct notify_planner **out, char *errbuf,
			     size_t errcap)
{
	struct notify_planner *p = calloc(1, sizeof(*p));
	enum werr e;

	*out = NULL;
	if (!p)
		return WERR_NOMEM;
	p->rules = *o->rules;
	p->notify = *o->notify;
	p->shop = *o->shop;
	snprintf(p->store_url, sizeof(p->store_url), "%s", o->store_url);
	p->o.rules = &p->rules;
	p->o.notify = &p->notify;
	p->o.shop = &p->shop;
	p->o.links = o->links;
	p->o.store_url = p->store_url;
	if (o->milestones) {
		p->milestones = *o->milestones;
		p->o.milestones = &p->milestones;
	}
	if (o->exc && o->cal) {
		p->exc = *o->exc;
		p->cal = *o->cal;
		p->o.exc = &p->exc;
		p->o.cal = &p->cal;
	}
	pthread_mutex_init(&p->rules_mu, NULL);
	pthread_mutex_init(&p->side_mu, NULL);
	if ((e = notify_rules_base(&p->rules, &p->base, errbuf, errcap))) {
		notify_planner_free(p);
		return e;
	}
	p->eff = p->base;
	if ((e = reload(p))) {
		snprintf(errbuf, errcap, "unable to read the stored rules");
		notify_planner_free(p);
		return e;
	}
	*out = p;
	return WERR_OK;
}

void notify_planner_free(struct notify_planner *p)
{
	if (!p)
		return;
	store_close(p->side);
	pthread_mutex_destroy(&p->rules_mu);
	pthread_mutex_destroy(&p->side_mu);
	free(p);
}

struct store *notify_side_lock(struct notify_planner *p)
{
	char msg[256];

	pthread_mutex_lock(&p->side_mu);
	if (!p->side && store_open(p->store_url, STORE_NO_MIGRATE, &p->side, msg, sizeof(msg))) {
		wlog(LOG_ERROR, "side_store_open_failed", "detail", msg, NULL);
		p->side = NULL;
		pthread_mutex_unlock(&p->side_mu);
		return NULL;
	}
	return p->side;
}

void notify_side_unlock(struct notify_planner *p)
{
	pthread_mutex_unlock(&p->side_mu);
}

void notify_rules_snapshot(struct notify_planner *p, struct rule_set *out)
{
	pthread_mutex_lock(&p->rules_mu);
	*out = p->eff;
	pthread_mutex_unlock(&p->rules_mu);
}

const char *notify_templates_dir(const struct notify_planner *p)
{
	return p->rules.templates;
}

/* Writes the rule row and its audit entry in one transaction. */
static enum werr store_rule(struct notify_planner *p, const char *name, const char *json, const char *actor,
			    const char *action, int64_t now)
{
	struct store *st = notify_side_lock(p);
	enum werr err;

	if (!st)
		return WERR_DB;
	if (!(err = store_begin(st))) {
		if (!(err = store_rule_put(st, name, json, now)) &&
		    !(err = store_audit_put(st, actor, action, name, json, now)))
			err = store_commit(st);
		if (err) {
			wlog(LOG_ERROR, "rule_store_failed", "rule", name, "detail", store_errmsg(st), NULL);
			store_rollback(st);
		}
	}
	notify_side_unlock(p);
	return err;
}

enum werr notify_rule_put(struct notify_planner *p, const struct rule *r, const char *actor, int64_t now)
{
	struct rule copy = *r;
	cJSON *j;
	char *json;
	enum werr err;
	bool exists, full;

	snprintf(copy.origin, sizeof(copy.origin), "api");
	pthread_mutex_lock(&p->rules_mu);
	exists = rule_set_find(&p->eff, r->name) != NULL;
	full = !exists && p->eff.n >= RULES_MAX;
	pthread_mutex_unlock(&p->rules_mu);
	if (full)
		return WERR_TOO_LARGE;
	if (!(j = rule_to_json(&copy)))
		return WERR_NOMEM;
	cJSON_DeleteItemFromObject(j, "origin");
	cJSON_DeleteItemFromObject(j, "name");
	json = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	if (!json)
		return WERR_NOMEM;
	err = store_rule(p, r->name, json, actor, exists ? "rule.update" : "rule.create", now);
	cJSON_free(json);
	if (err)
		return err;
	return reload(p);
}

enum werr notify_rule_delete(struct notify_planner *p, const char *name, const char *actor, int64_t now)
{
	bool exists;
	enum werr err;

	pthread_mutex_lock(&p->rules_mu);
	exists = rule_set_find(&p->eff, name) != NULL;
	pthread_mutex_unlock(&p->rules_mu);
	if (!exists)
		return WERR_NOT_FOUND;
	if ((err = store_rule(p, name, NULL, actor, "rule.delete", now)))
		return err;
	return reload(p);
}
