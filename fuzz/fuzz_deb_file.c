/* fuzz_deb_file: a whole .deb: ar, control.tar, md5sums, data.tar entries
 * and their content. */
#include <stdlib.h>
#include <string.h>

#include "deb/deb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct deb_file *d = deb_file_open_mem(data, size, "fuzz.deb");
	struct deb_data *it;
	struct deb_entry e;
	char buf[4096];
	size_t n;

	if (d == NULL)
		return 0;
	(void)deb_para_get(deb_file_control(d), "Package");
	(void)deb_file_md5sums(d, &n);
	if ((it = deb_data_open(d)) != NULL) {
		int entries = 0;
		while (entries++ < 10000 && deb_data_next(it, &e) == 1) {
			if (e.path == NULL || e.path[0] == '/' || strstr(e.path, "..") == e.path)
				abort(); /* normalised paths never escape */
			while (deb_data_read(it, buf, sizeof(buf)) > 0)
				;
		}
		deb_data_close(it);
	}
	deb_file_close(d);
	return 0;
}
