/* datadir.c - the installed or source tree's data directory (contract in datadir.h). */
#include "datadir.h"

#include <stdio.h>
#include <unistd.h>

#include "banned.h"

const char *datadir_path(const char *sub, char *out, size_t cap)
{
	const char *const roots[] = { WISMO_DATADIR, WISMO_SOURCE_ROOT };

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		snprintf(out, cap, "%s/%s", roots[i], sub);
		if (access(out, R_OK) == 0)
			return out;
	}
	snprintf(out, cap, "%s/%s", roots[0], sub);
	return out;
}
