/* report.c: the scan report as JSON and as a human table. */
#include <stdlib.h>
#include <string.h>

#include "vuln/vuln_internal.h"

json_t *
finding_json(const struct vuln_finding *f)
{
	/* the documented fields first, in the documented order */
	json_t *j = json_pack("{s:s,s:o,s:s,s:s,s:s,s:o,s:s,s:s}", "id", f->id, "aliases",
			      ward_json_strv(&f->aliases), "ecosystem", f->ecosystem, "package",
			      f->package, "version", f->version, "fixed",
			      ward_json_str_or_null(f->fixed), "severity",
			      vuln_severity_name(f->severity), "owner", f->owner);

	if (j == NULL)
		return NULL;
	json_object_set_new(j, "owner_version", ward_json_str_or_null(f->owner_version));
	json_object_set_new(j, "purl", ward_json_str_or_null(f->purl));
	json_object_set_new(j, "score", f->score >= 0 ? json_real(f->score) : json_null());
	json_object_set_new(j, "cvss", ward_json_str_or_null(f->cvss));
	json_object_set_new(j, "title", ward_json_str_or_null(f->title));
	if (f->urgency != NULL || f->kind != NULL) {
		json_object_set_new(j, "urgency", ward_json_str_or_null(f->urgency));
		json_object_set_new(j, "kind", ward_json_str_or_null(f->kind));
	}
	json_object_set_new(j, "records", ward_json_strv(&f->records));
	if (f->note != NULL)
		json_object_set_new(j, "note", json_string(f->note));
	if (f->vex_status != NULL)
		json_object_set_new(j, "vex",
				    json_pack("{s:s,s:o,s:o,s:o}", "status", f->vex_status,
					      "justification",
					      ward_json_str_or_null(f->vex_justification),
					      "statement", ward_json_str_or_null(f->vex_statement),
					      "source", ward_json_str_or_null(f->vex_source)));
	return j;
}

json_t *
vuln_report_json(const struct vuln_report *r)
{
	json_t *findings = json_array(), *suppressed = json_array(), *counts = json_object();
	size_t by[VULN_SEV_CRITICAL + 1] = {0};

	for (size_t i = 0; i < r->nfindings; i++) {
		json_array_append_new(findings, finding_json(&r->findings[i]));
		by[r->findings[i].severity]++;
	}
	for (size_t i = 0; i < r->nsuppressed; i++)
		json_array_append_new(suppressed, finding_json(&r->suppressed[i]));
	for (int s = VULN_SEV_CRITICAL; s >= 0; s--)
		json_object_set_new(counts, vuln_severity_name(s), json_integer((json_int_t)by[s]));
	return json_pack("{s:o,s:o,s:o,s:I,s:o,s:o,s:o}", "findings", findings, "suppressed",
			 suppressed, "target", ward_json_str_or_null(r->target), "packages",
			 (json_int_t)r->packages, "counts", counts, "problems",
			 ward_json_strv(&r->problems), "warnings", ward_json_strv(&r->warnings));
}

static void
fit(char *dst, size_t w, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (s == NULL)
		s = "-";
	if (n == 0)
		n = 1;
	if (n < w) {
		memcpy(dst, s, n);
		dst[n] = '\0';
	} else {
		memcpy(dst, s, w - 4);
		memcpy(dst + w - 4, "...", 4);
	}
}

static void
row(FILE *out, const struct vuln_finding *f, const char *extra)
{
	char pkg[64], id[32], inst[40], fixed[40], title[72], both[200];

	if (strcmp(f->owner, f->package) == 0)
		snprintf(both, sizeof(both), "%s", f->owner);
	else
		snprintf(both, sizeof(both), "%s (%s)", f->owner, f->package);
	fit(pkg, 34, both);
	fit(id, 22, f->id);
	fit(inst, 26, f->version);
	fit(fixed, 26, f->fixed ? f->fixed : f->kind ? f->kind : "(unfixed)");
	fit(title, 60, extra ? extra : f->title);
	fprintf(out, "%-9s %-21s %-33s %-25s %-25s %s\n", vuln_severity_name(f->severity), id, pkg,
		inst, fixed, title);
}

int
vuln_report_table(const struct vuln_report *r, FILE *out)
{
	size_t by[VULN_SEV_CRITICAL + 1] = {0};

	fprintf(out, "%-9s %-21s %-33s %-25s %-25s %s\n", "SEVERITY", "ID", "PACKAGE", "INSTALLED",
		"FIXED-IN", "TITLE");
	for (size_t i = 0; i < r->nfindings; i++) {
		row(out, &r->findings[i], NULL);
		by[r->findings[i].severity]++;
	}
	fprintf(out,
		"\n%zu findings (critical %zu, high %zu, medium %zu, low %zu, unknown %zu) in "
		"%zu packages",
		r->nfindings, by[VULN_SEV_CRITICAL], by[VULN_SEV_HIGH], by[VULN_SEV_MEDIUM],
		by[VULN_SEV_LOW], by[VULN_SEV_UNKNOWN] + by[VULN_SEV_NONE], r->packages);
	if (r->target)
		fprintf(out, " of %s", r->target);
	fprintf(out, "\n");
	if (r->nsuppressed > 0) {
		fprintf(out, "\nSuppressed by VEX (%zu):\n", r->nsuppressed);
		for (size_t i = 0; i < r->nsuppressed; i++) {
			const struct vuln_finding *f = &r->suppressed[i];
			char why[300];
			snprintf(why, sizeof(why), "%s%s%s", f->vex_status,
				 f->vex_justification ? ": " : "",
				 f->vex_justification ? f->vex_justification : "");
			row(out, f, why);
		}
	}
	for (size_t i = 0; i < r->problems.n; i++)
		fprintf(out, "%snot scanned: %s\n", i == 0 ? "\n" : "", r->problems.v[i]);
	return ferror(out) ? ward_errno(WARD_EENV, "writing the table") : 0;
}
