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
	if (f->reason != NULL)
		json_object_set_new(j, "reason", json_string(f->reason));
	json_object_set_new(j, "records", ward_json_strv(&f->records));
	json_object_set_new(j, "status", json_string(vuln_status_name(f->status)));
	if (f->justification != NULL)
		json_object_set_new(j, "justification", json_string(f->justification));
	if (f->basis != NULL)
		json_object_set_new(j, "basis", json_string(f->basis));
	json_object_set_new(j, "evidence", ward_json_strv(&f->evidence));
	if (f->disagreement != NULL)
		json_object_set_new(j, "disagreement", json_string(f->disagreement));
	if (f->upstream_fixed != NULL)
		json_object_set_new(j, "upstream_fixed", json_string(f->upstream_fixed));
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

/* The status a finding ends with: the VEX statement applied to it, else
 * the scan's own. */
int
finding_final_status(const struct vuln_finding *f)
{
	int s = f->vex_status ? vuln_status_parse(f->vex_status) : -1;

	return s >= 0 ? s : f->status;
}

void
vuln_report_status_counts(const struct vuln_report *r, size_t counts[4])
{
	memset(counts, 0, 4 * sizeof(*counts));
	for (size_t i = 0; i < r->nfindings; i++)
		counts[finding_final_status(&r->findings[i])]++;
	for (size_t i = 0; i < r->nresolved; i++)
		counts[finding_final_status(&r->resolved[i])]++;
	for (size_t i = 0; i < r->nsuppressed; i++)
		counts[finding_final_status(&r->suppressed[i])]++;
}

json_t *
vuln_report_json(const struct vuln_report *r)
{
	json_t *findings = json_array(), *suppressed = json_array(), *counts = json_object();
	json_t *resolved = json_array(), *statuses = json_object();
	size_t by[VULN_SEV_CRITICAL + 1] = {0}, st[4];

	for (size_t i = 0; i < r->nfindings; i++) {
		json_array_append_new(findings, finding_json(&r->findings[i]));
		by[r->findings[i].severity]++;
	}
	for (size_t i = 0; i < r->nresolved; i++)
		json_array_append_new(resolved, finding_json(&r->resolved[i]));
	for (size_t i = 0; i < r->nsuppressed; i++)
		json_array_append_new(suppressed, finding_json(&r->suppressed[i]));
	for (int s = VULN_SEV_CRITICAL; s >= 0; s--)
		json_object_set_new(counts, vuln_severity_name(s), json_integer((json_int_t)by[s]));
	vuln_report_status_counts(r, st);
	for (int s = VULN_AFFECTED; s <= VULN_NOT_AFFECTED; s++)
		json_object_set_new(statuses, vuln_status_name(s), json_integer((json_int_t)st[s]));
	return json_pack("{s:o,s:o,s:o,s:o,s:I,s:o,s:o,s:o,s:o}", "findings", findings, "resolved",
			 resolved, "suppressed", suppressed, "target",
			 ward_json_str_or_null(r->target), "packages", (json_int_t)r->packages,
			 "counts", counts, "statuses", statuses, "problems",
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
	char pkg[64], id[32], inst[40], fixed[40], title[72], both[200], st[24];

	if (strcmp(f->owner, f->package) == 0)
		snprintf(both, sizeof(both), "%s", f->owner);
	else
		snprintf(both, sizeof(both), "%s (%s)", f->owner, f->package);
	fit(pkg, 34, both);
	fit(id, 22, f->id);
	fit(inst, 26, f->version);
	fit(fixed, 26, f->fixed ? f->fixed : f->kind ? f->kind : "(unfixed)");
	fit(title, 60, extra ? extra : f->title);
	fit(st, 20, vuln_status_name(finding_final_status(f)));
	fprintf(out, "%-9s %-19s %-21s %-33s %-25s %-25s %s\n", vuln_severity_name(f->severity), st,
		id, pkg, inst, fixed, title);
}

int
vuln_report_table(const struct vuln_report *r, FILE *out)
{
	size_t by[VULN_SEV_CRITICAL + 1] = {0}, st[4];

	fprintf(out, "%-9s %-19s %-21s %-33s %-25s %-25s %s\n", "SEVERITY", "STATUS", "ID",
		"PACKAGE", "INSTALLED", "FIXED-IN", "TITLE");
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
	vuln_report_status_counts(r, st);
	fprintf(out,
		"statuses: %zu affected, %zu under_investigation, %zu fixed, %zu not_affected\n",
		st[VULN_AFFECTED], st[VULN_UNDER_INVESTIGATION], st[VULN_FIXED],
		st[VULN_NOT_AFFECTED]);
	if (r->nresolved > 0) {
		fprintf(out, "\nResolved by the scan's evidence (%zu):\n", r->nresolved);
		for (size_t i = 0; i < r->nresolved; i++) {
			const struct vuln_finding *f = &r->resolved[i];
			row(out, f, f->evidence.n ? f->evidence.v[0] : f->basis);
		}
	}
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
