/* deploy_internal.h: helpers shared by the files of lib/deploy. */
#ifndef WARD_DEPLOY_INTERNAL_H
#define WARD_DEPLOY_INTERNAL_H

#include "deploy.h"

/* deploy_check(t): what every writer needs: a non-root user and, for each
 * model not baked into the image, a source to mount.  -1 (WARD_EINPUT)
 * naming the option that fixes it. */
int deploy_check(const struct deploy_target *t);
/* deploy_port_listed(t, port): 1 when the image exposes port. */
int deploy_port_listed(const struct deploy_target *t, uint16_t port);
/* deploy_cpus_decimal(milli): "1.5", "2", "0.25".  Caller frees. */
char *deploy_cpus_decimal(uint64_t milli);
/* deploy_is_shm(path): 1 for /dev/shm, sized by the engine rather than
 * mounted as a tmpfs. */
int deploy_is_shm(const char *path);

/* deploy_admission_policies(t, pem): a sigstore policy-controller
 * ClusterImagePolicy and a Kyverno ClusterPolicy that admit the image's
 * repository only with a cosign signature by the key pem.  Caller
 * json_decref()s the array. */
json_t *deploy_admission_policies(const struct deploy_target *t, const char *pem);

#endif
