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

json_t *
fleet_answers_json(const struct fleet_answer *a, size_t n)
{
	json_t *out = json_array();

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		json_t *imgs = json_array(), *adv;
		size_t naff = 0;
		for (size_t k = 0; k < a[i].nhits; k++) {
			const struct fleet_hit *h = &a[i].hits[k];
			json_t *r = vuln_report_json(&h->report),
			       *o = image_json(&a[i].images[h->image]);
			if (r == NULL || o == NULL) {
				json_decref(r);
				json_decref(o);
				json_decref(imgs);
				json_decref(out);
				return NULL;
			}
			json_object_set(o, "findings", json_object_get(r, "findings"));
			json_object_set(o, "suppressed", json_object_get(r, "suppressed"));
			json_decref(r);
			json_array_append_new(imgs, o);
			naff += affected(h);
		}
		adv = json_pack("{s:s,s:o,s:O,s:I,s:I,s:I,s:o}", "query", a[i].query, "records",
				ward_json_strv(&a[i].records), "modified", a[i].modified,
				"candidate_images", (json_int_t)a[i].candidates, "groups_scanned",
				(json_int_t)a[i].classes, "affected_images", (json_int_t)naff,
				"images", imgs);
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
		size_t naff = 0;
		for (size_t k = 0; k < a[i].nhits; k++)
			naff += affected(&a[i].hits[k]);
		fprintf(out,
			"%s: %zu image%s affected (%zu hold%s its packages; %zu package group%s "
			"scanned)\n",
			a[i].query, naff, naff == 1 ? "" : "s", a[i].candidates,
			a[i].candidates == 1 ? "s" : "", a[i].classes,
			a[i].classes == 1 ? "" : "s");
		if (a[i].nhits == 0)
			continue;
		fprintf(out, "  %-9s %-20s %-28s %-30s %-22s %-22s %s\n", "SEVERITY", "IMAGE",
			"NAME", "PACKAGE", "INSTALLED", "FIXED-IN", "VEX");
		for (size_t k = 0; k < a[i].nhits; k++) {
			const struct fleet_hit *h = &a[i].hits[k];
			const struct fleet_image_info *im = &a[i].images[h->image];
			for (int sup = 0; sup < 2; sup++) {
				const struct vuln_finding *v =
					sup ? h->report.suppressed : h->report.findings;
				size_t nv = sup ? h->report.nsuppressed : h->report.nfindings;
				for (size_t f = 0; f < nv; f++) {
					char dg[21], nm[29], pk[31], inst[23], fx[23], both[200];
					snprintf(both, sizeof(both), "%s%s%s%s", v[f].owner,
						 strcmp(v[f].owner, v[f].package) ? " (" : "",
						 strcmp(v[f].owner, v[f].package) ? v[f].package
										  : "",
						 strcmp(v[f].owner, v[f].package) ? ")" : "");
					fit(dg, 20,
					    im->digest +
						    (strncmp(im->digest, "sha256:", 7) ? 0 : 7));
					fit(nm, 28, im->names.n ? im->names.v[0] : im->target);
					fit(pk, 30, both);
					fit(inst, 22,
					    v[f].owner_version ? v[f].owner_version : v[f].version);
					fit(fx, 22,
					    v[f].fixed	? v[f].fixed
					    : v[f].kind ? v[f].kind
							: "(unfixed)");
					fprintf(out,
						"  %-9s %-20s %-28s %-30s %-22s %-22s %s%s%s\n",
						vuln_severity_name(v[f].severity), dg, nm, pk, inst,
						fx, v[f].vex_status ? v[f].vex_status : "-",
						v[f].vex_justification ? ": " : "",
						v[f].vex_justification ? v[f].vex_justification
								       : "");
				}
			}
		}
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
