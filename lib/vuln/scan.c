/*
 * scan.c: packages against the store, then one finding per vulnerability
 * per installed package, each with a status and its evidence.
 *
 * Each matched record is a candidate attributed to an owner: a Debian
 * binary package for its source's records and for the Python distributions
 * it ships, else the distribution itself.  Within an owner, candidates
 * whose ids or aliases meet are one vulnerability, decided in decide()
 * by the rules of docs/vuln-db.md ("Matching"): Debian's records first,
 * then the package's changelog, then (for a Python advisory about a
 * module Debian ships) the upstream version Debian packaged.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "deb/deb.h"
#include "vuln/vuln_internal.h"

struct cand {
	const struct vuln_pkg *pkg;   /* the component that matched */
	const struct vuln_pkg *owner; /* the package it is reported against */
	char *eco, *name, *version;   /* as matched */
	char *id;		      /* the record */
	int debian, matched;
	struct match_result m;
	struct db_info info;
	struct ward_strv ids;  /* the vulnerability's ids: the record's, or one CVE of a
				  record that fixes several (a DSA) */
	struct ward_strv data; /* PyPI: the record's entries, to evaluate again */
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
	ward_strv_free(&c->data);
}

/* Changelog evidence per owner without a changelog of its own, found once per scan. */
struct evidence {
	const struct vuln_pkg *owner; /* borrowed from the package list */
	const struct vuln_changelog *cl;
	struct vuln_changelog *own; /* read from the cache (the array moves: a pointer) */
};

struct scan {
	struct vuln_db *db;
	const struct vuln_pkglist *pkgs;
	struct vuln_report *out;
	struct vuln_scan_opts o;
	char *cache;
	struct vuln_debcache *dc;
	int dc_tried;
	struct cand *c;
	size_t n;
	struct evidence *ev;
	size_t nev;
};

const char *
vuln_status_name(int status)
{
	switch (status) {
	case VULN_AFFECTED:
		return "affected";
	case VULN_FIXED:
		return "fixed";
	case VULN_NOT_AFFECTED:
		return "not_affected";
	default:
		return "under_investigation";
	}
}

int
vuln_status_parse(const char *s)
{
	for (int i = VULN_AFFECTED; i <= VULN_NOT_AFFECTED; i++)
		if (s != NULL && strcmp(s, vuln_status_name(i)) == 0)
			return i;
	return -1;
}

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
is_debian(const struct vuln_pkg *p)
{
	return p->ecosystem != NULL && osv_ecosystem_kind(p->ecosystem) == OSV_DEBIAN;
}

static struct cand *
new_cand(struct scan *s)
{
	struct cand *c;

	if (ward_vec_grow(&s->c, s->n, sizeof(*s->c)) != 0)
		return NULL;
	c = &s->c[s->n++];
	memset(c, 0, sizeof(*c));
	return c;
}

static size_t
count_cves(const struct db_info *info, const char *id)
{
	size_t n = strncmp(id, "CVE-", 4) == 0;

	for (size_t i = 0; i < info->aliases.n; i++)
		n += strncmp(info->aliases.v[i], "CVE-", 4) == 0 &&
		     strcmp(info->aliases.v[i], id) != 0;
	return n;
}

/* One candidate per vulnerability the record is about: a record naming
 * several CVEs (a DSA, a DLA) fixes each of them, and is merged with each
 * one's own records, not one finding for all. */
