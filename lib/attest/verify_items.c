/*
 * verify_items.c: strict checks of each signature and attestation form:
 * the legacy .sig and .att manifests, OCI 1.1 referrers and the lines of
 * an attestation bundle.  Everything unsigned around a signature (the
 * manifests, configs, annotations, bundle fields) is checked field by
 * field, so a changed byte anywhere is either a digest mismatch, a
 * signature that fails, or a field that is not what ward and cosign write.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attest/verify_internal.h"

#define VERIFY_MAX_BUNDLE_FILE (256u << 20)

static const char *const manifest_keys[] = {"schemaVersion", "mediaType", "artifactType", "config",
					    "layers",	     "subject",	  "annotations",  NULL};
static const char *const descriptor_keys[] = {"mediaType",   "digest",	     "size",
					      "annotations", "artifactType", NULL};
static const char *const config_keys[] = {
	"architecture", "author", "container",	"created", "docker_version", "history", "os",
	"rootfs",	"config", "os.version", "variant", "os.features",    NULL};
static const char *const sig_layer_keys[] = {COSIGN_SIGNATURE_ANNOTATION, NULL};
static const char *const att_layer_keys[] = {COSIGN_SIGNATURE_ANNOTATION,
					     COSIGN_PREDICATE_ANNOTATION, NULL};
static const char *const legacy_manifest_ann[] = {OCI_ANN_CREATED, NULL};
static const char *const referrer_ann[] = {BUNDLE_CONTENT_ANNOTATION, BUNDLE_PREDICATE_ANNOTATION,
					   OCI_ANN_CREATED, NULL};
static const char *const bundle_keys[] = {"mediaType", "verificationMaterial", "dsseEnvelope",
					  NULL};
static const char *const material_keys[] = {"publicKey", "tlogEntries", "timestampVerificationData",
					    NULL};
static const char *const keyless_material_keys[] = {
	"certificate", "x509CertificateChain", "tlogEntries", "timestampVerificationData", NULL};
#define COSIGN_CERT_ANNOTATION "dev.sigstore.cosign/certificate"
#define COSIGN_CHAIN_ANNOTATION "dev.sigstore.cosign/chain"
#define COSIGN_BUNDLE_ANNOTATION "dev.sigstore.cosign/bundle"
#define COSIGN_TIMESTAMP_ANNOTATION "dev.sigstore.cosign/rfc3161timestamp"
static const char *const keyless_layer_keys[] = {COSIGN_SIGNATURE_ANNOTATION,
						 COSIGN_PREDICATE_ANNOTATION,
						 COSIGN_CERT_ANNOTATION,
						 COSIGN_CHAIN_ANNOTATION,
						 COSIGN_BUNDLE_ANNOTATION,
						 COSIGN_TIMESTAMP_ANNOTATION,
						 NULL};
static const char *const pubkey_keys[] = {"hint", NULL};
static const char *const envelope_keys[] = {"payload", "payloadType", "signatures", NULL};
static const char *const envsig_keys[] = {"sig", "keyid", NULL};

static int
str_is(const char *a, const char *b)
{
	return a != NULL && strcmp(a, b) == 0;
}

static int
strict(const json_t *obj, const char *const *keys, const char *what)
{
	const char *bad;

	if (!json_is_object(obj))
		return ward_err(WARD_EVERIFY, "%s is not a JSON object", what);
	if ((bad = vunknown_field(obj, keys)) != NULL)
		return ward_err(WARD_EVERIFY, "%s has an unexpected field \"%s\"", what, bad);
	return 0;
}

/* The manifest and config of a legacy .sig/.att image, field by field. */
static int
check_cosign_image(struct vctx *v, const struct oci_manifest *m, const char *layer_mt,
		   const char *what)
{
	struct ward_buf raw = {0};
	json_t *cfg = NULL, *ids, *layers = json_object_get(m->root, "layers"), *l;
	size_t i;
	int rc = -1;

	if (strict(m->root, manifest_keys, what) != 0)
		return -1;
	if (strcmp(m->media_type, OCI_MT_MANIFEST) != 0 &&
	    strcmp(m->media_type, DOCKER_MT_MANIFEST) != 0)
		return ward_err(WARD_EVERIFY, "%s: media type %s is not an image manifest", what,
				m->media_type);
	if (m->annotations != NULL && strict(m->annotations, legacy_manifest_ann, what) != 0)
		return -1;
	if (m->has_subject && strcmp(m->subject.digest, v->s.image.digest) != 0)
		return ward_err(WARD_EVERIFY, "%s: its subject is %s, not this image", what,
				m->subject.digest);
	if (strcmp(m->config.media_type, OCI_MT_CONFIG) != 0 &&
	    strcmp(m->config.media_type, DOCKER_MT_CONFIG) != 0)
		return ward_err(WARD_EVERIFY, "%s: config media type %s", what,
				m->config.media_type);
	if (strict(json_object_get(m->root, "config"), descriptor_keys, what) != 0)
		return -1;
	json_array_foreach(layers, i, l)
	{
		if (strict(l, descriptor_keys, what) != 0)
			return -1;
		if (strcmp(m->layers[i].media_type, layer_mt) != 0)
			return ward_err(WARD_EVERIFY, "%s: layer %zu has media type %s, not %s",
					what, i + 1, m->layers[i].media_type, layer_mt);
	}
	if (m->nlayers == 0)
		return ward_err(WARD_EVERIFY, "%s: no layers", what);
	if (oci_layout_read_blob(v->s.l, &m->config, SIMG_MAX_MANIFEST, &raw) != 0)
		goto out;
	if ((cfg = ward_json_loadb(raw.data, raw.len, what)) == NULL ||
	    strict(cfg, config_keys, what) != 0)
		goto out;
	ids = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
	if (!json_is_array(ids) || json_array_size(ids) != m->nlayers ||
	    !str_is(ward_json_str(json_object_get(cfg, "rootfs"), "type"), "layers")) {
		ward_err(WARD_EVERIFY, "%s: config rootfs does not list the layers", what);
		goto out;
	}
	for (i = 0; i < m->nlayers; i++) {
		const char *id = json_string_value(json_array_get(ids, i));
		if (id == NULL || strcmp(id, m->layers[i].digest) != 0) {
			ward_err(WARD_EVERIFY, "%s: config diff_id %zu is not layer %s", what,
				 i + 1, m->layers[i].digest);
			goto out;
		}
	}
	rc = 0;
out:
	if (rc != 0 && ward_errkind() == WARD_EINPUT)
		ward_err(WARD_EVERIFY, "%s", ward_errmsg());
	json_decref(cfg);
	ward_buf_free(&raw);
	return rc;
}

