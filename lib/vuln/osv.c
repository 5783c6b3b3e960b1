/*
 * osv.c: one OSV record (https://ossf.github.io/osv-schema/) checked and
 * reduced to what the store keeps.  A record that breaks the schema in a
 * way that changes matching (no id, no modified, an event that is not one
 * of introduced/fixed/last_affected/limit, ...) is rejected whole with a
 * one-line reason; oddities that do not (an unscorable CVSS vector, a
 * version string the ecosystem cannot order) are kept and reported.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deb/deb.h"
#include "vuln/vuln_internal.h"

void
osv_record_free(struct osv_record *r)
{
	if (r == NULL)
		return;
	free(r->id);
	free(r->modified);
	free(r->withdrawn);
	free(r->summary);
	free(r->details);
	free(r->cvss);
	ward_strv_free(&r->aliases);
	for (size_t i = 0; i < r->naff; i++) {
		free(r->aff[i].ecosystem);
		free(r->aff[i].name);
		free(r->aff[i].data);
	}
	free(r->aff);
	ward_strv_free(&r->warnings);
	memset(r, 0, sizeof(*r));
}

static int
digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

int
osv_time_canonical(const char *s, char out[40])
{
	struct tm tm = {0};
	const char *p = s;
	char frac[10] = "000000000";
	long off = 0;
	time_t t;

	/* YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM) */
	if (strlen(s) < 20 || !digits(p, 4) || p[4] != '-' || !digits(p + 5, 2) || p[7] != '-' ||
	    !digits(p + 8, 2) || (p[10] != 'T' && p[10] != 't' && p[10] != ' ') ||
	    !digits(p + 11, 2) || p[13] != ':' || !digits(p + 14, 2) || p[16] != ':' ||
	    !digits(p + 17, 2))
		return -1;
	tm.tm_year = atoi(p) - 1900;
	tm.tm_mon = atoi(p + 5) - 1;
	tm.tm_mday = atoi(p + 8);
	tm.tm_hour = atoi(p + 11);
	tm.tm_min = atoi(p + 14);
	tm.tm_sec = atoi(p + 17);
	if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 60)
		return -1;
	p += 19;
	if (*p == '.') {
		int n = 0;
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p)) {
			if (n < 9)
				frac[n++] = *p;
			p++;
		}
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') && digits(p + 1, 2) && p[3] == ':' &&
		   digits(p + 4, 2)) {
		off = (atol(p + 1) * 60 + atol(p + 4)) * 60;
		if (*p == '+')
			off = -off;
		p += 6;
	} else {
		return -1;
	}
	if (*p != '\0')
		return -1;
	t = timegm(&tm) + off;
	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	snprintf(out, 40, "%04d-%02d-%02dT%02d:%02d:%02d.%sZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
	return 0;
}

int
osv_ecosystem_kind(const char *ecosystem)
{
	if (strcmp(ecosystem, "PyPI") == 0)
		return OSV_PYPI;
	if (strncmp(ecosystem, "Debian:", 7) == 0 && ecosystem[7] != '\0')
		return OSV_DEBIAN;
	return OSV_OTHER;
}

char *
osv_normalize_name(const char *ecosystem, const char *name)
{
	int kind = osv_ecosystem_kind(ecosystem);

	if (kind == OSV_PYPI)
		return vuln_pep503_name(name);
	if (kind == OSV_DEBIAN) {
		char *s = ward_strdup(name);
		for (char *c = s; c && *c; c++)
			*c = (char)tolower((unsigned char)*c);
		return s;
	}
	return ward_strdup(name);
}

int
osv_version_check(int kind, const char *v)
{
	if (kind == OSV_PYPI) {
		struct pep440 p;
		if (pep440_parse(v, strlen(v), &p) != 0)
			return -1;
		pep440_free(&p);
		return 0;
	}
	if (kind == OSV_DEBIAN)
		return deb_version_check(v, "version");
	return 0;
}

