/* universe.c: every package of a set of Packages indices, by name and by
 * what it provides. */
#include <stdlib.h>
#include <string.h>

#include "deb/deb_internal.h"

/* ------------------------------------------------------------ name map */

static uint64_t
hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static int
grow(struct name_map *m)
{
	size_t cap = m->cap ? m->cap * 2 : 1024;
	struct name_slot *s = ward_calloc(cap, sizeof(*s));

	if (s == NULL)
		return -1;
	for (size_t i = 0; i < m->cap; i++) {
		if (m->slots[i].key == NULL)
			continue;
		size_t j = hash_str(m->slots[i].key) & (cap - 1);
		while (s[j].key != NULL)
			j = (j + 1) & (cap - 1);
		s[j] = m->slots[i];
	}
	free(m->slots);
	m->slots = s;
	m->cap = cap;
	return 0;
}

int
name_map_put(struct name_map *m, const char *key, size_t value)
{
	size_t j;

	if ((m->used + 1) * 2 > m->cap && grow(m) != 0)
		return -1;
	j = hash_str(key) & (m->cap - 1);
	while (m->slots[j].key != NULL) {
		if (strcmp(m->slots[j].key, key) == 0) {
			m->slots[j].value = value;
			return 0;
		}
		j = (j + 1) & (m->cap - 1);
	}
	m->slots[j].key = key;
	m->slots[j].value = value;
	m->used++;
	return 0;
}

int
name_map_get(const struct name_map *m, const char *key, size_t *value)
{
	size_t j;

	if (m->cap == 0)
		return 0;
	j = hash_str(key) & (m->cap - 1);
	while (m->slots[j].key != NULL) {
		if (strcmp(m->slots[j].key, key) == 0) {
			*value = m->slots[j].value;
			return 1;
		}
		j = (j + 1) & (m->cap - 1);
	}
	return 0;
}

void
name_map_free(struct name_map *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

/* ------------------------------------------------------------ universe */

struct pkg_list {
	const struct deb_pkg **v;
	size_t n, cap;
};

struct prov_list {
	struct deb_provider *v;
	size_t n, cap;
};

struct block { /* the packages of one index */
	struct deb_control ctrl;
	struct deb_pkg *pkgs;
	size_t n;
	char **provides_versions; /* owned copies for provider entries */
	size_t nversions, capversions;
};

struct deb_universe {
	char *arch;
	struct deb_index *indices;
	size_t nindices;
	struct block *blocks;
	size_t nblocks;
	size_t npkgs;
	struct name_map by_name;
	struct pkg_list *lists;
	size_t nlists, caplists;
	struct name_map by_provides;
	struct prov_list *provs;
	size_t nprovs, capprovs;
};

struct deb_universe *
deb_universe_new(const char *arch)
{
	struct deb_universe *u = ward_calloc(1, sizeof(*u));

	if (u == NULL)
		return NULL;
	if ((u->arch = ward_strdup(arch)) == NULL) {
		free(u);
		return NULL;
	}
	return u;
}

static void
index_free(struct deb_index *x)
{
	free(x->suite);
	free(x->component);
	free(x->arch);
	free(x->origin);
	free(x->label);
	free(x->codename);
	free(x->version);
	free(x->date);
	free(x->valid_until);
	free(x->signed_by);
	free(x->location);
}

void
deb_universe_free(struct deb_universe *u)
{
	if (u == NULL)
		return;
	for (size_t i = 0; i < u->nindices; i++)
		index_free(&u->indices[i]);
	free(u->indices);
	for (size_t i = 0; i < u->nblocks; i++) {
		deb_control_free(&u->blocks[i].ctrl);
		free(u->blocks[i].pkgs);
		for (size_t j = 0; j < u->blocks[i].nversions; j++)
			free(u->blocks[i].provides_versions[j]);
		free(u->blocks[i].provides_versions);
	}
	free(u->blocks);
	for (size_t i = 0; i < u->nlists; i++)
		free(u->lists[i].v);
	free(u->lists);
	for (size_t i = 0; i < u->nprovs; i++)
		free(u->provs[i].v);
	free(u->provs);
	name_map_free(&u->by_name);
	name_map_free(&u->by_provides);
	free(u->arch);
	free(u);
}

static char *
dup_or_null(const char *s)
{
	return s ? ward_strdup(s) : NULL;
}

static int
copy_index(struct deb_index *dst, const struct deb_index *src)
{
	memset(dst, 0, sizeof(*dst));
	*dst = *src;
	dst->suite = dup_or_null(src->suite);
	dst->component = dup_or_null(src->component);
	dst->arch = dup_or_null(src->arch);
	dst->origin = dup_or_null(src->origin);
	dst->label = dup_or_null(src->label);
	dst->codename = dup_or_null(src->codename);
	dst->version = dup_or_null(src->version);
	dst->date = dup_or_null(src->date);
	dst->valid_until = dup_or_null(src->valid_until);
	dst->signed_by = dup_or_null(src->signed_by);
	dst->location = dup_or_null(src->location);
	if ((src->suite && !dst->suite) || (src->component && !dst->component) ||
	    (src->arch && !dst->arch) || (src->origin && !dst->origin) ||
	    (src->label && !dst->label) || (src->codename && !dst->codename) ||
	    (src->version && !dst->version) || (src->date && !dst->date) ||
	    (src->valid_until && !dst->valid_until) || (src->signed_by && !dst->signed_by) ||
	    (src->location && !dst->location)) {
		index_free(dst);
		return -1;
	}
	return 0;
}

/* "libfoo (1.2-3)" in Source: the source name and, when given, its version. */
static void
split_source(struct deb_pkg *p, const char *src)
{
	char *paren;

	p->source = p->name;
	p->source_version = p->version;
	if (src == NULL || *src == '\0')
		return;
	p->source = src;
	paren = strchr(src, '(');
	if (paren == NULL)
		return;
	/* The value is ours (a copy inside the parsed index): cut it in place. */
	{
		char *end = strchr(paren, ')'), *sp = paren;
		while (sp > src && sp[-1] == ' ')
			sp--;
		*sp = '\0';
		if (end != NULL) {
			*end = '\0';
			p->source_version = paren + 1;
			while (*p->source_version == ' ')
				p->source_version++;
		}
	}
}

static int
parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	v = strtoull(s, &end, 10);
	if (*end != '\0')
		return -1;
	*out = v;
	return 0;
}

