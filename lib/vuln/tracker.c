/*
 * tracker.c: the Debian Security Tracker's JSON export (the tracker's
 * data/json page, the feed debsecan and Trivy read) into the store.
 *
 * Format (bin/tracker_service.py of the security tracker):
 *
 *   { "<source package>": {
 *       "<CVE-… or TEMP-…>": {
 *         "description": "…", "debianbug": N, "scope": "local"|"remote",
 *         "releases": {
 *           "<codename>": {
 *             "status": "resolved" | "open" | "undetermined",
 *             "repositories": {"<codename>[-security]": "<version>"},
 *             "fixed_version": "<version>"   (resolved only; "0": never affected),
 *             "urgency": "low" | "medium" | "high" | "unimportant" |
 *                        "not yet assigned" | "end-of-life" | …,
 *             "nodsa": "<reason>", "nodsa_reason": "" | "postponed" | "ignored",
 *             "next_point_update": true } } } } }
 *
 * Each issue becomes the record DEBIAN-<id> (the id osv.dev and Debian's
 * own OSV export use, so the two feeds merge by id, the later `modified`
 * winning), aliases [<id>], one affected entry per source package and
 * release Debian:<N>:
 *   resolved, fixed V     introduced 0, fixed V
 *   resolved, fixed "0"   no range (never affected); kind "not-affected"
 *   open                  introduced 0 (unfixed); kind = nodsa_reason, else
 *                         "no-dsa" with a nodsa reason, "end-of-life" with
 *                         that urgency, else "unfixed"; reason = nodsa
 *   undetermined          introduced 0; kind "undetermined"
 * with ecosystem_specific {urgency, kind, reason}.  The export carries no
 * time stamps: a record's `modified` is the file's modification time (when
 * it was downloaded), so a newer download replaces older records and `ward
 * db status` can tell the data's age.  The file (tens of MB) is read one
 * source package at a time.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "vuln/vuln_internal.h"

/* Codenames the export uses, to OSV's Debian:<N>.  sid and experimental
 * have no release number and are left out (counted). */
static const char *const codenames[][2] = {
	{"buster", "10"}, {"bullseye", "11"}, {"bookworm", "12"},
	{"trixie", "13"}, {"forky", "14"},    {"duke", "15"},
};

static const char *
release_number(const char *codename)
{
	for (size_t i = 0; i < sizeof(codenames) / sizeof(*codenames); i++)
		if (strcmp(codenames[i][0], codename) == 0)
			return codenames[i][1];
	return NULL;
}

struct issue {
	char *id;
	json_t *rec; /* the OSV record being assembled */
};

struct tracker {
	struct issue *v;
	size_t n, cap;
	json_t *index; /* id -> position in v (json integer) */
	char modified[40];
};

static size_t
skip_ws(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t'))
		i++;
	return i;
}

/* The JSON string at s[*i] (escapes decoded by jansson); *i moves past it. */
static json_t *
read_key(const char *s, size_t len, size_t *i, const char *what)
{
	size_t j = *i + 1;
	json_error_t e;
	json_t *k;

	if (*i >= len || s[*i] != '"')
		return ward_err(WARD_EINPUT, "%s: a package name (string) expected at byte %zu",
				what, *i),
		       NULL;
	while (j < len && s[j] != '"')
		j += s[j] == '\\' ? 2 : 1;
	if (j >= len)
		return ward_err(WARD_EINPUT, "%s: unterminated string at byte %zu", what, *i), NULL;
	k = json_loadb(s + *i, j + 1 - *i, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &e);
	if (!json_is_string(k)) {
		json_decref(k);
		return ward_err(WARD_EINPUT, "%s: bad string at byte %zu", what, *i), NULL;
	}
	*i = j + 1;
	return k;
}

