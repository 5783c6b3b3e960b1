/* model.c: what the report page shows, gathered from a release directory or
 * an audit document into one JSON model (report.h). */
#include <stdlib.h>
#include <string.h>

#include "release/release.h"
#include "report/report.h"

#define DOC_MAX (512u << 20)

static json_t *
load(const char *dir, const char *rel)
{
	char *p = ward_path_join(dir, rel);
	json_t *j = p ? ward_json_load_file(p, DOC_MAX) : NULL;

	free(p);
	return j;
}

static void
set(json_t *o, const char *k, json_t *v)
{
	if (v != NULL)
		json_object_set_new(o, k, v);
}

static json_t *
copy(const json_t *j)
{
	return j ? json_deep_copy(j) : NULL;
}

/* Audit fields shared by both kinds of model. */
static void
from_audit(json_t *m, const json_t *a)
{
	json_t *sizes = json_object_get(a, "sizes");

	if (!json_is_object(a))
		return;
	set(m, "score", copy(json_object_get(a, "score")));
	set(m, "grade", copy(json_object_get(a, "grade")));
	set(m, "severe", copy(json_object_get(a, "severe_findings")));
	set(m, "findings", copy(json_object_get(a, "findings")));
	set(m, "sizes", copy(json_object_get(sizes, "categories")));
	set(m, "total_bytes", copy(json_object_get(sizes, "total_bytes")));
	set(m, "compressed_bytes", copy(json_object_get(sizes, "compressed_bytes")));
	set(m, "audit_vulns", copy(json_object_get(a, "vulnerabilities")));
	set(m, "user", copy(json_object_get(a, "user")));
	set(m, "ward_image", copy(json_object_get(a, "ward_image")));
}

/* Component counts by type, nested components included (CycloneDX). */
static void
count_types(const json_t *comps, json_t *counts)
{
	size_t i;
	json_t *c;

	json_array_foreach(comps, i, c)
	{
		const char *t = json_string_value(json_object_get(c, "type"));
		if (t != NULL) {
			json_int_t n = json_integer_value(json_object_get(counts, t));
			json_object_set_new(counts, t, json_integer(n + 1));
		}
		count_types(json_object_get(c, "components"), counts);
	}
}

static json_t *
vuln_rows(const json_t *rep)
{
	json_t *rows = json_array();
	const char *lists[] = {"findings", "resolved", "suppressed"};

	for (size_t l = 0; rows && l < 3; l++) {
		size_t i;
		json_t *f;
		json_array_foreach(json_object_get(rep, lists[l]), i, f)
		{
			json_t *vex = json_object_get(f, "vex");
			json_t *r =
				json_pack("{s:O,s:O,s:O,s:O,s:O,s:O}", "id",
					  json_object_get(f, "id") ?: json_null(), "severity",
					  json_object_get(f, "severity") ?: json_null(), "package",
					  json_object_get(f, "owner") ?: json_null(), "version",
					  json_object_get(f, "owner_version") ?: json_null(),
					  "fixed", json_object_get(f, "fixed") ?: json_null(),
					  "title", json_object_get(f, "title") ?: json_null());
			if (r == NULL)
				continue;
			/* the status it ends with: the VEX statement's, else the scan's */
			set(r, "vex", copy(json_object_get(vex, "status")));
			set(r, "justification", copy(json_object_get(vex, "justification")));
			set(r, "status",
			    copy(json_object_get(vex, "status") ?: json_object_get(f, "status")));
			if (json_object_get(r, "justification") == NULL)
				set(r, "justification", copy(json_object_get(f, "justification")));
			json_array_append_new(rows, r);
		}
	}
	return rows;
}

