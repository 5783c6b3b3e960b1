/* guard_stats.c: buckets, budgets, usage scanning, the guard's metrics and
 * the app-metrics filter (see guard_stats.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "guard_stats.h"

/* ------------------------------------------------------------ buckets */

int
guard_bucket_take(struct guard_bucket *b, const struct guard_rate *rate, uint64_t now)
{
	if (rate->rps <= 0)
		return 1;
	if (b->last_ns == 0) {
		b->tokens = rate->burst;
		b->last_ns = now;
	} else if (now > b->last_ns) {
		b->tokens += (double)(now - b->last_ns) / 1e9 * rate->rps;
		if (b->tokens > rate->burst)
			b->tokens = rate->burst;
		b->last_ns = now;
	}
	if (b->tokens < 1.0)
		return 0;
	b->tokens -= 1.0;
	return 1;
}

int
guard_budget_ok(struct guard_budget *b, uint64_t tokens, double window_s, uint64_t now)
{
	if (tokens == 0)
		return 1;
	if (b->last_ns == 0) {
		b->left = (double)tokens;
		b->last_ns = now;
	} else if (now > b->last_ns) {
		b->left += (double)(now - b->last_ns) / 1e9 * (double)tokens / window_s;
		if (b->left > (double)tokens)
			b->left = (double)tokens;
		b->last_ns = now;
	}
	return b->left > 0;
}

void
guard_budget_spend(struct guard_budget *b, uint64_t used)
{
	b->left -= (double)used;
}

/* ------------------------------------------------------------ usage */

enum { US_SCAN, US_KEY, US_SKIPSTR, US_AFTER_KEY, US_AFTER_COLON, US_NUM };
enum { UK_NONE, UK_TOTAL, UK_PROMPT_EVAL, UK_EVAL };

static void
usage_commit(struct guard_usage *u)
{
	switch (u->which) {
	case UK_TOTAL:
		u->total = u->val;
		u->have_total = 1;
		break;
	case UK_PROMPT_EVAL:
		u->prompt_eval = u->val;
		u->have_eval = 1;
		break;
	case UK_EVAL:
		u->eval = u->val;
		u->have_eval = 1;
		break;
	}
}

void
guard_usage_feed(struct guard_usage *u, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
	again:
		switch (u->st) {
		case US_SCAN:
			if (c == '"') {
				u->st = US_KEY;
				u->klen = 0;
				u->esc = 0;
			}
			break;
		case US_KEY:
		case US_SKIPSTR:
			if (u->esc) {
				u->esc = 0;
				u->st = US_SKIPSTR; /* an escape: not one of our keys */
				break;
			}
			if (c == '\\') {
				u->esc = 1;
				break;
			}
			if (c == '"') {
				u->which = UK_NONE;
				if (u->st == US_KEY) {
					if (u->klen == 12 &&
					    memcmp(u->key, "total_tokens", 12) == 0)
						u->which = UK_TOTAL;
					else if (u->klen == 17 &&
						 memcmp(u->key, "prompt_eval_count", 17) == 0)
						u->which = UK_PROMPT_EVAL;
					else if (u->klen == 10 &&
						 memcmp(u->key, "eval_count", 10) == 0)
						u->which = UK_EVAL;
				}
				u->st = u->which != UK_NONE ? US_AFTER_KEY : US_SCAN;
				break;
			}
			if (u->st == US_KEY) {
				if (u->klen < sizeof(u->key))
					u->key[u->klen++] = c;
				else
					u->st = US_SKIPSTR;
			}
			break;
		case US_AFTER_KEY:
			if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
				break;
			u->st = c == ':' ? US_AFTER_COLON : US_SCAN;
			if (u->st == US_SCAN)
				goto again;
			break;
		case US_AFTER_COLON:
			if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
				break;
			if (c >= '0' && c <= '9') {
				u->st = US_NUM;
				u->val = 0;
				u->digits = 0;
				goto again;
			}
			u->st = US_SCAN;
			goto again;
		case US_NUM:
			if (c >= '0' && c <= '9') {
				if (++u->digits <= 15)
					u->val = u->val * 10 + (uint64_t)(c - '0');
				break;
			}
			if (c == ',' || c == '}' || c == ' ' || c == '\t' || c == '\r' || c == '\n')
				usage_commit(u);
			u->st = US_SCAN;
			goto again;
		}
	}
}

