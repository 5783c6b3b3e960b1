/* sandbox.c: run a program during the build -- the image's own Python
 * compiling bytecode, the host's ldconfig over the image's libraries,
 * ward-init checking a policy -- so that it can reach nothing it should
 * not.
 *
 * Every run gets its own user, mount, pid, network, IPC, UTS and cgroup
 * namespaces (no network at all: not even loopback is up), runs as an
 * unprivileged uid of that user namespace with an empty capability
 * bounding set, securebits that keep root from regaining capabilities,
 * no_new_privs and a seccomp filter (no mount, namespaces, ptrace, bpf,
 * keys, io_uring, kernel modules; sockets of AF_UNIX only).  A program of
 * the image sees only the staging tree (pivot_root into a bind mount of
 * it, nosuid and nodev; the old root detached); a host tool run over the
 * tree is bound read-only inside it.  It is PID 1 of its namespace, so
 * nothing it starts outlives it, and it is killed after a deadline.  If
 * the kernel refuses any of this, the build stops with an environment
 * error (exit 3): package code never runs unconfined.  The environment is
 * exactly what the caller passes; no descriptor of ward leaks in. */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build/build_internal.h"

#define OUTPUT_MAX (1u << 20)
#define SANDBOX_UID 1000 /* who the program is, inside its user namespace */
#define TOOL_NAME ".ward-tool"
#define DEFAULT_TIMEOUT_S 1800

/* What the child reports when it cannot set the sandbox up. */
struct setup_error {
	int stage;
	int err;
};

enum stage {
	ST_UNSHARE = 1,
	ST_MAP,
	ST_FORK,
	ST_MOUNT,
	ST_PIVOT,
	ST_CAPS,
	ST_SECCOMP,
	ST_EXEC,
	ST_FDS,
};

static const char *
stage_name(int stage)
{
	switch (stage) {
	case ST_UNSHARE:
		return "cannot create its user, mount, pid and network namespaces (unprivileged "
		       "user namespaces must be enabled: sysctl user.max_user_namespaces, "
		       "kernel.unprivileged_userns_clone)";
	case ST_MAP:
		return "cannot map its user namespace";
	case ST_FORK:
		return "cannot start its PID 1";
	case ST_MOUNT:
		return "cannot mount the staging tree";
	case ST_PIVOT:
		return "cannot enter the staging tree (pivot_root)";
	case ST_CAPS:
		return "cannot drop capabilities";
	case ST_SECCOMP:
		return "cannot install its seccomp filter";
	case ST_FDS:
		return "cannot close ward's descriptors";
	default:
		return "cannot start the program";
	}
}

