/*
 * sbom_read.c: the package list from a CycloneDX or SPDX JSON SBOM made by
 * ward, syft or trivy.  Only what matching needs is read: the purl, the
 * Debian source package and version, the Debian release, and which Debian
 * package owns a Python distribution.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "vuln/vuln_internal.h"

#define MAX_SBOM_BYTES (512u << 20)

struct comp {
	const char *ref; /* bom-ref / SPDXID */
	const char *purl;
	const char *name, *version;
	const char *parent;	 /* nesting parent's ref (CycloneDX) */
	const json_t *props;	 /* CycloneDX properties[] */
	const char *source_info; /* SPDX sourceInfo */
	char *owner;		 /* resolved owning Debian package */
	int is_os;
};

struct reader {
	struct comp *c;
	size_t n;
	char *distro;
	struct vuln_pkglist *out;
};

static const char *
prop(const json_t *props, const char *name)
{
	size_t i;
	json_t *p;

	json_array_foreach(props, i, p)
	{
		const char *n = ward_json_str(p, "name");
		if (n != NULL && strcmp(n, name) == 0)
			return ward_json_str(p, "value");
	}
	return NULL;
}

static int
add_comp(struct reader *r, const struct comp *c)
{
	if (ward_vec_grow(&r->c, r->n, sizeof(*r->c)) != 0)
		return -1;
	r->c[r->n++] = *c;
	return 0;
}

static void
note_os(struct reader *r, const char *name, const char *version)
{
	if (r->distro == NULL && name != NULL)
		r->distro = debian_ecosystem(name, version);
}

static int
walk_cdx(struct reader *r, const json_t *components, const char *parent, int depth)
{
	size_t i;
	json_t *c;

	if (depth > 32)
		return ward_err(WARD_EINPUT, "SBOM components nested too deep");
	json_array_foreach(components, i, c)
	{
		struct comp k = {0};
		const char *type = ward_json_str(c, "type");
		k.ref = ward_json_str(c, "bom-ref");
		k.purl = ward_json_str(c, "purl");
		k.name = ward_json_str(c, "name");
		k.version = ward_json_str(c, "version");
		k.parent = parent;
		k.props = json_object_get(c, "properties");
		if (type != NULL && strcmp(type, "operating-system") == 0) {
			k.is_os = 1;
			note_os(r, k.name, k.version);
		}
		if (add_comp(r, &k) != 0)
			return -1;
		if (json_is_array(json_object_get(c, "components")) &&
		    walk_cdx(r, json_object_get(c, "components"), k.ref ? k.ref : k.name,
			     depth + 1) != 0)
			return -1;
	}
	return 0;
}

static const char *
spdx_purl(const json_t *pkg)
{
	json_t *refs = json_object_get(pkg, "externalRefs"), *x;
	size_t i;

	json_array_foreach(refs, i, x)
	{
		const char *t = ward_json_str(x, "referenceType");
		if (t != NULL && strcmp(t, "purl") == 0)
			return ward_json_str(x, "referenceLocator");
	}
	return NULL;
}

static struct comp *
find_ref(struct reader *r, const char *ref)
{
	for (size_t i = 0; ref != NULL && i < r->n; i++)
		if (r->c[i].ref != NULL && strcmp(r->c[i].ref, ref) == 0)
			return &r->c[i];
	return NULL;
}

static int
is_deb(const struct comp *c)
{
	return c != NULL && c->purl != NULL && strncasecmp(c->purl, "pkg:deb/", 8) == 0;
}

