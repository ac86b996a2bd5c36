/*
 * opens.h - which orders' customers opened their tracking page: the
 * self-service figure of the KPIs (docs/kpis.md "Tickets").  The first view
 * of an order this process sees is written (store page_opens, kept once per
 * order: the first time); later views cost one look-up in a bounded set in
 * memory (cleared when three quarters full, so a view may be written again,
 * which changes nothing).  Writes go through the planner's side store, as a
 * person's task action does; a failed write is logged, never the page's.
 *
 * Thread-safety: web_opens_note from any thread.
 */
#ifndef WISMO_WEB_OPENS_H
#define WISMO_WEB_OPENS_H

#include <stdint.h>

#include "../app/app.h"

struct web_opens;

struct web_opens *web_opens_new(void);
void web_opens_free(struct web_opens *o);
void web_opens_note(struct web_opens *o, struct app *a, const char *order, int64_t now);

#endif
