/* guard_policy.c: parse and check the policy's "guard" section; routes,
 * built-in profiles and the route matcher (see guard_policy.h). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "guard_http.h"
#include "guard_policy.h"
#include "policy.h"

/* ------------------------------------------------------------ helpers */

static int
only_keys(const json_t *obj, const char *const *allowed, const char *what, const char *field)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v)
	{
		size_t i;
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL)
			return ward_err(WARD_EINPUT, "%s: %s: unknown field \"%s\"", what, field,
					key);
	}
	return 0;
}

static int
get_str(const json_t *v, const char *what, const char *field, const char **out)
{
	if (!json_is_string(v))
		return ward_err(WARD_EINPUT, "%s: %s is not a string", what, field);
	*out = json_string_value(v);
	if (strlen(*out) != json_string_length(v) || strlen(*out) == 0 || strlen(*out) > 4095)
		return ward_err(WARD_EINPUT, "%s: %s is empty, too long or holds a NUL byte", what,
				field);
	return 0;
}

static int
set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = ward_strdup(s);
	return *dst ? 0 : -1;
}

static int
get_abs(const json_t *v, const char *what, const char *field, char **out)
{
	const char *s = NULL;

	if (get_str(v, what, field, &s) != 0)
		return -1;
	if (s[0] != '/' || !ward_relpath_ok(s + 1))
		return ward_err(WARD_EINPUT, "%s: %s \"%s\" is not a clean absolute path", what,
				field, s);
	return set_str(out, s);
}

static int
get_bool(const json_t *v, const char *what, const char *field, int *out)
{
	if (!json_is_boolean(v))
		return ward_err(WARD_EINPUT, "%s: %s is not a boolean", what, field);
	*out = json_is_true(v);
	return 0;
}

static int
get_num(const json_t *v, const char *what, const char *field, double lo, double hi, double *out)
{
	if (!json_is_number(v))
		return ward_err(WARD_EINPUT, "%s: %s is not a number", what, field);
	*out = json_number_value(v);
	if (!(*out >= lo && *out <= hi))
		return ward_err(WARD_EINPUT, "%s: %s = %g is out of range [%g, %g]", what, field,
				*out, lo, hi);
	return 0;
}

static int
get_uint(const json_t *v, const char *what, const char *field, uint64_t lo, uint64_t hi,
	 uint64_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return ward_err(WARD_EINPUT, "%s: %s is not a non-negative integer", what, field);
	*out = (uint64_t)json_integer_value(v);
	if (*out < lo || *out > hi)
		return ward_err(WARD_EINPUT, "%s: %s = %llu is out of range [%llu, %llu]", what,
				field, (unsigned long long)*out, (unsigned long long)lo,
				(unsigned long long)hi);
	return 0;
}

static int
get_ms(const json_t *v, const char *what, const char *field, unsigned *out)
{
	double s = 0;

	if (get_num(v, what, field, 0.01, 86400, &s) != 0)
		return -1;
	*out = (unsigned)(s * 1000 + 0.5);
	return 0;
}

/* ------------------------------------------------------------ routes */

static int
parse_methods(const json_t *v, const char *what, const char *field, int deny, uint32_t *out)
{
	const json_t *x;
	size_t i;

	*out = 0;
	if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > 8)
		return ward_err(WARD_EINPUT, "%s: %s is not an array of 1 to 8 methods", what,
				field);
	json_array_foreach(v, i, x)
	{
		const char *s;
		size_t k;
		if (get_str(x, what, field, &s) != 0)
			return -1;
		if (strcmp(s, "*") == 0) {
			*out |= deny ? GUARD_METHODS_ALL : GUARD_METHODS_ANY;
			continue;
		}
		for (k = 0; guard_method_names[k] != NULL; k++)
			if (strcmp(s, guard_method_names[k]) == 0)
				break;
		if (guard_method_names[k] == NULL)
			return ward_err(
				WARD_EINPUT,
				"%s: %s: \"%s\" is not one of GET, HEAD, POST, PUT, DELETE, "
				"PATCH, OPTIONS or \"*\"",
				what, field, s);
		*out |= 1u << k;
	}
	return 0;
}

