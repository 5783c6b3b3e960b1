/*
 * client.c: HTTP to a registry: requests, the scheme, authentication
 * (basic and the bearer token flow) and error reporting.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "registry/registry_internal.h"

#define REG_MAX_ERROR_BODY 65536
#define REG_MAX_TOKEN (1u << 20)

/* ------------------------------------------------------------ references */

static int
is_registry_host(const char *s, size_t n)
{
	return memchr(s, '.', n) != NULL || memchr(s, ':', n) != NULL ||
	       (n == 9 && memcmp(s, "localhost", 9) == 0);
}

static int
name_ok(const char *s)
{
	/* distribution's grammar, loosely: lowercase alphanumerics and
	 * separators, components joined by '/' */
	if (*s == '\0' || *s == '/' || s[strlen(s) - 1] == '/' || strstr(s, "//") != NULL)
		return 0;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '.' ||
		      *s == '_' || *s == '-' || *s == '/'))
			return 0;
	return 1;
}

static int
tag_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 128 || !(isalnum((unsigned char)*s) || *s == '_'))
		return 0;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_' || *s == '.' || *s == '-'))
			return 0;
	return 1;
}

int
reg_ref_parse(const char *s, struct reg_ref *out)
{
	const char *slash, *at, *colon, *name;
	char *rest = NULL;

	memset(out, 0, sizeof(*out));
	if (ward_str_startswith(s, "docker://"))
		s += 9;
	slash = strchr(s, '/');
	if (slash != NULL && is_registry_host(s, (size_t)(slash - s))) {
		out->registry = ward_strndup(s, (size_t)(slash - s));
		name = slash + 1;
	} else {
		out->registry = ward_strdup("registry-1.docker.io");
		name = s;
	}
	if (out->registry == NULL)
		goto fail;
	at = strchr(name, '@');
	if (at != NULL) {
		out->digest = ward_strdup(at + 1);
		if (out->digest == NULL || oci_digest_check(out->digest, s) != 0)
			goto fail;
	}
	rest = at ? ward_strndup(name, (size_t)(at - name)) : ward_strdup(name);
	if (rest == NULL)
		goto fail;
	colon = strrchr(rest, ':');
	if (colon != NULL && strchr(colon, '/') == NULL) {
		out->tag = ward_strdup(colon + 1);
		rest[colon - rest] = '\0';
		if (out->tag == NULL)
			goto fail;
		if (!tag_ok(out->tag)) {
			ward_err(WARD_EINPUT, "%s: invalid tag \"%s\"", s, out->tag);
			goto fail;
		}
	}
	if (strcmp(out->registry, "registry-1.docker.io") == 0 && strchr(rest, '/') == NULL) {
		char *lib = ward_asprintf("library/%s", rest);
		free(rest);
		rest = lib;
		if (rest == NULL)
			goto fail;
	}
	if (!name_ok(rest)) {
		ward_err(WARD_EINPUT,
			 "%s: invalid repository name \"%s\" (lowercase letters, "
			 "digits, '.', '_', '-', '/')",
			 s, rest);
		goto fail;
	}
	out->repository = rest;
	return 0;
fail:
	free(rest);
	out->repository = NULL;
	reg_ref_free(out);
	if (ward_errkind() == WARD_OK)
		ward_err(WARD_EINPUT, "%s: not a registry reference", s);
	return -1;
}

const char *
reg_ref_reference(const struct reg_ref *r)
{
	return r->digest ? r->digest : r->tag ? r->tag : "latest";
}

char *
reg_ref_name(const struct reg_ref *r)
{
	return ward_asprintf("%s/%s", r->registry, r->repository);
}

void
reg_ref_free(struct reg_ref *r)
{
	if (r == NULL)
		return;
	free(r->registry);
	free(r->repository);
	free(r->tag);
	free(r->digest);
	memset(r, 0, sizeof(*r));
}

/* ------------------------------------------------------------ responses */

