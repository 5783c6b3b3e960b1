/*
 * output.c: answers as JSON, SARIF (the scan's own, one run per image), a
 * Prometheus textfile, a table, and the model of the HTML page.
 */
#include <stdlib.h>
#include <string.h>

#include "fleet/fleet_internal.h"

static json_t *
image_json(const struct fleet_image_info *im)
{
	return json_pack("{s:s,s:o,s:s,s:o}", "digest", im->digest, "names",
			 ward_json_strv(&im->names), "origin", im->origin, "target",
			 ward_json_str_or_null(im->target));
}

static int
affected(const struct fleet_hit *h)
{
	return h->report.nfindings > 0;
}

/* One distinct finding of an answer and the images that have it. */
struct group {
	json_t *finding; /* the scan's JSON of it, plus "list" */
	json_t *images;	 /* digests */
};

/* The findings of an answer, each once with its images: thousands of
 * images sharing a package version share its finding.  Findings copied
 * from a class (not owned by the hit) are recognised by their id string,
 * which every copy shares; VEX-applied ones by their JSON. */
static json_t *
answer_findings(const struct fleet_answer *a, size_t *naffected)
{
	/* the scan report's list each finding is in */
	static const char *const lists[] = {"findings", "resolved", "suppressed"};
	json_t *out = json_array(), *byid = json_object();
	char key[48];

	*naffected = 0;
	for (size_t k = 0; out != NULL && byid != NULL && k < a->nhits; k++) {
		const struct fleet_hit *h = &a->hits[k];
		const char *digest = a->images[h->image].digest;
		*naffected += affected(h);
		for (int l = 0; l < 3; l++) {
			const struct vuln_finding *v = l == 0	? h->report.findings
						       : l == 1 ? h->report.resolved
								: h->report.suppressed;
			size_t nv = l == 0   ? h->report.nfindings
				    : l == 1 ? h->report.nresolved
					     : h->report.nsuppressed;
			for (size_t i = 0; i < nv; i++) {
				struct vuln_report one = {.findings = (struct vuln_finding *)&v[i],
							  .nfindings = 1};
				json_t *g, *j = NULL, *f;
				char *text = NULL;
				if (fleet_answer_owned(a, k) && l != 1) {
					j = vuln_report_json(&one);
					text = ward_json_dump(
						json_array_get(json_object_get(j, "findings"), 0),
						0);
				} else {
					snprintf(key, sizeof(key), "%p", (const void *)v[i].id);
				}
				g = json_object_get(byid, text ? text : key);
				if (g == NULL) {
					if (j == NULL)
						j = vuln_report_json(&one);
					f = json_copy(
						json_array_get(json_object_get(j, "findings"), 0));
					json_object_set_new(f, "list", json_string(lists[l]));
					g = json_pack("{s:o,s:[]}", "finding", f, "images");
					json_object_set_new(byid, text ? text : key, g);
					json_array_append(out, g);
				}
				json_array_append_new(json_object_get(g, "images"),
						      json_string(digest));
				json_decref(j);
				free(text);
			}
		}
	}
	json_decref(byid);
	return out;
}

