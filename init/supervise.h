/*
 * supervise.h: ward-init's life after the fork: one epoll loop over the
 * signalfd, the start handshake, the seccomp listener and the metrics
 * listener.  Reaps every child, forwards signals to the server (or its
 * process group), ignores signals that come from the processes it
 * supervises, and when the server exits kills what is left and returns
 * the server's status (128+signal when killed).
 */
#ifndef WARD_INIT_SUPERVISE_H
#define WARD_INIT_SUPERVISE_H

#include "launch.h"
#include "policy.h"
#include "state.h"

struct supervise_args {
	const struct policy *policy;
	struct init_state *st;
	int signal_fd;
	int listen_fd; /* -1: no metrics listener */
	const char *server_path;
	struct launch *launch;
};

/* supervise(a): run until the server exits; returns ward-init's exit code. */
int supervise(const struct supervise_args *a);

#endif
