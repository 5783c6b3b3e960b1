/* audit.c: hardening findings for any image, from the SBOM catalog's file
 * index and the few files copied out (facts.c).  The rules are data: each
 * has an id, a severity, the points it costs and why it matters
 * (docs/ward-audit.md). */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check_internal.h"
#include "deb/deb.h"
#include "vuln/vuln.h"

struct rule {
	const char *id;
	int severity;
	int penalty;
	const char *title;
	const char *why; /* the explanation's second half */
};

static const struct rule rules[] = {
	{"shell", AUDIT_CRITICAL, 25, "shells present",
	 "an attacker with code execution gets an interactive shell and scripting"},
	{"package-manager", AUDIT_HIGH, 15, "package managers present",
	 "an attacker can install tools into the running container"},
	{"compiler", AUDIT_HIGH, 10, "compilers or linkers present",
	 "an attacker can build exploits and implants inside the container"},
	{"debugger", AUDIT_HIGH, 10, "debuggers or tracers present",
	 "they read other processes' memory: model weights, keys, requests"},
	{"network-tool", AUDIT_MEDIUM, 5, "network tools present",
	 "they make downloading tools and exfiltrating weights a one-liner"},
	{"setuid", AUDIT_HIGH, 15, "setuid files",
	 "each one is a path to root for any process in the container"},
	{"setgid", AUDIT_MEDIUM, 5, "setgid files", "each one runs with a group the caller lacks"},
	{"world-writable", AUDIT_MEDIUM, 8, "world-writable files or directories",
	 "any user can replace or plant content there"},
	{"world-writable-sticky", AUDIT_LOW, 2, "world-writable sticky directories not declared",
	 "scratch space nobody declared; a read-only root would catch writes there"},
	{"root-user", AUDIT_HIGH, 15, "runs as root",
	 "the default user is uid 0: a container escape starts with root"},
	{"secret", AUDIT_CRITICAL, 20, "files that look like secrets",
	 "private keys and credentials in an image are readable by everyone who pulls it"},
	{"test-key", AUDIT_LOW, 2, "private keys shipped as a package's test data",
	 "published test keys, not secrets, but nothing a server needs"},
	{"writable-model", AUDIT_HIGH, 10, "model files writable at run time",
	 "the server's user can alter the weights it serves"},
	{"unsigned-model", AUDIT_MEDIUM, 5, "model files without a signature",
	 "nothing proves the weights are the ones that were trained and reviewed"},
	{"device-node", AUDIT_MEDIUM, 5, "device nodes in the image",
	 "device files in an image bypass the runtime's device policy"},
	{"vulnerable-critical", AUDIT_CRITICAL, 0, "packages with critical vulnerabilities",
	 "known, exploitable flaws of the highest severity"},
	{"vulnerable-high", AUDIT_HIGH, 0, "packages with high-severity vulnerabilities",
	 "known flaws an attacker can look up"},
	{"vulnerable-medium", AUDIT_LOW, 0, "packages with medium-severity vulnerabilities",
	 "known flaws, lower impact"},
	{"no-healthcheck", AUDIT_LOW, 3, "no healthcheck",
	 "neither a HEALTHCHECK nor ward-init's /healthz: failures go unnoticed"},
	{"no-exec-confinement", AUDIT_LOW, 3, "no exec confinement",
	 "PID 1 is not ward-init: the server may start any program in the image"},
	{"unowned-files", AUDIT_INFO, 0, "files no package accounts for",
	 "their origin and license cannot be traced"},
	{"not-scanned", AUDIT_INFO, 0, "vulnerabilities not checked",
	 "no vulnerability store was given (--db)"},
};

static const char *const bin_dirs[] = {"usr/bin/", "bin/",	     "usr/sbin/",
				       "sbin/",	   "usr/local/bin/", "usr/local/sbin/"};

