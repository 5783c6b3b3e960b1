/* fuzz_sbom_record: Python RECORD files (CSV). */
#include "sbom/sbom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbom_record_row *rows;
	size_t n;

	if (sbom_record_parse((const char *)data, size, "fuzz", &rows, &n) == 0)
		sbom_record_rows_free(rows, n);
	return 0;
}
