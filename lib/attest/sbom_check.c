/*
 * sbom_check.c: an attested SBOM against a fresh catalog of the image
 * (lib/sbom), and a lock's packages as provenance dependencies (lib/deb).
 */
#include <stdlib.h>
#include <string.h>

#include "attest/attest.h"
#include "sbom/sbom.h"

#define SBOM_CHECK_SHOWN 3

/* CycloneDX: every component, nested ones too. */
static int
cyclonedx_ids(const json_t *components, struct ward_strv *out, int depth)
{
	json_t *c;
	size_t i;

	if (depth > 32)
		return ward_err(WARD_EVERIFY, "SBOM: components nested too deep");
	json_array_foreach(components, i, c)
	{
		const char *purl = ward_json_str(c, "purl"), *name = ward_json_str(c, "name");
		const char *type = ward_json_str(c, "type"), *ver = ward_json_str(c, "version");
		char *id = purl ? ward_strdup(purl)
				: ward_asprintf("%s/%s@%s", type ? type : "?", name ? name : "?",
						ver ? ver : "");
		if (ward_strv_push_owned(out, id) != 0)
			return -1;
		if (cyclonedx_ids(json_object_get(c, "components"), out, depth + 1) != 0)
			return -1;
	}
	return 0;
}

static const char *
spdx_purl(const json_t *pkg)
{
	json_t *r;
	size_t i;

	json_array_foreach(json_object_get(pkg, "externalRefs"), i, r)
	{
		const char *t = ward_json_str(r, "referenceType");
		if (t != NULL && strcmp(t, "purl") == 0)
			return ward_json_str(r, "referenceLocator");
	}
	return NULL;
}

static int
spdx_ids(const json_t *packages, struct ward_strv *out)
{
	json_t *p;
	size_t i;

	json_array_foreach(packages, i, p)
	{
		const char *purl = spdx_purl(p), *name = ward_json_str(p, "name");
		const char *ver = ward_json_str(p, "versionInfo");
		char *id;

		/* the image itself: named after wherever it is stored, and
		 * already bound to the attestation by its digest */
		if (purl != NULL && ward_str_startswith(purl, "pkg:oci/"))
			continue;
		id = purl ? ward_strdup(purl)
			  : ward_asprintf("%s@%s", name ? name : "?", ver ? ver : "");
		if (ward_strv_push_owned(out, id) != 0)
			return -1;
	}
	return 0;
}

static int
ids_of(const char *ptype, const json_t *doc, struct ward_strv *out)
{
	int rc = strcmp(ptype, PREDICATE_CYCLONEDX) == 0
			 ? cyclonedx_ids(json_object_get(doc, "components"), out, 0)
			 : spdx_ids(json_object_get(doc, "packages"), out);

	ward_strv_sort(out);
	return rc;
}

/* The entries of a (sorted) that b lacks, as "x, y, z (and N more)". */
static int
missing(const struct ward_strv *a, const struct ward_strv *b, struct ward_buf *out, size_t *n)
{
	*n = 0;
	for (size_t i = 0; i < a->n; i++) {
		if (i > 0 && strcmp(a->v[i], a->v[i - 1]) == 0)
			continue;
		if (ward_strv_contains(b, a->v[i]))
			continue;
		if (*n < SBOM_CHECK_SHOWN &&
		    ward_buf_printf(out, "%s%s", *n ? ", " : "", a->v[i]) != 0)
			return -1;
		(*n)++;
	}
	if (*n > SBOM_CHECK_SHOWN &&
	    ward_buf_printf(out, " (and %zu more)", *n - SBOM_CHECK_SHOWN) != 0)
		return -1;
	return 0;
}

int
attest_sbom_check(void *ctx, const char *image, const char *ptype, const json_t *sbom,
		  struct ward_buf *detail)
{
	struct sbom_check_ctx *c = ctx, local = {0};
	struct sbom_opts so;
	struct sbom_catalog *cat;
	struct ward_strv attested = {0}, fresh = {0};
	struct ward_buf extra = {0}, lacking = {0};
	json_t *doc = NULL;
	size_t nextra, nlacking;
	int rc = -1;

