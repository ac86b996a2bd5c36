/*
 * counts.c - a tally of words and its ranked JSON (counts.h).
 */
#include "counts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/banned.h"

void counts_bump(struct counts *c, const char *key)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->c[i].key, key)) {
			c->c[i].n++;
			return;
		}
	if (c->n < COUNTS_MAX) {
		snprintf(c->c[c->n].key, sizeof(c->c[c->n].key), "%s", key);
		c->c[c->n++].n = 1;
	}
}

static int cmp(const void *a, const void *b)
{
	const struct count *x = a, *y = b;
	return x->n != y->n ? (x->n < y->n ? 1 : -1) : strcmp(x->key, y->key);
}

bool counts_json(cJSON *o, const char *name, const char *key_name, const char *value_name, struct counts *c)
{
	cJSON *a = cJSON_AddArrayToObject(o, name), *x;

	qsort(c->c, c->n, sizeof(c->c[0]), cmp);
	for (size_t i = 0; a && i < c->n; i++) {
		if (!(x = cJSON_CreateObject()) || !cJSON_AddItemToArray(a, x)) {
			cJSON_Delete(x);
			return false;
		}
		cJSON_AddStringToObject(x, key_name, c->c[i].key);
		cJSON_AddNumberToObject(x, value_name, (double)c->c[i].n);
	}
	return a != NULL;
}
