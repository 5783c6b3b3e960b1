/*
 * store.c: adding, removing and listing images.
 *
 * An image is one transaction: its row (keyed by a hash of its digest, the
 * digest itself UNIQUE), its names, its package tuples (inserted when new,
 * ON CONFLICT DO NOTHING, in id order so that concurrent adds wait on each
 * other instead of deadlocking), their index keys, the image -> package
 * rows and its VEX statements.  A tuple's id is a hash of its contents;
 * an existing row with that id must hold the same contents, which is
 * checked, so a hash collision is an error and never a wrong answer.
 */
#include <stdlib.h>
#include <string.h>

#include "fleet/fleet_internal.h"

#define ROWS 64	    /* rows per multi-row INSERT */
#define MAX_TRIES 8 /* a transaction PostgreSQL aborts as a deadlock is run again */

struct row {
	int64_t id, owner;
	char *data;
	struct ward_strv keys;
};

static void
rows_free(struct row *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(r[i].data);
		ward_strv_free(&r[i].keys);
	}
	free(r);
}

static int
row_cmp(const void *x, const void *y)
{
	const struct row *a = x, *b = y;

	return (a->id > b->id) - (a->id < b->id);
}

static int64_t
tuple_id(const char *data, int64_t owner)
{
	char *s = ward_asprintf("%s\n%lld", data, (long long)owner);
	int64_t id;

	if (s == NULL)
		return -1;
	id = fleet_hash_id(s, strlen(s));
	free(s);
	return id;
}

/* The package tuples of a list: Debian packages first, so that a Python
 * distribution's owner (found the way vuln_scan finds it) has its id. */
static int
make_rows(const struct vuln_pkglist *l, struct row **out, size_t *nout)
{
	struct row *r = ward_calloc(l->n ? l->n : 1, sizeof(*r));
	size_t n = 0;

	if (r == NULL)
		return -1;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < l->n; i++) {
			const struct vuln_pkg *p = &l->v[i];
			const struct vuln_pkg *o = NULL;
			json_t *j;
			if ((p->owner != NULL) != pass)
				continue;
			r[i].owner = 0;
			if (p->owner != NULL && (o = vuln_pkglist_find_deb(l, p->owner)) != NULL)
				r[i].owner = r[o - l->v].id;
			if ((j = vuln_pkg_to_json(p)) == NULL ||
			    (r[i].data = ward_json_dump(j, 0)) == NULL) {
				json_decref(j);
				goto fail;
			}
			json_decref(j);
			if ((r[i].id = tuple_id(r[i].data, r[i].owner)) < 0 ||
			    vuln_pkg_keys(p, &r[i].keys) != 0)
				goto fail;
			n++;
		}
	qsort(r, l->n, sizeof(*r), row_cmp);
	/* the same tuple twice (identical metadata found twice) is one row */
	n = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (n > 0 && r[n - 1].id == r[i].id) {
			free(r[i].data);
			ward_strv_free(&r[i].keys);
			continue;
		}
		r[n++] = r[i];
	}
	*out = r;
	*nout = n;
	return 0;
fail:
	rows_free(r, l->n);
	return -1;
}

/* Run "head VALUES (...),(...) tail" over items [0, n) in batches of ROWS,
 * padding the last batch with its last row. */
typedef void (*fill_fn)(const void *items, size_t i, struct fdb_val *out, void *arg);

static int
insert_rows(struct fdb *db, const char *head, const char *tail, size_t width, const void *items,
	    size_t n, fill_fn fill, void *arg)
{
	char *sql = fleet_values_sql(head, width, ROWS, tail);
	struct fdb_val *v = ward_calloc(ROWS * width, sizeof(*v));
	int rc = 0;

	if (sql == NULL || v == NULL)
		rc = -1;
	for (size_t at = 0; rc == 0 && at < n; at += ROWS) {
		for (size_t k = 0; k < ROWS; k++)
			fill(items, at + k < n ? at + k : n - 1, v + k * width, arg);
		if (fdb_run(db, sql, v, ROWS * width) < 0)
			rc = -1;
	}
	free(sql);
	free(v);
	return rc;
}

static void
fill_image_pkg(const void *items, size_t i, struct fdb_val *out, void *arg)
{
	const struct row *r = items;

	out[0] = fv_int(r[i].id);
	out[1] = fv_int(*(int64_t *)arg);
}