uint64_t
guard_usage_tokens(const struct guard_usage *u)
{
	if (u->have_total)
		return u->total;
	if (u->have_eval)
		return u->prompt_eval + u->eval;
	return 0;
}

/* ------------------------------------------------------------ histograms */

const double guard_hist_bounds[GUARD_HIST_BUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 30, 120,
};

void
guard_hist_add(struct guard_hist *h, double s)
{
	size_t i = 0;

	while (i < GUARD_HIST_BUCKETS && s > guard_hist_bounds[i])
		i++;
	h->b[i]++;
	h->count++;
	h->sum += s;
}

const char *
guard_upstream_error_name(int e)
{
	static const char *const names[GU_COUNT] = {"connect", "reset", "timeout", "bad_response"};
	return e >= 0 && e < GU_COUNT ? names[e] : "unknown";
}

struct guard_key_stat *
guard_stats_key(struct guard_stats *s, const char *id)
{
	for (size_t i = 0; i < s->nkeys; i++)
		if (strcmp(s->keys[i].id, id) == 0)
			return &s->keys[i];
	if (s->nkeys >= GUARD_KEY_STATS)
		return NULL;
	struct guard_key_stat *k = &s->keys[s->nkeys++];
	memset(k, 0, sizeof(*k));
	snprintf(k->id, sizeof(k->id), "%s", id);
	return k;
}

/* ------------------------------------------------------------ rendering */

struct out {
	char *p;
	size_t cap, len;
	int full;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len) {
		o->full = 1;
		return;
	}
	o->len += (size_t)n;
}

static void
family(struct out *o, const char *name, const char *type, const char *help)
{
	put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static const char *const classes[6] = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};

/* Route labels: "METHODS PATH" (patterns hold no '"' or '\'). */
static void
route_label(const struct guard_route *r, char *out, size_t cap)
{
	static const char *const names[] = {"GET",    "HEAD",  "POST",	 "PUT",
					    "DELETE", "PATCH", "OPTIONS"};
	size_t o = 0;

	out[0] = '\0';
	if ((r->methods & GUARD_METHODS_ANY) == GUARD_METHODS_ANY) {
		o = (size_t)snprintf(out, cap, "*");
	} else {
		for (int k = 0; k < 7 && o < cap; k++)
			if (r->methods & (1u << k))
				o += (size_t)snprintf(out + o, cap - o, "%s%s", o ? "," : "",
						      names[k]);
	}
	if (o < cap)
		snprintf(out + o, cap - o, " %s", r->path);
}

static void
hist(struct out *o, const char *name, const char *label, const struct guard_hist *h)
{
	uint64_t cum = 0;

	for (size_t i = 0; i < GUARD_HIST_BUCKETS; i++) {
		cum += h->b[i];
		put(o, "%s_bucket{%s,le=\"%g\"} %llu\n", name, label, guard_hist_bounds[i],
		    (unsigned long long)cum);
	}
	cum += h->b[GUARD_HIST_BUCKETS];
	put(o, "%s_bucket{%s,le=\"+Inf\"} %llu\n", name, label, (unsigned long long)cum);
	put(o, "%s_sum{%s} %.6f\n", name, label, h->sum);
	put(o, "%s_count{%s} %llu\n", name, label, (unsigned long long)h->count);
}

