/*
 * color.c - contrast computations (contract in color.h).
 */
#include "color.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../base/crypto.h"
#include "../base/banned.h"

bool color_parse(const char *hex, unsigned char rgb[3])
{
	if (!hex || strlen(hex) != 7 || hex[0] != '#')
		return false;
	for (int i = 0; i < 3; i++) {
		int hi = crypto_hex_digit(hex[1 + 2 * i]), lo = crypto_hex_digit(hex[2 + 2 * i]);
		if (hi < 0 || lo < 0)
			return false;
		rgb[i] = (unsigned char)(hi * 16 + lo);
	}
	return true;
}

void color_format(const unsigned char rgb[3], char out[8])
{
	snprintf(out, 8, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
}

static double channel(unsigned char v)
{
	double c = v / 255.0;
	return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4);
}

double color_luminance(const unsigned char rgb[3])
{
	return 0.2126 * channel(rgb[0]) + 0.7152 * channel(rgb[1]) + 0.0722 * channel(rgb[2]);
}

double color_contrast(const unsigned char a[3], const unsigned char b[3])
{
	double la = color_luminance(a), lb = color_luminance(b);
	return la > lb ? (la + 0.05) / (lb + 0.05) : (lb + 0.05) / (la + 0.05);
}

void color_text_on(const unsigned char bg[3], char out[8])
{
	static const unsigned char black[3] = { 0, 0, 0 }, white[3] = { 255, 255, 255 };
	color_format(color_contrast(bg, black) >= color_contrast(bg, white) ? black : white, out);
}

void color_readable_on_white(const unsigned char c[3], double min, char out[8])
{
	static const unsigned char white[3] = { 255, 255, 255 };
	unsigned char x[3] = { c[0], c[1], c[2] };

	/* at most 100 steps of 5%: black is reached long before */
	for (int i = 0; i < 100 && color_contrast(x, white) < min; i++)
		for (int k = 0; k < 3; k++)
			x[k] = (unsigned char)(x[k] * 0.95);
	color_format(x, out);
}