static size_t
on_body(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct reg_resp *rs = ctx;
	size_t n = size * nmemb;

	/* only a successful answer's body is content; error bodies are kept
	 * for the message */
	if (rs->sink != NULL && rs->status >= 200 && rs->status < 300) {
		if (rs->sink_failed)
			return 0;
		if (rs->sink(rs->sink_ctx, p, n) != 0) {
			ward_err_save(&rs->sink_err);
			rs->sink_failed = 1;
			return 0;
		}
		return n;
	}
	if (rs->body.len + n > rs->max) {
		rs->too_big = 1;
		return 0;
	}
	return ward_buf_append(&rs->body, p, n) == 0 ? n : 0;
}

static void
header_value(const char *line, size_t n, char *out, size_t outlen)
{
	const char *v = memchr(line, ':', n);
	size_t len;

	if (v == NULL)
		return;
	for (v++; v < line + n && (*v == ' ' || *v == '\t'); v++)
		;
	len = (size_t)(line + n - v);
	while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' '))
		len--;
	if (len >= outlen)
		len = outlen - 1; /* too long to be meaningful: cut, later checks fail */
	memcpy(out, v, len);
	out[len] = '\0';
}

static int
header_is(const char *line, size_t n, const char *name)
{
	size_t k = strlen(name);

	return n > k && line[k] == ':' && strncasecmp(line, name, k) == 0;
}

static size_t
on_header(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct reg_resp *rs = ctx;
	size_t n = size * nmemb;

	if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		/* a new response (after a redirect or 100-continue): start over */
		const char *sp = memchr(p, ' ', n);
		rs->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		rs->content_type[0] = rs->docker_digest[0] = rs->location[0] = '\0';
		rs->www_auth[0] = rs->link[0] = '\0';
		rs->oci_subject = 0;
		rs->content_length = UINT64_MAX;
	} else if (header_is(p, n, "Content-Type")) {
		header_value(p, n, rs->content_type, sizeof(rs->content_type));
	} else if (header_is(p, n, "Docker-Content-Digest")) {
		header_value(p, n, rs->docker_digest, sizeof(rs->docker_digest));
	} else if (header_is(p, n, "Location")) {
		header_value(p, n, rs->location, sizeof(rs->location));
	} else if (header_is(p, n, "WWW-Authenticate")) {
		header_value(p, n, rs->www_auth, sizeof(rs->www_auth));
	} else if (header_is(p, n, "Link")) {
		header_value(p, n, rs->link, sizeof(rs->link));
	} else if (header_is(p, n, "OCI-Subject")) {
		rs->oci_subject = 1;
	} else if (header_is(p, n, "Content-Length")) {
		char v[32] = "";
		header_value(p, n, v, sizeof(v));
		rs->content_length = strtoull(v, NULL, 10);
	}
	return n;
}

void
reg_resp_free(struct reg_resp *rs)
{
	if (rs == NULL)
		return;
	ward_buf_free(&rs->body);
}

/* ------------------------------------------------------------ requests */

static int
transport_error(struct reg_client *c, const char *url, CURLcode rc, const char *detail)
{
	if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ||
	    rc == CURLE_SSL_CONNECT_ERROR)
		return ward_err(WARD_EENV,
				"%s: TLS: %s%s%s (use --insecure only for a registry you "
				"trust without TLS)",
				url, curl_easy_strerror(rc), detail[0] ? ": " : "", detail);
	(void)c;
	return ward_err(WARD_EENV, "%s: %s%s%s", url, curl_easy_strerror(rc), detail[0] ? ": " : "",
			detail);
}

static int
perform(struct reg_client *c, const struct reg_req *rq, const char *url, const char *auth,
	struct reg_resp *rs)
{
	CURL *h = c->curl;
	struct curl_slist *hd = NULL;
	char errbuf[CURL_ERROR_SIZE] = "", line[4200];
	uint64_t now = ward_now_ns();
	CURLcode rc;
	int ret = -1;

