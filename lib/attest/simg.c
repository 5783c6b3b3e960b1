/*
 * simg.c: finding an image and its cosign entries in an OCI layout.
 */
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "attest/image_internal.h"

static int
is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int
simg_split_ref(const char *ref, char **dir, char **tag)
{
	const char *colon;

	*dir = *tag = NULL;
	if (ward_str_startswith(ref, "oci:"))
		ref += 4;
	colon = strrchr(ref, ':');
	if (is_dir(ref) || colon == NULL || strchr(colon, '/') != NULL) {
		*dir = ward_strdup(ref);
		return *dir ? 0 : -1;
	}
	*dir = ward_strndup(ref, (size_t)(colon - ref));
	*tag = ward_strdup(colon + 1);
	if (*dir == NULL || *tag == NULL) {
		free(*dir);
		free(*tag);
		*dir = *tag = NULL;
		return -1;
	}
	if (**tag == '\0') {
		free(*tag);
		*tag = NULL;
	}
	return 0;
}

static int
is_cosign_tag(const char *t)
{
	return t != NULL && ward_str_startswith(t, "sha256-") &&
	       (ward_str_endswith(t, ".sig") || ward_str_endswith(t, ".att") ||
		ward_str_endswith(t, ".sbom") || strlen(t) == 7 + SHA256_HEX_LEN);
}

int
simg_is_image_entry(const struct oci_descriptor *d)
{
	const char *kind = ward_json_str(d->annotations, COSIGN_KIND_ANNOTATION);

	if (strcmp(d->media_type, OCI_MT_MANIFEST) != 0 &&
	    strcmp(d->media_type, OCI_MT_INDEX) != 0 &&
	    strcmp(d->media_type, DOCKER_MT_MANIFEST) != 0 &&
	    strcmp(d->media_type, DOCKER_MT_LIST) != 0)
		return 0;
	if (kind != NULL && strcmp(kind, COSIGN_KIND_IMAGE) != 0 &&
	    strcmp(kind, COSIGN_KIND_INDEX) != 0)
		return 0;
	if (d->artifact_type[0] != '\0')
		return 0;
	return !is_cosign_tag(ward_json_str(d->annotations, OCI_ANN_REF_NAME));
}

static const struct oci_descriptor *
select_image(const struct oci_layout *l, const char *dir, const char *tag)
{
	const struct oci_descriptor *found = NULL, *kinded = NULL;
	size_t n = 0, nkind = 0;

	if (tag != NULL) {
		found = oci_layout_find(l, tag);
		if (found == NULL)
			ward_err(WARD_EINPUT, "%s: no image tagged \"%s\"", dir, tag);
		else if (!simg_is_image_entry(found)) {
			ward_err(WARD_EINPUT, "%s:%s is not an image", dir, tag);
			found = NULL;
		}
		return found;
	}
	for (size_t i = 0; i < oci_layout_count(l); i++) {
		const struct oci_descriptor *d = oci_layout_entry(l, i);
		const char *kind = ward_json_str(d->annotations, COSIGN_KIND_ANNOTATION);
		if (!simg_is_image_entry(d))
			continue;
		if (found == NULL || strcmp(found->digest, d->digest) != 0)
			n++;
		found = d;
		if (kind != NULL) {
			kinded = d;
			nkind++;
		}
	}
	if (nkind == 1)
		return kinded;
	if (n == 1)
		return found;
	ward_err(WARD_EINPUT, "%s: %s; name one as %s:TAG", dir,
		 n == 0 ? "holds no image" : "holds several images", dir);
	return NULL;
}

static char *
derive_identity(const char *dir, const char *tag, const struct oci_descriptor *d)
{
	const char *ref = tag ? tag : ward_json_str(d->annotations, OCI_ANN_REF_NAME);
	char *copy, *base, *out;

	if (ref != NULL && strchr(ref, '/') != NULL) {
		const char *colon = strrchr(ref, ':');
		if (colon != NULL && strchr(colon, '/') == NULL)
			return ward_strndup(ref, (size_t)(colon - ref));
		return ward_strdup(ref);
	}
	if ((copy = ward_strdup(dir)) == NULL)
		return NULL;
	while (strlen(copy) > 1 && copy[strlen(copy) - 1] == '/')
		copy[strlen(copy) - 1] = '\0';
	base = basename(copy);
	out = ward_strdup(base);
	free(copy);
	return out;
}

int
simg_open(const char *ref, const char *identity, struct simg *s)
{
	const struct oci_descriptor *d;

	memset(s, 0, sizeof(*s));
	if (simg_split_ref(ref, &s->dir, &s->tag) != 0)
		return -1;
	if (!is_dir(s->dir)) {
		ward_err(WARD_EINPUT,
			 "%s: not an OCI layout directory (signatures and attestations "
			 "are stored in an OCI layout)",
			 s->dir);
		goto fail;
	}
	if ((s->l = oci_layout_open(s->dir)) == NULL)
		goto fail;
	if ((d = select_image(s->l, s->dir, s->tag)) == NULL)
		goto fail;
	s->image = *d;
	s->image.annotations = NULL;
	s->identity = identity ? ward_strdup(identity) : derive_identity(s->dir, s->tag, d);
	if (s->identity == NULL)
		goto fail;
	snprintf(s->hex, sizeof(s->hex), "%s", oci_digest_hex(s->image.digest));
	snprintf(s->sig_tag, sizeof(s->sig_tag), "sha256-%s.sig", s->hex);
	snprintf(s->att_tag, sizeof(s->att_tag), "sha256-%s.att", s->hex);
	return 0;
fail:
	simg_close(s);
	return -1;
}

int
simg_commit(struct simg *s)
{
	struct oci_layout *l = s->l;

	s->l = NULL;
	return oci_layout_commit(l);
}

void
simg_close(struct simg *s)
{
	if (s == NULL)
		return;
	if (s->l != NULL)
		oci_layout_abort(s->l);
	free(s->dir);
	free(s->tag);
	free(s->identity);
	memset(s, 0, sizeof(*s));
}

int
simg_read_manifest(struct oci_layout *l, const struct oci_descriptor *d, struct ward_buf *raw,
		   struct oci_manifest *m)
{
	struct oci_limits lim;

	oci_limits_default(&lim);
	memset(m, 0, sizeof(*m));
	if (oci_layout_read_blob(l, d, SIMG_MAX_MANIFEST, raw) != 0)
		return -1;
	return oci_manifest_parse(raw->data, raw->len, d->digest, &lim, m);
}

json_t *
simg_cosign_config(const struct oci_descriptor *layers, size_t n)
{
	static const char zero[] = "0001-01-01T00:00:00Z";
	json_t *hist = json_array(), *ids = json_array(), *c;

	for (size_t i = 0; hist != NULL && ids != NULL && i < n; i++) {
		json_array_append_new(hist, json_pack("{s:s}", "created", zero));
		json_array_append_new(ids, json_string(layers[i].digest));
	}
	c = json_pack("{s:s,s:s,s:o,s:s,s:{s:s,s:o},s:{}}", "architecture", "", "created", zero,
		      "history", hist, "os", "", "rootfs", "type", "layers", "diff_ids", ids,
		      "config");
	if (c == NULL)
		ward_err(WARD_EENV, "cannot build a signature config");
	return c;
}

void
simg_payload_digest(const void *p, size_t n, char out[OCI_DIGEST_LEN + 1])
{
	uint8_t d[SHA256_LEN];

	sha256(p, n, d);
	oci_digest_format(d, out);
}

int
simg_layout_remove(struct oci_layout *l, const char *digest)
{
	return oci_layout_remove(l, digest);
}
