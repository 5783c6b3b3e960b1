/* launch.c: the child side of the start: harden, hand over, exec. */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "harden.h"
#include "jlog.h"
#include "launch.h"
#include "seccomp_bpf.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

extern char **environ;

/* What the child sends with 'F'. */
struct handover {
	char tag;
	int readable;
	int killable;
	int mdwe;
	struct landlock_result landlock;
};

static void __attribute__((noreturn)) child_fail(int sync, int code, const char *step)
{
	struct jlog l;
	char msg[2] = {'E', (char)code};

	jlog_begin(&l, WARD_LOG_ERROR, "start_failed");
	jlog_str(&l, "step", step);
	jlog_str(&l, "msg", ward_errmsg());
	jlog_int(&l, "exit_code", code);
	jlog_end(&l);
	send(sync, msg, sizeof(msg), MSG_NOSIGNAL);
	_exit(code);
}

static int
send_fd(int sync, int fd, const struct handover *h)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {(void *)h, sizeof(*h)};
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = cbuf,
			   .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c;

	memset(cbuf, 0, sizeof(cbuf));
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(sync, &m, MSG_NOSIGNAL) != (ssize_t)sizeof(*h))
		return ward_errno(WARD_EENV, "cannot hand the seccomp listener to ward-init");
	return 0;
}

static int
install_seccomp(const struct sc_params *params, int *killable)
{
	static struct sc_prog prog;
	struct sock_fprog fp;
	int fd;

	if (sc_build(&prog, params) != 0)
		return -1;
	fp.len = prog.len;
	fp.filter = prog.insn;
	/* WAIT_KILLABLE_RECV (5.19): a signal does not restart a pending exec
	 * notification, so each attempt is counted once. */
	fd = (int)syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER,
			  SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
			  &fp);
	*killable = fd >= 0;
	if (fd < 0 && errno == EINVAL)
		fd = (int)syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER,
				  SECCOMP_FILTER_FLAG_NEW_LISTENER, &fp);
	if (fd < 0)
		return ward_errno(WARD_EENV, "cannot install the seccomp filter with a listener");
	return fd;
}

