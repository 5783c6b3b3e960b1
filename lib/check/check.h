/*
 * check: an image judged, two ways.
 *
 *   audit   hardening findings for ANY image (OCI layout "DIR[:tag]",
 *           oci-archive or docker-archive "FILE[:tag]", or an unpacked root
 *           filesystem): shells, package managers, compilers, debuggers and
 *           network tools (with their paths), setuid/setgid and
 *           world-writable files, a root user, no healthcheck, files that
 *           look like secrets, writable model files, device nodes,
 *           known-vulnerable packages (lib/vuln) and the size by category.
 *           Each finding has a severity, the points it costs (the score is
 *           100 minus their sum, at least 0) and a one-line explanation.
 *   matrix  the test matrix of a ward image (`ward test`): named checks
 *           grouped function / performance / security, each with an id, a
 *           description, a result and evidence, run on the image itself
 *           and, where podman runs, on the image running in a hardened
 *           container (docs/ward-test.md lists every check).
 *
 * Both read the image through lib/sbom (one verified pass over the layers:
 * files, owners, packages) plus one pass that copies the few files whose
 * contents matter (/ward, the model directories, /etc/passwd, files that
 * may hold secrets) into a scratch directory.  Errors follow core.h.
 */
#ifndef WARD_CHECK_H
#define WARD_CHECK_H

#include <stdint.h>
#include <stdio.h>

#include "core/core.h"
#include "crypto/crypto.h"

/* policy(data, len, what): ward-init's effective policy (every field
 * present, as `ward-init --check-policy` prints it) for the bytes of
 * /ward/policy.json, or NULL with the error recorded.  The CLI passes
 * ward-init's own parser (init/policy.c), so the checks read the policy
 * exactly as PID 1 will.  Same type as lib/deploy's deploy_policy_fn. */
typedef json_t *(*check_policy_fn)(const void *data, size_t len, const char *what);

/* ---------------------------------------------------------------- audit */

enum audit_severity { AUDIT_INFO = 0, AUDIT_LOW, AUDIT_MEDIUM, AUDIT_HIGH, AUDIT_CRITICAL };

#define AUDIT_MAX_EVIDENCE 40 /* paths listed per finding (count has them all) */

struct audit_finding {
	const char *id;		/* rule id (static): "shell", "setuid", ... */
	int severity;		/* enum audit_severity */
	int penalty;		/* points taken from the score */
	const char *title;	/* static: "shells present" */
	char *explanation;	/* one line: what was found and why it matters */
	struct ward_strv paths; /* evidence: absolute paths (or package names), sorted */
	size_t count;		/* every match (paths lists the first ones) */
};

/* Size categories of regular files (docs/ward-audit.md says what goes where). */
enum audit_category {
	AUDIT_CAT_MODELS = 0,
	AUDIT_CAT_FRAMEWORKS,
	AUDIT_CAT_CUDA,
	AUDIT_CAT_PYTHON,
	AUDIT_CAT_OS,
	AUDIT_NCAT
};

struct audit_report {
	char *target;	/* as given */
	char *kind;	/* "oci", "oci-archive", "docker-archive", "rootfs" */
	char *name;	/* image name or directory basename */
	char *digest;	/* "sha256:..." manifest digest (config for docker-archive), or NULL */
	char *user;	/* the config's User as written ("" = root); NULL for a rootfs */
	long long uid;	/* resolved through /etc/passwd; -1 when unknown */
	int ward_image; /* /ward/policy.json present and the entrypoint is /ward/init */
	int score;	/* 0..100 */
	char grade[2];	/* "A".."F" */
	struct audit_finding *findings; /* severity descending, then id */
	size_t nfindings;
	uint64_t cat_bytes[AUDIT_NCAT];
	size_t cat_files[AUDIT_NCAT];
	uint64_t bytes;	     /* regular files */
	size_t files;	     /* regular files */
	size_t entries;	     /* every path */
	uint64_t compressed; /* sum of layer blob sizes (images) */
	size_t layers;
	size_t debs, pythons, models, unowned; /* from the SBOM catalog */
	int scanned;			       /* a vulnerability store was given */
	size_t vulns[6];		       /* findings by enum vuln_severity */
	size_t vulnerable_packages;	       /* distinct packages with a finding */
	struct ward_strv writable;	       /* declared writable paths (ward-init policy) */
	json_t *policy;			       /* the effective policy, or NULL */
	struct ward_strv entrypoint;	       /* config Entrypoint + Cmd */
	struct ward_strv env;		       /* config Env */
	struct ward_strv ports;		       /* config ExposedPorts ("8080/tcp") */
	int healthcheck;		       /* the config has a Healthcheck */
};

