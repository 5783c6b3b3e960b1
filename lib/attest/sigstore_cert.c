/*
 * sigstore_cert.c: the signing certificate of a keyless bundle: its chain
 * to a Fulcio CA of the trusted root at the signing time, its embedded
 * SCT against the trusted CT logs, its key usage, and the identity policy
 * (SAN and OIDC issuer, as cosign's --certificate-identity/-oidc-issuer).
 */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ct.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "attest/sigstore_internal.h"

#define OID_FULCIO_ISSUER_V1 "1.3.6.1.4.1.57264.1.1"
#define OID_FULCIO_ISSUER_V2 "1.3.6.1.4.1.57264.1.8"

int
ss_cert_chain_at(struct ss_state *st, int64_t t, X509 **issuer)
{
	const struct sigstore_root *root = st->o->root;
	char when[32], last[256] = "no Fulcio CA of the trusted root was valid then";
	int tried = 0;

	ss_time_str(t, when);
	*issuer = NULL;
	for (size_t i = 0; i < root->ncas; i++) {
		const struct ss_ca *ca = &root->cas[i];
		int n = sk_X509_num(ca->certs), ok;
		X509_STORE *store;
		X509_STORE_CTX *ctx;
		STACK_OF(X509) * untrusted;

		if (!ss_time_in(t, ca->start, ca->end))
			continue;
		tried++;
		store = X509_STORE_new();
		ctx = X509_STORE_CTX_new();
		untrusted = sk_X509_new_null();
		if (store == NULL || ctx == NULL || untrusted == NULL) {
			X509_STORE_free(store);
			X509_STORE_CTX_free(ctx);
			sk_X509_free(untrusted);
			return ward_err(WARD_EENV, "out of memory");
		}
		X509_STORE_add_cert(store, sk_X509_value(ca->certs, n - 1));
		for (int k = 0; k < n - 1; k++)
			sk_X509_push(untrusted, sk_X509_value(ca->certs, k));
		ok = X509_STORE_CTX_init(ctx, store, st->b->leaf, untrusted) == 1;
		if (ok) {
			X509_VERIFY_PARAM *p = X509_STORE_CTX_get0_param(ctx);
			X509_VERIFY_PARAM_set_time(p, (time_t)t);
			ok = X509_verify_cert(ctx) == 1;
			if (!ok)
				snprintf(last, sizeof(last), "%s",
					 X509_verify_cert_error_string(
						 X509_STORE_CTX_get_error(ctx)));
		}
		if (ok) {
			STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
			if (sk_X509_num(chain) >= 2) {
				*issuer = sk_X509_value(chain, 1);
				X509_up_ref(*issuer);
			}
		}
		X509_STORE_CTX_free(ctx);
		X509_STORE_free(store);
		sk_X509_free(untrusted);
		ERR_clear_error();
		if (ok) {
			ss_check(st, "Fulcio chain: certificate chains to %s, valid at %s",
				 ca->name, when);
			return 0;
		}
	}
	return ward_err(WARD_EVERIFY,
			"%s: Fulcio chain: the signing certificate does not chain to a trusted "
			"CA at the signing time %s (%s%s)",
			st->what, when, last, tried ? "" : "");
}

int
ss_cert_usage(struct ss_state *st)
{
	X509 *x = st->b->leaf;

	if (X509_check_ca(x) != 0)
		return ward_err(WARD_EVERIFY, "%s: certificate: the signing certificate is a CA",
				st->what);
	if (!(X509_get_key_usage(x) & KU_DIGITAL_SIGNATURE))
		return ward_err(WARD_EVERIFY,
				"%s: certificate: key usage does not include digital signature",
				st->what);
	if (!(X509_get_extension_flags(x) & EXFLAG_XKUSAGE) ||
	    !(X509_get_extended_key_usage(x) & XKU_CODE_SIGN))
		return ward_err(WARD_EVERIFY,
				"%s: certificate: extended key usage does not include code signing",
				st->what);
	ss_check(st, "certificate: leaf for digital signature and code signing");
	return 0;
}

/* ---------------------------------------------------------------- identity */

static int
add_san(struct ward_strv *out, const unsigned char *p, int len)
{
	if (p == NULL || len < 0 || memchr(p, '\0', (size_t)len) != NULL)
		return 0; /* an embedded NUL never matches */
	return ward_strv_push_owned(out, ward_strndup((const char *)p, (size_t)len));
}