static int
parse_route(const json_t *r, const char *what, const char *field, int deny, int profile,
	    const char *from, struct guard_route *out)
{
	static const char *const keys[] = {"methods", "path", "auth", "why", NULL};
	const json_t *v;
	const char *s;

	if (!json_is_object(r))
		return ward_err(WARD_EINPUT, "%s: %s entry is not an object", what, field);
	if (only_keys(r, keys, what, field) != 0)
		return -1;
	if (!profile && json_object_get(r, "why") != NULL)
		return ward_err(WARD_EINPUT, "%s: %s: unknown field \"why\"", what, field);
	if ((v = json_object_get(r, "path")) == NULL)
		return ward_err(WARD_EINPUT, "%s: %s entry has no \"path\"", what, field);
	if (get_str(v, what, field, &s) != 0)
		return -1;
	if (!guard_pattern_ok(s))
		return ward_err(WARD_EINPUT,
				"%s: %s: \"%s\" is not a route pattern (\"/a/b\", \"*\" within one "
				"segment, \"**\" as the last segment)",
				what, field, s);
	if ((out->path = ward_strdup(s)) == NULL)
		return -1;
	out->from = from;
	out->auth = 1;
	out->methods = deny ? GUARD_METHODS_ALL : 0;
	if ((v = json_object_get(r, "methods")) != NULL &&
	    parse_methods(v, what, field, deny, &out->methods) != 0)
		return -1;
	if (!deny && out->methods == 0)
		return ward_err(WARD_EINPUT, "%s: %s \"%s\" names no methods", what, field, s);
	if ((v = json_object_get(r, "auth")) != NULL) {
		if (deny)
			return ward_err(WARD_EINPUT, "%s: %s: deny entries take no \"auth\"", what,
					field);
		if (get_bool(v, what, field, &out->auth) != 0)
			return -1;
	}
	if ((v = json_object_get(r, "why")) != NULL && get_str(v, what, field, &s) != 0)
		return -1;
	return 0;
}

static int
append_routes(const json_t *v, const char *what, const char *field, int deny, int profile,
	      const char *from, struct guard_route **list, size_t *n)
{
	const json_t *x;
	size_t i;

	if (!json_is_array(v))
		return ward_err(WARD_EINPUT, "%s: %s is not an array", what, field);
	if (*n + json_array_size(v) > GUARD_MAX_ROUTES)
		return ward_err(WARD_EINPUT, "%s: more than %d %s entries", what, GUARD_MAX_ROUTES,
				field);
	struct guard_route *nl =
		ward_realloc(*list, (*n + json_array_size(v) + 1) * sizeof(**list));
	if (nl == NULL)
		return -1;
	*list = nl;
	json_array_foreach(v, i, x)
	{
		memset(&nl[*n], 0, sizeof(nl[*n]));
		(*n)++;
		if (parse_route(x, what, field, deny, profile, from, &nl[*n - 1]) != 0)
			return -1;
	}
	return 0;
}

