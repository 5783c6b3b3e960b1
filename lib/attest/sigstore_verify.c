/*
 * sigstore_verify.c: one Sigstore bundle, checked link by link in the order
 * docs/signing.md lists: the bundle's form, which path its verification
 * material asks for, the signing times (RFC 3161 timestamps, Rekor entries),
 * the certificate at those times (Fulcio chain, SCT, usage, identity), and
 * last the signature over the artifact or the DSSE envelope.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "attest/sigstore_internal.h"

#define MT_V01 "application/vnd.dev.sigstore.bundle+json;version=0.1"
#define MT_V02 "application/vnd.dev.sigstore.bundle+json;version=0.2"
#define MT_V03 "application/vnd.dev.sigstore.bundle+json;version=0.3"
#define MT_V03_NEW "application/vnd.dev.sigstore.bundle.v0.3+json"

void
ss_check(struct ss_state *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)ward_strv_vpushf(&st->r->checks, fmt, ap);
	va_end(ap);
}

void
sigstore_result_free(struct sigstore_result *r)
{
	if (r == NULL)
		return;
	free(r->identity);
	free(r->issuer);
	free(r->log);
	free(r->payload_type);
	ward_buf_free(&r->payload);
	ward_strv_free(&r->checks);
	memset(r, 0, sizeof(*r));
}

static void
bundle_release(struct ss_bundle *b)
{
	X509_free(b->leaf);
	sk_X509_pop_free(b->extra, X509_free);
	ward_buf_free(&b->leaf_der);
	ward_buf_free(&b->key_raw);
	ward_buf_free(&b->sig);
	dsse_envelope_free(&b->env);
}

static X509 *
der_x509(const struct ward_buf *d)
{
	const unsigned char *p = d->data;
	X509 *x = d2i_X509(NULL, &p, (long)d->len);

	if (x != NULL && p != d->data + d->len) {
		X509_free(x);
		x = NULL;
	}
	ERR_clear_error();
	return x;
}

static int
take_certs(struct ss_bundle *b, const json_t *certs, const char *what)
{
	const json_t *c;
	size_t i;

	if (!json_is_array(certs) || json_array_size(certs) == 0)
		return ward_err(WARD_EVERIFY, "%s: bundle: empty certificate chain", what);
	if (json_array_size(certs) > 10)
		return ward_err(WARD_EVERIFY, "%s: bundle: certificate chain too long", what);
	if ((b->extra = sk_X509_new_null()) == NULL)
		return ward_err(WARD_EENV, "out of memory");
	json_array_foreach(certs, i, c)
	{
		const char *raw = ward_json_str(c, "rawBytes");
		struct ward_buf der = {0};
		X509 *x;

		if (raw == NULL || b64_decode(raw, strlen(raw), &der, what) != 0 ||
		    (x = der_x509(&der)) == NULL) {
			ward_buf_free(&der);
			return ward_err(WARD_EVERIFY, "%s: bundle: certificate %zu is not DER",
					what, i + 1);
		}
		if (i == 0) {
			b->leaf = x;
			b->leaf_der = der;
			continue;
		}
		ward_buf_free(&der);
		/* A chain that carries its own root invites trusting it. */
		if (X509_check_ca(x) != 0 && X509_check_issued(x, x) == X509_V_OK) {
			X509_free(x);
			return ward_err(WARD_EVERIFY,
					"%s: bundle: the certificate chain includes a root CA "
					"certificate (refused: trust comes from the trusted root)",
					what);
		}
		if (!sk_X509_push(b->extra, x)) {
			X509_free(x);
			return ward_err(WARD_EENV, "out of memory");
		}
	}
	return 0;
}