	if (now >= c->deadline_ns)
		return ward_err(WARD_EENV,
				"%s: the registry did not finish within %llu s (--timeout, "
				"WARD_REGISTRY_TIMEOUT)",
				url, (unsigned long long)c->o.timeout_s);
	curl_easy_reset(h);
	rs->status = 0;
	rs->body.len = 0;
	rs->too_big = rs->sink_failed = 0;
	rs->content_length = UINT64_MAX;
	if (rs->max == 0)
		rs->max = REG_MAX_ERROR_BODY;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, c->o.insecure ? "http,https" : "https");
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 120L);
	/* what is left of the overall deadline, not a fresh allowance per request */
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)((c->deadline_ns - now) / 1000000u + 1));
	curl_easy_setopt(h, CURLOPT_USERAGENT, "ward/" WARD_VERSION);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, c->o.insecure ? 0L : 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, c->o.insecure ? 0L : 2L);
	if (c->o.ca_file != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->o.ca_file);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, rs);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, rs);
	if (strcmp(rq->method, "GET") == 0) {
		/* blobs may be served by a redirect to storage */
		curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	} else if (strcmp(rq->method, "HEAD") == 0) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->has_body ? rq->body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)(rq->has_body ? rq->body_len : 0));
		if (strcmp(rq->method, "POST") != 0)
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
	}
	hd = curl_slist_append(hd, "Expect:");
	if (auth != NULL)
		hd = curl_slist_append(hd, auth);
	if (rq->content_type != NULL) {
		snprintf(line, sizeof(line), "Content-Type: %s", rq->content_type);
		hd = curl_slist_append(hd, line);
	} else if (rq->has_body || strcmp(rq->method, "POST") == 0) {
		hd = curl_slist_append(hd, "Content-Type: application/octet-stream");
	}
	if (rq->accept != NULL) {
		snprintf(line, sizeof(line), "Accept: %s", rq->accept);
		hd = curl_slist_append(hd, line);
	}
	if (rq->content_range != NULL) {
		snprintf(line, sizeof(line), "Content-Range: %s", rq->content_range);
		hd = curl_slist_append(hd, line);
	}
	if (hd == NULL) {
		ward_err(WARD_EENV, "out of memory");
		goto out;
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
	rc = curl_easy_perform(h);
	if (rs->sink_failed) {
		ward_err_restore(&rs->sink_err);
		goto out;
	}
	if (rs->too_big) {
		ward_err(WARD_EINPUT, "%s: answer larger than %zu bytes", url, rs->max);
		goto out;
	}
	if (rc == CURLE_OPERATION_TIMEDOUT && ward_now_ns() >= c->deadline_ns) {
		ward_err(WARD_EENV,
			 "%s: the registry did not finish within %llu s (--timeout, "
			 "WARD_REGISTRY_TIMEOUT)",
			 url, (unsigned long long)c->o.timeout_s);
		goto out;
	}
	if (rc != CURLE_OK) {
		transport_error(c, url, rc, errbuf);
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rs->status);
	ret = 0;
out:
	curl_slist_free_all(hd);
	return ret;
}

/* Parse 'Bearer realm="...",service="...",scope="..."' into its values. */
void
reg_challenge_param(const char *ch, const char *key, char *out, size_t outlen)
{
	size_t k = strlen(key);
	const char *p = ch;

	out[0] = '\0';
	while (*p && *p != ' ')
		p++; /* skip the scheme */
	while (*p) {
		const char *name;
		size_t nlen, o = 0;
		int quoted;

		while (*p == ' ' || *p == ',')
			p++;
		name = p;
		while (*p && *p != '=' && *p != ',')
			p++;
		nlen = (size_t)(p - name);
		if (*p != '=')
			continue;
		p++;
		quoted = *p == '"';
		if (quoted)
			p++;
		while (*p && (quoted ? *p != '"' : *p != ',')) {
			if (quoted && *p == '\\' && p[1])
				p++;
			if (nlen == k && strncasecmp(name, key, k) == 0 && o + 1 < outlen)
				out[o++] = *p;
			p++;
		}
		if (quoted && *p == '"')
			p++;
		if (nlen == k && strncasecmp(name, key, k) == 0) {
			out[o] = '\0';
			return;
		}
	}
}

