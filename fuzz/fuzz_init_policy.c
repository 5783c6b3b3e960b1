/* fuzz_init_policy: ward-init's policy parser.  Whatever it accepts must
 * print back to a policy that parses to the same thing. */
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy p, q;

	if (policy_parse(data, size, "fuzz", &p) == 0) {
		json_t *a = policy_to_json(&p), *b;
		char *text = ward_json_dump(a, 0);
		if (text == NULL || policy_parse(text, strlen(text), "again", &q) != 0)
			abort();
		b = policy_to_json(&q);
		if (!json_equal(a, b))
			abort();
		json_decref(a);
		json_decref(b);
		free(text);
		policy_free(&q);
	}
	policy_free(&p);
	return 0;
}