size_t
guard_metrics_render(const struct guard_stats *s, const struct guard_policy *gp, char *buf,
		     size_t cap)
{
	struct out o = {.p = buf, .cap = cap};
	char label[GUARD_MAX_PATTERN + 80], rl[GUARD_MAX_PATTERN + 64];

	if (cap == 0)
		return 0;
	family(&o, "ward_guard_info", "gauge", "The endpoint guard: listener, upstream, profile.");
	put(&o, "ward_guard_info{listen=\"%s\",upstream=\"%s\",profile=\"%s\"} 1\n", gp->listen,
	    gp->upstream, gp->profile ? gp->profile : "");
	family(&o, "ward_guard_connections_open", "gauge", "Client connections open.");
	put(&o, "ward_guard_connections_open %llu\n", (unsigned long long)s->connections_open);
	family(&o, "ward_guard_connections_total", "counter", "Client connections accepted.");
	put(&o, "ward_guard_connections_total %llu\n", (unsigned long long)s->connections_total);
	family(&o, "ward_guard_inflight_requests", "gauge", "Requests forwarded and not finished.");
	put(&o, "ward_guard_inflight_requests %llu\n", (unsigned long long)s->inflight);
	family(&o, "ward_guard_requests_total", "counter",
	       "Requests that reached the guard's routing (forwarded or refused).");
	put(&o, "ward_guard_requests_total %llu\n", (unsigned long long)s->requests_total);
	family(&o, "ward_guard_rejected_total", "counter",
	       "Requests refused before reaching the server, by reason.");
	for (int r = 1; r < GR_COUNT; r++)
		put(&o, "ward_guard_rejected_total{reason=\"%s\"} %llu\n", guard_reason_name(r),
		    (unsigned long long)s->rejected[r]);
	family(&o, "ward_guard_upstream_errors_total", "counter",
	       "Failures talking to the server, by kind.");
	for (int e = 0; e < GU_COUNT; e++)
		put(&o, "ward_guard_upstream_errors_total{kind=\"%s\"} %llu\n",
		    guard_upstream_error_name(e), (unsigned long long)s->upstream_errors[e]);
	family(&o, "ward_guard_route_responses_total", "counter",
	       "Forwarded requests by route and response status class.");
	for (size_t i = 0; i < s->nroutes; i++) {
		route_label(&gp->allow[i], rl, sizeof(rl));
		for (int c = 0; c < 6; c++)
			if (s->routes[i].codes[c] || c == 2)
				put(&o,
				    "ward_guard_route_responses_total{route=\"%s\",code=\"%s\"} "
				    "%llu\n",
				    rl, classes[c], (unsigned long long)s->routes[i].codes[c]);
	}
	family(&o, "ward_guard_route_bytes_total", "counter",
	       "Body and head bytes by route: in from clients, out to clients.");
	for (size_t i = 0; i < s->nroutes; i++) {
		route_label(&gp->allow[i], rl, sizeof(rl));
		put(&o, "ward_guard_route_bytes_total{route=\"%s\",direction=\"in\"} %llu\n", rl,
		    (unsigned long long)s->routes[i].bytes_in);
		put(&o, "ward_guard_route_bytes_total{route=\"%s\",direction=\"out\"} %llu\n", rl,
		    (unsigned long long)s->routes[i].bytes_out);
	}
	family(&o, "ward_guard_request_duration_seconds", "histogram",
	       "From a request's head to the end of its response, by route.");
	for (size_t i = 0; i < s->nroutes; i++) {
		route_label(&gp->allow[i], rl, sizeof(rl));
		snprintf(label, sizeof(label), "route=\"%s\"", rl);
		hist(&o, "ward_guard_request_duration_seconds", label, &s->routes[i].duration);
	}
	family(&o, "ward_guard_upstream_first_byte_seconds", "histogram",
	       "From a request's head to the server's response head, by route.");
	for (size_t i = 0; i < s->nroutes; i++) {
		route_label(&gp->allow[i], rl, sizeof(rl));
		snprintf(label, sizeof(label), "route=\"%s\"", rl);
		hist(&o, "ward_guard_upstream_first_byte_seconds", label, &s->routes[i].first_byte);
	}
	family(&o, "ward_guard_sse_streams_total", "counter",
	       "Responses streamed as Server-Sent Events.");
	put(&o, "ward_guard_sse_streams_total %llu\n", (unsigned long long)s->sse_streams);
	family(&o, "ward_guard_keys_loaded", "gauge", "API keys in force.");
	put(&o, "ward_guard_keys_loaded %llu\n", (unsigned long long)s->keys_loaded);
	family(&o, "ward_guard_key_reloads_total", "counter", "API key file reloads (SIGHUP).");
	put(&o, "ward_guard_key_reloads_total{result=\"ok\"} %llu\n",
	    (unsigned long long)s->key_reloads_ok);
	put(&o, "ward_guard_key_reloads_total{result=\"error\"} %llu\n",
	    (unsigned long long)s->key_reloads_failed);
	family(&o, "ward_guard_key_responses_total", "counter",
	       "Forwarded requests by key id and response status class.");
	for (size_t i = 0; i < s->nkeys; i++)
		for (int c = 0; c < 6; c++)
			if (s->keys[i].codes[c] || c == 2)
				put(&o,
				    "ward_guard_key_responses_total{key=\"%s\",code=\"%s\"} %llu\n",
				    s->keys[i].id, classes[c],
				    (unsigned long long)s->keys[i].codes[c]);
	family(&o, "ward_guard_key_rejected_total", "counter",
	       "Authenticated requests refused by a limit, by key id.");
	for (size_t i = 0; i < s->nkeys; i++)
		put(&o, "ward_guard_key_rejected_total{key=\"%s\"} %llu\n", s->keys[i].id,
		    (unsigned long long)s->keys[i].rejected);
	family(&o, "ward_guard_key_tokens_total", "counter",
	       "Tokens the server reported in responses' usage, by key id.");
	for (size_t i = 0; i < s->nkeys; i++)
		put(&o, "ward_guard_key_tokens_total{key=\"%s\"} %llu\n", s->keys[i].id,
		    (unsigned long long)s->keys[i].tokens);
	family(&o, "ward_guard_key_inflight_requests", "gauge", "Requests in flight, by key id.");
	for (size_t i = 0; i < s->nkeys; i++)
		put(&o, "ward_guard_key_inflight_requests{key=\"%s\"} %u\n", s->keys[i].id,
		    s->keys[i].inflight);
	if (gp->app_metrics_file || gp->app_metrics_unix) {
		family(&o, "ward_guard_app_metrics_reads_total", "counter",
		       "Reads of the server's own metrics, by result.");
		put(&o, "ward_guard_app_metrics_reads_total{result=\"ok\"} %llu\n",
		    (unsigned long long)s->app_metrics_ok);
		put(&o, "ward_guard_app_metrics_reads_total{result=\"error\"} %llu\n",
		    (unsigned long long)s->app_metrics_failed);
		family(&o, "ward_guard_app_metrics_lines_dropped_total", "counter",
		       "Lines of the server's metrics that were not valid exposition text.");
		put(&o, "ward_guard_app_metrics_lines_dropped_total %llu\n",
		    (unsigned long long)s->app_lines_dropped);
	}
	return o.full ? 0 : o.len;
}

