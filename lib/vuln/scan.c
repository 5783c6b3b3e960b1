/*
 * scan.c: packages against the store, then one finding per vulnerability
 * per installed package.
 *
 * Each matched record is a candidate attributed to an owner: a Debian
 * binary package for its source's records and for the Python distributions
 * it ships, else the distribution itself.  Within an owner, candidates
 * whose ids or aliases meet are one vulnerability.  A PyPI candidate
 * whose vulnerability the owner's Debian source has a record for is
 * superseded: Debian's verdict (which knows backports) decides, and the
 * PyPI ids only add aliases.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vuln/vuln_internal.h"

struct cand {
	const struct vuln_pkg *pkg;   /* the component that matched */
	const struct vuln_pkg *owner; /* the package it is reported against */
	char *eco, *name, *version;   /* as matched */
	char *id;
	int debian, superseded;
	struct match_result m;
	struct db_info info;
	struct ward_strv ids; /* id and aliases */
	size_t group;
};

static void
cand_free(struct cand *c)
{
	free(c->eco);
	free(c->name);
	free(c->version);
	free(c->id);
	match_result_free(&c->m);
	db_info_free(&c->info);
	ward_strv_free(&c->ids);
}

struct scan {
	struct vuln_db *db;
	const struct vuln_pkglist *pkgs;
	struct vuln_report *out;
	struct cand *c;
	size_t n;
	const struct ward_strv *only; /* sorted record ids that may match; NULL: all */
};

