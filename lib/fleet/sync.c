/*
 * sync.c: `ward fleet sync` — what a newer feed changed for the fleet.
 *
 * The inventory keeps what the last sync saw: every record's modified
 * time (feed), the packages each record named (feed_key), and every
 * image's findings per package group (exposure, with the finding's JSON
 * stored once in finding).  A sync compares the store's records with the
 * feed table; only the records that are new, modified, withdrawn or gone
 * are looked at: their packages' keys, old and new, drive the engine
 * (eval.c) over the images that hold those packages, and each owner
 * group's findings are compared with the stored ones.  Images added since
 * the last sync are evaluated whole.  All of it is one write transaction.
 */
#include <stdlib.h>
#include <string.h>

#include "fleet/fleet_internal.h"

struct rec {
	char *id, *modified, *withdrawn;
};

struct recs {
	struct rec *v;
	size_t n, cap;
};

static void
recs_free(struct recs *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].id);
		free(r->v[i].modified);
		free(r->v[i].withdrawn);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

static int
recs_push(struct recs *r, const char *id, const char *modified, const char *withdrawn)
{
	struct rec *x;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 1024;
		struct rec *n = ward_realloc(r->v, cap * sizeof(*n));
		if (n == NULL)
			return -1;
		r->v = n;
		r->cap = cap;
	}
	x = &r->v[r->n];
	x->id = ward_strdup(id);
	x->modified = ward_strdup(modified ? modified : "");
	x->withdrawn = withdrawn ? ward_strdup(withdrawn) : NULL;
	if (x->id == NULL || x->modified == NULL || (withdrawn && x->withdrawn == NULL)) {
		free(x->id);
		free(x->modified);
		free(x->withdrawn);
		return -1;
	}
	r->n++;
	return 0;
}

static int
take_store(void *arg, const char *id, const char *modified, const char *withdrawn)
{
	return recs_push(arg, id, modified, withdrawn);
}

static int
rec_cmp(const void *x, const void *y)
{
	return strcmp(((const struct rec *)x)->id, ((const struct rec *)y)->id);
}

static const struct rec *
rec_find(const struct recs *r, const char *id)
{
	struct rec key = {.id = (char *)id};

	return r->n ? bsearch(&key, r->v, r->n, sizeof(key), rec_cmp) : NULL;
}