/* The built-in profile's routes after the policy's own. */
static int
load_profile(struct guard_policy *g, const char *what)
{
	static const char *const keys[] = {"profile", "description", "server",
					   "routes",  "deny",	     NULL};
	const char *text = guard_profile_json(g->profile), *from = guard_profile_name(g->profile);
	json_t *root, *v;
	int rc = -1;

	if (text == NULL)
		return ward_err(WARD_EINPUT, "%s: guard.profile \"%s\" is not a built-in profile",
				what, g->profile);
	root = ward_json_loadb(text, strlen(text), "built-in guard profile");
	if (root == NULL)
		return -1;
	if (!json_is_object(root) || only_keys(root, keys, "built-in profile", g->profile) != 0)
		goto out;
	if ((v = json_object_get(root, "routes")) != NULL &&
	    append_routes(v, what, "profile routes", 0, 1, from, &g->allow, &g->nallow) != 0)
		goto out;
	if ((v = json_object_get(root, "deny")) != NULL &&
	    append_routes(v, what, "profile deny", 1, 1, from, &g->deny, &g->ndeny) != 0)
		goto out;
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* ------------------------------------------------------------ sections */

static int
key_id_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > GUARD_KEY_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

static int
parse_auth(const json_t *v, const char *what, struct guard_policy *g)
{
	static const char *const keys[] = {"required", "keys", "keys_file", "forward", NULL};
	static const char *const kkeys[] = {"id", "sha256", NULL};
	const json_t *x, *k;
	size_t i;

	if (!json_is_object(v))
		return ward_err(WARD_EINPUT, "%s: guard.auth is not an object", what);
	if (only_keys(v, keys, what, "guard.auth") != 0)
		return -1;
	if ((x = json_object_get(v, "required")) != NULL &&
	    get_bool(x, what, "guard.auth.required", &g->auth_required) != 0)
		return -1;
	if ((x = json_object_get(v, "forward")) != NULL &&
	    get_bool(x, what, "guard.auth.forward", &g->forward_auth) != 0)
		return -1;
	if ((x = json_object_get(v, "keys_file")) != NULL && !json_is_null(x) &&
	    get_abs(x, what, "guard.auth.keys_file", &g->keys_file) != 0)
		return -1;
	if ((x = json_object_get(v, "keys")) == NULL)
		return 0;
	if (!json_is_array(x) || json_array_size(x) > GUARD_MAX_KEYS)
		return ward_err(WARD_EINPUT,
				"%s: guard.auth.keys is not an array of at most %d keys", what,
				GUARD_MAX_KEYS);
	if ((g->keys = ward_calloc(json_array_size(x) + 1, sizeof(*g->keys))) == NULL)
		return -1;
	json_array_foreach(x, i, k)
	{
		const char *id, *hex;
		if (!json_is_object(k) || only_keys(k, kkeys, what, "guard.auth.keys[]") != 0)
			return json_is_object(k)
				       ? -1
				       : ward_err(WARD_EINPUT,
						  "%s: guard.auth.keys[] is not an object", what);
		if (json_object_get(k, "id") == NULL || json_object_get(k, "sha256") == NULL)
			return ward_err(WARD_EINPUT,
					"%s: guard.auth.keys[] needs \"id\" and \"sha256\"", what);
		if (get_str(json_object_get(k, "id"), what, "guard.auth.keys[].id", &id) != 0 ||
		    get_str(json_object_get(k, "sha256"), what, "guard.auth.keys[].sha256", &hex) !=
			    0)
			return -1;
		if (!key_id_ok(id))
			return ward_err(WARD_EINPUT,
					"%s: guard.auth.keys[].id \"%s\": 1-%d of [A-Za-z0-9._-]",
					what, id, GUARD_KEY_ID_MAX);
		for (size_t j = 0; j < g->nkeys; j++)
			if (strcmp(g->keys[j].id, id) == 0)
				return ward_err(WARD_EINPUT, "%s: guard.auth.keys: id \"%s\" twice",
						what, id);
		if (strlen(hex) != 64 ||
		    ward_unhex(hex, g->keys[g->nkeys].sha256, 32, "guard.auth.keys[].sha256") != 0)
			return ward_err(
				WARD_EINPUT,
				"%s: guard.auth.keys[].sha256 of \"%s\" is not 64 hex digits "
				"(the SHA-256 of the key; never the key itself)",
				what, id);
		memcpy(g->keys[g->nkeys].id, id, strlen(id) + 1);
		g->nkeys++;
	}
	return 0;
}

static int
parse_rate(const json_t *v, const char *what, const char *field, struct guard_rate *r)
{
	static const char *const keys[] = {"rps", "burst", NULL};
	const json_t *x;

	if (json_is_null(v)) {
		r->rps = r->burst = 0;
		return 0;
	}
	if (!json_is_object(v) || only_keys(v, keys, what, field) != 0)
		return json_is_object(v)
			       ? -1
			       : ward_err(WARD_EINPUT, "%s: %s is not an object", what, field);
	if ((x = json_object_get(v, "rps")) == NULL)
		return ward_err(WARD_EINPUT, "%s: %s needs \"rps\"", what, field);
	if (get_num(x, what, field, 0.001, 1e6, &r->rps) != 0)
		return -1;
	r->burst = r->rps < 1 ? 1 : (double)(uint64_t)(r->rps + 0.999999);
	if ((x = json_object_get(v, "burst")) != NULL &&
	    get_num(x, what, field, 1, 1e7, &r->burst) != 0)
		return -1;
	return 0;
}

static int
parse_limits(const json_t *v, const char *what, struct guard_policy *g)
{
	static const char *const keys[] = {"rate",
					   "key_rate",
					   "concurrent",
					   "key_concurrent",
					   "key_tokens",
					   "connections",
					   "header_bytes",
					   "headers",
					   "body_bytes",
					   "chunks",
					   "request_timeout_s",
					   "idle_timeout_s",
					   "upstream_timeout_s",
					   NULL};
	static const char *const tkeys[] = {"tokens", "window_s", NULL};
	const json_t *x;
	uint64_t u = 0;

	if (!json_is_object(v))
		return ward_err(WARD_EINPUT, "%s: guard.limits is not an object", what);
	if (only_keys(v, keys, what, "guard.limits") != 0)
		return -1;
	if ((x = json_object_get(v, "rate")) != NULL &&
	    parse_rate(x, what, "guard.limits.rate", &g->rate) != 0)
		return -1;
	if ((x = json_object_get(v, "key_rate")) != NULL &&
	    parse_rate(x, what, "guard.limits.key_rate", &g->key_rate) != 0)
		return -1;
	if ((x = json_object_get(v, "concurrent")) != NULL) {
		if (get_uint(x, what, "guard.limits.concurrent", 0, 100000, &u) != 0)
			return -1;
		g->concurrent = (unsigned)u;
	}
	if ((x = json_object_get(v, "key_concurrent")) != NULL) {
		if (get_uint(x, what, "guard.limits.key_concurrent", 0, 100000, &u) != 0)
			return -1;
		g->key_concurrent = (unsigned)u;
	}
	if ((x = json_object_get(v, "key_tokens")) != NULL && !json_is_null(x)) {
		const json_t *y;
		if (!json_is_object(x) || only_keys(x, tkeys, what, "guard.limits.key_tokens") != 0)
			return json_is_object(x) ? -1
						 : ward_err(WARD_EINPUT,
							    "%s: guard.limits.key_tokens is not an "
							    "object",
							    what);
		if ((y = json_object_get(x, "tokens")) == NULL ||
		    get_uint(y, what, "guard.limits.key_tokens.tokens", 1, (uint64_t)1 << 50,
			     &g->key_tokens) != 0)
			return json_object_get(x, "tokens") == NULL
				       ? ward_err(WARD_EINPUT,
						  "%s: guard.limits.key_tokens needs \"tokens\"",
						  what)
				       : -1;
		g->key_tokens_window_s = 3600;
		if ((y = json_object_get(x, "window_s")) != NULL &&
		    get_num(y, what, "guard.limits.key_tokens.window_s", 1, 31 * 86400,
			    &g->key_tokens_window_s) != 0)
			return -1;
	}
	if ((x = json_object_get(v, "connections")) != NULL) {
		if (get_uint(x, what, "guard.limits.connections", 1, 65536, &u) != 0)
			return -1;
		g->connections = (unsigned)u;
	}
	if ((x = json_object_get(v, "header_bytes")) != NULL) {
		if (get_uint(x, what, "guard.limits.header_bytes", 256, 1 << 20, &u) != 0)
			return -1;
		g->header_bytes = (unsigned)u;
	}
	if ((x = json_object_get(v, "headers")) != NULL) {
		if (get_uint(x, what, "guard.limits.headers", 1, GH_MAX_HEADERS, &u) != 0)
			return -1;
		g->headers = (unsigned)u;
	}
	if ((x = json_object_get(v, "body_bytes")) != NULL &&
	    get_uint(x, what, "guard.limits.body_bytes", 0, (uint64_t)1 << 30, &g->body_bytes) != 0)
		return -1;
	if ((x = json_object_get(v, "chunks")) != NULL &&
	    get_uint(x, what, "guard.limits.chunks", 1, 1 << 20, &g->chunks) != 0)
		return -1;
	if ((x = json_object_get(v, "request_timeout_s")) != NULL &&
	    get_ms(x, what, "guard.limits.request_timeout_s", &g->request_timeout_ms) != 0)
		return -1;
	if ((x = json_object_get(v, "idle_timeout_s")) != NULL &&
	    get_ms(x, what, "guard.limits.idle_timeout_s", &g->idle_timeout_ms) != 0)
		return -1;
	if ((x = json_object_get(v, "upstream_timeout_s")) != NULL &&
	    get_ms(x, what, "guard.limits.upstream_timeout_s", &g->upstream_timeout_ms) != 0)
		return -1;
	return 0;
}

static int
prefix_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return 0;
	}
	return strncmp(s, "ward", 4) != 0; /* never inside ward's own namespace */
}

