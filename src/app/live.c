/* live.c - committed orders to the live streams (contract in live.h). */
#include "live.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

#include "../base/log.h"
#include "auth.h"
#include "../store/store.h"
#include "../base/banned.h"

struct app_live {
	char store_url[1024];
	struct store *st; /* the hub thread's read-only handle */
	struct sse_hub *hub;
};

struct app_live *app_live_new(const char *store_url, struct sse_hub *hub)
{
	struct app_live *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	snprintf(l->store_url, sizeof(l->store_url), "%s", store_url);
	l->hub = hub;
	return l;
}

void app_live_free(struct app_live *l)
{
	if (!l)
		return;
	store_close(l->st);
	free(l);
}

/* The hub thread's read-only handle, opened on first use; NULL when the
 * store cannot be opened now (logged; tried again next time). */
static struct store *live_store(struct app_live *l)
{
	char err[256];

	if (!l->st && store_open(l->store_url, STORE_READONLY, &l->st, err, sizeof(err))) {
		wlog(LOG_ERROR, "sse_store_open_failed", "detail", err, NULL);
		l->st = NULL;
	}
	return l->st;
}

bool app_live_check(void *ctx, const char *principal)
{
	struct app_live *l = ctx;
	struct store *st = live_store(l);

	return !st || app_key_valid(st, principal);
}

void app_live_committed(void *ctx, const char *const *orders, size_t n)
{
	struct app_live *l = ctx;

	sse_hub_notify(l->hub, orders, n);
}

void app_live_feed(void *ctx, struct sse_hub *h, const char *order)
{
	struct app_live *l = ctx;
	char *json = NULL, topic[SSE_TOPIC_MAX + 1];
	cJSON *root, *data;
	char *text;

	if (!live_store(l))
		return;
	if (store_get_order(l->st, order, &json))
		return; /* not readable now: the next change of the order publishes it */
	root = cJSON_Parse(json);
	free(json);
	data = cJSON_CreateObject();
	if (root && data) {
		cJSON_AddStringToObject(data, "order", order);
		cJSON_AddItemToObject(data, "status",
				      cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(root, "status"), 1));
		cJSON_AddItemToObject(data, "updated_at",
				      cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(root, "updated_at"), 1));
		if ((text = cJSON_PrintUnformatted(data))) {
			snprintf(topic, sizeof(topic), "order:%s", order);
			sse_hub_publish(h, topic, "update", text);
			sse_hub_publish(h, "dashboard", "order", text);
			free(text);
		}
	}
	cJSON_Delete(root);
	cJSON_Delete(data);
}