static int
parse_bundle(json_t *j, struct ss_bundle *b, const char *what)
{
	const char *mt = ward_json_str(j, "mediaType");
	const json_t *vm = json_object_get(j, "verificationMaterial"), *ms, *env, *tv, *chain,
		     *cert, *pk, *md;
	int nmat;

	memset(b, 0, sizeof(*b));
	b->root = j;
	if (!json_is_object(j))
		return ward_err(WARD_EINPUT, "%s: a bundle is a JSON object", what);
	if (mt == NULL)
		return ward_err(WARD_EINPUT, "%s: bundle has no mediaType", what);
	if (strcmp(mt, MT_V01) == 0)
		b->minor = 1;
	else if (strcmp(mt, MT_V02) == 0)
		b->minor = 2;
	else if (strcmp(mt, MT_V03) == 0 || strcmp(mt, MT_V03_NEW) == 0)
		b->minor = 3;
	else
		return ward_err(WARD_EINPUT, "%s: unsupported bundle media type \"%s\"", what, mt);
	if (!json_is_object(vm))
		return ward_err(WARD_EINPUT, "%s: bundle has no verificationMaterial", what);
	pk = json_object_get(vm, "publicKey");
	chain = json_object_get(vm, "x509CertificateChain");
	cert = json_object_get(vm, "certificate");
	nmat = (pk != NULL) + (chain != NULL) + (cert != NULL);
	if (nmat != 1)
		return ward_err(WARD_EINPUT,
				"%s: verificationMaterial needs exactly one of publicKey, "
				"x509CertificateChain, certificate",
				what);
	if (pk != NULL) {
		const char *raw = ward_json_str(pk, "rawBytes");
		if (!json_is_object(pk))
			return ward_err(WARD_EINPUT, "%s: publicKey is not an object", what);
		b->key_hint = ward_json_str(pk, "hint");
		if (raw != NULL && b64_decode(raw, strlen(raw), &b->key_raw, what) != 0)
			return -1;
	} else if (chain != NULL) {
		if (b->minor >= 3)
			return ward_err(WARD_EVERIFY,
					"%s: bundle: a v0.3 bundle carries one certificate, not a "
					"chain",
					what);
		if (take_certs(b, json_object_get(chain, "certificates"), what) != 0)
			return -1;
	} else {
		json_t *one = json_array();
		int rc = one ? json_array_append(one, (json_t *)cert) : -1;
		if (rc == 0)
			rc = take_certs(b, one, what);
		json_decref(one);
		if (rc != 0)
			return -1;
	}
	b->tlog = json_object_get(vm, "tlogEntries");
	if (b->tlog != NULL && !json_is_array(b->tlog))
		return ward_err(WARD_EINPUT, "%s: tlogEntries is not an array", what);
	tv = json_object_get(vm, "timestampVerificationData");
	b->timestamps = json_object_get(tv, "rfc3161Timestamps");
	if (b->timestamps != NULL && !json_is_array(b->timestamps))
		return ward_err(WARD_EINPUT, "%s: rfc3161Timestamps is not an array", what);
	ms = json_object_get(j, "messageSignature");
	env = json_object_get(j, "dsseEnvelope");
	if ((ms != NULL) == (env != NULL))
		return ward_err(WARD_EINPUT,
				"%s: a bundle holds exactly one of messageSignature, dsseEnvelope",
				what);
	if (env != NULL) {
		b->is_dsse = 1;
		if (dsse_parse(env, &b->env, what) != 0)
			return -1;
		if (b->env.nsigs != 1)
			return ward_err(WARD_EINPUT,
					"%s: a bundle's DSSE envelope has exactly one signature",
					what);
		return ward_buf_append(&b->sig, b->env.sigs[0].sig.data, b->env.sigs[0].sig.len);
	}
	if (ward_json_str(ms, "signature") == NULL ||
	    b64_decode(ward_json_str(ms, "signature"), strlen(ward_json_str(ms, "signature")),
		       &b->sig, what) != 0 ||
	    b->sig.len == 0)
		return ward_err(WARD_EVERIFY,
				"%s: bundle: messageSignature.signature is not base64", what);
	md = json_object_get(ms, "messageDigest");
	if (md != NULL) {
		const char *alg = ward_json_str(md, "algorithm"), *d = ward_json_str(md, "digest");
		struct ward_buf dd = {0};
		if (alg == NULL || strcmp(alg, "SHA2_256") != 0 || d == NULL ||
		    b64_decode(d, strlen(d), &dd, what) != 0 || dd.len != SHA256_LEN) {
			ward_buf_free(&dd);
			return ward_err(WARD_EINPUT,
					"%s: messageDigest must be a base64 SHA2_256 digest", what);
		}
		memcpy(b->msg_digest, dd.data, SHA256_LEN);
		b->msg_digest_len = SHA256_LEN;
		ward_buf_free(&dd);
	}
	return 0;
}

