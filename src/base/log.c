/* log.c - JSON-lines logging to stderr; see log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <sys/time.h>
#include <unistd.h>

#include "buf.h"
#include "invariant.h"
#include "wtime.h"
#include "banned.h"

static enum log_level min_level = LOG_INFO;

void log_set_level(enum log_level level)
{
	min_level = level;
}

void wlog(enum log_level level, const char *event, ...)
{
	static const char *names[] = { "debug", "info", "warn", "error" };
	struct buf b;
	struct timeval tv;
	char ts[WTIME_BUFSZ];
	va_list ap;
	const char *k;

	/* names[] has one entry per level: anything else is a caller's bug */
	if (NEVER((unsigned)level > LOG_ERROR))
		level = LOG_ERROR;
	if (level < min_level)
		return;
	buf_init(&b, 64 * 1024);
	gettimeofday(&tv, NULL);
	wtime_format((int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000, ts);
	buf_printf(&b, "{\"ts\":\"%s\",\"level\":\"%s\",\"event\":", ts, names[level]);
	buf_json_str(&b, event);
	va_start(ap, event);
	while ((k = va_arg(ap, const char *)) != NULL) {
		const char *v = va_arg(ap, const char *);
		buf_putc(&b, ',');
		buf_json_str(&b, k);
		buf_putc(&b, ':');
		buf_json_str(&b, v ? v : "");
	}
	va_end(ap);
	buf_puts(&b, "}\n");
	if (buf_failed(&b)) {
		/* a value past the line's limit: the line stays one JSON object,
		 * without its pairs, rather than a cut-off text with no newline */
		buf_reset(&b);
		buf_printf(&b, "{\"ts\":\"%s\",\"level\":\"%s\",\"event\":", ts, names[level]);
		buf_json_str(&b, event);
		buf_puts(&b, ",\"truncated\":\"true\"}\n");
	}
	if (write(STDERR_FILENO, b.p, b.len) < 0) {
		/* nowhere left to report it */
	}
	buf_release(&b);
}