static int
fill_pkg(struct deb_pkg *p, const struct deb_para *para, size_t index, const char *what)
{
	const char *ess;

	memset(p, 0, sizeof(*p));
	p->para = para;
	p->index = index;
	p->name = deb_para_get(para, "Package");
	p->version = deb_para_get(para, "Version");
	p->arch = deb_para_get(para, "Architecture");
	p->multi_arch = deb_para_get(para, "Multi-Arch");
	p->filename = deb_para_get(para, "Filename");
	p->sha256 = deb_para_get(para, "SHA256");
	p->priority = deb_para_get(para, "Priority");
	ess = deb_para_get(para, "Essential");
	p->essential = ess != NULL && strcmp(ess, "yes") == 0;
	if (p->name == NULL || p->version == NULL || p->arch == NULL)
		return ward_err(WARD_EINPUT,
				"%s:%zu: package entry without Package, Version or "
				"Architecture",
				what, para->line);
	if (!deb_package_name_ok(p->name))
		return ward_err(WARD_EINPUT, "%s:%zu: invalid package name \"%s\"", what,
				para->line, p->name);
	if (deb_version_check(p->version, p->name) != 0)
		return -1;
	if (p->filename == NULL || p->sha256 == NULL ||
	    parse_size(deb_para_get(para, "Size"), &p->size) != 0)
		return ward_err(WARD_EINPUT, "%s:%zu: %s has no Filename, Size or SHA256", what,
				para->line, p->name);
	if (strlen(p->sha256) != 64 || strspn(p->sha256, "0123456789abcdef") != 64)
		return ward_err(WARD_EINPUT, "%s:%zu: %s: malformed SHA256", what, para->line,
				p->name);
	if (!ward_relpath_ok(p->filename))
		return ward_err(WARD_EINPUT, "%s:%zu: %s: unsafe Filename \"%s\"", what, para->line,
				p->name, p->filename);
	split_source(p, deb_para_get(para, "Source"));
	return 0;
}

static struct pkg_list *
list_for(struct deb_universe *u, const char *name)
{
	size_t i;

	if (name_map_get(&u->by_name, name, &i))
		return &u->lists[i];
	if (ward_vec_reserve(&u->lists, &u->caplists, u->nlists + 1, sizeof(*u->lists)) != 0)
		return NULL;
	memset(&u->lists[u->nlists], 0, sizeof(u->lists[0]));
	if (name_map_put(&u->by_name, name, u->nlists) != 0)
		return NULL;
	return &u->lists[u->nlists++];
}

static struct prov_list *
prov_for(struct deb_universe *u, const char *name)
{
	size_t i;

	if (name_map_get(&u->by_provides, name, &i))
		return &u->provs[i];
	if (ward_vec_reserve(&u->provs, &u->capprovs, u->nprovs + 1, sizeof(*u->provs)) != 0)
		return NULL;
	memset(&u->provs[u->nprovs], 0, sizeof(u->provs[0]));
	if (name_map_put(&u->by_provides, name, u->nprovs) != 0)
		return NULL;
	return &u->provs[u->nprovs++];
}

static int
list_push(struct pkg_list *l, const struct deb_pkg *p)
{
	if (ward_vec_reserve(&l->v, &l->cap, l->n + 1, sizeof(*l->v)) != 0)
		return -1;
	l->v[l->n++] = p;
	return 0;
}

/* block_keep(b, s): a copy of s owned by the block (outlives parse results). */
static const char *
block_keep(struct block *b, const char *s)
{
	char *copy;

	if (ward_vec_reserve(&b->provides_versions, &b->capversions, b->nversions + 1,
			     sizeof(*b->provides_versions)) != 0)
		return NULL;
	if ((copy = ward_strdup(s)) == NULL)
		return NULL;
	b->provides_versions[b->nversions++] = copy;
	return copy;
}

