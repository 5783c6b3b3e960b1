/*
 * guard.h: the endpoint guard — a small HTTP/1.1 reverse proxy between the
 * network and the inference server (docs/ward-guard.md).
 *
 * It runs in ward-init's unprivileged helper process, never in PID 1, in
 * that process's epoll loop, with the same shape as serve.h: the helper
 * registers nothing itself; guard_new() adds the listener and later each
 * connection under tags [tag_base, tag_base + guard_tag_count()).
 *
 * A request is read whole (head and body, within the policy's caps) and
 * judged before a single byte goes to the server: strict parsing
 * (guard_http.h), default-deny routes, API key, rate, concurrency and token
 * budget.  Then the canonical head and the body as received go upstream on
 * a connection kept for this client, and the response streams back as it
 * arrives (chunked and Server-Sent Events included: every read from the
 * server is written to the client at once).  Each request is counted by
 * route and key id and logged as one JSON line.
 */
#ifndef WARD_INIT_GUARD_H
#define WARD_INIT_GUARD_H

#include <stddef.h>
#include <stdint.h>

#include "guard_policy.h"
#include "guard_stats.h"

struct guard;

/* guard_listen(addr): a non-blocking listening TCP socket on "ADDR:PORT". */
int guard_listen(const char *addr);

/* guard_new(gp, lfd, ep, tag_base): the guard on listener lfd (taken over)
 * with epoll instance ep.  Loads the API keys (a missing or bad key file
 * with auth required is an error: fail closed).  gp must outlive it. */
struct guard *guard_new(const struct guard_policy *gp, int lfd, int ep, uint64_t tag_base);
uint64_t guard_tag_count(const struct guard *g);
/* guard_event(g, tag, events): an epoll event whose tag is ours. */
void guard_event(struct guard *g, uint64_t tag, uint32_t events);
/* guard_timeout_ms(g, now): milliseconds to the next deadline, -1: none. */
int guard_timeout_ms(const struct guard *g, uint64_t now_ns);
void guard_expire(struct guard *g, uint64_t now_ns);
/* guard_reload(g): read the API key file again (SIGHUP); connections and
 * requests in flight are untouched.  0, or -1 with the old keys kept. */
int guard_reload(struct guard *g);
/* guard_metrics(g, out, cap): the guard's metrics, then the server's own
 * (prefixed) when the policy names them; returns the length, 0 when cap
 * is too small for the guard's own part. */
size_t guard_metrics(struct guard *g, char *out, size_t cap);
/* guard_stats(g): the counters (read-only). */
const struct guard_stats *guard_stats(const struct guard *g);
void guard_free(struct guard *g);

#endif
