/*
 * crypto: SHA-256 (one-shot, streaming, and a parallel sharded hasher),
 * ECDSA keys (PEM, PKCS#8, cosign/sigstore encrypted), base64, DSSE and
 * Sigstore bundle v0.3.  All primitives come from OpenSSL libcrypto;
 * nacl/secretbox from libsodium.  Errors follow core.h.
 */
#ifndef WARD_CRYPTO_H
#define WARD_CRYPTO_H

#include <stdint.h>

#include "core/core.h"

/* ---------------------------------------------------------------- SHA-256 */

#define SHA256_LEN 32
#define SHA256_HEX_LEN 64

void sha256(const void *p, size_t n, uint8_t out[SHA256_LEN]);
/* sha256_hex(p, n, out): lowercase hex digest into out[65]. */
void sha256_hex(const void *p, size_t n, char out[SHA256_HEX_LEN + 1]);

/* Streaming.  sha256_new() returns NULL on allocation failure. */
struct sha256_ctx;
struct sha256_ctx *sha256_new(void);
void sha256_update(struct sha256_ctx *c, const void *p, size_t n);
void sha256_final(struct sha256_ctx *c, uint8_t out[SHA256_LEN]); /* and reset */
void sha256_free(struct sha256_ctx *c);

/* sha256_file(path, out, size): hash a whole file (single thread). */
int sha256_file(const char *path, uint8_t out[SHA256_LEN], uint64_t *size);
/* sha256_file_hex(path, hex, size): the same, as lowercase hex. */
int sha256_file_hex(const char *path, char hex[SHA256_HEX_LEN + 1], uint64_t *size);
/* sha256_fd_hex(fd, what, hex, size): the rest of an open file, read to
 * its end (what names it in errors); *size the bytes read (may be NULL). */
int sha256_fd_hex(int fd, const char *what, char hex[SHA256_HEX_LEN + 1], uint64_t *size);

/* ------------------------------------------------------- parallel hasher */

/* One unit of work: bytes [offset, offset+length) of path.  length
 * UINT64_MAX means "to the end of the file" (the size is then filled in). */
struct hash_job {
	const char *path; /* borrowed */
	uint64_t offset;
	uint64_t length;
	uint8_t digest[SHA256_LEN];
	int failed; /* set when this job could not be hashed */
};

struct hasher_stats {
	uint64_t bytes;
	uint64_t ns;
	int threads;
};

/* hasher_run(jobs, n, threads, progress, stats): hash every job using up
 * to threads workers (0 = online CPUs), largest jobs first.  Files are read
 * with large sequential reads.  A file that changes size under us, cannot
 * be read, or is shorter than its job fails that job; the first such
 * error is recorded and -1 returned after all jobs ran.  stats may be NULL. */
int hasher_run(struct hash_job *jobs, size_t n, int threads, struct ward_progress *progress,
	       struct hasher_stats *stats);

/* ---------------------------------------------------------------- base64 */

/* b64_encode: standard alphabet with padding; caller frees. */
char *b64_encode(const void *p, size_t n);
/* b64_decode: accepts the standard and URL-safe alphabets, with or without
 * padding; appends to out.  Errors name what. */
int b64_decode(const char *s, size_t n, struct ward_buf *out, const char *what);

/* ---------------------------------------------------------------- keys */

enum key_curve { KEY_P256 = 1, KEY_P384, KEY_P521 };

struct ward_key; /* an ECDSA public key, or a key pair */

/* key_generate(curve): a fresh key pair; caller key_free()s. */
struct ward_key *key_generate(int curve);
/* Public keys: PEM "PUBLIC KEY", or a PEM certificate (its key), or the
 * public half of a private key.  what names the source in errors. */
struct ward_key *key_load_public(const char *path);
struct ward_key *key_public_from_pem(const void *pem, size_t len, const char *what);
struct ward_key *key_public_from_der(const void *der, size_t len, const char *what);
/* key_load_private(path, password): PEM "ENCRYPTED SIGSTORE PRIVATE KEY" /
 * "ENCRYPTED COSIGN PRIVATE KEY" (scrypt + nacl/secretbox), or PKCS#8
 * "PRIVATE KEY" / "ENCRYPTED PRIVATE KEY".  password may be NULL for
 * unencrypted keys.  A wrong password is WARD_EINPUT. */
struct ward_key *key_load_private(const char *path, const char *password);
/* key_is_encrypted_pem(path): 1 if the file needs a password, 0 if not. */
int key_file_needs_password(const char *path);
/* Write the private key in cosign's encrypted format (scrypt N=65536, r=8,
 * p=1, nacl/secretbox) and the public key as PEM, atomically. */
int key_write_private_cosign(const struct ward_key *k, const char *password, const char *path);
int key_write_public(const struct ward_key *k, const char *path);

/* key_public_pem(k): PKIX PEM text (64-column lines), caller frees. */
char *key_public_pem(const struct ward_key *k);
/* key_public_der(k, out): PKIX DER appended to out. */
int key_public_der(const struct ward_key *k, struct ward_buf *out);
/* OMS hint: hex SHA-256 of the PEM text; cosign hint: base64 SHA-256 of DER.
 * Both return a malloc'd string. */
