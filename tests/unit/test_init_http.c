/* test_init_http.c: ward-init's HTTP request parser and response heads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http.h"

static int
parse(const char *s, struct http_req *r)
{
	return http_parse(s, strlen(s), r);
}

static void
test_requests(void **state)
{
	struct http_req r;
	const char *wrk = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9090\r\n\r\n";

	(void)state;
	assert_int_equal(parse(wrk, &r), HTTP_DONE);
	assert_int_equal(r.method, HTTP_GET);
	assert_string_equal(r.path, "/metrics");
	assert_int_equal(r.version_minor, 1);
	assert_true(r.keep_alive);
	assert_int_equal(r.consumed, strlen(wrk));

	assert_int_equal(parse("HEAD /healthz?x=1 HTTP/1.0\r\n\r\n", &r), HTTP_DONE);
	assert_int_equal(r.method, HTTP_HEAD);
	assert_string_equal(r.path, "/healthz");
	assert_false(r.keep_alive);
	assert_int_equal(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &r), HTTP_DONE);
	assert_true(r.keep_alive);
	assert_int_equal(parse("GET / HTTP/1.1\r\nconnection: upgrade, close\r\n\r\n", &r),
			 HTTP_DONE);
	assert_false(r.keep_alive);
	assert_int_equal(parse("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", &r),
			 HTTP_DONE);
	assert_int_equal(r.method, HTTP_OTHER);
	/* Bare LF line ends, leading empty lines. */
	assert_int_equal(parse("\r\nGET /x HTTP/1.1\nA: b\n\n", &r), HTTP_DONE);
	assert_string_equal(r.path, "/x");
}

static void
test_pipelined_and_partial(void **state)
{
	const char *two = "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
	struct http_req r;
	size_t n = strlen(two);

	(void)state;
	assert_int_equal(http_parse(two, n, &r), HTTP_DONE);
	assert_string_equal(r.path, "/a");
	assert_int_equal(http_parse(two + r.consumed, n - r.consumed, &r), HTTP_DONE);
	assert_string_equal(r.path, "/b");
	/* Every strict prefix of a request is incomplete, never an error. */
	const char *one = "GET /metrics HTTP/1.1\r\nHost: x\r\nUser-Agent: y\r\n\r\n";
	for (size_t k = 0; k < strlen(one); k++)
		assert_int_equal(http_parse(one, k, &r), HTTP_INCOMPLETE);
}

static void
test_bad(void **state)
{
	const char *bad[] = {
		"GET\r\n\r\n",
		"GET /\r\n\r\n",
		"GET / HTTP/2.0\r\n\r\n",
		"GET / HTTP/1.1 \r\n\r\n",
		"GET metrics HTTP/1.1\r\n\r\n",
		"GET http://x/ HTTP/1.1\r\n\r\n",
		"G(T / HTTP/1.1\r\n\r\n",
		" GET / HTTP/1.1\r\n\r\n",
		"GET /a b HTTP/1.1\r\n\r\n",
		"GET /\x01 HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1\r\nNoColon\r\n\r\n",
		"GET / HTTP/1.1\r\n: empty\r\n\r\n",
		"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
		"GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n",
		"GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
		"GET / HTTP/1.1\r\nContent-Length: 00\r\n\r\n",
		"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
		"GET / HTTP/1.1\r\nA: b\x7f\x01\r\n\r\n",
		NULL,
	};
	struct http_req r;

	(void)state;
	for (int i = 0; bad[i] != NULL; i++)
		if (parse(bad[i], &r) != HTTP_BAD)
			fail_msg("accepted: %s", bad[i]);
}

static void
test_limits(void **state)
{
	char big[HTTP_MAX_REQUEST + 100];
	struct http_req r;

	(void)state;
	/* Headers that never end within the limit. */
	memcpy(big, "GET / HTTP/1.1\r\n", 16);
	for (size_t i = 16; i < sizeof(big); i++)
		big[i] = i % 50 == 49 ? '\n' : 'a';
	for (size_t i = 16; i + 1 < sizeof(big); i += 50)
		big[i] = 'X', big[i + 1] = ':';
	assert_int_equal(http_parse(big, HTTP_MAX_REQUEST, &r), HTTP_TOO_LARGE);
	assert_int_equal(http_parse(big, sizeof(big), &r), HTTP_TOO_LARGE);
	/* A long path is accepted with an empty name (it will be a 404). */
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /", 5);
	memcpy(big + 300, " HTTP/1.1\r\n\r\n", 13);
	assert_int_equal(http_parse(big, 313, &r), HTTP_DONE);
	assert_string_equal(r.path, "");
}

static void
test_head(void **state)
{
	char out[256], small[20];
	size_t n;

	(void)state;
	n = http_head(out, sizeof(out), 200, "text/plain", 1234, 1);
	assert_int_equal(n, strlen(out));
	assert_non_null(strstr(out, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(out, "Content-Length: 1234\r\n"));
	assert_null(strstr(out, "Connection: close"));
	assert_int_equal(memcmp(out + n - 4, "\r\n\r\n", 4), 0);
	n = http_head(out, sizeof(out), 405, "text/plain", 0, 0);
	assert_non_null(strstr(out, "Connection: close\r\n"));
	assert_non_null(strstr(out, "Allow: GET, HEAD\r\n"));
	assert_int_equal(http_head(small, sizeof(small), 200, "text/plain", 1, 1), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requests), cmocka_unit_test(test_pipelined_and_partial),
		cmocka_unit_test(test_bad),	 cmocka_unit_test(test_limits),
		cmocka_unit_test(test_head),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
