/*
 * attest: statements about artifacts.  Sections:
 *  - in-toto statements and predicate types.
 *  - cosign: the simple-signing payload (legacy signatures).
 *  - SLSA provenance v1 for ward builds (docs/provenance.md).
 *  - Signed images: cosign-compatible signatures and attestations stored
 *    in an OCI layout, the attestation bundle, and verification.
 * See FORMATS.md "cosign" and "DSSE, in-toto, SLSA, Sigstore bundle".
 */
#ifndef WARD_ATTEST_H
#define WARD_ATTEST_H

#include "core/core.h"
#include "crypto/crypto.h"
#include "deb/deb.h"
#include "oci/oci.h"
#include "oms/oms.h"
#include "registry/registry.h"

struct sbom_catalog;

/* ------------------------------------------------------ Sigstore (keyless) */

/*
 * Verification of Sigstore bundles signed keylessly (a Fulcio certificate,
 * a Rekor v1 or v2 entry, RFC 3161 timestamps) or with a managed key,
 * offline, against a trusted root (docs/signing.md lists every check in
 * order).  The bundle's verification material decides the path: a
 * certificate needs an identity policy, a public key needs the key; asking
 * for the other one is an error, never a fallback.
 */
struct sigstore_root; /* a parsed trusted_root.json */

/* sigstore_root_load(path): read a trusted_root.json; path NULL means
 * $WARD_TRUSTED_ROOT when set, else the copy of the public-good instance's
 * root built into ward (WARD_EINPUT naming what is missing when ward was
 * built without one).  Every key and CA needs validFor.start; a malformed
 * root is refused whole.  Caller sigstore_root_free()s. */
struct sigstore_root *sigstore_root_load(const char *path);
struct sigstore_root *sigstore_root_parse(const void *p, size_t n, const char *what);
void sigstore_root_free(struct sigstore_root *r);
/* sigstore_root_source(r): "built-in", or the path it was read from;
 * sigstore_root_digest(r): "sha256:<hex>" of its bytes. */
const char *sigstore_root_source(const struct sigstore_root *r);
const char *sigstore_root_digest(const struct sigstore_root *r);
/* sigstore_builtin_root(info): the built-in root as JSON {digest, date,
 * source, tlogs, ctlogs, fulcio, tsas} or {"present": false}; for
 * `ward version --json`.  Caller decrefs. */
json_t *sigstore_builtin_root_info(void);

/* Who must have signed (cosign's flags): exact values or POSIX extended
 * regular expressions (unanchored, as cosign; anchor them with ^ and $).
 * One of identity / identity_regexp and one of issuer / issuer_regexp. */
struct sigstore_policy {
	const char *identity, *identity_regexp;
	const char *issuer, *issuer_regexp;
};

struct sigstore_opts {
	const struct sigstore_root *root;     /* required for certificates and log entries */
	const struct sigstore_policy *policy; /* for a certificate bundle */
	const struct ward_key *key;	      /* for a public-key bundle */
	/* The artifact: its SHA-256 (a message signature must be over it, a
	 * DSSE statement must name it as a subject), or NULL when the caller
	 * checks the DSSE payload itself (images, models). */
	const uint8_t *artifact_sha256;
	const void *artifact; /* its bytes, when at hand (Ed25519 keys need them) */
	size_t artifact_len;
	int64_t now; /* 0: the current time (an integrated time after it fails) */
};

struct sigstore_result {
	int keyless;		 /* 1: certificate path, 0: key path */
	char *identity;		 /* the certificate's SAN */
	char *issuer;		 /* its OIDC issuer extension */
	int64_t signed_at;	 /* earliest verified time, 0 when none */
	char *log;		 /* the Rekor log the entry is in (its baseUrl) */
	int rekor_version;	 /* 1 or 2; 0 without an entry */
	char *payload_type;	 /* DSSE: the envelope's payload type ... */
	struct ward_buf payload; /* ... and payload */
	struct ward_strv checks; /* "link: what held", in the order checked */
};

