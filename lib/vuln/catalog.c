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

/* A Debian source version is native when it has no revision. */
static int
native_version(const char *v)
{
	return v != NULL && strchr(v, '-') == NULL;
}

/* The changelog of a Debian package as the image holds it: its doc
 * directory's changelog.Debian.gz (changelog.gz for a native package),
 * symlinked doc directories followed inside the root.  0 with
 * *out NULL when there is none; a file that cannot be read or parsed is
 * left out with a warning, never fatal. */
static int
deb_changelog(const struct sbom_catalog *c, const struct sbom_component *s,
	      struct vuln_changelog **out)
{
	static const char *const names[] = {"changelog.Debian.gz", "changelog.gz"};
	const char *sv = s->source_version ? s->source_version : s->version;

	*out = NULL;
	for (size_t k = 0; k < 2; k++) {
		struct ward_buf b = {0};
		struct vuln_changelog *cl;
		char *rel;
		ssize_t i;
		if (k == 1 && !native_version(sv))
			break; /* upstream's changelog.gz is not Debian's */
		if ((rel = ward_asprintf("usr/share/doc/%s/%s", s->name, names[k])) == NULL)
			return -1;
		i = sbom_fileset_resolve(&c->fs, rel, 1);
		free(rel);
		if (i < 0 || c->fs.files[i].type != SBOM_REG)
			continue;
		if ((cl = ward_calloc(1, sizeof(*cl))) == NULL)
			return -1;
		if (sbom_fileset_read(&c->fs, (size_t)i, 8u << 20, &b) != 0 ||
		    vuln_changelog_read(b.data, b.len, names[k], sv, cl) != 0 ||
		    (cl->where = ward_asprintf("/%s", c->fs.files[i].path)) == NULL) {
			if (ward_errkind() == WARD_EENV) {
				ward_buf_free(&b);
				vuln_changelog_free(cl);
				free(cl);
				return -1;
			}
			ward_warn("%s: changelog not used: %s", s->name, ward_errmsg());
			ward_err_clear();
			ward_buf_free(&b);
			vuln_changelog_free(cl);
			free(cl);
			return 0;
		}
		ward_buf_free(&b);
		*out = cl;
		return 0;
	}
	return 0;
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
			k.arch = s->arch;
			if ((rc = deb_changelog(c, s, &k.changelog)) != 0)
				break;
		} else {
			k.ecosystem = "PyPI";
			if (s->owner >= 0 && (size_t)s->owner < c->ncomps &&
			    c->comps[s->owner].kind == SBOM_KIND_DEB)
				k.owner = c->comps[s->owner].name;
		}
		rc = vuln_pkglist_add(out, &k);
		if (k.changelog != NULL) {
			vuln_changelog_free(k.changelog);
			free(k.changelog);
		}
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
