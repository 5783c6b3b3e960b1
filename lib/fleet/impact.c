/*
 * impact.c: `ward fleet impact` — the images an advisory affects.
 *
 * For an id: the store's records one finding about it can merge
 * (vuln_db_related) are the only candidates (vuln_scan_with, opts.only), their
 * packages' keys drive the engine (eval.c), and of each image's findings
 * those naming the id are kept, exactly as `ward scan` of the image would
 * report them.  Each image's own VEX statements about them are then
 * applied as `ward scan --vex` would.
 */
#include <stdlib.h>
#include <string.h>

#include "fleet/fleet_internal.h"

struct priv {
	struct fleet_eval e;
	unsigned char *owned; /* per hit: findings are deep copies (VEX applied) */
	struct fleet_vex *vex;
	size_t nvex;
};

void
fleet_image_infos_free(struct fleet_image_info *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++) {
		free(v[i].digest);
		free(v[i].origin);
		free(v[i].target);
		ward_strv_free(&v[i].names);
		ward_strv_free(&v[i].target_ids);
	}
	free(v);
}

static int
info_cmp(const void *x, const void *y)
{
	const struct fleet_image_info *a = x, *b = y;

	return (a->id > b->id) - (a->id < b->id);
}

static struct fleet_image_info *
info_find(struct fleet_image_info *v, size_t n, int64_t id)
{
	struct fleet_image_info key = {.id = id};

	return n ? bsearch(&key, v, n, sizeof(key), info_cmp) : NULL;
}

int
fleet_image_infos(struct fleet *f, const int64_t *ids, size_t n, struct fleet_image_info **out)
{
	char *sql = fleet_in_sql(
		"SELECT id, digest, origin, target, target_ids FROM image WHERE id IN ", NULL,
		FLEET_BATCH);
	char *names = fleet_in_sql("SELECT image_id, name FROM image_name WHERE image_id IN ",
				   " ORDER BY name", FLEET_BATCH);
	struct fleet_image_info *v = ward_calloc(n ? n : 1, sizeof(*v));
	struct fdb_val p[FLEET_BATCH];
	size_t got = 0;
	int rc = sql && names && v ? 0 : -1;

	for (size_t at = 0; rc == 0 && at < n; at += FLEET_BATCH) {
		struct fdb_cur *c;
		for (size_t k = 0; k < FLEET_BATCH; k++)
			p[k] = fv_int(ids[at + k < n ? at + k : n - 1]);
		if ((c = fdb_query(f->db, sql, p, FLEET_BATCH)) == NULL) {
			rc = -1;
			break;
		}
		while ((rc = fdb_next(c)) == 1 && got < n) {
			struct fleet_image_info *x = &v[got++];
			json_t *tid = ward_json_loadb(fdb_text(c, 4), strlen(fdb_text(c, 4)),
						      "inventory image");
			size_t i;
			json_t *s;
			x->id = fdb_int(c, 0);
			x->digest = ward_strdup(fdb_text(c, 1));
			x->origin = ward_strdup(fdb_text(c, 2));
			x->target = fdb_text(c, 3) ? ward_strdup(fdb_text(c, 3)) : NULL;
			json_array_foreach(tid, i, s)
			{
				ward_strv_push(&x->target_ids, json_string_value(s));
			}
			json_decref(tid);
			if (x->digest == NULL || x->origin == NULL || tid == NULL) {
				rc = -1;
				break;
			}
		}
		fdb_cur_close(c);
	}
	qsort(v, got, sizeof(*v), info_cmp);
	for (size_t at = 0; rc == 0 && at < n; at += FLEET_BATCH) {
		struct fdb_cur *c;
		for (size_t k = 0; k < FLEET_BATCH; k++)
			p[k] = fv_int(ids[at + k < n ? at + k : n - 1]);
		if ((c = fdb_query(f->db, names, p, FLEET_BATCH)) == NULL) {
			rc = -1;
			break;
		}
		while ((rc = fdb_next(c)) == 1) {
			struct fleet_image_info *x = info_find(v, got, fdb_int(c, 0));
			if (x != NULL && !ward_strv_contains(&x->names, fdb_text(c, 1)) &&
			    ward_strv_push(&x->names, fdb_text(c, 1)) != 0) {
				rc = -1;
				break;
			}
		}
		fdb_cur_close(c);
	}
	free(sql);
	free(names);
	if (rc < 0) {
		fleet_image_infos_free(v, got);
		return -1;
	}
	if (got != n) {
		fleet_image_infos_free(v, got);
		return ward_err(WARD_EENV, "%s: an image vanished while it was read",
				fleet_name(f));
	}
	*out = v;
	return 0;
}

