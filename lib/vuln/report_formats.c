/*
 * report_formats.c: the scan report as SARIF 2.1.0 (code-scanning UIs) and
 * as a CycloneDX 1.6 BOM with vulnerabilities[] whose analysis carries the
 * VEX decision.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "vuln/vuln_internal.h"

static const char *
sarif_level(int sev)
{
	switch (sev) {
	case VULN_SEV_CRITICAL:
	case VULN_SEV_HIGH:
		return "error";
	case VULN_SEV_MEDIUM:
		return "warning";
	default:
		return "note";
	}
}

/* GitHub reads "security-severity" as a CVSS-like number. */
static const char *
security_severity(const struct vuln_finding *f, char buf[16])
{
	static const char *const by_sev[] = {"0.0", "0.0", "3.0", "5.5", "8.0", "9.5"};

	if (f->score >= 0) {
		snprintf(buf, 16, "%.1f", f->score);
		return buf;
	}
	return by_sev[f->severity];
}

json_t *
vuln_report_sarif(const struct vuln_report *r)
{
	json_t *rules = json_array(), *results = json_array(), *seen = json_object(), *run;
	char buf[16];

	for (size_t i = 0; i < r->nfindings; i++) {
		const struct vuln_finding *f = &r->findings[i];
		json_t *idx = json_object_get(seen, f->id), *res, *loc;
		char *msg;
		if (idx == NULL) {
			json_t *rule = json_pack(
				"{s:s,s:{s:s},s:{s:s},s:{s:s},s:{s:s,s:[s,s,s]}}", "id", f->id,
				"shortDescription", "text", f->title ? f->title : f->id,
				"fullDescription", "text", f->title ? f->title : f->id,
				"defaultConfiguration", "level", sarif_level(f->severity),
				"properties", "security-severity", security_severity(f, buf),
				"tags", "security", "vulnerability",
				vuln_severity_name(f->severity));
			if (strncmp(f->id, "CVE-", 4) == 0) {
				char *uri =
					ward_asprintf("https://osv.dev/vulnerability/%s", f->id);
				json_object_set_new(rule, "helpUri", json_string(uri));
				free(uri);
			}
			idx = json_integer((json_int_t)json_array_size(rules));
			json_object_set_new(seen, f->id, idx);
			json_array_append_new(rules, rule);
		}
		msg = ward_asprintf(
			"%s %s in %s %s (%s %s); %s%s", f->id, vuln_severity_name(f->severity),
			f->owner, f->owner_version ? f->owner_version : "", f->package, f->version,
			f->fixed ? "fixed in " : "no fix available", f->fixed ? f->fixed : "");
		loc = json_pack("{s:{s:{s:s}},s:[{s:s,s:s}]}", "physicalLocation",
				"artifactLocation", "uri", r->target ? r->target : "image",
				"logicalLocations", "name", f->owner, "kind", "package");
		res = json_pack("{s:s,s:I,s:s,s:{s:s},s:[o],s:{s:s,s:s,s:s,s:o}}", "ruleId", f->id,
				"ruleIndex", json_integer_value(idx), "level",
				sarif_level(f->severity), "message", "text", msg ? msg : f->id,
				"locations", loc, "properties", "package", f->package,
				"installedVersion", f->version, "ecosystem", f->ecosystem,
				"fixedVersion", f->fixed ? json_string(f->fixed) : json_null());
		if (f->purl != NULL)
			json_object_set_new(json_object_get(res, "properties"), "purl",
					    json_string(f->purl));
		free(msg);
		json_array_append_new(results, res);
	}
	json_decref(seen);
	run = json_pack("{s:{s:{s:s,s:s,s:s,s:o}},s:o}", "tool", "driver", "name", "ward",
			"version", WARD_VERSION, "informationUri", "https://openssf.org/", "rules",
			rules, "results", results);
	return json_pack("{s:s,s:s,s:[o]}", "$schema",
			 "https://json.schemastore.org/sarif-2.1.0.json", "version", "2.1.0",
			 "runs", run);
}

static const char *
cdx_justification(const char *vex)
{
	static const char *const map[][2] = {
		{"component_not_present", "code_not_present"},
		{"vulnerable_code_not_present", "code_not_present"},
		{"vulnerable_code_not_in_execute_path", "code_not_reachable"},
		{"vulnerable_code_cannot_be_controlled_by_adversary", "requires_environment"},
		{"inline_mitigations_already_exist", "protected_by_mitigating_control"},
	};

	for (size_t i = 0; vex && i < sizeof(map) / sizeof(*map); i++)
		if (strcmp(vex, map[i][0]) == 0)
			return map[i][1];
	return NULL;
}

static const char *
cdx_state(const char *status)
{
	if (status == NULL)
		return NULL;
	if (strcmp(status, "not_affected") == 0)
		return "not_affected";
	if (strcmp(status, "fixed") == 0)
		return "resolved";
	if (strcmp(status, "affected") == 0)
		return "exploitable";
	return "in_triage";
}

