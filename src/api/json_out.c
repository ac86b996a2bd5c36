/*
 * json_out.c - the members the API's hand-written JSON answers share
 * (api_int.h): ,"name":"value" with null for an empty string or a time of 0.
 */
#include "api_int.h"
#include "../base/wtime.h"
#include "../base/banned.h"

void api_put_time(struct buf *b, const char *name, int64_t t)
{
	char ts[WTIME_BUFSZ];

	buf_printf(b, ",\"%s\":", name);
	if (t)
		buf_json_str(b, wtime_format(t, ts));
	else
		buf_puts(b, "null");
}

void api_put_str(struct buf *b, const char *name, const char *v)
{
	buf_printf(b, ",\"%s\":", name);
	if (v[0])
		buf_json_str(b, v);
	else
		buf_puts(b, "null");
}
