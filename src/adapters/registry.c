/*
 * registry.c - the built-in adapters, by name.
 */
#include <string.h>

#include "adapter.h"
#include "mapping.h"
#include "../base/banned.h"

/* storefront adapters */
extern const struct adapter adapter_shopify;
extern const struct adapter adapter_woocommerce;
/* returns portals */
extern const struct adapter adapter_loop;
/* warehouse and shipping adapters */
extern const struct adapter adapter_scans, adapter_shipstation;
/* aggregator adapters */
extern const struct adapter adapter_easypost, adapter_aftership, adapter_shippo;
/* carrier adapters */
extern const struct adapter adapter_ups, adapter_fedex, adapter_usps, adapter_dhl;

const struct adapter *const adapters_all[] = {
	/* storefront list */
	&adapter_shopify,
	&adapter_woocommerce,
	/* returns portal list */
	&adapter_loop,
	/* warehouse and shipping list */
	&adapter_shipstation,
	&adapter_scans,
	/* aggregator list */
	&adapter_easypost,
	&adapter_aftership,
	&adapter_shippo,
	/* carrier list */
	&adapter_ups,
	&adapter_fedex,
	&adapter_usps,
	&adapter_dhl,
	NULL,
};

const struct adapter *adapter_find(const char *name)
{
	for (size_t i = 0; adapters_all[i]; i++)
		if (!strcmp(adapters_all[i]->name, name))
			return adapters_all[i];
	return NULL;
}

const struct adapter *adapter_lookup(const struct mappings *m, const char *name)
{
	const struct adapter *a = adapter_find(name);
	return a ? a : mappings_carrier(m, name);
}
