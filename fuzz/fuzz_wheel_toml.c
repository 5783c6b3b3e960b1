/* fuzz_wheel_toml: the strict TOML 1.0 reader (pylock.toml). */
#include <stdlib.h>

#include "wheel/wheel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = wheel_toml_parse((const char *)data, size, "fuzz");
	char *s = j ? json_dumps(j, JSON_SORT_KEYS) : NULL;

	free(s);
	json_decref(j);
	return 0;
}
