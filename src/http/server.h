/*
 * server.h - start and stop the HTTP server.
 *
 * server_start() opens the writer and the daemon and returns once the server
 * listens.  server_stop() stops accepting, lets the writer commit what is
 * queued, answers the requests waiting for it, and frees everything: the
 * SIGTERM path.  One server per process is the normal case, but nothing here
 * is global except the signal handling the caller does.
 */
#ifndef WISMO_SERVER_H
#define WISMO_SERVER_H

#include "http.h"

enum werr server_start(const struct server_config *cfg, struct server **out, char *errbuf, size_t errcap);
int server_port(const struct server *s);

struct mappings;
struct zones;
/*
 * Loads the mapping tables and the zone table: from cfg->mappings_dir, else
 * $WISMO_MAPPINGS, else the installed data directory, else the source tree's
 * mappings/ (a build that was not installed); the override directory on top.
 */
enum werr server_load_tables(const struct server_config *cfg, struct mappings **maps, struct zones **zones,
			     char *errbuf, size_t errcap);
/*
 * The installed data directory's subdirectory sub ("templates", "web"), or
 * the source tree's when the build was not installed; written into out.
 */
const char *server_data_dir(const char *sub, char *out, size_t cap);

void server_stop(struct server *s);

#endif
