/* test_init_guard.c: the endpoint guard's pure parts — head scanning,
 * request/response parsing, path normalisation, chunked bodies, route
 * patterns, profiles, keys, buckets, budgets, usage scanning, metrics and
 * the app-metrics filter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/crypto.h"
#include "guard_http.h"
#include "guard_keys.h"
#include "guard_policy.h"
#include "guard_stats.h"
#include "policy.h"

/* The reason a request is refused, or GR_NONE. */
static int
request_reason(const char *s, struct gh_request *r)
{
	struct gh_scan sc = {0};
	long h = gh_head_scan(&sc, s, strlen(s), 16384);

	if (h < 0)
		return sc.reason;
	if (h == 0)
		return -1; /* incomplete */
	if (gh_parse_request(s, (size_t)h, sc.start, 100, r) != 0)
		return r->reason;
	return GR_NONE;
}

static void
test_scan_incremental(void **state)
{
	const char *req = "\r\nGET /v1/models HTTP/1.1\r\nHost: a\r\n\r\nNEXT";
	struct gh_scan sc = {0};
	size_t n = strlen(req);
	long h = 0;

	(void)state;
	/* one byte at a time: each byte looked at once, the same answer */
	for (size_t i = 1; i <= n && h == 0; i++)
		h = gh_head_scan(&sc, req, i, 16384);
	assert_int_equal(h, (long)(n - 4));
	assert_int_equal(sc.start, 2);
	assert_int_equal(sc.pos, n - 4);
	/* three leading empty lines are too many */
	memset(&sc, 0, sizeof(sc));
	assert_int_equal(gh_head_scan(&sc, "\r\n\r\n\r\nGET / HTTP/1.1\r\n\r\n", 25, 100), -1);
	/* the size cap counts from the request line */
	memset(&sc, 0, sizeof(sc));
	assert_int_equal(gh_head_scan(&sc, "GET /aaaaaaaaaa HTTP/1.1\r\n", 26, 10), -1);
	assert_int_equal(sc.reason, GR_HEADER_TOO_LARGE);
	/* a CR at the end waits for the next byte */
	memset(&sc, 0, sizeof(sc));
	assert_int_equal(gh_head_scan(&sc, "GET / HTTP/1.1\r", 15, 100), 0);
	assert_int_equal(gh_head_scan(&sc, "GET / HTTP/1.1\rX", 16, 100), -1);
	assert_int_equal(sc.reason, GR_BARE_CR);
	/* responses: no leading empty line */
	memset(&sc, 0, sizeof(sc));
	sc.leading = -1;
	assert_int_equal(gh_head_scan(&sc, "\r\nHTTP/1.1 200 OK\r\n\r\n", 21, 100), -1);
}

static void
test_requests(void **state)
{
	struct gh_request r;

	(void)state;
	assert_int_equal(request_reason("POST /v1/chat/completions?x=1&y=%20 HTTP/1.1\r\n"
					"Host: h:8080\r\nContent-Length: 12\r\n"
					"Connection: keep-alive\r\n\r\n",
					&r),
			 GR_NONE);
	assert_int_equal(r.method, GM_POST);
	assert_string_equal(r.path, "/v1/chat/completions");
	assert_int_equal(r.query_len, 10);
	assert_true(r.has_length);
	assert_int_equal(r.length, 12);
	assert_true(r.keep_alive);
	assert_int_equal(r.nh, 3);
	assert_int_equal(request_reason("GET / HTTP/1.0\r\n\r\n", &r), GR_NONE);
	assert_false(r.keep_alive);
	assert_int_equal(
		request_reason("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n"
			       "Expect: 100-Continue\r\n\r\n",
			       &r),
		GR_NONE);
	assert_true(r.chunked);
	assert_true(r.expect_continue);
	assert_int_equal(request_reason("PROPFIND /x HTTP/1.1\r\nHost: a\r\n\r\n", &r), GR_NONE);
	assert_int_equal(r.method, GM_OTHER);
}