static int
walk_spdx(struct reader *r, const json_t *doc)
{
	json_t *pkgs = json_object_get(doc, "packages"),
	       *rels = json_object_get(doc, "relationships");
	json_t *x;
	size_t i;

	json_array_foreach(pkgs, i, x)
	{
		struct comp k = {0};
		const char *purpose = ward_json_str(x, "primaryPackagePurpose");
		k.ref = ward_json_str(x, "SPDXID");
		k.purl = spdx_purl(x);
		k.name = ward_json_str(x, "name");
		k.version = ward_json_str(x, "versionInfo");
		k.source_info = ward_json_str(x, "sourceInfo");
		if (purpose != NULL && (strcmp(purpose, "OPERATING_SYSTEM") == 0 ||
					strcmp(purpose, "OPERATING-SYSTEM") == 0)) {
			k.is_os = 1;
			note_os(r, k.name, k.version);
		}
		if (add_comp(r, &k) != 0)
			return -1;
	}
	/* A Debian package that CONTAINS a Python package owns it; syft writes
	 * the same fact as OTHER "ownership-by-file-overlap". */
	json_array_foreach(rels, i, x)
	{
		const char *type = ward_json_str(x, "relationshipType");
		const char *comment = ward_json_str(x, "comment");
		struct comp *a, *b;
		if (type == NULL)
			continue;
		if (strcmp(type, "CONTAINS") != 0 &&
		    !(strcmp(type, "OTHER") == 0 && comment != NULL &&
		      strstr(comment, "ownership-by-file-overlap") != NULL))
			continue;
		a = find_ref(r, ward_json_str(x, "spdxElementId"));
		b = find_ref(r, ward_json_str(x, "relatedSpdxElement"));
		if (is_deb(a) && b != NULL && !is_deb(b) && b->owner == NULL)
			b->parent = a->ref;
	}
	return 0;
}

/* Debian source from properties, the upstream qualifier or SPDX sourceInfo.
 * *src and *srcver are malloc'd (NULL when unknown). */
static int
deb_source(const struct comp *c, const struct purl *p, char **src, char **srcver)
{
	const char *v;

	*src = *srcver = NULL;
	if ((v = prop(c->props, "ward:deb:source")) != NULL ||
	    (v = prop(c->props, "syft:metadata:source")) != NULL) {
		const char *sv = prop(c->props, "ward:deb:source-version");
		if (sv == NULL)
			sv = prop(c->props, "syft:metadata:sourceVersion");
		*src = ward_strdup(v);
		if (sv != NULL && *sv)
			*srcver = ward_strdup(sv);
		return 0;
	}
	if ((v = prop(c->props, "aquasecurity:trivy:SrcName")) != NULL) {
		const char *ver = prop(c->props, "aquasecurity:trivy:SrcVersion");
		const char *rel = prop(c->props, "aquasecurity:trivy:SrcRelease");
		const char *ep = prop(c->props, "aquasecurity:trivy:SrcEpoch");
		*src = ward_strdup(v);
		if (ver != NULL && *ver)
			*srcver = ward_asprintf("%s%s%s%s%s", ep && strcmp(ep, "0") ? ep : "",
						ep && strcmp(ep, "0") ? ":" : "", ver,
						rel && *rel ? "-" : "", rel ? rel : "");
		return 0;
	}
	if ((v = purl_qualifier(p, "upstream")) != NULL) {
		const char *at = strchr(v, '@');
		if (at != NULL) {
			*src = ward_strndup(v, (size_t)(at - v));
			if (at[1])
				*srcver = ward_strdup(at + 1);
		} else {
			*src = ward_strdup(v);
		}
		return 0;
	}
	/* trivy SPDX: "built package from: openssl 3.0.11-1~deb12u2" */
	if (c->source_info != NULL && strncmp(c->source_info, "built package from: ", 20) == 0) {
		const char *s = c->source_info + 20, *sp = strchr(s, ' ');
		*src = sp ? ward_strndup(s, (size_t)(sp - s)) : ward_strdup(s);
		if (sp != NULL && sp[1])
			*srcver = ward_strdup(sp + 1);
	}
	return 0;
}

static const char *const purl_ecosystems[][2] = {
	{"npm", "npm"},
	{"golang", "Go"},
	{"maven", "Maven"},
	{"cargo", "crates.io"},
	{"gem", "RubyGems"},
	{"nuget", "NuGet"},
	{"composer", "Packagist"},
	{"hex", "Hex"},
	{"pub", "Pub"},
	{"swift", "SwiftURL"},
	{"apk", "Alpine"},
	{"rpm", "Red Hat"},
	{"conan", "ConanCenter"},
	{"cran", "CRAN"},
	{"hackage", "Hackage"},
};

