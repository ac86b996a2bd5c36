/*
 * svg.c - grouped bar charts as SVG text (contract in svg.h).
 */
#include "svg.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../base/banned.h"

#define W 640
#define H 280
#define LEFT 56
#define RIGHT 12
#define TOP 16
#define BOTTOM 64
#define TICKS 4

/* Colour-blind friendly (Okabe-Ito), dark enough on white for 3:1 */
static const char *const palette[SVG_SERIES_MAX] = {
	"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#E69F00", "#000000", "#999999",
};

enum werr svg_escape(struct buf *out, const char *s)
{
	enum werr err = WERR_OK;

	for (; *s && !err; s++) {
		switch (*s) {
		case '&': err = buf_puts(out, "&amp;"); break;
		case '<': err = buf_puts(out, "&lt;"); break;
		case '>': err = buf_puts(out, "&gt;"); break;
		case '"': err = buf_puts(out, "&quot;"); break;
		case '\'': err = buf_puts(out, "&#39;"); break;
		default: err = buf_putc(out, *s); break;
		}
	}
	return err;
}

double svg_nice_max(double v)
{
	static const double steps[] = { 1, 2, 2.5, 5, 10 };
	double mag;

	if (!(v > 0) || !isfinite(v))
		return 1;
	mag = pow(10, floor(log10(v)));
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (steps[i] * mag >= v * (1 - 1e-12))
			return steps[i] * mag;
	return 10 * mag;
}

static void num(struct buf *b, double v)
{
	if (v == floor(v) && fabs(v) < 1e15)
		buf_printf(b, "%.0f", v);
	else
		buf_printf(b, "%.4g", v);
}

enum werr svg_bar_chart(struct buf *out, const struct svg_chart *c)
{
	double max = 0, top;
	const int pw = W - LEFT - RIGHT, ph = H - TOP - BOTTOM;
	size_t start = out->len;

	if (c->nseries > SVG_SERIES_MAX || !c->title || (c->ncats && !c->cats))
		return WERR_INVALID;
	for (size_t s = 0; s < c->nseries; s++) {
		if (!c->series[s].name || (c->ncats && !c->series[s].values))
			return WERR_INVALID;
		for (size_t i = 0; i < c->ncats; i++)
			if (isfinite(c->series[s].values[i]) && c->series[s].values[i] > max)
				max = c->series[s].values[i];
	}
	for (size_t i = 0; i < c->ncats; i++)
		if (!c->cats[i])
			return WERR_INVALID;
	top = svg_nice_max(max);

	buf_printf(out, "<svg class=\"chart\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\" "
		   "viewBox=\"0 0 %d %d\" aria-label=\"", W, H);
	svg_escape(out, c->title);
	buf_puts(out, "\"><title>");
	svg_escape(out, c->title);
	buf_puts(out, "</title>\n");
	/* y axis: gridlines and tick labels */
	for (int t = 0; t <= TICKS; t++) {
		double v = top * t / TICKS;
		int y = TOP + ph - ph * t / TICKS;
		buf_printf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\"/>", LEFT, y, W - RIGHT,
			   y, t ? "#dddddd" : "#333333");
		buf_printf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-size=\"11\" fill=\"#333333\">",
			   LEFT - 4, y + 4);
		num(out, v);
		buf_puts(out, "</text>\n");
	}
	if (c->unit && c->unit[0]) {
		buf_printf(out, "<text x=\"4\" y=\"%d\" font-size=\"11\" fill=\"#333333\">", TOP - 4);
		svg_escape(out, c->unit);
		buf_puts(out, "</text>\n");
	}
	if (!c->ncats || !c->nseries)
		buf_printf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"14\" "
			   "fill=\"#333333\">No data</text>\n", LEFT + pw / 2, TOP + ph / 2);
	for (size_t i = 0; i < c->ncats && c->nseries; i++) {
		double gw = (double)pw / (double)c->ncats;
		double bw = gw * 0.8 / (double)c->nseries;
		double gx = LEFT + gw * (double)i + gw * 0.1;
		for (size_t s = 0; s < c->nseries; s++) {
			double v = c->series[s].values[i];
			double dv = isfinite(v) && v > 0 ? v : 0;
			double bh = dv / top * ph;
			buf_printf(out, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
				   "fill=\"%s\"><title>", gx + bw * (double)s, TOP + ph - bh, bw > 1 ? bw - 1 : bw,
				   bh, palette[s]);
			svg_escape(out, c->cats[i]);
			buf_puts(out, " - ");
			svg_escape(out, c->series[s].name);
			buf_puts(out, ": ");
			if (isfinite(v))
				num(out, v);
			else
				buf_puts(out, "n/a");
			if (c->unit && c->unit[0]) {
				buf_putc(out, ' ');
				svg_escape(out, c->unit);
			}
			buf_puts(out, "</title></rect>\n");
		}
		/* category label under the group, turned when there are many */
		if (c->ncats > 8)
			buf_printf(out, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" fill=\"#333333\" "
				   "text-anchor=\"end\" transform=\"rotate(-45 %.1f %d)\">",
				   gx + gw * 0.4, TOP + ph + 14, gx + gw * 0.4, TOP + ph + 14);
		else
			buf_printf(out, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" fill=\"#333333\" "
				   "text-anchor=\"middle\">", gx + gw * 0.4, TOP + ph + 16);
		svg_escape(out, c->cats[i]);
		buf_puts(out, "</text>\n");
	}
	/* legend */
	for (size_t s = 0; s < c->nseries; s++) {
		int x = LEFT + (int)s * 110, y = H - 14;
		buf_printf(out, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
			   "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#333333\">", x, y - 9, palette[s], x + 14, y);
		svg_escape(out, c->series[s].name);
		buf_puts(out, "</text>\n");
	}
	if (buf_puts(out, "</svg>\n")) {
		/* an append failed somewhere (a full buffer): drop the partial chart */
		out->len = start;
		out->p[start] = '\0';
		return WERR_TOO_LARGE;
	}
	return WERR_OK;
}
