/* walloc.c - allocators that abort on failure, and cJSON's hooks; see walloc.h. */
#include "walloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "banned.h"

/* Not wlog(): logging allocates, and there is no memory left.  A fixed
 * message through one write(2) needs none. */
static void out_of_memory(size_t size)
{
	char line[96];
	int n = snprintf(line, sizeof(line), "wismo: out of memory allocating %zu bytes\n", size);

	if (n > 0 && write(STDERR_FILENO, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1) < 0) {
		/* nowhere left to report it */
	}
	abort();
}

void *wmalloc(size_t size)
{
	/* malloc(0) may return NULL, which is not a failure; ask for one byte so
	 * NULL always means out of memory */
	void *p = malloc(size ? size : 1);

	if (!p)
		out_of_memory(size);
	return p;
}

void *wcalloc(size_t n, size_t size)
{
	void *p;

	if (!n || !size)
		n = size = 1;
	p = calloc(n, size);
	if (!p)
		out_of_memory(size && n > SIZE_MAX / size ? SIZE_MAX : n * size);
	return p;
}

void *wrealloc(void *p, size_t size)
{
	/* realloc(p, 0) may free p and return NULL: keep one byte instead */
	void *np = realloc(p, size ? size : 1);

	if (!np)
		out_of_memory(size);
	return np;
}

char *wstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = wmalloc(n);

	memcpy(p, s, n);
	return p;
}

void walloc_init(void)
{
	/* With its own malloc_fn cJSON grows a printed text by malloc + copy
	 * rather than realloc, so every allocation it makes goes through
	 * wmalloc.  free stays free: cJSON_Print's result is freed with free()
	 * all over the tree. */
	cJSON_Hooks hooks = { .malloc_fn = wmalloc, .free_fn = free };

	cJSON_InitHooks(&hooks);
}
