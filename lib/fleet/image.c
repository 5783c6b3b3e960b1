/*
 * image.c: what `ward fleet add` records about an image, read the way
 * `ward scan` reads it: images and releases through lib/sbom's catalog
 * (vuln_pkglist_from_catalog), SBOMs through vuln_pkglist_from_sbom, so
 * the inventory holds exactly the package list a scan of the same input
 * matches.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fleet/fleet_internal.h"
#include "sbom/sbom.h"

#define MAX_DOC_BYTES (64u << 20)
#define MAX_POLICY_BYTES (1u << 20)

void
fleet_image_free(struct fleet_image *im)
{
	if (im == NULL)
		return;
	free(im->digest);
	ward_strv_free(&im->names);
	free(im->origin);
	vuln_pkglist_free(&im->pkgs);
	json_decref(im->vex);
	json_decref(im->facts);
	memset(im, 0, sizeof(*im));
}

static int
is_digest(const char *s, size_t n)
{
	if (n != 71 || strncmp(s, "sha256:", 7) != 0)
		return 0;
	for (size_t i = 7; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return 0;
	return 1;
}

/* The image digest an SBOM subject names: a bare digest, or the version
 * of a pkg:oci purl ("sha256:…", ':' possibly written %3A). */
static char *
digest_of(const char *id)
{
	const char *at, *end;
	char buf[80];
	size_t n = 0;

	if (is_digest(id, strlen(id)))
		return ward_strdup(id);
	if (strncmp(id, "pkg:oci/", 8) != 0 || (at = strchr(id, '@')) == NULL)
		return NULL;
	end = at + 1 + strcspn(at + 1, "?#");
	for (const char *p = at + 1; p < end && n + 1 < sizeof(buf); p++) {
		if (strncasecmp(p, "%3a", 3) == 0) {
			buf[n++] = ':';
			p += 2;
		} else {
			buf[n++] = *p;
		}
	}
	buf[n] = '\0';
	return is_digest(buf, n) ? ward_strdup(buf) : NULL;
}

static int
add_name(struct fleet_image *im, const char *name)
{
	if (name == NULL || *name == '\0' || ward_strv_contains(&im->names, name))
		return 0;
	return ward_strv_push(&im->names, name);
}

/* {"source": path, "doc": OpenVEX} appended to im->vex, checked by lib/vuln. */
static int
add_vex(struct fleet_image *im, const char *path)
{
	json_t *doc = ward_json_load_file(path, MAX_DOC_BYTES);
	struct vuln_vex *v = vuln_vex_new();
	int rc = -1;

	if (doc == NULL || v == NULL)
		goto out;
	if (vuln_vex_load_json(v, doc, path) != 0)
		goto out;
	if (im->vex == NULL && (im->vex = json_array()) == NULL)
		goto out;
	if (json_array_append_new(im->vex, json_pack("{s:s,s:O}", "source", path, "doc", doc)) !=
	    0) {
		ward_err(WARD_EENV, "out of memory");
		goto out;
	}
	rc = 0;
out:
	vuln_vex_free(v);
	json_decref(doc);
	return rc;
}

/* /ward/policy.json, when the image has one: what ward-init will let run. */
static int
read_policy(const struct sbom_catalog *c, struct fleet_image *im)
{
	ssize_t i = sbom_fileset_find(&c->fs, "ward/policy.json");
	struct ward_buf b = {0};
	json_t *policy;

	if (i < 0 || c->fs.files[i].type != SBOM_REG)
		return 0;
	if (sbom_fileset_read(&c->fs, (size_t)i, MAX_POLICY_BYTES, &b) != 0)
		return -1;
	policy = ward_json_loadb(b.data, b.len, "/ward/policy.json");
	ward_buf_free(&b);
	if (policy == NULL) {
		/* a policy ward-init would refuse: record that, not a guess */
		ward_warn("%s: %s", im->origin, ward_errmsg());
		ward_err_clear();
		policy = json_pack("{s:s}", "invalid", "ward/policy.json is not valid JSON");
	}
	im->facts = json_pack("{s:o}", "policy", policy);
	return im->facts ? 0 : ward_err(WARD_EENV, "out of memory");
}

