/* fuzz_deb_ar: the ar container parser. */
#include <stdlib.h>

#include "deb/deb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct deb_ar_member *m;
	size_t n;

	if (deb_ar_parse(data, size, "fuzz", &m, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			if (m[i].offset + m[i].size > size)
				abort(); /* a member outside the input */
		free(m);
	}
	return 0;
}
