/* guard.c: the endpoint guard's interface, accepting connections, epoll
 * interest, client I/O and the audit line (see guard.h, guard_internal.h). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "crypto/crypto.h"
#include "guard_internal.h"
#include "jlog.h"
#include "policy.h"

/* ------------------------------------------------------------ epoll */

uint64_t
gc_tag_of(const struct guard *g, const struct gconn *c, int upstream)
{
	return g->tag + 1 + (uint64_t)(c - g->c) * 2 + (uint64_t)upstream;
}

void
gc_want(struct guard *g, struct gconn *c, int upstream, uint32_t ev)
{
	int fd = upstream ? c->ufd : c->cfd;
	uint32_t *cur = upstream ? &c->uev : &c->cev;
	struct epoll_event e = {.events = ev, .data.u64 = gc_tag_of(g, c, upstream)};

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

void
gc_upstream_close(struct guard *g, struct gconn *c)
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

void
gc_release_inflight(struct guard *g, struct gconn *c)
{
	if (!c->counted_inflight)
		return;
	c->counted_inflight = 0;
	g->st.inflight--;
	if (c->key != NULL && c->key->inflight > 0)
		c->key->inflight--;
}

void
gc_conn_close(struct guard *g, struct gconn *c)
{
	gc_release_inflight(g, c);
	gc_upstream_close(g, c);
	if (c->ssl != NULL)
		guard_tls_close(c->ssl);
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

/* ------------------------------------------------------------ client I/O */

/* While a request is served, the client stays in the epoll set (no epoll
 * change per request): what it pipelines is read into the spare buffer
 * and parsed later; a client that closed, or a full buffer, leaves it. */
uint32_t
gc_busy_interest(const struct gconn *c)
{
	return c->client_eof || c->in_len == c->in_cap ? 0 : EPOLLIN;
}

/* recv/send on the client, in TLS when it is a TLS connection: bytes, 0 at
 * EOF (recv), -1 with errno (EAGAIN: c->tls_want says for what). */
ssize_t
gc_c_recv(struct gconn *c, void *buf, size_t n)
{
	if (c->ssl != NULL)
		return guard_tls_read(c->ssl, buf, n, &c->tls_want);
	return recv(c->cfd, buf, n, MSG_DONTWAIT);
}

ssize_t
gc_c_send(struct gconn *c, const void *buf, size_t n)
{
	c->tls_want = GUARD_TLS_WANT_WRITE;
	if (c->ssl != NULL)
		return guard_tls_write(c->ssl, buf, n, &c->tls_want);
	return send(c->cfd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* Wait until the client can take more (a TLS write may wait for input). */
void
gc_want_client_write(struct guard *g, struct gconn *c)
{
	c->wblock_read = c->tls_want == GUARD_TLS_WANT_READ;
	gc_want(g, c, 0, c->wblock_read ? EPOLLIN : EPOLLOUT);
}

/* ------------------------------------------------------------ audit */

void
gc_audit(struct guard *g, struct gconn *c, int status, int reason)
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
	if (c->cn[0] != '\0')
		jlog_str(&l, "client_cn", c->cn);
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
			/* Full: make room by closing the connection that has waited
			 * longest without a whole request (idle, a head trickling in,
			 * a handshake), so held connections cannot keep everyone out;
			 * only when every slot is serving a request is the new one
			 * refused.  Either way it is counted. */
			uint64_t oldest = UINT64_MAX;
			for (size_t v = 0; v < g->nc; v++) {
				const struct gconn *o = &g->c[v];
				if ((o->state == CS_IDLE || o->state == CS_HEAD ||
				     o->state == CS_TLS || o->state == CS_LINGER) &&
				    o->waiting_since < oldest) {
					oldest = o->waiting_since;
					i = v;
				}
			}
			g->st.rejected[GR_CONNECTION_LIMIT]++;
			if (i < g->nc)
				gc_conn_close(g, &g->c[i]);
		}
		if (i == g->nc) {
			static const char busy[] =
				"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
				"Connection: close\r\n\r\n";
			if (g->tls == NULL) /* plain text on a TLS port would be noise */
				send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			continue;
		}
		struct gconn *c = &g->c[i];
		memset(c, 0, sizeof(*c));
		c->cfd = fd;
		c->ufd = -1;
		struct epoll_event e = {.events = EPOLLIN, .data.u64 = gc_tag_of(g, c, 0)};
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
		gc_reset_request(c);
		c->state = CS_IDLE;
		c->waiting_since = ward_now_ns();
		c->deadline = c->waiting_since + gc_ms_ns(g->gp->idle_timeout_ms);
		g->st.connections_open++;
		if (g->tls != NULL) {
			if ((c->ssl = guard_tls_accept(g->tls, fd)) == NULL) {
				gc_conn_close(g, c);
				continue;
			}
			c->state = CS_TLS;
			c->deadline = ward_now_ns() + gc_ms_ns(g->gp->request_timeout_ms);
		}
		if (i + 1 > g->hi)
			g->hi = i + 1;
	}
}

/* ------------------------------------------------------------ the interface */

int
guard_listen(const char *addr)
{
	return policy_listen(addr, "guard listener", 1024);
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
	/* OpenSSL reads its configuration and loads SHA-256 on first use: do
	 * it now, before ward-init's helper confines itself (its filter has no
	 * openat unless a key or metrics file needs one). */
	uint8_t warm[32];
	OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL);
	sha256("", 0, warm);
	g->gp = gp;
	g->lfd = lfd;
	g->ep = ep;
	g->tag = tag_base;
	g->nc = gp->connections;
	/* Two descriptors a connection (client, upstream) and 96 for the rest
	 * (ward-init's /metrics, files): a table the descriptor limit cannot
	 * fill first, so a full table evicts instead of accept() failing. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		size_t fit = rl.rlim_cur > 160 ? (size_t)(rl.rlim_cur - 96) / 2 : 32;
		if (g->nc > fit) {
			struct jlog l;
			jlog_begin(&l, WARD_LOG_WARN, "guard_connections_capped");
			jlog_int(&l, "connections", (long long)fit);
			jlog_int(&l, "policy", (long long)g->nc);
			jlog_int(&l, "nofile", (long long)rl.rlim_cur);
			jlog_end(&l);
			g->nc = fit;
		}
	}
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
	if (gp->tls_cert != NULL && (g->tls = guard_tls_new(gp)) == NULL)
		goto fail;
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
	guard_tls_free(g->tls);
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
			gc_audit(g, c, c->status, GR_NONE);
			gc_conn_close(g, c);
			return;
		}
		if (c->state == CS_TLS) {
			gc_tls_step(g, c);
			return;
		}
		if ((events & EPOLLOUT) || (c->wblock_read && (events & EPOLLIN)) ||
		    (c->state == CS_REFUSE && (events & (EPOLLHUP | EPOLLERR)))) {
			c->wblock_read = 0;
			gc_flush_client(g, c);
		} else if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			gc_client_read_all(g, c);
		else if ((events & (EPOLLHUP | EPOLLERR)) && c->state != CS_FREE)
			gc_conn_close(g, c);
		return;
	}
	if (c->ufd < 0)
		return;
	if (c->connecting && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		int err = 0;
		socklen_t el = sizeof(err);
		c->connecting = 0;
		if (getsockopt(c->ufd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0) {
			gc_upstream_fail(g, c, GU_CONNECT);
			return;
		}
		c->deadline = ward_now_ns() + gc_ms_ns(g->gp->upstream_timeout_ms);
		gc_upstream_send(g, c);
		return;
	}
	if ((events & EPOLLOUT) && c->state == CS_UPSTREAM) {
		gc_upstream_send(g, c);
		return;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		gc_upstream_readable(g, c);
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
			gc_refuse(g, c, GR_REQUEST_TIMEOUT, 0);
			break;
		case CS_TLS:
			g->st.rejected[GR_TLS_HANDSHAKE]++;
			gc_conn_close(g, c);
			break;
		case CS_UPSTREAM:
			gc_upstream_fail(g, c, c->connecting ? GU_CONNECT : GU_TIMEOUT);
			break;
		case CS_RESPONSE:
			/* the server stalled, or the client stopped reading */
			g->st.upstream_errors[GU_TIMEOUT]++;
			if (c->route >= 0)
				g->st.routes[c->route].codes[c->status / 100]++;
			gc_audit(g, c, c->status, GR_NONE);
			gc_conn_close(g, c);
			break;
		default: /* idle, lingering, an answer nobody reads */
			gc_conn_close(g, c);
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
			gc_conn_close(g, &g->c[i]);
	close(g->lfd);
	guard_tls_free(g->tls);
	guard_keyset_free(&g->keys);
	free(g->c);
	free(g->st.routes);
	free(g->st.keys);
	free(g->app);
	free(g);
}