static void
test_request_refusals(void **state)
{
	static const struct {
		const char *req;
		int reason;
	} cases[] = {
		{"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: "
		 "chunked\r\n\r\n",
		 GR_CL_TE_CONFLICT},
		{"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
		 GR_DUPLICATE_CONTENT_LENGTH},
		{"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 1\r\n\r\n", GR_BAD_CONTENT_LENGTH},
		{"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", GR_BAD_CONTENT_LENGTH},
		{"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n",
		 GR_BAD_CONTENT_LENGTH},
		{"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n", GR_BAD_CONTENT_LENGTH},
		{"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
		 GR_TRANSFER_ENCODING},
		{"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \r\n\r\n", GR_TRANSFER_ENCODING},
		{"GET / HTTP/1.1\r\nHost: a\r\nTransfer_Encoding: chunked\r\n\r\n", GR_BAD_HEADER},
		{"GET / HTTP/1.1\r\nHost: a\r\nX-Api_Key: k\r\n\r\n", GR_BAD_HEADER},
		{"GET / HTTP/1.1\r\nHost: a\r\nA : b\r\n\r\n", GR_BAD_HEADER},
		{"GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n", GR_BAD_HEADER},
		{"GET / HTTP/1.1\r\nHost: a\r\nA: b\x01\r\n\r\n", GR_BAD_HEADER},
		{"GET / HTTP/1.1\r\nHost: a\r\nA: b\r\n c\r\n\r\n", GR_OBS_FOLD},
		{"GET / HTTP/1.1\r\nHost: a\nA: b\r\n\r\n", GR_BARE_LF},
		{"GET / HTTP/1.1\r\nHost: a\r\nA: b\rc\r\n\r\n", GR_BARE_CR},
		{"GET / HTTP/1.1\r\n\r\n", GR_HOST},
		{"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", GR_HOST},
		{"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", GR_HOST},
		{"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\n\r\n", GR_UPGRADE},
		{"GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n\r\n", GR_UPGRADE},
		{"GET / HTTP/1.1\r\nHost: a\r\nExpect: x\r\n\r\n", GR_EXPECT},
		{"GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", GR_TRANSFER_ENCODING},
		{"GET / HTTP/1.2\r\nHost: a\r\n\r\n", GR_VERSION},
		{"GET / HTTP/2\r\nHost: a\r\n\r\n", GR_VERSION},
		{"GET / http/1.1\r\nHost: a\r\n\r\n", GR_BAD_REQUEST_LINE},
		{"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", GR_BAD_REQUEST_LINE},
		{"GET / HTTP/1.1 \r\nHost: a\r\n\r\n", GR_BAD_REQUEST_LINE},
		{"G(T / HTTP/1.1\r\nHost: a\r\n\r\n", GR_BAD_REQUEST_LINE},
		{"GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", GR_BAD_TARGET},
		{"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", GR_BAD_TARGET},
		{"GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", GR_BAD_TARGET},
		{"GET /a?b#c HTTP/1.1\r\nHost: a\r\n\r\n", GR_BAD_TARGET},
		{"GET /a?%zz HTTP/1.1\r\nHost: a\r\n\r\n", GR_BAD_TARGET},
		{"GET /a?\"x\" HTTP/1.1\r\nHost: a\r\n\r\n", GR_BAD_TARGET},
		{"GET /a/../b HTTP/1.1\r\nHost: a\r\n\r\n", GR_PATH_AMBIGUOUS},
	};
	struct gh_request r;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		int got = request_reason(cases[i].req, &r);
		if (got != cases[i].reason)
			fail_msg("case %zu: %s -> %s, expected %s", i, cases[i].req,
				 guard_reason_name(got), guard_reason_name(cases[i].reason));
	}
	/* too many headers */
	char big[8192];
	size_t o = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: a\r\n");
	for (int i = 0; i < 120; i++)
		o += (size_t)snprintf(big + o, sizeof(big) - o, "X-%d: v\r\n", i);
	snprintf(big + o, sizeof(big) - o, "\r\n");
	assert_int_equal(request_reason(big, &r), GR_TOO_MANY_HEADERS);
}

