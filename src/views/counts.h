/*
 * counts.h - a small tally of words (a reason, a link, a carrier) and its
 * ranked JSON, for the KPI modules of src/views/ (kpi_returns.c,
 * kpi_tickets.c).  Private to the folder.
 */
#ifndef WISMO_VIEWS_COUNTS_H
#define WISMO_VIEWS_COUNTS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COUNTS_MAX 64

struct count {
	char key[80];
	int64_t n;
};

struct counts {
	size_t n;
	struct count c[COUNTS_MAX];
};

/* One more of key (a key past COUNTS_MAX distinct ones is not counted). */
void counts_bump(struct counts *c, const char *key);

/* Adds o[name] = [{key_name: key, value_name: n}], most first, then by key. */
bool counts_json(cJSON *o, const char *name, const char *key_name, const char *value_name, struct counts *c);

#endif
