/*
 * fuzz.h - what the libFuzzer targets in tests/fuzz/ share.
 *
 * Each target is one program: LLVMFuzzerTestOneInput() gets arbitrary bytes
 * and must not crash, leak, read out of bounds or hit undefined behaviour
 * (built with -fsanitize=fuzzer,address,undefined; a finding aborts).  A
 * target may also assert a property of the module (a round trip, a bound):
 * FUZZ_CHECK aborts with the failed condition, which libFuzzer reports as a
 * crash and saves the input.
 *
 * fuzz_text() copies the input into a NUL-terminated heap string (the
 * caller frees it), for functions that take C strings; the copy is cut at
 * the first NUL, as a C caller would see it.
 */
#ifndef WISMO_FUZZ_H
#define WISMO_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond)                                                                   \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                           \
		}                                                                          \
	} while (0)

static inline char *fuzz_text(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Writes the input to a private file (for loaders that take a path);
 * returns its path, valid until the next call.  The file lives in memory
 * (/dev/shm) where there is one: on a disk, the write-back of one file per
 * input was most of a run's time. */
static inline const char *fuzz_file(const uint8_t *data, size_t size)
{
	static char path[64];
	FILE *f;

	if (!path[0])
		snprintf(path, sizeof(path), "%s/wismo-fuzz-%d.txt",
			 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (int)getpid());
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f))
		abort();
	return path;
}

#endif
