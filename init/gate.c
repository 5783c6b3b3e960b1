/* gate.c: answer the server's seccomp notifications (see gate.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gate.h"
#include "jlog.h"
#include "sample.h"
#include "seccomp_bpf.h"

#define GATE_BATCH 64
#define LOG_BURST 50.0
#define LOG_PER_SECOND 10.0
#define MAX_HOLDS 64
#define HOLD_TIMEOUT_NS 5000000000ull
#define MAX_ALLOWED (2 * POLICY_MAX_PATHS + 16)

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#define MFD_EXEC 0x0010U
#endif
#ifndef SECCOMP_IOCTL_NOTIF_ADDFD
struct seccomp_notif_addfd {
	__u64 id;
	__u32 flags;
	__u32 srcfd;
	__u32 newfd;
	__u32 newfd_flags;
};
#define SECCOMP_IOCTL_NOTIF_ADDFD _IOW('!', 3, struct seccomp_notif_addfd)
#endif
#ifndef SECCOMP_ADDFD_FLAG_SEND
#define SECCOMP_ADDFD_FLAG_SEND (1UL << 1)
#endif

struct file_id {
	dev_t dev;
	ino_t ino;
	int loader;
};

/* An exec let through with its caller stopped: looked at once stopped.
 * What the kernel showed of the process before, to tell an exec that
 * happened from one the kernel refused (Landlock, a sealed memfd). */
struct hold {
	pid_t tgid;
	uint64_t deadline_ns;
	char before[96];
	char claimed[64]; /* the path the server gave (when readable), for the log */
};

struct gate {
	int fd;
	int allow_mode; /* exec.allow is set */
	int killable;	/* a signal does not interrupt a received notification */
	struct file_id allowed[MAX_ALLOWED];
	size_t nallowed;
	struct hold holds[MAX_HOLDS];
	size_t nholds;
	uint16_t reserved_port; /* the only port an unbound TCP socket may take */
	int port_range_warned;
	int loopback_only; /* an endpoint guard is the public listener */
	int sealed_memfd;  /* the kernel has MFD_NOEXEC_SEAL */
	struct init_state *st;
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
	size_t req_size, resp_size;
	double tokens;
	uint64_t last_ns;
};

static const char *
base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s && s[1] ? s + 1 : p;
}

static void
add_file(struct gate *g, const char *path, int loader)
{
	struct stat s;

	if (g->nallowed < MAX_ALLOWED && stat(path, &s) == 0)
		g->allowed[g->nallowed++] = (struct file_id){s.st_dev, s.st_ino, loader};
}

struct gate *
gate_new(const struct gate_args *a)
{
	struct seccomp_notif_sizes sz = {0};
	struct gate *g = ward_calloc(1, sizeof(*g));
	int probe;

	if (g == NULL)
		return NULL;
	g->fd = a->fd;
	g->st = a->st;
	g->tokens = LOG_BURST;
	g->last_ns = ward_now_ns();
	/* The kernel's structs may be larger than our headers': ask. */
	if (syscall(__NR_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) != 0)
		sz = (struct seccomp_notif_sizes){sizeof(struct seccomp_notif),
						  sizeof(struct seccomp_notif_resp),
						  sizeof(struct seccomp_data)};
	g->req_size = sz.seccomp_notif > sizeof(*g->req) ? sz.seccomp_notif : sizeof(*g->req);
	g->resp_size =
		sz.seccomp_notif_resp > sizeof(*g->resp) ? sz.seccomp_notif_resp : sizeof(*g->resp);
	g->req = ward_calloc(1, g->req_size);
	g->resp = ward_calloc(1, g->resp_size);
	if (g->req == NULL || g->resp == NULL) {
		gate_free(g);
		return NULL;
	}
	/* What may run after an allowed exec, by inode: every file of the
	 * chains but the loaders, which only an explicit listing admits as a
	 * program of their own. */
	g->allow_mode = a->policy->exec_allow.n > 0;
	g->killable = a->killable;
	for (size_t i = 0; i < a->files->n; i++)
		add_file(g, a->files->v[i],
			 ward_strv_contains(a->loaders, a->files->v[i]) &&
				 !ward_strv_contains(&a->policy->exec_allow, a->files->v[i]));
	g->reserved_port = a->reserved_port;
	g->loopback_only = a->policy->guard != NULL;
	probe = (int)syscall(__NR_memfd_create, "probe", MFD_CLOEXEC | MFD_NOEXEC_SEAL);
	g->sealed_memfd = probe >= 0;
	if (probe >= 0)
		close(probe);
	return g;
}

