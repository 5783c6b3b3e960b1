/* fuzz_fleet: what ward fleet reads back from an inventory, which a shared
 * PostgreSQL database makes untrusted: a stored package tuple (it must read
 * back to the same JSON it was written as) and the model of the fleet page. */
#include <stdlib.h>

#include "report/report.h"
#include "vuln/vuln.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = ward_json_loadb(data, size, "fuzz");
	struct vuln_pkglist l = {0};
	struct ward_strv keys = {0};

	if (j == NULL) {
		ward_err_clear();
		return 0;
	}
	if (vuln_pkg_from_json(j, "fuzz", &l) == 0) {
		json_t *back = vuln_pkg_to_json(&l.v[0]);
		if (back == NULL || !json_equal(back, j))
			abort(); /* a tuple must survive the round trip unchanged */
		json_decref(back);
		(void)vuln_pkg_keys(&l.v[0], &keys);
	}
	vuln_pkglist_free(&l);
	ward_strv_free(&keys);
	free(report_render_fleet(j));
	ward_err_clear();
	json_decref(j);
	return 0;
}
