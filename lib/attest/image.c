/*
 * image.c: sign and attest an image in an OCI layout, cosign-compatible, in
 * both of cosign's forms (docs/signing.md), and write the attestation
 * bundle.
 */
#include <stdlib.h>
#include <string.h>

#include "attest/image_internal.h"

/* ---------------------------------------------------------------- helpers */

/* One referrer of the image: its index entry, predicate type and bundle. */
struct referrer {
	char digest[OCI_DIGEST_LEN + 1];
	char *ptype;		/* dev.sigstore.bundle.predicateType, or "" */
	struct ward_buf bundle; /* the layer's bytes */
};

struct referrers {
	struct referrer *v;
	size_t n;
};

static void
referrers_free(struct referrers *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].ptype);
		ward_buf_free(&r->v[i].bundle);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

static int
is_bundle_type(const char *mt)
{
	return ward_str_startswith(mt, "application/vnd.dev.sigstore.bundle");
}

/* The image's referrers among the index entries (lenient: what signing
 * needs to replace its own; verification checks each strictly). */
static int
list_referrers(struct simg *s, struct referrers *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < oci_layout_count(s->l); i++) {
		const struct oci_descriptor *d = oci_layout_entry(s->l, i);
		struct ward_buf raw = {0};
		struct oci_manifest m;
		struct referrer *r;
		const char *pt;
		int skip;

		if (!is_bundle_type(d->artifact_type))
			continue;
		if (simg_read_manifest(s->l, d, &raw, &m) != 0)
			goto fail_raw;
		skip = !m.has_subject || strcmp(m.subject.digest, s->image.digest) != 0 ||
		       m.nlayers != 1 || !is_bundle_type(m.layers[0].media_type);
		if (skip) {
			oci_manifest_free(&m);
			ward_buf_free(&raw);
			continue;
		}
		if (ward_vec_grow(&out->v, out->n, sizeof(*out->v)) != 0)
			goto fail_m;
		r = &out->v[out->n];
		memset(r, 0, sizeof(*r));
		snprintf(r->digest, sizeof(r->digest), "%s", d->digest);
		pt = ward_json_str(m.annotations, BUNDLE_PREDICATE_ANNOTATION);
		if ((r->ptype = ward_strdup(pt ? pt : "")) == NULL)
			goto fail_m;
		out->n++;
		if (oci_layout_read_blob(s->l, &m.layers[0], SIMG_MAX_BLOB, &r->bundle) != 0)
			goto fail_m;
		oci_manifest_free(&m);
		ward_buf_free(&raw);
		continue;
	fail_m:
		oci_manifest_free(&m);
	fail_raw:
		ward_buf_free(&raw);
		referrers_free(out);
		return -1;
	}
	return 0;
}

/* bundle_by_key(bytes, key, payload_digest): 1 when the bundle verifies
 * with key (its statement digest in payload_digest), 0 when not. */
static int
bundle_by_key(const struct ward_buf *b, const struct ward_key *key,
	      char payload_digest[OCI_DIGEST_LEN + 1])
{
	json_t *j = json_loadb((const char *)b->data, b->len, 0, NULL);
	struct bundle bd;
	int ok = 0;

	if (j != NULL && bundle_parse(j, &bd, "bundle") == 0) {
		ok = bundle_verify_key(&bd, key, "bundle") == 0;
		if (ok && payload_digest != NULL)
			simg_payload_digest(bd.env.payload.data, bd.env.payload.len,
					    payload_digest);
		bundle_free(&bd);
	}
	json_decref(j);
	ward_err_clear(); /* another key's bundle is not an error here */
	return ok;
}

static int
envelope_by_key(const struct ward_buf *b, const struct ward_key *key,
		char payload_digest[OCI_DIGEST_LEN + 1])
{
	json_t *j = json_loadb((const char *)b->data, b->len, 0, NULL);
	struct dsse_envelope e;
	int ok = 0;

	if (j != NULL && dsse_parse(j, &e, "envelope") == 0) {
		ok = dsse_verify(&e, key, "envelope") == 0;
		if (ok && payload_digest != NULL)
			simg_payload_digest(e.payload.data, e.payload.len, payload_digest);
		dsse_envelope_free(&e);
	}
	json_decref(j);
	ward_err_clear();
	return ok;
}