static int
fetch_token(struct reg_client *c, const char *challenge)
{
	char realm[1024], service[512], scope[1024], *url = NULL, *auth = NULL;
	char *esvc = NULL, *escope = NULL, *save = NULL;
	struct ward_buf q = {0};
	struct reg_resp rs = {.max = REG_MAX_TOKEN};
	struct reg_req rq = {.method = "GET"};
	const char *tok;
	json_t *j = NULL;
	int rc = -1;

	reg_challenge_param(challenge, "realm", realm, sizeof(realm));
	reg_challenge_param(challenge, "service", service, sizeof(service));
	reg_challenge_param(challenge, "scope", scope, sizeof(scope));
	if (!ward_str_startswith(realm, "https://") &&
	    !(c->o.insecure && ward_str_startswith(realm, "http://")))
		return ward_err(WARD_EENV,
				"%s: token realm \"%s\" is not https (use --insecure to "
				"allow it)",
				c->registry, realm);
	if (c->token_scope != NULL && strcmp(c->token_scope, scope) == 0 && c->auth != NULL)
		return ward_err(WARD_EENV,
				"%s/%s: the registry refused the token it issued for "
				"\"%s\" (not allowed?)",
				c->registry, c->repo, scope);
	if ((esvc = curl_easy_escape(c->curl, service, 0)) == NULL ||
	    ward_buf_printf(&q, "%s%sservice=%s", realm, strchr(realm, '?') ? "&" : "?", esvc) != 0)
		goto out;
	/* several scopes (a mount needs two repositories) are separate parameters */
	for (char *sc = strtok_r(scope, " ", &save); sc != NULL; sc = strtok_r(NULL, " ", &save)) {
		curl_free(escope);
		if ((escope = curl_easy_escape(c->curl, sc, 0)) == NULL ||
		    ward_buf_printf(&q, "&scope=%s", escope) != 0)
			goto out;
	}
	reg_challenge_param(challenge, "scope", scope, sizeof(scope));
	url = ward_buf_steal(&q);
	if (c->basic != NULL)
		auth = ward_asprintf("Authorization: Basic %s", c->basic);
	rq.url = url;
	if (url == NULL || (c->basic != NULL && auth == NULL) ||
	    perform(c, &rq, url, auth, &rs) != 0)
		goto out;
	if (rs.status != 200) {
		ward_err(WARD_EENV, "%s: token server %s answered HTTP %ld%s", c->registry, realm,
			 rs.status, c->basic ? " (wrong credentials?)" : " (credentials needed?)");
		goto out;
	}
	if ((j = ward_json_loadb(rs.body.data, rs.body.len, realm)) == NULL)
		goto out;
	tok = ward_json_str(j, "token");
	if (tok == NULL || *tok == '\0')
		tok = ward_json_str(j, "access_token");
	if (tok == NULL || *tok == '\0' || strpbrk(tok, "\r\n") != NULL) {
		ward_err(WARD_EENV, "%s: token server %s sent no usable token", c->registry, realm);
		goto out;
	}
	free(c->auth);
	free(c->token_scope);
	c->auth = ward_asprintf("Authorization: Bearer %s", tok);
	c->token_scope = ward_strdup(scope);
	if (c->auth != NULL && c->token_scope != NULL)
		rc = 0;
out:
	if (auth != NULL)
		ward_wipe(auth, strlen(auth));
	free(auth);
	free(url);
	ward_buf_free(&q);
	curl_free(esvc);
	curl_free(escope);
	json_decref(j);
	reg_resp_free(&rs);
	return rc;
}

static int
authenticate(struct reg_client *c, const char *challenge)
{
	if (strncasecmp(challenge, "Basic", 5) == 0) {
		if (c->basic == NULL)
			return ward_err(WARD_EENV,
					"%s: the registry wants a user name and password "
					"(WARD_REGISTRY_USERNAME/WARD_REGISTRY_PASSWORD, "
					"--username, or podman login)",
					c->registry);
		if (c->auth != NULL && ward_str_startswith(c->auth, "Authorization: Basic"))
			return ward_err(WARD_EENV, "%s: the registry refused the credentials",
					c->registry);
		free(c->auth);
		c->auth = ward_asprintf("Authorization: Basic %s", c->basic);
		return c->auth ? 0 : -1;
	}
	if (strncasecmp(challenge, "Bearer", 6) == 0)
		return fetch_token(c, challenge);
	return ward_err(WARD_EENV, "%s: unsupported authentication challenge \"%.40s\"",
			c->registry, challenge);
}