char *key_hint_pem_sha256_hex(const struct ward_key *k);
char *key_hint_der_sha256_b64(const struct ward_key *k);
int key_curve(const struct ward_key *k);
int key_has_private(const struct ward_key *k);
/* "PKIX_ECDSA_P256_SHA_256" etc. */
const char *key_details(const struct ward_key *k);
/* key_equal(a, b): 1 when both hold the same public key. */
int key_equal(const struct ward_key *a, const struct ward_key *b);

/* key_sign(k, msg, n, sig): DER ECDSA signature over msg, hashed with the
 * curve's hash (P-256/SHA-256, P-384/SHA-384, P-521/SHA-512). */
int key_sign(const struct ward_key *k, const void *msg, size_t n, struct ward_buf *sig);
/* key_verify: 0 when sig is a valid signature over msg; otherwise -1 with
 * WARD_EVERIFY ("signature does not verify"), naming what. */
int key_verify(const struct ward_key *k, const void *msg, size_t n, const void *sig, size_t siglen,
	       const char *what);
void key_free(struct ward_key *k);

/* ---------------------------------------------------------------- X.509 */

/* x509_verify_chain(leaf, leaflen, intermediates, nint, roots_path, what):
 * verify the DER leaf certificate up to a root in the PEM file roots_path
 * (which may also hold intermediates), using DER intermediates from the
 * signature.  Returns the leaf's public key (caller frees) or NULL with
 * WARD_EVERIFY. */
struct ward_key *x509_verify_chain(const struct ward_buf *leaf, const struct ward_buf *inter,
				   size_t ninter, const char *roots_path, const char *what);

/* ---------------------------------------------------------------- DSSE */

#define INTOTO_PAYLOAD_TYPE "application/vnd.in-toto+json"

/* dsse_pae(type, body, n, out): "DSSEv1 <len> <type> <len> <body>". */
int dsse_pae(const char *type, const void *body, size_t n, struct ward_buf *out);

/* dsse_sign(k, type, payload, n, keyid): a new envelope
 * {"payload","payloadType","signatures":[{"keyid","sig"}]}; keyid may be
 * NULL (written as ""). Caller json_decref()s. */
json_t *dsse_sign(const struct ward_key *k, const char *type, const void *payload, size_t n,
		  const char *keyid);

/* A parsed envelope; dsse_envelope_free() releases it. */
struct dsse_envelope {
	char *payload_type;
	struct ward_buf payload;
	size_t nsigs;
	struct dsse_sig {
		char *keyid; /* NULL when absent or null */
		struct ward_buf sig;
	} * sigs;
};
int dsse_parse(const json_t *env, struct dsse_envelope *out, const char *what);
/* dsse_verify(e, k, what): 0 when at least one signature verifies. */
int dsse_verify(const struct dsse_envelope *e, const struct ward_key *k, const char *what);
void dsse_envelope_free(struct dsse_envelope *e);

/* ------------------------------------------------------ Sigstore bundle */

#define BUNDLE_MEDIA_TYPE_V03 "application/vnd.dev.sigstore.bundle.v0.3+json"

enum bundle_hint { BUNDLE_HINT_PEM_HEX, BUNDLE_HINT_DER_B64 };

/* bundle_new_dsse(envelope, k, hint): a v0.3 bundle around a DSSE envelope
 * (reference taken) with verificationMaterial.publicKey.hint computed from k
 * and "tlogEntries": [].  Caller json_decref()s. */
json_t *bundle_new_dsse(json_t *envelope, const struct ward_key *k, int hint);

/* bundle_new_dsse_chain(envelope, certs, n): the same with
 * verificationMaterial.x509CertificateChain (DER certificates, signing
 * certificate first) instead of a key: the OMS "certificate" method. */
json_t *bundle_new_dsse_chain(json_t *envelope, const struct ward_buf *certs, size_t n);
/* x509_read_pem(path, out, n): every certificate of a PEM file as DER,
 * appended to *out (caller frees each and the array). */
int x509_read_pem(const char *path, struct ward_buf **out, size_t *n);
/* x509_pem_certs(pem, len, what, out, n): the same from memory. */
int x509_pem_certs(const void *pem, size_t len, const char *what, struct ward_buf **out, size_t *n);
/* x509_is_self_signed(der): 1 for a self-issued certificate (a root). */
int x509_is_self_signed(const struct ward_buf *der);

/* A parsed bundle (DSSE content only).  Fields are borrowed from root. */
struct bundle {
	json_t *root; /* owned reference */
	const char *media_type;
	const char *hint;	 /* publicKey.hint, or NULL */
	struct ward_buf raw_key; /* publicKey.rawBytes decoded (PEM or DER) */
	struct ward_buf *certs;	 /* DER certificates: leaf first */
	size_t ncerts;
	struct dsse_envelope env;
};
/* bundle_parse(root, b, what): check the media type (v0.1–v0.3), take the
 * verification material and the DSSE envelope.  Takes a reference to root. */
int bundle_parse(json_t *root, struct bundle *b, const char *what);
/* bundle_verify_key(b, k, what): the bundle's key material (hint, raw key)
 * names k, and the envelope verifies with it. */
int bundle_verify_key(const struct bundle *b, const struct ward_key *k, const char *what);
/* bundle_verify_chain(b, roots, what): the bundle's certificate chains to a
 * root in the PEM file and the envelope verifies with the leaf's key. */
int bundle_verify_chain(const struct bundle *b, const char *roots_path, const char *what);
void bundle_free(struct bundle *b);

#endif
