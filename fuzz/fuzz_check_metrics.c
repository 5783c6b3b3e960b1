/* fuzz_check_metrics: the Prometheus text parser (ward test reads a running
 * container's /metrics) and the probe's report lines. */
#include "check/check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct check_samples s;
	json_t *a = NULL;

	if (check_metrics_parse((const char *)data, size, "fuzz", &s) == 0) {
		size_t found;
		(void)check_metric_sum(&s, s.n ? s.v[0].name : "x", "a=\"", &found);
		check_samples_free(&s);
	}
	if (check_probe_parse((const char *)data, size, &a) == 0)
		json_decref(a);
	ward_err_clear();
	return 0;
}
