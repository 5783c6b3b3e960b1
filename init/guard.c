/* guard.c: the endpoint guard's connections: read, judge, forward, stream
 * (see guard.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "guard.h"
#include "guard_keys.h"
#include "jlog.h"
#include "policy.h"

#define RB_SIZE 65536		/* response bytes in flight per connection */
#define LINGER_NS 1000000000ull /* draining after a refusal */
#define CONNECT_TIMEOUT_NS 5000000000ull
#define APP_METRICS_MAX (256u << 10)
#define APP_SOCKET_MS 50 /* the server's metrics socket must answer this fast */

enum cstate {
	CS_FREE = 0,
	CS_IDLE,     /* waiting for a request (keep-alive) */
	CS_HEAD,     /* reading a head */
	CS_BODY,     /* reading a body */
	CS_UPSTREAM, /* connecting, sending, waiting for the response head */
	CS_RESPONSE, /* streaming the response */
	CS_REFUSE,   /* writing the guard's own answer */
	CS_LINGER,   /* answered and shut down: draining until EOF */
};

enum rstate { RS_HEAD, RS_CL, RS_CHUNKED, RS_CLOSE, RS_DONE };

struct gconn {
	int state;
	int cfd, ufd;
	uint32_t cev, uev; /* registered epoll events */
	char peer[INET6_ADDRSTRLEN];
	uint64_t deadline;
	/* the request */
	char *in;
	size_t in_len, in_cap;
	struct gh_scan scan;
	size_t head_start, head_len, body_end;
	uint64_t body_left; /* Content-Length bytes still to come */
	int body_chunked;
	struct gh_chunked ch;
	size_t ch_pos; /* bytes of in already fed to ch */
	int keep_alive, method, minor;
	char path[160]; /* for the audit line */
	long route;	/* allow index, -1 none */
	struct guard_key_stat *key;
	int counted_inflight;
	uint64_t t_head, t_first;
	/* upstream */
	char *uhead;
	size_t uhead_len, uhead_cap, usent; /* usent: bytes of head + body sent */
	int connecting, reused, retried, upstream_ok;
	/* the response */
	char *rb;
	size_t rb_len, rb_off, rs_start;
	struct gh_scan rscan;
	struct gh_response resp;
	int rstate, status;
	uint64_t resp_left;
	struct gh_chunked rch;
	struct guard_usage usage;
	uint64_t bytes_in, bytes_out;
	/* the guard's own answers (refusals, 100 Continue) */
	char own[640];
	size_t own_len, own_off;
	int close_after_own;
	int close_delimited; /* the response ends when the server closes */
	int in_advance, again;
};

struct guard {
	const struct guard_policy *gp;
	int lfd, ep;
	uint64_t tag;
	struct gconn *c;
	size_t nc, hi; /* slots; highest used + 1 */
	struct guard_keyset keys;
	struct guard_stats st;
	struct sockaddr_storage up;
	socklen_t uplen;
	size_t max_in;
	struct gh_request req; /* scratch: one request is parsed at a time */
	char target[3 * GH_MAX_PATH + 8];
	char *app; /* app metrics scratch */
};

static uint64_t
ms_ns(unsigned ms)
{
	return (uint64_t)ms * 1000000ull;
}

/* ------------------------------------------------------------ epoll */

static uint64_t
tag_of(const struct guard *g, const struct gconn *c, int upstream)
{
	return g->tag + 1 + (uint64_t)(c - g->c) * 2 + (uint64_t)upstream;
}

static void
want(struct guard *g, struct gconn *c, int upstream, uint32_t ev)
{
	int fd = upstream ? c->ufd : c->cfd;
	uint32_t *cur = upstream ? &c->uev : &c->cev;
	struct epoll_event e = {.events = ev, .data.u64 = tag_of(g, c, upstream)};

	if (fd < 0 || *cur == ev)
		return;
	/* Not interested: out of the set entirely, or a hang-up would be
	 * reported (level-triggered) on every wait. */
	if (ev == 0)
		epoll_ctl(g->ep, EPOLL_CTL_DEL, fd, NULL);
	else
		epoll_ctl(g->ep, *cur == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &e);
	*cur = ev;
}

static void
upstream_close(struct guard *g, struct gconn *c)
{
	if (c->ufd >= 0) {
		if (c->uev != 0)
			epoll_ctl(g->ep, EPOLL_CTL_DEL, c->ufd, NULL);
		close(c->ufd);
	}
	c->ufd = -1;
	c->uev = 0;
	c->connecting = 0;
}