static int
check_statement(struct vctx *v, const void *p, size_t n, const char *what, const char *expect_ptype,
		struct intoto *st)
{
	if (intoto_parse(p, n, what, st) != 0)
		return -1;
	if (!intoto_has_subject(st, v->s.hex)) {
		const char *other = ward_json_str(
			json_object_get(json_array_get(st->subjects, 0), "digest"), "sha256");
		ward_err(WARD_EVERIFY, "%s: the statement is about sha256:%s, not this image %s",
			 what, other ? other : "?", v->s.image.digest);
		intoto_free(st);
		return -1;
	}
	if (expect_ptype != NULL && strcmp(expect_ptype, st->predicate_type) != 0) {
		ward_err(WARD_EVERIFY,
			 "%s: annotated as %s but the statement's predicateType is %s", what,
			 expect_ptype, st->predicate_type);
		intoto_free(st);
		return -1;
	}
	return 0;
}

/* Commitments of a v3 signature: its image subject's annotation. */
static int
note_commitments(struct vctx *v, const char *list)
{
	const char *p = list;

	while (p != NULL && *p != '\0') {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char *d = ward_strndup(p, len);
		int rc;

		if (d == NULL)
			return -1;
		if (oci_digest_check(d, "signature commitment") != 0) {
			free(d);
			return ward_err(WARD_EVERIFY, "%s", ward_errmsg());
		}
		rc = ward_strv_contains(&v->committed, d) ? 0 : ward_strv_push(&v->committed, d);
		free(d);
		if (rc != 0)
			return -1;
		p = comma ? comma + 1 : NULL;
	}
	return 0;
}

