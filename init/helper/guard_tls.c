/* guard_tls.c: the endpoint guard's TLS and client certificates (see
 * guard_tls.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "guard_http.h"
#include "guard_tls.h"

struct guard_tls {
	SSL_CTX *ctx;
	int client_ca;
};

static int
tls_err(const char *what, const char *file)
{
	char buf[256];
	unsigned long e = ERR_get_error();

	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return ward_err(WARD_EINPUT, "%s: %s: %s", file, what, e ? buf : "failed");
}

struct guard_tls *
guard_tls_new(const struct guard_policy *gp)
{
	struct guard_tls *t = ward_calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	if ((t->ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		tls_err("TLS context", "guard.tls");
		goto fail;
	}
	SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(t->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET |
					    SSL_OP_CIPHER_SERVER_PREFERENCE |
					    SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_num_tickets(t->ctx, 0);
	SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
					 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
					 SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_session_cache_mode(t->ctx, SSL_SESS_CACHE_OFF);
	if (SSL_CTX_use_certificate_chain_file(t->ctx, gp->tls_cert) != 1) {
		tls_err("cannot use the certificate chain", gp->tls_cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(t->ctx, gp->tls_key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(t->ctx) != 1) {
		tls_err("cannot use the private key (or it does not match the certificate)",
			gp->tls_key);
		goto fail;
	}
	if (gp->tls_client_ca != NULL) {
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(gp->tls_client_ca);
		if (names == NULL ||
		    SSL_CTX_load_verify_locations(t->ctx, gp->tls_client_ca, NULL) != 1) {
			if (names != NULL)
				sk_X509_NAME_pop_free(names, X509_NAME_free);
			tls_err("cannot load the client CA bundle", gp->tls_client_ca);
			goto fail;
		}
		SSL_CTX_set_client_CA_list(t->ctx, names);
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
		SSL_CTX_set_verify_depth(t->ctx, 8);
		t->client_ca = 1;
	}
	return t;
fail:
	guard_tls_free(t);
	return NULL;
}

void
guard_tls_free(struct guard_tls *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->ctx);
	free(t);
}

void *
guard_tls_accept(struct guard_tls *t, int fd)
{
	SSL *ssl = SSL_new(t->ctx);

	if (ssl == NULL)
		return NULL;
	if (SSL_set_fd(ssl, fd) != 1) {
		SSL_free(ssl);
		return NULL;
	}
	SSL_set_accept_state(ssl);
	return ssl;
}

static int
want_of(SSL *ssl, int rc, int *want)
{
	switch (SSL_get_error(ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		*want = GUARD_TLS_WANT_READ;
		return 1;
	case SSL_ERROR_WANT_WRITE:
		*want = GUARD_TLS_WANT_WRITE;
		return 1;
	default:
		return 0;
	}
}

int
guard_tls_handshake(void *p, int *want, int *reason, char *cn, size_t cap)
{
	SSL *ssl = p;
	int rc = SSL_do_handshake(ssl);

	if (rc == 1) {
		X509 *peer = SSL_get1_peer_certificate(ssl);
		cn[0] = '\0';
		if (peer != NULL) {
			X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn,
						  (int)cap);
			X509_free(peer);
		}
		return 1;
	}
	if (want_of(ssl, rc, want)) {
		ERR_clear_error();
		return 0;
	}
	/* A verification failure, or no certificate when one is required. */
	long v = SSL_get_verify_result(ssl);
	unsigned long e = ERR_peek_error();
	*reason = GR_TLS_HANDSHAKE;
	if (v != X509_V_OK || (ERR_GET_LIB(e) == ERR_LIB_SSL &&
			       (ERR_GET_REASON(e) == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE ||
				ERR_GET_REASON(e) == SSL_R_CERTIFICATE_VERIFY_FAILED)))
		*reason = GR_CLIENT_CERT;
	ERR_clear_error();
	return -1;
}

ssize_t
guard_tls_read(void *p, void *buf, size_t n, int *want)
{
	SSL *ssl = p;
	size_t got = 0;
	int rc = SSL_read_ex(ssl, buf, n, &got);

	if (rc == 1)
		return (ssize_t)got;
	if (want_of(ssl, rc, want)) {
		ERR_clear_error();
		errno = EAGAIN;
		return -1;
	}
	int e = SSL_get_error(ssl, rc);
	ERR_clear_error();
	if (e == SSL_ERROR_ZERO_RETURN)
		return 0;
	errno = ECONNRESET;
	return -1;
}

ssize_t
guard_tls_write(void *p, const void *buf, size_t n, int *want)
{
	SSL *ssl = p;
	size_t put = 0;
	int rc = SSL_write_ex(ssl, buf, n, &put);

	if (rc == 1)
		return (ssize_t)put;
	if (want_of(ssl, rc, want)) {
		ERR_clear_error();
		errno = EAGAIN;
		return -1;
	}
	ERR_clear_error();
	errno = EPIPE;
	return -1;
}

size_t
guard_tls_pending(void *p)
{
	return (size_t)SSL_pending((SSL *)p);
}

void
guard_tls_notify(void *p)
{
	SSL *ssl = p;

	if (SSL_is_init_finished(ssl))
		SSL_shutdown(ssl);
	SSL_set_quiet_shutdown(ssl, 1);
	ERR_clear_error();
}

void
guard_tls_close(void *p)
{
	SSL *ssl = p;

	if (ssl == NULL)
		return;
	if (SSL_is_init_finished(ssl))
		SSL_shutdown(ssl); /* non-blocking: sends close_notify if it can */
	ERR_clear_error();
	SSL_free(ssl);
}