int
gate_fd(const struct gate *g)
{
	return g->fd;
}

int
gate_holding(const struct gate *g)
{
	return g->nholds > 0;
}

void
gate_free(struct gate *g)
{
	if (g == NULL)
		return;
	for (size_t i = 0; i < g->nholds; i++)
		kill(g->holds[i].tgid, SIGKILL); /* never leave one stopped and unchecked */
	if (g->fd >= 0)
		close(g->fd);
	free(g->req);
	free(g->resp);
	free(g);
}

/* ------------------------------------------------------------ helpers */

static int
log_allowed(struct gate *g)
{
	uint64_t now = ward_now_ns();

	g->tokens += (double)(now - g->last_ns) / 1e9 * LOG_PER_SECOND;
	if (g->tokens > LOG_BURST)
		g->tokens = LOG_BURST;
	g->last_ns = now;
	if (g->tokens < 1.0) {
		g->st->log_suppressed++;
		return 0;
	}
	g->tokens -= 1.0;
	return 1;
}

/* The path the server gave, for the log only (never for a decision): it
 * is the server's memory, which ward-init reads when it may. */
static int
claimed_path(pid_t pid, uint64_t addr, char *out, size_t cap)
{
	char path[64];
	ssize_t n;
	int fd;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	/* Stay within a page: the next one may be unmapped. */
	size_t chunk = 4096 - (size_t)(addr & 4095);
	n = pread(fd, out, chunk < cap - 1 ? chunk : cap - 1, (off_t)addr);
	close(fd);
	if (n <= 0 || memchr(out, '\0', (size_t)n) == NULL) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

struct exec_stat *
gate_exec_slot(struct init_state *st, const char *name)
{
	char clean[STATE_NAME_MAX];
	size_t i;

	/* Printable ASCII only; the label set stays bounded. */
	for (i = 0; name[i] != '\0' && i + 1 < sizeof(clean); i++)
		clean[i] = name[i] > 0x20 && name[i] < 0x7f && name[i] != '"' && name[i] != '\\'
				   ? name[i]
				   : '?';
	clean[i] = '\0';
	for (i = 0; i < st->nexec; i++)
		if (strcmp(st->exec[i].name, clean) == 0)
			return &st->exec[i];
	if (st->nexec + 1 < STATE_MAX_EXEC_NAMES) {
		snprintf(st->exec[st->nexec].name, STATE_NAME_MAX, "%s", clean);
		__atomic_store_n(&st->nexec, st->nexec + 1, __ATOMIC_RELEASE);
		return &st->exec[st->nexec - 1];
	}
	i = STATE_MAX_EXEC_NAMES - 1;
	snprintf(st->exec[i].name, STATE_NAME_MAX, "other");
	__atomic_store_n(&st->nexec, (uint64_t)STATE_MAX_EXEC_NAMES, __ATOMIC_RELEASE);
	return &st->exec[i];
}

/* Is the notification still pending (the caller alive and waiting)? */
static int
still_valid(struct gate *g)
{
	return ioctl(g->fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &g->req->id) == 0;
}

static void
respond(struct gate *g, int error, int cont)
{
	memset(g->resp, 0, g->resp_size);
	g->resp->id = g->req->id;
	g->resp->error = error ? -error : 0;
	g->resp->flags = cont ? SECCOMP_USER_NOTIF_FLAG_CONTINUE : 0;
	while (ioctl(g->fd, SECCOMP_IOCTL_NOTIF_SEND, g->resp) != 0 && errno == EINTR)
		;
	/* ENOENT: the caller died or was interrupted; nothing to answer. */
}

/* Install fd in the caller as its syscall's result (and close ours). */
static void
hand_over(struct gate *g, int fd, int cloexec)
{
	struct seccomp_notif_addfd add = {.id = g->req->id,
					  .flags = SECCOMP_ADDFD_FLAG_SEND,
					  .srcfd = (__u32)fd,
					  .newfd_flags = cloexec ? O_CLOEXEC : 0};

	if (ioctl(g->fd, SECCOMP_IOCTL_NOTIF_ADDFD, &add) < 0 && errno != ENOENT)
		respond(g, errno, 0);
	close(fd);
}

static void
log_refusal(struct gate *g, const char *event, const char *what, const char *why)
{
	char comm[32];
	struct jlog l;

	if (!log_allowed(g))
		return;
	proc_comm((pid_t)g->req->pid, comm, sizeof(comm));
	jlog_begin(&l, WARD_LOG_WARN, event);
	jlog_str(&l, "syscall", what);
	jlog_str(&l, "why", why);
	jlog_int(&l, "arg0", (long long)g->req->data.args[0]);
	jlog_int(&l, "pid", g->req->pid);
	jlog_str(&l, "comm", comm);
	jlog_end(&l);
}

static void
deny(struct gate *g, const char *why)
{
	int idx = sc_deny_index(g->req->data.nr);

	if (idx >= 0 && idx < STATE_MAX_DENY)
		g->st->denied[idx]++;
	respond(g, EPERM, 0);
	log_refusal(g, "seccomp_denied", idx >= 0 ? sc_deny_name((size_t)idx) : "?", why);
}

/* ------------------------------------------------------------ exec */

static void
exec_denied(struct gate *g, const char *why)
{
	const struct seccomp_data *d = &g->req->data;
	pid_t pid = (pid_t)g->req->pid;
	int at = d->nr == __NR_execveat;
	char path[PATH_MAX], comm[32];
	struct jlog l;

	claimed_path(pid, d->args[at ? 1 : 0], path, sizeof(path));
	gate_exec_slot(g->st, path[0] ? base_name(path) : "unknown")->denied++;
	respond(g, EPERM, 0);
	if (!log_allowed(g))
		return;
	proc_comm(pid, comm, sizeof(comm));
	jlog_begin(&l, WARD_LOG_WARN, "exec_denied");
	jlog_str(&l, "syscall", at ? "execveat" : "execve");
	jlog_str(&l, "binary", path[0] ? path : NULL);
	jlog_str(&l, "why", why);
	jlog_int(&l, "pid", pid);
	jlog_str(&l, "comm", comm);
	jlog_end(&l);
}

/* The kernel's view of a process that changes with every exec: its
 * executable (when visible), its name and its memory size. */
static void
fingerprint(pid_t tgid, char *out, size_t cap)
{
	char path[64], comm[32], statm[64] = "";
	struct stat s = {0};

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)tgid);
	stat(path, &s);
	proc_comm(tgid, comm, sizeof(comm));
	proc_read(tgid, "statm", statm, sizeof(statm));
	*strchrnul(statm, ' ') = '\0';
	snprintf(out, cap, "%ju:%ju:%s:%s", (uintmax_t)s.st_dev, (uintmax_t)s.st_ino, comm, statm);
}

