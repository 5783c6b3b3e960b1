/* fuzz_sbom_dep5: Debian machine-readable copyright files to SPDX; what
 * comes out is NOASSERTION or a valid SPDX expression. */
#include <stdlib.h>
#include <string.h>

#include "sbom/sbom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbom_license l;

	if (sbom_dep5_license((const char *)data, size, "fuzz", &l) != 0)
		return 0;
	if (strcmp(l.declared, "NOASSERTION") != 0 && !sbom_spdx_expression_ok(l.declared, 1))
		abort();
	if (strcmp(l.concluded, "NOASSERTION") != 0 && strcmp(l.concluded, l.declared) != 0)
		abort();
	sbom_license_free(&l);
	return 0;
}