struct audit_opts {
	int threads;		/* 0: every CPU */
	const char *db;		/* OSV store (lib/vuln) for package findings, or NULL */
	check_policy_fn policy; /* reads /ward/policy.json; NULL: not read */
	struct ward_progress *progress;
};

/* audit_image(target, o, out): audit an image or root filesystem.  *out
 * is filled (release with audit_report_free) even on failure. */
int audit_image(const char *target, const struct audit_opts *o, struct audit_report *out);
void audit_report_free(struct audit_report *r);
/* {"audit":"ward audit v1","target",...,"score","grade","findings":[...],
 *  "sizes":{...},"vulnerabilities":{...}}.  Caller decrefs. */
json_t *audit_report_json(const struct audit_report *r);
/* audit_compare_json(a, b): both reports side by side ("left", "right")
 * with the score difference and, per rule id, each side's count. */
json_t *audit_compare_json(const struct audit_report *a, const struct audit_report *b);
/* A table for people (stdout of `ward audit`). */
int audit_report_table(const struct audit_report *r, FILE *out);
const char *audit_severity_name(int severity);
const char *audit_category_name(int category);
/* audit_find(r, id): the finding with that rule id, or NULL. */
const struct audit_finding *audit_find(const struct audit_report *r, const char *id);

/* ---------------------------------------------------------------- matrix */

enum check_group { CHECK_FUNCTION = 0, CHECK_PERFORMANCE, CHECK_SECURITY };
enum check_result { CHECK_PASS = 0, CHECK_FAIL, CHECK_WARN, CHECK_SKIP };
enum check_runtime { CHECK_RUNTIME_AUTO = 0, CHECK_RUNTIME_OFF, CHECK_RUNTIME_REQUIRED };

struct check_item {
	const char *id;		 /* static, "security.no-shell" */
	int group;		 /* enum check_group */
	int required;		 /* a FAIL fails the matrix */
	const char *description; /* static, one line */
	int result;		 /* enum check_result */
	char *evidence;		 /* what was seen (a line or a few) */
	int has_value;		 /* a measurement: */
	double value;
	const char *unit; /* "ms", "bytes", "MB/s", "%", "count" */
	/* mappings (static, comma-separated ids, or NULL): CIS Docker
	 * Benchmark v1.6, dockle rules, Kubernetes Pod Security (restricted) */
	const char *cis, *dockle, *pss;
};

struct check_matrix {
	char *image;
	char *digest;
	int runtime;	      /* 1: the container checks ran */
	char *runtime_note;   /* why they did not, or the engine used */
	struct check_item *v; /* in the order of docs/ward-test.md */
	size_t n;
	size_t counts[4];	/* by enum check_result */
	size_t required_failed; /* required checks that failed */
	double seconds;
	struct audit_report audit; /* the static facts the checks used */
	int failed;		   /* evidence could not be recorded (out of memory) */
};

