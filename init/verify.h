/*
 * verify.h: check every model of the policy against its OMS signature and
 * trusted key (or CA) before anything else runs, with the shared parallel
 * hasher, in a short-lived child process (untrusted bundles and keys are
 * parsed outside PID 1's memory); per-model time and throughput go to the
 * log and the state.
 */
#ifndef WARD_INIT_VERIFY_H
#define WARD_INIT_VERIFY_H

#include "policy.h"
#include "state.h"

/* verify_models(p, st, sfd, stop): 0 when every model verifies; -1 with
 * the first failure recorded (WARD_EVERIFY for a mismatch, missing or extra
 * file, or no answer within the policy's verify_timeout; WARD_EINPUT/
 * WARD_EENV for an unusable key, signature or directory).  Each failing
 * resource is logged.  A termination signal on the signalfd sfd stops it
 * (the child is killed): -1 with *stop set to the signal.  The child runs
 * as the policy's user with no capabilities, no_new_privs and a Landlock
 * domain that allows reading only. */
int verify_models(const struct policy *p, struct init_state *st, int sfd, int *stop);

#endif
