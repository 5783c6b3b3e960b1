/* content.c: what the spec puts in the image besides packages: files:,
 * models: (signed and verified at build), and /ward (ward-init, its policy,
 * the trusted keys, the model signatures); the input checks that run before
 * anything is written; the entrypoint check. */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oms/oms.h"
#include "build/build_internal.h"

/* Never copied from a files: or models: directory. */
static const char *const default_excludes[] = {".git",	  ".gitignore",	 ".gitattributes",
					       ".github", "__pycache__", "*.pyc"};

static const struct ward_yaml_node *
at(const struct ward_yaml_node *n, const char *key)
{
	const struct ward_yaml_node *v = n ? ward_yaml_get(n, key) : NULL;

	return v ? v : n;
}

/* The model's OMS bundle: signature:, else <src>/model.sig, or <src>.sig
 * for a single-file model. */
static char *
model_sig_path(const struct build_model *m)
{
	struct stat st;

	if (m->signature != NULL)
		return ward_strdup(m->signature);
	if (stat(m->src, &st) == 0 && S_ISREG(st.st_mode))
		return ward_asprintf("%s.sig", m->src);
	return ward_path_join(m->src, "model.sig");
}

/* ------------------------------------------------------------ checks */

static int check_policy(struct build_ctx *ctx, const char *text);

/* What the spec alone can tell, before the lock is even read. */
int
build_check_spec(const struct build_spec *s)
{
	const struct ward_yaml_node *pk = ward_yaml_get(s->yaml, "packages");

	if (s->entrypoint.n == 0)
		return ward_yaml_error(s->yaml, "entrypoint: ward build needs the server's argv "
						"(ward runs it as /ward/init -- ARGV)");
	for (size_t i = 0; pk && pk->type == WARD_YAML_SEQUENCE && i < pk->n; i++) {
		const char *v = pk->items[i]->str;
		char name[256];
		const char *cat;
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(v ? v : "", "="), v ? v : "");
		cat = deb_forbidden_package(name);
		if (cat != NULL && !ward_strv_contains(&s->allow, name))
			return ward_yaml_error(pk->items[i],
					       "package %s is forbidden in images (%s, distroless "
					       "policy); list it under allow: to override",
					       name, cat);
	}
	return 0;
}

/* Is path (resolved: symlinks, "..") inside the build context?  As a
 * container build context: a ward.yaml from elsewhere must not copy
 * /etc/shadow or ~/.ssh into an image.  n names the key for the message. */
static int
confined(struct build_ctx *ctx, const struct ward_yaml_node *n, const char *what, const char *path)
{
	char *real = realpath(path, NULL);
	size_t cl = strlen(ctx->context);
	int in;

	if (real == NULL)
		return ward_yaml_error(n, "%s: %s: %s", what, path, strerror(errno));
	in = strcmp(ctx->context, "/") == 0 ||
	     (strncmp(real, ctx->context, cl) == 0 && (real[cl] == '/' || real[cl] == '\0'));
	if (!in)
		ward_yaml_error(n,
				"%s: %s resolves to %s, outside the build context %s (ward.yaml's "
				"directory; ward build --context DIR widens it)",
				what, path, real, ctx->context);
	free(real);
	return in ? 0 : -1;
}

static int
context_dir(struct build_ctx *ctx)
{
	char *dir = ctx->opts->context ? ward_strdup(ctx->opts->context)
				       : ward_dirname(ctx->spec->path);

	if (dir == NULL)
		return -1;
	ctx->context = realpath(dir, NULL);
	if (ctx->context == NULL)
		ward_err_io(dir, "the build context");
	free(dir);
	return ctx->context ? 0 : -1;
}

