/* cmd_deploy.c: ward deploy podman|docker|k8s|seccomp — configurations that
 * keep an image's hardening.  ward-init's policy parser and seccomp rules
 * are linked in (init/), so the policy is read and the profile derived by
 * the code ward-init itself runs. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "crypto/crypto.h"
#include "deploy/deploy.h"
#include "oci/oci.h"
#include "seccomp_bpf.h"

static const char help[] =
	"usage: ward deploy podman|docker IMAGE [options]\n"
	"       ward deploy k8s IMAGE --ref REGISTRY/REPOSITORY [options]\n"
	"       ward deploy seccomp IMAGE [-o FILE]\n"
	"\n"
	"Write what runs IMAGE (an OCI layout DIR[:TAG] or a docker-archive) without\n"
	"losing its hardening, from what the image says: its config, ward-init's\n"
	"/ward/policy.json (user, writable paths, models, metrics address) and the\n"
	"dev.ward.deploy.* labels (memory, pids, cpus).\n"
	"\n"
	"  podman, docker  the run command: read-only root, no capabilities,\n"
	"                  no-new-privileges, ward's seccomp profile, size-limited\n"
	"                  noexec tmpfs for the writable paths, models mounted\n"
	"                  read-only, the user, published ports, limits\n"
	"  k8s             Deployment + Service + a NetworkPolicy admitting ingress\n"
	"                  to the image's ports only (+ egress NetworkPolicy,\n"
	"                  + admission policies); the pod passes the restricted\n"
	"                  Pod Security Standard\n"
	"  seccomp         ward's OCI seccomp profile (allow list, EPERM otherwise,\n"
	"                  never weaker than ward-init's own filter)\n"
	"\n"
	"  --name NAME             container and object name (default: from the image)\n"
	"  --ref REPO[:TAG]        registry/repository the image is pushed to; it is\n"
	"                          then run as REPO@<manifest digest>\n"
	"  --digest DIGEST         the pushed manifest digest, when it differs\n"
	"  --user UID[:GID]        run as this user (default: the policy's, else the\n"
	"                          image's; root is refused)\n"
	"  --memory SIZE           memory limit, e.g. 2G (swap gets none)\n"
	"  --pids N                process limit (podman, docker)\n"
	"  --cpus N                CPU limit, e.g. 2 or 1.5 or 500m\n"
	"  --tmpfs-size [PATH=]SIZE  size of the writable path(s) (default 64M)\n"
	"  --writable PATH[=SIZE]  one more writable path\n"
	"  --model PATH=SOURCE     mount SOURCE read-only at the policy's model PATH:\n"
	"                          a host directory or volume (podman, docker), a\n"
	"                          PersistentVolumeClaim (k8s)\n"
	"  -o, --output FILE       write there (atomically) instead of stdout\n"
	"      --json              machine-readable output\n"
	"podman, docker:\n"
	"  --seccomp FILE          where to write ward's profile for the command\n"
	"                          (default ./NAME-seccomp.json)\n"
	"  --no-seccomp            keep the engine's default profile\n"
	"  --publish HOSTPORT:PORT publish PORT on HOSTPORT (default: the same)\n"
	"  --host-ip ADDR          publish on ADDR (default 127.0.0.1; \"\" = all)\n"
	"k8s:\n"
	"  --namespace NS          namespace of the objects\n"
	"  --replicas N            (default 1)\n"
	"  --seccomp-localhost P   use ward's profile installed on the nodes as\n"
	"                          <kubelet seccomp dir>/P (default RuntimeDefault)\n"
	"  --deny-egress           a NetworkPolicy that denies all egress\n"
	"  --any-ingress           no NetworkPolicy limiting ingress to the image's\n"
	"                          ports (logged)\n"
	"  --key PUB               cosign public key: adds a policy-controller\n"
	"                          ClusterImagePolicy and a Kyverno ClusterPolicy\n"
	"  --startup-seconds N     time for model verification (default 600)\n"
	"\n"
	"Exit codes: 0 ok, 2 bad input (or an image that would run as root, a model\n"
	"with nothing to mount), 3 environment.\n";

enum {
	OPT_NAME = 256,
	OPT_REF,
	OPT_DIGEST,
	OPT_USER,
	OPT_MEMORY,
	OPT_PIDS,
	OPT_CPUS,
	OPT_TMPFS,
	OPT_WRITABLE,
	OPT_MODEL,
	OPT_JSON,
	OPT_SECCOMP,
	OPT_NO_SECCOMP,
	OPT_PUBLISH,
	OPT_HOST_IP,
	OPT_NAMESPACE,
	OPT_REPLICAS,
	OPT_LOCALHOST,
	OPT_DENY_EGRESS,
	OPT_ANY_INGRESS,
	OPT_KEY,
	OPT_STARTUP
};

struct deploy_args {
	int what; /* DEPLOY_PODMAN, DEPLOY_DOCKER, 'k', 's' */
	const char *image, *name, *ref, *digest, *user, *memory, *pids, *cpus, *output;
	const char *seccomp, *host_ip, *namespace_, *localhost, *key;
	struct ward_strv tmpfs, writable, models, publish;
	int json, no_seccomp, deny_egress, any_ingress, replicas, startup;
};