/* Give the image's own entries kind=dev.cosignproject.cosign/image. */
static int
mark_image(struct simg *s)
{
	const char *kind = strcmp(s->image.media_type, OCI_MT_INDEX) == 0 ||
					   strcmp(s->image.media_type, DOCKER_MT_LIST) == 0
				   ? COSIGN_KIND_INDEX
				   : COSIGN_KIND_IMAGE;
	json_t *saved = json_array();
	size_t i;
	json_t *a;
	int rc = -1;

	if (saved == NULL)
		return ward_err(WARD_EENV, "out of memory");
	for (i = 0; i < oci_layout_count(s->l); i++) {
		const struct oci_descriptor *d = oci_layout_entry(s->l, i);
		const char *k = ward_json_str(d->annotations, COSIGN_KIND_ANNOTATION);
		if (strcmp(d->digest, s->image.digest) != 0)
			continue;
		if (k != NULL && strcmp(k, kind) == 0) {
			rc = 0; /* already marked */
			goto out;
		}
		json_array_append_new(saved, d->annotations ? json_deep_copy(d->annotations)
							    : json_object());
	}
	if (simg_layout_remove(s->l, s->image.digest) != 0)
		goto out;
	json_array_foreach(saved, i, a)
	{
		struct oci_descriptor d = s->image;
		const char *tag = ward_json_str(a, OCI_ANN_REF_NAME);
		char *t = tag ? ward_strdup(tag) : NULL;
		json_object_del(a, OCI_ANN_REF_NAME);
		json_object_set_new(a, COSIGN_KIND_ANNOTATION, json_string(kind));
		d.annotations = a;
		rc = oci_layout_add(s->l, &d, t);
		free(t);
		if (rc != 0)
			goto out;
	}
	rc = 0;
out:
	json_decref(saved);
	return rc;
}

/* drop_fn(ctx, layer, blob): 1 to drop an existing layer, 0 to keep it. */
typedef int (*drop_fn)(void *ctx, const struct oci_descriptor *layer, const struct ward_buf *blob);

/* Rewrite the .sig or .att manifest: keep the layers drop() spares, add one. */
static int
rewrite_legacy(struct simg *s, const char *tag, const char *kind, const struct oci_descriptor *add,
	       drop_fn drop, void *ctx, size_t *replaced, char out[OCI_DIGEST_LEN + 1])
{
	const struct oci_descriptor *old = oci_layout_find(s->l, tag);
	struct oci_descriptor *layers = NULL, cfg, man;
	struct oci_manifest m = {0};
	struct ward_buf raw = {0};
	struct oci_manifest_spec spec = {0};
	json_t *config = NULL, *manifest = NULL, *ann = NULL;
	size_t n = 0;
	int rc = -1;

	if (old != NULL && simg_read_manifest(s->l, old, &raw, &m) != 0)
		goto out;
	if ((layers = ward_calloc(m.nlayers + 1, sizeof(*layers))) == NULL)
		goto out;
	for (size_t i = 0; i < m.nlayers; i++) {
		struct ward_buf blob = {0};
		int d;
		if (oci_layout_read_blob(s->l, &m.layers[i], SIMG_MAX_BLOB, &blob) != 0)
			goto out;
		d = drop(ctx, &m.layers[i], &blob);
		ward_buf_free(&blob);
		if (d)
			(*replaced)++;
		else
			layers[n++] = m.layers[i];
	}
	layers[n++] = *add;
	if ((config = simg_cosign_config(layers, n)) == NULL ||
	    oci_layout_put_json(s->l, config, OCI_MT_CONFIG, &cfg) != 0)
		goto out;
	spec.config = &cfg;
	spec.layers = layers;
	spec.nlayers = n;
	if ((manifest = oci_manifest_build(&spec)) == NULL ||
	    oci_layout_put_json(s->l, manifest, OCI_MT_MANIFEST, &man) != 0)
		goto out;
	if ((ann = json_pack("{s:s}", COSIGN_KIND_ANNOTATION, kind)) == NULL)
		goto out;
	man.annotations = ann;
	if (oci_layout_add(s->l, &man, tag) != 0)
		goto out;
	snprintf(out, OCI_DIGEST_LEN + 1, "%s", man.digest);
	rc = 0;
out:
	json_decref(ann);
	json_decref(manifest);
	json_decref(config);
	free(layers);
	oci_manifest_free(&m);
	ward_buf_free(&raw);
	return rc;
}

