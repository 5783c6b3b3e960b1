/*
 * registry: a client for the OCI distribution API over libcurl.  Blob
 * upload (monolithic, or chunked PATCHes), cross-repository mount, skip of
 * blobs the registry already has, manifests by tag or digest, tag lists,
 * the referrers API with the referrers-tag fallback ("sha256-<hex>" index)
 * for registries without it.  Authentication: HTTP basic, and the bearer
 * token flow (WWW-Authenticate challenge -> token endpoint -> retry).
 * TLS is verified; plain HTTP or unverified TLS only with opts.insecure.
 *
 * Everything that comes back from a registry is checked: a blob or a
 * manifest whose bytes do not hash to the digest asked for is a
 * WARD_EVERIFY error naming the registry, repository and digest.  Network
 * and HTTP trouble is WARD_EENV; an unknown manifest or repository is
 * WARD_EINPUT.
 *
 * Above the transport, reg_push_tree()/reg_pull_tree() copy a manifest (an
 * image, an index and its children, a signature or attestation manifest, a
 * referrer) and every blob it names between an OCI layout and a registry.
 */
#ifndef WARD_REGISTRY_H
#define WARD_REGISTRY_H

#include <stdint.h>

#include "core/core.h"
#include "oci/oci.h"

/* ------------------------------------------------------------ references */

/* "host[:port]/name[:tag][@sha256:hex]".  A first component without '.'
 * or ':' (and not "localhost") means Docker Hub, as in docker/podman. */
struct reg_ref {
	char *registry;	  /* "127.0.0.1:5000" */
	char *repository; /* "team/app" */
	char *tag;	  /* NULL when none */
	char *digest;	  /* NULL when none */
};
int reg_ref_parse(const char *s, struct reg_ref *out);
/* reg_ref_reference(r): the digest if any, else the tag, else "latest". */
const char *reg_ref_reference(const struct reg_ref *r);
/* reg_ref_name(r): "registry/repository" (caller frees). */
char *reg_ref_name(const struct reg_ref *r);
void reg_ref_free(struct reg_ref *r);

/* ------------------------------------------------------------ client */

#define REG_DEFAULT_TIMEOUT 3600 /* seconds */

struct reg_opts {
	int insecure;			/* allow plain HTTP and unverified TLS */
	const char *ca_file;		/* extra trusted CA certificates (PEM) */
	const char *username;		/* NULL: WARD_REGISTRY_USERNAME, then auth files */
	const char *password;		/* NULL: WARD_REGISTRY_PASSWORD, then auth files */
	uint64_t chunk_size;		/* blobs larger than this go in PATCH chunks; 0 = 8 MiB */
	uint64_t timeout_s;		/* the whole push or pull, from reg_client_new, must
					 * finish within it (0: WARD_REGISTRY_TIMEOUT, else
					 * REG_DEFAULT_TIMEOUT): a registry that drips a byte
					 * now and then cannot hold ward forever */
	struct ward_progress *progress; /* bytes moved; may be NULL */
};

/* Counters of what a push or pull did. */
struct reg_stats {
	size_t blobs_uploaded, blobs_skipped, blobs_mounted, blobs_fetched;
	size_t chunks; /* PATCH requests */
	size_t manifests;
	uint64_t bytes;
	int referrers_api; /* 1: the registry answered the referrers API */
};

struct reg_client;

/* reg_client_new(registry, repository, o): a client for one repository
 * (o is copied; its strings are borrowed for the client's lifetime).
 * Credentials: o, else WARD_REGISTRY_USERNAME/PASSWORD, else the entry for
 * registry in $REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json
 * or ~/.docker/config.json ("auth": base64 "user:password").  The scheme
 * is settled by a first request to /v2/.  Caller reg_client_free()s. */
struct reg_client *reg_client_new(const char *registry, const char *repository,
				  const struct reg_opts *o);
