/*
 * guard_tls.h: TLS termination for the endpoint guard, with optional
 * client certificates (mTLS), on OpenSSL's libssl.
 *
 * libssl is linked statically into ward-init only for this (docs/ward-guard.md
 * says why it is acceptable: libcrypto is already there, libssl adds the
 * record layer and handshake, and it runs only in the unprivileged helper).
 * Non-blocking throughout: every call says which event it waits for.
 * TLS 1.2 and 1.3 only, no renegotiation, no session tickets (no
 * server-initiated post-handshake traffic).  With guard.tls.client_ca a
 * client must present a certificate that CA issued; otherwise the
 * handshake fails and is counted (client_cert).
 */
#ifndef WARD_INIT_GUARD_TLS_H
#define WARD_INIT_GUARD_TLS_H

#include <stddef.h>
#include <sys/types.h>

#include "guard_policy.h"

struct guard_tls;

enum { GUARD_TLS_WANT_READ = 1, GUARD_TLS_WANT_WRITE = 2 };

/* guard_tls_new(gp): the server context from guard.tls (certificate chain,
 * key, client CA); NULL with the error recorded (naming the file). */
struct guard_tls *guard_tls_new(const struct guard_policy *gp);
void guard_tls_free(struct guard_tls *t);

/* guard_tls_accept(t, fd): a connection's TLS state (NULL: out of memory). */
void *guard_tls_accept(struct guard_tls *t, int fd);
/* guard_tls_handshake(ssl, want, reason, cn, cap): 1 done (cn: the client
 * certificate's common name, "" without one), 0 in progress (*want), -1
 * failed (*reason: GR_CLIENT_CERT or GR_TLS_HANDSHAKE). */
int guard_tls_handshake(void *ssl, int *want, int *reason, char *cn, size_t cap);
/* Like recv/send: bytes, 0 at the peer's close_notify or EOF, -1 with
 * errno EAGAIN (*want says for what) or another error. */
ssize_t guard_tls_read(void *ssl, void *buf, size_t n, int *want);
ssize_t guard_tls_write(void *ssl, const void *buf, size_t n, int *want);
/* Decrypted bytes held inside the TLS state (epoll will not report them). */
size_t guard_tls_pending(void *ssl);
/* guard_tls_notify(ssl): send close_notify now (before shutting the socket
 * down), nothing more at close. */
void guard_tls_notify(void *ssl);
/* guard_tls_close(ssl): a close_notify, best effort, and free. */
void guard_tls_close(void *ssl);

#endif
