/*
 * num.h - reading a whole number from text the strict way: decimal digits
 * (and a leading '-'), nothing before or after, within [min, max].  For
 * settings, query parameters and command-line values, where "12abc", "" or
 * an out-of-range value must be refused, never read as 12 or 0.
 */
#ifndef WISMO_NUM_H
#define WISMO_NUM_H

#include <stdbool.h>

/* True with *out set when s is a number from min to max; false otherwise
 * (*out untouched). */
bool num_parse(const char *s, long min, long max, long *out);

#endif