int
reg_do(struct reg_client *c, const struct reg_req *rq, struct reg_resp *rs)
{
	char *url =
		ward_str_startswith(rq->url, "http://") || ward_str_startswith(rq->url, "https://")
			? ward_strdup(rq->url)
			: ward_asprintf("%s%s", c->base, rq->url);
	int rc = -1;

	if (url == NULL)
		return -1;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (perform(c, rq, url, c->auth, rs) != 0)
			goto out;
		if (rs->status == 401 && attempt == 1 && c->auth != NULL) {
			ward_err(WARD_EENV, "%s: the registry refused the %s (HTTP 401 on %s %s)",
				 c->registry,
				 ward_str_startswith(c->auth, "Authorization: Basic")
					 ? "credentials"
					 : "token",
				 rq->method, url);
			goto out;
		}
		if (rs->status != 401 || rs->www_auth[0] == '\0' || attempt == 1)
			break;
		ward_debug("%s %s: HTTP 401, authenticating", rq->method, url);
		if (authenticate(c, rs->www_auth) != 0)
			goto out;
	}
	rc = 0;
out:
	free(url);
	return rc;
}

int
reg_http_error(struct reg_client *c, const struct reg_resp *rs, const char *what)
{
	json_t *j = NULL, *e;
	const char *code = NULL, *msg = NULL;
	int kind = rs->status == 404 ? WARD_EINPUT : WARD_EENV;

	if (rs->body.len > 0 && rs->body.data[0] == '{') {
		j = json_loadb((const char *)rs->body.data, rs->body.len, 0, NULL);
		e = json_array_get(json_object_get(j, "errors"), 0);
		code = ward_json_str(e, "code");
		msg = ward_json_str(e, "message");
	}
	ward_err(kind, "%s/%s: %s: HTTP %ld%s%s%s%s", c->registry, c->repo, what, rs->status,
		 code ? " " : "", code ? code : "", msg ? ": " : "", msg ? msg : "");
	json_decref(j);
	return -1;
}

char *
reg_url(struct reg_client *c, const char *fmt, ...)
{
	struct ward_buf b = {0};
	char *rest;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&rest, fmt, ap) < 0)
		rest = NULL;
	va_end(ap);
	if (rest == NULL) {
		ward_err(WARD_EENV, "out of memory");
		return NULL;
	}
	if (ward_buf_printf(&b, "%s/v2/%s%s", c->base, c->repo, rest) != 0) {
		free(rest);
		return NULL;
	}
	free(rest);
	return ward_buf_steal(&b);
}

char *
reg_resolve(struct reg_client *c, const char *location)
{
	const char *host_end;

	if (ward_str_startswith(location, "http://") || ward_str_startswith(location, "https://"))
		return ward_strdup(location);
	if (location[0] == '/') {
		host_end = strchr(c->base + 8, '/'); /* base has no path */
		if (host_end == NULL)
			return ward_asprintf("%s%s", c->base, location);
		return ward_asprintf("%.*s%s", (int)(host_end - c->base), c->base, location);
	}
	return ward_asprintf("%s/%s", c->base, location);
}

/* ------------------------------------------------------------ credentials */

static char *
from_auth_file(const char *path, const char *registry)
{
	json_t *j, *auths, *e;
	const char *a;
	char *out = NULL, *key;

	if (path == NULL || access(path, R_OK) != 0)
		return NULL;
	j = ward_json_load_file(path, 1u << 20);
	if (j == NULL) {
		ward_warn("%s: ignored (%s)", path, ward_errmsg());
		ward_err_clear();
		return NULL;
	}
	auths = json_object_get(j, "auths");
	e = json_object_get(auths, registry);
	if (e == NULL && (key = ward_asprintf("https://%s", registry)) != NULL) {
		e = json_object_get(auths, key);
		free(key);
	}
	if ((a = ward_json_str(e, "auth")) != NULL && *a != '\0')
		out = ward_strdup(a);
	json_decref(j);
	return out;
}