static const char *
subject_commitments(const struct intoto *st, const char *hex)
{
	json_t *s;
	size_t i;

	json_array_foreach(st->subjects, i, s)
	{
		const char *d = ward_json_str(json_object_get(s, "digest"), "sha256");
		if (d != NULL && strcmp(d, hex) == 0)
			return ward_json_str(json_object_get(s, "annotations"),
					     WARD_ATTESTATIONS_ANNOTATION);
	}
	return NULL;
}

int
vcheck_bundle(struct vctx *v, const void *bytes, size_t n, const char *what, int form,
	      const char *expect_ptype, char statement[OCI_DIGEST_LEN + 1], char **ptype_out)
{
	json_t *j, *vm, *env, *sigs, *s;
	struct bundle b = {0};
	struct intoto st = {0};
	struct sigstore_result sr = {0};
	const struct ward_buf *payload;
	const char *ptype;
	size_t i;
	int rc = -1, keyless;

	if ((j = ward_json_loadb(bytes, n, what)) == NULL)
		goto out;
	vm = json_object_get(j, "verificationMaterial");
	env = json_object_get(j, "dsseEnvelope");
	sigs = json_object_get(env, "signatures");
	keyless = sigstore_bundle_has_certificate(j);
	if (strict(j, bundle_keys, what) != 0 ||
	    strict(vm, keyless ? keyless_material_keys : material_keys, what) != 0 ||
	    (!keyless && strict(json_object_get(vm, "publicKey"), pubkey_keys, what) != 0) ||
	    strict(env, envelope_keys, what) != 0)
		goto out;
	if (!json_is_array(json_object_get(vm, "tlogEntries")) &&
	    json_object_get(vm, "tlogEntries") != NULL) {
		ward_err(WARD_EVERIFY, "%s: tlogEntries is not an array", what);
		goto out;
	}
	json_array_foreach(sigs, i, s) if (strict(s, envsig_keys, what) != 0) goto out;
	if (!str_is(ward_json_str(j, "mediaType"), BUNDLE_MEDIA_TYPE_V03)) {
		ward_err(WARD_EVERIFY, "%s: bundle media type is not %s", what,
			 BUNDLE_MEDIA_TYPE_V03);
		goto out;
	}
	if (keyless || v->o->key == NULL) {
		/* the material decides: sigstore_verify refuses the other path */
		struct sigstore_opts none = {0};
		if (sigstore_verify(j, v->o->keyless ? v->o->keyless : &none, &sr, what) != 0)
			goto out;
		ptype = sr.payload_type;
		payload = &sr.payload;
	} else {
		if (bundle_parse(j, &b, what) != 0 || bundle_verify_key(&b, v->o->key, what) != 0)
			goto out;
		ptype = b.env.payload_type;
		payload = &b.env.payload;
	}
	if (ptype == NULL || strcmp(ptype, INTOTO_PAYLOAD_TYPE) != 0) {
		ward_err(WARD_EVERIFY, "%s: payload type %s is not in-toto", what,
			 ptype ? ptype : "(none)");
		goto out;
	}
	if (check_statement(v, payload->data, payload->len, what, expect_ptype, &st) != 0)
		goto out;
	simg_payload_digest(payload->data, payload->len, statement);
	if (ptype_out != NULL && (*ptype_out = ward_strdup(st.predicate_type)) == NULL)
		goto out;
	if (strcmp(st.predicate_type, PREDICATE_COSIGN_SIGN) == 0) {
		struct ward_strv *set = form == VFORM_LINE ? &v->line_sigs : &v->ref_sigs;
		if (ward_strv_push(set, statement) != 0 ||
		    (form != VFORM_LINE &&
		     note_commitments(v, subject_commitments(&st, v->s.hex)) != 0))
			goto out;
		if (form != VFORM_LINE)
			v->r->signatures++;
	} else if (vatt_add(v, st.predicate_type, statement, form, st.predicate) != 0) {
		goto out;
	}
	rc = 0;
out:
	if (rc != 0 && ward_errkind() == WARD_EINPUT)
		ward_err(WARD_EVERIFY, "%s", ward_errmsg()); /* malformed here = tampered */
	intoto_free(&st);
	bundle_free(&b);
	sigstore_result_free(&sr);
	json_decref(j);
	return rc;
}

/* ---------------------------------------------------------------- legacy */

