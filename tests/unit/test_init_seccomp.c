/* test_init_seccomp.c: the server's seccomp program, checked two ways: a
 * classic-BPF interpreter (bpf_run.h) runs it over syscalls whose verdict
 * the rules in seccomp_bpf.h dictate, and the kernel itself loads it (its
 * verifier rejects malformed programs) and enforces it in a child. */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "seccomp_bpf.h"
#include "state.h"
#include "bpf_run.h"

#define INIT_PID 4242
#define INIT_PGID 4240
#define HELPER_PID 4250
#define SERVER_PGID 4300

static struct sc_params params = {
	.protected_pids = {INIT_PID, HELPER_PID},
	.nprotected = 2,
	.init_pgid = INIT_PGID,
	.token = {0x0123456789abcdefull, 0xfedcba9876543210ull, 0x55aa55aa55aa55aaull},
	.tcp_gate = 1,
	.signals_scoped = 1};

static struct sc_prog prog;

static uint32_t
verdict6(int nr, const uint64_t a[6])
{
	struct seccomp_data d = {.nr = nr, .arch = AUDIT_ARCH_X86_64};

	memcpy(d.args, a, sizeof(d.args));
	return bpf_run(&prog, &d);
}

static uint32_t
verdict(int nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	const uint64_t a[6] = {a0, a1, a2, 0, 0, 0};

	return verdict6(nr, a);
}

/* The gate's handler for a notified call. */
static int
handler(int nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	const uint64_t a[6] = {a0, a1, a2, 0, 0, 0};
	pid_t target;

	return sc_handler(nr, a, &target);
}

#define ALLOW SECCOMP_RET_ALLOW
#define NOTIFY SECCOMP_RET_USER_NOTIF

