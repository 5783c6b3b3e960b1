/* model.c: models — OMS-signed models (model.sig beside a model, or the
 * bundles under /ward/) as machine-learning-model components, unsigned
 * files with a model extension — and ward-init with its /ward/ files. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "oms/oms.h"
#include "sbom/sbom_internal.h"

static const char *const model_exts[] = {".safetensors", ".gguf", ".onnx", ".pt", ".pth"};

/* SHA-1 of a file, for SPDX file checksums (the spec wants SHA1). */
static int
sha1_file(const struct sbom_fileset *fs, size_t i, uint8_t out[20])
{
	char *full = fileset_content_path(fs, i);
	unsigned char *buf = ward_malloc(1u << 20);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int fd = -1, rc = -1;

	if (full == NULL || buf == NULL || md == NULL || !EVP_DigestInit_ex(md, EVP_sha1(), NULL))
		goto out;
	/* listed as a regular file: a FIFO or link swapped in since is refused */
	if ((fd = ward_input_openat(AT_FDCWD, full, WARD_IN_NOFOLLOW, full, NULL)) < 0)
		goto out;
	for (;;) {
		ssize_t n = ward_fd_read(fd, buf, 1u << 20, full);
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		EVP_DigestUpdate(md, buf, (size_t)n);
	}
	EVP_DigestFinal_ex(md, out, NULL);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(md);
	free(buf);
	free(full);
	return rc;
}

/* ---------------------------------------------------------------- OMS */

struct resource {
	const char *name; /* file path inside the model ("." = the file itself) */
	size_t namelen;
	uint8_t digest[SHA256_LEN];
};

/* Where the model lives: base is "" for the root; for a single-file model
 * (resource ".") *single receives the file. */
static int
match_at(const struct sbom_catalog *c, const char *base, const struct resource *r, size_t n,
	 int shards)
{
	size_t ok = 0;

	for (size_t k = 0; k < n; k++) {
		char *p = *base ? ward_asprintf("%s/%.*s", base, (int)r[k].namelen, r[k].name)
				: ward_strndup(r[k].name, r[k].namelen);
		ssize_t i = p ? sbom_fileset_find(&c->fs, p) : -1;
		free(p);
		if (i >= 0 && c->fs.files[i].type == SBOM_REG &&
		    (shards || memcmp(c->fs.files[i].sha256, r[k].digest, SHA256_LEN) == 0))
			ok++;
	}
	return ok == n;
}

static char *
find_base(const struct sbom_catalog *c, const char *sigdir, const struct resource *r, size_t n,
	  int shards)
{
	if (n == 0)
		return NULL;
	if (r[0].namelen == 1 && r[0].name[0] == '.') {
		/* A single-file model: the file with the signed digest. */
		for (size_t i = 0; i < c->fs.n; i++)
			if (c->fs.files[i].type == SBOM_REG && c->fs.files[i].hashed &&
			    memcmp(c->fs.files[i].sha256, r[0].digest, SHA256_LEN) == 0)
				return ward_strdup(c->fs.files[i].path);
		return NULL;
	}
	if (sigdir && match_at(c, sigdir, r, n, shards))
		return ward_strdup(sigdir);
	for (size_t i = 0; i < c->fs.n; i++) {
		const struct sbom_file *f = &c->fs.files[i];
		size_t plen = strlen(f->path);
		char *base;

		if (f->type != SBOM_REG || plen < r[0].namelen ||
		    memcmp(f->path + plen - r[0].namelen, r[0].name, r[0].namelen) != 0 ||
		    (plen > r[0].namelen && f->path[plen - r[0].namelen - 1] != '/'))
			continue;
		if (!shards && memcmp(f->sha256, r[0].digest, SHA256_LEN) != 0)
			continue;
		base = ward_strndup(f->path, plen > r[0].namelen ? plen - r[0].namelen - 1 : 0);
		if (base == NULL || match_at(c, base, r, n, shards))
			return base;
		free(base);
	}
	return NULL;
}