/* cosign's keyless legacy layers: the certificate, chain, Rekor bundle and
 * timestamp annotations, as the v0.1 Sigstore bundle they amount to, so
 * that sigstore_verify checks them like any other (SET required). */
static json_t *
legacy_keyless_bundle(const json_t *ann, const char *sig_b64, const struct ward_buf *payload,
		      json_t *envelope, const char *what)
{
	const char *cert = ward_json_str(ann, COSIGN_CERT_ANNOTATION);
	const char *chain = ward_json_str(ann, COSIGN_CHAIN_ANNOTATION);
	const char *rb = ward_json_str(ann, COSIGN_BUNDLE_ANNOTATION);
	const char *ts = ward_json_str(ann, COSIGN_TIMESTAMP_ANNOTATION);
	struct ward_buf *certs = NULL, body = {0};
	uint8_t logid[32];
	char idx[24], itime[24];
	json_t *rbj = NULL, *bodyj = NULL, *list = NULL, *vm = NULL, *b = NULL, *p;
	const char *body64, *set, *hex;
	uint8_t d[SHA256_LEN];
	char *s = NULL;
	size_t n = 0;

	if (cert == NULL || rb == NULL) {
		ward_err(WARD_EVERIFY,
			 "%s: verification material: no certificate and Rekor bundle annotations "
			 "(signed with a key? verify with --key)",
			 what);
		goto out;
	}
	if (x509_pem_certs(cert, strlen(cert), what, &certs, &n) != 0 ||
	    (chain != NULL && x509_pem_certs(chain, strlen(chain), what, &certs, &n) != 0))
		goto out;
	if ((list = json_array()) == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && x509_is_self_signed(&certs[i]))
			continue; /* the chain's root: trust comes from the trusted root */
		free(s);
		if ((s = b64_encode(certs[i].data, certs[i].len)) == NULL ||
		    json_array_append_new(list, json_pack("{s:s}", "rawBytes", s)) != 0)
			goto out;
	}
	rbj = ward_json_loadb(rb, strlen(rb), what);
	p = json_object_get(rbj, "Payload");
	body64 = ward_json_str(p, "body");
	set = ward_json_str(rbj, "SignedEntryTimestamp");
	hex = ward_json_str(p, "logID");
	if (rbj == NULL || body64 == NULL || set == NULL || hex == NULL ||
	    !json_is_integer(json_object_get(p, "integratedTime")) ||
	    !json_is_integer(json_object_get(p, "logIndex")) || strlen(hex) != 2 * sizeof(logid) ||
	    ward_unhex(hex, logid, sizeof(logid), what) != 0 ||
	    b64_decode(body64, strlen(body64), &body, what) != 0 ||
	    (bodyj = ward_json_loadb(body.data, body.len, what)) == NULL) {
		ward_err(WARD_EVERIFY, "%s: the %s annotation is not a Rekor bundle", what,
			 COSIGN_BUNDLE_ANNOTATION);
		goto out;
	}
	free(s);
	s = b64_encode(logid, sizeof(logid));
	snprintf(idx, sizeof(idx), "%lld",
		 (long long)json_integer_value(json_object_get(p, "logIndex")));
	snprintf(itime, sizeof(itime), "%lld",
		 (long long)json_integer_value(json_object_get(p, "integratedTime")));
	vm = json_pack("{s:{s:O},s:[{s:s,s:{s:s?},s:{s:s?,s:s?},s:s,s:{s:s},s:s}]}",
		       "x509CertificateChain", "certificates", list, "tlogEntries", "logIndex", idx,
		       "logId", "keyId", s, "kindVersion", "kind", ward_json_str(bodyj, "kind"),
		       "version", ward_json_str(bodyj, "apiVersion"), "integratedTime", itime,
		       "inclusionPromise", "signedEntryTimestamp", set, "canonicalizedBody",
		       body64);
	if (vm == NULL)
		goto out;
	if (ts != NULL) {
		json_t *tj = ward_json_loadb(ts, strlen(ts), what);
		const char *t = ward_json_str(tj, "SignedRFC3161Timestamp");
		if (t != NULL)
			json_object_set_new(vm, "timestampVerificationData",
					    json_pack("{s:[{s:s}]}", "rfc3161Timestamps",
						      "signedTimestamp", t));
		json_decref(tj);
	}
	if (envelope != NULL) {
		b = json_pack("{s:s,s:O,s:O}", "mediaType",
			      "application/vnd.dev.sigstore.bundle+json;version=0.1",
			      "verificationMaterial", vm, "dsseEnvelope", envelope);
	} else {
		char *dg;
		sha256(payload->data, payload->len, d);
		dg = b64_encode(d, sizeof(d));
		b = json_pack("{s:s,s:O,s:{s:{s:s,s:s?},s:s}}", "mediaType",
			      "application/vnd.dev.sigstore.bundle+json;version=0.1",
			      "verificationMaterial", vm, "messageSignature", "messageDigest",
			      "algorithm", "SHA2_256", "digest", dg, "signature", sig_b64);
		free(dg);
	}
