/* serve.c: a small, bounded HTTP/1.1 server for /metrics and /healthz. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http.h"
#include "metrics.h"
#include "policy.h"
#include "serve.h"

#define OUT_MAX (METRICS_MAX + 512)

struct conn {
	int fd; /* -1: free slot */
	char in[HTTP_MAX_REQUEST];
	size_t inlen;
	char *out; /* allocated once per slot, reused */
	size_t outlen, outoff;
	int close_after;
	int linger;   /* close after an error answer: drain the input first */
	int draining; /* answered an error: discard input until EOF, then close */
	uint64_t deadline_ns;
};

struct serve {
	int lfd, ep;
	uint64_t tag;
	struct init_state *st;
	struct conn c[SERVE_MAX_CONNS];
	char body[METRICS_MAX];
};

int
serve_listen(const char *addr)
{
	unsigned char sa[sizeof(struct sockaddr_in6)];
	unsigned len = sizeof(sa);
	int fd, one = 1;

	if (policy_parse_addr(addr, sa, &len) != 0)
		return -1;
	fd = socket(((struct sockaddr *)sa)->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return ward_errno(WARD_EENV, "metrics listener %s", addr);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)sa, len) != 0 || listen(fd, 64) != 0) {
		ward_errno(WARD_EENV, "metrics listener %s: cannot listen", addr);
		close(fd);
		return -1;
	}
	return fd;
}

struct serve *
serve_new(int lfd, int ep, uint64_t tag, struct init_state *st)
{
	struct serve *s = ward_calloc(1, sizeof(*s));
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = tag};

	if (s == NULL)
		return NULL;
	s->lfd = lfd;
	s->ep = ep;
	s->tag = tag;
	s->st = st;
	for (int i = 0; i < SERVE_MAX_CONNS; i++)
		s->c[i].fd = -1;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) != 0) {
		free(s);
		ward_errno(WARD_EENV, "epoll");
		return NULL;
	}
	return s;
}

static void
conn_close(struct serve *s, struct conn *c)
{
	epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	c->inlen = c->outlen = c->outoff = 0;
	c->close_after = c->draining = c->linger = 0;
}

static int
slot_of(const struct serve *s, const struct conn *c)
{
	return (int)(c - s->c);
}

static void
want(struct serve *s, struct conn *c, uint32_t events)
{
	struct epoll_event ev = {.events = events,
				 .data.u64 = s->tag + 1 + (uint64_t)slot_of(s, c)};

	epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static uint64_t
self_rss(void)
{
	char buf[128];
	unsigned long long size, rss;
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (sscanf(buf, "%llu %llu", &size, &rss) != 2)
		return 0;
	return rss * (uint64_t)sysconf(_SC_PAGESIZE);
}

static int
slot_for_code(int code)
{
	switch (code) {
	case 200:
		return HTTP_SLOT_200;
	case 400:
		return HTTP_SLOT_400;
	case 404:
		return HTTP_SLOT_404;
	case 405:
		return HTTP_SLOT_405;
	case 408:
		return HTTP_SLOT_408;
	case 413:
		return HTTP_SLOT_413;
	default:
		return HTTP_SLOT_503;
	}
}

/* Queue a response on c (after anything already pending). */
static void
respond(struct serve *s, struct conn *c, int code, const char *ctype, const char *body, size_t blen,
	int head_only, int keep_alive)
{
	char head[256];
	size_t hl = http_head(head, sizeof(head), code, ctype, blen, keep_alive);

	if (head_only)
		blen = 0;
	s->st->http[slot_for_code(code)]++;
	if (c->out == NULL && (c->out = malloc(OUT_MAX)) == NULL) {
		c->close_after = 1;
		return;
	}
	if (hl == 0 || c->outlen + hl + blen > OUT_MAX) {
		c->close_after = 1;
		return;
	}
	memcpy(c->out + c->outlen, head, hl);
	memcpy(c->out + c->outlen + hl, body, blen);
	c->outlen += hl + blen;
	if (!keep_alive)
		c->close_after = 1;
}

static void
handle_request(struct serve *s, struct conn *c, const struct http_req *r)
{
	int head = r->method == HTTP_HEAD;

	if (r->method == HTTP_OTHER) {
		respond(s, c, 405, "text/plain", "method not allowed\n", 19, 0, r->keep_alive);
	} else if (strcmp(r->path, "/metrics") == 0) {
		struct proc_sample ps, *psp = NULL;
		if (s->st->server_up && s->st->server_pid > 0) {
			proc_sample_read(s->st->server_pid, &ps);
			psp = &ps;
		}
		size_t n = metrics_render(s->st, psp, self_rss(), ward_now_ns(), s->body,
					  sizeof(s->body));
		if (n == 0)
			respond(s, c, 503, "text/plain", "metrics too large\n", 18, head,
				r->keep_alive);
		else
			respond(s, c, 200, "text/plain; version=0.0.4; charset=utf-8", s->body, n,
				head, r->keep_alive);
	} else if (strcmp(r->path, "/healthz") == 0) {
		if (s->st->server_up)
			respond(s, c, 200, "text/plain", "ok\n", 3, head, r->keep_alive);
		else
			respond(s, c, 503, "text/plain", "server not running\n", 19, head,
				r->keep_alive);
	} else {
		respond(s, c, 404, "text/plain", "not found\n", 10, head, r->keep_alive);
	}
}

/* Write what is pending; 0 when done or waiting, -1 when c was closed. */
static int
flush(struct serve *s, struct conn *c)
{
	while (c->outoff < c->outlen) {
		ssize_t w = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			want(s, c, EPOLLOUT);
			return 0;
		}
		if (w <= 0) {
			conn_close(s, c);
			return -1;
		}
		c->outoff += (size_t)w;
	}
	c->outoff = c->outlen = 0;
	if (c->close_after && !c->linger) {
		conn_close(s, c);
		return -1;
	}
	if (c->close_after) {
		/* Unread input would turn close() into a reset that can destroy
		 * the answer before the client reads it: shut down our side
		 * and drain theirs for a moment (a lingering close). */
		shutdown(c->fd, SHUT_WR);
		c->draining = 1;
		c->inlen = 0;
		c->deadline_ns = ward_now_ns() + 1000000000u;
		want(s, c, EPOLLIN);
		return -1;
	}
	want(s, c, EPOLLIN);
	return 0;
}

