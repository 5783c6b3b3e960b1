/* python.c: Python distributions from *.dist-info and *.egg-info, wherever
 * they live; their files (RECORD, installed-files.txt), license and
 * Requires-Dist. */
#include <stdlib.h>
#include <string.h>

#include "sbom/sbom_internal.h"

/* Claim every entry below dir/ for comp (the metadata directory itself). */
static int
claim_tree(struct sbom_catalog *c, size_t comp, size_t dir)
{
	char *prefix = ward_asprintf("%s/", c->fs.files[dir].path);
	size_t plen;

	if (prefix == NULL)
		return -1;
	plen = strlen(prefix);
	if (catalog_claim(c, comp, dir) < 0)
		goto fail;
	for (size_t i = fileset_lower_bound(&c->fs, prefix);
	     i < c->fs.n && strncmp(c->fs.files[i].path, prefix, plen) == 0; i++)
		if (catalog_claim(c, comp, i) < 0)
			goto fail;
	free(prefix);
	return 0;
fail:
	free(prefix);
	return -1;
}

/* Paths in RECORD are relative to the directory holding the dist-info. */
static int
claim_record(struct sbom_catalog *c, size_t comp, const char *base, ssize_t record)
{
	struct ward_buf b = {0};
	struct sbom_record_row *rows = NULL;
	size_t n = 0;
	char *what = ward_asprintf("/%s", c->fs.files[record].path);
	int rc = -1;

	if (what == NULL)
		return -1;
	if (sbom_fileset_read(&c->fs, (size_t)record, SBOM_MAX_META, &b) != 0 ||
	    sbom_record_parse((char *)b.data, b.len, what, &rows, &n) != 0) {
		catalog_warn(c, "%s", ward_errmsg());
		ward_err_clear();
		rc = 0;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		char *joined = rows[i].path[0] == '/' ? ward_strdup(rows[i].path)
						      : ward_asprintf("%s/%s", base, rows[i].path);
		char *clean = joined ? fileset_clean(joined) : NULL;
		ssize_t f;

		free(joined);
		if (clean == NULL)
			continue; /* outside the root: nothing to own */
		f = sbom_fileset_resolve(&c->fs, clean, 0);
		free(clean);
		if (f < 0)
			continue;
		if (catalog_claim(c, comp, (size_t)f) < 0)
			goto out;
		/* A changed installed file is worth knowing about. */
		if (rows[i].hashed && c->fs.files[f].hashed &&
		    memcmp(rows[i].sha256, c->fs.files[f].sha256, SHA256_LEN) != 0)
			catalog_warn(c, "%s: /%s differs from its RECORD hash", what,
				     c->fs.files[f].path);
	}
	rc = 0;
out:
	sbom_record_rows_free(rows, n);
	ward_buf_free(&b);
	free(what);
	return rc;
}

/* Lines of a text file (installed-files.txt, requires.txt). */
static int
read_lines(struct sbom_catalog *c, ssize_t file, struct ward_strv *out, int stop_at_section)
{
	struct ward_buf b = {0};
	char *s, *e;

	if (file < 0)
		return 0;
	if (sbom_fileset_read(&c->fs, (size_t)file, SBOM_MAX_META, &b) != 0) {
		catalog_warn(c, "%s", ward_errmsg());
		ward_err_clear();
		return 0;
	}
	ward_buf_cstr(&b);
	for (s = (char *)b.data, e = s + b.len; s < e;) {
		char *nl = memchr(s, '\n', (size_t)(e - s));
		size_t n;
		if (nl)
			*nl = '\0';
		n = strlen(s);
		while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' '))
			s[--n] = '\0';
		if (stop_at_section && *s == '[')
			break;
		if (*s && *s != '#' && ward_strv_push(out, s) != 0) {
			ward_buf_free(&b);
			return -1;
		}
		s = nl ? nl + 1 : e;
	}
	ward_buf_free(&b);
	return 0;
}

