/*
 * keys.c: ECDSA public keys and key pairs (OpenSSL EVP_PKEY underneath):
 * load, generate, serialise, sign and verify.  The cosign encrypted
 * private-key format lives in keys_cosign.c so that ward-init, which only
 * verifies, does not link libsodium.
 */
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crypto/crypto.h"
#include "crypto/keys_internal.h"

static int
curve_of(EVP_PKEY *pkey)
{
	char name[64];
	size_t len = 0;

	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC)
		return 0;
	if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof(name),
					    &len))
		return 0;
	if (strcmp(name, "prime256v1") == 0 || strcmp(name, "P-256") == 0)
		return KEY_P256;
	if (strcmp(name, "secp384r1") == 0 || strcmp(name, "P-384") == 0)
		return KEY_P384;
	if (strcmp(name, "secp521r1") == 0 || strcmp(name, "P-521") == 0)
		return KEY_P521;
	return 0;
}

struct ward_key *
key_wrap(EVP_PKEY *pkey, int has_private, const char *what)
{
	struct ward_key *k;
	int curve = curve_of(pkey);

	if (curve == 0) {
		ward_err(WARD_EINPUT,
			 "%s: unsupported key type (ward uses ECDSA P-256, P-384 or P-521)", what);
		EVP_PKEY_free(pkey);
		return NULL;
	}
	k = ward_calloc(1, sizeof(*k));
	if (k == NULL) {
		EVP_PKEY_free(pkey);
		return NULL;
	}
	k->pkey = pkey;
	k->curve = curve;
	k->has_private = has_private;
	return k;
}

void
key_free(struct ward_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey); /* OpenSSL clears private key material */
	free(k);
}

struct ward_key *
key_generate(int curve)
{
	const char *name = curve == KEY_P384 ? "P-384" : curve == KEY_P521 ? "P-521" : "P-256";
	EVP_PKEY *pkey = EVP_EC_gen(name);

	if (pkey == NULL) {
		ward_err(WARD_EENV, "cannot generate an ECDSA %s key", name);
		return NULL;
	}
	return key_wrap(pkey, 1, "generated key");
}

struct ward_key *
key_public_from_der(const void *der, size_t len, const char *what)
{
	const unsigned char *p = der;
	EVP_PKEY *pkey = d2i_PUBKEY(NULL, &p, (long)len);

	if (pkey == NULL || p != (const unsigned char *)der + len) {
		EVP_PKEY_free(pkey);
		ERR_clear_error();
		ward_err(WARD_EINPUT, "%s: not a DER public key", what);
		return NULL;
	}
	return key_wrap(pkey, 0, what);
}

struct ward_key *
key_public_from_pem(const void *pem, size_t len, const char *what)
{
	BIO *bio;
	EVP_PKEY *pkey = NULL;
	X509 *cert;

	if (len > INT32_MAX) {
		ward_err(WARD_EINPUT, "%s: too large for a key", what);
		return NULL;
	}
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL) {
		ward_err(WARD_EENV, "out of memory");
		return NULL;
	}
	if (memmem(pem, len, "-----BEGIN PUBLIC KEY-----", 26) != NULL) {
		pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	} else if (memmem(pem, len, "-----BEGIN CERTIFICATE-----", 27) != NULL) {
		cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		if (cert != NULL)
			pkey = X509_get_pubkey(cert);
		X509_free(cert);
	} else if (memmem(pem, len, "PRIVATE KEY-----", 16) != NULL) {
		BIO_free(bio);
		ward_err(WARD_EINPUT, "%s: is a private key; give the public key (.pub)", what);
		return NULL;
	}
	BIO_free(bio);
	ERR_clear_error();
	if (pkey == NULL) {
		ward_err(WARD_EINPUT, "%s: not a PEM public key or certificate", what);
		return NULL;
	}
	return key_wrap(pkey, 0, what);
}

struct ward_key *
key_load_public(const char *path)
{
	struct ward_buf b = {0};
	struct ward_key *k;

	if (ward_file_read(path, 1 << 20, &b) != 0)
		return NULL;
	k = key_public_from_pem(b.data, b.len, path);
	ward_buf_free(&b);
	return k;
}