int
tracker_sniff(const void *data, size_t len)
{
	const char *s = data;
	size_t i = skip_ws(s, len, 0), j;

	/* {"pkg": {"CVE-…": {… "releases"…  — an OSV file starts with a record
	 * ("id", "modified", …) or an array */
	if (i >= len || s[i] != '{')
		return 0;
	i = skip_ws(s, len, i + 1);
	if (i >= len || s[i] != '"')
		return 0;
	for (j = i + 1; j < len && s[j] != '"'; j += s[j] == '\\' ? 2 : 1)
		;
	i = skip_ws(s, len, j + 1);
	if (i >= len || s[i] != ':')
		return 0;
	i = skip_ws(s, len, i + 1);
	if (i >= len || s[i] != '{')
		return 0;
	i = skip_ws(s, len, i + 1);
	return i + 5 < len && (strncmp(s + i, "\"CVE-", 5) == 0 ||
			       strncmp(s + i, "\"TEMP-", 6) == 0 || s[i] == '}');
}

static struct issue *
issue_for(struct tracker *t, const char *id, const char *description)
{
	json_t *pos = json_object_get(t->index, id);
	struct issue *x;
	char *rid;

	if (pos != NULL)
		return &t->v[json_integer_value(pos)];
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		if ((x = ward_realloc(t->v, cap * sizeof(*x))) == NULL)
			return NULL;
		t->v = x;
		t->cap = cap;
	}
	x = &t->v[t->n];
	if ((rid = ward_asprintf("DEBIAN-%s", id)) == NULL)
		return NULL;
	x->id = ward_strdup(id);
	x->rec = json_pack("{s:s,s:s,s:[],s:[]}", "id", rid, "modified", t->modified, "aliases",
			   "affected");
	free(rid);
	if (x->id == NULL || x->rec == NULL) {
		free(x->id);
		json_decref(x->rec);
		return NULL;
	}
	if (strncmp(id, "CVE-", 4) == 0)
		json_array_append_new(json_object_get(x->rec, "aliases"), json_string(id));
	if (description != NULL && *description) {
		json_object_set_new(x->rec, "summary", json_string(description));
		json_object_set_new(x->rec, "details", json_string(description));
	}
	if (json_object_set_new(t->index, id, json_integer((json_int_t)t->n)) != 0)
		return NULL;
	t->n++;
	return x;
}

/* One release line of one package's issue, as an OSV affected entry. */
static json_t *
affected_entry(const char *pkg, const char *eco, const json_t *rel, struct vuln_import_stats *st)
{
	const char *status = ward_json_str(rel, "status"),
		   *fv = ward_json_str(rel, "fixed_version");
	const char *urg = ward_json_str(rel, "urgency"), *nodsa = ward_json_str(rel, "nodsa");
	const char *why = ward_json_str(rel, "nodsa_reason"), *kind = NULL;
	json_t *a, *es = json_object(), *ranges = json_array();

	if (status == NULL) {
		st->malformed++;
		json_decref(es);
		json_decref(ranges);
		return NULL;
	}
	if (strcmp(status, "resolved") == 0) {
		if (fv == NULL || *fv == '\0') {
			st->warnings++; /* resolved without a version: nothing to match */
			json_decref(es);
			json_decref(ranges);
			return NULL;
		}
		if (strcmp(fv, "0") == 0)
			kind = "not-affected";
		else
			json_array_append_new(ranges, json_pack("{s:s,s:[{s:s},{s:s}]}", "type",
								"ECOSYSTEM", "events", "introduced",
								"0", "fixed", fv));
	} else {
		json_array_append_new(ranges, json_pack("{s:s,s:[{s:s}]}", "type", "ECOSYSTEM",
							"events", "introduced", "0"));
		if (strcmp(status, "undetermined") == 0)
			kind = "undetermined";
		else if (why != NULL && *why)
			kind = why;
		else if (nodsa != NULL)
			kind = "no-dsa";
		else if (urg != NULL && strcmp(urg, "end-of-life") == 0)
			kind = "end-of-life";
		else
			kind = "unfixed";
	}
	if (urg != NULL)
		json_object_set_new(es, "urgency", json_string(urg));
	if (kind != NULL)
		json_object_set_new(es, "kind", json_string(kind));
	if (nodsa != NULL && *nodsa)
		json_object_set_new(es, "reason", json_string(nodsa));
	a = json_pack("{s:{s:s,s:s},s:o,s:o}", "package", "ecosystem", eco, "name", pkg, "ranges",
		      ranges, "ecosystem_specific", es);
	return a;
}

static int
add_package(struct tracker *t, const char *pkg, const json_t *issues, const char *what,
	    struct vuln_import_stats *st)
{
	const char *id;
	json_t *issue;

