/*
 * guard_internal.h: what the endpoint guard's files share — the connection
 * and guard structures and the steps one file calls in another.
 *   guard.c           the interface, accepting, epoll, client I/O, the audit line
 *   guard_request.c   reading and judging requests, the guard's own answers
 *   guard_response.c  the upstream: connecting, sending, streaming the response back
 */
#ifndef WARD_INIT_GUARD_INTERNAL_H
#define WARD_INIT_GUARD_INTERNAL_H

#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "guard.h"
#include "guard_http.h"
#include "guard_keys.h"
#include "guard_tls.h"

#define RB_SIZE 65536		/* response bytes in flight per connection */
#define LINGER_NS 1000000000ull /* draining after a refusal */
#define CONNECT_TIMEOUT_NS 5000000000ull
#define APP_METRICS_MAX (256u << 10)
#define APP_SOCKET_MS 50 /* the server's metrics socket must answer this fast */

enum cstate {
	CS_FREE = 0,
	CS_TLS,	     /* TLS handshake */
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
	void *ssl;	 /* TLS state, or NULL for plain HTTP */
	int tls_want;	 /* GUARD_TLS_WANT_* of the last call that would block */
	int wblock_read; /* a TLS write waits for readability */
	char cn[65];	 /* the client certificate's common name */
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
	uint64_t waiting_since; /* accepted, or last request done: eviction order */
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
	int client_eof; /* the client closed its side while being served */
};

struct guard {
	const struct guard_policy *gp;
	int lfd, ep;
	uint64_t tag;
	struct gconn *c;
	size_t nc, hi; /* slots; highest used + 1 */
	struct guard_keyset keys;
	struct guard_tls *tls;
	struct guard_stats st;
	struct sockaddr_storage up;
	socklen_t uplen;
	size_t max_in;
	struct gh_request req; /* scratch: one request is parsed at a time */
	char target[3 * GH_MAX_PATH + 8];
	char *app; /* app metrics scratch */
};

static inline uint64_t
gc_ms_ns(unsigned ms)
{
	return (uint64_t)ms * 1000000ull;
}

/* guard.c */
uint64_t gc_tag_of(const struct guard *g, const struct gconn *c, int upstream);
/* gc_want(g, c, upstream, events): the epoll interest of the client (0) or
 * upstream (1) descriptor; 0 takes it out of the set. */
void gc_want(struct guard *g, struct gconn *c, int upstream, uint32_t ev);
void gc_upstream_close(struct guard *g, struct gconn *c);
void gc_release_inflight(struct guard *g, struct gconn *c);
void gc_conn_close(struct guard *g, struct gconn *c);
uint32_t gc_busy_interest(const struct gconn *c);
ssize_t gc_c_recv(struct gconn *c, void *buf, size_t n);
ssize_t gc_c_send(struct gconn *c, const void *buf, size_t n);
void gc_want_client_write(struct guard *g, struct gconn *c);
void gc_audit(struct guard *g, struct gconn *c, int status, int reason);

/* guard_request.c */
void gc_answer(struct guard *g, struct gconn *c, int code, int reason, const char *what, int keep);
void gc_refuse(struct guard *g, struct gconn *c, int reason, int keep);
void gc_reset_request(struct gconn *c);
void gc_advance(struct guard *g, struct gconn *c);
void gc_client_readable(struct guard *g, struct gconn *c);
void gc_client_read_all(struct guard *g, struct gconn *c);
void gc_tls_step(struct guard *g, struct gconn *c);

/* guard_response.c */
void gc_upstream_start(struct guard *g, struct gconn *c);
void gc_upstream_send(struct guard *g, struct gconn *c);
void gc_upstream_fail(struct guard *g, struct gconn *c, int kind);
void gc_upstream_readable(struct guard *g, struct gconn *c);
void gc_flush_client(struct guard *g, struct gconn *c);
void gc_finish(struct guard *g, struct gconn *c);

#endif