/* Names the distroless table (lib/deb/policy.c) does not list. */
static const struct {
	const char *glob;
	const char *category;
} extra_commands[] = {
	{"sh", "shell"},
	{"ash", "shell"},
	{"rbash", "shell"},
	{"apk", "package manager"},
	{"yum", "package manager"},
	{"dnf", "package manager"},
	{"microdnf", "package manager"},
	{"zypper", "package manager"},
	{"conda", "package manager"},
	{"mamba", "package manager"},
	{"easy_install*", "package manager"},
	{"gem", "package manager"},
	{"yarn", "package manager"},
	{"perf", "debugger"},
	{"bpftrace", "debugger"},
	{"curl", "network tool"},
	{"wget", "network tool"},
	{"nc", "network tool"},
	{"nc.*", "network tool"},
	{"netcat", "network tool"},
	{"ncat", "network tool"},
	{"socat", "network tool"},
	{"ssh", "network tool"},
	{"scp", "network tool"},
	{"sftp", "network tool"},
	{"telnet", "network tool"},
	{"ftp", "network tool"},
	{"tftp", "network tool"},
	{"rsync", "network tool"},
	{"nmap", "network tool"},
	{"tcpdump", "network tool"},
	{"ping", "network tool"},
	{"ip", "network tool"},
	{"ifconfig", "network tool"},
	{"ss", "network tool"},
	{"netstat", "network tool"},
};

static const char *const model_exts[] = {".safetensors", ".gguf", ".onnx", ".pt",
					 ".pth",	 ".ckpt", ".h5",   ".tflite"};

const char *
audit_command_category(const char *path)
{
	const char *base = strrchr(path, '/');
	const char *cat;
	char *abs;
	int in_bin = 0;

	for (size_t i = 0; i < sizeof(bin_dirs) / sizeof(*bin_dirs); i++)
		in_bin |= ward_str_startswith(path, bin_dirs[i]) &&
			  strchr(path + strlen(bin_dirs[i]), '/') == NULL;
	base = base ? base + 1 : path;
	/* /usr/bin/ld.so is glibc's dynamic loader, not the linker that the
	 * distroless table's "ld.*" means */
	if (in_bin && strcmp(base, "ld.so") == 0)
		return NULL;
	if ((abs = ward_asprintf("/%s", path)) == NULL)
		return NULL;
	cat = deb_forbidden_file(abs);
	free(abs);
	if (cat != NULL || !in_bin)
		return cat;
	for (size_t i = 0; i < sizeof(extra_commands) / sizeof(*extra_commands); i++)
		if (fnmatch(extra_commands[i].glob, base, 0) == 0)
			return extra_commands[i].category;
	return NULL;
}

const char *
audit_severity_name(int s)
{
	static const char *names[] = {"info", "low", "medium", "high", "critical"};
	return s >= 0 && s <= AUDIT_CRITICAL ? names[s] : "unknown";
}

const char *
audit_category_name(int c)
{
	static const char *names[] = {"models", "frameworks", "cuda", "python", "os"};
	return c >= 0 && c < AUDIT_NCAT ? names[c] : "unknown";
}

const struct audit_finding *
audit_find(const struct audit_report *r, const char *id)
{
	for (size_t i = 0; i < r->nfindings; i++)
		if (strcmp(r->findings[i].id, id) == 0)
			return &r->findings[i];
	return NULL;
}

static const struct rule *
rule_of(const char *id)
{
	for (size_t i = 0; i < sizeof(rules) / sizeof(*rules); i++)
		if (strcmp(rules[i].id, id) == 0)
			return &rules[i];
	return NULL;
}

/* The finding for id, created on first use. */
static struct audit_finding *
finding(struct audit_report *r, const char *id)
{
	const struct rule *ru = rule_of(id);
	struct audit_finding *f;

	for (size_t i = 0; i < r->nfindings; i++)
		if (strcmp(r->findings[i].id, id) == 0)
			return &r->findings[i];
	if (ward_vec_grow(&r->findings, r->nfindings, sizeof(*r->findings)) != 0)
		return NULL;
	f = &r->findings[r->nfindings++];
	memset(f, 0, sizeof(*f));
	f->id = ru->id;
	f->severity = ru->severity;
	f->penalty = ru->penalty;
	f->title = ru->title;
	return f;
}

