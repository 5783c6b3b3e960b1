/*
 * guard_stats.h: what the endpoint guard limits and counts — token buckets,
 * token budgets read from responses' `usage`, the counters and histograms
 * behind its /metrics lines, and the filter that merges the server's own
 * Prometheus text under a prefix.  All pure (time is passed in) and
 * bounded: label sets are the policy's routes, the known keys and the fixed
 * reason list, so /metrics cannot grow with traffic.
 */
#ifndef WARD_INIT_GUARD_STATS_H
#define WARD_INIT_GUARD_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "guard_http.h"
#include "guard_policy.h"

/* ------------------------------------------------------------ buckets */

struct guard_bucket {
	double tokens;
	uint64_t last_ns; /* 0: never used (starts full) */
};

/* guard_bucket_take(b, rate, now): take one token; 1 when allowed (always
 * when rate->rps is 0), 0 when empty. */
int guard_bucket_take(struct guard_bucket *b, const struct guard_rate *rate, uint64_t now_ns);

/* A token budget: capacity `tokens`, refilled evenly over `window_s`;
 * spending may drive it below zero (a response is charged after it ran),
 * and no request is admitted until it is positive again. */
struct guard_budget {
	double left;
	uint64_t last_ns;
};
int guard_budget_ok(struct guard_budget *b, uint64_t tokens, double window_s, uint64_t now_ns);
void guard_budget_spend(struct guard_budget *b, uint64_t used);

/* ------------------------------------------------------------ usage */

/* Finds the token counts in a JSON (or SSE) response body as it streams
 * by, whatever the chunk boundaries: OpenAI's "total_tokens", else
 * Ollama's "prompt_eval_count" + "eval_count".  The last value of each
 * wins (streams repeat them).  Not a JSON parser: a key-shaped string in
 * generated text is JSON-escaped and so never matches. */
struct guard_usage {
	int st, esc;
	char key[24];
	unsigned klen;
	int which;
	uint64_t val;
	unsigned digits;
	uint64_t total, prompt_eval, eval;
	int have_total, have_eval;
};
void guard_usage_feed(struct guard_usage *u, const char *p, size_t n);
/* guard_usage_tokens(u): the tokens the response reported (0 when none). */
uint64_t guard_usage_tokens(const struct guard_usage *u);

/* ------------------------------------------------------------ counters */

#define GUARD_HIST_BUCKETS 15
extern const double guard_hist_bounds[GUARD_HIST_BUCKETS]; /* seconds, +Inf implied */

struct guard_hist {
	uint64_t b[GUARD_HIST_BUCKETS + 1];
	uint64_t count;
	double sum;
};
void guard_hist_add(struct guard_hist *h, double seconds);

enum guard_upstream_error {
	GU_CONNECT,
	GU_RESET, /* closed or reset before the response ended */
	GU_TIMEOUT,
	GU_BAD_RESPONSE, /* malformed or conflicting framing, an upgrade */
	GU_COUNT
};
const char *guard_upstream_error_name(int e);

struct guard_route_stat {
	uint64_t codes[6]; /* by status class: [1] 1xx ... [5] 5xx; [0] no response */
	uint64_t bytes_in, bytes_out;
	struct guard_hist duration;   /* request head received -> response ended */
	struct guard_hist first_byte; /* request head received -> response head */
};

/* Per key id (never the key).  Kept across reloads by id. */
struct guard_key_stat {
	char id[GUARD_KEY_ID_MAX + 1];
	int live; /* in the current key set */
	uint64_t codes[6];
	uint64_t rejected; /* refused after authenticating (rate, budget, ...) */
	uint64_t tokens;
	unsigned inflight;
	struct guard_bucket bucket;
	struct guard_budget budget;
};

struct guard_stats {
	uint64_t rejected[GR_COUNT];
	uint64_t upstream_errors[GU_COUNT];
	uint64_t connections_total, connections_open;
	uint64_t inflight;
	uint64_t requests_total;
	uint64_t key_reloads_ok, key_reloads_failed;
	uint64_t keys_loaded;
	uint64_t app_metrics_ok, app_metrics_failed, app_lines_dropped;
	uint64_t sse_streams;
	struct guard_route_stat *routes; /* one per allow route */
	size_t nroutes;
	struct guard_key_stat *keys; /* GUARD_KEY_STATS entries */
	size_t nkeys;
	struct guard_bucket bucket; /* global rate */
};
#define GUARD_KEY_STATS (2 * GUARD_MAX_KEYS)

/* guard_stats_key(s, id): the stat slot for id (created when new), or
 * NULL when the table is full. */
struct guard_key_stat *guard_stats_key(struct guard_stats *s, const char *id);

/* guard_metrics_render(s, gp, self_rss, out, cap): the guard's
 * exposition text (ward_guard_*); returns its length, 0 when cap is too
 * small. */
size_t guard_metrics_render(const struct guard_stats *s, const struct guard_policy *gp, char *out,
			    size_t cap);

/* ------------------------------------------------------------ app metrics */

/* guard_app_metrics_filter(in, n, prefix, out, cap, dropped): the server's
 * Prometheus text with every metric name prefixed (HELP/TYPE lines and
 * samples); lines that are not valid exposition format (bad names, labels,
 * values, or anything else) are dropped and counted.  Returns the output
 * length (what fit, whole lines only). */
size_t guard_app_metrics_filter(const char *in, size_t n, const char *prefix, char *out, size_t cap,
				uint64_t *dropped);

#endif
