/* peers.c - other nodes' commits to this node's live streams (contract in peers.h). */
#include "peers.h"

#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "../base/log.h"
#include "../store/store.h"
#include "../base/banned.h"

#define WAIT_MS 1000 /* one listen; the stop flag is read between them */

struct peers {
	struct store *st;
	struct sse_hub *hub;
	pthread_t thread;
	atomic_bool stop;
};

static void heard(void *ctx, const char *const *orders, size_t n)
{
	struct peers *p = ctx;

	sse_hub_notify(p->hub, orders, n);
}

static void *peers_main(void *arg)
{
	struct peers *p = arg;
	bool failing = false;

	while (!atomic_load(&p->stop)) {
		enum werr err = store_listen(p->st, WAIT_MS, heard, p);

		if (err && !failing)
			wlog(LOG_ERROR, "peers_listen_failed", "error", werr_name(err), "detail", store_errmsg(p->st),
			     NULL);
		if (!err && failing)
			wlog(LOG_INFO, "peers_listen_resumed", NULL);
		failing = err != WERR_OK;
		if (failing)
			sleep(1);
	}
	return NULL;
}

enum werr peers_start(const char *store_url, struct sse_hub *hub, struct peers **out, char *errbuf,
		      size_t errcap)
{
	struct peers *p;
	enum werr err;

	*out = NULL;
	if (!(p = calloc(1, sizeof(*p))))
		return WERR_NOMEM;
	p->hub = hub;
	if ((err = store_open(store_url, STORE_NO_MIGRATE, &p->st, errbuf, errcap)))
		goto fail;
	/* the first listen says whether there are peers at all */
	err = store_listen(p->st, 0, heard, p);
	if (err == WERR_UNSUPPORTED) {
		store_close(p->st);
		free(p);
		return WERR_OK;
	}
	if (err) {
		snprintf(errbuf, errcap, "%s", store_errmsg(p->st));
		goto fail;
	}
	if (pthread_create(&p->thread, NULL, peers_main, p)) {
		snprintf(errbuf, errcap, "unable to start the peers thread");
		err = WERR_INTERNAL;
		goto fail;
	}
	*out = p;
	return WERR_OK;
fail:
	store_close(p->st);
	free(p);
	return err;
}

void peers_stop(struct peers *p)
{
	if (!p)
		return;
	atomic_store(&p->stop, true);
	pthread_join(p->thread, NULL);
	store_close(p->st);
	free(p);
}