/* add_evidence(r, id, text, abs): count one more match of rule id and
 * list text ("/" + text when abs) while there is room. */
static int
add_evidence(struct audit_report *r, const char *id, const char *text, int abs)
{
	struct audit_finding *f = finding(r, id);

	if (f == NULL)
		return -1;
	f->count++;
	if (f->paths.n >= AUDIT_MAX_EVIDENCE)
		return 0;
	return ward_strv_push_owned(&f->paths,
				    abs ? ward_asprintf("/%s", text) : ward_strdup(text));
}

static int
is_declared_writable(const struct audit_report *r, const char *path)
{
	for (size_t i = 0; i < r->writable.n; i++) {
		const char *w = r->writable.v[i] + (r->writable.v[i][0] == '/');
		size_t wl = strlen(w);
		if (strncmp(path, w, wl) == 0 && (path[wl] == '\0' || path[wl] == '/'))
			return 1;
	}
	return 0;
}

static int
has_model_ext(const char *path)
{
	for (size_t i = 0; i < sizeof(model_exts) / sizeof(*model_exts); i++)
		if (ward_str_endswith(path, model_exts[i]))
			return 1;
	return 0;
}

static const char *const cuda_prefixes[] = {
	"libcuda",	 "libcudart", "libcublas", "libcufft",	  "libcurand", "libcusparse",
	"libcusolver",	 "libcudnn",  "libcupti",  "libnccl",	  "libnvrtc",  "libnvjitlink",
	"libnvToolsExt", "libnvidia", "libnvblas", "libcutensor",
};
static const char *const framework_dists[] = {
	"torch",      "torchvision", "torchaudio",   "tensorflow", "jax",	 "jaxlib",
	"onnx",	      "onnxruntime", "transformers", "vllm",	   "triton",	 "numpy",
	"scipy",      "sklearn",     "keras",	     "xformers",   "flash_attn", "sentencepiece",
	"tokenizers", "safetensors", "caffe2",	     "functorch",  "accelerate", "huggingface_hub",
};
static const char *const framework_debs[] = {
	"python3-torch*", "libtorch*",	     "python3-numpy*", "python3-scipy*", "libopenblas*",
	"libblas*",	  "liblapack*",	     "libdnnl*",       "libonnx*",	 "libsleef*",
	"libfbgemm*",	  "libgloo*",	     "libtensorpipe*", "libxnnpack*",	 "libpytorch*",
	"libprotobuf*",	  "libgfortran*",    "libgomp*",       "libnnpack*",	 "libqnnpack*",
	"libcpuinfo*",	  "libpthreadpool*", "libfxdiv*",      "libonednn*",	 "libtbb*",
};

static int
match_any(const char *s, const char *const *globs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fnmatch(globs[i], s, 0) == 0)
			return 1;
	return 0;
}

