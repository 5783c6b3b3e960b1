/*
 * oms: OpenSSF Model Signing (OMS v1.0).  Sign a model directory or a single
 * file into a Sigstore bundle (model.sig) and verify one, interoperable with
 * the reference signer (sigstore/model-transparency): walk the model the way
 * the reference signer does, hash every file or shard, write and check the
 * in-toto statement inside a DSSE envelope.
 *
 * Depends only on core and crypto, so that every part that handles models
 * (build, sbom, attest) and ward-init (PID 1, statically linked) can use it
 * without pulling in image, package or registry code.
 */
#ifndef WARD_OMS_H
#define WARD_OMS_H

#include "core/core.h"
#include "crypto/crypto.h"

#define OMS_PREDICATE_TYPE "https://model_signing/signature/v1.0"
#define INTOTO_STATEMENT_V1 "https://in-toto.io/Statement/v1"
#define OMS_DEFAULT_SHARD_SIZE 1000000000ull

enum oms_method { OMS_FILES, OMS_SHARDS };

struct oms_sign_opts {
	int method;		 /* OMS_FILES (default) or OMS_SHARDS */
	uint64_t shard_size;	 /* 0 = OMS_DEFAULT_SHARD_SIZE */
	struct ward_strv ignore; /* extra paths to leave out (see oms_sign) */
	int allow_symlinks;	 /* follow symlinks instead of refusing them */
	int threads;		 /* 0 = online CPUs */
	struct ward_progress *progress;
	/* The "certificate" method: the signing certificate (its key must be
	 * the signing key) and the chain above it, DER, leaf first; written as
	 * verificationMaterial.x509CertificateChain.  NULL: a key bundle. */
	const struct ward_buf *certs;
	size_t ncerts;
};

/* oms_sign(model, key, opts, sig_path): hash the model (a directory or a
 * single file) and write an OMS v1.0 bundle to sig_path atomically.  The
 * signature file itself, .git, .gitignore, .gitattributes, .github and
 * every path in opts->ignore (absolute, relative to the current directory
 * and inside the model, or relative to the model) are left out. */
int oms_sign(const char *model, const struct ward_key *key, const struct oms_sign_opts *opts,
	     const char *sig_path);

enum oms_verdict { OMS_OK, OMS_MISMATCH, OMS_MISSING, OMS_EXTRA, OMS_UNCHECKED };

struct oms_resource {
	char *name;			   /* as in the manifest, or on disk */
	char expected[SHA256_HEX_LEN + 1]; /* "" for OMS_EXTRA */
	char actual[SHA256_HEX_LEN + 1];   /* "" for OMS_MISSING */
	int verdict;
};

struct oms_result {
	struct oms_resource *res; /* sorted by name */
	size_t n;
	size_t failures;
	uint64_t bytes; /* bytes hashed */
	uint64_t ns;	/* time spent hashing */
	int threads;
	char method[16];
};

/* oms_bundle_verify_fn(ctx, bundle, what, payload_type, payload): the
 * keyless ("sigstore" method) check of a bundle, done by the part above
 * (attest's sigstore_verify: Fulcio chain, transparency log, identity):
 * 0 with the DSSE payload type (caller frees) and payload, else -1 with
 * the error recorded. */
typedef int (*oms_bundle_verify_fn)(void *ctx, json_t *bundle, const char *what,
				    char **payload_type, struct ward_buf *payload);

struct oms_verify_opts {
	const struct ward_key *key;   /* verify with a public key, or */
	const char *cert_chain;	      /* a PEM file of trusted CA certificates, or */
	oms_bundle_verify_fn keyless; /* keyless verification (ctx: keyless_ctx) */
	void *keyless_ctx;
	struct ward_strv ignore; /* extra paths to leave out */
	int ignore_unsigned;	 /* files on disk not in the manifest are ignored */
	int threads;
	struct ward_progress *progress;
};

/* oms_verify(model, sig_path, opts, result): verify the bundle (media type,
 * key hint, signature over the DSSE PAE, statement and predicate types,
 * root digest), then re-hash the model with the recorded serialization and
 * compare name -> digest exactly.  0 when everything matches.  -1 with
 * WARD_EVERIFY when any check fails (result says which resources), or
 * WARD_EINPUT for a malformed bundle.  result may be NULL; otherwise the
 * caller releases it with oms_result_free(). */
int oms_verify(const char *model, const char *sig_path, const struct oms_verify_opts *opts,
	       struct oms_result *result);
void oms_result_free(struct oms_result *r);
const char *oms_verdict_name(int verdict);

/* oms_statement_check(payload, n, what, out): parse and check an OMS
 * statement (types, subject, predicate, resource names); exposed for the
 * fuzz target.  *out receives the parsed statement (caller decrefs). */
int oms_statement_check(const void *payload, size_t n, const char *what, json_t **out);

#endif