out:
	if (b == NULL && ward_errkind() == WARD_OK)
		ward_err(WARD_EVERIFY, "%s: unreadable keyless annotations", what);
	for (size_t i = 0; i < n; i++)
		ward_buf_free(&certs[i]);
	free(certs);
	free(s);
	ward_buf_free(&body);
	json_decref(bodyj);
	json_decref(rbj);
	json_decref(list);
	json_decref(vm);
	return b;
}

/* legacy_keyless(v, ann, sig_b64, payload, envelope, what): verify a
 * keyless legacy layer; for an envelope, payload receives its payload. */
static int
legacy_keyless(struct vctx *v, const json_t *ann, const char *sig_b64, struct ward_buf *payload,
	       json_t *envelope, const char *what)
{
	struct sigstore_opts o = {0};
	struct sigstore_result r = {0};
	uint8_t d[SHA256_LEN];
	json_t *b;
	int rc = -1;

	if (strict(ann, keyless_layer_keys, what) != 0 ||
	    (b = legacy_keyless_bundle(ann, sig_b64, payload, envelope, what)) == NULL)
		return -1;
	if (v->o->keyless != NULL)
		o = *v->o->keyless;
	if (envelope == NULL) {
		sha256(payload->data, payload->len, d);
		o.artifact_sha256 = d;
		o.artifact = payload->data;
		o.artifact_len = payload->len;
	}
	if (sigstore_verify(b, &o, &r, what) == 0) {
		rc = 0;
		if (envelope != NULL)
			rc = ward_buf_append(payload, r.payload.data, r.payload.len);
	}
	sigstore_result_free(&r);
	json_decref(b);
	return rc;
}

static int
check_signature_layer(struct vctx *v, const struct oci_descriptor *layer, const char *what)
{
	const char *b64 = ward_json_str(layer->annotations, COSIGN_SIGNATURE_ANNOTATION);
	struct ward_buf payload = {0}, sig = {0};
	struct cosign_claim c = {0};
	const char *commit;
	int rc = -1, keyless;

	keyless = v->o->key == NULL ||
		  ward_json_str(layer->annotations, COSIGN_CERT_ANNOTATION) != NULL;
	if (layer->annotations == NULL ||
	    (!keyless && strict(layer->annotations, sig_layer_keys, what) != 0))
		goto out;
	if (b64 == NULL || *b64 == '\0') {
		ward_err(WARD_EVERIFY, "%s: no %s annotation", what, COSIGN_SIGNATURE_ANNOTATION);
		goto out;
	}
	if (oci_layout_read_blob(v->s.l, layer, SIMG_MAX_BLOB, &payload) != 0 ||
	    b64_decode(b64, strlen(b64), &sig, what) != 0 ||
	    cosign_payload_parse(payload.data, payload.len, what, &c) != 0)
		goto out;
	if (keyless && legacy_keyless(v, layer->annotations, b64, &payload, NULL, what) != 0)
		goto out;
	if (strcmp(c.digest, v->s.image.digest) != 0) {
		ward_err(WARD_EVERIFY, "%s: the signature is for %s, not this image %s", what,
			 c.digest, v->s.image.digest);
		goto out;
	}
	if (!keyless &&
	    key_verify(v->o->key, payload.data, payload.len, sig.data, sig.len, what) != 0)
		goto out;
	commit = ward_json_str(c.optional, WARD_ATTESTATIONS_ANNOTATION);
	if (note_commitments(v, commit) != 0)
		goto out;
	v->r->signatures++;
	rc = 0;
out:
	if (rc != 0 && ward_errkind() == WARD_EINPUT)
		ward_err(WARD_EVERIFY, "%s", ward_errmsg());
	cosign_claim_free(&c);
	ward_buf_free(&payload);
	ward_buf_free(&sig);
	return rc;
}

