/* state.c: the fleet as the last sync left it — a Prometheus textfile and
 * the model of the HTML page (images x CVEs). */
#include <stdlib.h>
#include <string.h>

#include "fleet/fleet_internal.h"

static int
scalar(struct fdb *db, const char *sql, int64_t *out)
{
	struct fdb_cur *c = fdb_query(db, sql, NULL, 0);
	int rc;

	*out = 0;
	if (c == NULL)
		return -1;
	if ((rc = fdb_next(c)) == 1)
		*out = fdb_int(c, 0);
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
	int rc;

	if (fdb_begin(f->db, 0) != 0)
		return NULL;
	if (scalar(f->db, "SELECT count(*) FROM image", &total) != 0 ||
	    scalar(f->db, "SELECT count(*) FROM synced", &synced) != 0)
		goto fail;
	c = fdb_query(f->db,
		      "SELECT severity, count(DISTINCT image_id), count(*) FROM exposure WHERE "
		      "suppressed = 0 GROUP BY severity",
		      NULL, 0);
	if (c == NULL)
		goto fail;
	while ((rc = fdb_next(c)) == 1) {
		int64_t s = fdb_int(c, 0);
		if (s >= 0 && s <= VULN_SEV_CRITICAL) {
			images[s] = fdb_int(c, 1);
			findings[s] = fdb_int(c, 2);
		}
	}
	fdb_cur_close(c);
	if (rc < 0)
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
		      "SELECT i.digest, x.suppressed, d.data, (SELECT min(n.name) FROM image_name "
		      "n WHERE n.image_id = i.id) FROM exposure x JOIN image i ON i.id = "
		      "x.image_id JOIN finding d ON d.id = x.data_id ORDER BY i.digest, x.finding",
		      NULL, 0);
	if (m == NULL || c == NULL) {
		json_decref(m);
		m = NULL;
		goto out;
	}
	while ((rc = fdb_next(c)) == 1) {
		const char *digest = fdb_text(c, 0), *data = fdb_text(c, 2);
		json_t *fj = ward_json_loadb(data, strlen(data), "inventory finding");
		const char *id = ward_json_str(fj, "id");
		json_t *ii = json_object_get(imgidx, digest), *vi;
		if (fj == NULL || id == NULL) {
			json_decref(fj);
			rc = -1;
			break;
		}
		if (ii == NULL) {
			ii = json_integer(
				(json_int_t)json_array_size(json_object_get(m, "images")));
			json_object_set_new(imgidx, digest, ii);
			json_array_append_new(json_object_get(m, "images"),
					      json_pack("{s:s,s:[s?]}", "digest", digest, "names",
							fdb_text(c, 3)));
		}
		if ((vi = json_object_get(vulnidx, id)) == NULL) {
			vi = json_integer((json_int_t)json_array_size(json_object_get(m, "vulns")));
			json_object_set_new(vulnidx, id, vi);
			json_array_append_new(json_object_get(m, "vulns"),
					      json_pack("{s:s,s:O,s:O}", "id", id, "severity",
							json_object_get(fj, "severity"), "title",
							json_object_get(fj, "title")));
		}
		json_array_append_new(
			json_object_get(m, "cells"),
			json_pack("{s:I,s:I,s:O,s:O,s:O,s:O,s:o}", "image", json_integer_value(ii),
				  "vuln", json_integer_value(vi), "severity",
				  json_object_get(fj, "severity"), "package",
				  json_object_get(fj, "owner"), "installed",
				  json_object_get(fj, "owner_version"), "fixed",
				  json_object_get(fj, "fixed"), "vex",
				  fdb_int(c, 1) ? json_string("suppressed")
						: json_incref(json_object_get(
							  json_object_get(fj, "vex"), "status")) ?: json_null()));
		json_decref(fj);
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
