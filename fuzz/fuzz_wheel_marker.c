/* fuzz_wheel_marker: environment markers (first byte odd) or version
 * specifiers (even), evaluated for the fuzz interpreter. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_wheel_target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ward_strv extras = {0};
	char *s;
	int out;

	if (size == 0 || (s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	ward_strv_push(&extras, "cuda");
	if (data[0] & 1)
		(void)wheel_marker_eval(s, &fuzz_target, &extras, &extras, "fuzz", &out);
	else
		(void)wheel_specifier_check(s, "3.11.2", "fuzz", &out);
	ward_strv_free(&extras);
	free(s);
	return 0;
}
