/* media.c - media types of Content-Type headers (contract in media.h). */
#include "media.h"

#include <string.h>
#include <strings.h>

#include "banned.h"

bool media_type_is(const char *header, const char *type)
{
	size_t n = strlen(type);
	const char *p = header;

	if (!p)
		return false;
	while (*p == ' ' || *p == '\t')
		p++;
	if (strncasecmp(p, type, n))
		return false;
	p += n;
	while (*p == ' ' || *p == '\t')
		p++;
	return *p == '\0' || *p == ';';
}
