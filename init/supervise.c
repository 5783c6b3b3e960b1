/* supervise.c: ward-init's event loop (see supervise.h). */
#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gate.h"
#include "jlog.h"
#include "sample.h"
#include "supervise.h"

enum { TAG_SIGNAL = 1, TAG_SYNC, TAG_GATE, TAG_ASK, TAG_GUARD_LOG };

#define SAMPLE_MIN_NS 100000000ull /* at most 10 /proc samples a second */
#define HELPER_BACKOFF_NS 1000000000ull

struct sup {
	const struct supervise_args *a;
	struct launch *l;
	struct init_state *st;
	int ep;
	struct gate *gate;
	int done;
	int exit_code;
	int forced_exit;	 /* not 0: ward-init's exit code whatever the server's */
	uint64_t start_check_ns; /* the exec went through; log once it shows */
	uint64_t stop_at_ns;	 /* a stop signal was forwarded: SIGKILL then */
	pid_t helper;		 /* 0: none running */
	uint64_t helper_started_ns, helper_restart_ns;
	uint64_t sampled_ns;
};

static void
add_fd(struct sup *s, int fd, uint64_t tag)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = tag};

	epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev);
}

/* ------------------------------------------------------------ /proc */

/* 1: pid descends from us; 0: it does not; -1: cannot tell (gone). */
static int
is_descendant(pid_t pid)
{
	pid_t self = getpid(), ppid;

	for (int depth = 0; depth < 64; depth++) {
		char state;
		if (proc_stat_field(pid, &state, &ppid) != 0)
			return -1;
		if (ppid == self)
			return 1;
		if (ppid <= 1)
			return 0;
		pid = ppid;
	}
	return -1;
}

/* ------------------------------------------------------------ the server */