static void __attribute__((noreturn)) die(int fd, int stage)
{
	struct setup_error e = {stage, errno};

	(void)!write(fd, &e, sizeof(e));
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

/* ------------------------------------------------------------ seccomp */

#if defined(__x86_64__)
#define SANDBOX_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SANDBOX_ARCH AUDIT_ARCH_AARCH64
#endif

#define ERRNO(e) (SECCOMP_RET_ERRNO | ((e)&SECCOMP_RET_DATA))
#define STMT(code, k) ((struct sock_filter)BPF_STMT((code), (k)))
#define JUMP(code, k, jt, jf) ((struct sock_filter)BPF_JUMP((code), (k), (jt), (jf)))

/* Denied with EPERM: what no compiler or ldconfig needs and an escape
 * would (see the comment at the top). */
static const int denied[] = {
	__NR_mount,
	__NR_umount2,
	__NR_pivot_root,
	__NR_chroot,
	__NR_unshare,
	__NR_setns,
	__NR_ptrace,
	__NR_process_vm_readv,
	__NR_process_vm_writev,
	__NR_bpf,
	__NR_perf_event_open,
	__NR_kexec_load,
	__NR_init_module,
	__NR_finit_module,
	__NR_delete_module,
	__NR_keyctl,
	__NR_add_key,
	__NR_request_key,
	__NR_userfaultfd,
	__NR_io_uring_setup,
	__NR_io_uring_enter,
	__NR_io_uring_register,
	__NR_open_by_handle_at,
	__NR_name_to_handle_at,
	__NR_reboot,
	__NR_swapon,
	__NR_swapoff,
	__NR_syslog,
	__NR_acct,
	__NR_settimeofday,
	__NR_clock_settime,
	__NR_clock_adjtime,
	__NR_adjtimex,
	__NR_quotactl,
	__NR_fanotify_init,
	__NR_move_mount,
	__NR_open_tree,
	__NR_fsopen,
	__NR_fsconfig,
	__NR_fsmount,
	__NR_fspick,
	__NR_mount_setattr,
	__NR_kexec_file_load,
	__NR_vhangup,
	__NR_personality,
#ifdef __NR_iopl
	__NR_iopl,
#endif
#ifdef __NR_ioperm
	__NR_ioperm,
#endif
};

#define NS_FLAGS                                                                                   \
	(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | \
	 CLONE_NEWCGROUP)

static int
install_seccomp(void)
{
#ifndef SANDBOX_ARCH
	errno = ENOSYS;
	return -1;
#else
	enum { N = sizeof(denied) / sizeof(*denied) };
	struct sock_filter f[2 * N + 32];
	struct sock_fprog prog;
	size_t n = 0;

	f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, SANDBOX_ARCH, 1, 0);
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
#if defined(__x86_64__)
	/* the x32 ABI's numbers: none of them */
	f[n++] = JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1);
	f[n++] = STMT(BPF_RET | BPF_K, ERRNO(EPERM));
#endif
	for (size_t i = 0; i < N; i++) {
		f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)denied[i], 0, 1);
		f[n++] = STMT(BPF_RET | BPF_K, ERRNO(EPERM));
	}
	/* clone3 passes its flags in memory: ENOSYS makes libc use clone */
	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone3, 0, 1);
	f[n++] = STMT(BPF_RET | BPF_K, ERRNO(ENOSYS));
	/* clone: no new namespaces */
	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 4);
	f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]));
	f[n++] = JUMP(BPF_JMP | BPF_JSET | BPF_K, NS_FLAGS, 0, 1);
	f[n++] = STMT(BPF_RET | BPF_K, ERRNO(EPERM));
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	/* socket, socketpair: AF_UNIX only */
	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 1, 0);
	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socketpair, 0, 4);
	f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]));
	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, 0, 1);
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[n++] = STMT(BPF_RET | BPF_K, ERRNO(EAFNOSUPPORT));
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	prog.len = (unsigned short)n;
	prog.filter = f;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
#endif
}

/* ------------------------------------------------------------ the child */

/* No capability now, none after execve (the uid is not 0 there anyway,
 * and the securebits keep a uid 0 from regaining any). */
static int
drop_caps(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {{0}};

	if (prctl(PR_SET_SECUREBITS,
		  (1 << 0) | (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) |
			  (1 << 7),
		  0, 0, 0) != 0)
		return -1;
	for (int cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
			return -1;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
		return -1;
	if (syscall(SYS_capset, &h, d) != 0)
		return -1;
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

/* The flags a bind mount of path must keep when remounted in a user
 * namespace (the kernel refuses to clear locked ones). */
static unsigned long
locked_flags(const char *path)
{
	struct statvfs sv;
	unsigned long f = 0;

	if (statvfs(path, &sv) != 0)
		return 0;
	if (sv.f_flag & ST_RDONLY)
		f |= MS_RDONLY;
	if (sv.f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (sv.f_flag & ST_NOATIME)
		f |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME)
		f |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME)
		f |= MS_RELATIME;
	return f;
}

static void
enter_root(const struct build_sandbox *sb, int errfd)
{
	const char *root = ward_root_path(sb->root);

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount(root, root, NULL, MS_BIND | MS_REC, NULL) != 0 ||
	    mount(NULL, root, NULL,
		  MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV | locked_flags(root), NULL) != 0)
		die(errfd, ST_MOUNT);
	if (sb->tool != NULL) {
		char at[4200];
		snprintf(at, sizeof(at), "%s/%s", root, TOOL_NAME);
		if (mount(sb->tool, at, NULL, MS_BIND, NULL) != 0 ||
		    mount(NULL, at, NULL,
			  MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV |
				  locked_flags(sb->tool),
			  NULL) != 0)
			die(errfd, ST_MOUNT);
	}
	if (chdir(root) != 0 || syscall(SYS_pivot_root, ".", ".") != 0 ||
	    umount2(".", MNT_DETACH) != 0 || chdir("/") != 0)
		die(errfd, ST_PIVOT);
}