static int
parse_int(const char *s, int lo, int hi, int *out, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < lo || v > hi)
		return ward_err(WARD_EINPUT, "%s %s: expected a number from %d to %d", what, s, lo,
				hi);
	*out = (int)v;
	return 0;
}

static int
parse(int argc, char **argv, struct deploy_args *a)
{
	static const struct option opts[] = {
		{"name", required_argument, NULL, OPT_NAME},
		{"ref", required_argument, NULL, OPT_REF},
		{"digest", required_argument, NULL, OPT_DIGEST},
		{"user", required_argument, NULL, OPT_USER},
		{"memory", required_argument, NULL, OPT_MEMORY},
		{"pids", required_argument, NULL, OPT_PIDS},
		{"cpus", required_argument, NULL, OPT_CPUS},
		{"tmpfs-size", required_argument, NULL, OPT_TMPFS},
		{"writable", required_argument, NULL, OPT_WRITABLE},
		{"model", required_argument, NULL, OPT_MODEL},
		{"output", required_argument, NULL, 'o'},
		{"json", no_argument, NULL, OPT_JSON},
		{"seccomp", required_argument, NULL, OPT_SECCOMP},
		{"no-seccomp", no_argument, NULL, OPT_NO_SECCOMP},
		{"publish", required_argument, NULL, OPT_PUBLISH},
		{"host-ip", required_argument, NULL, OPT_HOST_IP},
		{"namespace", required_argument, NULL, OPT_NAMESPACE},
		{"replicas", required_argument, NULL, OPT_REPLICAS},
		{"seccomp-localhost", required_argument, NULL, OPT_LOCALHOST},
		{"deny-egress", no_argument, NULL, OPT_DENY_EGRESS},
		{"any-ingress", no_argument, NULL, OPT_ANY_INGRESS},
		{"key", required_argument, NULL, OPT_KEY},
		{"startup-seconds", required_argument, NULL, OPT_STARTUP},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c, k8s_only = 0, run_only = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		struct ward_strv *sv = NULL;
		switch (c) {
		case OPT_NAME:
			a->name = optarg;
			break;
		case OPT_REF:
			a->ref = optarg;
			break;
		case OPT_DIGEST:
			a->digest = optarg;
			break;
		case OPT_USER:
			a->user = optarg;
			break;
		case OPT_MEMORY:
			a->memory = optarg;
			break;
		case OPT_PIDS:
			a->pids = optarg;
			break;
		case OPT_CPUS:
			a->cpus = optarg;
			break;
		case OPT_TMPFS:
			sv = &a->tmpfs;
			break;
		case OPT_WRITABLE:
			sv = &a->writable;
			break;
		case OPT_MODEL:
			sv = &a->models;
			break;
		case 'o':
			a->output = optarg;
			break;
		case OPT_JSON:
			a->json = 1;
			break;
		case OPT_SECCOMP:
			a->seccomp = optarg;
			run_only = 1;
			break;
		case OPT_NO_SECCOMP:
			a->no_seccomp = 1;
			run_only = 1;
			break;
		case OPT_PUBLISH:
			sv = &a->publish;
			run_only = 1;
			break;
		case OPT_HOST_IP:
			a->host_ip = optarg;
			run_only = 1;
			break;
		case OPT_NAMESPACE:
			a->namespace_ = optarg;
			k8s_only = 1;
			break;
		case OPT_REPLICAS:
			if (parse_int(optarg, 1, 10000, &a->replicas, "--replicas") != 0)
				return cli_fail();
			k8s_only = 1;
			break;
		case OPT_LOCALHOST:
			a->localhost = optarg;
			k8s_only = 1;
			break;
		case OPT_DENY_EGRESS:
			a->deny_egress = 1;
			k8s_only = 1;
			break;
		case OPT_ANY_INGRESS:
			a->any_ingress = 1;
			k8s_only = 1;
			break;
		case OPT_KEY:
			a->key = optarg;
			k8s_only = 1;
			break;
		case OPT_STARTUP:
			if (parse_int(optarg, 1, 86400, &a->startup, "--startup-seconds") != 0)
				return cli_fail();
			k8s_only = 1;
			break;
		case 'h':
			return -1;
		default:
			return cli_usage("deploy", "invalid option");
		}
		if (sv != NULL && ward_strv_push(sv, optarg) != 0)
			return cli_fail();
	}
	if (optind + 1 != argc)
		return cli_usage("deploy", "expected one IMAGE");
	a->image = argv[optind];
	if (k8s_only && a->what != 'k')
		return cli_usage("deploy",
				 "--namespace, --replicas, --seccomp-localhost, "
				 "--deny-egress, --any-ingress, --key and --startup-seconds "
				 "are for k8s");
	if (run_only && a->what != DEPLOY_PODMAN && a->what != DEPLOY_DOCKER)
		return cli_usage("deploy", "--seccomp, --no-seccomp, --publish and --host-ip are "
					   "for podman and docker");
	if (a->seccomp && a->no_seccomp)
		return cli_usage("deploy", "--seccomp and --no-seccomp exclude each other");
	return 0;
}