int
build_check_inputs(struct build_ctx *ctx)
{
	const struct build_spec *s = ctx->spec;
	struct stat st;
	size_t missing = 0;
	const struct deb_lock_pkg *first = NULL;

	if (ctx->context == NULL && context_dir(ctx) != 0)
		return -1;
	for (size_t i = 0; i < s->nfiles; i++)
		if (confined(ctx, at(s->files[i].node, "src"), "files", s->files[i].src) != 0)
			return -1;
	for (size_t i = 0; i < s->nmodels; i++) {
		const struct build_model *m = &s->models[i];
		char *sig;
		int ok;
		if (confined(ctx, at(m->node, "src"), "models", m->src) != 0)
			return -1;
		if (ctx->opts->sign_key != NULL)
			continue;
		if (m->key == NULL && ctx->opts->trust_key == NULL)
			return ward_yaml_error(m->node,
					       "models: %s: no key to trust: pass ward build --key "
					       "to sign it, or give key: (and signature:) of its "
					       "signer",
					       m->name);
		/* key: a public key (only that goes into /ward/keys): may live anywhere */
		if (m->key != NULL && lstat(m->key, &st) != 0)
			return ward_yaml_error(at(m->node, "key"), "models: %s: %s", m->key,
					       strerror(errno));
		sig = model_sig_path(m);
		ok = sig != NULL && lstat(sig, &st) == 0;
		if (ok && confined(ctx, at(m->node, m->signature ? "signature" : "src"), "models",
				   sig) != 0) {
			free(sig);
			return -1;
		}
		if (!ok && sig != NULL)
			ward_yaml_error(
				at(m->node, m->signature ? "signature" : "src"),
				"models: %s: no signature %s (sign it with ward model sign, "
				"or pass ward build --key)",
				m->name, sig);
		free(sig);
		if (!ok)
			return -1;
	}
	if (ctx->opts->init_path == NULL || stat(ctx->opts->init_path, &st) != 0 ||
	    !S_ISREG(st.st_mode))
		return ward_err(WARD_EENV,
				"ward-init %s: not found (build it with make, or pass "
				"--init)",
				ctx->opts->init_path ? ctx->opts->init_path : "(none)");
	{
		/* the policy ward will write, past ward-init's own parser */
		json_t *policy = build_init_policy(ctx);
		char *text = policy ? ward_json_dump(policy, 1) : NULL;
		int rc = text ? check_policy(ctx, text) : -1;
		free(text);
		json_decref(policy);
		if (rc != 0)
			return -1;
	}
	/* every locked package intact in the cache, before any work */
	for (size_t i = 0; i < ctx->lock->npkgs; i++) {
		const struct deb_lock_pkg *p = &ctx->lock->pkgs[i];
		int r = deb_cache_check(ctx->cache, p->sha256, p->size);
		if (r < 0)
			return -1;
		if (r == 0 && missing++ == 0)
			first = p;
	}
	if (missing > 0)
		return ward_err(WARD_EENV,
				"%zu locked package%s not in the cache %s (first: %s %s, sha256 "
				"%s): run ward fetch",
				missing, missing == 1 ? " is" : "s are", ctx->cache, first->name,
				first->version, first->sha256);
	return 0;
}

/* ------------------------------------------------------------ trees */

static int
excluded(const char *name, const char *rel, const struct ward_strv *extra)
{
	for (size_t i = 0; i < sizeof(default_excludes) / sizeof(*default_excludes); i++)
		if (fnmatch(default_excludes[i], name, 0) == 0)
			return 1;
	for (size_t i = 0; extra != NULL && i < extra->n; i++)
		if (fnmatch(extra->v[i], name, 0) == 0 ||
		    fnmatch(extra->v[i], rel, FNM_PATHNAME) == 0)
			return 1;
	return 0;
}

struct tree {
	struct build_ctx *ctx;
	int group;
	const char *owner;
	int model;	 /* read-only modes, no symlinks */
	const char *sig; /* models: the signature file, never copied */
	const struct build_file *f;
};

