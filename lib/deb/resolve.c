/* resolve.c: the dependency closure of the requested packages.
 *
 * Breadth-first and greedy, in a fixed order, so the same indices and the
 * same request always give the same result: requested packages sorted by
 * name; each chosen package's Pre-Depends then Depends, in the order
 * written; a dependency already met by a chosen package (or one it
 * provides) adds an edge; otherwise its first alternative that has an
 * acceptable candidate is chosen (real packages newest first, then
 * providers by Priority and name).  Candidates that the distroless policy
 * forbids, or that ward.yaml excludes, are never chosen: when nothing else
 * can satisfy a dependency, the edge is cut and recorded.  Recommends,
 * Suggests and Essential/required packages are not pulled in. */
#include <stdlib.h>
#include <string.h>

#include "deb/deb_internal.h"

#define ROOT_REQUESTER ((size_t)-1)

struct chosen {
	const struct deb_pkg *pkg;
	size_t parent; /* first requirer, ROOT_REQUESTER for ward.yaml */
	int requested;
	struct ward_strv required_by;
};

struct state {
	const struct deb_universe *u;
	const struct deb_request *req;
	const char *arch;
	struct chosen *v;
	size_t n, cap;
	struct name_map by_name;
	struct deb_lock_cut *cuts;
	size_t ncuts;
};

static int
chosen_index(const struct state *s, const char *name, size_t *i)
{
	return name_map_get(&s->by_name, name, i);
}

static int
is_chosen(const struct state *s, const struct deb_pkg *p)
{
	size_t i;

	return chosen_index(s, p->name, &i) && s->v[i].pkg == p;
}

/* chain(s, i, out): "ward.yaml -> a -> b" for chosen package i. */
static void
chain(const struct state *s, size_t i, struct ward_buf *out)
{
	size_t path[64], n = 0;

	for (size_t k = i; k != ROOT_REQUESTER && n < 64; k = s->v[k].parent)
		path[n++] = k;
	ward_buf_puts(out, "ward.yaml");
	while (n > 0)
		ward_buf_printf(out, " -> %s", s->v[path[--n]].pkg->name);
}

static int
arch_ok(const struct deb_rel *r, const struct deb_pkg *p, const char *arch)
{
	if (r->archq == NULL || strcmp(r->archq, "native") == 0)
		return 1;
	if (strcmp(r->archq, "any") == 0)
		return p->multi_arch != NULL && strcmp(p->multi_arch, "allowed") == 0;
	return strcmp(r->archq, arch) == 0 || strcmp(p->arch, r->archq) == 0;
}

static int
provider_ok(const struct deb_rel *r, const struct deb_provider *pr, const char *arch)
{
	if (r->op != DEB_REL_NONE &&
	    (pr->version == NULL || !deb_rel_holds(r->op, pr->version, r->version)))
		return 0;
	return arch_ok(r, pr->pkg, arch);
}

/* met(s, r, self, who): the chosen package that satisfies r, or SIZE_MAX. */
static size_t
met(const struct state *s, const struct deb_rel *r)
{
	const struct deb_provider *prov;
	size_t i, n;

	if (chosen_index(s, r->name, &i)) {
		const struct deb_pkg *p = s->v[i].pkg;
		if (arch_ok(r, p, s->arch) &&
		    (r->op == DEB_REL_NONE || deb_rel_holds(r->op, p->version, r->version)))
			return i;
	}
	prov = deb_universe_providers(s->u, r->name, &n);
	for (size_t k = 0; k < n; k++)
		if (provider_ok(r, &prov[k], s->arch) && is_chosen(s, prov[k].pkg) &&
		    chosen_index(s, prov[k].pkg->name, &i))
			return i;
	return (size_t)-1;
}

static int
priority_rank(const char *p)
{
	static const char *const order[] = {"required", "important", "standard", "optional",
					    "extra"};

	for (int i = 0; p != NULL && i < 5; i++)
		if (strcmp(p, order[i]) == 0)
			return i;
	return 5;
}