/* A host tool without a tree: the host's files, read-only. */
static void
host_read_only(int errfd)
{
	struct mount_attr {
		uint64_t attr_set, attr_clr, propagation, userns_fd;
	} a = {.attr_set = 0x1 | 0x2 | 0x4 /* RDONLY NOSUID NODEV */};

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		die(errfd, ST_MOUNT);
	if (syscall(SYS_mount_setattr, AT_FDCWD, "/", 0x8000 /* AT_RECURSIVE */, &a, sizeof(a)) !=
		    0 &&
	    errno != ENOSYS)
		die(errfd, ST_MOUNT);
}

static void __attribute__((noreturn)) pid1(const struct build_sandbox *sb, char *const argv[],
					   char *const envp[], int in, int out, int errfd)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
		die(errfd, ST_FORK);
	if (sb->root != NULL)
		enter_root(sb, errfd);
	else
		host_read_only(errfd);
	(void)sethostname("ward-build", 10);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		die(errfd, ST_FDS);
	/* nothing of ward's is inherited but stdio (and the caller's fd) */
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
		if (errno != ENOSYS && errno != EINVAL)
			die(errfd, ST_FDS);
		for (int fd = 3; fd < 65536; fd++)
			if (fcntl(fd, F_GETFD) >= 0 && fcntl(fd, F_SETFD, FD_CLOEXEC) != 0)
				die(errfd, ST_FDS);
	}
	if (sb->keep_fd >= 0 && fcntl(sb->keep_fd, F_SETFD, 0) != 0)
		die(errfd, ST_FDS);
	if (drop_caps() != 0)
		die(errfd, ST_CAPS);
	if (install_seccomp() != 0)
		die(errfd, ST_SECCOMP);
	execve(argv[0], argv, envp);
	die(errfd, ST_EXEC);
}

static void __attribute__((noreturn))
child(const struct build_sandbox *sb, char *const argv[], char *const envp[], int in, int out,
      int errfd, uid_t uid, gid_t gid)
{
	char map[64];
	pid_t pid;
	int status;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
		die(errfd, ST_FORK);
	if (unshare(NS_FLAGS) != 0)
		die(errfd, ST_UNSHARE);
	snprintf(map, sizeof(map), "%d %u 1\n", SANDBOX_UID, (unsigned)uid);
	if (write_file("/proc/self/setgroups", "deny") != 0 ||
	    write_file("/proc/self/uid_map", map) != 0)
		die(errfd, ST_MAP);
	snprintf(map, sizeof(map), "%d %u 1\n", SANDBOX_UID, (unsigned)gid);
	if (write_file("/proc/self/gid_map", map) != 0)
		die(errfd, ST_MAP);
	/* the first child is PID 1 of the new pid namespace */
	pid = fork();
	if (pid < 0)
		die(errfd, ST_FORK);
	if (pid == 0)
		pid1(sb, argv, envp, in, out, errfd);
	close(errfd);
	close(in);
	close(out);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			_exit(127);
	if (WIFEXITED(status))
		_exit(WEXITSTATUS(status));
	_exit(128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0));
}

/* ------------------------------------------------------------ the parent */

static int
timeout_s(void)
{
	const char *s = getenv("WARD_BUILD_STEP_TIMEOUT");
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return DEFAULT_TIMEOUT_S;
	v = strtol(s, &end, 10);
	return *end == '\0' && v > 0 && v < 86400 * 7 ? (int)v : DEFAULT_TIMEOUT_S;
}