static int
add_cands(struct scan *s, const struct vuln_pkg *p, const struct vuln_pkg *owner, int kind,
	  const char *name, const char *ver, const char *id, struct match_result *m, int matched,
	  const struct ward_strv *data)
{
	struct db_info info;
	size_t ncve;
	int rc = 0;

	if (db_vuln_info(s->db, id, &info) != 0)
		return -1;
	ncve = count_cves(&info, id);
	for (size_t k = 0; rc == 0 && k < (ncve > 1 ? info.aliases.n + 1 : 1); k++) {
		const char *cve = k == 0 ? id : info.aliases.v[k - 1];
		struct cand *c;
		if (ncve > 1 && (strncmp(cve, "CVE-", 4) != 0 || (k > 0 && strcmp(cve, id) == 0)))
			continue;
		if ((c = new_cand(s)) == NULL)
			return db_info_free(&info), -1;
		c->pkg = p;
		c->owner = owner;
		c->debian = kind == OSV_DEBIAN;
		c->matched = matched;
		c->eco = ward_strdup(p == owner || kind == OSV_PYPI ? p->ecosystem
								    : owner->ecosystem);
		c->name = ward_strdup(name);
		c->version = ward_strdup(ver);
		c->id = ward_strdup(id);
		rc = (!c->eco || !c->name || !c->version || !c->id) ? -1 : 0;
		if (rc == 0 &&
		    (m->fixed || m->note || m->urgency || m->kind || m->resolved_by || m->reason)) {
			/* each fan-out candidate keeps its own copy of the verdict */
			c->m.affected = m->affected;
			c->m.unevaluated = m->unevaluated;
			c->m.fixed_valid = m->fixed_valid;
			c->m.entries = m->entries;
			if ((m->fixed && !(c->m.fixed = ward_strdup(m->fixed))) ||
			    (m->note && !(c->m.note = ward_strdup(m->note))) ||
			    (m->urgency && !(c->m.urgency = ward_strdup(m->urgency))) ||
			    (m->kind && !(c->m.kind = ward_strdup(m->kind))) ||
			    (m->reason && !(c->m.reason = ward_strdup(m->reason))) ||
			    (m->resolved_by && !(c->m.resolved_by = ward_strdup(m->resolved_by))))
				rc = -1;
		} else {
			c->m.affected = m->affected;
			c->m.entries = m->entries;
		}
		if (rc == 0) {
			c->info.score = info.score;
			if ((info.summary && !(c->info.summary = ward_strdup(info.summary))) ||
			    (info.cvss && !(c->info.cvss = ward_strdup(info.cvss))))
				rc = -1;
		}
		if (rc == 0 && ncve > 1) {
			rc = ward_strv_push(&c->ids, cve);
		} else if (rc == 0) {
			rc = ward_strv_push(&c->ids, id);
			for (size_t i = 0; rc == 0 && i < info.aliases.n; i++)
				rc = ward_strv_push(&c->ids, info.aliases.v[i]);
		}
		for (size_t i = 0; rc == 0 && data && i < data->n; i++)
			rc = ward_strv_push(&c->data, data->v[i]);
	}
	db_info_free(&info);
	return rc;
}

char *
scan_lookup_name(const struct vuln_pkg *p)
{
	int kind = osv_ecosystem_kind(p->ecosystem);

	return matched_name(kind, kind == OSV_DEBIAN && p->source ? p->source : p->name);
}

/* `only` (fleet): may this record be a candidate? */
static int
allowed(const struct scan *s, const char *id)
{
	size_t lo = 0, hi;

	if (s->o.only == NULL)
		return 1;
	hi = s->o.only->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(s->o.only->v[mid], id);
		if (r == 0)
			return 1;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int
scan_pkg(struct scan *s, const struct vuln_pkg *p)
{
	int kind = osv_ecosystem_kind(p->ecosystem);
	const char *ver = kind == OSV_DEBIAN && p->source_version ? p->source_version : p->version;
	char *name = scan_lookup_name(p);
	const struct vuln_pkg *owner = owner_of(s->pkgs, p);
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
		struct ward_strv data = {0};
		size_t j = i;
		int r = 0;
		if (!allowed(s, hits[i].id)) {
			while (j < nh && strcmp(hits[j].id, hits[i].id) == 0)
				j++;
			i = j;
			continue;
		}
		for (; r == 0 && j < nh && strcmp(hits[j].id, hits[i].id) == 0; j++) {
			r = match_affected(hits[j].data, &installed, &m);
			if (r == 0 && kind == OSV_PYPI)
				r = ward_strv_push(&data, hits[j].data);
		}
		if (r == 0 && m.unevaluated && !m.affected)
			unevaluated++;
		if (r == 0 && m.affected)
			r = add_cands(s, p, owner, kind, name, ver, hits[i].id, &m, 1, &data);
		match_result_free(&m);
		ward_strv_free(&data);
		if (r != 0)
			goto out;
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

static int
meets(const struct ward_strv *a, const struct ward_strv *b)
{
	for (size_t i = 0; i < a->n; i++)
		if (ward_strv_contains(b, a->v[i]))
			return 1;
	return 0;
}

static int
have_cand(const struct scan *s, const struct vuln_pkg *owner, const char *id, int debian)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->c[i].owner == owner && s->c[i].debian == debian &&
		    strcmp(s->c[i].id, id) == 0)
			return 1;
	return 0;
}

