/* guard_request.c: reading a request, judging it (route, key, limits),
 * rewriting its head for the upstream, and the guard's own answers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "guard_internal.h"
#include "jlog.h"

/* ------------------------------------------------------------ own answers */

static const char *
reason_phrase(int code)
{
	switch (code) {
	case 100:
		return "Continue";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 408:
		return "Request Timeout";
	case 413:
		return "Content Too Large";
	case 417:
		return "Expectation Failed";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 501:
		return "Not Implemented";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Error";
	}
}

/* Answer with the guard's own status (a refusal or an upstream failure),
 * counted and logged; close afterwards unless keep says otherwise. */
void
gc_answer(struct guard *g, struct gconn *c, int code, int reason, const char *what, int keep)
{
	char body[160];
	int bl = snprintf(body, sizeof(body), "{\"error\":{\"code\":%d,\"reason\":\"%s\"}}\n", code,
			  what);
	int n = snprintf(c->own, sizeof(c->own),
			 "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
			 "Content-Length: %d\r\nCache-Control: no-store\r\n%s%s%s\r\n%s",
			 code, reason_phrase(code), bl, keep ? "" : "Connection: close\r\n",
			 code == 401 ? "WWW-Authenticate: Bearer\r\n" : "",
			 code == 429 ? "Retry-After: 1\r\n" : "", body);

	if (reason != GR_NONE) {
		g->st.rejected[reason]++;
		if (c->key != NULL &&
		    (reason == GR_RATE_KEY || reason == GR_RATE_GLOBAL ||
		     reason == GR_TOKEN_BUDGET || reason == GR_CONCURRENCY_KEY ||
		     reason == GR_CONCURRENCY_GLOBAL || reason == GR_BODY_TOO_LARGE))
			c->key->rejected++;
	}
	c->own_len = n > 0 && (size_t)n < sizeof(c->own) ? (size_t)n : 0;
	c->own_off = 0;
	c->close_after_own = !keep;
	c->bytes_out += c->own_len;
	gc_audit(g, c, code, reason);
	gc_release_inflight(g, c);
	c->state = CS_REFUSE;
	c->deadline = ward_now_ns() + LINGER_NS;
	gc_want(g, c, 0, EPOLLOUT);
	gc_flush_client(g, c);
}

void
gc_refuse(struct guard *g, struct gconn *c, int reason, int keep)
{
	gc_answer(g, c, guard_reason_status(reason), reason, guard_reason_name(reason), keep);
}

/* ------------------------------------------------------------ requests */

void
gc_reset_request(struct gconn *c)
{
	memset(&c->scan, 0, sizeof(c->scan));
	c->head_start = c->head_len = c->body_end = 0;
	c->body_left = 0;
	c->body_chunked = 0;
	c->ch_pos = 0;
	c->route = -1;
	c->key = NULL;
	c->method = -1;
	c->path[0] = '\0';
	c->t_head = c->t_first = 0;
	c->uhead_len = c->usent = 0;
	c->retried = 0;
	c->rb_len = c->rb_off = c->rs_start = 0;
	c->rstate = RS_HEAD;
	c->status = 0;
	c->close_delimited = 0;
	memset(&c->usage, 0, sizeof(c->usage));
	c->bytes_in = c->bytes_out = 0;
}

static int
in_reserve(struct guard *g, struct gconn *c, size_t want_bytes)
{
	size_t cap = c->in_cap ? c->in_cap : 4096;

	if (c->in_cap - c->in_len >= want_bytes)
		return 0;
	while (cap - c->in_len < want_bytes && cap < g->max_in)
		cap *= 2;
	if (cap > g->max_in)
		cap = g->max_in;
	if (cap == c->in_cap)
		return -1;
	char *n = realloc(c->in, cap);
	if (n == NULL)
		return -1;
	c->in = n;
	c->in_cap = cap;
	return 0;
}

/* Headers that end at the guard (RFC 9110 7.6.1) or that only the guard
 * may set. */
