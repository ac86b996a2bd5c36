/*
 * cli.h - the wismo command's pieces: configuration, subcommands, demo.
 *
 * Configuration comes from, in rising priority: built-in defaults, the INI
 * file (--config FILE, else ./wismo.ini when present), the environment
 * (WISMO_STORE, WISMO_LISTEN), and the command line.  See docs/config.md.
 */
#ifndef WISMO_CLI_H
#define WISMO_CLI_H

#include <stdbool.h>

#include "../http/http.h"

struct cli_opts {
	const char *config;  /* --config */
	const char *store;   /* --store */
	const char *listen;  /* --listen */
	const char *role;    /* --role */
	const char *source;  /* --source */
	double speed;        /* demo: simulated hours per real second */
	double rate;         /* demo: new orders per real second */
	int verify;          /* rebuild --verify */
#define CLI_HEADERS_MAX 16
	const char *headers[CLI_HEADERS_MAX]; /* parse --header 'Name: value' */
	int nheaders;
	int nargs;
	char **args;         /* positional arguments after the subcommand */
};

/* Loads the configuration into cfg (defaults first).  Returns 0, or -1 after
 * printing an error to stderr. */
int config_load(struct server_config *cfg, const struct cli_opts *o);
/* Parses "HOST:PORT", "[V6]:PORT" or ":PORT" into cfg. */
int config_set_listen(struct server_config *cfg, const char *s);

int cmd_keys(const struct server_config *cfg, const struct cli_opts *o);
int cmd_demo(struct server_config *cfg, const struct cli_opts *o);
int cmd_parse(const struct server_config *cfg, const struct cli_opts *o);
int cmd_check(const struct server_config *cfg);
/* track-link parses its own options (--days); tracklink.c */
int cmd_track_link(int argc, char **argv);
/* notify parses its own options (preview --rule R --order O); notify.c */
int cmd_notify(int argc, char **argv);

/* The usage table (main.c) has one row per subcommand.  cli_help() answers
 * `wismo NAME --help` on stdout (the caller then exits 0); cli_usage() prints
 * NAME's "usage:" line on stderr for a subcommand used wrongly.  An unknown
 * NAME gets the list of every command.  cli_is_help() is true for "--help"
 * and "-h". */
void cli_help(const char *name);
void cli_usage(const char *name);
bool cli_is_help(const char *arg);

/* Blocks SIGINT and SIGTERM in the calling thread (and threads it starts
 * later), then cli_wait_signal() waits for one of them. */
void cli_block_signals(void);
int cli_wait_signal(void);

#endif