static int
san_values(X509 *x, struct ward_strv *out)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int rc = 0;

	for (int i = 0; names != NULL && i < sk_GENERAL_NAME_num(names) && rc == 0; i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
		if (g->type == GEN_EMAIL || g->type == GEN_URI || g->type == GEN_DNS) {
			rc = add_san(out, ASN1_STRING_get0_data(g->d.ia5),
				     ASN1_STRING_length(g->d.ia5));
		} else if (g->type == GEN_OTHERNAME && g->d.otherName->value != NULL &&
			   (g->d.otherName->value->type == V_ASN1_UTF8STRING ||
			    g->d.otherName->value->type == V_ASN1_IA5STRING)) {
			ASN1_STRING *s = g->d.otherName->value->value.asn1_string;
			rc = add_san(out, ASN1_STRING_get0_data(s), ASN1_STRING_length(s));
		}
	}
	GENERAL_NAMES_free(names);
	ERR_clear_error();
	return rc;
}

static char *
fulcio_issuer(X509 *x)
{
	ASN1_OBJECT *v2 = OBJ_txt2obj(OID_FULCIO_ISSUER_V2, 1);
	ASN1_OBJECT *v1 = OBJ_txt2obj(OID_FULCIO_ISSUER_V1, 1);
	char *out = NULL;
	int i;

	if ((i = X509_get_ext_by_OBJ(x, v2, -1)) >= 0) {
		ASN1_OCTET_STRING *d = X509_EXTENSION_get_data(X509_get_ext(x, i));
		const unsigned char *p = ASN1_STRING_get0_data(d);
		ASN1_UTF8STRING *u = d2i_ASN1_UTF8STRING(NULL, &p, ASN1_STRING_length(d));
		if (u != NULL &&
		    memchr(ASN1_STRING_get0_data(u), '\0', (size_t)ASN1_STRING_length(u)) == NULL)
			out = ward_strndup((const char *)ASN1_STRING_get0_data(u),
					   (size_t)ASN1_STRING_length(u));
		ASN1_UTF8STRING_free(u);
	} else if ((i = X509_get_ext_by_OBJ(x, v1, -1)) >= 0) {
		ASN1_OCTET_STRING *d = X509_EXTENSION_get_data(X509_get_ext(x, i));
		if (memchr(ASN1_STRING_get0_data(d), '\0', (size_t)ASN1_STRING_length(d)) == NULL)
			out = ward_strndup((const char *)ASN1_STRING_get0_data(d),
					   (size_t)ASN1_STRING_length(d));
	}
	ASN1_OBJECT_free(v1);
	ASN1_OBJECT_free(v2);
	ERR_clear_error();
	return out;
}

/* match(value, exact, re, what): 1 when value is exact or matches re. */
static int
match(const char *value, const char *exact, const char *re, const char *what, int *bad_re)
{
	regex_t r;
	int ok;

	if (exact != NULL)
		return strcmp(value, exact) == 0;
	if (regcomp(&r, re, REG_EXTENDED | REG_NOSUB) != 0) {
		*bad_re = 1;
		ward_err(WARD_EINPUT, "%s: not a valid regular expression: %s", what, re);
		return 0;
	}
	ok = regexec(&r, value, 0, NULL, 0) == 0;
	regfree(&r);
	return ok;
}

int
ss_cert_identity(struct ss_state *st)
{
	const struct sigstore_policy *p = st->o->policy;
	struct ward_strv sans = {0};
	char *issuer = NULL;
	int rc = -1, bad = 0, found = -1;

	if (san_values(st->b->leaf, &sans) != 0)
		goto out;
	issuer = fulcio_issuer(st->b->leaf);
	if (sans.n > 0 && (st->r->identity = ward_strdup(sans.v[0])) == NULL)
		goto out;
	if (issuer != NULL && (st->r->issuer = ward_strdup(issuer)) == NULL)
		goto out;
	for (size_t i = 0; i < sans.n && found < 0 && !bad; i++)
		if (match(sans.v[i], p->identity, p->identity_regexp,
			  "--certificate-identity-regexp", &bad))
			found = (int)i;
	if (bad)
		goto out;
	if (found < 0) {
		ward_err(WARD_EVERIFY, "%s: identity: the certificate is for \"%s\", not %s \"%s\"",
			 st->what, sans.n ? sans.v[0] : "(no subject alternative name)",
			 p->identity ? "the expected" : "a match of",
			 p->identity ? p->identity : p->identity_regexp);
		goto out;
	}
	free(st->r->identity);
	st->r->identity = ward_strdup(sans.v[found]);
	if (issuer == NULL) {
		ward_err(WARD_EVERIFY,
			 "%s: issuer: the certificate has no OIDC issuer extension (not a Fulcio "
			 "certificate)",
			 st->what);
		goto out;
	}
	if (!match(issuer, p->issuer, p->issuer_regexp, "--certificate-oidc-issuer-regexp", &bad)) {
		if (!bad)
			ward_err(WARD_EVERIFY,
				 "%s: issuer: the certificate was issued for %s, not %s \"%s\"",
				 st->what, issuer, p->issuer ? "the expected" : "a match of",
				 p->issuer ? p->issuer : p->issuer_regexp);
		goto out;
	}
	ss_check(st, "identity: %s (issuer %s) matches the policy", sans.v[found], issuer);
	rc = 0;
out:
	free(issuer);
	ward_strv_free(&sans);
	return rc;
}

