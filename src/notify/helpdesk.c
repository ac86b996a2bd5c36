/*
 * helpdesk.c - the ticket channel in Zendesk's ticket API shape.
 *
 * Open:   POST {base}/api/v2/tickets.json
 *         {"ticket":{"subject":..,"comment":{"body":<timeline>},"tags":[..],"external_id":<order>,
 *                    "priority":"high"}}
 *         -> {"ticket":{"id":123,...}}: the remote id is "123".
 * Update: PUT {base}/api/v2/tickets/{id}.json
 *         {"ticket":{"status":"solved","comment":{"body":..,"public":false},"priority":..,
 *                    "additional_tags":[..]}}
 *         no "status" when the message leaves it (a note on a customer's
 *         ticket), no "comment" when it has no text (tags only)
 * "priority" only when the message has one (a task's: low, normal, high).
 * Auth:   basic, user "{email}/token", password the API token (Zendesk's
 *         API-token form).
 *
 * Which of the two is done is the caller's choice (message.ticket_id set:
 * update); the worker keeps the order's ticket id in the store.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel_int.h"
#include "../base/banned.h"

enum werr ticket_body(const struct message *m, bool update, struct buf *out)
{
	cJSON *root = cJSON_CreateObject(), *t = cJSON_AddObjectToObject(root, "ticket");
	cJSON *comment = t ? cJSON_AddObjectToObject(t, "comment") : NULL;
	bool ok = comment != NULL;
	char *s = NULL;
	enum werr err;

	if (ok && update) {
		cJSON *tags = m->tags ? cJSON_AddArrayToObject(t, "additional_tags") : NULL;
		if (m->ticket_status)
			ok = cJSON_AddStringToObject(t, "status", m->ticket_status) != NULL;
		if (ok && m->text && m->text[0])
			ok = cJSON_AddStringToObject(comment, "body", m->text) && cJSON_AddFalseToObject(comment, "public");
		else
			cJSON_DeleteItemFromObject(t, "comment");
		for (size_t i = 0; ok && tags && m->tags[i]; i++) {
			cJSON *tag = cJSON_CreateString(m->tags[i]);
			ok = tag && cJSON_AddItemToArray(tags, tag);
		}
	} else if (ok) {
		cJSON *tags = cJSON_AddArrayToObject(t, "tags");
		ok = tags && cJSON_AddStringToObject(t, "subject", m->subject ? m->subject : "") &&
		     cJSON_AddStringToObject(comment, "body", m->text ? m->text : "") &&
		     cJSON_AddStringToObject(t, "external_id", m->order ? m->order : "");
		for (size_t i = 0; ok && m->tags && m->tags[i]; i++) {
			cJSON *tag = cJSON_CreateString(m->tags[i]);
			ok = tag && cJSON_AddItemToArray(tags, tag);
		}
		if (ok && m->ticket_status && strcmp(m->ticket_status, "open"))
			ok = cJSON_AddStringToObject(t, "status", m->ticket_status) != NULL;
	}
	if (ok && m->priority)
		ok = cJSON_AddStringToObject(t, "priority", m->priority) != NULL;
	if (ok)
		s = cJSON_PrintUnformatted(root);
	err = s ? buf_puts(out, s) : WERR_NOMEM;
	free(s);
	cJSON_Delete(root);
	return err;
}

/* Ticket ids are numbers; anything else in a URL path is refused. */
static bool id_ok(const char *id)
{
	return id && id[0] && strlen(id) < 32 && strspn(id, "0123456789") == strlen(id);
}

static enum werr ticket_send(const struct notify_config *cfg, const struct message *m, struct send_result *res)
{
	const struct notify_helpdesk *hd = &cfg->helpdesk;
	bool update = m->ticket_id && m->ticket_id[0];
	struct chan_http h = { 0 };
	struct buf body = BUF_INIT, url = BUF_INIT;
	struct curl_slist *headers = NULL;
	char user[300];
	enum werr err;

	if (!hd->base_url[0] || !hd->email[0]) {
		snprintf(res->error, sizeof(res->error), "ticket channel not configured ([helpdesk] base_url, email)");
		return WERR_UNSUPPORTED;
	}
	if (update && !id_ok(m->ticket_id)) {
		snprintf(res->error, sizeof(res->error), "ticket: bad ticket id");
		return WERR_INVALID;
	}
	snprintf(user, sizeof(user), "%s/token", hd->email);
	if ((err = ticket_body(m, update, &body)) ||
	    (err = update ? buf_printf(&url, "%s/api/v2/tickets/%s.json", hd->base_url, m->ticket_id)
			  : buf_printf(&url, "%s/api/v2/tickets.json", hd->base_url))) {
		res->retry = err == WERR_NOMEM;
		snprintf(res->error, sizeof(res->error), "ticket: %s", werr_name(err));
		goto out;
	}
	if (!(headers = curl_slist_append(NULL, "Content-Type: application/json"))) {
		err = WERR_NOMEM;
		res->retry = true;
		goto out;
	}
	h = (struct chan_http){ .method = update ? "PUT" : "POST", .url = url.p, .headers = headers, .body = body.p,
				.len = body.len, .user = user, .password = hd->api_token };
	if ((err = chan_http_call(&h, res)))
		goto out;
	chan_http_result(res, h.status, "help desk");
	if (res->ok && !update) {
		cJSON *j = cJSON_ParseWithLength(h.resp.p, h.resp.len);
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "ticket"), "id");
		if (cJSON_IsNumber(id) && id->valuedouble >= 1 && id->valuedouble < 9007199254740992.0)
			snprintf(res->remote_id, sizeof(res->remote_id), "%.0f", id->valuedouble);
		else if (cJSON_IsString(id) && id_ok(id->valuestring))
			snprintf(res->remote_id, sizeof(res->remote_id), "%s", id->valuestring);
		cJSON_Delete(j);
		if (!res->remote_id[0]) {
			/* created, but we cannot update it later: keep it as sent
			 * and say so rather than open a second ticket */
			snprintf(res->error, sizeof(res->error), "ticket: the answer had no ticket id");
		}
	} else if (res->ok) {
		snprintf(res->remote_id, sizeof(res->remote_id), "%s", m->ticket_id);
	}
	err = res->ok ? WERR_OK : WERR_IO;
out:
	buf_release(&h.resp);
	curl_slist_free_all(headers);
	buf_release(&body);
	buf_release(&url);
	return err;
}

static bool ticket_configured(const struct notify_config *cfg)
{
	return cfg->helpdesk.base_url[0] != '\0';
}

const struct channel ticket_channel = {
	.name = "ticket",
	.send = ticket_send,
	.configured = ticket_configured,
	.templated = true,
};