static int
cmp_provider(const void *a, const void *b)
{
	const struct deb_provider *x = a, *y = b;
	int c = priority_rank(x->pkg->priority) - priority_rank(y->pkg->priority);

	if (c != 0)
		return c;
	if ((c = strcmp(x->pkg->name, y->pkg->name)) != 0)
		return c;
	if ((c = deb_version_cmp(y->pkg->version, x->pkg->version)) != 0)
		return c;
	return x->pkg->index < y->pkg->index ? -1 : (x->pkg->index > y->pkg->index);
}

/* blocked(s, name, why): 1 (and the reason appended) when the policy or
 * the spec keeps this package out. */
static int
mentioned(struct ward_buf *why, const char *name)
{
	const char *p = why->len ? ward_buf_cstr(why) : "";
	size_t n = strlen(name);

	if (p == NULL)
		return 1; /* a failed text (sticky): appends are refused anyway */
	for (; (p = strstr(p, name)) != NULL; p += n)
		if ((p == (const char *)why->data ||
		     (p >= (const char *)why->data + 2 && p[-2] == ';')) &&
		    p[n] == ':')
			return 1;
	return 0;
}

static int
blocked(const struct state *s, const char *name, struct ward_buf *why)
{
	const char *cat;

	if (ward_strv_contains(s->req->exclude, name)) {
		if (!mentioned(why, name))
			ward_buf_printf(why, "%s%s: excluded by ward.yaml", why->len ? "; " : "",
					name);
		return 1;
	}
	cat = deb_forbidden_package(name);
	if (cat != NULL && !ward_strv_contains(s->req->allow, name)) {
		if (!mentioned(why, name))
			ward_buf_printf(why, "%s%s: %s (distroless policy)", why->len ? "; " : "",
					name, cat);
		return 1;
	}
	return 0;
}

static int
choose(struct state *s, const struct deb_pkg *p, size_t parent, int requested)
{
	struct chosen *c;

	if (ward_vec_reserve(&s->v, &s->cap, s->n + 1, sizeof(*s->v)) != 0)
		return -1;
	c = &s->v[s->n];
	memset(c, 0, sizeof(*c));
	c->pkg = p;
	c->parent = parent;
	c->requested = requested;
	if (name_map_put(&s->by_name, p->name, s->n) != 0)
		return -1;
	s->n++;
	return 0;
}

static int
add_edge(struct state *s, size_t target, size_t from)
{
	const char *name = s->v[from].pkg->name;

	if (target == from || ward_strv_contains(&s->v[target].required_by, name))
		return 0;
	return ward_strv_push(&s->v[target].required_by, name);
}

static int
add_cut(struct state *s, size_t from, const char *field, const struct deb_rel_group *g,
	const char *why)
{
	struct deb_lock_cut *c;
	struct ward_buf dep = {0};

	if (ward_vec_grow(&s->cuts, s->ncuts, sizeof(*s->cuts)) != 0)
		return -1;
	c = &s->cuts[s->ncuts];
	memset(c, 0, sizeof(*c));
	if (deb_rel_group_format(g, &dep) != 0)
		return -1;
	c->package = ward_strdup(s->v[from].pkg->name);
	c->version = ward_strdup(s->v[from].pkg->version);
	c->field = ward_strdup(field);
	c->dependency = ward_buf_steal(&dep);
	c->reason = ward_strdup(why);
	s->ncuts++;
	if (!c->package || !c->version || !c->field || !c->dependency || !c->reason)
		return -1;
	ward_debug("cut %s %s: %s (%s)", c->package, field, c->dependency, why);
	return 0;
}