struct keyrow {
	char *eco, *name;
	int64_t pkg;
};

static void
fill_key(const void *items, size_t i, struct fdb_val *out, void *arg)
{
	const struct keyrow *k = items;

	(void)arg;
	out[0] = fv_text(k[i].eco);
	out[1] = fv_text(k[i].name);
	out[2] = fv_int(k[i].pkg);
}

struct vexrow {
	char *vuln, *doc;
	int64_t seq;
};

static void
fill_vex(const void *items, size_t i, struct fdb_val *out, void *arg)
{
	const struct vexrow *k = items;

	out[0] = fv_text(k[i].vuln);
	out[1] = fv_int(*(int64_t *)arg);
	out[2] = fv_int(k[i].seq);
	out[3] = fv_text(k[i].doc);
}

/* Insert the tuples [0, n) of r that are not stored yet; *fresh[i] = 1 for
 * those this transaction inserted. */
static int
insert_pkgs(struct fdb *db, const struct row *r, size_t n, unsigned char *fresh)
{
	char *sql = fleet_values_sql("INSERT INTO pkg(id, owner_pkg, data)", 3, ROWS,
				     " ON CONFLICT DO NOTHING RETURNING id");
	struct fdb_val v[ROWS * 3];
	int rc = 0;

	if (sql == NULL)
		return -1;
	for (size_t at = 0; rc == 0 && at < n; at += ROWS) {
		struct fdb_cur *c;
		for (size_t k = 0; k < ROWS; k++) {
			const struct row *x = &r[at + k < n ? at + k : n - 1];
			v[k * 3] = fv_int(x->id);
			v[k * 3 + 1] = x->owner ? fv_int(x->owner) : fv_text(NULL);
			v[k * 3 + 2] = fv_text(x->data);
		}
		if ((c = fdb_query(db, sql, v, ROWS * 3)) == NULL) {
			rc = -1;
			break;
		}
		while ((rc = fdb_next(c)) == 1) {
			int64_t id = fdb_int(c, 0);
			size_t lo = at, hi = at + ROWS < n ? at + ROWS : n;
			while (lo < hi) { /* r is sorted by id */
				size_t mid = lo + (hi - lo) / 2;
				if (r[mid].id < id)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo < n && r[lo].id == id)
				fresh[lo] = 1;
		}
		fdb_cur_close(c);
	}
	free(sql);
	return rc;
}

/* Tuples already stored must hold exactly our contents. */
static int
check_existing(struct fdb *db, const struct row *r, size_t n, const unsigned char *fresh)
{
	char *sql =
		fleet_in_sql("SELECT id, owner_pkg, data FROM pkg WHERE id IN ", NULL, FLEET_BATCH);
	struct fdb_val v[FLEET_BATCH];
	size_t at = 0;
	int rc = 0;

	if (sql == NULL)
		return -1;
	while (rc == 0 && at < n) {
		size_t k = 0;
		struct fdb_cur *c;
		for (; at < n && k < FLEET_BATCH; at++)
			if (!fresh[at])
				v[k++] = fv_int(r[at].id);
		if (k == 0)
			break;
		for (size_t i = k; i < FLEET_BATCH; i++)
			v[i] = v[k - 1];
		if ((c = fdb_query(db, sql, v, FLEET_BATCH)) == NULL) {
			rc = -1;
			break;
		}
		while ((rc = fdb_next(c)) == 1) {
			int64_t id = fdb_int(c, 0), owner = fdb_isnull(c, 1) ? 0 : fdb_int(c, 1);
			const char *data = fdb_text(c, 2);
			struct row key = {.id = id}, *x = bsearch(&key, r, n, sizeof(*r), row_cmp);
			if (x != NULL &&
			    (x->owner != owner || data == NULL || strcmp(x->data, data) != 0)) {
				rc = ward_err(WARD_EENV,
					      "%s: package tuple id %lld collides with a different "
					      "package (%s)",
					      fdb_name(db), (long long)id, x->data);
				break;
			}
		}
		fdb_cur_close(c);
	}
	free(sql);
	return rc;
}

/* The VEX rows of an image: each statement as a one-statement document
 * (with its document's @context, timestamp and source), under every name
 * that can select it (name, @id, aliases). */
