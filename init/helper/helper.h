/*
 * helper.h: ward-init's unprivileged helper, the only process of ward-init
 * that reads bytes from the network.  PID 1 forks it before the server
 * starts; it keeps no capability, sets no_new_privs and memory-deny-write-
 * execute, confines itself with Landlock (no file access at all, no TCP
 * bind or connect, signals and abstract sockets scoped) and a seccomp
 * allow-list (anything else kills it), and serves /metrics and /healthz on
 * the listener PID 1 opened.  PID 1 restarts it when it dies (counted in
 * ward_helper_restarts_total); the listener stays open meanwhile.
 *
 * What it knows comes from PID 1 one way: a shared page (struct
 * init_state) PID 1 writes and the helper maps read-only (the memfd is
 * sealed against writable mappings), and an eventfd pair: the helper asks
 * for a fresh /proc sample of the server (ask_fd), PID 1 answers (done_fd)
 * after writing it into the page.  PID 1 reads nothing but that counter.
 *
 * The module boundary for more services (issue 19's endpoint guard): a
 * service is a listener plus an event handler registered in helper_main()'s
 * loop (see serve.h for the metrics one: serve_new/serve_event/
 * serve_timeout_ms/serve_expire), and whatever it may do beyond the base
 * allow-list is declared in struct helper_sandbox, which PID 1 fills from
 * the policy before the fork; the helper confines itself to exactly that.
 * Today it carries extra syscalls; a service that must read files (API
 * key files) or connect (the upstream server) adds the matching Landlock
 * rules there (read paths, TCP connect ports, through landlock_confine's
 * ruleset), so a new service cannot widen the sandbox without saying so.
 */
#ifndef WARD_INIT_HELPER_H
#define WARD_INIT_HELPER_H

#include <sys/types.h>

#include "policy.h"
#include "state.h"

#define HELPER_MAX_SYSCALLS 32
#define HELPER_MAX_READ_DIRS 4
/* The helper's exit status when the endpoint guard cannot start (its key
 * file, certificate or key is missing or bad): PID 1 stops, it does not
 * restart the helper. */
#define HELPER_EXIT_CONFIG 78

struct guard_policy;

/* What the helper's services need beyond the metrics listener.  Each
 * widening is listed here, filled by PID 1 from the policy. */
struct helper_sandbox {
	int syscalls[HELPER_MAX_SYSCALLS]; /* allowed in addition to the base list */
	size_t nsyscalls;
	/* socket(2): allowed only for these families (bits 1 << AF_*), stream
	 * sockets only; 0: socket(2) is not allowed */
	unsigned socket_families;
	/* Landlock: directories the helper may read files beneath (the API key
	 * file's, the server's metrics file's) and the one TCP port it may
	 * connect to (the guard's upstream; 0: none) */
	const char *read_dirs[HELPER_MAX_READ_DIRS];
	size_t nread_dirs;
	uint16_t connect_port;
};

struct helper_conf {
	int listen_fd; /* the metrics listener; -1: none */
	/* the endpoint guard (docs/ward-guard.md), or guard NULL: its public
	 * listener, the pipe its audit lines go to (PID 1 wraps them in its own
	 * lines), and the eventfd PID 1 writes when it gets SIGHUP (reload the
	 * API keys) */
	const struct guard_policy *guard;
	int guard_fd, log_fd, reload_fd;
	int state_fd;		     /* sealed memfd of struct init_state */
	struct init_state *state_rw; /* PID 1's writable mapping: unmapped in the helper */
	int ask_fd;		     /* eventfd: the helper asks PID 1 for a sample */
	int done_fd;		     /* eventfd: PID 1 has written one */
	const struct helper_sandbox *sandbox;
};

/* helper_spawn(c): fork the helper; its pid, or -1 (logged). */
pid_t helper_spawn(const struct helper_conf *c);

/* helper_state_new(fd): the shared page, mapped read-write, zeroed, sealed
 * against growing, shrinking and new writable mappings; *fd receives the
 * memfd (close-on-exec).  NULL on failure. */
struct init_state *helper_state_new(int *fd);

#endif
