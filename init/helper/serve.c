/* serve.c: a small, bounded, unstarvable HTTP/1.1 server for /metrics and
 * /healthz (see serve.h). */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http.h"
#include "policy.h"
#include "serve.h"

#define OUT_MAX (SERVE_BODY_MAX + 512)
#define SAMPLE_MAX_AGE_NS 250000000ull

struct conn {
	int fd; /* -1: free slot */
	char *in;
	size_t inlen;
	char *out;
	size_t outlen, outoff;
	int close_after;
	int linger;   /* close after an error answer: drain the input first */
	int draining; /* answered an error: discard input until EOF, then close */
	int waiting;  /* a /metrics request waits for a fresh sample */
	int head, keep_alive;
	uint32_t peer;
	uint64_t born_ns, deadline_ns;
};

struct serve {
	struct serve_args a;
	int max, n;
	struct conn c[SERVE_MAX_CONNS];
	struct http_stats hs;
	int waiting;
	uint64_t sample_asked_ns, sample_at_ns;
	struct init_state snap;
	char body[SERVE_BODY_MAX];
};

int
serve_listen(const char *addr)
{
	return policy_listen(addr, "metrics listener", 4096);
}

struct serve *
serve_new(const struct serve_args *a)
{
	struct serve *s = ward_calloc(1, sizeof(*s));
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = a->tag};

	if (s == NULL)
		return NULL;
	s->a = *a;
	s->max =
		a->max_conns > 0 && a->max_conns < SERVE_MAX_CONNS ? a->max_conns : SERVE_MAX_CONNS;
	for (int i = 0; i < SERVE_MAX_CONNS; i++)
		s->c[i].fd = -1;
	if (epoll_ctl(a->epoll_fd, EPOLL_CTL_ADD, a->listen_fd, &ev) != 0) {
		free(s);
		ward_errno(WARD_EENV, "epoll");
		return NULL;
	}
	return s;
}

const struct http_stats *
serve_stats(const struct serve *s)
{
	return &s->hs;
}

static void
conn_close(struct serve *s, struct conn *c)
{
	epoll_ctl(s->a.epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->in);
	free(c->out);
	s->waiting -= c->waiting;
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	s->n--;
}

static void
want(struct serve *s, struct conn *c, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.u64 = s->a.tag + 1 + (uint64_t)(c - s->c)};

	epoll_ctl(s->a.epoll_fd, EPOLL_CTL_MOD, c->fd, &ev);
}

static int
slot_for_code(int code)
{
	static const int codes[HTTP_SLOTS] = {200, 400, 404, 405, 408, 413, 503};

	for (int i = 0; i < HTTP_SLOTS; i++)
		if (codes[i] == code)
			return i;
	return HTTP_SLOT_503;
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
	s->hs.code[slot_for_code(code)]++;
	if (hl == 0 || c->outlen + hl + blen > OUT_MAX) {
		c->close_after = 1;
		return;
	}
	/* sized to what is queued: /metrics may be large, /healthz is not */
	char *nout = realloc(c->out, c->outlen + hl + blen);
	if (nout == NULL) {
		c->close_after = 1;
		return;
	}
	c->out = nout;
	memcpy(c->out + c->outlen, head, hl);
	memcpy(c->out + c->outlen + hl, body, blen);
	c->outlen += hl + blen;
	if (!keep_alive)
		c->close_after = 1;
}

static void
answer_metrics(struct serve *s, struct conn *c)
{
	size_t n;

	/* A snapshot of PID 1's page: it may change while we render. */
	memcpy(&s->snap, s->a.st, sizeof(s->snap));
	n = metrics_render(&s->snap, &s->hs, ward_now_ns(), s->body, METRICS_MAX);
	if (n > 0 && s->a.extra_metrics != NULL)
		n += s->a.extra_metrics(s->a.extra_ctx, s->body + n, sizeof(s->body) - n);
	if (n == 0)
		respond(s, c, 503, "text/plain", "metrics too large\n", 18, c->head, c->keep_alive);
	else
		respond(s, c, 200, "text/plain; version=0.0.4; charset=utf-8", s->body, n, c->head,
			c->keep_alive);
}

static void
handle_request(struct serve *s, struct conn *c, const struct http_req *r)
{
	int head = r->method == HTTP_HEAD;

	c->head = head;
	c->keep_alive = r->keep_alive;
	if (r->method == HTTP_OTHER) {
		respond(s, c, 405, "text/plain", "method not allowed\n", 19, 0, r->keep_alive);
	} else if (strcmp(r->path, "/metrics") == 0) {
		uint64_t now = ward_now_ns();
		if (s->a.ask_sample == NULL || now - s->sample_at_ns < SAMPLE_MAX_AGE_NS) {
			answer_metrics(s, c);
			return;
		}
		/* Wait (briefly, without blocking anyone) for PID 1 to read
		 * the server's /proc numbers afresh. */
		if (s->waiting == 0 || now - s->sample_asked_ns > SAMPLE_MAX_AGE_NS) {
			s->sample_asked_ns = now;
			s->a.ask_sample(s->a.ctx);
		}
		c->waiting = 1;
		s->waiting++;
	} else if (strcmp(r->path, "/healthz") == 0) {
		if (s->a.st->server_up)
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
	free(c->out);
	c->out = NULL;
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

		if (c->outlen > 0 || c->close_after || c->waiting)
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
		c->deadline_ns = ward_now_ns() + (uint64_t)SERVE_IDLE_MS * 1000000u;
		if (c->waiting)
			return;
		if (flush(s, c) != 0)
			return;
	}
	if (c->outlen > 0 || c->close_after)
		flush(s, c);
}

