/* helper.c: the unprivileged helper process (see helper.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guard.h"
#include "harden.h"
#include "helper.h"
#include "jlog.h"
#include "landlock.h"
#include "serve.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

enum { TAG_DONE = 1, TAG_RELOAD, TAG_SERVE = 100, TAG_GUARD = 1 << 20 };

/* Everything the metrics service and libc's allocator need; nothing that
 * opens a file, creates a socket or a process, or changes credentials. */
static const int base_syscalls[] = {
	__NR_read,
	__NR_write,
	__NR_close,
	__NR_epoll_wait,
	__NR_epoll_pwait,
	__NR_epoll_ctl,
	__NR_accept4,
	__NR_accept,
	__NR_recvfrom,
	__NR_recvmsg,
	__NR_sendto,
	__NR_sendmsg,
	__NR_shutdown,
	__NR_setsockopt,
	__NR_getsockopt,
	__NR_getsockname,
	__NR_getpeername,
	__NR_clock_gettime,
	__NR_gettimeofday,
	__NR_nanosleep,
	__NR_clock_nanosleep,
	__NR_mmap,
	__NR_munmap,
	__NR_mremap,
	__NR_brk,
	__NR_madvise,
	__NR_mprotect,
	__NR_futex,
	__NR_rt_sigreturn,
	__NR_rt_sigprocmask,
	__NR_sigaltstack,
	__NR_exit,
	__NR_exit_group,
	__NR_getpid,
	__NR_gettid,
	__NR_sched_yield,
	__NR_restart_syscall,
	__NR_getrandom,
};

struct init_state *
helper_state_new(int *fd)
{
	size_t size = (sizeof(struct init_state) + 4095) & ~(size_t)4095;
	struct init_state *st;

	*fd = (int)syscall(__NR_memfd_create, "ward-state", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (*fd < 0 || ftruncate(*fd, (off_t)size) != 0) {
		ward_errno(WARD_EENV, "shared state");
		return NULL;
	}
	st = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	if (st == MAP_FAILED) {
		ward_errno(WARD_EENV, "shared state: mmap");
		return NULL;
	}
	/* Our mapping stays writable; no new one can be (the helper's). */
	if (fcntl(*fd, F_ADD_SEALS,
		  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE | F_SEAL_SEAL) != 0)
		jlog_msg(WARD_LOG_WARN, "state_unsealed", "cannot seal the shared state page");
	return st;
}

/* ------------------------------------------------------------ the sandbox */

static int
install_filter(const struct helper_sandbox *sb)
{
	static struct sock_filter f[96];
	size_t nbase = sizeof(base_syscalls) / sizeof(base_syscalls[0]);
	size_t n = 0, total = nbase + (sb ? sb->nsyscalls : 0);
	struct sock_fprog prog;

	if (total + 20 > sizeof(f) / sizeof(f[0]))
		return ward_err(WARD_EENV, "helper: too many syscalls for its filter");
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, arch));
#if defined(__x86_64__)
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
#else
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_AARCH64, 1, 0);
#endif
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, nr));
	if (sb != NULL && sb->socket_families != 0) {
		/* socket(2) for the endpoint guard's upstream: only the families
		 * it names (1 << domain in the mask), SOCK_STREAM only (flags
		 * aside); any other socket kills the helper. */
		f[n++] =
			(struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 0, 11);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						      offsetof(struct seccomp_data, args[0]));
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 32, 8, 0);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_MISC | BPF_TAX, 0);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_IMM, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_LSH | BPF_X, 0);
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K,
						      sb->socket_families, 0, 4);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						      offsetof(struct seccomp_data, args[1]));
		f[n++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xf);
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SOCK_STREAM, 0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	}
	for (size_t i = 0; i < total; i++) {
		int nr = i < nbase ? base_syscalls[i] : sb->syscalls[i - nbase];
		/* jt: to the ALLOW at the end, counted from the next insn */
		f[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr,
						    (unsigned char)(total - i), 0);
		n++;
	}
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	prog.len = (unsigned short)n;
	prog.filter = f;
	if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
		return ward_errno(WARD_EENV, "helper: seccomp");
	return 0;
}

static int
confine(const struct helper_conf *c)
{
	if (harden_drop_caps(0) != 0) /* and no_new_privs */
		return -1;
	prctl(65 /* PR_SET_MDWE */, 1 /* REFUSE_EXEC_GAIN */, 0, 0, 0);
	if (landlock_confine_with(0, c->sandbox ? c->sandbox->read_dirs : NULL,
				  c->sandbox ? c->sandbox->nread_dirs : 0,
				  c->sandbox ? c->sandbox->connect_port : 0) != 0)
		return -1;
	return install_filter(c->sandbox);
}

/* ------------------------------------------------------------ the loop */

static void
ask(void *ctx)
{
	uint64_t one = 1;

	if (write(*(int *)ctx, &one, sizeof(one)) < 0) {
		/* PID 1 is behind: the wait times out, the old sample serves */
	}
}

