/* fuzz_oms_bundle: Sigstore bundle + DSSE + OMS statement parsing. */
#include "oms/oms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bundle b;
	json_t *root, *st = NULL;

	/* The raw input is tried both as a bundle and as a statement. */
	if (oms_statement_check(data, size, "fuzz", &st) == 0)
		json_decref(st);
	root = ward_json_loadb(data, size, "fuzz");
	if (root == NULL)
		return 0;
	if (bundle_parse(root, &b, "fuzz") == 0) {
		if (oms_statement_check(b.env.payload.data, b.env.payload.len, "fuzz", &st) == 0)
			json_decref(st);
		bundle_free(&b);
	}
	json_decref(root);
	return 0;
}