/* Store a bundle as an OCI 1.1 referrer of the image, replacing the
 * referrers of the same predicate type that key signed. */
static int
add_referrer(struct simg *s, const json_t *bundle, const char *ptype, const struct ward_key *key,
	     size_t *replaced, char out[OCI_DIGEST_LEN + 1])
{
	struct referrers old;
	struct oci_descriptor layer, cfg, man;
	struct oci_manifest_spec spec = {0};
	json_t *ann = NULL, *manifest = NULL;
	char *bytes = NULL;
	time_t sde;
	int rc = -1, have_sde;

	if (list_referrers(s, &old) != 0)
		return -1;
	for (size_t i = 0; i < old.n; i++) {
		if (strcmp(old.v[i].ptype, ptype) != 0 ||
		    !bundle_by_key(&old.v[i].bundle, key, NULL))
			continue;
		if (simg_layout_remove(s->l, old.v[i].digest) != 0)
			goto out;
		(*replaced)++;
	}
	if ((have_sde = ward_source_date_epoch(&sde)) < 0 ||
	    (bytes = ward_json_dump(bundle, 0)) == NULL)
		goto out;
	if (oci_layout_put_blob(s->l, bytes, strlen(bytes), BUNDLE_MEDIA_TYPE_V03, &layer) != 0 ||
	    oci_layout_put_blob(s->l, OCI_EMPTY_JSON, 2, OCI_MT_EMPTY, &cfg) != 0)
		goto out;
	ann = json_pack("{s:s,s:s}", BUNDLE_CONTENT_ANNOTATION, "dsse-envelope",
			BUNDLE_PREDICATE_ANNOTATION, ptype);
	if (ann == NULL || (have_sde && oci_annotations_created(ann, (int64_t)sde) != 0))
		goto out;
	spec.artifact_type = BUNDLE_MEDIA_TYPE_V03;
	spec.config = &cfg;
	spec.layers = &layer;
	spec.nlayers = 1;
	spec.subject = &s->image;
	spec.annotations = ann;
	if ((manifest = oci_manifest_build(&spec)) == NULL ||
	    oci_layout_put_json(s->l, manifest, OCI_MT_MANIFEST, &man) != 0)
		goto out;
	snprintf(man.artifact_type, sizeof(man.artifact_type), "%s", BUNDLE_MEDIA_TYPE_V03);
	man.annotations = ann;
	if (oci_layout_add(s->l, &man, NULL) != 0)
		goto out;
	snprintf(out, OCI_DIGEST_LEN + 1, "%s", man.digest);
	rc = 0;
out:
	free(bytes);
	json_decref(manifest);
	json_decref(ann);
	referrers_free(&old);
	return rc;
}

/* ---------------------------------------------------------------- sign */

struct sig_drop {
	const struct ward_key *key;
};

static int
drop_own_signature(void *ctx, const struct oci_descriptor *layer, const struct ward_buf *blob)
{
	struct sig_drop *d = ctx;
	const char *b64 = ward_json_str(layer->annotations, COSIGN_SIGNATURE_ANNOTATION);
	struct ward_buf sig = {0};
	int ok = 0;

	if (b64 != NULL && b64_decode(b64, strlen(b64), &sig, "signature") == 0)
		ok = key_verify(d->key, blob->data, blob->len, sig.data, sig.len, "signature") == 0;
	ward_buf_free(&sig);
	ward_err_clear();
	return ok;
}

