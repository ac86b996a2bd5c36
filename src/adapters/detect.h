/*
 * detect.h - which carrier a tracking number belongs to, from its format and
 * check digit, for sources that give a number without naming the carrier.
 *
 *   "ups"    1Z + 15 characters + check digit (mod 10; letters count as
 *            (code - 3) mod 10, odd positions x1, even x2)
 *   "fedex"  12 digits (weights 3,1,7 mod 11 mod 10); 15 digits (FedEx
 *            Ground, mod 10 with odd positions x3); 20 digits (SmartPost,
 *            IMpb-style mod 10 after a "92" prefix); 22 digits starting 96
 *            (Ground 96, mod 10 over the last 14 before the check digit)
 *   "usps"   IMpb: 22 or 26 digits starting 91-95 (optionally behind a
 *            "420"+ZIP routing prefix), 20 digits (mod 10, x3 from the
 *            right); S10 international "AB123456785US" (weights
 *            8,6,4,2,3,5,9,7, mod 11)
 *   "dhl"    10-digit DHL Express waybill (first nine mod 7)
 *
 * Spaces are ignored and letters may be lower case.  A number that fits a
 * format but fails its check digit is no carrier's: NULL.  Where formats
 * overlap (a 20-digit number can be SmartPost or USPS), FedEx is tried first.
 * 22-digit "92..." SmartPost numbers are USPS IMpb numbers and USPS delivers
 * them: they detect as usps.
 *
 * Pure and thread-safe.  Returns a static string or NULL.
 */
#ifndef WISMO_DETECT_H
#define WISMO_DETECT_H

const char *carrier_detect(const char *tracking);

#include <stdbool.h>
/* Whether s (upper case, no spaces) is a UPU S10 number: two letters, eight
 * digits and their check digit (weights 8,6,4,2,3,5,9,7, mod 11), two
 * letters naming the posting country. */
bool detect_s10(const char *s);

#endif
