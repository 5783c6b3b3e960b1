/*
 * gate.h: ward-init's side of the seccomp user notifications (see
 * seccomp_bpf.h).  Every decision uses the syscall number, its register
 * arguments and what the kernel says about processes (/proc), never the
 * server's memory, which it could change between a check and the kernel's
 * own read:
 *  - exec: refused (EPERM) unless the policy allow-lists binaries; then the
 *    calling thread is stopped (SIGSTOP) before the exec continues, so the
 *    new program cannot run a single instruction until ward-init has looked
 *    at what the kernel actually loaded (/proc/PID/exe): an allowed binary
 *    is resumed, anything else (the loader run as a program, say) killed.
 *    execveat(AT_EMPTY_PATH), i.e. exec of a descriptor, is always refused;
 *  - memfd_create: ward-init makes the memfd itself, sealed non-executable
 *    (MFD_NOEXEC_SEAL), and installs it in the caller (SECCOMP_ADDFD);
 *  - TCP socket() (when the policy allows no outbound TCP): likewise, with
 *    its ephemeral port range narrowed to one port ward-init holds itself
 *    (IP_LOCAL_PORT_RANGE), so listen() without bind() -- which autobinds
 *    past Landlock's bind rule -- fails with EADDRINUSE;
 *  - calls on a pid (prlimit64, setpriority, sched_*, ...): allowed when the
 *    target is the caller's own thread group, else EPERM;
 *  - the rest of the deny list: EPERM.
 * Each refusal is counted in the state and logged (rate-limited).
 */
#ifndef WARD_INIT_GATE_H
#define WARD_INIT_GATE_H

#include <sys/types.h>

#include "policy.h"
#include "state.h"

struct gate;

struct gate_args {
	int fd;			       /* the listener (closed by gate_free) */
	const struct policy *policy;   /* exec.allow, tcp_bind */
	const struct ward_strv *files; /* every file the server may execute */
	const struct ward_strv *loaders;
	int killable;		/* the filter has SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV */
	uint16_t reserved_port; /* see launch_reserve_port() */
	struct init_state *st;
};

/* gate_new(a): NULL on allocation failure. */
struct gate *gate_new(const struct gate_args *a);
int gate_fd(const struct gate *g);
/* gate_serve(g): answer the pending notifications (at most a batch);
 * returns -1 when the listener is gone (every filtered process exited). */
int gate_serve(struct gate *g);
/* gate_tick(g, now_ns): look at stopped execs; returns the milliseconds
 * until it wants to look again, -1 when nothing is pending. */
int gate_tick(struct gate *g, uint64_t now_ns);
/* gate_holding(g): execs are being held (a SIGCONT now would free one). */
int gate_holding(const struct gate *g);
void gate_free(struct gate *g);
/* gate_exec_slot(st, name): the exec counters of a binary name (printable
 * ASCII kept, the rest '?'; past the table's size, "other"). */
struct exec_stat *gate_exec_slot(struct init_state *st, const char *name);

#endif
