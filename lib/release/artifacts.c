/* artifacts.c: writing artifact files, attesting and signing, and the
 * signature files taken back out of the layout. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "release_internal.h"

int
rel_put(struct rel *x, const char *name, const void *data, size_t len)
{
	char *path = ward_path_join(x->art, name), *rel = ward_asprintf("artifacts/%s", name);
	char hex[SHA256_HEX_LEN + 1], dg[72];
	int rc = -1;

	if (path == NULL || rel == NULL || ward_file_write(path, data, len, 0644) != 0)
		goto out;
	sha256_hex(data, len, hex);
	snprintf(dg, sizeof(dg), "sha256:%s", hex);
	if (json_array_append_new(x->files, json_pack("{s:s,s:s,s:I}", "path", rel, "sha256", dg,
						      "size", (json_int_t)len)) != 0)
		goto out;
	x->r->files++;
	rc = 0;
out:
	free(path);
	free(rel);
	return rc;
}

int
rel_put_json(struct rel *x, const char *name, const json_t *j, int pretty)
{
	char *s = ward_json_dump(j, pretty);
	int rc;

	if (s == NULL)
		return -1;
	rc = rel_put(x, name, s, strlen(s));
	free(s);
	return rc;
}

const char *
rel_file_sha(const struct rel *x, const char *name)
{
	size_t i, nl = strlen(name);
	json_t *f;

	json_array_foreach(x->files, i, f)
	{
		const char *p = json_string_value(json_object_get(f, "path"));
		size_t pl = strlen(p);
		if (pl >= nl && strcmp(p + pl - nl, name) == 0 &&
		    (pl == nl || p[pl - nl - 1] == '/'))
			return json_string_value(json_object_get(f, "sha256"));
	}
	return NULL;
}

int
rel_digest_file(const char *path, char out[72])
{
	char hex[SHA256_HEX_LEN + 1];

	if (attest_path_digest(path, hex) != 0)
		return -1;
	snprintf(out, 72, "sha256:%s", hex);
	return 0;
}

int
rel_attest(struct rel *x, const char *name, const char *ptype, const json_t *predicate,
	   const char *artifact)
{
	struct attest_image_opts ao = {.identity = x->identity};
	struct attest_result ar = {0};
	uint64_t t0 = ward_now_ns();
	const char *sha = artifact ? rel_file_sha(x, artifact) : NULL;
	char step[96];
	int rc = attest_image(x->ref, x->o->key, ptype, predicate, &ao, &ar);

	snprintf(step, sizeof(step), "attest %s", name);
	if (rc == 0)
		json_object_set_new(x->atts, ptype, json_string(ar.statement));
	release_log_step(
		&x->log, step, t0, rc == 0,
		sha ? json_pack("{s:s,s:s}", "image", x->r->digest, artifact, sha)
		    : json_pack("{s:s}", "image", x->r->digest),
		rc == 0 ? json_pack("{s:s,s:s}", "statement", ar.statement, "referrer", ar.referrer)
			: NULL,
		ptype);
	return rc;
}

int
rel_sign(struct rel *x, const char *what)
{
	struct attest_image_opts ao = {.identity = x->identity};
	struct attest_result ar = {0};
	uint64_t t0 = ward_now_ns();
	char detail[96];
	int rc = attest_sign_image(x->ref, x->o->key, &ao, &ar);

	snprintf(detail, sizeof(detail), "%s; covers %zu attestation(s)", what, ar.committed);
	release_log_step(
		&x->log, "sign", t0, rc == 0, json_pack("{s:s}", "image", x->r->digest),
		rc == 0 ? json_pack("{s:s,s:s}", "signature", ar.legacy, "referrer", ar.referrer)
			: NULL,
		detail);
	return rc;
}

/* The simple-signing payload and signature of the .sig manifest for the
 * image, signed by our key (the first layer: ward signs each image once). */