static int
load_image(const char *ref, struct fleet_image *im)
{
	struct sbom_opts o = {0};
	struct sbom_catalog *c = NULL;
	int rc = -1;

	o.progress = ward_progress_new("reading image", 0, 1);
	rc = sbom_catalog_image(ref, &o, &c);
	ward_progress_done(o.progress);
	if (rc != 0)
		goto out;
	rc = -1;
	if (vuln_pkglist_from_catalog(c, &im->pkgs) != 0)
		goto out;
	if (c->digest == NULL) {
		ward_err(WARD_EINPUT, "%s: the image has no digest", ref);
		goto out;
	}
	if ((im->digest = ward_strdup(c->digest)) == NULL || add_name(im, im->pkgs.target) != 0 ||
	    read_policy(c, im) != 0)
		goto out;
	rc = 0;
out:
	sbom_catalog_free(c);
	return rc;
}

/* SPDX: the purl of the package the document DESCRIBES. */
static const char *
spdx_subject_purl(const json_t *doc)
{
	json_t *rel, *pkg, *ref;
	const char *subject = NULL;
	size_t i, k;

	json_array_foreach(json_object_get(doc, "relationships"), i, rel)
	{
		const char *t = ward_json_str(rel, "relationshipType");
		const char *e = ward_json_str(rel, "spdxElementId");
		if (t && e && strcmp(t, "DESCRIBES") == 0 && strcmp(e, "SPDXRef-DOCUMENT") == 0) {
			subject = ward_json_str(rel, "relatedSpdxElement");
			break;
		}
	}
	if (subject == NULL)
		subject = json_string_value(
			json_array_get(json_object_get(doc, "documentDescribes"), 0));
	json_array_foreach(json_object_get(doc, "packages"), i, pkg)
	{
		const char *id = ward_json_str(pkg, "SPDXID");
		if (subject == NULL || id == NULL || strcmp(id, subject) != 0)
			continue;
		json_array_foreach(json_object_get(pkg, "externalRefs"), k, ref)
		{
			const char *t = ward_json_str(ref, "referenceType");
			if (t && strcmp(t, "purl") == 0)
				return ward_json_str(ref, "referenceLocator");
		}
	}
	return NULL;
}

static int
load_sbom(const char *path, struct fleet_image *im)
{
	json_t *doc = ward_json_load_file(path, 512u << 20);
	const char *name, *purl;
	int rc = -1;

	if (doc == NULL)
		return -1;
	/* as vuln_pkglist_from_sbom does: the target is the file */
	if ((im->pkgs.target = ward_strdup(path)) == NULL ||
	    vuln_pkglist_from_sbom_json(doc, path, &im->pkgs) != 0)
		goto out;
	for (size_t i = 0; im->digest == NULL && i < im->pkgs.target_ids.n; i++)
		im->digest = digest_of(im->pkgs.target_ids.v[i]);
	if (im->digest == NULL && (purl = spdx_subject_purl(doc)) != NULL)
		im->digest = digest_of(purl);
	name = ward_json_str(json_object_get(json_object_get(doc, "metadata"), "component"),
			     "name");
	if (name == NULL)
		name = ward_json_str(doc, "name");
	if (add_name(im, name) != 0)
		goto out;
	rc = 0;
out:
	json_decref(doc);
	return rc;
}

/* A release directory: its image (release.json image.path and tag) and
 * its VEX artifact. */
