/* fuzz_init_guard_http: the endpoint guard's parsers on arbitrary bytes —
 * request heads (scanned whole and byte by byte: the same answer), paths
 * (the canonical form normalises to itself), strict request chunking,
 * response heads, lenient response chunking and the usage scanner. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guard_http.h"
#include "guard_stats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
on_data(void *ctx, const char *p, size_t n)
{
	guard_usage_feed(ctx, p, n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gh_request r;
	const char *p = (const char *)data;
	struct gh_scan whole = {0}, steps = {0};
	long h, hs = 0;

	h = gh_head_scan(&whole, p, size, 8192);
	for (size_t i = 1; i <= size && hs == 0; i++)
		hs = gh_head_scan(&steps, p, i, 8192);
	if ((h > 0) != (hs > 0) || (h > 0 && h != hs) || (h < 0 && hs >= 0))
		abort();
	if (h > 0) {
		if ((size_t)h > size || whole.start >= (size_t)h)
			abort();
		if (gh_parse_request(p, (size_t)h, whole.start, 100, &r) == 0) {
			char canon[3 * GH_MAX_PATH + 1], again[GH_MAX_PATH];
			size_t cl, al;
			int reason;
			if (r.path_len != strlen(r.path) || r.path[0] != '/')
				abort();
			cl = gh_canonical_target(r.path, r.path_len, canon, sizeof(canon));
			if (cl == 0 ||
			    gh_normalize_path(canon, cl, again, sizeof(again), &al, &reason) != 0 ||
			    al != r.path_len || memcmp(again, r.path, al) != 0)
				abort();
			if (r.chunked) {
				struct gh_chunked c = {
					.strict = 1, .max_total = 1 << 20, .max_chunks = 64};
				long u = gh_chunked_feed(&c, p + h, size - (size_t)h, NULL, NULL);
				if (u > (long)(size - (size_t)h) || c.total > (1u << 20) ||
				    c.chunks > 64)
					abort();
			}
		}
	}
	/* the same bytes as a response from the upstream */
	struct gh_scan rs = {.leading = -1};
	struct gh_response resp;
	h = gh_head_scan(&rs, p, size, 8192);
	if (h > 0 && gh_parse_response(p, (size_t)h, &resp) == 0 && resp.chunked) {
		struct gh_chunked c = {0};
		struct guard_usage u = {0};
		if (gh_chunked_feed(&c, p + h, size - (size_t)h, on_data, &u) >
		    (long)(size - (size_t)h))
			abort();
	}
	struct guard_usage u = {0};
	guard_usage_feed(&u, p, size);
	(void)guard_usage_tokens(&u);
	return 0;
}
