/* fuzz_sigstore: keyless Sigstore verification of untrusted input.  The input
 * is "trusted_root.json NUL bundle.json" (each half is also tried alone: as a
 * root, and as a bundle against the built-in root); the bundle goes through
 * every check (timestamps, log entries, checkpoint, certificate, SCT) that
 * its content reaches. */
#include <string.h>

#include "attest/attest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
verify(const struct sigstore_root *root, const uint8_t *p, size_t n)
{
	static const uint8_t digest[SHA256_LEN] = {0};
	struct sigstore_policy policy = {.identity_regexp = ".", .issuer_regexp = "."};
	struct sigstore_opts o = {.root = root, .policy = &policy, .artifact_sha256 = digest};
	struct sigstore_result r = {0};
	json_t *b = ward_json_loadb(p, n, "fuzz");

	if (b != NULL) {
		(void)sigstore_verify(b, &o, &r, "fuzz");
		sigstore_result_free(&r);
		json_decref(b);
	}
	ward_err_clear();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	struct sigstore_root *root;

	if (nul == NULL) {
		sigstore_root_free(sigstore_root_parse(data, size, "fuzz"));
		root = sigstore_root_load(NULL);
		if (root != NULL)
			verify(root, data, size);
		sigstore_root_free(root);
		return 0;
	}
	root = sigstore_root_parse(data, (size_t)(nul - data), "fuzz");
	if (root != NULL)
		verify(root, nul + 1, size - (size_t)(nul - data) - 1);
	sigstore_root_free(root);
	ward_err_clear();
	return 0;
}
