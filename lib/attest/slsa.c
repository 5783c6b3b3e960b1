/*
 * slsa.c: SLSA provenance v1 for ward builds (docs/provenance.md), and the
 * checks ward verify runs on it.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "attest/attest.h"

#define SLSA_MAX_DIR_FILES 10000000u

static json_t *
digest_obj(const char *hex)
{
	return json_pack("{s:s}", "sha256", hex);
}

static json_t *
dependency_json(const struct slsa_dependency *d)
{
	json_t *j = json_object(), *ann = json_object();

	if (j == NULL || ann == NULL)
		goto fail;
	if (json_object_set_new(j, "name", json_string(d->name ? d->name : "")) != 0 ||
	    (d->uri != NULL && json_object_set_new(j, "uri", json_string(d->uri)) != 0) ||
	    json_object_set_new(j, "digest", digest_obj(d->sha256)) != 0 ||
	    json_object_set_new(ann, "kind", json_string(d->kind ? d->kind : "file")) != 0 ||
	    (d->version != NULL &&
	     json_object_set_new(ann, "version", json_string(d->version)) != 0) ||
	    json_object_set_new(j, "annotations", ann) != 0)
		goto fail;
	return j;
fail:
	json_decref(j);
	ward_err(WARD_EENV, "cannot build a provenance dependency (is \"%s\" UTF-8?)",
		 d->name ? d->name : "");
	return NULL;
}

static int
strcmp_null(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int
dep_cmp(const void *pa, const void *pb)
{
	const struct slsa_dependency *a = *(const struct slsa_dependency *const *)pa;
	const struct slsa_dependency *b = *(const struct slsa_dependency *const *)pb;
	int c;

	if ((c = strcmp_null(a->kind, b->kind)) != 0 || (c = strcmp_null(a->name, b->name)) != 0 ||
	    (c = strcmp_null(a->version, b->version)) != 0 ||
	    (c = strcmp_null(a->uri, b->uri)) != 0)
		return c;
	return strcmp_null(a->sha256, b->sha256);
}

static int
check_dep(const struct slsa_dependency *d)
{
	uint8_t tmp[SHA256_LEN];

	if (d->name == NULL || *d->name == '\0')
		return ward_err(WARD_EINPUT, "provenance: a dependency has no name");
	return ward_unhex(d->sha256 ? d->sha256 : "", tmp, sizeof(tmp), d->name);
}

static json_t *
dependencies(const struct slsa_params *p, const char *ward_hex)
{
	size_t n = p->nlock + p->ninputs, k = 0;
	const struct slsa_dependency **v = NULL;
	struct slsa_dependency self = {
		.kind = "ward", .name = "ward", .version = WARD_VERSION, .sha256 = ward_hex};
	json_t *a = json_array();

	if (a == NULL || (v = ward_calloc(n + 1, sizeof(*v))) == NULL)
		goto fail;
	for (size_t i = 0; i < p->nlock; i++)
		v[k++] = &p->lock_entries[i];
	for (size_t i = 0; i < p->ninputs; i++)
		v[k++] = &p->inputs[i];
	for (size_t i = 0; i < k; i++)
		if (check_dep(v[i]) != 0)
			goto fail;
	/* lock entries and inputs sorted, so the order of the caller's lists
	 * never changes the document; ward itself comes last */
	qsort(v, k, sizeof(*v), dep_cmp);
	v[k++] = &self;
	for (size_t i = 0; i < k; i++) {
		json_t *d = dependency_json(v[i]);
		if (d == NULL || json_array_append_new(a, d) != 0)
			goto fail;
	}
	free(v);
	return a;
fail:
	free(v);
	json_decref(a);
	return NULL;
}

static json_t *
file_param(const char *path, const void *data, size_t len, int with_content)
{
	char hex[SHA256_HEX_LEN + 1];
	json_t *j;

	sha256_hex(data, len, hex);
	j = json_pack("{s:s,s:o}", "path", path, "digest", digest_obj(hex));
	if (j != NULL && with_content) {
		json_t *c = json_stringn(data, len);
		if (c == NULL) {
			json_decref(j);
			ward_err(WARD_EINPUT, "%s: the spec is not UTF-8 text", path);
			return NULL;
		}
		json_object_set_new(j, "content", c);
	}
	if (j == NULL)
		ward_err(WARD_EENV, "cannot build provenance parameters");
	return j;
}

/* A stable invocation id: a name-based UUID over everything that went in,
 * so two reproducible builds of the same inputs write the same document. */
