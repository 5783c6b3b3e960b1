/*
 * verify.c: `ward verify` — every link from the key to the image's bytes:
 * blobs, signatures, attestations, the agreement of their forms, the
 * attestations a signature commits to, then the content checks (SBOM vs a
 * fresh catalog, provenance vs the lock, rebuild) that other parts plug in.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "attest/verify_internal.h"

/* ---------------------------------------------------------------- report */

void
vrecord(struct vctx *v, int status, const char *subject, const char *fmt, ...)
{
	struct verify_report *r = v->r;
	struct verify_check *c;
	va_list ap;
	char *detail = NULL;

	va_start(ap, fmt);
	if (vasprintf(&detail, fmt, ap) < 0)
		detail = NULL;
	va_end(ap);
	if (ward_vec_reserve(&r->checks, &r->cap, r->n + 1, sizeof(*r->checks)) != 0) {
		free(detail);
		r->failures++; /* cannot record it; still must not pass */
		return;
	}
	/* "what: what: reason" when the error already names the subject */
	if (detail != NULL && strncmp(detail, subject, strlen(subject)) == 0 &&
	    strncmp(detail + strlen(subject), ": ", 2) == 0)
		memmove(detail, detail + strlen(subject) + 2,
			strlen(detail + strlen(subject) + 2) + 1);
	c = &r->checks[r->n++];
	c->subject = ward_strdup(subject);
	c->status = status;
	c->detail = detail;
	if (status == VERIFY_FAIL) {
		r->failures++;
		if (r->first_failure == NULL)
			r->first_failure =
				ward_asprintf("%s: %s", subject, detail ? detail : "failed");
	} else if (status == VERIFY_SKIP) {
		r->skipped++;
	}
}

void
vfail(struct vctx *v, const char *subject)
{
	vrecord(v, VERIFY_FAIL, subject, "%s", ward_errmsg()[0] ? ward_errmsg() : "failed");
	ward_err_clear();
}

const char *
vunknown_field(const json_t *obj, const char *const *keys)
{
	const char *k;
	json_t *val;

	json_object_foreach((json_t *)obj, k, val)
	{
		size_t i;
		for (i = 0; keys[i] != NULL && strcmp(keys[i], k) != 0; i++)
			;
		if (keys[i] == NULL)
			return k;
	}
	return NULL;
}

int
vatt_add(struct vctx *v, const char *ptype, const char *statement, int form, json_t *predicate)
{
	struct verify_report *r = v->r;
	struct verify_attestation *a = NULL;

	for (size_t i = 0; i < r->natts; i++)
		if (strcmp(r->atts[i].statement, statement) == 0)
			a = &r->atts[i];
	if (a == NULL) {
		if (ward_vec_grow(&r->atts, r->natts, sizeof(*r->atts)) != 0)
			return -1;
		a = &r->atts[r->natts];
		memset(a, 0, sizeof(*a));
		if ((a->predicate_type = ward_strdup(ptype)) == NULL)
			return -1;
		snprintf(a->statement, sizeof(a->statement), "%s", statement);
		a->predicate = json_incref(predicate);
		r->natts++;
	}
	if (form == VFORM_LEGACY)
		a->legacy = 1;
	else if (form == VFORM_REFERRER)
		a->referrer = 1;
	else
		a->bundle_line = 1;
	return 0;
}

/* ---------------------------------------------------------------- image */

static void
verify_one_image(struct vctx *v, const char *ref, const char *platform)
{
	struct oci_open_opts oo = {.platform = platform};
	struct oci_image *img;
	char what[OCI_DIGEST_LEN + 80];

	snprintf(what, sizeof(what), "image %s%s%s", v->s.image.digest, platform ? " " : "",
		 platform ? platform : "");
	if ((img = oci_image_open(ref, &oo)) == NULL) {
		vfail(v, what);
		return;
	}
	if (platform == NULL && strcmp(img->manifest.digest, v->s.image.digest) != 0) {
		vrecord(v, VERIFY_FAIL, what, "%s opens as %s", ref, img->manifest.digest);
		oci_image_close(img);
		return;
	}
	vrecord(v, VERIFY_PASS, what, "manifest %s and config %s match their digests",
		img->manifest.digest, img->config.digest);
	if (oci_image_verify(img, v->o->threads, v->o->progress) != 0) {
		vfail(v, "layers");
	} else {
		vrecord(v, VERIFY_PASS, platform ? platform : "layers",
			"%zu layer(s): blob digests, sizes and diff_ids match", img->nlayers);
	}
	oci_image_close(img);
}

