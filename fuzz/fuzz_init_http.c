/* fuzz_init_http: ward-init's HTTP request parser on arbitrary bytes,
 * including pipelined requests.  It must stay within the input, and a
 * complete request must consume at least one byte. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t left = size;
	struct http_req r;

	for (int i = 0; i < 64; i++) {
		int rc = http_parse(p, left, &r);
		if (rc != HTTP_DONE)
			break;
		if (r.consumed == 0 || r.consumed > left || strlen(r.path) >= sizeof(r.path))
			abort();
		p += r.consumed;
		left -= r.consumed;
	}
	return 0;
}
