/* layers.c: the plan cut into layers, the layer cache, and the blobs.
 *
 * Rarely changing parts come first and apart from what changes often:
 * base libraries, the Python interpreter, frameworks (every other package),
 * then /etc and directories, the app (files:), one layer per model, and
 * /ward.  A layer is cached under a key of everything that decides its
 * bytes: package layers by the locked packages' digests (all of them:
 * alternatives and bytecode cross packages), the spec keys that shape
 * them and the ward binary, so a rebuild with the same lock skips
 * unpacking entirely; the other layers by their entries' metadata and
 * contents.  Cache: <cache>/layers/<key>.json (descriptor + entries) and
 * the blob in <cache>/blobs/sha256/, shared with the .debs. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/build_internal.h"

#define LAYER_FORMAT "ward-layer 1"

/* ------------------------------------------------------------ keys */

static void
key_common(struct build_ctx *ctx, int group, struct ward_buf *b)
{
	char nb[64];

	ward_buf_printf(b, "%s\ntool %s\ngroup %s\ncompression %s %d\nepoch %lld\n", LAYER_FORMAT,
			ctx->tool_sha256, build_group_name(group, ctx->spec, nb, sizeof(nb)),
			oci_compression_name(ctx->opts->compression), ctx->opts->level,
			(long long)ctx->epoch);
}

/* The key is the hash of the whole description: a failed append (sticky)
 * fails the key, never yields the key of a truncated description. */
static int
finish_key(struct ward_buf *b, char out[65])
{
	int rc = ward_buf_check(b);

	if (rc == 0)
		sha256_hex(b->data, b->len, out);
	ward_buf_free(b);
	return rc;
}

/* Everything the package stage reads. */
static int
deb_key(struct build_ctx *ctx, int group, char out[65])
{
	const struct build_spec *s = ctx->spec;
	struct ward_buf b = {0};

	key_common(ctx, group, &b);
	ward_buf_printf(&b, "arch %s\nbytecode %d\n", s->architecture, s->python_bytecode);
	for (size_t i = 0; i < s->drop.n; i++)
		ward_buf_printf(&b, "drop %s\n", s->drop.v[i]);
	for (size_t i = 0; i < s->keep.n; i++)
		ward_buf_printf(&b, "keep %s\n", s->keep.v[i]);
	ward_buf_printf(&b, "entrypoint %s\n", s->entrypoint.n ? s->entrypoint.v[0] : "");
	for (size_t i = 0; i < s->env.keys.n; i++)
		if (strcmp(s->env.keys.v[i], "PATH") == 0)
			ward_buf_printf(&b, "path %s\n", s->env.values.v[i]);
	for (size_t i = 0; i < ctx->lock->npkgs; i++) {
		const struct deb_lock_pkg *p = &ctx->lock->pkgs[i];
		ward_buf_printf(&b, "pkg %s %s %s %s %d\n", p->name, p->version, p->arch, p->sha256,
				ctx->pkgs[i].group);
	}
	/* wheels: their modules are compiled with the image's interpreter */
	if (ctx->opts->wheels != NULL) {
		const struct wheel_lock *w = ctx->opts->wheels;
		ward_buf_printf(&b, "python-prefix %s\n", s->python.prefix ? s->python.prefix : "");
		for (size_t i = 0; i < w->npins; i++)
			ward_buf_printf(&b, "wheel %s %s %s %s %d\n", w->pins[i].name,
					w->pins[i].version, w->pins[i].sha256, w->pins[i].filename,
					w->pins[i].direct);
	}
	return finish_key(&b, out);
}

/* ------------------------------------------------------------ entries */

static int
path_of_cmp(const void *a, const void *b)
{
	const struct build_entry *x = *(struct build_entry *const *)a;
	const struct build_entry *y = *(struct build_entry *const *)b;
	int c = tar_path_cmp(x->path, y->path);

	return c ? c : (x < y ? -1 : x > y);
}

struct entries {
	struct build_entry **v;
	size_t n, cap;
	size_t own; /* entries of the group (the rest are parent directories) */
};

static int
push(struct entries *es, struct build_entry *e)
{
	if (ward_vec_reserve(&es->v, &es->cap, es->n + 1, sizeof(*es->v)) != 0)
		return -1;
	es->v[es->n++] = e;
	return 0;
}

