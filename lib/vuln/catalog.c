/*
 * catalog.c: the package list from lib/sbom's catalog of a root filesystem
 * or an image: Debian binary packages with their source, Python
 * distributions with the Debian package that ships them.
 */
#include <stdlib.h>
#include <string.h>

#include "sbom/sbom.h"
#include "vuln/vuln_internal.h"

static int
problem(struct vuln_pkglist *l, const struct sbom_component *c, const char *why)
{
	char *m = ward_asprintf("%s %s: %s: not scanned", c->name,
				c->version ? c->version : "(no version)", why);

	return m ? ward_strv_push_owned(&l->problems, m) : -1;
}

int
vuln_pkglist_from_catalog(const struct sbom_catalog *c, struct vuln_pkglist *out)
{
	char *eco = NULL;
	int rc = 0;

	if (c->os_id != NULL && c->distro != NULL &&
	    strncmp(c->distro, c->os_id, strlen(c->os_id)) == 0 &&
	    c->distro[strlen(c->os_id)] == '-')
		eco = debian_ecosystem(c->os_id, c->distro + strlen(c->os_id) + 1);
	if (out->distro == NULL && eco != NULL && (out->distro = ward_strdup(eco)) == NULL)
		rc = -1;
	if (rc == 0 && out->target == NULL) {
		out->target =
			c->tag ? ward_asprintf("%s:%s", c->name, c->tag) : ward_strdup(c->name);
		if (out->target == NULL)
			rc = -1;
	}
	if (rc == 0 && c->purl != NULL)
		rc = ward_strv_push(&out->target_ids, c->purl);
	if (rc == 0 && c->digest != NULL)
		rc = ward_strv_push(&out->target_ids, c->digest);
	for (size_t i = 0; rc == 0 && i < c->ncomps; i++) {
		const struct sbom_component *s = &c->comps[i];
		struct vuln_pkg k = {0};

		if (s->kind != SBOM_KIND_DEB && s->kind != SBOM_KIND_PYTHON)
			continue;
		if (s->version == NULL || *s->version == '\0') {
			rc = problem(out, s, "no version");
			continue;
		}
		k.name = s->name;
		k.version = s->version;
		k.purl = s->purl;
		k.location = s->location;
		if (s->kind == SBOM_KIND_DEB) {
			if (eco == NULL) {
				rc = problem(out, s, "the Debian release is unknown (os-release)");
				continue;
			}
			k.ecosystem = eco;
			k.source = s->source;
			k.source_version = s->source_version;
		} else {
			k.ecosystem = "PyPI";
			if (s->owner >= 0 && (size_t)s->owner < c->ncomps &&
			    c->comps[s->owner].kind == SBOM_KIND_DEB)
				k.owner = c->comps[s->owner].name;
		}
		rc = vuln_pkglist_add(out, &k);
	}
	free(eco);
	if (rc == 0)
		vuln_pkglist_sort(out);
	return rc;
}

static int
from(int image, const char *ref, struct vuln_pkglist *out)
{
	struct sbom_opts o = {0};
	struct sbom_catalog *c = NULL;
	int rc;

	o.progress = ward_progress_new(image ? "reading image" : "reading root filesystem", 0, 1);
	rc = image ? sbom_catalog_image(ref, &o, &c) : sbom_catalog_rootfs(ref, &o, &c);
	ward_progress_done(o.progress);
	if (rc == 0)
		rc = vuln_pkglist_from_catalog(c, out);
	sbom_catalog_free(c);
	return rc;
}

int
vuln_pkglist_from_rootfs(const char *root, struct vuln_pkglist *out)
{
	return from(0, root, out);
}

int
vuln_pkglist_from_image(const char *ref, struct vuln_pkglist *out)
{
	return from(1, ref, out);
}
