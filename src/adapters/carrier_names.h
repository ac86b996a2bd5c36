/*
 * carrier_names.h - one spelling per carrier, whatever the source calls it.
 *
 * Aggregators name the same carrier differently: EasyPost "FedEx",
 * "DHLExpress", "CanadaPost"; AfterShip slugs "fedex", "dhl-global-mail",
 * "canada-post"; Shippo tokens "fedex", "dhl_express", "canada_post".  wismo
 * keys carriers by a short lower-case id (ups, fedex, usps, dhl, ...) so that
 * the poller, the carrier adapters and the timeline agree on one name.
 *
 * Pure and thread-safe: a fixed table, no allocation.
 */
#ifndef WISMO_CARRIER_NAMES_H
#define WISMO_CARRIER_NAMES_H

#include <stddef.h>

/*
 * Writes the carrier id for raw into out (cap bytes, NUL included):
 *  - a spelling the table knows gives its id ("DHLExpress", "dhl-express",
 *    "dhl_global_mail" -> "dhl"; "UPS" -> "ups"; "CanadaPost" -> "canada_post");
 *    the table is matched on the letters and digits only, case-insensitively;
 *  - a name whose letters start with "dhl", "fedex" or "usps" is that carrier
 *    ("DHL Parcel UK", "dhl-us", "FedEx Freight" -> "dhl", "dhl", "fedex");
 *  - any other name is lower-cased with every run of other characters turned
 *    into one '_' (leading and trailing '_' dropped): "La Poste!" -> "la_poste".
 * The result is cut to cap - 1 bytes.  raw NULL or without a letter or
 * digit gives "".  Returns out.
 */
char *carrier_normalize(const char *raw, char *out, size_t cap);

#endif