/* sigstore_verify(bundle, o, r, what): verify one bundle (v0.1-v0.3) as
 * docs/signing.md says: media type, material vs the path asked, signature
 * times (RFC 3161 timestamps from a trusted TSA, Rekor v1 integrated times
 * behind a valid SET), the Fulcio chain at each time, SCT, key usage,
 * identity policy, each log entry (body matches the bundle, SET, Merkle
 * inclusion proof under a checkpoint signed by the log, log key valid at
 * the time), then the signature over the artifact or the DSSE envelope.
 * 0 when everything holds; -1 with WARD_EVERIFY naming the broken link
 * (WARD_EINPUT for a bundle that is not a bundle).  r is filled as far as
 * verification got; the caller sigstore_result_free()s it either way. */
int sigstore_verify(json_t *bundle, const struct sigstore_opts *o, struct sigstore_result *r,
		    const char *what);
void sigstore_result_free(struct sigstore_result *r);
/* sigstore_dsse_verify(ctx, bundle, what, payload_type, payload): an
 * oms_bundle_verify_fn for keyless model signatures: sigstore_verify with
 * ctx (a struct sigstore_opts; its artifact is ignored: the model's
 * statement is checked by oms_verify), handing back the DSSE payload; a
 * message-signature bundle is refused. */
int sigstore_dsse_verify(void *ctx, json_t *bundle, const char *what, char **payload_type,
			 struct ward_buf *payload);
/* sigstore_bundle_has_certificate(bundle): 1 when the verification
 * material is a certificate (the keyless path), 0 otherwise. */
int sigstore_bundle_has_certificate(const json_t *bundle);

/* ------------------------------------------------------ in-toto statements */

#define INTOTO_STATEMENT_V01 "https://in-toto.io/Statement/v0.1"
#define PREDICATE_COSIGN_SIGN "https://sigstore.dev/cosign/sign/v1"
#define PREDICATE_SLSA_V1 "https://slsa.dev/provenance/v1"
#define PREDICATE_CYCLONEDX "https://cyclonedx.org/bom"
#define PREDICATE_SPDX "https://spdx.dev/Document"
#define PREDICATE_OPENVEX "https://openvex.dev/ns"
#define PREDICATE_COSIGN_VULN "https://cosign.sigstore.dev/attestation/vuln/v1"
#define PREDICATE_COSIGN_CUSTOM "https://cosign.sigstore.dev/attestation/v1"
#define PREDICATE_WARD_TEST "https://ward.dev/attestation/test-report/v1"
#define PREDICATE_WARD_LICENSE "https://ward.dev/attestation/license-report/v1"
#define PREDICATE_WARD_VULN "https://ward.dev/attestation/vuln-report/v1"

/* attest_predicate_type(name): the predicate type URI for a short name
 * (cosign's: custom, slsaprovenance1, spdx, spdxjson, cyclonedx, vuln,
 * openvex; ward's: provenance, sbom-cyclonedx, sbom-spdx, vex, test,
 * license, vuln-report) or name itself when it is an absolute http(s) URI.
 * NULL with WARD_EINPUT otherwise.  The result is static or is name. */
const char *attest_predicate_type(const char *name);
/* attest_predicate_name(uri): a short name for display ("cyclonedx",
 * "provenance", ...), or uri itself when it has none. */
const char *attest_predicate_name(const char *uri);

/* intoto_statement(name, sha256_hex, predicate_type, predicate): a new
 * in-toto Statement v1 with one subject {name, digest: {sha256}} (name may
 * be NULL: left out, as cosign does).  predicate is referenced, not
 * stolen.  Caller json_decref()s. */
json_t *intoto_statement(const char *name, const char *sha256_hex, const char *predicate_type,
			 json_t *predicate);

/* A checked statement; fields borrowed from root. */
struct intoto {
	json_t *root;	  /* owned */
	const char *type; /* _type (v1 or v0.1) */
	const char *predicate_type;
	json_t *subjects;  /* array, non-empty, each with digest.sha256 */
	json_t *predicate; /* object */
};
/* intoto_parse(payload, n, what, out): parse untrusted statement bytes:
 * _type v1 or v0.1, a non-empty subject list whose digests are objects of
 * lowercase-hex strings (sha256 required), a predicateType and an object
 * predicate.  Unknown top-level fields are refused.  WARD_EINPUT on error;
 * release with intoto_free(). */