static int
strcmp_null(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

/* ---------------------------------------------------------------- state */

/* One finding of a set, as a comparison needs it. */
struct fitem {
	char *id;     /* "owner\tid": a group holds several owners */
	char *text;   /* the finding's compact JSON */
	int64_t hash; /* of text */
	int sup;      /* suppressed by VEX */
	int has_fixed;
	int severity;
	struct ward_strv records;
};

struct fitems {
	struct fitem *v; /* sorted by id */
	size_t n;
};

static void
fitems_clear(struct fitems *x)
{
	for (size_t i = 0; i < x->n; i++) {
		free(x->v[i].id);
		free(x->v[i].text);
		ward_strv_free(&x->v[i].records);
	}
	free(x->v);
	memset(x, 0, sizeof(*x));
}

static void
fitems_free(struct fitems *x)
{
	if (x != NULL) {
		fitems_clear(x);
		free(x);
	}
}

static int
fitem_cmp(const void *a, const void *b)
{
	return strcmp(((const struct fitem *)a)->id, ((const struct fitem *)b)->id);
}

/* The findings of a set's JSON ({"findings": [...], "suppressed": [...]}). */
static struct fitems *
fitems_of(const json_t *set)
{
	struct fitems *x = ward_calloc(1, sizeof(*x));
	size_t n = json_array_size(json_object_get(set, "findings")) +
		   json_array_size(json_object_get(set, "suppressed"));
	json_t *f, *r;
	size_t i, k;

	if (x == NULL || (x->v = ward_calloc(n + 1, sizeof(*x->v))) == NULL) {
		free(x);
		return NULL;
	}
	for (int sup = 0; sup < 2; sup++)
		json_array_foreach(json_object_get(set, sup ? "suppressed" : "findings"), i, f)
		{
			struct fitem *it = &x->v[x->n];
			const char *id = ward_json_str(f, "id");
			if (id == NULL)
				continue;
			x->n++;
			it->sup = sup;
			it->has_fixed = json_is_string(json_object_get(f, "fixed"));
			it->severity = vuln_severity_parse(ward_json_str(f, "severity"));
			if ((it->id = ward_asprintf(
				     "%s\t%s",
				     ward_json_str(f, "owner") ? ward_json_str(f, "owner") : "",
				     id)) == NULL ||
			    (it->text = ward_json_dump(f, 0)) == NULL)
				goto fail;
			it->hash = fleet_hash_id(it->text, strlen(it->text));
			json_array_foreach(json_object_get(f, "records"), k, r)
			{
				if (json_is_string(r) &&
				    ward_strv_push(&it->records, json_string_value(r)) != 0)
					goto fail;
			}
		}
	if (x->n > 1)
		qsort(x->v, x->n, sizeof(*x->v), fitem_cmp);
	return x;
fail:
	fitems_free(x);
	return NULL;
}

/* What one package group of one image was found to have: a set of findings
 * stored once (findingset, keyed by a hash of its JSON) that exposure rows
 * point at, with the counts the metrics need. */
struct fset {
	int64_t id;			  /* 0: no finding at all (no row) */
	char *data;			  /* {"findings":[...],"suppressed":[...]}, compact */
	struct fitems *items;		  /* made when first compared */
	int64_t n[VULN_SEV_CRITICAL + 1]; /* unsuppressed findings by severity */
	int64_t nsuppressed;
};

/* The sets of an evaluation's classes, made on first use. */
struct setcache {
	struct fset *v;
	unsigned char *made;
	size_t cap;
};

struct old {
	int64_t image, owner, set;
};

struct olds {
	struct old *v;
	size_t n, cap;
};

/* an exposure row to write */
struct pend {
	int64_t image, owner;
	const struct fset *set;
};

/* One change to report: a finding that became (kind) on some images, for
 * one reason ("advisory" or "image added"). */
struct group {
	int kind;
	const char *reason;
	char *finding; /* compact JSON */
	int severity;
	int64_t *images;
	size_t n, cap;
};

struct fleet_sync_result {
	json_t *summary;
	struct group *g;
	size_t ng, capg;
	json_t *gidx;			 /* "kind|reason|hash" -> group index */
	struct fleet_image_info *images; /* of every image a change names, sorted by id */
	size_t nimages;
	const struct recs *store; /* valid only while fleet_sync runs */
	json_t *times;		  /* group index -> {record: modified} (made at the end) */
};

struct sync {
	struct fleet *f;
	struct vuln_db *db;
	const struct fleet_sync_opts *o;
	struct recs store, feed;
	struct ward_strv changed; /* record ids, sorted */
	struct fleet_sync_result *res;
	json_t *stored;	 /* finding sets written in this sync */
	json_t *oldsets; /* stored set id -> index into olditems */
	struct fitems *olditems;
	size_t nold, capold;
	struct pend *pend;
	size_t npend;
	size_t count[FLEET_CHANGED + 1];
	size_t new_findings;
	char now[32];
};

#define PEND 64

static const char *const change_names[] = {
	NULL, "newly_affected", "newly_fixed", "fix_available", "withdrawn", "changed",
};

static void
fset_free(struct fset *x)
{
	if (x != NULL) {
		free(x->data);
		fitems_free(x->items);
		memset(x, 0, sizeof(*x));
	}
}

static void
setcache_free(struct setcache *c)
{
	for (size_t i = 0; i < c->cap; i++)
		fset_free(&c->v[i]);
	free(c->v);
	free(c->made);
	memset(c, 0, sizeof(*c));
}

/* The cached set of class cls (room for n classes). */
static struct fset *
setcache_get(struct setcache *c, size_t n, size_t cls, int *made)
{
	if (n > c->cap) {
		struct fset *v = ward_realloc(c->v, n * sizeof(*v));
		unsigned char *m;
		if (v == NULL)
			return NULL;
		c->v = v;
		if ((m = ward_realloc(c->made, n)) == NULL)
			return NULL;
		c->made = m;
		memset(c->v + c->cap, 0, (n - c->cap) * sizeof(*v));
		memset(c->made + c->cap, 0, n - c->cap);
		c->cap = n;
	}
	*made = c->made[cls];
	c->made[cls] = 1;
	return &c->v[cls];
}

/* The set of a report: its findings and suppressed findings as the scan's
 * JSON writes them. */
static int
fset_make(const struct vuln_report *r, int items, struct fset *out)
{
	json_t *j, *o;

	memset(out, 0, sizeof(*out));
	if (r->nfindings == 0 && r->nsuppressed == 0)
		return 0;
	if ((j = vuln_report_json(r)) == NULL)
		return ward_err(WARD_EENV, "out of memory");
	o = json_pack("{s:O,s:O}", "findings", json_object_get(j, "findings"), "suppressed",
		      json_object_get(j, "suppressed"));
	json_decref(j);
	if (o == NULL || (out->data = ward_json_dump(o, 0)) == NULL ||
	    (items && (out->items = fitems_of(o)) == NULL)) {
		json_decref(o);
		fset_free(out);
		return ward_err(WARD_EENV, "out of memory");
	}
	json_decref(o);
	out->id = fleet_hash_id(out->data, strlen(out->data));
	for (size_t i = 0; i < r->nfindings; i++)
		out->n[r->findings[i].severity]++;
	out->nsuppressed = (int64_t)r->nsuppressed;
	return 0;
}

/* The set of one use with the image's VEX applied. */
static int
vex_set(const struct fleet_class *cls, struct vuln_vex *vex, const struct fleet_image_info *im,
	int items, struct fset *out)
{
	struct vuln_report r = {0};
	int rc = -1;

	if ((r.findings = ward_calloc(cls->r.nfindings + 1, sizeof(*r.findings))) == NULL)
		goto out;
	for (size_t i = 0; i < cls->r.nfindings; i++, r.nfindings++)
		if (vuln_finding_copy(&r.findings[i], &cls->r.findings[i]) != 0)
			goto out;
	if ((r.target = ward_strdup(im->target ? im->target : im->digest)) == NULL)
		goto out;
	for (size_t i = 0; i < im->target_ids.n; i++)
		if (ward_strv_push(&r.target_ids, im->target_ids.v[i]) != 0)
			goto out;
	if (vuln_vex_apply(vex, &r) == 0)
		rc = fset_make(&r, items, out);
out:
	vuln_report_free(&r);
	return rc;
}

/* The stored set's findings (cached), or NULL with the error recorded. */
static struct fitems *
old_set(struct sync *s, int64_t id)
{
	char key[24];
	struct fdb_val p[] = {fv_int(id)};
	struct fdb_cur *c;
	struct fitems *x = NULL;
	json_t *j, *set = NULL;

	snprintf(key, sizeof(key), "%lld", (long long)id);
	if ((j = json_object_get(s->oldsets, key)) != NULL)
		return &s->olditems[json_integer_value(j)];
	if ((c = fdb_query(s->f->db, "SELECT data FROM findingset WHERE id=?", p, 1)) == NULL)
		return NULL;
	if (fdb_next(c) == 1 && fdb_text(c, 0) != NULL)
		set = ward_json_loadb(fdb_text(c, 0), strlen(fdb_text(c, 0)),
				      "inventory finding set");
	fdb_cur_close(c);
	if (set == NULL) {
		if (ward_errmsg()[0] == '\0')
			ward_err(WARD_EENV, "%s: finding set %lld is missing", fleet_name(s->f),
				 (long long)id);
		return NULL;
	}
	x = fitems_of(set);
	json_decref(set);
	if (x == NULL)
		return NULL;
	if (s->nold == s->capold) {
		size_t cap = s->capold ? s->capold * 2 : 256;
		struct fitems *v = ward_realloc(s->olditems, cap * sizeof(*v));
		if (v == NULL) {
			fitems_free(x);
			return NULL;
		}
		s->olditems = v;
		s->capold = cap;
	}
	s->olditems[s->nold] = *x;
	free(x); /* its contents moved */
	json_object_set_new(s->oldsets, key, json_integer((json_int_t)s->nold));
	return &s->olditems[s->nold++];
}

/* 1 when none of the finding's records matches any more: withdrawn or gone. */
static int
all_withdrawn(struct sync *s, const struct fitem *f)
{
	for (size_t i = 0; i < f->records.n; i++) {
		const struct rec *x = rec_find(&s->store, f->records.v[i]);
		if (x != NULL && x->withdrawn == NULL)
			return 0;
	}
	return f->records.n > 0;
}

/* Image `image` shows the change kind of finding f. */
static int
change(struct sync *s, int kind, int64_t image, const struct fitem *f, const char *reason)
{
	struct fleet_sync_result *r = s->res;
	char key[80];
	json_t *gi;
	struct group *g;

	s->count[kind]++;
	if (strcmp(reason, "image added") == 0 && !(s->o && s->o->list_new_images))
		return 0;
	snprintf(key, sizeof(key), "%d|%s|%lld", kind, reason, (long long)f->hash);
	if ((gi = json_object_get(r->gidx, key)) == NULL) {
		if (r->ng == r->capg) {
			size_t cap = r->capg ? r->capg * 2 : 64;
			struct group *ng = ward_realloc(r->g, cap * sizeof(*ng));
			if (ng == NULL)
				return -1;
			r->g = ng;
			r->capg = cap;
		}
		g = &r->g[r->ng];
		memset(g, 0, sizeof(*g));
		g->kind = kind;
		g->reason = reason;
		g->severity = f->severity;
		if ((g->finding = ward_strdup(f->text)) == NULL)
			return -1;
		gi = json_integer((json_int_t)r->ng++);
		if (json_object_set_new(r->gidx, key, gi) != 0)
			return ward_err(WARD_EENV, "out of memory");
	}
	g = &r->g[json_integer_value(gi)];
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 16;
		int64_t *v = ward_realloc(g->images, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		g->images = v;
		g->cap = cap;
	}
	g->images[g->n++] = image;
	return 0;
}

/* What changed on image between the stored set oldid and the new one. */
static int
diff_sets(struct sync *s, int64_t image, int64_t oldid, struct fset *now, const char *reason)
{
	static const struct fitems none = {0};
	const struct fitems *o = &none, *n = &none;
	size_t i = 0, k = 0;

	if (oldid != 0 && (o = old_set(s, oldid)) == NULL)
		return -1;
	if (now->id != 0) {
		if (now->items == NULL) {
			json_t *set = ward_json_loadb(now->data, strlen(now->data), "finding set");
			if (set == NULL || (now->items = fitems_of(set)) == NULL) {
				json_decref(set);
				return -1;
			}
			json_decref(set);
		}
		n = now->items;
	}
	while (i < o->n || k < n->n) {
		int c = i == o->n ? 1 : k == n->n ? -1 : strcmp(o->v[i].id, n->v[k].id);
		int kind = 0;
		const struct fitem *f;
		if (c < 0) { /* gone */
			f = &o->v[i++];
			if (!f->sup)
				kind = all_withdrawn(s, f) ? FLEET_WITHDRAWN : FLEET_NEWLY_FIXED;
		} else if (c > 0) { /* new */
			f = &n->v[k++];
			kind = f->sup ? 0 : FLEET_NEWLY_AFFECTED;
		} else {
			const struct fitem *w = &o->v[i++];
			f = &n->v[k++];
			if (!w->sup && f->sup)
				kind = FLEET_NEWLY_FIXED;
			else if (w->sup && !f->sup)
				kind = FLEET_NEWLY_AFFECTED;
			else if (!f->sup && w->hash != f->hash)
				kind = !w->has_fixed && f->has_fixed ? FLEET_FIX_AVAILABLE
								     : FLEET_CHANGED;
		}
		if (kind != 0 && change(s, kind, image, f, reason) != 0)
			return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- writing */

static int
store_set(struct sync *s, const struct fset *x)
{
	char key[24];
	struct fdb_val p[2];

	snprintf(key, sizeof(key), "%lld", (long long)x->id);
	if (json_object_get(s->stored, key) != NULL)
		return 0;
	p[0] = fv_int(x->id);
	p[1] = fv_text(x->data);
	if (fdb_run(s->f->db,
		    "INSERT INTO findingset(id, data) VALUES(?, ?) ON CONFLICT DO NOTHING", p,
		    2) < 0)
		return -1;
	return json_object_set_new(s->stored, key, json_true());
}

#define EXPOSURE_COLS                                                                              \
	"INSERT INTO exposure(image_id, owner_pkg, set_id, n_critical, n_high, n_medium, n_low, "  \
	"n_none, n_unknown, n_suppressed)"

/* Write the pending rows: one multi-row upsert (no row twice in one). */
static int
flush(struct sync *s)
{
	struct fdb_val v[PEND * 10];
	char *sql;
	int rc;

	if (s->npend == 0)
		return 0;
	sql = fleet_values_sql(
		EXPOSURE_COLS, 10, s->npend,
		" ON CONFLICT(image_id, owner_pkg) DO UPDATE SET set_id = "
		"excluded.set_id, n_critical = excluded.n_critical, n_high = "
		"excluded.n_high, n_medium = excluded.n_medium, n_low = excluded.n_low, "
		"n_none = excluded.n_none, n_unknown = excluded.n_unknown, "
		"n_suppressed = excluded.n_suppressed");
	if (sql == NULL)
		return -1;
	for (size_t i = 0; i < s->npend; i++) {
		const struct pend *x = &s->pend[i];
		struct fdb_val *r = v + i * 10;
		r[0] = fv_int(x->image);
		r[1] = fv_int(x->owner);
		r[2] = fv_int(x->set->id);
		r[3] = fv_int(x->set->n[VULN_SEV_CRITICAL]);
		r[4] = fv_int(x->set->n[VULN_SEV_HIGH]);
		r[5] = fv_int(x->set->n[VULN_SEV_MEDIUM]);
		r[6] = fv_int(x->set->n[VULN_SEV_LOW]);
		r[7] = fv_int(x->set->n[VULN_SEV_NONE]);
		r[8] = fv_int(x->set->n[VULN_SEV_UNKNOWN]);
		r[9] = fv_int(x->set->nsuppressed);
	}
	rc = fdb_run(s->f->db, sql, v, s->npend * 10) < 0 ? -1 : 0;
	free(sql);
	s->npend = 0;
	return rc;
}

/* The row of (image, owner) becomes set (which must outlive the flush). */
static int
write_row(struct sync *s, int64_t image, int64_t owner, int64_t oldid, const struct fset *set)
{
	if (set->id == 0) {
		struct fdb_val p[] = {fv_int(image), fv_int(owner)};
		if (oldid == 0)
			return 0;
		return fdb_run(s->f->db, "DELETE FROM exposure WHERE image_id=? AND owner_pkg=?", p,
			       2) < 0
			       ? -1
			       : 0;
	}
	if (store_set(s, set) != 0)
		return -1;
	s->pend[s->npend].image = image;
	s->pend[s->npend].owner = owner;
	s->pend[s->npend++].set = set;
	return s->npend == PEND ? flush(s) : 0;
}

static int
old_cmp(const void *x, const void *y)
{
	const struct old *a = x, *b = y;

	if (a->image != b->image)
		return (a->image > b->image) - (a->image < b->image);
	return (a->owner > b->owner) - (a->owner < b->owner);
}

static int
load_olds(struct sync *s, const int64_t *owners, size_t n, struct olds *o)
{
	char *sql =
		fleet_in_sql("SELECT image_id, owner_pkg, set_id FROM exposure WHERE owner_pkg IN ",
			     NULL, FLEET_BATCH);
	struct fdb_val p[FLEET_BATCH];
	int rc = sql ? 0 : -1;

	for (size_t at = 0; rc == 0 && at < n; at += FLEET_BATCH) {
		struct fdb_cur *c;
		for (size_t k = 0; k < FLEET_BATCH; k++)
			p[k] = fv_int(owners[at + k < n ? at + k : n - 1]);
		if ((c = fdb_query(s->f->db, sql, p, FLEET_BATCH)) == NULL) {
			rc = -1;
			break;
		}
		while ((rc = fdb_next(c)) == 1) {
			if (o->n == o->cap) {
				size_t cap = o->cap ? o->cap * 2 : 1024;
				struct old *nv = ward_realloc(o->v, cap * sizeof(*nv));
				if (nv == NULL) {
					rc = -1;
					break;
				}
				o->v = nv;
				o->cap = cap;
			}
			o->v[o->n].image = fdb_int(c, 0);
			o->v[o->n].owner = fdb_int(c, 1);
			o->v[o->n++].set = fdb_int(c, 2);
		}
		fdb_cur_close(c);
	}
	free(sql);
	if (rc < 0)
		return -1;
	if (o->n > 1)
		qsort(o->v, o->n, sizeof(*o->v), old_cmp);
	return 0;
}

static int
in_sorted(const int64_t *v, size_t n, int64_t x)
{
	return n > 0 && bsearch(&x, v, n, sizeof(x), fleet_i64_cmp) != NULL;
}

static const struct fleet_image_info *
info_of(const struct fleet_image_info *v, size_t n, int64_t id)
{
	for (size_t lo = 0, hi = n; lo < hi;) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid].id == id)
			return &v[mid];
		if (v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Compare every use of e with the stored rows and write the difference:
 * on the images in keep (a keys pass: stored rows read by owner), or on
 * every image of e (new images, whose rows were removed first).  The
 * class sets are cached in sc, across calls on the same evaluation. */
static int
process(struct sync *s, struct fleet_eval *e, struct setcache *sc, const int64_t *keep,
	size_t nkeep, const char *reason)
{
	struct ward_strv names = {0};
	struct fleet_vex *vex = NULL;
	struct fleet_image_info *infos = NULL;
	struct olds olds = {0};
	int64_t *imgs = NULL, *owners = NULL;
	size_t nvex = 0, nimgs = 0, nowners = 0, o = 0;
	int added = strcmp(reason, "image added") == 0, rc = -1;

	if ((imgs = ward_calloc(e->nuses + 1, sizeof(*imgs))) == NULL ||
	    (owners = ward_calloc(e->nuses + 1, sizeof(*owners))) == NULL)
		goto out;
	for (size_t i = 0; i < e->nuses; i++)
		if (keep == NULL || in_sorted(keep, nkeep, e->uses[i].image)) {
			imgs[nimgs++] = e->uses[i].image;
			owners[nowners++] = e->uses[i].owner;
		}
	nimgs = fleet_i64_uniq(imgs, nimgs);
	nowners = fleet_i64_uniq(owners, nowners);
	if (nimgs == 0) {
		rc = 0;
		goto out;
	}
	/* image details only where VEX may apply; stored rows of the owners */
	if (fleet_eval_names(e, &names) != 0 ||
	    (names.n > 0 && fleet_vex_for(s->f, &names, &vex, &nvex) != 0))
		goto out;
	{
		int64_t *withvex = ward_calloc(nvex + 1, sizeof(*withvex));
		size_t nw = 0;
		if (withvex == NULL)
			goto out;
		for (size_t i = 0; i < nvex; i++)
			if (in_sorted(imgs, nimgs, vex[i].image))
				withvex[nw++] = vex[i].image;
		rc = fleet_image_infos(s->f, withvex, nw, &infos);
		free(withvex);
		if (rc != 0) {
			rc = -1;
			goto out;
		}
		rc = -1;
		nimgs = nw; /* infos has nw entries */
	}
	if (keep != NULL && load_olds(s, owners, nowners, &olds) != 0)
		goto out;
	for (size_t i = 0; i < e->nuses; i++) {
		const struct fleet_use *u = &e->uses[i];
		struct vuln_vex *v;
		struct fset own = {0}, *set;
		int64_t oldid = 0;
		int r = 0, made;
		if (keep != NULL && !in_sorted(keep, nkeep, u->image))
			continue;
		while (o < olds.n && old_cmp(&olds.v[o], &(struct old){u->image, u->owner, 0}) < 0)
			o++;
		if (o < olds.n && olds.v[o].image == u->image && olds.v[o].owner == u->owner)
			oldid = olds.v[o].set;
		v = e->classes[u->cls].r.nfindings ? fleet_vex_find(vex, nvex, u->image) : NULL;
		if (v != NULL) {
			const struct fleet_image_info *im = info_of(infos, nimgs, u->image);
			if (im == NULL || vex_set(&e->classes[u->cls], v, im, !added, &own) != 0)
				goto out;
			set = &own;
		} else {
			if ((set = setcache_get(sc, e->nclasses, u->cls, &made)) == NULL)
				goto out;
			if (!made && fset_make(&e->classes[u->cls].r, !added, set) != 0)
				goto out;
		}
		if (set->id != oldid) {
			if (added && oldid == 0 && !(s->o && s->o->list_new_images)) {
				/* a new image's findings are counted, not listed */
				for (int k = 0; k <= VULN_SEV_CRITICAL; k++)
					s->count[FLEET_NEWLY_AFFECTED] += (size_t)set->n[k];
			} else {
				r = diff_sets(s, u->image, oldid, set, reason);
			}
			if (r == 0)
				r = write_row(s, u->image, u->owner, oldid, set);
			if (r == 0 && set == &own)
				r = flush(s); /* own is freed below */
		}
		if (added)
			for (int k = 0; k <= VULN_SEV_CRITICAL; k++)
				s->new_findings += (size_t)set->n[k];
		fset_free(&own);
		if (r != 0)
			goto out;
	}
	rc = flush(s);
out:
	s->npend = 0;
	free(imgs);
	free(owners);
	fleet_image_infos_free(infos, infos ? nimgs : 0);
	fleet_vex_free(vex, nvex);
	free(olds.v);
	ward_strv_free(&names);
	return rc;
}

/* ---------------------------------------------------------------- the feed */

static int
load_feed(struct sync *s)
{
	struct fdb_cur *c =
		fdb_query(s->f->db, "SELECT id, modified, withdrawn FROM feed", NULL, 0);
	int rc;

	if (c == NULL)
		return -1;
	while ((rc = fdb_next(c)) == 1)
		if (recs_push(&s->feed, fdb_text(c, 0), fdb_text(c, 1), fdb_text(c, 2)) != 0) {
			rc = -1;
			break;
		}
	fdb_cur_close(c);
	if (rc < 0)
		return -1;
	if (s->feed.n > 1)
		qsort(s->feed.v, s->feed.n, sizeof(*s->feed.v), rec_cmp);
	return 0;
}

/* New, modified, withdrawn and removed records, counted in out. */
static int
find_changed(struct sync *s, json_t *counts)
{
	size_t nnew = 0, nmod = 0, nwd = 0, nrm = 0;

	if (s->store.n > 1)
		qsort(s->store.v, s->store.n, sizeof(*s->store.v), rec_cmp);
	for (size_t i = 0; i < s->store.n; i++) {
		const struct rec *r = &s->store.v[i], *old = rec_find(&s->feed, r->id);
		if (old == NULL) {
			if (r->withdrawn == NULL)
				nnew++;
		} else if (strcmp(old->modified, r->modified) == 0 &&
			   strcmp_null(old->withdrawn, r->withdrawn) == 0) {
			continue;
		} else if (r->withdrawn != NULL && old->withdrawn == NULL) {
			nwd++;
		} else {
			nmod++;
		}
		if (ward_strv_push(&s->changed, r->id) != 0)
			return -1;
	}
	for (size_t i = 0; i < s->feed.n; i++)
		if (rec_find(&s->store, s->feed.v[i].id) == NULL) {
			nrm++;
			if (ward_strv_push(&s->changed, s->feed.v[i].id) != 0)
				return -1;
		}
	ward_strv_sort(&s->changed);
	json_object_set_new(counts, "new", json_integer((json_int_t)nnew));
	json_object_set_new(counts, "modified", json_integer((json_int_t)nmod));
	json_object_set_new(counts, "withdrawn", json_integer((json_int_t)nwd));
	json_object_set_new(counts, "removed", json_integer((json_int_t)nrm));
	return 0;
}

/* Keys of the changed records: what the store names now, and what they
 * named at the last sync. */
static int
changed_keys(struct sync *s, struct ward_strv *keys)
{
	char *sql = fleet_in_sql("SELECT ecosystem, name FROM feed_key WHERE id IN ", NULL,
				 FLEET_BATCH);
	struct fdb_val p[FLEET_BATCH];
	int rc = sql ? 0 : -1;

	for (size_t i = 0; rc == 0 && i < s->changed.n; i++)
		rc = vuln_db_record_keys(s->db, s->changed.v[i], keys, NULL);
	for (size_t at = 0; rc == 0 && at < s->changed.n; at += FLEET_BATCH) {
		struct fdb_cur *c;
		for (size_t k = 0; k < FLEET_BATCH; k++)
			p[k] = fv_text(
				s->changed.v[at + k < s->changed.n ? at + k : s->changed.n - 1]);
		if ((c = fdb_query(s->f->db, sql, p, FLEET_BATCH)) == NULL) {
			rc = -1;
			break;
		}
		while ((rc = fdb_next(c)) == 1)
			if (ward_strv_pushf(keys, "%s\t%s", fdb_text(c, 0), fdb_text(c, 1)) != 0) {
				rc = -1;
				break;
			}
		fdb_cur_close(c);
	}
	free(sql);
	if (rc < 0)
		return -1;
	ward_strv_sort(keys);
	{
		size_t k = 0;
		for (size_t i = 0; i < keys->n; i++) {
			if (k > 0 && strcmp(keys->v[k - 1], keys->v[i]) == 0) {
				free(keys->v[i]);
				continue;
			}
			keys->v[k++] = keys->v[i];
		}
		keys->n = k;
	}
	return 0;
}

/* The feed table becomes what the store holds now, for the changed records. */
static int
update_feed(struct sync *s)
{
	char *del = fleet_in_sql("DELETE FROM feed WHERE id IN ", NULL, FLEET_BATCH);
	char *delk = fleet_in_sql("DELETE FROM feed_key WHERE id IN ", NULL, FLEET_BATCH);
	struct fdb_val p[FLEET_BATCH];
	int rc = del && delk ? 0 : -1;

	for (size_t at = 0; rc == 0 && at < s->changed.n; at += FLEET_BATCH) {
		for (size_t k = 0; k < FLEET_BATCH; k++)
			p[k] = fv_text(
				s->changed.v[at + k < s->changed.n ? at + k : s->changed.n - 1]);
		if (fdb_run(s->f->db, del, p, FLEET_BATCH) < 0 ||
		    fdb_run(s->f->db, delk, p, FLEET_BATCH) < 0)
			rc = -1;
	}
	for (size_t i = 0; rc == 0 && i < s->changed.n; i++) {
		const struct rec *r = rec_find(&s->store, s->changed.v[i]);
		struct ward_strv keys = {0};
		struct fdb_val q[3];
		if (r == NULL)
			continue;
		q[0] = fv_text(r->id);
		q[1] = fv_text(r->modified);
		q[2] = fv_text(r->withdrawn);
		if (fdb_run(s->f->db, "INSERT INTO feed(id, modified, withdrawn) VALUES(?, ?, ?)",
			    q, 3) < 0 ||
		    vuln_db_record_keys(s->db, r->id, &keys, NULL) != 0)
			rc = -1;
		for (size_t k = 0; rc == 0 && k < keys.n; k++) {
			char *tab = strchr(keys.v[k], '\t');
			*tab = '\0';
			q[1] = fv_text(keys.v[k]);
			q[2] = fv_text(tab + 1);
			if (fdb_run(s->f->db,
				    "INSERT INTO feed_key(id, ecosystem, name) VALUES(?, ?, ?) ON "
				    "CONFLICT DO NOTHING",
				    q, 3) < 0)
				rc = -1;
		}
		ward_strv_free(&keys);
	}
	free(del);
	free(delk);
	return rc;
}

static int
load_ids(struct fdb *db, const char *sql, int64_t **out, size_t *n)
{
	struct fdb_cur *c = fdb_query(db, sql, NULL, 0);
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (c == NULL)
		return -1;
	while ((rc = fdb_next(c)) == 1) {
		if (*n == cap) {
			int64_t *v =
				ward_realloc(*out, (cap = cap ? cap * 2 : 1024) * sizeof(**out));
			if (v == NULL) {
				rc = -1;
				break;
			}
			*out = v;
		}
		(*out)[(*n)++] = fdb_int(c, 0);
	}
	fdb_cur_close(c);
	if (rc < 0)
		return -1;
	if (*n > 1)
		qsort(*out, *n, sizeof(**out), fleet_i64_cmp);
	return 0;
}

static json_t *
totals(struct fleet *f)
{
	int64_t images[VULN_SEV_CRITICAL + 1] = {0}, findings[VULN_SEV_CRITICAL + 1] = {0};
	json_t *by = json_object();

	if (by == NULL || fleet_state_counts(f, images, findings) != 0) {
		json_decref(by);
		return NULL;
	}
	for (int s = VULN_SEV_CRITICAL; s >= 0; s--)
		json_object_set_new(by, vuln_severity_name(s),
				    json_pack("{s:I,s:I}", "images", (json_int_t)images[s],
					      "findings", (json_int_t)findings[s]));
	return by;
}

#define IMAGE_BATCH 512 /* images added since the last sync, evaluated per batch */

static int
sync_once(struct sync *s)
{
	struct fleet_eval e = {0};
	struct setcache sc = {0};
	struct ward_strv keys = {0};
	int64_t *synced = NULL, *fresh = NULL;
	size_t nsynced = 0, nfresh = 0;
	json_t *counts = json_object(), *tot = NULL;
	char *prev = NULL;
	int rc = -1;

	if (counts == NULL || fdb_begin(s->f->db, 1) != 0) {
		json_decref(counts);
		return -1;
	}
	if (fdb_lock(s->f->db, FDB_LOCK_SYNC) != 0 || load_feed(s) != 0 ||
	    find_changed(s, counts) != 0)
		goto out;
	{
		struct fdb_cur *c = fdb_query(
			s->f->db, "SELECT value FROM meta WHERE key='last_sync'", NULL, 0);
		if (c == NULL)
			goto out;
		if (fdb_next(c) == 1 && fdb_text(c, 0) != NULL)
			prev = ward_strdup(fdb_text(c, 0));
		fdb_cur_close(c);
	}
	if (load_ids(s->f->db, "SELECT image_id FROM synced", &synced, &nsynced) != 0 ||
	    load_ids(s->f->db,
		     "SELECT id FROM image WHERE NOT EXISTS (SELECT 1 FROM synced WHERE "
		     "synced.image_id = image.id)",
		     &fresh, &nfresh) != 0)
		goto out;
	/* 1. changed records, on the images the last sync saw */
	if (s->changed.n > 0 && nsynced > 0) {
		if (changed_keys(s, &keys) != 0 ||
		    fleet_eval_keys(s->f, s->db, NULL, &keys, &e) != 0 ||
		    process(s, &e, &sc, synced, nsynced, "advisory") != 0)
			goto out;
		fleet_eval_free(&e);
		setcache_free(&sc);
	}
	/* 2. images added since, whole, a batch at a time (the groups already
	 * scanned are kept) */
	for (size_t at = 0; at < nfresh; at += IMAGE_BATCH) {
		size_t n = nfresh - at < IMAGE_BATCH ? nfresh - at : IMAGE_BATCH;
		char *del =
			fleet_in_sql("DELETE FROM exposure WHERE image_id IN ", NULL, FLEET_BATCH);
		struct fdb_val p[FLEET_BATCH];
		int r = del ? 0 : -1;
		for (size_t b = 0; r == 0 && b < n; b += FLEET_BATCH) {
			for (size_t k = 0; k < FLEET_BATCH; k++)
				p[k] = fv_int(fresh[at + (b + k < n ? b + k : n - 1)]);
			if (fdb_run(s->f->db, del, p, FLEET_BATCH) < 0)
				r = -1;
		}
		free(del);
		if (r != 0 || fleet_eval_images(s->f, s->db, fresh + at, n, &e) != 0 ||
		    process(s, &e, &sc, NULL, 0, "image added") != 0)
			goto out;
		for (size_t i = at; i < at + n; i++) {
			struct fdb_val q[] = {fv_int(fresh[i])};
			if (fdb_run(s->f->db,
				    "INSERT INTO synced(image_id) VALUES(?) ON CONFLICT DO NOTHING",
				    q, 1) < 0)
				goto out;
		}
	}
	fleet_eval_free(&e);
	setcache_free(&sc);
	/* 3. the feed as seen now; finding sets nothing points at any more */
	if (update_feed(s) != 0 ||
	    fdb_run(s->f->db,
		    "DELETE FROM findingset WHERE NOT EXISTS (SELECT 1 FROM exposure WHERE "
		    "exposure.set_id = findingset.id)",
		    NULL, 0) < 0)
		goto out;
	{
		struct fdb_val q[] = {fv_text(s->now)};
		if (fdb_run(s->f->db,
			    "INSERT INTO meta(key, value) VALUES('last_sync', ?) ON CONFLICT(key) "
			    "DO UPDATE SET value = excluded.value",
			    q, 1) < 0)
			goto out;
	}
	/* 4. what the report needs: the images the changes name, the totals */
	{
		int64_t *ids;
		size_t n = 0;
		for (size_t g = 0; g < s->res->ng; g++)
			n += s->res->g[g].n;
		if ((ids = ward_calloc(n + 1, sizeof(*ids))) == NULL)
			goto out;
		n = 0;
		for (size_t g = 0; g < s->res->ng; g++)
			for (size_t i = 0; i < s->res->g[g].n; i++)
				ids[n++] = s->res->g[g].images[i];
		n = fleet_i64_uniq(ids, n);
		rc = fleet_image_infos(s->f, ids, n, &s->res->images);
		free(ids);
		if (rc != 0) {
			rc = -1;
			goto out;
		}
		s->res->nimages = n;
	}
	if ((tot = totals(s->f)) == NULL)
		goto out;
	{
		json_t *ch = json_object();
		for (int k = FLEET_NEWLY_AFFECTED; k <= FLEET_CHANGED; k++)
			json_object_set_new(ch, change_names[k],
					    json_integer((json_int_t)s->count[k]));
		s->res->summary =
			json_pack("{s:s,s:s,s:o,s:s,s:O,s:o,s:{s:I,s:I},s:o}", "inventory",
				  fleet_name(s->f), "backend", fleet_backend(s->f), "previous_sync",
				  ward_json_str_or_null(prev), "synced", s->now, "records", counts,
				  "counts", ch, "new_images", "images", (json_int_t)nfresh,
				  "findings", (json_int_t)s->new_findings, "affected", tot);
		tot = NULL;
	}
	if (s->res->summary == NULL) {
		ward_err(WARD_EENV, "out of memory");
		goto out;
	}
	/* the records' times, while the store's list is at hand */
	if ((s->res->times = json_array()) == NULL)
		goto out;
	for (size_t g = 0; g < s->res->ng; g++) {
		json_t *f = ward_json_loadb(s->res->g[g].finding, strlen(s->res->g[g].finding),
					    "finding"),
		       *t = json_object(), *r;
		size_t i;
		json_array_foreach(json_object_get(f, "records"), i, r)
		{
			const struct rec *x = json_is_string(r)
						      ? rec_find(&s->store, json_string_value(r))
						      : NULL;
			if (x != NULL)
				json_object_set_new(
					t, x->id,
					json_string(x->withdrawn ? x->withdrawn : x->modified));
		}
		json_decref(f);
		json_array_append_new(s->res->times, t);
	}
	if (fdb_commit(s->f->db) != 0)
		goto fail;
	rc = 0;
	goto fail;
out:
	rc = -1;
	fdb_rollback(s->f->db);
fail:
	fleet_eval_free(&e);
	setcache_free(&sc);
	ward_strv_free(&keys);
	free(synced);
	free(fresh);
	free(prev);
	json_decref(counts);
	json_decref(tot);
	return rc;
}

void
fleet_sync_result_free(struct fleet_sync_result *r)
{
	if (r == NULL)
		return;
	json_decref(r->summary);
	for (size_t i = 0; i < r->ng; i++) {
		free(r->g[i].finding);
		free(r->g[i].images);
	}
	free(r->g);
	json_decref(r->gidx);
	json_decref(r->times);
	fleet_image_infos_free(r->images, r->nimages);
	free(r);
}

static struct fleet_sync_result *
result_new(void)
{
	struct fleet_sync_result *r = ward_calloc(1, sizeof(*r));

	if (r != NULL && (r->gidx = json_object()) == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

int
fleet_sync(struct fleet *f, struct vuln_db *db, const struct fleet_sync_opts *o,
	   struct fleet_sync_result **out)
{
	struct sync s = {0};
	int rc = -1;

	*out = NULL;
	s.f = f;
	s.db = db;
	s.o = o;
	ward_time_rfc3339(time(NULL), s.now);
	if (vuln_db_records(db, take_store, &s.store) != 0)
		goto out;
	for (int tries = 1; tries <= 8; tries++) {
		s.res = result_new();
		s.stored = json_object();
		s.oldsets = json_object();
		s.pend = ward_calloc(PEND, sizeof(*s.pend));
		memset(s.count, 0, sizeof(s.count));
		s.new_findings = 0;
		if (!s.res || !s.stored || !s.oldsets || !s.pend)
			rc = ward_err(WARD_EENV, "out of memory");
		else
			rc = sync_once(&s);
		json_decref(s.stored);
		json_decref(s.oldsets);
		for (size_t i = 0; i < s.nold; i++)
			fitems_clear(&s.olditems[i]);
		free(s.olditems);
		s.olditems = NULL;
		s.nold = s.capold = 0;
		free(s.pend);
		s.pend = NULL;
		recs_free(&s.feed);
		ward_strv_free(&s.changed);
		if (rc == 0) {
			*out = s.res;
			break;
		}
		fleet_sync_result_free(s.res);
		s.res = NULL;
		if (!fdb_retryable(f->db))
			break;
		ward_err_clear();
	}
out:
	recs_free(&s.store);
	return rc;
}

const json_t *
fleet_sync_summary(const struct fleet_sync_result *r)
{
	return r->summary;
}

int
fleet_sync_worst_new(const struct fleet_sync_result *r)
{
	int w = -1;

	for (size_t i = 0; i < r->ng; i++)
		if (r->g[i].kind == FLEET_NEWLY_AFFECTED && r->g[i].severity > w)
			w = r->g[i].severity;
	return w;
}

/* ---------------------------------------------------------------- output */

static int
put(FILE *out, const json_t *j)
{
	char *s = ward_json_dump(j, 0);
	int rc;

	if (s == NULL)
		return -1;
	rc = fputs(s, out) == EOF ? -1 : 0;
	free(s);
	return rc;
}

int
fleet_sync_write_json(const struct fleet_sync_result *r, FILE *out)
{
	const char *k;
	json_t *v;
	int rc = 0, first = 1;

	/* the summary's fields, then the changes, one at a time */
	fputc('{', out);
	json_object_foreach((json_t *)r->summary, k, v)
	{
		json_t *key = json_string(k);
		if (!first)
			fputc(',', out);
		first = 0;
		rc |= put(out, key);
		fputc(':', out);
		rc |= put(out, v);
		json_decref(key);
	}
	fputs(",\"changes\":[", out);
	for (size_t i = 0; rc == 0 && i < r->ng; i++) {
		const struct group *g = &r->g[i];
		fprintf(out, "%s\n{\"change\":\"%s\",\"reason\":\"%s\",\"finding\":%s,\"records\":",
			i ? "," : "", change_names[g->kind], g->reason, g->finding);
		rc |= put(out, json_array_get(r->times, i));
		fputs(",\"images\":[", out);
		for (size_t m = 0; m < g->n; m++) {
			const struct fleet_image_info *im =
				info_of(r->images, r->nimages, g->images[m]);
			fprintf(out, "%s\"%s\"", m ? "," : "", im ? im->digest : "?");
		}
		fputs("]}", out);
	}
	fputs("]}\n", out);
	return rc != 0 || ferror(out) ? ward_errno(WARD_EENV, "writing the sync report") : 0;
}

int
fleet_sync_write_table(const struct fleet_sync_result *r, FILE *out)
{
	const json_t *s = r->summary, *rec = json_object_get(s, "records");
	const json_t *counts = json_object_get(s, "counts"), *ni = json_object_get(s, "new_images");
	const char *k;
	json_t *v;

	fprintf(out, "sync of %s at %s (previous: %s)\n", ward_json_str(s, "inventory"),
		ward_json_str(s, "synced"),
		ward_json_str(s, "previous_sync") ? ward_json_str(s, "previous_sync") : "never");
	fprintf(out, "records: %lld new, %lld modified, %lld withdrawn, %lld removed\n",
		(long long)json_integer_value(json_object_get(rec, "new")),
		(long long)json_integer_value(json_object_get(rec, "modified")),
		(long long)json_integer_value(json_object_get(rec, "withdrawn")),
		(long long)json_integer_value(json_object_get(rec, "removed")));
	fprintf(out, "images added since: %lld (%lld findings)\nchanges:",
		(long long)json_integer_value(json_object_get(ni, "images")),
		(long long)json_integer_value(json_object_get(ni, "findings")));
	json_object_foreach((json_t *)counts, k, v)
	{
		fprintf(out, " %s %lld", k, (long long)json_integer_value(v));
	}
	fputc('\n', out);
	for (size_t i = 0; i < r->ng; i++) {
		const struct group *g = &r->g[i];
		json_t *f = ward_json_loadb(g->finding, strlen(g->finding), "finding");
		const char *fixed = ward_json_str(f, "fixed");
		fprintf(out, "  %-15s %-9s %-20s %s %s%s%s: %zu image%s", change_names[g->kind],
			ward_json_str(f, "severity"), ward_json_str(f, "id"),
			ward_json_str(f, "owner"),
			ward_json_str(f, "owner_version") ? ward_json_str(f, "owner_version") : "",
			fixed ? " fixed in " : "", fixed ? fixed : "", g->n, g->n == 1 ? "" : "s");
		for (size_t m = 0; m < g->n && m < 3; m++) {
			const struct fleet_image_info *im =
				info_of(r->images, r->nimages, g->images[m]);
			fprintf(out, "%s%s", m ? ", " : " (",
				im == NULL    ? "?"
				: im->names.n ? im->names.v[0]
					      : im->digest);
		}
		fprintf(out, "%s\n", g->n > 3 ? ", ...)" : g->n ? ")" : "");
		json_decref(f);
	}
	return ferror(out) ? ward_errno(WARD_EENV, "writing the table") : 0;
}
