/* fuzz_build_alternatives: the static reader of update-alternatives lines in
 * maintainer scripts (the text of any .deb). */
#include <string.h>

#include "build/build_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ward_strv out = {0};

	if (build_alternatives_parse((const char *)data, size, "fuzz", &out) == 0)
		for (size_t i = 0; i < out.n; i++)
			if (strchr(out.v[i], '\t') == NULL)
				__builtin_trap(); /* every record has link, name, path, priority */
	ward_strv_free(&out);
	return 0;
}
