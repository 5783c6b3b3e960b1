/* audit_out.c: the audit as JSON, side by side, and as a table. */
#include <stdlib.h>
#include <string.h>

#include "check_internal.h"
#include "vuln/vuln.h"

json_t *
audit_report_json(const struct audit_report *r)
{
	json_t *j = json_object(), *fs = json_array(), *sizes = json_object(), *cats = json_array();
	json_t *vulns = json_object(), *sev = json_object(), *counts = json_object();
	size_t severe = 0;

	if (j == NULL || fs == NULL || sizes == NULL || cats == NULL || vulns == NULL ||
	    sev == NULL || counts == NULL) {
		json_decref(j);
		json_decref(fs);
		json_decref(sizes);
		json_decref(cats);
		json_decref(vulns);
		json_decref(sev);
		json_decref(counts);
		return NULL;
	}
	for (size_t i = 0; i < r->nfindings; i++) {
		const struct audit_finding *f = &r->findings[i];
		severe += f->severity >= AUDIT_HIGH;
		json_array_append_new(
			fs, json_pack("{s:s,s:s,s:i,s:s,s:s,s:I,s:o}", "id", f->id, "severity",
				      audit_severity_name(f->severity), "penalty", f->penalty,
				      "title", f->title, "explanation",
				      f->explanation ? f->explanation : "", "count",
				      (json_int_t)f->count, "evidence", ward_json_strv(&f->paths)));
	}
	for (int c = 0; c < AUDIT_NCAT; c++)
		json_array_append_new(cats,
				      json_pack("{s:s,s:I,s:I}", "category", audit_category_name(c),
						"bytes", (json_int_t)r->cat_bytes[c], "files",
						(json_int_t)r->cat_files[c]));
	json_object_set_new(sizes, "total_bytes", json_integer((json_int_t)r->bytes));
	json_object_set_new(sizes, "compressed_bytes", json_integer((json_int_t)r->compressed));
	json_object_set_new(sizes, "files", json_integer((json_int_t)r->files));
	json_object_set_new(sizes, "entries", json_integer((json_int_t)r->entries));
	json_object_set_new(sizes, "layers", json_integer((json_int_t)r->layers));
	json_object_set_new(sizes, "categories", cats);
	for (int s = VULN_SEV_CRITICAL; s >= VULN_SEV_UNKNOWN; s--)
		json_object_set_new(sev, vuln_severity_name(s),
				    json_integer((json_int_t)r->vulns[s]));
	json_object_set_new(vulns, "scanned", json_boolean(r->scanned));
	json_object_set_new(vulns, "by_severity", sev);
	json_object_set_new(vulns, "vulnerable_packages",
			    json_integer((json_int_t)r->vulnerable_packages));
	json_object_set_new(counts, "deb", json_integer((json_int_t)r->debs));
	json_object_set_new(counts, "python", json_integer((json_int_t)r->pythons));
	json_object_set_new(counts, "models", json_integer((json_int_t)r->models));
	json_object_set_new(counts, "unowned_files", json_integer((json_int_t)r->unowned));

	json_object_set_new(j, "audit", json_string("ward audit v1"));
	json_object_set_new(j, "target", ward_json_str_or_null(r->target));
	json_object_set_new(j, "kind", ward_json_str_or_null(r->kind));
	json_object_set_new(j, "name", ward_json_str_or_null(r->name));
	json_object_set_new(j, "digest", ward_json_str_or_null(r->digest));
	json_object_set_new(j, "user", ward_json_str_or_null(r->user));
	json_object_set_new(j, "uid", r->uid >= 0 ? json_integer(r->uid) : json_null());
	json_object_set_new(j, "ward_image", json_boolean(r->ward_image));
	json_object_set_new(j, "entrypoint", ward_json_strv(&r->entrypoint));
	json_object_set_new(j, "ports", ward_json_strv(&r->ports));
	json_object_set_new(j, "healthcheck", json_boolean(r->healthcheck));
	json_object_set_new(j, "writable", ward_json_strv(&r->writable));
	json_object_set_new(j, "score", json_integer(r->score));
	json_object_set_new(j, "grade", json_string(r->grade));
	json_object_set_new(j, "severe_findings", json_integer((json_int_t)severe));
	json_object_set_new(j, "findings", fs);
	json_object_set_new(j, "components", counts);
	json_object_set_new(j, "sizes", sizes);
	json_object_set_new(j, "vulnerabilities", vulns);
	return j;
}

