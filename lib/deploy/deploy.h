/*
 * deploy: run an image without losing its hardening.  From any image (OCI
 * layout or docker-archive) ward writes the exact podman/docker run
 * command, Kubernetes manifests (Deployment, Service, optional egress-deny
 * NetworkPolicy, and admission policies that verify the image signature
 * with sigstore policy-controller or Kyverno) and an OCI seccomp profile
 * consistent with ward-init's in-process filter.
 *
 * The flow: deploy_target_from_image() reads what the image says (config,
 * /ward/policy.json, /etc/passwd), the caller adjusts it with the
 * deploy_set_* functions (command-line options), then one of the writers
 * turns it into a configuration.  Everything written is deterministic: the
 * same image and options give the same bytes.
 *
 * This part does not parse ward-init's policy itself: the caller hands in
 * a function that turns the policy file into the EFFECTIVE policy (every
 * field present, defaults filled in, as `ward-init --check-policy` prints
 * it), so the policy is read by exactly the code ward-init runs.  Likewise
 * the seccomp profile is derived from ward-init's own deny rules, passed in
 * as the OCI profile ward-init prints (`ward-init --print-seccomp-profile`).
 *
 * Errors follow core.h: a bad image or option is WARD_EINPUT, I/O trouble
 * WARD_EENV; messages name the image, path or option.
 */
#ifndef WARD_DEPLOY_H
#define WARD_DEPLOY_H

#include <stdint.h>

#include "core/core.h"
#include "oci/oci.h"

#define DEPLOY_NAME_MAX 63		   /* a DNS-1123 label */
#define DEPLOY_TMPFS_DEFAULT (64ull << 20) /* size of each writable path */
#define DEPLOY_METRICS_PORT_DEFAULT 9090   /* when the policy's is loopback */
#define DEPLOY_STARTUP_SECONDS_DEFAULT 600 /* model verification may be slow */
#define DEPLOY_FILE_MAX (1u << 20)	   /* policy, passwd, group */

/* Labels an image may carry (ward build writes them from ward.yaml). */
#define DEPLOY_LABEL_MEMORY "dev.ward.deploy.memory" /* bytes, or 512M / 2Gi */
#define DEPLOY_LABEL_PIDS "dev.ward.deploy.pids"     /* a count */
#define DEPLOY_LABEL_CPUS "dev.ward.deploy.cpus"     /* "1.5" or "1500m" */

enum deploy_engine { DEPLOY_PODMAN = 1, DEPLOY_DOCKER };

/* A path the server may write: a size-limited tmpfs (podman/docker, with
 * noexec,nosuid,nodev) or a memory-backed emptyDir (Kubernetes). */
struct deploy_writable {
	char *path;
	uint64_t size;
	/* The directory the image has there, if any: runc gives a tmpfs the
	 * mode of the directory under it, whatever mode= says. */
	int in_image;
	uint32_t image_mode;
	uint64_t image_uid, image_gid;
};

/* A model of the policy.  in_image: the path exists in the image (baked
 * in; nothing to mount).  source: what to mount there read-only — a host
 * directory or volume name (podman/docker), a PersistentVolumeClaim name
 * (Kubernetes); NULL when none was given. */
struct deploy_model {
	char *path;
	char *source;
	int in_image;
};

struct deploy_port {
	uint16_t port;
	uint16_t host_port; /* podman/docker -p; default: the same number */
	char proto[4];	    /* "tcp" or "udp" */
};

/* The socket kinds the image's policy allows beyond TCP (its network:). */
struct deploy_net {
	int udp, unix_, netlink;
};

/*
 * What to run and how, as read from the image and adjusted by options.
 * Every string is owned (deploy_target_free).
 */
