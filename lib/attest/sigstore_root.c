/*
 * sigstore_root.c: Sigstore's trusted_root.json (transparency logs, CT logs,
 * Fulcio CAs, timestamp authorities, each with its validity window), the
 * copy of the public-good instance's root built into ward, and the
 * signature helpers the other sigstore_*.c files share.
 */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "attest/sigstore_internal.h"

#define SS_MAX_ROOT (8u << 20)
#define SS_MAX_ENTRIES 256

/* Generated at build time (cmake/trusted_root.cmake) from the trusted root
 * that the npm package @sigstore/tuf ships; empty when it was not there. */
extern const unsigned char ward_builtin_trusted_root[];
extern const size_t ward_builtin_trusted_root_len;
extern const char ward_builtin_trusted_root_origin[];

/* ---------------------------------------------------------------- helpers */

const EVP_MD *
ss_default_md(EVP_PKEY *k)
{
	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_ED25519:
	case EVP_PKEY_ED448:
		return NULL;
	case EVP_PKEY_EC:
		return EVP_PKEY_get_bits(k) > 384   ? EVP_sha512()
		       : EVP_PKEY_get_bits(k) > 256 ? EVP_sha384()
						    : EVP_sha256();
	default:
		return EVP_sha256();
	}
}

int
ss_verify_sig(EVP_PKEY *k, const EVP_MD *md, const void *msg, size_t n, const void *sig,
	      size_t siglen)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok;

	if (c == NULL)
		return 0;
	ok = EVP_DigestVerifyInit(c, NULL, md, NULL, k) == 1 &&
	     EVP_DigestVerify(c, sig, siglen, msg, n) == 1;
	EVP_MD_CTX_free(c);
	ERR_clear_error();
	return ok;
}

int
ss_verify_prehashed(EVP_PKEY *k, const EVP_MD *md, const uint8_t *digest, size_t dlen,
		    const void *sig, size_t siglen)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k, NULL);
	int ok;

	if (c == NULL)
		return 0;
	ok = EVP_PKEY_verify_init(c) == 1 && EVP_PKEY_CTX_set_signature_md(c, md) == 1 &&
	     EVP_PKEY_verify(c, sig, siglen, digest, dlen) == 1;
	EVP_PKEY_CTX_free(c);
	ERR_clear_error();
	return ok;
}

void
ss_time_str(int64_t t, char out[32])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == SS_TIME_OPEN || gmtime_r(&tt, &tm) == NULL)
		snprintf(out, 32, "%s", t == SS_TIME_OPEN ? "open" : "?");
	else
		strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
ss_asn1_time(const ASN1_TIME *a, int64_t *out)
{
	struct tm tm;

	if (a == NULL || ASN1_TIME_to_tm(a, &tm) != 1)
		return -1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

/* RFC 3339 ("2021-01-12T11:53:27Z", fractions and offsets allowed); the
 * fraction is dropped, so a window's end stays inclusive to the second. */
static int
parse_time(const char *s, int64_t *out)
{
	struct tm tm = {0};
	int y, mo, d, h, mi, sec, n = 0;
	const char *p;
	long off = 0;

	if (s == NULL ||
	    sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 ||
	    n != 19 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	p = s + n;
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++)
			;
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
		off = 0;
	} else if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) &&
		   isdigit((unsigned char)p[2]) && p[3] == ':' && isdigit((unsigned char)p[4]) &&
		   isdigit((unsigned char)p[5]) && p[6] == '\0') {
		off = ((p[1] - '0') * 10 + (p[2] - '0')) * 3600 +
		      ((p[4] - '0') * 10 + (p[5] - '0')) * 60;
		if (*p == '-')
			off = -off;
	} else {
		return -1;
	}
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*out = (int64_t)timegm(&tm) - off;
	return 0;
}

