/*
 * sync.c: `ward fleet sync` — what a newer feed changed for the fleet.
 *
 * The inventory keeps what the last sync saw: every record's modified
 * time (feed), the packages each record named (feed_key), and every
 * image's findings per owner group (exposure, with the finding's JSON
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

struct old {
	int64_t image, owner, data;
	char *finding;
	int severity, suppressed;
};

struct sync {
	struct fleet *f;
	struct vuln_db *db;
	const struct fleet_sync_opts *o;
	struct recs store, feed;
	struct ward_strv changed; /* record ids, sorted */
	json_t *images, *findings, *changes;
	json_t *image_idx, *finding_idx; /* digest -> index; data id -> index */
	json_t *stored;			 /* finding data ids written in this sync */
	size_t count[FLEET_CHANGED + 1];
	size_t new_findings;
	char now[32];
};

static const char *const change_names[] = {
	NULL, "newly_affected", "newly_fixed", "fix_available", "withdrawn", "changed",
};

static int
image_index(struct sync *s, const struct fleet_image_info *im, json_int_t *out)
{
	json_t *i = json_object_get(s->image_idx, im->digest);

	if (i == NULL) {
		i = json_integer((json_int_t)json_array_size(s->images));
		if (json_object_set_new(s->image_idx, im->digest, i) != 0 ||
		    json_array_append_new(s->images,
					  json_pack("{s:s,s:o}", "digest", im->digest, "names",
						    ward_json_strv(&im->names))) != 0)
			return ward_err(WARD_EENV, "out of memory");
	}
	*out = json_integer_value(i);
	return 0;
}

static int
finding_index(struct sync *s, int64_t data_id, const char *data, json_int_t *out)
{
	char key[24];
	json_t *i;

	snprintf(key, sizeof(key), "%lld", (long long)data_id);
	if ((i = json_object_get(s->finding_idx, key)) == NULL) {
		json_t *j = ward_json_loadb(data, strlen(data), "inventory finding");
		if (j == NULL)
			return -1;
		i = json_integer((json_int_t)json_array_size(s->findings));
		if (json_object_set_new(s->finding_idx, key, i) != 0 ||
		    json_array_append_new(s->findings, j) != 0)
			return ward_err(WARD_EENV, "out of memory");
	}
	*out = json_integer_value(i);
	return 0;
}

/* The finding JSON stored for data_id. */
static char *
finding_data(struct sync *s, int64_t data_id)
{
	struct fdb_val p[] = {fv_int(data_id)};
	struct fdb_cur *c = fdb_query(s->f->db, "SELECT data FROM finding WHERE id=?", p, 1);
	char *data = NULL;

	if (c == NULL)
		return NULL;
	if (fdb_next(c) == 1 && fdb_text(c, 0) != NULL)
		data = ward_strdup(fdb_text(c, 0));
	fdb_cur_close(c);
	if (data == NULL)
		ward_err(WARD_EENV, "%s: finding %lld is missing", fleet_name(s->f),
			 (long long)data_id);
	return data;
}

/* {record: modified time} of a finding's records, as the store has them. */
static json_t *
record_times(struct sync *s, const char *data)
{
	json_t *j = ward_json_loadb(data, strlen(data), "inventory finding"), *out = json_object();
	json_t *r;
	size_t i;

	json_array_foreach(json_object_get(j, "records"), i, r)
	{
		const struct rec *x =
			json_is_string(r) ? rec_find(&s->store, json_string_value(r)) : NULL;
		if (x != NULL)
			json_object_set_new(out, x->id,
					    json_string(x->withdrawn ? x->withdrawn : x->modified));
	}
	json_decref(j);
	return out;
}

/* 1 when none of the finding's records matches any more: withdrawn or gone. */
static int
all_withdrawn(struct sync *s, const char *data)
{
	json_t *j = ward_json_loadb(data, strlen(data), "inventory finding"), *r;
	size_t i;
	int all = 1, any = 0;

	json_array_foreach(json_object_get(j, "records"), i, r)
	{
		const struct rec *x =
			json_is_string(r) ? rec_find(&s->store, json_string_value(r)) : NULL;
		any = 1;
		if (x != NULL && x->withdrawn == NULL)
			all = 0;
	}
	json_decref(j);
	return any && all;
}

