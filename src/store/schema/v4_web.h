/* Migration 4, part one: what the tracking page, the dashboard and the KPIs
 * read (docs/kpis.md).  Plain SQL, concatenated with v4_notify.h. */
#ifndef WISMO_SCHEMA_V4_WEB_H
#define WISMO_SCHEMA_V4_WEB_H
#define SCHEMA_V4_WEB SCHEMA_V4_PAGES SCHEMA_V4_KPIS
/* BEGIN schema: web pages */
#define SCHEMA_V4_PAGES ""
/* END schema: web pages */
/* BEGIN schema: KPIs, agent view, streams */
#define SCHEMA_V4_KPIS ""
/* END schema: KPIs, agent view, streams */
#endif