static int
parse_app_metrics(const json_t *v, const char *what, struct guard_policy *g)
{
	static const char *const keys[] = {"file", "unix", "prefix", NULL};
	const json_t *x;
	const char *s;

	if (json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return ward_err(WARD_EINPUT, "%s: guard.app_metrics is not an object", what);
	if (only_keys(v, keys, what, "guard.app_metrics") != 0)
		return -1;
	if ((x = json_object_get(v, "file")) != NULL &&
	    get_abs(x, what, "guard.app_metrics.file", &g->app_metrics_file) != 0)
		return -1;
	if ((x = json_object_get(v, "unix")) != NULL &&
	    get_abs(x, what, "guard.app_metrics.unix", &g->app_metrics_unix) != 0)
		return -1;
	if ((g->app_metrics_file == NULL) == (g->app_metrics_unix == NULL))
		return ward_err(WARD_EINPUT,
				"%s: guard.app_metrics needs exactly one of \"file\" "
				"and \"unix\"",
				what);
	if (g->app_metrics_unix != NULL && strlen(g->app_metrics_unix) >= 108)
		return ward_err(WARD_EINPUT,
				"%s: guard.app_metrics.unix is longer than a socket "
				"path may be",
				what);
	if ((x = json_object_get(v, "prefix")) != NULL) {
		if (get_str(x, what, "guard.app_metrics.prefix", &s) != 0)
			return -1;
		if (!prefix_ok(s))
			return ward_err(WARD_EINPUT,
					"%s: guard.app_metrics.prefix \"%s\": a metric name prefix "
					"([A-Za-z][A-Za-z0-9_]*, at most 32) not starting with "
					"\"ward\"",
					what, s);
		if (set_str(&g->app_metrics_prefix, s) != 0)
			return -1;
	}
	return 0;
}

static int
parse_tls(const json_t *v, const char *what, struct guard_policy *g)
{
	static const char *const keys[] = {"cert", "key", "client_ca", NULL};
	const json_t *x;

	if (json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return ward_err(WARD_EINPUT, "%s: guard.tls is not an object", what);
	if (only_keys(v, keys, what, "guard.tls") != 0)
		return -1;
	if ((x = json_object_get(v, "cert")) != NULL &&
	    get_abs(x, what, "guard.tls.cert", &g->tls_cert) != 0)
		return -1;
	if ((x = json_object_get(v, "key")) != NULL &&
	    get_abs(x, what, "guard.tls.key", &g->tls_key) != 0)
		return -1;
	if ((x = json_object_get(v, "client_ca")) != NULL && !json_is_null(x) &&
	    get_abs(x, what, "guard.tls.client_ca", &g->tls_client_ca) != 0)
		return -1;
	if (g->tls_cert == NULL || g->tls_key == NULL)
		return ward_err(WARD_EINPUT, "%s: guard.tls needs \"cert\" and \"key\"", what);
	return 0;
}

/* The upstream must be the server on this host: loopback TCP or a unix
 * socket (the server itself binds loopback only). */
static int
check_upstream(const char *s, const char *what)
{
	unsigned char sa[sizeof(struct sockaddr_in6)];
	unsigned len = sizeof(sa);

	if (strncmp(s, "unix:", 5) == 0) {
		if (s[5] != '/' || !ward_relpath_ok(s + 6) || strlen(s + 5) >= 108)
			return ward_err(WARD_EINPUT,
					"%s: guard.upstream \"%s\": unix: needs a clean absolute "
					"socket path",
					what, s);
		return 0;
	}
	if (policy_parse_addr(s, sa, &len) != 0)
		return ward_err(WARD_EINPUT, "%s: guard.upstream: %s", what, ward_errmsg());
	if (((struct sockaddr *)sa)->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)sa;
		if ((ntohl(a->sin_addr.s_addr) >> 24) != 127)
			return ward_err(WARD_EINPUT,
					"%s: guard.upstream \"%s\" is not a loopback address", what,
					s);
	} else {
		const struct sockaddr_in6 *a = (const void *)sa;
		if (!IN6_IS_ADDR_LOOPBACK(&a->sin6_addr))
			return ward_err(WARD_EINPUT,
					"%s: guard.upstream \"%s\" is not a loopback address", what,
					s);
	}
	return 0;
}

static void
defaults(struct guard_policy *g)
{
	g->auth_required = 1;
	g->connections = 512;
	g->header_bytes = 16384;
	g->headers = 100;
	g->body_bytes = 1 << 20;
	g->chunks = 1024;
	g->request_timeout_ms = 30000;
	g->idle_timeout_ms = 60000;
	g->upstream_timeout_ms = 600000;
	g->audit_log = 1;
}

int
guard_policy_parse(const json_t *v, const char *what, struct guard_policy **out)
{
	static const char *const keys[] = {"listen",	  "upstream",  "profile", "routes",
					   "deny",	  "auth",      "tls",	  "limits",
					   "app_metrics", "audit_log", NULL};
	struct guard_policy *g;
	const json_t *x;
	const char *s;
	unsigned char sa[sizeof(struct sockaddr_in6)];
	unsigned len = sizeof(sa);

	*out = NULL;
	if (!json_is_object(v))
		return ward_err(WARD_EINPUT, "%s: guard is neither null nor an object", what);
	if ((g = ward_calloc(1, sizeof(*g))) == NULL)
		return -1;
	*out = g;
	defaults(g);
	if (only_keys(v, keys, what, "guard") != 0)
		return -1;
	if ((x = json_object_get(v, "listen")) == NULL ||
	    (x = json_object_get(v, "upstream")) == NULL)
		return ward_err(WARD_EINPUT, "%s: guard needs \"listen\" and \"upstream\"", what);
	if (get_str(json_object_get(v, "listen"), what, "guard.listen", &s) != 0)
		return -1;
	if (policy_parse_addr(s, sa, &len) != 0)
		return ward_err(WARD_EINPUT, "%s: guard.listen: %s", what, ward_errmsg());
	if (set_str(&g->listen, s) != 0)
		return -1;
	if (get_str(json_object_get(v, "upstream"), what, "guard.upstream", &s) != 0 ||
	    check_upstream(s, what) != 0 || set_str(&g->upstream, s) != 0)
		return -1;
	if (strcmp(g->listen, g->upstream) == 0)
		return ward_err(WARD_EINPUT, "%s: guard.listen and guard.upstream are the same",
				what);
	if ((x = json_object_get(v, "routes")) != NULL &&
	    append_routes(x, what, "guard.routes", 0, 0, "policy", &g->allow, &g->nallow) != 0)
		return -1;
	if ((x = json_object_get(v, "deny")) != NULL &&
	    append_routes(x, what, "guard.deny", 1, 0, "policy", &g->deny, &g->ndeny) != 0)
		return -1;
	g->nallow_policy = g->nallow;
	g->ndeny_policy = g->ndeny;
	if ((x = json_object_get(v, "profile")) != NULL && !json_is_null(x)) {
		if (get_str(x, what, "guard.profile", &s) != 0 || set_str(&g->profile, s) != 0)
			return -1;
		if (load_profile(g, what) != 0)
			return -1;
	}
	if ((x = json_object_get(v, "auth")) != NULL && parse_auth(x, what, g) != 0)
		return -1;
	if ((x = json_object_get(v, "tls")) != NULL && parse_tls(x, what, g) != 0)
		return -1;
	if ((x = json_object_get(v, "limits")) != NULL && parse_limits(x, what, g) != 0)
		return -1;
	if ((x = json_object_get(v, "app_metrics")) != NULL && parse_app_metrics(x, what, g) != 0)
		return -1;
	if ((g->app_metrics_file || g->app_metrics_unix) && g->app_metrics_prefix == NULL &&
	    set_str(&g->app_metrics_prefix, "app_") != 0)
		return -1;
	if ((x = json_object_get(v, "audit_log")) != NULL &&
	    get_bool(x, what, "guard.audit_log", &g->audit_log) != 0)
		return -1;
	return 0;
}

static int
addr_port(const char *a)
{
	const char *c = strrchr(a, ':');
	return c != NULL && strncmp(a, "unix:", 5) != 0 ? atoi(c + 1) : -1;
}

uint16_t
guard_policy_upstream_port(const struct guard_policy *g)
{
	int port = addr_port(g->upstream);
	return port > 0 && port <= 65535 ? (uint16_t)port : 0;
}

int
guard_policy_check_bind(const struct guard_policy *g, int restricted, const uint16_t *ports,
			size_t n, const char *what)
{
	int up = addr_port(g->upstream), lp = addr_port(g->listen), up_in = 0;

	if (!restricted)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (ports[i] == lp)
			return ward_err(WARD_EINPUT,
					"%s: landlock.tcp_bind lists %d, the guard's public port "
					"(guard.listen): the server could take it",
					what, lp);
		up_in |= ports[i] == up;
	}
	if (up > 0 && !up_in)
		return ward_err(
			WARD_EINPUT,
			"%s: guard.upstream port %d is not in landlock.tcp_bind: the server "
			"could not listen there",
			what, up);
	return 0;
}