static int
add_node(struct tree *t, const char *src, const char *dst, const struct stat *st)
{
	struct build_plan *p = t->ctx->plan;
	struct build_entry *old = plan_get(p, dst), *e;
	int type = S_ISDIR(st->st_mode)	  ? BUILD_DIR
		   : S_ISLNK(st->st_mode) ? BUILD_SYMLINK
					  : BUILD_FILE;

	if (!S_ISDIR(st->st_mode) && !S_ISREG(st->st_mode) && !S_ISLNK(st->st_mode))
		return ward_err(WARD_EINPUT, "%s: not a regular file, directory or symlink", src);
	if (t->model && type == BUILD_SYMLINK)
		return ward_err(WARD_EINPUT, "%s: a symlink in a model (OMS signs regular files)",
				src);
	if (old != NULL) {
		if (old->type == BUILD_DIR && type == BUILD_DIR && !t->model)
			return 0; /* merge into a directory of the image */
		if (old->type == BUILD_DIR || type == BUILD_DIR || t->model ||
		    old->origin != BUILD_FROM_PACKAGE)
			return ward_err(WARD_EINPUT,
					"%s: /%s is already a %s in the image (from %s)", src, dst,
					old->type == BUILD_DIR ? "directory" : "file", old->owner);
		plan_remove(p, dst); /* a package's file replaced by the spec's */
	}
	e = plan_add(p, dst, type, NULL);
	if (e == NULL || plan_set_str(&e->owner, t->owner) != 0)
		return -1;
	e->origin = BUILD_FROM_SPEC;
	e->layer = t->group;
	if (t->f != NULL) {
		e->uid = t->f->uid;
		e->gid = t->f->gid;
	}
	switch (type) {
	case BUILD_DIR:
		e->mode = t->model ? 0555 : 0755;
		break;
	case BUILD_FILE:
		e->size = (uint64_t)st->st_size;
		e->mode = t->model		     ? 0444
			  : (t->f && t->f->has_mode) ? t->f->file_mode
			  : (st->st_mode & 0111)     ? 0755
						     : 0644;
		if (plan_set_str(&e->src, src) != 0)
			return -1;
		break;
	default: {
		char target[4096];
		ssize_t n = readlink(src, target, sizeof(target) - 1);
		if (n < 0)
			return ward_err_io(src, "readlink failed");
		target[n] = '\0';
		e->mode = 0777;
		if (plan_set_str(&e->link, target) != 0)
			return -1;
	}
	}
	return 0;
}

static int
walk(struct tree *t, const char *src, const char *dst, const char *rel)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if (lstat(src, &st) != 0)
		return ward_err_io(src, "cannot read");
	if (add_node(t, src, dst, &st) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode))
		return 0;
	if ((d = opendir(src)) == NULL)
		return ward_err_io(src, "cannot list");
	while (rc == 0 && (de = readdir(d)) != NULL) {
		char *s, *ds, *r;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		s = ward_path_join(src, de->d_name);
		ds = ward_path_join(dst, de->d_name);
		r = *rel ? ward_path_join(rel, de->d_name) : ward_strdup(de->d_name);
		if (s == NULL || ds == NULL || r == NULL)
			rc = -1;
		else if (!(t->sig != NULL && strcmp(s, t->sig) == 0) &&
			 !excluded(de->d_name, r, t->f ? &t->f->exclude : NULL))
			rc = walk(t, s, ds, r);
		free(s);
		free(ds);
		free(r);
	}
	closedir(d);
	return rc;
}

int
build_add_files(struct build_ctx *ctx)
{
	const struct build_spec *s = ctx->spec;

	for (size_t i = 0; i < s->nfiles; i++) {
		const struct build_file *f = &s->files[i];
		char mbuf[4096], owner[4200];
		const char *dst = build_usrmerge(f->dst + 1, mbuf, sizeof(mbuf));
		struct tree t = {.ctx = ctx, .group = GROUP_APP, .owner = owner, .f = f};
		snprintf(owner, sizeof(owner), "files:%s", f->dst);
		if (plan_mkdirs(ctx->plan, dst, GROUP_APP, "ward") != 0 ||
		    walk(&t, f->src, dst, "") != 0) {
			char why[512];
			snprintf(why, sizeof(why), "%s", ward_errmsg());
			return ward_yaml_error(f->node, "files: %s", why);
		}
	}
	plan_sort(ctx->plan);
	return 0;
}