static char *
matched_name(int kind, const char *name)
{
	char *s;

	if (kind == OSV_PYPI)
		return vuln_pep503_name(name);
	s = ward_strdup(name);
	for (char *p = s; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

/* The name p is looked up by in its ecosystem: the source package for
 * Debian, the PEP 503 name for PyPI (vuln_pkg_keys tells lib/fleet). */
char *
scan_lookup_name(const struct vuln_pkg *p)
{
	int kind = osv_ecosystem_kind(p->ecosystem);

	return matched_name(kind, kind == OSV_DEBIAN && p->source ? p->source : p->name);
}

static int
only_has(const struct ward_strv *only, const char *id)
{
	size_t lo = 0, hi = only->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(only->v[mid], id);
		if (r == 0)
			return 1;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int problem(struct vuln_report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
problem(struct vuln_report *r, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = ward_strv_vpushf(&r->problems, fmt, ap);
	va_end(ap);
	return rc;
}

static const struct vuln_pkg *
owner_of(const struct vuln_pkglist *l, const struct vuln_pkg *p)
{
	const struct vuln_pkg *o;

	if (p->owner != NULL && (o = vuln_pkglist_find_deb(l, p->owner)) != NULL)
		return o;
	return p;
}

static int
add_cand(struct scan *s, const struct vuln_pkg *p, int kind, const char *name, const char *ver,
	 const char *id, struct match_result *m)
{
	struct cand *c = ward_realloc(s->c, (s->n + 1) * sizeof(*c));

	if (c == NULL)
		return -1;
	s->c = c;
	c = &s->c[s->n++];
	memset(c, 0, sizeof(*c));
	c->pkg = p;
	c->owner = owner_of(s->pkgs, p);
	c->debian = kind == OSV_DEBIAN;
	c->m = *m;
	memset(m, 0, sizeof(*m));
	c->eco = ward_strdup(p->ecosystem);
	c->name = ward_strdup(name);
	c->version = ward_strdup(ver);
	c->id = ward_strdup(id);
	if (!c->eco || !c->name || !c->version || !c->id)
		return -1;
	if (db_vuln_info(s->db, id, &c->info) != 0)
		return -1;
	if (ward_strv_push(&c->ids, id) != 0)
		return -1;
	for (size_t i = 0; i < c->info.aliases.n; i++)
		if (ward_strv_push(&c->ids, c->info.aliases.v[i]) != 0)
			return -1;
	return 0;
}

static int
scan_pkg(struct scan *s, const struct vuln_pkg *p)
{
	int kind = osv_ecosystem_kind(p->ecosystem);
	const char *ver = kind == OSV_DEBIAN && p->source_version ? p->source_version : p->version;
	char *name = scan_lookup_name(p);
	struct db_hit *hits = NULL;
	size_t nh = 0, unevaluated = 0;
	struct ver installed;
	int rc = -1;

	if (name == NULL)
		return -1;
	ver_init(&installed, kind, ver);
	if (db_lookup(s->db, p->ecosystem, name, &hits, &nh) != 0)
		goto out;
	for (size_t i = 0; i < nh;) {
		struct match_result m = {0};
		size_t j = i;
		if (s->only != NULL && !only_has(s->only, hits[i].id)) {
			while (j < nh && strcmp(hits[j].id, hits[i].id) == 0)
				j++;
			i = j;
			continue;
		}
		for (; j < nh && strcmp(hits[j].id, hits[i].id) == 0; j++)
			if (match_affected(hits[j].data, &installed, &m) != 0) {
				match_result_free(&m);
				goto out;
			}
		if (m.unevaluated && !m.affected)
			unevaluated++;
		if (m.affected && add_cand(s, p, kind, name, ver, hits[i].id, &m) != 0) {
			match_result_free(&m);
			goto out;
		}
		match_result_free(&m);
		i = j;
	}
	if (!installed.valid &&
	    problem(s->out,
		    "%s %s %s: not a valid %s version; %zu advisories with version ranges "
		    "could not be evaluated (only exact versions[] entries were matched)",
		    p->ecosystem, name, ver, kind == OSV_PYPI ? "PEP 440" : "Debian",
		    unevaluated) != 0)
		goto out;
	rc = 0;
out:
	ver_free(&installed);
	db_hits_free(hits, nh);
	free(name);
	return rc;
}

/* ids and aliases of every Debian record for the owner's source. */
static int
debian_ids(struct scan *s, const struct vuln_pkg *owner, struct ward_strv *ids)
{
	char *name = matched_name(OSV_DEBIAN, owner->source ? owner->source : owner->name);
	struct db_hit *hits = NULL;
	size_t nh = 0;
	int rc = -1;

	if (name == NULL || db_lookup(s->db, owner->ecosystem, name, &hits, &nh) != 0)
		goto out;
	for (size_t i = 0; i < nh; i++) {
		struct db_info info;
		if (i > 0 && strcmp(hits[i].id, hits[i - 1].id) == 0)
			continue;
		if (db_vuln_info(s->db, hits[i].id, &info) != 0)
			goto out;
		ward_strv_push(ids, hits[i].id);
		for (size_t k = 0; k < info.aliases.n; k++)
			ward_strv_push(ids, info.aliases.v[k]);
		db_info_free(&info);
	}
	rc = 0;
out:
	db_hits_free(hits, nh);
	free(name);
	return rc;
}

static int
meets(const struct ward_strv *a, const struct ward_strv *b)
{
	for (size_t i = 0; i < a->n; i++)
		if (ward_strv_contains(b, a->v[i]))
			return 1;
	return 0;
}

static int
mark_superseded(struct scan *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct cand *c = &s->c[i];
		struct ward_strv ids = {0};
		if (c->debian || c->owner == c->pkg || c->owner->ecosystem == NULL ||
		    osv_ecosystem_kind(c->owner->ecosystem) != OSV_DEBIAN)
			continue;
		if (debian_ids(s, c->owner, &ids) != 0) {
			ward_strv_free(&ids);
			return -1;
		}
		c->superseded = meets(&c->ids, &ids);
		ward_strv_free(&ids);
	}
	return 0;
}

static int
cand_owner_cmp(const void *x, const void *y)
{
	const struct cand *a = x, *b = y;
	int r = strcmp(a->owner->name, b->owner->name);

	if (r == 0)
		r = strcmp(a->owner->version, b->owner->version);
	if (r == 0)
		r = (a->owner > b->owner) - (a->owner < b->owner);
	if (r == 0)
		r = strcmp(a->id, b->id);
	return r;
}

static size_t
find_root(size_t *parent, size_t i)
{
	while (parent[i] != i)
		i = parent[i] = parent[parent[i]];
	return i;
}

/* The id a finding is known by: a CVE, else a GHSA, else the first record. */
static const char *
canonical_id(const struct ward_strv *all, const char *first_record)
{
	const char *best = NULL;

	for (size_t i = 0; i < all->n; i++)
		if (strncmp(all->v[i], "CVE-", 4) == 0 && (!best || strcmp(all->v[i], best) < 0))
			best = all->v[i];
	for (size_t i = 0; best == NULL && i < all->n; i++)
		if (strncmp(all->v[i], "GHSA-", 5) == 0)
			for (size_t k = i; k < all->n; k++)
				if (strncmp(all->v[k], "GHSA-", 5) == 0 &&
				    (!best || strcmp(all->v[k], best) < 0))
					best = all->v[k];
	return best ? best : first_record;
}

static int
dup_or_null(char **dst, const char *s)
{
	*dst = s ? ward_strdup(s) : NULL;
	return s != NULL && *dst == NULL ? -1 : 0;
}

static int
emit(struct scan *s, struct cand **g, size_t n)
{
	struct vuln_finding f = {0}, *nf;
	struct cand *primary = NULL;
	struct ward_strv all = {0};
	double best = -1;
	const char *vec = NULL, *id;
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		struct cand *c = g[i];
		if (!c->superseded && (primary == NULL || (c->debian && !primary->debian)))
			primary = c;
		for (size_t k = 0; k < c->ids.n; k++)
			if (!ward_strv_contains(&all, c->ids.v[k]))
				rc |= ward_strv_push(&all, c->ids.v[k]);
		if (!ward_strv_contains(&f.records, c->id))
			rc |= ward_strv_push(&f.records, c->id);
		if (c->info.cvss != NULL && c->info.score > best) {
			best = c->info.score;
			vec = c->info.cvss;
		}
	}
	if (primary == NULL || rc != 0) { /* every candidate superseded by Debian */
		ward_strv_free(&all);
		ward_strv_free(&f.records);
		return rc;
	}
	ward_strv_sort(&all);
	ward_strv_sort(&f.records);
	id = canonical_id(&all, f.records.v[0]);
	for (size_t i = 0; i < all.n; i++)
		if (strcmp(all.v[i], id) != 0)
			rc |= ward_strv_push(&f.aliases, all.v[i]);
	rc |= dup_or_null(&f.id, id);
	rc |= dup_or_null(&f.ecosystem, primary->eco);
	rc |= dup_or_null(&f.package, primary->name);
	rc |= dup_or_null(&f.version, primary->version);
	rc |= dup_or_null(&f.fixed, primary->m.fixed);
	rc |= dup_or_null(&f.urgency, primary->m.urgency);
	rc |= dup_or_null(&f.kind, primary->m.kind);
	rc |= dup_or_null(&f.note, primary->m.note);
	rc |= dup_or_null(&f.title, primary->info.summary);
	rc |= dup_or_null(&f.owner, primary->owner->name);
	rc |= dup_or_null(&f.owner_version, primary->owner->version);
	rc |= dup_or_null(&f.purl, primary->owner->purl);
	rc |= dup_or_null(&f.cvss, vec);
	f.score = best;
	f.severity = vec ? vuln_severity_from_score(best) : vuln_severity_from_urgency(f.urgency);
	ward_strv_free(&all);
	if (rc == 0 &&
	    (nf = ward_realloc(s->out->findings, (s->out->nfindings + 1) * sizeof(*nf))) != NULL) {
		s->out->findings = nf;
		s->out->findings[s->out->nfindings++] = f;
		return 0;
	}
	vuln_finding_free(&f);
	return -1;
}

static int
group_and_emit(struct scan *s)
{
	size_t *parent = NULL;
	struct cand **g = NULL;
	int rc = 0;

	if (s->n == 0)
		return 0;
	qsort(s->c, s->n, sizeof(*s->c), cand_owner_cmp);
	if ((parent = ward_calloc(s->n, sizeof(*parent))) == NULL ||
	    (g = ward_calloc(s->n, sizeof(*g))) == NULL) {
		free(parent);
		return -1;
	}
	for (size_t i = 0; i < s->n; i++)
		parent[i] = i;
	for (size_t start = 0; rc == 0 && start < s->n;) {
		size_t end = start;
		while (end < s->n && s->c[end].owner == s->c[start].owner)
			end++;
		for (size_t i = start; i < end; i++)
			for (size_t j = i + 1; j < end; j++)
				if (meets(&s->c[i].ids, &s->c[j].ids))
					parent[find_root(parent, j)] = find_root(parent, i);
		for (size_t i = start; rc == 0 && i < end; i++) {
			size_t n = 0;
			if (find_root(parent, i) != i)
				continue;
			for (size_t j = start; j < end; j++)
				if (find_root(parent, j) == i)
					g[n++] = &s->c[j];
			rc = emit(s, g, n);
		}
		start = end;
	}
	free(parent);
	free(g);
	return rc;
}

static int
finding_cmp(const void *x, const void *y)
{
	const struct vuln_finding *a = x, *b = y;
	int r;

	if (a->severity != b->severity)
		return a->severity > b->severity ? -1 : 1;
	if ((r = strcmp(a->id, b->id)) != 0)
		return r;
	if ((r = strcmp(a->owner, b->owner)) != 0)
		return r;
	return strcmp(a->package, b->package);
}

void
report_sort(struct vuln_report *r)
{
	if (r->nfindings > 1)
		qsort(r->findings, r->nfindings, sizeof(*r->findings), finding_cmp);
	if (r->nsuppressed > 1)
		qsort(r->suppressed, r->nsuppressed, sizeof(*r->suppressed), finding_cmp);
}

int
vuln_scan(struct vuln_db *db, const struct vuln_pkglist *pkgs, struct vuln_report *out)
{
	return vuln_scan_with(db, pkgs, NULL, out);
}

int
vuln_scan_with(struct vuln_db *db, const struct vuln_pkglist *pkgs, const struct vuln_scan_opts *o,
	       struct vuln_report *out)
{
	struct scan s = {db, pkgs, out, NULL, 0, o ? o->only : NULL};
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (pkgs->target != NULL && (out->target = ward_strdup(pkgs->target)) == NULL)
		return -1;
	for (size_t i = 0; i < pkgs->target_ids.n; i++)
		rc |= ward_strv_push(&out->target_ids, pkgs->target_ids.v[i]);
	for (size_t i = 0; i < pkgs->problems.n; i++)
		rc |= ward_strv_push(&out->problems, pkgs->problems.v[i]);
	for (size_t i = 0; rc == 0 && i < pkgs->n; i++) {
		const struct vuln_pkg *p = &pkgs->v[i];
		if (p->ecosystem == NULL)
			continue; /* already a problem of the package list */
		if (osv_ecosystem_kind(p->ecosystem) == OSV_OTHER) {
			rc = problem(out, "%s %s %s: no matcher for this ecosystem: not scanned",
				     p->ecosystem, p->name, p->version);
			continue;
		}
		out->packages++;
		rc = scan_pkg(&s, p);
	}
	if (rc == 0)
		rc = mark_superseded(&s);
	if (rc == 0)
		rc = group_and_emit(&s);
	for (size_t i = 0; i < s.n; i++)
		cand_free(&s.c[i]);
	free(s.c);
	if (rc != 0) {
		vuln_report_free(out);
		return -1;
	}
	report_sort(out);
	return 0;
}

void
vuln_finding_free(struct vuln_finding *f)
{
	free(f->id);
	ward_strv_free(&f->aliases);
	ward_strv_free(&f->records);
	free(f->ecosystem);
	free(f->package);
	free(f->version);
	free(f->fixed);
	free(f->cvss);
	free(f->urgency);
	free(f->kind);
	free(f->title);
	free(f->owner);
	free(f->owner_version);
	free(f->purl);
	free(f->note);
	free(f->vex_status);
	free(f->vex_justification);
	free(f->vex_statement);
	free(f->vex_source);
	memset(f, 0, sizeof(*f));
}

static int
copy_strv(struct ward_strv *dst, const struct ward_strv *src)
{
	for (size_t i = 0; i < src->n; i++)
		if (ward_strv_push(dst, src->v[i]) != 0)
			return -1;
	return 0;
}

int
vuln_finding_copy(struct vuln_finding *dst, const struct vuln_finding *src)
{
	int rc = 0;

	memset(dst, 0, sizeof(*dst));
	dst->severity = src->severity;
	dst->score = src->score;
	rc |= dup_or_null(&dst->id, src->id);
	rc |= copy_strv(&dst->aliases, &src->aliases);
	rc |= copy_strv(&dst->records, &src->records);
	rc |= dup_or_null(&dst->ecosystem, src->ecosystem);
	rc |= dup_or_null(&dst->package, src->package);
	rc |= dup_or_null(&dst->version, src->version);
	rc |= dup_or_null(&dst->fixed, src->fixed);
	rc |= dup_or_null(&dst->cvss, src->cvss);
	rc |= dup_or_null(&dst->urgency, src->urgency);
	rc |= dup_or_null(&dst->kind, src->kind);
	rc |= dup_or_null(&dst->title, src->title);
	rc |= dup_or_null(&dst->owner, src->owner);
	rc |= dup_or_null(&dst->owner_version, src->owner_version);
	rc |= dup_or_null(&dst->purl, src->purl);
	rc |= dup_or_null(&dst->note, src->note);
	rc |= dup_or_null(&dst->vex_status, src->vex_status);
	rc |= dup_or_null(&dst->vex_justification, src->vex_justification);
	rc |= dup_or_null(&dst->vex_statement, src->vex_statement);
	rc |= dup_or_null(&dst->vex_source, src->vex_source);
	if (rc != 0) {
		vuln_finding_free(dst);
		return -1;
	}
	return 0;
}

void
vuln_report_free(struct vuln_report *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nfindings; i++)
		vuln_finding_free(&r->findings[i]);
	for (size_t i = 0; i < r->nsuppressed; i++)
		vuln_finding_free(&r->suppressed[i]);
	free(r->findings);
	free(r->suppressed);
	ward_strv_free(&r->problems);
	ward_strv_free(&r->warnings);
	ward_strv_free(&r->target_ids);
	free(r->target);
	memset(r, 0, sizeof(*r));
}

int
vuln_report_worst(const struct vuln_report *r)
{
	int worst = -1;

	for (size_t i = 0; i < r->nfindings; i++)
		if (r->findings[i].severity > worst)
			worst = r->findings[i].severity;
	return worst;
}