int
sigstore_bundle_has_certificate(const json_t *bundle)
{
	const json_t *vm = json_object_get(bundle, "verificationMaterial");

	return json_object_get(vm, "certificate") != NULL ||
	       json_object_get(vm, "x509CertificateChain") != NULL;
}

/* ---------------------------------------------------------------- key path */

static int
key_material(struct ss_state *st)
{
	const struct ward_key *k = st->o->key;
	struct ward_buf der = {0};
	const unsigned char *p;
	struct ss_bundle *b = st->b;

	if (b->key_hint != NULL && *b->key_hint != '\0') {
		char *hex = key_hint_pem_sha256_hex(k), *b64 = key_hint_der_sha256_b64(k);
		int same = (hex && strcmp(hex, b->key_hint) == 0) ||
			   (b64 && strcmp(b64, b->key_hint) == 0);
		free(hex);
		free(b64);
		if (!same)
			return ward_err(WARD_EVERIFY,
					"%s: key: signed with a different key (hint %s)", st->what,
					b->key_hint);
	}
	if (key_public_der(k, &der) != 0)
		return -1;
	p = der.data;
	st->signer = d2i_PUBKEY(NULL, &p, (long)der.len);
	ward_buf_free(&der);
	ERR_clear_error();
	if (st->signer == NULL)
		return ward_err(WARD_EENV, "cannot use the public key");
	if (b->key_raw.len > 0) {
		struct ward_key *embedded =
			memmem(b->key_raw.data, b->key_raw.len, "-----BEGIN", 10) != NULL
				? key_public_from_pem(b->key_raw.data, b->key_raw.len, st->what)
				: key_public_from_der(b->key_raw.data, b->key_raw.len, st->what);
		int same = embedded != NULL && key_equal(embedded, k);
		key_free(embedded);
		if (!same)
			return ward_err(WARD_EVERIFY, "%s: key: signed with a different key",
					st->what);
	}
	ss_check(st, "key: the bundle names the given public key");
	return 0;
}

/* ---------------------------------------------------------------- signature */

static int
statement_names(const struct ward_buf *payload, const uint8_t *digest)
{
	char hex[SHA256_HEX_LEN + 1];
	json_t *st = json_loadb((const char *)payload->data, payload->len, 0, NULL), *s;
	size_t i;
	int found = 0;

	ward_hex(digest, SHA256_LEN, hex);
	json_array_foreach(json_object_get(st, "subject"), i, s)
	{
		const char *d = ward_json_str(json_object_get(s, "digest"), "sha256");
		if (d != NULL && strcmp(d, hex) == 0)
			found = 1;
	}
	json_decref(st);
	return found;
}