static int
vex_rows(const json_t *vex, struct vexrow **out, size_t *nout)
{
	struct vexrow *v = NULL;
	size_t n = 0, i, k, seq = 0;
	json_t *e, *st;
	int rc = 0;

	json_array_foreach(vex, i, e)
	{
		const json_t *doc = json_object_get(e, "doc");
		json_array_foreach(json_object_get(doc, "statements"), k, st)
		{
			json_t *vul = json_object_get(st, "vulnerability"), *one, *a;
			struct ward_strv names = {0};
			char *text;
			size_t m;
			if (json_is_string(vul)) {
				rc |= ward_strv_push(&names, json_string_value(vul));
			} else {
				const char *s;
				if ((s = ward_json_str(vul, "name")) != NULL)
					rc |= ward_strv_push(&names, s);
				if ((s = ward_json_str(vul, "@id")) != NULL &&
				    !ward_strv_contains(&names, s))
					rc |= ward_strv_push(&names, s);
				json_array_foreach(json_object_get(vul, "aliases"), m, a)
				{
					if (json_is_string(a) &&
					    !ward_strv_contains(&names, json_string_value(a)))
						rc |= ward_strv_push(&names, json_string_value(a));
				}
			}
			one = json_pack("{s:O,s:O?,s:[O],s:O}", "@context",
					json_object_get(doc, "@context"), "timestamp",
					json_object_get(doc, "timestamp"), "statements", st,
					"source", json_object_get(e, "source"));
			text = one ? ward_json_dump(one, 0) : NULL;
			json_decref(one);
			if (text == NULL || rc != 0) {
				free(text);
				ward_strv_free(&names);
				goto fail;
			}
			for (m = 0; m < names.n; m++) {
				struct vexrow *nv = ward_realloc(v, (n + 1) * sizeof(*v));
				if (nv == NULL) {
					free(text);
					ward_strv_free(&names);
					goto fail;
				}
				v = nv;
				v[n].vuln = ward_strdup(names.v[m]);
				v[n].doc = ward_strdup(text);
				v[n++].seq = (int64_t)seq;
			}
			seq++;
			free(text);
			ward_strv_free(&names);
		}
	}
	*out = v;
	*nout = n;
	return 0;
fail:
	for (i = 0; i < n; i++) {
		free(v[i].vuln);
		free(v[i].doc);
	}
	free(v);
	return ward_err(WARD_EENV, "out of memory");
}

static int
insert_names(struct fdb *db, int64_t image, const struct ward_strv *names)
{
	for (size_t i = 0; i < names->n; i++) {
		struct fdb_val p[] = {fv_text(names->v[i]), fv_int(image)};
		if (fdb_run(db,
			    "INSERT INTO image_name(name, image_id) VALUES(?, ?) ON CONFLICT DO "
			    "NOTHING",
			    p, 2) < 0)
			return -1;
	}
	return 0;
}

struct add_ctx {
	const struct fleet_image *im;
	int64_t image;
	struct row *rows;
	size_t nrows;
	struct keyrow *keys;
	size_t nkeys;
	struct vexrow *vex;
	size_t nvex;
	char *target_ids, *facts;
	unsigned char *fresh;
};

