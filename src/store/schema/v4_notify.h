/* Migration 4, part two: notifications (rules, outbox, consent, audit).
 * Plain SQL, concatenated after v4_web.h. */
#ifndef WISMO_SCHEMA_V4_NOTIFY_H
#define WISMO_SCHEMA_V4_NOTIFY_H
#define SCHEMA_V4_NOTIFY ""
#endif