static int
check_signature(struct ss_state *st)
{
	struct ss_bundle *b = st->b;
	const struct sigstore_opts *o = st->o;

	if (b->is_dsse) {
		struct ward_buf pae = {0};
		int ok;
		if (dsse_pae(b->env.payload_type, b->env.payload.data, b->env.payload.len, &pae) !=
		    0)
			return -1;
		ok = ss_verify_sig(st->signer, ss_default_md(st->signer), pae.data, pae.len,
				   b->sig.data, b->sig.len);
		ward_buf_free(&pae);
		if (!ok)
			return ward_err(
				WARD_EVERIFY,
				"%s: signature: the DSSE signature does not verify with the "
				"signing %s",
				st->what, b->leaf ? "certificate" : "key");
		if (o->artifact_sha256 != NULL) {
			if (strcmp(b->env.payload_type, INTOTO_PAYLOAD_TYPE) != 0 ||
			    !statement_names(&b->env.payload, o->artifact_sha256))
				return ward_err(WARD_EVERIFY,
						"%s: signature: the statement does not name the "
						"artifact as a subject",
						st->what);
		}
		ss_check(st, "signature: DSSE envelope (%s) signed by the %s", b->env.payload_type,
			 b->leaf ? "certificate" : "key");
		return 0;
	}
	if (o->artifact_sha256 == NULL)
		return ward_err(WARD_EINPUT, "%s: a message signature needs the artifact",
				st->what);
	if (b->msg_digest_len > 0 && memcmp(b->msg_digest, o->artifact_sha256, SHA256_LEN) != 0)
		return ward_err(WARD_EVERIFY,
				"%s: signature: the bundle's message digest is not the artifact's",
				st->what);
	if (ss_default_md(st->signer) == NULL) {
		if (o->artifact == NULL)
			return ward_err(WARD_EINPUT,
					"%s: an Ed25519 signature needs the artifact itself, not "
					"its digest",
					st->what);
		if (!ss_verify_sig(st->signer, NULL, o->artifact, o->artifact_len, b->sig.data,
				   b->sig.len))
			goto bad;
	} else if (!ss_verify_prehashed(st->signer, EVP_sha256(), o->artifact_sha256, SHA256_LEN,
					b->sig.data, b->sig.len)) {
		goto bad;
	}
	ss_check(st, "signature: over the artifact's SHA-256, by the %s",
		 b->leaf ? "certificate" : "key");
	return 0;
bad:
	return ward_err(WARD_EVERIFY, "%s: signature: does not verify over the artifact", st->what);
}

/* ---------------------------------------------------------------- order */

static int
certificate_at_times(struct ss_state *st)
{
	X509 *issuer = NULL;
	int64_t nb, na;
	char when[32], a[32], z[32];
	int rc = -1;

	if (ss_asn1_time(X509_get0_notBefore(st->b->leaf), &nb) != 0 ||
	    ss_asn1_time(X509_get0_notAfter(st->b->leaf), &na) != 0)
		return ward_err(WARD_EVERIFY, "%s: certificate: unreadable validity", st->what);
	for (size_t i = 0; i < st->ntimes; i++) {
		ss_time_str(st->times[i], when);
		if (!ss_time_in(st->times[i], nb, na)) {
			ss_time_str(nb, a);
			ss_time_str(na, z);
			ward_err(WARD_EVERIFY,
				 "%s: certificate validity: the certificate (valid %s to %s) was "
				 "not valid at the signing time %s (%s)",
				 st->what, a, z, when, st->time_src[i]);
			goto out;
		}
		X509_free(issuer);
		if (ss_cert_chain_at(st, st->times[i], &issuer) != 0)
			goto out;
	}
	rc = ss_cert_sct(st, issuer);
out:
	X509_free(issuer);
	return rc;
}