/* Debian's verdicts on every vulnerability a candidate names: each record of
 * the owner's source that names the same vulnerability joins as a
 * candidate, matching or not.  A record whose fix is at or below the
 * installed version says "fixed": of a Python advisory about a module
 * Debian ships, and of an older open record (the DSA that fixed a no-dsa
 * issue later: the records merge by alias). */
static int
add_debian_verdicts(struct scan *s)
{
	size_t n0 = s->n;
	const struct vuln_pkg **done = NULL;
	size_t ndone = 0;
	int rc = 0;

	if ((done = ward_calloc(n0 + 1, sizeof(*done))) == NULL)
		return -1;
	for (size_t i = 0; rc == 0 && i < n0; i++) {
		const struct vuln_pkg *o = s->c[i].owner;
		struct db_hit *hits = NULL;
		size_t nh = 0, seen = 0;
		struct ver installed;
		char *name;
		if (!is_debian(o))
			continue;
		for (size_t k = 0; k < ndone; k++)
			seen |= done[k] == o;
		if (seen)
			continue;
		done[ndone++] = o;
		if ((name = matched_name(OSV_DEBIAN, o->source ? o->source : o->name)) == NULL) {
			rc = -1;
			break;
		}
		ver_init(&installed, OSV_DEBIAN,
			 o->source_version ? o->source_version : o->version);
		if (db_lookup(s->db, o->ecosystem, name, &hits, &nh) != 0)
			rc = -1;
		for (size_t h = 0; rc == 0 && h < nh;) {
			struct db_info info;
			size_t j = h;
			int names = 0;
			while (j < nh && strcmp(hits[j].id, hits[h].id) == 0)
				j++;
			if (have_cand(s, o, hits[h].id, 1) || !allowed(s, hits[h].id)) {
				h = j;
				continue;
			}
			if ((rc = db_vuln_info(s->db, hits[h].id, &info)) != 0)
				break;
			for (size_t c = 0; !names && c < n0; c++)
				names = s->c[c].owner == o &&
					(ward_strv_contains(&s->c[c].ids, hits[h].id) ||
					 meets(&info.aliases, &s->c[c].ids));
			if (names) {
				struct match_result m = {0};
				for (size_t k = h; rc == 0 && k < j; k++)
					rc = match_affected(hits[k].data, &installed, &m);
				if (rc == 0)
					rc = add_cands(s, o, o, OSV_DEBIAN, name, installed.s,
						       hits[h].id, &m, m.affected, NULL);
				match_result_free(&m);
			}
			db_info_free(&info);
			h = j;
		}
		ver_free(&installed);
		db_hits_free(hits, nh);
		free(name);
	}
	free(done);
	return rc;
}

/* ------------------------------------------------------------ evidence */

/* 1 when p is a Debian package built from source version (src, sv). */
static int
same_source(const struct vuln_pkg *p, const char *src, const char *sv)
{
	return is_debian(p) && strcmp(p->source ? p->source : p->name, src) == 0 &&
	       strcmp(p->source_version ? p->source_version : p->version, sv) == 0;
}

/* The changelog a finding of owner is judged by: the owner's own when the
 * target carries it; else that of the first package of the same source
 * version (in the list's order) the target carries one for; else the
 * owner's .deb in ward's cache (or a sibling's there).  Each choice
 * depends on the owner only, never on which owner of the source asked
 * first, so a finding's evidence does not depend on what else the scan
 * found (lib/fleet scans one advisory at a time and gets the same
 * finding). */
