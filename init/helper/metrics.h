/*
 * metrics.h: the Prometheus text exposition of ward-init's state (the
 * shared page PID 1 writes) and of the helper's own HTTP counters.
 * Rendering is pure and writes into the caller's fixed buffer (no
 * allocation per request), so it is unit-tested; it checks every index and
 * string of the state, which it treats as a snapshot it did not write.
 */
#ifndef WARD_INIT_METRICS_H
#define WARD_INIT_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "state.h"

#define METRICS_MAX 32768

enum http_code_slot {
	HTTP_SLOT_200,
	HTTP_SLOT_400,
	HTTP_SLOT_404,
	HTTP_SLOT_405,
	HTTP_SLOT_408,
	HTTP_SLOT_413,
	HTTP_SLOT_503,
	HTTP_SLOTS
};

/* What the helper counts itself. */
struct http_stats {
	uint64_t code[HTTP_SLOTS];
	uint64_t evicted;  /* idle connections closed to admit a new one */
	uint64_t timeouts; /* closed for being idle or slow */
};

/* metrics_render(st, hs, now_ns, out, cap): the exposition text; returns
 * its length (< cap), or 0 when it does not fit. */
size_t metrics_render(const struct init_state *st, const struct http_stats *hs, uint64_t now_ns,
		      char *out, size_t cap);

#endif