/* unsatisfiable: the one-line error for a dependency nothing can meet. */
static int
unsatisfiable(const struct state *s, size_t from, const char *field, const struct deb_rel_group *g)
{
	struct ward_buf msg = {0}, dep = {0};
	const struct deb_rel *r = &g->alts[0];
	size_t n, i;

	deb_rel_group_format(g, &dep);
	chain(s, from, &msg);
	if (chosen_index(s, r->name, &i))
		ward_buf_printf(&msg, " (%s %s is already chosen for %s)", r->name,
				s->v[i].pkg->version,
				s->v[i].requested ? "ward.yaml" : s->v[s->v[i].parent].pkg->name);
	else if (deb_universe_versions(s->u, r->name, &n) != NULL)
		ward_buf_printf(&msg, " (available: %s %s)", r->name,
				deb_universe_versions(s->u, r->name, &n)[0]->version);
	else if (deb_universe_providers(s->u, r->name, &n) == NULL)
		ward_buf_printf(&msg, " (%s is in no index)", r->name);
	ward_err(WARD_EINPUT, "unsatisfiable dependency: %s %s %s: %s; chain: %s",
		 s->v[from].pkg->name, s->v[from].pkg->version, field,
		 ward_str_or_none(ward_buf_cstr(&dep)), ward_str_or_none(ward_buf_cstr(&msg)));
	ward_buf_free(&msg);
	ward_buf_free(&dep);
	return -1;
}

/* satisfy: one dependency group of chosen package `from`. */
static int
satisfy(struct state *s, size_t from, const char *field, const struct deb_rel_group *g)
{
	struct ward_buf why = {0};
	const struct deb_pkg *pick = NULL;
	int applicable = 0, rc;

	for (size_t a = 0; a < g->n; a++) {
		size_t i;
		if (!deb_rel_applies(&g->alts[a], s->arch))
			continue;
		applicable = 1;
		if ((i = met(s, &g->alts[a])) != (size_t)-1)
			return add_edge(s, i, from);
	}
	if (!applicable)
		return 0; /* restricted to other architectures */
	for (size_t a = 0; a < g->n && pick == NULL; a++) {
		const struct deb_rel *r = &g->alts[a];
		const struct deb_pkg *const *vs;
		const struct deb_provider *prov;
		size_t n, i;
		if (!deb_rel_applies(r, s->arch))
			continue;
		vs = deb_universe_versions(s->u, r->name, &n);
		for (size_t k = 0; k < n && pick == NULL; k++) {
			if (!arch_ok(r, vs[k], s->arch) ||
			    (r->op != DEB_REL_NONE &&
			     !deb_rel_holds(r->op, vs[k]->version, r->version)))
				continue;
			if (chosen_index(s, vs[k]->name, &i))
				break; /* another version is already in: cannot have both */
			if (!blocked(s, vs[k]->name, &why))
				pick = vs[k];
			break; /* the newest acceptable version, or none of this name */
		}
		prov = deb_universe_providers(s->u, r->name, &n);
		if (pick == NULL && n > 0) {
			struct deb_provider *sorted = ward_reallocarray(NULL, n, sizeof(*sorted));
			if (sorted == NULL) {
				ward_buf_free(&why);
				return -1;
			}
			memcpy(sorted, prov, n * sizeof(*sorted));
			ward_qsort(sorted, n, sizeof(*sorted), cmp_provider);
			for (size_t k = 0; k < n && pick == NULL; k++) {
				if (!provider_ok(r, &sorted[k], s->arch) ||
				    chosen_index(s, sorted[k].pkg->name, &i))
					continue;
				if (!blocked(s, sorted[k].pkg->name, &why))
					pick = sorted[k].pkg;
			}
			free(sorted);
		}
	}
	if (pick != NULL) {
		ward_buf_free(&why);
		if (choose(s, pick, from, 0) != 0)
			return -1;
		return add_edge(s, s->n - 1, from);
	}
	if (why.len > 0 || why.failed) {
		const char *w = ward_buf_cstr(&why);
		rc = w != NULL ? add_cut(s, from, field, g, w) : -1;
		ward_buf_free(&why);
		return rc;
	}
	return unsatisfiable(s, from, field, g);
}