int
sigstore_verify(json_t *bundle, const struct sigstore_opts *o, struct sigstore_result *r,
		const char *what)
{
	struct ss_bundle b;
	struct sigstore_opts local = *o;
	struct ss_state st = {.o = &local, .r = r, .b = &b, .what = what};
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (local.now == 0)
		local.now = (int64_t)time(NULL);
	if (parse_bundle(bundle, &b, what) != 0)
		goto out;
	ss_check(&st, "bundle: v0.%d, %s", b.minor,
		 b.is_dsse ? "DSSE envelope" : "message signature");
	r->keyless = b.leaf != NULL;
	if (b.leaf != NULL) {
		if (o->key != NULL) {
			ward_err(WARD_EVERIFY,
				 "%s: verification material: the bundle is signed keylessly (a "
				 "certificate), not with the given key; verify it with "
				 "--certificate-identity and --certificate-oidc-issuer",
				 what);
			goto out;
		}
		if (o->policy == NULL ||
		    (o->policy->identity == NULL && o->policy->identity_regexp == NULL) ||
		    (o->policy->issuer == NULL && o->policy->issuer_regexp == NULL)) {
			ward_err(WARD_EINPUT,
				 "%s: the bundle is signed keylessly: give --certificate-identity "
				 "(or -regexp) and --certificate-oidc-issuer (or -regexp)",
				 what);
			goto out;
		}
		if ((st.signer = X509_get_pubkey(b.leaf)) == NULL) {
			ward_err(WARD_EVERIFY, "%s: certificate: no usable public key", what);
			goto out;
		}
	} else {
		if (o->key == NULL) {
			ward_err(WARD_EVERIFY,
				 "%s: verification material: the bundle is signed with a public "
				 "key, not a certificate; verify it with --key",
				 what);
			goto out;
		}
		if (key_material(&st) != 0)
			goto out;
	}
	if (o->root == NULL && (b.leaf != NULL || json_array_size(b.tlog) > 0)) {
		ward_err(WARD_EINPUT, "%s: no trusted root to verify against", what);
		goto out;
	}
	if (b.leaf != NULL && json_array_size(b.tlog) == 0) {
		ward_err(WARD_EVERIFY,
			 "%s: log entry: a keyless bundle needs a transparency log entry", what);
		goto out;
	}
	if (b.timestamps != NULL && json_array_size(b.timestamps) > 0 && o->root->ntsas == 0) {
		ward_err(WARD_EVERIFY,
			 "%s: TSA: the bundle has timestamps but the trusted root lists no "
			 "timestamp authority",
			 what);
		goto out;
	}
	if (ss_tsa_verify(&st) != 0 || ss_tlog_verify(&st) != 0)
		goto out;
	if (b.leaf != NULL) {
		if (st.ntimes == 0) {
			ward_err(WARD_EVERIFY,
				 "%s: signing time: no verified time (a Rekor v1 entry with a SET, "
				 "or an RFC 3161 timestamp from a trusted TSA)",
				 what);
			goto out;
		}
		if (certificate_at_times(&st) != 0 || ss_cert_usage(&st) != 0 ||
		    ss_cert_identity(&st) != 0)
			goto out;
	}
	if (check_signature(&st) != 0)
		goto out;
	for (size_t i = 0; i < st.ntimes; i++)
		if (r->signed_at == 0 || st.times[i] < r->signed_at)
			r->signed_at = st.times[i];
	if (b.is_dsse) {
		if ((r->payload_type = ward_strdup(b.env.payload_type)) == NULL ||
		    ward_buf_append(&r->payload, b.env.payload.data, b.env.payload.len) != 0)
			goto out;
	}
	rc = 0;
out:
	if (rc != 0 && ward_errkind() == WARD_OK)
		ward_err(WARD_EVERIFY, "%s: verification failed", what);
	EVP_PKEY_free(st.signer);
	bundle_release(&b);
	ERR_clear_error();
	return rc;
}

int
sigstore_dsse_verify(void *ctx, json_t *bundle, const char *what, char **payload_type,
		     struct ward_buf *payload)
{
	struct sigstore_opts o = *(const struct sigstore_opts *)ctx;
	struct sigstore_result r = {0};
	int rc;

	o.artifact_sha256 = NULL;
	o.artifact = NULL;
	o.artifact_len = 0;
	if (json_object_get(bundle, "dsseEnvelope") == NULL)
		return ward_err(WARD_EINPUT, "%s: a model signature holds a DSSE envelope", what);
	rc = sigstore_verify(bundle, &o, &r, what);
	for (size_t i = 0; i < r.checks.n; i++)
		ward_log(WARD_LOG_DEBUG, "%s: %s", what, r.checks.v[i]);
	if (rc == 0) {
		*payload_type = r.payload_type;
		r.payload_type = NULL;
		*payload = r.payload;
		memset(&r.payload, 0, sizeof(r.payload));
	}
	sigstore_result_free(&r);
	return rc;
}