static void
test_interpreted(void **state)
{
	(void)state;
	assert_int_equal(sc_build(&prog, &params), 0);
	assert_true(prog.len > 50 && prog.len < SC_MAX_INSNS);

	/* Another architecture, x32: killed. */
	struct seccomp_data d = {.nr = __NR_read, .arch = AUDIT_ARCH_I386};
	assert_int_equal(bpf_run(&prog, &d), SECCOMP_RET_KILL_PROCESS);
	d.arch = AUDIT_ARCH_X86_64;
	d.nr = 0x40000000 | __NR_read;
	assert_int_equal(bpf_run(&prog, &d), SECCOMP_RET_KILL_PROCESS);

	/* Ordinary syscalls pass, whatever their arguments. */
	const int ok[] = {__NR_read,	 __NR_write,	  __NR_openat,	__NR_mmap,
			  __NR_futex,	 __NR_epoll_wait, __NR_connect, __NR_bind,
			  __NR_getpid,	 __NR_exit_group, __NR_listen,	__NR_accept4,
			  __NR_mprotect, __NR_getpriority};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_int_equal(verdict(ok[i], 1, 2, 3), ALLOW);

	/* The server's own exec carries the token; nothing else passes. */
	uint64_t tok[6] = {1, 2, 3, params.token[0], params.token[1], params.token[2]};
	assert_int_equal(verdict6(__NR_execve, tok), ALLOW);
	for (int i = 3; i < 6; i++) {
		uint64_t bad[6];
		memcpy(bad, tok, sizeof(bad));
		bad[i] ^= 1ull << 40; /* high words count too */
		assert_int_equal(verdict6(__NR_execve, bad), NOTIFY);
		bad[i] = tok[i] ^ 1;
		assert_int_equal(verdict6(__NR_execve, bad), NOTIFY);
	}
	assert_int_equal(verdict6(__NR_execveat, tok), NOTIFY);
	struct sc_prog noprog;
	struct sc_params notok = params;
	memset(notok.token, 0, sizeof(notok.token));
	assert_int_equal(sc_build(&noprog, &notok), 0); /* no token: every execve notified */
	uint64_t zero[6] = {0};
	d = (struct seccomp_data){.nr = __NR_execve, .arch = AUDIT_ARCH_X86_64};
	memcpy(d.args, zero, sizeof(zero));
	assert_int_equal(bpf_run(&noprog, &d), NOTIFY);

	/* The gate and the unconditional deny list go to ward-init. */
	const int notify[] = {__NR_execve,
			      __NR_execveat,
			      __NR_ptrace,
			      __NR_process_vm_readv,
			      __NR_process_vm_writev,
			      __NR_mount,
			      __NR_umount2,
			      __NR_pivot_root,
			      __NR_bpf,
			      __NR_perf_event_open,
			      __NR_kexec_load,
			      __NR_init_module,
			      __NR_finit_module,
			      __NR_delete_module,
			      __NR_io_uring_setup,
			      __NR_io_uring_enter,
			      __NR_io_uring_register,
			      __NR_userfaultfd,
			      __NR_keyctl,
			      __NR_add_key,
			      __NR_setns,
			      __NR_open_by_handle_at,
			      __NR_kcmp,
			      __NR_process_madvise,
			      __NR_process_mrelease,
			      __NR_pidfd_getfd,
			      __NR_modify_ldt,
			      __NR_ioperm,
			      __NR_iopl,
			      __NR_syslog,
			      __NR_fanotify_init,
			      __NR_quotactl_fd};
	for (size_t i = 0; i < sizeof(notify) / sizeof(notify[0]); i++) {
		assert_int_equal(verdict(notify[i], 0, 0, 0), NOTIFY);
		if (notify[i] != __NR_execve && notify[i] != __NR_execveat)
			assert_int_equal(handler(notify[i], 0, 0, 0), SC_H_DENY);
	}
	assert_int_equal(verdict(__NR_clone3, 0, 0, 0), SECCOMP_RET_ERRNO | ENOSYS);

	/* clone and unshare: namespaces refused, threads and forks fine. */
	assert_int_equal(verdict(__NR_clone, CLONE_VM | CLONE_THREAD | CLONE_SIGHAND, 0, 0), ALLOW);
	assert_int_equal(verdict(__NR_clone, SIGCHLD, 0, 0), ALLOW);
	const uint64_t ns[] = {CLONE_NEWNS,  CLONE_NEWUSER, CLONE_NEWPID,   CLONE_NEWNET,
			       CLONE_NEWUTS, CLONE_NEWIPC,  CLONE_NEWCGROUP};
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		assert_int_equal(verdict(__NR_clone, ns[i] | SIGCHLD, 0, 0), NOTIFY);
		assert_int_equal(verdict(__NR_unshare, ns[i], 0, 0), NOTIFY);
	}
	assert_int_equal(verdict(__NR_unshare, 0x80 /* CLONE_NEWTIME */, 0, 0), NOTIFY);
	assert_int_equal(verdict(__NR_unshare, CLONE_FILES | CLONE_FS, 0, 0), ALLOW);

	/* personality: queries and PER_LINUX only. */
	assert_int_equal(verdict(__NR_personality, 0xffffffff, 0, 0), ALLOW);
	assert_int_equal(verdict(__NR_personality, 0, 0, 0), ALLOW);
	assert_int_equal(verdict(__NR_personality, 0x0040000, 0, 0), NOTIFY);
	assert_int_equal(verdict(__NR_personality, 0x0400000, 0, 0), NOTIFY);

	/* Signals to ward-init, its helper, its group, or everyone. */
	const uint32_t prot[] = {INIT_PID, HELPER_PID};
	for (int i = 0; i < 2; i++) {
		assert_int_equal(verdict(__NR_kill, prot[i], SIGTERM, 0), NOTIFY);
		assert_int_equal(verdict(__NR_tgkill, prot[i], prot[i], SIGKILL), NOTIFY);
		assert_int_equal(verdict(__NR_tgkill, 7, prot[i], SIGKILL), NOTIFY);
		assert_int_equal(verdict(__NR_tkill, prot[i], SIGKILL, 0), NOTIFY);
		assert_int_equal(verdict(__NR_pidfd_open, prot[i], 0, 0), NOTIFY);
		assert_int_equal(verdict(__NR_rt_sigqueueinfo, prot[i], 0, 0), NOTIFY);
		assert_int_equal(verdict(__NR_rt_tgsigqueueinfo, prot[i], prot[i], 15), NOTIFY);
	}
	assert_int_equal(verdict(__NR_kill, (uint32_t)-INIT_PGID, SIGTERM, 0), NOTIFY);
	assert_int_equal(verdict(__NR_kill, (uint32_t)-1, 0, 0), NOTIFY);
	assert_int_equal(verdict(__NR_kill, INIT_PID + 1, SIGTERM, 0), ALLOW);
	assert_int_equal(verdict(__NR_kill, 0, SIGTERM, 0), ALLOW);
	assert_int_equal(verdict(__NR_kill, 77, SIGCONT, 0), ALLOW); /* no exec.allow */
	assert_int_equal(verdict(__NR_tgkill, 7, 7, SIGKILL), ALLOW);
	assert_int_equal(verdict(__NR_pidfd_open, 12, 0, 0), ALLOW);
	assert_int_equal(verdict(__NR_pidfd_send_signal, 3, SIGKILL, 0), ALLOW);
	/* Without Landlock's signal scoping a pidfd (a /proc/PID dirfd) could
	 * name ward-init: pidfd_send_signal refused altogether. */
	struct sc_prog unscoped_prog;
	struct sc_params unscoped = params;
	unscoped.signals_scoped = 0;
	assert_int_equal(sc_build(&unscoped_prog, &unscoped), 0);
	d = (struct seccomp_data){.nr = __NR_pidfd_send_signal, .arch = AUDIT_ARCH_X86_64};
	d.args[0] = 3, d.args[1] = SIGTERM;
	assert_int_equal(bpf_run(&unscoped_prog, &d), NOTIFY);
	assert_int_equal(verdict(__NR_memfd_secret, 0, 0, 0), NOTIFY);

	/* Signals by file ownership: fcntl(F_SETOWN) names a pid or -pgid
	 * the kernel signals (SIGIO, or any signal with F_SETSIG) when I/O
	 * happens; ward-init, its helper and its group are never owners. */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(verdict(__NR_fcntl, 5, F_SETOWN, prot[i]), NOTIFY);
		assert_int_equal(verdict(__NR_fcntl, 5, F_SETOWN, (uint32_t) - (int32_t)prot[i]),
				 NOTIFY);
		/* an int argument: the upper word is whatever the caller left */
		assert_int_equal(verdict(__NR_fcntl, 5, F_SETOWN, 0xdead00000000ull | prot[i]),
				 NOTIFY);
	}
	assert_int_equal(verdict(__NR_fcntl, 5, F_SETOWN, (uint32_t)-INIT_PGID), NOTIFY);
	assert_int_equal(verdict(__NR_fcntl, 5, F_SETOWN, 77), ALLOW);
	assert_int_equal(verdict(__NR_fcntl, 5, F_SETOWN, 0), ALLOW);
	assert_int_equal(verdict(__NR_fcntl, 5, F_SETSIG, SIGKILL), ALLOW);
	assert_int_equal(verdict(__NR_fcntl, 5, F_GETFL, 0), ALLOW);
	assert_int_equal(verdict(__NR_fcntl, 5, F_SETFL, O_NONBLOCK), ALLOW);
	/* The owner in user memory (F_SETOWN_EX, FIOSETOWN, SIOCSPGRP): only
	 * where Landlock scopes signals (the kernel then refuses delivery). */
	assert_int_equal(verdict(__NR_fcntl, 5, F_SETOWN_EX, 0x7ffe0000), ALLOW);
	assert_int_equal(verdict(__NR_ioctl, 5, 0x8901 /* FIOSETOWN */, 0x7ffe0000), ALLOW);
	assert_int_equal(verdict(__NR_ioctl, 5, 0x8902 /* SIOCSPGRP */, 0x7ffe0000), ALLOW);
	assert_int_equal(verdict(__NR_ioctl, 5, 0x5401 /* TCGETS */, 0x7ffe0000), ALLOW);
	const uint64_t setown_ex[][3] = {
		{5, F_SETOWN_EX, 0x7ffe0000}, {5, 0x8901, 0x7ffe0000}, {5, 0x8902, 0x7ffe0000}};
	for (int i = 0; i < 3; i++) {
		d = (struct seccomp_data){.nr = i == 0 ? __NR_fcntl : __NR_ioctl,
					  .arch = AUDIT_ARCH_X86_64};
		memcpy(d.args, setown_ex[i], sizeof(setown_ex[i]));
		assert_int_equal(bpf_run(&unscoped_prog, &d), NOTIFY);
	}
	d = (struct seccomp_data){.nr = __NR_ioctl, .arch = AUDIT_ARCH_X86_64};
	d.args[0] = 5, d.args[1] = 0x5401;
	assert_int_equal(bpf_run(&unscoped_prog, &d), ALLOW);

	/* Dumpability and core limits. */
	assert_int_equal(verdict(__NR_prctl, PR_SET_DUMPABLE, 1, 0), NOTIFY);
	assert_int_equal(verdict(__NR_prctl, PR_SET_DUMPABLE, 1ull << 32, 0), NOTIFY);
	assert_int_equal(verdict(__NR_prctl, PR_SET_DUMPABLE, 0, 0), ALLOW);
	assert_int_equal(verdict(__NR_prctl, PR_SET_NAME, 1, 0), ALLOW);
	assert_int_equal(verdict(__NR_prctl, PR_GET_DUMPABLE, 0, 0), ALLOW);
	assert_int_equal(verdict(__NR_setrlimit, 4 /* RLIMIT_CORE */, 0, 0), NOTIFY);
	assert_int_equal(verdict(__NR_setrlimit, 7 /* RLIMIT_NOFILE */, 0, 0), ALLOW);
	assert_int_equal(verdict(__NR_prlimit64, 0, 4, 0x7ffe0000), NOTIFY);
	assert_int_equal(verdict(__NR_prlimit64, 0, 4, 0x100000000ull), NOTIFY);
	assert_int_equal(handler(__NR_prlimit64, 0, 4, 0x7ffe0000), SC_H_DENY);
	assert_int_equal(verdict(__NR_prlimit64, 0, 4, 0), ALLOW); /* a query */
	assert_int_equal(verdict(__NR_prlimit64, 0, 7, 0x7ffe0000), ALLOW);

	/* Calls on a process: the caller (0) passes; any pid goes to the gate,
	 * which admits only the caller's own threads; a whole uid never. */
	const int self[] = {__NR_prlimit64,	 __NR_sched_setaffinity, __NR_sched_setscheduler,
			    __NR_sched_setparam, __NR_sched_setattr,	 __NR_migrate_pages,
			    __NR_move_pages,	 __NR_get_robust_list};
	for (size_t i = 0; i < sizeof(self) / sizeof(self[0]); i++) {
		assert_int_equal(verdict(self[i], 0, 7, 0), ALLOW);
		assert_int_equal(verdict(self[i], INIT_PID, 7, 0), NOTIFY);
		assert_int_equal(handler(self[i], INIT_PID, 7, 0), SC_H_SELF);
	}
	assert_int_equal(handler(__NR_prlimit64, INIT_PID, 4, 0x1000), SC_H_DENY); /* CORE */
	assert_int_equal(verdict(__NR_setpriority, 0 /* PRIO_PROCESS */, 0, 19), ALLOW);
	assert_int_equal(verdict(__NR_setpriority, 1 /* PRIO_PGRP */, 0, 19), ALLOW);
	assert_int_equal(verdict(__NR_setpriority, 0, INIT_PID, 19), NOTIFY);
	assert_int_equal(handler(__NR_setpriority, 0, INIT_PID, 19), SC_H_SELF);
	assert_int_equal(verdict(__NR_setpriority, 1, INIT_PGID, 19), NOTIFY);
	assert_int_equal(handler(__NR_setpriority, 1, INIT_PGID, 19), SC_H_DENY);
	assert_int_equal(verdict(__NR_setpriority, 2 /* PRIO_USER */, 0, 19), NOTIFY);
	assert_int_equal(handler(__NR_setpriority, 2, 0, 19), SC_H_DENY);
	assert_int_equal(verdict(__NR_ioprio_set, 1 /* WHO_PROCESS */, 0, 0), ALLOW);
	assert_int_equal(verdict(__NR_ioprio_set, 1, INIT_PID, 0), NOTIFY);
	assert_int_equal(handler(__NR_ioprio_set, 1, INIT_PID, 0), SC_H_SELF);
	assert_int_equal(verdict(__NR_ioprio_set, 3 /* WHO_USER */, 0, 0), NOTIFY);
	assert_int_equal(handler(__NR_ioprio_set, 3, 0, 0), SC_H_DENY);

	/* Sockets: TCP is made by the gate (SYN filter); every other family
	 * and protocol refused by default. */
	assert_int_equal(verdict(__NR_socket, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), NOTIFY);
	assert_int_equal(handler(__NR_socket, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0),
			 SC_H_SOCKET);
	assert_int_equal(handler(__NR_socket, AF_INET6, SOCK_STREAM, 6), SC_H_SOCKET);
	const uint64_t refused[][3] = {
		{AF_INET, SOCK_STREAM, 262}, {AF_INET6, SOCK_STREAM, 262},   /* MPTCP */
		{AF_INET, SOCK_STREAM, 132}, {AF_INET, SOCK_SEQPACKET, 132}, /* SCTP */
		{AF_INET, SOCK_STREAM, 256},				     /* SMC */
		{AF_INET, SOCK_DGRAM, 0},    {AF_INET6, SOCK_DGRAM, 17},
		{AF_INET, SOCK_DGRAM, 1},    {AF_INET, SOCK_RAW | SOCK_CLOEXEC, 1},
		{AF_INET6, SOCK_RAW, 58},    {AF_INET, 6 /* DCCP */, 33},
		{AF_PACKET, SOCK_DGRAM, 0},  {AF_NETLINK, SOCK_RAW, 0},
		{AF_UNIX, SOCK_STREAM, 0},   {AF_UNIX, SOCK_DGRAM, 0},
		{40 /* VSOCK */, 1, 0},	     {44 /* XDP */, 3, 0},
		{38 /* ALG */, 5, 0},	     {43 /* SMC */, 1, 0},
		{15 /* KEY */, 3, 2},	     {30 /* TIPC */, 4, 0},
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		assert_int_equal(verdict(__NR_socket, refused[i][0], refused[i][1], refused[i][2]),
				 NOTIFY);
		assert_int_equal(handler(__NR_socket, refused[i][0], refused[i][1], refused[i][2]),
				 SC_H_DENY);
	}
	assert_int_equal(verdict(__NR_socketpair, AF_UNIX, SOCK_STREAM, 0), ALLOW);
	assert_int_equal(verdict(__NR_socketpair, AF_INET, SOCK_STREAM, 0), NOTIFY);
	/* ... unless the policy names them. */
	struct sc_prog open_prog;
	struct sc_params open = params;
	open.net_udp = open.net_unix = open.net_netlink = 1;
	open.tcp_gate = 0;
	assert_int_equal(sc_build(&open_prog, &open), 0);
	const uint64_t opened[][3] = {{AF_INET, SOCK_STREAM, 0},
				      {AF_INET6, SOCK_DGRAM, 0},
				      {AF_INET, SOCK_DGRAM, 17},
				      {AF_UNIX, SOCK_STREAM, 0},
				      {AF_NETLINK, SOCK_RAW, 0}};
	for (size_t i = 0; i < sizeof(opened) / sizeof(opened[0]); i++) {
		d = (struct seccomp_data){.nr = __NR_socket, .arch = AUDIT_ARCH_X86_64};
		d.args[0] = opened[i][0];
		d.args[1] = opened[i][1];
		d.args[2] = opened[i][2];
		assert_int_equal(bpf_run(&open_prog, &d), ALLOW);
	}
	d.args[0] = AF_INET, d.args[1] = SOCK_DGRAM, d.args[2] = 1; /* ping: never */
	assert_int_equal(bpf_run(&open_prog, &d), NOTIFY);
	d.args[0] = AF_INET, d.args[1] = SOCK_STREAM, d.args[2] = 262;
	assert_int_equal(bpf_run(&open_prog, &d), NOTIFY);

	/* memfds: never MFD_EXEC; sealed ones pass; the rest made by the gate. */
	assert_int_equal(verdict(__NR_memfd_create, 0, 0x10 | 1, 0), NOTIFY);
	assert_int_equal(handler(__NR_memfd_create, 0, 0x10 | 1, 0), SC_H_DENY);
	assert_int_equal(verdict(__NR_memfd_create, 0, 0x8 | 1, 0), ALLOW);
	assert_int_equal(verdict(__NR_memfd_create, 0, 1, 0), NOTIFY);
	assert_int_equal(handler(__NR_memfd_create, 0, 1, 0), SC_H_MEMFD);

	/* No seccomp listener of the server's own (it would outrank ours). */
	assert_int_equal(verdict(__NR_seccomp, 1 /* SET_MODE_FILTER */, 8, 0), NOTIFY);
	assert_int_equal(verdict(__NR_seccomp, 1, 0, 0), ALLOW);
	assert_int_equal(verdict(__NR_seccomp, 2 /* GET_ACTION_AVAIL */, 8, 0), ALLOW);

	/* Process groups: never ward-init's; with containment, only the
	 * server's, and no new sessions. */
	assert_int_equal(verdict(__NR_setpgid, 0, INIT_PGID, 0), NOTIFY);
	assert_int_equal(verdict(__NR_setpgid, 0, 0, 0), ALLOW);
	assert_int_equal(verdict(__NR_setsid, 0, 0, 0), ALLOW);
	struct sc_prog cprog;
	struct sc_params contained = params;
	contained.server_pgid = SERVER_PGID;
	contained.deny_sigcont = 1;
	assert_int_equal(sc_build(&cprog, &contained), 0);
	const struct {
		int nr;
		uint64_t a0, a1;
		uint32_t want;
	} c[] = {{__NR_setpgid, 0, 0, NOTIFY},
		 {__NR_setpgid, 0, SERVER_PGID, ALLOW},
		 {__NR_setpgid, 0, 999, NOTIFY},
		 {__NR_setsid, 0, 0, NOTIFY},
		 {__NR_kill, 77, SIGCONT, NOTIFY},
		 {__NR_kill, 77, SIGTERM, ALLOW},
		 {__NR_pidfd_send_signal, 3, SIGCONT, NOTIFY}};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		d = (struct seccomp_data){.nr = c[i].nr, .arch = AUDIT_ARCH_X86_64};
		d.args[0] = c[i].a0;
		d.args[1] = c[i].a1;
		assert_int_equal(bpf_run(&cprog, &d), c[i].want);
	}

	/* Device nodes refused, FIFOs and sockets fine. */
	assert_int_equal(verdict(__NR_mknod, 0, S_IFCHR | 0600, 0x103), NOTIFY);
	assert_int_equal(verdict(__NR_mknodat, AT_FDCWD, 0, S_IFBLK | 0600), NOTIFY);
	assert_int_equal(verdict(__NR_mknodat, AT_FDCWD, 0, S_IFIFO | 0600), ALLOW);
	assert_int_equal(verdict(__NR_mknod, 0, S_IFSOCK | 0600, 0), ALLOW);
}

