/*
 * sigstore_tlog.c: the transparency log entries of a bundle.  Rekor v1
 * (hashedrekord 0.0.1, dsse 0.0.1, intoto 0.0.2): the signed entry
 * timestamp (SET) over the entry, the integrated time it vouches for, and
 * the Merkle inclusion proof under a checkpoint the log signed.  Rekor v2
 * (hashedrekord 0.0.2, dsse 0.0.2): no SET and no integrated time; the
 * inclusion proof and checkpoint (origin, size, root hash, the log's
 * signature among witness cosignatures) are required and the time comes
 * from RFC 3161 timestamps.  In both the entry's body must describe this
 * bundle: the same signature, the same certificate or key, the same digest.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "attest/sigstore_internal.h"

#define SS_MAX_PROOF 64

struct entry {
	struct ss_state *st;
	const json_t *j;
	const struct ss_key *log;
	const char *kind, *version;
	int v2;
	struct ward_buf body;
	json_t *bj; /* body parsed */
	int64_t index;
	char what[96];
};

static int fail(struct entry *e, const char *link, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
fail(struct entry *e, const char *link, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ward_err(WARD_EVERIFY, "%s: %s: %s: %s", e->st->what, link, e->what, msg);
}

/* A non-negative 64-bit integer written as a JSON string or number; absent
 * is 0, as protobuf's JSON mapping leaves zero values out. */
static int
int_field(const json_t *o, const char *key, int64_t *out)
{
	const json_t *v = json_object_get(o, key);
	const char *s;
	char *end;
	long long n;

	if (v == NULL) {
		*out = 0;
		return 0;
	}
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return *out >= 0 ? 0 : -1;
	}
	if ((s = json_string_value(v)) == NULL || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (*end != '\0' || errno != 0 || n < 0)
		return -1;
	*out = n;
	return 0;
}

static int
b64_field(const json_t *o, const char *key, struct ward_buf *out)
{
	const char *s = ward_json_str(o, key);

	if (s == NULL)
		return -1;
	return b64_decode(s, strlen(s), out, key);
}

/* b64_equals(s, data, n): s is the base64 of exactly data. */
static int
b64_equals(const char *s, const void *data, size_t n)
{
	struct ward_buf b = {0};
	int same;

	if (s == NULL)
		return 0;
	same = b64_decode(s, strlen(s), &b, "entry") == 0 && b.len == n &&
	       (n == 0 || memcmp(b.data, data, n) == 0);
	ward_buf_free(&b);
	ward_err_clear();
	return same;
}

/* material_is(e, bytes, n): the PEM (certificate or public key) or DER
 * certificate in the entry is the bundle's signing material. */
static int
material_is(struct entry *e, const void *bytes, size_t n)
{
	struct ss_bundle *b = e->st->b;
	BIO *bio;
	int same = 0;

	if (n == 0)
		return 0;
	if (memmem(bytes, n, "-----BEGIN", 10) == NULL) {
		if (b->leaf != NULL)
			return n == b->leaf_der.len && memcmp(bytes, b->leaf_der.data, n) == 0;
		const unsigned char *p = bytes;
		EVP_PKEY *k = d2i_PUBKEY(NULL, &p, (long)n);
		same = k != NULL && p == (const unsigned char *)bytes + n &&
		       EVP_PKEY_eq(k, e->st->signer) == 1;
		EVP_PKEY_free(k);
		ERR_clear_error();
		return same;
	}
	if ((bio = BIO_new_mem_buf(bytes, (int)n)) == NULL)
		return 0;
	if (b->leaf != NULL) {
		X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		same = x != NULL && X509_cmp(x, b->leaf) == 0;
		X509_free(x);
	} else {
		EVP_PKEY *k = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
		same = k != NULL && EVP_PKEY_eq(k, e->st->signer) == 1;
		EVP_PKEY_free(k);
	}
	BIO_free(bio);
	ERR_clear_error();
	return same;
}

static int
material_b64_is(struct entry *e, const char *b64)
{
	struct ward_buf m = {0};
	int same;

	if (b64 == NULL || b64_decode(b64, strlen(b64), &m, "entry") != 0) {
		ward_err_clear();
		return 0;
	}
	same = material_is(e, m.data, m.len);
	ward_buf_free(&m);
	return same;
}

/* The digest a message signature's entry must record. */
static const uint8_t *
message_digest(struct ss_state *st)
{
	if (st->o->artifact_sha256 != NULL)
		return st->o->artifact_sha256;
	return st->b->msg_digest_len == SHA256_LEN ? st->b->msg_digest : NULL;
}

static int
body_hashedrekord_v1(struct entry *e)
{
	struct ss_bundle *b = e->st->b;
	const json_t *spec = json_object_get(e->bj, "spec");
	const json_t *hash = json_object_get(json_object_get(spec, "data"), "hash");
	const json_t *sig = json_object_get(spec, "signature");
	const uint8_t *d = message_digest(e->st);
	char hex[SHA256_HEX_LEN + 1];

	if (b->is_dsse)
		return fail(e, "log entry",
			    "a hashedrekord 0.0.1 entry cannot record a DSSE envelope");
	if (d == NULL)
		return fail(e, "log entry", "no digest to compare the entry with");
	ward_hex(d, SHA256_LEN, hex);
	if (ward_json_str(hash, "algorithm") == NULL ||
	    strcmp(ward_json_str(hash, "algorithm"), "sha256") != 0 ||
	    ward_json_str(hash, "value") == NULL || strcmp(ward_json_str(hash, "value"), hex) != 0)
		return fail(e, "log entry", "the entry records another artifact digest");
	if (!b64_equals(ward_json_str(sig, "content"), b->sig.data, b->sig.len))
		return fail(e, "log entry", "the entry records another signature");
	if (!material_b64_is(e, ward_json_str(json_object_get(sig, "publicKey"), "content")))
		return fail(e, "log entry", "the entry records another certificate or key");
	return 0;
}

static int
body_dsse_v1(struct entry *e)
{
	struct ss_bundle *b = e->st->b;
	const json_t *spec = json_object_get(e->bj, "spec");
	const json_t *ph = json_object_get(spec, "payloadHash"), *sigs, *s;
	uint8_t d[SHA256_LEN];
	char hex[SHA256_HEX_LEN + 1];

	if (!b->is_dsse)
		return fail(e, "log entry", "a dsse entry cannot record a message signature");
	sha256(b->env.payload.data, b->env.payload.len, d);
	ward_hex(d, sizeof(d), hex);
	if (ward_json_str(ph, "algorithm") == NULL ||
	    strcmp(ward_json_str(ph, "algorithm"), "sha256") != 0 ||
	    ward_json_str(ph, "value") == NULL || strcmp(ward_json_str(ph, "value"), hex) != 0)
		return fail(e, "log entry", "the entry records another DSSE payload");
	sigs = json_object_get(spec, "signatures");
	if (!json_is_array(sigs) || json_array_size(sigs) != 1)
		return fail(e, "log entry", "the entry records %zu signatures, the envelope one",
			    json_array_size(sigs));
	s = json_array_get(sigs, 0);
	if (!b64_equals(ward_json_str(s, "signature"), b->sig.data, b->sig.len))
		return fail(e, "log entry", "the entry records another DSSE signature");
	if (!material_b64_is(e, ward_json_str(s, "verifier")))
		return fail(e, "log entry", "the entry records another certificate or key");
	return 0;
}

/* intoto 0.0.2 stores the payload and signatures base64 twice. */
static int
b64b64_equals(const char *s, const void *data, size_t n)
{
	struct ward_buf once = {0};
	char *inner;
	int same;

	if (s == NULL || b64_decode(s, strlen(s), &once, "entry") != 0) {
		ward_err_clear();
		return 0;
	}
	inner = ward_buf_cstr(&once);
	same = inner != NULL && b64_equals(inner, data, n);
	ward_buf_free(&once);
	return same;
}

static int
body_intoto_v2(struct entry *e)
{
	struct ss_bundle *b = e->st->b;
	const json_t *content = json_object_get(json_object_get(e->bj, "spec"), "content");
	const json_t *env = json_object_get(content, "envelope");
	const json_t *ph = json_object_get(content, "payloadHash"), *sigs, *s;
	uint8_t d[SHA256_LEN];
	char hex[SHA256_HEX_LEN + 1];

	if (!b->is_dsse)
		return fail(e, "log entry", "an intoto entry cannot record a message signature");
	sha256(b->env.payload.data, b->env.payload.len, d);
	ward_hex(d, sizeof(d), hex);
	if (ward_json_str(ph, "value") == NULL || strcmp(ward_json_str(ph, "value"), hex) != 0)
		return fail(e, "log entry", "the entry records another DSSE payload");
	if (ward_json_str(env, "payload") != NULL &&
	    !b64b64_equals(ward_json_str(env, "payload"), b->env.payload.data, b->env.payload.len))
		return fail(e, "log entry", "the entry records another DSSE payload");
	if (ward_json_str(env, "payloadType") != NULL &&
	    strcmp(ward_json_str(env, "payloadType"), b->env.payload_type) != 0)
		return fail(e, "log entry", "the entry records another payload type");
	sigs = json_object_get(env, "signatures");
	if (!json_is_array(sigs) || json_array_size(sigs) != 1)
		return fail(e, "log entry", "the entry does not record exactly one signature");
	s = json_array_get(sigs, 0);
	if (!b64b64_equals(ward_json_str(s, "sig"), b->sig.data, b->sig.len))
		return fail(e, "log entry", "the entry records another DSSE signature");
	if (!material_b64_is(e, ward_json_str(s, "publicKey")))
		return fail(e, "log entry", "the entry records another certificate or key");
	return 0;
}

/* Rekor v2: {content, verifier{x509Certificate{rawBytes} | publicKey{rawBytes}, keyDetails}} */
static int
v2_signature_is(struct entry *e, const json_t *sig)
{
	struct ss_bundle *b = e->st->b;
	const json_t *ver = json_object_get(sig, "verifier");
	const char *raw;

	if (!b64_equals(ward_json_str(sig, "content"), b->sig.data, b->sig.len))
		return fail(e, "log entry", "the entry records another signature");
	raw = ward_json_str(json_object_get(ver, "x509Certificate"), "rawBytes");
	if (raw == NULL)
		raw = ward_json_str(json_object_get(ver, "publicKey"), "rawBytes");
	if (!material_b64_is(e, raw))
		return fail(e, "log entry", "the entry records another certificate or key");
	return 0;
}

static int
v2_hash_is(const json_t *h, const uint8_t *d)
{
	const char *alg = ward_json_str(h, "algorithm");

	return alg != NULL && strcmp(alg, "SHA2_256") == 0 &&
	       b64_equals(ward_json_str(h, "digest"), d, SHA256_LEN);
}

static int
body_hashedrekord_v2(struct entry *e)
{
	struct ss_bundle *b = e->st->b;
	const json_t *spec = json_object_get(json_object_get(e->bj, "spec"), "hashedRekordV002");
	uint8_t pae_digest[SHA256_LEN];
	const uint8_t *d;

	if (b->is_dsse) {
		struct ward_buf pae = {0};
		if (dsse_pae(b->env.payload_type, b->env.payload.data, b->env.payload.len, &pae) !=
		    0)
			return -1;
		sha256(pae.data, pae.len, pae_digest);
		ward_buf_free(&pae);
		d = pae_digest;
	} else if ((d = message_digest(e->st)) == NULL) {
		return fail(e, "log entry", "no digest to compare the entry with");
	}
	if (!v2_hash_is(json_object_get(spec, "data"), d))
		return fail(e, "log entry", "the entry records another %s digest",
			    b->is_dsse ? "DSSE (PAE)" : "artifact");
	return v2_signature_is(e, json_object_get(spec, "signature"));
}

static int
body_dsse_v2(struct entry *e)
{
	struct ss_bundle *b = e->st->b;
	const json_t *spec = json_object_get(json_object_get(e->bj, "spec"), "dsseV002"), *sigs;
	uint8_t d[SHA256_LEN];

	if (!b->is_dsse)
		return fail(e, "log entry", "a dsse entry cannot record a message signature");
	sha256(b->env.payload.data, b->env.payload.len, d);
	if (!v2_hash_is(json_object_get(spec, "payloadHash"), d))
		return fail(e, "log entry", "the entry records another DSSE payload");
	sigs = json_object_get(spec, "signatures");
	if (!json_is_array(sigs) || json_array_size(sigs) != 1)
		return fail(e, "log entry", "the entry does not record exactly one signature");
	return v2_signature_is(e, json_array_get(sigs, 0));
}

static int
check_body(struct entry *e)
{
	const char *kind = ward_json_str(e->bj, "kind"), *ver = ward_json_str(e->bj, "apiVersion");
	int rc;

	if (kind == NULL || ver == NULL || strcmp(kind, e->kind) != 0 ||
	    strcmp(ver, e->version) != 0)
		return fail(e, "log entry", "the body is not a %s %s entry", e->kind, e->version);
	if (strcmp(e->kind, "hashedrekord") == 0 && strcmp(e->version, "0.0.1") == 0)
		rc = body_hashedrekord_v1(e);
	else if (strcmp(e->kind, "dsse") == 0 && strcmp(e->version, "0.0.1") == 0)
		rc = body_dsse_v1(e);
	else if (strcmp(e->kind, "intoto") == 0 && strcmp(e->version, "0.0.2") == 0)
		rc = body_intoto_v2(e);
	else if (strcmp(e->kind, "hashedrekord") == 0 && strcmp(e->version, "0.0.2") == 0)
		rc = body_hashedrekord_v2(e);
	else if (strcmp(e->kind, "dsse") == 0 && strcmp(e->version, "0.0.2") == 0)
		rc = body_dsse_v2(e);
	else
		rc = fail(e, "log entry", "unsupported entry type %s %s", e->kind, e->version);
	if (rc == 0)
		ss_check(e->st, "log entry: %s %s body matches the bundle (%s)", e->kind,
			 e->version, e->what);
	return rc;
}

/* ---------------------------------------------------------------- SET */

static int
check_set(struct entry *e, int64_t integrated)
{
	const char *set =
		ward_json_str(json_object_get(e->j, "inclusionPromise"), "signedEntryTimestamp");
	const char *body64 = ward_json_str(e->j, "canonicalizedBody");
	struct ward_buf sig = {0};
	char hexid[2 * sizeof(e->log->id) + 1];
	char *canon;
	int ok;

	if (set == NULL || b64_decode(set, strlen(set), &sig, e->what) != 0) {
		ward_buf_free(&sig);
		return fail(e, "Rekor SET", "the signed entry timestamp is not base64");
	}
	ward_hex(e->log->id, e->log->idlen, hexid);
	/* RFC 8785 canonical JSON: keys sorted, no whitespace. */
	canon = ward_asprintf("{\"body\":\"%s\",\"integratedTime\":%lld,\"logID\":\"%s\","
			      "\"logIndex\":%lld}",
			      body64, (long long)integrated, hexid, (long long)e->index);
	if (canon == NULL) {
		ward_buf_free(&sig);
		return -1;
	}
	ok = ss_verify_sig(e->log->pkey, e->log->md, canon, strlen(canon), sig.data, sig.len);
	free(canon);
	ward_buf_free(&sig);
	if (!ok)
		return fail(e, "Rekor SET",
			    "the signed entry timestamp does not verify with the log's key");
	ss_check(e->st, "Rekor SET: signed by %s", e->log->name);
	return 0;
}

/* ---------------------------------------------------------------- proof */

static void
node_hash(const uint8_t *l, const uint8_t *r, uint8_t out[SHA256_LEN])
{
	uint8_t buf[1 + 2 * SHA256_LEN];

	buf[0] = 1;
	memcpy(buf + 1, l, SHA256_LEN);
	memcpy(buf + 1 + SHA256_LEN, r, SHA256_LEN);
	sha256(buf, sizeof(buf), out);
}

/* RFC 9162 2.1.3.2: the root an inclusion proof leads to. */
static int
proof_root(uint64_t index, uint64_t size, const uint8_t *leaf, const uint8_t (*path)[SHA256_LEN],
	   size_t n, uint8_t out[SHA256_LEN])
{
	uint64_t fn = index, sn = size - 1;
	uint8_t r[SHA256_LEN];

	if (index >= size)
		return -1;
	memcpy(r, leaf, SHA256_LEN);
	for (size_t i = 0; i < n; i++) {
		if (sn == 0)
			return -1;
		if ((fn & 1) || fn == sn) {
			node_hash(path[i], r, r);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			node_hash(r, path[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return -1;
	memcpy(out, r, SHA256_LEN);
	return 0;
}

/* A signed note (C2SP signed-note): text, a blank line, "— name b64sig" lines. */
static int
check_checkpoint(struct entry *e, const char *note, uint64_t size, const uint8_t *root)
{
	const char *sep = strstr(note, "\n\n"), *p, *nl;
	char *text = NULL, **lines = NULL;
	size_t textlen, nlines = 0;
	int64_t csize;
	int signed_ok = 0, rc = -1;
	struct ward_buf hash = {0};

	if (sep == NULL || strstr(sep + 2, "\n\n") != NULL || sep[2] == '\0' ||
	    note[strlen(note) - 1] != '\n')
		return fail(e, "checkpoint", "not a signed note (text, blank line, signatures)");
	textlen = (size_t)(sep - note) + 1;
	/* Signatures: the log's must be among them (witnesses may cosign). */
	for (p = sep + 2; *p != '\0'; p = nl + 1) {
		struct ward_buf sig = {0};
		const char *name, *b64;
		char *line;

		nl = strchr(p, '\n');
		if (nl == NULL)
			break;
		line = ward_strndup(p, (size_t)(nl - p));
		if (line == NULL)
			return -1;
		if (!ward_str_startswith(line, "\xe2\x80\x94 ") ||
		    (name = line + 4, b64 = strchr(name, ' ')) == NULL || b64 == name) {
			free(line);
			return fail(e, "checkpoint", "malformed signature line");
		}
		b64++;
		if (b64_decode(b64, strlen(b64), &sig, e->what) != 0 || sig.len < 5) {
			free(line);
			ward_buf_free(&sig);
			return fail(e, "checkpoint", "malformed signature in the note");
		}
		if (!signed_ok && memcmp(sig.data, e->log->id, 4) == 0 &&
		    ss_verify_sig(e->log->pkey, e->log->md, note, textlen, sig.data + 4,
				  sig.len - 4)) {
			signed_ok = 1;
			/* Rekor v2: the log signs under its origin name */
			if (e->v2 && (strncmp(note, name, (size_t)(b64 - 1 - name)) != 0 ||
				      note[b64 - 1 - name] != '\n')) {
				free(line);
				ward_buf_free(&sig);
				return fail(
					e, "checkpoint",
					"the log's signature is not under the checkpoint's origin");
			}
		}
		free(line);
		ward_buf_free(&sig);
	}
	if (!signed_ok)
		return fail(
			e, "checkpoint",
			"no signature of the log's key %s verifies it (signed by an unknown key?)",
			e->log->name);
	/* The text: origin, size, root hash, optional extension lines. */
	if ((text = ward_strndup(note, textlen)) == NULL)
		return -1;
	for (char *q = text, *end; *q != '\0'; q = end + 1) {
		end = strchr(q, '\n');
		*end = '\0';
		if (ward_vec_grow(&lines, nlines, sizeof(*lines)) != 0)
			goto out;
		lines[nlines++] = q;
	}
	if (nlines < 3 || lines[0][0] == '\0' || !isdigit((unsigned char)lines[1][0])) {
		fail(e, "checkpoint", "missing origin, size or root hash");
		goto out;
	}
	{
		char *endp;
		errno = 0;
		csize = strtoll(lines[1], &endp, 10);
		if (*endp != '\0' || errno != 0 || csize < 0) {
			fail(e, "checkpoint", "the tree size is not a number");
			goto out;
		}
	}
	if (b64_decode(lines[2], strlen(lines[2]), &hash, e->what) != 0 || hash.len != SHA256_LEN) {
		ward_err_clear();
		fail(e, "checkpoint", "the root hash is not a base64 SHA-256");
		goto out;
	}
	if ((uint64_t)csize != size || memcmp(hash.data, root, SHA256_LEN) != 0) {
		fail(e, "checkpoint",
		     "it commits to another tree (size %lld) than the inclusion proof",
		     (long long)csize);
		goto out;
	}
	if (e->v2) {
		/* A Rekor v2 log's origin is its base URL's host (and path). */
		const char *base = e->log->name, *sch = strstr(base, "://");
		if (sch != NULL)
			base = sch + 3;
		if (strcmp(lines[0], base) != 0) {
			fail(e, "checkpoint", "origin \"%s\" is not the log %s", lines[0],
			     e->log->name);
			goto out;
		}
	}
	ss_check(e->st, "checkpoint: %s signed tree size %lld with this root hash", lines[0],
		 (long long)csize);
	rc = 0;
out:
	free(lines);
	free(text);
	ward_buf_free(&hash);
	return rc;
}

static int
check_proof(struct entry *e)
{
	const json_t *p = json_object_get(e->j, "inclusionProof"), *hashes, *h;
	const char *note = ward_json_str(json_object_get(p, "checkpoint"), "envelope");
	uint8_t(*path)[SHA256_LEN] = NULL, leaf[SHA256_LEN], root[SHA256_LEN];
	struct ward_buf rh = {0}, pre = {0};
	int64_t index, size;
	size_t i;
	int rc = -1;

	hashes = json_object_get(p, "hashes");
	if (int_field(p, "logIndex", &index) != 0 || int_field(p, "treeSize", &size) != 0 ||
	    (hashes != NULL && !json_is_array(hashes)) || b64_field(p, "rootHash", &rh) != 0 ||
	    rh.len != SHA256_LEN || json_array_size(hashes) > SS_MAX_PROOF) {
		ward_err_clear();
		fail(e, "inclusion proof", "malformed (logIndex, treeSize, rootHash, hashes)");
		goto out;
	}
	if (note == NULL) {
		fail(e, "inclusion proof", "no checkpoint");
		goto out;
	}
	path = ward_calloc(json_array_size(hashes) + 1, sizeof(*path));
	if (path == NULL)
		goto out;
	json_array_foreach(hashes, i, h)
	{
		struct ward_buf one = {0};
		const char *s = json_string_value(h);
		if (s == NULL || b64_decode(s, strlen(s), &one, e->what) != 0 ||
		    one.len != SHA256_LEN) {
			ward_buf_free(&one);
			ward_err_clear();
			fail(e, "inclusion proof", "hash %zu is not a base64 SHA-256", i + 1);
			goto out;
		}
		memcpy(path[i], one.data, SHA256_LEN);
		ward_buf_free(&one);
	}
	if (ward_buf_append(&pre, "\0", 1) != 0 ||
	    ward_buf_append(&pre, e->body.data, e->body.len) != 0)
		goto out;
	sha256(pre.data, pre.len, leaf);
	if (proof_root((uint64_t)index, (uint64_t)size, leaf, (const uint8_t(*)[SHA256_LEN])path,
		       json_array_size(hashes), root) != 0 ||
	    memcmp(root, rh.data, SHA256_LEN) != 0) {
		fail(e, "inclusion proof",
		     "the entry's hashes do not lead to the root hash (index %lld of %lld)",
		     (long long)index, (long long)size);
		goto out;
	}
	ss_check(e->st, "inclusion proof: entry %lld of a tree of %lld leads to the root hash",
		 (long long)index, (long long)size);
	rc = check_checkpoint(e, note, (uint64_t)size, rh.data);
out:
	free(path);
	ward_buf_free(&rh);
	ward_buf_free(&pre);
	return rc;
}

/* ---------------------------------------------------------------- entries */

static int
verify_entry(struct ss_state *st, const json_t *j, size_t n)
{
	struct entry e = {.st = st, .j = j};
	const json_t *kv = json_object_get(j, "kindVersion");
	const char *body64 = ward_json_str(j, "canonicalizedBody");
	const char *id64 = ward_json_str(json_object_get(j, "logId"), "keyId");
	struct ward_buf id = {0};
	int64_t integrated = 0;
	int has_set, has_proof, rc = -1;
	char when[32];

	snprintf(e.what, sizeof(e.what), "tlog entry %zu", n + 1);
	e.kind = ward_json_str(kv, "kind");
	e.version = ward_json_str(kv, "version");
	if (e.kind == NULL || e.version == NULL || body64 == NULL || id64 == NULL ||
	    int_field(j, "logIndex", &e.index) != 0) {
		fail(&e, "log entry",
		     "needs logIndex (non-negative), logId, kindVersion and "
		     "canonicalizedBody");
		goto out;
	}
	if (b64_decode(id64, strlen(id64), &id, e.what) != 0 ||
	    b64_decode(body64, strlen(body64), &e.body, e.what) != 0) {
		ward_err_clear();
		fail(&e, "log entry", "logId or body is not base64");
		goto out;
	}
	e.log = ss_tlog_find(st->o->root, id.data, id.len);
	if (e.log == NULL) {
		fail(&e, "Rekor instance",
		     "the entry is in log %s, which the trusted root %s does not list (a bundle "
		     "from another Rekor instance)",
		     id64, sigstore_root_source(st->o->root));
		goto out;
	}
	e.v2 = strcmp(e.version, "0.0.2") == 0 &&
	       (strcmp(e.kind, "hashedrekord") == 0 || strcmp(e.kind, "dsse") == 0);
	if ((e.bj = ward_json_loadb(e.body.data, e.body.len, e.what)) == NULL) {
		ward_err_clear();
		fail(&e, "log entry", "the body is not JSON");
		goto out;
	}
	if (check_body(&e) != 0)
		goto out;
	has_set = json_object_get(j, "inclusionPromise") != NULL;
	has_proof = json_object_get(j, "inclusionProof") != NULL;
	if (e.v2) {
		if (has_set) {
			fail(&e, "Rekor SET", "a Rekor v2 entry has no signed entry timestamp");
			goto out;
		}
		if (!has_proof) {
			fail(&e, "inclusion proof", "a Rekor v2 entry needs an inclusion proof");
			goto out;
		}
	} else {
		if (st->b->minor <= 1 && !has_set) {
			fail(&e, "Rekor SET", "a v0.1 bundle needs the signed entry timestamp");
			goto out;
		}
		if (st->b->minor >= 2 && !has_proof) {
			fail(&e, "inclusion proof", "a v0.2+ bundle needs an inclusion proof");
			goto out;
		}
	}
	if (has_proof &&
	    (st->b->minor >= 2 || e.v2 ||
	     json_object_get(json_object_get(j, "inclusionProof"), "checkpoint") != NULL) &&
	    check_proof(&e) != 0)
		goto out;
	if (!e.v2 && has_set) {
		if (int_field(j, "integratedTime", &integrated) != 0 || integrated == 0) {
			fail(&e, "Rekor SET", "no integrated time");
			goto out;
		}
		if (check_set(&e, integrated) != 0)
			goto out;
		ss_time_str(integrated, when);
		if (integrated > st->o->now) {
			fail(&e, "integrated time", "%s is in the future", when);
			goto out;
		}
		if (!ss_time_in(integrated, e.log->start, e.log->end)) {
			fail(&e, "log validity",
			     "integrated time %s is outside the log key's validity", when);
			goto out;
		}
		/* As sigstore-python and sigstore-js: only these kinds' integrated
		 * times are signing times (an intoto entry needs a timestamp). */
		if (strcmp(e.version, "0.0.1") == 0 &&
		    st->ntimes < sizeof(st->times) / sizeof(st->times[0])) {
			st->times[st->ntimes] = integrated;
			st->time_src[st->ntimes++] = "Rekor integrated time";
		}
		ss_check(st, "integrated time: %s, inside the validity of %s", when, e.log->name);
	} else if (st->ntimes > 0) {
		/* Rekor v2: the log key must have been valid when the TSA says. */
		int inside = 0;
		for (size_t i = 0; i < st->ntimes; i++)
			inside |= ss_time_in(st->times[i], e.log->start, e.log->end);
		if (!inside) {
			fail(&e, "log validity",
			     "the signing time is outside the log key's validity");
			goto out;
		}
	}
	free(st->r->log);
	st->r->log = ward_strdup(e.log->name);
	st->r->rekor_version = e.v2 ? 2 : 1;
	rc = 0;
out:
	json_decref(e.bj);
	ward_buf_free(&e.body);
	ward_buf_free(&id);
	return rc;
}

int
ss_tlog_verify(struct ss_state *st)
{
	const json_t *e;
	size_t i;

	if (json_array_size(st->b->tlog) > 32)
		return ward_err(WARD_EVERIFY, "%s: log entry: too many transparency log entries",
				st->what);
	json_array_foreach(st->b->tlog, i, e)
	{
		if (!json_is_object(e))
			return ward_err(WARD_EVERIFY, "%s: log entry: entry %zu is not an object",
					st->what, i + 1);
		if (verify_entry(st, e, i) != 0)
			return -1;
	}
	return 0;
}