static int
add_once(struct fdb *db, struct add_ctx *x, int *added)
{
	const struct fleet_image *im = x->im;
	char now[32];
	struct fdb_val p[9];
	struct keyrow *fk = NULL;
	size_t nfk = 0;
	int64_t changed;
	int rc = -1;

	ward_time_rfc3339(time(NULL), now);
	memset(x->fresh, 0, x->nrows ? x->nrows : 1);
	if (fdb_begin(db, 1) != 0)
		return -1;
	p[0] = fv_int(x->image);
	p[1] = fv_text(im->digest);
	p[2] = fv_text(im->origin);
	p[3] = fv_text(im->pkgs.target);
	p[4] = fv_text(im->pkgs.distro);
	p[5] = fv_text(x->target_ids);
	p[6] = fv_text(x->facts);
	p[7] = fv_text(now);
	p[8] = fv_int((int64_t)im->pkgs.n);
	changed =
		fdb_run(db,
			"INSERT INTO image(id, digest, origin, target, distro, target_ids, facts, "
			"added, packages) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
			p, 9);
	if (changed < 0)
		goto out;
	if (changed == 0) {
		/* there already: the same digest (merge names) or a collision */
		struct fdb_cur *c = fdb_query(db, "SELECT digest FROM image WHERE id=?", p, 1);
		int same = 0;
		if (c == NULL)
			goto out;
		if (fdb_next(c) == 1 && fdb_text(c, 0) != NULL)
			same = strcmp(fdb_text(c, 0), im->digest) == 0;
		fdb_cur_close(c);
		if (!same) {
			/* the digest is UNIQUE, so the row was the id's */
			ward_err(WARD_EENV, "%s: image id of %s collides with another image",
				 fdb_name(db), im->digest);
			goto out;
		}
		if (insert_names(db, x->image, &im->names) != 0)
			goto out;
		*added = 0;
		rc = fdb_commit(db);
		return rc;
	}
	if (insert_names(db, x->image, &im->names) != 0)
		goto out;
	if (x->nrows > 0 && (insert_pkgs(db, x->rows, x->nrows, x->fresh) != 0 ||
			     check_existing(db, x->rows, x->nrows, x->fresh) != 0))
		goto out;
	/* index keys of the tuples this transaction made */
	if ((fk = ward_calloc(x->nkeys ? x->nkeys : 1, sizeof(*fk))) == NULL)
		goto out;
	for (size_t i = 0, k = 0; i < x->nrows; i++)
		for (size_t j = 0; j < x->rows[i].keys.n; j++, k++)
			if (x->fresh[i])
				fk[nfk++] = x->keys[k];
	if (nfk > 0 && insert_rows(db, "INSERT INTO pkg_key(ecosystem, name, pkg_id)",
				   " ON CONFLICT DO NOTHING", 3, fk, nfk, fill_key, NULL) != 0)
		goto out;
	if (x->nrows > 0 &&
	    insert_rows(db, "INSERT INTO image_pkg(pkg_id, image_id)", " ON CONFLICT DO NOTHING", 2,
			x->rows, x->nrows, fill_image_pkg, &x->image) != 0)
		goto out;
	if (x->nvex > 0 &&
	    insert_rows(db, "INSERT INTO vex(vuln, image_id, seq, doc)", " ON CONFLICT DO NOTHING",
			4, x->vex, x->nvex, fill_vex, &x->image) != 0)
		goto out;
	*added = 1;
	rc = fdb_commit(db);
	free(fk);
	return rc;
out:
	free(fk);
	fdb_rollback(db);
	return -1;
}

int
fleet_add(struct fleet *f, const struct fleet_image *im, int *added)
{
	struct add_ctx x = {0};
	json_t *ids = NULL;
	int rc = -1;

	*added = 0;
	x.im = im;
	x.image = fleet_hash_id(im->digest, strlen(im->digest));
	if (make_rows(&im->pkgs, &x.rows, &x.nrows) != 0)
		goto out;
	for (size_t i = 0; i < x.nrows; i++)
		x.nkeys += x.rows[i].keys.n;
	if ((x.keys = ward_calloc(x.nkeys ? x.nkeys : 1, sizeof(*x.keys))) == NULL ||
	    (x.fresh = ward_calloc(x.nrows ? x.nrows : 1, 1)) == NULL)
		goto out;
	for (size_t i = 0, k = 0; i < x.nrows; i++)
		for (size_t j = 0; j < x.rows[i].keys.n; j++, k++) {
			char *tab = strchr(x.rows[i].keys.v[j], '\t');
			x.keys[k].eco = x.rows[i].keys.v[j];
			*tab = '\0'; /* "ecosystem\tname" split in place */
			x.keys[k].name = tab + 1;
			x.keys[k].pkg = x.rows[i].id;
		}
	if ((ids = ward_json_strv(&im->pkgs.target_ids)) == NULL ||
	    (x.target_ids = ward_json_dump(ids, 0)) == NULL)
		goto out;
	if (im->facts != NULL && (x.facts = ward_json_dump(im->facts, 0)) == NULL)
		goto out;
	if (im->vex != NULL && vex_rows(im->vex, &x.vex, &x.nvex) != 0)
		goto out;
	for (int tries = 1;; tries++) {
		if ((rc = add_once(f->db, &x, added)) == 0 || !fdb_retryable(f->db) ||
		    tries >= MAX_TRIES)
			break;
		ward_debug("%s: %s; trying again", fleet_name(f), ward_errmsg());
		ward_err_clear();
	}
out:
	json_decref(ids);
	rows_free(x.rows, x.nrows);
	free(x.keys);
	free(x.fresh);
	free(x.target_ids);
	free(x.facts);
	for (size_t i = 0; i < x.nvex; i++) {
		free(x.vex[i].vuln);
		free(x.vex[i].doc);
	}
	free(x.vex);
	return rc;
}