static void
test_paths(void **state)
{
	static const struct {
		const char *raw, *out;
		int reason;
	} cases[] = {
		{"/", "/", 0},
		{"/v1/models", "/v1/models", 0},
		{"/predictions/res%6Eet", "/predictions/resnet", 0},
		{"/a/%E2%82%AC", "/a/\xe2\x82\xac", 0},
		{"/a:b@c!$&'()*+,=", "/a:b@c!$&'()*+,=", 0},
		{"/a/%20b", "/a/ b", 0},
		{"//a", NULL, GR_PATH_AMBIGUOUS},
		{"/a/", NULL, GR_PATH_AMBIGUOUS},
		{"/a/.", NULL, GR_PATH_AMBIGUOUS},
		{"/a/..", NULL, GR_PATH_AMBIGUOUS},
		{"/a/%2e%2e/b", NULL, GR_PATH_AMBIGUOUS},
		{"/a/%2E/b", NULL, GR_PATH_AMBIGUOUS},
		{"/a%2fb", NULL, GR_PATH_AMBIGUOUS},
		{"/a%5cb", NULL, GR_PATH_AMBIGUOUS},
		{"/a\\b", NULL, GR_PATH_AMBIGUOUS},
		{"/a%25b", NULL, GR_PATH_AMBIGUOUS},
		{"/a;b", NULL, GR_PATH_AMBIGUOUS},
		{"/a%3bb", NULL, GR_PATH_AMBIGUOUS},
		{"/a%00", NULL, GR_PATH_AMBIGUOUS},
		{"/a%0d%0a", NULL, GR_PATH_AMBIGUOUS},
		{"/%c0%ae%c0%ae/x", NULL, GR_PATH_AMBIGUOUS},
		{"/%e0%80%ae", NULL, GR_PATH_AMBIGUOUS},
		{"/%ed%a0%80", NULL, GR_PATH_AMBIGUOUS},
		{"/%ff", NULL, GR_PATH_AMBIGUOUS},
		{"/%f4%90%80%80", NULL, GR_PATH_AMBIGUOUS},
		{"/a%2", NULL, GR_BAD_TARGET},
		{"/a%g0", NULL, GR_BAD_TARGET},
		{"/a\"b", NULL, GR_BAD_TARGET},
		{"/a{b}", NULL, GR_BAD_TARGET},
		{"/a\xc3\xa9", NULL, GR_BAD_TARGET},
		{"a", NULL, GR_BAD_TARGET},
	};
	char out[64], canon[200];
	size_t n;
	int reason;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		int rc = gh_normalize_path(cases[i].raw, strlen(cases[i].raw), out, sizeof(out), &n,
					   &reason);
		if (cases[i].out != NULL) {
			if (rc != 0)
				fail_msg("%s refused (%s)", cases[i].raw,
					 guard_reason_name(reason));
			assert_string_equal(out, cases[i].out);
		} else if (rc == 0 || reason != cases[i].reason) {
			fail_msg("%s: expected %s", cases[i].raw,
				 guard_reason_name(cases[i].reason));
		}
	}
	/* canonical form: decoded, then re-encoded only where needed, and
	 * stable (normalising it again gives the same path) */
	assert_int_equal(gh_normalize_path("/a/%E2%82%AC/%20x", 17, out, sizeof(out), &n, &reason),
			 0);
	n = gh_canonical_target(out, n, canon, sizeof(canon));
	assert_string_equal(canon, "/a/%E2%82%AC/%20x");
	assert_int_equal(gh_normalize_path(canon, n, out, sizeof(out), &n, &reason), 0);
	assert_int_equal(gh_canonical_target(out, n, canon, 4), 0);
	/* too long for the output */
	char longp[200];
	memset(longp, 'a', sizeof(longp));
	longp[0] = '/';
	assert_int_equal(gh_normalize_path(longp, sizeof(longp), out, sizeof(out), &n, &reason),
			 -1);
	assert_int_equal(reason, GR_BAD_TARGET);
}