static int warn(struct osv_record *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
warn(struct osv_record *r, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = ward_strv_vpushf(&r->warnings, fmt, ap);
	va_end(ap);
	return rc;
}

/* Reduce one range to {"type","events"} after checking every event. */
static json_t *
check_range(struct osv_record *r, const json_t *range, int kind, const char *what)
{
	const char *type = ward_json_str(range, "type");
	json_t *events = json_object_get(range, "events"), *ev, *out;
	size_t i;

	if (type == NULL || !json_is_array(events) || json_array_size(events) == 0) {
		ward_err(WARD_EINPUT, "%s: a range needs a type and a non-empty events array",
			 what);
		return NULL;
	}
	json_array_foreach(events, i, ev)
	{
		const char *key;
		json_t *val;
		if (!json_is_object(ev) || json_object_size(ev) != 1) {
			ward_err(WARD_EINPUT, "%s: range event %zu must have exactly one field",
				 what, i);
			return NULL;
		}
		json_object_foreach((json_t *)ev, key, val)
		{
			if (strcmp(key, "introduced") && strcmp(key, "fixed") &&
			    strcmp(key, "last_affected") && strcmp(key, "limit")) {
				ward_err(WARD_EINPUT, "%s: unknown range event \"%s\"", what, key);
				return NULL;
			}
			if (!json_is_string(val) || json_string_length(val) == 0) {
				ward_err(WARD_EINPUT, "%s: range event %s is not a version string",
					 what, key);
				return NULL;
			}
			if (strcmp(type, "ECOSYSTEM") == 0 && strcmp(json_string_value(val), "0") &&
			    osv_version_check(kind, json_string_value(val)) != 0) {
				r->invalid_versions++;
				if (warn(r,
					 "%s: invalid version \"%s\" in a range (kept: the range "
					 "is "
					 "evaluated without it and findings carry a note)",
					 what, json_string_value(val)) != 0)
					return NULL;
			}
		}
	}
	out = json_pack("{s:s,s:O}", "type", type, "events", events);
	if (out == NULL)
		ward_err(WARD_EENV, "out of memory");
	return out;
}

static int
parse_affected(struct osv_record *r, const json_t *a, size_t idx, const char *what)
{
	json_t *pkg = json_object_get(a, "package"), *ranges = json_object_get(a, "ranges");
	json_t *versions = json_object_get(a, "versions"), *keep, *kept_ranges, *x;
	const char *eco, *name;
	char where[300];
	struct osv_affected *n;
	int kind;
	size_t i;

	snprintf(where, sizeof(where), "%s: affected[%zu]", what, idx);
	if (!json_is_object(a))
		return ward_err(WARD_EINPUT, "%s is not an object", where);
	if (pkg == NULL)
		return 0; /* a record about a commit range only: nothing to match by name */
	if ((eco = ward_json_req_str(pkg, "ecosystem", where)) == NULL ||
	    (name = ward_json_req_str(pkg, "name", where)) == NULL)
		return -1;
	if (*eco == '\0' || *name == '\0')
		return ward_err(WARD_EINPUT, "%s: empty package ecosystem or name", where);
	if (ranges != NULL && !json_is_array(ranges))
		return ward_err(WARD_EINPUT, "%s: ranges is not an array", where);
	if (versions != NULL && !json_is_array(versions))
		return ward_err(WARD_EINPUT, "%s: versions is not an array", where);
	kind = osv_ecosystem_kind(eco);
	kept_ranges = json_array();
	json_array_foreach(ranges, i, x)
	{
		json_t *rr = check_range(r, x, kind, where);
		if (rr == NULL) {
			json_decref(kept_ranges);
			return -1;
		}
		/* GIT ranges name commits, not installed versions. */
		if (strcmp(ward_json_str(rr, "type"), "GIT") != 0)
			json_array_append(kept_ranges, rr);
		json_decref(rr);
	}
	json_array_foreach(versions, i, x)
	{
		if (!json_is_string(x)) {
			json_decref(kept_ranges);
			return ward_err(WARD_EINPUT, "%s: versions[%zu] is not a string", where, i);
		}
	}
	keep = json_pack("{s:o}", "ranges", kept_ranges);
	if (versions != NULL && json_array_size(versions) > 0)
		json_object_set(keep, "versions", versions);
	if ((x = json_object_get(a, "ecosystem_specific")) != NULL && json_is_object(x))
		json_object_set(keep, "ecosystem_specific", x);
	if (ward_vec_grow(&r->aff, r->naff, sizeof(*r->aff)) != 0) {
		json_decref(keep);
		return -1;
	}
	n = &r->aff[r->naff];
	memset(n, 0, sizeof(*n));
	n->ecosystem = ward_strdup(eco);
	n->name = osv_normalize_name(eco, name);
	n->data = ward_json_dump(keep, 0);
	json_decref(keep);
	r->naff++;
	if (n->ecosystem == NULL || n->name == NULL || n->data == NULL)
		return -1;
	return 0;
}

/* The highest CVSS v3 base score among severity[] (record and affected). */
static void
pick_cvss(struct osv_record *r, const json_t *sev, const char *what)
{
	size_t i;
	json_t *s;

	json_array_foreach(sev, i, s)
	{
		const char *type = ward_json_str(s, "type"), *vec = ward_json_str(s, "score");
		double score;
		if (type == NULL || vec == NULL || strcmp(type, "CVSS_V3") != 0)
			continue;
		if (vuln_cvss3_base_score(vec, &score) != 0) {
			warn(r, "%s: %s (severity ignored)", what, ward_errmsg());
			ward_err_clear();
			continue;
		}
		if (r->cvss == NULL || score > r->score) {
			free(r->cvss);
			r->cvss = ward_strdup(vec);
			r->score = score;
		}
	}
}

static char *
first_line(const char *s, size_t max)
{
	size_t n = 0;

	while (s[n] && s[n] != '\n' && n < max)
		n++;
	return ward_strndup(s, n);
}

int
osv_record_from_json(const json_t *j, const char *what, struct osv_record *r)
{
	const char *id, *mod, *s;
	char canon[40], where[300];
	json_t *x, *aff;
	size_t i;

	memset(r, 0, sizeof(*r));
	r->score = -1;
	if (!json_is_object(j))
		return ward_err(WARD_EINPUT, "%s: an OSV record must be a JSON object", what);
	if ((id = ward_json_req_str(j, "id", what)) == NULL)
		return -1;
	if (*id == '\0' || strlen(id) > 200)
		return ward_err(WARD_EINPUT, "%s: bad id", what);
	snprintf(where, sizeof(where), "%s (%s)", what, id);
	if ((mod = ward_json_req_str(j, "modified", where)) == NULL)
		return -1;
	if (osv_time_canonical(mod, canon) != 0)
		return ward_err(WARD_EINPUT, "%s: modified \"%.40s\" is not an RFC 3339 time",
				where, mod);
	r->id = ward_strdup(id);
	r->modified = ward_strdup(canon);
	if ((x = json_object_get(j, "withdrawn")) != NULL) {
		if (!json_is_string(x) || osv_time_canonical(json_string_value(x), canon) != 0) {
			osv_record_free(r);
			return ward_err(WARD_EINPUT, "%s: withdrawn is not an RFC 3339 time",
					where);
		}
		r->withdrawn = ward_strdup(canon);
	}
	/* aliases, and upstream (OSV 1.6: the ids a distribution's record is
	 * derived from, e.g. DEBIAN-CVE-X and DSA-N name CVE-X there): both
	 * say "the same vulnerability", which is all merging needs */
	for (int u = 0; u < 2; u++) {
		const char *field = u ? "upstream" : "aliases";
		json_t *a;
		if ((x = json_object_get(j, field)) == NULL)
			continue;
		if (!json_is_array(x)) {
			osv_record_free(r);
			return ward_err(WARD_EINPUT, "%s: %s is not an array", where, field);
		}
		json_array_foreach(x, i, a)
		{
			if (!json_is_string(a) || json_string_length(a) == 0) {
				osv_record_free(r);
				return ward_err(WARD_EINPUT, "%s: %s[%zu] is not a string", where,
						field, i);
			}
			if (!ward_strv_contains(&r->aliases, json_string_value(a)) &&
			    strcmp(json_string_value(a), id) != 0)
				ward_strv_push(&r->aliases, json_string_value(a));
		}
		if (ward_strv_check(&r->aliases) != 0) {
			osv_record_free(r);
			return -1;
		}
	}
	if ((s = ward_json_str(j, "summary")) != NULL && *s)
		r->summary = first_line(s, 300);
	else if ((s = ward_json_str(j, "details")) != NULL && *s)
		r->summary = first_line(s, 300);
	if ((s = ward_json_str(j, "details")) != NULL)
		r->details = ward_strdup(s);
	if ((x = json_object_get(j, "severity")) != NULL && json_is_array(x))
		pick_cvss(r, x, where);
	aff = json_object_get(j, "affected");
	if (aff != NULL && !json_is_array(aff)) {
		osv_record_free(r);
		return ward_err(WARD_EINPUT, "%s: affected is not an array", where);
	}
	json_array_foreach(aff, i, x)
	{
		json_t *sev = json_object_get(x, "severity");
		if (parse_affected(r, x, i, where) != 0) {
			osv_record_free(r);
			return -1;
		}
		if (sev != NULL && json_is_array(sev))
			pick_cvss(r, sev, where);
	}
	if (r->id == NULL || r->modified == NULL) {
		osv_record_free(r);
		return -1;
	}
	return 0;
}
