/* check_internal.h: what the files of lib/check share. */
#ifndef WARD_CHECK_INTERNAL_H
#define WARD_CHECK_INTERNAL_H

#include "check/check.h"
#include "oci/oci.h"
#include "sbom/sbom.h"

/* ------------------------------------------------------------ image facts */

/* An image (or root filesystem) read once for the audit and the matrix. */
struct check_facts {
	char *target;
	int rootfs;		  /* 1: target is a directory */
	struct oci_image *img;	  /* NULL for a root filesystem */
	struct sbom_catalog *cat; /* files, owners, packages */
	char *scratch;		  /* our temporary directory (NULL for a rootfs) */
	char *root;		  /* where the contents of "wanted" files can be read:
				     scratch/root, or the root filesystem itself */
	json_t *policy;		  /* effective ward-init policy, or NULL */
	char *policy_error;	  /* why /ward/policy.json could not be used */
	int has_policy_file;
};

/* check_facts_load(target, threads, policy, progress, f): catalog the
 * target and copy /ward, /etc/passwd, /etc/group, secret-looking files and
 * the model directories into f->scratch.  Release with
 * check_facts_free(), which removes the scratch directory. */
int check_facts_load(const char *target, int threads, check_policy_fn policy,
		     struct ward_progress *progress, struct check_facts *f);
void check_facts_free(struct check_facts *f);
/* check_facts_path(f, rel): where to read rel ("etc/passwd") on disk;
 * caller frees. */
char *check_facts_path(const struct check_facts *f, const char *rel);
/* check_facts_read(f, rel, max, out): its contents (a WARD_EINPUT error
 * when absent). */
int check_facts_read(const struct check_facts *f, const char *rel, size_t max,
		     struct ward_buf *out);

/* Secret-looking names (also used to pick files to copy). */
int check_secret_name(const char *path);
/* check_user_uid(f, user, uid): resolve a config User ("", "root", "65532",
 * "nonroot:nonroot", "1000:1000") through the image's /etc/passwd; 0 and
 * *uid set, or -1 (no error recorded) when it cannot be resolved. */
int check_user_uid(const struct check_facts *f, const char *user, long long *uid);

/* audit_from_facts(f, o, out): the audit of facts already loaded. */
int audit_from_facts(const struct check_facts *f, const struct audit_opts *o,
		     struct audit_report *out);
/* The basename rules: category of a command name in a bin directory. */
const char *audit_command_category(const char *path);

/* ------------------------------------------------------------ processes */

struct check_proc {
	int status; /* exit code, 128+N when killed by signal N, -1 not run */
	int timed_out;
	struct ward_buf out, err; /* captured, bounded */
	double ms;
};
/* check_run(argv, timeout_ms, r): run argv (PATH searched), stdin from
 * /dev/null, capturing stdout and stderr (each up to 8 MiB).  0 when it
 * ran (any status), -1 when it could not start (WARD_EENV).  Free r with
 * check_proc_free(). */
int check_run(const struct ward_strv *argv, int timeout_ms, struct check_proc *r);
void check_proc_free(struct check_proc *r);
/* check_runv(timeout_ms, r, arg0, ...): the same with a NULL-terminated list. */
int check_runv(int timeout_ms, struct check_proc *r, const char *arg0, ...)
	__attribute__((sentinel));

/* ------------------------------------------------------------ HTTP */

struct check_http {
	long code; /* HTTP status, 0 when no answer */
	struct ward_buf body;
	double ms;
	char error[160];
};
/* check_http_request(url, body, len, netns_pid, timeout_ms, r): GET (body
 * NULL) or POST.  With netns_pid > 0 the request is made from inside that
 * process's network namespace (a forked child that setns()es; needs the
 * privilege to).  0 when a response came back, -1 otherwise (r->error). */
int check_http_request(const char *url, const void *body, size_t len, int netns_pid, int timeout_ms,
		       struct check_http *r);
void check_http_free(struct check_http *r);
/* check_tcp_connect(host, port, netns_pid, timeout_ms): 0 when a TCP
 * connection is accepted. */
int check_tcp_connect(const char *host, int port, int timeout_ms);

/* ------------------------------------------------------------ matrix */

/* The checks in order: their ids, groups, required flags and
 * descriptions (matrix.c). */
struct check_def {
	const char *id;
	int group;
	int required;
	const char *description;
	/* where public benchmarks ask the same, comma-separated, or NULL:
	 * CIS Docker Benchmark v1.6 §4/§5 ids, dockle rule ids, Kubernetes Pod
	 * Security Standards (restricted, which includes baseline) fields */
	const char *cis, *dockle, *pss;
};
const struct check_def *check_defs(size_t *n);
/* check_set(m, id, result, fmt, ...): record the result of check id. */
void check_set(struct check_matrix *m, const char *id, int result, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* check_value(m, id, value, unit): attach a measurement. */
void check_value(struct check_matrix *m, const char *id, double value, const char *unit);
/* check_skip_rest(m, prefix, why): every check whose id starts with prefix
 * and has no result yet is skipped with why. */
void check_skip_rest(struct check_matrix *m, const char *prefix, const char *why);
/* check_matrix_init(m): every check, not run yet. */
int check_matrix_init(struct check_matrix *m);
int check_matrix_finish(struct check_matrix *m); /* -1 when m->failed */
/* check_text(m, b): b's text for evidence; "" and m->failed set when an
 * append to b failed (sticky ward_buf error), so the run fails. */
const char *check_text(struct check_matrix *m, struct ward_buf *b);

/* static.c / runtime.c, hygiene.c, guardcheck.c */
void check_static(const struct check_facts *f, const struct check_opts *o, struct check_matrix *m);
void check_hygiene(const struct check_facts *f, struct check_matrix *m);
void check_guard_static(const struct check_facts *f, struct check_matrix *m);
/* ward-init's secure defaults in the effective policy (policycheck.c). */
void check_policy_defaults(const struct check_facts *f, struct check_matrix *m);
void check_runtime(const struct check_facts *f, const struct check_opts *o, struct check_matrix *m);

/* The probe run as the server in a Python image (runtime.c). */
extern const char check_probe_py[];

#endif