/* ------------------------------------------------------------ models */

/* Sign (with --key) unless a valid signature by that key exists, then
 * verify; r gets the per-file digests (so the files are not hashed again
 * for the layer cache key). */
static int
sign_or_verify(struct build_ctx *ctx, const struct build_model *m, const char *sig,
	       const struct ward_key *trust, struct oms_result *r)
{
	struct oms_verify_opts vo = {.key = trust, .threads = ctx->threads};
	struct stat st;

	if (ctx->opts->sign_key != NULL) {
		struct oms_sign_opts so = {.method = OMS_FILES, .threads = ctx->threads};
		/* An existing signature by this key over the same files is kept:
		 * ECDSA signatures differ each time, and the image must not. */
		if (lstat(sig, &st) == 0 && oms_verify(m->src, sig, &vo, r) == 0)
			return 0;
		oms_result_free(r);
		memset(r, 0, sizeof(*r));
		ward_err_clear();
		if (oms_sign(m->src, ctx->opts->sign_key, &so, sig) != 0)
			return -1;
		ward_info("model %s: signed %s", m->name, sig);
	}
	if (oms_verify(m->src, sig, &vo, r) != 0) {
		char why[512];
		snprintf(why, sizeof(why), "%s", ward_errmsg());
		return ward_err(WARD_EVERIFY, "model %s: %s does not verify: %s", m->name, sig,
				why);
	}
	return 0;
}

/* The verified digests into the model's plan entries ("files" method). */
static void
use_digests(struct build_ctx *ctx, const char *dst, const struct oms_result *r)
{
	if (strcmp(r->method, "files") != 0)
		return;
	for (size_t i = 0; i < r->n; i++) {
		char *path = strcmp(r->res[i].name, ".") == 0 ? ward_strdup(dst)
							      : ward_path_join(dst, r->res[i].name);
		struct build_entry *e = path ? plan_get(ctx->plan, path) : NULL;
		if (e != NULL && e->type == BUILD_FILE && r->res[i].verdict == OMS_OK)
			memcpy(e->sha256, r->res[i].actual, sizeof(e->sha256));
		free(path);
	}
}

