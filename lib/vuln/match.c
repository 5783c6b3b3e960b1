/*
 * match.c: is an installed version inside an OSV `affected` entry?
 *
 * OSV semantics (FORMATS.md): the events of each ECOSYSTEM range are sorted
 * by version ("0" lowest, stable for ties) and walked: introduced switches
 * "affected" on, fixed and limit switch it off at or above their version,
 * last_affected above it.  A hit in versions[] also counts.  An event
 * version the ecosystem cannot order is left out of the walk and named in
 * the finding's note, so the record is never silently dropped.
 */
#include <stdlib.h>
#include <string.h>

#include "deb/deb.h"
#include "vuln/vuln_internal.h"

int
ver_init(struct ver *v, int kind, const char *s)
{
	memset(v, 0, sizeof(*v));
	v->kind = kind;
	v->s = s;
	if (strcmp(s, "0") == 0) {
		v->zero = 1;
		v->valid = 1;
	} else if (kind == OSV_PYPI) {
		v->valid = pep440_parse(s, strlen(s), &v->p) == 0;
	} else if (kind == OSV_DEBIAN) {
		v->valid = deb_version_check(s, "version") == 0;
	}
	if (!v->valid)
		ward_err_clear();
	return v->valid ? 0 : -1;
}

void
ver_free(struct ver *v)
{
	if (v->kind == OSV_PYPI && v->valid && !v->zero)
		pep440_free(&v->p);
}

/* Both valid. "0" is below everything. */
int
ver_cmp(const struct ver *a, const struct ver *b)
{
	if (a->zero || b->zero)
		return a->zero == b->zero ? 0 : a->zero ? -1 : 1;
	if (a->kind == OSV_PYPI)
		return pep440_cmp(&a->p, &b->p);
	return deb_version_cmp(a->s, b->s);
}

struct event {
	int type; /* 0 introduced, 1 fixed, 2 last_affected, 3 limit */
	struct ver v;
	size_t order;
};

static int
event_cmp(const void *x, const void *y)
{
	const struct event *a = x, *b = y;
	int r = ver_cmp(&a->v, &b->v);

	if (r != 0)
		return r;
	return a->order < b->order ? -1 : a->order > b->order;
}

static int
add_note(struct match_result *m, const char *bad)
{
	char *s = ward_asprintf(
		"advisory version \"%s\" cannot be ordered and was left out of the range", bad);

	if (s == NULL)
		return -1;
	if (m->note == NULL) {
		m->note = s;
	} else if (strstr(m->note, s) == NULL) {
		char *j = ward_asprintf("%s; %s", m->note, s);
		free(s);
		if (j == NULL)
			return -1;
		free(m->note);
		m->note = j;
	} else {
		free(s);
	}
	return 0;
}

/* Keep the lowest fixed version above the installed one. */
static int
offer_fixed(struct match_result *m, const struct ver *installed, const struct ver *fixed)
{
	if (ver_cmp(fixed, installed) <= 0)
		return 0;
	if (m->fixed != NULL && m->fixed_valid) {
		struct ver cur;
		int better;
		ver_init(&cur, installed->kind, m->fixed);
		better = ver_cmp(fixed, &cur) < 0;
		ver_free(&cur);
		if (!better)
			return 0;
	}
	free(m->fixed);
	m->fixed_valid = 1;
	return (m->fixed = ward_strdup(fixed->s)) == NULL ? -1 : 0;
}

/* Keep the highest fixed version at or below the installed one: the fix
 * that makes a not-affected verdict. */
static int
offer_resolved(struct match_result *m, const struct ver *fixed)
{
	if (m->resolved_by != NULL) {
		struct ver cur;
		int better;
		if (ver_init(&cur, fixed->kind, m->resolved_by) != 0) {
			ver_free(&cur);
			better = 1;
		} else {
			better = ver_cmp(fixed, &cur) > 0;
			ver_free(&cur);
		}
		if (!better)
			return 0;
	}
	free(m->resolved_by);
	return (m->resolved_by = ward_strdup(fixed->s)) == NULL ? -1 : 0;
}

