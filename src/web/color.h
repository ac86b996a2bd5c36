/*
 * color.h - readable colours from brand colours (pure; WCAG 2 formulas).
 *
 * The tracking page shows text on the brand's primary colour (header,
 * buttons) and the accent colour as text on white (links).  A shop's colours
 * need not be readable, so: the text colour over a brand colour is black or
 * white, whichever contrasts more (one of them always reaches 4.5:1), and a
 * colour used as text on white is darkened until it reaches 4.5:1.
 */
#ifndef WISMO_WEB_COLOR_H
#define WISMO_WEB_COLOR_H

#include <stdbool.h>

/* Parses "#rrggbb" into rgb; false when malformed. */
bool color_parse(const char *hex, unsigned char rgb[3]);
/* Writes "#rrggbb" (8 bytes). */
void color_format(const unsigned char rgb[3], char out[8]);
/* WCAG relative luminance, 0..1. */
double color_luminance(const unsigned char rgb[3]);
/* WCAG contrast ratio, 1..21. */
double color_contrast(const unsigned char a[3], const unsigned char b[3]);
/* "#000000" or "#ffffff", whichever reads better on bg. */
void color_text_on(const unsigned char bg[3], char out[8]);
/* c darkened (same hue) until its contrast with white is >= min. */
void color_readable_on_white(const unsigned char c[3], double min, char out[8]);

#endif