static void
test_names(void **state)
{
	(void)state;
	assert_true(sc_deny_count() <= STATE_MAX_DENY);
	assert_int_equal(sc_deny_index(__NR_read), -1);
	assert_string_equal(sc_deny_name((size_t)sc_deny_index(__NR_ptrace)), "ptrace");
	assert_string_equal(sc_deny_name((size_t)sc_deny_index(__NR_mknodat)), "mknodat");
	/* The OCI profile is well-formed: every rule names a syscall and errno. */
	json_t *j = sc_oci_profile(&params);
	json_t *calls = json_object_get(j, "syscalls"), *r;
	size_t i;
	assert_string_equal(json_string_value(json_object_get(j, "defaultAction")),
			    "SCMP_ACT_ALLOW");
	assert_true(json_array_size(calls) > 10);
	json_array_foreach(calls, i, r)
	{
		assert_true(json_array_size(json_object_get(r, "names")) >= 1);
		assert_string_equal(json_string_value(json_object_get(r, "action")),
				    "SCMP_ACT_ERRNO");
	}
	json_decref(j);
}

/* The dispatch (a search tree over the rules' numbers) reaches every
 * rule's block and nothing else: every other number is allowed whatever
 * its arguments; every rule refuses some arguments (those that refuse
 * nothing under these parameters excepted). */