static void
log_started(struct sup *s)
{
	char path[64], comm[32];
	struct stat sb;
	struct jlog l;
	pid_t pid = s->l->pid;

	s->start_check_ns = 0;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	/* A non-dumpable process's /proc files belong to root (all but the
	 * /proc/PID directory itself). */
	if (geteuid() != 0 && stat(path, &sb) == 0)
		s->st->server_dumpable = sb.st_uid == geteuid();
	else
		s->st->server_dumpable = s->l->bin_readable;
	proc_comm(pid, comm, sizeof(comm));
	/* What the kernel runs (when ward-init may see it), not a path string. */
	char exe[PATH_MAX];
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(path, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	jlog_begin(&l, WARD_LOG_INFO, "server_started");
	jlog_int(&l, "pid", pid);
	jlog_str(&l, "binary", s->a->server_path);
	jlog_str(&l, "exe", n > 0 ? exe : NULL);
	jlog_str(&l, "comm", comm);
	jlog_uint(&l, "uid", geteuid());
	jlog_bool(&l, "dumpable", s->st->server_dumpable);
	jlog_end(&l);
	if (s->st->server_dumpable) {
		jlog_begin(&l, WARD_LOG_WARN, "server_dumpable");
		jlog_str(&l, "binary", s->a->server_path);
		jlog_str(&l, "why",
			 "the binary is readable by the server's uid, so same-uid "
			 "processes may read the server's memory; install it mode 0711");
		jlog_end(&l);
	}
}

static void
log_hardened(struct sup *s)
{
	const struct landlock_result *r = &s->l->landlock;
	struct jlog l;

	s->st->landlock_abi = r->abi;
	s->st->landlock_enforced = r->enforced;
	s->st->landlock_net = r->enforced && r->net_handled != 0;
	s->st->landlock_scoped = r->scoped;
	s->st->seccomp = 1;
	s->st->no_new_privs = 1;
	s->st->caps_dropped = 1;
	s->st->write_execute_denied = s->l->mdwe;
	jlog_begin(&l, r->enforced ? WARD_LOG_INFO : WARD_LOG_WARN, "hardened");
	jlog_int(&l, "pid", s->l->pid);
	jlog_int(&l, "landlock_abi", r->abi);
	jlog_bool(&l, "landlock", r->enforced);
	jlog_uint(&l, "landlock_fs_handled", r->fs_handled);
	jlog_uint(&l, "landlock_net_handled", r->net_handled);
	jlog_bool(&l, "landlock_tcp_rules_enforced", r->net_enforced);
	jlog_bool(&l, "landlock_scoped", r->scoped);
	jlog_int(&l, "landlock_rules", r->rules);
	jlog_bool(&l, "seccomp", 1);
	jlog_bool(&l, "no_new_privs", 1);
	jlog_bool(&l, "capabilities_dropped", 1);
	jlog_bool(&l, "binary_readable", s->l->bin_readable);
	jlog_bool(&l, "write_execute_denied", s->l->mdwe);
	jlog_end(&l);
}

static void
on_sync(struct sup *s)
{
	int had_fd = s->l->notif_fd >= 0;
	int finished = launch_recv(s->l);

	if (!had_fd && s->l->notif_fd >= 0) {
		struct gate_args ga = {.fd = s->l->notif_fd,
				       .policy = s->a->policy,
				       .files = s->a->exec_files,
				       .loaders = s->a->loaders,
				       .killable = s->l->killable,
				       .reserved_port = s->a->reserved_port,
				       .st = s->st};
		s->gate = gate_new(&ga);
		if (s->gate == NULL) {
			/* Without the gate the server's exec would hang: stop it. */
			kill(s->l->pid, SIGKILL);
			close(s->l->notif_fd);
		} else {
			add_fd(s, gate_fd(s->gate), TAG_GATE);
		}
		s->l->notif_fd = s->gate ? gate_fd(s->gate) : -1;
		log_hardened(s);
	}
	if (finished && s->l->exec_done) {
		const char *b = strrchr(s->a->server_path, '/');
		s->st->server_up = 1;
		s->st->server_pid = s->l->pid;
		s->st->server_starts = 1;
		s->start_check_ns = ward_now_ns();
		/* the server's own exec, which passed the filter with the token */
		gate_exec_slot(s->st, b ? b + 1 : s->a->server_path)->allowed++;
	}
}

static int
is_crash_signal(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE ||
	       sig == SIGABRT || sig == SIGSYS || sig == SIGTRAP;
}

static void
server_exited(struct sup *s, int status)
{
	struct jlog l;
	int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	int code = sig ? 128 + sig : WEXITSTATUS(status);

	if (s->start_check_ns != 0)
		log_started(s);
	s->st->server_up = 0;
	s->done = 1;
	s->exit_code = s->forced_exit ? s->forced_exit : code;
	jlog_begin(&l,
		   code == 0		  ? WARD_LOG_INFO
		   : is_crash_signal(sig) ? WARD_LOG_ERROR
					  : WARD_LOG_WARN,
		   "server_exited");
	jlog_int(&l, "pid", s->l->pid);
	jlog_int(&l, "exit_code", code);
	if (sig) {
		jlog_str(&l, "signal", sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
		jlog_bool(&l, "crash", is_crash_signal(sig));
		jlog_bool(&l, "core_dumped", WCOREDUMP(status));
	}
	jlog_end(&l);
}

static void
reap(struct sup *s)
{
	for (;;) {
		int status;
		pid_t p = waitpid(-1, &status, WNOHANG);
		if (p <= 0)
			return;
		s->st->reaped++;
		if (p == s->helper) {
			struct jlog l;
			s->helper = 0;
			jlog_begin(&l, WARD_LOG_WARN, "helper_exited");
			jlog_int(&l, "pid", p);
			jlog_int(&l, "status", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
			if (WIFSIGNALED(status))
				jlog_str(&l, "signal", sigabbrev_np(WTERMSIG(status)));
			jlog_end(&l);
			if (WIFEXITED(status) && WEXITSTATUS(status) == HELPER_EXIT_CONFIG) {
				/* The endpoint guard cannot start (its keys, certificate
				 * or key): without it nothing may reach the server, so
				 * stop it, as a bad policy would have (exit 2). */
				s->forced_exit = WARD_EINPUT;
				if (s->stop_at_ns == 0) {
					kill(-s->l->pid, SIGTERM);
					kill(s->l->pid, SIGTERM);
					s->stop_at_ns =
						ward_now_ns() +
						(uint64_t)s->a->policy->stop_timeout * 1000000000u +
						1;
				}
				continue;
			}
			/* Restart at once, or after a second when it dies young. */
			s->helper_restart_ns = s->helper_started_ns + HELPER_BACKOFF_NS;
			continue;
		}
		if (p != s->l->pid)
			continue;
		/* Settle the handshake first: did the exec happen at all? */
		for (int i = 0; i < 8 && s->l->sync_fd >= 0; i++)
			on_sync(s);
		if (s->l->failed && !s->l->exec_done) {
			s->done = 1;
			s->exit_code = s->forced_exit	 ? s->forced_exit
				       : s->l->fail_code ? s->l->fail_code
							 : WARD_EENV;
		} else {
			server_exited(s, status);
		}
	}
}

/* ------------------------------------------------------------ signals */

static void
on_signal(struct sup *s)
{
	struct signalfd_siginfo si;
	struct jlog l;

	while (read(s->a->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		int sig = (int)si.ssi_signo;
		const char *name = sigabbrev_np(sig) ? sigabbrev_np(sig) : "?";
		pid_t from = (pid_t)si.ssi_pid;

		if (sig == SIGCHLD) {
			reap(s);
			continue;
		}
		/* A signal sent by a process we supervise is an attack on PID 1
		 * (the seccomp filter and Landlock scoping should have stopped
		 * it).  As PID 1, anything from inside the namespace that is
		 * not provably someone else's is ignored. */
		if (from != 0 && (si.ssi_code == SI_USER || si.ssi_code == SI_QUEUE ||
				  si.ssi_code == SI_TKILL)) {
			int d = is_descendant(from);
			if (d == 1 || from == s->l->pid || (d < 0 && getpid() == 1)) {
				s->st->signals_ignored++;
				jlog_begin(&l, WARD_LOG_WARN, "signal_ignored");
				jlog_str(&l, "signal", name);
				jlog_int(&l, "from_pid", from);
				jlog_str(&l, "why", "sent by a supervised process");
				jlog_end(&l);
				continue;
			}
		}
		/* A SIGCONT would let an exec the gate holds run unchecked. */
		if (sig == SIGCONT && s->gate != NULL && gate_holding(s->gate)) {
			s->st->signals_ignored++;
			continue;
		}
		/* With the endpoint guard, SIGHUP means "read the API keys again"
		 * (docs/ward-guard.md): it goes to the guard, not to the server,
		 * which would often die of it (the default action). */
		if (sig == SIGHUP && s->a->helper != NULL && s->a->helper->reload_fd >= 0) {
			uint64_t one = 1;
			if (write(s->a->helper->reload_fd, &one, sizeof(one)) < 0) {
				/* eventfd full: a reload is pending anyway */
			}
			jlog_msg(WARD_LOG_INFO, "guard_reload",
				 "SIGHUP: the guard reads its API keys again");
			continue;
		}
		if ((sig == SIGTERM || sig == SIGINT || sig == SIGQUIT) && s->stop_at_ns == 0)
			s->stop_at_ns = ward_now_ns() +
					(uint64_t)s->a->policy->stop_timeout * 1000000000u + 1;
		pid_t target =
			s->a->policy->forward == FORWARD_PROCESS_GROUP ? -s->l->pid : s->l->pid;
		if (kill(target, sig) != 0 && target < 0)
			kill(s->l->pid, sig); /* the server left its group */
		s->st->signals_forwarded++;
		jlog_begin(&l, WARD_LOG_INFO, "signal_forwarded");
		jlog_str(&l, "signal", name);
		jlog_int(&l, "to", target);
		jlog_end(&l);
	}
}

/* ------------------------------------------------------------ guard lines */

/* The endpoint guard's audit lines come from the helper, which must not
 * write ward-init's own lines: each is carried, as an escaped string and
 * never parsed here, inside one of ours: {"event":"guard","fields":{"line":
 * "<the helper's JSON line>"}}.  Bounded per wake-up. */
static void
on_guard_log(struct sup *s)
{
	static char buf[65536];
	static size_t have;
	ssize_t n = read(s->a->guard_log_fd, buf + have, sizeof(buf) - have);

	if (n <= 0)
		return;
	have += (size_t)n;
	size_t start = 0;
	for (size_t i = 0; i < have; i++) {
		if (buf[i] != '\n')
			continue;
		struct jlog l;
		jlog_begin(&l, WARD_LOG_INFO, "guard");
		jlog_strn(&l, "line", buf + start, i - start);
		jlog_end(&l);
		start = i + 1;
	}
	if (start == 0 && have == sizeof(buf))
		start = have; /* a line longer than the buffer: dropped */
	memmove(buf, buf + start, have - start);
	have -= start;
}

/* ------------------------------------------------------------ the end */

/* Reap what has exited; 1 when no child is left. */
static int
reap_all(struct sup *s)
{
	int status;
	pid_t p;

	while ((p = waitpid(-1, &status, WNOHANG)) > 0)
		s->st->reaped++;
	return p < 0 && errno == ECHILD;
}

static void
log_leftovers(int killed, int group)
{
	struct jlog l;

	if (!killed && !group)
		return;
	jlog_begin(&l, WARD_LOG_INFO, "leftovers_killed");
	jlog_int(&l, "processes", killed);
	jlog_bool(&l, "server_group", group);
	jlog_end(&l);
}

/* Kill what the server left behind and reap it (bounded in time). */
static void
kill_the_rest(struct sup *s)
{
	pid_t self = getpid();
	struct dirent *de;
	DIR *d;
	int killed = 0, group;

	/* The server has exited: whoever is still in its group is left over
	 * (and may be dead and reaped before the scan below finds it). */
	group = kill(-s->l->pid, SIGKILL) == 0;
	/* ward-init's own children first: they are no leftovers. */
	if (s->helper > 0)
		kill(s->helper, SIGKILL);
	if (s->a->guard_pid > 0)
		kill(s->a->guard_pid, SIGKILL);
	if (s->helper > 0 && waitpid(s->helper, NULL, 0) > 0)
		s->st->reaped++;
	if (s->a->guard_pid > 0 && waitpid(s->a->guard_pid, NULL, 0) > 0)
		s->st->reaped++;
	s->helper = 0;
	/* Every leftover descendant is our child by now (reparented to us as
	 * PID 1 or subreaper): none at all, nothing to look for. */
	if (reap_all(s)) {
		log_leftovers(0, group);
		return;
	}
	if ((d = opendir("/proc")) != NULL) {
		while ((de = readdir(d)) != NULL) {
			pid_t pid, ppid;
			char state;
			if (!isdigit((unsigned char)de->d_name[0]))
				continue;
			pid = (pid_t)atoi(de->d_name);
			if (pid != self && proc_stat_field(pid, &state, &ppid) == 0 &&
			    ppid == self && kill(pid, SIGKILL) == 0)
				killed++;
		}
		closedir(d);
	}
	uint64_t deadline = ward_now_ns() + 2000000000u;
	while (ward_now_ns() < deadline && !reap_all(s)) {
		struct timespec ts = {0, 5000000};
		nanosleep(&ts, NULL);
	}
	log_leftovers(killed, group);
}

/* The server outlived stop_timeout: SIGKILL for it and its group. */
static void
stop_kill(struct sup *s)
{
	struct jlog l;

	s->stop_at_ns = UINT64_MAX;
	kill(-s->l->pid, SIGKILL);
	kill(s->l->pid, SIGKILL);
	s->st->stop_kills++;
	jlog_begin(&l, WARD_LOG_WARN, "stop_timeout");
	jlog_int(&l, "pid", s->l->pid);
	jlog_int(&l, "stop_timeout", s->a->policy->stop_timeout);
	jlog_str(&l, "action", "SIGKILL to the server's process group");
	jlog_end(&l);
}

/* The helper asked for a sample of the server's /proc numbers. */
static void
on_ask(struct sup *s)
{
	uint64_t v, now = ward_now_ns();

	if (read(s->a->helper->ask_fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		return;
	if (now - s->sampled_ns >= SAMPLE_MIN_NS) {
		s->sampled_ns = now;
		if (s->st->server_up && s->st->server_pid > 0)
			proc_sample_read((pid_t)s->st->server_pid, &s->st->server);
		s->st->init_rss_bytes = proc_self_rss();
		s->st->sample_seq++;
	}
	v = 1;
	if (write(s->a->helper->done_fd, &v, sizeof(v)) < 0) {
		/* the helper is behind: it will see the page anyway */
	}
}

static void
helper_restart(struct sup *s)
{
	s->helper_restart_ns = 0;
	s->helper_started_ns = ward_now_ns();
	s->helper = helper_spawn(s->a->helper);
	if (s->helper < 0)
		s->helper = 0;
	else
		s->st->helper_restarts++;
}

static int
next_timeout(struct sup *s, uint64_t now)
{
	int t = -1, g = s->gate ? gate_tick(s->gate, now) : -1;
	uint64_t at[2] = {s->stop_at_ns, s->helper_restart_ns};

	if (g >= 0)
		t = g;
	if (s->start_check_ns != 0 && (t < 0 || t > 10))
		t = 10;
	for (int i = 0; i < 2; i++) {
		if (at[i] == 0 || at[i] == UINT64_MAX)
			continue;
		int ms = at[i] <= now ? 0 : (int)((at[i] - now) / 1000000u) + 1;
		if (t < 0 || ms < t)
			t = ms;
	}
	return t;
}

int
supervise(const struct supervise_args *a)
{
	struct sup s = {.a = a, .l = a->launch, .st = a->st, .helper = a->helper_pid};
	struct epoll_event evs[32];

	s.ep = epoll_create1(EPOLL_CLOEXEC);
	if (s.ep < 0) {
		ward_errno(WARD_EENV, "epoll");
		kill(s.l->pid, SIGKILL);
		return WARD_EENV;
	}
	s.helper_started_ns = ward_now_ns();
	add_fd(&s, a->signal_fd, TAG_SIGNAL);
	add_fd(&s, s.l->sync_fd, TAG_SYNC);
	if (a->helper != NULL)
		add_fd(&s, a->helper->ask_fd, TAG_ASK);
	if (a->guard_log_fd >= 0)
		add_fd(&s, a->guard_log_fd, TAG_GUARD_LOG);
	while (!s.done) {
		uint64_t now = ward_now_ns();
		int n = epoll_wait(s.ep, evs, 32, next_timeout(&s, now));
		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n && !s.done; i++) {
			uint64_t tag = evs[i].data.u64;
			if (tag == TAG_SIGNAL)
				on_signal(&s);
			else if (tag == TAG_SYNC && s.l->sync_fd >= 0)
				on_sync(&s);
			else if (tag == TAG_GATE && s.gate != NULL && gate_serve(s.gate) != 0)
				epoll_ctl(s.ep, EPOLL_CTL_DEL, gate_fd(s.gate), NULL);
			else if (tag == TAG_ASK)
				on_ask(&s);
			else if (tag == TAG_GUARD_LOG)
				on_guard_log(&s);
		}
		now = ward_now_ns();
		if (s.gate != NULL)
			gate_tick(s.gate, now);
		if (s.stop_at_ns != 0 && s.stop_at_ns != UINT64_MAX && now >= s.stop_at_ns)
			stop_kill(&s);
		if (s.helper == 0 && s.helper_restart_ns != 0 && now >= s.helper_restart_ns &&
		    !s.done)
			helper_restart(&s);
		if (s.start_check_ns != 0) {
			char comm[32];
			proc_comm(s.l->pid, comm, sizeof(comm));
			/* The kernel renames the process late in the exec. */
			if (strcmp(comm, "ward-exec") != 0 || now - s.start_check_ns > 1000000000u)
				log_started(&s);
		}
	}
	kill_the_rest(&s);
	gate_free(s.gate);
	close(s.ep);
	return s.exit_code;
}
