/* catalog.c: build a catalog — file index, catalogers in order of trust,
 * ownership and completeness, then a stable order and unique refs. */
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sbom/sbom_internal.h"

const char *
sbom_kind_name(int kind)
{
	static const char *names[] = {"deb", "python", "model", "model-file", "elf", "ward-init"};
	return kind >= 0 && kind <= SBOM_KIND_WARD_INIT ? names[kind] : "unknown";
}

struct sbom_component *
catalog_add(struct sbom_catalog *c, int kind, const char *name, const char *version)
{
	struct sbom_component *comp;

	if (ward_vec_grow(&c->comps, c->ncomps, sizeof(*c->comps)) != 0)
		return NULL;
	comp = &c->comps[c->ncomps];
	memset(comp, 0, sizeof(*comp));
	comp->kind = kind;
	comp->owner = -1;
	comp->layer = -1;
	if ((comp->name = ward_strdup(name)) == NULL ||
	    (version && (comp->version = ward_strdup(version)) == NULL)) {
		free(comp->name);
		return NULL;
	}
	c->ncomps++;
	return comp;
}

static int
push_index(size_t **v, size_t *n, size_t x)
{
	if (ward_vec_grow(v, *n, sizeof(**v)) != 0)
		return -1;
	(*v)[(*n)++] = x;
	return 0;
}

int
catalog_claim(struct sbom_catalog *c, size_t comp, size_t file)
{
	struct sbom_file *f = &c->fs.files[file];

	if (f->owner >= 0) {
		/* A package's own contents (a deb shipping a dist-info) are not
		 * a conflict; two unrelated claimants are. */
		if ((size_t)f->owner != comp && f->type == SBOM_REG &&
		    c->comps[comp].owner != f->owner) {
			c->counts.shared++;
			ward_debug("/%s: owned by %s, also claimed by %s", f->path,
				   c->comps[f->owner].name, c->comps[comp].name);
		}
		return 0;
	}
	if (push_index(&c->comps[comp].files, &c->comps[comp].nfiles, file) != 0)
		return -1;
	f->owner = (int32_t)comp;
	return 1;
}

int
catalog_claim_path(struct sbom_catalog *c, size_t comp, const char *path)
{
	ssize_t i = sbom_fileset_resolve(&c->fs, path, 0);

	if (i < 0)
		return 0;
	return catalog_claim(c, comp, (size_t)i) < 0 ? -1 : 0;
}

int
catalog_prop(struct sbom_component *comp, const char *name, const char *value)
{
	if (value == NULL)
		return 0;
	if (ward_strv_push(&comp->props, name) != 0 || ward_strv_push(&comp->props, value) != 0)
		return -1;
	return 0;
}

int
catalog_dep_append(struct sbom_component *comp, size_t dep)
{
	return push_index(&comp->deps, &comp->ndeps, dep);
}

int
catalog_dep(struct sbom_component *comp, size_t dep)
{
	for (size_t i = 0; i < comp->ndeps; i++)
		if (comp->deps[i] == dep)
			return 0;
	return push_index(&comp->deps, &comp->ndeps, dep);
}

void
catalog_warn(struct sbom_catalog *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ward_strv_vpushf(&c->warnings, fmt, ap); /* a lost warning is not an error */
	va_end(ap);
}

/* ---------------------------------------------------------------- os-release */