/* The group's entries and every parent directory they need, in tar order. */
static int
collect(struct build_ctx *ctx, int group, struct entries *es)
{
	struct build_plan *p = ctx->plan;
	size_t n = build_plan_count(p), k = 0;

	for (size_t i = 0; i < n + plan_shadow_count(p); i++) {
		struct build_entry *e = i < n ? plan_at(p, i) : plan_shadow_at(p, i - n);
		char buf[4096];
		if (e->layer != group)
			continue;
		if (push(es, e) != 0)
			return -1;
		es->own++;
		snprintf(buf, sizeof(buf), "%s", e->path);
		for (char *s = strrchr(buf, '/'); s != NULL; s = strrchr(buf, '/')) {
			struct build_entry *d;
			*s = '\0';
			d = plan_get(p, buf);
			if (d == NULL || d->type != BUILD_DIR)
				return ward_err(WARD_EENV,
						"layer %d: /%s has no parent directory /%s", group,
						e->path, buf);
			if (d->layer == group)
				break; /* itself listed, with its own parents */
			if (push(es, d) != 0)
				return -1;
		}
	}
	if (es->n > 0)
		ward_qsort(es->v, es->n, sizeof(*es->v), path_of_cmp);
	/* One entry per path.  A parent pulled in from a later layer (a
	 * directory ward generated over the package's own, e.g. /tmp when a
	 * package ships /tmp/x) gives way to this layer's entry of the same
	 * path, kept aside when it was replaced. */
	for (size_t i = 0; i < es->n; i++) {
		if (k > 0 && es->v[k - 1] == es->v[i])
			continue;
		if (k > 0 && strcmp(es->v[k - 1]->path, es->v[i]->path) == 0 &&
		    (es->v[k - 1]->layer == group) != (es->v[i]->layer == group)) {
			if (es->v[i]->layer == group)
				es->v[k - 1] = es->v[i];
			continue;
		}
		es->v[k++] = es->v[i];
	}
	es->n = k;
	for (size_t i = 1; i < es->n; i++)
		if (strcmp(es->v[i - 1]->path, es->v[i]->path) == 0)
			return ward_err(WARD_EENV, "layer %d: /%s twice", group, es->v[i]->path);
	return 0;
}

/* ------------------------------------------------------------ contents */

struct reader {
	int fd;
	const char *path;
	struct sha256_ctx *sha;
};

static ssize_t
read_cb(void *arg, void *buf, size_t n)
{
	struct reader *r = arg;
	ssize_t got;

	do
		got = read(r->fd, buf, n);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return ward_err_io(r->path, "read failed");
	if (got == 0)
		return ward_err(WARD_EINPUT,
				"%s: shorter than when it was planned (changed during "
				"the build?)",
				r->path);
	sha256_update(r->sha, buf, (size_t)got);
	return got;
}

/* A file entry's contents, open for reading: files: of ward.yaml from
 * their source (no link followed at the last component: the spec stage
 * resolved and confined it), package files from the staging tree, beneath
 * its root (never through a link a package or a sandboxed program put
 * there).  *what names it for messages (caller frees). */
static int
open_content(struct build_ctx *ctx, const struct build_entry *e, char **what)
{
	struct stat st;
	int fd;

	if (e->src != NULL) {
		*what = ward_strdup(e->src);
		fd = *what ? ward_input_openat(AT_FDCWD, e->src, WARD_IN_NOFOLLOW, e->src, &st)
			   : -1;
	} else if (ctx->root == NULL) {
		*what = NULL;
		return ward_err(WARD_EENV, "/%s: contents not staged", e->path);
	} else {
		*what = ward_path_join(ward_root_path(ctx->root), e->path);
		fd = *what ? ward_root_open_read(ctx->root, e->path, &st) : -1;
	}
	if (fd >= 0 && (uint64_t)st.st_size != e->size) {
		close(fd);
		return ward_err(WARD_EINPUT, "%s: changed during the build", *what);
	}
	return fd;
}

/* The hex SHA-256 of a file entry's contents (without writing it). */
static int
hash_entry(struct build_ctx *ctx, struct build_entry *e)
{
	char *what = NULL, hex[65];
	uint64_t size = 0;
	int fd, rc = -1;

	if (e->data != NULL) {
		sha256_hex(e->data, e->size, e->sha256);
		return 0;
	}
	if ((fd = open_content(ctx, e, &what)) < 0) {
		free(what);
		return -1;
	}
	if (sha256_fd_hex(fd, what, hex, &size) != 0)
		goto out;
	if (size != e->size) {
		ward_err(WARD_EINPUT, "%s: changed during the build", what);
		goto out;
	}
	memcpy(e->sha256, hex, sizeof(hex));
	rc = 0;
out:
	close(fd);
	free(what);
	return rc;
}

