/*
 * launch.h: fork the server's process, harden it (capabilities,
 * no_new_privs, Landlock, seccomp with a listener), hand the listener to
 * ward-init over a socketpair (SCM_RIGHTS), and exec the server.
 *
 * The socketpair also tells ward-init how it went: a message 'F' carries
 * the listener, 'E' an exit code after a failure the child has logged, and
 * end-of-file without 'E' means the exec happened (the child's end is
 * close-on-exec).
 *
 * The exec itself passes the filter without a notification: the child
 * draws 192 random bits, builds them into the filter as the only execve
 * arguments 4-6 it allows (the kernel ignores those registers), and execs
 * with them.  The server never sees the token (its memory is replaced by
 * the exec, the filter cannot be read back), so its own execs all go to
 * ward-init's gate.
 */
#ifndef WARD_INIT_LAUNCH_H
#define WARD_INIT_LAUNCH_H

#include <sys/types.h>

#include "landlock.h"
#include "policy.h"
#include "seccomp_bpf.h"

struct launch_args {
	const struct policy *policy;
	const char *path;		    /* resolved server binary */
	char *const *argv;		    /* the server's argv */
	const struct ward_strv *exec_files; /* what Landlock lets it execute */
	struct sc_params filter;	    /* protected pids, groups (token and
					       server group filled in the child) */
	int contain;			    /* keep every process in the server's group */
};

struct launch {
	pid_t pid;
	int sync_fd;	  /* ward-init's end of the socketpair; -1 once closed */
	int notif_fd;	  /* the seccomp listener, -1 until received */
	int failed;	  /* the child reported a failure */
	int fail_code;	  /* its exit code */
	int exec_done;	  /* EOF without a failure: the exec went through */
	int bin_readable; /* the binary is readable by the server's uid */
	int killable;	  /* the filter has WAIT_KILLABLE_RECV */
	int mdwe;	  /* memory-deny-write-execute is on */
	struct landlock_result landlock;
};

/* launch_start(a, l): fork; in the parent, fill l and return 0 (-1 when
 * fork or socketpair fail).  The child never returns. */
int launch_start(const struct launch_args *a, struct launch *l);
/* launch_recv(l): read what the child sent on l->sync_fd; returns 1 when
 * the socket is finished (closed, l->exec_done or l->failed set). */
int launch_recv(struct launch *l);

/* launch_guard(arm): when ward-init is not PID 1 the kernel does not kill
 * its descendants when it dies; a small guard process does: it waits for
 * ward-init's death (PR_SET_PDEATHSIG) and SIGKILLs the server's process
 * group, which the filter keeps every server process in.  Its pid, and the
 * pipe end to arm it in *arm; -1 on failure. */
pid_t launch_guard(int *arm);
/* launch_guard_arm(arm, server): tell the guard the server's group. */
void launch_guard_arm(int arm, pid_t server);

/* launch_reserve_port(declared): bind one ephemeral TCP port (IPv4 and,
 * where there is IPv6, IPv6) and keep it for ward-init's lifetime: the
 * gate narrows every server TCP socket's ephemeral range to it, so an
 * autobind (listen() without bind()) finds it taken.  The port, or 0. */
uint16_t launch_reserve_port(const struct policy_ports *declared);

#endif