/* ------------------------------------------------------------ app metrics */

static int
name_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}

static int
name_char(unsigned char c)
{
	return name_start(c) || (c >= '0' && c <= '9');
}

/* A metric name at l[*i..); advances past it. */
static int
scan_name(const char *l, size_t n, size_t *i, int label)
{
	size_t s = *i;

	if (s >= n || !name_start((unsigned char)l[s]) || (label && l[s] == ':'))
		return 0;
	while (*i < n && name_char((unsigned char)l[*i]) && !(label && l[*i] == ':'))
		(*i)++;
	return *i > s;
}

static int
utf8_text_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return gh_utf8_ok((const unsigned char *)s, n);
}

static int
value_ok(const char *v, size_t n)
{
	char tmp[64];
	size_t i = 0;

	if (n == 0 || n >= sizeof(tmp))
		return 0;
	memcpy(tmp, v, n);
	tmp[n] = '\0';
	if (strcmp(tmp, "NaN") == 0 || strcmp(tmp, "+Inf") == 0 || strcmp(tmp, "-Inf") == 0)
		return 1;
	if (tmp[i] == '+' || tmp[i] == '-')
		i++;
	size_t digits = 0;
	while (tmp[i] >= '0' && tmp[i] <= '9')
		i++, digits++;
	if (tmp[i] == '.') {
		i++;
		while (tmp[i] >= '0' && tmp[i] <= '9')
			i++, digits++;
	}
	if (digits == 0)
		return 0;
	if (tmp[i] == 'e' || tmp[i] == 'E') {
		i++;
		if (tmp[i] == '+' || tmp[i] == '-')
			i++;
		if (tmp[i] < '0' || tmp[i] > '9')
			return 0;
		while (tmp[i] >= '0' && tmp[i] <= '9')
			i++;
	}
	return tmp[i] == '\0';
}