static int
prov_push(struct prov_list *l, const struct deb_pkg *p, const char *version)
{
	if (ward_vec_reserve(&l->v, &l->cap, l->n + 1, sizeof(*l->v)) != 0)
		return -1;
	l->v[l->n].pkg = p;
	l->v[l->n].version = version;
	l->n++;
	return 0;
}

static int
add_provides(struct deb_universe *u, struct block *b, const struct deb_pkg *p, const char *what)
{
	const char *text = deb_para_get(p->para, "Provides");
	struct deb_relations r;
	int rc = 0;

	if (text == NULL)
		return 0;
	if (deb_relations_parse(text, what, &r) != 0)
		return -1;
	for (size_t i = 0; i < r.n && rc == 0; i++) {
		const struct deb_rel *rel = &r.groups[i].alts[0];
		const char *key, *ver = NULL;
		struct prov_list *l;
		if (r.groups[i].n != 1 || (rel->op != DEB_REL_NONE && rel->op != DEB_REL_EQ)) {
			rc = ward_err(WARD_EINPUT,
				      "%s: %s: Provides allows only \"name\" or "
				      "\"name (= version)\"",
				      what, p->name);
			break;
		}
		if ((key = block_keep(b, rel->name)) == NULL ||
		    (rel->version != NULL && (ver = block_keep(b, rel->version)) == NULL) ||
		    (l = prov_for(u, key)) == NULL || prov_push(l, p, ver) != 0)
			rc = -1;
	}
	deb_relations_free(&r);
	return rc;
}

static int
cmp_newest(const void *a, const void *b)
{
	const struct deb_pkg *x = *(const struct deb_pkg *const *)a;
	const struct deb_pkg *y = *(const struct deb_pkg *const *)b;
	int c = deb_version_cmp(y->version, x->version);

	if (c != 0)
		return c;
	if (x->index != y->index)
		return x->index < y->index ? -1 : 1;
	return x->para < y->para ? -1 : (x->para > y->para);
}

int
deb_universe_add(struct deb_universe *u, const char *text, size_t len, const struct deb_index *meta)
{
	struct block *b;
	const char *what = meta->location ? meta->location : "Packages";

	if (ward_vec_grow(&u->indices, u->nindices, sizeof(*u->indices)) != 0 ||
	    ward_vec_grow(&u->blocks, u->nblocks, sizeof(*u->blocks)) != 0)
		return -1;
	b = &u->blocks[u->nblocks];
	memset(b, 0, sizeof(*b));
	if (deb_control_parse(text, len, what, &b->ctrl) != 0)
		return -1;
	if (copy_index(&u->indices[u->nindices], meta) != 0) {
		deb_control_free(&b->ctrl);
		return -1;
	}
	u->nindices++;
	u->nblocks++;
	b->pkgs = ward_calloc(b->ctrl.n ? b->ctrl.n : 1, sizeof(*b->pkgs));
	if (b->pkgs == NULL)
		return -1;
	for (size_t i = 0; i < b->ctrl.n; i++) {
		struct deb_pkg *p = &b->pkgs[b->n];
		struct pkg_list *l;
		if (fill_pkg(p, &b->ctrl.paras[i], u->nindices - 1, what) != 0)
			return -1;
		/* An index for one architecture also lists Architecture: all. */
		if (strcmp(p->arch, u->arch) != 0 && strcmp(p->arch, "all") != 0)
			continue;
		b->n++;
		if ((l = list_for(u, p->name)) == NULL || list_push(l, p) != 0)
			return -1;
		if (add_provides(u, b, p, what) != 0)
			return -1;
	}
	u->npkgs += b->n;
	for (size_t i = 0; i < u->nlists; i++)
		if (u->lists[i].n > 1)
			ward_qsort(u->lists[i].v, u->lists[i].n, sizeof(*u->lists[i].v),
				   cmp_newest);
	return 0;
}

const struct deb_index *
deb_universe_indices(const struct deb_universe *u, size_t *n)
{
	*n = u->nindices;
	return u->indices;
}

const struct deb_pkg *const *
deb_universe_versions(const struct deb_universe *u, const char *name, size_t *n)
{
	size_t i;

	*n = 0;
	if (!name_map_get(&u->by_name, name, &i))
		return NULL;
	*n = u->lists[i].n;
	return u->lists[i].v;
}

const struct deb_provider *
deb_universe_providers(const struct deb_universe *u, const char *name, size_t *n)
{
	size_t i;

	*n = 0;
	if (!name_map_get(&u->by_provides, name, &i))
		return NULL;
	*n = u->provs[i].n;
	return u->provs[i].v;
}

size_t
deb_universe_count(const struct deb_universe *u)
{
	return u->npkgs;
}

const char *
deb_universe_arch(const struct deb_universe *u)
{
	return u->arch;
}
