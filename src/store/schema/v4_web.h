/* Migration 4, part one: what the tracking page, the dashboard and the KPIs
 * read (docs/kpis.md).  Plain SQL, concatenated with v4_notify.h. */
#ifndef WISMO_SCHEMA_V4_WEB_H
#define WISMO_SCHEMA_V4_WEB_H
#define SCHEMA_V4_WEB ""
#endif
