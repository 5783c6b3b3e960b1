/* runtime_internal.h: what runtime.c and podman.c share. */
#ifndef WARD_CHECK_RUNTIME_INTERNAL_H
#define WARD_CHECK_RUNTIME_INTERNAL_H

#include "check_internal.h"
#include "deploy/deploy.h"

#define PODMAN_TIMEOUT_MS 180000

/* One run of the container checks. */
struct rt {
	const struct check_facts *f;
	const struct check_opts *o;
	struct check_matrix *m;
	struct deploy_target t;
	const char *engine;
	char image_id[OCI_DIGEST_LEN + 1];
	int loaded;
	char base[48];
	struct ward_strv names; /* containers to remove at the end */
	int server_port, server_host_port;
};

/* rt_engine(r, timeout_ms, p, arg, ..., NULL): run podman ARGS (check_run). */
int rt_engine(struct rt *r, int timeout_ms, struct check_proc *p, ...) __attribute__((sentinel));
/* A free TCP port on 127.0.0.1 (0 when none). */
int rt_free_port(void);
/* Captured output trimmed, and its last line; caller frees. */
char *rt_trimmed(const struct ward_buf *b);
char *rt_last_line(const struct ward_buf *b);
/* rt_remove_stale(r): containers and images of killed runs (dead pids). */
void rt_remove_stale(struct rt *r);
/* rt_load_image(r, why): the image into podman's storage (skopeo copy);
 * -1 with *why (caller frees). */
int rt_load_image(struct rt *r, char **why);
/* rt_run_argv(r, suffix, detach, cmd, argv, name): the hardened run line of
 * lib/deploy for container <base>-<suffix>, with fresh host ports; cmd
 * replaces the server (after /ward/init --). */
int rt_run_argv(struct rt *r, const char *suffix, int detach, const struct ward_strv *cmd,
		struct ward_strv *argv, char **name);
int rt_container_pid(struct rt *r, const char *name);
int rt_container_running(struct rt *r, const char *name);
int rt_container_logs(struct rt *r, const char *name, struct check_proc *p);
/* rt_fetch_metrics(r, pid, s, why, save): ward-init's /metrics parsed (and
 * saved when save is set); -1 with *why, -2 when it cannot be read here. */
int rt_fetch_metrics(struct rt *r, int pid, struct check_samples *s, char **why, const char *save);
int rt_init_healthz(struct rt *r, int pid, struct check_http *h);
/* rt_child_of(pid): ward-init's first child (the server), or 0. */
int rt_child_of(int pid);
/* rt_proc_status(pid, field, out, n): a field of /proc/PID/status. */
int rt_proc_status(int pid, const char *field, char *out, size_t n);
/* check_runtime_host(r, name, spid): privileged, namespaces, mounts,
 * devices, published ports and limits of container name (runhost.c). */
void check_runtime_host(struct rt *r, const char *name, int spid);
/* check_guard_runtime(r): the endpoint guard refuses what it must, through
 * its published port (guardrun.c). */
void check_guard_runtime(struct rt *r);

#endif
