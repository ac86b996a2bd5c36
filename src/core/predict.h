/*
 * predict.h - when a parcel with the carrier will arrive, from the shop's
 * own delivered parcels on its lane (docs/predictions.md).
 *
 * A prediction is a window of whole local days (the shop's calendar
 * offset) and a likely instant inside it:
 *
 *   earliest  the start of the day on which the lane's 5th percentile of
 *             transit (working time, core/calendar.h) after the ship time
 *             falls;
 *   likely    the ship time plus the lane's median transit;
 *   latest    the end (last millisecond) of the day of the 95th percentile.
 *
 * Without a lane that answers (core/lanes.h, at least LANES_MIN_SAMPLES
 * deliveries at some level) the carrier's estimate is the prediction, a
 * window of its one day; without either there is none.
 *
 * Pure: no clock, no I/O.
 */
#ifndef WISMO_PREDICT_H
#define WISMO_PREDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calendar.h"
#include "lanes.h"
#include "order.h"

struct prediction {
	int64_t earliest, likely, latest;
	int level;  /* the lane level that answered (lanes.h), -1: the carrier's estimate */
	size_t n;   /* deliveries behind it (0 for the carrier's estimate) */
};

/* "lane", "carrier" */
const char *predict_basis(const struct prediction *p);

/* From the lane's stats st (NULL or level -1: none) and the ship time, else
 * from carrier_estimate (0: none).  false when neither gives one. */
bool predict_delivery(const struct lane_stat *st, const struct calendar *cal, int64_t shipped_at,
		      int64_t carrier_estimate, struct prediction *out);

/* The one date the tracking page shows for a parcel on its way, given its
 * prediction (NULL: none): the carrier's estimate when the carrier revised
 * it after taking the parcel (it knows something about this parcel that
 * the lane does not), else the prediction's likely time, else the carrier's
 * estimate; 0 when there is nothing to show. */
int64_t predict_best(const struct prediction *p, const struct package_state *ps);

#endif
