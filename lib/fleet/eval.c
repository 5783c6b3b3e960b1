/*
 * eval.c: the engine behind impact and sync.
 *
 * A finding of vuln_scan belongs to one owner: a Debian package (for its
 * source's records and for the Python distributions it ships) or a lone
 * distribution, and depends only on the owner's package group (every
 * Debian package of the image built from the same source version — the
 * matcher weighs one changelog per source version, the first found among
 * them —, the distributions they ship) and the store.  So the inventory is
 * read as:
 *
 *   keys ("ecosystem\tname", what vuln_scan looks packages up by)
 *     -> pkg_key -> the package tuples with those keys
 *     -> plus their owners, the other packages of those owners' sources,
 *        and the distributions they ship
 *     -> image_pkg -> (image, tuple) pairs
 *     -> per image, package groups; each distinct group (its sorted tuple
 *        ids) is one vuln_scan call, whose report every image with the
 *        same group shares.
 *
 * An advisory therefore reads only its packages' rows, and the rules are
 * vuln_scan's own.
 */
#include <stdlib.h>
#include <string.h>

#include "deb/deb.h"
#include "fleet/fleet_internal.h"

struct pair {
	int64_t image, pkg;
};

struct memo {
	char **key;
	size_t *cls;
	size_t n, cap; /* cap is a power of two */
};

static uint64_t
str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* The slot of key (its class index, or SIZE_MAX when new: fill it in). */
static size_t *
memo_slot(struct memo *m, const char *key)
{
	size_t i;

	if (m->n * 2 >= m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 256;
		char **k = ward_calloc(cap, sizeof(*k));
		size_t *c = ward_calloc(cap, sizeof(*c));
		if (k == NULL || c == NULL) {
			free(k);
			free(c);
			return NULL;
		}
		for (size_t j = 0; j < m->cap; j++) {
			if (m->key[j] == NULL)
				continue;
			for (i = str_hash(m->key[j]) & (cap - 1); k[i] != NULL;
			     i = (i + 1) & (cap - 1))
				;
			k[i] = m->key[j];
			c[i] = m->cls[j];
		}
		free(m->key);
		free(m->cls);
		m->key = k;
		m->cls = c;
		m->cap = cap;
	}
	for (i = str_hash(key) & (m->cap - 1); m->key[i] != NULL; i = (i + 1) & (m->cap - 1))
		if (strcmp(m->key[i], key) == 0)
			return &m->cls[i];
	if ((m->key[i] = ward_strdup(key)) == NULL)
		return NULL;
	m->cls[i] = SIZE_MAX;
	m->n++;
	return &m->cls[i];
}

static void
memo_free(struct memo *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->cap; i++)
		free(m->key[i]);
	free(m->key);
	free(m->cls);
	free(m);
}

void
fleet_eval_free(struct fleet_eval *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->npkgs; i++) {
		free(e->pkgs[i].data);
		free(e->pkgs[i].src);
	}
	free(e->pkgs);
	for (size_t i = 0; i < e->nclasses; i++) {
		free(e->classes[i].members);
		vuln_report_free(&e->classes[i].r);
	}
	free(e->classes);
	free(e->uses);
	memo_free(e->memo);
	vuln_debcache_close(e->debcache);
	memset(e, 0, sizeof(*e));
}

static int
pkg_cmp(const void *x, const void *y)
{
	const struct fleet_pkg *a = x, *b = y;

	return (a->id > b->id) - (a->id < b->id);
}

const struct fleet_pkg *
fleet_eval_pkg(const struct fleet_eval *e, int64_t id)
{
	struct fleet_pkg key = {.id = id};

	return e->npkgs ? bsearch(&key, e->pkgs, e->npkgs, sizeof(key), pkg_cmp) : NULL;
}

int
fleet_i64_cmp(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

static int
push_i64(int64_t **v, size_t *n, size_t *cap, int64_t x)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 256;
		int64_t *nv = ward_realloc(*v, c * sizeof(*nv));
		if (nv == NULL)
			return -1;
		*v = nv;
		*cap = c;
	}
	(*v)[(*n)++] = x;
	return 0;
}