	if (!json_is_object(issues)) {
		st->malformed++;
		if (st->first_error[0] == '\0')
			snprintf(st->first_error, sizeof(st->first_error),
				 "%s: %s: not an object of issues", what, pkg);
		return 0;
	}
	json_object_foreach((json_t *)issues, id, issue)
	{
		json_t *rels = json_object_get(issue, "releases"), *rel;
		const char *code;
		struct issue *x;
		if (!json_is_object(issue) || !json_is_object(rels) ||
		    (strncmp(id, "CVE-", 4) != 0 && strncmp(id, "TEMP-", 5) != 0)) {
			st->malformed++;
			if (st->first_error[0] == '\0')
				snprintf(st->first_error, sizeof(st->first_error),
					 "%s: %s %s: not a tracker issue", what, pkg, id);
			continue;
		}
		if ((x = issue_for(t, id, ward_json_str(issue, "description"))) == NULL)
			return -1;
		json_object_foreach(rels, code, rel)
		{
			const char *num = release_number(code);
			char eco[32];
			json_t *a;
			if (num == NULL) {
				st->skipped_releases++;
				continue;
			}
			snprintf(eco, sizeof(eco), "Debian:%s", num);
			if ((a = affected_entry(pkg, eco, rel, st)) == NULL)
				continue;
			json_array_append_new(json_object_get(x->rec, "affected"), a);
		}
	}
	return 0;
}

int
tracker_import(struct vuln_db *db, const void *data, size_t len, const char *what,
	       const char *source, time_t mtime, struct vuln_import_stats *st,
	       int (*put)(struct vuln_db *, const json_t *, const char *, const char *,
			  struct vuln_import_stats *))
{
	const char *s = data;
	struct tracker t = {0};
	size_t i = skip_ws(s, len, 0);
	char ts[32];
	int rc = -1;

	ward_time_rfc3339(mtime, ts);
	if (osv_time_canonical(ts, t.modified) != 0)
		return ward_err(WARD_EINPUT, "%s: bad file time", what);
	if ((t.index = json_object()) == NULL)
		return ward_err(WARD_EENV, "out of memory");
	st->files++;
	if (i >= len || s[i] != '{') {
		ward_err(WARD_EINPUT, "%s: not a Debian tracker export", what);
		goto out;
	}
	i = skip_ws(s, len, i + 1);
	while (i < len && s[i] != '}') {
		json_error_t e;
		json_t *key, *val;
		if ((key = read_key(s, len, &i, what)) == NULL)
			goto out;
		i = skip_ws(s, len, i);
		if (i >= len || s[i] != ':') {
			json_decref(key);
			ward_err(WARD_EINPUT, "%s: ':' expected at byte %zu", what, i);
			goto out;
		}
		i = skip_ws(s, len, i + 1);
		val = json_loadb(s + i, len - i, JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES,
				 &e);
		if (val == NULL || e.position <= 0) {
			ward_err(WARD_EINPUT, "%s: package %.100s: truncated or malformed: %s",
				 what, json_string_value(key), e.text);
			json_decref(key);
			json_decref(val);
			goto out;
		}
		i += (size_t)e.position;
		st->packages++;
		rc = add_package(&t, json_string_value(key), val, what, st);
		json_decref(key);
		json_decref(val);
		if (rc != 0)
			goto out;
		rc = -1;
		i = skip_ws(s, len, i);
		if (i < len && s[i] == ',')
			i = skip_ws(s, len, i + 1);
		else if (i >= len || s[i] != '}') {
			ward_err(WARD_EINPUT, "%s: ',' or '}' expected at byte %zu", what, i);
			goto out;
		}
	}
	if (i >= len) {
		ward_err(WARD_EINPUT, "%s: truncated (no closing '}')", what);
		goto out;
	}
	for (size_t k = 0; k < t.n; k++)
		if (put(db, t.v[k].rec, what, source, st) != 0)
			goto out;
	rc = 0;
out:
	for (size_t k = 0; k < t.n; k++) {
		free(t.v[k].id);
		json_decref(t.v[k].rec);
	}
	free(t.v);
	json_decref(t.index);
	return rc;
}