static int
write_entry(struct build_ctx *ctx, struct tar_writer *t, struct build_entry *e)
{
	struct tar_meta m = {.mode = e->mode & 07777, .uid = e->uid, .gid = e->gid};
	struct reader r = {.fd = -1};
	uint8_t d[32];
	char *path;
	int rc;

	switch (e->type) {
	case BUILD_DIR:
		return tar_write_dir(t, e->path, &m);
	case BUILD_SYMLINK:
		return tar_write_symlink(t, e->path, &m, e->link);
	default:
		break;
	}
	if (e->data != NULL) {
		sha256_hex(e->data, e->size, e->sha256);
		return tar_write_file(t, e->path, &m, e->data, e->size);
	}
	r.fd = open_content(ctx, e, &path);
	r.path = path;
	r.sha = r.fd >= 0 ? sha256_new() : NULL;
	if (r.fd < 0 || r.sha == NULL) {
		rc = -1;
	} else {
		rc = tar_write_file_cb(t, e->path, &m, e->size, read_cb, &r);
		if (rc == 0) {
			char hex[65];
			sha256_final(r.sha, d);
			ward_hex(d, 32, hex);
			if (e->sha256[0] && strcmp(hex, e->sha256) != 0)
				rc = ward_err(WARD_EINPUT, "%s: changed during the build", path);
			memcpy(e->sha256, hex, sizeof(hex));
		}
	}
	if (r.fd >= 0)
		close(r.fd);
	sha256_free(r.sha);
	free(path);
	return rc;
}

/* ------------------------------------------------------------ cache files */

static char *
meta_path(struct build_ctx *ctx, const char *key)
{
	return ward_asprintf("%s/layers/%s.json", ctx->cache, key);
}

static const char *const type_names[] = {"", "file", "dir", "symlink"};
static const char *const origin_names[] = {"", "package", "spec", "generated", "wheel"};

static int
name_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 1; s != NULL && i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return 0;
}

static int
save_meta(struct build_ctx *ctx, const struct build_layer *l, const struct entries *es, int group)
{
	json_t *j = json_object(), *arr = json_array();
	char *path = meta_path(ctx, l->key), *dir = ward_asprintf("%s/layers", ctx->cache);
	int rc = -1;

	if (j == NULL || arr == NULL || path == NULL || dir == NULL || ward_mkdir_p(dir, 0755) != 0)
		goto out;
	for (size_t i = 0; i < es->n; i++) {
		const struct build_entry *e = es->v[i];
		if (e->layer != group)
			continue;
		json_array_append_new(
			arr, json_pack("[s,s,i,I,I,I,s,s,s,s?]", e->path, type_names[e->type],
				       (int)e->mode, (json_int_t)e->uid, (json_int_t)e->gid,
				       (json_int_t)e->size,
				       e->type == BUILD_SYMLINK ? e->link : e->sha256,
				       origin_names[e->origin], e->owner ? e->owner : "", e->why));
	}
	json_object_set_new(j, "key", json_string(l->key));
	json_object_set_new(j, "media_type", json_string(l->desc.blob.media_type));
	json_object_set_new(j, "digest", json_string(l->desc.blob.digest));
	json_object_set_new(j, "size", json_integer((json_int_t)l->desc.blob.size));
	json_object_set_new(j, "diff_id", json_string(l->desc.diff_id));
	json_object_set_new(j, "tar_size", json_integer((json_int_t)l->desc.tar_size));
	json_object_set_new(j, "entries", arr);
	arr = NULL;
	if (group < GROUP_DEB_COUNT) {
		json_t *setid = json_array();
		for (size_t i = 0; i < ctx->setid.n; i++)
			json_array_append_new(setid, json_string(ctx->setid.v[i]));
		json_object_set_new(j, "stage",
				    json_pack("{s:I,s:I,s:o}", "dropped",
					      (json_int_t)ctx->res->dropped, "pyc",
					      (json_int_t)ctx->res->pyc, "setid", setid));
	}
	rc = ward_json_write_file(path, j, 0);
out:
	json_decref(j);
	json_decref(arr);
	free(path);
	free(dir);
	return rc;
}