static void
test_dispatch(void **state)
{
	(void)state;
	static struct sc_prog p;
	const uint64_t ones = ~0ull, ip = INIT_PID;
	const uint64_t cand[][6] = {
		{0, 0, 0, 0, 0, 0},
		{ones, ones, ones, ones, ones, ones},
		{ip, ip, ip, ip, ip, ip},
		{(uint32_t)-INIT_PGID, 0, 0, 0, 0, 0},
		{0, INIT_PGID, 0, 0, 0, 0},
		{PR_SET_DUMPABLE, 1, 0, 0, 0, 0},
		{4 /* RLIMIT_CORE */, 0, 0, 0, 0, 0},
		{0x0040000, 0, 0, 0, 0, 0},
		{1 /* SET_MODE_FILTER */, 8 /* NEW_LISTENER */, 0, 0, 0, 0},
		{5, 0, 51 /* IP_LOCAL_PORT_RANGE */, 0, 0, 0},
		{5, F_SETOWN, INIT_PID, 0, 0, 0},
		{0, S_IFCHR | 0600, S_IFCHR | 0600, 0, 0, 0},
	};
	const size_t ncand = sizeof(cand) / sizeof(*cand);
	size_t rules_seen = 0;

	assert_int_equal(sc_build(&p, &params), 0);
	for (int nr = 0; nr < 1024; nr++) {
		int idx = sc_deny_index(nr), refused = 0;
		for (size_t c = 0; c < ncand; c++) {
			struct seccomp_data d = {.nr = nr, .arch = AUDIT_ARCH_X86_64};
			memcpy(d.args, cand[c], sizeof(d.args));
			uint32_t v = bpf_run(&p, &d);
			if (idx < 0 && v != SECCOMP_RET_ALLOW)
				fail_msg("syscall %d is in no rule but refused (%#x)", nr, v);
			refused |= v != SECCOMP_RET_ALLOW;
		}
		if (idx < 0)
			continue;
		rules_seen++;
		const char *name = sc_deny_name((size_t)idx);
		/* Allowed outright here: Landlock scopes signals (pidfd_send_signal,
		 * ioctl's owners), no process-group containment (setsid). */
		if (!refused && strcmp(name, "pidfd_send_signal") != 0 &&
		    strcmp(name, "ioctl") != 0 && strcmp(name, "setsid") != 0)
			fail_msg("the rule for %s (%d) refuses nothing: not reached", name, nr);
	}
	assert_int_equal(rules_seen, sc_deny_count());
}

