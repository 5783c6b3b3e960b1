/* fuzz_report_render: ward report over untrusted JSON — an audit or a
 * comparison document as `ward report AUDIT.json` reads it, and the
 * renderer given any JSON as its model. */
#include <stdlib.h>

#include "report/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *doc = ward_json_loadb(data, size, "fuzz"), *model = NULL;

	if (doc == NULL) {
		ward_err_clear();
		return 0;
	}
	if (report_model_audit(doc, &model) == 0) {
		free(report_render(model));
		json_decref(model);
	}
	free(report_render(doc));
	json_decref(doc);
	ward_err_clear();
	return 0;
}