/* Not packages: the image, files, models, ward itself. */
static int
ignored_type(const char *type)
{
	return strcmp(type, "oci") == 0 || strcmp(type, "docker") == 0 ||
	       strcmp(type, "generic") == 0 || strcmp(type, "huggingface") == 0 ||
	       strcmp(type, "github") == 0 || strcmp(type, "file") == 0;
}

static int problem(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
problem(struct reader *r, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = ward_strv_vpushf(&r->out->problems, fmt, ap);
	va_end(ap);
	return rc;
}

/* The owner of a Python distribution when the SBOM only says where it was
 * found (syft CycloneDX): a dist-packages path below /usr/lib is Debian's,
 * and Debian names the package python3-<module>. */
static const char *
guess_owner(struct reader *r, const struct comp *c, const char *dist)
{
	const char *loc = prop(c->props, "syft:location:0:path");
	char cand[3][300];

	if (loc == NULL || strncmp(loc, "/usr/lib/python3", 16) != 0)
		return NULL;
	snprintf(cand[0], sizeof(cand[0]), "python3-%s", dist);
	snprintf(cand[1], sizeof(cand[1]), "python3-%s",
		 strncmp(dist, "py", 2) == 0 && dist[2] ? dist + 2 : dist);
	snprintf(cand[2], sizeof(cand[2]), "python3-%s",
		 strncmp(dist, "python-", 7) == 0 ? dist + 7 : dist);
	for (int k = 0; k < 3; k++)
		for (size_t i = 0; i < r->n; i++) {
			struct purl p;
			int hit;
			if (!is_deb(&r->c[i]) || purl_parse(r->c[i].purl, &p) != 0)
				continue;
			hit = strcmp(p.name, cand[k]) == 0;
			purl_free(&p);
			if (hit)
				return r->c[i].purl;
		}
	return NULL;
}

static char *
deb_name_of(const char *purl)
{
	struct purl p;
	char *n;

	if (purl == NULL || purl_parse(purl, &p) != 0)
		return NULL;
	n = ward_strdup(p.name);
	purl_free(&p);
	return n;
}

static int
use_comp(struct reader *r, struct comp *c)
{
	struct vuln_pkg k = {0};
	struct purl p;
	char *eco = NULL, *src = NULL, *srcver = NULL, *ver = NULL, *owner = NULL;
	int rc = 0;

	if (c->is_os)
		return 0;
	if (c->purl == NULL)
		return 0; /* files, the image itself, models: nothing to match by name */
	if (purl_parse(c->purl, &p) != 0)
		return problem(r, "%s: invalid purl \"%s\": not scanned", c->name ? c->name : "?",
			       c->purl);
	if (ignored_type(p.type))
		goto out;
	k.name = p.name;
	k.version = p.version ? p.version : (char *)c->version;
	k.purl = (char *)c->purl;
	k.location = (char *)c->ref;
	if (k.version == NULL || *k.version == '\0') {
		rc = problem(r, "%s: no version (%s): not scanned", p.name, c->purl);
		goto out;
	}
	if (strcmp(p.type, "deb") == 0) {
		const char *d = purl_qualifier(&p, "distro"), *ep = purl_qualifier(&p, "epoch");
		if (d != NULL && strncmp(d, "debian-", 7) == 0)
			eco = debian_ecosystem("debian", d + 7);
		else if (p.ns == NULL || strcmp(p.ns, "debian") == 0)
			eco = r->distro ? ward_strdup(r->distro) : NULL;
		if (ep != NULL && strchr(k.version, ':') == NULL && strcmp(ep, "0") != 0)
			k.version = ver = ward_asprintf("%s:%s", ep, k.version);
		if (eco == NULL) {
			rc = problem(r, "%s: unknown Debian release (%s): not scanned", p.name,
				     c->purl);
			goto out;
		}
		deb_source(c, &p, &src, &srcver);
		k.source = src;
		k.source_version = srcver;
		k.arch = (char *)purl_qualifier(&p, "arch"); /* for the cache's changelogs */
	} else if (strcmp(p.type, "pypi") == 0) {
		struct comp *parent = find_ref(r, c->parent);
		const char *o = prop(c->props, "ward:owner");
		eco = ward_strdup("PyPI");
		struct comp *oc = o ? find_ref(r, o) : NULL;
		if (oc != NULL && is_deb(oc)) /* ward writes the owner's bom-ref */
			owner = deb_name_of(oc->purl);
		else if (o != NULL)
			owner = ward_strdup(o);
		else if (is_deb(parent))
			owner = deb_name_of(parent->purl);
		else
			owner = deb_name_of(guess_owner(r, c, p.name));
		k.owner = owner;
	} else {
		for (size_t i = 0; i < sizeof(purl_ecosystems) / sizeof(*purl_ecosystems); i++)
			if (strcmp(p.type, purl_ecosystems[i][0]) == 0)
				eco = ward_strdup(purl_ecosystems[i][1]);
		if (eco == NULL)
			eco = ward_strdup(p.type);
	}
	k.ecosystem = eco;
	rc = vuln_pkglist_add(r->out, &k);
out:
	free(eco);
	free(src);
	free(srcver);
	free(ver);
	free(owner);
	purl_free(&p);
	return rc;
}

int
vuln_pkglist_from_sbom_json(const json_t *doc, const char *what, struct vuln_pkglist *out)
{
	struct reader r = {0};
	const char *fmt = ward_json_str(doc, "bomFormat"),
		   *spdx = ward_json_str(doc, "spdxVersion");
	int rc = -1;

	r.out = out;
	if (fmt != NULL && strcmp(fmt, "CycloneDX") == 0) {
		json_t *meta = json_object_get(doc, "metadata");
		json_t *subject = json_object_get(meta, "component");
		const char *s;
		if (!json_is_array(json_object_get(doc, "components")) &&
		    json_object_get(doc, "components") != NULL) {
			ward_err(WARD_EINPUT, "%s: components is not an array", what);
			goto out;
		}
		if (subject != NULL) {
			if ((s = ward_json_str(subject, "purl")) != NULL)
				ward_strv_push(&out->target_ids, s);
			if ((s = ward_json_str(subject, "bom-ref")) != NULL &&
			    !ward_strv_contains(&out->target_ids, s))
				ward_strv_push(&out->target_ids, s);
			if (out->target == NULL && (s = ward_json_str(subject, "name")) != NULL)
				out->target = ward_strdup(s);
			if (ward_strv_check(&out->target_ids) != 0)
				goto out;
		}
		if (walk_cdx(&r, json_object_get(doc, "components"), NULL, 0) != 0)
			goto out;
	} else if (spdx != NULL && strncmp(spdx, "SPDX-2.", 7) == 0) {
		const char *s = ward_json_str(doc, "name");
		if (!json_is_array(json_object_get(doc, "packages"))) {
			ward_err(WARD_EINPUT, "%s: an SPDX document without packages", what);
			goto out;
		}
		if (out->target == NULL && s != NULL)
			out->target = ward_strdup(s);
		if (walk_spdx(&r, doc) != 0)
			goto out;
	} else {
		ward_err(WARD_EINPUT, "%s: neither a CycloneDX nor an SPDX 2.x JSON document",
			 what);
		goto out;
	}
	if (r.distro != NULL && out->distro == NULL)
		out->distro = ward_strdup(r.distro);
	for (size_t i = 0; i < r.n; i++)
		if (use_comp(&r, &r.c[i]) != 0)
			goto out;
	/* a Debian package's distro qualifier names the release when no
	 * operating-system component did */
	for (size_t i = 0; out->distro == NULL && i < out->n; i++)
		if (out->v[i].ecosystem && osv_ecosystem_kind(out->v[i].ecosystem) == OSV_DEBIAN)
			out->distro = ward_strdup(out->v[i].ecosystem);
	vuln_pkglist_sort(out);
	rc = 0;
out:
	for (size_t i = 0; i < r.n; i++)
		free(r.c[i].owner);
	free(r.c);
	free(r.distro);
	return rc;
}

int
vuln_pkglist_from_sbom(const char *path, struct vuln_pkglist *out)
{
	json_t *doc = ward_json_load_file(path, MAX_SBOM_BYTES);
	int rc;

	if (doc == NULL)
		return -1;
	if (out->target == NULL)
		out->target = ward_strdup(path);
	rc = vuln_pkglist_from_sbom_json(doc, path, out);
	json_decref(doc);
	return rc;
}
