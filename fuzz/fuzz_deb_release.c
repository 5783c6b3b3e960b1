/* fuzz_deb_release: Release files and their SHA256 lists. */
#include "deb/deb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct deb_release r;

	if (deb_release_parse((const char *)data, size, "fuzz", &r) == 0) {
		for (size_t i = 0; i < r.nfiles; i++)
			(void)deb_release_lookup(&r, r.files[i].path);
		deb_release_free(&r);
	}
	return 0;
}
