/*
 * guard_policy.h: the "guard" section of /ward/policy.json — the endpoint
 * guard's listener, upstream, routes, keys, limits and app metrics — and
 * the route matcher.
 *
 * Parsing is strict like the rest of the policy (unknown fields, wrong
 * types, out-of-range numbers are errors naming the field).  Built-in
 * profiles (init/profiles/NAME.json, embedded at build time) are data in the
 * same route format; `ward-init --print-guard-profile NAME` prints one and
 * docs/ward-guard.md describes them.  Routes are default-deny: a request
 * passes only when no deny entry and some allow entry matches its method
 * and normalised path.
 */
#ifndef WARD_INIT_GUARD_POLICY_H
#define WARD_INIT_GUARD_POLICY_H

#include <stdint.h>

#include "core/core.h"

#define GUARD_MAX_ROUTES 128
#define GUARD_MAX_KEYS 256
#define GUARD_KEY_ID_MAX 64
#define GUARD_MAX_PATTERN 256

/* Method bits: 1 << enum gh_method; GUARD_METHODS_ANY is "*". */
#define GUARD_METHODS_ANY 0x7fu /* the seven known methods */
#define GUARD_METHODS_ALL 0xffu /* deny entries: also any other method */

struct guard_route {
	char *path;	  /* the pattern (guard_pattern_match) */
	uint32_t methods; /* bits; see above */
	int auth;	  /* a key is required (when auth is on) */
	const char *from; /* "policy" or the profile's name (static) */
};

struct guard_key_hash {
	char id[GUARD_KEY_ID_MAX + 1];
	uint8_t sha256[32];
};

struct guard_rate {
	double rps;   /* refill per second; 0: unlimited */
	double burst; /* bucket size (>= 1 when rps > 0) */
};

struct guard_policy {
	char *listen;	/* "ADDR:PORT" */
	char *upstream; /* "ADDR:PORT" (loopback) or "unix:/path" */
	char *profile;	/* built-in profile name, or NULL */
	struct guard_route *allow, *deny;
	size_t nallow, ndeny;
	size_t nallow_policy, ndeny_policy; /* the first ones came from the policy */
	/* auth */
	int auth_required;	     /* default 1: no key, no request (unless route auth false) */
	struct guard_key_hash *keys; /* from the policy (hashes only) */
	size_t nkeys;
	char *keys_file;  /* mounted secret: "ID sha256:HEX" or "ID KEY" lines */
	int forward_auth; /* pass Authorization / X-Api-Key to the upstream */
	/* mTLS (optional) */
	char *tls_cert, *tls_key, *tls_client_ca;
	/* limits */
	struct guard_rate rate, key_rate;
	unsigned concurrent, key_concurrent; /* 0: unlimited */
	uint64_t key_tokens;		     /* token budget per key and window; 0: none */
	double key_tokens_window_s;
	unsigned connections;
	unsigned header_bytes, headers;
	uint64_t body_bytes, chunks;
	unsigned request_timeout_ms, idle_timeout_ms, upstream_timeout_ms;
	/* app metrics merged into /metrics */
	char *app_metrics_file, *app_metrics_unix, *app_metrics_prefix;
	int audit_log;
};

/* guard_policy_parse(v, what, out): the "guard" object into a new
 * *out (caller frees with guard_policy_free, also on failure). */
int guard_policy_parse(const json_t *v, const char *what, struct guard_policy **out);
void guard_policy_free(struct guard_policy *g);
/* guard_policy_upstream_port(g): the upstream's TCP port, 0 for a unix socket. */
uint16_t guard_policy_upstream_port(const struct guard_policy *g);
/* guard_policy_check_bind(g, restricted, ports, n, what): with the server's
 * TCP binds restricted (landlock.tcp_bind), the upstream port must be among
 * them (else the server could not listen there) and the guard's public port
 * must not (else the server could take it); WARD_EINPUT naming both. */
int guard_policy_check_bind(const struct guard_policy *g, int restricted, const uint16_t *ports,
			    size_t n, const char *what);
/* guard_policy_to_json(g): the section with every default filled in
 * (routes and deny as the policy wrote them; the profile by name). */
json_t *guard_policy_to_json(const struct guard_policy *g);

/* The seven method names, in enum gh_method order, NULL-terminated. */
extern const char *const guard_method_names[];

/* guard_profile_json(name): the built-in profile's JSON text, or NULL. */
const char *guard_profile_json(const char *name);
/* guard_profile_name(name): the built-in profile's name as a static string
 * (for route origins), or NULL. */
const char *guard_profile_name(const char *name);
/* guard_profile_names(): NULL-terminated list of the built-in profiles. */
const char *const *guard_profile_names(void);

/* guard_pattern_ok(p): a valid route pattern. */
int guard_pattern_ok(const char *p);
/* guard_pattern_match(pattern, path): 1 when the normalised path matches.
 * Segments match literally; '*' inside a segment matches one or more
 * characters of that segment; a last segment "**" matches one or more
 * further segments. */
int guard_pattern_match(const char *pattern, const char *path);

enum guard_route_result { GUARD_ROUTE_ALLOW, GUARD_ROUTE_DENY, GUARD_ROUTE_NONE };
/* guard_route_find(g, method_bit, path, *index): deny entries first (any
 * match denies), then the first allow entry; *index is the allow index. */
int guard_route_find(const struct guard_policy *g, uint32_t method_bit, const char *path,
		     size_t *index);

/* guard_method_bit(method): 1 << method for the known ones, 0x80 for others. */
uint32_t guard_method_bit(int method);

#endif
