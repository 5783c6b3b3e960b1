/*
 * keys_cosign.c: private keys.  cosign's encrypted format is PEM around
 * JSON: scrypt(password, salt, N, r, p) -> 32-byte key, nacl/secretbox
 * (XSalsa20-Poly1305) over the PKCS#8 DER private key.  Plain and
 * password-protected PKCS#8 PEM keys are read through OpenSSL.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "crypto/crypto.h"
#include "crypto/keys_internal.h"

#define SIGSTORE_LABEL "ENCRYPTED SIGSTORE PRIVATE KEY"
#define COSIGN_LABEL "ENCRYPTED COSIGN PRIVATE KEY"
#define SCRYPT_N 65536
#define SCRYPT_R 8
#define SCRYPT_P 1

/* pem_body(text, label, out): base64-decode the body of the first PEM block
 * with this label.  1 found, 0 not present, -1 malformed. */
static int
pem_body(const char *text, const char *label, struct ward_buf *out, const char *what)
{
	char begin[80], end[80];
	const char *b, *e;
	struct ward_buf clean = {0};
	int rc;

	snprintf(begin, sizeof(begin), "-----BEGIN %s-----", label);
	snprintf(end, sizeof(end), "-----END %s-----", label);
	b = strstr(text, begin);
	if (b == NULL)
		return 0;
	b += strlen(begin);
	e = strstr(b, end);
	if (e == NULL)
		return ward_err(WARD_EINPUT, "%s: PEM block \"%s\" has no END line", what, label);
	for (const char *p = b; p < e; p++)
		if (*p != '\n' && *p != '\r' && *p != ' ' && *p != '\t')
			if (ward_buf_append(&clean, p, 1) != 0)
				return -1;
	rc = b64_decode(clean.data ? (char *)clean.data : "", clean.len, out, what);
	ward_buf_free(&clean);
	return rc == 0 ? 1 : -1;
}

static int
b64_field(const json_t *obj, const char *key, struct ward_buf *out, const char *what)
{
	const char *s = ward_json_req_str(obj, key, what);

	return s ? b64_decode(s, strlen(s), out, what) : -1;
}

static struct ward_key *
decrypt_cosign(const struct ward_buf *body, const char *password, const char *path)
{
	json_t *j, *kdf, *params, *cipher;
	struct ward_buf salt = {0}, nonce = {0}, ct = {0}, plain = {0};
	unsigned char key[32];
	const char *name;
	json_int_t n, r, p;
	const unsigned char *der;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	EVP_PKEY *pkey = NULL;
	struct ward_key *k = NULL;

	j = ward_json_loadb(body->data, body->len, path);
	if (j == NULL)
		return NULL;
	if ((kdf = ward_json_req_object(j, "kdf", path)) == NULL ||
	    (params = ward_json_req_object(kdf, "params", path)) == NULL ||
	    (cipher = ward_json_req_object(j, "cipher", path)) == NULL ||
	    (name = ward_json_req_str(kdf, "name", path)) == NULL)
		goto out;
	if (strcmp(name, "scrypt") != 0) {
		ward_err(WARD_EINPUT, "%s: unsupported KDF \"%s\" (cosign keys use scrypt)", path,
			 name);
		goto out;
	}
	n = json_integer_value(json_object_get(params, "N"));
	r = json_integer_value(json_object_get(params, "r"));
	p = json_integer_value(json_object_get(params, "p"));
	if ((n != 32768 && n != 65536 && n != 131072) || r != 8 || p != 1) {
		ward_err(WARD_EINPUT, "%s: unsupported scrypt parameters N=%lld r=%lld p=%lld",
			 path, (long long)n, (long long)r, (long long)p);
		goto out;
	}
	name = ward_json_req_str(cipher, "name", path);
	if (name == NULL)
		goto out;
	if (strcmp(name, "nacl/secretbox") != 0) {
		ward_err(WARD_EINPUT, "%s: unsupported cipher \"%s\"", path, name);
		goto out;
	}
	if (b64_field(kdf, "salt", &salt, path) != 0 ||
	    b64_field(cipher, "nonce", &nonce, path) != 0 ||
	    b64_field(j, "ciphertext", &ct, path) != 0)
		goto out;
	if (nonce.len != crypto_secretbox_NONCEBYTES || ct.len < crypto_secretbox_MACBYTES) {
		ward_err(WARD_EINPUT, "%s: malformed nonce or ciphertext", path);
		goto out;
	}
	if (EVP_PBE_scrypt(password, strlen(password), salt.data, salt.len, (uint64_t)n,
			   (uint64_t)r, (uint64_t)p, 512u << 20, key, sizeof(key)) != 1) {
		ward_err(WARD_EENV, "%s: scrypt failed", path);
		goto out;
	}
	if (ward_buf_reserve(&plain, ct.len) != 0)
		goto out;
	if (crypto_secretbox_open_easy(plain.data, ct.data, ct.len, nonce.data, key) != 0) {
		ward_err(WARD_EINPUT, "%s: wrong password (or corrupted key file)", path);
		goto out;
	}
	plain.len = ct.len - crypto_secretbox_MACBYTES;
	der = plain.data;
	p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &der, (long)plain.len);
	if (p8 == NULL || der != plain.data + plain.len || (pkey = EVP_PKCS82PKEY(p8)) == NULL) {
		ward_err(WARD_EINPUT,
			 "%s: decrypted key is not a PKCS#8 private key (a SEC1 \"EC PRIVATE KEY\" "
			 "inside a cosign key is refused, as cosign does)",
			 path);
		goto out;
	}
	k = key_wrap(pkey, 1, path);
