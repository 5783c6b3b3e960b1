/*
 * sigstore_tsa.c: RFC 3161 timestamps over a bundle's signature, checked
 * with OpenSSL's TS API against the timestamp authorities of the trusted
 * root: the token's signature chains to a TSA's root at the time it
 * states, its message imprint is the hash of the bundle's signature, and
 * that time lies in the TSA's validity window (end inclusive).
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/ts.h>

#include "attest/sigstore_internal.h"

#define SS_MAX_TIMESTAMPS 32

/* try_tsa(st, ca, resp, t, why): 0 when ca vouches for resp. */
static int
try_tsa(struct ss_state *st, const struct ss_ca *ca, TS_RESP *resp, int64_t t, const char **why)
{
	TS_VERIFY_CTX *ctx = TS_VERIFY_CTX_new();
	X509_STORE *store = X509_STORE_new();
	STACK_OF(X509) *certs = sk_X509_new_null();
	X509_VERIFY_PARAM *param = X509_VERIFY_PARAM_new();
	TS_TST_INFO *info = TS_RESP_get_tst_info(resp);
	X509_ALGOR *alg = TS_MSG_IMPRINT_get_algo(TS_TST_INFO_get_msg_imprint(info));
	const EVP_MD *md = EVP_get_digestbyobj(alg->algorithm);
	unsigned char digest[EVP_MAX_MD_SIZE], *copy = NULL;
	unsigned int dlen = 0;
	int n = sk_X509_num(ca->certs), ok = 0;

	if (ctx == NULL || store == NULL || certs == NULL || param == NULL) {
		*why = "out of memory";
		goto out;
	}
	if (md == NULL || EVP_MD_get_size(md) < 32 ||
	    EVP_Digest(st->b->sig.data, st->b->sig.len, digest, &dlen, md, NULL) != 1) {
		*why = "the timestamp's hash algorithm is not supported";
		goto out;
	}
	X509_STORE_add_cert(store, sk_X509_value(ca->certs, n - 1));
	X509_VERIFY_PARAM_set_time(param, (time_t)t);
	X509_STORE_set1_param(store, param);
	for (int k = 0; k < n - 1; k++) {
		X509 *x = sk_X509_value(ca->certs, k);
		X509_up_ref(x);
		sk_X509_push(certs, x);
	}
	if ((copy = OPENSSL_memdup(digest, dlen)) == NULL) {
		*why = "out of memory";
		goto out;
	}
	TS_VERIFY_CTX_set_flags(ctx, TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_IMPRINT);
	TS_VERIFY_CTX_set_imprint(ctx, copy, dlen);
	copy = NULL;
	TS_VERIFY_CTX_set_store(ctx, store);
	store = NULL;
	TS_VERIFY_CTX_set_certs(ctx, certs);
	certs = NULL;
	if (TS_RESP_verify_response(ctx, resp) != 1) {
		unsigned long e = ERR_peek_last_error();
		*why = e != 0 && ERR_GET_REASON(e) == TS_R_MESSAGE_IMPRINT_MISMATCH
			       ? "the timestamp is over something else than the signature"
			       : "its signature does not chain to this TSA at the time it states";
		goto out;
	}
	if (!ss_time_in(t, ca->start, ca->end)) {
		*why = "the time is outside the TSA's validity in the trusted root";
		goto out;
	}
	ok = 1;
out:
	OPENSSL_free(copy);
	X509_VERIFY_PARAM_free(param);
	sk_X509_pop_free(certs, X509_free);
	X509_STORE_free(store);
	TS_VERIFY_CTX_free(ctx);
	ERR_clear_error();
	return ok ? 0 : -1;
}

static int
verify_one(struct ss_state *st, const char *b64, size_t n)
{
	struct ward_buf der = {0}, b64ch = {0};
	const unsigned char *p;
	TS_RESP *resp = NULL;
	const char *why = "no timestamp authority in the trusted root";
	int64_t t;
	char when[32];
	int rc = -1;

	/* Line breaks are allowed: other verifiers skip them too. */
	for (const char *q = b64; q != NULL && *q != '\0'; q++)
		if (*q != '\n' && *q != '\r' && b64ch.len < 1u << 20 &&
		    ward_buf_append(&b64ch, q, 1) != 0)
			goto out;
	if (b64 == NULL || b64_decode((const char *)b64ch.data, b64ch.len, &der, st->what) != 0) {
		ward_err(WARD_EVERIFY, "%s: RFC 3161 timestamp %zu: not base64", st->what, n);
		goto out;
	}
	p = der.data;
	resp = d2i_TS_RESP(NULL, &p, (long)der.len);
	if (resp == NULL || p != der.data + der.len || TS_RESP_get_tst_info(resp) == NULL ||
	    ss_asn1_time(TS_TST_INFO_get_time(TS_RESP_get_tst_info(resp)), &t) != 0) {
		ward_err(WARD_EVERIFY, "%s: RFC 3161 timestamp %zu: not a timestamp response",
			 st->what, n);
		goto out;
	}
	ss_time_str(t, when);
	for (size_t i = 0; i < st->o->root->ntsas; i++) {
		if (try_tsa(st, &st->o->root->tsas[i], resp, t, &why) != 0)
			continue;
		if (st->ntimes < sizeof(st->times) / sizeof(st->times[0])) {
			st->times[st->ntimes] = t;
			st->time_src[st->ntimes++] = "RFC 3161 timestamp";
		}
		ss_check(st, "RFC 3161 timestamp: %s from TSA %s over the signature", when,
			 st->o->root->tsas[i].name);
		rc = 0;
		goto out;
	}
	ward_err(WARD_EVERIFY, "%s: TSA: timestamp %zu (%s): %s", st->what, n, when, why);
out:
	TS_RESP_free(resp);
	ward_buf_free(&der);
	ward_buf_free(&b64ch);
	ERR_clear_error();
	return rc;
}

int
ss_tsa_verify(struct ss_state *st)
{
	const json_t *ts = st->b->timestamps, *e;
	size_t i;

	if (ts == NULL || json_array_size(ts) == 0)
		return 0;
	if (json_array_size(ts) > SS_MAX_TIMESTAMPS)
		return ward_err(WARD_EVERIFY, "%s: TSA: more than %d timestamps", st->what,
				SS_MAX_TIMESTAMPS);
	json_array_foreach(ts, i, e)
	{
		for (size_t k = 0; k < i; k++)
			if (json_equal(json_array_get(ts, k), e))
				return ward_err(WARD_EVERIFY,
						"%s: TSA: timestamp %zu is a duplicate", st->what,
						i + 1);
		if (verify_one(st, ward_json_str(e, "signedTimestamp"), i + 1) != 0)
			return -1;
	}
	return 0;
}
