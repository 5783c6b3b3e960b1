/* fuzz_registry_ref: registry references and WWW-Authenticate challenges,
 * both of which come from users and servers. */
#include <stdlib.h>
#include <string.h>

#include "registry/registry_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), out[64];
	struct reg_ref r;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (reg_ref_parse(s, &r) == 0) {
		(void)reg_ref_reference(&r);
		free(reg_ref_name(&r));
		reg_ref_free(&r);
	}
	reg_challenge_param(s, "realm", out, sizeof(out));
	reg_challenge_param(s, "scope", out, sizeof(out));
	free(s);
	return 0;
}
