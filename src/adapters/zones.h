/*
 * zones.h - resolving a local time without offset to UTC, by where it
 * happened.
 *
 * Carriers often give "2024-03-10 01:30" with a city, state and country but
 * no offset.  zones maps a location to an IANA zone (mappings/zones.tsv:
 * "country <TAB> region <TAB> zone", region may be "*") and reads the zone's
 * rules from the system's TZif files (/usr/share/zoneinfo, Debian's tzdata),
 * without touching TZ or the process's locale, so it is thread-safe.
 *
 * A local time that a DST change skips (02:30 on a spring-forward night) is
 * read with the offset before the change; one that occurs twice (autumn) is
 * read as the first (daylight) occurrence.  Both choices are documented in
 * docs/adapters.md.
 */
#ifndef WISMO_ZONES_H
#define WISMO_ZONES_H

#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"

struct zones;

/* Loads the location table; zoneinfo_dir NULL means /usr/share/zoneinfo. */
enum werr zones_load(const char *table_path, const char *zoneinfo_dir, struct zones **out, char *err,
		     size_t errcap);
void zones_free(struct zones *z);

/* The zone for a country (ISO 3166 alpha-2, or a name the table lists) and
 * region (state/province code); NULL when unknown. */
const char *zones_lookup(const struct zones *z, const char *country, const char *region);

/*
 * local_ms is a wall-clock time read as if it were UTC (what wtime gives for
 * a time without offset).  Fills *utc_ms with the instant in zone.  Returns
 * WERR_NOT_FOUND for a zone the system does not have.
 */
enum werr zones_to_utc(const struct zones *z, const char *zone, int64_t local_ms, int64_t *utc_ms);

#endif
