/*
 * invariant.h - ALWAYS() and NEVER(): defensive branches that tests check.
 *
 * Some conditions cannot happen unless wismo has a bug, yet the code still
 * handles them, because a wrong answer in production is worse than a guarded
 * one.  Such a branch is written with these macros (as SQLite does):
 *
 *     if (NEVER(slot < 0))        the condition is believed false
 *             return WERR_INTERNAL;
 *     if (ALWAYS(p != NULL))      the condition is believed true
 *             use(p);
 *
 * In builds with assertions (meson's debug and debugoptimized builds, and so
 * every test run) a condition that does not hold fails an assert() naming
 * it, so a test that reaches the "impossible" branch stops there instead of
 * passing by luck.  In builds with NDEBUG (release) each macro is just its
 * condition: the defensive branch still runs, with no cost beyond the test.
 *
 * The condition is evaluated exactly once in both kinds of build, so it may
 * not be left out but must not be relied on for side effects either.  Use
 * plain assert() where no defensive branch is wanted.
 */
#ifndef WISMO_INVARIANT_H
#define WISMO_INVARIANT_H

#include <assert.h>

#ifndef NDEBUG
#define ALWAYS(x) ((x) ? 1 : (assert(!"ALWAYS(" #x ")"), 0))
#define NEVER(x) ((x) ? (assert(!"NEVER(" #x ")"), 1) : 0)
#else
#define ALWAYS(x) (!!(x))
#define NEVER(x) (!!(x))
#endif

#endif