json_t *
fleet_answers_json(const struct fleet_answer *a, size_t n)
{
	json_t *out = json_array();

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		json_t *imgs = json_array(), *groups, *findings = json_array(), *g, *adv;
		size_t naff = 0, k;
		for (k = 0; k < a[i].nhits; k++)
			json_array_append_new(imgs, image_json(&a[i].images[a[i].hits[k].image]));
		groups = answer_findings(&a[i], &naff);
		json_array_foreach(groups, k, g)
		{
			json_t *f = json_object_get(g, "finding");
			json_object_set(f, "images", json_object_get(g, "images"));
			json_array_append(findings, f);
		}
		json_decref(groups);
		adv = json_pack("{s:s,s:o,s:O,s:I,s:I,s:I,s:o,s:o}", "query", a[i].query, "records",
				ward_json_strv(&a[i].records), "modified", a[i].modified,
				"candidate_images", (json_int_t)a[i].candidates, "groups_scanned",
				(json_int_t)a[i].classes, "affected_images", (json_int_t)naff,
				"images", imgs, "findings", findings);
		if (adv == NULL || json_array_append_new(out, adv) != 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

json_t *
fleet_answers_sarif(const struct fleet_answer *a, size_t n)
{
	json_t *runs = json_array();

	for (size_t i = 0; runs != NULL && i < n; i++)
		for (size_t k = 0; k < a[i].nhits; k++) {
			const struct fleet_hit *h = &a[i].hits[k];
			const struct fleet_image_info *im = &a[i].images[h->image];
			json_t *doc, *run;
			if (!affected(h))
				continue;
			if ((doc = vuln_report_sarif(&h->report)) == NULL) {
				json_decref(runs);
				return NULL;
			}
			run = json_array_get(json_object_get(doc, "runs"), 0);
			json_object_set_new(run, "automationDetails",
					    json_pack("{s:s}", "id", im->digest));
			json_object_set_new(run, "properties",
					    json_pack("{s:s,s:s,s:o}", "advisory", a[i].query,
						      "image", im->digest, "names",
						      ward_json_strv(&im->names)));
			json_array_append(runs, run);
			json_decref(doc);
		}
	if (runs == NULL)
		return NULL;
	return json_pack("{s:s,s:s,s:o}", "$schema",
			 "https://json.schemastore.org/sarif-2.1.0.json", "version", "2.1.0",
			 "runs", runs);
}

/* A Prometheus label value: backslash, double quote and newline escaped. */
static void
label(struct ward_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			ward_buf_printf(b, "\\%c", *s);
		else if (*s == '\n')
			ward_buf_puts(b, "\\n");
		else
			ward_buf_append(b, s, 1);
	}
}

static const int severities[] = {VULN_SEV_CRITICAL, VULN_SEV_HIGH, VULN_SEV_MEDIUM,
				 VULN_SEV_LOW,	    VULN_SEV_NONE, VULN_SEV_UNKNOWN};

static void
affected_family(struct ward_buf *b, const size_t *by)
{
	ward_buf_puts(&*b, "# HELP ward_fleet_affected_images Images with at least one "
			   "finding of this severity that no VEX statement suppresses.\n"
			   "# TYPE ward_fleet_affected_images gauge\n");
	for (size_t s = 0; s < sizeof(severities) / sizeof(*severities); s++)
		ward_buf_printf(b, "ward_fleet_affected_images{severity=\"%s\"} %zu\n",
				vuln_severity_name(severities[s]), by[severities[s]]);
}

char *
fleet_answers_prometheus(const struct fleet_answer *a, size_t n)
{
	struct ward_buf b = {0};
	size_t by[VULN_SEV_CRITICAL + 1] = {0};
	struct ward_strv seen[VULN_SEV_CRITICAL + 1] = {{0}};

	/* an image counts once per severity over every answer */
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < a[i].nhits; k++) {
			const struct fleet_hit *h = &a[i].hits[k];
			const char *d = a[i].images[h->image].digest;
			for (size_t f = 0; f < h->report.nfindings; f++) {
				int s = h->report.findings[f].severity;
				if (!ward_strv_contains(&seen[s], d)) {
					ward_strv_push(&seen[s], d);
					by[s]++;
				}
			}
		}
	for (size_t s = 0; s <= VULN_SEV_CRITICAL; s++)
		ward_strv_free(&seen[s]);
	affected_family(&b, by);
	ward_buf_puts(&b, "# HELP ward_fleet_advisory_affected_images Images an advisory "
			  "affects.\n# TYPE ward_fleet_advisory_affected_images gauge\n");
	for (size_t i = 0; i < n; i++) {
		size_t naff = 0;
		for (size_t k = 0; k < a[i].nhits; k++)
			naff += affected(&a[i].hits[k]);
		ward_buf_puts(&b, "ward_fleet_advisory_affected_images{advisory=\"");
		label(&b, a[i].query);
		ward_buf_printf(&b, "\"} %zu\n", naff);
	}
	return ward_buf_steal(&b);
}

static void
fit(char *dst, size_t w, const char *s)
{
	size_t n;

	if (s == NULL || *s == '\0')
		s = "-";
	n = strlen(s);
	if (n < w) {
		memcpy(dst, s, n + 1);
	} else {
		memcpy(dst, s, w - 4);
		memcpy(dst + w - 4, "...", 4);
	}
}