size_t
fleet_i64_uniq(int64_t *v, size_t n)
{
	size_t k = 0;

	if (n > 1)
		qsort(v, n, sizeof(*v), fleet_i64_cmp);
	for (size_t i = 0; i < n; i++)
		if (k == 0 || v[k - 1] != v[i])
			v[k++] = v[i];
	return k;
}

/* Run an IN-list query over ids in batches; row(c, arg) for every row. */
static int
each_in(struct fdb *db, const char *head, const char *tail, const int64_t *ids, size_t n,
	int (*row)(struct fdb_cur *c, void *arg), void *arg)
{
	char *sql = fleet_in_sql(head, tail, FLEET_BATCH);
	struct fdb_val v[FLEET_BATCH];
	int rc = sql ? 0 : -1;

	for (size_t at = 0; rc == 0 && at < n; at += FLEET_BATCH) {
		struct fdb_cur *c;
		for (size_t k = 0; k < FLEET_BATCH; k++)
			v[k] = fv_int(ids[at + k < n ? at + k : n - 1]);
		if ((c = fdb_query(db, sql, v, FLEET_BATCH)) == NULL) {
			rc = -1;
			break;
		}
		while ((rc = fdb_next(c)) == 1)
			if (row(c, arg) != 0) {
				rc = -1;
				break;
			}
		fdb_cur_close(c);
	}
	free(sql);
	return rc < 0 ? -1 : 0;
}

static int source_key(struct fleet_pkg *p);

static int
take_pkg(struct fdb_cur *c, void *arg)
{
	struct fleet_eval *e = arg;
	struct fleet_pkg *p;

	if (e->npkgs == e->cappkgs) {
		size_t cap = e->cappkgs ? e->cappkgs * 2 : 256;
		struct fleet_pkg *np = ward_realloc(e->pkgs, cap * sizeof(*np));
		if (np == NULL)
			return -1;
		e->pkgs = np;
		e->cappkgs = cap;
	}
	p = &e->pkgs[e->npkgs];
	p->id = fdb_int(c, 0);
	p->owner = fdb_isnull(c, 1) ? 0 : fdb_int(c, 1);
	p->src = NULL;
	if ((p->data = ward_strdup(fdb_text(c, 2) ? fdb_text(c, 2) : "{}")) == NULL)
		return -1;
	e->npkgs++;
	return source_key(p);
}

/* The source version a Debian tuple was built from, as vuln_scan keys its
 * changelog evidence: (source or name, source version or version). */
static int
source_key(struct fleet_pkg *p)
{
	json_t *j = ward_json_loadb(p->data, strlen(p->data), "inventory package");
	const char *eco = ward_json_str(j, "ecosystem"), *src, *sv;
	int rc = 0;

	if (j == NULL)
		return -1;
	if (eco != NULL && strncmp(eco, "Debian:", 7) == 0) {
		src = ward_json_str(j, "source") ? ward_json_str(j, "source")
						 : ward_json_str(j, "name");
		sv = ward_json_str(j, "source_version") ? ward_json_str(j, "source_version")
							: ward_json_str(j, "version");
		if (src != NULL && sv != NULL &&
		    (p->src = ward_asprintf("%s\t%s\t%s", eco, src, sv)) == NULL)
			rc = -1;
	}
	json_decref(j);
	return rc;
}

/* Sort e->pkgs and drop tuples loaded twice. */
static void
pkgs_settle(struct fleet_eval *e)
{
	size_t k = 0;

	if (e->npkgs > 1)
		qsort(e->pkgs, e->npkgs, sizeof(*e->pkgs), pkg_cmp);
	for (size_t i = 0; i < e->npkgs; i++) {
		if (k > 0 && e->pkgs[k - 1].id == e->pkgs[i].id) {
			free(e->pkgs[i].data);
			free(e->pkgs[i].src);
			continue;
		}
		e->pkgs[k++] = e->pkgs[i];
	}
	e->npkgs = k;
}

static int
load_pkgs(struct fdb *db, struct fleet_eval *e, const int64_t *ids, size_t n)
{
	if (each_in(db, "SELECT id, owner_pkg, data FROM pkg WHERE id IN ", NULL, ids, n, take_pkg,
		    e) != 0)
		return -1;
	pkgs_settle(e);
	return 0;
}