int intoto_parse(const void *payload, size_t n, const char *what, struct intoto *out);
/* intoto_has_subject(st, sha256_hex): 1 when a subject carries that digest. */
int intoto_has_subject(const struct intoto *st, const char *sha256_hex);
void intoto_free(struct intoto *st);

/* ------------------------------------------------------ cosign payloads */

#define COSIGN_SIMPLESIGNING_TYPE "cosign container image signature"
#define COSIGN_SIMPLESIGNING_MEDIA_TYPE "application/vnd.dev.cosign.simplesigning.v1+json"
#define COSIGN_DSSE_MEDIA_TYPE "application/vnd.dsse.envelope.v1+json"
#define COSIGN_SIGNATURE_ANNOTATION "dev.cosignproject.cosign/signature"
#define COSIGN_PREDICATE_ANNOTATION "predicateType"
#define COSIGN_KIND_ANNOTATION "kind"
#define COSIGN_KIND_IMAGE "dev.cosignproject.cosign/image"
#define COSIGN_KIND_INDEX "dev.cosignproject.cosign/imageIndex"
#define COSIGN_KIND_SIGS "dev.cosignproject.cosign/sigs"
#define COSIGN_KIND_ATTS "dev.cosignproject.cosign/atts"
/* The signature may commit to the attestations present when it was made:
 * optional[WARD_ATTESTATIONS_ANNOTATION] = sorted, comma-separated
 * "sha256:<hex>" digests of the attestation statements (DSSE payloads). */
#define WARD_ATTESTATIONS_ANNOTATION "dev.ward.attestations"

/* cosign_payload(docker_reference, digest, optional): the simple-signing
 * payload, compact, in cosign's field order; digest is "sha256:<hex>";
 * optional may be NULL (written as null) or an object of strings.  Caller
 * frees. */
char *cosign_payload(const char *docker_reference, const char *digest, const json_t *optional);

/* A checked simple-signing payload; strings borrowed from root. */
struct cosign_claim {
	json_t *root; /* owned */
	const char *docker_reference;
	const char *digest; /* "sha256:<hex>" */
	json_t *optional;   /* object or NULL */
};
/* cosign_payload_parse(p, n, what, out): strict parse (the fields cosign
 * writes, no others; type must be COSIGN_SIMPLESIGNING_TYPE).  Release
 * with cosign_claim_free(). */
int cosign_payload_parse(const void *p, size_t n, const char *what, struct cosign_claim *out);
void cosign_claim_free(struct cosign_claim *c);

/* ------------------------------------------------------ SLSA provenance */

/* Identifiers documented in docs/provenance.md. */
#define WARD_SLSA_BUILD_TYPE "https://ward.dev/slsa/build/v1"
#define WARD_SLSA_BUILDER_ID "https://ward.dev/slsa/builder/local/v1"

/* One resolved dependency: a lock entry, a local input, ward itself. */
struct slsa_dependency {
	const char *kind;    /* "deb", "pypi", "model", "file", "dir", "ward", ... */
	const char *name;    /* package name or input path as the spec names it */
	const char *version; /* NULL for files */
	const char *uri;     /* download URL or purl; NULL for local files */
	const char *sha256;  /* lowercase hex */
};

/* What a build hands to slsa_provenance().  Every pointer is borrowed. */
struct slsa_params {
	const char *spec_path; /* "ward.yaml" as given */
	const void *spec;      /* its bytes (UTF-8 text) */
	size_t spec_len;
	const char *lock_path; /* NULL when there is no lock */
	const void *lock;
	size_t lock_len;
	const struct slsa_dependency *lock_entries; /* every lock entry */
	size_t nlock;
	const struct slsa_dependency *inputs; /* local files/dirs (attest_path_digest) */
	size_t ninputs;
	const char *ward_path;		 /* NULL: /proc/self/exe */
	const char *builder_id;		 /* NULL: $WARD_BUILDER_ID, else the default */
	const char *invocation_id;	 /* NULL: derived from the inputs */
	int64_t started_on, finished_on; /* -1: SOURCE_DATE_EPOCH if set, else omitted */
	const json_t *internal;		 /* extra internalParameters object, or NULL */
	const json_t *byproducts;	 /* array of resource descriptors, or NULL */
};