static int
check_attestation_layer(struct vctx *v, const struct oci_descriptor *layer, const char *what)
{
	const char *pt = ward_json_str(layer->annotations, COSIGN_PREDICATE_ANNOTATION);
	const char *sg = ward_json_str(layer->annotations, COSIGN_SIGNATURE_ANNOTATION);
	struct ward_buf blob = {0};
	struct dsse_envelope e = {0};
	struct intoto st = {0};
	char digest[OCI_DIGEST_LEN + 1];
	json_t *j = NULL, *s;
	size_t i;
	int rc = -1, keyless;

	keyless = v->o->key == NULL ||
		  ward_json_str(layer->annotations, COSIGN_CERT_ANNOTATION) != NULL;
	if (layer->annotations == NULL ||
	    (!keyless && strict(layer->annotations, att_layer_keys, what) != 0))
		goto out;
	if (pt == NULL || (sg != NULL && *sg != '\0')) {
		ward_err(WARD_EVERIFY,
			 "%s: needs a predicateType annotation and an empty signature "
			 "annotation",
			 what);
		goto out;
	}
	if (oci_layout_read_blob(v->s.l, layer, SIMG_MAX_BLOB, &blob) != 0 ||
	    (j = ward_json_loadb(blob.data, blob.len, what)) == NULL ||
	    strict(j, envelope_keys, what) != 0)
		goto out;
	json_array_foreach(json_object_get(j, "signatures"), i,
			   s) if (strict(s, envsig_keys, what) != 0) goto out;
	if (dsse_parse(j, &e, what) != 0)
		goto out;
	if (strcmp(e.payload_type, INTOTO_PAYLOAD_TYPE) != 0) {
		ward_err(WARD_EVERIFY, "%s: payload type %s is not in-toto", what, e.payload_type);
		goto out;
	}
	if (keyless) {
		struct ward_buf verified = {0};
		int bad = legacy_keyless(v, layer->annotations, NULL, &verified, j, what) != 0 ||
			  verified.len != e.payload.len ||
			  memcmp(verified.data, e.payload.data, e.payload.len) != 0;
		ward_buf_free(&verified);
		if (bad)
			goto out;
	} else if (dsse_verify(&e, v->o->key, what) != 0) {
		goto out;
	}
	if (check_statement(v, e.payload.data, e.payload.len, what, pt, &st) != 0)
		goto out;
	simg_payload_digest(e.payload.data, e.payload.len, digest);
	rc = vatt_add(v, st.predicate_type, digest, VFORM_LEGACY, st.predicate);
out:
	if (rc != 0 && ward_errkind() == WARD_EINPUT)
		ward_err(WARD_EVERIFY, "%s", ward_errmsg());
	intoto_free(&st);
	dsse_envelope_free(&e);
	json_decref(j);
	ward_buf_free(&blob);
	return rc;
}

static void
verify_legacy(struct vctx *v, const char *tag, const char *layer_mt, int sigs)
{
	const struct oci_descriptor *d = oci_layout_find(v->s.l, tag);
	struct ward_buf raw = {0};
	struct oci_manifest m = {0};
	char what[OCI_DIGEST_LEN + 64];

	if (d == NULL) {
		vrecord(v, VERIFY_SKIP, tag, "not present");
		return;
	}
	if (!sigs)
		v->have_att_manifest = 1;
	if (simg_read_manifest(v->s.l, d, &raw, &m) != 0 ||
	    check_cosign_image(v, &m, layer_mt, tag) != 0) {
		if (ward_errkind() == WARD_EINPUT)
			ward_err(WARD_EVERIFY, "%s", ward_errmsg());
		vfail(v, tag);
		goto out;
	}
	vrecord(v, VERIFY_PASS, tag, "manifest %s and config as cosign writes them", d->digest);
	for (size_t i = 0; i < m.nlayers; i++) {
		int rc;
		snprintf(what, sizeof(what), "%s layer %zu", tag, i + 1);
		rc = sigs ? check_signature_layer(v, &m.layers[i], what)
			  : check_attestation_layer(v, &m.layers[i], what);
		if (rc != 0)
			vfail(v, what);
		else
			vrecord(v, VERIFY_PASS, what, "%s verifies %s",
				sigs ? "simple-signing signature" : "DSSE attestation",
				v->o->key ? "with the key"
					  : "keylessly (certificate, Rekor, identity)");
	}
out:
	oci_manifest_free(&m);
	ward_buf_free(&raw);
}