/* The attestations of the image that verify with key: sorted statement
 * digests, joined by commas; "" when none.  Caller frees. */
static char *
attestations_by_key(struct simg *s, const struct ward_key *key, size_t *count)
{
	const struct oci_descriptor *att = oci_layout_find(s->l, s->att_tag);
	struct ward_strv set = {0};
	struct ward_buf out = {0};
	struct referrers refs = {0};
	char d[OCI_DIGEST_LEN + 1];
	char *result = NULL;

	if (att != NULL) {
		struct ward_buf raw = {0};
		struct oci_manifest m;
		if (simg_read_manifest(s->l, att, &raw, &m) != 0) {
			ward_buf_free(&raw);
			goto out;
		}
		for (size_t i = 0; i < m.nlayers; i++) {
			struct ward_buf blob = {0};
			int rc = oci_layout_read_blob(s->l, &m.layers[i], SIMG_MAX_BLOB, &blob);
			if (rc == 0 && envelope_by_key(&blob, key, d) &&
			    !ward_strv_contains(&set, d))
				rc = ward_strv_push(&set, d);
			ward_buf_free(&blob);
			if (rc != 0) {
				oci_manifest_free(&m);
				ward_buf_free(&raw);
				goto out;
			}
		}
		oci_manifest_free(&m);
		ward_buf_free(&raw);
	}
	if (list_referrers(s, &refs) != 0)
		goto out;
	for (size_t i = 0; i < refs.n; i++) {
		if (strcmp(refs.v[i].ptype, PREDICATE_COSIGN_SIGN) == 0)
			continue;
		if (bundle_by_key(&refs.v[i].bundle, key, d) && !ward_strv_contains(&set, d) &&
		    ward_strv_push(&set, d) != 0)
			goto out;
	}
	ward_strv_sort(&set);
	for (size_t i = 0; i < set.n; i++)
		if (ward_buf_printf(&out, "%s%s", i ? "," : "", set.v[i]) != 0)
			goto out;
	*count = set.n;
	result = out.len ? ward_buf_steal(&out) : ward_strdup("");
out:
	ward_buf_free(&out);
	referrers_free(&refs);
	ward_strv_free(&set);
	return result;
}

/* The cosign v3 signature statement; commitments go into the subject's
 * annotations, where cosign puts its own. */
static json_t *
sign_statement(const struct simg *s, const char *commit)
{
	json_t *subject = json_pack("{s:{s:s}}", "digest", "sha256", s->hex);

	if (subject != NULL && commit[0] != '\0')
		json_object_set_new(subject, "annotations",
				    json_pack("{s:s}", WARD_ATTESTATIONS_ANNOTATION, commit));
	return json_pack("{s:s,s:[o],s:s,s:{}}", "_type", INTOTO_STATEMENT_V1, "subject", subject,
			 "predicateType", PREDICATE_COSIGN_SIGN, "predicate");
}

static int
sign_v3(struct simg *s, const struct ward_key *key, const char *commit, struct attest_result *r)
{
	json_t *st = sign_statement(s, commit), *env = NULL, *bundle = NULL;
	char *payload = NULL;
	int rc = -1;

	if (st == NULL || (payload = ward_json_dump(st, 0)) == NULL)
		goto out;
	simg_payload_digest(payload, strlen(payload), r->statement);
	if ((env = dsse_sign(key, INTOTO_PAYLOAD_TYPE, payload, strlen(payload), NULL)) == NULL ||
	    (bundle = bundle_new_dsse(env, key, BUNDLE_HINT_DER_B64)) == NULL)
		goto out;
	rc = add_referrer(s, bundle, PREDICATE_COSIGN_SIGN, key, &r->replaced, r->referrer);
out:
	if (st == NULL)
		ward_err(WARD_EENV, "cannot build the signature statement");
	free(payload);
	json_decref(bundle);
	json_decref(env);
	json_decref(st);
	return rc;
}

