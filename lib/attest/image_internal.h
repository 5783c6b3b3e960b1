/* image_internal.h: a signed image inside an OCI layout, shared by the
 * signing (image.c) and verification (verify*.c) code. */
#ifndef WARD_IMAGE_INTERNAL_H
#define WARD_IMAGE_INTERNAL_H

#include "attest/attest.h"
#include "oci/oci.h"

#define SIMG_MAX_BLOB (64u << 20) /* a signature, attestation or bundle blob */
#define SIMG_MAX_MANIFEST (4u << 20)

/* An image selected in a layout, with the names of its cosign entries. */
struct simg {
	struct oci_layout *l;		  /* owned; NULL after commit */
	char *dir;			  /* layout directory */
	char *tag;			  /* the tag asked for, or NULL */
	struct oci_descriptor image;	  /* the image's index entry (annotations NULL) */
	char hex[SHA256_HEX_LEN + 1];	  /* of the image manifest digest */
	char sig_tag[OCI_DIGEST_LEN + 8]; /* "sha256-<hex>.sig" */
	char att_tag[OCI_DIGEST_LEN + 8]; /* "sha256-<hex>.att" */
	char *identity;			  /* docker-reference / subject name */
};

/* simg_open(ref, identity, s): open the layout "DIR" or "DIR:tag" ("oci:"
 * prefix allowed) for update and select the image: the tagged entry, else
 * the only entry that is an image (not a cosign signature/attestation
 * manifest nor an artifact).  identity NULL: derived from the tag or the
 * directory name. */
int simg_open(const char *ref, const char *identity, struct simg *s);
int simg_commit(struct simg *s);
void simg_close(struct simg *s);

/* simg_split_ref(ref, dir, tag): "DIR[:tag]" -> dir (caller frees) and tag
 * (caller frees; NULL when none).  A path that exists as given is a DIR. */
int simg_split_ref(const char *ref, char **dir, char **tag);

/* simg_is_image_entry(d): an index entry that may be the image. */
int simg_is_image_entry(const struct oci_descriptor *d);

/* simg_read_manifest(l, d, raw, m): read (digest-checked) and parse. */
int simg_read_manifest(struct oci_layout *l, const struct oci_descriptor *d, struct ward_buf *raw,
		       struct oci_manifest *m);

/* simg_cosign_config(layers, n): the config cosign writes for a signature
 * or attestation image (zero times, diff_ids = layer digests). */
json_t *simg_cosign_config(const struct oci_descriptor *layers, size_t n);

/* simg_layout_remove(l, digest): drop every index entry for digest. */
int simg_layout_remove(struct oci_layout *l, const char *digest);

/* Known annotations, checked strictly when verifying. */
#define BUNDLE_CONTENT_ANNOTATION "dev.sigstore.bundle.content"
#define BUNDLE_PREDICATE_ANNOTATION "dev.sigstore.bundle.predicateType"

/* simg_payload_digest(p, n, out): "sha256:<hex>" of a statement. */
void simg_payload_digest(const void *p, size_t n, char out[OCI_DIGEST_LEN + 1]);

#endif