void
verify_legacy_signatures(struct vctx *v)
{
	verify_legacy(v, v->s.sig_tag, COSIGN_SIMPLESIGNING_MEDIA_TYPE, 1);
}

void
verify_legacy_attestations(struct vctx *v)
{
	verify_legacy(v, v->s.att_tag, COSIGN_DSSE_MEDIA_TYPE, 0);
}

/* ---------------------------------------------------------------- referrers */

static int
blob_present(struct vctx *v, const char *digest)
{
	char *p = oci_blob_path(oci_layout_blobs_dir(v->s.l), digest);
	int ok = p != NULL && access(p, F_OK) == 0;

	free(p);
	return ok;
}

static int
check_referrer(struct vctx *v, const struct oci_descriptor *entry, const struct oci_manifest *m,
	       const char *what)
{
	const struct oci_descriptor empty = {
		.media_type = OCI_MT_EMPTY, .digest = OCI_EMPTY_DIGEST, .size = 2};
	const char *pt = ward_json_str(m->annotations, BUNDLE_PREDICATE_ANNOTATION);
	const char *content = ward_json_str(m->annotations, BUNDLE_CONTENT_ANNOTATION);
	struct ward_buf blob = {0};
	char statement[OCI_DIGEST_LEN + 1];
	int rc = -1;

	if (strict(m->root, manifest_keys, what) != 0 ||
	    strict(json_object_get(m->root, "config"), descriptor_keys, what) != 0 ||
	    strict(json_object_get(m->root, "subject"), descriptor_keys, what) != 0)
		goto out;
	if (strcmp(m->media_type, OCI_MT_MANIFEST) != 0 ||
	    strcmp(m->artifact_type, BUNDLE_MEDIA_TYPE_V03) != 0 ||
	    strcmp(entry->artifact_type, m->artifact_type) != 0) {
		ward_err(WARD_EVERIFY,
			 "%s: not a Sigstore bundle referrer (media type %s, "
			 "artifactType %s)",
			 what, m->media_type, m->artifact_type);
		goto out;
	}
	if (strcmp(m->subject.media_type, v->s.image.media_type) != 0 ||
	    m->subject.size != v->s.image.size) {
		ward_err(WARD_EVERIFY, "%s: its subject descriptor does not describe this image",
			 what);
		goto out;
	}
	if (strcmp(m->config.media_type, empty.media_type) != 0 ||
	    strcmp(m->config.digest, empty.digest) != 0 || m->config.size != empty.size ||
	    oci_layout_read_blob(v->s.l, &m->config, 16, &blob) != 0)
		goto bad_config;
	ward_buf_free(&blob);
	if (m->nlayers != 1 || strcmp(m->layers[0].media_type, BUNDLE_MEDIA_TYPE_V03) != 0 ||
	    (m->layers[0].annotations != NULL && json_object_size(m->layers[0].annotations) > 0)) {
		ward_err(WARD_EVERIFY, "%s: a bundle referrer has exactly one bundle layer", what);
		goto out;
	}
	if (m->annotations == NULL || strict(m->annotations, referrer_ann, what) != 0)
		goto out;
	if (pt == NULL || (content != NULL && strcmp(content, "dsse-envelope") != 0)) {
		ward_err(WARD_EVERIFY, "%s: needs the annotations %s and %s=dsse-envelope", what,
			 BUNDLE_PREDICATE_ANNOTATION, BUNDLE_CONTENT_ANNOTATION);
		goto out;
	}
	if (oci_layout_read_blob(v->s.l, &m->layers[0], SIMG_MAX_BLOB, &blob) != 0)
		goto out;
	rc = vcheck_bundle(v, blob.data, blob.len, what, VFORM_REFERRER, pt, statement, NULL);
	goto out;
bad_config:
	if (ward_errkind() == WARD_OK || ward_errkind() == WARD_EINPUT)
		ward_err(WARD_EVERIFY, "%s: config is not the empty descriptor", what);
out:
	if (rc != 0 && ward_errkind() == WARD_EINPUT)
		ward_err(WARD_EVERIFY, "%s", ward_errmsg());
	ward_buf_free(&blob);
	return rc;
}