static ssize_t
child(const struct sbom_catalog *c, size_t dir, const char *name)
{
	char *p = ward_asprintf("%s/%s", c->fs.files[dir].path, name);
	ssize_t i;

	if (p == NULL)
		return -1;
	i = sbom_fileset_find(&c->fs, p);
	free(p);
	return i >= 0 && c->fs.files[i].type == SBOM_REG ? i : -1;
}

static int
add_dist(struct sbom_catalog *c, size_t meta_dir, int egg)
{
	const struct sbom_file *d = &c->fs.files[meta_dir];
	ssize_t meta = d->type == SBOM_REG ? (ssize_t)meta_dir
					   : child(c, meta_dir, egg ? "PKG-INFO" : "METADATA");
	struct sbom_pymeta m = {0};
	struct sbom_component *comp;
	struct ward_buf b = {0};
	char *what = NULL, *base = NULL, *slash;
	size_t idx;
	int rc = -1;

	if (meta < 0) {
		catalog_warn(c, "/%s: no %s; distribution not cataloged", d->path,
			     egg ? "PKG-INFO" : "METADATA");
		return 0;
	}
	if ((what = ward_asprintf("/%s", c->fs.files[meta].path)) == NULL)
		return -1;
	if (sbom_fileset_read(&c->fs, (size_t)meta, SBOM_MAX_SMALL, &b) != 0 ||
	    sbom_pymeta_parse((char *)b.data, b.len, what, &m) != 0) {
		catalog_warn(c, "%s; distribution not cataloged", ward_errmsg());
		ward_err_clear();
		rc = 0;
		goto out;
	}
	if ((comp = catalog_add(c, SBOM_KIND_PYTHON, m.name, m.version)) == NULL)
		goto out;
	idx = (size_t)(comp - c->comps);
	comp->location = ward_strdup(c->fs.files[meta_dir].path);
	comp->purl = purl_pypi(m.name, m.version);
	comp->summary = m.summary, m.summary = NULL;
	comp->homepage = m.home_page, m.home_page = NULL;
	comp->supplier = m.author ? m.author : m.maintainer;
	if (m.author)
		m.author = NULL;
	else
		m.maintainer = NULL;
	comp->requires = m.requires;
	memset(&m.requires, 0, sizeof(m.requires));
	comp->layer = c->fs.files[meta].layer;
	if (comp->location == NULL || comp->purl == NULL ||
	    sbom_python_license(&m, what, &comp->license) != 0)
		goto out;
	/* Installed by a Debian package: that package contains this one. */
	if (c->fs.files[meta].owner >= 0) {
		comp->owner = c->fs.files[meta].owner;
		if (catalog_dep(&c->comps[comp->owner], idx) != 0 ||
		    catalog_prop(comp, "ward:python:installer", "deb") != 0)
			goto out;
	}
	if ((base = ward_strdup(c->fs.files[meta_dir].path)) == NULL)
		goto out;
	slash = strrchr(base, '/');
	if (slash)
		*slash = '\0';
	else
		base[0] = '\0';
	if (d->type == SBOM_DIR) {
		ssize_t record = egg ? -1 : child(c, meta_dir, "RECORD");
		if (record >= 0 && claim_record(c, idx, base, record) != 0)
			goto out;
		if (egg) {
			struct ward_strv files = {0};
			ssize_t req = child(c, meta_dir, "requires.txt");
			if (read_lines(c, child(c, meta_dir, "installed-files.txt"), &files, 0))
				goto out;
			for (size_t i = 0; i < files.n; i++) {
				char *j = ward_asprintf("%s/%s", c->fs.files[meta_dir].path,
							files.v[i]);
				char *cl = j ? fileset_clean(j) : NULL;
				if (cl && catalog_claim_path(c, idx, cl) != 0) {
					free(j), free(cl);
					ward_strv_free(&files);
					goto out;
				}
				free(j), free(cl);
			}
			ward_strv_free(&files);
			if (c->comps[idx].requires.n == 0 &&
			    read_lines(c, req, &c->comps[idx].requires, 1) != 0)
				goto out;
		}
		if (claim_tree(c, idx, meta_dir) != 0)
			goto out;
	} else if (catalog_claim(c, idx, meta_dir) < 0) {
		goto out;
	}
	rc = 0;
out:
	sbom_pymeta_free(&m);
	ward_buf_free(&b);
	free(what);
	free(base);
	return rc;
}