static int
parse_valid_for(const json_t *vf, int64_t *start, int64_t *end, const char *what, const char *item)
{
	const char *s, *e;

	if (!json_is_object(vf))
		return ward_err(WARD_EINPUT, "%s: %s has no validFor", what, item);
	s = ward_json_str(vf, "start");
	e = ward_json_str(vf, "end");
	if (s == NULL || parse_time(s, start) != 0)
		return ward_err(WARD_EINPUT,
				"%s: %s: validFor.start is missing or not an RFC 3339 time "
				"(a trusted root must bound every key)",
				what, item);
	if (json_object_get(vf, "end") != NULL && !json_is_null(json_object_get(vf, "end")) &&
	    (e == NULL || parse_time(e, end) != 0))
		return ward_err(WARD_EINPUT, "%s: %s: validFor.end is not an RFC 3339 time", what,
				item);
	if (e == NULL)
		*end = SS_TIME_OPEN;
	if (*end < *start)
		return ward_err(WARD_EINPUT, "%s: %s: validFor ends before it starts", what, item);
	return 0;
}

static const EVP_MD *
md_of_details(const char *details, EVP_PKEY *k)
{
	if (details == NULL)
		return ss_default_md(k);
	if (strstr(details, "ED25519") != NULL)
		return NULL;
	if (strstr(details, "SHA_512") != NULL || strstr(details, "SHA512") != NULL)
		return EVP_sha512();
	if (strstr(details, "SHA_384") != NULL || strstr(details, "SHA384") != NULL)
		return EVP_sha384();
	if (strstr(details, "SHA_256") != NULL || strstr(details, "SHA256") != NULL)
		return EVP_sha256();
	return ss_default_md(k);
}

static int
parse_key(const json_t *e, struct ss_key *k, const char *what, const char *kind, size_t i)
{
	const json_t *pk = json_object_get(e, "publicKey");
	const char *raw = ward_json_str(pk, "rawBytes"), *id, *details;
	struct ward_buf der = {0}, idb = {0};
	const unsigned char *p;
	char item[64];
	int rc = -1;

	snprintf(item, sizeof(item), "%s[%zu]", kind, i);
	memset(k, 0, sizeof(*k));
	id = ward_json_str(json_object_get(e, "logId"), "keyId");
	details = ward_json_str(pk, "keyDetails");
	if (raw == NULL || id == NULL) {
		ward_err(WARD_EINPUT, "%s: %s needs publicKey.rawBytes and logId.keyId", what,
			 item);
		goto out;
	}
	if (b64_decode(raw, strlen(raw), &der, what) != 0 ||
	    b64_decode(id, strlen(id), &idb, what) != 0)
		goto out;
	if (idb.len == 0 || idb.len > sizeof(k->id)) {
		ward_err(WARD_EINPUT, "%s: %s: logId.keyId has %zu bytes", what, item, idb.len);
		goto out;
	}
	p = der.data;
	k->pkey = d2i_PUBKEY(NULL, &p, (long)der.len);
	if (k->pkey == NULL && details != NULL && ward_str_startswith(details, "PKCS1_RSA")) {
		ERR_clear_error(); /* an RSA key as PKCS#1 RSAPublicKey */
		p = der.data;
		k->pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)der.len);
	}
	if (k->pkey == NULL || p != der.data + der.len) {
		ERR_clear_error();
		ward_err(WARD_EINPUT, "%s: %s: publicKey.rawBytes is not a DER public key", what,
			 item);
		goto out;
	}
	k->md = md_of_details(details, k->pkey);
	memcpy(k->id, idb.data, idb.len);
	k->idlen = idb.len;
	if (parse_valid_for(json_object_get(pk, "validFor"), &k->start, &k->end, what, item) != 0)
		goto out;
	k->name = ward_strdup(ward_json_str(e, "baseUrl") ? ward_json_str(e, "baseUrl") : item);
	rc = k->name ? 0 : -1;
out:
	ward_buf_free(&der);
	ward_buf_free(&idb);
	return rc;
}