/* Load a cached layer: 1 found (l filled; entries added to the plan when
 * add is set), 0 absent or unusable. */
static int
load_meta(struct build_ctx *ctx, struct build_layer *l, int group, int add)
{
	char *path = meta_path(ctx, l->key), *blob = NULL;
	json_t *j = NULL, *arr, *v;
	struct stat st;
	size_t i;
	int rc = 0;

	if (path == NULL)
		return -1;
	if (access(path, R_OK) != 0 || (j = ward_json_load_file(path, 1u << 30)) == NULL)
		goto out;
	snprintf(l->desc.blob.media_type, sizeof(l->desc.blob.media_type), "%s",
		 ward_json_str(j, "media_type") ? ward_json_str(j, "media_type") : "");
	snprintf(l->desc.blob.digest, sizeof(l->desc.blob.digest), "%s",
		 ward_json_str(j, "digest") ? ward_json_str(j, "digest") : "");
	snprintf(l->desc.diff_id, sizeof(l->desc.diff_id), "%s",
		 ward_json_str(j, "diff_id") ? ward_json_str(j, "diff_id") : "");
	l->desc.blob.size = (uint64_t)json_integer_value(json_object_get(j, "size"));
	l->desc.tar_size = (uint64_t)json_integer_value(json_object_get(j, "tar_size"));
	arr = json_object_get(j, "entries");
	if (oci_digest_check(l->desc.blob.digest, path) != 0 ||
	    oci_digest_check(l->desc.diff_id, path) != 0 || !json_is_array(arr)) {
		ward_err_clear();
		goto out;
	}
	blob = oci_blob_path(ctx->blobs, l->desc.blob.digest);
	if (blob == NULL || stat(blob, &st) != 0 || (uint64_t)st.st_size != l->desc.blob.size)
		goto out;
	if (add) {
		json_array_foreach(arr, i, v)
		{
			const char *p, *t, *x, *o, *own, *why;
			json_t *wj = NULL;
			int mode;
			json_int_t uid, gid, size;
			struct build_entry *e;
			if (json_unpack(v, "[s,s,i,I,I,I,s,s,s,o]", &p, &t, &mode, &uid, &gid,
					&size, &x, &o, &own, &wj) != 0 ||
			    !ward_relpath_ok(p)) {
				rc = ward_err(WARD_EENV, "%s: malformed entry %zu", path, i);
				goto out;
			}
			why = json_string_value(wj); /* NULL for null */
			e = plan_add(ctx->plan, p, name_index(type_names, 4, t), NULL);
			if (e == NULL || plan_set_str(&e->owner, own) != 0 ||
			    plan_set_str(&e->why, why) != 0) {
				rc = -1;
				goto out;
			}
			e->mode = (uint32_t)mode;
			e->uid = (uint32_t)uid;
			e->gid = (uint32_t)gid;
			e->size = (uint64_t)size;
			e->origin = name_index(origin_names, 5, o);
			e->layer = group;
			if (e->type == BUILD_SYMLINK && plan_set_str(&e->link, x) != 0) {
				rc = -1;
				goto out;
			}
			if (e->type == BUILD_FILE)
				snprintf(e->sha256, sizeof(e->sha256), "%s", x);
		}
		if ((v = json_object_get(j, "stage")) != NULL && group == GROUP_BASE) {
			json_t *s;
			ctx->res->dropped =
				(size_t)json_integer_value(json_object_get(v, "dropped"));
			ctx->res->pyc = (size_t)json_integer_value(json_object_get(v, "pyc"));
			json_array_foreach(
				json_object_get(v, "setid"), i,
				s) if (json_is_string(s) &&
				       ward_strv_push(&ctx->setid, json_string_value(s)) != 0)
			{
				rc = -1;
				goto out;
			}
		}
	}
	l->cached = 1;
	rc = 1;
out:
	json_decref(j);
	free(path);
	free(blob);
	return rc;
}

/* ------------------------------------------------------------ layers */

static int
group_packages(const struct build_ctx *ctx, int group)
{
	int n = 0;

	if (group == GROUP_WHEELS)
		return ctx->opts->wheels ? (int)ctx->opts->wheels->npins : 0;
	for (size_t i = 0; i < ctx->lock->npkgs; i++)
		n += ctx->pkgs[i].group == group;
	return n;
}

