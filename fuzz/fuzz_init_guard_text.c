/* fuzz_init_guard_text: the endpoint guard's two text inputs from outside
 * its process — the mounted API key file and the server's own Prometheus
 * text.  Filtered metrics must pass the filter again unchanged (nothing
 * dropped), and a key set stays within its bound. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guard_keys.h"
#include "guard_stats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[1 << 16], again[1 << 16];
	struct guard_keyset ks = {0};
	uint64_t dropped = 0, dropped2 = 0;
	size_t n, m;

	if (guard_keys_parse((const char *)data, size, "fuzz", NULL, &ks) == 0) {
		if (ks.n > GUARD_MAX_KEYS)
			abort();
		for (size_t i = 0; i < ks.n; i++)
			if (strlen(ks.v[i].id) == 0 || strlen(ks.v[i].id) > GUARD_KEY_ID_MAX)
				abort();
	}
	guard_keyset_free(&ks);
	n = guard_app_metrics_filter((const char *)data, size, "app_", out, sizeof(out), &dropped);
	if (n >= sizeof(out))
		abort();
	m = guard_app_metrics_filter(out, n, "", again, sizeof(again), &dropped2);
	if (m != n || memcmp(out, again, n) != 0 || dropped2 != 0)
		abort();
	return 0;
}