static int
add_model_file(struct sbom_catalog *c, struct sbom_component *m, const char *name, size_t nlen,
	       const char *base, int shards, const uint8_t *digest)
{
	struct sbom_model_file *mf;
	char *p;
	ssize_t i;

	for (size_t k = 0; k < m->nmodel_files; k++)
		if (strlen(m->model_files[k].name) == nlen &&
		    memcmp(m->model_files[k].name, name, nlen) == 0)
			return 0; /* another shard of a file already listed */
	if (ward_vec_grow(&m->model_files, m->nmodel_files, sizeof(*m->model_files)) != 0)
		return -1;
	mf = &m->model_files[m->nmodel_files];
	memset(mf, 0, sizeof(*mf));
	if ((mf->name = ward_strndup(name, nlen)) == NULL)
		return -1;
	m->nmodel_files++;
	if (base == NULL)
		return 0;
	p = nlen == 1 && name[0] == '.' ? ward_strdup(base)
	    : *base			? ward_asprintf("%s/%.*s", base, (int)nlen, name)
					: ward_strndup(name, nlen);
	if (p == NULL)
		return -1;
	i = sbom_fileset_find(&c->fs, p);
	if (i < 0 || c->fs.files[i].type != SBOM_REG) {
		free(p);
		return 0;
	}
	mf->path = p;
	memcpy(mf->sha256, c->fs.files[i].sha256, SHA256_LEN);
	mf->matches = shards || memcmp(mf->sha256, digest, SHA256_LEN) == 0;
	return catalog_claim(c, (size_t)(m - c->comps), (size_t)i) < 0 ? -1 : 0;
}

/* One bundle: its statement names the model and lists every file. */
static int
add_signed_model(struct sbom_catalog *c, json_t *root, size_t sigfile, const char *what)
{
	struct bundle b;
	json_t *st = NULL, *res, *r;
	struct resource *rs = NULL;
	size_t n, i;
	const char *name, *root_hex, *method;
	char *sigdir = NULL, *base = NULL, *slash, *prop = NULL;
	struct sbom_component *m;
	int shards, all = 1, rc = -1;

	if (bundle_parse(root, &b, what) != 0)
		return -1;
	if (oms_statement_check(b.env.payload.data, b.env.payload.len, what, &st) != 0)
		goto out;
	name = json_string_value(
		json_object_get(json_array_get(json_object_get(st, "subject"), 0), "name"));
	root_hex = json_string_value(json_object_get(
		json_object_get(json_array_get(json_object_get(st, "subject"), 0), "digest"),
		"sha256"));
	method = json_string_value(json_object_get(
		json_object_get(json_object_get(st, "predicate"), "serialization"), "method"));
	shards = method && strcmp(method, "shards") == 0;
	res = json_object_get(json_object_get(st, "predicate"), "resources");
	n = json_array_size(res);
	if ((rs = ward_calloc(n ? n : 1, sizeof(*rs))) == NULL)
		goto out;
	json_array_foreach(res, i, r)
	{
		const char *rn = json_string_value(json_object_get(r, "name"));
		rs[i].name = rn;
		rs[i].namelen = strlen(rn);
		if (shards) { /* "path:start:end": parse from the right */
			const char *last = strrchr(rn, ':'), *prev = NULL;
			for (const char *q = last ? last : rn; last && q > rn; q--)
				if (q[-1] == ':') {
					prev = q - 1;
					break;
				}
			if (prev != NULL)
				rs[i].namelen = (size_t)(prev - rn);
		}
		if (ward_unhex(json_string_value(json_object_get(r, "digest")), rs[i].digest,
			       SHA256_LEN, what) != 0)
			goto out;
	}
	if ((sigdir = ward_strdup(c->fs.files[sigfile].path)) == NULL)
		goto out;
	slash = strrchr(sigdir, '/');
	if (slash)
		*slash = '\0';
	else
		sigdir[0] = '\0';
	base = find_base(c,
			 strncmp(sigdir, "ward", 4) == 0 && (sigdir[4] == '\0' || sigdir[4] == '/')
				 ? NULL
				 : sigdir,
			 rs, n, shards);
	if ((m = catalog_add(c, SBOM_KIND_MODEL, name && *name ? name : "model", NULL)) == NULL)
		goto out;
	m->location = ward_strdup(base ? base : c->fs.files[sigfile].path);
	m->model_format = ward_strdup("oms");
	m->layer = c->fs.files[sigfile].layer;
	if (m->location == NULL || m->model_format == NULL ||
	    license_set(&m->license, "NOASSERTION", "NOASSERTION", "none") != 0)
		goto out;
	for (i = 0; i < n; i++) {
		m = &c->comps[c->ncomps - 1];
		if (add_model_file(c, m, rs[i].name, rs[i].namelen, base, shards, rs[i].digest))
			goto out;
	}
	m = &c->comps[c->ncomps - 1];
	for (i = 0; i < m->nmodel_files; i++)
		all &= m->model_files[i].path != NULL && m->model_files[i].matches;
	if ((prop = ward_asprintf("sha256:%s", root_hex)) == NULL ||
	    catalog_prop(m, "ward:model:oms-root-digest", prop) != 0 ||
	    catalog_prop(m, "ward:model:oms-method", method ? method : "files") != 0 ||
	    catalog_prop(m, "ward:model:signature", what) != 0 ||
	    catalog_prop(m, "ward:model:files-match", all ? "true" : "false") != 0 ||
	    catalog_claim(c, c->ncomps - 1, sigfile) < 0)
		goto out;
	if (!all)
		catalog_warn(c, "%s: model \"%s\": files on disk do not match the signed manifest",
			     what, m->name);
	rc = 0;
out:
	json_decref(st);
	bundle_free(&b);
	free(rs);
	free(sigdir);
	free(base);
	free(prop);
	return rc;
}

