/*
 * state.h: what ward-init counts while it runs.  PID 1 writes it; the HTTP
 * helper (init/helper/) renders it as /metrics.  It lives in a shared
 * memory page PID 1 maps read-write and the helper maps read-only (the
 * memfd is sealed against new writable mappings before the helper starts),
 * so PID 1 never blocks on the helper and never reads anything from it.
 * Fixed-size tables only: the label sets of every metric are bounded.
 * Counters are aligned 64-bit words (single stores); the helper copies the
 * page and checks every index and string before it uses them.
 */
#ifndef WARD_INIT_STATE_H
#define WARD_INIT_STATE_H

#include <stdint.h>
#include <sys/types.h>

#include "policy.h"

#define STATE_MAX_EXEC_NAMES 32 /* the last slot collects the rest as "other" */
#define STATE_MAX_DENY 128	/* >= sc_deny_count() */
#define STATE_NAME_MAX 48

struct model_stat {
	char path[256];
	int verified;
	uint64_t files;
	uint64_t bytes;
	double seconds;
	int threads;
};

struct exec_stat {
	char name[STATE_NAME_MAX];
	uint64_t allowed; /* ran, and the kernel says an allowed binary runs */
	uint64_t denied;  /* EPERM from the gate, or stopped and killed after it */
};

/* The server's process, sampled from /proc by PID 1 when the helper asks. */
struct proc_sample {
	int have_stat; /* /proc/PID/stat: CPU, RSS, threads */
	double utime, stime;
	uint64_t rss_bytes;
	uint64_t threads;
	int have_fds; /* /proc/PID/fd: needs ptrace access to the server */
	uint64_t fds;
	int have_io; /* /proc/PID/io: likewise */
	uint64_t rchar, wchar, read_bytes, write_bytes;
};

struct init_state {
	uint64_t start_ns; /* CLOCK_MONOTONIC at start */
	/* model verification */
	struct model_stat models[POLICY_MAX_MODELS];
	uint64_t nmodels;
	/* hardening in force for the server (-1: unknown yet) */
	int landlock_abi;
	int landlock_enforced;
	int landlock_net;
	int landlock_scoped;
	int seccomp;
	int no_new_privs;
	int caps_dropped;
	int server_dumpable;
	int root_read_only;
	int write_execute_denied;
	/* the exec gate and the deny list */
	struct exec_stat exec[STATE_MAX_EXEC_NAMES];
	uint64_t nexec;
	uint64_t denied[STATE_MAX_DENY]; /* indexed like sc_deny_name() */
	uint64_t memfd_sealed;		 /* memfds created non-executable for the server */
	uint64_t tcp_sockets;		 /* TCP sockets created with the SYN filter */
	uint64_t log_suppressed;
	/* the server */
	int64_t server_pid;
	int server_up;
	uint64_t server_starts;
	uint64_t reaped;
	uint64_t stop_kills; /* SIGKILLs after stop_timeout */
	/* signals */
	uint64_t signals_forwarded;
	uint64_t signals_ignored;
	/* the helper that serves this */
	uint64_t helper_restarts;
	/* sampled on request (see helper.h): sample_seq changes after each */
	uint64_t sample_seq;
	uint64_t init_rss_bytes;
	struct proc_sample server;
};

#endif