static int
category_of(const struct sbom_catalog *c, const struct sbom_file *e)
{
	const struct sbom_component *o = e->owner >= 0 ? &c->comps[e->owner] : NULL;
	const char *base = strrchr(e->path, '/');
	const char *pk;

	base = base ? base + 1 : e->path;
	if ((o && (o->kind == SBOM_KIND_MODEL || o->kind == SBOM_KIND_MODEL_FILE)) ||
	    has_model_ext(e->path) || ward_str_startswith(e->path, "models/"))
		return AUDIT_CAT_MODELS;
	for (size_t i = 0; i < sizeof(cuda_prefixes) / sizeof(*cuda_prefixes); i++)
		if (ward_str_startswith(base, cuda_prefixes[i]))
			return AUDIT_CAT_CUDA;
	if (ward_str_startswith(e->path, "usr/local/cuda") || strstr(e->path, "/cuda/") ||
	    strstr(e->path, "/nvidia/"))
		return AUDIT_CAT_CUDA;
	if ((pk = strstr(e->path, "-packages/")) != NULL) {
		pk += strlen("-packages/");
		for (size_t i = 0; i < sizeof(framework_dists) / sizeof(*framework_dists); i++) {
			size_t l = strlen(framework_dists[i]);
			if (strncmp(pk, framework_dists[i], l) == 0 &&
			    (pk[l] == '/' || pk[l] == '-' || pk[l] == '.'))
				return AUDIT_CAT_FRAMEWORKS;
		}
	}
	if (o && o->kind == SBOM_KIND_DEB &&
	    match_any(o->name, framework_debs, sizeof(framework_debs) / sizeof(*framework_debs)))
		return AUDIT_CAT_FRAMEWORKS;
	if ((o && o->kind == SBOM_KIND_PYTHON) || ward_str_startswith(e->path, "usr/lib/python") ||
	    ward_str_startswith(e->path, "usr/local/lib/python") ||
	    ward_str_startswith(base, "libpython") || ward_str_startswith(base, "python") ||
	    (o && o->kind == SBOM_KIND_DEB &&
	     (ward_str_startswith(o->name, "python3") ||
	      ward_str_startswith(o->name, "libpython"))))
		return AUDIT_CAT_PYTHON;
	return AUDIT_CAT_OS;
}

/* A private key or credentials, judging by name and, when copied, content. */
static const char *
secret_reason(const struct check_facts *f, const struct sbom_file *e)
{
	const char *base = strrchr(e->path, '/');
	struct ward_buf b = {0};
	const char *why = NULL;
	int content;

	base = base ? base + 1 : e->path;
	if (!check_secret_name(e->path))
		return NULL;
	content = check_facts_read(f, e->path, 8u << 20, &b) == 0;
	ward_err_clear();
	if (content && b.len > 0 && memmem(b.data, b.len, "PRIVATE KEY-----", 16) != NULL)
		why = "private key";
	else if (fnmatch("*.pem", base, 0) == 0 || fnmatch("*.crt", base, 0) == 0 ||
		 fnmatch("*.key", base, 0) == 0 || fnmatch("*.p12", base, 0) == 0 ||
		 fnmatch("*.pfx", base, 0) == 0)
		why = NULL; /* certificates and public keys are fine; unreadable ones are
			       judged by content only */
	else if (fnmatch("id_*", base, 0) == 0 && !ward_str_endswith(base, ".pub"))
		why = "SSH private key";
	else if (ward_str_endswith(base, ".pub") || strstr(e->path, "/.ssh/known_hosts") ||
		 strstr(e->path, "/.ssh/authorized_keys"))
		why = NULL;
	else if (strstr(e->path, ".env") != NULL)
		why = "environment file";
	else
		why = "credentials";
	ward_buf_free(&b);
	return why;
}

/* A key a Debian or Python package ships in a test directory: upstream's
 * published test fixtures (python3-future ships several). */
static int
test_data(const struct sbom_catalog *c, const struct sbom_file *e)
{
	const struct sbom_component *o = e->owner >= 0 ? &c->comps[e->owner] : NULL;

	return o != NULL && (o->kind == SBOM_KIND_DEB || o->kind == SBOM_KIND_PYTHON) &&
	       (strstr(e->path, "/test/") || strstr(e->path, "/tests/") ||
		strstr(e->path, "/testing/") || strstr(e->path, "/testdata/"));
}