	if (c == NULL)
		c = &local;
	so = (struct sbom_opts){.threads = c->threads};
	if (c->cat == NULL || c->image == NULL || strcmp(c->image, image) != 0) {
		attest_sbom_check_done(c);
		if ((c->image = ward_strdup(image)) == NULL ||
		    sbom_catalog_image(image, &so, &c->cat) != 0)
			goto out;
	}
	cat = c->cat;
	doc = strcmp(ptype, PREDICATE_CYCLONEDX) == 0 ? sbom_cyclonedx(cat) : sbom_spdx(cat);
	if (doc == NULL || ids_of(ptype, sbom, &attested) != 0 || ids_of(ptype, doc, &fresh) != 0 ||
	    missing(&attested, &fresh, &extra, &nextra) != 0 ||
	    missing(&fresh, &attested, &lacking, &nlacking) != 0)
		goto out;
	if (nextra > 0 || nlacking > 0) {
		ward_err(
			WARD_EVERIFY,
			"the SBOM differs from a fresh catalog of the image: %zu component(s) only "
			"in the SBOM%s%s, %zu only in the image%s%s",
			nextra, nextra ? ": " : "", nextra ? ward_buf_cstr(&extra) : "", nlacking,
			nlacking ? ": " : "", nlacking ? ward_buf_cstr(&lacking) : "");
		goto out;
	}
	rc = ward_buf_printf(detail, "%zu component(s), the same as a fresh catalog of the image",
			     fresh.n);
out:
	json_decref(doc);
	if (c == &local)
		attest_sbom_check_done(&local);
	ward_strv_free(&attested);
	ward_strv_free(&fresh);
	ward_buf_free(&extra);
	ward_buf_free(&lacking);
	return rc;
}

void
attest_sbom_check_done(struct sbom_check_ctx *c)
{
	if (c == NULL)
		return;
	sbom_catalog_free(c->cat);
	free(c->image);
	c->cat = NULL;
	c->image = NULL;
}

/* ---------------------------------------------------------------- lock */

/* "12.5" -> "debian-12", from the lock's first index that says. */
static char *
distro_of(const struct deb_lock *l)
{
	for (size_t i = 0; i < l->nindices; i++) {
		const char *v = l->indices[i].version, *o = l->indices[i].origin;
		if (v != NULL && *v >= '1' && *v <= '9' && (o == NULL || strcmp(o, "Debian") == 0))
			return ward_asprintf("debian-%ld", strtol(v, NULL, 10));
	}
	return NULL;
}

int
slsa_deps_from_lock(const struct deb_lock *l, struct slsa_deps *out)
{
	char *distro = distro_of(l);
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (l->npkgs > 0 && (out->v = ward_calloc(l->npkgs, sizeof(*out->v))) == NULL)
		goto out;
	for (size_t i = 0; i < l->npkgs; i++) {
		const struct deb_lock_pkg *p = &l->pkgs[i];
		struct ward_buf b = {0};

		if (ward_buf_puts(&b, "pkg:deb/debian/") != 0 ||
		    sbom_purl_encode(p->name, &b) != 0 || ward_buf_puts(&b, "@") != 0 ||
		    sbom_purl_encode(p->version, &b) != 0 ||
		    ward_buf_printf(&b, "?arch=%s", p->arch) != 0 ||
		    (distro != NULL && ward_buf_printf(&b, "&distro=%s", distro) != 0) ||
		    ward_strv_push_owned(&out->strings, ward_buf_steal(&b)) != 0) {
			ward_buf_free(&b);
			goto out;
		}
		out->v[i] = (struct slsa_dependency){.kind = "deb",
						     .name = p->name,
						     .version = p->version,
						     .uri = out->strings.v[out->strings.n - 1],
						     .sha256 = p->sha256};
		out->n++;
	}
	rc = 0;
out:
	free(distro);
	if (rc != 0)
		slsa_deps_free(out);
	return rc;
}

int
slsa_deps_add_wheels(const struct wheel_lock *w, struct slsa_deps *out)
{
	struct slsa_dependency *v;

	if (w == NULL || w->npins == 0)
		return 0;
	if ((v = ward_realloc(out->v, (out->n + w->npins) * sizeof(*v))) == NULL)
		return -1;
	out->v = v;
	for (size_t i = 0; i < w->npins; i++) {
		const struct wheel_pin *p = &w->pins[i];
		struct ward_buf b = {0};
		if (ward_buf_puts(&b, "pkg:pypi/") != 0 || sbom_purl_encode(p->name, &b) != 0 ||
		    ward_buf_puts(&b, "@") != 0 || sbom_purl_encode(p->version, &b) != 0 ||
		    ward_strv_push_owned(&out->strings, ward_buf_steal(&b)) != 0) {
			ward_buf_free(&b);
			return -1;
		}
		out->v[out->n++] =
			(struct slsa_dependency){.kind = "pypi",
						 .name = p->name,
						 .version = p->version,
						 .uri = out->strings.v[out->strings.n - 1],
						 .sha256 = p->sha256};
	}
	return 0;
}

void
slsa_deps_free(struct slsa_deps *d)
{
	if (d == NULL)
		return;
	free(d->v);
	ward_strv_free(&d->strings);
	memset(d, 0, sizeof(*d));
}
