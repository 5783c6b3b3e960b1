/*
 * supervise.h: ward-init's life after the fork: one epoll loop over the
 * signalfd, the start handshake, the seccomp listener (the gate) and the
 * helper's sample requests.  Reaps every child, restarts the HTTP helper
 * when it dies, forwards signals to the server (or its process group),
 * ignores signals that come from the processes it supervises, escalates a
 * forwarded SIGTERM/SIGINT/SIGQUIT to SIGKILL after the policy's
 * stop_timeout, and when the server exits kills what is left and returns
 * the server's status (128+signal when killed).
 */
#ifndef WARD_INIT_SUPERVISE_H
#define WARD_INIT_SUPERVISE_H

#include "helper.h"
#include "launch.h"
#include "policy.h"
#include "state.h"

struct supervise_args {
	const struct policy *policy;
	struct init_state *st;
	int signal_fd;
	const char *server_path;
	struct launch *launch;
	const struct ward_strv *exec_files, *loaders; /* for the gate */
	struct helper_conf *helper;		      /* NULL: no metrics listener */
	pid_t helper_pid;
	pid_t guard_pid;	/* 0: none (ward-init is PID 1) */
	int guard_log_fd;	/* the endpoint guard's audit lines (a pipe), or -1 */
	uint16_t reserved_port; /* for the gate's TCP sockets; 0: none */
};

/* supervise(a): run until the server exits; returns ward-init's exit code. */
int supervise(const struct supervise_args *a);

#endif
