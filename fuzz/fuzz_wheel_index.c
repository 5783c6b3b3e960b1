/* fuzz_wheel_index: simple index project pages; the first byte picks PEP 691
 * JSON (odd) or PEP 503 HTML (even).  File names found are also read as
 * wheel names and checked against the fuzz interpreter's tags. */
#include "fuzz_wheel_target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wheel_index_file *f = NULL;
	size_t n = 0;

	if (size == 0)
		return 0;
	if (wheel_index_parse((const char *)data + 1, size - 1,
			      (data[0] & 1) ? "application/vnd.pypi.simple.v1+json" : "text/html",
			      "https://index.example/simple/pkg/", "fuzz", &f, &n) != 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		struct wheel_filename w;
		char why[256];
		int rank;
		if (wheel_filename_parse(f[i].filename, &w) == 0) {
			(void)wheel_tag_check(&w, &fuzz_target, &rank, why, sizeof(why));
			wheel_filename_free(&w);
		}
	}
	wheel_index_files_free(f, n);
	return 0;
}