/* The guard's part of /metrics (serve.c appends it to ward-init's own). */
static size_t
guard_extra(void *ctx, char *out, size_t cap)
{
	return guard_metrics(ctx, out, cap);
}

static int
min_timeout(int a, int b)
{
	return a < 0 ? b : b < 0 ? a : a < b ? a : b;
}

static void __attribute__((noreturn)) helper_main(const struct helper_conf *c)
{
	size_t size = (sizeof(struct init_state) + 4095) & ~(size_t)4095;
	const struct init_state *st;
	struct epoll_event evs[64], ev = {.events = EPOLLIN, .data.u64 = TAG_DONE};
	struct serve *s = NULL;
	struct guard *g = NULL;
	int ep, ask_fd = c->ask_fd, max_conns = 0;

	prctl(PR_SET_NAME, "ward-http", 0, 0, 0);
	/* Keep only what it serves with: no log stream (a compromised
	 * helper must not write ward-init's lines; the guard's audit lines go
	 * to a pipe PID 1 wraps), no other descriptor. */
	for (int fd = 0; fd < 1024; fd++)
		if (fd != c->listen_fd && fd != c->state_fd && fd != c->ask_fd &&
		    fd != c->done_fd && fd != c->guard_fd && fd != c->log_fd && fd != c->reload_fd)
			close(fd);
	syscall(__NR_close_range, 1024, ~0U, 0);
	/* The state, read-only, from a fresh mapping of the sealed memfd. */
	munmap(c->state_rw, size);
	st = mmap(NULL, size, PROT_READ, MAP_SHARED, c->state_fd, 0);
	close(c->state_fd);
	if (st == MAP_FAILED || (ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		_exit(WARD_EENV);
	/* As many connections as descriptors allow, to outlast a flood; with
	 * the endpoint guard, /metrics keeps 64 of them and the guard sizes
	 * its table to the rest (two descriptors a connection, guard_new). */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
		max_conns = rl.rlim_cur > 32 ? (int)(rl.rlim_cur - 16) : 16;
		if (c->guard != NULL && max_conns > 64)
			max_conns = 64;
	}
	/* The endpoint guard reads its certificate, key and API key file now,
	 * before the sandbox closes the file system. */
	if (c->guard != NULL) {
		jlog_set_fd(c->log_fd);
		if ((g = guard_new(c->guard, c->guard_fd, ep, TAG_GUARD)) == NULL) {
			jlog_msg(WARD_LOG_ERROR, "guard_failed", ward_errmsg());
			_exit(HELPER_EXIT_CONFIG);
		}
		struct epoll_event rev = {.events = EPOLLIN, .data.u64 = TAG_RELOAD};
		if (epoll_ctl(ep, EPOLL_CTL_ADD, c->reload_fd, &rev) != 0)
			_exit(WARD_EENV);
	}
	if (confine(c) != 0)
		_exit(WARD_EENV);
	if (c->listen_fd >= 0) {
		struct serve_args sa = {.listen_fd = c->listen_fd,
					.epoll_fd = ep,
					.tag = TAG_SERVE,
					.st = st,
					.ask_sample = ask,
					.ctx = &ask_fd,
					.max_conns = max_conns,
					.extra_metrics = g ? guard_extra : NULL,
					.extra_ctx = g};
		if ((s = serve_new(&sa)) == NULL ||
		    epoll_ctl(ep, EPOLL_CTL_ADD, c->done_fd, &ev) != 0)
			_exit(WARD_EENV);
	}
	for (;;) {
		uint64_t now = ward_now_ns();
		int to = min_timeout(s ? serve_timeout_ms(s, now) : -1,
				     g ? guard_timeout_ms(g, now) : -1);
		int n = epoll_wait(ep, evs, 64, to);
		for (int i = 0; i < n; i++) {
			uint64_t tag = evs[i].data.u64;
			if (tag == TAG_DONE) {
				uint64_t v;
				if (read(c->done_fd, &v, sizeof(v)) == (ssize_t)sizeof(v) && s)
					serve_sampled(s);
			} else if (tag == TAG_RELOAD) {
				uint64_t v;
				if (read(c->reload_fd, &v, sizeof(v)) == (ssize_t)sizeof(v) && g)
					guard_reload(g);
			} else if (tag >= TAG_GUARD) {
				if (g)
					guard_event(g, tag, evs[i].events);
			} else if (s) {
				serve_event(s, tag, evs[i].events);
			}
		}
		now = ward_now_ns();
		if (s)
			serve_expire(s, now);
		if (g)
			guard_expire(g, now);
	}
}

pid_t
helper_spawn(const struct helper_conf *c)
{
	pid_t pid = fork();

	if (pid < 0) {
		ward_errno(WARD_EENV, "cannot fork the HTTP helper");
		return -1;
	}
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		for (int sig = 1; sig < NSIG; sig++)
			signal(sig, SIG_DFL);
		sigprocmask(SIG_SETMASK, &none, NULL);
		helper_main(c);
	}
	return pid;
}