void reg_client_free(struct reg_client *c);
/* The statistics so far (borrowed). */
struct reg_stats *reg_client_stats(struct reg_client *c);

/* reg_blob_exists(c, digest, size): 1 when the repository has the blob
 * (*size set when size is not NULL), 0 when not, -1 on error. */
int reg_blob_exists(struct reg_client *c, const char *digest, uint64_t *size);
/* reg_blob_mount(c, digest, from): ask to mount the blob from repository
 * from of the same registry: 1 mounted, 0 refused (the caller uploads). */
int reg_blob_mount(struct reg_client *c, const char *digest, const char *from);
/* reg_blob_upload_file(c, path, digest, size): upload a file as a blob,
 * in chunks of o.chunk_size when larger; the registry must confirm the
 * digest.  reg_blob_upload_mem: the same from memory. */
int reg_blob_upload_file(struct reg_client *c, const char *path, const char *digest, uint64_t size);
int reg_blob_upload_mem(struct reg_client *c, const void *p, size_t n, const char *digest);
/* reg_blob_fetch(c, digest, size, sink, ctx): stream a blob to sink,
 * checking its size (when size is not UINT64_MAX) and digest; a mismatch is
 * WARD_EVERIFY and the sink has then seen bytes that must be discarded. */
int reg_blob_fetch(struct reg_client *c, const char *digest, uint64_t size, oci_sink_fn sink,
		   void *ctx);

#define REG_MAX_MANIFEST (4u << 20)

/* reg_manifest_get(c, reference, out, media_type, digest): a manifest or
 * index by tag or digest, checked against the digest when reference is
 * one (and against Docker-Content-Digest when the registry sends it).
 * 1 when found (out appended; media_type[OCI_MEDIA_TYPE_MAX+1] and
 * digest[OCI_DIGEST_LEN+1] filled), 0 when the registry has no such
 * manifest (no error recorded), -1 on error. */
int reg_manifest_get(struct reg_client *c, const char *reference, struct ward_buf *out,
		     char *media_type, char *digest);
/* reg_manifest_put(c, reference, media_type, p, n, subject_ok): store a
 * manifest under a tag or its digest; the registry must answer with the
 * digest of p.  *subject_ok (may be NULL) is 1 when the registry announced
 * that it processed a subject field (OCI-Subject header). */
int reg_manifest_put(struct reg_client *c, const char *reference, const char *media_type,
		     const void *p, size_t n, int *subject_ok);

/* reg_referrers(c, digest, out): the referrers of a manifest as an OCI
 * image index, from the referrers API or else from the "sha256-<hex>"
 * fallback tag; an index with no manifests when there are none.  Caller
 * json_decref()s *out. */
int reg_referrers(struct reg_client *c, const char *digest, json_t **out);
/* reg_referrers_tag(digest, out): "sha256-<hex>" into out[OCI_DIGEST_LEN+1]. */
void reg_referrers_tag(const char *digest, char *out);

/* ------------------------------------------------------------ copying trees */

/* reg_push_tree(c, l, d, tag, mount_from): push the manifest d of layout l,
 * every blob it names (skipping those the registry has; with mount_from,
 * first asking to mount them from that repository) and, for an index, its
 * child manifests; then the manifest itself, under tag when not NULL,
 * else by digest.  A manifest with a subject is also recorded in the
 * subject's referrers-tag index when the registry did not process the
 * subject itself. */
int reg_push_tree(struct reg_client *c, struct oci_layout *l, const struct oci_descriptor *d,
		  const char *tag, const char *mount_from);
/* reg_pull_tree(c, reference, l, out): fetch a manifest by tag or digest,
 * its blobs and (for an index) its children into layout l, checking every
 * digest; out receives its descriptor (media type, digest, size, and
 * artifactType; annotations NULL).  1 when pulled, 0 when the registry has
 * no such manifest, -1 on error. */
int reg_pull_tree(struct reg_client *c, const char *reference, struct oci_layout *l,
		  struct oci_descriptor *out);

#endif
