/* links.c - the link signer's secret and base URL (contract in links.h). */
#include "links.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/crypto.h"
#include "../base/log.h"
#include "../store/store.h"
#include "../base/banned.h"

void app_link_signer_init(struct link_signer *s, const char *configured_secret, const char *store_url)
{
	const char *env = getenv("WISMO_LINK_SECRET");
	const char *v = env && env[0] ? env : configured_secret && configured_secret[0] ? configured_secret : NULL;
	unsigned char rnd[32];
	char hex[65], msg[256];
	struct store *st = NULL;

	s->secretlen = 0;
	s->secret[0] = '\0';
	if (v) {
		snprintf(s->secret, sizeof(s->secret), "%s", v);
		s->secretlen = strlen(s->secret);
		return;
	}
	if (crypto_random(rnd, sizeof(rnd))) {
		wlog(LOG_ERROR, "link_secret_failed", "detail", "no random bytes", NULL);
		return;
	}
	crypto_hex(rnd, sizeof(rnd), hex);
	if (store_open(store_url, 0, &st, msg, sizeof(msg))) {
		wlog(LOG_ERROR, "link_secret_failed", "detail", msg, NULL);
		return;
	}
	if (store_setting_get_or_create(st, "link_secret", hex, s->secret, sizeof(s->secret))) {
		wlog(LOG_ERROR, "link_secret_failed", "detail", store_errmsg(st), NULL);
		s->secret[0] = '\0';
	}
	s->secretlen = strlen(s->secret);
	store_close(st);
}

void app_link_signer_base(struct link_signer *s, const char *public_url, const char *listen_host, int port)
{
	size_t n;

	if (public_url && public_url[0])
		snprintf(s->base, sizeof(s->base), "%s", public_url);
	else
		snprintf(s->base, sizeof(s->base), "http://%s:%d",
			 !strcmp(listen_host, "0.0.0.0") || !strcmp(listen_host, "::") ? "127.0.0.1" : listen_host, port);
	n = strlen(s->base);
	while (n && s->base[n - 1] == '/')
		s->base[--n] = '\0';
}
