/* fuzz_deb_sources: apt sources, deb822 and one-line. */
#include <stdlib.h>

#include "deb/deb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct deb_apt_source *s = NULL;
	size_t n = 0;

	if (size == 0)
		return 0;
	(void)deb_apt_sources_parse((const char *)data + 1, size - 1, data[0] & 1, "fuzz", &s, &n);
	for (size_t i = 0; i < n; i++) {
		char *p = deb_apt_list_prefix(s[i].uri);
		free(p);
	}
	deb_apt_sources_free(s, n);
	return 0;
}