static void
test_responses(void **state)
{
	struct gh_response r;
	const char *ok = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
			 "Transfer-Encoding: chunked\r\n\r\n";

	(void)state;
	assert_int_equal(gh_parse_response(ok, strlen(ok), &r), 0);
	assert_int_equal(r.status, 200);
	assert_true(r.chunked);
	assert_true(r.event_stream);
	assert_false(r.close);
	assert_int_equal(gh_parse_response("HTTP/1.0 204\r\n\r\n", 16, &r), 0);
	assert_true(r.close);
	const char *bad[] = {
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
		"HTTP/1.1 20 OK\r\n\r\n",
		"HTTP/1.1 600 X\r\n\r\n",
		"HTTP/2 200 OK\r\n\r\n",
		"HTTP/1.1 200OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nA b: c\r\n\r\n",
		"HTTP/1.1 200 OK\r\n c\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent_Length: 5\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (gh_parse_response(bad[i], strlen(bad[i]), &r) == 0)
			fail_msg("accepted: %s", bad[i]);
}

static size_t data_seen;

static void
count_data(void *ctx, const char *p, size_t n)
{
	(void)ctx;
	(void)p;
	data_seen += n;
}

static void
test_chunked(void **state)
{
	const char *body = "5\r\nhello\r\n0006\r\n world\r\n0\r\n\r\nNEXT";
	struct gh_chunked c = {.strict = 1, .max_total = 100, .max_chunks = 10};
	size_t n = strlen(body);
	long used = 0;

	(void)state;
	/* byte by byte gives the same result as all at once */
	data_seen = 0;
	for (size_t i = 0; i < n && c.state != GC_DONE; i++) {
		long u = gh_chunked_feed(&c, body + i, 1, count_data, NULL);
		assert_true(u >= 0);
		used += u;
	}
	assert_int_equal(c.state, GC_DONE);
	assert_int_equal(used, (long)(n - 4));
	assert_int_equal(data_seen, 11);
	assert_int_equal(c.chunks, 2);
	static const struct {
		const char *b;
		int strict;
		int reason;
	} bad[] = {
		{"5;x\r\nhello\r\n0\r\n\r\n", 1, GR_BAD_CHUNK},
		{"5\r\nhello\r\n0\r\nA: b\r\n\r\n", 1, GR_BAD_CHUNK},
		{"\r\n", 1, GR_BAD_CHUNK},
		{"5\nhello\r\n", 0, GR_BAD_CHUNK},
		{"5\r\nhelloX\r\n", 0, GR_BAD_CHUNK},
		{"1000000000000000\r\n", 0, GR_BAD_CHUNK},
		{"-1\r\n", 0, GR_BAD_CHUNK},
		{" 5\r\n", 0, GR_BAD_CHUNK},
		{"65\r\n", 1, GR_BODY_TOO_LARGE},
		{"1\r\na\r\n1\r\na\r\n1\r\na\r\n1\r\na\r\n1\r\na\r\n1\r\na\r\n1\r\na\r\n1\r\na\r\n1"
		 "\r\na\r\n"
		 "1\r\na\r\n1\r\na\r\n",
		 1, GR_TOO_MANY_CHUNKS},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct gh_chunked d = {.strict = bad[i].strict, .max_total = 100, .max_chunks = 10};
		if (gh_chunked_feed(&d, bad[i].b, strlen(bad[i].b), NULL, NULL) != -1 ||
		    d.reason != bad[i].reason)
			fail_msg("case %zu accepted or wrong reason %s", i,
				 guard_reason_name(d.reason));
	}
	/* responses may carry extensions and trailers */
	struct gh_chunked r = {0};
	const char *resp = "5;name=v\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n";
	assert_int_equal(gh_chunked_feed(&r, resp, strlen(resp), NULL, NULL), (long)strlen(resp));
	assert_int_equal(r.state, GC_DONE);
}

static void
test_patterns(void **state)
{
	(void)state;
	assert_true(guard_pattern_ok("/"));
	assert_true(guard_pattern_ok("/v1/models/*"));
	assert_true(guard_pattern_ok("/v1/models/*:predict"));
	assert_true(guard_pattern_ok("/api/blobs/**"));
	assert_false(guard_pattern_ok("/api/**/x"));
	assert_false(guard_pattern_ok("/a/*b*"));
	assert_false(guard_pattern_ok("/a//b"));
	assert_false(guard_pattern_ok("/a/"));
	assert_false(guard_pattern_ok("/a/../b"));
	assert_false(guard_pattern_ok("a"));
	assert_false(guard_pattern_ok("/a\"b"));
	assert_true(guard_pattern_match("/", "/"));
	assert_false(guard_pattern_match("/", "/a"));
	assert_true(guard_pattern_match("/v1/models", "/v1/models"));
	assert_false(guard_pattern_match("/v1/models", "/v1/models/x"));
	assert_false(guard_pattern_match("/v1/models", "/v1/model"));
	assert_true(guard_pattern_match("/predictions/*", "/predictions/resnet"));
	assert_false(guard_pattern_match("/predictions/*", "/predictions/resnet/1"));
	assert_false(guard_pattern_match("/predictions/*", "/predictions"));
	assert_true(guard_pattern_match("/v1/models/*:predict", "/v1/models/m:predict"));
	assert_false(guard_pattern_match("/v1/models/*:predict", "/v1/models/:predict"));
	assert_false(guard_pattern_match("/v1/models/*:predict", "/v1/models/m:explain"));
	assert_true(guard_pattern_match("/api/blobs/**", "/api/blobs/a/b/c"));
	assert_false(guard_pattern_match("/api/blobs/**", "/api/blobs"));
	assert_true(guard_pattern_match("/a*", "/ab"));
	assert_false(guard_pattern_match("/a*", "/a"));
}

static void
test_policy_and_profiles(void **state)
{
	static const char doc[] =
		"{\"version\":1,\"guard\":{\"listen\":\":8080\",\"upstream\":\"127.0.0.1:8000\","
		"\"profile\":\"ollama\",\"routes\":[{\"methods\":[\"GET\"],\"path\":\"/h\","
		"\"auth\":false}],\"deny\":[{\"path\":\"/api/tags\"}]}}";
	struct policy p;
	size_t idx = 99;

	(void)state;
	assert_int_equal(policy_parse(doc, strlen(doc), "t", &p), 0);
	assert_non_null(p.guard);
	const struct guard_policy *g = p.guard;
	assert_int_equal(g->nallow_policy, 1);
	assert_true(g->nallow > 10);
	assert_int_equal(guard_route_find(g, guard_method_bit(GM_GET), "/h", &idx),
			 GUARD_ROUTE_ALLOW);
	assert_int_equal(idx, 0);
	assert_false(g->allow[idx].auth);
	/* the policy's deny wins over the profile's allow */
	assert_int_equal(guard_route_find(g, guard_method_bit(GM_GET), "/api/tags", &idx),
			 GUARD_ROUTE_DENY);
	assert_int_equal(guard_route_find(g, guard_method_bit(GM_POST), "/api/create", &idx),
			 GUARD_ROUTE_DENY);
	assert_int_equal(guard_route_find(g, guard_method_bit(GM_POST), "/api/generate", &idx),
			 GUARD_ROUTE_ALLOW);
	assert_int_equal(guard_route_find(g, guard_method_bit(GM_GET), "/api/generate", &idx),
			 GUARD_ROUTE_NONE);
	assert_int_equal(guard_route_find(g, guard_method_bit(GM_OTHER), "/", &idx),
			 GUARD_ROUTE_NONE);
	assert_true(g->auth_required);
	assert_int_equal(g->body_bytes, 1 << 20);
	/* to_json round-trips */
	json_t *j = policy_to_json(&p);
	char *s = json_dumps(j, JSON_COMPACT);
	struct policy q;
	assert_int_equal(policy_parse(s, strlen(s), "t2", &q), 0);
	json_t *k = policy_to_json(&q);
	assert_true(json_equal(j, k));
	json_decref(j);
	json_decref(k);
	free(s);
	policy_free(&q);
	policy_free(&p);
	/* the upstream's port may be bound when tcp_bind is left to the default */
	static const char dflt[] = "{\"version\":1,\"guard\":{\"listen\":\":8080\",\"upstream\":"
				   "\"127.0.0.1:8000\"}}";
	assert_int_equal(policy_parse(dflt, strlen(dflt), "t3", &q), 0);
	if (q.tcp_bind.restricted) {
		int found = 0;
		for (size_t i = 0; i < q.tcp_bind.n; i++)
			found |= q.tcp_bind.port[i] == 8000;
		assert_true(found);
	}
	policy_free(&q);
	/* every built-in profile parses and lists routes */
	for (const char *const *n = guard_profile_names(); *n != NULL; n++) {
		char buf[256];
		snprintf(buf, sizeof(buf),
			 "{\"version\":1,\"guard\":{\"listen\":\":8080\",\"upstream\":"
			 "\"unix:/tmp/s\",\"profile\":\"%s\"}}",
			 *n);
		if (policy_parse(buf, strlen(buf), *n, &p) != 0)
			fail_msg("%s: %s", *n, ward_errmsg());
		assert_true(p.guard->nallow > 0);
		assert_true(p.guard->ndeny > 0);
		policy_free(&p);
	}
	assert_null(guard_profile_json("nope"));
}

static void
test_keys(void **state)
{
	static const char file[] =
		"# keys\n\n  alice sk-alice-0123456789abcdef  \r\n"
		"bob sha256:"
		"2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824\n";
	struct guard_keyset base = {0}, ks = {0};
	struct guard_key_hash h = {.id = "carol"};

	(void)state;
	sha256("sk-carol-key-0000000", 20, h.sha256);
	base.v = &h;
	base.n = 1;
	assert_int_equal(guard_keys_parse(file, strlen(file), "f", &base, &ks), 0);
	assert_int_equal(ks.n, 3);
	assert_int_equal(guard_keys_match(&ks, "sk-carol-key-0000000", 20), 0);
	assert_int_equal(guard_keys_match(&ks, "sk-alice-0123456789abcdef", 25), 1);
	assert_int_equal(guard_keys_match(&ks, "hello", 5), 2);
	assert_int_equal(guard_keys_match(&ks, "sk-alice-0123456789abcdeF", 25), -1);
	assert_int_equal(guard_keys_match(&ks, "", 0), -1);
	const char *bad[] = {
		"a b c\n",
		"a short\n",
		"a sha256:00\n",
		"bad/id sk-0123456789abcdef\n",
		"carol sk-0123456789abcdef\n", /* the policy's id again */
		"a sk-0123456789abcdef\na sk-0123456789abcdeg\n",
		"a sk-0123456789ab:cdef\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct guard_keyset x = {0};
		if (guard_keys_parse(bad[i], strlen(bad[i]), "f", &base, &x) == 0)
			fail_msg("accepted: %s", bad[i]);
		/* the error names the line, never the secret */
		assert_null(strstr(ward_errmsg(), "0123456789"));
		guard_keyset_free(&x);
	}
	guard_keyset_free(&ks);
}

static void
test_credentials(void **state)
{
	static const struct {
		const char *req;
		int reason;
		const char *key;
	} cases[] = {
		{"GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer abc.DEF_-~+/==\r\n\r\n",
		 GR_NONE, "abc.DEF_-~+/=="},
		{"GET / HTTP/1.1\r\nHost: a\r\nauthorization: bearer  k1\r\n\r\n", GR_NONE, "k1"},
		{"GET / HTTP/1.1\r\nHost: a\r\nX-API-KEY: k2\r\n\r\n", GR_NONE, "k2"},
		{"GET / HTTP/1.1\r\nHost: a\r\n\r\n", GR_AUTH_MISSING, NULL},
		{"GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Basic YTpi\r\n\r\n",
		 GR_AUTH_MALFORMED, NULL},
		{"GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer\r\n\r\n", GR_AUTH_MALFORMED,
		 NULL},
		{"GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a b\r\n\r\n",
		 GR_AUTH_MALFORMED, NULL},
		{"GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer =a\r\n\r\n", GR_AUTH_MALFORMED,
		 NULL},
		{"GET / HTTP/1.1\r\nHost: a\r\nX-Api-Key: a\r\nX-Api-Key: a\r\n\r\n",
		 GR_AUTH_MALFORMED, NULL},
		{"GET / HTTP/1.1\r\nHost: a\r\nX-Api-Key: a\r\nAuthorization: Bearer a\r\n\r\n",
		 GR_AUTH_MALFORMED, NULL},
	};
	struct gh_request r;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		size_t off = 0, len = 0;
		assert_int_equal(request_reason(cases[i].req, &r), GR_NONE);
		int got = guard_credential(cases[i].req, &r, &off, &len);
		if (got != cases[i].reason)
			fail_msg("case %zu: %s", i, guard_reason_name(got));
		if (cases[i].key != NULL) {
			assert_int_equal(len, strlen(cases[i].key));
			assert_memory_equal(cases[i].req + off, cases[i].key, len);
		}
	}
}