int
attest_sign_image(const char *image, const struct ward_key *key, const struct attest_image_opts *o,
		  struct attest_result *res)
{
	struct attest_result local = {0}, *r = res ? res : &local;
	struct sig_drop drop = {.key = key};
	struct oci_descriptor layer;
	struct ward_buf sig = {0};
	json_t *optional = NULL, *ann = NULL;
	char *commit = NULL, *payload = NULL, *b64 = NULL;
	struct simg s;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (!key_has_private(key))
		return ward_err(WARD_EINPUT, "signing needs a private key");
	if (simg_open(image, o ? o->identity : NULL, &s) != 0)
		return -1;
	snprintf(r->image, sizeof(r->image), "%s", s.image.digest);
	if ((commit = attestations_by_key(&s, key, &r->committed)) == NULL)
		goto out;
	if (commit[0] != '\0' &&
	    (optional = json_pack("{s:s}", WARD_ATTESTATIONS_ANNOTATION, commit)) == NULL)
		goto out;
	if ((payload = cosign_payload(s.identity, s.image.digest, optional)) == NULL ||
	    key_sign(key, payload, strlen(payload), &sig) != 0 ||
	    (b64 = b64_encode(sig.data, sig.len)) == NULL)
		goto out;
	if (oci_layout_put_blob(s.l, payload, strlen(payload), COSIGN_SIMPLESIGNING_MEDIA_TYPE,
				&layer) != 0 ||
	    (ann = json_pack("{s:s}", COSIGN_SIGNATURE_ANNOTATION, b64)) == NULL)
		goto out;
	layer.annotations = ann;
	if (rewrite_legacy(&s, s.sig_tag, COSIGN_KIND_SIGS, &layer, drop_own_signature, &drop,
			   &r->replaced, r->legacy) != 0 ||
	    sign_v3(&s, key, commit, r) != 0 || mark_image(&s) != 0)
		goto out;
	rc = simg_commit(&s);
out:
	json_decref(ann);
	json_decref(optional);
	ward_buf_free(&sig);
	free(b64);
	free(payload);
	free(commit);
	simg_close(&s);
	return rc;
}

/* ---------------------------------------------------------------- attest */

struct att_drop {
	const struct ward_key *key;
	const char *ptype;
};

static int
drop_own_attestation(void *ctx, const struct oci_descriptor *layer, const struct ward_buf *blob)
{
	struct att_drop *d = ctx;
	const char *pt = ward_json_str(layer->annotations, COSIGN_PREDICATE_ANNOTATION);

	return pt != NULL && strcmp(pt, d->ptype) == 0 && envelope_by_key(blob, d->key, NULL);
}

int
attest_image(const char *image, const struct ward_key *key, const char *ptype,
	     const json_t *predicate, const struct attest_image_opts *o, struct attest_result *res)
{
	struct attest_result local = {0}, *r = res ? res : &local;
	struct att_drop drop = {.key = key, .ptype = ptype};
	struct oci_descriptor layer;
	json_t *st = NULL, *env = NULL, *bundle = NULL, *ann = NULL;
	char *payload = NULL, *envbytes = NULL;
	struct simg s;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (!key_has_private(key))
		return ward_err(WARD_EINPUT, "attesting needs a private key");
	if (!json_is_object(predicate))
		return ward_err(WARD_EINPUT, "the predicate must be a JSON object");
	if (simg_open(image, o ? o->identity : NULL, &s) != 0)
		return -1;
	snprintf(r->image, sizeof(r->image), "%s", s.image.digest);
	if ((st = intoto_statement(s.identity, s.hex, ptype, (json_t *)predicate)) == NULL ||
	    (payload = ward_json_dump(st, 0)) == NULL)
		goto out;
	simg_payload_digest(payload, strlen(payload), r->statement);
	if ((env = dsse_sign(key, INTOTO_PAYLOAD_TYPE, payload, strlen(payload), NULL)) == NULL ||
	    (envbytes = ward_json_dump(env, 0)) == NULL)
		goto out;
	if (oci_layout_put_blob(s.l, envbytes, strlen(envbytes), COSIGN_DSSE_MEDIA_TYPE, &layer) !=
	    0)
		goto out;
	ann = json_pack("{s:s,s:s}", COSIGN_SIGNATURE_ANNOTATION, "", COSIGN_PREDICATE_ANNOTATION,
			ptype);
	if (ann == NULL)
		goto out;
	layer.annotations = ann;
	if (rewrite_legacy(&s, s.att_tag, COSIGN_KIND_ATTS, &layer, drop_own_attestation, &drop,
			   &r->replaced, r->legacy) != 0)
		goto out;
	if ((bundle = bundle_new_dsse(env, key, BUNDLE_HINT_DER_B64)) == NULL ||
	    add_referrer(&s, bundle, ptype, key, &r->replaced, r->referrer) != 0 ||
	    mark_image(&s) != 0)
		goto out;
	rc = simg_commit(&s);
out:
	json_decref(ann);
	json_decref(bundle);
	json_decref(env);
	json_decref(st);
	free(envbytes);
	free(payload);
	simg_close(&s);
	return rc;
}

