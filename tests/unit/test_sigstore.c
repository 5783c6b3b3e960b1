/* test_sigstore.c: the trusted-root reader's edge cases (validity windows,
 * key encodings, refusals) and the built-in root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "attest/attest.h"

/* b64 of a fresh key: SPKI (pkcs1 = 0) or PKCS#1 RSAPublicKey (pkcs1 = 1). */
static char *
key_b64(int type, int pkcs1)
{
	EVP_PKEY *k = type == EVP_PKEY_RSA ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
	unsigned char *der = NULL;
	int len = pkcs1 ? i2d_PublicKey(k, &der) : i2d_PUBKEY(k, &der);
	char *s;

	assert_true(len > 0);
	s = b64_encode(der, (size_t)len);
	OPENSSL_free(der);
	EVP_PKEY_free(k);
	return s;
}

/* root(tlog_validfor, ct_details, ct_key): a trusted root with one tlog
 * (an EC key) and one CT log. */
static struct sigstore_root *
root(const char *valid_for, const char *ct_details, const char *ct_key)
{
	char *tl = key_b64(EVP_PKEY_EC, 0);
	char *j = ward_asprintf(
		"{\"mediaType\":\"application/vnd.dev.sigstore.trustedroot+json;version=0.1\","
		"\"tlogs\":[{\"baseUrl\":\"https://log.test\",\"hashAlgorithm\":\"SHA2_256\","
		"\"publicKey\":{\"rawBytes\":\"%s\",\"keyDetails\":\"PKIX_ECDSA_P256_SHA_256\","
		"\"validFor\":%s},\"logId\":{\"keyId\":"
		"\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}}],"
		"\"ctlogs\":[{\"baseUrl\":\"https://ct.test\",\"publicKey\":{\"rawBytes\":\"%s\","
		"\"keyDetails\":\"%s\",\"validFor\":{\"start\":\"2021-03-14T00:00:00Z\"}},"
		"\"logId\":{\"keyId\":\"AQ==\"}}]}",
		tl, valid_for, ct_key, ct_details);
	struct sigstore_root *r = sigstore_root_parse(j, strlen(j), "root.json");

	free(tl);
	free(j);
	return r;
}

static void
test_validity_windows(void **state)
{
	char *ct = key_b64(EVP_PKEY_EC, 0);
	struct sigstore_root *r;

	(void)state;
	/* open end, null end, fractions and offsets are all windows */
	r = root("{\"start\":\"2021-01-12T11:53:27Z\"}", "PKIX_ECDSA_P256_SHA_256", ct);
	assert_non_null(r);
	assert_true(ward_str_startswith(sigstore_root_digest(r), "sha256:"));
	sigstore_root_free(r);
	r = root("{\"start\":\"2021-01-12T11:53:27Z\",\"end\":null}", "PKIX_ECDSA_P256_SHA_256",
		 ct);
	assert_non_null(r);
	sigstore_root_free(r);
	r = root("{\"start\":\"2021-01-12T11:53:27.5+02:00\",\"end\":\"2022-10-31T23:59:59.999Z\"}",
		 "PKIX_ECDSA_P256_SHA_256", ct);
	assert_non_null(r);
	sigstore_root_free(r);
	/* a missing start refuses the root whole, naming the entry */
	assert_null(root("{\"end\":\"2022-10-31T23:59:59Z\"}", "PKIX_ECDSA_P256_SHA_256", ct));
	assert_int_equal(ward_errkind(), WARD_EINPUT);
	assert_non_null(strstr(ward_errmsg(), "tlogs[0]: validFor.start"));
	assert_null(root("{}", "PKIX_ECDSA_P256_SHA_256", ct));
	assert_null(root("{\"start\":\"yesterday\"}", "PKIX_ECDSA_P256_SHA_256", ct));
	assert_null(root("{\"start\":\"2021-01-12T11:53:27\"}", "PKIX_ECDSA_P256_SHA_256", ct));
	assert_null(root("{\"start\":\"2022-01-01T00:00:00Z\",\"end\":\"2021-01-01T00:00:00Z\"}",
			 "PKIX_ECDSA_P256_SHA_256", ct));
	assert_non_null(strstr(ward_errmsg(), "ends before it starts"));
	free(ct);
}

static void
test_key_encodings(void **state)
{
	char *spki = key_b64(EVP_PKEY_RSA, 0), *pkcs1 = key_b64(EVP_PKEY_RSA, 1);
	struct sigstore_root *r;
	const char *vf = "{\"start\":\"2021-01-12T11:53:27Z\"}";

	(void)state;
	r = root(vf, "PKIX_RSA_PKCS1V15_2048_SHA256", spki);
	assert_non_null(r);
	sigstore_root_free(r);
	/* older roots list an RSA CT key as a PKCS#1 RSAPublicKey */
	r = root(vf, "PKCS1_RSA_PKCS1V5", pkcs1);
	assert_non_null(r);
	sigstore_root_free(r);
	assert_null(root(vf, "PKIX_ECDSA_P256_SHA_256", "AAEC"));
	assert_non_null(strstr(ward_errmsg(), "ctlogs[0]: publicKey.rawBytes"));
	free(spki);
	free(pkcs1);
}

static void
test_not_a_root(void **state)
{
	static const char *bad[] = {
		"[]", "{}", "{\"mediaType\":\"application/json\"}",
		"{\"mediaType\":\"application/vnd.dev.sigstore.trustedroot+json;"
		"version=0.1\",\"tlogs\":{}}",
		"not json"};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		assert_null(sigstore_root_parse(bad[i], strlen(bad[i]), "x.json"));
		assert_int_equal(ward_errkind(), WARD_EINPUT);
		assert_non_null(strstr(ward_errmsg(), "x.json"));
	}
}

static void
test_builtin(void **state)
{
	json_t *j = sigstore_builtin_root_info();

	(void)state;
	assert_non_null(j);
	if (json_is_true(json_object_get(j, "present"))) {
		assert_true(ward_str_startswith(ward_json_str(j, "digest"), "sha256:"));
		assert_true(json_integer_value(json_object_get(j, "tlogs")) >= 1);
		assert_true(json_integer_value(json_object_get(j, "fulcio")) >= 1);
	}
	json_decref(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validity_windows),
		cmocka_unit_test(test_key_encodings),
		cmocka_unit_test(test_not_a_root),
		cmocka_unit_test(test_builtin),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