int
build_sandbox_run(const struct build_sandbox *sb, char *const argv[], char *const envp[],
		  const void *stdin_data, size_t stdin_len, struct ward_buf *out)
{
	int inp[2] = {-1, -1}, outp[2] = {-1, -1}, errp[2] = {-1, -1}, status = 0, tool = 0;
	struct setup_error se = {0};
	uint64_t deadline = ward_now_ns() + (uint64_t)timeout_s() * 1000000000u;
	size_t sent = 0;
	int timed_out = 0;
	ssize_t got;
	pid_t pid = -1;
	int rc = -1;

	if (sb->tool != NULL) {
		/* the mount point of the tool; a package shipping that name
		 * is refused rather than overwritten */
		if (ward_root_write(sb->root, TOOL_NAME, "", 0, 0700, 0) != 0)
			return -1;
		tool = 1;
	}
	/* stdin is a socket so that a child that exits early gives EPIPE from
	 * send(MSG_NOSIGNAL), not a SIGPIPE that would kill ward */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, inp) != 0 ||
	    pipe2(outp, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
		ward_errno(WARD_EENV, "pipe");
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		ward_errno(WARD_EENV, "fork");
		goto out;
	}
	if (pid == 0) {
		close(errp[0]);
		close(inp[1]);
		close(outp[0]);
		child(sb, argv, envp, inp[0], outp[1], errp[1], geteuid(), getegid());
	}
	close(inp[0]);
	close(outp[1]);
	close(errp[1]);
	inp[0] = outp[1] = errp[1] = -1;
	if (stdin_len == 0) {
		close(inp[1]);
		inp[1] = -1;
	}
	/* feed stdin and drain the output together: neither pipe may fill up */
	for (;;) {
		struct pollfd fds[2] = {{.fd = outp[0], .events = POLLIN},
					{.fd = inp[1], .events = POLLOUT}};
		int nfds = inp[1] >= 0 ? 2 : 1;
		uint64_t now = ward_now_ns();
		int r;
		if (now >= deadline) {
			timed_out = 1;
			kill(pid, SIGKILL); /* its PID 1 dies with it, and all below */
			break;
		}
		r = poll(fds, (nfds_t)nfds, (int)((deadline - now) / 1000000u) + 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			ward_errno(WARD_EENV, "poll");
			kill(pid, SIGKILL);
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
			ssize_t n = read(outp[0], buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			if (out != NULL && out->len < OUTPUT_MAX)
				ward_buf_append(out, buf, (size_t)n);
		}
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	do
		got = read(errp[0], &se, sizeof(se));
	while (got < 0 && errno == EINTR);
	if (out != NULL)
		ward_buf_cstr(out);
	if (got == (ssize_t)sizeof(se) && se.stage == ST_EXEC)
		ward_err(WARD_EINPUT, "%s: cannot run it in the build sandbox: %s", argv[0],
			 strerror(se.err));
	else if (got == (ssize_t)sizeof(se))
		ward_err(WARD_EENV,
			 "the build sandbox %s: %s; package code is never run without it",
			 stage_name(se.stage), strerror(se.err));
	else if (timed_out)
		ward_err(WARD_EENV,
			 "%s did not finish within %d s in the build sandbox (killed; "
			 "WARD_BUILD_STEP_TIMEOUT sets the limit)",
			 argv[0], timeout_s());
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		rc = 0;
	else if (WIFEXITED(status) && WEXITSTATUS(status) < 128)
		ward_err(WARD_EENV, "%s exited with status %d", argv[0], WEXITSTATUS(status));
	else
		ward_err(WARD_EENV, "%s was killed by signal %d", argv[0],
			 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status) - 128);
out:
	for (int i = 0; i < 2; i++) {
		if (inp[i] >= 0)
			close(inp[i]);
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	if (tool) {
		struct ward_error saved;
		ward_err_save(&saved);
		ward_root_remove(sb->root, TOOL_NAME);
		ward_err_restore(&saved);
	}
	return rc;
}