/* ---------------------------------------------------------------- SCT */

static const struct ss_key *
ctlog_find(const struct sigstore_root *root, const unsigned char *id, size_t n)
{
	for (size_t i = 0; i < root->nctlogs; i++)
		if (root->ctlogs[i].idlen == n && memcmp(root->ctlogs[i].id, id, n) == 0)
			return &root->ctlogs[i];
	return NULL;
}

static int
put(struct ward_buf *b, uint64_t v, int bytes)
{
	uint8_t tmp[8];

	for (int i = 0; i < bytes; i++)
		tmp[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
	return ward_buf_append(b, tmp, (size_t)bytes);
}

/* The RFC 6962 digitally-signed struct of a precertificate SCT. */
static int
sct_signed_data(const SCT *sct, X509 *leaf, X509 *issuer, struct ward_buf *out)
{
	X509 *pre = X509_dup(leaf);
	unsigned char *tbs = NULL, *spki = NULL, *ext;
	uint8_t ikh[SHA256_LEN];
	int tbslen, spkilen, i, rc = -1;
	size_t extlen;

	if (pre == NULL)
		return -1;
	while ((i = X509_get_ext_by_NID(pre, NID_ct_precert_scts, -1)) >= 0)
		X509_EXTENSION_free(X509_delete_ext(pre, i));
	tbslen = i2d_re_X509_tbs(pre, &tbs);
	spkilen = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(issuer), &spki);
	if (tbslen <= 0 || spkilen <= 0 || tbslen > 0xffffff)
		goto out;
	sha256(spki, (size_t)spkilen, ikh);
	extlen = SCT_get0_extensions(sct, &ext);
	if (extlen > 0xffff)
		goto out;
	if (put(out, 0, 1) != 0 || put(out, 0, 1) != 0 ||
	    put(out, SCT_get_timestamp(sct), 8) != 0 || put(out, 1, 2) != 0 ||
	    ward_buf_append(out, ikh, sizeof(ikh)) != 0 || put(out, (uint64_t)tbslen, 3) != 0 ||
	    ward_buf_append(out, tbs, (size_t)tbslen) != 0 || put(out, extlen, 2) != 0 ||
	    (extlen > 0 && ward_buf_append(out, ext, extlen) != 0))
		goto out;
	rc = 0;
out:
	OPENSSL_free(tbs);
	OPENSSL_free(spki);
	X509_free(pre);
	ERR_clear_error();
	return rc;
}

int
ss_cert_sct(struct ss_state *st, X509 *issuer)
{
	STACK_OF(SCT) *scts = X509_get_ext_d2i(st->b->leaf, NID_ct_precert_scts, NULL, NULL);
	const char *why = "the certificate has no embedded SCT";
	int rc = -1;

	if (issuer == NULL) {
		why = "the certificate's issuer is unknown";
		goto out;
	}
	for (int i = 0; scts != NULL && i < sk_SCT_num(scts); i++) {
		SCT *sct = sk_SCT_value(scts, i);
		unsigned char *id, *sig;
		size_t idlen = SCT_get0_log_id(sct, &id), siglen = SCT_get0_signature(sct, &sig);
		const struct ss_key *log = ctlog_find(st->o->root, id, idlen);
		struct ward_buf data = {0};
		int64_t t = (int64_t)(SCT_get_timestamp(sct) / 1000);
		int ok;

		if (SCT_get_version(sct) != SCT_VERSION_V1) {
			why = "SCT version is not v1";
			continue;
		}
		if (log == NULL) {
			why = "the SCT is from a CT log that is not in the trusted root";
			continue;
		}
		if (!ss_time_in(t, log->start, log->end)) {
			why = "the SCT's time is outside its CT log key's validity";
			continue;
		}
		if (sct_signed_data(sct, st->b->leaf, issuer, &data) != 0) {
			ward_buf_free(&data);
			why = "cannot rebuild the precertificate the SCT signs";
			continue;
		}
		ok = ss_verify_sig(log->pkey, log->md ? log->md : EVP_sha256(), data.data, data.len,
				   sig, siglen);
		ward_buf_free(&data);
		if (!ok) {
			why = "the SCT's signature does not verify with its CT log's key";
			continue;
		}
		ss_check(st, "SCT: signed by CT log %s", log->name);
		rc = 0;
		break;
	}
out:
	SCT_LIST_free(scts);
	ERR_clear_error();
	if (rc != 0)
		ward_err(WARD_EVERIFY, "%s: SCT: %s", st->what, why);
	return rc;
}