static const struct vuln_changelog *
changelog_of(struct scan *s, const struct vuln_pkg *owner)
{
	const char *src = owner->source ? owner->source : owner->name;
	const char *sv = owner->source_version ? owner->source_version : owner->version;
	struct evidence *e;

	if (s->o.no_backports)
		return NULL;
	if (owner->changelog != NULL)
		return owner->changelog;
	for (size_t i = 0; i < s->nev; i++)
		if (s->ev[i].owner == owner)
			return s->ev[i].cl;
	if ((e = ward_realloc(s->ev, (s->nev + 1) * sizeof(*e))) == NULL)
		return NULL;
	s->ev = e;
	e = &s->ev[s->nev++];
	memset(e, 0, sizeof(*e));
	e->owner = owner;
	/* another binary of the same source version the target carries one for,
	 * else the .deb in ward's cache */
	for (size_t i = 0; e->cl == NULL && i < s->pkgs->n; i++) {
		const struct vuln_pkg *p = &s->pkgs->v[i];
		if (p->changelog != NULL && same_source(p, src, sv))
			e->cl = p->changelog;
	}
	if (e->cl == NULL && s->cache != NULL && *s->cache) {
		if (!s->dc_tried && s->o.debcache != NULL) {
			s->dc_tried = 1;
			s->dc = s->o.debcache;
		} else if (!s->dc_tried) {
			s->dc_tried = 1;
			if ((s->dc = vuln_debcache_open(s->cache)) == NULL) {
				ward_warn("%s: not used for changelogs: %s", s->cache,
					  ward_errmsg());
				ward_err_clear();
			}
		}
		if (s->dc != NULL && (e->own = ward_calloc(1, sizeof(*e->own))) == NULL)
			return NULL;
		if (s->dc != NULL) {
			int r = vuln_debcache_changelog(s->dc, owner->name, owner->version,
							owner->arch, src, sv, e->own);
			if (r == 1) {
				e->cl = e->own;
			} else if (r < 0) {
				ward_warn("%s %s: no changelog evidence: %s", owner->name,
					  owner->version, ward_errmsg());
				ward_err_clear();
			}
		}
	}
	return e->cl;
}

/* Debian's upstream version as PEP 440: epoch, revision and repack
 * suffixes (+dfsg, +ds, ~rc) dropped.  NULL when it is not PEP 440. */
static char *
upstream_of(const char *debver)
{
	const char *v = debver, *colon = strchr(debver, ':');
	char *u, *cut;
	struct pep440 p;

	if (colon != NULL)
		v = colon + 1;
	if ((u = ward_strdup(v)) == NULL)
		return NULL;
	if ((cut = strrchr(u, '-')) != NULL)
		*cut = '\0';
	u[strcspn(u, "+~")] = '\0';
	if (*u == '\0' || pep440_parse(u, strlen(u), &p) != 0) {
		ward_err_clear();
		free(u);
		return NULL;
	}
	pep440_free(&p);
	return u;
}

/* ------------------------------------------------------------ deciding */

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
	if (r == 0)
		r = strcmp(a->ids.n ? a->ids.v[0] : "", b->ids.n ? b->ids.v[0] : "");
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

/* The changelog item naming any of the ids (CVE ids first). */
static const struct vuln_changelog_cve *
changelog_names(const struct vuln_changelog *cl, const struct ward_strv *ids)
{
	const struct vuln_changelog_cve *best = NULL;

	for (size_t i = 0; cl != NULL && i < ids->n; i++) {
		const struct vuln_changelog_cve *c = vuln_changelog_find(cl, ids->v[i]);
		if (c != NULL && (best == NULL || (best->reverted && !c->reverted)))
			best = c;
	}
	return best;
}

