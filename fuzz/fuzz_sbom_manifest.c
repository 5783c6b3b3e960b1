/* fuzz_sbom_manifest: the files manifest that ward verify --files reads;
 * a manifest that parses has sorted, unique, clean paths. */
#include <stdlib.h>
#include <string.h>

#include "sbom/sbom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbom_manifest m;

	if (sbom_manifest_parse((const char *)data, size, "fuzz", &m) != 0)
		return 0;
	for (size_t i = 0; i < m.n; i++) {
		if (!ward_relpath_ok(m.e[i].path))
			abort();
		if (i > 0 && strcmp(m.e[i - 1].path, m.e[i].path) >= 0)
			abort();
	}
	sbom_manifest_free(&m);
	return 0;
}