/* The image's blobs; an index is checked platform by platform. */
static void
verify_blobs(struct vctx *v, const char *ref)
{
	struct ward_buf raw = {0};
	struct oci_index x = {0};
	struct oci_limits lim;

	if (strcmp(v->s.image.media_type, OCI_MT_INDEX) != 0 &&
	    strcmp(v->s.image.media_type, DOCKER_MT_LIST) != 0) {
		verify_one_image(v, ref, NULL);
		return;
	}
	oci_limits_default(&lim);
	if (oci_layout_read_blob(v->s.l, &v->s.image, SIMG_MAX_MANIFEST, &raw) != 0 ||
	    oci_index_parse(raw.data, raw.len, v->s.image.digest, &lim, &x) != 0) {
		vfail(v, v->s.image.digest);
	} else {
		vrecord(v, VERIFY_PASS, v->s.image.digest, "image index matches its digest");
		for (size_t i = 0; i < x.n; i++) {
			if (x.platform[i][0] == '\0') {
				vrecord(v, VERIFY_FAIL, x.v[i].digest,
					"index entry without platform");
				continue;
			}
			verify_one_image(v, ref, x.platform[i]);
		}
	}
	oci_index_free(&x);
	ward_buf_free(&raw);
}

/* ---------------------------------------------------------------- agreement */

static void
verify_agreement(struct vctx *v)
{
	struct verify_report *r = v->r;
	size_t problems = r->failures;

	if (r->signatures == 0)
		vrecord(v, VERIFY_FAIL, "signatures",
			v->o->key
				? "no signature of this image verifies with the key"
				: "no signature of this image verifies keylessly for the identity");
	/* both forms hold the same attestations */
	if (v->have_att_manifest && v->have_referrers)
		for (size_t i = 0; i < r->natts; i++) {
			struct verify_attestation *a = &r->atts[i];
			if (a->legacy && !a->referrer)
				vrecord(v, VERIFY_FAIL, a->statement,
					"%s attestation is in %s but has no referrer",
					attest_predicate_name(a->predicate_type), v->s.att_tag);
			else if (a->referrer && !a->legacy)
				vrecord(v, VERIFY_FAIL, a->statement,
					"%s attestation is a referrer but missing from %s",
					attest_predicate_name(a->predicate_type), v->s.att_tag);
		}
	/* every attestation a signature covers is here */
	for (size_t i = 0; i < v->committed.n; i++) {
		int found = 0;
		for (size_t k = 0; k < r->natts; k++)
			if (strcmp(r->atts[k].statement, v->committed.v[i]) == 0 &&
			    (r->atts[k].legacy || r->atts[k].referrer)) {
				r->atts[k].committed = 1;
				found = 1;
			}
		if (!found)
			vrecord(v, VERIFY_FAIL, v->committed.v[i],
				"the signature covers this attestation but it is missing or does "
				"not verify");
	}
	for (size_t i = 0; v->committed.n > 0 && i < r->natts; i++)
		if (!r->atts[i].committed && (r->atts[i].legacy || r->atts[i].referrer))
			vrecord(v, VERIFY_SKIP, r->atts[i].statement,
				"%s attestation verifies but the signature predates it (sign again "
				"to cover it)",
				attest_predicate_name(r->atts[i].predicate_type));
	/* the bundle file holds exactly the referrers */
	if (v->o->bundle != NULL) {
		for (size_t i = 0; i < r->natts; i++) {
			if (r->atts[i].bundle_line != r->atts[i].referrer)
				vrecord(v, VERIFY_FAIL, r->atts[i].statement,
					"%s attestation is %s the bundle file but %s the referrers",
					attest_predicate_name(r->atts[i].predicate_type),
					r->atts[i].bundle_line ? "in" : "not in",
					r->atts[i].referrer ? "among" : "not among");
		}
		for (size_t i = 0; i < v->ref_sigs.n; i++)
			if (!ward_strv_contains(&v->line_sigs, v->ref_sigs.v[i]))
				vrecord(v, VERIFY_FAIL, v->ref_sigs.v[i],
					"signature bundle missing from the bundle file");
		for (size_t i = 0; i < v->line_sigs.n; i++)
			if (!ward_strv_contains(&v->ref_sigs, v->line_sigs.v[i]))
				vrecord(v, VERIFY_FAIL, v->line_sigs.v[i],
					"the bundle file has a signature the image does not");
	}
	if (v->o->require != NULL)
		for (size_t i = 0; i < v->o->require->n; i++) {
			const char *want = v->o->require->v[i];
			int found = 0;
			for (size_t k = 0; k < r->natts; k++)
				if (strcmp(r->atts[k].predicate_type, want) == 0 &&
				    (r->atts[k].legacy || r->atts[k].referrer))
					found = 1;
			vrecord(v, found ? VERIFY_PASS : VERIFY_FAIL, attest_predicate_name(want),
				found ? "required attestation present"
				      : "required attestation missing");
		}
	if (r->failures == problems)
		vrecord(v, VERIFY_PASS, "agreement",
			"%zu signature(s), %zu attestation(s); forms%s agree%s", r->signatures,
			r->natts, v->o->bundle ? " and bundle file" : "",
			v->committed.n ? "; every covered attestation present" : "");
}