static void
exec_attempt(struct gate *g)
{
	const struct seccomp_data *d = &g->req->data;
	pid_t tid = (pid_t)g->req->pid, tgid;

	if (d->nr == __NR_execveat && (d->args[4] & AT_EMPTY_PATH)) {
		exec_denied(g, "exec of a descriptor (AT_EMPTY_PATH)");
		return;
	}
	if (!g->allow_mode) {
		exec_denied(g, "the policy allows no exec after the server's own");
		return;
	}
	if (!g->killable) {
		exec_denied(g, "this kernel cannot hold an exec (no WAIT_KILLABLE_RECV)");
		return;
	}
	if (g->nholds == MAX_HOLDS || (tgid = proc_tgid(tid)) < 0) {
		exec_denied(g, "too many execs in flight");
		return;
	}
	/* A thread-directed SIGSTOP waits in the caller's queue (it sleeps in
	 * the notification, killable only) and stops it on its way back to
	 * user space: after the exec, before the new program's first
	 * instruction.  Landlock decides whether the exec happens at all. */
	if (syscall(__NR_tgkill, tgid, tid, SIGSTOP) != 0 || !still_valid(g)) {
		respond(g, EPERM, 0);
		return;
	}
	struct hold *h = &g->holds[g->nholds++];
	char path[PATH_MAX];
	*h = (struct hold){.tgid = tgid, .deadline_ns = ward_now_ns() + HOLD_TIMEOUT_NS};
	fingerprint(tgid, h->before, sizeof(h->before));
	if (claimed_path(tid, d->args[d->nr == __NR_execveat ? 1 : 0], path, sizeof(path)) == 0)
		snprintf(h->claimed, sizeof(h->claimed), "%s", path);
	respond(g, 0, 1);
}