static int
changelog_line(struct vuln_finding *f, const struct vuln_changelog *cl,
	       const struct vuln_changelog_cve *c, const char *src)
{
	return ward_strv_pushf(&f->evidence, "changelog %s: %s (%s) names %s%s: \"%s\"",
			       cl->where ? cl->where : "(target)", src, c->version, c->id,
			       c->reverted ? " in a revert" : "", c->line);
}

static const char *
open_state(const struct cand *c)
{
	return c->m.kind ? c->m.kind : "unfixed";
}

/* Decide the group g (one owner, one vulnerability) into f; 1 when there
 * is a finding, 0 when there is none (naive mode: superseded). */
static int
decide(struct scan *s, struct cand **g, size_t n, struct vuln_finding *f, struct ward_strv *all)
{
	const struct vuln_pkg *owner = g[0]->owner;
	struct cand *dm = NULL, *dn = NULL, *py = NULL, *prim = NULL;
	const char *src = owner->source ? owner->source : owner->name;
	const char *sv = owner->source_version ? owner->source_version : owner->version;
	const struct vuln_changelog *cl = NULL;
	const struct vuln_changelog_cve *c = NULL;
	int rc = 0, naming;

	for (size_t i = 0; i < n; i++) {
		if (g[i]->debian && g[i]->matched) {
			/* of several open Debian records, one with a fixed version
			 * gives the upgrade */
			if (dm == NULL || (!dm->m.fixed && g[i]->m.fixed))
				dm = g[i];
		} else if (g[i]->debian) {
			if (dn == NULL || (!dn->m.resolved_by && g[i]->m.resolved_by))
				dn = g[i];
		} else if (py == NULL) {
			py = g[i];
		}
	}
	f->status = VULN_AFFECTED;
	if (s->o.no_backports || !is_debian(owner)) {
		/* a lone distribution: its Python advisories decide; naive mode:
		 * what main did, Debian's records superseding when they exist */
		if (is_debian(owner) && py != NULL && (dm || dn) && !dm)
			return 0;
		prim = dm ? dm : py;
		if (prim == NULL)
			return 0;
		f->basis = ward_strdup(s->o.no_backports ? "naive" : "pypi");
		rc |= dup_or_null(&f->fixed, prim->m.fixed);
		goto fill;
	}
	cl = changelog_of(s, owner);
	c = changelog_names(cl, all);
	naming = c != NULL && !c->reverted;
	if (dn != NULL) { /* Debian says fixed (or not affected) at this version */
		prim = dn;
		f->basis = ward_strdup("debian");
		if (dn->m.resolved_by) {
			f->status = VULN_FIXED;
			rc |= dup_or_null(&f->fixed, dn->m.resolved_by);
			rc |= ward_strv_pushf(&f->evidence, "%s (%s %s): fixed in %s; installed %s",
					      dn->id, dn->eco, src, dn->m.resolved_by, sv);
		} else {
			f->status = VULN_NOT_AFFECTED;
			f->justification = ward_strdup("vulnerable_code_not_present");
			rc |= ward_strv_pushf(&f->evidence, "%s (%s %s): %s%s%s", dn->id, dn->eco,
					      src, dn->m.kind ? dn->m.kind : "not affected",
					      dn->m.urgency ? ": " : "",
					      dn->m.urgency ? dn->m.urgency : "");
		}
		if (dm != NULL) {
			f->disagreement = ward_asprintf(
				"%s still lists it as %s for %s, but %s records the fix at or "
				"below the installed %s: the released fix wins (a later record "
				"cannot unrelease it; the open one is an older state)",
				dm->id, dm->m.fixed ? "affected" : open_state(dm), dm->eco, dn->id,
				sv);
			rc |= f->disagreement == NULL;
		}
		if (naming)
			rc |= changelog_line(f, cl, c, src);
		goto fill;
	}
	if (dm != NULL) {
		prim = dm;
		f->basis = ward_strdup("debian");
		if (dm->m.fixed) {
			rc |= dup_or_null(&f->fixed, dm->m.fixed);
			rc |= ward_strv_pushf(&f->evidence, "%s (%s %s): fixed in %s; installed %s",
					      dm->id, dm->eco, src, dm->m.fixed, sv);
			if (naming) {
				rc |= changelog_line(f, cl, c, src);
				f->disagreement = ward_asprintf(
					"the changelog names %s in %s, at or below the installed "
					"%s, but %s records the fix in %s: Debian's fixed version "
					"wins, since it names the upload that completes the fix "
					"(the earlier change was partial, or only mentions it)",
					c->id, c->version, sv, dm->id, dm->m.fixed);
				rc |= f->disagreement == NULL;
			}
		} else if (naming) {
			f->status = VULN_FIXED;
			free(f->basis);
			f->basis = ward_strdup("changelog");
			rc |= dup_or_null(&f->fixed, c->version);
			rc |= changelog_line(f, cl, c, src);
			rc |= ward_strv_pushf(&f->evidence, "%s (%s %s): %s%s%s", dm->id, dm->eco,
					      src, open_state(dm), dm->m.urgency ? ": " : "",
					      dm->m.urgency ? dm->m.urgency : "");
			f->disagreement = ward_asprintf(
				"%s lists it as %s for %s (no fix released), but the installed "
				"package's changelog names it in %s, at or below %s: the "
				"changelog wins: it is the package's own record of the upload, "
				"and the tracker's open state predates it or lacks it",
				dm->id, open_state(dm), dm->eco, c->version, sv);
			rc |= f->disagreement == NULL;
		} else {
			if (dm->m.kind && strcmp(dm->m.kind, "undetermined") == 0)
				f->status = VULN_UNDER_INVESTIGATION;
			rc |= ward_strv_pushf(
				&f->evidence, "%s (%s %s): %s%s%s%s%s; installed %s", dm->id,
				dm->eco, src, open_state(dm), dm->m.urgency ? ": " : "",
				dm->m.urgency ? dm->m.urgency : "", dm->m.reason ? "; " : "",
				dm->m.reason ? dm->m.reason : "", sv);
			if (c != NULL)
				rc |= changelog_line(f, cl, c, src);
		}
		goto fill;
	}
	/* only a Python advisory, about a module a Debian package ships */
	prim = py;
	rc |= dup_or_null(&f->upstream_fixed, py->m.fixed);
	rc |= ward_strv_pushf(&f->evidence, "%s (PyPI %s %s): affected%s%s", py->id, py->name,
			      py->version, py->m.fixed ? ", fixed upstream in " : "",
			      py->m.fixed ? py->m.fixed : "");
	if (naming) {
		f->status = VULN_FIXED;
		f->basis = ward_strdup("changelog");
		rc |= dup_or_null(&f->fixed, c->version);
		rc |= changelog_line(f, cl, c, src);
	} else {
		char *up = upstream_of(sv);
		int hit = 1;
		if (up != NULL) {
			struct ver u;
			hit = 0;
			ver_init(&u, OSV_PYPI, up);
			for (size_t i = 0; rc == 0 && i < n; i++) {
				struct match_result m = {0};
				if (g[i]->debian)
					continue;
				for (size_t k = 0; rc == 0 && k < g[i]->data.n; k++)
					rc |= match_affected(g[i]->data.v[k], &u, &m);
				hit |= m.affected || m.unevaluated;
				match_result_free(&m);
			}
			ver_free(&u);
		}
		if (up != NULL && !hit) {
			f->status = VULN_NOT_AFFECTED;
			f->basis = ward_strdup("upstream-version");
			f->justification = ward_strdup("vulnerable_code_not_present");
			rc |= ward_strv_pushf(
				&f->evidence,
				"%s %s packages upstream %s, outside the affected range of "
				"%s%s%s%s",
				src, sv, up, py->id, py->m.fixed ? " (fixed upstream in " : "",
				py->m.fixed ? py->m.fixed : "", py->m.fixed ? ")" : "");
		} else {
			f->status = VULN_UNDER_INVESTIGATION;
			f->basis = ward_strdup("upstream-advisory");
			rc |= ward_strv_pushf(
				&f->evidence,
				"no Debian record for %s in the store names it and the "
				"changelog of %s %s does not%s%s",
				src, src, sv, up ? "; upstream " : "", up ? up : "");
		}
		free(up);
	}
fill:
	if (prim == NULL)
		return 0;
	if (s->o.no_backports || !is_debian(owner)) {
		rc |= dup_or_null(&f->ecosystem, prim->eco);
		rc |= dup_or_null(&f->package, prim->name);
		rc |= dup_or_null(&f->version, prim->version);
	} else {
		char *lname = matched_name(OSV_DEBIAN, src);
		f->ecosystem = ward_strdup(owner->ecosystem);
		f->package = lname;
		f->version = ward_strdup(sv);
		rc |= !f->ecosystem || !f->package || !f->version;
	}
	rc |= dup_or_null(&f->urgency, prim->debian ? prim->m.urgency : NULL);
	rc |= dup_or_null(&f->kind, prim->debian ? prim->m.kind : NULL);
	rc |= dup_or_null(&f->reason, prim->debian ? prim->m.reason : NULL);
	rc |= dup_or_null(&f->note, prim->m.note);
	rc |= dup_or_null(&f->title, prim->info.summary);
	if (f->basis == NULL)
		rc = 1;
	return rc ? -1 : 1;
}