void
serve_sampled(struct serve *s)
{
	s->sample_at_ns = ward_now_ns();
	for (int i = 0; i < SERVE_MAX_CONNS && s->waiting > 0; i++) {
		struct conn *c = &s->c[i];
		if (c->fd < 0 || !c->waiting)
			continue;
		c->waiting = 0;
		s->waiting--;
		answer_metrics(s, c);
		if (flush(s, c) == 0)
			process(s, c);
	}
}

/* Close the connection that has waited longest without a request in
 * progress (from peer, when peer != 0), to make room.  0 when none. */
static int
evict(struct serve *s, uint32_t peer)
{
	struct conn *victim = NULL;

	for (int i = 0; i < SERVE_MAX_CONNS; i++) {
		struct conn *c = &s->c[i];
		if (c->fd < 0 || c->waiting || c->outlen > 0 || (peer != 0 && c->peer != peer))
			continue;
		if (victim == NULL || c->born_ns < victim->born_ns)
			victim = c;
	}
	if (victim == NULL)
		return 0;
	s->hs.evicted++;
	conn_close(s, victim);
	return 1;
}

static uint32_t
peer_of(const struct sockaddr_storage *sa)
{
	const unsigned char *p;
	size_t n;
	uint32_t h = 2166136261u;

	if (sa->ss_family == AF_INET) {
		p = (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr;
		n = 4;
	} else {
		p = (const unsigned char *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
		n = 8; /* a /64 is one peer */
	}
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h | 1;
}

static void
accept_all(struct serve *s)
{
	for (;;) {
		struct sockaddr_storage sa;
		socklen_t salen = sizeof(sa);
		int fd = accept4(s->a.listen_fd, (struct sockaddr *)&sa, &salen,
				 SOCK_NONBLOCK | SOCK_CLOEXEC),
		    i, one = 1, same = 0;
		uint32_t peer;

		if (fd < 0 && (errno == EMFILE || errno == ENFILE) && evict(s, 0))
			continue;
		if (fd < 0)
			return; /* EAGAIN, or a transient error: try on the next event */
		peer = peer_of(&sa);
		for (i = 0; i < SERVE_MAX_CONNS; i++)
			same += s->c[i].fd >= 0 && s->c[i].peer == peer;
		if ((same >= SERVE_PEER_MAX && !evict(s, peer)) ||
		    (s->n >= s->max && !evict(s, 0))) {
			s->hs.evicted++;
			close(fd); /* every slot busy answering: the newcomer waits its turn */
			continue;
		}
		for (i = 0; i < SERVE_MAX_CONNS && s->c[i].fd >= 0; i++)
			;
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = s->a.tag + 1 + (uint64_t)i};
		if (i == SERVE_MAX_CONNS || epoll_ctl(s->a.epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		memset(&s->c[i], 0, sizeof(s->c[i]));
		s->c[i].fd = fd;
		s->c[i].peer = peer;
		s->c[i].born_ns = ward_now_ns();
		s->c[i].deadline_ns = s->c[i].born_ns + (uint64_t)SERVE_REQUEST_MS * 1000000u;
		s->n++;
	}
}

void
serve_event(struct serve *s, uint64_t tag, uint32_t events)
{
	struct conn *c;

	if (tag == s->a.tag) {
		accept_all(s);
		return;
	}
	if (tag <= s->a.tag || tag > s->a.tag + SERVE_MAX_CONNS)
		return;
	c = &s->c[tag - s->a.tag - 1];
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
		if (c->in == NULL && (c->in = malloc(HTTP_MAX_REQUEST)) == NULL) {
			conn_close(s, c);
			return;
		}
		if (c->inlen == HTTP_MAX_REQUEST) { /* paused behind a response */
			want(s, c, 0);
			return;
		}
		ssize_t n =
			recv(c->fd, c->in + c->inlen, HTTP_MAX_REQUEST - c->inlen, MSG_DONTWAIT);
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
	if (s->waiting > 0) {
		uint64_t w = s->sample_asked_ns + (uint64_t)SERVE_SAMPLE_WAIT_MS * 1000000u;
		if (next == 0 || w < next)
			next = w;
	}
	if (next == 0)
		return -1;
	return next <= now ? 0 : (int)((next - now) / 1000000u) + 1;
}

void
serve_expire(struct serve *s, uint64_t now)
{
	if (s->waiting > 0 && now >= s->sample_asked_ns + (uint64_t)SERVE_SAMPLE_WAIT_MS * 1000000u)
		serve_sampled(s); /* PID 1 did not answer in time: what we have */
	for (int i = 0; i < SERVE_MAX_CONNS; i++) {
		struct conn *c = &s->c[i];
		if (c->fd < 0 || c->deadline_ns > now || c->waiting)
			continue;
		/* Idle keep-alive connections just close; a partial request
		 * gets 408 first, as a courtesy (best effort, no waiting). */
		if (c->inlen > 0 && c->outlen == 0 && !c->draining) {
			char head[160];
			size_t hl = http_head(head, sizeof(head), 408, "text/plain", 0, 0);
			s->hs.code[HTTP_SLOT_408]++;
			send(c->fd, head, hl, MSG_NOSIGNAL | MSG_DONTWAIT); /* closing anyway */
		}
		if (!c->draining)
			s->hs.timeouts++;
		conn_close(s, c);
	}
}

void
serve_free(struct serve *s)
{
	if (s == NULL)
		return;
	for (int i = 0; i < SERVE_MAX_CONNS; i++)
		if (s->c[i].fd >= 0)
			conn_close(s, &s->c[i]);
	free(s);
}
