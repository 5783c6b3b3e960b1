/* verify.c: OMS verification of the policy's models at start. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harden.h"
#include "jlog.h"
#include "landlock.h"
#include "oms/oms.h"
#include "verify.h"

#define MAX_LOGGED_FAILURES 20

static void
log_failures(const struct policy_model *m, const struct oms_result *r)
{
	size_t logged = 0;

	for (size_t i = 0; i < r->n && logged < MAX_LOGGED_FAILURES; i++) {
		const struct oms_resource *x = &r->res[i];
		struct jlog l;
		if (x->verdict == OMS_OK)
			continue;
		jlog_begin(&l, WARD_LOG_ERROR, "model_resource_failed");
		jlog_str(&l, "model", m->path);
		jlog_str(&l, "resource", x->name);
		jlog_str(&l, "verdict", oms_verdict_name(x->verdict));
		jlog_str(&l, "expected", x->expected[0] ? x->expected : NULL);
		jlog_str(&l, "actual", x->actual[0] ? x->actual : NULL);
		jlog_end(&l);
		logged++;
	}
}

static int
verify_one(const struct policy *p, const struct policy_model *m, struct model_stat *ms)
{
	struct oms_verify_opts o = {0};
	struct oms_result r = {0};
	struct ward_key *key = NULL;
	struct jlog l;
	uint64_t t0 = ward_now_ns();
	int rc = -1;

	snprintf(ms->path, sizeof(ms->path), "%s", m->path);
	if (m->key != NULL && (key = key_load_public(m->key)) == NULL)
		goto out;
	o.key = key;
	o.cert_chain = m->cert_chain;
	o.ignore = m->ignore;
	o.ignore_unsigned = m->ignore_unsigned;
	o.threads = p->verify_threads;
	rc = oms_verify(m->path, m->signature, &o, &r);
	ms->verified = rc == 0;
	ms->files = r.n;
	ms->bytes = r.bytes;
	ms->threads = r.threads;
out:
	ms->seconds = (double)(ward_now_ns() - t0) / 1e9;
	if (rc != 0) {
		struct ward_error e;
		ward_err_save(&e);
		log_failures(m, &r);
		jlog_begin(&l, WARD_LOG_ERROR, "model_verify_failed");
		jlog_str(&l, "model", m->path);
		jlog_str(&l, "signature", m->signature);
		jlog_str(&l, "msg", e.msg);
		jlog_end(&l);
		ward_err_restore(&e);
	} else {
		double secs = ms->seconds > 0 ? ms->seconds : 1e-9;
		jlog_begin(&l, WARD_LOG_INFO, "model_verified");
		jlog_str(&l, "model", m->path);
		jlog_str(&l, "method", r.method);
		jlog_uint(&l, "resources", r.n);
		jlog_uint(&l, "bytes", r.bytes);
		jlog_num(&l, "seconds", ms->seconds);
		jlog_num(&l, "mb_per_s", (double)r.bytes / secs / 1e6);
		jlog_int(&l, "threads", r.threads);
		jlog_end(&l);
	}
	oms_result_free(&r);
	key_free(key);
	return rc;
}

/* Verification runs in a throwaway child: the bundle and key parsers
 * (untrusted input), OpenSSL's code pages and the hashers' buffers never
 * touch PID 1's memory, and a crash there is a failed verification, not a
 * dead init.  The child reports by value over a pipe. */
struct report {
	int rc;
	struct ward_error err;
	size_t nmodels;
	struct model_stat models[POLICY_MAX_MODELS];
};

static void __attribute__((noreturn)) verify_child(const struct policy *p, int fd)
{
	static struct report r;
	size_t off = 0;

	/* It parses what came with the model: no privileges, no writes, no
	 * exec, no network, nothing to signal. */
	r.rc = 0;
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if ((geteuid() == 0 && harden_switch_user(p->uid, p->gid, 0) != 0) ||
	    harden_drop_caps(0) != 0 || landlock_confine(1) != 0) {
		r.rc = -1;
		r.nmodels = 0;
	}
	for (size_t i = 0; i < p->nmodels && r.rc == 0; i++) {
		r.nmodels = i + 1;
		r.rc = verify_one(p, &p->models[i], &r.models[i]);
	}
	if (r.rc != 0)
		ward_err_save(&r.err);
	while (off < sizeof(r)) {
		ssize_t w = write(fd, (char *)&r + off, sizeof(r) - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			_exit(WARD_EENV);
		off += (size_t)w;
	}
	_exit(0);
}

/* Wait for the child's report: a deadline, and termination signals
 * honoured meanwhile (a hanging verification must not make PID 1 deaf). */
static int
wait_report(int fd, int sfd, uint64_t deadline, void *buf, size_t size, int *stop)
{
	size_t off = 0;

	while (off < size) {
		struct pollfd pfd[2] = {{fd, POLLIN, 0}, {sfd, POLLIN, 0}};
		uint64_t now = ward_now_ns();
		if (now >= deadline)
			return 1;
		int n = poll(pfd, 2, (int)((deadline - now) / 1000000u) + 1);
		if (n < 0 && errno != EINTR)
			return -1;
		if (n > 0 && (pfd[1].revents & POLLIN)) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				int sig = (int)si.ssi_signo;
				if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP ||
				    sig == SIGQUIT) {
					*stop = sig;
					return 2;
				}
			}
		}
		if (n > 0 && (pfd[0].revents & (POLLIN | POLLHUP))) {
			ssize_t r = read(fd, (char *)buf + off, size - off);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return -1;
			off += (size_t)r;
		}
	}
	return 0;
}

int
verify_models(const struct policy *p, struct init_state *st, int sfd, int *stop)
{
	static struct report r;
	int fds[2], status = 0, w;
	pid_t pid;

	*stop = 0;
	if (p->nmodels == 0)
		return 0;
	if (pipe2(fds, O_CLOEXEC) != 0)
		return ward_errno(WARD_EENV, "pipe");
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return ward_errno(WARD_EENV, "cannot fork to verify the models");
	}
	if (pid == 0) {
		close(fds[0]);
		verify_child(p, fds[1]);
	}
	close(fds[1]);
	w = wait_report(fds[0], sfd, ward_now_ns() + (uint64_t)p->verify_timeout * 1000000000u, &r,
			sizeof(r), stop);
	close(fds[0]);
	if (w != 0)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (w == 2)
		return ward_err(WARD_EENV, "stopped by %s during model verification",
				sigabbrev_np(*stop) ? sigabbrev_np(*stop) : "a signal");
	if (w == 1) {
		struct jlog l;
		jlog_begin(&l, WARD_LOG_ERROR, "model_verify_failed");
		jlog_str(&l, "msg", "verification did not finish within verify_timeout");
		jlog_int(&l, "verify_timeout", p->verify_timeout);
		jlog_end(&l);
		return ward_err(WARD_EVERIFY,
				"model verification took longer than verify_timeout (%d s)",
				p->verify_timeout);
	}
	if (w != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return ward_err(WARD_EENV, "the model verification process failed (%s %d)",
				WIFSIGNALED(status) ? "signal" : "status",
				WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	st->nmodels = r.nmodels <= POLICY_MAX_MODELS ? r.nmodels : POLICY_MAX_MODELS;
	memcpy(st->models, r.models, st->nmodels * sizeof(st->models[0]));
	if (r.rc != 0)
		return ward_err_restore(&r.err);
	return 0;
}
