/*
 * svg.h - server-rendered bar charts for the dashboard (pure: no I/O).
 *
 * One chart is categories along the x axis (days, sources) and one bar per
 * series in each category (grouped bars).  The output is an inline <svg>
 * element: class "chart", role "img", an aria-label and a <title> naming the
 * chart, one <rect> per value with a <title> tooltip ("cat - series: value
 * unit"), a y axis with "nice" round ticks and a legend.  Colours are
 * presentation attributes, not style attributes, so the page's CSP needs no
 * 'unsafe-inline'.  Text is escaped for XML.  Negative and non-finite values
 * are drawn as 0 (and said so in the tooltip as given).
 */
#ifndef WISMO_WEB_SVG_H
#define WISMO_WEB_SVG_H

#include <stddef.h>

#include "../base/buf.h"
#include "../base/err.h"

struct svg_series {
	const char *name;
	const double *values; /* ncats values */
};

struct svg_chart {
	const char *title;          /* aria-label and <title> */
	const char *unit;           /* after values in tooltips and the axis, may be NULL */
	size_t ncats;
	const char *const *cats;
	size_t nseries;
	const struct svg_series *series;
};

#define SVG_SERIES_MAX 8

/* Appends the chart to out.  WERR_INVALID for more than SVG_SERIES_MAX series
 * or a NULL name; an empty chart (no categories) draws the axes and "No data". */
enum werr svg_bar_chart(struct buf *out, const struct svg_chart *c);

/* The smallest "nice" number (1, 2, 2.5, 5 x 10^k) >= v, for axis maxima. */
double svg_nice_max(double v);

/* Appends s escaped for XML text and attribute values. */
enum werr svg_escape(struct buf *out, const char *s);

#endif