struct pairs {
	struct pair *v;
	size_t n, cap;
};

static int
take_pair(struct fdb_cur *c, void *arg)
{
	struct pairs *p = arg;

	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 1024;
		struct pair *nv = ward_realloc(p->v, cap * sizeof(*nv));
		if (nv == NULL)
			return -1;
		p->v = nv;
		p->cap = cap;
	}
	p->v[p->n].pkg = fdb_int(c, 0);
	p->v[p->n].image = fdb_int(c, 1);
	p->n++;
	return 0;
}

static int
pair_cmp(const void *x, const void *y)
{
	const struct pair *a = x, *b = y;

	if (a->image != b->image)
		return (a->image > b->image) - (a->image < b->image);
	return (a->pkg > b->pkg) - (a->pkg < b->pkg);
}

/* One package group's report: vuln_scan_with over its packages. */
static int
run_class(struct vuln_db *db, const struct ward_strv *only, struct fleet_eval *e,
	  struct fleet_class *cls)
{
	struct vuln_pkglist l = {0};
	int rc = -1;

	for (size_t i = 0; i < cls->nmembers; i++) {
		const struct fleet_pkg *p = fleet_eval_pkg(e, cls->members[i]);
		json_t *j;
		if (p == NULL) {
			ward_err(WARD_EENV, "inventory: package tuple %lld vanished",
				 (long long)cls->members[i]);
			goto out;
		}
		j = ward_json_loadb(p->data, strlen(p->data), "inventory package");
		if (j == NULL || vuln_pkg_from_json(j, "inventory package", &l) != 0) {
			json_decref(j);
			goto out;
		}
		json_decref(j);
	}
	vuln_pkglist_sort(&l);
	if (!e->debcache_tried) {
		/* what vuln_scan_with would open for each scan (the default cache,
		 * as `ward scan` uses), opened once */
		char *dir = deb_cache_dir(NULL);
		e->debcache_tried = 1;
		if (dir == NULL || (e->debcache = vuln_debcache_open(dir)) == NULL)
			ward_err_clear(); /* each scan tries, and warns, itself */
		free(dir);
	}
	{
		struct vuln_scan_opts o = {.only = only, .debcache = e->debcache};
		rc = vuln_scan_with(db, &l, &o, &cls->r);
	}
out:
	vuln_pkglist_free(&l);
	return rc;
}

struct member {
	int64_t owner, pkg;
};

static int
member_cmp(const void *x, const void *y)
{
	const struct member *a = x, *b = y;

	if (a->owner != b->owner)
		return (a->owner > b->owner) - (a->owner < b->owner);
	return (a->pkg > b->pkg) - (a->pkg < b->pkg);
}

static int
add_use(struct fleet_eval *e, int64_t image, int64_t owner, size_t cls)
{
	if (e->nuses == e->capuses) {
		size_t cap = e->capuses ? e->capuses * 2 : 1024;
		struct fleet_use *n = ward_realloc(e->uses, cap * sizeof(*n));
		if (n == NULL)
			return -1;
		e->uses = n;
		e->capuses = cap;
	}
	e->uses[e->nuses].image = image;
	e->uses[e->nuses].owner = owner;
	e->uses[e->nuses].cls = cls;
	e->nuses++;
	return 0;
}

/* The class of one group (members sorted), made and evaluated when new. */
static int
group_class(struct fleet_eval *e, struct vuln_db *db, const struct ward_strv *only,
	    const struct member *g, size_t n, size_t *out)
{
	struct ward_buf key = {0};
	size_t *slot;
	struct fleet_class *cls;

	for (size_t i = 0; i < n; i++)
		ward_buf_printf(&key, i ? ",%lld" : "%lld", (long long)g[i].pkg);
	if (ward_buf_cstr(&key) == NULL || (slot = memo_slot(e->memo, (char *)key.data)) == NULL) {
		ward_buf_free(&key);
		return -1;
	}
	ward_buf_free(&key);
	if (*slot != SIZE_MAX) {
		*out = *slot;
		return 0;
	}
	if (e->nclasses == e->capclasses) {
		size_t cap = e->capclasses ? e->capclasses * 2 : 64;
		struct fleet_class *nc = ward_realloc(e->classes, cap * sizeof(*nc));
		if (nc == NULL)
			return -1;
		e->classes = nc;
		e->capclasses = cap;
	}
	cls = &e->classes[e->nclasses];
	memset(cls, 0, sizeof(*cls));
	cls->owner = g[0].owner;
	if ((cls->members = ward_calloc(n, sizeof(*cls->members))) == NULL)
		return -1;
	cls->nmembers = n;
	for (size_t i = 0; i < n; i++)
		cls->members[i] = g[i].pkg;
	if (run_class(db, only, e, cls) != 0) {
		free(cls->members);
		return -1;
	}
	*slot = *out = e->nclasses++;
	return 0;
}