/* ---------------------------------------------------------------- VEX */

void
fleet_vex_free(struct fleet_vex *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++)
		vuln_vex_free(v[i].vex);
	free(v);
}

static int
vex_cmp(const void *x, const void *y)
{
	const struct fleet_vex *a = x, *b = y;

	return (a->image > b->image) - (a->image < b->image);
}

struct vexdoc {
	int64_t image, seq;
	char *doc;
};

static int
vexdoc_cmp(const void *x, const void *y)
{
	const struct vexdoc *a = x, *b = y;

	if (a->image != b->image)
		return (a->image > b->image) - (a->image < b->image);
	return (a->seq > b->seq) - (a->seq < b->seq);
}

int
fleet_vex_for(struct fleet *f, const struct ward_strv *names, struct fleet_vex **out, size_t *nout)
{
	char *sql = fleet_in_sql("SELECT image_id, seq, doc FROM vex WHERE vuln IN ", NULL,
				 FLEET_BATCH);
	struct fdb_val p[FLEET_BATCH];
	struct vexdoc *d = NULL;
	struct fleet_vex *v = NULL;
	size_t nd = 0, nv = 0;
	int rc = sql ? 0 : -1;

	*out = NULL;
	*nout = 0;
	for (size_t at = 0; rc == 0 && at < names->n; at += FLEET_BATCH) {
		struct fdb_cur *c;
		for (size_t k = 0; k < FLEET_BATCH; k++)
			p[k] = fv_text(names->v[at + k < names->n ? at + k : names->n - 1]);
		if ((c = fdb_query(f->db, sql, p, FLEET_BATCH)) == NULL) {
			rc = -1;
			break;
		}
		while ((rc = fdb_next(c)) == 1) {
			struct vexdoc *nd2 = ward_realloc(d, (nd + 1) * sizeof(*d));
			if (nd2 == NULL) {
				rc = -1;
				break;
			}
			d = nd2;
			d[nd].image = fdb_int(c, 0);
			d[nd].seq = fdb_int(c, 1);
			if ((d[nd].doc = ward_strdup(fdb_text(c, 2))) == NULL) {
				rc = -1;
				break;
			}
			nd++;
		}
		fdb_cur_close(c);
	}
	if (rc == 0 && nd > 0)
		qsort(d, nd, sizeof(*d), vexdoc_cmp);
	/* one vuln_vex per image, its statements in their original order */
	for (size_t i = 0; rc == 0 && i < nd; i++) {
		json_t *doc;
		if (i > 0 && d[i].image == d[i - 1].image && d[i].seq == d[i - 1].seq)
			continue; /* the same statement under another of its names */
		if (nv == 0 || v[nv - 1].image != d[i].image) {
			struct fleet_vex *n2 = ward_realloc(v, (nv + 1) * sizeof(*v));
			if (n2 == NULL) {
				rc = -1;
				break;
			}
			v = n2;
			v[nv].image = d[i].image;
			if ((v[nv++].vex = vuln_vex_new()) == NULL) {
				rc = -1;
				break;
			}
		}
		doc = ward_json_loadb(d[i].doc, strlen(d[i].doc), "inventory VEX statement");
		if (doc == NULL ||
		    vuln_vex_load_json(v[nv - 1].vex, doc,
				       ward_json_str(doc, "source") ? ward_json_str(doc, "source")
								    : "inventory") != 0)
			rc = -1;
		json_decref(doc);
	}
	for (size_t i = 0; i < nd; i++)
		free(d[i].doc);
	free(d);
	free(sql);
	if (rc < 0) {
		fleet_vex_free(v, nv);
		return -1;
	}
	*out = v;
	*nout = nv;
	return 0;
}