/* ---------------------------------------------------------------- content */

static int
is_sbom(const char *pt)
{
	return strcmp(pt, PREDICATE_CYCLONEDX) == 0 || strcmp(pt, PREDICATE_SPDX) == 0;
}

static void
check_sbom(struct vctx *v, const struct verify_attestation *a)
{
	const char *name = attest_predicate_name(a->predicate_type);
	char what[128];
	struct ward_buf detail = {0};
	int shape =
		strcmp(a->predicate_type, PREDICATE_CYCLONEDX) == 0
			? ward_json_str(a->predicate, "bomFormat") != NULL &&
				  strcmp(ward_json_str(a->predicate, "bomFormat"), "CycloneDX") == 0
			: ward_json_str(a->predicate, "spdxVersion") != NULL &&
				  ward_str_startswith(ward_json_str(a->predicate, "spdxVersion"),
						      "SPDX-");

	snprintf(what, sizeof(what), "%s SBOM", name);
	if (!shape) {
		vrecord(v, VERIFY_FAIL, what, "the predicate is not a %s document", name);
		return;
	}
	if (v->o->sbom == NULL) {
		vrecord(v, VERIFY_SKIP, what,
			"comparison with a fresh catalog of the image is not available in this "
			"build");
		return;
	}
	if (v->r->failures > 0) {
		vrecord(v, VERIFY_SKIP, what, "not compared: the image failed the checks above");
		return;
	}
	if (v->o->sbom(v->o->sbom_ctx, v->r->ref, a->predicate_type, a->predicate, &detail) != 0)
		vfail(v, what);
	else
		vrecord(v, VERIFY_PASS, what, "%s",
			detail.len ? ward_buf_cstr(&detail)
				   : "matches a fresh catalog of the image");
	ward_buf_free(&detail);
}

static void
check_provenance(struct vctx *v, const struct verify_attestation *a)
{
	const char *bt =
		ward_json_str(json_object_get(a->predicate, "buildDefinition"), "buildType");
	char digest[OCI_DIGEST_LEN + 1];

	if (slsa_check_predicate(a->predicate, "provenance") != 0) {
		if (ward_errkind() == WARD_EINPUT)
			ward_err(WARD_EVERIFY, "%s", ward_errmsg());
		vfail(v, "provenance");
		return;
	}
	vrecord(v, VERIFY_PASS, "provenance", "SLSA v1, buildType %s", bt ? bt : "?");
	if (!v->o->have_lock)
		vrecord(v, VERIFY_SKIP, "provenance vs lock", "no lock given (--lock)");
	else if (slsa_check_lock(a->predicate, v->o->lock, v->o->nlock, "provenance") != 0)
		vfail(v, "provenance vs lock");
	else
		vrecord(v, VERIFY_PASS, "provenance vs lock",
			"all %zu lock entries are the provenance's dependencies", v->o->nlock);
	if (!v->o->rebuild)
		return;
	if (v->o->rebuild_fn == NULL) {
		vrecord(v, VERIFY_SKIP, "rebuild", "ward build is not part of this ward");
	} else if (v->o->rebuild_fn(v->o->rebuild_ctx, a->predicate, digest) != 0) {
		vfail(v, "rebuild");
	} else if (strcmp(digest, v->s.image.digest) != 0) {
		vrecord(v, VERIFY_FAIL, "rebuild", "the rebuild gave %s, not %s", digest,
			v->s.image.digest);
	} else {
		vrecord(v, VERIFY_PASS, "rebuild", "rebuilt bit for bit: %s", digest);
	}
}

