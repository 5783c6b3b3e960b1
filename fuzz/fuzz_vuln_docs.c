/* fuzz_vuln_docs: SBOM package lists (CycloneDX, SPDX) and OpenVEX documents. */
#include "vuln/vuln.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = ward_json_loadb(data, size, "fuzz");
	struct vuln_pkglist l = {0};
	struct vuln_vex *v;

	if (j == NULL) {
		ward_err_clear();
		return 0;
	}
	(void)vuln_pkglist_from_sbom_json(j, "fuzz", &l);
	vuln_pkglist_free(&l);
	if ((v = vuln_vex_new()) != NULL) {
		(void)vuln_vex_load_json(v, j, "fuzz");
		vuln_vex_free(v);
	}
	ward_err_clear();
	json_decref(j);
	return 0;
}