static void
routes_free(struct guard_route *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(r[i].path);
	free(r);
}

void
guard_policy_free(struct guard_policy *g)
{
	if (g == NULL)
		return;
	free(g->listen);
	free(g->upstream);
	free(g->profile);
	routes_free(g->allow, g->nallow);
	routes_free(g->deny, g->ndeny);
	free(g->keys);
	free(g->keys_file);
	free(g->tls_cert);
	free(g->tls_key);
	free(g->tls_client_ca);
	free(g->app_metrics_file);
	free(g->app_metrics_unix);
	free(g->app_metrics_prefix);
	free(g);
}

/* ------------------------------------------------------------ output */

static json_t *
methods_json(uint32_t m)
{
	json_t *a = json_array();

	if ((m & GUARD_METHODS_ANY) == GUARD_METHODS_ANY) {
		json_array_append_new(a, json_string("*"));
		return a;
	}
	for (int k = 0; guard_method_names[k] != NULL; k++)
		if (m & (1u << k))
			json_array_append_new(a, json_string(guard_method_names[k]));
	return a;
}

static json_t *
routes_json(const struct guard_route *r, size_t n, int deny)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < n; i++) {
		json_t *o = json_pack("{s:o,s:s}", "methods", methods_json(r[i].methods), "path",
				      r[i].path);
		if (o != NULL && !deny)
			json_object_set_new(o, "auth", json_boolean(r[i].auth));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *
rate_json(const struct guard_rate *r)
{
	if (r->rps <= 0)
		return json_null();
	return json_pack("{s:f,s:f}", "rps", r->rps, "burst", r->burst);
}

static json_t *
str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *
guard_policy_to_json(const struct guard_policy *g)
{
	json_t *j = json_object(), *keys = json_array(), *auth, *limits, *tls, *app;

	if (j == NULL || keys == NULL) {
		json_decref(j);
		json_decref(keys);
		return NULL;
	}
	for (size_t i = 0; i < g->nkeys; i++) {
		char hex[65];
		ward_hex(g->keys[i].sha256, 32, hex);
		json_array_append_new(keys,
				      json_pack("{s:s,s:s}", "id", g->keys[i].id, "sha256", hex));
	}
	auth = json_pack("{s:b,s:o,s:o,s:b}", "required", g->auth_required, "keys", keys,
			 "keys_file", str_or_null(g->keys_file), "forward", g->forward_auth);
	tls = g->tls_cert ? json_pack("{s:s,s:s,s:o}", "cert", g->tls_cert, "key", g->tls_key,
				      "client_ca", str_or_null(g->tls_client_ca))
			  : json_null();
	limits = json_object();
	json_object_set_new(limits, "rate", rate_json(&g->rate));
	json_object_set_new(limits, "key_rate", rate_json(&g->key_rate));
	json_object_set_new(limits, "concurrent", json_integer(g->concurrent));
	json_object_set_new(limits, "key_concurrent", json_integer(g->key_concurrent));
	json_object_set_new(limits, "key_tokens",
			    g->key_tokens
				    ? json_pack("{s:I,s:f}", "tokens", (json_int_t)g->key_tokens,
						"window_s", g->key_tokens_window_s)
				    : json_null());
	json_object_set_new(limits, "connections", json_integer(g->connections));
	json_object_set_new(limits, "header_bytes", json_integer(g->header_bytes));
	json_object_set_new(limits, "headers", json_integer(g->headers));
	json_object_set_new(limits, "body_bytes", json_integer((json_int_t)g->body_bytes));
	json_object_set_new(limits, "chunks", json_integer((json_int_t)g->chunks));
	json_object_set_new(limits, "request_timeout_s", json_real(g->request_timeout_ms / 1000.0));
	json_object_set_new(limits, "idle_timeout_s", json_real(g->idle_timeout_ms / 1000.0));
	json_object_set_new(limits, "upstream_timeout_s",
			    json_real(g->upstream_timeout_ms / 1000.0));
	app = g->app_metrics_file || g->app_metrics_unix
		      ? json_pack("{s:s,s:s}", g->app_metrics_file ? "file" : "unix",
				  g->app_metrics_file ? g->app_metrics_file : g->app_metrics_unix,
				  "prefix", g->app_metrics_prefix)
		      : json_null();
	json_object_set_new(j, "listen", json_string(g->listen));
	json_object_set_new(j, "upstream", json_string(g->upstream));
	json_object_set_new(j, "profile", str_or_null(g->profile));
	json_object_set_new(j, "routes", routes_json(g->allow, g->nallow_policy, 0));
	json_object_set_new(j, "deny", routes_json(g->deny, g->ndeny_policy, 1));
	json_object_set_new(j, "auth", auth);
	json_object_set_new(j, "tls", tls);
	json_object_set_new(j, "limits", limits);
	json_object_set_new(j, "app_metrics", app);
	json_object_set_new(j, "audit_log", json_boolean(g->audit_log));
	return j;
}