/* slsa_provenance(p): the SLSA v1 predicate (buildDefinition, runDetails),
 * deterministic for the same params: resolvedDependencies are the lock
 * entries, the inputs and the ward binary (digest + version), sorted.
 * Caller json_decref()s. */
json_t *slsa_provenance(const struct slsa_params *p);

/* attest_path_digest(path, hex): SHA-256 of a regular file, or of a
 * directory as the SHA-256 of its sha256sum-style listing ("<hex>  <rel>\n"
 * per regular file, sorted bytewise by relative path; symlinks and special
 * files refused).  docs/provenance.md shows how to recompute it. */
int attest_path_digest(const char *path, char hex[SHA256_HEX_LEN + 1]);

/* A lock's packages as provenance dependencies: kind "deb", the package
 * name and version, uri its purl (pkg:deb/debian/NAME@VERSION?arch=A
 * [&distro=debian-N]), sha256 of the .deb.  Names, versions and digests
 * are borrowed from lock, which must outlive out.  Release with
 * slsa_deps_free(). */
struct slsa_deps {
	struct slsa_dependency *v;
	size_t n;
	struct ward_strv strings; /* owns the uris */
};
int slsa_deps_from_lock(const struct deb_lock *lock, struct slsa_deps *out);
void slsa_deps_free(struct slsa_deps *d);

/* slsa_check_lock(predicate, lock, n, what): every lock entry appears in
 * resolvedDependencies with the same name, version and sha256 (and uri
 * when both have one), and every dependency of a kind the lock holds is a
 * lock entry.  WARD_EVERIFY naming the first difference. */
int slsa_check_lock(const json_t *predicate, const struct slsa_dependency *lock, size_t n,
		    const char *what);
/* slsa_check_predicate(predicate, what): the shape ward writes and reads
 * (buildType, externalParameters.spec digest matches its content,
 * resolvedDependencies each with a sha256).  WARD_EINPUT/WARD_EVERIFY. */
int slsa_check_predicate(const json_t *predicate, const char *what);

/* ------------------------------------------------------ signed images */

/*
 * Where ward keeps signatures and attestations (docs/signing.md), inside the
 * image's OCI layout, in both of cosign's forms:
 *  - legacy: a manifest tagged "sha256-<hex>.sig" (one simple-signing layer
 *    per signature, annotation dev.cosignproject.cosign/signature) and one
 *    tagged "sha256-<hex>.att" (one DSSE envelope layer per attestation,
 *    annotation predicateType), index entries annotated kind=.../sigs|atts;
 *  - cosign v3: one OCI 1.1 referrer manifest per signature or attestation
 *    (artifactType and layer = Sigstore bundle v0.3, subject = the image,
 *    annotation dev.sigstore.bundle.predicateType), listed in index.json.
 * The image's own entry gets kind=dev.cosignproject.cosign/image, so
 * `cosign verify --local-image` finds image, signatures and attestations.
 * Signing (or attesting) again with the same key replaces what that key
 * signed before (for an attestation: of the same predicate type).
 */

struct attest_image_opts {
	const char *identity; /* docker-reference and in-toto subject name;
				 NULL: from the tag ("repo:tag" -> "repo") or
				 the layout's directory name */
};

struct attest_result {
	char image[OCI_DIGEST_LEN + 1];	    /* the image manifest digest */
	char statement[OCI_DIGEST_LEN + 1]; /* sha256 of the signed payload */
	char legacy[OCI_DIGEST_LEN + 1];    /* the .sig / .att manifest */
	char referrer[OCI_DIGEST_LEN + 1];  /* the referrer manifest */
	size_t replaced;		    /* earlier entries by the same key */
	size_t committed;		    /* sign: attestations the signature covers */
};

