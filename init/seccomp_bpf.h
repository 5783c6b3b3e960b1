/*
 * seccomp_bpf.h: the server's seccomp filter, hand-written classic BPF.
 *
 * Pure: sc_build() only fills an array, so the unit test runs the program
 * through an interpreter and through the real kernel.  Every decision is
 * made on the syscall number and register arguments, never on memory the
 * server could change afterwards.  The rules:
 *  - another architecture's syscalls (i386, x32) kill the process;
 *  - execve carrying the launch token in its unused argument registers (the
 *    server's own first exec, issued by ward-init) is allowed; every other
 *    execve/execveat goes to ward-init's gate (user notification);
 *  - the deny list (ptrace, process_vm_*, mount family, bpf, perf, kexec,
 *    modules, io_uring, userfaultfd, keys, setns, kcmp, process_madvise,
 *    namespaces in clone and unshare, personality changes, PR_SET_DUMPABLE
 *    1, RLIMIT_CORE, signals to ward-init and its helpers, seccomp
 *    listeners of the server's own, socket families and protocols the
 *    policy does not name, executable memfds, device nodes, ...) also goes
 *    to ward-init, which answers EPERM and counts it by syscall name;
 *  - calls that act on a process by pid (prlimit64, setpriority,
 *    ioprio_set, sched_set*, migrate_pages, move_pages, get_robust_list)
 *    pass for pid 0 and go to ward-init otherwise, which lets them through
 *    only when the target is the caller's own thread group;
 *  - memfd_create without MFD_NOEXEC_SEAL and TCP socket() (when the policy
 *    allows no outbound TCP) go to ward-init, which makes the object itself
 *    (a sealed non-executable memfd; a socket whose ephemeral range is one
 *    port ward-init holds) and installs it in the caller; setsockopt
 *    IP_LOCAL_PORT_RANGE is then refused;
 *  - clone3 fails with ENOSYS (its flags are out of reach of BPF; libc
 *    falls back to clone, whose flags are checked);
 *  - everything else is allowed.
 */
#ifndef WARD_INIT_SECCOMP_BPF_H
#define WARD_INIT_SECCOMP_BPF_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/core.h"

#define SC_MAX_INSNS 1024
#define SC_MAX_PROTECTED 4

struct sc_prog {
	struct sock_filter insn[SC_MAX_INSNS];
	unsigned short len;
};

/* What the filter needs to know. */
struct sc_params {
	uint32_t protected_pids[SC_MAX_PROTECTED]; /* ward-init, its helper, its guard */
	size_t nprotected;
	uint32_t init_pgid;   /* ward-init's process group: never joined, never signalled */
	uint32_t server_pgid; /* != 0: no new sessions or groups (ward-init is not PID 1) */
	uint64_t token[3];    /* in execve's unused registers: the server's own exec */
	int net_udp, net_unix, net_netlink;
	int tcp_gate;	  /* TCP socket() goes to ward-init; IP_LOCAL_PORT_RANGE refused */
	int deny_sigcont; /* exec holds: SIGCONT only from ward-init */
	int signals_scoped; /* Landlock scopes signals (ABI 6): pidfd_send_signal allowed */
};

/* sc_build(p, params): the filter.  -1 if the program does not fit (a bug). */
int sc_build(struct sc_prog *p, const struct sc_params *params);

/* The syscalls ward-init answers with EPERM, for metric labels: a fixed
 * table so the label set is bounded.  sc_deny_index(nr) is the index of
 * nr in it, or -1. */
size_t sc_deny_count(void);
const char *sc_deny_name(size_t i);
int sc_deny_index(int nr);

/* What the gate does with a notification (see gate.c). */
enum sc_handler {
	SC_H_DENY,   /* EPERM, counted */
	SC_H_EXEC,   /* execve/execveat */
	SC_H_SELF,   /* allowed when the target pid is the caller's thread group */
	SC_H_MEMFD,  /* make a sealed, non-executable memfd */
	SC_H_SOCKET, /* make a filtered TCP socket */
};
/* sc_handler(nr, args, target): which, from the number and the registers
 * alone; for SC_H_SELF *target is the pid argument. */
int sc_handler(int nr, const uint64_t args[6], pid_t *target);

/* sc_oci_profile(params): an OCI/Docker seccomp profile with the rules a
 * static profile can state (no pids: a runtime applies it before ward-init
 * exists; "self" is pid 0), for runtimes that apply one before ward-init
 * starts.  What ward-init itself must do (signal the server, create its
 * sockets and memfds, exec it) stays allowed.  Caller json_decref()s. */
json_t *sc_oci_profile(const struct sc_params *params);

#endif