static int
signature_file(struct sbom_catalog *c, size_t i)
{
	struct ward_buf b = {0};
	char *what = ward_asprintf("/%s", c->fs.files[i].path);
	json_t *j;
	int rc = -1;

	if (what == NULL)
		return -1;
	if (sbom_fileset_read(&c->fs, i, SBOM_MAX_SMALL, &b) != 0)
		goto warn;
	/* One bundle, or one per line (JSON lines). */
	if ((j = ward_json_loadb(b.data, b.len, what)) != NULL) {
		rc = add_signed_model(c, j, i, what);
		json_decref(j);
		if (rc != 0)
			goto warn;
	} else {
		ward_err_clear();
		for (char *s = (char *)b.data, *e = s + b.len; s < e;) {
			char *nl = memchr(s, '\n', (size_t)(e - s));
			size_t len = nl ? (size_t)(nl - s) : (size_t)(e - s);
			if (len > 0 && strspn(s, " \t\r") < len) {
				if ((j = ward_json_loadb(s, len, what)) == NULL)
					goto warn;
				rc = add_signed_model(c, j, i, what);
				json_decref(j);
				if (rc != 0)
					goto warn;
			}
			s = nl ? nl + 1 : e;
		}
	}
	rc = 0;
	goto out;
warn:
	if (ward_errkind() == WARD_EENV)
		goto out;
	catalog_warn(c, "%s; model not cataloged", ward_errmsg());
	ward_err_clear();
	rc = 0;
out:
	ward_buf_free(&b);
	free(what);
	return rc;
}

int
catalog_models(struct sbom_catalog *c)
{
	for (size_t i = 0; i < c->fs.n; i++) {
		const struct sbom_file *f = &c->fs.files[i];
		const char *base = strrchr(f->path, '/');

		base = base ? base + 1 : f->path;
		if (f->type != SBOM_REG || f->owner >= 0)
			continue;
		if ((strcmp(base, "model.sig") == 0 || (ward_str_startswith(f->path, "ward/") &&
							ward_str_endswith(f->path, ".sig"))) &&
		    signature_file(c, i) != 0)
			return -1;
	}
	/* Unsigned model files by extension, unless a package owns them. */
	for (size_t i = 0; i < c->fs.n; i++) {
		const struct sbom_file *f = &c->fs.files[i];
		const char *base = strrchr(f->path, '/'), *ext = NULL;
		struct sbom_component *m;

		if (f->type != SBOM_REG || f->owner >= 0)
			continue;
		for (size_t k = 0; k < sizeof(model_exts) / sizeof(*model_exts); k++)
			if (ward_str_endswith(f->path, model_exts[k]))
				ext = model_exts[k] + 1;
		if (ext == NULL)
			continue;
		base = base ? base + 1 : f->path;
		if ((m = catalog_add(c, SBOM_KIND_MODEL_FILE, base, NULL)) == NULL)
			return -1;
		m->location = ward_strdup(f->path);
		m->model_format = ward_strdup(ext);
		m->hashed = f->hashed;
		memcpy(m->sha256, f->sha256, SHA256_LEN);
		m->layer = f->layer;
		if (m->location == NULL || m->model_format == NULL ||
		    catalog_prop(m, "ward:model:format", ext) != 0 ||
		    license_set(&m->license, "NOASSERTION", "NOASSERTION", "none") != 0 ||
		    catalog_claim(c, c->ncomps - 1, i) < 0)
			return -1;
	}
	return 0;
}