/* Pairs -> package groups per image -> classes and uses. */
static int
evaluate(struct fleet_eval *e, struct vuln_db *db, const struct ward_strv *only, struct pairs *p)
{
	struct member *g = NULL;
	size_t capg = 0;
	int rc = 0;

	if (e->memo == NULL && (e->memo = ward_calloc(1, sizeof(struct memo))) == NULL)
		return -1;
	if (p->n > 1)
		qsort(p->v, p->n, sizeof(*p->v), pair_cmp);
	for (size_t at = 0; rc == 0 && at < p->n;) {
		size_t end = at, n = 0;
		while (end < p->n && p->v[end].image == p->v[at].image)
			end++;
		if (end - at > capg) {
			struct member *ng = ward_realloc(g, (end - at) * sizeof(*g));
			if (ng == NULL) {
				rc = -1;
				break;
			}
			g = ng;
			capg = end - at;
		}
		for (size_t i = at; i < end; i++) {
			const struct fleet_pkg *pk = fleet_eval_pkg(e, p->v[i].pkg), *src = pk;
			if (pk == NULL)
				continue; /* added after the tuples were read: not ours */
			if (pk->owner != 0) {
				/* a distribution goes with its owner, which this image
				 * holds (the owner was resolved inside the image) */
				struct pair key = {p->v[at].image, pk->owner};
				if (bsearch(&key, p->v + at, end - at, sizeof(key), pair_cmp) !=
				    NULL)
					src = fleet_eval_pkg(e, pk->owner);
			}
			/* the group: the source version, else the tuple alone */
			g[n].owner = src != NULL && src->src != NULL
					     ? fleet_hash_id(src->src, strlen(src->src))
					     : pk->id;
			g[n++].pkg = p->v[i].pkg;
		}
		if (n > 1)
			qsort(g, n, sizeof(*g), member_cmp);
		for (size_t i = 0; rc == 0 && i < n;) {
			size_t j = i, cls;
			while (j < n && g[j].owner == g[i].owner)
				j++;
			rc = group_class(e, db, only, g + i, j - i, &cls);
			if (rc == 0)
				rc = add_use(e, p->v[at].image, g[i].owner, cls);
			i = j;
		}
		at = end;
	}
	free(g);
	return rc;
}

/* The tuples indexed under one key ("ecosystem\tname"), appended to ids. */
static int
key_pkgs(struct fdb *db, const char *key, int64_t **ids, size_t *n, size_t *cap)
{
	const char *tab = strchr(key, '\t');
	struct fdb_val v[2];
	struct fdb_cur *c;
	char *eco;
	int r;

	if (tab == NULL || (eco = ward_strndup(key, (size_t)(tab - key))) == NULL)
		return -1;
	v[0] = fv_text(eco);
	v[1] = fv_text(tab + 1);
	c = fdb_query(db, "SELECT pkg_id FROM pkg_key WHERE ecosystem=? AND name=?", v, 2);
	free(eco);
	if (c == NULL)
		return -1;
	while ((r = fdb_next(c)) == 1)
		if (push_i64(ids, n, cap, fdb_int(c, 0)) != 0) {
			r = -1;
			break;
		}
	fdb_cur_close(c);
	return r < 0 ? -1 : 0;
}