/* "A=B" into A and B (A may be absent when optional). */
static int
split_eq(const char *s, char **left, const char **right, const char *what, int need_left)
{
	const char *eq = strchr(s, '=');

	*left = NULL;
	*right = s;
	if (eq == NULL)
		return need_left ? ward_err(WARD_EINPUT, "%s %s: expected PATH=VALUE", what, s) : 0;
	if ((*left = ward_strndup(s, (size_t)(eq - s))) == NULL)
		return -1;
	*right = eq + 1;
	return 0;
}

static int
parse_port(const char *s, uint16_t *out, const char *what)
{
	int v = 0;

	if (parse_int(s, 1, 65535, &v, what) != 0)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

/* Options over what the image says. */
static int
apply_options(struct deploy_args *a, struct deploy_target *t)
{
	size_t i;

	if (a->name && deploy_set_name(t, a->name) != 0)
		return -1;
	if (a->ref && deploy_set_repository(t, a->ref, a->digest) != 0)
		return -1;
	if (!a->ref && a->digest)
		return ward_err(WARD_EINPUT, "--digest needs --ref");
	if (a->user && deploy_set_user(t, a->user) != 0)
		return -1;
	if (a->memory && deploy_parse_quantity(a->memory, 0, &t->memory, "--memory") != 0)
		return -1;
	if (a->cpus && deploy_parse_quantity(a->cpus, 1, &t->cpu_milli, "--cpus") != 0)
		return -1;
	if (a->pids) {
		int n = 0;
		if (parse_int(a->pids, 1, 4194304, &n, "--pids") != 0)
			return -1;
		t->pids = (uint64_t)n;
	}
	for (i = 0; i < a->writable.n; i++) {
		char *path;
		const char *size;
		uint64_t v = DEPLOY_TMPFS_DEFAULT;
		int rc = split_eq(a->writable.v[i], &path, &size, "--writable", 0);
		if (rc == 0 && path != NULL)
			rc = deploy_parse_quantity(size, 0, &v, "--writable");
		if (rc == 0)
			rc = deploy_add_writable(t, path ? path : size, v);
		free(path);
		if (rc != 0)
			return -1;
	}
	for (i = 0; i < a->tmpfs.n; i++) {
		char *path;
		const char *size;
		uint64_t v;
		int rc = split_eq(a->tmpfs.v[i], &path, &size, "--tmpfs-size", 0);
		if (rc == 0)
			rc = deploy_parse_quantity(size, 0, &v, "--tmpfs-size");
		if (rc == 0)
			rc = deploy_set_writable_size(t, path, v);
		free(path);
		if (rc != 0)
			return -1;
	}
	for (i = 0; i < a->models.n; i++) {
		char *path;
		const char *src;
		int rc = split_eq(a->models.v[i], &path, &src, "--model", 1);
		if (rc == 0)
			rc = deploy_set_model_source(t, path, src);
		free(path);
		if (rc != 0)
			return -1;
	}
	for (i = 0; i < a->publish.n; i++) {
		const char *s = a->publish.v[i], *colon = strchr(s, ':');
		char *host = colon ? ward_strndup(s, (size_t)(colon - s)) : NULL;
		uint16_t hp, p;
		int rc = colon == NULL	? ward_err(WARD_EINPUT,
						   "--publish %s: expected "
						    "HOSTPORT:PORT",
						   s)
			 : host == NULL ? -1
					: 0;
		if (rc == 0)
			rc = parse_port(host, &hp, "--publish");
		if (rc == 0)
			rc = parse_port(colon + 1, &p, "--publish");
		if (rc == 0)
			rc = deploy_set_host_port(t, p, hp);
		free(host);
		if (rc != 0)
			return -1;
	}
	return 0;
}

static json_t *
seccomp_profile(const struct deploy_target *t)
{
	struct sc_params sp = {
		.net_udp = t->net.udp, .net_unix = t->net.unix_, .net_netlink = t->net.netlink};
	json_t *init = sc_oci_profile(&sp), *prof;

	if (init == NULL) {
		ward_err(WARD_EENV, "seccomp: ward-init's profile: out of memory");
		return NULL;
	}
	prof = deploy_seccomp_profile(init, t->arch, &t->net);
	json_decref(init);
	return prof;
}

/* Write text to -o FILE or stdout. */
static int
emit(const struct deploy_args *a, const char *text)
{
	if (a->output != NULL)
		return ward_file_write(a->output, text, strlen(text), 0644);
	if (fputs(text, stdout) == EOF || fflush(stdout) != 0)
		return ward_errno(WARD_EENV, "stdout");
	return 0;
}

static int
emit_json(const struct deploy_args *a, const json_t *j)
{
	char *s = ward_json_dump(j, 1);
	int rc = s ? emit(a, s) : -1;

	free(s);
	return rc;
}

static int
run_command(struct deploy_args *a, struct deploy_target *t)
{
	struct deploy_run_opts o = {.engine = a->what, .host_ip = a->host_ip};
	struct ward_strv argv = {0};
	char *profile_path = NULL, *line = NULL, *abs = NULL;
	json_t *prof = NULL;
	int rc = -1;

	if (!a->no_seccomp) {
		profile_path = a->seccomp ? ward_strdup(a->seccomp)
					  : ward_asprintf("%s-seccomp.json", t->name);
		if (profile_path == NULL || (prof = seccomp_profile(t)) == NULL)
			goto out;
		/* The engine resolves the path at run time: make it absolute. */
		if (profile_path[0] != '/') {
			char cwd[PATH_MAX];
			if (getcwd(cwd, sizeof(cwd)) == NULL) {
				ward_errno(WARD_EENV, "getcwd");
				goto out;
			}
			abs = ward_path_join(cwd, profile_path);
		} else {
			abs = ward_strdup(profile_path);
		}
		if (abs == NULL)
			goto out;
		o.seccomp = abs;
	}
	if (deploy_run_argv(t, &o, &argv) != 0 || (line = deploy_shell_join(&argv)) == NULL)
		goto out;
	if (prof != NULL && ward_json_write_file(profile_path, prof, 1) != 0)
		goto out;
	if (a->json) {
		json_t *args = json_array(), *j;
		for (size_t i = 0; i < argv.n; i++)
			json_array_append_new(args, json_string(argv.v[i]));
		j = json_pack("{s:s,s:s,s:o,s:s,s:o}", "engine",
			      a->what == DEPLOY_DOCKER ? "docker" : "podman", "image",
			      argv.v[argv.n - 1], "argv", args, "command", line, "seccomp",
			      abs ? json_string(abs) : json_null());
		rc = emit_json(a, j);
		json_decref(j);
	} else {
		char *nl = ward_asprintf("%s\n", line);
		rc = nl ? emit(a, nl) : -1;
		free(nl);
	}
	if (rc == 0 && abs != NULL)
		ward_info("wrote the seccomp profile to %s", abs);
out:
	json_decref(prof);
	ward_strv_free(&argv);
	free(profile_path);
	free(abs);
	free(line);
	return rc;
}

static int
k8s(struct deploy_args *a, struct deploy_target *t)
{
	struct deploy_k8s_opts o = {.namespace_ = a->namespace_,
				    .replicas = a->replicas ? a->replicas : 1,
				    .seccomp_localhost = a->localhost,
				    .deny_egress = a->deny_egress,
				    .any_ingress = a->any_ingress,
				    .startup_seconds = a->startup ? a->startup
								  : DEPLOY_STARTUP_SECONDS_DEFAULT};
	struct ward_key *k = NULL;
	char *pem = NULL, *yaml = NULL;
	json_t *docs = NULL;
	int rc = -1;

	if (a->namespace_ != NULL) {
		char label[DEPLOY_NAME_MAX + 1];
		deploy_dns_label(a->namespace_, label);
		if (strcmp(label, a->namespace_) != 0)
			return ward_err(WARD_EINPUT, "--namespace %s: expected a DNS-1123 label",
					a->namespace_);
	}
	if (a->localhost != NULL &&
	    (*a->localhost == '\0' || *a->localhost == '/' || strstr(a->localhost, "..") != NULL))
		return ward_err(WARD_EINPUT,
				"--seccomp-localhost %s: expected a path relative to the "
				"kubelet's seccomp directory",
				a->localhost);
	if (a->key != NULL) {
		if ((k = key_load_public(a->key)) == NULL || (pem = key_public_pem(k)) == NULL)
			goto out;
		o.public_key_pem = pem;
	}
	if ((docs = deploy_k8s(t, &o)) == NULL)
		goto out;
	if (a->json) {
		json_t *j = json_pack("{s:O}", "documents", docs);
		rc = emit_json(a, j);
		json_decref(j);
	} else {
		rc = (yaml = deploy_yaml_dump(docs)) ? emit(a, yaml) : -1;
	}
out:
	key_free(k);
	free(pem);
	free(yaml);
	json_decref(docs);
	return rc;
}

int
cmd_deploy(int argc, char **argv)
{
	struct deploy_args a = {0};
	struct deploy_target t = {0};
	struct oci_image *img = NULL;
	struct ward_progress *pr;
	int rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return argc < 2 ? cli_usage("deploy", "expected podman, docker, k8s or seccomp")
				: cli_help(help);
	if (strcmp(argv[1], "podman") == 0)
		a.what = DEPLOY_PODMAN;
	else if (strcmp(argv[1], "docker") == 0)
		a.what = DEPLOY_DOCKER;
	else if (strcmp(argv[1], "k8s") == 0 || strcmp(argv[1], "kubernetes") == 0)
		a.what = 'k';
	else if (strcmp(argv[1], "seccomp") == 0)
		a.what = 's';
	else
		return cli_usage("deploy", "unknown target \"%s\" (podman, docker, k8s, seccomp)",
				 argv[1]);
	rc = parse(argc - 1, argv + 1, &a);
	if (rc != 0)
		goto done;
	if ((img = oci_image_open(a.image, NULL)) == NULL) {
		rc = cli_fail();
		goto done;
	}
	pr = ward_progress_new("reading image", 0, 1);
	rc = deploy_target_from_image(img, cli_init_policy, pr, &t);
	ward_progress_done(pr);
	if (rc == 0 && !t.ward_image)
		ward_warn("%s: no /ward/policy.json: not a ward image, so only its config is used",
			  a.image);
	if (rc == 0)
		rc = apply_options(&a, &t);
	if (rc == 0) {
		if (a.what == 's') {
			json_t *prof = seccomp_profile(&t);
			rc = prof ? emit_json(&a, prof) : -1;
			json_decref(prof);
		} else if (a.what == 'k') {
			rc = k8s(&a, &t);
		} else {
			rc = run_command(&a, &t);
		}
	}
	rc = rc == 0 ? 0 : cli_fail();
done:
	if (rc < 0)
		rc = cli_help(help);
	deploy_target_free(&t);
	oci_image_close(img);
	ward_strv_free(&a.tmpfs);
	ward_strv_free(&a.writable);
	ward_strv_free(&a.models);
	ward_strv_free(&a.publish);
	return rc;
}
