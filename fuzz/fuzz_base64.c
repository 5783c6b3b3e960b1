/* fuzz_base64: decode, re-encode, and decode again must round-trip. */
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ward_buf a = {0}, b = {0};
	char *enc;

	if (b64_decode((const char *)data, size, &a, "fuzz") == 0) {
		enc = b64_encode(a.data, a.len);
		if (enc == NULL || b64_decode(enc, strlen(enc), &b, "fuzz") != 0 ||
		    a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
			abort();
		free(enc);
	}
	ward_buf_free(&a);
	ward_buf_free(&b);
	return 0;
}