static void
test_buckets(void **state)
{
	struct guard_rate rate = {.rps = 2, .burst = 3};
	struct guard_bucket b = {0};
	struct guard_budget bu = {0};
	uint64_t t = 1000000000ull;

	(void)state;
	assert_true(guard_bucket_take(&b, &rate, t));
	assert_true(guard_bucket_take(&b, &rate, t));
	assert_true(guard_bucket_take(&b, &rate, t));
	assert_false(guard_bucket_take(&b, &rate, t));
	assert_false(guard_bucket_take(&b, &rate, t + 400000000ull));
	assert_true(guard_bucket_take(&b, &rate, t + 500000000ull));
	/* refills up to the burst only */
	for (int i = 0; i < 3; i++)
		assert_true(guard_bucket_take(&b, &rate, t + 100000000000ull));
	assert_false(guard_bucket_take(&b, &rate, t + 100000000000ull));
	struct guard_rate none = {0};
	assert_true(guard_bucket_take(&b, &none, t));
	/* budget: 100 tokens per 10 s */
	assert_true(guard_budget_ok(&bu, 100, 10, t));
	guard_budget_spend(&bu, 150);
	assert_false(guard_budget_ok(&bu, 100, 10, t + 4000000000ull)); /* -50 + 40 */
	assert_true(guard_budget_ok(&bu, 100, 10, t + 6000000000ull));	/* +10 */
	assert_true(guard_budget_ok(&bu, 0, 10, t));
}