static int
has_fix(const char *data)
{
	json_t *j = ward_json_loadb(data, strlen(data), "inventory finding");
	int fix = json_is_string(json_object_get(j, "fixed"));

	json_decref(j);
	return fix;
}

static int
change(struct sync *s, int kind, const struct fleet_image_info *im, int64_t data_id,
       const char *data, const char *reason)
{
	json_int_t ii = 0, fi = 0;
	json_t *c;

	s->count[kind]++;
	if (strcmp(reason, "image added") == 0 && !(s->o && s->o->list_new_images))
		return 0;
	if (image_index(s, im, &ii) != 0 || finding_index(s, data_id, data, &fi) != 0)
		return -1;
	c = json_pack("{s:s,s:s,s:I,s:I,s:o}", "change", change_names[kind], "reason", reason,
		      "image", ii, "finding", fi, "records", record_times(s, data));
	if (c == NULL || json_array_append_new(s->changes, c) != 0)
		return ward_err(WARD_EENV, "out of memory");
	return 0;
}

/* ---------------------------------------------------------------- rows */

struct newrow {
	char *finding, *data;
	int64_t data_id;
	int severity, suppressed;
};

static void
newrows_free(struct newrow *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].finding);
		free(v[i].data);
	}
	free(v);
}

static int
newrow_cmp(const void *x, const void *y)
{
	return strcmp(((const struct newrow *)x)->finding, ((const struct newrow *)y)->finding);
}

static int
push_findings(const struct vuln_finding *f, size_t n, int suppressed, struct newrow **v, size_t *nv)
{
	for (size_t i = 0; i < n; i++) {
		json_t *j = vuln_report_json(&(struct vuln_report){
			.findings = (struct vuln_finding *)&f[i], .nfindings = 1});
		json_t *one = json_array_get(json_object_get(j, "findings"), 0);
		struct newrow *x = ward_realloc(*v, (*nv + 1) * sizeof(**v));
		if (x == NULL || one == NULL) {
			json_decref(j);
			return -1;
		}
		*v = x;
		x = &(*v)[*nv];
		memset(x, 0, sizeof(*x));
		x->finding = ward_strdup(f[i].id);
		x->data = ward_json_dump(one, 0);
		json_decref(j);
		if (x->finding == NULL || x->data == NULL) {
			free(x->finding);
			free(x->data);
			return -1;
		}
		x->data_id = fleet_hash_id(x->data, strlen(x->data));
		x->severity = f[i].severity;
		x->suppressed = suppressed;
		(*nv)++;
	}
	return 0;
}

/* The rows of one use: its class's findings, with the image's VEX applied. */
static int
use_rows(const struct fleet_class *cls, struct vuln_vex *vex, const struct fleet_image_info *im,
	 struct newrow **v, size_t *nv)
{
	struct vuln_report r = {0};
	int rc = -1;

	*v = NULL;
	*nv = 0;
	if (vex == NULL) {
		if (push_findings(cls->r.findings, cls->r.nfindings, 0, v, nv) != 0)
			goto out;
	} else {
		if ((r.findings = ward_calloc(cls->r.nfindings ? cls->r.nfindings : 1,
					      sizeof(*r.findings))) == NULL)
			goto out;
		for (size_t i = 0; i < cls->r.nfindings; i++, r.nfindings++)
			if (vuln_finding_copy(&r.findings[i], &cls->r.findings[i]) != 0)
				goto out;
		if ((r.target = ward_strdup(im->target ? im->target : im->digest)) == NULL)
			goto out;
		for (size_t i = 0; i < im->target_ids.n; i++)
			if (ward_strv_push(&r.target_ids, im->target_ids.v[i]) != 0)
				goto out;
		if (vuln_vex_apply(vex, &r) != 0 ||
		    push_findings(r.findings, r.nfindings, 0, v, nv) != 0 ||
		    push_findings(r.suppressed, r.nsuppressed, 1, v, nv) != 0)
			goto out;
	}
	if (*nv > 1)
		qsort(*v, *nv, sizeof(**v), newrow_cmp);
	rc = 0;
out:
	vuln_report_free(&r);
	if (rc != 0) {
		newrows_free(*v, *nv);
		*v = NULL;
		*nv = 0;
	}
	return rc;
}

