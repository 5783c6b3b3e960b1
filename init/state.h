/*
 * state.h: what ward-init counts while it runs, for /metrics and the log.
 * Fixed-size tables only: the label sets of every metric are bounded, and
 * serving /metrics never allocates.
 */
#ifndef WARD_INIT_STATE_H
#define WARD_INIT_STATE_H

#include <stdint.h>
#include <sys/types.h>

#include "policy.h"

#define STATE_MAX_EXEC_NAMES 32 /* the last slot collects the rest as "other" */
#define STATE_MAX_DENY 96	/* >= sc_deny_count() */
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
	uint64_t allowed;  /* the gate let it continue after checking the path */
	uint64_t denied;   /* EPERM */
	uint64_t deferred; /* path unreadable: continued, Landlock decides */
};

enum http_code_slot {
	HTTP_SLOT_200,
	HTTP_SLOT_400,
	HTTP_SLOT_404,
	HTTP_SLOT_405,
	HTTP_SLOT_408,
	HTTP_SLOT_413,
	HTTP_SLOT_503,
	HTTP_SLOTS
};

struct init_state {
	uint64_t start_ns; /* CLOCK_MONOTONIC at start */
	/* model verification */
	struct model_stat models[POLICY_MAX_MODELS];
	size_t nmodels;
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
	/* the exec gate and the deny list */
	struct exec_stat exec[STATE_MAX_EXEC_NAMES];
	size_t nexec;
	uint64_t denied[STATE_MAX_DENY]; /* indexed like sc_deny_name() */
	uint64_t log_suppressed;
	/* the server */
	pid_t server_pid;
	int server_up;
	uint64_t server_starts;
	uint64_t reaped;
	/* signals */
	uint64_t signals_forwarded;
	uint64_t signals_ignored;
	/* the HTTP listener */
	uint64_t http[HTTP_SLOTS];
	uint64_t http_rejected; /* connections refused: too many open */
	uint64_t http_timeouts;
};

#endif