static int
file_rules(const struct check_facts *f, struct audit_report *r)
{
	const struct sbom_catalog *c = f->cat;
	long long uid = r->uid;

	for (size_t i = 0; i < c->fs.n; i++) {
		const struct sbom_file *e = &c->fs.files[i];
		const char *cat;
		int rc = 0;

		r->entries++;
		if (e->type == SBOM_REG || e->type == SBOM_SYMLINK) {
			if ((cat = audit_command_category(e->path)) != NULL) {
				const char *id = strcmp(cat, "shell") == 0 ? "shell"
						 : strcmp(cat, "package manager") == 0
							 ? "package-manager"
						 : strcmp(cat, "compiler") == 0 ? "compiler"
						 : strcmp(cat, "debugger") == 0 ? "debugger"
										: "network-tool";
				rc |= add_evidence(r, id, e->path, 1);
			}
		}
		if (e->type == SBOM_CHAR || e->type == SBOM_BLOCK)
			rc |= add_evidence(r, "device-node", e->path, 1);
		if (e->type == SBOM_REG) {
			const char *why;
			int cg = category_of(c, e);
			r->files++;
			r->bytes += e->size;
			r->cat_bytes[cg] += e->size;
			r->cat_files[cg]++;
			if (e->mode & S_ISUID)
				rc |= add_evidence(r, "setuid", e->path, 1);
			if (e->mode & S_ISGID)
				rc |= add_evidence(r, "setgid", e->path, 1);
			if ((e->mode & S_IWOTH) && !is_declared_writable(r, e->path))
				rc |= add_evidence(r, "world-writable", e->path, 1);
			if ((why = secret_reason(f, e)) != NULL) {
				char *ev = ward_asprintf("/%s (%s)", e->path, why);
				rc |= ev ? add_evidence(r, test_data(c, e) ? "test-key" : "secret",
							ev, 0)
					 : -1;
				free(ev);
			}
			if (cg == AUDIT_CAT_MODELS && ((e->mode & (S_IWGRP | S_IWOTH)) ||
						       (uid > 0 && (long long)e->uid == uid)))
				rc |= add_evidence(r, "writable-model", e->path, 1);
			if (e->owner >= 0 && c->comps[e->owner].kind == SBOM_KIND_MODEL_FILE)
				rc |= add_evidence(r, "unsigned-model", e->path, 1);
		}
		if (e->type == SBOM_DIR && (e->mode & S_IWOTH) && !is_declared_writable(r, e->path))
			rc |= add_evidence(
				r, (e->mode & S_ISVTX) ? "world-writable-sticky" : "world-writable",
				e->path, 1);
		if (rc != 0)
			return -1;
	}
	return 0;
}

static int
vuln_rules(const struct check_facts *f, const struct audit_opts *o, struct audit_report *r)
{
	struct vuln_pkglist pkgs = {0};
	struct vuln_report vr = {0};
	struct vuln_db *db = NULL;
	struct ward_strv seen = {0};
	int rc = -1;

	if (o->db == NULL) {
		struct audit_finding *fd = finding(r, "not-scanned");
		return fd ? 0 : -1;
	}
	if ((db = vuln_db_open(o->db, VULN_DB_READ)) == NULL ||
	    vuln_pkglist_from_catalog(f->cat, &pkgs) != 0 || vuln_scan(db, &pkgs, &vr) != 0)
		goto out;
	r->scanned = 1;
	for (size_t i = 0; i < vr.nfindings; i++) {
		const struct vuln_finding *v = &vr.findings[i];
		const char *id = v->severity == VULN_SEV_CRITICAL ? "vulnerable-critical"
				 : v->severity == VULN_SEV_HIGH	  ? "vulnerable-high"
				 : v->severity == VULN_SEV_MEDIUM ? "vulnerable-medium"
								  : NULL;
		char *ev;
		if (v->severity >= 0 && v->severity <= VULN_SEV_CRITICAL)
			r->vulns[v->severity]++;
		if (v->owner && !ward_strv_contains(&seen, v->owner)) {
			if (ward_strv_push(&seen, v->owner) != 0)
				goto out;
		}
		if (id == NULL)
			continue;
		ev = ward_asprintf("%s %s (%s)", v->owner ? v->owner : v->package,
				   v->owner_version ? v->owner_version : v->version, v->id);
		if (ev == NULL || add_evidence(r, id, ev, 0) != 0) {
			free(ev);
			goto out;
		}
		free(ev);
	}
	r->vulnerable_packages = seen.n;
	rc = 0;
out:
	ward_strv_free(&seen);
	vuln_report_free(&vr);
	vuln_pkglist_free(&pkgs);
	vuln_db_close(db);
	return rc;
}

