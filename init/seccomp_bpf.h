/*
 * seccomp_bpf.h: the server's seccomp filter, hand-written classic BPF.
 *
 * Pure: sc_build() only fills an array, so the unit test runs the program
 * through an interpreter and through the real kernel.  The rules:
 *  - another architecture's syscalls (i386, x32) kill the process;
 *  - execve/execveat go to ward-init (user notification): the first exec
 *    (the server) continues, later ones only when the policy allow-lists
 *    binaries, else EPERM;
 *  - the deny list (ptrace, process_vm_*, mount family, bpf, perf, kexec,
 *    modules, io_uring, userfaultfd, keys, setns, namespaces in clone and
 *    unshare, personality changes, PR_SET_DUMPABLE 1, RLIMIT_CORE, raw and
 *    packet sockets, device nodes, signals to ward-init, ...) also goes to
 *    ward-init, which answers EPERM and counts it by syscall name;
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

#define SC_MAX_INSNS 512

struct sc_prog {
	struct sock_filter insn[SC_MAX_INSNS];
	unsigned short len;
};

/* sc_build(p, init_pid, init_pgid): the filter for a server whose
 * supervisor is init_pid (in the server's PID namespace) leading process
 * group init_pgid.  -1 if the program does not fit (a bug). */
int sc_build(struct sc_prog *p, pid_t init_pid, pid_t init_pgid);

/* The syscalls ward-init answers with EPERM, for metric labels: a fixed
 * table so the label set is bounded.  sc_deny_index(nr) is the index of
 * nr in it, or -1. */
size_t sc_deny_count(void);
const char *sc_deny_name(size_t i);
int sc_deny_index(int nr);
int sc_is_exec(int nr);

/* sc_oci_profile(): an OCI/Docker seccomp profile with the same deny rules
 * (SCMP_ACT_ERRNO), for runtimes that apply one before ward-init starts.
 * Rules ward-init itself must pass (RLIMIT_CORE, signals to PID 1, the
 * exec gate) are left to ward-init.  Caller json_decref()s. */
json_t *sc_oci_profile(void);

#endif