/* The stopped process: what does the kernel say it runs? */
static void
exec_check(struct gate *g, const struct hold *h)
{
	char exe[PATH_MAX], link[64], comm[32], after[96];
	const char *why = NULL;
	pid_t tgid = h->tgid;
	struct stat s;
	struct jlog l;
	ssize_t n;
	int loader = 0, found = 0, refused;

	fingerprint(tgid, after, sizeof(after));
	refused = strcmp(after, h->before) == 0;
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)tgid);
	n = readlink(link, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	if (n > 0 && stat(link, &s) != 0) {
		why = "cannot identify the binary";
	} else if (n > 0) {
		for (size_t i = 0; i < g->nallowed; i++)
			if (g->allowed[i].dev == s.st_dev && g->allowed[i].ino == s.st_ino) {
				found = 1;
				loader = g->allowed[i].loader;
			}
		why = !found   ? "not an allowed binary"
		      : loader ? "the loader run as a program"
			       : NULL;
	} else if (n < 0 && errno != EACCES) {
		return; /* gone */
	}
	/* Unreadable: the new image is not dumpable, so the kernel loaded a
	 * file the server's user cannot read; the loader is readable (a
	 * dynamic program's loader must be): not the loader as a program. */
	proc_comm(tgid, comm, sizeof(comm));
	if (why != NULL) {
		kill(tgid, SIGKILL);
		gate_exec_slot(g->st, base_name(exe))->denied++;
	} else {
		kill(tgid, SIGCONT);
		if (refused)
			gate_exec_slot(g->st, h->claimed[0] ? base_name(h->claimed) : "unknown")
				->denied++;
		else
			gate_exec_slot(g->st, n > 0 ? base_name(exe) : comm)->allowed++;
	}
	if (!log_allowed(g))
		return;
	if (refused && why == NULL) {
		jlog_begin(&l, WARD_LOG_WARN, "exec_denied");
		jlog_str(&l, "binary", h->claimed[0] ? h->claimed : NULL);
		jlog_str(&l, "why",
			 "refused by the kernel (not in Landlock's list, or not "
			 "executable)");
	} else {
		jlog_begin(&l, why ? WARD_LOG_WARN : WARD_LOG_INFO,
			   why ? "exec_denied" : "exec_allowed");
		jlog_str(&l, "binary", n > 0 ? exe : NULL);
		if (why != NULL)
			jlog_str(&l, "why", why);
		else if (n <= 0)
			jlog_str(&l, "note", "not dumpable: an unreadable, listed binary");
	}
	jlog_str(&l, "comm", comm);
	jlog_int(&l, "pid", tgid);
	jlog_end(&l);
}

int
gate_tick(struct gate *g, uint64_t now)
{
	size_t i = 0;

	while (i < g->nholds) {
		struct hold *h = &g->holds[i];
		char state;
		pid_t ppid;
		int done = 0;

		if (proc_stat_field(h->tgid, &state, &ppid) != 0) {
			done = 1; /* gone */
		} else if (state == 'T' || state == 't') {
			exec_check(g, h);
			done = 1;
		} else if (now > h->deadline_ns) {
			kill(h->tgid, SIGKILL);
			done = 1;
		}
		if (done)
			*h = g->holds[--g->nholds];
		else
			i++;
	}
	return g->nholds > 0 ? 1 : -1;
}