struct vuln_vex *
fleet_vex_find(const struct fleet_vex *v, size_t n, int64_t image)
{
	struct fleet_vex key = {.image = image}, *hit;

	hit = n ? bsearch(&key, v, n, sizeof(key), vex_cmp) : NULL;
	return hit ? hit->vex : NULL;
}

int
fleet_eval_names(const struct fleet_eval *e, struct ward_strv *out)
{
	json_t *seen = json_object();
	const char *k;
	json_t *v;
	int rc = seen ? 0 : -1;

	for (size_t c = 0; rc == 0 && c < e->nclasses; c++)
		for (size_t i = 0; rc == 0 && i < e->classes[c].r.nfindings; i++) {
			const struct vuln_finding *fi = &e->classes[c].r.findings[i];
			rc |= json_object_set_new(seen, fi->id, json_true());
			for (size_t a = 0; a < fi->aliases.n; a++)
				rc |= json_object_set_new(seen, fi->aliases.v[a], json_true());
		}
	json_object_foreach(seen, k, v)
	{
		if (rc == 0)
			rc = ward_strv_push(out, k);
	}
	json_decref(seen);
	if (rc != 0)
		return ward_err(WARD_EENV, "out of memory");
	ward_strv_sort(out);
	return 0;
}

/* ---------------------------------------------------------------- answers */

void
fleet_answer_free(struct fleet_answer *a)
{
	struct priv *pv;

	if (a == NULL)
		return;
	pv = a->priv;
	for (size_t i = 0; i < a->nhits; i++) {
		struct vuln_report *r = &a->hits[i].report;
		if (pv != NULL && pv->owned[i]) {
			for (size_t k = 0; k < r->nfindings; k++)
				vuln_finding_free(&r->findings[k]);
			for (size_t k = 0; k < r->nsuppressed; k++)
				vuln_finding_free(&r->suppressed[k]);
		}
		free(r->findings);
		free(r->suppressed);
		free(r->resolved); /* borrowed from the classes, never copied */
	}
	free(a->hits);
	if (pv != NULL) {
		fleet_eval_free(&pv->e);
		free(pv->owned);
		fleet_vex_free(pv->vex, pv->nvex);
		free(pv);
	}
	fleet_image_infos_free(a->images, a->nimages);
	free(a->query);
	ward_strv_free(&a->records);
	json_decref(a->modified);
	memset(a, 0, sizeof(*a));
}

int
fleet_answer_owned(const struct fleet_answer *a, size_t hit)
{
	const struct priv *pv = a->priv;

	return pv != NULL && pv->owned != NULL && pv->owned[hit];
}

static int
names_id(const struct vuln_finding *fi, const char *id)
{
	return id == NULL || strcmp(fi->id, id) == 0 || ward_strv_contains(&fi->aliases, id);
}

/* Uses -> hits: each image's findings naming id (shallow copies of the
 * classes' findings), then its VEX statements applied on deep copies. */