int
fleet_answers_table(const struct fleet_answer *a, size_t n, FILE *out)
{
	for (size_t i = 0; i < n; i++) {
		size_t naff = 0, k;
		json_t *groups = answer_findings(&a[i], &naff), *g;
		fprintf(out,
			"%s: %zu image%s affected (%zu hold%s its packages; %zu package group%s "
			"scanned)\n",
			a[i].query, naff, naff == 1 ? "" : "s", a[i].candidates,
			a[i].candidates == 1 ? "s" : "", a[i].classes,
			a[i].classes == 1 ? "" : "s");
		if (json_array_size(groups) > 0)
			fprintf(out, "  %-9s %-18s %-30s %-22s %-22s %-19s %s\n", "SEVERITY", "ID",
				"PACKAGE", "INSTALLED", "FIXED-IN", "STATUS", "IMAGES");
		json_array_foreach(groups, k, g)
		{
			const json_t *f = json_object_get(g, "finding"),
				     *im = json_object_get(g, "images");
			const char *owner = ward_json_str(f, "owner"),
				   *pkg = ward_json_str(f, "package");
			const char *fixed = ward_json_str(f, "fixed"),
				   *kind = ward_json_str(f, "kind");
			/* the image's VEX statement's status, else the scan's */
			const char *vex = ward_json_str(json_object_get(f, "vex"), "status");
			char id[19], pk[31], inst[23], fx[23], vx[20], both[200];
			snprintf(both, sizeof(both), "%s%s%s%s", owner ? owner : "?",
				 owner && pkg && strcmp(owner, pkg) ? " (" : "",
				 owner && pkg && strcmp(owner, pkg) ? pkg : "",
				 owner && pkg && strcmp(owner, pkg) ? ")" : "");
			fit(id, 18, ward_json_str(f, "id"));
			fit(pk, 30, both);
			fit(inst, 22,
			    ward_json_str(f, "owner_version") ? ward_json_str(f, "owner_version")
							      : ward_json_str(f, "version"));
			fit(fx, 22, fixed ? fixed : kind ? kind : "(unfixed)");
			fit(vx, 19, vex ? vex : ward_json_str(f, "status"));
			fprintf(out, "  %-9s %-18s %-30s %-22s %-22s %-19s %zu",
				ward_json_str(f, "severity"), id, pk, inst, fx, vx,
				json_array_size(im));
			for (size_t m = 0; m < json_array_size(im) && m < 3; m++) {
				const char *d = json_string_value(json_array_get(im, m));
				for (size_t h = 0; h < a[i].nhits; h++) {
					const struct fleet_image_info *x =
						&a[i].images[a[i].hits[h].image];
					if (strcmp(x->digest, d) == 0) {
						fprintf(out, "%s%s", m ? ", " : ": ",
							x->names.n ? x->names.v[0] : x->digest);
						break;
					}
				}
			}
			fprintf(out, "%s\n", json_array_size(im) > 3 ? ", ..." : "");
		}
		json_decref(groups);
	}
	return ferror(out) ? ward_errno(WARD_EENV, "writing the table") : 0;
}

/* ---------------------------------------------------------------- HTML model */

/* model: {kind, title, created, images: [{digest, names}], vulns: [{id,
 * severity, title}], cells: [{image, vuln, status, package, installed,
 * fixed, vex}]} — indices into images and vulns. */
static int
model_add(json_t *m, json_t *imgidx, json_t *vulnidx, const struct fleet_image_info *im,
	  const struct vuln_finding *f)
{
	json_t *images = json_object_get(m, "images"), *vulns = json_object_get(m, "vulns");
	json_t *ii = json_object_get(imgidx, im->digest), *vi = json_object_get(vulnidx, f->id);

	if (ii == NULL) {
		ii = json_integer((json_int_t)json_array_size(images));
		json_object_set_new(imgidx, im->digest, ii);
		json_array_append_new(images, json_pack("{s:s,s:o}", "digest", im->digest, "names",
							ward_json_strv(&im->names)));
	}
	if (vi == NULL) {
		vi = json_integer((json_int_t)json_array_size(vulns));
		json_object_set_new(vulnidx, f->id, vi);
		json_array_append_new(vulns, json_pack("{s:s,s:s,s:o}", "id", f->id, "severity",
						       vuln_severity_name(f->severity), "title",
						       ward_json_str_or_null(f->title)));
	}
	return json_array_append_new(
		json_object_get(m, "cells"),
		json_pack("{s:I,s:I,s:s,s:s,s:o,s:o,s:o}", "image", json_integer_value(ii), "vuln",
			  json_integer_value(vi), "severity", vuln_severity_name(f->severity),
			  "package", f->owner, "installed",
			  ward_json_str_or_null(f->owner_version ? f->owner_version : f->version),
			  "fixed", ward_json_str_or_null(f->fixed), "vex",
			  ward_json_str_or_null(f->vex_status)));
}

json_t *
fleet_answers_model(const struct fleet_answer *a, size_t n, const char *title)
{
	char now[32];
	json_t *m, *imgidx = json_object(), *vulnidx = json_object();

	ward_time_rfc3339(time(NULL), now);
	m = json_pack("{s:s,s:s,s:s,s:[],s:[],s:[]}", "kind", "fleet impact", "title", title,
		      "created", now, "images", "vulns", "cells");
	for (size_t i = 0; m != NULL && i < n; i++)
		for (size_t k = 0; k < a[i].nhits; k++) {
			const struct fleet_hit *h = &a[i].hits[k];
			for (size_t f = 0; f < h->report.nfindings; f++)
				model_add(m, imgidx, vulnidx, &a[i].images[h->image],
					  &h->report.findings[f]);
			for (size_t f = 0; f < h->report.nsuppressed; f++)
				model_add(m, imgidx, vulnidx, &a[i].images[h->image],
					  &h->report.suppressed[f]);
		}
	json_decref(imgidx);
	json_decref(vulnidx);
	return m;
}