int
report_model_release(const char *dir, const struct ward_key *key, int threads, json_t **out)
{
	json_t *m = json_object(), *idx = NULL, *tests = NULL, *vulns = NULL, *lic = NULL, *cdx;
	json_t *sig = json_object(), *summary;
	int rc = -1;

	*out = NULL;
	if (m == NULL || sig == NULL || (idx = load(dir, REL_INDEX)) == NULL)
		goto out;
	summary = json_object_get(idx, "summary");
	set(m, "kind", json_string("release"));
	set(m, "title",
	    json_sprintf("%s %s", json_string_value(json_object_get(idx, "name")) ?: "?",
			 json_string_value(json_object_get(idx, "version")) ?: ""));
	set(m, "subject",
	    json_pack("{s:O,s:O,s:s}", "digest",
		      json_object_get(json_object_get(idx, "image"), "digest") ?: json_null(),
		      "tag", json_object_get(json_object_get(idx, "image"), "tag") ?: json_null(),
		      "target", dir));
	set(m, "created", copy(json_object_get(idx, "created")));
	set(m, "artifacts", copy(json_object_get(idx, "artifacts")));
	set(m, "build", copy(json_object_get(summary, "build")));
	set(m, "sbom", copy(json_object_get(summary, "sbom")));
	if ((tests = load(dir, "artifacts/" REL_TEST_JSON)) != NULL) {
		set(m, "tests",
		    json_pack("{s:O,s:O,s:O}", "summary",
			      json_object_get(tests, "summary") ?: json_null(), "checks",
			      json_object_get(tests, "checks") ?: json_null(), "runtime",
			      json_object_get(tests, "runtime") ?: json_null()));
		from_audit(m, json_object_get(tests, "audit"));
	}
	ward_err_clear();
	if ((vulns = load(dir, "artifacts/" REL_VULN_JSON)) != NULL)
		set(m, "vulns",
		    json_pack("{s:b,s:O,s:O,s:o}", "scanned", 1, "counts",
			      json_object_get(vulns, "counts") ?: json_null(), "statuses",
			      json_object_get(vulns, "statuses") ?: json_null(), "rows",
			      vuln_rows(vulns)));
	ward_err_clear();
	if ((lic = load(dir, "artifacts/" REL_LICENSES_JSON)) != NULL) {
		json_t *bars = json_array(), *b;
		size_t i;
		json_array_foreach(json_object_get(lic, "by_license"), i, b) json_array_append_new(
			bars, json_pack("{s:O,s:O}", "license",
					json_object_get(b, "license") ?: json_null(), "count",
					json_object_get(b, "count") ?: json_null()));
		set(m, "licenses", bars);
	}
	ward_err_clear();
	if ((cdx = load(dir, "artifacts/" REL_SBOM_CDX)) != NULL) {
		json_t *counts = json_object(), *arr = json_array(), *v;
		const char *k;
		count_types(json_object_get(cdx, "components"), counts);
		json_object_foreach(counts, k, v)
			json_array_append_new(arr, json_pack("{s:s,s:O}", "type", k, "count", v));
		json_decref(counts);
		set(m, "components", arr);
		json_decref(cdx);
	}
	ward_err_clear();
	/* signatures: verified now with the key, or as the release recorded */
	if (key != NULL) {
		json_t *vr = NULL;
		int ok = release_verify(dir, key, threads, NULL, &vr) == 0;
		json_t *va = json_object_get(json_object_get(vr, "verify"), "attestations");
		set(sig, "status", json_string(ok ? "verified" : "failed"));
		set(sig, "detail",
		    ok ? json_sprintf("verified now with the given key")
		       : json_string(ward_errmsg()));
		set(sig, "checks", copy(json_object_get(vr, "checks")));
		set(sig, "attestations", copy(va));
		json_decref(vr);
		ward_err_clear();
	} else {
		json_t *v = json_object_get(summary, "verification");
		set(sig, "status",
		    json_string(json_is_true(json_object_get(v, "verified")) ? "recorded"
									     : "not checked"));
		set(sig, "detail",
		    json_sprintf("verified by ward release when it was made (%lld checks); not "
				 "re-checked: give --key to verify now",
				 (long long)json_integer_value(json_object_get(v, "checks"))));
		set(sig, "attestations", copy(json_object_get(idx, "attestations")));
	}
	set(m, "signatures", sig);
	sig = NULL;
	{
		json_t *r = json_object_get(summary, "reproducible");
		if (json_is_object(r) && json_is_true(json_object_get(r, "checked")))
			set(m, "reproducible",
			    json_pack("{s:s,s:O,s:O}", "status",
				      json_is_true(json_object_get(r, "same")) ? "same"
									       : "different",
				      "first", json_object_get(r, "first") ?: json_null(), "second",
				      json_object_get(r, "second") ?: json_null()));
		else
			set(m, "reproducible",
			    json_pack("{s:s,s:s}", "status", "not checked", "detail",
				      "release with --reproducible to rebuild and compare"));
	}
	*out = m;
	m = NULL;
	rc = 0;
out:
	json_decref(m);
	json_decref(sig);
	json_decref(idx);
	json_decref(tests);
	json_decref(vulns);
	json_decref(lic);
	return rc;
}

static json_t *
audit_model(const json_t *a)
{
	json_t *m = json_object();

	if (m == NULL)
		return NULL;
	set(m, "kind", json_string("audit"));
	set(m, "title",
	    json_sprintf("audit of %s", json_string_value(json_object_get(a, "target")) ?: "?"));
	set(m, "subject",
	    json_pack("{s:O,s:O,s:O}", "target", json_object_get(a, "target") ?: json_null(),
		      "digest", json_object_get(a, "digest") ?: json_null(), "kind",
		      json_object_get(a, "kind") ?: json_null()));
	from_audit(m, a);
	{
		json_t *c = json_object_get(a, "components"), *arr = json_array(), *v;
		const char *k;
		json_object_foreach(c, k, v)
			json_array_append_new(arr, json_pack("{s:s,s:O}", "type", k, "count", v));
		set(m, "components", arr);
	}
	set(m, "signatures",
	    json_pack("{s:s,s:s}", "status", "not checked", "detail",
		      "an audit does not check signatures (ward verify does)"));
	set(m, "reproducible",
	    json_pack("{s:s,s:s}", "status", "not checked", "detail",
		      "an audit looks at one image"));
	return m;
}

int
report_model_audit(const json_t *doc, json_t **out)
{
	json_t *m;

	*out = NULL;
	if (!json_is_object(doc))
		return ward_err(WARD_EINPUT, "not an audit document");
	if (json_object_get(doc, "comparison")) {
		json_t *l = json_object_get(doc, "left"), *r = json_object_get(doc, "right");
		if (!json_is_object(l) || !json_is_object(r))
			return ward_err(WARD_EINPUT, "a comparison without left and right");
		if ((m = audit_model(l)) == NULL)
			return -1;
		set(m, "kind", json_string("comparison"));
		set(m, "comparison",
		    json_pack("{s:o,s:o,s:O}", "left", audit_model(l), "right", audit_model(r),
			      "rules", json_object_get(doc, "rules") ?: json_null()));
	} else if (json_object_get(doc, "audit")) {
		if ((m = audit_model(doc)) == NULL)
			return -1;
	} else
		return ward_err(WARD_EINPUT,
				"neither an audit nor a comparison (ward audit --json)");
	*out = m;
	return 0;
}
