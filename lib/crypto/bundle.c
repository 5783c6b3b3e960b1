/* bundle.c: Sigstore bundle (v0.1-v0.3 JSON) around a DSSE envelope. */
#include <string.h>

#include "crypto/crypto.h"

json_t *
bundle_new_dsse(json_t *envelope, const struct ward_key *k, int hint_style)
{
	char *hint;
	json_t *b;

	hint = hint_style == BUNDLE_HINT_DER_B64 ? key_hint_der_sha256_b64(k)
						 : key_hint_pem_sha256_hex(k);
	if (hint == NULL)
		return NULL;
	b = json_pack("{s:s,s:{s:{s:s},s:[]},s:O}", "mediaType", BUNDLE_MEDIA_TYPE_V03,
		      "verificationMaterial", "publicKey", "hint", hint, "tlogEntries",
		      "dsseEnvelope", envelope);
	free(hint);
	if (b == NULL)
		ward_err(WARD_EENV, "cannot build bundle");
	return b;
}

json_t *
bundle_new_dsse_chain(json_t *envelope, const struct ward_buf *certs, size_t n)
{
	json_t *list = json_array(), *b;

	for (size_t i = 0; list != NULL && i < n; i++) {
		char *raw = b64_encode(certs[i].data, certs[i].len);
		if (raw == NULL ||
		    json_array_append_new(list, json_pack("{s:s}", "rawBytes", raw))) {
			free(raw);
			json_decref(list);
			list = NULL;
			break;
		}
		free(raw);
	}
	if (list == NULL) {
		ward_err(WARD_EENV, "cannot build bundle");
		return NULL;
	}
	b = json_pack("{s:s,s:{s:{s:o},s:[]},s:O}", "mediaType", BUNDLE_MEDIA_TYPE_V03,
		      "verificationMaterial", "x509CertificateChain", "certificates", list,
		      "tlogEntries", "dsseEnvelope", envelope);
	if (b == NULL)
		ward_err(WARD_EENV, "cannot build bundle");
	return b;
}

static int
media_type_ok(const char *mt)
{
	return strcmp(mt, BUNDLE_MEDIA_TYPE_V03) == 0 ||
	       strcmp(mt, "application/vnd.dev.sigstore.bundle+json;version=0.1") == 0 ||
	       strcmp(mt, "application/vnd.dev.sigstore.bundle+json;version=0.2") == 0 ||
	       strcmp(mt, "application/vnd.dev.sigstore.bundle+json;version=0.3") == 0 ||
	       strcmp(mt, "application/vnd.dev.sigstore.bundle.v0.2+json") == 0;
}

static int
take_cert(struct bundle *b, const json_t *cert, const char *what)
{
	const char *raw = ward_json_req_str(cert, "rawBytes", what);
	struct ward_buf *certs;

	if (raw == NULL)
		return -1;
	if (b->ncerts >= 16)
		return ward_err(WARD_EINPUT, "%s: certificate chain too long", what);
	if (ward_vec_grow(&b->certs, b->ncerts, sizeof(*b->certs)) != 0)
		return -1;
	certs = b->certs;
	memset(&certs[b->ncerts], 0, sizeof(*certs));
	return b64_decode(raw, strlen(raw), &certs[b->ncerts++], what);
}