out:
	ERR_clear_error();
	PKCS8_PRIV_KEY_INFO_free(p8);
	ward_wipe(key, sizeof(key));
	ward_buf_wipe(&plain);
	ward_buf_free(&salt);
	ward_buf_free(&nonce);
	ward_buf_free(&ct);
	json_decref(j);
	return k;
}

static int
password_cb(char *buf, int size, int rwflag, void *u)
{
	const char *pw = u;
	size_t len;

	(void)rwflag;
	if (pw == NULL)
		return -1;
	len = strlen(pw);
	if (len > (size_t)size)
		return -1;
	memcpy(buf, pw, len);
	return (int)len;
}

struct ward_key *
key_load_private(const char *path, const char *password)
{
	struct ward_buf text = {0}, body = {0};
	struct ward_key *k = NULL;
	const char *label = NULL;
	int found;

	if (ward_file_read(path, 1 << 20, &text) != 0)
		return NULL;
	if (strstr((char *)text.data, "-----BEGIN " SIGSTORE_LABEL "-----"))
		label = SIGSTORE_LABEL;
	else if (strstr((char *)text.data, "-----BEGIN " COSIGN_LABEL "-----"))
		label = COSIGN_LABEL;
	if (label != NULL) {
		if (password == NULL) {
			ward_err(WARD_EINPUT, "%s: encrypted key needs a password (WARD_PASSWORD)",
				 path);
			goto out;
		}
		found = pem_body((char *)text.data, label, &body, path);
		if (found == 1)
			k = decrypt_cosign(&body, password, path);
		goto out;
	}
	if (strstr((char *)text.data, "PRIVATE KEY-----") != NULL) {
		BIO *bio = BIO_new_mem_buf(text.data, (int)text.len);
		EVP_PKEY *pkey;

		if (bio == NULL) {
			ward_err(WARD_EENV, "out of memory");
			goto out;
		}
		pkey = PEM_read_bio_PrivateKey(bio, NULL, password_cb, (void *)password);
		BIO_free(bio);
		ERR_clear_error();
		if (pkey == NULL) {
			ward_err(WARD_EINPUT, "%s: cannot read private key (%s)", path,
				 strstr((char *)text.data, "ENCRYPTED")
					 ? "wrong or missing password"
					 : "malformed PEM");
			goto out;
		}
		k = key_wrap(pkey, 1, path);
		goto out;
	}
	ward_err(WARD_EINPUT, "%s: not a private key (expected PEM \"%s\" or \"PRIVATE KEY\")",
		 path, SIGSTORE_LABEL);
out:
	ward_buf_wipe(&text);
	ward_buf_wipe(&body);
	return k;
}