/* One line (no newline): 1 valid (with *name_at the offset of the metric
 * name to prefix), 0 invalid, -1 skipped silently (blank, comment). */
static int
app_line(const char *l, size_t n, size_t *name_at)
{
	size_t i = 0;

	if (n == 0)
		return -1;
	if (l[0] == '#') {
		int help = n > 7 && memcmp(l, "# HELP ", 7) == 0;
		int type = n > 7 && memcmp(l, "# TYPE ", 7) == 0;
		if (!help && !type)
			return -1;
		i = 7;
		*name_at = i;
		if (!scan_name(l, n, &i, 0))
			return 0;
		if (help)
			return (i == n || (l[i] == ' ' && utf8_text_ok(l + i, n - i))) ? 1 : 0;
		if (i >= n || l[i] != ' ')
			return 0;
		i++;
		static const char *const types[] = {"counter", "gauge",	  "histogram",
						    "summary", "untyped", NULL};
		for (int k = 0; types[k]; k++)
			if (strlen(types[k]) == n - i && memcmp(l + i, types[k], n - i) == 0)
				return 1;
		return 0;
	}
	*name_at = 0;
	if (!scan_name(l, n, &i, 0))
		return 0;
	if (i < n && l[i] == '{') {
		i++;
		while (i < n && l[i] != '}') {
			if (!scan_name(l, n, &i, 1) || i + 1 >= n || l[i] != '=' || l[i + 1] != '"')
				return 0;
			i += 2;
			while (i < n && l[i] != '"') {
				if (l[i] == '\\') {
					if (i + 1 >= n || !strchr("\\\"n", l[i + 1]))
						return 0;
					i++;
				} else if ((unsigned char)l[i] < 0x20 || l[i] == 0x7f) {
					return 0;
				}
				i++;
			}
			if (i >= n)
				return 0;
			i++; /* the closing quote */
			if (i < n && l[i] == ',')
				i++;
		}
		if (i >= n)
			return 0;
		i++; /* '}' */
	}
	if (i >= n || l[i] != ' ')
		return 0;
	i++;
	size_t v = i;
	while (i < n && l[i] != ' ')
		i++;
	if (!value_ok(l + v, i - v))
		return 0;
	if (i < n) {
		size_t t = ++i;
		if (t < n && l[t] == '-')
			t++;
		if (t == n)
			return 0;
		for (; t < n; t++)
			if (l[t] < '0' || l[t] > '9')
				return 0;
	}
	return gh_utf8_ok((const unsigned char *)l, n) ? 1 : 0;
}

size_t
guard_app_metrics_filter(const char *in, size_t n, const char *prefix, char *out, size_t cap,
			 uint64_t *dropped)
{
	size_t p = 0, o = 0, pl = strlen(prefix);

	while (p < n) {
		const char *nl = memchr(in + p, '\n', n - p);
		size_t e = nl ? (size_t)(nl - in) : n, name_at = 0;
		const char *l = in + p;
		size_t ll = e - p;
		int ok;
		if (ll > 0 && l[ll - 1] == '\r')
			ll--;
		ok = ll > 4096 ? 0 : app_line(l, ll, &name_at);
		p = e + 1;
		if (ok < 0)
			continue;
		if (ok == 0) {
			(*dropped)++;
			continue;
		}
		if (o + ll + pl + 1 >= cap) {
			(*dropped)++;
			continue;
		}
		memcpy(out + o, l, name_at);
		memcpy(out + o + name_at, prefix, pl);
		memcpy(out + o + name_at + pl, l + name_at, ll - name_at);
		o += ll + pl;
		out[o++] = '\n';
	}
	if (o < cap)
		out[o] = '\0';
	return o;
}
