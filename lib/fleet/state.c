/* state.c: the fleet as the last sync left it — a Prometheus textfile and
 * the model of the HTML page (images x CVEs). */
#include <stdlib.h>
#include <string.h>

#include "fleet/fleet_internal.h"

const char *const fleet_sev_columns[VULN_SEV_CRITICAL + 1] = {
	"n_unknown", "n_none", "n_low", "n_medium", "n_high", "n_critical",
};

int
fleet_state_counts(struct fleet *f, int64_t images[VULN_SEV_CRITICAL + 1],
		   int64_t findings[VULN_SEV_CRITICAL + 1])
{
	struct ward_buf q = {0};
	struct fdb_cur *c;
	int rc;

	ward_buf_puts(&q, "SELECT ");
	for (int s = 0; s <= VULN_SEV_CRITICAL; s++)
		ward_buf_printf(&q, "%scount(DISTINCT CASE WHEN %s > 0 THEN image_id END), sum(%s)",
				s ? ", " : "", fleet_sev_columns[s], fleet_sev_columns[s]);
	ward_buf_puts(&q, " FROM exposure");
	if (ward_buf_cstr(&q) == NULL)
		return -1;
	c = fdb_query(f->db, (char *)q.data, NULL, 0);
	ward_buf_free(&q);
	if (c == NULL)
		return -1;
	if ((rc = fdb_next(c)) == 1)
		for (int s = 0; s <= VULN_SEV_CRITICAL; s++) {
			images[s] = fdb_int(c, 2 * s);
			findings[s] = fdb_isnull(c, 2 * s + 1) ? 0 : fdb_int(c, 2 * s + 1);
		}
	fdb_cur_close(c);
	return rc < 0 ? -1 : 0;
}

char *
fleet_state_prometheus(struct fleet *f)
{
	static const int sev[] = {VULN_SEV_CRITICAL, VULN_SEV_HIGH, VULN_SEV_MEDIUM,
				  VULN_SEV_LOW,	     VULN_SEV_NONE, VULN_SEV_UNKNOWN};
	int64_t images[VULN_SEV_CRITICAL + 1] = {0}, findings[VULN_SEV_CRITICAL + 1] = {0};
	int64_t total = 0, synced = 0;
	struct ward_buf b = {0};
	struct fdb_cur *c;
	char *last = NULL;

	if (fdb_begin(f->db, 0) != 0)
		return NULL;
	if (fdb_scalar(f->db, "SELECT count(*) FROM image", &total) != 0 ||
	    fdb_scalar(f->db, "SELECT count(*) FROM synced", &synced) != 0 ||
	    fleet_state_counts(f, images, findings) != 0)
		goto fail;
	c = fdb_query(f->db, "SELECT value FROM meta WHERE key='last_sync'", NULL, 0);
	if (c == NULL)
		goto fail;
	if (fdb_next(c) == 1 && fdb_text(c, 0) != NULL)
		last = ward_strdup(fdb_text(c, 0));
	fdb_cur_close(c);
	if (fdb_commit(f->db) != 0)
		goto fail;
	ward_buf_puts(&b, "# HELP ward_fleet_affected_images Images with at least one finding of "
			  "this severity that no VEX statement suppresses (as of the last sync).\n"
			  "# TYPE ward_fleet_affected_images gauge\n");
	for (size_t i = 0; i < sizeof(sev) / sizeof(*sev); i++)
		ward_buf_printf(&b, "ward_fleet_affected_images{severity=\"%s\"} %lld\n",
				vuln_severity_name(sev[i]), (long long)images[sev[i]]);
	ward_buf_puts(&b, "# HELP ward_fleet_findings Findings (image, package, vulnerability) "
			  "that no VEX statement suppresses.\n# TYPE ward_fleet_findings gauge\n");
	for (size_t i = 0; i < sizeof(sev) / sizeof(*sev); i++)
		ward_buf_printf(&b, "ward_fleet_findings{severity=\"%s\"} %lld\n",
				vuln_severity_name(sev[i]), (long long)findings[sev[i]]);
	ward_buf_printf(&b,
			"# HELP ward_fleet_images Images in the inventory.\n"
			"# TYPE ward_fleet_images gauge\nward_fleet_images %lld\n"
			"# HELP ward_fleet_synced_images Images the last sync evaluated.\n"
			"# TYPE ward_fleet_synced_images gauge\nward_fleet_synced_images %lld\n",
			(long long)total, (long long)synced);
	if (last != NULL) {
		struct tm tm = {0};
		if (strptime(last, "%Y-%m-%dT%H:%M:%SZ", &tm) != NULL)
			ward_buf_printf(
				&b,
				"# HELP ward_fleet_last_sync_timestamp_seconds When the "
				"last sync ran.\n# TYPE ward_fleet_last_sync_timestamp_seconds "
				"gauge\nward_fleet_last_sync_timestamp_seconds %lld\n",
				(long long)timegm(&tm));
	}
	free(last);
	return ward_buf_steal(&b);
fail:
	free(last);
	fdb_rollback(f->db);
	return NULL;
}