int
bundle_parse(json_t *root, struct bundle *b, const char *what)
{
	json_t *vm, *pk, *chain, *cert, *env, *c;
	const char *raw;
	size_t i;

	memset(b, 0, sizeof(*b));
	if (!json_is_object(root))
		return ward_err(WARD_EINPUT, "%s: bundle is not a JSON object", what);
	b->root = json_incref(root);
	if ((b->media_type = ward_json_req_str(root, "mediaType", what)) == NULL)
		goto fail;
	if (!media_type_ok(b->media_type)) {
		ward_err(WARD_EINPUT, "%s: unsupported bundle media type \"%s\"", what,
			 b->media_type);
		goto fail;
	}
	if ((vm = ward_json_req_object(root, "verificationMaterial", what)) == NULL)
		goto fail;
	if ((pk = json_object_get(vm, "publicKey")) != NULL) {
		if (!json_is_object(pk)) {
			ward_err(WARD_EINPUT, "%s: publicKey is not an object", what);
			goto fail;
		}
		b->hint = ward_json_str(pk, "hint");
		raw = ward_json_str(pk, "rawBytes");
		if (raw != NULL && b64_decode(raw, strlen(raw), &b->raw_key, what) != 0)
			goto fail;
	} else if ((chain = json_object_get(vm, "x509CertificateChain")) != NULL) {
		json_t *certs = ward_json_req_array(chain, "certificates", what);
		if (certs == NULL)
			goto fail;
		json_array_foreach(certs, i, c) if (take_cert(b, c, what) != 0) goto fail;
		if (b->ncerts == 0) {
			ward_err(WARD_EINPUT, "%s: empty certificate chain", what);
			goto fail;
		}
	} else if ((cert = json_object_get(vm, "certificate")) != NULL) {
		if (take_cert(b, cert, what) != 0)
			goto fail;
	} else {
		ward_err(WARD_EINPUT, "%s: verificationMaterial has no publicKey or certificate",
			 what);
		goto fail;
	}
	env = json_object_get(root, "dsseEnvelope");
	if (env == NULL) {
		ward_err(WARD_EINPUT,
			 "%s: bundle has no dsseEnvelope (message signatures are not "
			 "used here)",
			 what);
		goto fail;
	}
	if (dsse_parse(env, &b->env, what) != 0)
		goto fail;
	if (b->env.nsigs != 1) {
		ward_err(WARD_EINPUT,
			 "%s: a bundle's DSSE envelope must have exactly one signature", what);
		goto fail;
	}
	return 0;
fail:
	bundle_free(b);
	return -1;
}

int
bundle_verify_key(const struct bundle *b, const struct ward_key *k, const char *what)
{
	if (b->ncerts > 0)
		return ward_err(WARD_EINPUT,
				"%s: bundle carries a certificate; verify it with a "
				"certificate chain, not a key",
				what);
	if (b->hint != NULL && *b->hint != '\0') {
		char *hex = key_hint_pem_sha256_hex(k), *b64 = key_hint_der_sha256_b64(k);
		int same = (hex && strcmp(hex, b->hint) == 0) || (b64 && strcmp(b64, b->hint) == 0);
		free(hex);
		free(b64);
		if (!same)
			return ward_err(WARD_EVERIFY, "%s: signed with a different key (hint %s)",
					what, b->hint);
	}
	if (b->raw_key.len > 0) {
		struct ward_key *embedded;
		int same;

		if (memmem(b->raw_key.data, b->raw_key.len, "-----BEGIN", 10) != NULL)
			embedded = key_public_from_pem(b->raw_key.data, b->raw_key.len, what);
		else
			embedded = key_public_from_der(b->raw_key.data, b->raw_key.len, what);
		if (embedded == NULL)
			return -1;
		same = key_equal(embedded, k);
		key_free(embedded);
		if (!same)
			return ward_err(WARD_EVERIFY, "%s: signed with a different key", what);
	}
	return dsse_verify(&b->env, k, what);
}

int
bundle_verify_chain(const struct bundle *b, const char *roots_path, const char *what)
{
	struct ward_key *leaf;
	int rc;

	if (b->ncerts == 0)
		return ward_err(WARD_EINPUT, "%s: bundle has no certificate; verify it with --key",
				what);
	leaf = x509_verify_chain(&b->certs[0], b->certs + 1, b->ncerts - 1, roots_path, what);
	if (leaf == NULL)
		return -1;
	rc = dsse_verify(&b->env, leaf, what);
	key_free(leaf);
	return rc;
}

void
bundle_free(struct bundle *b)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < b->ncerts; i++)
		ward_buf_free(&b->certs[i]);
	free(b->certs);
	ward_buf_free(&b->raw_key);
	dsse_envelope_free(&b->env);
	json_decref(b->root);
	memset(b, 0, sizeof(*b));
}
