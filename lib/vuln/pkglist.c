/* pkglist.c: the flat package list every scan starts from. */
#include <stdlib.h>
#include <string.h>

#include "vuln/vuln_internal.h"

static void
pkg_free(struct vuln_pkg *p)
{
	free(p->ecosystem);
	free(p->name);
	free(p->version);
	free(p->source);
	free(p->source_version);
	free(p->purl);
	free(p->owner);
	free(p->location);
}

static int
dup_opt(char **dst, const char *src)
{
	*dst = NULL;
	if (src == NULL)
		return 0;
	return (*dst = ward_strdup(src)) == NULL ? -1 : 0;
}

int
vuln_pkglist_add(struct vuln_pkglist *l, const struct vuln_pkg *p)
{
	struct vuln_pkg *n;
	int rc = 0;

	if (p->name == NULL || p->version == NULL)
		return ward_err(WARD_EINPUT, "a package needs a name and a version");
	if (ward_vec_reserve(&l->v, &l->cap, l->n + 1, sizeof(*l->v)) != 0)
		return -1;
	n = &l->v[l->n];
	rc |= dup_opt(&n->ecosystem, p->ecosystem);
	rc |= dup_opt(&n->name, p->name);
	rc |= dup_opt(&n->version, p->version);
	rc |= dup_opt(&n->source, p->source);
	rc |= dup_opt(&n->source_version, p->source_version);
	rc |= dup_opt(&n->purl, p->purl);
	rc |= dup_opt(&n->owner, p->owner);
	rc |= dup_opt(&n->location, p->location);
	if (rc != 0) {
		pkg_free(n);
		return -1;
	}
	l->n++;
	return 0;
}

void
vuln_pkglist_free(struct vuln_pkglist *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		pkg_free(&l->v[i]);
	free(l->v);
	free(l->distro);
	free(l->target);
	ward_strv_free(&l->target_ids);
	ward_strv_free(&l->problems);
	memset(l, 0, sizeof(*l));
}

static int
strcmp_null(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int
pkg_cmp(const void *x, const void *y)
{
	const struct vuln_pkg *a = x, *b = y;
	int r;

	if ((r = strcmp_null(a->ecosystem, b->ecosystem)) != 0)
		return r;
	if ((r = strcmp(a->name, b->name)) != 0)
		return r;
	if ((r = strcmp(a->version, b->version)) != 0)
		return r;
	return strcmp_null(a->owner, b->owner);
}

void
vuln_pkglist_sort(struct vuln_pkglist *l)
{
	size_t j = 0;

	if (l->n < 2)
		return;
	qsort(l->v, l->n, sizeof(*l->v), pkg_cmp);
	for (size_t i = 0; i < l->n; i++) {
		if (j > 0 && pkg_cmp(&l->v[j - 1], &l->v[i]) == 0) {
			/* the same package seen twice (dist-info and egg-info): keep one,
			 * but not a source or purl the first copy lacked */
			struct vuln_pkg *k = &l->v[j - 1], *d = &l->v[i];
			if (k->purl == NULL) {
				k->purl = d->purl;
				d->purl = NULL;
			}
			if (k->source == NULL) {
				k->source = d->source;
				d->source = NULL;
			}
			if (k->source_version == NULL) {
				k->source_version = d->source_version;
				d->source_version = NULL;
			}
			pkg_free(d);
			continue;
		}
		l->v[j++] = l->v[i];
	}
	l->n = j;
}

const struct vuln_pkg *
vuln_pkglist_find_deb(const struct vuln_pkglist *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].ecosystem != NULL &&
		    osv_ecosystem_kind(l->v[i].ecosystem) == OSV_DEBIAN &&
		    strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}

/* "debian-12", "debian-12.4", "12" → "Debian:12"; NULL when not Debian. */
char *
debian_ecosystem(const char *id, const char *version)
{
	size_t n = 0;

	if (id != NULL && strcasecmp(id, "debian") != 0)
		return NULL;
	if (version == NULL)
		return NULL;
	while (version[n] >= '0' && version[n] <= '9')
		n++;
	if (n == 0)
		return NULL;
	return ward_asprintf("Debian:%.*s", (int)n, version);
}

/* A Debian binary package's purl, the way ward writes it. */
char *
deb_purl(const char *name, const char *version, const char *arch, const char *ecosystem,
	 const char *source)
{
	char distro[32] = "";
	const char *q[] = {"arch",     arch,   "distro", distro[0] ? distro : NULL,
			   "upstream", source, NULL};

	if (ecosystem != NULL && strncmp(ecosystem, "Debian:", 7) == 0)
		snprintf(distro, sizeof(distro), "debian-%s", ecosystem + 7);
	q[3] = distro[0] ? distro : NULL;
	return purl_build("deb", "debian", name, version, q);
}
