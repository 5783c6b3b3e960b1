/* guardrun.c: the endpoint guard's checks on the running container
 * (docs/ward-guard.md, docs/ward-test.md).  Through the guard's published
 * port and without an API key: a request to a route that needs a key is
 * refused (401); the profile's management routes and a route nobody listed
 * are refused (403); an upload over the body cap is refused before its body
 * is sent (413); and, where a rate limit can be reached without a key, a
 * burst beyond it is answered 429.  The routes come from the effective
 * policy and the built-in profile it names (the same JSON ward-init reads). */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "runtime_internal.h"

#define PROBE_TIMEOUT_MS 5000
#define RATE_MAX_REQUESTS 1000

/* One request's status line from 127.0.0.1:port (the head only is sent;
 * the guard answers a refusal before any body).  0 when none came. */
static int
status_of(int port, const char *head)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct timeval tv = {.tv_sec = PROBE_TIMEOUT_MS / 1000};
	char buf[64];
	size_t have = 0, len = strlen(head);
	int s, code = 0;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return 0;
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) != 0)
		goto out;
	for (size_t off = 0; off < len;) {
		ssize_t n = send(s, head + off, len - off, MSG_NOSIGNAL);
		if (n <= 0)
			goto out;
		off += (size_t)n;
	}
	while (have < 12) {
		ssize_t n = recv(s, buf + have, sizeof(buf) - 1 - have, 0);
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	buf[have] = '\0';
	if (have >= 12 && strncmp(buf, "HTTP/1.", 7) == 0 && buf[8] == ' ')
		code = atoi(buf + 9);
out:
	close(s);
	return code;
}

/* A concrete path for a route pattern: each wildcard becomes "x". */
static void
concrete(const char *pattern, char *out, size_t cap)
{
	size_t n = 0;

	for (const char *p = pattern; *p && n + 2 < cap; p++) {
		if (*p == '*') {
			while (p[1] == '*')
				p++;
			out[n++] = 'x';
		} else
			out[n++] = *p;
	}
	out[n] = '\0';
}

static int
has_method(const json_t *route, const char *m)
{
	size_t i;
	json_t *x;

	json_array_foreach(json_object_get(route, "methods"), i,
			   x) if (json_is_string(x) &&
				  strcmp(json_string_value(x), m) == 0) return 1;
	return 0;
}

static const char *
body_method(const json_t *route)
{
	static const char *const ms[] = {"POST", "PUT", "PATCH"};
	for (size_t i = 0; i < 3; i++)
		if (has_method(route, ms[i]))
			return ms[i];
	return NULL;
}

/* The allow routes: the policy's own, then its profile's. */
static json_t *
all_routes(const json_t *g, const json_t *profile)
{
	json_t *v = json_array();
	size_t i;
	json_t *x;

	json_array_foreach(json_object_get(g, "routes"), i, x) json_array_append(v, x);
	json_array_foreach(json_object_get(profile, "routes"), i, x) json_array_append(v, x);
	return v;
}

static int
route_auth(const json_t *route)
{
	const json_t *a = json_object_get(route, "auth");
	return !json_is_false(a);
}

