/* guard_response.c: the upstream side — connecting (TCP or unix socket),
 * sending the judged request, framing the response and streaming it to the
 * client as it arrives. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "guard_internal.h"

/* ------------------------------------------------------------ upstream */

static int
upstream_connect(struct guard *g, struct gconn *c)
{
	int fd = socket(g->up.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
	struct epoll_event e = {.events = EPOLLOUT, .data.u64 = gc_tag_of(g, c, 1)};

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

void
gc_upstream_start(struct guard *g, struct gconn *c)
{
	c->state = CS_UPSTREAM;
	c->deadline = ward_now_ns() + gc_ms_ns(g->gp->upstream_timeout_ms);
	c->usent = 0;
	c->rb_len = c->rb_off = c->rs_start = 0;
	c->rstate = RS_HEAD;
	memset(&c->rscan, 0, sizeof(c->rscan));
	c->rscan.leading = -1;
	gc_want(g, c, 0, gc_busy_interest(c));
	if (c->rb == NULL && (c->rb = malloc(RB_SIZE)) == NULL) {
		gc_upstream_fail(g, c, GU_CONNECT);
		return;
	}
	if (c->ufd < 0) {
		if (upstream_connect(g, c) != 0) {
			gc_upstream_fail(g, c, GU_CONNECT);
			return;
		}
		c->deadline = ward_now_ns() + CONNECT_TIMEOUT_NS;
		return; /* EPOLLOUT says when */
	}
	c->reused = 1;
	gc_upstream_send(g, c);
}

void
gc_upstream_send(struct guard *g, struct gconn *c)
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
			gc_want(g, c, 1, EPOLLOUT);
			return;
		}
		if (w < 0) {
			gc_upstream_fail(g, c, GU_RESET);
			return;
		}
		c->usent += (size_t)w;
	}
	gc_want(g, c, 1, EPOLLIN);
}

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

void
gc_upstream_fail(struct guard *g, struct gconn *c, int kind)
{
	int partial = c->state == CS_RESPONSE;

	g->st.upstream_errors[kind]++;
	gc_upstream_close(g, c);
	if (!partial && kind != GU_TIMEOUT && c->reused && !c->retried && c->rb_len == 0 &&
	    c->method != GM_POST && c->method != GM_PATCH && c->method != GM_OTHER) {
		/* A kept-alive connection the server had closed: once more, for
		 * idempotent methods only (RFC 9110 9.2.2) — a POST the server may
		 * have run is not sent twice. */
		c->retried = 1;
		gc_upstream_start(g, c);
		return;
	}
	if (c->route >= 0)
		g->st.routes[c->route].codes[partial ? c->status / 100 : 5]++;
	if (partial) {
		/* Part of the response is out: the client learns by the close. */
		gc_audit(g, c, c->status, GR_NONE);
		gc_conn_close(g, c);
		return;
	}
	c->keep_alive = 0;
	gc_answer(g, c, kind == GU_TIMEOUT ? 504 : 502, GR_NONE,
		  kind == GU_TIMEOUT ? "upstream_timeout" : "upstream_error", 0);
}

void
gc_upstream_readable(struct guard *g, struct gconn *c)
{
	size_t from;
	ssize_t n;

	if (c->state != CS_UPSTREAM && c->state != CS_RESPONSE) {
		/* An idle kept connection: the server closed it, or spoke out
		 * of turn; either way it is not reused. */
		gc_upstream_close(g, c);
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
			gc_upstream_close(g, c);
			gc_flush_client(g, c);
			return;
		}
		gc_upstream_fail(g, c, GU_RESET);
		return;
	}
	c->rb_len += (size_t)n;
	c->deadline = ward_now_ns() + gc_ms_ns(g->gp->upstream_timeout_ms);
	if (c->state == CS_UPSTREAM) {
		int rc = response_head(g, c);
		if (rc < 0) {
			gc_upstream_fail(g, c, GU_BAD_RESPONSE);
			return;
		}
		if (c->state == CS_UPSTREAM)
			return; /* head not complete yet */
	} else if (frame_body(c, from) != 0) {
		gc_upstream_fail(g, c, GU_BAD_RESPONSE);
		return;
	}
	gc_flush_client(g, c);
}

/* ------------------------------------------------------------ to the client */

void
gc_flush_client(struct guard *g, struct gconn *c)
{
	if (c->state == CS_REFUSE) {
		while (c->own_off < c->own_len) {
			ssize_t w = gc_c_send(c, c->own + c->own_off, c->own_len - c->own_off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0 && errno == EAGAIN) {
				gc_want_client_write(g, c);
				return;
			}
			if (w <= 0) {
				gc_conn_close(g, c);
				return;
			}
			c->own_off += (size_t)w;
		}
		if (c->close_after_own) {
			/* Unread input would turn close() into a reset that can
			 * destroy the answer: shut down our side and drain. */
			gc_upstream_close(g, c);
			if (c->ssl != NULL)
				guard_tls_notify(c->ssl);
			shutdown(c->cfd, SHUT_WR);
			c->state = CS_LINGER;
			c->deadline = ward_now_ns() + LINGER_NS;
			gc_want(g, c, 0, EPOLLIN);
			return;
		}
		/* Keep-alive after a refusal without a body: the next request. */
		size_t used = c->head_len;
		memmove(c->in, c->in + used, c->in_len - used);
		c->in_len -= used;
		gc_reset_request(c);
		c->state = CS_IDLE;
		c->waiting_since = ward_now_ns();
		c->deadline = c->waiting_since + gc_ms_ns(g->gp->idle_timeout_ms);
		gc_want(g, c, 0, EPOLLIN);
		gc_advance(g, c);
		return;
	}
	if (c->state != CS_RESPONSE)
		return;
	while (c->rb_off < c->rb_len) {
		ssize_t w = gc_c_send(c, c->rb + c->rb_off, c->rb_len - c->rb_off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			gc_want_client_write(g, c);
			gc_want(g, c, 1, 0);
			return;
		}
		if (w <= 0) {
			/* The client went away mid-response. */
			if (c->route >= 0)
				g->st.routes[c->route].codes[c->status / 100]++;
			gc_audit(g, c, c->status, GR_NONE);
			gc_conn_close(g, c);
			return;
		}
		c->rb_off += (size_t)w;
		c->bytes_out += (size_t)w;
		c->deadline = ward_now_ns() + gc_ms_ns(g->gp->upstream_timeout_ms);
	}
	gc_want(g, c, 0, gc_busy_interest(c));
	if (c->rstate == RS_DONE) {
		gc_finish(g, c);
		return;
	}
	gc_want(g, c, 1, EPOLLIN);
}

/* The response went out whole. */
void
gc_finish(struct guard *g, struct gconn *c)
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
	gc_audit(g, c, c->status, GR_NONE);
	gc_release_inflight(g, c);
	if (!c->upstream_ok)
		gc_upstream_close(g, c);
	if (!c->keep_alive || c->close_delimited || c->client_eof) {
		gc_conn_close(g, c);
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
	gc_reset_request(c);
	c->state = CS_IDLE;
	c->waiting_since = now;
	c->deadline = now + gc_ms_ns(g->gp->idle_timeout_ms);
	gc_want(g, c, 0, EPOLLIN);
	if (c->ufd >= 0)
		gc_want(g, c, 1, EPOLLIN); /* notice the server closing it */
	if (c->ssl != NULL && guard_tls_pending(c->ssl) > 0)
		gc_client_read_all(g, c); /* pipelined bytes TLS holds: epoll cannot see them */
	else
		gc_advance(g, c);
}