/* ---------------------------------------------------------------- bundle */

struct line {
	int sign;
	const char *ptype;
	char digest[OCI_DIGEST_LEN + 1];
	const struct ward_buf *bytes;
};

static int
line_cmp(const void *pa, const void *pb)
{
	const struct line *a = pa, *b = pb;
	int c;

	if (a->sign != b->sign)
		return b->sign - a->sign;
	if ((c = strcmp(a->ptype, b->ptype)) != 0)
		return c;
	return strcmp(a->digest, b->digest);
}

int
attest_bundle_write(const char *image, const char *path, size_t *nlines)
{
	struct referrers refs = {0};
	struct line *lines = NULL;
	struct ward_atomic *a = NULL;
	struct simg s;
	size_t n = 0;
	int rc = -1;

	if (simg_open(image, NULL, &s) != 0)
		return -1;
	if (list_referrers(&s, &refs) != 0)
		goto out;
	if (refs.n == 0) {
		ward_err(WARD_EINPUT,
			 "%s: the image has no signature or attestation bundles (sign it "
			 "first)",
			 image);
		goto out;
	}
	if ((lines = ward_calloc(refs.n, sizeof(*lines))) == NULL)
		goto out;
	for (size_t i = 0; i < refs.n; i++) {
		json_t *j = ward_json_loadb(refs.v[i].bundle.data, refs.v[i].bundle.len,
					    refs.v[i].digest);
		struct bundle b;
		if (j == NULL || bundle_parse(j, &b, refs.v[i].digest) != 0) {
			json_decref(j);
			goto out;
		}
		lines[n].sign = strcmp(refs.v[i].ptype, PREDICATE_COSIGN_SIGN) == 0;
		lines[n].ptype = refs.v[i].ptype;
		simg_payload_digest(b.env.payload.data, b.env.payload.len, lines[n].digest);
		lines[n].bytes = &refs.v[i].bundle;
		if (memchr(lines[n].bytes->data, '\n', lines[n].bytes->len) != NULL) {
			ward_err(WARD_EINPUT, "%s: bundle is not one line of JSON",
				 refs.v[i].digest);
			bundle_free(&b);
			json_decref(j);
			goto out;
		}
		n++;
		bundle_free(&b);
		json_decref(j);
	}
	qsort(lines, n, sizeof(*lines), line_cmp);
	if ((a = ward_atomic_open(path, 0644)) == NULL)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (ward_atomic_write(a, lines[i].bytes->data, lines[i].bytes->len) != 0 ||
		    ward_atomic_write(a, "\n", 1) != 0)
			goto out;
	rc = ward_atomic_commit(a);
	a = NULL;
	if (rc == 0 && nlines != NULL)
		*nlines = n;
out:
	ward_atomic_abort(a);
	free(lines);
	referrers_free(&refs);
	simg_close(&s);
	return rc;
}
