/*
 * mapping.h - the code -> shared-status tables under mappings/.
 *
 * One table per file: mappings/NAME.tsv gives table NAME ("ups", "fedex",
 * "shopify_fulfillment_event", ...).  Each line:
 *
 *     code <TAB> status <TAB> detail <TAB> action_required <TAB> note
 *
 * `status` is a word of the shared language (docs/status.md); `detail` and
 * `action_required` ("yes", "no" or empty) may be empty; `note` is for
 * people.  '#' starts a comment line; blank lines are skipped.  Codes are
 * matched exactly (case-sensitive) after trimming spaces; a code that no row
 * has exactly takes the longest row ending in '*' whose text before the '*'
 * starts it (carriers that give words with a place in them: "In transit to
 * next facility in *").  A table a user puts
 * in the override directory replaces the built-in table of the same name
 * whole.
 *
 * A loaded set is read-only and may be shared between threads.
 */
#ifndef WISMO_MAPPING_H
#define WISMO_MAPPING_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/err.h"
#include "../core/event.h"

struct mappings;

#define MAPPING_SAID_UNKNOWN "source_unknown"

/* Loads every NAME.tsv and NAME.carrier in dir, then (if override_dir is
 * not NULL and exists) every one in override_dir, replacing tables and
 * carrier descriptions of the same name.
 * On a bad line: WERR_INVALID with "file:line: what" in err. */
enum werr mappings_load(const char *dir, const char *override_dir, struct mappings **out, char *err,
			size_t errcap);
/* Parses one table from text (tests, `wismo check`). */
enum werr mappings_add_text(struct mappings *m, const char *table, const char *text, size_t len,
			    const char *origin, char *err, size_t errcap);
struct mappings *mappings_new(void);
void mappings_free(struct mappings *m);

/* Number of tables and of rows in table (0 when absent). */
size_t mappings_ntables(const struct mappings *m);
size_t mappings_nrows(const struct mappings *m, const char *table);
bool mappings_has_table(const struct mappings *m, const char *table);

/*
 * Maps code through table into ev: on a hit sets status, detail (when the
 * row has one) and action_required (when the row says) and returns true; on
 * a miss (or an absent table) sets status unknown and returns false.  A row
 * that maps a code to `unknown` on purpose (the source itself says it does
 * not know) gives detail MAPPING_SAID_UNKNOWN when the row names none, so the
 * unmapped-codes queue, which counts unknown events without a detail, holds
 * only codes no table has.  In both
 * cases ev->code receives the code (cut to EV_CODE_MAX) and, when
 * ev->description is empty, description is copied there.
 */
bool mapping_apply(const struct mappings *m, const char *table, const char *code,
		   const char *description, struct event *ev);

/*
 * The source's own words, when its code is coarse (docs/adapters.md "Words
 * that say more than the code").  Tables text_SOURCE.tsv (and text_any.tsv
 * for every source) list lower-case phrases in the code column: an event
 * whose status is in_transit may become out_for_delivery or
 * available_for_pickup, an event whose status is unknown (a code no table
 * knows) label_created, in_transit, out_for_delivery or
 * available_for_pickup, when its description holds a phrase (ASCII letters
 * compared without case; the longest phrase wins, then the source's table
 * before text_any).  A row with another status never applies.  Returns
 * whether a row decided; each row counts how often it did
 * (mappings_text_hits).
 */
bool mapping_refine_text(const struct mappings *m, const char *source, struct event *ev);

/* Calls fn for every text_* row that decided at least once: its table, its
 * phrase and how often (for /metrics). */
void mappings_text_hits(const struct mappings *m, void (*fn)(void *ctx, const char *table, const char *phrase,
							     unsigned long long n),
			void *ctx);

/*
 * Carriers described by data (mappings/NAME.carrier, declared.h), loaded with
 * the tables.  mappings_carrier: the adapter of the description named name,
 * or NULL; mappings_carrier_at: the i-th (NULL past the end);
 * mappings_detect_carrier: the carrier id of the first description whose
 * [detect] takes the tracking number (spaces dropped, upper-cased), or NULL.
 * m may be NULL (nothing found).
 */
struct adapter;
const struct adapter *mappings_carrier(const struct mappings *m, const char *name);
const struct adapter *mappings_carrier_at(const struct mappings *m, size_t i);
const char *mappings_detect_carrier(const struct mappings *m, const char *tracking);

#endif