static uint64_t
usage_of(const char *s, size_t step)
{
	struct guard_usage u = {0};
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i += step)
		guard_usage_feed(&u, s + i, n - i < step ? n - i : step);
	return guard_usage_tokens(&u);
}

static void
test_usage(void **state)
{
	const char *openai =
		"{\"id\":\"x\",\"choices\":[{\"text\":\"say \\\"total_tokens\\\": 99\"}],"
		"\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":7,"
		"\"total_tokens\" : 12}}";
	const char *sse = "data: {\"usage\":null}\n\ndata: {\"usage\":{\"total_tokens\":3}}\n\n"
			  "data: {\"usage\":{\"total_tokens\":30}}\n\ndata: [DONE]\n\n";
	const char *ollama = "{\"done\":true,\"prompt_eval_count\":26,\"eval_count\":290}";

	(void)state;
	for (size_t step = 1; step < 8; step++) {
		assert_int_equal(usage_of(openai, step), 12);
		assert_int_equal(usage_of(sse, step), 30);
		assert_int_equal(usage_of(ollama, step), 316);
	}
	assert_int_equal(usage_of("{\"total_tokens\":null}", 3), 0);
	assert_int_equal(usage_of("{\"x\":\"total_tokens\",\"y\":5}", 1), 0);
	assert_int_equal(usage_of("no json at all", 1), 0);
}