static json_t *
cdx_vuln(const struct vuln_finding *f, json_t *components, json_t *refs)
{
	json_t *v, *ratings = json_array(), *aliases = json_array();
	const char *ref = f->purl ? f->purl : f->owner;
	char *vref = ward_asprintf("%s/%s", f->id, ref);

	if (json_object_get(refs, ref) == NULL) {
		json_t *c =
			json_pack("{s:s,s:s,s:s,s:s}", "type", "library", "bom-ref", ref, "name",
				  f->owner, "version", f->owner_version ? f->owner_version : "");
		if (f->purl != NULL)
			json_object_set_new(c, "purl", json_string(f->purl));
		json_object_set_new(refs, ref, json_true());
		json_array_append_new(components, c);
	}
	if (f->cvss != NULL)
		json_array_append_new(
			ratings,
			json_pack("{s:f,s:s,s:s,s:s}", "score", f->score, "severity",
				  vuln_severity_name(f->severity), "method",
				  strncmp(f->cvss, "CVSS:3.1/", 9) == 0 ? "CVSSv31" : "CVSSv3",
				  "vector", f->cvss));
	else
		json_array_append_new(ratings,
				      json_pack("{s:s,s:s,s:{s:s}}", "severity",
						vuln_severity_name(f->severity), "method", "other",
						"source", "name", f->urgency ? "Debian" : "ward"));
	for (size_t i = 0; i < f->aliases.n; i++)
		json_array_append_new(aliases, json_pack("{s:s,s:{s:s}}", "id", f->aliases.v[i],
							 "source", "name", "OSV"));
	v = json_pack("{s:s,s:s,s:{s:s},s:o,s:o,s:[{s:s}]}", "bom-ref", vref ? vref : f->id, "id",
		      f->id, "source", "name", "OSV", "references", aliases, "ratings", ratings,
		      "affects", "ref", ref);
	free(vref);
	if (f->title != NULL)
		json_object_set_new(v, "description", json_string(f->title));
	if (f->fixed != NULL)
		json_object_set_new(
			v, "recommendation",
			json_sprintf("Upgrade %s to %s or later", f->package, f->fixed));
	if (f->vex_status != NULL) {
		json_t *a = json_pack("{s:s}", "state", cdx_state(f->vex_status));
		const char *j = cdx_justification(f->vex_justification);
		if (j != NULL)
			json_object_set_new(a, "justification", json_string(j));
		if (f->vex_statement != NULL)
			json_object_set_new(a, "detail", json_string(f->vex_statement));
		json_object_set_new(v, "analysis", a);
	} else if (f->status == VULN_FIXED || f->status == VULN_NOT_AFFECTED) {
		/* the scan's own conclusion, with its evidence */
		json_t *a = json_pack("{s:s}", "state", cdx_state(vuln_status_name(f->status)));
		const char *j = cdx_justification(f->justification);
		char *detail = NULL;
		struct ward_buf b = {0};
		for (size_t i = 0; i < f->evidence.n; i++) {
			ward_buf_puts(&b, i ? "; " : "");
			ward_buf_puts(&b, f->evidence.v[i]);
		}
		detail = ward_buf_steal(&b);
		if (j != NULL)
			json_object_set_new(a, "justification", json_string(j));
		if (detail != NULL && *detail)
			json_object_set_new(a, "detail", json_string(detail));
		free(detail);
		json_object_set_new(v, "analysis", a);
	}
	return v;
}

json_t *
vuln_report_cyclonedx(const struct vuln_report *r, time_t when)
{
	json_t *components = json_array(), *vulns = json_array(), *refs = json_object(), *bom;
	unsigned char digest[32];
	char ts[32], uuid[48], *dump;

	for (size_t i = 0; i < r->nfindings; i++)
		json_array_append_new(vulns, cdx_vuln(&r->findings[i], components, refs));
	for (size_t i = 0; i < r->nresolved; i++)
		json_array_append_new(vulns, cdx_vuln(&r->resolved[i], components, refs));
	for (size_t i = 0; i < r->nsuppressed; i++)
		json_array_append_new(vulns, cdx_vuln(&r->suppressed[i], components, refs));
	json_decref(refs);
	/* a serial number derived from the content keeps the output reproducible */
	dump = ward_json_dump(vulns, 0);
	sha256(dump ? dump : "", dump ? strlen(dump) : 0, digest);
	free(dump);
	digest[6] = (digest[6] & 0x0f) | 0x50;
	digest[8] = (digest[8] & 0x3f) | 0x80;
	snprintf(uuid, sizeof(uuid),
		 "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 digest[0], digest[1], digest[2], digest[3], digest[4], digest[5], digest[6],
		 digest[7], digest[8], digest[9], digest[10], digest[11], digest[12], digest[13],
		 digest[14], digest[15]);
	ward_time_rfc3339(when, ts);
	bom = json_pack("{s:s,s:s,s:s,s:i,s:{s:s,s:{s:[{s:s,s:s,s:s}]},s:{s:s,s:s}},s:o,s:o}",
			"bomFormat", "CycloneDX", "specVersion", "1.6", "serialNumber", uuid,
			"version", 1, "metadata", "timestamp", ts, "tools", "components", "type",
			"application", "name", "ward", "version", WARD_VERSION, "component", "type",
			"container", "name", r->target ? r->target : "scan target", "components",
			components, "vulnerabilities", vulns);
	return bom;
}
