/* fuzz_wheel_install: a wheel (zip) through the installer's checks and its
 * writes, into /dev/null.  The pin is demo 1.0 (the seeds' package). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "wheel/wheel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
null_create(void *ctx, const char *path, uint32_t mode)
{
	(void)ctx;
	(void)path;
	(void)mode;
	return open("/dev/null", O_WRONLY | O_CLOEXEC);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct wheel_layout lay = {
		.purelib = "usr/local/lib/python3.11/dist-packages",
		.scripts = "usr/local/bin",
		.headers = "usr/local/include/python3.11",
		.data = "usr/local",
		.interpreter = "/usr/bin/python3.11",
	};
	struct wheel_pin pin = {.name = "demo",
				.version = "1.0",
				.filename = "demo-1.0-py3-none-any.whl",
				.url = "https://files.example/demo-1.0-py3-none-any.whl",
				.direct = 1};
	struct wheel_sink sink = {null_create, NULL};
	struct wheel_installed out;
	FILE *f = tmpfile();
	int fd;

	if (f == NULL)
		return 0;
	if (size > 0 && fwrite(data, 1, size, f) != size) {
		fclose(f);
		return 0;
	}
	fflush(f);
	fd = fileno(f);
	if (wheel_install(fd, &pin, &lay, &sink, &out) == 0)
		wheel_installed_free(&out);
	fclose(f);
	return 0;
}
