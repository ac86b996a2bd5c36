/*
 * links.h - making the link signer (core/link.h) once at start.
 *
 * The secret: WISMO_LINK_SECRET, else the configured one ([web]
 * link_secret), else one made at random on first use and kept in the
 * database's settings table, so every process on that database (the
 * server, `wismo track-link`, a second node) agrees.  The base URL: the
 * configured public URL ([web] public_url), else http://HOST:PORT of the
 * listening address (0.0.0.0 and :: read as 127.0.0.1).
 *
 * Failure to get a secret is logged and leaves secretlen 0: links then fail
 * with WERR_INTERNAL rather than being signed with nothing.
 */
#ifndef WISMO_APP_LINKS_H
#define WISMO_APP_LINKS_H

#include "../core/link.h"

void app_link_signer_init(struct link_signer *s, const char *configured_secret, const char *store_url);
/* Sets the base URL (call again once the port is known). */
void app_link_signer_base(struct link_signer *s, const char *public_url, const char *listen_host, int port);

#endif