static int
finding_cmp(const void *a, const void *b)
{
	const struct audit_finding *x = a, *y = b;

	if (x->severity != y->severity)
		return y->severity - x->severity;
	return strcmp(x->id, y->id);
}

/* Penalties that grow with the count, capped. */
static int
scaled_penalty(const struct audit_finding *f)
{
	if (strcmp(f->id, "vulnerable-critical") == 0)
		return (int)(f->count * 5 > 25 ? 25 : f->count * 5);
	if (strcmp(f->id, "vulnerable-high") == 0)
		return (int)(f->count * 2 > 15 ? 15 : f->count * 2);
	if (strcmp(f->id, "vulnerable-medium") == 0)
		return f->count > 0 ? 2 : 0;
	return f->penalty;
}

static int
explain(struct audit_finding *f)
{
	const struct rule *ru = rule_of(f->id);
	struct ward_buf b = {0};

	if (strcmp(f->id, "root-user") == 0 || strcmp(f->id, "no-healthcheck") == 0 ||
	    strcmp(f->id, "no-exec-confinement") == 0 || strcmp(f->id, "not-scanned") == 0)
		ward_buf_printf(&b, "%s", ru->why);
	else if (f->paths.n > 0)
		ward_buf_printf(&b, "%zu found (%s%s): %s", f->count, f->paths.v[0],
				f->count > 1 ? ", ..." : "", ru->why);
	else
		ward_buf_printf(&b, "%zu found: %s", f->count, ru->why);
	f->explanation = ward_buf_steal(&b); /* NULL when an append failed */
	return f->explanation != NULL ? 0 : -1;
}