int
fleet_eval_keys(struct fleet *f, struct vuln_db *db, const struct ward_strv *only,
		const struct ward_strv *keys, struct fleet_eval *out)
{
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	struct pairs p = {0};
	int rc = -1;

	memset(out, 0, sizeof(*out));
	/* 1. the tuples the keys name */
	for (size_t i = 0; i < keys->n; i++)
		if (key_pkgs(f->db, keys->v[i], &ids, &n, &cap) != 0)
			goto out;
	n = fleet_i64_uniq(ids, n);
	if (load_pkgs(f->db, out, ids, n) != 0)
		goto out;
	/* 2. their owners, then every distribution those owners ship */
	n = 0;
	for (size_t i = 0; i < out->npkgs; i++)
		if (out->pkgs[i].owner != 0 && fleet_eval_pkg(out, out->pkgs[i].owner) == NULL &&
		    push_i64(&ids, &n, &cap, out->pkgs[i].owner) != 0)
			goto out;
	n = fleet_i64_uniq(ids, n);
	if (n > 0 && load_pkgs(f->db, out, ids, n) != 0)
		goto out;
	/* ... the other packages of those owners' sources ... */
	{
		struct ward_strv more = {0};
		int r = 0;
		for (size_t i = 0; r == 0 && i < out->npkgs; i++) {
			struct vuln_pkglist l = {0};
			json_t *j;
			if (out->pkgs[i].src == NULL)
				continue;
			j = ward_json_loadb(out->pkgs[i].data, strlen(out->pkgs[i].data),
					    "inventory package");
			r = j == NULL || vuln_pkg_from_json(j, "inventory package", &l) != 0 ||
					    vuln_pkg_keys(&l.v[0], &more) != 0
				    ? -1
				    : 0;
			json_decref(j);
			vuln_pkglist_free(&l);
		}
		ward_strv_sort(&more);
		n = 0;
		for (size_t i = 0; r == 0 && i < more.n; i++)
			if ((i == 0 || strcmp(more.v[i], more.v[i - 1]) != 0) &&
			    !ward_strv_contains(keys, more.v[i]))
				r = key_pkgs(f->db, more.v[i], &ids, &n, &cap);
		ward_strv_free(&more);
		if (r != 0)
			goto out;
		n = fleet_i64_uniq(ids, n);
		if (n > 0 && load_pkgs(f->db, out, ids, n) != 0)
			goto out;
	}
	n = 0;
	for (size_t i = 0; i < out->npkgs; i++)
		if (out->pkgs[i].owner == 0 && push_i64(&ids, &n, &cap, out->pkgs[i].id) != 0)
			goto out;
	if (n > 0 && (each_in(f->db, "SELECT id, owner_pkg, data FROM pkg WHERE owner_pkg IN ",
			      NULL, ids, n, take_pkg, out) != 0))
		goto out;
	pkgs_settle(out);
	/* 3. the images holding them */
	n = 0;
	for (size_t i = 0; i < out->npkgs; i++)
		if (push_i64(&ids, &n, &cap, out->pkgs[i].id) != 0)
			goto out;
	if (each_in(f->db, "SELECT pkg_id, image_id FROM image_pkg WHERE pkg_id IN ", NULL, ids, n,
		    take_pair, &p) != 0)
		goto out;
	/* 4. package groups, one vuln_scan per distinct group */
	rc = evaluate(out, db, only, &p);
out:
	free(ids);
	free(p.v);
	if (rc != 0)
		fleet_eval_free(out);
	return rc;
}

int
fleet_eval_images(struct fleet *f, struct vuln_db *db, const int64_t *images, size_t nimages,
		  struct fleet_eval *e)
{
	struct pairs p = {0};
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	int rc = -1;

	e->nuses = 0;
	if (each_in(f->db, "SELECT pkg_id, image_id FROM image_pkg WHERE image_id IN ", NULL,
		    images, nimages, take_pair, &p) != 0)
		goto out;
	/* the tuples not loaded by an earlier batch */
	for (size_t i = 0; i < p.n; i++)
		if (fleet_eval_pkg(e, p.v[i].pkg) == NULL &&
		    push_i64(&ids, &n, &cap, p.v[i].pkg) != 0)
			goto out;
	n = fleet_i64_uniq(ids, n);
	if (n > 0 && load_pkgs(f->db, e, ids, n) != 0)
		goto out;
	rc = evaluate(e, db, NULL, &p);
out:
	free(ids);
	free(p.v);
	return rc;
}