static int
build_hits(struct fleet *f, struct fleet_answer *a, const char *id)
{
	struct priv *pv = a->priv;
	struct fleet_eval *e = &pv->e;
	struct ward_strv names = {0};
	int64_t *images = NULL;
	size_t nimages = 0;
	int rc = -1;

	/* images with at least one finding naming id, open or resolved by the
	 * scan's own evidence (a backport, Debian's verdict) */
	for (size_t i = 0; i < e->nuses; i++) {
		const struct vuln_report *r = &e->classes[e->uses[i].cls].r;
		int any = 0;
		for (size_t k = 0; k < r->nfindings && !any; k++)
			any = names_id(&r->findings[k], id);
		for (size_t k = 0; k < r->nresolved && !any; k++)
			any = names_id(&r->resolved[k], id);

		if (any && (nimages == 0 || images[nimages - 1] != e->uses[i].image)) {
			int64_t *n2 = ward_realloc(images, (nimages + 1) * sizeof(*images));
			if (n2 == NULL)
				goto out;
			images = n2;
			images[nimages++] = e->uses[i].image;
		}
	}
	{
		size_t cand = 0;
		for (size_t i = 0; i < e->nuses; i++)
			if (i == 0 || e->uses[i].image != e->uses[i - 1].image)
				cand++;
		a->candidates = cand;
		a->classes = e->nclasses;
	}
	if (fleet_image_infos(f, images, nimages, &a->images) != 0)
		goto out;
	a->nimages = nimages;
	if (fleet_eval_names(e, &names) != 0 ||
	    (names.n > 0 && fleet_vex_for(f, &names, &pv->vex, &pv->nvex) != 0))
		goto out;
	if ((a->hits = ward_calloc(nimages ? nimages : 1, sizeof(*a->hits))) == NULL ||
	    (pv->owned = ward_calloc(nimages ? nimages : 1, 1)) == NULL)
		goto out;
	for (size_t u = 0; u < e->nuses;) {
		int64_t image = e->uses[u].image;
		struct fleet_image_info *info = info_find(a->images, a->nimages, image);
		struct fleet_hit *h;
		struct vuln_vex *vex;
		size_t end = u;
		while (end < e->nuses && e->uses[end].image == image)
			end++;
		if (info == NULL) {
			u = end;
			continue;
		}
		h = &a->hits[a->nhits];
		h->image = (size_t)(info - a->images);
		h->report.target = info->target;
		h->report.target_ids = info->target_ids;
		for (size_t i = u; i < end; i++) {
			const struct vuln_report *r = &e->classes[e->uses[i].cls].r;
			for (size_t k = 0; k < r->nfindings; k++) {
				struct vuln_finding *nf;
				if (!names_id(&r->findings[k], id))
					continue;
				nf = ward_realloc(h->report.findings,
						  (h->report.nfindings + 1) * sizeof(*nf));
				if (nf == NULL)
					goto out;
				h->report.findings = nf;
				nf[h->report.nfindings++] = r->findings[k];
			}
			for (size_t k = 0; k < r->nresolved; k++) {
				struct vuln_finding *nf;
				if (!names_id(&r->resolved[k], id))
					continue;
				nf = ward_realloc(h->report.resolved,
						  (h->report.nresolved + 1) * sizeof(*nf));
				if (nf == NULL)
					goto out;
				h->report.resolved = nf;
				nf[h->report.nresolved++] = r->resolved[k];
			}
		}
		a->nhits++;
		if ((vex = fleet_vex_find(pv->vex, pv->nvex, image)) != NULL) {
			for (size_t k = 0; k < h->report.nfindings; k++) {
				struct vuln_finding copy;
				if (vuln_finding_copy(&copy, &h->report.findings[k]) != 0) {
					/* the ones before are copies already */
					h->report.nfindings = k;
					pv->owned[a->nhits - 1] = 1;
					goto out;
				}
				h->report.findings[k] = copy;
			}
			pv->owned[a->nhits - 1] = 1;
			if (vuln_vex_apply(vex, &h->report) != 0)
				goto out;
		} else if (h->report.nfindings > 1) {
			qsort(h->report.findings, h->report.nfindings, sizeof(*h->report.findings),
			      vuln_finding_cmp);
		}
		if (h->report.nresolved > 1)
			qsort(h->report.resolved, h->report.nresolved, sizeof(*h->report.resolved),
			      vuln_finding_cmp);
		u = end;
	}
	rc = 0;
out:
	/* target/target_ids are the infos'; hits borrow them */
	free(images);
	ward_strv_free(&names);
	return rc;
}

