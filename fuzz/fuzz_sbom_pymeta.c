/* fuzz_sbom_pymeta: Python METADATA / PKG-INFO headers and the license
 * derived from them; a declared license is always a valid expression. */
#include <stdlib.h>
#include <string.h>

#include "sbom/sbom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbom_pymeta m;
	struct sbom_license l;

	if (sbom_pymeta_parse((const char *)data, size, "fuzz", &m) != 0)
		return 0;
	if (sbom_python_license(&m, "fuzz", &l) == 0) {
		if (strcmp(l.declared, "NOASSERTION") != 0 &&
		    !sbom_spdx_expression_ok(l.declared, 1))
			abort();
		sbom_license_free(&l);
	}
	sbom_pymeta_free(&m);
	return 0;
}