static int
push_finding(struct vuln_finding **v, size_t *n, struct vuln_finding *f)
{
	struct vuln_finding *nv = ward_realloc(*v, (*n + 1) * sizeof(**v));

	if (nv == NULL)
		return -1;
	*v = nv;
	(*v)[(*n)++] = *f;
	memset(f, 0, sizeof(*f));
	return 0;
}

static int
emit(struct scan *s, struct cand **g, size_t n)
{
	struct vuln_finding f = {0};
	struct ward_strv all = {0};
	double best = -1;
	const char *vec = NULL, *id, *title = NULL;
	int rc = 0, d;

	for (size_t i = 0; i < n; i++) {
		struct cand *c = g[i];
		for (size_t k = 0; k < c->ids.n; k++)
			if (!ward_strv_contains(&all, c->ids.v[k]))
				rc |= ward_strv_push(&all, c->ids.v[k]);
		if (!ward_strv_contains(&f.records, c->id))
			rc |= ward_strv_push(&f.records, c->id);
		if (c->info.cvss != NULL && c->info.score > best) {
			best = c->info.score;
			vec = c->info.cvss;
		}
		if (title == NULL)
			title = c->info.summary;
	}
	if (rc != 0)
		goto fail;
	ward_strv_sort(&all);
	ward_strv_sort(&f.records);
	if ((d = decide(s, g, n, &f, &all)) <= 0) {
		rc = d;
		goto fail;
	}
	id = canonical_id(&all, f.records.v[0]);
	for (size_t i = 0; i < all.n; i++)
		if (strcmp(all.v[i], id) != 0)
			rc |= ward_strv_push(&f.aliases, all.v[i]);
	rc |= dup_or_null(&f.id, id);
	if (f.title == NULL)
		rc |= dup_or_null(&f.title, title);
	rc |= dup_or_null(&f.owner, g[0]->owner->name);
	rc |= dup_or_null(&f.owner_version, g[0]->owner->version);
	rc |= dup_or_null(&f.purl, g[0]->owner->purl);
	rc |= dup_or_null(&f.cvss, vec);
	f.score = best;
	f.severity = vec ? vuln_severity_from_score(best) : vuln_severity_from_urgency(f.urgency);
	if (rc != 0)
		goto fail;
	ward_strv_free(&all);
	if (f.status == VULN_FIXED || f.status == VULN_NOT_AFFECTED)
		return push_finding(&s->out->resolved, &s->out->nresolved, &f);
	return push_finding(&s->out->findings, &s->out->nfindings, &f);
fail:
	ward_strv_free(&all);
	vuln_finding_free(&f);
	return rc;
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

int
vuln_finding_cmp(const void *x, const void *y)
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
		qsort(r->findings, r->nfindings, sizeof(*r->findings), vuln_finding_cmp);
	if (r->nresolved > 1)
		qsort(r->resolved, r->nresolved, sizeof(*r->resolved), vuln_finding_cmp);
	if (r->nsuppressed > 1)
		qsort(r->suppressed, r->nsuppressed, sizeof(*r->suppressed), vuln_finding_cmp);
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
	struct scan s = {0};
	int rc = 0;

	s.db = db;
	s.pkgs = pkgs;
	s.out = out;
	if (o != NULL)
		s.o = *o;
	memset(out, 0, sizeof(*out));
	if (!s.o.no_backports && (s.o.cache == NULL || *s.o.cache)) {
		s.cache = deb_cache_dir(s.o.cache);
		if (s.cache == NULL)
			ward_err_clear(); /* no cache anywhere: no cache evidence */
	}
	if (pkgs->target != NULL && (out->target = ward_strdup(pkgs->target)) == NULL)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < pkgs->target_ids.n; i++)
		rc |= ward_strv_push(&out->target_ids, pkgs->target_ids.v[i]);
	for (size_t i = 0; rc == 0 && i < pkgs->problems.n; i++)
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
		rc = add_debian_verdicts(&s);
	if (rc == 0)
		rc = group_and_emit(&s);
	for (size_t i = 0; i < s.n; i++)
		cand_free(&s.c[i]);
	free(s.c);
	for (size_t i = 0; i < s.nev; i++) {
		vuln_changelog_free(s.ev[i].own);
		free(s.ev[i].own);
	}
	free(s.ev);
	if (s.dc != s.o.debcache)
		vuln_debcache_close(s.dc);
	free(s.cache);
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
	free(f->justification);
	free(f->basis);
	ward_strv_free(&f->evidence);
	free(f->disagreement);
	free(f->upstream_fixed);
	free(f->reason);
	memset(f, 0, sizeof(*f));
}

