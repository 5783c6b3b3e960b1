/* fuzz_deploy_passwd: /etc/passwd and /etc/group lookups on any bytes (an
 * image's files are untrusted).  Input: the name, a newline, the file. */
#include <stdlib.h>
#include <string.h>

#include "deploy/deploy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	char name[64];
	uint32_t id = 0;
	size_t n;
	int rc;

	if (nl == NULL || (n = (size_t)(nl - data)) >= sizeof(name))
		return 0;
	memcpy(name, data, n);
	name[n] = '\0';
	if (memchr(name, '\0', n) != NULL)
		return 0;
	rc = deploy_passwd_lookup((const char *)nl + 1, size - n - 1, name, &id, "fuzz");
	if (rc < -1 || rc > 1 || (rc == 0 && id == 0xffffffffu))
		abort();
	return 0;
}
