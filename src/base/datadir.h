/*
 * datadir.h - where wismo's installed data lives (mappings, templates, web
 * assets): the installed data directory (meson's datadir/wismo), or the
 * source tree's copy when the program runs from a build that was not
 * installed.  Both paths are fixed at build time.
 */
#ifndef WISMO_DATADIR_H
#define WISMO_DATADIR_H

#include <stddef.h>

/* The installed data directory's subdirectory sub ("templates", "web",
 * "mappings"), else the source tree's when that one is readable; written
 * into out and returned. */
const char *datadir_path(const char *sub, char *out, size_t cap);

#endif
