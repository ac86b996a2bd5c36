/*
 * api.c - the two API resources of the web pages (docs/api.md):
 *
 *   POST /v1/track-links {"order":"1001","days":30}   agent or admin
 *        -> 201 {"url":"https://.../track/TOKEN","expires_at":"..."}
 *   GET  /v1/raw/{id}                                 admin
 *        -> the stored request body with its content type
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/clock.h"
#include "../base/wtime.h"
#include "web_int.h"
#include "../core/link.h"
#include "page.h"
#include "../base/banned.h"

#define DAYS_MAX 3650

enum http_result web_post_track_link(struct http_req *r)
{
	const struct web_config *c = &web_of(r)->cfg;
	cJSON *in = NULL, *out = NULL;
	const cJSON *order, *days;
	struct buf url = BUF_INIT;
	struct store *st;
	char *json = NULL, ts[WTIME_BUFSZ];
	int d = c->link_days > 0 ? c->link_days : 30;
	int64_t exp = 0;
	enum werr err;

	if (!(in = app_json_body(r, 0)))
		goto out;
	if (!cJSON_IsObject(in)) {
		http_fail(r, HE_MALFORMED_JSON, "the body must be a JSON object");
		goto out;
	}
	order = cJSON_GetObjectItemCaseSensitive(in, "order");
	days = cJSON_GetObjectItemCaseSensitive(in, "days");
	if (!cJSON_IsString(order) || !order->valuestring[0] || strlen(order->valuestring) > EV_ORDER_MAX) {
		http_fail(r, HE_INVALID_FIELD, "'order' must be an order number");
		goto out;
	}
	if (days && !cJSON_IsNull(days)) {
		if (!cJSON_IsNumber(days) || days->valuedouble < 1 || days->valuedouble > DAYS_MAX ||
		    days->valuedouble != (double)(int)days->valuedouble) {
			http_fail(r, HE_INVALID_FIELD, "'days' must be a whole number from 1 to %d", DAYS_MAX);
			goto out;
		}
		d = (int)days->valuedouble;
	}
	/* staff may only link to orders that exist */
	if (!(st = app_reader(web_app(r), r)))
		goto out;
	err = store_get_order(st, order->valuestring, &json);
	if (err == WERR_NOT_FOUND) {
		http_fail(r, HE_NOT_FOUND, "no order '%s'", order->valuestring);
		goto out;
	}
	if (err) {
		http_werr(r, err, store_errmsg(st));
		goto out;
	}
	if ((err = link_signer_url(web_app(r)->links, order->valuestring, d, clock_wall_ms(), &url, &exp))) {
		http_werr(r, err, "unable to sign the link");
		goto out;
	}
	if (!(out = cJSON_CreateObject()) || !cJSON_AddStringToObject(out, "url", url.p) ||
	    !cJSON_AddStringToObject(out, "expires_at", wtime_format(exp, ts))) {
		http_werr(r, WERR_NOMEM, NULL);
		goto out;
	}
	{
		char *text = cJSON_PrintUnformatted(out);
		if (text)
			http_json(r, 201, text, strlen(text));
		else
			http_werr(r, WERR_NOMEM, NULL);
		free(text);
	}
out:
	cJSON_Delete(in);
	cJSON_Delete(out);
	buf_release(&url);
	free(json);
	return HTTP_DONE;
}

enum http_result web_get_raw(struct http_req *r)
{
	const char *id = r->param;
	char ctype[128];
	struct store *st;
	char *end;
	long long n = strtoll(id, &end, 10);
	enum werr err;

	if (!id[0] || *end || n <= 0) {
		http_fail(r, HE_NOT_FOUND, "no raw payload '%s'", id);
		return HTTP_DONE;
	}
	if (!(st = app_reader(web_app(r), r)))
		return HTTP_DONE;
	buf_reset(&r->out);
	r->out.max = (size_t)64 << 20;
	err = store_raw_get(st, (int64_t)n, ctype, &r->out);
	if (err == WERR_NOT_FOUND) {
		http_fail(r, HE_NOT_FOUND, "no raw payload %lld", n);
		return HTTP_DONE;
	}
	if (err) {
		http_werr(r, err, store_errmsg(st));
		return HTTP_DONE;
	}
	r->status = 200;
	r->content_type = "application/octet-stream";
	if (ctype[0] && strspn(ctype, "\r\n") == 0 && !strpbrk(ctype, "\r\n") && (r->handler_state = strdup(ctype))) {
		r->handler_free = free;
		r->content_type = r->handler_state;
	}
	/* shown as data, never run: a stored HTML body cannot script this origin */
	http_add_header(r, "Content-Security-Policy", "default-src 'none'; sandbox");
	http_add_header(r, "Content-Disposition", "inline");
	return HTTP_DONE;
}
