/*
 * harden.h: the process-level steps of ward-init's start: no core dumps,
 * non-dumpable, user switch, capabilities, no_new_privs, and the checks
 * that the root file system and the model mounts are read-only.
 */
#ifndef WARD_INIT_HARDEN_H
#define WARD_INIT_HARDEN_H

#include <stdint.h>
#include <sys/types.h>

#include "policy.h"
#include "state.h"

#define CAP_BIT(c) (1ULL << (c))

/* harden_no_dumps(): RLIMIT_CORE 0 (soft and hard) and PR_SET_DUMPABLE 0. */
int harden_no_dumps(void);

/* harden_readonly(p, landlock_abi, st): statvfs "/" and every model path;
 * refuse (-1, WARD_EENV) or warn as the policy says.  A model is
 * "protected" when Landlock works and no writable path covers it. */
int harden_readonly(const struct policy *p, int landlock_abi, struct init_state *st);

/* harden_switch_user(uid, gid, keep): when running as root, clear the
 * supplementary groups and switch to uid/gid, keeping the capabilities in
 * the mask keep (only those we hold).  Not root: nothing to switch (a
 * different uid than the policy's is logged).  -1 when a switch fails. */
int harden_switch_user(uid_t uid, gid_t gid, uint64_t keep);

/* harden_drop_caps(keep): empty the bounding and ambient sets where we may,
 * and set effective = permitted = keep (inheritable empty); then set
 * no_new_privs.  -1 if any capability outside keep remains. */
int harden_drop_caps(uint64_t keep);

/* harden_caps_held(): the permitted set of the calling thread. */
uint64_t harden_caps_held(void);

/* harden_readable_by_self(path): 1 when the calling process may read path
 * (then a server exec'd from it stays dumpable), 0 when not. */
int harden_readable_by_self(const char *path);

#endif