static int
process(struct state *s, size_t i)
{
	static const char *const fields[] = {"Pre-Depends", "Depends"};

	for (size_t f = 0; f < 2; f++) {
		const char *text = deb_para_get(s->v[i].pkg->para, fields[f]);
		struct deb_relations r;
		char what[256];
		if (text == NULL)
			continue;
		snprintf(what, sizeof(what), "%s %s %s", s->v[i].pkg->name, s->v[i].pkg->version,
			 fields[f]);
		if (deb_relations_parse(text, what, &r) != 0)
			return -1;
		for (size_t g = 0; g < r.n; g++)
			if (satisfy(s, i, fields[f], &r.groups[g]) != 0) {
				deb_relations_free(&r);
				return -1;
			}
		deb_relations_free(&r);
	}
	return 0;
}

/* request_one: a package named in ward.yaml ("name" or "name=version"). */
static int
request_one(struct state *s, const char *spec)
{
	const char *eq = strchr(spec, '=');
	char name[256];
	size_t len = eq ? (size_t)(eq - spec) : strlen(spec), n, i;
	const struct deb_pkg *const *vs;
	const char *cat;

	if (len == 0 || len >= sizeof(name))
		return ward_err(WARD_EINPUT, "ward.yaml: invalid package \"%s\"", spec);
	memcpy(name, spec, len);
	name[len] = '\0';
	if (chosen_index(s, name, &i))
		return ward_err(WARD_EINPUT, "ward.yaml: package %s is listed twice", name);
	if (ward_strv_contains(s->req->exclude, name))
		return ward_err(WARD_EINPUT, "ward.yaml: %s is both in packages and in exclude",
				name);
	cat = deb_forbidden_package(name);
	if (cat != NULL && !ward_strv_contains(s->req->allow, name))
		return ward_err(WARD_EINPUT,
				"%s is forbidden by the distroless policy (%s); chain: "
				"ward.yaml -> %s; list it under allow: to accept it",
				name, cat, name);
	vs = deb_universe_versions(s->u, name, &n);
	if (n == 0) {
		const struct deb_provider *prov = deb_universe_providers(s->u, name, &n);
		struct ward_buf b = {0};
		if (n == 0)
			return ward_err(WARD_EINPUT,
					"package %s is in none of the indices; chain: "
					"ward.yaml -> %s",
					name, name);
		for (size_t k = 0; k < n && k < 8; k++)
			ward_buf_printf(&b, "%s%s", k ? ", " : "", prov[k].pkg->name);
		ward_err(WARD_EINPUT,
			 "%s is a virtual package provided by %s%s: name one of them "
			 "in ward.yaml",
			 name, ward_str_or_none(ward_buf_cstr(&b)), n > 8 ? ", ..." : "");
		ward_buf_free(&b);
		return -1;
	}
	if (eq == NULL)
		return choose(s, vs[0], ROOT_REQUESTER, 1);
	for (size_t k = 0; k < n; k++)
		if (deb_version_cmp(vs[k]->version, eq + 1) == 0)
			return choose(s, vs[k], ROOT_REQUESTER, 1);
	return ward_err(WARD_EINPUT, "package %s has no version %s (newest: %s)", name, eq + 1,
			vs[0]->version);
}

/* conflicting(s, r, self): a chosen package other than self that r names
 * (by name and version, or through Provides), or SIZE_MAX. */
static size_t
conflicting(const struct state *s, const struct deb_rel *r, size_t self)
{
	const struct deb_provider *prov;
	size_t i, n;

	if (chosen_index(s, r->name, &i) && i != self &&
	    (r->op == DEB_REL_NONE || deb_rel_holds(r->op, s->v[i].pkg->version, r->version)))
		return i;
	prov = deb_universe_providers(s->u, r->name, &n);
	for (size_t k = 0; k < n; k++) {
		if (prov[k].pkg == s->v[self].pkg || !is_chosen(s, prov[k].pkg))
			continue;
		if (r->op != DEB_REL_NONE &&
		    (prov[k].version == NULL || !deb_rel_holds(r->op, prov[k].version, r->version)))
			continue;
		if (chosen_index(s, prov[k].pkg->name, &i))
			return i;
	}
	return (size_t)-1;
}

