/*
 * walloc.h - the allocators of wismo: they never return NULL.
 *
 * Policy (docs/architecture.md, "Out of memory"): running out of memory is
 * not an error a caller handles, it ends the process.  wmalloc(), wcalloc(),
 * wrealloc() and wstrdup() write one line to stderr and call abort() when the
 * C library cannot satisfy them (as Redis's zmalloc and h2o do), so callers
 * use the result without a NULL check and no error path exists only to pass
 * WERR_NOMEM up.  Memory they return is freed with free(); a request of zero
 * bytes still returns a unique pointer.  wcalloc() also aborts when n * size
 * overflows.
 *
 * Limits on what input may make us allocate are a separate matter: a buffer
 * that grows from input has a hard maximum and fails softly past it (buf.h).
 *
 * walloc_init() installs these allocators as cJSON's hooks, so a parse or a
 * print that runs out of memory aborts too instead of returning NULL, which
 * cJSON's callers would read as "invalid input".  Call it once at start,
 * before any thread uses cJSON (main and the test programs do).  Thread-safe
 * otherwise.
 */
#ifndef WISMO_WALLOC_H
#define WISMO_WALLOC_H

#include <stddef.h>

void *wmalloc(size_t size);
void *wcalloc(size_t n, size_t size);
void *wrealloc(void *p, size_t size);
char *wstrdup(const char *s);

void walloc_init(void);

#endif