char *
key_public_pem(const struct ward_key *k)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	long len;

	if (bio == NULL || PEM_write_bio_PUBKEY(bio, k->pkey) != 1) {
		ward_err(WARD_EENV, "cannot encode public key");
		goto done;
	}
	len = BIO_get_mem_data(bio, &data);
	out = ward_strndup(data, (size_t)len);
done:
	BIO_free(bio);
	return out;
}

int
key_public_der(const struct ward_key *k, struct ward_buf *out)
{
	unsigned char *der = NULL;
	int len = i2d_PUBKEY(k->pkey, &der);
	int rc;

	if (len <= 0)
		return ward_err(WARD_EENV, "cannot encode public key");
	rc = ward_buf_append(out, der, (size_t)len);
	OPENSSL_free(der);
	return rc;
}

char *
key_hint_pem_sha256_hex(const struct ward_key *k)
{
	char *pem = key_public_pem(k), *hex;

	if (pem == NULL)
		return NULL;
	hex = ward_malloc(SHA256_HEX_LEN + 1);
	if (hex != NULL)
		sha256_hex(pem, strlen(pem), hex);
	free(pem);
	return hex;
}

char *
key_hint_der_sha256_b64(const struct ward_key *k)
{
	struct ward_buf der = {0};
	uint8_t d[SHA256_LEN];

	if (key_public_der(k, &der) != 0)
		return NULL;
	sha256(der.data, der.len, d);
	ward_buf_free(&der);
	return b64_encode(d, sizeof(d));
}

int
key_curve(const struct ward_key *k)
{
	return k->curve;
}

int
key_has_private(const struct ward_key *k)
{
	return k->has_private;
}

const char *
key_details(const struct ward_key *k)
{
	switch (k->curve) {
	case KEY_P384:
		return "PKIX_ECDSA_P384_SHA_384";
	case KEY_P521:
		return "PKIX_ECDSA_P521_SHA_512";
	default:
		return "PKIX_ECDSA_P256_SHA_256";
	}
}

int
key_equal(const struct ward_key *a, const struct ward_key *b)
{
	return EVP_PKEY_eq(a->pkey, b->pkey) == 1;
}

static const EVP_MD *
md_of(const struct ward_key *k)
{
	return k->curve == KEY_P384   ? EVP_sha384()
	       : k->curve == KEY_P521 ? EVP_sha512()
				      : EVP_sha256();
}

int
key_sign(const struct ward_key *k, const void *msg, size_t n, struct ward_buf *sig)
{
	EVP_MD_CTX *md;
	size_t len = 0;
	int rc = -1;

	if (!k->has_private)
		return ward_err(WARD_EINPUT, "signing needs a private key, got a public key");
	md = EVP_MD_CTX_new();
	if (md == NULL)
		return ward_err(WARD_EENV, "out of memory");
	if (EVP_DigestSignInit(md, NULL, md_of(k), NULL, k->pkey) != 1 ||
	    EVP_DigestSign(md, NULL, &len, msg, n) != 1 || ward_buf_reserve(sig, len) != 0 ||
	    EVP_DigestSign(md, sig->data + sig->len, &len, msg, n) != 1) {
		ERR_clear_error();
		ward_err(WARD_EENV, "ECDSA signing failed");
		goto out;
	}
	sig->len += len;
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	return rc;
}

int
key_verify(const struct ward_key *k, const void *msg, size_t n, const void *sig, size_t siglen,
	   const char *what)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok;

	if (md == NULL)
		return ward_err(WARD_EENV, "out of memory");
	ok = EVP_DigestVerifyInit(md, NULL, md_of(k), NULL, k->pkey) == 1 &&
	     EVP_DigestVerify(md, sig, siglen, msg, n) == 1;
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	if (!ok)
		return ward_err(WARD_EVERIFY, "%s: signature does not verify with the given key",
				what);
	return 0;
}

int
key_write_public(const struct ward_key *k, const char *path)
{
	char *pem = key_public_pem(k);
	int rc;

	if (pem == NULL)
		return -1;
	rc = ward_file_write(path, pem, strlen(pem), 0644);
	free(pem);
	return rc;
}
