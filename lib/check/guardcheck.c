/* guardcheck.c: the endpoint guard's checks on the policy (docs/ward-guard.md):
 * that a guard stands in front of the server, that its routes are an
 * allow-list, that it wants keys, that the server cannot be reached around
 * it, and that its limits are set. */
#include <stdlib.h>
#include <string.h>

#include "check_internal.h"

static int
port_of(const char *addr)
{
	const char *c = strrchr(addr, ':');
	return c ? atoi(c + 1) : -1;
}

/* An allow pattern whose first segment is a wildcard admits every API. */
static int
catch_all(const char *path)
{
	return strcmp(path, "/*") == 0 || strncmp(path, "/*/", 3) == 0 ||
	       strncmp(path, "/**", 3) == 0;
}

static int
json_port_in(const json_t *ports, int port)
{
	size_t i;
	json_t *x;

	json_array_foreach(ports, i, x) if (json_integer_value(x) == port) return 1;
	return 0;
}

static int
declared(const struct audit_report *a, int port)
{
	for (size_t i = 0; i < a->ports.n; i++)
		if (atoi(a->ports.v[i]) == port)
			return 1;
	return 0;
}

void
check_guard_static(const struct check_facts *f, struct check_matrix *m)
{
	const struct audit_report *a = &m->audit;
	json_t *g = f->policy ? json_object_get(f->policy, "guard") : NULL;
	json_t *routes, *auth, *limits, *x;
	struct ward_buf b = {0};
	size_t i, n = 0;

	if (f->policy == NULL) {
		check_skip_rest(m, "security.guard-", "no usable /ward/policy.json");
		return;
	}
	if (g == NULL || json_is_null(g)) {
		check_set(m, "security.guard-configured", CHECK_WARN,
			  "no endpoint guard: the server's own port is the public one");
		check_skip_rest(m, "security.guard-", "no guard in the policy");
		return;
	}
	const char *listen = json_string_value(json_object_get(g, "listen"));
	const char *upstream = json_string_value(json_object_get(g, "upstream"));
	const char *profile = json_string_value(json_object_get(g, "profile"));
	routes = json_object_get(g, "routes");
	check_set(m, "security.guard-configured", CHECK_PASS,
		  "listen %s, upstream %s, profile %s, %zu own route(s), %zu deny",
		  listen ? listen : "?", upstream ? upstream : "?", profile ? profile : "none",
		  json_array_size(routes), json_array_size(json_object_get(g, "deny")));

	/* default deny: no catch-all among the allow patterns */
	json_array_foreach(routes, i, x)
	{
		const char *p = json_string_value(json_object_get(x, "path"));
		if (p && catch_all(p))
			ward_buf_printf(&b, "%s%s", n++ ? ", " : "", p);
	}
	if (n)
		check_set(m, "security.guard-default-deny", CHECK_FAIL,
			  "catch-all route(s) admit every API: %s", (char *)b.data);
	else if (json_array_size(routes) == 0 && profile == NULL)
		check_set(m, "security.guard-default-deny", CHECK_WARN,
			  "no routes and no profile: every request is refused");
	else
		check_set(m, "security.guard-default-deny", CHECK_PASS,
			  "allow-list: %zu own route(s)%s%s, everything else refused",
			  json_array_size(routes), profile ? " + profile " : "",
			  profile ? profile : "");
	ward_buf_free(&b);
	n = 0;

	/* keys */
	auth = json_object_get(g, "auth");
	json_array_foreach(routes, i, x) if (json_is_false(json_object_get(x, "auth")))
		ward_buf_printf(&b, "%s%s", n++ ? ", " : "",
				json_string_value(json_object_get(x, "path")));
	if (!json_is_true(json_object_get(auth, "required")))
		check_set(m, "security.guard-auth-required", CHECK_FAIL,
			  "auth.required is false: anyone who reaches the port is served");
	else if (json_array_size(json_object_get(auth, "keys")) == 0 &&
		 json_is_null(json_object_get(auth, "keys_file")))
		check_set(m, "security.guard-auth-required", CHECK_WARN,
			  "keys are required but none are configured: every request is refused");
	else
		check_set(m, "security.guard-auth-required", CHECK_PASS,
			  "%zu key hash(es) in the policy%s%s; public route(s): %s",
			  json_array_size(json_object_get(auth, "keys")),
			  json_is_null(json_object_get(auth, "keys_file")) ? "" : ", keys file ",
			  json_is_null(json_object_get(auth, "keys_file"))
				  ? ""
				  : json_string_value(json_object_get(auth, "keys_file")),
			  n ? (char *)b.data : "none");
	ward_buf_free(&b);

	/* nothing reaches the server but through the guard */
	{
		json_t *bind = json_object_get(json_object_get(f->policy, "landlock"), "tcp_bind");
		int up = upstream && strncmp(upstream, "unix:", 5) != 0 ? port_of(upstream) : -1;
		int lp = listen ? port_of(listen) : -1;
		struct ward_buf why = {0};
		if (up > 0 && declared(a, up))
			ward_buf_printf(&why, "%sthe server's port %d is declared (published)",
					why.len ? "; " : "", up);
		if (json_is_null(bind))
			ward_buf_printf(&why,
					"%slandlock.tcp_bind is unrestricted: the server may "
					"listen on any port",
					why.len ? "; " : "");
		else if (lp > 0 && json_port_in(bind, lp))
			ward_buf_printf(&why, "%sthe server may bind the guard's port %d",
					why.len ? "; " : "", lp);
		if (a->ports.n && lp > 0 && !declared(a, lp))
			ward_buf_printf(&why, "%sthe guard's port %d is not declared",
					why.len ? "; " : "", lp);
		if (why.len)
			check_set(m, "security.guard-server-not-exposed", CHECK_FAIL, "%s",
				  (char *)why.data);
		else
			check_set(
				m, "security.guard-server-not-exposed", CHECK_PASS,
				"the server on %s (loopback, bind limited to %s), the guard on %s",
				upstream, up > 0 ? "its port" : "no TCP port", listen);
		ward_buf_free(&why);
	}

	/* limits */
	limits = json_object_get(g, "limits");
	{
		json_int_t body = json_integer_value(json_object_get(limits, "body_bytes"));
		json_int_t head = json_integer_value(json_object_get(limits, "header_bytes"));
		double rto = json_number_value(json_object_get(limits, "request_timeout_s"));
		int rate = !json_is_null(json_object_get(limits, "rate")) ||
			   !json_is_null(json_object_get(limits, "key_rate")) ||
			   json_integer_value(json_object_get(limits, "concurrent")) > 0 ||
			   json_integer_value(json_object_get(limits, "key_concurrent")) > 0;
		int ok = body <= (64 << 20) && head <= 65536 && rto <= 300 && rate;
		check_set(m, "security.guard-limits", ok ? CHECK_PASS : CHECK_WARN,
			  "body %lld B, head %lld B, request timeout %g s, rate/concurrency %s%s",
			  (long long)body, (long long)head, rto, rate ? "limited" : "UNLIMITED",
			  json_is_null(json_object_get(limits, "key_tokens")) ? ""
									      : ", token budget");
	}
}