int
key_file_needs_password(const char *path)
{
	struct ward_buf text = {0};
	int enc;

	if (ward_file_read(path, 1 << 20, &text) != 0)
		return -1;
	enc = strstr((char *)text.data, "-----BEGIN ENCRYPTED") != NULL;
	ward_buf_wipe(&text);
	return enc;
}

static int
pem_wrap(struct ward_buf *out, const char *label, const void *data, size_t n)
{
	char *b64 = b64_encode(data, n);
	size_t len;
	int rc = 0;

	if (b64 == NULL)
		return -1;
	len = strlen(b64);
	rc |= ward_buf_printf(out, "-----BEGIN %s-----\n", label);
	for (size_t i = 0; i < len && rc == 0; i += 64) {
		rc |= ward_buf_append(out, b64 + i, len - i < 64 ? len - i : 64);
		rc |= ward_buf_puts(out, "\n");
	}
	rc |= ward_buf_printf(out, "-----END %s-----\n", label);
	free(b64);
	return rc ? -1 : 0;
}

int
key_write_private_cosign(const struct ward_key *k, const char *password, const char *path)
{
	unsigned char salt[32], nonce[crypto_secretbox_NONCEBYTES], key[32];
	unsigned char *der = NULL;
	struct ward_buf ct = {0}, pem = {0};
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	char *s_salt = NULL, *s_nonce = NULL, *s_ct = NULL, *body = NULL;
	json_t *j = NULL;
	int derlen = 0, rc = -1;

	if (!k->has_private)
		return ward_err(WARD_EINPUT, "no private key to write");
	if (sodium_init() < 0)
		return ward_err(WARD_EENV, "libsodium failed to initialise");
	if (RAND_bytes(salt, sizeof(salt)) != 1 || RAND_bytes(nonce, sizeof(nonce)) != 1)
		return ward_err(WARD_EENV, "no randomness available");
	p8 = EVP_PKEY2PKCS8(k->pkey);
	if (p8 == NULL || (derlen = i2d_PKCS8_PRIV_KEY_INFO(p8, &der)) <= 0) {
		ward_err(WARD_EENV, "cannot encode private key");
		goto out;
	}
	if (EVP_PBE_scrypt(password, strlen(password), salt, sizeof(salt), SCRYPT_N, SCRYPT_R,
			   SCRYPT_P, 512u << 20, key, sizeof(key)) != 1) {
		ward_err(WARD_EENV, "scrypt failed");
		goto out;
	}
	if (ward_buf_reserve(&ct, (size_t)derlen + crypto_secretbox_MACBYTES) != 0)
		goto out;
	crypto_secretbox_easy(ct.data, der, (size_t)derlen, nonce, key);
	ct.len = (size_t)derlen + crypto_secretbox_MACBYTES;
	s_salt = b64_encode(salt, sizeof(salt));
	s_nonce = b64_encode(nonce, sizeof(nonce));
	s_ct = b64_encode(ct.data, ct.len);
	if (s_salt == NULL || s_nonce == NULL || s_ct == NULL)
		goto out;
	j = json_pack("{s:{s:s,s:{s:i,s:i,s:i},s:s},s:{s:s,s:s},s:s}", "kdf", "name", "scrypt",
		      "params", "N", SCRYPT_N, "r", SCRYPT_R, "p", SCRYPT_P, "salt", s_salt,
		      "cipher", "name", "nacl/secretbox", "nonce", s_nonce, "ciphertext", s_ct);
	if (j == NULL || (body = ward_json_dump(j, 0)) == NULL) {
		ward_err(WARD_EENV, "cannot encode key file");
		goto out;
	}
	if (pem_wrap(&pem, SIGSTORE_LABEL, body, strlen(body)) != 0)
		goto out;
	rc = ward_file_write(path, pem.data, pem.len, 0600);
out:
	ward_wipe(key, sizeof(key));
	if (der != NULL) {
		ward_wipe(der, (size_t)derlen);
		OPENSSL_free(der);
	}
	PKCS8_PRIV_KEY_INFO_free(p8);
	ward_buf_free(&ct);
	ward_buf_free(&pem);
	free(s_salt);
	free(s_nonce);
	free(s_ct);
	free(body);
	json_decref(j);
	return rc;
}