int
build_add_models(struct build_ctx *ctx)
{
	const struct build_spec *s = ctx->spec;

	for (size_t i = 0; i < s->nmodels; i++) {
		const struct build_model *m = &s->models[i];
		char mbuf[4096], owner[128], *sig = model_sig_path(m), *pem = NULL;
		struct ward_key *trust = NULL;
		struct ward_buf kb = {0};
		struct oms_result vr = {0};
		const char *dst = build_usrmerge(m->dst + 1, mbuf, sizeof(mbuf));
		struct tree t = {
			.ctx = ctx, .group = GROUP_MODEL0 + (int)i, .owner = owner, .model = 1};
		int ok = 0;
		snprintf(owner, sizeof(owner), "models:%s", m->name);
		if (sig == NULL)
			return -1;
		t.sig = sig;
		if (ctx->opts->sign_key != NULL) {
			pem = key_public_pem(ctx->opts->sign_key);
			trust = pem ? key_public_from_pem(pem, strlen(pem), "the --key public key")
				    : NULL;
		} else if (m->key == NULL) { /* opts->trust_key (checked first) */
			pem = key_public_pem(ctx->opts->trust_key);
			trust = pem ? key_public_from_pem(pem, strlen(pem),
							  "the trusted public key")
				    : NULL;
		} else if (ward_file_read(m->key, 1 << 20, &kb) == 0) {
			trust = key_public_from_pem(kb.data, kb.len, m->key);
			pem = trust ? ward_buf_steal(&kb) : NULL;
		}
		if (trust != NULL && sign_or_verify(ctx, m, sig, trust, &vr) == 0 &&
		    plan_mkdirs(ctx->plan, dst, GROUP_APP, "ward") == 0 &&
		    walk(&t, m->src, dst, "") == 0) {
			char path[512], *sigdata;
			struct ward_buf sb = {0};
			snprintf(path, sizeof(path), "ward/keys/%s.pem", m->name);
			ok = plan_mkdirs(ctx->plan, path, GROUP_WARD, "ward") == 0;
			if (ok) {
				struct build_entry *e = plan_generated(ctx->plan, path, BUILD_FILE,
								       0444, GROUP_WARD, "ward",
								       "trusted key of a model");
				ok = e != NULL && plan_set_data(e, pem, strlen(pem)) == 0;
			}
			snprintf(path, sizeof(path), "ward/models/%s/model.sig", m->name);
			ok = ok && plan_mkdirs(ctx->plan, path, GROUP_WARD, "ward") == 0 &&
			     ward_file_read(sig, 64u << 20, &sb) == 0;
			sigdata = (char *)sb.data;
			if (ok) {
				struct build_entry *e = plan_generated(ctx->plan, path, BUILD_FILE,
								       0444, GROUP_WARD, "ward",
								       "OMS signature of a model");
				ok = e != NULL && plan_set_data(e, sigdata, sb.len) == 0;
			}
			ward_buf_free(&sb);
			if (ok)
				use_digests(ctx, dst, &vr);
		}
		oms_result_free(&vr);
		key_free(trust);
		free(pem);
		free(sig);
		ward_buf_free(&kb);
		if (!ok)
			return -1;
	}
	plan_sort(ctx->plan);
	return 0;
}

/* ------------------------------------------------------------ /ward */

/* The policy goes past the ward-init that will read it (--check-policy):
 * ward-init's parser is the schema's reference.  An init that cannot check
 * (a placeholder) only earns a warning. */
static int
check_policy(struct build_ctx *ctx, const char *text)
{
	/* handed over in a memfd the child inherits: nothing touches the disk */
	int fd = memfd_create("ward-policy", 0);
	struct ward_buf log = {0};
	char path[64];
	int rc = -1;

	if (fd < 0)
		return ward_errno(WARD_EENV, "memfd_create");
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		ward_errno(WARD_EENV, "memfd write");
		goto out;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	{
		struct build_sandbox sb = {.keep_fd = fd};
		char *argv[] = {(char *)ctx->opts->init_path, "--check-policy", path, NULL};
		char *envp[] = {NULL};
		if (build_sandbox_run(&sb, argv, envp, NULL, 0, &log) == 0) {
			rc = 0;
		} else if (strstr(ward_errmsg(), "status 2") != NULL) {
			const struct ward_yaml_node *n = ctx->spec->policy;
			ward_yaml_error(
				n ? n : ctx->spec->yaml,
				"policy: ward-init rejects the policy made from ward.yaml: %.300s",
				log.data ? (char *)log.data : "");
		} else {
			ward_warn("%s cannot check the policy (%s); built without the check",
				  ctx->opts->init_path, ward_errmsg());
			ward_err_clear();
			rc = 0;
		}
	}
out:
	close(fd);
	ward_buf_free(&log);
	return rc;
}

