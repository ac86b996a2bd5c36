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

#include "../adapters/sources.h"
#include "../api/api.h"
#include "../app/retention.h"
#include "../core/exceptions.h"
#include "../helpdesk/helpdesk.h"
#include "../core/policy.h"
#include "../http/http.h"
#include "../notify/notify_config.h"
#include "../notify/planner.h"
#include "../store/store_config.h"
#include "../views/views.h"
#include "../web/web.h"

/*
 * Everything the INI file configures, one struct per module (each module
 * parses its own sections: config.c hands every entry to each module's
 * setter until one takes it).
 */
struct config {
	struct http_opts http;          /* [server] listen, threads; [limits] body, connections; [streams] */
	struct store_config store;      /* [server] store; [limits] queue */
	struct policy policy;           /* [resolution]; source kinds from [source NAME] */
	struct sources_config sources;  /* [adapters], [source NAME] */
	struct api_config api;          /* [limits] max_depth, max_batch */
	struct views_config views;      /* [kpis] */
	struct web_config web;          /* [web] */
	struct notify_config notify;    /* [smtp], [sms], [webhook NAME], [helpdesk], [teams], [notify] ... */
	struct rules_config rules;      /* [rule NAME], [notify] templates, locale, default_rules */
	struct retention_config retention; /* [retention] raw_days, interval */
	struct exc_config exceptions;   /* [exceptions] thresholds, teams, sweep (the calendar's keys: policy) */
	struct returns_config returns;  /* [returns] window, reasons, auto-approval, instructions */
	struct helpdesk_config tickets; /* [tickets] the help desk's webhook: secret, order field, notes */
};

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
	const char *tracking; /* parse --tracking: the number the answer was asked about */
	int nargs;
	char **args;         /* positional arguments after the subcommand */
};

/* Loads the configuration into cfg (defaults first).  Returns 0, or -1 after
 * printing an error to stderr.  struct config is large: keep it off small
 * stacks (config_new). */
int config_load(struct config *cfg, const struct cli_opts *o);
/* A zeroed config on the heap, or NULL (message on stderr); free() it. */
struct config *config_new(void);
/* Who the messages come from, taken from [web] (notify/planner.h). */
void config_shop(const struct config *cfg, struct notify_shop *out);
/* The link signer a server with this configuration signs with (its secret
 * and its base URL for the configured port), for commands that make links
 * without running the server. */
void config_link_signer(const struct config *cfg, struct link_signer *out);

int cmd_serve(struct config *cfg);
int cmd_keys(const struct config *cfg, const struct cli_opts *o);
int cmd_demo(struct config *cfg, const struct cli_opts *o);
int cmd_parse(const struct config *cfg, const struct cli_opts *o);
int cmd_check(const struct config *cfg);
/* track-link parses its own options (--days); tracklink.c */
int cmd_track_link(int argc, char **argv);
/* erase.c: parses its own options, as track-link does */
int cmd_erase(int argc, char **argv);
/* notify parses its own options (preview --rule R --order O); notify.c */
int cmd_notify(int argc, char **argv);
/* eval.c: the predictions' score on a simulated history (own options) */
int cmd_eval_predictions(int argc, char **argv);
int cmd_report(int argc, char **argv);
/* remap.c: asks the running server to remap (own options) */
int cmd_remap(int argc, char **argv);
int cmd_copy(int argc, char **argv);
/* backup.c: `wismo backup` and `wismo restore` (own options; store/backup.h) */
int cmd_backup(int argc, char **argv);
int cmd_restore(int argc, char **argv);
/* `wismo rebuild [--verify]` on cfg->store.url: 0 when done (and identical). */
int cli_rebuild(const struct config *cfg, int verify);

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