struct check_opts {
	int threads;
	check_policy_fn policy;	    /* required for ward images */
	const struct ward_key *key; /* public key: signatures and attestations; NULL: skipped */
	const struct sigstore_opts *keyless; /* or keyless (identity policy, trusted root) */
	const char *bundle;		     /* attestation bundle to check with them, or NULL */
	const char *db;			     /* OSV store: findings need VEX; NULL: skipped */
	const char *vex;		     /* OpenVEX document applied to the findings, or NULL */
	int runtime;			     /* enum check_runtime */
	const char *engine;		     /* "podman" (default) */
	const char *health_path;	     /* server health request path (default /healthz) */
	const char *request_path; /* first-response request: path (default health_path) */
	const char *request_body; /* file POSTed to it (NULL: GET) */
	const char *exec_probe;	  /* a request path that makes the server try to
				     exec; NULL: a probe container (Python servers) */
	double startup_max_ms;	  /* thresholds (0: measured and reported only) */
	double latency_max_ms;
	int startup_timeout_s;	 /* how long the server may take to answer (default 300) */
	int keep_image;		 /* leave the image loaded in podman's storage */
	const char *metrics_out; /* save the running image's /metrics text there, or NULL */
	/* the endpoint guard's built-in profile (JSON text) by name, or NULL:
	 * ward-init's own data (init/profiles), for the guard's runtime checks */
	const char *(*guard_profile)(const char *name);
	struct ward_progress *progress;
};

/* check_image(image, o, out): run the matrix.  0 when it ran (whatever the
 * results: look at out->required_failed), -1 when the image could not be
 * read at all.  Release out with check_matrix_free() in every case. */
int check_image(const char *image, const struct check_opts *o, struct check_matrix *out);
void check_matrix_free(struct check_matrix *m);
/* {"test_report":"ward test v1","image","digest","runtime",...,"summary":{...},
 *  "checks":[{"id","group","required","description","result","evidence",
 *  "value"?,"unit"?}]}.  Caller decrefs. */
json_t *check_matrix_json(const struct check_matrix *m);
/* check_mappings_json(it): {"cis_docker_1.6":[...],"dockle":[...],
 * "k8s_pss_restricted":[...]}.  Caller decrefs. */
json_t *check_mappings_json(const struct check_item *it);
/* JUnit XML: one <testsuite> per group, one <testcase> per check (its
 * mappings as <properties>; failure, skipped, or a warning in
 * system-out).  Caller frees. */
char *check_matrix_junit(const struct check_matrix *m);
int check_matrix_table(const struct check_matrix *m, FILE *out);
const char *check_group_name(int group);
const char *check_result_name(int result);

/* ---------------------------------------------------------------- metrics */

/* One sample of Prometheus text exposition format 0.0.4. */
struct check_sample {
	char *name;
	char *labels; /* canonical: label="value",... in the order given, or "" */
	double value;
};
struct check_samples {
	struct check_sample *v;
	size_t n, cap;
	size_t families; /* # TYPE lines */
};
/* check_metrics_parse(text, len, what, out): parse untrusted exposition
 * text: comments, # HELP / # TYPE lines (known types), samples with
 * escaped label values, values incl. +Inf/-Inf/NaN and an optional
 * timestamp.  Any malformed line is WARD_EINPUT "what:line: ...".
 * Release with check_samples_free(). */
int check_metrics_parse(const char *text, size_t len, const char *what, struct check_samples *out);
void check_samples_free(struct check_samples *s);
/* check_metric_sum(s, name, label_substr): the sum of name's samples whose
 * labels contain label_substr (NULL: all); *found counts them. */
double check_metric_sum(const struct check_samples *s, const char *name, const char *label_substr,
			size_t *found);

/* ---------------------------------------------------------------- probe */

/* check_probe_parse(text, len, out): the exec/write probe's report lines
 * ("WARDPROBE <name> <blocked|open|skipped> <errno>") into an array of
 * {"name","result","errno"} objects.  Other lines are ignored; malformed
 * probe lines are WARD_EINPUT.  Caller decrefs *out. */
int check_probe_parse(const char *text, size_t len, json_t **out);

#endif