static void
release_inflight(struct guard *g, struct gconn *c)
{
	if (!c->counted_inflight)
		return;
	c->counted_inflight = 0;
	g->st.inflight--;
	if (c->key != NULL && c->key->inflight > 0)
		c->key->inflight--;
}

static void
conn_close(struct guard *g, struct gconn *c)
{
	release_inflight(g, c);
	upstream_close(g, c);
	if (c->cfd >= 0) {
		if (c->cev != 0)
			epoll_ctl(g->ep, EPOLL_CTL_DEL, c->cfd, NULL);
		close(c->cfd);
		g->st.connections_open--;
	}
	free(c->in);
	free(c->uhead);
	free(c->rb);
	memset(c, 0, sizeof(*c));
	c->cfd = c->ufd = -1;
	c->state = CS_FREE;
}

/* ------------------------------------------------------------ audit */

static void
audit(struct guard *g, struct gconn *c, int status, int reason)
{
	struct jlog l;
	uint64_t now = ward_now_ns();

	if (!g->gp->audit_log)
		return;
	jlog_begin(&l, WARD_LOG_INFO, "request");
	jlog_str(&l, "peer", c->peer);
	if (c->method >= 0 && c->path[0] != '\0') {
		static const char *const names[] = {"GET",    "HEAD",  "POST",	  "PUT",
						    "DELETE", "PATCH", "OPTIONS", "OTHER"};
		jlog_str(&l, "method", names[c->method]);
		jlog_str(&l, "path", c->path);
	}
	jlog_str(&l, "route", c->route >= 0 ? g->gp->allow[c->route].path : "-");
	jlog_str(&l, "key", c->key ? c->key->id : "-");
	jlog_int(&l, "status", status);
	if (reason != GR_NONE)
		jlog_str(&l, "reason", guard_reason_name(reason));
	jlog_uint(&l, "bytes_in", c->bytes_in);
	jlog_uint(&l, "bytes_out", c->bytes_out);
	if (c->t_head)
		jlog_num(&l, "ms", (double)(now - c->t_head) / 1e6);
	if (c->t_first)
		jlog_num(&l, "upstream_ms", (double)(c->t_first - c->t_head) / 1e6);
	if (c->key != NULL && guard_usage_tokens(&c->usage) > 0)
		jlog_uint(&l, "tokens", guard_usage_tokens(&c->usage));
	jlog_end(&l);
}

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

static void flush_client(struct guard *g, struct gconn *c);

/* Answer with the guard's own status (a refusal or an upstream failure),
 * counted and logged; close afterwards unless keep says otherwise. */
static void
answer(struct guard *g, struct gconn *c, int code, int reason, const char *what, int keep)
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
	audit(g, c, code, reason);
	release_inflight(g, c);
	c->state = CS_REFUSE;
	c->deadline = ward_now_ns() + LINGER_NS;
	want(g, c, 0, EPOLLOUT);
	flush_client(g, c);
}

static void
refuse(struct guard *g, struct gconn *c, int reason, int keep)
{
	answer(g, c, guard_reason_status(reason), reason, guard_reason_name(reason), keep);
}

/* ------------------------------------------------------------ requests */

static void advance(struct guard *g, struct gconn *c);
static void upstream_start(struct guard *g, struct gconn *c);

static void
reset_request(struct gconn *c)
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
	if (gp->auth_required && gp->allow[idx].auth) {
		size_t off = 0, len = 0;
		int k;
		if ((rc = guard_credential(c->in, r, &off, &len)) != GR_NONE)
			return rc;
		if ((k = guard_keys_match(&g->keys, c->in + off, len)) < 0)
			return GR_AUTH_INVALID;
		c->key = guard_stats_key(&g->st, g->keys.v[k].id);
	}
	if ((r->has_length && r->length > gp->body_bytes))
		return GR_BODY_TOO_LARGE;
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
		refuse(g, c, r->reason, 0);
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
		refuse(g, c, reason, c->keep_alive && !body);
		return;
	}
	if (build_upstream_head(g, c, r) != 0) {
		refuse(g, c, GR_BAD_TARGET, 0);
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
		if (send(c->cfd, cont, sizeof(cont) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) > 0)
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
			refuse(g, c, c->ch.reason, 0);
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
	upstream_start(g, c);
}