static int
legacy_signature(struct rel *x, struct ward_buf *payload, char **sig)
{
	struct oci_layout *l = oci_layout_open(x->layout);
	const struct oci_descriptor *d;
	struct oci_manifest mf = {0};
	struct ward_buf b = {0};
	char tag[96];
	int rc = -1;

	if (l == NULL)
		return -1;
	snprintf(tag, sizeof(tag), "sha256-%s.sig", oci_digest_hex(x->r->digest));
	if ((d = oci_layout_find(l, tag)) == NULL) {
		ward_err(WARD_EINPUT, "%s: no %s", x->layout, tag);
		goto out;
	}
	if (oci_layout_read_blob(l, d, 4u << 20, &b) != 0 ||
	    oci_manifest_parse(b.data, b.len, tag, NULL, &mf) != 0)
		goto out;
	for (size_t i = 0; i < mf.nlayers; i++) {
		const char *s =
			ward_json_str(mf.layers[i].annotations, COSIGN_SIGNATURE_ANNOTATION);
		struct ward_buf p = {0}, raw = {0};
		struct cosign_claim cl = {0};
		if (s == NULL || oci_layout_read_blob(l, &mf.layers[i], 1u << 20, &p) != 0)
			continue;
		/* ours: the signature verifies with our key */
		if (b64_decode(s, strlen(s), &raw, "signature") == 0 &&
		    key_verify(x->pub, p.data, p.len, raw.data, raw.len, tag) == 0 &&
		    cosign_payload_parse(p.data, p.len, tag, &cl) == 0) {
			*payload = p;
			*sig = ward_strdup(s);
			cosign_claim_free(&cl);
			ward_buf_free(&raw);
			rc = *sig ? 0 : -1;
			break;
		}
		cosign_claim_free(&cl);
		ward_buf_free(&raw);
		ward_buf_free(&p);
		ward_err_clear();
	}
	if (rc != 0 && *ward_errmsg() == '\0')
		ward_err(WARD_EVERIFY, "%s: no signature by the release key", tag);
out:
	ward_buf_free(&b);
	oci_manifest_free(&mf);
	oci_layout_abort(l);
	return rc;
}

int
rel_signature_files(struct rel *x)
{
	struct ward_buf payload = {0}, bundle = {0};
	char *sig = NULL, *pem = NULL, *bpath = ward_path_join(x->art, REL_BUNDLE);
	const char *line, *end;
	int rc = -1, have_prov = 0;

	if (bpath == NULL || legacy_signature(x, &payload, &sig) != 0 ||
	    rel_put(x, REL_SIG_PAYLOAD, payload.data, payload.len) != 0 ||
	    rel_put(x, REL_SIG, sig, strlen(sig)) != 0 || (pem = key_public_pem(x->pub)) == NULL ||
	    rel_put(x, REL_PUBKEY, pem, strlen(pem)) != 0 ||
	    ward_file_read(bpath, 1u << 30, &bundle) != 0)
		goto out;
	/* line 1: the v3 signature; the SLSA one: the provenance envelope */
	for (line = (char *)bundle.data; line && *line; line = end ? end + 1 : NULL) {
		json_t *j, *env;
		struct dsse_envelope e = {0};
		struct intoto st = {0};
		end = strchr(line, '\n');
		if ((j = ward_json_loadb(line, end ? (size_t)(end - line) : strlen(line),
					 REL_BUNDLE)) == NULL)
			goto out;
		if (line == (char *)bundle.data) {
			char *s = ward_json_dump(j, 0);
			int ok = s && rel_put(x, REL_SIG_BUNDLE, s, strlen(s)) == 0;
			free(s);
			if (!ok) {
				json_decref(j);
				goto out;
			}
		}
		env = json_object_get(j, "dsseEnvelope");
		if (!have_prov && env && dsse_parse(env, &e, REL_BUNDLE) == 0 &&
		    intoto_parse(e.payload.data, e.payload.len, REL_BUNDLE, &st) == 0 &&
		    strcmp(st.predicate_type, PREDICATE_SLSA_V1) == 0) {
			char *s = ward_json_dump(env, 0), *l2 = s ? ward_asprintf("%s\n", s) : NULL;
			have_prov = l2 && rel_put(x, REL_PROVENANCE_DSSE, l2, strlen(l2)) == 0;
			free(s);
			free(l2);
		}
		ward_err_clear();
		intoto_free(&st);
		dsse_envelope_free(&e);
		json_decref(j);
	}
	rc = have_prov ? 0 : ward_err(WARD_EENV, "%s: no provenance attestation", REL_BUNDLE);
out:
	ward_buf_free(&payload);
	ward_buf_free(&bundle);
	free(sig);
	free(pem);
	free(bpath);
	return rc;
}