/* ---------------------------------------------------------------- rm */

static int
push_id(int64_t **v, size_t *n, int64_t id)
{
	int64_t *nv = ward_realloc(*v, (*n + 1) * sizeof(**v));

	if (nv == NULL)
		return -1;
	*v = nv;
	(*v)[(*n)++] = id;
	return 0;
}

static int
is_hex(const char *s)
{
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return 0;
	return 1;
}

/* The images `what` names: a digest, a unique digest prefix, or a name. */
static int
resolve(struct fdb *db, const char *what, int64_t **ids, size_t *n, struct ward_strv *digests)
{
	const char *hex = ward_str_startswith(what, "sha256:") ? what + 7 : what;
	struct fdb_cur *c;
	int rc;

	*ids = NULL;
	*n = 0;
	if (strlen(hex) >= 12 && strlen(hex) <= 64 && is_hex(hex)) {
		char *pat = ward_asprintf("sha256:%s%%", hex);
		struct fdb_val p[] = {fv_text(pat)};
		if (pat == NULL)
			return -1;
		c = fdb_query(db,
			      "SELECT id, digest FROM image WHERE digest LIKE ? ORDER BY digest", p,
			      1);
		free(pat);
		if (c == NULL)
			return -1;
		while ((rc = fdb_next(c)) == 1)
			if (push_id(ids, n, fdb_int(c, 0)) != 0 ||
			    ward_strv_push(digests, fdb_text(c, 1)) != 0) {
				rc = -1;
				break;
			}
		fdb_cur_close(c);
		if (rc < 0)
			return -1;
		if (*n > 1)
			return ward_err(WARD_EINPUT,
					"%s: %zu images have digests starting so; give more of it",
					what, *n);
		if (*n == 1)
			return 0;
	}
	{
		struct fdb_val p[] = {fv_text(what)};
		c = fdb_query(db,
			      "SELECT i.id, i.digest FROM image_name n JOIN image i ON i.id = "
			      "n.image_id WHERE n.name = ? ORDER BY i.digest",
			      p, 1);
	}
	if (c == NULL)
		return -1;
	while ((rc = fdb_next(c)) == 1)
		if (push_id(ids, n, fdb_int(c, 0)) != 0 ||
		    ward_strv_push(digests, fdb_text(c, 1)) != 0) {
			rc = -1;
			break;
		}
	fdb_cur_close(c);
	return rc < 0 ? -1 : 0;
}

