/* fuzz_sbom_status: the dpkg status catalog layer (status, status.d
 * entries) and .md5sums files. */
#include <stdlib.h>
#include <string.h>

#include "sbom/sbom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbom_deb_pkg *pkgs = NULL;
	struct ward_strv paths = {0};
	size_t n = 0;

	if (sbom_dpkg_status_parse((const char *)data, size, "fuzz", &pkgs, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			if (pkgs[i].name == NULL || pkgs[i].version == NULL ||
			    pkgs[i].source == NULL || pkgs[i].source_version == NULL)
				abort();
		sbom_deb_pkgs_free(pkgs, n);
	}
	(void)sbom_dpkg_md5sums_parse((const char *)data, size, "fuzz", &paths);
	ward_strv_free(&paths);
	return 0;
}
