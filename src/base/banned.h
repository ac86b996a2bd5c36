/*
 * banned.h - functions that must not be used in wismo (as git does).
 *
 * Each is replaced by a bounded alternative: snprintf / buf_printf instead of
 * sprintf, memcpy with explicit lengths or buf_append instead of strcpy and
 * strcat, strtol with end-pointer checks instead of atoi.  Including this
 * header last in a .c file turns any use into a compile error.
 */
#ifndef WISMO_BANNED_H
#define WISMO_BANNED_H

#define BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef atoi
#define atoi(x) BANNED(atoi)
#undef gets
#define gets(x) BANNED(gets)

#endif