static void
reset_signals(void)
{
	struct sigaction sa = {.sa_handler = SIG_DFL};
	sigset_t all;

	for (int s = 1; s < NSIG; s++)
		sigaction(s, &sa, NULL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
}

static void __attribute__((noreturn)) child(const struct launch_args *a, int sync)
{
	const struct policy *p = a->policy;
	struct handover h = {.tag = 'F'};
	struct sc_params params = a->filter;
	int fd;

	/* Its own process group: signals go to the server and its helpers. */
	setpgid(0, 0);
	if (isatty(STDIN_FILENO)) {
		signal(SIGTTOU, SIG_IGN);
		tcsetpgrp(STDIN_FILENO, getpgrp());
	}
	reset_signals();
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (harden_drop_caps(0) != 0)
		child_fail(sync, WARD_EENV, "capabilities");
	h.readable = harden_readable_by_self(a->path);
	if (h.readable && p->dumpable == POLICY_REFUSE) {
		ward_err(WARD_EENV,
			 "%s is readable by uid %u: the server would be dumpable (policy: "
			 "refuse); install it with mode 0711",
			 a->path, (unsigned)geteuid());
		child_fail(sync, WARD_EENV, "dumpable");
	}
	if (landlock_apply(p, a->exec_files, &h.landlock) != 0)
		child_fail(sync, WARD_EENV, "landlock");
	params.signals_scoped = h.landlock.scoped;
	/* No real-time scheduling and no priority above ward-init's, however
	 * the host's limits are set: the server cannot starve PID 1. */
	struct rlimit zero = {0, 0};
	setrlimit(RLIMIT_RTPRIO, &zero);
	setrlimit(RLIMIT_NICE, &zero);
	/* W^X: nothing writable and executable at once, nothing made
	 * executable later (inherited by every child and kept across exec). */
	if (p->deny_write_execute) {
		if (prctl(65 /* PR_SET_MDWE */, 1 /* REFUSE_EXEC_GAIN */, 0, 0, 0) != 0) {
			ward_errno(WARD_EENV, "memory.deny_write_execute: PR_SET_MDWE");
			child_fail(sync, WARD_EENV, "deny_write_execute");
		}
		h.mdwe = 1;
	}
	/* The server's output goes to ward-init's stdout: stderr carries
	 * ward-init's own lines only. */
	if (p->server_output == OUTPUT_STDOUT && fcntl(STDOUT_FILENO, F_GETFD) >= 0)
		dup2(STDOUT_FILENO, STDERR_FILENO);
	/* Nothing of ward-init's may leak into the server. */
	if (syscall(__NR_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
		for (int f = 3; f < 1024; f++)
			if (f != sync)
				fcntl(f, F_SETFD, FD_CLOEXEC);
	prctl(PR_SET_NAME, "ward-exec", 0, 0, 0);
	if (a->contain)
		params.server_pgid = (uint32_t)getpid();
	if (getrandom(params.token, sizeof(params.token), 0) != (ssize_t)sizeof(params.token)) {
		ward_errno(WARD_EENV, "getrandom");
		child_fail(sync, WARD_EENV, "seccomp");
	}
	if ((fd = install_seccomp(&params, &h.killable)) < 0)
		child_fail(sync, WARD_EENV, "seccomp");
	if (send_fd(sync, fd, &h) != 0)
		child_fail(sync, WARD_EENV, "handover");
	close(fd);
	syscall(__NR_execve, a->path, a->argv, environ, params.token[0], params.token[1],
		params.token[2]);
	ward_errno(WARD_EINPUT, "cannot exec %s", a->path);
	child_fail(sync, errno == ENOENT ? 127 : 126, "exec");
}

int
launch_start(const struct launch_args *a, struct launch *l)
{
	int sv[2];

	memset(l, 0, sizeof(*l));
	l->notif_fd = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return ward_errno(WARD_EENV, "socketpair");
	l->pid = fork();
	if (l->pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return ward_errno(WARD_EENV, "cannot fork the server");
	}
	if (l->pid == 0) {
		close(sv[0]);
		child(a, sv[1]);
	}
	close(sv[1]);
	l->sync_fd = sv[0];
	/* Set it here too, so signals forwarded to the group before the
	 * child ran setpgid() already reach it. */
	setpgid(l->pid, l->pid);
	return 0;
}

int
launch_recv(struct launch *l)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct handover h;
	struct iovec iov = {&h, sizeof(h)};
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = cbuf,
			   .msg_controllen = sizeof(cbuf)};
	ssize_t n;

	memset(&h, 0, sizeof(h));
	n = recvmsg(l->sync_fd, &m, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n > 0 && h.tag == 'F') {
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		if (c != NULL && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&l->notif_fd, CMSG_DATA(c), sizeof(int));
		l->bin_readable = h.readable;
		l->killable = h.killable;
		l->mdwe = h.mdwe;
		l->landlock = h.landlock;
		return 0;
	}
	if (n >= 2 && h.tag == 'E') {
		l->failed = 1;
		l->fail_code = (unsigned char)((char *)&h)[1];
	} else if (!l->failed) {
		/* EOF (or an error): the close-on-exec end went away. */
		l->exec_done = l->notif_fd >= 0;
		if (!l->exec_done) {
			l->failed = 1;
			l->fail_code = WARD_EENV;
		}
	}
	close(l->sync_fd);
	l->sync_fd = -1;
	return 1;
}

/* ------------------------------------------------------------ the guard */

pid_t
launch_guard(int *arm)
{
	int fds[2];
	pid_t parent = getpid(), pid;
	int32_t pgid;

	if (pipe2(fds, O_CLOEXEC) != 0)
		return ward_errno(WARD_EENV, "pipe");
	if ((pid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		return ward_errno(WARD_EENV, "cannot fork the guard");
	}
	if (pid > 0) {
		close(fds[0]);
		*arm = fds[1];
		return pid;
	}
	/* Every signal is blocked (inherited); SIGUSR1 comes when ward-init
	 * dies, however it dies. */
	prctl(PR_SET_NAME, "ward-guard", 0, 0, 0);
	prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0);
	dup2(fds[0], 0);
	syscall(__NR_close_range, 1, ~0U, 0);
	harden_drop_caps(0);
	if (getppid() != parent || read(0, &pgid, sizeof(pgid)) != (ssize_t)sizeof(pgid) ||
	    pgid <= 1)
		_exit(0); /* disarmed: ward-init exited normally or never launched */
	sigset_t usr1;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	if (getppid() == parent)
		sigwaitinfo(&usr1, NULL);
	/* Every process of the server stays in its group (the filter refuses
	 * new sessions and groups when ward-init is not PID 1). */
	for (int i = 0; i < 100 && kill(-pgid, SIGKILL) == 0; i++)
		usleep(10000);
	_exit(0);
}

void
launch_guard_arm(int arm, pid_t server)
{
	int32_t pgid = (int32_t)server;

	if (write(arm, &pgid, sizeof(pgid)) != (ssize_t)sizeof(pgid))
		jlog_msg(WARD_LOG_WARN, "guard_unarmed", "cannot arm the guard");
	close(arm);
}

/* ------------------------------------------------------------ the port */

uint16_t
launch_reserve_port(const struct policy_ports *declared)
{
	for (int tries = 0; tries < 8; tries++) {
		struct sockaddr_in a4 = {.sin_family = AF_INET};
		struct sockaddr_in6 a6 = {.sin6_family = AF_INET6};
		socklen_t len = sizeof(a4);
		int s4 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), s6, one = 1, taken = 0;
		uint16_t port;

		if (s4 < 0 || bind(s4, (struct sockaddr *)&a4, sizeof(a4)) != 0 ||
		    getsockname(s4, (struct sockaddr *)&a4, &len) != 0) {
			if (s4 >= 0)
				close(s4);
			return 0;
		}
		port = ntohs(a4.sin_port);
		for (size_t i = 0; i < declared->n; i++)
			taken |= declared->port[i] == port;
		/* The same port on IPv6 (where there is IPv6), kept apart. */
		a6.sin6_port = a4.sin_port;
		s6 = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s6 >= 0 && (setsockopt(s6, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0 ||
				bind(s6, (struct sockaddr *)&a6, sizeof(a6)) != 0)) {
			taken |= errno == EADDRINUSE;
			close(s6);
		}
		if (!taken)
			return port; /* both stay open for ward-init's lifetime */
		close(s4);
		if (s6 >= 0)
			close(s6);
	}
	return 0;
}
