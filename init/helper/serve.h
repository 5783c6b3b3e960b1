/*
 * serve.h: the /metrics and /healthz listener inside the helper.
 *
 * Bounded in every direction, and unstarvable: at most SERVE_MAX_CONNS
 * connections (fewer when the descriptor limit is lower); a new connection
 * is always taken, and when the table is full (or its peer already holds
 * SERVE_PEER_MAX) the oldest connection waiting for a request is closed
 * instead, so held or slow connections cannot keep a health check out.  A
 * request must arrive whole within SERVE_REQUEST_MS of the connection (bytes
 * dripped slowly do not extend it), an idle keep-alive connection lasts
 * SERVE_IDLE_MS, requests are at most HTTP_MAX_REQUEST bytes without
 * bodies.  Buffers are allocated while a connection needs them.
 */
#ifndef WARD_INIT_SERVE_H
#define WARD_INIT_SERVE_H

#include <stdint.h>
#include <sys/types.h>

#include "metrics.h"
#include "state.h"

#define SERVE_MAX_CONNS 1024
#define SERVE_PEER_MAX 64
#define SERVE_REQUEST_MS 2000
#define SERVE_IDLE_MS 5000
#define SERVE_SAMPLE_WAIT_MS 50
/* ward-init's metrics, then the endpoint guard's and the server's own */
#define SERVE_BODY_MAX (METRICS_MAX + (768u << 10))

struct serve;

/* serve_listen(addr): a non-blocking listening socket on "ADDR:PORT". */
int serve_listen(const char *addr);

/* What a /metrics request needs from outside the listener: the state, and
 * a way to ask PID 1 for a fresh sample of the server's /proc numbers. */
struct serve_args {
	int listen_fd;
	int epoll_fd;
	uint64_t tag; /* epoll tags tag .. tag + SERVE_MAX_CONNS are ours */
	const struct init_state *st;
	void (*ask_sample)(void *ctx); /* may be NULL */
	void *ctx;
	int max_conns; /* 0: SERVE_MAX_CONNS */
	/* more exposition text after ward-init's own (the endpoint guard's),
	 * written into out[0..cap); returns its length.  May be NULL. */
	size_t (*extra_metrics)(void *ctx, char *out, size_t cap);
	void *extra_ctx;
};

struct serve *serve_new(const struct serve_args *a);
/* serve_event(s, tag, events): handle an epoll event whose tag is ours. */
void serve_event(struct serve *s, uint64_t tag, uint32_t events);
/* serve_sampled(s): the sample asked for has arrived: answer the waiting
 * /metrics requests. */
void serve_sampled(struct serve *s);
/* serve_timeout_ms(s, now): milliseconds until the next deadline, -1 none. */
int serve_timeout_ms(const struct serve *s, uint64_t now_ns);
void serve_expire(struct serve *s, uint64_t now_ns);
const struct http_stats *serve_stats(const struct serve *s);
void serve_free(struct serve *s);

#endif