static void
advance_once(struct guard *g, struct gconn *c)
{
	if (c->state == CS_IDLE && c->in_len > 0) {
		c->state = CS_HEAD;
		c->deadline = ward_now_ns() + ms_ns(g->gp->request_timeout_ms);
	}
	if (c->state == CS_HEAD) {
		long h = gh_head_scan(&c->scan, c->in, c->in_len, g->gp->header_bytes);
		if (h < 0) {
			refuse(g, c, c->scan.reason, 0);
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
static void
advance(struct guard *g, struct gconn *c)
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

static void
client_readable(struct guard *g, struct gconn *c)
{
	ssize_t n;

	if (c->state == CS_LINGER) {
		char sink[4096];
		n = recv(c->cfd, sink, sizeof(sink), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			conn_close(g, c);
		return;
	}
	if (c->state != CS_IDLE && c->state != CS_HEAD && c->state != CS_BODY)
		return;
	if (in_reserve(g, c, 4096) != 0 && c->in_cap == c->in_len) {
		/* The caps bound every request below max_in: only a client
		 * that keeps sending after its request gets here. */
		refuse(g, c, c->state == CS_BODY ? GR_BODY_TOO_LARGE : GR_HEADER_TOO_LARGE, 0);
		return;
	}
	n = recv(c->cfd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (c->state == CS_BODY || c->state == CS_HEAD)
			audit(g, c, 0, GR_NONE);
		conn_close(g, c);
		return;
	}
	c->in_len += (size_t)n;
	advance(g, c);
}

/* ------------------------------------------------------------ upstream */

static void upstream_fail(struct guard *g, struct gconn *c, int kind);
static void upstream_send(struct guard *g, struct gconn *c);

static int
upstream_connect(struct guard *g, struct gconn *c)
{
	int fd = socket(g->up.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
	struct epoll_event e = {.events = EPOLLOUT, .data.u64 = tag_of(g, c, 1)};

	if (fd < 0)
		return -1;
	if (g->up.ss_family != AF_UNIX)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&g->up, g->uplen) != 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	if (epoll_ctl(g->ep, EPOLL_CTL_ADD, fd, &e) != 0) {
		close(fd);
		return -1;
	}
	c->ufd = fd;
	c->uev = EPOLLOUT;
	c->connecting = 1;
	c->reused = 0;
	return 0;
}

static void
upstream_start(struct guard *g, struct gconn *c)
{
	c->state = CS_UPSTREAM;
	c->deadline = ward_now_ns() + ms_ns(g->gp->upstream_timeout_ms);
	c->usent = 0;
	c->rb_len = c->rb_off = c->rs_start = 0;
	c->rstate = RS_HEAD;
	memset(&c->rscan, 0, sizeof(c->rscan));
	c->rscan.leading = -1;
	want(g, c, 0, 0);
	if (c->rb == NULL && (c->rb = malloc(RB_SIZE)) == NULL) {
		upstream_fail(g, c, GU_CONNECT);
		return;
	}
	if (c->ufd < 0) {
		if (upstream_connect(g, c) != 0) {
			upstream_fail(g, c, GU_CONNECT);
			return;
		}
		c->deadline = ward_now_ns() + CONNECT_TIMEOUT_NS;
		return; /* EPOLLOUT says when */
	}
	c->reused = 1;
	upstream_send(g, c);
}

static void
upstream_send(struct guard *g, struct gconn *c)
{
	size_t body = c->body_end - c->head_len;

	while (c->usent < c->uhead_len + body) {
		struct iovec iov[2];
		int n = 0;
		if (c->usent < c->uhead_len) {
			iov[n].iov_base = c->uhead + c->usent;
			iov[n++].iov_len = c->uhead_len - c->usent;
			iov[n].iov_base = c->in + c->head_len;
			iov[n++].iov_len = body;
		} else {
			iov[n].iov_base = c->in + c->head_len + (c->usent - c->uhead_len);
			iov[n++].iov_len = body - (c->usent - c->uhead_len);
		}
		struct msghdr m = {.msg_iov = iov, .msg_iovlen = (size_t)n};
		ssize_t w = sendmsg(c->ufd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			want(g, c, 1, EPOLLOUT);
			return;
		}
		if (w < 0) {
			upstream_fail(g, c, GU_RESET);
			return;
		}
		c->usent += (size_t)w;
	}
	want(g, c, 1, EPOLLIN);
}

static void finish(struct guard *g, struct gconn *c);

static void
on_resp_data(void *ctx, const char *p, size_t n)
{
	struct gconn *c = ctx;

	if (c->key != NULL)
		guard_usage_feed(&c->usage, p, n);
}

/* Frame the response bytes rb[from..rb_len): returns -1 on a framing
 * error; truncates rb_len at the end of the response. */
static int
frame_body(struct gconn *c, size_t from)
{
	size_t avail = c->rb_len - from;

	if (c->rstate == RS_CL) {
		size_t take = avail < c->resp_left ? avail : (size_t)c->resp_left;
		on_resp_data(c, c->rb + from, take);
		c->resp_left -= take;
		if (c->resp_left == 0) {
			c->rstate = RS_DONE;
			if (take < avail)
				c->upstream_ok = 0, c->rb_len = from + take;
		}
	} else if (c->rstate == RS_CHUNKED) {
		long used = gh_chunked_feed(&c->rch, c->rb + from, avail, on_resp_data, c);
		if (used < 0)
			return -1;
		if (c->rch.state == GC_DONE) {
			c->rstate = RS_DONE;
			if ((size_t)used < avail)
				c->upstream_ok = 0, c->rb_len = from + (size_t)used;
		}
	} else if (c->rstate == RS_CLOSE) {
		on_resp_data(c, c->rb + from, avail);
	}
	return 0;
}

/* Look for the response head in rb (after interim 1xx responses). */
static int
response_head(struct guard *g, struct gconn *c)
{
	for (;;) {
		long h = gh_head_scan(&c->rscan, c->rb + c->rs_start, c->rb_len - c->rs_start,
				      RB_SIZE / 2);
		if (h < 0)
			return -1;
		if (h == 0)
			return c->rb_len == RB_SIZE ? -1 : 0;
		if (gh_parse_response(c->rb + c->rs_start, (size_t)h, &c->resp) != 0)
			return -1;
		if (c->resp.status == 101)
			return -1; /* no upgrade was asked for */
		if (c->resp.chunked && c->minor == 0)
			return -1; /* an HTTP/1.0 client could not read it (RFC 9112 6.1) */
		if (c->resp.status < 200) {
			/* interim: passed on as it is, then the real head */
			c->rs_start += (size_t)h;
			memset(&c->rscan, 0, sizeof(c->rscan));
			c->rscan.leading = -1;
			continue;
		}
		size_t body = c->rs_start + (size_t)h;
		c->status = c->resp.status;
		c->t_first = ward_now_ns();
		c->upstream_ok = !c->resp.close;
		if (c->resp.event_stream)
			g->st.sse_streams++;
		if (c->method == GM_HEAD || c->status == 204 || c->status == 304) {
			c->rstate = RS_DONE;
			if (body < c->rb_len)
				c->upstream_ok = 0, c->rb_len = body;
		} else if (c->resp.chunked) {
			c->rstate = RS_CHUNKED;
			memset(&c->rch, 0, sizeof(c->rch));
		} else if (c->resp.has_length) {
			c->rstate = RS_CL;
			c->resp_left = c->resp.length;
			if (c->resp_left == 0) {
				c->rstate = RS_DONE;
				if (body < c->rb_len)
					c->upstream_ok = 0, c->rb_len = body;
			}
		} else {
			c->rstate = RS_CLOSE;
			c->upstream_ok = 0;
			c->close_delimited = 1;
		}
		c->state = CS_RESPONSE;
		return frame_body(c, body);
	}
}

static void
upstream_fail(struct guard *g, struct gconn *c, int kind)
{
	int partial = c->state == CS_RESPONSE;

	g->st.upstream_errors[kind]++;
	upstream_close(g, c);
	if (!partial && kind != GU_TIMEOUT && c->reused && !c->retried && c->rb_len == 0) {
		/* A kept-alive connection the server had closed: once more. */
		c->retried = 1;
		upstream_start(g, c);
		return;
	}
	if (c->route >= 0)
		g->st.routes[c->route].codes[partial ? c->status / 100 : 5]++;
	if (partial) {
		/* Part of the response is out: the client learns by the close. */
		audit(g, c, c->status, GR_NONE);
		conn_close(g, c);
		return;
	}
	c->keep_alive = 0;
	answer(g, c, kind == GU_TIMEOUT ? 504 : 502, GR_NONE,
	       kind == GU_TIMEOUT ? "upstream_timeout" : "upstream_error", 0);
}

static void
upstream_readable(struct guard *g, struct gconn *c)
{
	size_t from;
	ssize_t n;

	if (c->state != CS_UPSTREAM && c->state != CS_RESPONSE) {
		/* An idle kept connection: the server closed it, or spoke out
		 * of turn; either way it is not reused. */
		upstream_close(g, c);
		return;
	}
	if (c->state == CS_RESPONSE) {
		if (c->rb_off < c->rb_len)
			return;
		c->rb_off = c->rb_len = 0;
	}
	from = c->rb_len;
	n = recv(c->ufd, c->rb + c->rb_len, RB_SIZE - c->rb_len, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (c->state == CS_RESPONSE && c->rstate == RS_CLOSE) {
			c->rstate = RS_DONE;
			upstream_close(g, c);
			flush_client(g, c);
			return;
		}
		upstream_fail(g, c, GU_RESET);
		return;
	}
	c->rb_len += (size_t)n;
	c->deadline = ward_now_ns() + ms_ns(g->gp->upstream_timeout_ms);
	if (c->state == CS_UPSTREAM) {
		int rc = response_head(g, c);
		if (rc < 0) {
			upstream_fail(g, c, GU_BAD_RESPONSE);
			return;
		}
		if (c->state == CS_UPSTREAM)
			return; /* head not complete yet */
	} else if (frame_body(c, from) != 0) {
		upstream_fail(g, c, GU_BAD_RESPONSE);
		return;
	}
	flush_client(g, c);
}

/* ------------------------------------------------------------ to the client */

static void
flush_client(struct guard *g, struct gconn *c)
{
	if (c->state == CS_REFUSE) {
		while (c->own_off < c->own_len) {
			ssize_t w = send(c->cfd, c->own + c->own_off, c->own_len - c->own_off,
					 MSG_NOSIGNAL | MSG_DONTWAIT);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0 && errno == EAGAIN)
				return;
			if (w <= 0) {
				conn_close(g, c);
				return;
			}
			c->own_off += (size_t)w;
		}
		if (c->close_after_own) {
			/* Unread input would turn close() into a reset that can
			 * destroy the answer: shut down our side and drain. */
			upstream_close(g, c);
			shutdown(c->cfd, SHUT_WR);
			c->state = CS_LINGER;
			c->deadline = ward_now_ns() + LINGER_NS;
			want(g, c, 0, EPOLLIN);
			return;
		}
		/* Keep-alive after a refusal without a body: the next request. */
		size_t used = c->head_len;
		memmove(c->in, c->in + used, c->in_len - used);
		c->in_len -= used;
		reset_request(c);
		c->state = CS_IDLE;
		c->deadline = ward_now_ns() + ms_ns(g->gp->idle_timeout_ms);
		want(g, c, 0, EPOLLIN);
		advance(g, c);
		return;
	}
	if (c->state != CS_RESPONSE)
		return;
	while (c->rb_off < c->rb_len) {
		ssize_t w = send(c->cfd, c->rb + c->rb_off, c->rb_len - c->rb_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			want(g, c, 0, EPOLLOUT);
			want(g, c, 1, 0);
			return;
		}
		if (w <= 0) {
			/* The client went away mid-response. */
			if (c->route >= 0)
				g->st.routes[c->route].codes[c->status / 100]++;
			audit(g, c, c->status, GR_NONE);
			conn_close(g, c);
			return;
		}
		c->rb_off += (size_t)w;
		c->bytes_out += (size_t)w;
		c->deadline = ward_now_ns() + ms_ns(g->gp->upstream_timeout_ms);
	}
	want(g, c, 0, 0);
	if (c->rstate == RS_DONE) {
		finish(g, c);
		return;
	}
	want(g, c, 1, EPOLLIN);
}

/* The response went out whole. */
static void
finish(struct guard *g, struct gconn *c)
{
	uint64_t now = ward_now_ns();
	uint64_t tokens = guard_usage_tokens(&c->usage);

	if (c->route >= 0) {
		struct guard_route_stat *rs = &g->st.routes[c->route];
		rs->codes[c->status / 100]++;
		rs->bytes_in += c->bytes_in;
		rs->bytes_out += c->bytes_out;
		guard_hist_add(&rs->duration, (double)(now - c->t_head) / 1e9);
		guard_hist_add(&rs->first_byte, (double)(c->t_first - c->t_head) / 1e9);
	}
	if (c->key != NULL) {
		c->key->codes[c->status / 100]++;
		c->key->tokens += tokens;
		if (g->gp->key_tokens)
			guard_budget_spend(&c->key->budget, tokens);
	}
	audit(g, c, c->status, GR_NONE);
	release_inflight(g, c);
	if (!c->upstream_ok)
		upstream_close(g, c);
	if (!c->keep_alive || c->close_delimited) {
		conn_close(g, c);
		return;
	}
	size_t used = c->body_end;
	memmove(c->in, c->in + used, c->in_len - used);
	c->in_len -= used;
	if (c->in_cap > 65536 && c->in_len < 4096) {
		/* do not keep a large body's buffer on an idle connection */
		char *n = realloc(c->in, 4096);
		if (n != NULL) {
			c->in = n;
			c->in_cap = 4096;
		}
	}
	reset_request(c);
	c->state = CS_IDLE;
	c->deadline = now + ms_ns(g->gp->idle_timeout_ms);
	want(g, c, 0, EPOLLIN);
	if (c->ufd >= 0)
		want(g, c, 1, EPOLLIN); /* notice the server closing it */
	advance(g, c);
}

/* ------------------------------------------------------------ accept */

static void
accept_all(struct guard *g)
{
	for (int k = 0; k < 64; k++) {
		struct sockaddr_storage sa;
		socklen_t sl = sizeof(sa);
		int fd = accept4(g->lfd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		size_t i;
		int one = 1;
		if (fd < 0)
			return;
		g->st.connections_total++;
		for (i = 0; i < g->nc && g->c[i].state != CS_FREE; i++)
			;
		if (i == g->nc) {
			static const char busy[] =
				"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
				"Connection: close\r\n\r\n";
			g->st.rejected[GR_CONNECTION_LIMIT]++;
			send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			continue;
		}
		struct gconn *c = &g->c[i];
		memset(c, 0, sizeof(*c));
		c->cfd = fd;
		c->ufd = -1;
		struct epoll_event e = {.events = EPOLLIN, .data.u64 = tag_of(g, c, 0)};
		if (epoll_ctl(g->ep, EPOLL_CTL_ADD, fd, &e) != 0) {
			close(fd);
			c->cfd = -1;
			continue;
		}
		c->cev = EPOLLIN;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (sa.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, c->peer,
				  sizeof(c->peer));
		else if (sa.ss_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, c->peer,
				  sizeof(c->peer));
		else
			snprintf(c->peer, sizeof(c->peer), "local");
		reset_request(c);
		c->state = CS_IDLE;
		c->deadline = ward_now_ns() + ms_ns(g->gp->idle_timeout_ms);
		g->st.connections_open++;
		if (i + 1 > g->hi)
			g->hi = i + 1;
	}
}

/* ------------------------------------------------------------ the interface */

int
guard_listen(const char *addr)
{
	unsigned char sa[sizeof(struct sockaddr_in6)];
	unsigned len = sizeof(sa);
	int fd, one = 1;

	if (policy_parse_addr(addr, sa, &len) != 0)
		return -1;
	fd = socket(((struct sockaddr *)sa)->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return ward_errno(WARD_EENV, "guard listener %s", addr);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)sa, len) != 0 || listen(fd, 1024) != 0) {
		ward_errno(WARD_EENV, "guard listener %s: cannot listen", addr);
		close(fd);
		return -1;
	}
	return fd;
}

static int
upstream_addr(struct guard *g)
{
	const char *u = g->gp->upstream;

	memset(&g->up, 0, sizeof(g->up));
	if (strncmp(u, "unix:", 5) == 0) {
		struct sockaddr_un *s = (struct sockaddr_un *)&g->up;
		s->sun_family = AF_UNIX;
		if (strlen(u + 5) >= sizeof(s->sun_path))
			return ward_err(WARD_EINPUT, "guard.upstream: socket path too long");
		memcpy(s->sun_path, u + 5, strlen(u + 5) + 1);
		g->uplen = (socklen_t)sizeof(*s);
		return 0;
	}
	unsigned len = sizeof(g->up);
	if (policy_parse_addr(u, &g->up, &len) != 0)
		return -1;
	g->uplen = len;
	return 0;
}

static void
sync_key_stats(struct guard *g)
{
	for (size_t i = 0; i < g->st.nkeys; i++)
		g->st.keys[i].live = 0;
	for (size_t i = 0; i < g->keys.n; i++) {
		struct guard_key_stat *k = guard_stats_key(&g->st, g->keys.v[i].id);
		if (k != NULL)
			k->live = 1;
	}
	g->st.keys_loaded = g->keys.n;
}

struct guard *
guard_new(const struct guard_policy *gp, int lfd, int ep, uint64_t tag_base)
{
	struct guard *g = ward_calloc(1, sizeof(*g));
	struct epoll_event e = {.events = EPOLLIN, .data.u64 = tag_base};

	if (g == NULL)
		return NULL;
	g->gp = gp;
	g->lfd = lfd;
	g->ep = ep;
	g->tag = tag_base;
	g->nc = gp->connections;
	g->max_in =
		(size_t)gp->header_bytes + (size_t)gp->body_bytes + (size_t)gp->chunks * 24 + 8192;
	g->c = ward_calloc(g->nc, sizeof(*g->c));
	g->st.routes = ward_calloc(gp->nallow + 1, sizeof(*g->st.routes));
	g->st.keys = ward_calloc(GUARD_KEY_STATS, sizeof(*g->st.keys));
	g->st.nroutes = gp->nallow;
	if (g->c == NULL || g->st.routes == NULL || g->st.keys == NULL || upstream_addr(g) != 0)
		goto fail;
	for (size_t i = 0; i < g->nc; i++)
		g->c[i].cfd = g->c[i].ufd = -1;
	if (guard_keys_load(gp, &g->keys) != 0) {
		if (gp->auth_required)
			goto fail;
		jlog_msg(WARD_LOG_WARN, "guard_keys_failed", ward_errmsg());
	}
	sync_key_stats(g);
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &e) != 0) {
		ward_errno(WARD_EENV, "epoll");
		goto fail;
	}
	return g;
fail:
	guard_keyset_free(&g->keys);
	free(g->c);
	free(g->st.routes);
	free(g->st.keys);
	free(g);
	return NULL;
}

