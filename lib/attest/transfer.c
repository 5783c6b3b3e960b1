/*
 * transfer.c: a signed image between an OCI layout and a registry — the
 * image, the cosign .sig/.att tags and the OCI 1.1 referrers.
 */
#include <stdlib.h>
#include <string.h>

#include "attest/image_internal.h"

/* The registry tag for a layout tag: "v1" stays, "repo/name:v1" gives "v1",
 * "repo/name" gives none. */
static const char *
layout_tag(const struct simg *s)
{
	const char *colon;

	if (s->tag == NULL)
		return NULL;
	colon = strrchr(s->tag, ':');
	if (colon != NULL && strchr(colon, '/') == NULL)
		return colon + 1;
	return strchr(s->tag, '/') != NULL ? NULL : s->tag;
}

int
attest_push(const char *image, const char *ref, const struct reg_opts *o, const char *mount_from,
	    struct reg_stats *stats, char digest[OCI_DIGEST_LEN + 1])
{
	struct reg_client *c = NULL;
	struct reg_ref r;
	struct simg s;
	const char *tag;
	int rc = -1;

	if (reg_ref_parse(ref, &r) != 0)
		return -1;
	if (simg_open(image, NULL, &s) != 0) {
		reg_ref_free(&r);
		return -1;
	}
	if (r.digest != NULL && strcmp(r.digest, s.image.digest) != 0) {
		ward_err(WARD_EINPUT, "%s: the image is %s, not %s", image, s.image.digest,
			 r.digest);
		goto out;
	}
	tag = r.tag ? r.tag : r.digest ? NULL : layout_tag(&s) ? layout_tag(&s) : "latest";
	if ((c = reg_client_new(r.registry, r.repository, o)) == NULL)
		goto out;
	snprintf(digest, OCI_DIGEST_LEN + 1, "%s", s.image.digest);
	if (reg_push_tree(c, s.l, &s.image, tag, mount_from) != 0)
		goto out;
	for (int i = 0; i < 2; i++) {
		const char *t = i == 0 ? s.sig_tag : s.att_tag;
		const struct oci_descriptor *d = oci_layout_find(s.l, t);
		if (d != NULL && reg_push_tree(c, s.l, d, t, mount_from) != 0)
			goto out;
	}
	for (size_t i = 0; i < oci_layout_count(s.l); i++) {
		const struct oci_descriptor *d = oci_layout_entry(s.l, i);
		struct ward_buf raw = {0};
		struct oci_manifest m;
		int mine;

		if (strcmp(d->media_type, OCI_MT_MANIFEST) != 0 ||
		    strcmp(d->digest, s.image.digest) == 0)
			continue;
		if (simg_read_manifest(s.l, d, &raw, &m) != 0) {
			ward_buf_free(&raw);
			goto out;
		}
		mine = m.has_subject && strcmp(m.subject.digest, s.image.digest) == 0;
		oci_manifest_free(&m);
		ward_buf_free(&raw);
		if (mine && reg_push_tree(c, s.l, d, NULL, mount_from) != 0)
			goto out;
	}
	rc = 0;
out:
	if (c != NULL && stats != NULL)
		*stats = *reg_client_stats(c);
	reg_client_free(c);
	simg_close(&s);
	reg_ref_free(&r);
	return rc;
}

static int
add_entry(struct oci_layout *l, struct oci_descriptor *d, const char *kind, const char *tag)
{
	json_t *ann = kind ? json_pack("{s:s}", COSIGN_KIND_ANNOTATION, kind) : NULL;
	int rc;

	if (kind != NULL && ann == NULL)
		return ward_err(WARD_EENV, "out of memory");
	d->annotations = ann;
	rc = oci_layout_add(l, d, tag);
	d->annotations = NULL;
	json_decref(ann);
	return rc;
}

static int
pull_referrers(struct reg_client *c, struct oci_layout *l, const char *digest)
{
	json_t *idx = NULL, *e;
	size_t i;
	int rc = -1;

	if (reg_referrers(c, digest, &idx) != 0)
		return -1;
	json_array_foreach(json_object_get(idx, "manifests"), i, e)
	{
		struct oci_descriptor want, got;
		int found;

		if (oci_descriptor_from_json(e, &want, "referrers") != 0)
			goto out;
		if ((found = reg_pull_tree(c, want.digest, l, &got)) < 0)
			goto out;
		if (found == 0) {
			ward_err(WARD_EINPUT, "referrer %s is listed but missing", want.digest);
			goto out;
		}
		/* the entry keeps what the referrers index says about it */
		got.annotations = want.annotations;
		if (want.artifact_type[0] != '\0')
			snprintf(got.artifact_type, sizeof(got.artifact_type), "%s",
				 want.artifact_type);
		if (oci_layout_add(l, &got, NULL) != 0)
			goto out;
	}
	rc = 0;
out:
	json_decref(idx);
	return rc;
}

int
attest_pull(const char *ref, const char *dir, const struct reg_opts *o, struct reg_stats *stats,
	    char digest[OCI_DIGEST_LEN + 1])
{
	struct reg_client *c = NULL;
	struct oci_layout *l = NULL;
	struct oci_descriptor img, d;
	char hex[SHA256_HEX_LEN + 1], tag[OCI_DIGEST_LEN + 8];
	struct reg_ref r;
	int found, rc = -1;

	if (reg_ref_parse(ref, &r) != 0)
		return -1;
	if ((c = reg_client_new(r.registry, r.repository, o)) == NULL ||
	    (l = oci_layout_create(dir)) == NULL)
		goto out;
	if ((found = reg_pull_tree(c, reg_ref_reference(&r), l, &img)) <= 0) {
		if (found == 0)
			ward_err(WARD_EINPUT, "%s: no such image in the registry", ref);
		goto out;
	}
	snprintf(digest, OCI_DIGEST_LEN + 1, "%s", img.digest);
	if (add_entry(l, &img,
		      strcmp(img.media_type, OCI_MT_INDEX) == 0 ||
				      strcmp(img.media_type, DOCKER_MT_LIST) == 0
			      ? COSIGN_KIND_INDEX
			      : COSIGN_KIND_IMAGE,
		      r.tag	 ? r.tag
		      : r.digest ? NULL
				 : "latest") != 0)
		goto out;
	snprintf(hex, sizeof(hex), "%s", oci_digest_hex(img.digest));
	for (int i = 0; i < 2; i++) {
		snprintf(tag, sizeof(tag), "sha256-%s.%s", hex, i == 0 ? "sig" : "att");
		if ((found = reg_pull_tree(c, tag, l, &d)) < 0)
			goto out;
		if (found &&
		    add_entry(l, &d, i == 0 ? COSIGN_KIND_SIGS : COSIGN_KIND_ATTS, tag) != 0)
			goto out;
	}
	if (pull_referrers(c, l, img.digest) != 0)
		goto out;
	rc = oci_layout_commit(l);
	l = NULL;
out:
	if (c != NULL && stats != NULL)
		*stats = *reg_client_stats(c);
	oci_layout_abort(l);
	reg_client_free(c);
	reg_ref_free(&r);
	return rc;
}