int
audit_from_facts(const struct check_facts *f, const struct audit_opts *o, struct audit_report *r)
{
	const struct sbom_catalog *c = f->cat;
	const char *entry0;
	int penalty = 0;

	if ((r->target = ward_strdup(f->target)) == NULL ||
	    (r->kind = ward_strdup(f->rootfs ? "rootfs" : oci_image_kind_name(f->img->kind))) ==
		    NULL ||
	    (c->name && (r->name = ward_strdup(c->name)) == NULL) ||
	    (c->digest && (r->digest = ward_strdup(c->digest)) == NULL))
		return -1;
	r->uid = -1;
	if (f->img != NULL) {
		const struct oci_config *cfg = &f->img->cfg;
		if ((r->user = ward_strdup(cfg->user ? cfg->user : "")) == NULL)
			return -1;
		for (size_t i = 0; i < cfg->entrypoint.n; i++)
			if (ward_strv_push(&r->entrypoint, cfg->entrypoint.v[i]) != 0)
				return -1;
		for (size_t i = 0; i < cfg->cmd.n; i++)
			if (ward_strv_push(&r->entrypoint, cfg->cmd.v[i]) != 0)
				return -1;
		for (size_t i = 0; i < cfg->env.n; i++)
			if (ward_strv_push(&r->env, cfg->env.v[i]) != 0)
				return -1;
		for (size_t i = 0; i < cfg->ports.n; i++)
			if (ward_strv_push(&r->ports, cfg->ports.v[i]) != 0)
				return -1;
		r->healthcheck = cfg->healthcheck != NULL;
		r->layers = f->img->nlayers;
		for (size_t i = 0; i < f->img->nlayers; i++)
			r->compressed += f->img->layers[i].blob.size;
		if (check_user_uid(f, r->user, &r->uid) != 0)
			r->uid = -1;
	}
	if (f->policy != NULL) {
		json_t *w = json_object_get(f->policy, "writable"), *v;
		size_t i;
		r->policy = json_incref(f->policy);
		json_array_foreach(w, i,
				   v) if (json_is_string(v) &&
					  ward_strv_push(&r->writable, json_string_value(v)) !=
						  0) return -1;
		/* ward-init switches to the policy's user when started as root */
		if (r->uid == 0 && json_integer_value(json_object_get(f->policy, "uid")) > 0)
			r->uid = json_integer_value(json_object_get(f->policy, "uid"));
	}
	entry0 = r->entrypoint.n > 0 ? r->entrypoint.v[0] : "";
	r->ward_image = f->has_policy_file && strcmp(entry0, "/ward/init") == 0;
	for (size_t i = 0; i < c->ncomps; i++) {
		int k = c->comps[i].kind;
		r->debs += k == SBOM_KIND_DEB;
		r->pythons += k == SBOM_KIND_PYTHON;
		r->models += k == SBOM_KIND_MODEL || k == SBOM_KIND_MODEL_FILE;
	}
	r->unowned = c->counts.unowned;
	if (file_rules(f, r) != 0)
		return -1;
	if (f->img != NULL && r->uid == 0 && finding(r, "root-user") == NULL)
		return -1;
	if (f->img != NULL && !r->healthcheck &&
	    !(r->ward_image && f->policy && !json_is_null(json_object_get(f->policy, "metrics"))) &&
	    finding(r, "no-healthcheck") == NULL)
		return -1;
	if (f->img != NULL && !r->ward_image && finding(r, "no-exec-confinement") == NULL)
		return -1;
	for (size_t i = 0; i < c->counts.unowned && i < AUDIT_MAX_EVIDENCE; i++)
		if (add_evidence(r, "unowned-files", c->fs.files[c->unowned[i]].path, 1) != 0)
			return -1;
	if (c->counts.unowned > AUDIT_MAX_EVIDENCE) {
		struct audit_finding *fd = finding(r, "unowned-files");
		if (fd == NULL)
			return -1;
		fd->count = c->counts.unowned;
	}
	if (vuln_rules(f, o, r) != 0)
		return -1;
	for (size_t i = 0; i < r->nfindings; i++) {
		r->findings[i].penalty = scaled_penalty(&r->findings[i]);
		penalty += r->findings[i].penalty;
		ward_strv_sort(&r->findings[i].paths);
		if (explain(&r->findings[i]) != 0)
			return -1;
	}
	qsort(r->findings, r->nfindings, sizeof(*r->findings), finding_cmp);
	r->score = penalty >= 100 ? 0 : 100 - penalty;
	r->grade[0] = r->score >= 90   ? 'A'
		      : r->score >= 75 ? 'B'
		      : r->score >= 60 ? 'C'
		      : r->score >= 40 ? 'D'
				       : 'F';
	return 0;
}

int
audit_image(const char *target, const struct audit_opts *o, struct audit_report *out)
{
	struct check_facts f;
	int rc;

	memset(out, 0, sizeof(*out));
	if (check_facts_load(target, o->threads, o->policy, o->progress, &f) != 0) {
		check_facts_free(&f);
		return -1;
	}
	rc = audit_from_facts(&f, o, out);
	check_facts_free(&f);
	return rc;
}

void
audit_report_free(struct audit_report *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nfindings; i++) {
		free(r->findings[i].explanation);
		ward_strv_free(&r->findings[i].paths);
	}
	free(r->findings);
	free(r->target);
	free(r->kind);
	free(r->name);
	free(r->digest);
	free(r->user);
	ward_strv_free(&r->writable);
	ward_strv_free(&r->entrypoint);
	ward_strv_free(&r->env);
	ward_strv_free(&r->ports);
	json_decref(r->policy);
	memset(r, 0, sizeof(*r));
}
