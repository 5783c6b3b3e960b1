/*
 * serve.h: the /metrics and /healthz listener inside ward-init.
 *
 * Bounded in every direction: at most SERVE_MAX_CONNS connections (more
 * are closed at once and counted), requests of at most HTTP_MAX_REQUEST
 * bytes, no bodies, and a connection that sends no complete request or
 * does not take its response within SERVE_TIMEOUT_MS is closed.  Buffers
 * are per connection slot, allocated once; a request allocates nothing.
 */
#ifndef WARD_INIT_SERVE_H
#define WARD_INIT_SERVE_H

#include <stdint.h>
#include <sys/types.h>

#include "state.h"

#define SERVE_MAX_CONNS 16
#define SERVE_TIMEOUT_MS 5000

struct serve;

/* serve_listen(addr): a non-blocking listening socket on "ADDR:PORT". */
int serve_listen(const char *addr);
/* serve_new(lfd, ep, tag_base, st): register lfd (tag tag_base) and later
 * connections (tag_base + 1 + slot) with the epoll instance ep. */
struct serve *serve_new(int lfd, int ep, uint64_t tag_base, struct init_state *st);
/* serve_event(s, tag, events): handle an epoll event whose tag is ours. */
void serve_event(struct serve *s, uint64_t tag, uint32_t events);
/* serve_timeout_ms(s, now): milliseconds until the next deadline, -1 none. */
int serve_timeout_ms(const struct serve *s, uint64_t now_ns);
void serve_expire(struct serve *s, uint64_t now_ns);
void serve_free(struct serve *s);

#endif