void
check_guard_runtime(struct rt *r)
{
	struct check_matrix *m = r->m;
	const json_t *g = r->f->policy ? json_object_get(r->f->policy, "guard") : NULL;
	const json_t *limits = json_object_get(g, "limits"), *auth = json_object_get(g, "auth");
	json_t *profile = NULL, *routes, *x, *keyed = NULL, *body = NULL, *open = NULL;
	const char *listen = json_string_value(json_object_get(g, "listen"));
	const char *c = listen ? strrchr(listen, ':') : NULL;
	char path[512], head[1024];
	struct ward_buf ev = {0};
	int port = 0, code, bad = 0;
	size_t i;

	if (g == NULL || json_is_null(g))
		return; /* check_guard_static skipped them: no guard */
	for (i = 0; c && i < r->t.nports; i++)
		if (r->t.ports[i].port == atoi(c + 1) && strcmp(r->t.ports[i].proto, "tcp") == 0)
			port = r->t.ports[i].host_port;
	if (port == 0) {
		check_skip_rest(m, "security.guard-run-",
				"the guard's port is not a declared (published) port of the image");
		return;
	}
	if (json_is_string(json_object_get(g, "tls")) ||
	    json_is_object(json_object_get(g, "tls"))) {
		check_skip_rest(m, "security.guard-run-",
				"the guard terminates TLS: ward test speaks plain HTTP to it");
		return;
	}
	if (json_is_string(json_object_get(g, "profile")) && r->o->guard_profile != NULL) {
		const char *text =
			r->o->guard_profile(json_string_value(json_object_get(g, "profile")));
		profile = text ? json_loads(text, 0, NULL) : NULL;
	}
	routes = all_routes(g, profile);
	json_array_foreach(routes, i, x)
	{
		if (keyed == NULL && route_auth(x))
			keyed = x;
		if (body == NULL && body_method(x) != NULL)
			body = x;
		if (open == NULL && !route_auth(x))
			open = x;
	}

	/* without a key */
	if (!json_is_true(json_object_get(auth, "required")))
		check_set(m, "security.guard-run-unauthenticated-refused", CHECK_FAIL,
			  "guard.auth.required is false: requests are forwarded without a key");
	else if (keyed == NULL)
		check_set(m, "security.guard-run-unauthenticated-refused", CHECK_FAIL,
			  "every allowed route says \"auth\": false");
	else {
		const char *meth = body_method(keyed) ? body_method(keyed)
				   : has_method(keyed, "GET")
					   ? "GET"
					   : json_string_value(json_array_get(
						     json_object_get(keyed, "methods"), 0));
		concrete(json_string_value(json_object_get(keyed, "path")), path, sizeof(path));
		snprintf(head, sizeof(head),
			 "%s %s HTTP/1.1\r\nHost: ward-test\r\nContent-Length: 0\r\n\r\n",
			 meth ? meth : "GET", path);
		code = status_of(port, head);
		check_set(m, "security.guard-run-unauthenticated-refused",
			  code == 401 ? CHECK_PASS : CHECK_FAIL, "%s %s without a key: %d",
			  meth ? meth : "GET", path, code);
	}

	/* management (the profile's deny list) and a route nobody listed */
	json_array_foreach(json_object_get(profile, "deny"), i, x)
	{
		concrete(json_string_value(json_object_get(x, "path")), path, sizeof(path));
		snprintf(head, sizeof(head),
			 "POST %s HTTP/1.1\r\nHost: ward-test\r\nContent-Length: 0\r\n\r\n", path);
		code = status_of(port, head);
		bad += code != 403;
		ward_buf_printf(&ev, "POST %s: %d; ", path, code);
	}
	code = status_of(port, "GET /ward-test/unlisted-route HTTP/1.1\r\nHost: ward-test\r\n\r\n");
	bad += code != 403;
	ward_buf_printf(&ev, "GET /ward-test/unlisted-route: %d", code);
	check_set(m, "security.guard-run-unlisted-route-refused", bad ? CHECK_FAIL : CHECK_PASS,
		  "%s", (char *)ev.data);
	ward_buf_free(&ev);

	/* an upload one byte over the cap: refused on its head */
	if (body == NULL)
		check_set(m, "security.guard-run-body-cap", CHECK_SKIP,
			  "no allowed route takes a body (POST, PUT, PATCH)");
	else {
		json_int_t cap = json_integer_value(json_object_get(limits, "body_bytes"));
		concrete(json_string_value(json_object_get(body, "path")), path, sizeof(path));
		snprintf(head, sizeof(head),
			 "%s %s HTTP/1.1\r\nHost: ward-test\r\nContent-Length: %lld\r\n\r\n",
			 body_method(body), path, (long long)cap + 1);
		code = status_of(port, head);
		check_set(m, "security.guard-run-body-cap", code == 413 ? CHECK_PASS : CHECK_FAIL,
			  "%s %s with Content-Length %lld (cap %lld), no body sent: %d",
			  body_method(body), path, (long long)cap + 1, (long long)cap, code);
	}

	/* a burst beyond the global rate, on a route that needs no key */
	{
		const json_t *rate = json_object_get(limits, "rate");
		double rps = json_number_value(json_object_get(rate, "rps"));
		double burst = json_number_value(json_object_get(rate, "burst"));
		const json_t *target = !json_is_true(json_object_get(auth, "required"))
					       ? (keyed ? keyed : open)
					       : open;
		if (!json_is_object(rate))
			check_set(
				m, "security.guard-run-rate-limit",
				json_is_object(json_object_get(limits, "key_rate")) ? CHECK_SKIP
										    : CHECK_WARN,
				json_is_object(json_object_get(limits, "key_rate"))
					? "only a per-key rate: it applies after the key, and ward "
					  "test has none"
					: "no rate limit in the policy (guard.limits.rate)");
		else if (target == NULL)
			check_set(m, "security.guard-run-rate-limit", CHECK_SKIP,
				  "the rate applies after the key, and every route needs one");
		else {
			int n = (int)fmin(RATE_MAX_REQUESTS, ceil(burst) + 2 * ceil(rps) + 5);
			int got = 0, sent = 0;
			const char *meth = has_method(target, "GET") ? "GET" : body_method(target);
			concrete(json_string_value(json_object_get(target, "path")), path,
				 sizeof(path));
			snprintf(head, sizeof(head),
				 "%s %s HTTP/1.1\r\nHost: ward-test\r\nContent-Length: 0\r\n"
				 "Connection: close\r\n\r\n",
				 meth ? meth : "GET", path);
			while (sent < n && !got) {
				sent++;
				got = status_of(port, head) == 429;
			}
			check_set(m, "security.guard-run-rate-limit", got ? CHECK_PASS : CHECK_FAIL,
				  "%s %s, rate %g/s burst %g: %s after %d request(s)",
				  meth ? meth : "GET", path, rps, burst, got ? "429" : "no 429",
				  sent);
		}
	}
	json_decref(routes);
	json_decref(profile);
}