static int
parse_ca(const json_t *e, struct ss_ca *ca, const char *what, const char *kind, size_t i)
{
	const json_t *certs = json_object_get(json_object_get(e, "certChain"), "certificates"), *c;
	const char *name = ward_json_str(e, "uri");
	char item[64];
	size_t k;

	snprintf(item, sizeof(item), "%s[%zu]", kind, i);
	memset(ca, 0, sizeof(*ca));
	if (!json_is_array(certs) || json_array_size(certs) == 0 || json_array_size(certs) > 16)
		return ward_err(WARD_EINPUT, "%s: %s needs certChain.certificates", what, item);
	if ((ca->certs = sk_X509_new_null()) == NULL)
		return ward_err(WARD_EENV, "out of memory");
	json_array_foreach(certs, k, c)
	{
		const char *raw = ward_json_str(c, "rawBytes");
		struct ward_buf der = {0};
		const unsigned char *p;
		X509 *x;

		if (raw == NULL || b64_decode(raw, strlen(raw), &der, what) != 0) {
			ward_buf_free(&der);
			return ward_err(WARD_EINPUT, "%s: %s: certificate %zu has no rawBytes",
					what, item, k + 1);
		}
		p = der.data;
		x = d2i_X509(NULL, &p, (long)der.len);
		if (x == NULL || p != der.data + der.len || !sk_X509_push(ca->certs, x)) {
			X509_free(x);
			ward_buf_free(&der);
			ERR_clear_error();
			return ward_err(WARD_EINPUT, "%s: %s: certificate %zu is not DER", what,
					item, k + 1);
		}
		ward_buf_free(&der);
	}
	if (parse_valid_for(json_object_get(e, "validFor"), &ca->start, &ca->end, what, item) != 0)
		return -1;
	if (name == NULL)
		name = ward_json_str(json_object_get(e, "subject"), "commonName");
	ca->name = ward_strdup(name ? name : item);
	return ca->name ? 0 : -1;
}

static int
parse_list(const json_t *j, const char *key, int is_ca, void **out, size_t *n, const char *what)
{
	const json_t *a = json_object_get(j, key), *e;
	size_t i, size = is_ca ? sizeof(struct ss_ca) : sizeof(struct ss_key);
	char *v;

	*n = 0;
	if (a == NULL)
		return 0;
	if (!json_is_array(a) || json_array_size(a) > SS_MAX_ENTRIES)
		return ward_err(WARD_EINPUT, "%s: %s is not a (short) array", what, key);
	if ((v = ward_calloc(json_array_size(a) + 1, size)) == NULL)
		return -1;
	*out = v;
	json_array_foreach(a, i, e)
	{
		int rc =
			is_ca ? parse_ca(e, (struct ss_ca *)(void *)(v + i * size), what, key, i)
			      : parse_key(e, (struct ss_key *)(void *)(v + i * size), what, key, i);
		(*n)++;
		if (rc != 0)
			return -1;
	}
	return 0;
}

void
sigstore_root_free(struct sigstore_root *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->ntlogs; i++) {
		EVP_PKEY_free(r->tlogs[i].pkey);
		free(r->tlogs[i].name);
	}
	for (size_t i = 0; i < r->nctlogs; i++) {
		EVP_PKEY_free(r->ctlogs[i].pkey);
		free(r->ctlogs[i].name);
	}
	for (size_t i = 0; i < r->ncas; i++) {
		sk_X509_pop_free(r->cas[i].certs, X509_free);
		free(r->cas[i].name);
	}
	for (size_t i = 0; i < r->ntsas; i++) {
		sk_X509_pop_free(r->tsas[i].certs, X509_free);
		free(r->tsas[i].name);
	}
	free(r->tlogs);
	free(r->ctlogs);
	free(r->cas);
	free(r->tsas);
	free(r->source);
	free(r);
}