static void
derived_invocation_id(const json_t *def, char out[64])
{
	char *s = ward_json_dump(def, 0);
	uint8_t d[SHA256_LEN];
	char h[SHA256_HEX_LEN + 1];

	sha256(s ? s : "", s ? strlen(s) : 0, d);
	free(s);
	d[6] = (uint8_t)((d[6] & 0x0f) | 0x50); /* version 5 layout (name-based) */
	d[8] = (uint8_t)((d[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	ward_hex(d, 16, h);
	snprintf(out, 64, "urn:uuid:%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
}

static int
times(const struct slsa_params *p, json_t *meta)
{
	int64_t start = p->started_on, end = p->finished_on;
	char buf[32];
	time_t sde;
	int have;

	if ((have = ward_source_date_epoch(&sde)) < 0)
		return -1;
	if (start < 0 && have)
		start = (int64_t)sde;
	if (end < 0 && have)
		end = (int64_t)sde;
	if (start >= 0) {
		ward_time_rfc3339((time_t)start, buf);
		json_object_set_new(meta, "startedOn", json_string(buf));
	}
	if (end >= 0) {
		ward_time_rfc3339((time_t)end, buf);
		json_object_set_new(meta, "finishedOn", json_string(buf));
	}
	return 0;
}

json_t *
slsa_provenance(const struct slsa_params *p)
{
	json_t *ext = NULL, *internal = NULL, *def = NULL, *deps = NULL, *meta = NULL, *run = NULL;
	json_t *spec, *out = NULL;
	const char *builder = p->builder_id ? p->builder_id : getenv("WARD_BUILDER_ID");
	char self[PATH_MAX];
	char whex[SHA256_HEX_LEN + 1], inv[64];
	time_t sde;

	if (builder == NULL || *builder == '\0')
		builder = WARD_SLSA_BUILDER_ID;
	if (p->spec_path == NULL || p->spec == NULL)
		return ward_err(WARD_EINPUT, "provenance: no build spec given"), NULL;
	if (p->ward_path != NULL) {
		snprintf(self, sizeof(self), "%s", p->ward_path);
	} else {
		/* the binary itself (sha256_file does not follow the /proc link) */
		if (ward_self_exe(self, sizeof(self)) != 0)
			return NULL;
	}
	if (sha256_file_hex(self, whex, NULL) != 0)
		return NULL;
	if ((spec = file_param(p->spec_path, p->spec, p->spec_len, 1)) == NULL)
		return NULL;
	ext = json_pack("{s:o}", "spec", spec);
	if (ext != NULL && p->lock_path != NULL) {
		json_t *lock = file_param(p->lock_path, p->lock ? p->lock : "", p->lock_len, 0);
		if (lock == NULL)
			goto out;
		json_object_set_new(ext, "lock", lock);
	}
	internal = p->internal ? json_deep_copy(p->internal) : json_object();
	if (ext == NULL || !json_is_object(internal))
		goto oom;
	if (ward_source_date_epoch(&sde) == 1)
		json_object_set_new(internal, "sourceDateEpoch", json_integer((json_int_t)sde));
	if ((deps = dependencies(p, whex)) == NULL)
		goto out;
	def = json_pack("{s:s,s:O,s:O,s:O}", "buildType", WARD_SLSA_BUILD_TYPE,
			"externalParameters", ext, "internalParameters", internal,
			"resolvedDependencies", deps);
	meta = json_object();
	if (def == NULL || meta == NULL)
		goto oom;
	if (p->invocation_id != NULL)
		snprintf(inv, sizeof(inv), "%s", p->invocation_id);
	else
		derived_invocation_id(def, inv);
	json_object_set_new(meta, "invocationId", json_string(inv));
	if (times(p, meta) != 0)
		goto out;
	run = json_pack("{s:{s:s,s:{s:s}},s:O}", "builder", "id", builder, "version", "ward",
			WARD_VERSION, "metadata", meta);
	if (run == NULL)
		goto oom;
	if (p->byproducts != NULL && json_array_size(p->byproducts) > 0)
		json_object_set_new(run, "byproducts", json_deep_copy(p->byproducts));
	out = json_pack("{s:O,s:O}", "buildDefinition", def, "runDetails", run);
	if (out == NULL)
		goto oom;
	goto out;
oom:
	ward_err(WARD_EENV, "cannot build the provenance document");
out:
	json_decref(ext);
	json_decref(internal);
	json_decref(deps);
	json_decref(def);
	json_decref(meta);
	json_decref(run);
	return out;
}

/* ---------------------------------------------------------------- digests */

static int
list_files(const char *root, const char *rel, struct ward_strv *out)
{
	char *dir = rel[0] ? ward_path_join(root, rel) : ward_strdup(root);
	struct dirent *de;
	DIR *d;
	int rc = -1;

	if (dir == NULL)
		return -1;
	if ((d = opendir(dir)) == NULL) {
		ward_err_io(dir, "cannot open directory");
		free(dir);
		return -1;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		char *r, *full;
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		r = rel[0] ? ward_asprintf("%s/%s", rel, de->d_name) : ward_strdup(de->d_name);
		full = r ? ward_path_join(root, r) : NULL;
		if (full == NULL || lstat(full, &st) != 0) {
			if (full != NULL)
				ward_err_io(full, "cannot stat");
			free(r);
			free(full);
			goto out;
		}
		free(full);
		if (S_ISDIR(st.st_mode)) {
			int sub = list_files(root, r, out);
			free(r);
			if (sub != 0)
				goto out;
		} else if (S_ISREG(st.st_mode)) {
			if (out->n >= SLSA_MAX_DIR_FILES) {
				ward_err(WARD_EINPUT, "%s: too many files", root);
				free(r);
				goto out;
			}
			if (ward_strv_push_owned(out, r) != 0)
				goto out;
		} else {
			ward_err(WARD_EINPUT,
				 "%s/%s: only regular files and directories can be "
				 "inputs (symlinks and special files are refused)",
				 root, r);
			free(r);
			goto out;
		}
	}
	if (errno != 0) {
		ward_err_io(dir, "cannot read directory");
		goto out;
	}
	rc = 0;
out:
	closedir(d);
	free(dir);
	return rc;
}

int
attest_path_digest(const char *path, char hex[SHA256_HEX_LEN + 1])
{
	struct ward_strv files = {0};
	struct hash_job *jobs = NULL;
	struct ward_buf listing = {0};
	uint8_t d[SHA256_LEN];
	struct stat st;
	int rc = -1;

	if (stat(path, &st) != 0)
		return ward_err_io(path, "cannot open input");
	if (S_ISREG(st.st_mode)) {
		if (sha256_file(path, d, NULL) != 0)
			return -1;
		ward_hex(d, sizeof(d), hex);
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		return ward_err(WARD_EINPUT, "%s: neither a file nor a directory", path);
	if (list_files(path, "", &files) != 0)
		goto out;
	ward_strv_sort(&files);
	if (files.n > 0 && (jobs = ward_calloc(files.n, sizeof(*jobs))) == NULL)
		goto out;
	for (size_t i = 0; i < files.n; i++) {
		jobs[i].path = ward_path_join(path, files.v[i]);
		jobs[i].length = UINT64_MAX;
		if (jobs[i].path == NULL)
			goto out;
	}
	if (hasher_run(jobs, files.n, 0, NULL, NULL) != 0)
		goto out;
	for (size_t i = 0; i < files.n; i++) {
		char h[SHA256_HEX_LEN + 1];
		ward_hex(jobs[i].digest, SHA256_LEN, h);
		if (ward_buf_printf(&listing, "%s  %s\n", h, files.v[i]) != 0)
			goto out;
	}
	sha256_hex(listing.data ? (void *)listing.data : "", listing.len, hex);
	rc = 0;
out:
	for (size_t i = 0; jobs != NULL && i < files.n; i++)
		free((char *)jobs[i].path);
	free(jobs);
	ward_buf_free(&listing);
	ward_strv_free(&files);
	return rc;
}

/* ---------------------------------------------------------------- checks */

static const char *
dep_kind(const json_t *d)
{
	const char *k = ward_json_str(json_object_get(d, "annotations"), "kind");
	return k ? k : "";
}

static const char *
dep_version(const json_t *d)
{
	return ward_json_str(json_object_get(d, "annotations"), "version");
}

int
slsa_check_predicate(const json_t *pred, const char *what)
{
	json_t *def, *ext, *spec, *deps, *d;
	const char *type, *content, *sha;
	char hex[SHA256_HEX_LEN + 1];
	uint8_t tmp[SHA256_LEN];
	size_t i;

	if ((def = ward_json_req_object(pred, "buildDefinition", what)) == NULL ||
	    ward_json_req_object(pred, "runDetails", what) == NULL ||
	    (type = ward_json_req_str(def, "buildType", what)) == NULL ||
	    (ext = ward_json_req_object(def, "externalParameters", what)) == NULL)
		return -1;
	deps = json_object_get(def, "resolvedDependencies");
	if (deps != NULL && !json_is_array(deps))
		return ward_err(WARD_EINPUT, "%s: resolvedDependencies is not an array", what);
	json_array_foreach(deps, i, d)
	{
		const char *h = ward_json_str(json_object_get(d, "digest"), "sha256");
		if (h != NULL && ward_unhex(h, tmp, sizeof(tmp), what) != 0)
			return -1;
	}
	if (strcmp(type, WARD_SLSA_BUILD_TYPE) != 0)
		return 0; /* another builder's document: only the shape above */
	if ((spec = ward_json_req_object(ext, "spec", what)) == NULL ||
	    (content = ward_json_req_str(spec, "content", what)) == NULL)
		return -1;
	if ((sha = ward_json_str(json_object_get(spec, "digest"), "sha256")) == NULL)
		return ward_err(WARD_EINPUT, "%s: spec has no sha256 digest", what);
	sha256_hex(content, strlen(content), hex);
	if (strcmp(hex, sha) != 0)
		return ward_err(WARD_EVERIFY,
				"%s: the spec's content does not match its digest sha256:%s", what,
				sha);
	json_array_foreach(deps, i, d)
	{
		if (ward_json_str(json_object_get(d, "digest"), "sha256") == NULL)
			return ward_err(WARD_EINPUT, "%s: dependency %zu has no sha256 digest",
					what, i + 1);
	}
	return 0;
}

static const json_t *
find_dep(const json_t *deps, const char *kind, const char *name)
{
	json_t *d;
	size_t i;

	json_array_foreach(deps, i, d)
	{
		const char *n = ward_json_str(d, "name");
		if (n != NULL && strcmp(n, name) == 0 && strcmp(dep_kind(d), kind) == 0)
			return d;
	}
	return NULL;
}

int
slsa_check_lock(const json_t *pred, const struct slsa_dependency *lock, size_t n, const char *what)
{
	json_t *deps =
		json_object_get(json_object_get(pred, "buildDefinition"), "resolvedDependencies");
	struct ward_strv kinds = {0};
	json_t *d;
	size_t i;
	int rc = -1;

	if (!json_is_array(deps))
		return ward_err(WARD_EVERIFY,
				"%s: no resolvedDependencies to compare with the lock", what);
	for (i = 0; i < n; i++) {
		const struct slsa_dependency *e = &lock[i];
		const json_t *p = find_dep(deps, e->kind ? e->kind : "", e->name ? e->name : "");
		const char *sha, *uri;

		if (!ward_strv_contains(&kinds, e->kind ? e->kind : "") &&
		    ward_strv_push(&kinds, e->kind ? e->kind : "") != 0)
			goto out;
		if (p == NULL) {
			ward_err(WARD_EVERIFY,
				 "%s: lock entry %s %s %s is not among the provenance's "
				 "dependencies",
				 what, e->kind, e->name, e->version ? e->version : "");
			goto out;
		}
		sha = ward_json_str(json_object_get(p, "digest"), "sha256");
		uri = ward_json_str(p, "uri");
		if (strcmp_null(dep_version(p), e->version) != 0) {
			ward_err(WARD_EVERIFY,
				 "%s: %s %s is version %s in the provenance, %s in the lock", what,
				 e->kind, e->name, dep_version(p) ? dep_version(p) : "(none)",
				 e->version ? e->version : "(none)");
			goto out;
		}
		if (sha == NULL || e->sha256 == NULL || strcmp(sha, e->sha256) != 0) {
			ward_err(WARD_EVERIFY,
				 "%s: %s %s has sha256 %s in the provenance, %s in the lock", what,
				 e->kind, e->name, sha ? sha : "(none)",
				 e->sha256 ? e->sha256 : "(none)");
			goto out;
		}
		if (uri != NULL && e->uri != NULL && strcmp(uri, e->uri) != 0) {
			ward_err(WARD_EVERIFY,
				 "%s: %s %s comes from %s in the provenance, %s in the lock", what,
				 e->kind, e->name, uri, e->uri);
			goto out;
		}
	}
	json_array_foreach(deps, i, d)
	{
		const char *k = dep_kind(d), *name = ward_json_str(d, "name");
		size_t j;

		if (!ward_strv_contains(&kinds, k))
			continue;
		for (j = 0; j < n; j++)
			if (strcmp_null(lock[j].kind, k) == 0 &&
			    strcmp_null(lock[j].name, name) == 0)
				break;
		if (j == n) {
			ward_err(WARD_EVERIFY,
				 "%s: the provenance lists %s %s, which the lock does not", what, k,
				 name ? name : "(unnamed)");
			goto out;
		}
	}
	rc = 0;
out:
	ward_strv_free(&kinds);
	return rc;
}
