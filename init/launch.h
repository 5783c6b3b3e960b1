/*
 * launch.h: fork the server's process, harden it (capabilities,
 * no_new_privs, Landlock, seccomp with a listener), hand the listener to
 * ward-init over a socketpair (SCM_RIGHTS), and exec the server.
 *
 * The socketpair also tells ward-init how it went: a message 'F' carries
 * the listener, 'E' an exit code after a failure the child has logged, and
 * end-of-file without 'E' means the exec happened (the child's end is
 * close-on-exec).
 */
#ifndef WARD_INIT_LAUNCH_H
#define WARD_INIT_LAUNCH_H

#include <sys/types.h>

#include "landlock.h"
#include "policy.h"

struct launch_args {
	const struct policy *policy;
	const char *path;		    /* resolved server binary */
	char *const *argv;		    /* the server's argv */
	const struct ward_strv *exec_files; /* what Landlock lets it execute */
};

struct launch {
	pid_t pid;
	int sync_fd;	  /* ward-init's end of the socketpair; -1 once closed */
	int notif_fd;	  /* the seccomp listener, -1 until received */
	int failed;	  /* the child reported a failure */
	int fail_code;	  /* its exit code */
	int exec_done;	  /* EOF without a failure: the exec went through */
	int bin_readable; /* the binary is readable by the server's uid */
	struct landlock_result landlock;
};

/* launch_start(a, l): fork; in the parent, fill l and return 0 (-1 when
 * fork or socketpair fail).  The child never returns. */
int launch_start(const struct launch_args *a, struct launch *l);
/* launch_recv(l): read what the child sent on l->sync_fd; returns 1 when
 * the socket is finished (closed, l->exec_done or l->failed set). */
int launch_recv(struct launch *l);

#endif
