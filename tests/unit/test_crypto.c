/* test_crypto.c: known-answer and edge-case tests for core + crypto. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "crypto/crypto.h"

static void
test_sha256_vectors(void **state)
{
	char hex[65];

	(void)state;
	sha256_hex("", 0, hex);
	assert_string_equal(hex,
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_hex("abc", 3, hex);
	assert_string_equal(hex,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* sha256_fd_hex: from where the descriptor stands to the end, across
 * many read buffers; the size it read; a descriptor that cannot be read
 * is an error. */
static void
test_sha256_fd(void **state)
{
	char tmpl[] = "/tmp/ward-test-sha.XXXXXX", hex[65], want[65];
	size_t n = 200000 + 7;
	unsigned char *data = malloc(n);
	uint64_t size = 0;
	int fd = mkstemp(tmpl);

	(void)state;
	assert_non_null(data);
	assert_true(fd >= 0);
	unlink(tmpl);
	for (size_t i = 0; i < n; i++)
		data[i] = (unsigned char)(i * 31 + i / 65536);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(sha256_fd_hex(fd, "t", hex, &size), 0);
	sha256_hex(data, n, want);
	assert_string_equal(hex, want);
	assert_int_equal(size, n);
	assert_int_equal(lseek(fd, 100, SEEK_SET), 100);
	assert_int_equal(sha256_fd_hex(fd, "t", hex, NULL), 0);
	sha256_hex(data + 100, n - 100, want);
	assert_string_equal(hex, want);
	assert_int_equal(sha256_fd_hex(fd, "t", hex, &size), 0); /* at the end: empty */
	assert_string_equal(hex,
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(size, 0);
	close(fd);
	assert_int_equal(sha256_fd_hex(fd, "closed", hex, &size), -1);
	ward_err_clear();
	free(data);
}

static void
test_base64(void **state)
{
	struct ward_buf b = {0};
	char *s;

	(void)state;
	s = b64_encode("hello", 5);
	assert_string_equal(s, "aGVsbG8=");
	free(s);
	assert_int_equal(b64_decode("aGVsbG8", 7, &b, "t"), 0); /* no padding */
	assert_memory_equal(b.data, "hello", 5);
	b.len = 0;
	assert_int_equal(b64_decode("-_8=", 4, &b, "t"), 0); /* URL-safe */
	assert_int_equal(b.len, 2);
	assert_int_equal(b.data[0], 0xfb);
	assert_int_equal(b.data[1], 0xff);
	b.len = 0;
	assert_int_equal(b64_decode("aGVsbG9", 7, &b, "t"), -1); /* non-canonical tail */
	assert_int_equal(ward_errkind(), WARD_EINPUT);
	assert_int_equal(b64_decode("a", 1, &b, "t"), -1);
	assert_int_equal(b64_decode("aG!s", 4, &b, "t"), -1);
	ward_buf_free(&b);
}

static void
test_relpath(void **state)
{
	(void)state;
	assert_true(ward_relpath_ok("a"));
	assert_true(ward_relpath_ok("a/b.c/d"));
	assert_false(ward_relpath_ok(""));
	assert_false(ward_relpath_ok("/a"));
	assert_false(ward_relpath_ok("../a"));
	assert_false(ward_relpath_ok("a/../b"));
	assert_false(ward_relpath_ok("a/./b"));
	assert_false(ward_relpath_ok("a//b"));
	assert_false(ward_relpath_ok("a/"));
	assert_false(ward_relpath_ok("."));
}

static void
test_pae(void **state)
{
	struct ward_buf b = {0};

	(void)state;
	assert_int_equal(dsse_pae("http://example.com/HelloWorld", "hello world", 11, &b), 0);
	/* The example from the DSSE specification. */
	assert_string_equal(ward_buf_cstr(&b),
			    "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
	ward_buf_free(&b);
}

static void
test_sign_verify(void **state)
{
	struct ward_key *k = key_generate(KEY_P256), *k2 = key_generate(KEY_P384);
	struct ward_buf sig = {0};
	struct dsse_envelope e;
	json_t *env;

	(void)state;
	assert_non_null(k);
	assert_int_equal(key_sign(k, "msg", 3, &sig), 0);
	assert_int_equal(key_verify(k, "msg", 3, sig.data, sig.len, "t"), 0);
	assert_int_equal(key_verify(k, "msh", 3, sig.data, sig.len, "t"), -1);
	assert_int_equal(ward_errkind(), WARD_EVERIFY);
	assert_int_equal(key_verify(k2, "msg", 3, sig.data, sig.len, "t"), -1);
	env = dsse_sign(k, "text/plain", "payload", 7, NULL);
	assert_non_null(env);
	assert_int_equal(dsse_parse(env, &e, "t"), 0);
	assert_int_equal(dsse_verify(&e, k, "t"), 0);
	assert_int_equal(dsse_verify(&e, k2, "t"), -1);
	e.payload.data[0] ^= 1;
	assert_int_equal(dsse_verify(&e, k, "t"), -1);
	dsse_envelope_free(&e);
	json_decref(env);
	ward_buf_free(&sig);
	key_free(k);
	key_free(k2);
}

static void
test_hints(void **state)
{
	char path[256];
	struct ward_key *k;
	char *hint;

	(void)state;
	/* The reference signer's hint for its P-384 test key. */
	snprintf(path, sizeof(path), "%s/interop/oms/keys/signing-key-pub.pem",
		 getenv("WARD_SHARED") ? getenv("WARD_SHARED") : "tests/data/shared");
	k = key_load_public(path);
	assert_non_null(k);
	hint = key_hint_pem_sha256_hex(k);
	assert_string_equal(hint,
			    "e8450dec4eb99dae995da9af1bc2cc9f76ed669ee2e744f57abba763df3e3f8e");
	assert_string_equal(key_details(k), "PKIX_ECDSA_P384_SHA_384");
	free(hint);
	key_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_vectors),
		cmocka_unit_test(test_sha256_fd),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_relpath),
		cmocka_unit_test(test_pae),
		cmocka_unit_test(test_sign_verify),
		cmocka_unit_test(test_hints),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