static int
eval_range(const json_t *range, const struct ver *installed, struct match_result *m, int *hit)
{
	static const char *const names[] = {"introduced", "fixed", "last_affected", "limit"};
	json_t *events = json_object_get(range, "events"), *e;
	struct event *ev;
	size_t n = 0, i;
	int affected = 0, rc = 0;
	const char *bad_fixed = NULL;

	*hit = 0;
	if ((ev = ward_calloc(json_array_size(events) + 1, sizeof(*ev))) == NULL)
		return -1;
	json_array_foreach(events, i, e)
	{
		for (int t = 0; t < 4; t++) {
			const char *s = ward_json_str(e, names[t]);
			if (s == NULL)
				continue;
			if (ver_init(&ev[n].v, installed->kind, s) != 0) {
				if (add_note(m, s) != 0)
					rc = -1;
				if (t == 1 && bad_fixed == NULL)
					bad_fixed = s;
				break;
			}
			ev[n].type = t;
			ev[n].order = i;
			n++;
			break;
		}
	}
	qsort(ev, n, sizeof(*ev), event_cmp);
	for (i = 0; i < n; i++) {
		int c = ver_cmp(installed, &ev[i].v);
		if (ev[i].type == 0 && (ev[i].v.zero || c >= 0))
			affected = 1;
		else if ((ev[i].type == 1 || ev[i].type == 3) && c >= 0) {
			if (affected && ev[i].type == 1 && rc == 0)
				rc = offer_resolved(m, &ev[i].v);
			affected = 0;
		} else if (ev[i].type == 2 && c > 0)
			affected = 0;
	}
	if (affected) {
		*hit = 1;
		for (i = 0; rc == 0 && i < n; i++)
			if (ev[i].type == 1)
				rc = offer_fixed(m, installed, &ev[i].v);
		if (rc == 0 && bad_fixed != NULL && m->fixed == NULL)
			rc = (m->fixed = ward_strdup(bad_fixed)) == NULL ? -1 : 0;
	}
	for (i = 0; i < n; i++)
		ver_free(&ev[i].v);
	free(ev);
	return rc;
}

int
match_affected(const char *data, const struct ver *installed, struct match_result *m)
{
	json_t *j = json_loads(data, 0, NULL), *x;
	size_t i;
	int rc = 0, hit;

	if (j == NULL)
		return ward_err(WARD_EINPUT, "vulnerability store: damaged affected entry");
	json_array_foreach(json_object_get(j, "versions"), i, x)
	{
		const char *s = json_string_value(x);
		struct ver v;
		if (s == NULL)
			continue;
		if (strcmp(s, installed->s) == 0) {
			m->affected = 1;
			break;
		}
		if (installed->valid && ver_init(&v, installed->kind, s) == 0) {
			int eq = ver_cmp(&v, installed) == 0;
			ver_free(&v);
			if (eq) {
				m->affected = 1;
				break;
			}
		}
	}
	json_array_foreach(json_object_get(j, "ranges"), i, x)
	{
		const char *type = ward_json_str(x, "type");
		if (type == NULL || strcmp(type, "ECOSYSTEM") != 0)
			continue;
		if (!installed->valid) {
			m->unevaluated = 1;
			continue;
		}
		if ((rc = eval_range(x, installed, m, &hit)) != 0)
			break;
		if (hit)
			m->affected = 1;
	}
	m->entries++;
	if (rc == 0) { /* Debian's urgency and kind, also for a not-affected verdict */
		json_t *es = json_object_get(j, "ecosystem_specific");
		const char *u = ward_json_str(es, "urgency"), *k = ward_json_str(es, "kind");
		const char *why = ward_json_str(es, "reason");
		if (why != NULL && m->reason == NULL)
			m->reason = ward_strdup(why);
		if (u != NULL && m->urgency == NULL)
			m->urgency = ward_strdup(u);
		if (k != NULL && m->kind == NULL)
			m->kind = ward_strdup(k);
	}
	json_decref(j);
	return rc;
}

void
match_result_free(struct match_result *m)
{
	free(m->fixed);
	free(m->note);
	free(m->urgency);
	free(m->kind);
	free(m->resolved_by);
	free(m->reason);
	memset(m, 0, sizeof(*m));
}