static int
describe(struct build_ctx *ctx, int group)
{
	struct build_layer *l = &ctx->glayer[group];
	char nb[64];
	int n = group_packages(ctx, group);

	snprintf(l->name, sizeof(l->name), "%s",
		 build_group_name(group, ctx->spec, nb, sizeof(nb)));
	l->packages = group < GROUP_DEB_COUNT && group != GROUP_WHEELS ? (size_t)n : 0;
	free(l->created_by);
	switch (group) {
	case GROUP_BASE:
		l->created_by = ward_asprintf("ward build: base libraries (%d packages)", n);
		break;
	case GROUP_PYTHON:
		l->created_by = ward_asprintf("ward build: Python interpreter (%d packages)", n);
		break;
	case GROUP_FRAMEWORKS:
		l->created_by =
			ward_asprintf("ward build: frameworks and libraries (%d packages)", n);
		break;
	case GROUP_WHEELS:
		l->created_by = ward_asprintf("ward build: Python wheels (%d wheels)", n);
		break;
	case GROUP_CONFIG:
		l->created_by = ward_strdup("ward build: /etc, users, directories");
		break;
	case GROUP_APP:
		l->created_by = ward_strdup("ward build: files: of ward.yaml");
		break;
	case GROUP_WARD:
		l->created_by =
			ward_strdup("ward build: /ward (ward-init, policy, keys, signatures)");
		break;
	default:
		l->created_by = ward_asprintf("ward build: model %s (OMS-signed)", l->name + 6);
	}
	return l->created_by ? 0 : -1;
}

int
build_deb_layers_cached(struct build_ctx *ctx)
{
	int all = 1;

	for (int g = 0; g < GROUP_DEB_COUNT; g++) {
		if (describe(ctx, g) != 0 || deb_key(ctx, g, ctx->glayer[g].key) != 0)
			return -1;
		if (ctx->opts->no_layer_cache || group_packages(ctx, g) == 0)
			continue;
		if (load_meta(ctx, &ctx->glayer[g], g, 0) != 1)
			all = 0;
	}
	if (!all || ctx->opts->no_layer_cache || ctx->lock->npkgs == 0)
		return 0;
	for (int g = 0; g < GROUP_DEB_COUNT; g++)
		if (group_packages(ctx, g) > 0) {
			int r = load_meta(ctx, &ctx->glayer[g], g, 1);
			if (r < 0)
				return -1;
			if (r == 0)
				return ward_err(WARD_EENV, "layer cache: %s changed while read",
						ctx->glayer[g].key);
			ctx->have[g] = 1;
		}
	plan_sort(ctx->plan);
	return 1;
}

static int
content_key(struct build_ctx *ctx, int group, const struct entries *es, char out[65])
{
	struct ward_buf b = {0};

	key_common(ctx, group, &b);
	for (size_t i = 0; i < es->n; i++) {
		struct build_entry *e = es->v[i];
		if (e->type == BUILD_FILE && e->sha256[0] == '\0' && hash_entry(ctx, e) != 0) {
			ward_buf_free(&b);
			return -1;
		}
		ward_buf_printf(&b, "%s\t%d\t%o\t%u\t%u\t%llu\t%s\n", e->path, e->type, e->mode,
				e->uid, e->gid, (unsigned long long)e->size,
				e->type == BUILD_SYMLINK ? e->link : e->sha256);
	}
	return finish_key(&b, out);
}

static int
write_layer(struct build_ctx *ctx, int group, const struct entries *es)
{
	struct build_layer *l = &ctx->glayer[group];
	struct oci_compress_opts c = {.compression = ctx->opts->compression,
				      .level = ctx->opts->level,
				      .threads = ctx->threads};
	const char *dest =
		ctx->opts->no_layer_cache ? oci_layout_blobs_dir(ctx->layout) : ctx->blobs;
	struct oci_layer_writer *lw = oci_layer_writer_new(dest, &c, ctx->epoch);
	struct tar_writer *t;
	struct ward_progress *pg;
	uint64_t total = 0;

	if (lw == NULL)
		return -1;
	t = oci_layer_writer_tar(lw);
	for (size_t i = 0; i < es->n; i++)
		total += es->v[i]->size;
	pg = ward_progress_new(l->name, total, 1);
	for (size_t i = 0; i < es->n; i++) {
		if (write_entry(ctx, t, es->v[i]) != 0) {
			ward_progress_done(pg);
			oci_layer_writer_abort(lw);
			return -1;
		}
		ward_progress_add(pg, es->v[i]->size);
	}
	ward_progress_done(pg);
	if (oci_layer_writer_finish(lw, &l->desc) != 0)
		return -1;
	if (!ctx->opts->no_layer_cache && save_meta(ctx, l, es, group) != 0)
		return -1;
	return 0;
}

