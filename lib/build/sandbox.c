/* sandbox.c: run a program of the staged image (its own Python, to compile
 * bytecode) chrooted into the staging tree.  Unprivileged users get a user
 * namespace in which they are root; root gets one too where the kernel
 * allows it, so package code never runs with the host's real root.  The
 * environment is exactly what the caller passes; nothing else leaks in. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build/build_internal.h"

#define OUTPUT_MAX (1u << 20)

static void
child_fail(int fd, const char *what)
{
	char msg[256];
	int n = snprintf(msg, sizeof(msg), "sandbox: %s: %s\n", what, strerror(errno));

	if (n > 0)
		(void)!write(fd, msg, (size_t)n);
	_exit(127);
}

static int
write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

static void
child(const char *root, char *const argv[], char *const envp[], int in, int out,
      const char *uid_map, const char *gid_map)
{
	int userns = unshare(CLONE_NEWUSER) == 0;

	if (!userns && geteuid() != 0)
		child_fail(out, "cannot create a user namespace (needed to run the image's "
				"programs unprivileged; see docs/ward-build.md)");
	if (userns && (write_file("/proc/self/setgroups", "deny") != 0 ||
		       write_file("/proc/self/uid_map", uid_map) != 0 ||
		       write_file("/proc/self/gid_map", gid_map) != 0))
		child_fail(out, "cannot map the user namespace");
	if (root != NULL && (chroot(root) != 0 || chdir("/") != 0))
		child_fail(out, "chroot into the staging tree");
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		child_fail(out, "dup2");
	execve(argv[0], argv, envp);
	child_fail(2, argv[0]);
}

int
build_sandbox_run(const char *root, char *const argv[], char *const envp[], const void *stdin_data,
		  size_t stdin_len, struct ward_buf *out)
{
	int inp[2] = {-1, -1}, outp[2] = {-1, -1}, status = 0;
	char uid_map[64], gid_map[64];
	size_t sent = 0;
	pid_t pid;
	int rc = -1;

	snprintf(uid_map, sizeof(uid_map), "0 %u 1\n", (unsigned)geteuid());
	snprintf(gid_map, sizeof(gid_map), "0 %u 1\n", (unsigned)getegid());
	/* stdin is a socket so that a child that exits early gives EPIPE from
	 * send(MSG_NOSIGNAL), not a SIGPIPE that would kill ward */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, inp) != 0 ||
	    pipe2(outp, O_CLOEXEC) != 0) {
		ward_errno(WARD_EENV, "pipe");
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		ward_errno(WARD_EENV, "fork");
		goto out;
	}
	if (pid == 0)
		child(root, argv, envp, inp[0], outp[1], uid_map, gid_map);
	close(inp[0]);
	close(outp[1]);
	inp[0] = outp[1] = -1;
	if (stdin_len == 0) {
		close(inp[1]);
		inp[1] = -1;
	}
	/* feed stdin and drain the output together: neither pipe may fill up */
	for (;;) {
		struct pollfd fds[2] = {{.fd = outp[0], .events = POLLIN},
					{.fd = inp[1], .events = POLLOUT}};
		int nfds = inp[1] >= 0 ? 2 : 1;
		if (poll(fds, (nfds_t)nfds, -1) < 0) {
			if (errno == EINTR)
				continue;
			ward_errno(WARD_EENV, "poll");
			break;
		}
		if (nfds == 2 && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t w = send(inp[1], (const char *)stdin_data + sent,
					 stdin_len - sent > 65536 ? 65536 : stdin_len - sent,
					 MSG_NOSIGNAL | MSG_DONTWAIT);
			if (w < 0 && (errno == EAGAIN || errno == EINTR))
				w = 0;
			if (w > 0)
				sent += (size_t)w;
			if (w < 0 || sent == stdin_len) {
				shutdown(inp[1], SHUT_WR);
				close(inp[1]);
				inp[1] = -1;
			}
		}
		if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			char buf[8192];
			ssize_t r = read(outp[0], buf, sizeof(buf));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			if (out != NULL && out->len < OUTPUT_MAX)
				ward_buf_append(out, buf, (size_t)r);
		}
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (out != NULL)
		ward_buf_cstr(out);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		rc = 0;
	else if (WIFEXITED(status))
		ward_err(WARD_EENV, "%s exited with status %d", argv[0], WEXITSTATUS(status));
	else
		ward_err(WARD_EENV, "%s was killed by signal %d", argv[0],
			 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
out:
	for (int i = 0; i < 2; i++) {
		if (inp[i] >= 0)
			close(inp[i]);
		if (outp[i] >= 0)
			close(outp[i]);
	}
	return rc;
}
