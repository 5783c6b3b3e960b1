/* fuzz_osv_record: OSV record checking and range evaluation. */
#include <string.h>

#include "vuln/vuln_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = ward_json_loadb(data, size, "fuzz");
	struct osv_record r;

	if (j == NULL) {
		ward_err_clear();
		return 0;
	}
	if (osv_record_from_json(j, "fuzz", &r) == 0) {
		/* evaluate every stored entry against a few installed versions */
		static const char *const installed[] = {"0", "1.0", "1.0-1", "2:3.4~rc1-5",
							"1.0a1.dev2"};
		for (size_t i = 0; i < r.naff; i++) {
			int kind = osv_ecosystem_kind(r.aff[i].ecosystem);
			for (size_t k = 0; kind != OSV_OTHER && k < 5; k++) {
				struct match_result m = {0};
				struct ver v;
				ver_init(&v, kind, installed[k]);
				(void)match_affected(r.aff[i].data, &v, &m);
				ver_free(&v);
				match_result_free(&m);
			}
		}
		osv_record_free(&r);
	}
	ward_err_clear();
	json_decref(j);
	return 0;
}
