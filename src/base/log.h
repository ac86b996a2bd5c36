/*
 * log.h - one JSON object per line on stderr.
 *
 * wlog(LOG_INFO, "server_started", "listen", addr, "store", url, NULL) writes
 * {"ts":"...","level":"info","event":"server_started","listen":"...","store":"..."}
 * Arguments after the event name are key/value string pairs ending in NULL.
 * Never pass personal data or secrets.  Thread-safe (one write(2) per line).
 * The level below which lines are dropped is set once at start.
 */
#ifndef WISMO_LOG_H
#define WISMO_LOG_H

enum log_level { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3 };

void log_set_level(enum log_level level);
void wlog(enum log_level level, const char *event, ...);

#endif
