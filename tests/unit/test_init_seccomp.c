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
#include "bpf_run.h"

#define INIT_PID 4242
#define INIT_PGID 4240


static struct sc_prog prog;

static uint32_t
verdict(int nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct seccomp_data d = {.nr = nr, .arch = AUDIT_ARCH_X86_64};

	d.args[0] = a0;
	d.args[1] = a1;
	d.args[2] = a2;
	return bpf_run(&prog, &d);
}

#define ALLOW SECCOMP_RET_ALLOW
#define NOTIFY SECCOMP_RET_USER_NOTIF

static void
test_interpreted(void **state)
{
	(void)state;
	assert_int_equal(sc_build(&prog, INIT_PID, INIT_PGID), 0);
	assert_true(prog.len > 50 && prog.len < SC_MAX_INSNS);

	/* Another architecture, x32: killed. */
	struct seccomp_data d = {.nr = __NR_read, .arch = AUDIT_ARCH_I386};
	assert_int_equal(bpf_run(&prog, &d), SECCOMP_RET_KILL_PROCESS);
	d.arch = AUDIT_ARCH_X86_64;
	d.nr = 0x40000000 | __NR_read;
	assert_int_equal(bpf_run(&prog, &d), SECCOMP_RET_KILL_PROCESS);

	/* Ordinary syscalls pass, whatever their arguments. */
	const int ok[] = {__NR_read,	   __NR_write,	 __NR_openat, __NR_mmap,   __NR_futex,
			  __NR_epoll_wait, __NR_connect, __NR_bind,   __NR_getpid, __NR_exit_group};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_int_equal(verdict(ok[i], 1, 2, 3), ALLOW);

	/* The exec gate and the unconditional deny list go to ward-init. */
	const int notify[] = {__NR_execve,	     __NR_execveat,	     __NR_ptrace,
			      __NR_process_vm_readv, __NR_process_vm_writev, __NR_mount,
			      __NR_umount2,	     __NR_pivot_root,	     __NR_bpf,
			      __NR_perf_event_open,  __NR_kexec_load,	     __NR_init_module,
			      __NR_finit_module,     __NR_delete_module,     __NR_io_uring_setup,
			      __NR_io_uring_enter,   __NR_io_uring_register, __NR_userfaultfd,
			      __NR_keyctl,	     __NR_add_key,	     __NR_setns,
			      __NR_open_by_handle_at};
	for (size_t i = 0; i < sizeof(notify) / sizeof(notify[0]); i++)
		assert_int_equal(verdict(notify[i], 0, 0, 0), NOTIFY);
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

	/* Signals to ward-init, its group, or everyone. */
	assert_int_equal(verdict(__NR_kill, INIT_PID, SIGTERM, 0), NOTIFY);
	assert_int_equal(verdict(__NR_kill, (uint32_t)-INIT_PGID, SIGTERM, 0), NOTIFY);
	assert_int_equal(verdict(__NR_kill, (uint32_t)-1, 0, 0), NOTIFY);
	assert_int_equal(verdict(__NR_kill, INIT_PID + 1, SIGTERM, 0), ALLOW);
	assert_int_equal(verdict(__NR_kill, 0, SIGTERM, 0), ALLOW);
	assert_int_equal(verdict(__NR_tgkill, INIT_PID, INIT_PID, SIGKILL), NOTIFY);
	assert_int_equal(verdict(__NR_tgkill, 7, 7, SIGKILL), ALLOW);
	assert_int_equal(verdict(__NR_tkill, INIT_PID, SIGKILL, 0), NOTIFY);
	assert_int_equal(verdict(__NR_pidfd_open, INIT_PID, 0, 0), NOTIFY);
	assert_int_equal(verdict(__NR_pidfd_open, 12, 0, 0), ALLOW);
	assert_int_equal(verdict(__NR_rt_sigqueueinfo, INIT_PID, 0, 0), NOTIFY);

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
	assert_int_equal(verdict(__NR_prlimit64, 0, 4, 0), ALLOW); /* a query */
	assert_int_equal(verdict(__NR_prlimit64, 0, 7, 0x7ffe0000), ALLOW);

	/* Sockets: raw IP and packet sockets refused, netlink raw is fine. */
	assert_int_equal(verdict(__NR_socket, AF_INET, SOCK_RAW | SOCK_CLOEXEC, 1), NOTIFY);
	assert_int_equal(verdict(__NR_socket, AF_INET6, SOCK_RAW, 58), NOTIFY);
	assert_int_equal(verdict(__NR_socket, AF_PACKET, SOCK_DGRAM, 0), NOTIFY);
	assert_int_equal(verdict(__NR_socket, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), ALLOW);
	assert_int_equal(verdict(__NR_socket, AF_INET6, SOCK_DGRAM, 0), ALLOW);
	assert_int_equal(verdict(__NR_socket, AF_NETLINK, SOCK_RAW, 0), ALLOW);
	assert_int_equal(verdict(__NR_socket, AF_UNIX, SOCK_STREAM, 0), ALLOW);

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
	assert_true(sc_deny_count() <= 96);
	assert_int_equal(sc_deny_index(__NR_read), -1);
	assert_int_equal(sc_deny_index(__NR_execve), -1);
	assert_string_equal(sc_deny_name((size_t)sc_deny_index(__NR_ptrace)), "ptrace");
	assert_string_equal(sc_deny_name((size_t)sc_deny_index(__NR_mknodat)), "mknodat");
	assert_true(sc_is_exec(__NR_execveat));
	assert_false(sc_is_exec(__NR_clone));
	/* The OCI profile is well-formed: every rule names a syscall and errno. */
	json_t *j = sc_oci_profile();
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

		if (sc_build(&prog, getppid(), getpgid(getppid())) != 0)
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
		int s = socket(AF_INET, SOCK_STREAM, 0);
		if (s < 0)
			fail |= 64;
		close(s);
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
		cmocka_unit_test(test_kernel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