static int
id_cmp(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

/* Remove the package tuples among ids that no image holds any more, with
 * their index keys. */
static int
collect_garbage(struct fdb *db, int64_t *ids, size_t n)
{
	char *sel = fleet_in_sql("SELECT id, data FROM pkg WHERE id IN ",
				 " AND NOT EXISTS (SELECT 1 FROM image_pkg WHERE pkg_id = pkg.id)",
				 FLEET_BATCH);
	char *del = fleet_in_sql("DELETE FROM pkg WHERE id IN ", NULL, FLEET_BATCH);
	struct fdb_val v[FLEET_BATCH];
	int rc = sel && del ? 0 : -1;

	qsort(ids, n, sizeof(*ids), id_cmp);
	for (size_t at = 0; rc == 0 && at < n; at += FLEET_BATCH) {
		struct vuln_pkglist l = {0};
		int64_t *gone = NULL;
		size_t ngone = 0;
		struct fdb_cur *c;
		for (size_t k = 0; k < FLEET_BATCH; k++)
			v[k] = fv_int(ids[at + k < n ? at + k : n - 1]);
		if ((c = fdb_query(db, sel, v, FLEET_BATCH)) == NULL) {
			rc = -1;
			break;
		}
		while ((rc = fdb_next(c)) == 1) {
			json_t *j = ward_json_loadb(fdb_text(c, 1), strlen(fdb_text(c, 1)),
						    "inventory package");
			if (j == NULL || vuln_pkg_from_json(j, "inventory package", &l) != 0 ||
			    push_id(&gone, &ngone, fdb_int(c, 0)) != 0)
				rc = -1;
			json_decref(j);
			if (rc < 0)
				break;
		}
		fdb_cur_close(c);
		for (size_t i = 0; rc == 0 && i < l.n; i++) {
			struct ward_strv keys = {0};
			rc = vuln_pkg_keys(&l.v[i], &keys);
			for (size_t k = 0; rc == 0 && k < keys.n; k++) {
				char *tab = strchr(keys.v[k], '\t');
				struct fdb_val p[3];
				*tab = '\0';
				p[0] = fv_text(keys.v[k]);
				p[1] = fv_text(tab + 1);
				p[2] = fv_int(gone[i]);
				if (fdb_run(db,
					    "DELETE FROM pkg_key WHERE ecosystem=? AND name=? AND "
					    "pkg_id=?",
					    p, 3) < 0)
					rc = -1;
			}
			ward_strv_free(&keys);
		}
		for (size_t i = 0; rc == 0 && i < ngone; i += FLEET_BATCH) {
			for (size_t k = 0; k < FLEET_BATCH; k++)
				v[k] = fv_int(gone[i + k < ngone ? i + k : ngone - 1]);
			if (fdb_run(db, del, v, FLEET_BATCH) < 0)
				rc = -1;
		}
		vuln_pkglist_free(&l);
		free(gone);
	}
	free(sel);
	free(del);
	return rc;
}

static int
rm_once(struct fdb *db, const int64_t *images, size_t nimages)
{
	static const char *const tables[] = {
		"DELETE FROM image_pkg WHERE image_id=?", "DELETE FROM image_name WHERE image_id=?",
		"DELETE FROM vex WHERE image_id=?",	  "DELETE FROM exposure WHERE image_id=?",
		"DELETE FROM synced WHERE image_id=?",	  "DELETE FROM image WHERE id=?",
	};
	int64_t *pkgs = NULL;
	size_t npkgs = 0;

	if (fdb_begin(db, 1) != 0)
		return -1;
	if (fdb_lock(db, FDB_LOCK_PKG) != 0)
		goto out;
	for (size_t i = 0; i < nimages; i++) {
		struct fdb_val p[] = {fv_int(images[i])};
		struct fdb_cur *c =
			fdb_query(db, "SELECT pkg_id FROM image_pkg WHERE image_id=?", p, 1);
		int r;
		if (c == NULL)
			goto out;
		while ((r = fdb_next(c)) == 1)
			if (push_id(&pkgs, &npkgs, fdb_int(c, 0)) != 0) {
				r = -1;
				break;
			}
		fdb_cur_close(c);
		if (r < 0)
			goto out;
		for (size_t t = 0; t < sizeof(tables) / sizeof(*tables); t++)
			if (fdb_run(db, tables[t], p, 1) < 0)
				goto out;
	}
	if (npkgs > 0 && collect_garbage(db, pkgs, npkgs) != 0)
		goto out;
	free(pkgs);
	return fdb_commit(db);
out:
	free(pkgs);
	fdb_rollback(db);
	return -1;
}

int
fleet_rm(struct fleet *f, const char *what, struct ward_strv *removed)
{
	struct ward_strv digests = {0};
	int64_t *ids = NULL;
	size_t n = 0;
	int rc = -1;

	if (resolve(f->db, what, &ids, &n, &digests) != 0)
		goto out;
	if (n == 0) {
		rc = 0;
		goto out;
	}
	for (int tries = 1;; tries++) {
		if ((rc = rm_once(f->db, ids, n)) == 0 || !fdb_retryable(f->db) ||
		    tries >= MAX_TRIES)
			break;
		ward_err_clear();
	}
	for (size_t i = 0; rc == 0 && i < digests.n; i++)
		rc = ward_strv_push(removed, digests.v[i]);
out:
	free(ids);
	ward_strv_free(&digests);
	return rc;
}

/* ---------------------------------------------------------------- ls */

static json_t *
image_by_id(json_t *byid, int64_t id)
{
	char key[24];

	snprintf(key, sizeof(key), "%lld", (long long)id);
	return json_object_get(byid, key);
}

json_t *
fleet_ls(struct fleet *f, int details)
{
	json_t *out = json_array(), *byid = json_object();
	struct fdb_cur *c = NULL;
	int rc;

	if (out == NULL || byid == NULL || fdb_begin(f->db, 0) != 0)
		goto fail;
	c = fdb_query(f->db,
		      "SELECT id, digest, origin, target, distro, added, packages FROM image "
		      "ORDER BY digest",
		      NULL, 0);
	if (c == NULL)
		goto fail;
	while ((rc = fdb_next(c)) == 1) {
		char key[24];
		json_t *o =
			json_pack("{s:s,s:[],s:s,s:s?,s:s?,s:s,s:I,s:b,s:{}}", "digest",
				  fdb_text(c, 1), "names", "origin", fdb_text(c, 2), "target",
				  fdb_text(c, 3), "distro", fdb_text(c, 4), "added", fdb_text(c, 5),
				  "packages", (json_int_t)fdb_int(c, 6), "synced", 0, "findings");
		snprintf(key, sizeof(key), "%lld", (long long)fdb_int(c, 0));
		if (o == NULL || json_array_append(out, o) != 0 ||
		    json_object_set_new(byid, key, o) != 0) {
			rc = -1;
			break;
		}
	}
	fdb_cur_close(c);
	if (rc < 0)
		goto fail;
	c = fdb_query(f->db, "SELECT image_id, name FROM image_name ORDER BY name", NULL, 0);
	if (c == NULL)
		goto fail;
	while ((rc = fdb_next(c)) == 1) {
		json_t *o = image_by_id(byid, fdb_int(c, 0));
		if (o != NULL)
			json_array_append_new(json_object_get(o, "names"),
					      json_string(fdb_text(c, 1)));
	}
	fdb_cur_close(c);
	if (rc < 0)
		goto fail;
	c = fdb_query(f->db, "SELECT image_id FROM synced", NULL, 0);
	if (c == NULL)
		goto fail;
	while ((rc = fdb_next(c)) == 1) {
		json_t *o = image_by_id(byid, fdb_int(c, 0));
		if (o != NULL)
			json_object_set_new(o, "synced", json_true());
	}
	fdb_cur_close(c);
	if (rc < 0)
		goto fail;
	{
		struct ward_buf q = {0};
		ward_buf_puts(&q, "SELECT image_id");
		for (int s = 0; s <= VULN_SEV_CRITICAL; s++)
			ward_buf_printf(&q, ", sum(%s)", fleet_sev_columns[s]);
		ward_buf_puts(&q, " FROM exposure GROUP BY image_id");
		c = ward_buf_cstr(&q) ? fdb_query(f->db, (char *)q.data, NULL, 0) : NULL;
		ward_buf_free(&q);
	}
	if (c == NULL)
		goto fail;
	while ((rc = fdb_next(c)) == 1) {
		json_t *o = image_by_id(byid, fdb_int(c, 0));
		for (int s = VULN_SEV_CRITICAL; o != NULL && s >= 0; s--)
			if (fdb_int(c, 1 + s) > 0)
				json_object_set_new(json_object_get(o, "findings"),
						    vuln_severity_name(s),
						    json_integer(fdb_int(c, 1 + s)));
	}
	fdb_cur_close(c);
	if (rc < 0)
		goto fail;
	if (details) {
		c = fdb_query(
			f->db,
			"SELECT x.image_id, d.data FROM exposure x JOIN findingset d ON d.id = "
			"x.set_id ORDER BY x.image_id, x.owner_pkg",
			NULL, 0);
		if (c == NULL)
			goto fail;
		while ((rc = fdb_next(c)) == 1) {
			json_t *o = image_by_id(byid, fdb_int(c, 0)), *set, *list, *fj;
			size_t i;
			if (o == NULL)
				continue;
			set = ward_json_loadb(fdb_text(c, 1), strlen(fdb_text(c, 1)),
					      "inventory finding set");
			if (set == NULL) {
				rc = -1;
				break;
			}
			if ((list = json_object_get(o, "exposure")) == NULL)
				json_object_set_new(o, "exposure", list = json_array());
			for (int sup = 0; sup < 2; sup++)
				json_array_foreach(
					json_object_get(set, sup ? "suppressed" : "findings"), i,
					fj)
				{
					json_array_append(list, fj);
				}
			json_decref(set);
		}
		fdb_cur_close(c);
		if (rc < 0)
			goto fail;
	}
	if (fdb_commit(f->db) != 0)
		goto fail;
	json_decref(byid);
	return out;
fail:
	fdb_rollback(f->db);
	json_decref(byid);
	json_decref(out);
	return NULL;
}