struct deploy_target {
	char *name;				  /* DNS-1123 label */
	char *image_path;			  /* as opened */
	char *repository;			  /* registry/repository, or NULL */
	char *tag;				  /* tag given with the repository, or NULL */
	char manifest_digest[OCI_DIGEST_LEN + 1]; /* "" for a docker-archive */
	char config_digest[OCI_DIGEST_LEN + 1];	  /* the image ID */
	char *arch;				  /* OCI architecture: amd64, arm64 */
	uint32_t uid, gid;			  /* 0: root, which the writers refuse */
	char *user_note;			  /* why uid is 0 (the image's user), or NULL */
	int ward_image;				  /* 1: /ward/policy.json is in the image */
	struct ward_strv entrypoint, cmd;
	struct deploy_port *ports;
	size_t nports;
	struct deploy_writable *writable;
	size_t nwritable;
	struct deploy_model *models;
	size_t nmodels;
	char *metrics;		    /* ward-init's metrics address, or NULL when off */
	uint16_t metrics_port;	    /* its port (0 when off) */
	uint16_t metrics_host_port; /* podman/docker -p for it; 0: the same */
	int metrics_loopback;	    /* 1: reachable only inside the container */
	uint64_t memory;	    /* bytes; 0: no limit */
	uint64_t pids;		    /* 0: no limit */
	uint64_t cpu_milli;	    /* thousandths of a CPU; 0: no limit */
	struct deploy_net net;	    /* the policy's network: (seccomp profile) */
};

/* deploy_policy_fn(data, len, what): the effective policy for a policy
 * file's bytes, or NULL with the error recorded (what names the file). */
typedef json_t *(*deploy_policy_fn)(const void *data, size_t len, const char *what);

/* deploy_target_from_image(img, policy, progress, out): read the config,
 * /ward/policy.json (through policy; NULL treats the image as not a ward
 * image), /etc/passwd and /etc/group when the user is a name, and which
 * model paths the image holds.  What the writers cannot use — a root
 * user, a model neither in the image nor given a source — is refused by
 * the writers, so options can still fix it.  progress may be NULL.
 * Release out with deploy_target_free() whatever the result. */
int deploy_target_from_image(struct oci_image *img, deploy_policy_fn policy,
			     struct ward_progress *progress, struct deploy_target *out);
void deploy_target_free(struct deploy_target *t);

/* Adjustments (command-line options); each checks what it names exists. */
/* deploy_set_user(t, spec): "UID[:GID]" (numbers only). */
int deploy_set_user(struct deploy_target *t, const char *spec);
/* deploy_set_name(t, name): must be a DNS-1123 label. */
int deploy_set_name(struct deploy_target *t, const char *name);
/* deploy_set_repository(t, ref, digest): "registry/repository[:tag]"
 * where the image is pushed; digest (or NULL) replaces the manifest digest
 * (a registry that re-compressed the layers, a docker-archive). */
int deploy_set_repository(struct deploy_target *t, const char *ref, const char *digest);
/* deploy_set_writable_size(t, path, size): path NULL sets every path. */
int deploy_set_writable_size(struct deploy_target *t, const char *path, uint64_t size);
/* deploy_add_writable(t, path, size): one more writable path (a non-ward
 * image has none but those given). */
int deploy_add_writable(struct deploy_target *t, const char *path, uint64_t size);
/* deploy_set_model_source(t, path, source): mount source read-only at the
 * model path (which must be one of the policy's models). */
int deploy_set_model_source(struct deploy_target *t, const char *path, const char *source);
/* deploy_set_host_port(t, port, host_port): publish port (exposed, or
 * ward-init's metrics port when it is not loopback) on host_port. */
int deploy_set_host_port(struct deploy_target *t, uint16_t port, uint16_t host_port);
/* deploy_parse_quantity(s, milli, out, what): "268435456", "256M", "256Mi",
 * "2G", "2Gi" (powers of 1024 either way) into bytes; with milli, a CPU
 * count "1.5", "2" or "1500m" into thousandths. */
int deploy_parse_quantity(const char *s, int milli, uint64_t *out, const char *what);
/* deploy_apply_labels(t, labels): memory, pids and cpus from the image's
 * dev.ward.deploy.* labels (the CLI applies its flags afterwards). */
int deploy_apply_labels(struct deploy_target *t, const json_t *labels);

/* ------------------------------------------------------------ podman/docker */

