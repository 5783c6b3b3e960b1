/* x509.c: verify a signing certificate chain against trusted roots. */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/keys_internal.h"

static X509 *
der_cert(const struct ward_buf *b)
{
	const unsigned char *p = b->data;
	X509 *x = d2i_X509(NULL, &p, (long)b->len);

	if (x != NULL && p != b->data + b->len) {
		X509_free(x);
		return NULL;
	}
	return x;
}

struct ward_key *
x509_verify_chain(const struct ward_buf *leaf, const struct ward_buf *inter, size_t ninter,
		  const char *roots_path, const char *what)
{
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	STACK_OF(X509) *untrusted = NULL;
	X509 *cert = NULL;
	EVP_PKEY *pkey;
	struct ward_key *k = NULL;

	cert = der_cert(leaf);
	if (cert == NULL) {
		ward_err(WARD_EINPUT, "%s: signing certificate is not valid DER", what);
		goto out;
	}
	store = X509_STORE_new();
	untrusted = sk_X509_new_null();
	ctx = X509_STORE_CTX_new();
	if (store == NULL || untrusted == NULL || ctx == NULL) {
		ward_err(WARD_EENV, "out of memory");
		goto out;
	}
	if (X509_STORE_load_file(store, roots_path) != 1) {
		ward_err(WARD_EINPUT, "%s: cannot read trusted certificates (PEM)", roots_path);
		goto out;
	}
	for (size_t i = 0; i < ninter; i++) {
		X509 *x = der_cert(&inter[i]);
		if (x == NULL || !sk_X509_push(untrusted, x)) {
			X509_free(x);
			ward_err(WARD_EINPUT, "%s: certificate %zu of the chain is not valid DER",
				 what, i + 1);
			goto out;
		}
	}
	if (X509_STORE_CTX_init(ctx, store, cert, untrusted) != 1) {
		ward_err(WARD_EENV, "cannot set up certificate verification");
		goto out;
	}
	if (X509_verify_cert(ctx) != 1) {
		ward_err(WARD_EVERIFY, "%s: certificate chain does not verify against %s: %s", what,
			 roots_path, X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		goto out;
	}
	pkey = X509_get_pubkey(cert);
	if (pkey == NULL) {
		ward_err(WARD_EINPUT, "%s: certificate has no usable public key", what);
		goto out;
	}
	k = key_wrap(pkey, 0, what);
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	sk_X509_pop_free(untrusted, X509_free);
	X509_STORE_free(store);
	X509_free(cert);
	return k;
}

int
x509_pem_certs(const void *pem, size_t len, const char *what, struct ward_buf **out, size_t *n)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	X509 *x;
	int rc = -1, count = 0;

	while (bio != NULL && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		unsigned char *der = NULL;
		int dlen = i2d_X509(x, &der);
		struct ward_buf *nv = NULL;

		if (dlen > 0 && *n < 64 && ward_vec_grow(out, *n, sizeof(**out)) == 0)
			nv = *out;
		X509_free(x);
		if (nv == NULL) {
			OPENSSL_free(der);
			ward_err(WARD_EINPUT, "%s: too many or unreadable certificates", what);
			goto out;
		}
		*out = nv;
		memset(&nv[*n], 0, sizeof(*nv));
		if (ward_buf_append(&nv[*n], der, (size_t)dlen) != 0) {
			OPENSSL_free(der);
			goto out;
		}
		(*n)++;
		count++;
		OPENSSL_free(der);
	}
	if (count == 0) {
		ward_err(WARD_EINPUT, "%s: no PEM certificate", what);
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	BIO_free(bio);
	return rc;
}

int
x509_read_pem(const char *path, struct ward_buf **out, size_t *n)
{
	struct ward_buf pem = {0};
	int rc;

	if (ward_file_read(path, 1u << 20, &pem) != 0)
		return -1;
	rc = x509_pem_certs(pem.data, pem.len, path, out, n);
	ward_buf_free(&pem);
	return rc;
}

int
x509_is_self_signed(const struct ward_buf *der)
{
	X509 *x = der_cert(der);
	int self = x != NULL && X509_check_issued(x, x) == X509_V_OK;

	X509_free(x);
	ERR_clear_error();
	return self;
}