uint64_t
guard_tag_count(const struct guard *g)
{
	return 1 + 2 * (uint64_t)g->nc;
}

void
guard_event(struct guard *g, uint64_t tag, uint32_t events)
{
	struct gconn *c;
	uint64_t k;

	if (tag == g->tag) {
		accept_all(g);
		return;
	}
	if (tag <= g->tag || tag >= g->tag + guard_tag_count(g))
		return;
	k = tag - g->tag - 1;
	c = &g->c[k / 2];
	if (c->state == CS_FREE)
		return;
	if (k % 2 == 0) {
		if ((events & (EPOLLHUP | EPOLLERR)) &&
		    (c->state == CS_UPSTREAM || c->state == CS_RESPONSE)) {
			/* the client is gone while its request was served */
			if (c->route >= 0)
				g->st.routes[c->route].codes[c->status / 100]++;
			audit(g, c, c->status, GR_NONE);
			conn_close(g, c);
			return;
		}
		if ((events & EPOLLOUT) ||
		    (c->state == CS_REFUSE && (events & (EPOLLHUP | EPOLLERR))))
			flush_client(g, c);
		else if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			client_readable(g, c);
		else if ((events & (EPOLLHUP | EPOLLERR)) && c->state != CS_FREE)
			conn_close(g, c);
		return;
	}
	if (c->ufd < 0)
		return;
	if (c->connecting && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		int err = 0;
		socklen_t el = sizeof(err);
		c->connecting = 0;
		if (getsockopt(c->ufd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0) {
			upstream_fail(g, c, GU_CONNECT);
			return;
		}
		c->deadline = ward_now_ns() + ms_ns(g->gp->upstream_timeout_ms);
		upstream_send(g, c);
		return;
	}
	if ((events & EPOLLOUT) && c->state == CS_UPSTREAM) {
		upstream_send(g, c);
		return;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		upstream_readable(g, c);
}

int
guard_timeout_ms(const struct guard *g, uint64_t now)
{
	uint64_t next = 0;

	for (size_t i = 0; i < g->hi; i++)
		if (g->c[i].state != CS_FREE && (next == 0 || g->c[i].deadline < next))
			next = g->c[i].deadline;
	if (next == 0)
		return -1;
	return next <= now ? 0 : (int)((next - now) / 1000000u) + 1;
}

void
guard_expire(struct guard *g, uint64_t now)
{
	for (size_t i = 0; i < g->hi; i++) {
		struct gconn *c = &g->c[i];
		if (c->state == CS_FREE || c->deadline > now)
			continue;
		switch (c->state) {
		case CS_HEAD:
		case CS_BODY:
			refuse(g, c, GR_REQUEST_TIMEOUT, 0);
			break;
		case CS_UPSTREAM:
			upstream_fail(g, c, c->connecting ? GU_CONNECT : GU_TIMEOUT);
			break;
		case CS_RESPONSE:
			/* the server stalled, or the client stopped reading */
			g->st.upstream_errors[GU_TIMEOUT]++;
			if (c->route >= 0)
				g->st.routes[c->route].codes[c->status / 100]++;
			audit(g, c, c->status, GR_NONE);
			conn_close(g, c);
			break;
		default: /* idle, lingering, an answer nobody reads */
			conn_close(g, c);
		}
	}
	while (g->hi > 0 && g->c[g->hi - 1].state == CS_FREE)
		g->hi--;
}

int
guard_reload(struct guard *g)
{
	struct guard_keyset ks = {0};
	struct jlog l;

	if (guard_keys_load(g->gp, &ks) != 0) {
		g->st.key_reloads_failed++;
		jlog_msg(WARD_LOG_ERROR, "guard_keys_reload_failed", ward_errmsg());
		return -1;
	}
	guard_keyset_free(&g->keys);
	g->keys = ks;
	sync_key_stats(g);
	g->st.key_reloads_ok++;
	jlog_begin(&l, WARD_LOG_INFO, "guard_keys_reloaded");
	jlog_uint(&l, "keys", g->keys.n);
	jlog_end(&l);
	return 0;
}

/* The server's own metrics from its unix socket: GET /metrics, answered
 * within APP_SOCKET_MS or skipped (the helper's loop waits for it). */
static size_t
app_metrics_socket(struct guard *g)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	static const char req[] = "GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n";
	uint64_t end = ward_now_ns() + (uint64_t)APP_SOCKET_MS * 1000000u;
	size_t len = 0;
	int fd, ok = 0;

	memcpy(sa.sun_path, g->gp->app_metrics_unix, strlen(g->gp->app_metrics_unix) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)sizeof(req) - 1) {
		close(fd);
		return 0;
	}
	for (;;) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		uint64_t now = ward_now_ns();
		if (now >= end || len == APP_METRICS_MAX)
			break;
		if (poll(&pf, 1, (int)((end - now) / 1000000u) + 1) <= 0)
			break;
		ssize_t n = recv(fd, g->app + len, APP_METRICS_MAX - len, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			ok = n == 0;
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	/* a complete HTTP answer: 200, then the body after the head */
	char *body = ok ? memmem(g->app, len, "\r\n\r\n", 4) : NULL;
	if (body == NULL || len < 12 || memcmp(g->app + 9, "200", 3) != 0)
		return 0;
	body += 4;
	len -= (size_t)(body - g->app);
	memmove(g->app, body, len);
	return len + 1; /* +1: "read, possibly empty" */
}

/* The server's own metrics into g->app: a text file it writes (read whole,
 * bounded, never blocking on a FIFO), or its unix socket.  Returns the
 * length + 1, 0 when there is nothing (counted). */
static size_t
app_metrics_fetch(struct guard *g)
{
	const struct guard_policy *gp = g->gp;
	struct stat sb;
	size_t len = 0;
	int fd;

	if (gp->app_metrics_file == NULL && gp->app_metrics_unix == NULL)
		return 0;
	if (g->app == NULL && (g->app = malloc(APP_METRICS_MAX)) == NULL)
		return 0;
	if (gp->app_metrics_unix != NULL) {
		if ((len = app_metrics_socket(g)) == 0) {
			g->st.app_metrics_failed++;
			return 0;
		}
		len--;
	} else {
		fd = open(gp->app_metrics_file, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
			if (fd >= 0)
				close(fd);
			g->st.app_metrics_failed++;
			return 0;
		}
		while (len < APP_METRICS_MAX) {
			ssize_t n = read(fd, g->app + len, APP_METRICS_MAX - len);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			len += (size_t)n;
		}
		close(fd);
	}
	g->st.app_metrics_ok++;
	return len + 1;
}

size_t
guard_metrics(struct guard *g, char *out, size_t cap)
{
	size_t app = app_metrics_fetch(g), n, m = 0;
	uint64_t dropped = 0;

	/* filter first so that this scrape's drops are in the counters below */
	if (app > 0) {
		m = guard_app_metrics_filter(g->app, app - 1, g->gp->app_metrics_prefix, out,
					     cap / 2, &dropped);
		g->st.app_lines_dropped += dropped;
		memmove(g->app, out, m);
	}
	n = guard_metrics_render(&g->st, g->gp, out, cap - m);
	if (n == 0)
		return 0;
	if (m > 0)
		memcpy(out + n, g->app, m);
	return n + m;
}

const struct guard_stats *
guard_stats(const struct guard *g)
{
	return &g->st;
}

void
guard_free(struct guard *g)
{
	if (g == NULL)
		return;
	for (size_t i = 0; i < g->nc; i++)
		if (g->c[i].state != CS_FREE)
			conn_close(g, &g->c[i]);
	close(g->lfd);
	guard_keyset_free(&g->keys);
	free(g->c);
	free(g->st.routes);
	free(g->st.keys);
	free(g->app);
	free(g);
}
