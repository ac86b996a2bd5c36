/* num.c - strict whole numbers (contract in num.h). */
#include "num.h"

#include <errno.h>
#include <stdlib.h>

#include "banned.h"

bool num_parse(const char *s, long min, long max, long *out)
{
	char *end;
	long n;

	/* strtol would also skip leading space and take a '+' */
	if (!s || !((*s >= '0' && *s <= '9') || (*s == '-' && s[1] >= '0' && s[1] <= '9')))
		return false;
	errno = 0;
	n = strtol(s, &end, 10);
	if (*end || errno || n < min || n > max)
		return false;
	*out = n;
	return true;
}
