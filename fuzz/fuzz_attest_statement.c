/* fuzz_attest_statement: in-toto statements, cosign simple-signing payloads
 * and SLSA provenance predicates, as ward verify reads them. */
#include "attest/attest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct intoto st;
	struct cosign_claim c;
	struct slsa_dependency lock[2] = {
		{.kind = "deb",
		 .name = "hello",
		 .version = "1.0-1",
		 .sha256 = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"},
		{.kind = "deb",
		 .name = "world",
		 .version = "2",
		 .uri = "pkg:deb/debian/world@2",
		 .sha256 = "486ea46224d1bb4fb680f34f7c9ad96a8f24ec88be73ea8e5a6c65260e9cb8a7"},
	};

	if (intoto_parse(data, size, "fuzz", &st) == 0) {
		(void)intoto_has_subject(&st, "00");
		if (slsa_check_predicate(st.predicate, "fuzz") == 0)
			(void)slsa_check_lock(st.predicate, lock, 2, "fuzz");
		intoto_free(&st);
	}
	if (cosign_payload_parse(data, size, "fuzz", &c) == 0)
		cosign_claim_free(&c);
	return 0;
}
