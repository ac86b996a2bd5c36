/* Migration 8: what each parcel with a carrier teaches about its lane, and
 * when it is predicted to arrive (docs/predictions.md).
 *
 *  package_lanes  a projection kept by the exception engine: one row per
 *                 parcel a carrier took (its lane, when it shipped and was
 *                 delivered - 0 while on its way -, its longest wait
 *                 between scans, the carrier's first estimate) and the
 *                 prediction made for it (likely 0: none) with the one
 *                 date the tracking page shows (best, core/predict.h).  The delivered
 *                 rows are the samples the lane model learns from (the
 *                 newest first, through the index). */
#ifndef WISMO_SCHEMA_V8_LANES_H
#define WISMO_SCHEMA_V8_LANES_H
#define SCHEMA_V8_LANES \
	"CREATE TABLE package_lanes (" \
	"  order_no TEXT NOT NULL," \
	"  package TEXT NOT NULL," \
	"  carrier TEXT NOT NULL," \
	"  service TEXT NOT NULL," \
	"  origin TEXT NOT NULL," \
	"  destination TEXT NOT NULL," \
	"  shipped_at INTEGER NOT NULL," \
	"  delivered_at INTEGER NOT NULL," \
	"  max_gap INTEGER NOT NULL," \
	"  first_estimate INTEGER NOT NULL," \
	"  earliest INTEGER NOT NULL," \
	"  likely INTEGER NOT NULL," \
	"  latest INTEGER NOT NULL," \
	"  level INTEGER NOT NULL," \
	"  samples INTEGER NOT NULL," \
	"  best INTEGER NOT NULL," \
	"  PRIMARY KEY (order_no, package)) WITHOUT ROWID;" \
	"CREATE INDEX package_lanes_delivered ON package_lanes(delivered_at) WHERE delivered_at > 0;"
#endif
