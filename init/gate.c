/*
 * gate.c: answer the server's seccomp notifications.
 *
 * execve/execveat: the server's own first exec continues.  Later execs are
 * refused (EPERM) unless the policy allow-lists binaries; then the gate
 * reads the path from the caller's memory and lets it continue only for a
 * listed file (Landlock enforces the same list in the kernel, so a path
 * swapped after the check gains nothing).  When the caller's memory cannot
 * be read (a non-dumpable server and no CAP_SYS_PTRACE here) the exec is
 * "deferred" to Landlock and counted as such.  Every other notification is
 * a deny-list syscall: EPERM, counted by name.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gate.h"
#include "jlog.h"
#include "seccomp_bpf.h"

#define GATE_BATCH 64
#define LOG_BURST 50.0
#define LOG_PER_SECOND 10.0

struct gate {
	int fd;
	pid_t server_pid;
	int first_done;
	char server_name[STATE_NAME_MAX];
	struct {
		dev_t dev;
		ino_t ino;
	} allow[POLICY_MAX_PATHS];
	size_t nallow;
	int allow_listed;
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

struct gate *
gate_new(int fd, pid_t server_pid, const char *server_path, const struct ward_strv *allow,
	 struct init_state *st)
{
	struct seccomp_notif_sizes sz = {0};
	struct gate *g = ward_calloc(1, sizeof(*g));

	if (g == NULL)
		return NULL;
	g->fd = fd;
	g->server_pid = server_pid;
	g->st = st;
	g->tokens = LOG_BURST;
	g->last_ns = ward_now_ns();
	snprintf(g->server_name, sizeof(g->server_name), "%s", base_name(server_path));
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
	g->allow_listed = allow->n > 0;
	for (size_t i = 0; i < allow->n && g->nallow < POLICY_MAX_PATHS; i++) {
		struct stat s;
		if (stat(allow->v[i], &s) == 0) {
			g->allow[g->nallow].dev = s.st_dev;
			g->allow[g->nallow].ino = s.st_ino;
			g->nallow++;
		}
	}
	return g;
}

int
gate_fd(const struct gate *g)
{
	return g->fd;
}

void
gate_free(struct gate *g)
{
	if (g == NULL)
		return;
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

static void
read_comm(pid_t pid, char *out, size_t cap)
{
	char path[64];
	ssize_t n;
	int fd;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, out, cap - 1);
	close(fd);
	if (n <= 0)
		n = 0;
	while (n > 0 && out[n - 1] == '\n')
		n--;
	out[n] = '\0';
}

/* Copy a NUL-terminated string from the caller's memory.  0, or -1 when
 * the memory cannot be read (no ptrace access) or the caller went away. */
static int
read_remote_string(struct gate *g, pid_t pid, uint64_t addr, char *out, size_t cap)
{
	char path[64];
	size_t len = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (len + 1 < cap) {
		/* Stay within a page: the next one may be unmapped. */
		size_t chunk = 4096 - (size_t)((addr + len) & 4095);
		if (chunk > cap - 1 - len)
			chunk = cap - 1 - len;
		ssize_t n = pread(fd, out + len, chunk, (off_t)(addr + len));
		if (n <= 0)
			break;
		char *nul = memchr(out + len, '\0', (size_t)n);
		if (nul != NULL) {
			close(fd);
			/* The pid could have been reused: is the request still live? */
			return ioctl(g->fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &g->req->id) == 0 ? 0
											    : -1;
		}
		len += (size_t)n;
	}
	close(fd);
	return -1;
}

