/* release_internal.h: what the files of lib/release share. */
#ifndef WARD_RELEASE_INTERNAL_H
#define WARD_RELEASE_INTERNAL_H

#include "build/build.h"
#include "release/release.h"
#include "sbom/sbom.h"

/* One release in the making. */
struct rel {
	const struct release_opts *o;
	struct release_result *r;
	struct build_spec spec;
	int spec_loaded;
	struct deb_lock lock;
	char *lockpath;
	struct ward_outdir *out; /* the release directory in the making */
	char *tmp;		 /* the release being written (sibling of o->output) */
	char *art;		 /* tmp/artifacts */
	char *scratch;		 /* tmp/.scratch: removed before the commit */
	char *layout;		 /* tmp/image */
	char *ref;		 /* tmp/image:<tag> */
	char *identity;		 /* docker-reference / subject name */
	struct ward_key *pub;
	struct release_log log;
	json_t *files; /* [{path, sha256, size}] every artifact file, in order written */
	json_t *atts;  /* predicate type -> statement digest */
	json_t *summary;
	char spec_sha[72], lock_sha[72], init_sha[72];
	struct sbom_catalog *cat;
};

/* artifacts.c */
/* rel_put(x, name, data, len): write artifacts/<name> and record it. */
int rel_put(struct rel *x, const char *name, const void *data, size_t len);
int rel_put_json(struct rel *x, const char *name, const json_t *j, int pretty);
/* rel_file_sha(x, name): "sha256:<hex>" of an artifact written, or NULL. */
const char *rel_file_sha(const struct rel *x, const char *name);
/* rel_digest_file(path, out): "sha256:<hex>" of a file (or a directory,
 * attest_path_digest) into out[72]. */
int rel_digest_file(const char *path, char out[72]);
/* rel_attest(x, name, predicate_type, predicate, artifact): attest the
 * predicate about the image and log it. */
int rel_attest(struct rel *x, const char *name, const char *ptype, const json_t *predicate,
	       const char *artifact);
/* rel_sign(x, what): sign the image (both cosign forms), logged. */
int rel_sign(struct rel *x, const char *what);
/* rel_signature_files(x): signature payload + base64 signature (cosign's
 * --output-payload/--output-signature), the v3 bundle, the public key, and
 * the provenance's DSSE envelope, from the layout and the bundle file. */
int rel_signature_files(struct rel *x);

/* evidence.c: SBOMs, software hash, licenses, vulnerabilities, VEX. */
int rel_evidence(struct rel *x);
/* the provenance (SLSA v1) from the spec, the lock and the inputs. */
int rel_provenance(struct rel *x, const json_t *record);

/* verify.c: release_verify with the image's catalog lent (its ref must be
 * DIR/image:TAG, as the catalog was made from). */
int release_verify_catalog(const char *dir, const struct ward_key *key, int threads,
			   struct sbom_catalog *cat, const struct release_rebuild *rebuild,
			   json_t **out);

#endif