/* conflicts: Conflicts and Breaks between chosen packages. */
static int
conflicts(const struct state *s)
{
	static const char *const fields[] = {"Conflicts", "Breaks"};

	for (size_t i = 0; i < s->n; i++)
		for (size_t f = 0; f < 2; f++) {
			const char *text = deb_para_get(s->v[i].pkg->para, fields[f]);
			struct deb_relations r;
			char what[256];
			if (text == NULL)
				continue;
			snprintf(what, sizeof(what), "%s %s %s", s->v[i].pkg->name,
				 s->v[i].pkg->version, fields[f]);
			if (deb_relations_parse(text, what, &r) != 0)
				return -1;
			for (size_t g = 0; g < r.n; g++)
				for (size_t a = 0; a < r.groups[g].n; a++) {
					const struct deb_rel *rel = &r.groups[g].alts[a];
					struct ward_buf c1 = {0}, c2 = {0};
					size_t j;
					if (!deb_rel_applies(rel, s->arch) ||
					    (j = conflicting(s, rel, i)) == (size_t)-1)
						continue;
					chain(s, i, &c1);
					chain(s, j, &c2);
					ward_err(WARD_EINPUT,
						 "conflict: %s %s %s %s, and %s %s is "
						 "chosen; chains: %s; %s",
						 s->v[i].pkg->name, s->v[i].pkg->version, fields[f],
						 rel->name, s->v[j].pkg->name, s->v[j].pkg->version,
						 ward_buf_cstr(&c1), ward_buf_cstr(&c2));
					ward_buf_free(&c1);
					ward_buf_free(&c2);
					deb_relations_free(&r);
					return -1;
				}
			deb_relations_free(&r);
		}
	return 0;
}

static int
cmp_pkg_name(const void *a, const void *b)
{
	return strcmp(((const struct deb_lock_pkg *)a)->name,
		      ((const struct deb_lock_pkg *)b)->name);
}

static int
cmp_cut(const void *a, const void *b)
{
	const struct deb_lock_cut *x = a, *y = b;
	int c = strcmp(x->package, y->package);

	if (c != 0)
		return c;
	if ((c = strcmp(x->field, y->field)) != 0)
		return c;
	return strcmp(x->dependency, y->dependency);
}

static char *
dup0(const char *s)
{
	return ward_strdup(s ? s : "");
}

static int
copy_strv(struct ward_strv *dst, const struct ward_strv *src)
{
	for (size_t i = 0; src != NULL && i < src->n; i++)
		if (ward_strv_push(dst, src->v[i]) != 0)
			return -1;
	return 0;
}