struct deploy_run_opts {
	int engine;	     /* enum deploy_engine */
	const char *seccomp; /* profile path for --security-opt seccomp=, or NULL */
	const char *host_ip; /* address ports are published on ("" = every address) */
};

/* deploy_run_argv(t, o, argv): the run command, argv[0] the engine.  A
 * model that is neither in the image nor given a source is WARD_EINPUT. */
int deploy_run_argv(const struct deploy_target *t, const struct deploy_run_opts *o,
		    struct ward_strv *argv);
/* deploy_image_ref(t): what the engine runs: repository@digest, else
 * repository:tag, else the image ID "sha256:<config>".  Caller frees. */
char *deploy_image_ref(const struct deploy_target *t);

/* deploy_shell_quote(s): s as one POSIX shell word (single quotes when
 * needed, ' written '\'').  deploy_shell_join(argv): the words joined by
 * spaces.  Caller frees either. */
char *deploy_shell_quote(const char *s);
char *deploy_shell_join(const struct ward_strv *argv);

/* ------------------------------------------------------------ Kubernetes */

struct deploy_k8s_opts {
	const char *namespace_;	       /* NULL: none written (kubectl's current) */
	int replicas;		       /* >= 1 */
	const char *seccomp_localhost; /* kubelet-relative profile path, or NULL:
					  RuntimeDefault */
	int deny_egress;	       /* 1: a NetworkPolicy denying all egress */
	int any_ingress;	       /* 1: no NetworkPolicy limiting ingress to the
					  image's ports (and metrics) */
	int startup_seconds;	       /* how long the startup probe waits */
	const char *public_key_pem;    /* NULL: no admission policies */
};

/* deploy_k8s(t, o): the documents, in order: Deployment, Service (when the
 * image exposes ports), NetworkPolicy for ingress (unless any_ingress),
 * NetworkPolicy (deny_egress), ClusterImagePolicy
 * (policy.sigstore.dev) and Kyverno ClusterPolicy (public_key_pem).  The
 * pod passes the "restricted" Pod Security Standard.  Needs a repository
 * and a manifest digest (images are referenced by digest).  Caller
 * json_decref()s the array. */
json_t *deploy_k8s(const struct deploy_target *t, const struct deploy_k8s_opts *o);

/* ------------------------------------------------------------ seccomp */

/* deploy_seccomp_profile(init_profile, arch, net): an allow-list OCI/Docker
 * seccomp profile (default EPERM) for the image's architecture: the
 * system calls an inference server and ward-init use, minus everything
 * init_profile (ward-init's deny rules) denies, with argument rules at
 * least as strict as ward-init's wherever it restricts by argument; UDP,
 * unix and netlink sockets only as net allows (NULL: none).  Caller
 * json_decref()s. */
json_t *deploy_seccomp_profile(const json_t *init_profile, const char *arch,
			       const struct deploy_net *net);
/* The allow-list before ward-init's denials are taken out (for tests). */
size_t deploy_seccomp_base_count(void);
const char *deploy_seccomp_base_name(size_t i);

/* ------------------------------------------------------------ YAML */

/* deploy_yaml_dump(docs): a JSON array as a YAML stream, one document per
 * element ("---" before each), keys in insertion order, strings quoted
 * whenever a YAML 1.1 or 1.2 reader could take them for anything else,
 * multi-line strings as literal blocks.  Caller frees. */
char *deploy_yaml_dump(const json_t *docs);

/* ------------------------------------------------------------ users */

/* deploy_passwd_lookup(data, len, name, id, what): the id of name in an
 * /etc/passwd or /etc/group file (the third field); 0 found, 1 not found,
 * -1 malformed (WARD_EINPUT naming what and the line). */
int deploy_passwd_lookup(const char *data, size_t len, const char *name, uint32_t *id,
			 const char *what);

/* deploy_dns_label(s, out): s made a DNS-1123 label (lowercase letters,
 * digits and '-', at most 63, alphanumeric at both ends) into
 * out[DEPLOY_NAME_MAX + 1]; "" when nothing usable is left. */
void deploy_dns_label(const char *s, char out[DEPLOY_NAME_MAX + 1]);

#endif