struct sigstore_root *
sigstore_root_parse(const void *p, size_t n, const char *what)
{
	struct sigstore_root *r = ward_calloc(1, sizeof(*r));
	const char *mt;
	json_t *j = NULL;
	char hex[SHA256_HEX_LEN + 1];

	if (r == NULL || (j = ward_json_loadb(p, n, what)) == NULL)
		goto fail;
	if (!json_is_object(j)) {
		ward_err(WARD_EINPUT, "%s: a trusted root is a JSON object", what);
		goto fail;
	}
	mt = ward_json_str(j, "mediaType");
	if (mt == NULL || !ward_str_startswith(mt, "application/vnd.dev.sigstore.trustedroot")) {
		ward_err(WARD_EINPUT, "%s: mediaType is not a Sigstore trusted root", what);
		goto fail;
	}
	if (parse_list(j, "tlogs", 0, (void **)&r->tlogs, &r->ntlogs, what) != 0 ||
	    parse_list(j, "ctlogs", 0, (void **)&r->ctlogs, &r->nctlogs, what) != 0 ||
	    parse_list(j, "certificateAuthorities", 1, (void **)&r->cas, &r->ncas, what) != 0 ||
	    parse_list(j, "timestampAuthorities", 1, (void **)&r->tsas, &r->ntsas, what) != 0)
		goto fail;
	sha256_hex(p, n, hex);
	snprintf(r->digest, sizeof(r->digest), "sha256:%s", hex);
	if ((r->source = ward_strdup(what)) == NULL)
		goto fail;
	json_decref(j);
	return r;
fail:
	json_decref(j);
	sigstore_root_free(r);
	return NULL;
}

struct sigstore_root *
sigstore_root_load(const char *path)
{
	struct ward_buf b = {0};
	struct sigstore_root *r;

	if (path == NULL)
		path = getenv("WARD_TRUSTED_ROOT");
	if (path == NULL || *path == '\0') {
		if (ward_builtin_trusted_root_len == 0) {
			ward_err(WARD_EINPUT,
				 "this ward was built without the public-good trusted root "
				 "(install-deps installs it); pass --trusted-root FILE");
			return NULL;
		}
		return sigstore_root_parse(ward_builtin_trusted_root, ward_builtin_trusted_root_len,
					   "built-in");
	}
	if (ward_file_read(path, SS_MAX_ROOT, &b) != 0)
		return NULL;
	r = sigstore_root_parse(b.data, b.len, path);
	ward_buf_free(&b);
	return r;
}

const char *
sigstore_root_source(const struct sigstore_root *r)
{
	return r->source;
}

const char *
sigstore_root_digest(const struct sigstore_root *r)
{
	return r->digest;
}

const struct ss_key *
ss_tlog_find(const struct sigstore_root *root, const uint8_t *id, size_t n)
{
	for (size_t i = 0; i < root->ntlogs; i++)
		if (root->tlogs[i].idlen == n && memcmp(root->tlogs[i].id, id, n) == 0)
			return &root->tlogs[i];
	return NULL;
}

json_t *
sigstore_builtin_root_info(void)
{
	struct sigstore_root *r;
	int64_t newest = 0;
	char date[32];
	json_t *j;

	if (ward_builtin_trusted_root_len == 0)
		return json_pack("{s:b}", "present", 0);
	r = sigstore_root_parse(ward_builtin_trusted_root, ward_builtin_trusted_root_len,
				"built-in");
	if (r == NULL)
		return json_pack("{s:b,s:s}", "present", 0, "error", ward_errmsg());
	for (size_t i = 0; i < r->ntlogs; i++)
		newest = r->tlogs[i].start > newest ? r->tlogs[i].start : newest;
	for (size_t i = 0; i < r->nctlogs; i++)
		newest = r->ctlogs[i].start > newest ? r->ctlogs[i].start : newest;
	for (size_t i = 0; i < r->ncas; i++)
		newest = r->cas[i].start > newest ? r->cas[i].start : newest;
	for (size_t i = 0; i < r->ntsas; i++)
		newest = r->tsas[i].start > newest ? r->tsas[i].start : newest;
	ss_time_str(newest, date);
	j = json_pack("{s:b,s:s,s:s,s:s,s:I,s:I,s:I,s:I}", "present", 1, "digest", r->digest,
		      "date", date, "origin", ward_builtin_trusted_root_origin, "tlogs",
		      (json_int_t)r->ntlogs, "ctlogs", (json_int_t)r->nctlogs, "fulcio",
		      (json_int_t)r->ncas, "tsas", (json_int_t)r->ntsas);
	sigstore_root_free(r);
	return j;
}