static int
store_finding(struct sync *s, const struct newrow *x)
{
	char key[24];
	struct fdb_val p[2];

	snprintf(key, sizeof(key), "%lld", (long long)x->data_id);
	if (json_object_get(s->stored, key) != NULL)
		return 0;
	p[0] = fv_int(x->data_id);
	p[1] = fv_text(x->data);
	if (fdb_run(s->f->db, "INSERT INTO finding(id, data) VALUES(?, ?) ON CONFLICT DO NOTHING",
		    p, 2) < 0)
		return -1;
	return json_object_set_new(s->stored, key, json_true());
}

/* Replace the stored rows of (image, owner) with v. */
static int
write_group(struct sync *s, int64_t image, int64_t owner, const struct newrow *v, size_t n)
{
	struct fdb_val p[6];

	p[0] = fv_int(image);
	p[1] = fv_int(owner);
	if (fdb_run(s->f->db, "DELETE FROM exposure WHERE image_id=? AND owner_pkg=?", p, 2) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (store_finding(s, &v[i]) != 0)
			return -1;
		p[2] = fv_text(v[i].finding);
		p[3] = fv_int(v[i].severity);
		p[4] = fv_int(v[i].suppressed);
		p[5] = fv_int(v[i].data_id);
		if (fdb_run(s->f->db,
			    "INSERT INTO exposure(image_id, owner_pkg, finding, severity, "
			    "suppressed, data_id) VALUES(?, ?, ?, ?, ?, ?)",
			    p, 6) < 0)
			return -1;
	}
	return 0;
}

static int
old_cmp(const void *x, const void *y)
{
	const struct old *a = x, *b = y;

	if (a->image != b->image)
		return (a->image > b->image) - (a->image < b->image);
	if (a->owner != b->owner)
		return (a->owner > b->owner) - (a->owner < b->owner);
	return strcmp(a->finding, b->finding);
}

struct olds {
	struct old *v;
	size_t n, cap;
};

static int
take_old(struct fdb_cur *c, struct olds *o)
{
	struct old *x;

	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 1024;
		struct old *n = ward_realloc(o->v, cap * sizeof(*n));
		if (n == NULL)
			return -1;
		o->v = n;
		o->cap = cap;
	}
	x = &o->v[o->n];
	x->image = fdb_int(c, 0);
	x->owner = fdb_int(c, 1);
	x->severity = (int)fdb_int(c, 3);
	x->suppressed = (int)fdb_int(c, 4);
	x->data = fdb_int(c, 5);
	if ((x->finding = ward_strdup(fdb_text(c, 2))) == NULL)
		return -1;
	o->n++;
	return 0;
}

static void
olds_free(struct olds *o)
{
	for (size_t i = 0; i < o->n; i++)
		free(o->v[i].finding);
	free(o->v);
}

