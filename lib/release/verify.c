/* verify.c: `ward verify RELEASE` — the image, every attestation and
 * signature, and every artifact file against the signed release index. */
#include <dirent.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "release_internal.h"

struct vctx {
	json_t *checks;
	size_t failures;
	char *first;
};

static void note(struct vctx *v, int ok, const char *subject, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
note(struct vctx *v, int ok, const char *subject, const char *fmt, ...)
{
	va_list ap;
	char *d = NULL;

	va_start(ap, fmt);
	if (vasprintf(&d, fmt, ap) < 0)
		d = NULL;
	va_end(ap);
	json_array_append_new(v->checks, json_pack("{s:s,s:s,s:s}", "subject", subject, "status",
						   ok ? "pass" : "fail", "detail", d ? d : ""));
	if (!ok) {
		if (v->failures++ == 0)
			v->first = ward_asprintf("%s: %s", subject, d ? d : "");
	}
	free(d);
}

/* sha256 and size of dir/rel into hex ("sha256:…"). */
static int
file_digest(const char *dir, const char *rel, char out[72], uint64_t *size)
{
	char *p = ward_path_join(dir, rel), hex[SHA256_HEX_LEN + 1];
	int rc = -1;

	if (p != NULL && sha256_file_hex(p, hex, size) == 0) {
		snprintf(out, 72, "sha256:%s", hex);
		rc = 0;
	}
	free(p);
	return rc;
}

static int
check_file(struct vctx *v, const char *dir, const json_t *f, const char *what)
{
	const char *path = json_string_value(json_object_get(f, "path"));
	const char *sha = json_string_value(json_object_get(f, "sha256"));
	json_int_t size = json_integer_value(json_object_get(f, "size"));
	char got[72];
	uint64_t gsize = 0;

	if (path == NULL || sha == NULL || !ward_relpath_ok(path) ||
	    !ward_str_startswith(path, "artifacts/")) {
		note(v, 0, what, "a malformed entry");
		return -1;
	}
	if (file_digest(dir, path, got, &gsize) != 0) {
		note(v, 0, path, "%s", ward_errmsg());
		ward_err_clear();
		return -1;
	}
	if (strcmp(got, sha) != 0 ||
	    (json_is_integer(json_object_get(f, "size")) && (uint64_t)size != gsize)) {
		note(v, 0, path, "%s says %s, the file is %s (%llu bytes)", what, sha, got,
		     (unsigned long long)gsize);
		return -1;
	}
	note(v, 1, path, "%s (%s)", sha, what);
	return 0;
}

static const struct verify_attestation *
att_of(const struct verify_report *r, const char *ptype)
{
	for (size_t i = 0; i < r->natts; i++)
		if (strcmp(r->atts[i].predicate_type, ptype) == 0)
			return &r->atts[i];
	return NULL;
}

/* The signature files: payload + base64 signature verify with the key and
 * name the image; the v3 bundle is the bundle file's first line; the
 * provenance envelope is the attested provenance. */
static void
signature_files(struct vctx *v, const char *dir, const struct ward_key *key,
		const struct verify_report *r)
{
	char *art = ward_path_join(dir, "artifacts");
	char *pp = ward_path_join(art, REL_SIG_PAYLOAD), *sp = ward_path_join(art, REL_SIG);
	char *bp = ward_path_join(art, REL_SIG_BUNDLE), *lp = ward_path_join(art, REL_BUNDLE);
	char *vp = ward_path_join(art, REL_PROVENANCE_DSSE), *kp = ward_path_join(art, REL_PUBKEY);
	struct ward_buf payload = {0}, sig = {0}, raw = {0}, b1 = {0}, lines = {0}, env = {0};
	struct cosign_claim cl = {0};
	struct ward_key *k2 = NULL;
	const char *nl;

	if (art == NULL || pp == NULL || sp == NULL || bp == NULL || lp == NULL || vp == NULL ||
	    kp == NULL)
		goto out;
	if (ward_file_read(pp, 1u << 20, &payload) != 0 ||
	    ward_file_read(sp, 1u << 16, &sig) != 0 ||
	    b64_decode((char *)sig.data, sig.len, &raw, REL_SIG) != 0)
		note(v, 0, "artifacts/" REL_SIG, "%s", ward_errmsg());
	else if (key_verify(key, payload.data, payload.len, raw.data, raw.len, REL_SIG) != 0 ||
		 cosign_payload_parse(payload.data, payload.len, REL_SIG_PAYLOAD, &cl) != 0)
		note(v, 0, "artifacts/" REL_SIG, "%s", ward_errmsg());
	else if (strcmp(cl.digest, r->image) != 0)
		note(v, 0, "artifacts/" REL_SIG, "signs %s, not the image %s", cl.digest, r->image);
	else
		note(v, 1, "artifacts/" REL_SIG, "cosign signature of %s by the key (%s)",
		     cl.digest, cl.docker_reference);
	ward_err_clear();
	if (ward_file_read(bp, 16u << 20, &b1) != 0 || ward_file_read(lp, 1u << 30, &lines) != 0 ||
	    (nl = memchr(lines.data, '\n', lines.len)) == NULL ||
	    (size_t)(nl - (char *)lines.data) != b1.len || memcmp(lines.data, b1.data, b1.len) != 0)
		note(v, 0, "artifacts/" REL_SIG_BUNDLE, "is not the first line of %s", REL_BUNDLE);
	else
		note(v, 1, "artifacts/" REL_SIG_BUNDLE, "the signature line of %s", REL_BUNDLE);
	ward_err_clear();
	{
		const struct verify_attestation *a = att_of(r, PREDICATE_SLSA_V1);
		json_t *ej = NULL;
		struct dsse_envelope e = {0};
		char hex[SHA256_HEX_LEN + 1], dg[72] = "";
		if (ward_file_read(vp, 64u << 20, &env) == 0 &&
		    (ej = ward_json_loadb(env.data, env.len, REL_PROVENANCE_DSSE)) != NULL &&
		    dsse_parse(ej, &e, REL_PROVENANCE_DSSE) == 0 &&
		    dsse_verify(&e, key, REL_PROVENANCE_DSSE) == 0) {
			sha256_hex(e.payload.data, e.payload.len, hex);
			snprintf(dg, sizeof(dg), "sha256:%s", hex);
		}
		if (*dg && a && strcmp(dg, a->statement) == 0)
			note(v, 1, "artifacts/" REL_PROVENANCE_DSSE,
			     "DSSE envelope verifies; it is the attested provenance %s", dg);
		else
			note(v, 0, "artifacts/" REL_PROVENANCE_DSSE, "%s",
			     *dg ? "not the attested provenance" : ward_errmsg());
		ward_err_clear();
		dsse_envelope_free(&e);
		json_decref(ej);
	}
	if ((k2 = key_load_public(kp)) == NULL || !key_equal(k2, key))
		note(v, 0, "artifacts/" REL_PUBKEY, "is not the verifying key");
	else
		note(v, 1, "artifacts/" REL_PUBKEY, "the verifying key");
	ward_err_clear();
out:
	key_free(k2);
	cosign_claim_free(&cl);
	ward_buf_free(&payload);
	ward_buf_free(&sig);
	ward_buf_free(&raw);
	ward_buf_free(&b1);
	ward_buf_free(&lines);
	ward_buf_free(&env);
	free(art);
	free(pp);
	free(sp);
	free(bp);
	free(lp);
	free(vp);
	free(kp);
}

/* Files in artifacts/ that neither the signed index nor the signature
 * checks account for. */
static void
extra_files(struct vctx *v, const char *dir, const json_t *listed)
{
	static const char *const separate[] = {REL_SIG_PAYLOAD, REL_SIG,    REL_SIG_BUNDLE,
					       REL_PUBKEY,	REL_BUNDLE, REL_PROVENANCE_DSSE};
	char *art = ward_path_join(dir, "artifacts");
	DIR *d = art ? opendir(art) : NULL;
	struct dirent *de;
	size_t extra = 0;

	while (d && (de = readdir(d)) != NULL) {
		int known = 0;
		size_t i;
		json_t *f;
		if (de->d_name[0] == '.')
			continue;
		for (i = 0; i < sizeof(separate) / sizeof(*separate); i++)
			known |= strcmp(de->d_name, separate[i]) == 0;
		json_array_foreach(listed, i, f)
		{
			const char *p = json_string_value(json_object_get(f, "path"));
			known |= p && strcmp(p + strlen("artifacts/"), de->d_name) == 0;
		}
		if (!known) {
			char subj[300];
			snprintf(subj, sizeof(subj), "artifacts/%s", de->d_name);
			note(v, 0, subj, "not covered by the signed release index");
			extra++;
		}
	}
	if (d)
		closedir(d);
	else
		note(v, 0, "artifacts/", "cannot be read");
	if (d && extra == 0)
		note(v, 1, "artifacts/", "every file is covered by a signature");
	free(art);
}

int
release_verify(const char *dir, const struct ward_key *key, int threads,
	       const struct release_rebuild *rebuild, json_t **out)
{
	return release_verify_catalog(dir, key, threads, NULL, rebuild, out);
}

int
release_verify_catalog(const char *dir, const struct ward_key *key, int threads,
		       struct sbom_catalog *cat, const struct release_rebuild *rebuild,
		       json_t **out)
{
	static const char *const required[] = {
		PREDICATE_CYCLONEDX,	PREDICATE_SPDX,		  PREDICATE_SLSA_V1,
		PREDICATE_OPENVEX,	PREDICATE_WARD_VULN,	  PREDICATE_WARD_TEST,
		PREDICATE_WARD_LICENSE, PREDICATE_WARD_BUILD_LOG, PREDICATE_WARD_SOFTWARE_HASH,
		PREDICATE_WARD_RELEASE,
	};
	struct vctx v = {0};
	struct verify_opts vo = {0};
	struct verify_report r = {0};
	struct sbom_check_ctx sc = {0};
	struct release_rebuild rb = {0};
	struct ward_strv req = {0};
	char *ipath = ward_path_join(dir, REL_INDEX), *ref = NULL, *bundle = NULL;
	json_t *idx = NULL, *img, *vj = NULL;
	const char *path, *tag, *digest;
	int rc = -1;

	if (out)
		*out = NULL;
	if ((v.checks = json_array()) == NULL || ipath == NULL)
		goto out;
	if ((idx = ward_json_load_file(ipath, 64u << 20)) == NULL)
		goto out;
	img = json_object_get(idx, "image");
	path = json_string_value(json_object_get(img, "path"));
	tag = json_string_value(json_object_get(img, "tag"));
	digest = json_string_value(json_object_get(img, "digest"));
	if (!json_is_object(idx) || path == NULL || tag == NULL || digest == NULL ||
	    !ward_relpath_ok(path) || strchr(tag, '/') != NULL) {
		ward_err(WARD_EINPUT, "%s: not a ward release index", ipath);
		goto out;
	}
	if ((ref = ward_asprintf("%s/%s:%s", dir, path, tag)) == NULL ||
	    (bundle = ward_asprintf("%s/artifacts/%s", dir, REL_BUNDLE)) == NULL)
		goto out;
	for (size_t i = 0; i < sizeof(required) / sizeof(*required); i++)
		if (ward_strv_push(&req, required[i]) != 0)
			goto out;
	vo.key = key;
	vo.bundle = bundle;
	vo.require = &req;
	vo.threads = threads;
	vo.sbom = attest_sbom_check;
	vo.sbom_ctx = &sc;
	sc.threads = threads;
	if (rebuild != NULL) { /* from the signed provenance, checked in attest_verify_image */
		rb = *rebuild;
		if (rb.key == NULL)
			rb.key = key;
		vo.rebuild = 1;
		vo.rebuild_fn = release_rebuild;
		vo.rebuild_ctx = &rb;
	}
	if (cat != NULL) { /* lent by the caller: the same image, no second pass */
		if ((sc.image = ward_strdup(ref)) == NULL)
			goto out;
		sc.cat = cat;
	}
	if (attest_verify_image(ref, &vo, &r) == 0)
		note(&v, 1, "image", "%s: %zu signature(s), %zu attestation(s)", r.image,
		     r.signatures, r.natts);
	else
		note(&v, 0, "image", "%s", r.first_failure ? r.first_failure : ward_errmsg());
	ward_err_clear();
	for (size_t i = 0; rebuild != NULL && i < r.n; i++)
		if (strcmp(r.checks[i].subject, "rebuild") == 0 &&
		    r.checks[i].status == VERIFY_PASS)
			note(&v, 1, "rebuild", "%s", r.checks[i].detail);
	if (r.ref != NULL && strcmp(r.image, digest) != 0)
		note(&v, 0, REL_INDEX, "names image %s, the layout holds %s", digest, r.image);
	{
		const struct verify_attestation *a = att_of(&r, PREDICATE_WARD_RELEASE);
		json_t *listed = a ? json_object_get(a->predicate, "artifacts") : NULL, *f;
		size_t i;
		if (a == NULL || !json_is_array(listed))
			note(&v, 0, "release index", "no signed release index attestation");
		else {
			if (strcmp(json_string_value(json_object_get(a->predicate, "image")) ?: "",
				   r.image) != 0)
				note(&v, 0, "release index", "is about another image");
			json_array_foreach(listed, i, f)
				check_file(&v, dir, f, "signed release index");
			extra_files(&v, dir, listed);
		}
		/* release.json itself is unsigned: it must agree with the files */
		json_array_foreach(json_object_get(idx, "artifacts"), i, f)
		{
			size_t k;
			json_t *g;
			json_array_foreach(json_object_get(f, "files"), k, g)
			{
				const char *p = json_string_value(json_object_get(g, "path"));
				char got[72];
				uint64_t sz;
				if (p == NULL || !ward_relpath_ok(p) ||
				    file_digest(dir, p, got, &sz) != 0 ||
				    strcmp(got, json_string_value(json_object_get(g, "sha256"))
							?: "") != 0) {
					note(&v, 0, REL_INDEX, "lists %s with another digest",
					     p ? p : "(malformed)");
					ward_err_clear();
				}
			}
		}
	}
	signature_files(&v, dir, key, &r);
	if (v.failures == 0)
		rc = 0;
	else
		ward_err(WARD_EVERIFY, "release %s: %s", dir,
			 v.first ? v.first : "verification failed");
out:
	if (out && v.checks) {
		vj = json_pack("{s:s,s:s,s:b,s:I,s:O}", "release", dir, "image",
			       r.image[0] ? r.image : "", "verified", rc == 0, "failures",
			       (json_int_t)v.failures, "checks", v.checks);
		if (vj && r.ref)
			json_object_set_new(vj, "verify", verify_report_json(&r));
		*out = vj;
	}
	verify_report_free(&r);
	if (cat != NULL)
		sc.cat = NULL;
	attest_sbom_check_done(&sc);
	ward_strv_free(&req);
	json_decref(idx);
	json_decref(v.checks);
	free(v.first);
	free(ipath);
	free(ref);
	free(bundle);
	return rc;
}