json_t *
audit_compare_json(const struct audit_report *a, const struct audit_report *b)
{
	json_t *j = json_object(), *rules = json_array();
	struct ward_strv ids = {0};

	if (j == NULL || rules == NULL)
		goto fail;
	for (size_t i = 0; i < a->nfindings; i++)
		if (!ward_strv_contains(&ids, a->findings[i].id) &&
		    ward_strv_push(&ids, a->findings[i].id) != 0)
			goto fail;
	for (size_t i = 0; i < b->nfindings; i++)
		if (!ward_strv_contains(&ids, b->findings[i].id) &&
		    ward_strv_push(&ids, b->findings[i].id) != 0)
			goto fail;
	ward_strv_sort(&ids);
	for (size_t i = 0; i < ids.n; i++) {
		const struct audit_finding *x = audit_find(a, ids.v[i]),
					   *y = audit_find(b, ids.v[i]);
		const struct audit_finding *any = x ? x : y;
		json_array_append_new(rules,
				      json_pack("{s:s,s:s,s:s,s:I,s:I}", "id", ids.v[i], "severity",
						audit_severity_name(any->severity), "title",
						any->title, "left", (json_int_t)(x ? x->count : 0),
						"right", (json_int_t)(y ? y->count : 0)));
	}
	json_object_set_new(j, "comparison", json_string("ward audit compare v1"));
	json_object_set_new(j, "left", audit_report_json(a));
	json_object_set_new(j, "right", audit_report_json(b));
	json_object_set_new(j, "score_difference", json_integer(b->score - a->score));
	json_object_set_new(j, "rules", rules);
	ward_strv_free(&ids);
	return j;
fail:
	ward_strv_free(&ids);
	json_decref(rules);
	json_decref(j);
	return NULL;
}

static void
human_size(uint64_t n, char out[32])
{
	if (n >= 1000000000ull)
		snprintf(out, 32, "%.2f GB", (double)n / 1e9);
	else if (n >= 1000000ull)
		snprintf(out, 32, "%.1f MB", (double)n / 1e6);
	else if (n >= 1000ull)
		snprintf(out, 32, "%.1f kB", (double)n / 1e3);
	else
		snprintf(out, 32, "%llu B", (unsigned long long)n);
}

int
audit_report_table(const struct audit_report *r, FILE *out)
{
	char sz[32], *t;

	/* paths and explanations name files of the image: escaped, so a name
	 * can neither drive the terminal nor forge a line of the table */
	t = ward_escape_dup(r->target);
	fprintf(out, "%s (%s)%s%s\n", t ? t : "?", r->kind, r->digest ? "  " : "",
		r->digest ? r->digest : "");
	free(t);
	fprintf(out, "hardening score: %d/100 (grade %s)\n\n", r->score, r->grade);
	if (r->nfindings == 0)
		fprintf(out, "no findings\n");
	for (size_t i = 0; i < r->nfindings; i++) {
		const struct audit_finding *f = &r->findings[i];
		t = ward_escape_dup(f->explanation ? f->explanation : f->title ? f->title : "");
		fprintf(out, "%-8s %3d  %-22s %s\n", audit_severity_name(f->severity), -f->penalty,
			f->id, t ? t : "?");
		free(t);
		for (size_t k = 0; k < f->paths.n && k < 8; k++) {
			t = ward_escape_dup(f->paths.v[k]);
			fprintf(out, "%36s%s\n", "", t ? t : "?");
			free(t);
		}
		if (f->count > 8 && f->paths.n >= 8)
			fprintf(out, "%36s... %zu more\n", "", f->count - 8);
	}
	fprintf(out, "\nsize by category (%zu files):\n", r->files);
	for (int c = 0; c < AUDIT_NCAT; c++) {
		human_size(r->cat_bytes[c], sz);
		fprintf(out, "  %-11s %12s  %6zu files\n", audit_category_name(c), sz,
			r->cat_files[c]);
	}
	human_size(r->bytes, sz);
	fprintf(out, "  %-11s %12s\n", "total", sz);
	if (r->scanned)
		fprintf(out,
			"\nknown vulnerabilities: %zu critical, %zu high, %zu medium, %zu low, %zu "
			"unknown in %zu packages\n",
			r->vulns[VULN_SEV_CRITICAL], r->vulns[VULN_SEV_HIGH],
			r->vulns[VULN_SEV_MEDIUM], r->vulns[VULN_SEV_LOW],
			r->vulns[VULN_SEV_UNKNOWN] + r->vulns[VULN_SEV_NONE],
			r->vulnerable_packages);
	return ferror(out) ? ward_err(WARD_EENV, "cannot write the table") : 0;
}