void
verify_referrers(struct vctx *v)
{
	size_t count = oci_layout_count(v->s.l);

	for (size_t i = 0; i < count; i++) {
		const struct oci_descriptor *d = oci_layout_entry(v->s.l, i);
		const char *tag = ward_json_str(d->annotations, OCI_ANN_REF_NAME);
		struct ward_buf raw = {0};
		struct oci_manifest m = {0};
		char what[OCI_DIGEST_LEN + 32];

		if (strcmp(d->digest, v->s.image.digest) == 0 ||
		    (tag != NULL &&
		     (strcmp(tag, v->s.sig_tag) == 0 || strcmp(tag, v->s.att_tag) == 0)))
			continue;
		snprintf(what, sizeof(what), "referrer %s", d->digest);
		if (strcmp(d->media_type, OCI_MT_MANIFEST) != 0 &&
		    strcmp(d->media_type, DOCKER_MT_MANIFEST) != 0) {
			/* another index: its bytes must still be what index.json says */
			if (oci_layout_read_blob(v->s.l, d, SIMG_MAX_MANIFEST, &raw) != 0)
				vfail(v, d->digest);
			ward_buf_free(&raw);
			continue;
		}
		if (simg_read_manifest(v->s.l, d, &raw, &m) != 0) {
			if (ward_errkind() == WARD_EINPUT)
				ward_err(WARD_EVERIFY, "%s", ward_errmsg());
			vfail(v, what);
		} else if (m.has_subject && !blob_present(v, m.subject.digest)) {
			ward_err(WARD_EVERIFY, "%s names subject %s, which is not in the layout",
				 d->digest, m.subject.digest);
			vfail(v, what);
		} else if (m.has_subject && strcmp(m.subject.digest, v->s.image.digest) == 0) {
			v->have_referrers = 1;
			if (check_referrer(v, d, &m, what) != 0)
				vfail(v, what);
			else
				vrecord(v, VERIFY_PASS, what, "%s bundle verifies %s",
					attest_predicate_name(ward_json_str(
						m.annotations, BUNDLE_PREDICATE_ANNOTATION)),
					v->o->key ? "with the key" : "keylessly");
		}
		oci_manifest_free(&m);
		ward_buf_free(&raw);
	}
}

/* ---------------------------------------------------------------- bundle file */

void
verify_bundle_file(struct vctx *v)
{
	struct ward_buf b = {0};
	const char *p, *end;
	size_t line = 0;

	if (ward_file_read(v->o->bundle, VERIFY_MAX_BUNDLE_FILE, &b) != 0) {
		vfail(v, v->o->bundle);
		return;
	}
	p = (const char *)b.data;
	end = p + b.len;
	if (b.len == 0)
		vrecord(v, VERIFY_FAIL, v->o->bundle, "the attestation bundle is empty");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char what[512], statement[OCI_DIGEST_LEN + 1], *pt = NULL;

		line++;
		snprintf(what, sizeof(what), "%s line %zu", v->o->bundle, line);
		if (len == 0 || nl == NULL) {
			vrecord(v, VERIFY_FAIL, what,
				nl ? "empty line" : "the last line does not end with a newline");
		} else if (vcheck_bundle(v, p, len, what, VFORM_LINE, NULL, statement, &pt) != 0) {
			vfail(v, what);
		} else {
			vrecord(v, VERIFY_PASS, what, "%s bundle verifies %s",
				attest_predicate_name(pt),
				v->o->key ? "with the key" : "keylessly");
		}
		free(pt);
		p += len + (nl ? 1 : 0);
	}
	ward_buf_free(&b);
}