/* The package stage ran (its key missed: some package, wheel or spec key
 * changed), but this package layer may still hold exactly what a cached
 * one holds -- changing a framework leaves the base libraries and the
 * interpreter alone.  Its content key (every entry's metadata and bytes,
 * as for the other layers) finds that layer's blob instead of compressing
 * it again; the bytes are the same by construction, so the image digest
 * does not depend on the cache.  The package-set key is kept aside for
 * saving the layer under it. */
static int
deb_layer_reuse(struct build_ctx *ctx, int group, const struct entries *es)
{
	struct build_layer *l = &ctx->glayer[group];

	memcpy(ctx->deb_keys[group], l->key, sizeof(l->key));
	if (ctx->opts->no_layer_cache)
		return 0;
	if (content_key(ctx, group, es, l->key) != 0)
		return -1;
	return load_meta(ctx, l, group, 0) < 0 ? -1 : 0;
}

int
build_write_layers(struct build_ctx *ctx)
{
	struct build_layer *out;
	size_t n = 0;

	out = ward_calloc((size_t)ctx->ngroups, sizeof(*out));
	if (out == NULL)
		return -1;
	ctx->res->layers = out;
	/* image order: packages, config, app, models, ward */
	for (int k = 0; k < ctx->ngroups; k++) {
		int g = k < GROUP_WARD ? k : k == ctx->ngroups - 1 ? GROUP_WARD : k + 1;
		struct build_layer *l = &ctx->glayer[g];
		struct entries es = {0};
		uint64_t t0 = ward_now_ns();
		int rc;
		if (describe(ctx, g) != 0 || collect(ctx, g, &es) != 0) {
			free(es.v);
			return -1;
		}
		if (es.own == 0) {
			free(es.v);
			continue;
		}
		l->entries = es.n;
		if (!ctx->have[g]) {
			if (g >= GROUP_DEB_COUNT) {
				rc = content_key(ctx, g, &es, l->key);
				if (rc == 0 && !ctx->opts->no_layer_cache)
					rc = load_meta(ctx, l, g, 0) < 0 ? -1 : 0;
			} else {
				rc = deb_layer_reuse(ctx, g, &es);
			}
			if (rc == 0 && !l->cached)
				rc = write_layer(ctx, g, &es);
			/* a package layer is found again by its package set next time */
			if (rc == 0 && g < GROUP_DEB_COUNT && !ctx->opts->no_layer_cache) {
				memcpy(l->key, ctx->deb_keys[g], sizeof(l->key));
				rc = save_meta(ctx, l, &es, g);
			}
			if (rc != 0) {
				free(es.v);
				return -1;
			}
			/* cached content layers: the digests of their files */
			for (size_t i = 0; l->cached && i < es.n; i++)
				if (es.v[i]->type == BUILD_FILE && es.v[i]->sha256[0] == '\0')
					hash_entry(ctx, es.v[i]);
		}
		free(es.v);
		if (!ctx->opts->no_layer_cache) {
			char *src = oci_blob_path(ctx->blobs, l->desc.blob.digest);
			rc = src ? oci_blob_import(oci_layout_blobs_dir(ctx->layout), src,
						   l->desc.blob.digest, l->cached)
				 : -1;
			free(src);
			if (rc != 0)
				return -1;
		}
		l->ns = ward_now_ns() - t0;
		out[n] = *l;
		out[n].created_by = ward_strdup(l->created_by);
		if (out[n].created_by == NULL)
			return -1;
		ctx->res->nlayers = ++n;
		/* entries now say which layer of the image holds them */
		for (size_t i = 0; i < build_plan_count(ctx->plan); i++) {
			struct build_entry *e = plan_at(ctx->plan, i);
			if (e->layer == g)
				e->layer = -2 - (int)(n - 1);
		}
	}
	for (size_t i = 0; i < build_plan_count(ctx->plan); i++) {
		struct build_entry *e = plan_at(ctx->plan, i);
		e->layer = e->layer <= -2 ? -2 - e->layer : -1;
	}
	return 0;
}