/* Answer every complete request in the input, in order. */
static void
process(struct serve *s, struct conn *c)
{
	for (;;) {
		struct http_req r;
		int rc;

		if (c->outlen > 0 || c->close_after)
			break; /* one response at a time keeps pipelined answers in order */
		rc = http_parse(c->in, c->inlen, &r);
		if (rc == HTTP_INCOMPLETE)
			break;
		if (rc == HTTP_BAD || rc == HTTP_TOO_LARGE) {
			respond(s, c, rc == HTTP_BAD ? 400 : 413, "text/plain",
				rc == HTTP_BAD ? "bad request\n" : "request too large\n",
				rc == HTTP_BAD ? 12 : 18, 0, 0);
			c->inlen = 0;
			c->linger = 1;
			break;
		}
		handle_request(s, c, &r);
		memmove(c->in, c->in + r.consumed, c->inlen - r.consumed);
		c->inlen -= r.consumed;
		c->deadline_ns = ward_now_ns() + (uint64_t)SERVE_TIMEOUT_MS * 1000000u;
		if (flush(s, c) != 0)
			return;
	}
	if (c->outlen > 0 || c->close_after)
		flush(s, c);
}

static void
accept_all(struct serve *s)
{
	for (;;) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), i, one = 1;
		if (fd < 0)
			return; /* EAGAIN, or a transient error: try on the next event */
		for (i = 0; i < SERVE_MAX_CONNS && s->c[i].fd >= 0; i++)
			;
		if (i == SERVE_MAX_CONNS) {
			s->st->http_rejected++;
			close(fd);
			continue;
		}
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = s->tag + 1 + (uint64_t)i};
		if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		s->c[i].fd = fd;
		s->c[i].inlen = s->c[i].outlen = s->c[i].outoff = 0;
		s->c[i].close_after = s->c[i].draining = s->c[i].linger = 0;
		s->c[i].deadline_ns = ward_now_ns() + (uint64_t)SERVE_TIMEOUT_MS * 1000000u;
	}
}

void
serve_event(struct serve *s, uint64_t tag, uint32_t events)
{
	struct conn *c;

	if (tag == s->tag) {
		accept_all(s);
		return;
	}
	if (tag <= s->tag || tag > s->tag + SERVE_MAX_CONNS)
		return;
	c = &s->c[tag - s->tag - 1];
	if (c->fd < 0)
		return;
	if (events & EPOLLOUT) {
		if (flush(s, c) != 0)
			return;
		process(s, c);
		return;
	}
	if (c->draining) {
		char sink[4096];
		ssize_t n = recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			conn_close(s, c);
		return;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		ssize_t n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			conn_close(s, c);
			return;
		}
		c->inlen += (size_t)n;
		process(s, c);
	}
}

int
serve_timeout_ms(const struct serve *s, uint64_t now)
{
	uint64_t next = 0;

	for (int i = 0; i < SERVE_MAX_CONNS; i++)
		if (s->c[i].fd >= 0 && (next == 0 || s->c[i].deadline_ns < next))
			next = s->c[i].deadline_ns;
	if (next == 0)
		return -1;
	return next <= now ? 0 : (int)((next - now) / 1000000u) + 1;
}

void
serve_expire(struct serve *s, uint64_t now)
{
	for (int i = 0; i < SERVE_MAX_CONNS; i++) {
		struct conn *c = &s->c[i];
		if (c->fd < 0 || c->deadline_ns > now)
			continue;
		/* Idle keep-alive connections just close; a partial request
		 * gets 408 first, as a courtesy (best effort, no waiting). */
		if (c->inlen > 0 && c->outlen == 0 && !c->draining) {
			char head[160];
			size_t hl = http_head(head, sizeof(head), 408, "text/plain", 0, 0);
			s->st->http[HTTP_SLOT_408]++;
			send(c->fd, head, hl, MSG_NOSIGNAL | MSG_DONTWAIT); /* closing anyway */
		}
		if (!c->draining)
			s->st->http_timeouts++;
		conn_close(s, c);
	}
}

void
serve_free(struct serve *s)
{
	if (s == NULL)
		return;
	for (int i = 0; i < SERVE_MAX_CONNS; i++) {
		if (s->c[i].fd >= 0)
			close(s->c[i].fd);
		free(s->c[i].out);
	}
	close(s->lfd);
	free(s);
}