/* emit: the lock from the resolver's state. */
static int
emit(struct state *s, struct deb_lock *out)
{
	size_t nidx;
	const struct deb_index *idx = deb_universe_indices(s->u, &nidx);

	if ((out->architecture = ward_strdup(s->arch)) == NULL ||
	    copy_strv(&out->packages, s->req->packages) != 0 ||
	    copy_strv(&out->exclude, s->req->exclude) != 0 ||
	    copy_strv(&out->allow, s->req->allow) != 0)
		return -1;
	out->indices = ward_calloc(nidx ? nidx : 1, sizeof(*out->indices));
	out->pkgs = ward_calloc(s->n ? s->n : 1, sizeof(*out->pkgs));
	if (out->indices == NULL || out->pkgs == NULL)
		return -1;
	for (size_t i = 0; i < nidx; i++) {
		struct deb_lock_index *d = &out->indices[i];
		out->nindices++;
		d->suite = dup0(idx[i].suite);
		d->component = dup0(idx[i].component);
		d->arch = dup0(idx[i].arch);
		d->origin = dup0(idx[i].origin);
		d->label = dup0(idx[i].label);
		d->codename = dup0(idx[i].codename);
		d->version = dup0(idx[i].version);
		d->date = dup0(idx[i].date);
		d->valid_until = dup0(idx[i].valid_until);
		d->release_sha256 = dup0(idx[i].release_sha256);
		d->packages_sha256 = dup0(idx[i].packages_sha256);
		d->packages_size = idx[i].packages_size;
		d->signed_by = dup0(idx[i].signed_by);
		if (!d->suite || !d->component || !d->arch || !d->origin || !d->label ||
		    !d->codename || !d->version || !d->date || !d->valid_until ||
		    !d->release_sha256 || !d->packages_sha256 || !d->signed_by)
			return -1;
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct deb_pkg *p = s->v[i].pkg;
		struct deb_lock_pkg *d = &out->pkgs[i];
		out->npkgs++;
		d->name = dup0(p->name);
		d->version = dup0(p->version);
		d->arch = dup0(p->arch);
		d->source = dup0(p->source);
		d->source_version = dup0(p->source_version);
		d->suite = dup0(idx[p->index].suite);
		d->component = dup0(idx[p->index].component);
		d->filename = dup0(p->filename);
		d->sha256 = dup0(p->sha256);
		d->size = p->size;
		d->requested = s->v[i].requested;
		if (!d->name || !d->version || !d->arch || !d->source || !d->source_version ||
		    !d->suite || !d->component || !d->filename || !d->sha256 ||
		    copy_strv(&d->required_by, &s->v[i].required_by) != 0)
			return -1;
		ward_strv_sort(&d->required_by);
	}
	ward_qsort(out->pkgs, out->npkgs, sizeof(*out->pkgs), cmp_pkg_name);
	out->cuts = s->cuts;
	out->ncuts = s->ncuts;
	s->cuts = NULL;
	s->ncuts = 0;
	if (out->ncuts > 1)
		ward_qsort(out->cuts, out->ncuts, sizeof(*out->cuts), cmp_cut);
	return 0;
}

static void
cuts_free(struct deb_lock_cut *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(c[i].package);
		free(c[i].version);
		free(c[i].field);
		free(c[i].dependency);
		free(c[i].reason);
	}
	free(c);
}

int
deb_resolve(const struct deb_universe *u, const struct deb_request *req, struct deb_lock *out)
{
	static const struct ward_strv none;
	struct deb_request r = *req;
	struct state s = {0};
	struct ward_strv wanted = {0};
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (r.exclude == NULL)
		r.exclude = &none;
	if (r.allow == NULL)
		r.allow = &none;
	if (r.packages == NULL || r.packages->n == 0)
		return ward_err(WARD_EINPUT, "ward.yaml: no packages requested");
	if (strcmp(r.arch, deb_universe_arch(u)) != 0)
		return ward_err(WARD_EINPUT, "indices are for %s, the request for %s",
				deb_universe_arch(u), r.arch);
	s.u = u;
	s.req = &r;
	s.arch = r.arch;
	if (copy_strv(&wanted, r.packages) != 0)
		goto out;
	ward_strv_sort(&wanted);
	for (size_t i = 0; i < wanted.n; i++)
		if (request_one(&s, wanted.v[i]) != 0)
			goto out;
	for (size_t i = 0; i < s.n; i++) /* s.n grows as dependencies are chosen */
		if (process(&s, i) != 0)
			goto out;
	if (conflicts(&s) != 0)
		goto out;
	rc = emit(&s, out);
	if (rc != 0)
		deb_lock_free(out);
out:
	for (size_t i = 0; i < s.n; i++)
		ward_strv_free(&s.v[i].required_by);
	free(s.v);
	cuts_free(s.cuts, s.ncuts);
	name_map_free(&s.by_name);
	ward_strv_free(&wanted);
	return rc;
}