/* SPDX wants a SHA-1 of every file it lists: the signed models' files. */
int
catalog_model_checksums(struct sbom_catalog *c)
{
	size_t *want = NULL, n = 0, cap = 0;
	int rc = -1;

	for (size_t k = 0; k < c->ncomps; k++)
		for (size_t j = 0; j < c->comps[k].nmodel_files; j++) {
			ssize_t i;
			if (c->comps[k].model_files[j].path == NULL)
				continue;
			i = sbom_fileset_find(&c->fs, c->comps[k].model_files[j].path);
			if (i < 0)
				continue;
			if (ward_vec_reserve(&want, &cap, n + 1, sizeof(*want)) != 0)
				goto out;
			want[n++] = (size_t)i;
		}
	if (fileset_fetch(&c->fs, want, n) != 0)
		goto out;
	for (size_t k = 0; k < c->ncomps; k++)
		for (size_t j = 0; j < c->comps[k].nmodel_files; j++) {
			struct sbom_model_file *mf = &c->comps[k].model_files[j];
			ssize_t i = mf->path ? sbom_fileset_find(&c->fs, mf->path) : -1;
			if (i >= 0 && sha1_file(&c->fs, (size_t)i, mf->sha1) != 0)
				goto out;
		}
	rc = 0;
out:
	free(want);
	return rc;
}

/* ---------------------------------------------------------------- ward-init */

/* The version ward-init carries as "@(#)ward-init <version>". */
static char *
init_version(const struct sbom_catalog *c, size_t i)
{
	static const char mark[] = "@(#)ward-init ";
	struct ward_buf b = {0};
	char *v = NULL;

	if (sbom_fileset_read(&c->fs, i, 64u << 20, &b) != 0) {
		ward_err_clear();
		return NULL;
	}
	for (size_t k = 0; k + sizeof(mark) - 1 < b.len; k++)
		if (memcmp(b.data + k, mark, sizeof(mark) - 1) == 0) {
			const char *s = (char *)b.data + k + sizeof(mark) - 1;
			size_t n = strspn(s, "0123456789.abcdefghijklmnopqrstuvwxyz+~-");
			if (n > 0 && n < 64)
				v = ward_strndup(s, n);
			break;
		}
	ward_buf_free(&b);
	return v;
}

int
catalog_ward_init(struct sbom_catalog *c)
{
	ssize_t i = sbom_fileset_find(&c->fs, "ward/init");
	struct sbom_component *w;
	char *version;
	size_t idx;

	if (i < 0 || c->fs.files[i].type != SBOM_REG || c->fs.files[i].owner >= 0)
		return 0;
	version = init_version(c, (size_t)i);
	w = catalog_add(c, SBOM_KIND_WARD_INIT, "ward-init", version);
	free(version);
	if (w == NULL)
		return -1;
	idx = c->ncomps - 1;
	w->location = ward_strdup("ward/init");
	w->purl = purl_generic("ward-init", w->version, NULL);
	w->hashed = c->fs.files[i].hashed;
	memcpy(w->sha256, c->fs.files[i].sha256, SHA256_LEN);
	w->layer = c->fs.files[i].layer;
	if (w->location == NULL || w->purl == NULL ||
	    license_set(&w->license, "NOASSERTION", "NOASSERTION", "none") != 0 ||
	    catalog_claim(c, idx, (size_t)i) < 0)
		return -1;
	/* The rest of /ward/ (policy, keys) is ward-init's configuration. */
	for (size_t k = fileset_lower_bound(&c->fs, "ward/");
	     k < c->fs.n && strncmp(c->fs.files[k].path, "ward/", 5) == 0; k++)
		if (c->fs.files[k].owner < 0 && catalog_claim(c, idx, k) < 0)
			return -1;
	return 0;
}