static int
answer_begin(struct fleet_answer *a, const char *query)
{
	memset(a, 0, sizeof(*a));
	if ((a->query = ward_strdup(query)) == NULL || (a->modified = json_object()) == NULL ||
	    (a->priv = ward_calloc(1, sizeof(struct priv))) == NULL)
		return -1;
	return 0;
}

/* Keys and modified times of the records in a->records. */
static int
record_keys(struct vuln_db *db, struct fleet_answer *a, struct ward_strv *keys)
{
	for (size_t i = 0; i < a->records.n; i++) {
		char *mod = NULL;
		if (vuln_db_record_keys(db, a->records.v[i], keys, &mod) != 0)
			return -1;
		if (mod != NULL)
			json_object_set_new(a->modified, a->records.v[i], json_string(mod));
		free(mod);
	}
	return 0;
}

static int
run(struct fleet *f, struct vuln_db *db, struct fleet_answer *a, const struct ward_strv *only,
    const char *id)
{
	struct priv *pv = a->priv;
	struct ward_strv keys = {0};
	int rc = -1;

	if (record_keys(db, a, &keys) != 0)
		goto out;
	ward_strv_sort(&keys);
	if (fdb_begin(f->db, 0) != 0)
		goto out;
	if (fleet_eval_keys(f, db, only, &keys, &pv->e) != 0 || build_hits(f, a, id) != 0) {
		fdb_rollback(f->db);
		goto out;
	}
	rc = fdb_commit(f->db);
out:
	ward_strv_free(&keys);
	return rc;
}

int
fleet_impact(struct fleet *f, struct vuln_db *db, const char *id, struct fleet_answer *out)
{
	if (answer_begin(out, id) != 0 || vuln_db_related(db, id, &out->records) != 0)
		goto fail;
	if (out->records.n == 0) {
		ward_err(WARD_EINPUT,
			 "%s: no record in the vulnerability store has this id or alias "
			 "(ward db import a newer feed?)",
			 id);
		goto fail;
	}
	if (run(f, db, out, &out->records, id) != 0)
		goto fail;
	return 0;
fail:
	fleet_answer_free(out);
	return -1;
}

static int
collect_record(void *arg, const char *id, const char *modified, const char *withdrawn)
{
	(void)modified;
	if (withdrawn != NULL)
		return 0;
	return ward_strv_push(arg, id);
}

int
fleet_impact_file(struct fleet *f, const char *path, struct fleet_answer *out)
{
	struct vuln_import_stats st = {0};
	struct vuln_db *db = NULL;
	char *tmp = NULL;
	int rc = -1;

	if (answer_begin(out, path) != 0 || (tmp = ward_mkdtemp(NULL, "ward-fleet")) == NULL)
		goto out;
	if ((db = vuln_db_open(tmp, VULN_DB_CREATE)) == NULL ||
	    vuln_db_import(db, path, &st, NULL) != 0)
		goto out;
	if (st.malformed > 0) {
		ward_err(WARD_EINPUT, "%s: %s", path, st.first_error);
		goto out;
	}
	if (vuln_db_records(db, collect_record, &out->records) != 0)
		goto out;
	if (out->records.n == 0) {
		ward_err(WARD_EINPUT, "%s: no OSV record that is not withdrawn", path);
		goto out;
	}
	rc = run(f, db, out, NULL, NULL);
out:
	vuln_import_stats_free(&st);
	vuln_db_close(db);
	if (tmp != NULL)
		ward_rm_rf(tmp);
	free(tmp);
	if (rc != 0)
		fleet_answer_free(out);
	return rc;
}
