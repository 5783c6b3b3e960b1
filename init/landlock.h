/*
 * landlock.h: confine the server's file system and TCP access, best effort
 * by the kernel's Landlock ABI, with the result reported for the log.
 *
 * Reads stay unrestricted.  Writes (create, remove, rename, truncate) are
 * allowed only beneath the policy's writable paths; execution only of the
 * listed files; device nodes can never be created.  TCP bind/connect are
 * limited to the policy's ports when it lists them (ABI 4), and abstract
 * UNIX sockets and signals are scoped to the server (ABI 6), so it cannot
 * signal ward-init.  Denials after the exec are sent to the audit log
 * (ABI 7).
 */
#ifndef WARD_INIT_LANDLOCK_H
#define WARD_INIT_LANDLOCK_H

#include <stdint.h>

#include "policy.h"

struct landlock_result {
	int abi;	  /* 0: Landlock unavailable */
	int enforced;	  /* a ruleset was applied */
	int net_enforced; /* the policy's TCP rules are in force */
	int scoped;	  /* signal and abstract-socket scoping */
	uint64_t fs_handled;
	uint64_t net_handled;
	int rules;
	int skipped; /* listed paths that do not exist */
};

/* landlock_abi(): the kernel's Landlock ABI version, 0 when unavailable. */
int landlock_abi(void);

/* landlock_apply(p, exec_files, r): build and enforce the ruleset on the
 * calling thread (no_new_privs must be set).  exec_files lists every file
 * the server may execute.  -1 when the kernel refuses a rule, or when the
 * policy requires Landlock (landlock.required) and part of it cannot be
 * enforced on this kernel; r says what was done either way. */
int landlock_apply(const struct policy *p, const struct ward_strv *exec_files,
		   struct landlock_result *r);

/* landlock_confine(allow_reads): a ruleset with no rules at all for the
 * calling thread (no_new_privs must be set): no file writes, creation or
 * execution, no reads either unless allow_reads, no TCP bind or connect,
 * signals and abstract sockets scoped.  For ward-init's own children (the
 * model verifier, the HTTP helper).  0 also when the kernel has no
 * Landlock. */
int landlock_confine(int allow_reads);
/* landlock_confine_with(allow_reads, read_dirs, n, connect_port): the same,
 * but files beneath each of read_dirs may be read, and TCP connect to
 * connect_port (when not 0) is allowed.  For the HTTP helper's endpoint
 * guard (its key file, the server's metrics file, its upstream). */
int landlock_confine_with(int allow_reads, const char *const *read_dirs, size_t n,
			  uint16_t connect_port);

#endif
