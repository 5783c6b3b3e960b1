/* proc.c: run a program (podman) with a timeout, capturing its output. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_internal.h"

#define CAPTURE_MAX (8u << 20)

extern char **environ;

static void
drain(int *fd, struct ward_buf *b)
{
	char buf[16384];
	ssize_t n = read(*fd, buf, sizeof(buf));

	if (n > 0) {
		if (b->len + (size_t)n <= CAPTURE_MAX)
			ward_buf_append(b, buf, (size_t)n);
		return;
	}
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	close(*fd);
	*fd = -1;
}

int
check_run(const struct ward_strv *argv, int timeout_ms, struct check_proc *r)
{
	posix_spawn_file_actions_t fa;
	/* the captures are checked once, at the end (sticky ward_buf errors) */
	int out[2] = {-1, -1}, err[2] = {-1, -1}, status = 0, rc = -1;
	uint64_t t0 = ward_now_ns(), deadline;
	char **args;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	if (argv->n == 0)
		return ward_err(WARD_EINPUT, "check_run: no program");
	if ((args = ward_calloc(argv->n + 1, sizeof(char *))) == NULL)
		return -1;
	memcpy(args, argv->v, argv->n * sizeof(char *));
	if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
		ward_errno(WARD_EENV, "pipe");
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	rc = posix_spawnp(&pid, args[0], &fa, NULL, args, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(out[1]);
	close(err[1]);
	out[1] = err[1] = -1;
	if (rc != 0) {
		errno = rc;
		rc = ward_errno(WARD_EENV, "cannot run %s", args[0]);
		goto out;
	}
	deadline = t0 + (uint64_t)(timeout_ms > 0 ? timeout_ms : 600000) * 1000000ull;
	while (out[0] >= 0 || err[0] >= 0) {
		struct pollfd p[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
		uint64_t now = ward_now_ns();
		int left = now >= deadline ? 0 : (int)((deadline - now) / 1000000ull) + 1;
		if (now >= deadline) {
			kill(pid, SIGKILL);
			r->timed_out = 1;
			break;
		}
		if (poll(p, 2, left) < 0 && errno != EINTR)
			break;
		if (out[0] >= 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			drain(&out[0], &r->out);
		if (err[0] >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
			drain(&err[0], &r->err);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	rc = 0;
out:
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	if ((ward_buf_cstr(&r->out) == NULL || ward_buf_cstr(&r->err) == NULL) && rc == 0)
		rc = -1; /* a capture lost bytes: no result from it */
	r->ms = (double)(ward_now_ns() - t0) / 1e6;
	free(args);
	return rc;
}

int
check_runv(int timeout_ms, struct check_proc *r, const char *arg0, ...)
{
	struct ward_strv argv = {0};
	const char *a;
	va_list ap;
	int rc = 0;

	va_start(ap, arg0);
	for (a = arg0; a != NULL && rc == 0; a = va_arg(ap, const char *))
		rc = ward_strv_push(&argv, a);
	va_end(ap);
	if (rc == 0)
		rc = check_run(&argv, timeout_ms, r);
	else
		memset(r, 0, sizeof(*r));
	ward_strv_free(&argv);
	return rc;
}

void
check_proc_free(struct check_proc *r)
{
	if (r == NULL)
		return;
	ward_buf_free(&r->out);
	ward_buf_free(&r->err);
}
