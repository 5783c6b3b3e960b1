/* fuzz_wheel_requirements: pip requirements files in hash-checking mode. */
#include "fuzz_wheel_target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wheel_reqs r;

	if (wheel_requirements_parse((const char *)data, size, "fuzz", &fuzz_target, &r) == 0)
		wheel_reqs_free(&r);
	return 0;
}
