/* sigstore_internal.h: the pieces of keyless Sigstore verification shared
 * by sigstore_root.c (trusted root), sigstore_cert.c (Fulcio chain,
 * identity, SCT), sigstore_tlog.c (Rekor v1/v2), sigstore_tsa.c (RFC 3161)
 * and sigstore_verify.c (the order of the checks).  docs/signing.md
 * describes the trust model. */
#ifndef WARD_SIGSTORE_INTERNAL_H
#define WARD_SIGSTORE_INTERNAL_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "attest/attest.h"

#define SS_TIME_OPEN INT64_MAX /* validFor without an end */

/* A public key of the trusted root (a transparency log or a CT log). */
struct ss_key {
	EVP_PKEY *pkey;
	const EVP_MD *md; /* hash for its signatures; NULL for Ed25519 */
	uint8_t id[32];	  /* logId.keyId */
	size_t idlen;
	int64_t start, end; /* validFor, seconds since the epoch, end inclusive */
	char *name;	    /* baseUrl */
};

/* A certificate authority of the trusted root (Fulcio or a TSA). */
struct ss_ca {
	STACK_OF(X509) * certs; /* as listed: the issuing certificate first, root last */
	int64_t start, end;
	char *name; /* uri or subject */
};

struct sigstore_root {
	struct ss_key *tlogs, *ctlogs;
	size_t ntlogs, nctlogs;
	struct ss_ca *cas, *tsas;
	size_t ncas, ntsas;
	char digest[OCI_DIGEST_LEN + 1]; /* sha256 of the file */
	char *source;			 /* path, or "built-in" */
};

/* ss_verify_sig(k, md, msg, n, sig, siglen): 1 when sig is k's signature
 * over msg hashed with md (NULL: a pure signature such as Ed25519), 0 when
 * it is not. */
int ss_verify_sig(EVP_PKEY *k, const EVP_MD *md, const void *msg, size_t n, const void *sig,
		  size_t siglen);
/* ss_verify_prehashed(k, md, digest, dlen, sig, siglen): 1 when sig is k's
 * signature over a message whose md-digest is digest (ECDSA, RSA). */
int ss_verify_prehashed(EVP_PKEY *k, const EVP_MD *md, const uint8_t *digest, size_t dlen,
			const void *sig, size_t siglen);
/* ss_default_md(k): the hash a key of this type and size signs with. */
const EVP_MD *ss_default_md(EVP_PKEY *k);

/* ss_time_in(t, start, end): start <= t <= end. */
static inline int
ss_time_in(int64_t t, int64_t start, int64_t end)
{
	return t >= start && t <= end;
}
/* ss_time_str(t, out): "2024-01-02T03:04:05Z". */
void ss_time_str(int64_t t, char out[32]);
/* ss_asn1_time(a, out): an ASN1_TIME as seconds since the epoch. */
int ss_asn1_time(const ASN1_TIME *a, int64_t *out);

/* ss_tlog_find(root, id, n): the transparency log with that key id. */
const struct ss_key *ss_tlog_find(const struct sigstore_root *root, const uint8_t *id, size_t n);

/* Everything a bundle says, decoded; strings borrowed from the JSON. */
struct ss_bundle {
	json_t *root;
	int minor;		  /* bundle v0.<minor> */
	X509 *leaf;		  /* signing certificate, or NULL */
	struct ward_buf leaf_der; /* its DER */
	STACK_OF(X509) * extra;	  /* further certificates of an old chain */
	struct ward_buf key_raw;  /* publicKey.rawBytes (rarely present) */
	const char *key_hint;	  /* publicKey.hint */
	int is_dsse;		  /* dsseEnvelope, else messageSignature */
	struct dsse_envelope env; /* the envelope (is_dsse) */
	struct ward_buf sig;	  /* the signature (message or DSSE) */
	uint8_t msg_digest[64];	  /* messageSignature.messageDigest */
	size_t msg_digest_len;	  /* 0 when absent */
	const json_t *tlog;	  /* tlogEntries (array) */
	const json_t *timestamps; /* rfc3161Timestamps (array or NULL) */
};

/* What a verification established, accumulated by the steps. */
struct ss_state {
	const struct sigstore_opts *o;
	struct sigstore_result *r;
	struct ss_bundle *b;
	EVP_PKEY *signer; /* the key that signed: the leaf's or the given key */
	int64_t times[40];
	const char *time_src[40];
	size_t ntimes;
	const char *what;
};

/* ss_check(st, fmt, ...): note a check that held (sigstore_result.checks). */
void ss_check(struct ss_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* sigstore_cert.c */
int ss_cert_chain_at(struct ss_state *st, int64_t t, X509 **issuer);
int ss_cert_identity(struct ss_state *st);
int ss_cert_sct(struct ss_state *st, X509 *issuer);
int ss_cert_usage(struct ss_state *st);

/* sigstore_tlog.c: verify every entry (body matches the bundle, SET,
 * inclusion proof, checkpoint) and add the integrated times it vouches for. */
int ss_tlog_verify(struct ss_state *st);

/* sigstore_tsa.c: verify every RFC 3161 timestamp over the signature and
 * add the times they vouch for. */
int ss_tsa_verify(struct ss_state *st);

#endif
