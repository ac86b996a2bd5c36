/*
 * lanes.h - what the shop's own delivered parcels teach about a lane
 * (docs/exceptions.md "Lane rhythm", docs/predictions.md).
 *
 * A lane is (carrier, service, origin region, destination region); a
 * region is "COUNTRY" or "COUNTRY-REGION" as the events name them ("US-CA",
 * "DE"), "" when unknown.  Every delivered outbound parcel is one sample:
 * its lane, when the carrier took it, when it was delivered, the longest
 * working-time wait between two of its progress scans, and the carrier's
 * first estimate.  From the samples a model learns, per lane and per
 * coarser lane (the fallbacks, in this order):
 *
 *   level 0  carrier + service + origin + destination
 *   level 1  carrier + service + destination
 *   level 2  carrier + service
 *   level 3  carrier
 *
 * the distribution of transit times (working time, calendar.h) and of the
 * longest wait.  A level answers only with at least LANES_MIN_SAMPLES
 * samples; otherwise the next coarser one does; otherwise nobody does and
 * the caller uses its configured default (the stall threshold) or the
 * carrier's estimate (predictions).
 *
 * Pure: no clock, no I/O.  A model is built once from a sample array (the
 * samples are not kept) and then read-only (share it between threads;
 * build a new one to refresh).
 * Memory: lanes_model_free() releases a model.
 */
#ifndef WISMO_LANES_H
#define WISMO_LANES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "calendar.h"
#include "event.h"

#define LANE_SERVICE_MAX 64
#define LANE_REGION_MAX 24
#define LANES_MIN_SAMPLES 20
#define LANES_LEVELS 4

struct lane {
	char carrier[EV_CARRIER_MAX + 1];
	char service[LANE_SERVICE_MAX + 1];
	char origin[LANE_REGION_MAX + 1];
	char destination[LANE_REGION_MAX + 1];
};

struct lane_sample {
	struct lane lane;
	int64_t shipped_at;      /* first carrier possession */
	int64_t delivered_at;
	int64_t max_gap;         /* longest working-time wait between progress scans (ms) */
	int64_t first_estimate;  /* the carrier's first estimated delivery, 0 if none */
};

/* "US-CA" from a country and a region ("" parts skipped); out has
 * LANE_REGION_MAX + 1 bytes. */
void lane_region(const char *country, const char *region, char *out);

struct lanes_model;

/* Learns from n samples (working time measured with cal).  A sample with
 * no carrier, no shipped time or delivered before it shipped is skipped. */
enum werr lanes_model_build(const struct lane_sample *samples, size_t n, const struct calendar *cal,
			    struct lanes_model **out);
void lanes_model_free(struct lanes_model *m);

/* What one level of one lane knows. */
struct lane_stat {
	int level;          /* 0..3 as above; -1: no level has enough samples */
	size_t n;           /* samples at that level */
	int64_t transit_p05, transit_p50, transit_p95; /* working ms from shipped to delivered */
	int64_t gap_p90;    /* working ms: the lane's expected rhythm */
};

/* The finest level of lane with at least LANES_MIN_SAMPLES samples; false
 * (out->level = -1) when none has. */
bool lanes_lookup(const struct lanes_model *m, const struct lane *lane, struct lane_stat *out);

/* Lane levels that answer (have enough samples), for tests and metrics. */
size_t lanes_model_groups(const struct lanes_model *m);

/* Calls fn once per carrier + service the model answers for at level 2,
 * and once per carrier (service "") at level 3. */
void lanes_each_service(const struct lanes_model *m, void (*fn)(void *ctx, const char *carrier, const char *service),
			void *ctx);

#endif