static struct exec_stat *
exec_slot(struct init_state *st, const char *name)
{
	char clean[STATE_NAME_MAX];
	size_t i;

	/* Printable ASCII only; the label set stays bounded. */
	for (i = 0; name[i] != '\0' && i + 1 < sizeof(clean); i++)
		clean[i] = name[i] > 0x20 && name[i] < 0x7f ? name[i] : '?';
	clean[i] = '\0';
	for (i = 0; i < st->nexec; i++)
		if (strcmp(st->exec[i].name, clean) == 0)
			return &st->exec[i];
	if (st->nexec + 1 < STATE_MAX_EXEC_NAMES) {
		snprintf(st->exec[st->nexec].name, STATE_NAME_MAX, "%s", clean);
		return &st->exec[st->nexec++];
	}
	i = STATE_MAX_EXEC_NAMES - 1;
	snprintf(st->exec[i].name, STATE_NAME_MAX, "other");
	if (st->nexec < STATE_MAX_EXEC_NAMES)
		st->nexec = STATE_MAX_EXEC_NAMES;
	return &st->exec[i];
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

/* ------------------------------------------------------------ exec */

enum { EXEC_ALLOWED, EXEC_DENIED, EXEC_DEFERRED };

static void
exec_attempt(struct gate *g)
{
	const struct seccomp_data *d = &g->req->data;
	pid_t pid = (pid_t)g->req->pid;
	int at = d->nr == __NR_execveat;
	int dirfd = at ? (int)d->args[0] : AT_FDCWD, flags = at ? (int)d->args[4] : 0;
	char path[PATH_MAX], lookup[PATH_MAX + 64], comm[32], real[PATH_MAX];
	const char *name = "unknown", *shown = NULL;
	struct exec_stat *slot;
	struct stat s;
	int readable, verdict;

	if (!g->first_done && pid == g->server_pid) {
		g->first_done = 1;
		exec_slot(g->st, g->server_name)->allowed++;
		respond(g, 0, 1);
		return;
	}
	readable = read_remote_string(g, pid, d->args[at ? 1 : 0], path, sizeof(path)) == 0;
	if (readable) {
		shown = path;
		if (path[0] == '/')
			snprintf(lookup, sizeof(lookup), "%s", path);
		else if (path[0] == '\0' && (flags & AT_EMPTY_PATH))
			snprintf(lookup, sizeof(lookup), "/proc/%d/fd/%d", (int)pid, dirfd);
		else if (dirfd == AT_FDCWD)
			snprintf(lookup, sizeof(lookup), "/proc/%d/cwd/%s", (int)pid, path);
		else
			snprintf(lookup, sizeof(lookup), "/proc/%d/fd/%d/%s", (int)pid, dirfd,
				 path);
		if (path[0] == '\0') {
			ssize_t n = readlink(lookup, real, sizeof(real) - 1);
			real[n > 0 ? n : 0] = '\0';
			shown = real;
		}
		name = base_name(shown);
	}
	if (!g->allow_listed) {
		verdict = EXEC_DENIED;
	} else if (!readable) {
		verdict = EXEC_DEFERRED;
	} else {
		verdict = EXEC_DENIED;
		if (stat(lookup, &s) == 0)
			for (size_t i = 0; i < g->nallow; i++)
				if (g->allow[i].dev == s.st_dev && g->allow[i].ino == s.st_ino)
					verdict = EXEC_ALLOWED;
	}
	slot = exec_slot(g->st, name[0] ? name : "unknown");
	if (verdict == EXEC_DENIED)
		slot->denied++;
	else if (verdict == EXEC_ALLOWED)
		slot->allowed++;
	else
		slot->deferred++;
	respond(g, verdict == EXEC_DENIED ? EPERM : 0, verdict != EXEC_DENIED);
	if (!log_allowed(g))
		return;
	struct jlog l;
	read_comm(pid, comm, sizeof(comm));
	jlog_begin(&l, verdict == EXEC_DENIED ? WARD_LOG_WARN : WARD_LOG_INFO,
		   verdict == EXEC_DENIED    ? "exec_denied"
		   : verdict == EXEC_ALLOWED ? "exec_allowed"
					     : "exec_deferred");
	jlog_str(&l, "syscall", at ? "execveat" : "execve");
	jlog_str(&l, "binary", shown);
	jlog_int(&l, "pid", pid);
	jlog_str(&l, "comm", comm);
	if (!readable)
		jlog_str(&l, "note", "caller memory not readable (non-dumpable server)");
	jlog_end(&l);
}

/* ------------------------------------------------------------ deny list */

static void
denied(struct gate *g)
{
	const struct seccomp_data *d = &g->req->data;
	int idx = sc_deny_index(d->nr);
	char comm[32];
	struct jlog l;

	if (idx >= 0 && idx < STATE_MAX_DENY)
		g->st->denied[idx]++;
	respond(g, EPERM, 0);
	if (!log_allowed(g))
		return;
	read_comm((pid_t)g->req->pid, comm, sizeof(comm));
	jlog_begin(&l, WARD_LOG_WARN, "seccomp_denied");
	if (idx >= 0)
		jlog_str(&l, "syscall", sc_deny_name((size_t)idx));
	else
		jlog_int(&l, "syscall_nr", d->nr);
	jlog_int(&l, "arg0", (long long)d->args[0]);
	jlog_int(&l, "pid", g->req->pid);
	jlog_str(&l, "comm", comm);
	jlog_end(&l);
}

int
gate_serve(struct gate *g)
{
	for (int i = 0; i < GATE_BATCH; i++) {
		struct pollfd pfd = {.fd = g->fd, .events = POLLIN};
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
		if (sc_is_exec(g->req->data.nr))
			exec_attempt(g);
		else
			denied(g);
	}
	return 0;
}
