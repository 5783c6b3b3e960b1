/* fuzz_deb_control: deb822 parsing (Packages, status, control). */
#include <string.h>

#include "deb/deb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct deb_control c;

	if (deb_control_parse((const char *)data, size, "fuzz", &c) == 0) {
		for (size_t i = 0; i < c.n; i++) {
			const char *pkg = deb_para_get(&c.paras[i], "Package");
			const char *ver = deb_para_get(&c.paras[i], "Version");
			if (pkg != NULL && ver != NULL)
				(void)deb_version_check(ver, pkg);
		}
		deb_control_free(&c);
	}
	return 0;
}