/* The kernel loads the filter and enforces it.  Without a listener, the
 * notifying syscalls fail with ENOSYS: still refused, which is the point. */
static void
test_kernel(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sock_fprog fp;
		int fail = 0;

		struct sc_params kp = {.protected_pids = {(uint32_t)getppid()},
				       .nprotected = 1,
				       .init_pgid = (uint32_t)getpgid(getppid())};
		if (sc_build(&prog, &kp) != 0)
			_exit(10);
		fp.len = prog.len;
		fp.filter = prog.insn;
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
		    syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) != 0)
			_exit(11);
		if (getpid() <= 0)
			fail |= 1;
		errno = 0;
		if (syscall(__NR_ptrace, 0 /* TRACEME */, 0, 0, 0) != -1 || errno != ENOSYS)
			fail |= 2;
		if (syscall(__NR_clone3, NULL, 0) != -1 || errno != ENOSYS)
			fail |= 4;
		if (kill(getppid(), 0) != -1 || errno != ENOSYS)
			fail |= 8;
		if (syscall(__NR_unshare, CLONE_NEWUSER) != -1 || errno != ENOSYS)
			fail |= 16;
		if (socket(AF_INET, SOCK_RAW, 1) != -1 || errno != ENOSYS)
			fail |= 32;
		int s = socket(AF_INET, SOCK_STREAM, 0); /* tcp_gate 0: plain */
		if (s < 0)
			fail |= 64;
		close(s);
		if (socket(AF_INET, SOCK_STREAM, 262) != -1 || errno != ENOSYS)
			fail |= 64;   /* MPTCP */
		pid_t child = fork(); /* clone without namespaces */
		if (child == 0)
			_exit(0);
		if (child < 0 || waitpid(child, NULL, 0) != child)
			fail |= 128;
		char *argv[] = {"/bin/true", NULL};
		execve("/bin/true", argv, argv + 1);
		if (errno != ENOSYS)
			fail |= 128;
		_exit(fail);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interpreted),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_dispatch),
		cmocka_unit_test(test_kernel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