static void
verify_content(struct vctx *v)
{
	int provenance = 0;

	for (size_t i = 0; i < v->r->natts; i++) {
		const struct verify_attestation *a = &v->r->atts[i];
		if (!a->legacy && !a->referrer)
			continue; /* only in the bundle file: already reported */
		if (is_sbom(a->predicate_type))
			check_sbom(v, a);
		else if (strcmp(a->predicate_type, PREDICATE_SLSA_V1) == 0) {
			check_provenance(v, a);
			provenance = 1;
		}
	}
	if (v->o->rebuild && !provenance)
		vrecord(v, VERIFY_FAIL, "rebuild", "no provenance attestation to rebuild from");
}

/* ---------------------------------------------------------------- driver */

int
attest_verify_image(const char *image, const struct verify_opts *o, struct verify_report *r)
{
	struct vctx v = {.o = o, .r = r};

	memset(r, 0, sizeof(*r));
	if ((o->key == NULL) == (o->keyless == NULL))
		return ward_err(WARD_EINPUT, "verification needs a public key or, keyless, an "
					     "identity policy (one of them)");
	if (simg_open(image, NULL, &v.s) != 0)
		return -1;
	if ((r->ref = ward_strdup(image)) == NULL) {
		simg_close(&v.s);
		return -1;
	}
	snprintf(r->image, sizeof(r->image), "%s", v.s.image.digest);
	verify_blobs(&v, image);
	verify_legacy_signatures(&v);
	verify_referrers(&v);
	verify_legacy_attestations(&v);
	if (o->bundle != NULL)
		verify_bundle_file(&v);
	verify_agreement(&v);
	verify_content(&v);
	ward_strv_free(&v.committed);
	ward_strv_free(&v.ref_sigs);
	ward_strv_free(&v.line_sigs);
	simg_close(&v.s);
	if (r->failures > 0)
		return ward_err(WARD_EVERIFY, "%s: %s", image,
				r->first_failure ? r->first_failure : "verification failed");
	return 0;
}

const char *
verify_status_name(int status)
{
	return status == VERIFY_PASS ? "pass" : status == VERIFY_FAIL ? "fail" : "skip";
}

json_t *
verify_report_json(const struct verify_report *r)
{
	json_t *checks = json_array(), *atts = json_array(), *j;

	for (size_t i = 0; checks != NULL && i < r->n; i++)
		json_array_append_new(checks,
				      json_pack("{s:s,s:s,s:s}", "check",
						r->checks[i].subject ? r->checks[i].subject : "",
						"result", verify_status_name(r->checks[i].status),
						"detail",
						r->checks[i].detail ? r->checks[i].detail : ""));
	for (size_t i = 0; atts != NULL && i < r->natts; i++) {
		const struct verify_attestation *a = &r->atts[i];
		json_t *forms = json_array();
		if (a->legacy)
			json_array_append_new(forms, json_string("att"));
		if (a->referrer)
			json_array_append_new(forms, json_string("referrer"));
		if (a->bundle_line)
			json_array_append_new(forms, json_string("bundle"));
		json_array_append_new(atts, json_pack("{s:s,s:s,s:s,s:o,s:b}", "predicateType",
						      a->predicate_type, "name",
						      attest_predicate_name(a->predicate_type),
						      "statement", a->statement, "forms", forms,
						      "coveredBySignature", a->committed));
	}
	j = json_pack("{s:s,s:s,s:b,s:I,s:o,s:I,s:I,s:o}", "image", r->ref ? r->ref : "", "digest",
		      r->image, "verified", r->failures == 0, "signatures",
		      (json_int_t)r->signatures, "attestations", atts, "failures",
		      (json_int_t)r->failures, "skipped", (json_int_t)r->skipped, "checks", checks);
	if (j != NULL && r->first_failure != NULL)
		json_object_set_new(j, "error", json_string(r->first_failure));
	return j;
}

void
verify_report_free(struct verify_report *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->checks[i].subject);
		free(r->checks[i].detail);
	}
	for (size_t i = 0; i < r->natts; i++) {
		free(r->atts[i].predicate_type);
		json_decref(r->atts[i].predicate);
	}
	free(r->checks);
	free(r->atts);
	free(r->ref);
	free(r->first_failure);
	memset(r, 0, sizeof(*r));
}
