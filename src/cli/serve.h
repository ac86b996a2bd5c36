/*
 * serve.h - the one place where the program is wired: what starts in which
 * order, who hears of each commit, and what stops in which order
 * (docs/architecture.md draws it).
 *
 * serve_start() returns once the server answers requests; serve_stop()
 * stops accepting, lets the writer commit what is queued, answers the
 * requests waiting for it, ends the live streams and frees everything: the
 * SIGTERM path.  The config must outlive the server.
 */
#ifndef WISMO_CLI_SERVE_H
#define WISMO_CLI_SERVE_H

#include "cli.h"

struct serve;

enum werr serve_start(const struct config *cfg, struct serve **out, char *errbuf, size_t errcap);
int serve_port(const struct serve *s);
/* The link signer the server signs with (demo prints a link). */
const struct link_signer *serve_links(const struct serve *s);
void serve_stop(struct serve *s);

#endif
