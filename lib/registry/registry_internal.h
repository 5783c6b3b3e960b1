/* registry_internal.h: the HTTP layer shared by the registry files. */
#ifndef WARD_REGISTRY_INTERNAL_H
#define WARD_REGISTRY_INTERNAL_H

#include <curl/curl.h>

#include "registry/registry.h"

struct reg_client {
	CURL *curl;
	char *registry; /* host[:port] as given */
	char *repo;
	char *base;	   /* "https://host:port" once settled */
	char *auth;	   /* "Authorization: ..." or NULL */
	char *basic;	   /* base64 "user:password" or NULL */
	char *token_scope; /* scope the current bearer token was asked for */
	struct reg_opts o;
	struct reg_stats stats;
	uint64_t deadline_ns; /* ward_now_ns() past which every request fails */
};

/* One HTTP exchange.  The body goes to sink when set (2xx answers only),
 * else into body (at most max bytes). */
struct reg_resp {
	long status;
	struct ward_buf body;
	size_t max;
	oci_sink_fn sink;
	void *sink_ctx;
	int sink_failed;
	struct ward_error sink_err;
	int too_big;
	char content_type[OCI_MEDIA_TYPE_MAX + 1];
	char docker_digest[OCI_DIGEST_LEN + 8];
	char location[4096];
	char www_auth[2048];
	char link[2048];
	int oci_subject;
	uint64_t content_length; /* UINT64_MAX when not sent */
};

struct reg_req {
	const char *method;	   /* GET, HEAD, POST, PUT, PATCH */
	const char *url;	   /* absolute, or a path below base */
	const char *content_type;  /* NULL: none */
	const char *accept;	   /* NULL: none */
	const char *content_range; /* NULL: none */
	const void *body;
	size_t body_len;
	int has_body;
};

/* reg_do(c, rq, rs): send rq, answering one authentication challenge by
 * logging in (basic or bearer) and sending it again.  0 when an HTTP
 * answer came (any status; rs filled), -1 on transport failure.  The
 * caller reg_resp_free()s rs in every case. */
int reg_do(struct reg_client *c, const struct reg_req *rq, struct reg_resp *rs);
void reg_resp_free(struct reg_resp *rs);
/* reg_http_error(c, rs, what): record an error for an unexpected status,
 * with the registry's own message when it sent one: 404 -> WARD_EINPUT,
 * else WARD_EENV.  Returns -1. */
int reg_http_error(struct reg_client *c, const struct reg_resp *rs, const char *what);
/* reg_url(c, fmt, ...): base + "/v2/" + repo + the formatted rest. */
char *reg_url(struct reg_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* reg_resolve(c, location): an absolute URL for a Location header. */
char *reg_resolve(struct reg_client *c, const char *location);
/* reg_credentials(registry, user, pass): from the environment or an auth
 * file; base64 "user:password" (caller frees) or NULL when none. */
char *reg_credentials(const char *registry, const char *user, const char *pass);
/* reg_challenge_param(challenge, key, out, outlen): the value of key in a
 * WWW-Authenticate challenge ('Bearer realm="...",scope="..."'); "" when
 * absent.  Quoted values may hold commas and backslash escapes. */
void reg_challenge_param(const char *challenge, const char *key, char *out, size_t outlen);
/* reg_referrers_add(c, subject, d): record manifest d in the subject's
 * referrers-tag index ("sha256-<hex>"), creating it when missing. */
int reg_referrers_add(struct reg_client *c, const char *subject, const struct oci_descriptor *d);

#endif