static void
test_metrics_and_app(void **state)
{
	static const char doc[] = "{\"version\":1,\"guard\":{\"listen\":\":8080\",\"upstream\":"
				  "\"127.0.0.1:8000\",\"profile\":\"torchserve\"}}";
	static const char app[] = "# HELP lat Latency.\n# TYPE lat histogram\n"
				  "lat_bucket{le=\"0.1\"} 3\nlat_count 3 1700000000\n"
				  "# a comment\n\nconf{model=\"a\\\"b\"} -1.5e-3\n"
				  "# TYPE x weird\nbad-name 1\nx{a=\"b\"} \nx 1 2 3\n"
				  "x{a=b} 1\ny NaN\nz +Inf\n";
	struct policy p;
	struct guard_stats st = {0};
	char out[65536], fo[1024];
	uint64_t dropped = 0;

	(void)state;
	assert_int_equal(policy_parse(doc, strlen(doc), "t", &p), 0);
	st.routes = calloc(p.guard->nallow, sizeof(*st.routes));
	st.nroutes = p.guard->nallow;
	st.keys = calloc(GUARD_KEY_STATS, sizeof(*st.keys));
	st.rejected[GR_ROUTE_DENIED] = 4;
	guard_hist_add(&st.routes[1].duration, 0.003);
	guard_hist_add(&st.routes[1].duration, 50);
	struct guard_key_stat *k = guard_stats_key(&st, "team-a");
	assert_non_null(k);
	assert_ptr_equal(guard_stats_key(&st, "team-a"), k);
	k->codes[2] = 9;
	size_t n = guard_metrics_render(&st, p.guard, out, sizeof(out));
	assert_true(n > 0);
	assert_non_null(strstr(out, "ward_guard_rejected_total{reason=\"route_denied\"} 4\n"));
	assert_non_null(strstr(out, "ward_guard_request_duration_seconds_bucket{route=\"POST "
				    "/predictions/*\",le=\"0.005\"} 1\n"));
	assert_non_null(strstr(out, "ward_guard_request_duration_seconds_bucket{route=\"POST "
				    "/predictions/*\",le=\"+Inf\"} 2\n"));
	assert_non_null(
		strstr(out, "ward_guard_key_responses_total{key=\"team-a\",code=\"2xx\"} 9"));
	assert_int_equal(guard_metrics_render(&st, p.guard, out, 100), 0);
	n = guard_app_metrics_filter(app, strlen(app), "app_", fo, sizeof(fo), &dropped);
	assert_string_equal(fo, "# HELP app_lat Latency.\n# TYPE app_lat histogram\n"
				"app_lat_bucket{le=\"0.1\"} 3\napp_lat_count 3 1700000000\n"
				"app_conf{model=\"a\\\"b\"} -1.5e-3\napp_y NaN\napp_z +Inf\n");
	assert_int_equal(n, strlen(fo));
	assert_int_equal(dropped, 5);
	/* what does not fit is dropped whole */
	dropped = 0;
	n = guard_app_metrics_filter(app, strlen(app), "app_", fo, 40, &dropped);
	assert_true(n < 40 && (n == 0 || fo[n - 1] == '\n'));
	free(st.routes);
	free(st.keys);
	policy_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_incremental),
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_request_refusals),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_responses),
		cmocka_unit_test(test_chunked),
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_policy_and_profiles),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_credentials),
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_metrics_and_app),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
