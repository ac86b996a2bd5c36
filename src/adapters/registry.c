/*
 * registry.c - the built-in adapters, by name.
 */
#include <string.h>

#include "adapter.h"
#include "../base/banned.h"

/* storefront adapters */
/* warehouse and shipping adapters */
extern const struct adapter adapter_scans, adapter_shipstation;
/* aggregator adapters */
/* carrier adapters */

const struct adapter *const adapters_all[] = {
	/* storefront list */
	/* warehouse and shipping list */
	&adapter_shipstation,
	&adapter_scans,
	/* aggregator list */
	/* carrier list */
	NULL,
};

const struct adapter *adapter_find(const char *name)
{
	for (size_t i = 0; adapters_all[i]; i++)
		if (!strcmp(adapters_all[i]->name, name))
			return adapters_all[i];
	return NULL;
}