static int
load_release(const char *dir, struct fleet_image *im)
{
	char *idx = ward_path_join(dir, "release.json"), *layout = NULL, *ref = NULL;
	char *vex = NULL;
	json_t *j = NULL, *img;
	const char *path, *tag, *digest;
	struct stat st;
	int rc = -1;

	if (idx == NULL || (j = ward_json_load_file(idx, MAX_DOC_BYTES)) == NULL)
		goto out;
	img = json_object_get(j, "image");
	path = ward_json_str(img, "path");
	tag = ward_json_str(img, "tag");
	digest = ward_json_str(img, "digest");
	if (path == NULL || digest == NULL || !ward_relpath_ok(path)) {
		ward_err(WARD_EINPUT, "%s: no image path and digest in it", idx);
		goto out;
	}
	if ((layout = ward_path_join(dir, path)) == NULL ||
	    (ref = tag ? ward_asprintf("%s:%s", layout, tag) : ward_strdup(layout)) == NULL)
		goto out;
	if (load_image(ref, im) != 0)
		goto out;
	if (strcmp(im->digest, digest) != 0) {
		ward_err(WARD_EINPUT, "%s: the image is %s, release.json says %s", dir, im->digest,
			 digest);
		goto out;
	}
	if ((vex = ward_path_join(dir, "artifacts/vex.openvex.json")) == NULL)
		goto out;
	if (stat(vex, &st) == 0 && add_vex(im, vex) != 0)
		goto out;
	if (ward_json_str(j, "name") != NULL && tag != NULL) {
		char *n = ward_asprintf("%s:%s", ward_json_str(j, "name"), tag);
		if (n == NULL || add_name(im, n) != 0) {
			free(n);
			goto out;
		}
		free(n);
	}
	rc = 0;
out:
	json_decref(j);
	free(idx);
	free(layout);
	free(ref);
	free(vex);
	return rc;
}

enum { SRC_IMAGE = 1, SRC_RELEASE, SRC_SBOM };

static int
source_kind(const char *what)
{
	struct stat st;
	char *p, head = 0;
	FILE *f;
	int r;

	if (stat(what, &st) != 0)
		return strchr(what, ':') != NULL ? SRC_IMAGE : ward_err_io(what, "cannot read");
	if (S_ISDIR(st.st_mode)) {
		if ((p = ward_path_join(what, "release.json")) == NULL)
			return -1;
		r = stat(p, &st) == 0 ? SRC_RELEASE : SRC_IMAGE;
		free(p);
		return r;
	}
	if ((f = fopen(what, "rb")) == NULL)
		return ward_err_io(what, "cannot read");
	while (fread(&head, 1, 1, f) == 1 && isspace((unsigned char)head))
		;
	fclose(f);
	return head == '{' ? SRC_SBOM : SRC_IMAGE;
}

int
fleet_image_load(const char *what, const struct fleet_load_opts *o, struct fleet_image *out)
{
	static const char *const prefix[] = {NULL, "image", "release", "sbom"};
	int kind = source_kind(what), rc;

	memset(out, 0, sizeof(*out));
	if (kind < 0)
		return -1;
	if ((out->origin = ward_asprintf("%s:%s", prefix[kind], what)) == NULL)
		return -1;
	rc = kind == SRC_IMAGE	   ? load_image(what, out)
	     : kind == SRC_RELEASE ? load_release(what, out)
				   : load_sbom(what, out);
	if (rc == 0 && o != NULL && o->digest != NULL) {
		if (!is_digest(o->digest, strlen(o->digest))) {
			rc = ward_err(WARD_EINPUT, "--digest %s: not a sha256:<64 hex> digest",
				      o->digest);
		} else if (out->digest != NULL && strcmp(out->digest, o->digest) != 0) {
			rc = ward_err(WARD_EINPUT, "%s: names the image %s, not %s", what,
				      out->digest, o->digest);
		} else if (out->digest == NULL && (out->digest = ward_strdup(o->digest)) == NULL) {
			rc = -1;
		}
	}
	if (rc == 0 && out->digest == NULL)
		rc = ward_err(WARD_EINPUT,
			      "%s: the SBOM names no image digest (a pkg:oci purl or sha256 "
			      "digest as its subject); give it with --digest",
			      what);
	for (size_t i = 0; rc == 0 && o != NULL && o->names != NULL && i < o->names->n; i++)
		rc = add_name(out, o->names->v[i]);
	for (size_t i = 0; rc == 0 && o != NULL && o->vex != NULL && i < o->vex->n; i++)
		rc = add_vex(out, o->vex->v[i]);
	if (rc != 0)
		fleet_image_free(out);
	return rc;
}