static int
dropped_header(const struct guard *g, const char *buf, const struct gh_header *h)
{
	static const char *const hop[] = {"connection",	      "keep-alive",
					  "proxy-connection", "te",
					  "trailer",	      "upgrade",
					  "expect",	      "proxy-authorization",
					  "http2-settings",   "x-forwarded-for",
					  "forwarded",	      "x-real-ip",
					  "x-ward-key-id",    NULL};

	for (size_t i = 0; hop[i] != NULL; i++)
		if (gh_name_is(buf, h, hop[i]))
			return 1;
	if (!g->gp->forward_auth &&
	    (gh_name_is(buf, h, "authorization") || gh_name_is(buf, h, "x-api-key")))
		return 1;
	return 0;
}

static int
uhead_put(struct gconn *c, const void *p, size_t n)
{
	if (c->uhead_cap - c->uhead_len < n)
		return -1;
	memcpy(c->uhead + c->uhead_len, p, n);
	c->uhead_len += n;
	return 0;
}

/* The head the server gets: the canonical target, the client's headers
 * minus hop-by-hop and credentials, X-Forwarded-For and X-Ward-Key-Id. */
static int
build_upstream_head(struct guard *g, struct gconn *c, const struct gh_request *r)
{
	const char *buf = c->in;
	size_t need = r->head_len + 3 * r->path_len + 256 + GUARD_KEY_ID_MAX;
	size_t tl;

	if (c->uhead_cap < need) {
		char *n = realloc(c->uhead, need);
		if (n == NULL)
			return -1;
		c->uhead = n;
		c->uhead_cap = need;
	}
	c->uhead_len = 0;
	tl = gh_canonical_target(r->path, r->path_len, g->target, sizeof(g->target));
	if (tl == 0)
		return -1;
	if (uhead_put(c, buf + r->method_off, r->method_len) || uhead_put(c, " ", 1) ||
	    uhead_put(c, g->target, tl) || uhead_put(c, buf + r->query_off, r->query_len) ||
	    uhead_put(c, r->minor ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n", 11))
		return -1;
	for (unsigned i = 0; i < r->nh; i++) {
		const struct gh_header *h = &r->h[i];
		if (dropped_header(g, buf, h))
			continue;
		if (uhead_put(c, buf + h->name, h->name_len) || uhead_put(c, ": ", 2) ||
		    uhead_put(c, buf + h->value, h->value_len) || uhead_put(c, "\r\n", 2))
			return -1;
	}
	if (r->minor == 0 && r->host_len == 0 && uhead_put(c, "Host: localhost\r\n", 17))
		return -1;
	if (r->minor == 0 && uhead_put(c, "Connection: keep-alive\r\n", 24))
		return -1;
	if (uhead_put(c, "X-Forwarded-For: ", 17) || uhead_put(c, c->peer, strlen(c->peer)) ||
	    uhead_put(c, "\r\n", 2))
		return -1;
	if (c->key != NULL &&
	    (uhead_put(c, "X-Ward-Key-Id: ", 15) || uhead_put(c, c->key->id, strlen(c->key->id)) ||
	     uhead_put(c, "\r\n", 2)))
		return -1;
	return uhead_put(c, "\r\n", 2);
}

/* Route, key, limits: 0 to forward, or the refusal reason. */
static int
judge(struct guard *g, struct gconn *c, const struct gh_request *r)
{
	const struct guard_policy *gp = g->gp;
	uint64_t now = ward_now_ns();
	size_t idx = 0;
	int rc;

	rc = guard_route_find(gp, guard_method_bit(r->method), r->path, &idx);
	if (rc != GUARD_ROUTE_ALLOW)
		return GR_ROUTE_DENIED;
	c->route = (long)idx;
	/* before the key: an oversized upload is refused unread, whoever sends it */
	if (r->has_length && r->length > gp->body_bytes)
		return GR_BODY_TOO_LARGE;
	if (gp->auth_required && gp->allow[idx].auth) {
		size_t off = 0, len = 0;
		int k;
		if ((rc = guard_credential(c->in, r, &off, &len)) != GR_NONE)
			return rc;
		if ((k = guard_keys_match(&g->keys, c->in + off, len)) < 0)
			return GR_AUTH_INVALID;
		c->key = guard_stats_key(&g->st, g->keys.v[k].id);
	}
	if (gp->concurrent && g->st.inflight >= gp->concurrent)
		return GR_CONCURRENCY_GLOBAL;
	if (c->key != NULL && gp->key_concurrent && c->key->inflight >= gp->key_concurrent)
		return GR_CONCURRENCY_KEY;
	if (c->key != NULL &&
	    !guard_budget_ok(&c->key->budget, gp->key_tokens, gp->key_tokens_window_s, now))
		return GR_TOKEN_BUDGET;
	if (c->key != NULL && !guard_bucket_take(&c->key->bucket, &gp->key_rate, now))
		return GR_RATE_KEY;
	if (!guard_bucket_take(&g->st.bucket, &gp->rate, now))
		return GR_RATE_GLOBAL;
	return GR_NONE;
}

/* A complete head is in c->in: parse, judge, prepare. */
static void
head_done(struct guard *g, struct gconn *c)
{
	struct gh_request *r = &g->req;
	int reason;

	c->t_head = ward_now_ns();
	g->st.requests_total++;
	if (gh_parse_request(c->in, c->head_len, c->head_start, g->gp->headers, r) != 0) {
		gc_refuse(g, c, r->reason, 0);
		return;
	}
	c->method = r->method;
	c->minor = r->minor;
	c->keep_alive = r->keep_alive;
	snprintf(c->path, sizeof(c->path), "%.*s", (int)(r->path_len < 159 ? r->path_len : 159),
		 r->path);
	if ((reason = judge(g, c, r)) != GR_NONE) {
		/* A refused request with a body still coming: close. */
		int body = r->chunked || (r->has_length && r->length > 0);
		gc_refuse(g, c, reason, c->keep_alive && !body);
		return;
	}
	if (build_upstream_head(g, c, r) != 0) {
		gc_refuse(g, c, GR_BAD_TARGET, 0);
		return;
	}
	g->st.inflight++;
	if (c->key != NULL)
		c->key->inflight++;
	c->counted_inflight = 1;
	c->body_chunked = r->chunked;
	c->body_left = r->has_length ? r->length : 0;
	if (r->chunked) {
		memset(&c->ch, 0, sizeof(c->ch));
		c->ch.strict = 1;
		c->ch.max_total = g->gp->body_bytes;
		c->ch.max_chunks = g->gp->chunks;
	}
	c->ch_pos = c->head_len;
	c->state = CS_BODY;
	if (r->expect_continue && (r->chunked || c->body_left > 0)) {
		static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
		/* Best effort and tiny: a client that cannot take 25 bytes
		 * now just sends its body after its own timeout. */
		if (gc_c_send(c, cont, sizeof(cont) - 1) > 0)
			c->bytes_out += sizeof(cont) - 1;
	}
}

/* Body bytes in c->in: complete yet? */
static void
body_progress(struct guard *g, struct gconn *c)
{
	if (c->body_chunked) {
		long used = gh_chunked_feed(&c->ch, c->in + c->ch_pos, c->in_len - c->ch_pos, NULL,
					    NULL);
		if (used < 0) {
			gc_refuse(g, c, c->ch.reason, 0);
			return;
		}
		c->ch_pos += (size_t)used;
		if (c->ch.state != GC_DONE)
			return;
		c->body_end = c->ch_pos;
	} else {
		if (c->in_len - c->head_len < c->body_left)
			return;
		c->body_end = c->head_len + (size_t)c->body_left;
	}
	c->bytes_in = c->body_end - c->head_start;
	gc_upstream_start(g, c);
}

static void
advance_once(struct guard *g, struct gconn *c)
{
	if (c->state == CS_IDLE && c->in_len > 0) {
		c->state = CS_HEAD;
		c->deadline = ward_now_ns() + gc_ms_ns(g->gp->request_timeout_ms);
	}
	if (c->state == CS_HEAD) {
		long h = gh_head_scan(&c->scan, c->in, c->in_len, g->gp->header_bytes);
		if (h < 0) {
			gc_refuse(g, c, c->scan.reason, 0);
			return;
		}
		if (h == 0)
			return;
		c->head_start = c->scan.start;
		c->head_len = (size_t)h;
		head_done(g, c);
	}
	if (c->state == CS_BODY)
		body_progress(g, c);
}

/* Handle what is buffered, request after request.  Iterative: a refusal
 * or a finished response that finds another pipelined request asks for
 * another round instead of recursing (a client could pipeline thousands). */
void
gc_advance(struct guard *g, struct gconn *c)
{
	if (c->in_advance) {
		c->again = 1;
		return;
	}
	c->in_advance = 1;
	do {
		c->again = 0;
		advance_once(g, c);
	} while (c->again && c->state != CS_FREE);
	c->in_advance = 0;
}

void
gc_client_readable(struct guard *g, struct gconn *c)
{
	ssize_t n;

	if (c->state == CS_LINGER) {
		char sink[4096];
		n = recv(c->cfd, sink, sizeof(sink), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			gc_conn_close(g, c);
		return;
	}
	if (c->state == CS_UPSTREAM || c->state == CS_RESPONSE) {
		if (c->in_len < c->in_cap) {
			n = gc_c_recv(c, c->in + c->in_len, c->in_cap - c->in_len);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return;
			if (n <= 0)
				c->client_eof = 1; /* the response still goes out */
			else
				c->in_len += (size_t)n;
		}
		if (c->cev == EPOLLIN)
			gc_want(g, c, 0, gc_busy_interest(c));
		return;
	}
	if (c->state != CS_IDLE && c->state != CS_HEAD && c->state != CS_BODY)
		return;
	if (in_reserve(g, c, 4096) != 0 && c->in_cap == c->in_len) {
		/* The caps bound every request below max_in: only a client
		 * that keeps sending after its request gets here. */
		gc_refuse(g, c, c->state == CS_BODY ? GR_BODY_TOO_LARGE : GR_HEADER_TOO_LARGE, 0);
		return;
	}
	n = gc_c_recv(c, c->in + c->in_len, c->in_cap - c->in_len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		if (c->ssl != NULL)
			gc_want(g, c, 0, c->tls_want == GUARD_TLS_WANT_WRITE ? EPOLLOUT : EPOLLIN);
		return;
	}
	if (n <= 0) {
		if (c->state == CS_BODY || c->state == CS_HEAD)
			gc_audit(g, c, 0, GR_NONE);
		gc_conn_close(g, c);
		return;
	}
	c->in_len += (size_t)n;
	gc_advance(g, c);
}

/* Read while TLS holds decrypted bytes epoll cannot see. */
void
gc_client_read_all(struct guard *g, struct gconn *c)
{
	for (int i = 0; i < 64; i++) {
		gc_client_readable(g, c);
		if (c->state == CS_FREE || c->ssl == NULL || guard_tls_pending(c->ssl) == 0 ||
		    (c->state != CS_IDLE && c->state != CS_HEAD && c->state != CS_BODY))
			return;
	}
}

void
gc_tls_step(struct guard *g, struct gconn *c)
{
	int need = 0, reason = GR_TLS_HANDSHAKE;
	int rc = guard_tls_handshake(c->ssl, &need, &reason, c->cn, sizeof(c->cn));

	if (rc == 0) {
		gc_want(g, c, 0, need == GUARD_TLS_WANT_WRITE ? EPOLLOUT : EPOLLIN);
		return;
	}
	if (rc < 0) {
		g->st.rejected[reason]++;
		gc_audit(g, c, 0, reason);
		gc_conn_close(g, c);
		return;
	}
	c->state = CS_IDLE;
	c->deadline = ward_now_ns() + gc_ms_ns(g->gp->idle_timeout_ms);
	gc_want(g, c, 0, EPOLLIN);
	gc_client_read_all(g, c); /* the request may have come with the handshake */
}