char *
reg_credentials(const char *registry, const char *user, const char *pass)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR"), *home = getenv("HOME");
	char *paths[3] = {NULL, NULL, NULL}, *out = NULL;

	if (user == NULL)
		user = getenv("WARD_REGISTRY_USERNAME");
	if (pass == NULL)
		pass = getenv("WARD_REGISTRY_PASSWORD");
	if (user != NULL && *user != '\0') {
		char *up = ward_asprintf("%s:%s", user, pass ? pass : "");
		if (up == NULL)
			return NULL;
		out = b64_encode(up, strlen(up));
		ward_wipe(up, strlen(up));
		free(up);
		return out;
	}
	if (getenv("REGISTRY_AUTH_FILE") != NULL)
		paths[0] = ward_strdup(getenv("REGISTRY_AUTH_FILE"));
	if (xdg != NULL)
		paths[1] = ward_asprintf("%s/containers/auth.json", xdg);
	if (home != NULL)
		paths[2] = ward_asprintf("%s/.docker/config.json", home);
	for (int i = 0; i < 3 && out == NULL; i++)
		out = from_auth_file(paths[i], registry);
	for (int i = 0; i < 3; i++)
		free(paths[i]);
	return out;
}

/* ------------------------------------------------------------ clients */

static int
ping(struct reg_client *c)
{
	struct reg_req rq = {.method = "GET", .url = "/v2/"};
	struct reg_resp rs = {0};
	char *url = ward_asprintf("%s/v2/", c->base);
	int rc;

	if (url == NULL)
		return -1;
	rc = perform(c, &rq, url, NULL, &rs);
	free(url);
	if (rc == 0 && rs.status != 200 && rs.status != 401)
		rc = reg_http_error(c, &rs, "not an OCI registry (GET /v2/)");
	reg_resp_free(&rs);
	return rc;
}

struct reg_client *
reg_client_new(const char *registry, const char *repository, const struct reg_opts *o)
{
	struct reg_client *c = ward_calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->o = *o;
	if (c->o.chunk_size == 0)
		c->o.chunk_size = 8u << 20;
	if (c->o.timeout_s == 0) {
		const char *e = getenv("WARD_REGISTRY_TIMEOUT");
		char *end;
		unsigned long long v = e ? strtoull(e, &end, 10) : 0;
		c->o.timeout_s = e && *e && *end == '\0' && v > 0 ? v : REG_DEFAULT_TIMEOUT;
	}
	if (c->o.timeout_s > 86400ull * 365)
		c->o.timeout_s = 86400ull * 365;
	c->deadline_ns = ward_now_ns() + c->o.timeout_s * 1000000000ull;
	c->registry = ward_strdup(registry);
	c->repo = ward_strdup(repository);
	c->base = ward_asprintf("https://%s", registry);
	if (c->registry == NULL || c->repo == NULL || c->base == NULL)
		goto fail;
	if ((c->curl = curl_easy_init()) == NULL) {
		ward_err(WARD_EENV, "cannot start libcurl");
		goto fail;
	}
	c->basic = reg_credentials(registry, o->username, o->password);
	if (ping(c) != 0) {
		struct ward_error first;
		if (!c->o.insecure)
			goto fail;
		/* --insecure: a plain-HTTP registry */
		ward_err_save(&first);
		free(c->base);
		if ((c->base = ward_asprintf("http://%s", registry)) == NULL)
			goto fail;
		if (ping(c) != 0) {
			if (ward_now_ns() < c->deadline_ns) /* else: say it timed out */
				ward_err_restore(&first);
			goto fail;
		}
	}
	ward_debug("registry %s: %s", registry, c->base);
	return c;
fail:
	reg_client_free(c);
	return NULL;
}

struct reg_stats *
reg_client_stats(struct reg_client *c)
{
	return &c->stats;
}

void
reg_client_free(struct reg_client *c)
{
	if (c == NULL)
		return;
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	if (c->basic != NULL)
		ward_wipe(c->basic, strlen(c->basic));
	if (c->auth != NULL)
		ward_wipe(c->auth, strlen(c->auth));
	free(c->basic);
	free(c->auth);
	free(c->token_scope);
	free(c->registry);
	free(c->repo);
	free(c->base);
	free(c);
}
