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
	free(p->arch);
	if (p->changelog != NULL) {
		vuln_changelog_free(p->changelog);
		free(p->changelog);
	}
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
	rc |= dup_opt(&n->arch, p->arch);
	n->changelog = NULL;
	if (rc == 0 && p->changelog != NULL) {
		if ((n->changelog = ward_calloc(1, sizeof(*n->changelog))) == NULL ||
		    vuln_changelog_copy(n->changelog, p->changelog) != 0)
			rc = -1;
	}
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
			if (k->arch == NULL) {
				k->arch = d->arch;
				d->arch = NULL;
			}
			if (k->changelog == NULL) {
				k->changelog = d->changelog;
				d->changelog = NULL;
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

json_t *
vuln_pkg_to_json(const struct vuln_pkg *p)
{
	json_t *j = json_object();
	const char *const keys[] = {"ecosystem", "name",  "version",  "source", "source_version",
				    "purl",	 "owner", "location", "arch"};
	const char *const vals[] = {p->ecosystem, p->name,	     p->version,
				    p->source,	  p->source_version, p->purl,
				    p->owner,	  p->location,	     p->arch};

	if (j == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
		if (vals[i] != NULL && json_object_set_new(j, keys[i], json_string(vals[i])) != 0) {
			json_decref(j);
			return NULL;
		}
	if (p->changelog != NULL) {
		json_t *c = vuln_changelog_to_json(p->changelog);
		if (c == NULL || json_object_set_new(j, "changelog", c) != 0) {
			json_decref(j);
			return NULL;
		}
	}
	return j;
}

int
vuln_pkg_from_json(const json_t *j, const char *what, struct vuln_pkglist *l)
{
	struct vuln_pkg k = {0};
	struct vuln_changelog cl;
	json_t *c;
	int rc;

	if (!json_is_object(j))
		return ward_err(WARD_EINPUT, "%s: a package must be an object", what);
	k.ecosystem = (char *)ward_json_str(j, "ecosystem");
	k.name = (char *)ward_json_str(j, "name");
	k.version = (char *)ward_json_str(j, "version");
	k.source = (char *)ward_json_str(j, "source");
	k.source_version = (char *)ward_json_str(j, "source_version");
	k.purl = (char *)ward_json_str(j, "purl");
	k.owner = (char *)ward_json_str(j, "owner");
	k.location = (char *)ward_json_str(j, "location");
	k.arch = (char *)ward_json_str(j, "arch");
	if ((c = json_object_get(j, "changelog")) != NULL) {
		if (vuln_changelog_from_json(c, what, &cl) != 0)
			return -1;
		k.changelog = &cl;
	}
	rc = vuln_pkglist_add(l, &k);
	if (k.changelog != NULL)
		vuln_changelog_free(&cl);
	return rc;
}