/* ------------------------------------------------------------ the others */

static void
make_memfd(struct gate *g)
{
	unsigned flags = (unsigned)g->req->data.args[1];
	int fd;

	/* A memfd without the seal is executable (mode 0777); this one never
	 * is, nor can it become so (F_SEAL_EXEC).  The name is cosmetic: the
	 * server's copy is its memory, which is not read. */
	fd = (int)syscall(__NR_memfd_create, "ward-sealed",
			  (flags & ~MFD_EXEC) | (g->sealed_memfd ? MFD_NOEXEC_SEAL : 0));
	if (fd < 0) {
		respond(g, errno, 0);
		return;
	}
	g->st->memfd_sealed++;
	hand_over(g, fd, (flags & MFD_CLOEXEC) != 0);
}

static void
make_socket(struct gate *g)
{
	const __u64 *arg = g->req->data.args;
	uint32_t range = (uint32_t)g->reserved_port | (uint32_t)g->reserved_port << 16;
	int s;

	s = socket((int)arg[0], (int)arg[1], (int)arg[2]);
	if (s < 0) {
		respond(g, errno, 0);
		return;
	}
	/* Its ephemeral range is one port ward-init holds: listen() without a
	 * bind() (which Landlock does not see) finds no port to take.  The
	 * server cannot change the range (the filter refuses it). */
	if (setsockopt(s, IPPROTO_IP, 51 /* IP_LOCAL_PORT_RANGE */, &range, sizeof(range)) != 0 &&
	    !g->port_range_warned) {
		g->port_range_warned = 1;
		jlog_msg(WARD_LOG_WARN, "port_range_unavailable",
			 "this kernel has no IP_LOCAL_PORT_RANGE (6.3): listen() without bind() "
			 "gets an ephemeral port");
	}
	/* Behind the endpoint guard the server serves loopback only: its
	 * sockets take packets from lo alone, whatever address it binds
	 * (0.0.0.0 included), so nothing reaches it around the guard.  Without
	 * CAP_NET_RAW the server cannot undo a socket's device binding. */
	if (g->loopback_only && setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3) != 0) {
		int e = errno;
		close(s);
		jlog_msg(WARD_LOG_ERROR, "socket_not_loopback",
			 "cannot bind the server's TCP socket to lo (SO_BINDTODEVICE): refused");
		respond(g, e ? e : EPERM, 0);
		return;
	}
	g->st->tcp_sockets++;
	hand_over(g, s, (arg[1] & SOCK_CLOEXEC) != 0);
}

/* A call on a pid: only the caller's own threads. */
static void
on_self(struct gate *g, pid_t target)
{
	pid_t mine = proc_tgid((pid_t)g->req->pid), theirs = proc_tgid(target);

	if (mine > 0 && mine == theirs && still_valid(g))
		respond(g, 0, 1);
	else
		deny(g, "targets another process");
}

int
gate_serve(struct gate *g)
{
	for (int i = 0; i < GATE_BATCH; i++) {
		struct pollfd pfd = {.fd = g->fd, .events = POLLIN};
		pid_t target;

		if (poll(&pfd, 1, 0) <= 0)
			return 0;
		if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL))
			return (pfd.revents & POLLIN) ? 0 : -1;
		memset(g->req, 0, g->req_size);
		if (ioctl(g->fd, SECCOMP_IOCTL_NOTIF_RECV, g->req) != 0) {
			if (errno == EINTR || errno == ENOENT)
				continue;
			return -1;
		}
		uint64_t args[6];
		for (int k = 0; k < 6; k++)
			args[k] = g->req->data.args[k];
		switch (sc_handler(g->req->data.nr, args, &target)) {
		case SC_H_EXEC:
			exec_attempt(g);
			break;
		case SC_H_MEMFD:
			make_memfd(g);
			break;
		case SC_H_SOCKET:
			make_socket(g);
			break;
		case SC_H_SELF:
			on_self(g, target);
			break;
		default:
			deny(g, "denied by policy");
		}
	}
	return 0;
}
