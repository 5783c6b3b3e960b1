/* fuzz_deb_version: version order must be a total order on any input:
 * antisymmetric, reflexive, and never crash. */
#include <stdlib.h>
#include <string.h>

#include "deb/deb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
sign(int v)
{
	return (v > 0) - (v < 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char a[512], b[512];
	const uint8_t *sep = memchr(data, '\n', size);
	size_t la = sep ? (size_t)(sep - data) : size, lb = sep ? size - la - 1 : 0;

	if (la >= sizeof(a) || lb >= sizeof(b) || memchr(data, 0, size))
		return 0;
	memcpy(a, data, la);
	a[la] = '\0';
	memcpy(b, sep ? sep + 1 : data, lb);
	b[lb] = '\0';
	(void)deb_version_check(a, "fuzz");
	if (deb_version_cmp(a, a) != 0 ||
	    sign(deb_version_cmp(a, b)) != -sign(deb_version_cmp(b, a)))
		abort();
	return 0;
}
