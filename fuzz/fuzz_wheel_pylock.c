/* fuzz_wheel_pylock: PEP 751 lock files (TOML, markers, wheel names). */
#include "fuzz_wheel_target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wheel_reqs r;

	if (wheel_pylock_parse((const char *)data, size, "fuzz", "/lock", &fuzz_target, &r) == 0)
		wheel_reqs_free(&r);
	return 0;
}