/* attest_sign_image(image, key, o, r): sign the image "DIR[:tag]" in both
 * forms.  The signature commits to the attestations present that verify
 * with the key (WARD_ATTESTATIONS_ANNOTATION), so dropping one later is
 * detected: attest first, sign last.  r may be NULL. */
int attest_sign_image(const char *image, const struct ward_key *key,
		      const struct attest_image_opts *o, struct attest_result *r);

/* attest_image(image, key, predicate_type, predicate, o, r): DSSE-sign the
 * in-toto statement {subject: the image, predicate_type, predicate} and
 * store it in both forms. */
int attest_image(const char *image, const struct ward_key *key, const char *predicate_type,
		 const json_t *predicate, const struct attest_image_opts *o,
		 struct attest_result *r);

/* attest_bundle_write(image, path, lines): the attestation bundle: one
 * Sigstore bundle v0.3 per line (the image signature first, then every
 * attestation ordered by predicate type and statement digest), exactly the
 * bytes of the referrer layers, written atomically.  *lines may be NULL. */
int attest_bundle_write(const char *image, const char *path, size_t *lines);

/* ------------------------------------------------------ verification */

enum verify_status { VERIFY_PASS = 0, VERIFY_FAIL, VERIFY_SKIP };

/* One check of `ward verify`, in the order they ran. */
struct verify_check {
	char *subject; /* what: "layer 2 sha256:...", "signature sha256-<hex>.sig [1]" */
	int status;    /* enum verify_status */
	char *detail;  /* pass: what held; fail: why; skip: why it did not run */
};

/* One verified attestation (counted once however many forms hold it). */
struct verify_attestation {
	char *predicate_type;
	char statement[OCI_DIGEST_LEN + 1]; /* sha256 of the DSSE payload */
	int legacy, referrer, bundle_line;  /* the forms it was found in */
	int committed;			    /* covered by a signature */
	json_t *predicate;		    /* owned */
};

struct verify_report {
	char *ref;			/* the image as given */
	char image[OCI_DIGEST_LEN + 1]; /* its manifest digest */
	struct verify_check *checks;
	size_t n, cap;
	size_t failures, skipped;
	size_t signatures; /* signatures that verified */
	struct verify_attestation *atts;
	size_t natts;
	char *first_failure; /* "subject: reason", NULL when verified */
};

/* Plug-ins for checks other parts of ward provide; NULL = reported as
 * skipped.  Each returns 0 when the check holds (with a short summary in
 * detail), -1 with the reason recorded (WARD_EVERIFY for a mismatch). */
typedef int (*verify_sbom_fn)(void *ctx, const char *image, const char *predicate_type,
			      const json_t *sbom, struct ward_buf *detail);
/* rebuild: build again from the provenance; digest receives the result. */
typedef int (*verify_rebuild_fn)(void *ctx, const json_t *provenance,
				 char digest[OCI_DIGEST_LEN + 1]);

struct verify_opts {
	const struct ward_key *key; /* public key, or */
	/* keyless: cosign keyless signatures and attestations (a Fulcio
	 * certificate, a Rekor entry) checked with sigstore_verify against
	 * keyless->root and ->policy; the image is bound by the statement or
	 * payload as for keys.  Exactly one of key and keyless. */
	const struct sigstore_opts *keyless;
	const char *bundle;		 /* attestation bundle (JSON lines) to check too */
	const struct ward_strv *require; /* predicate type URIs that must be attested */
	int threads;
	struct ward_progress *progress;
	verify_sbom_fn sbom; /* SBOM vs a fresh catalog of the image */
	void *sbom_ctx;
	const struct slsa_dependency *lock; /* provenance vs these lock entries ... */
	size_t nlock;
	int have_lock; /* ... when set (an empty lock is a lock) */
	int rebuild;   /* --rebuild asked */
	verify_rebuild_fn rebuild_fn;
	void *rebuild_ctx;
};