int
catalog_python(struct sbom_catalog *c)
{
	/* Indices stay valid: catalogers never add file entries. */
	for (size_t i = 0; i < c->fs.n; i++) {
		const struct sbom_file *f = &c->fs.files[i];
		int dist = ward_str_endswith(f->path, ".dist-info") && f->type == SBOM_DIR;
		int egg = ward_str_endswith(f->path, ".egg-info") &&
			  (f->type == SBOM_DIR || f->type == SBOM_REG);

		if ((dist || egg) && add_dist(c, i, egg) != 0)
			return -1;
	}
	return 0;
}

/* Python components by PEP 503 name: the first, then next[] to the
 * following one of that name; each requirement a lookup, not a scan. */
struct py_index {
	struct ward_strmap map;
	struct ward_strv names; /* owns the map's keys */
	size_t *next;
};

static int
py_index_build(const struct sbom_catalog *c, struct py_index *x)
{
	size_t *last = NULL;

	if ((x->next = ward_reallocarray(NULL, c->ncomps + 1, sizeof(*x->next))) == NULL ||
	    (last = ward_reallocarray(NULL, c->ncomps + 1, sizeof(*last))) == NULL)
		goto fail;
	for (size_t i = 0; i < c->ncomps; i++) {
		char *norm;
		size_t first;
		x->next[i] = SIZE_MAX;
		if (c->comps[i].kind != SBOM_KIND_PYTHON)
			continue;
		if ((norm = sbom_pep503_name(c->comps[i].name)) == NULL)
			goto fail;
		if (ward_strmap_get(&x->map, norm, &first)) {
			free(norm);
			x->next[last[first]] = i;
		} else if (ward_strv_push_owned(&x->names, norm) != 0 ||
			   ward_strmap_put(&x->map, x->names.v[x->names.n - 1], i) != 0) {
			goto fail;
		} else {
			first = i;
		}
		last[first] = i;
	}
	free(last);
	return 0;
fail:
	free(last);
	return -1;
}

int
catalog_python_deps(struct sbom_catalog *c)
{
	struct py_index x = {0};
	size_t *mark = ward_calloc(c->ncomps + 1, sizeof(*mark));
	int rc = -1;

	if (mark == NULL || py_index_build(c, &x) != 0)
		goto out;
	for (size_t i = 0; i < c->ncomps; i++) {
		struct sbom_component *p = &c->comps[i];
		if (p->kind != SBOM_KIND_PYTHON)
			continue;
		for (size_t k = 0; k < p->ndeps; k++)
			mark[p->deps[k]] = i + 1;
		for (size_t r = 0; r < p->requires.n; r++) {
			const char *req = p->requires.v[r], *semi = strchr(req, ';');
			size_t n =
				strspn(req, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					    "0123456789._-");
			char *name, *norm;

			/* Optional extras are not installed dependencies. */
			if (n == 0 || (semi && strstr(semi, "extra") != NULL))
				continue;
			if ((name = ward_strndup(req, n)) == NULL)
				goto out;
			norm = sbom_pep503_name(name);
			free(name);
			if (norm == NULL)
				goto out;
			{
				size_t k;
				int found = ward_strmap_get(&x.map, norm, &k);
				free(norm);
				/* the first of that name that is not p itself */
				while (found && k == i)
					found = (k = x.next[k]) != SIZE_MAX;
				if (found && mark[k] != i + 1) {
					mark[k] = i + 1;
					if (catalog_dep_append(p, k) != 0)
						goto out;
				}
			}
		}
	}
	rc = 0;
out:
	ward_strmap_free(&x.map);
	ward_strv_free(&x.names);
	free(x.next);
	free(mark);
	return rc;
}