void
vuln_report_free(struct vuln_report *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nfindings; i++)
		vuln_finding_free(&r->findings[i]);
	for (size_t i = 0; i < r->nresolved; i++)
		vuln_finding_free(&r->resolved[i]);
	for (size_t i = 0; i < r->nsuppressed; i++)
		vuln_finding_free(&r->suppressed[i]);
	free(r->findings);
	free(r->resolved);
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

static int
copy_str(char **dst, const char *src)
{
	*dst = src ? ward_strdup(src) : NULL;
	return src != NULL && *dst == NULL ? -1 : 0;
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
	dst->status = src->status;
	rc |= copy_str(&dst->id, src->id);
	rc |= copy_strv(&dst->aliases, &src->aliases);
	rc |= copy_strv(&dst->records, &src->records);
	rc |= copy_str(&dst->ecosystem, src->ecosystem);
	rc |= copy_str(&dst->package, src->package);
	rc |= copy_str(&dst->version, src->version);
	rc |= copy_str(&dst->fixed, src->fixed);
	rc |= copy_str(&dst->cvss, src->cvss);
	rc |= copy_str(&dst->urgency, src->urgency);
	rc |= copy_str(&dst->kind, src->kind);
	rc |= copy_str(&dst->reason, src->reason);
	rc |= copy_str(&dst->title, src->title);
	rc |= copy_str(&dst->owner, src->owner);
	rc |= copy_str(&dst->owner_version, src->owner_version);
	rc |= copy_str(&dst->purl, src->purl);
	rc |= copy_str(&dst->note, src->note);
	rc |= copy_str(&dst->vex_status, src->vex_status);
	rc |= copy_str(&dst->vex_justification, src->vex_justification);
	rc |= copy_str(&dst->vex_statement, src->vex_statement);
	rc |= copy_str(&dst->vex_source, src->vex_source);
	rc |= copy_str(&dst->justification, src->justification);
	rc |= copy_str(&dst->basis, src->basis);
	rc |= copy_strv(&dst->evidence, &src->evidence);
	rc |= copy_str(&dst->disagreement, src->disagreement);
	rc |= copy_str(&dst->upstream_fixed, src->upstream_fixed);
	if (rc != 0) {
		vuln_finding_free(dst);
		return -1;
	}
	return 0;
}
