/*
 * refcommon.h: what every bare C reference program of the bench has
 * alike: a stop flag set by its signal handler, and death by message.
 * Include it once, after defining REF_NAME (the program's name in its
 * messages).  Each program stays one file plus this one.
 */
#ifndef REFCOMMON_H
#define REFCOMMON_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t stop;
static const char *prog = REF_NAME;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(errno));
	exit(1);
}

#endif
