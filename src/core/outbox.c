/*
 * outbox.c - the outbox state machine's table and its one check (outbox.h,
 * docs/notifications.md).  The store and the callers that change a row's
 * state ask here instead of comparing state names of their own.
 */
#include "outbox.h"

#include <string.h>

#include "../base/banned.h"

static const char *const state_names[OUTBOX__COUNT] = {
	[OUTBOX_NEW] = "new",
	[OUTBOX_REVIEW] = OUTBOX_S_REVIEW,
	[OUTBOX_PENDING] = OUTBOX_S_PENDING,
	[OUTBOX_SENDING] = OUTBOX_S_SENDING,
	[OUTBOX_SENT] = OUTBOX_S_SENT,
	[OUTBOX_DEAD] = OUTBOX_S_DEAD,
	[OUTBOX_CANCELLED] = OUTBOX_S_CANCELLED,
};

static const char *const move_names[OUTBOX__MOVES] = {
	[OUTBOX_PLAN] = "plan",       [OUTBOX_CLAIM] = "claim",   [OUTBOX_FINISH] = "finish",
	[OUTBOX_APPROVE] = "approve", [OUTBOX_REJECT] = "reject", [OUTBOX_RETRY] = "retry",
	[OUTBOX_CANCEL] = "cancel",
};

/* The transition table of outbox.h, row for row. */
static const struct outbox_transition moves[] = {
	{ OUTBOX_PLAN, OUTBOX_NEW, OUTBOX_REVIEW },
	{ OUTBOX_PLAN, OUTBOX_NEW, OUTBOX_PENDING },
	{ OUTBOX_PLAN, OUTBOX_NEW, OUTBOX_CANCELLED },
	{ OUTBOX_CLAIM, OUTBOX_PENDING, OUTBOX_SENDING },
	{ OUTBOX_CLAIM, OUTBOX_SENDING, OUTBOX_SENDING },
	{ OUTBOX_FINISH, OUTBOX_SENDING, OUTBOX_SENT },
	{ OUTBOX_FINISH, OUTBOX_SENDING, OUTBOX_PENDING },
	{ OUTBOX_FINISH, OUTBOX_SENDING, OUTBOX_DEAD },
	{ OUTBOX_APPROVE, OUTBOX_REVIEW, OUTBOX_PENDING },
	{ OUTBOX_REJECT, OUTBOX_REVIEW, OUTBOX_CANCELLED },
	{ OUTBOX_RETRY, OUTBOX_DEAD, OUTBOX_PENDING },
	{ OUTBOX_CANCEL, OUTBOX_PENDING, OUTBOX_CANCELLED },
};

#define NMOVES (sizeof(moves) / sizeof(moves[0]))

const struct outbox_transition *outbox_transitions(size_t *n)
{
	*n = NMOVES;
	return moves;
}

const char *outbox_state_name(enum outbox_state s)
{
	return (unsigned)s < OUTBOX__COUNT ? state_names[s] : "unknown";
}

int outbox_state_from_name(const char *name)
{
	/* from REVIEW: "new" names no stored state */
	for (int i = OUTBOX_REVIEW; name && i < OUTBOX__COUNT; i++)
		if (!strcmp(name, state_names[i]))
			return i;
	return -1;
}

const char *outbox_move_name(enum outbox_move m)
{
	return (unsigned)m < OUTBOX__MOVES ? move_names[m] : "unknown";
}

bool outbox_move_ok(enum outbox_move m, enum outbox_state from, enum outbox_state to)
{
	for (size_t i = 0; i < NMOVES; i++)
		if (moves[i].move == m && moves[i].from == from && moves[i].to == to)
			return true;
	return false;
}

/* The moves store_outbox_set_state performs: a person's (approve, reject,
 * retry) and the worker's cancel. */
static bool is_set_move(enum outbox_move m)
{
	return m == OUTBOX_APPROVE || m == OUTBOX_REJECT || m == OUTBOX_RETRY || m == OUTBOX_CANCEL;
}

bool outbox_set_ok(enum outbox_state from, enum outbox_state to)
{
	for (size_t i = 0; i < NMOVES; i++)
		if (is_set_move(moves[i].move) && outbox_move_ok(moves[i].move, from, to))
			return true;
	return false;
}

bool outbox_move_reaches(enum outbox_move m, enum outbox_state to)
{
	for (size_t i = 0; i < NMOVES; i++)
		if (moves[i].move == m && moves[i].to == to)
			return true;
	return false;
}

bool outbox_set_target(enum outbox_state to)
{
	for (size_t i = 0; i < NMOVES; i++)
		if (is_set_move(moves[i].move) && moves[i].to == to)
			return true;
	return false;
}