static char *
os_value(const char *text, const char *key)
{
	size_t klen = strlen(key);

	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (n > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
			const char *v = p + klen + 1;
			size_t vn = n - klen - 1;
			if (vn >= 2 && (v[0] == '"' || v[0] == '\'') && v[vn - 1] == v[0])
				v++, vn -= 2;
			for (size_t i = 0; i < vn; i++)
				if (!(v[i] == '.' || v[i] == '-' || v[i] == '_' ||
				      (v[i] >= '0' && v[i] <= '9') ||
				      (v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z')))
					return NULL; /* only identifiers go into purls */
			return vn ? ward_strndup(v, vn) : NULL;
		}
		p = nl ? nl + 1 : NULL;
	}
	return NULL;
}

static int
os_release(struct sbom_catalog *c)
{
	ssize_t i = fileset_regular(&c->fs, "etc/os-release");
	struct ward_buf b = {0};
	char *version;

	if (i < 0)
		i = fileset_regular(&c->fs, "usr/lib/os-release");
	if (i < 0)
		return 0;
	if (sbom_fileset_read(&c->fs, (size_t)i, 65536, &b) != 0) {
		catalog_warn(c, "%s", ward_errmsg());
		ward_err_clear();
		return 0;
	}
	ward_buf_cstr(&b);
	c->os_id = os_value((char *)b.data, "ID");
	version = os_value((char *)b.data, "VERSION_ID");
	if (version == NULL)
		version = os_value((char *)b.data, "VERSION_CODENAME");
	if (c->os_id && version)
		c->distro = ward_asprintf("%s-%s", c->os_id, version);
	free(version);
	ward_buf_free(&b);
	return 0;
}

/* ---------------------------------------------------------------- pyc */

/* Byte code compiled at install time (Debian's py3compile, pip) is owned
 * by whoever owns its source: d/__pycache__/m.cpython-311[.opt-1].pyc and
 * the Python 2 style d/m.pyc both come from d/m.py. */
static int
claim_bytecode(struct sbom_catalog *c)
{
	for (size_t i = 0; i < c->fs.n; i++) {
		struct sbom_file *f = &c->fs.files[i];
		const char *p = f->path, *slash, *base, *dot;
		char *src;
		ssize_t s;

		if (f->type != SBOM_REG || f->owner >= 0 || !ward_str_endswith(p, ".pyc"))
			continue;
		slash = strrchr(p, '/');
		base = slash ? slash + 1 : p;
		if (slash && slash - p >= 11 && strncmp(slash - 11, "__pycache__", 11) == 0 &&
		    (slash - p == 11 || slash[-12] == '/')) {
			/* d/__pycache__/m.tag.pyc -> d/m.py ("" when d is the root) */
			size_t dlen = (size_t)(slash - 11 - p);
			dot = strchr(base, '.');
			src = ward_asprintf("%.*s%.*s.py", (int)dlen, p, (int)(dot - base), base);
		} else {
			src = ward_asprintf("%.*s", (int)(strlen(p) - 1), p);
		}
		if (src == NULL)
			return -1;
		s = sbom_fileset_find(&c->fs, src);
		free(src);
		if (s >= 0 && c->fs.files[s].owner >= 0) {
			if (catalog_claim(c, (size_t)c->fs.files[s].owner, i) < 0)
				return -1;
			c->counts.derived++;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- order */

static int
strcmp_null(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int
comp_cmp(const void *pa, const void *pb)
{
	const struct sbom_component *a = pa, *b = pb;
	int r;

	if (a->kind != b->kind)
		return a->kind - b->kind;
	if ((r = strcmp(a->name, b->name)) != 0)
		return r;
	if ((r = strcmp_null(a->arch, b->arch)) != 0)
		return r;
	if ((r = strcmp_null(a->version, b->version)) != 0)
		return r;
	return strcmp_null(a->location, b->location);
}

static int
idx_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

static int
order_cmp(const void *a, const void *b, void *ctx)
{
	const struct sbom_component *v = ctx;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int r = comp_cmp(&v[x], &v[y]);

	return r ? r : idx_cmp(a, b);
}

/* Sort components, then rewrite every index that points at one. */
static int
reorder(struct sbom_catalog *c)
{
	size_t n = c->ncomps, *newpos = NULL, *order = NULL;
	struct sbom_component *copy = NULL;
	int rc = -1;

	if (n == 0)
		return 0;
	if ((newpos = ward_calloc(n, sizeof(*newpos))) == NULL ||
	    (order = ward_calloc(n, sizeof(*order))) == NULL ||
	    (copy = ward_calloc(n, sizeof(*copy))) == NULL)
		goto out;
	memcpy(copy, c->comps, n * sizeof(*copy));
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof(*order), order_cmp, copy);
	for (size_t i = 0; i < n; i++) {
		c->comps[i] = copy[order[i]];
		newpos[order[i]] = i;
	}
	for (size_t i = 0; i < n; i++) {
		struct sbom_component *p = &c->comps[i];
		if (p->owner >= 0)
			p->owner = (ssize_t)newpos[p->owner];
		for (size_t k = 0; k < p->ndeps; k++)
			p->deps[k] = newpos[p->deps[k]];
		if (p->ndeps > 1)
			qsort(p->deps, p->ndeps, sizeof(*p->deps), idx_cmp);
		if (p->nfiles > 1)
			qsort(p->files, p->nfiles, sizeof(*p->files), idx_cmp);
	}
	for (size_t i = 0; i < c->fs.n; i++)
		if (c->fs.files[i].owner >= 0)
			c->fs.files[i].owner = (int32_t)newpos[c->fs.files[i].owner];
	rc = 0;
out:
	free(newpos);
	free(order);
	free(copy);
	return rc;
}

/* Component indexes sorted by a string field (then index): equal values
 * are adjacent, found in O(n log n) instead of comparing every pair. */
static int
cmp_by_purl(const void *a, const void *b, void *arg)
{
	const struct sbom_catalog *c = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int r = strcmp(c->comps[x].purl ? c->comps[x].purl : "",
		       c->comps[y].purl ? c->comps[y].purl : "");

	return r ? r : x < y ? -1 : x > y;
}

static int
cmp_by_ref(const void *a, const void *b, void *arg)
{
	const struct sbom_catalog *c = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int r = strcmp(c->comps[x].ref, c->comps[y].ref);

	return r ? r : x < y ? -1 : x > y;
}

/* bom-refs: the purl when no other component has it, else kind:location. */
static int
assign_refs(struct sbom_catalog *c)
{
	size_t *v = ward_reallocarray(NULL, c->ncomps + 1, sizeof(*v));
	unsigned char *shared = ward_calloc(c->ncomps + 1, 1);
	int rc = -1;

	if (v == NULL || shared == NULL)
		goto out;
	for (size_t i = 0; i < c->ncomps; i++)
		v[i] = i;
	qsort_r(v, c->ncomps, sizeof(*v), cmp_by_purl, c);
	for (size_t i = 1; i < c->ncomps; i++)
		if (c->comps[v[i]].purl && c->comps[v[i - 1]].purl &&
		    strcmp(c->comps[v[i]].purl, c->comps[v[i - 1]].purl) == 0)
			shared[v[i]] = shared[v[i - 1]] = 1;
	for (size_t i = 0; i < c->ncomps; i++) {
		struct sbom_component *p = &c->comps[i];
		if (p->purl != NULL && !shared[i])
			p->ref = ward_strdup(p->purl);
		else
			p->ref = ward_asprintf("%s:/%s", sbom_kind_name(p->kind),
					       p->location ? p->location : p->name);
		if (p->ref == NULL)
			goto out;
	}
	/* Two components with one location and no unique purl: number every
	 * one but the first (in component order). */
	for (size_t i = 0; i < c->ncomps; i++)
		v[i] = i;
	qsort_r(v, c->ncomps, sizeof(*v), cmp_by_ref, c);
	for (size_t i = c->ncomps; i-- > 1;)
		if (strcmp(c->comps[v[i]].ref, c->comps[v[i - 1]].ref) == 0) {
			char *r = ward_asprintf("%s#%zu", c->comps[v[i]].ref, v[i]);
			if (r == NULL)
				goto out;
			free(c->comps[v[i]].ref);
			c->comps[v[i]].ref = r;
		}
	rc = 0;
out:
	free(v);
	free(shared);
	return rc;
}

static int
cmp_prop(const void *a, const void *b)
{
	char *const *x = a, *const *y = b;
	int r = strcmp(x[0], y[0]);

	return r ? r : strcmp(x[1], y[1]);
}

/* Properties sorted by name (then value), kept as pairs. */
static void
sort_props(struct ward_strv *props)
{
	if (props->n >= 4)
		qsort(props->v, props->n / 2, 2 * sizeof(*props->v), cmp_prop);
}

static int
finish(struct sbom_catalog *c)
{
	char *manifest;
	size_t nun = 0;
	time_t t;
	int has;

	if (reorder(c) != 0 || assign_refs(c) != 0)
		return -1;
	for (size_t i = 0; i < c->ncomps; i++)
		sort_props(&c->comps[i].props);
	memset(&c->counts.owned, 0, sizeof(c->counts.owned));
	c->counts.files = c->counts.unowned = 0;
	c->counts.entries = c->fs.n;
	c->counts.bytes = 0;
	for (size_t i = 0; i < c->fs.n; i++) {
		const struct sbom_file *f = &c->fs.files[i];
		if (f->type != SBOM_REG)
			continue;
		c->counts.files++;
		c->counts.bytes += f->size;
		if (f->owner >= 0)
			c->counts.owned[c->comps[f->owner].kind]++;
		else
			c->counts.unowned++;
	}
	if ((c->unowned = ward_calloc(c->counts.unowned + 1, sizeof(*c->unowned))) == NULL)
		return -1;
	for (size_t i = 0; i < c->fs.n; i++)
		if (c->fs.files[i].type == SBOM_REG && c->fs.files[i].owner < 0)
			c->unowned[nun++] = i;
	/* Timestamp: SOURCE_DATE_EPOCH, else the newest entry — never "now". */
	if ((has = ward_source_date_epoch(&t)) < 0)
		return -1;
	if (has) {
		c->epoch = t;
	} else {
		c->epoch = 0;
		for (size_t i = 0; i < c->fs.n; i++)
			if (c->fs.files[i].mtime > c->epoch)
				c->epoch = (time_t)c->fs.files[i].mtime;
	}
	ward_strv_sort(&c->warnings);
	{ /* duplicates out in one pass */
		size_t w = 0;
		for (size_t i = 0; i < c->warnings.n; i++) {
			if (w > 0 && strcmp(c->warnings.v[i], c->warnings.v[w - 1]) == 0)
				free(c->warnings.v[i]);
			else
				c->warnings.v[w++] = c->warnings.v[i];
		}
		c->warnings.n = w;
		if (c->warnings.v != NULL)
			c->warnings.v[w] = NULL;
	}
	if ((manifest = sbom_files_manifest(c)) == NULL)
		return -1;
	sha256(manifest, strlen(manifest), c->manifest_sha256);
	free(manifest);
	return 0;
}

/* The catalogers, in order of trust: the package manager's database first,
 * then Python's metadata, then what only the files themselves say. */
int
catalog_run(struct sbom_catalog *c)
{
	if (os_release(c) != 0 || catalog_dpkg(c) != 0 || catalog_python(c) != 0 ||
	    claim_bytecode(c) != 0 || catalog_models(c) != 0 || catalog_ward_init(c) != 0 ||
	    catalog_model_checksums(c) != 0 || catalog_elf(c) != 0 || catalog_dpkg_deps(c) != 0 ||
	    catalog_python_deps(c) != 0)
		return -1;
	return finish(c);
}

int
sbom_catalog_rootfs(const char *dir, const struct sbom_opts *opts, struct sbom_catalog **out)
{
	struct sbom_opts none = {0};
	struct sbom_catalog *c;
	char real[PATH_MAX];

	if (opts == NULL)
		opts = &none;
	*out = NULL;
	if ((c = ward_calloc(1, sizeof(*c))) == NULL)
		return -1;
	if (fileset_walk(dir, &c->fs) != 0 ||
	    fileset_hash(&c->fs, opts->threads, opts->progress, NULL) != 0)
		goto fail;
	if (opts->name)
		c->name = ward_strdup(opts->name);
	else if (realpath(dir, real) != NULL)
		c->name = ward_strdup(strcmp(real, "/") == 0 ? "rootfs" : basename(real));
	else
		c->name = ward_strdup("rootfs");
	if (c->name == NULL || catalog_run(c) != 0)
		goto fail;
	*out = c;
	return 0;
fail:
	sbom_catalog_free(c);
	return -1;
}

void
sbom_license_free(struct sbom_license *l)
{
	if (l == NULL)
		return;
	free(l->declared);
	free(l->concluded);
	free(l->source);
	ward_strv_free(&l->found);
	ward_strv_free(&l->texts);
	memset(l, 0, sizeof(*l));
}

static void
component_free(struct sbom_component *p)
{
	free(p->ref), free(p->name), free(p->version), free(p->arch), free(p->source);
	free(p->source_version), free(p->purl), free(p->location), free(p->summary);
	free(p->supplier), free(p->homepage), free(p->deps), free(p->files);
	free(p->soname), free(p->elf_type), free(p->model_format);
	sbom_license_free(&p->license);
	ward_strv_free(&p->requires);
	ward_strv_free(&p->provides);
	ward_strv_free(&p->needed);
	ward_strv_free(&p->props);
	for (size_t i = 0; i < p->nmodel_files; i++) {
		free(p->model_files[i].name);
		free(p->model_files[i].path);
	}
	free(p->model_files);
}

void
sbom_catalog_free(struct sbom_catalog *c)
{
	if (c == NULL)
		return;
	fileset_free(&c->fs);
	for (size_t i = 0; i < c->ncomps; i++)
		component_free(&c->comps[i]);
	free(c->comps);
	free(c->name), free(c->tag), free(c->digest), free(c->digest_kind), free(c->purl);
	for (size_t i = 0; i < c->nlayers; i++) {
		free(c->layers[i].digest);
		free(c->layers[i].diff_id);
	}
	free(c->layers);
	free(c->distro), free(c->os_id), free(c->unowned);
	ward_strv_free(&c->warnings);
	free(c);
}