static int
model_cell(json_t *m, json_t *imgidx, json_t *vulnidx, const char *digest, const char *name,
	   const json_t *fj, int suppressed)
{
	const char *id = ward_json_str(fj, "id");
	json_t *ii = json_object_get(imgidx, digest), *vi, *vex;

	if (id == NULL)
		return ward_err(WARD_EINPUT, "inventory: a finding without an id");
	if (ii == NULL) {
		ii = json_integer((json_int_t)json_array_size(json_object_get(m, "images")));
		json_object_set_new(imgidx, digest, ii);
		json_array_append_new(json_object_get(m, "images"),
				      json_pack("{s:s,s:[s?]}", "digest", digest, "names", name));
	}
	if ((vi = json_object_get(vulnidx, id)) == NULL) {
		vi = json_integer((json_int_t)json_array_size(json_object_get(m, "vulns")));
		json_object_set_new(vulnidx, id, vi);
		json_array_append_new(json_object_get(m, "vulns"),
				      json_pack("{s:s,s:O?,s:O?}", "id", id, "severity",
						json_object_get(fj, "severity"), "title",
						json_object_get(fj, "title")));
	}
	vex = json_object_get(json_object_get(fj, "vex"), "status");
	return json_array_append_new(
		json_object_get(m, "cells"),
		json_pack("{s:I,s:I,s:O?,s:O?,s:O?,s:O?,s:O?}", "image", json_integer_value(ii),
			  "vuln", json_integer_value(vi), "severity",
			  json_object_get(fj, "severity"), "package", json_object_get(fj, "owner"),
			  "installed", json_object_get(fj, "owner_version"), "fixed",
			  json_object_get(fj, "fixed"), "vex",
			  vex	       ? vex
			  : suppressed ? json_string("suppressed")
				       : NULL));
}

json_t *
fleet_state_model(struct fleet *f, const char *title)
{
	json_t *m = NULL, *imgidx = json_object(), *vulnidx = json_object();
	struct fdb_cur *c;
	char now[32];
	int rc;

	ward_time_rfc3339(time(NULL), now);
	if (imgidx == NULL || vulnidx == NULL || fdb_begin(f->db, 0) != 0)
		goto out;
	m = json_pack("{s:s,s:s,s:s,s:[],s:[],s:[]}", "kind", "fleet", "title", title, "created",
		      now, "images", "vulns", "cells");
	c = fdb_query(f->db,
		      "SELECT i.digest, d.data, (SELECT min(n.name) FROM image_name n WHERE "
		      "n.image_id = i.id) FROM exposure x JOIN image i ON i.id = x.image_id JOIN "
		      "findingset d ON d.id = x.set_id ORDER BY i.digest, x.owner_pkg",
		      NULL, 0);
	if (m == NULL || c == NULL) {
		fdb_cur_close(c);
		json_decref(m);
		m = NULL;
		goto out;
	}
	while ((rc = fdb_next(c)) == 1) {
		const char *data = fdb_text(c, 1);
		json_t *set = ward_json_loadb(data, strlen(data), "inventory finding set"), *fj;
		size_t i;
		if (set == NULL) {
			rc = -1;
			break;
		}
		for (int sup = 0; rc == 1 && sup < 2; sup++)
			json_array_foreach(json_object_get(set, sup ? "suppressed" : "findings"), i,
					   fj)
			{
				if (model_cell(m, imgidx, vulnidx, fdb_text(c, 0), fdb_text(c, 2),
					       fj, sup) != 0) {
					rc = -1;
					break;
				}
			}
		json_decref(set);
		if (rc < 0)
			break;
	}
	fdb_cur_close(c);
	if (rc < 0 || fdb_commit(f->db) != 0) {
		json_decref(m);
		m = NULL;
	}
out:
	if (m == NULL)
		fdb_rollback(f->db);
	json_decref(imgidx);
	json_decref(vulnidx);
	return m;
}
