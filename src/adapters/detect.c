/*
 * detect.c - carrier detection from a tracking number's format and check
 * digit (the algorithms are listed in detect.h).
 */
#include "detect.h"

#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "../base/banned.h"

#define DETECT_MAX 40

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* A character's value in the UPS check: digits as they are, letters
 * (code - 3) mod 10 (A=2 ... H=9, I=0, ...). */
static int ups_value(char c)
{
	return isdigit((unsigned char)c) ? c - '0' : ((unsigned char)c - 3) % 10;
}

static bool ups_ok(const char *s, size_t n)
{
	int sum = 0;

	if (n != 18 || s[0] != '1' || s[1] != 'Z' || !isdigit((unsigned char)s[17]))
		return false;
	for (size_t i = 2; i < 17; i++) {
		if (!isalnum((unsigned char)s[i]))
			return false;
		sum += ups_value(s[i]) * ((i - 2) % 2 ? 2 : 1);
	}
	return (10 - sum % 10) % 10 == s[17] - '0';
}

/*
 * Mod 10 over n digits of s: the digit at 0-based index i is weighted
 * even_w when i is even, odd_w when it is odd; check = (10 - sum mod 10)
 * mod 10.  prefix (may be "") is read before s, in the same count.
 */
static int mod10(const char *prefix, const char *s, size_t n, int even_w, int odd_w)
{
	size_t plen = strlen(prefix), i;
	int sum = 0;

	for (i = 0; i < plen + n; i++) {
		int d = (i < plen ? prefix[i] : s[i - plen]) - '0';
		sum += d * (i % 2 ? odd_w : even_w);
	}
	return (10 - sum % 10) % 10;
}

static bool fedex12_ok(const char *s)
{
	static const int w[11] = { 3, 1, 7, 3, 1, 7, 3, 1, 7, 3, 1 };
	int sum = 0;

	for (int i = 0; i < 11; i++)
		sum += (s[i] - '0') * w[i];
	return sum % 11 % 10 == s[11] - '0';
}

static bool usps_impb_ok(const char *s, size_t n)
{
	/* IMpb: application identifier 91-95, mod 10 with the rightmost digit
	 * before the check weighted 3 (serial has odd length: even indexes x3). */
	if ((n != 22 && n != 26) || s[0] != '9' || s[1] < '1' || s[1] > '5')
		return false;
	return mod10("", s, n - 1, 3, 1) == s[n - 1] - '0';
}

bool detect_s10(const char *s)
{
	size_t n = strlen(s);
	static const int w[8] = { 8, 6, 4, 2, 3, 5, 9, 7 };
	int sum = 0, check;

	if (n != 13 || !isalpha((unsigned char)s[0]) || !isalpha((unsigned char)s[1]) || !digits(s + 2, 9) ||
	    !isalpha((unsigned char)s[11]) || !isalpha((unsigned char)s[12]))
		return false;
	for (int i = 0; i < 8; i++)
		sum += (s[2 + i] - '0') * w[i];
	check = 11 - sum % 11;
	if (check == 10)
		check = 0;
	else if (check == 11)
		check = 5;
	return check == s[10] - '0';
}

static const char *digits_only(const char *s, size_t n)
{
	switch (n) {
	case 10: /* DHL Express waybill */
		{
			long v = 0;
			for (int i = 0; i < 9; i++)
				v = v * 10 + (s[i] - '0');
			return v % 7 == s[9] - '0' ? "dhl" : NULL;
		}
	case 12:
		return fedex12_ok(s) ? "fedex" : NULL;
	case 15: /* FedEx Ground */
		return mod10("", s, 14, 1, 3) == s[14] - '0' ? "fedex" : NULL;
	case 20:
		/* FedEx SmartPost: the 20 digits behind an implied "92". */
		if (mod10("92", s, 19, 3, 1) == s[19] - '0')
			return "fedex";
		/* USPS 20-digit: x3 on even indexes (the rightmost of 19 too). */
		if (mod10("", s, 19, 3, 1) == s[19] - '0')
			return "usps";
		/* USPS IMpb printed without its "91" application identifier. */
		if (mod10("91", s, 19, 3, 1) == s[19] - '0')
			return "usps";
		return NULL;
	case 22:
		if (s[0] == '9' && s[1] == '6') /* FedEx Ground 96: check over the last 14 */
			return mod10("", s + 7, 14, 1, 3) == s[21] - '0' ? "fedex" : NULL;
		return usps_impb_ok(s, n) ? "usps" : NULL;
	case 26:
		return usps_impb_ok(s, n) ? "usps" : NULL;
	case 30: /* "420" + ZIP + IMpb 22 */
		return !memcmp(s, "420", 3) && usps_impb_ok(s + 8, 22) ? "usps" : NULL;
	case 34: /* "420" + ZIP+4 + IMpb 22 */
		return !memcmp(s, "420", 3) && usps_impb_ok(s + 12, 22) ? "usps" : NULL;
	default:
		return NULL;
	}
}

const char *carrier_detect(const char *tracking)
{
	char s[DETECT_MAX + 1];
	size_t n = 0;

	if (!tracking)
		return NULL;
	for (const char *p = tracking; *p; p++) {
		if (*p == ' ')
			continue;
		if (n == DETECT_MAX || !isalnum((unsigned char)*p))
			return NULL;
		s[n++] = (char)toupper((unsigned char)*p);
	}
	s[n] = '\0';
	if (n >= 2 && s[0] == '1' && s[1] == 'Z')
		return ups_ok(s, n) ? "ups" : NULL;
	if (n == 13 && isalpha((unsigned char)s[0]))
		return detect_s10(s) && !strcmp(s + 11, "US") ? "usps" : NULL;
	if (n && digits(s, n))
		return digits_only(s, n);
	return NULL;
}
