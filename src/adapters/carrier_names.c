/*
 * carrier_names.c - the carrier spellings of EasyPost, AfterShip and Shippo
 * mapped to wismo's carrier ids (see carrier_names.h).
 *
 * The table holds only names whose generic form would be wrong: run-together
 * words ("CanadaPost" would become "canadapost") and the service names of one
 * carrier ("FedExSmartPost", "dhl-global-mail") that wismo tracks as that
 * carrier, because its poller and its adapter serve all of them.  For DHL,
 * FedEx and USPS that holds for every service, so any name that starts with
 * theirs is theirs.
 */
#include "carrier_names.h"

#include <string.h>

#include "../base/banned.h"

struct alias {
	const char *key; /* lower-case letters and digits only */
	const char *id;
};

static const struct alias aliases[] = {
	/* UPS services tracked under UPS numbers */
	{ "upsdap", "ups" },                 /* EasyPost: UPS through EasyPost's account */
	{ "upssurepost", "ups" },
	{ "upsmailinnovations", "ups" },
	{ "upsmi", "ups" },
	{ "unitedparcelservice", "ups" },
	/* spelled out; every "fedex...", "dhl...", "usps..." is in families[] */
	{ "federalexpress", "fedex" },
	{ "unitedstatespostalservice", "usps" },
	{ "stampscom", "usps" },             /* USPS labels bought through a reseller */
	{ "endicia", "usps" },
	/* national posts and regional carriers written as one word */
	{ "canadapost", "canada_post" },     /* EasyPost "CanadaPost", AfterShip "canada-post" */
	{ "postescanada", "canada_post" },
	{ "royalmail", "royal_mail" },
	{ "australiapost", "australia_post" },
	{ "auspost", "australia_post" },
	{ "deutschepost", "deutsche_post" },
	{ "deutschpost", "deutsche_post" },  /* AfterShip "deutsch-post" */
	{ "laposte", "la_poste" },
	{ "lapostecolissimo", "la_poste" },  /* AfterShip "la-poste-colissimo" */
	{ "colissimo", "la_poste" },
	{ "dpduk", "dpd_uk" },
	{ "amazonshipping", "amazon" },
};

/* Carriers whose every service is tracked as the carrier: any name starting
 * with the key ("DHL Parcel UK", "dhl-us", "FedEx Freight", "USPS Returns"). */
static const struct alias families[] = {
	{ "dhl", "dhl" },     /* EasyPost "DHLExpress", "DhlEcs"; Shippo "dhl_ecommerce"; AfterShip "dhl-global-mail" */
	{ "fedex", "fedex" }, /* EasyPost "FedExDefault", "FedExSmartPost"; AfterShip "fedex-uk" */
	{ "usps", "usps" },   /* "USPS Returns" */
};

static int is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static char lower(unsigned char c)
{
	return (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
}

static void put(char *out, size_t cap, const char *s)
{
	size_t n = strlen(s);

	if (n >= cap)
		n = cap - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

char *carrier_normalize(const char *raw, char *out, size_t cap)
{
	char key[64];
	size_t k = 0, o = 0;
	int gap = 0;

	if (!cap)
		return out;
	out[0] = '\0';
	if (!raw)
		return out;
	/* The key: letters and digits only; a name too long for it is no alias. */
	for (const unsigned char *p = (const unsigned char *)raw; *p; p++) {
		if (!is_alnum(*p))
			continue;
		if (k + 1 >= sizeof(key)) {
			k = 0;
			break;
		}
		key[k++] = lower(*p);
	}
	key[k] = '\0';
	if (k) {
		for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
			if (!strcmp(aliases[i].key, key)) {
				put(out, cap, aliases[i].id);
				return out;
			}
		for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
			if (!strncmp(families[i].key, key, strlen(families[i].key))) {
				put(out, cap, families[i].id);
				return out;
			}
	}
	/* Generic form: runs of anything else become one '_'. */
	for (const unsigned char *p = (const unsigned char *)raw; *p && o + 1 < cap; p++) {
		if (!is_alnum(*p)) {
			gap = o > 0;
			continue;
		}
		if (gap) {
			if (o + 2 >= cap)
				break;
			out[o++] = '_';
			gap = 0;
		}
		out[o++] = lower(*p);
	}
	out[o] = '\0';
	return out;
}