/* attest_verify_image(image, o, r): check everything about a signed image
 * "DIR[:tag]": every blob's digest and size (manifest, config, layers,
 * diff_ids), every signature in both forms (payload or statement names
 * this image, signature verifies with the key), every attestation (DSSE
 * signature, statement subject is this image, predicateType matches its
 * annotation), that both forms and the bundle file agree, that each
 * attestation a signature commits to is present, the required types, and
 * then the content checks (SBOM vs catalog, provenance vs lock, rebuild).
 * All checks run; 0 when all passed, else -1 with WARD_EVERIFY naming the
 * first broken link (other kinds for unusable input).  The caller
 * verify_report_free()s r in every case. */
int attest_verify_image(const char *image, const struct verify_opts *o, struct verify_report *r);
/* verify_report_json(r): {"image","digest","verified","signatures",
 * "attestations":[...],"checks":[...],"error"?}.  Caller decrefs. */
json_t *verify_report_json(const struct verify_report *r);
void verify_report_free(struct verify_report *r);
const char *verify_status_name(int status);

/* attest_sbom_check: the verify_sbom_fn ward uses (ctx: a zeroed struct
 * sbom_check_ctx, or NULL).  Catalogs the image afresh with lib/sbom (once
 * per ctx: the catalog is kept for the next SBOM of the same image), writes
 * the same kind of document, and compares the component sets (purl, else
 * type/name@version; CycloneDX components flattened, SPDX packages without
 * the image's own pkg:oci entry): WARD_EVERIFY naming the first components
 * only one side has.  attest_sbom_check_done() releases the ctx. */
struct sbom_check_ctx {
	int threads;
	char *image;		  /* the image cataloged */
	struct sbom_catalog *cat; /* its catalog */
};
int attest_sbom_check(void *ctx, const char *image, const char *predicate_type, const json_t *sbom,
		      struct ward_buf *detail);
void attest_sbom_check_done(struct sbom_check_ctx *ctx);

/* ------------------------------------------------------ provenance from files */

/* The files a build used, for the provenance (every pointer borrowed). */
struct slsa_files {
	const char *spec_path;		 /* ward.yaml (required) */
	const char *lock_path;		 /* ward.lock (lib/deb format), or NULL */
	const struct ward_strv *inputs;	 /* local files/dirs (models, ...), or NULL */
	const char *builder_id;		 /* NULL: $WARD_BUILDER_ID, else ward's local builder */
	const char *invocation_id;	 /* NULL: derived */
	int64_t started_on, finished_on; /* -1: SOURCE_DATE_EPOCH if set, else omitted */
	const json_t *internal;		 /* extra internalParameters, or NULL */
	const json_t *byproducts;	 /* e.g. the build log's digest, or NULL */
};

/* slsa_provenance_from_files(f): read the spec and lock, hash the inputs
 * (attest_path_digest) and return slsa_provenance() of them (lock entries
 * through slsa_deps_from_lock).  Caller json_decref()s. */
json_t *slsa_provenance_from_files(const struct slsa_files *f);

/* ------------------------------------------------------ registries */

/* attest_push(image, ref, o, mount_from, stats, digest): push the image
 * "DIR[:tag]" to the registry reference "host/repo[:tag]" (tag default:
 * the layout's tag, else "latest"), then its .sig and .att manifests under
 * their cosign tags and its referrers by digest (the registry's referrers
 * API, else the "sha256-<hex>" fallback index).  Blobs the registry has
 * are skipped; with mount_from, missing ones are first mounted from that
 * repository of the same registry.  digest receives the image's. */
int attest_push(const char *image, const char *ref, const struct reg_opts *o,
		const char *mount_from, struct reg_stats *stats, char digest[OCI_DIGEST_LEN + 1]);

/* attest_pull(ref, dir, o, stats, digest): pull "host/repo[:tag|@digest]"
 * with its cosign signatures, attestations and referrers into a new OCI
 * layout dir (replaced whole on success), every blob checked on the way;
 * `ward verify dir` then checks the signatures. */
int attest_pull(const char *ref, const char *dir, const struct reg_opts *o, struct reg_stats *stats,
		char digest[OCI_DIGEST_LEN + 1]);

#endif