/* Stored rows whose column col ("owner_pkg" or "image_id") is in ids. */
static int
load_olds(struct sync *s, const char *col, const int64_t *ids, size_t n, struct olds *o)
{
	char head[160];
	char *sql;
	struct fdb_val p[FLEET_BATCH];
	int rc = 0;

	snprintf(head, sizeof(head),
		 "SELECT image_id, owner_pkg, finding, severity, suppressed, data_id FROM "
		 "exposure WHERE %s IN ",
		 col);
	if ((sql = fleet_in_sql(head, NULL, FLEET_BATCH)) == NULL)
		return -1;
	for (size_t at = 0; rc == 0 && at < n; at += FLEET_BATCH) {
		struct fdb_cur *c;
		for (size_t k = 0; k < FLEET_BATCH; k++)
			p[k] = fv_int(ids[at + k < n ? at + k : n - 1]);
		if ((c = fdb_query(s->f->db, sql, p, FLEET_BATCH)) == NULL) {
			rc = -1;
			break;
		}
		while ((rc = fdb_next(c)) == 1)
			if (take_old(c, o) != 0) {
				rc = -1;
				break;
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
i64_cmp(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

static int
in_sorted(const int64_t *v, size_t n, int64_t x)
{
	return n > 0 && bsearch(&x, v, n, sizeof(x), i64_cmp) != NULL;
}

/* Compare and store one (image, owner) group. */
static int
diff_group(struct sync *s, const struct fleet_image_info *im, int64_t owner, const struct old *ov,
	   size_t no, const struct newrow *nv, size_t nn, const char *reason)
{
	size_t i = 0, k = 0;
	int dirty = no != nn;

	while (i < no || k < nn) {
		int c = i == no ? 1 : k == nn ? -1 : strcmp(ov[i].finding, nv[k].finding);
		if (c < 0) { /* gone */
			char *data;
			dirty = 1;
			if (!ov[i].suppressed) {
				if ((data = finding_data(s, ov[i].data)) == NULL)
					return -1;
				if (change(s,
					   all_withdrawn(s, data) ? FLEET_WITHDRAWN
								  : FLEET_NEWLY_FIXED,
					   im, ov[i].data, data, reason) != 0) {
					free(data);
					return -1;
				}
				free(data);
			}
			i++;
		} else if (c > 0) { /* new */
			dirty = 1;
			if (!nv[k].suppressed && change(s, FLEET_NEWLY_AFFECTED, im, nv[k].data_id,
							nv[k].data, reason) != 0)
				return -1;
			k++;
		} else {
			if (ov[i].data != nv[k].data_id) {
				char *data = finding_data(s, ov[i].data);
				int kind;
				dirty = 1;
				if (data == NULL)
					return -1;
				kind = !ov[i].suppressed && nv[k].suppressed ? FLEET_NEWLY_FIXED
				       : ov[i].suppressed && !nv[k].suppressed
					       ? FLEET_NEWLY_AFFECTED
				       : !has_fix(data) && has_fix(nv[k].data) ? FLEET_FIX_AVAILABLE
									       : FLEET_CHANGED;
				free(data);
				if ((!ov[i].suppressed || !nv[k].suppressed) &&
				    change(s, kind, im, nv[k].data_id, nv[k].data, reason) != 0)
					return -1;
			}
			i++;
			k++;
		}
	}
	if (nn > 0 && strcmp(reason, "image added") == 0)
		s->new_findings += nn;
	return dirty ? write_group(s, im->id, owner, nv, nn) : 0;
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

/* The first stored row of (image, owner), or o->n. */
static size_t
olds_lower(const struct olds *o, int64_t image, int64_t owner)
{
	size_t lo = 0, hi = o->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct old *x = &o->v[mid];
		if (x->image < image || (x->image == image && x->owner < owner))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static size_t
distinct(int64_t *v, size_t n)
{
	size_t k = 0;

	qsort(v, n, sizeof(*v), i64_cmp);
	for (size_t i = 0; i < n; i++)
		if (k == 0 || v[k - 1] != v[i])
			v[k++] = v[i];
	return k;
}

/* Compare every use of e with the stored rows and write the difference:
 * on the images in keep (a keys pass: stored rows read by owner), or on
 * every image of e (new images: they have no stored rows). */
static int
process(struct sync *s, struct fleet_eval *e, const int64_t *keep, size_t nkeep, const char *reason)
{
	struct ward_strv names = {0};
	struct fleet_vex *vex = NULL;
	struct fleet_image_info *infos = NULL;
	struct olds olds = {0};
	int64_t *imgs = NULL, *owners = NULL;
	size_t nvex = 0, nimgs = 0, nowners = 0;
	int rc = -1;

	if ((imgs = ward_calloc(e->nuses + 1, sizeof(*imgs))) == NULL ||
	    (owners = ward_calloc(e->nuses + 1, sizeof(*owners))) == NULL)
		goto out;
	for (size_t i = 0; i < e->nuses; i++)
		if (keep == NULL || in_sorted(keep, nkeep, e->uses[i].image)) {
			imgs[nimgs++] = e->uses[i].image;
			owners[nowners++] = e->uses[i].owner;
		}
	nimgs = distinct(imgs, nimgs);
	nowners = distinct(owners, nowners);
	if (nimgs == 0) {
		rc = 0;
		goto out;
	}
	if (fleet_image_infos(s->f, imgs, nimgs, &infos) != 0)
		goto out;
	if (keep != NULL && load_olds(s, "owner_pkg", owners, nowners, &olds) != 0)
		goto out;
	for (size_t c = 0; c < e->nclasses; c++)
		for (size_t k = 0; k < e->classes[c].r.nfindings; k++)
			if (fleet_finding_names(&e->classes[c].r.findings[k], &names) != 0)
				goto out;
	if (names.n > 0 && fleet_vex_for(s->f, &names, &vex, &nvex) != 0)
		goto out;
	for (size_t i = 0; i < e->nuses; i++) {
		const struct fleet_use *u = &e->uses[i];
		const struct fleet_image_info *im;
		struct newrow *nv = NULL;
		size_t nn = 0, lo, hi;
		int r;
		if (keep != NULL && !in_sorted(keep, nkeep, u->image))
			continue;
		if ((im = info_of(infos, nimgs, u->image)) == NULL)
			continue;
		if (use_rows(&e->classes[u->cls], fleet_vex_find(vex, nvex, u->image), im, &nv,
			     &nn) != 0)
			goto out;
		lo = hi = olds_lower(&olds, u->image, u->owner);
		while (hi < olds.n && olds.v[hi].image == u->image && olds.v[hi].owner == u->owner)
			hi++;
		r = diff_group(s, im, u->owner, olds.v + lo, hi - lo, nv, nn, reason);
		newrows_free(nv, nn);
		if (r != 0)
			goto out;
	}
	rc = 0;
out:
	free(imgs);
	free(owners);
	fleet_image_infos_free(infos, infos ? nimgs : 0);
	fleet_vex_free(vex, nvex);
	olds_free(&olds);
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
	qsort(s->feed.v, s->feed.n, sizeof(*s->feed.v), rec_cmp);
	return 0;
}

/* New, modified, withdrawn and removed records, counted in out. */
static int
find_changed(struct sync *s, json_t *counts)
{
	size_t nnew = 0, nmod = 0, nwd = 0, nrm = 0;

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
		qsort(*out, *n, sizeof(**out), i64_cmp);
	return 0;
}

static json_t *
totals(struct fleet *f)
{
	json_t *by = json_object();
	struct fdb_cur *c = fdb_query(f->db,
				      "SELECT severity, count(DISTINCT image_id), count(*) FROM "
				      "exposure WHERE suppressed = 0 GROUP BY severity",
				      NULL, 0);
	int rc;

	if (c == NULL || by == NULL) {
		json_decref(by);
		return NULL;
	}
	while ((rc = fdb_next(c)) == 1)
		json_object_set_new(by, vuln_severity_name((int)fdb_int(c, 0)),
				    json_pack("{s:I,s:I}", "images", (json_int_t)fdb_int(c, 1),
					      "findings", (json_int_t)fdb_int(c, 2)));
	fdb_cur_close(c);
	if (rc < 0) {
		json_decref(by);
		return NULL;
	}
	return by;
}

static int
sync_once(struct sync *s, json_t **out)
{
	struct fleet_eval e = {0};
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
		    process(s, &e, synced, nsynced, "advisory") != 0)
			goto out;
		fleet_eval_free(&e);
	}
	/* 2. images added since, whole */
	if (nfresh > 0) {
		char *del =
			fleet_in_sql("DELETE FROM exposure WHERE image_id IN ", NULL, FLEET_BATCH);
		struct fdb_val p[FLEET_BATCH];
		int r = del ? 0 : -1;
		for (size_t at = 0; r == 0 && at < nfresh; at += FLEET_BATCH) {
			for (size_t k = 0; k < FLEET_BATCH; k++)
				p[k] = fv_int(fresh[at + k < nfresh ? at + k : nfresh - 1]);
			if (fdb_run(s->f->db, del, p, FLEET_BATCH) < 0)
				r = -1;
		}
		free(del);
		if (r != 0 || fleet_eval_images(s->f, s->db, fresh, nfresh, &e) != 0 ||
		    process(s, &e, NULL, 0, "image added") != 0)
			goto out;
		fleet_eval_free(&e);
		for (size_t i = 0; i < nfresh; i++) {
			struct fdb_val q[] = {fv_int(fresh[i])};
			if (fdb_run(s->f->db,
				    "INSERT INTO synced(image_id) VALUES(?) ON CONFLICT DO NOTHING",
				    q, 1) < 0)
				goto out;
		}
	}
	/* 3. the feed as seen now; findings nothing points at any more */
	if (update_feed(s) != 0 ||
	    fdb_run(s->f->db,
		    "DELETE FROM finding WHERE NOT EXISTS (SELECT 1 FROM exposure WHERE "
		    "exposure.data_id = finding.id)",
		    NULL, 0) < 0)
		goto out;
	{
		struct fdb_val q[] = {fv_text(s->now)};
		if (fdb_run(s->f->db,
			    "INSERT INTO meta(key, value) VALUES('last_sync', ?) ON CONFLICT(key) "
			    "DO "
			    "UPDATE SET value = excluded.value",
			    q, 1) < 0)
			goto out;
	}
	if ((tot = totals(s->f)) == NULL)
		goto out;
	{
		json_t *ch = json_object();
		for (int k = FLEET_NEWLY_AFFECTED; k <= FLEET_CHANGED; k++)
			json_object_set_new(ch, change_names[k],
					    json_integer((json_int_t)s->count[k]));
		*out = json_pack("{s:s,s:s,s:o,s:s,s:O,s:o,s:{s:I,s:I},s:O,s:O,s:O,s:o}",
				 "inventory", fleet_name(s->f), "backend", fleet_backend(s->f),
				 "previous_sync", ward_json_str_or_null(prev), "synced", s->now,
				 "records", counts, "counts", ch, "new_images", "images",
				 (json_int_t)nfresh, "findings", (json_int_t)s->new_findings,
				 "images", s->images, "findings", s->findings, "changes",
				 s->changes, "affected", tot);
		tot = NULL;
	}
	if (*out == NULL) {
		ward_err(WARD_EENV, "out of memory");
		goto out;
	}
	if (fdb_commit(s->f->db) != 0) {
		json_decref(*out);
		*out = NULL;
		goto fail;
	}
	rc = 0;
	goto fail;
out:
	fdb_rollback(s->f->db);
fail:
	fleet_eval_free(&e);
	ward_strv_free(&keys);
	free(synced);
	free(fresh);
	free(prev);
	json_decref(counts);
	json_decref(tot);
	return rc;
}

int
fleet_sync(struct fleet *f, struct vuln_db *db, const struct fleet_sync_opts *o, json_t **out)
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
		s.images = json_array();
		s.findings = json_array();
		s.changes = json_array();
		s.image_idx = json_object();
		s.finding_idx = json_object();
		s.stored = json_object();
		memset(s.count, 0, sizeof(s.count));
		s.new_findings = 0;
		if (!s.images || !s.findings || !s.changes || !s.image_idx || !s.finding_idx ||
		    !s.stored)
			rc = ward_err(WARD_EENV, "out of memory");
		else
			rc = sync_once(&s, out);
		json_decref(s.images);
		json_decref(s.findings);
		json_decref(s.changes);
		json_decref(s.image_idx);
		json_decref(s.finding_idx);
		json_decref(s.stored);
		recs_free(&s.feed);
		ward_strv_free(&s.changed);
		if (rc == 0 || !fdb_retryable(f->db))
			break;
		ward_err_clear();
	}
out:
	recs_free(&s.store);
	return rc;
}