int
build_add_ward(struct build_ctx *ctx)
{
	struct build_entry *e;
	json_t *policy = build_init_policy(ctx);
	char *text = policy ? ward_json_dump(policy, 1) : NULL;
	struct stat st;
	int rc = -1;

	if (text == NULL)
		goto out;
	e = plan_generated(ctx->plan, "ward", BUILD_DIR, 0555, GROUP_WARD, "ward", "ward-init");
	if (e == NULL || stat(ctx->opts->init_path, &st) != 0)
		goto out;
	e = plan_generated(ctx->plan, "ward/init", BUILD_FILE, 0555, GROUP_WARD, "ward",
			   "ward-init, PID 1 of the image");
	if (e == NULL || plan_set_str(&e->src, ctx->opts->init_path) != 0)
		goto out;
	e->size = (uint64_t)st.st_size;
	e = plan_generated(ctx->plan, "ward/policy.json", BUILD_FILE, 0444, GROUP_WARD, "ward",
			   "ward-init policy from ward.yaml");
	if (e == NULL || plan_set_data(e, text, strlen(text)) != 0)
		goto out;
	/* the directories below /ward are read-only too */
	for (size_t i = 0; i < build_plan_count(ctx->plan); i++) {
		struct build_entry *d = plan_at(ctx->plan, i);
		if (d->type == BUILD_DIR && ward_str_startswith(d->path, "ward/"))
			d->mode = 0555;
	}
	plan_sort(ctx->plan);
	rc = 0;
out:
	free(text);
	json_decref(policy);
	return rc;
}

/* ------------------------------------------------------------ entrypoint */

/* argv[0] as ward-init will exec it: an absolute path, or looked up in
 * the image's PATH at build time. */
static struct build_entry *
resolve_entrypoint(struct build_ctx *ctx)
{
	const struct build_spec *s = ctx->spec;
	const char *argv0 = s->entrypoint.v[0], *path = "/usr/bin:/bin";
	const struct build_entry *e = NULL;

	for (size_t i = 0; i < s->env.keys.n; i++)
		if (strcmp(s->env.keys.v[i], "PATH") == 0)
			path = s->env.values.v[i];
	if (argv0[0] == '/') {
		char mbuf[4096];
		e = plan_resolve(ctx->plan, build_usrmerge(argv0 + 1, mbuf, sizeof(mbuf)));
	} else if (strchr(argv0, '/') == NULL) {
		const char *p = path;
		while (e == NULL && *p) {
			size_t len = strcspn(p, ":");
			char cand[4096];
			if (len > 1 && p[0] == '/') {
				snprintf(cand, sizeof(cand), "%.*s/%s", (int)len - 1, p + 1, argv0);
				e = plan_resolve(ctx->plan, cand);
				if (e != NULL && (e->type != BUILD_FILE || !(e->mode & 0111)))
					e = NULL;
			}
			p += len + (p[len] == ':');
		}
	}
	return (struct build_entry *)e;
}

/* The server binary (or interpreter) unreadable by the server's user: the
 * kernel then makes the server non-dumpable at exec (docs/ward-init.md). */
void
build_protect_entrypoint(struct build_ctx *ctx)
{
	struct build_entry *e;

	if (ctx->spec->entrypoint.n == 0 || (e = resolve_entrypoint(ctx)) == NULL)
		return;
	if (e->type == BUILD_FILE && e->uid == 0 && (e->mode & 0111) && (e->mode & 0044)) {
		e->mode &= ~(uint32_t)0044;
		if (e->why == NULL)
			plan_set_str(&e->why,
				     "entrypoint: mode 0711, so the server is not dumpable");
	}
}

int
build_check_entrypoint(struct build_ctx *ctx)
{
	const struct build_spec *s = ctx->spec;
	const char *argv0 = s->entrypoint.v[0];
	const struct ward_yaml_node *n = ward_yaml_get(s->yaml, "entrypoint");
	const struct build_entry *e = resolve_entrypoint(ctx);

	if (e == NULL)
		return ward_yaml_error(n ? n->items[0] : s->yaml,
				       "entrypoint: %s is not in the image%s", argv0,
				       argv0[0] == '/' ? "" : " (searched PATH)");
	if (e->type != BUILD_FILE || !(e->mode & 0111))
		return ward_yaml_error(n ? n->items[0] : s->yaml,
				       "entrypoint: %s (/%s) is not an executable file", argv0,
				       e->path);
	return 0;
}
