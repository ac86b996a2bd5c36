/*
 * signals.c - SIGINT and SIGTERM for the commands that run until stopped
 * (serve, demo): blocked in every thread, then awaited in one (cli.h).
 */
#include <pthread.h>
#include <signal.h>

#include "cli.h"
#include "../base/banned.h"

void cli_block_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int cli_wait_signal(void)
{
	sigset_t set;
	int sig = 0;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigwait(&set, &sig);
	return sig;
}
