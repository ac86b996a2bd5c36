/*
 * clock.h - the one place wismo reads the clock.
 *
 * clock_wall_ms() is UTC wall time in milliseconds since the epoch: event
 * receipt times, due times, anything stored or shown.  clock_mono_ms() never
 * jumps (NTP, a changed system clock): timeouts, deadlines and intervals.
 * clock_deadline() turns a delay into the absolute time that
 * pthread_cond_timedwait() expects.
 *
 * The core never calls these: it is handed `now` (docs/architecture.md).
 * Thread-safe; no state.
 */
#ifndef WISMO_CLOCK_H
#define WISMO_CLOCK_H

#include <stdint.h>
#include <time.h>

int64_t clock_wall_ms(void);
int64_t clock_mono_ms(void);
int64_t clock_mono_us(void);
/* The clock id's now + ms, for pthread_cond_timedwait on a condition
 * variable that waits on that clock (CLOCK_REALTIME unless its attribute
 * says otherwise). */
struct timespec clock_deadline(clockid_t id, int64_t ms);

#endif
