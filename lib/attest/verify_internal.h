/* verify_internal.h: state shared by verify.c and verify_items.c. */
#ifndef WARD_VERIFY_INTERNAL_H
#define WARD_VERIFY_INTERNAL_H

#include "attest/image_internal.h"

/* Where an attestation was seen. */
enum vform { VFORM_LEGACY = 1, VFORM_REFERRER = 2, VFORM_LINE = 4 };

struct vctx {
	const struct verify_opts *o;
	struct verify_report *r;
	struct simg s;
	struct ward_strv committed; /* statement digests the signatures cover */
	struct ward_strv ref_sigs;  /* v3 signature statements in referrers */
	struct ward_strv line_sigs; /* ... and in the bundle file */
	int have_att_manifest;	    /* a .att manifest exists */
	int have_referrers;	    /* at least one referrer of the image */
};

/* vrecord(v, status, subject, fmt, ...): append a check; the first failure
 * becomes the report's first_failure. */
void vrecord(struct vctx *v, int status, const char *subject, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* vfail(v, subject): record the current error as a failed check. */
void vfail(struct vctx *v, const char *subject);

/* vatt_add(v, ptype, statement, form, predicate): note a verified
 * attestation (predicate referenced). */
int vatt_add(struct vctx *v, const char *ptype, const char *statement, int form, json_t *predicate);

/* unknown_field(obj, keys): the first key of obj not in the NULL-ended
 * list, or NULL. */
const char *vunknown_field(const json_t *obj, const char *const *keys);

/* Checks of one kind of object each; they record their own results. */
void verify_legacy_signatures(struct vctx *v);
void verify_legacy_attestations(struct vctx *v);
void verify_referrers(struct vctx *v);
void verify_bundle_file(struct vctx *v);

/* vcheck_bundle(v, bytes, n, what, form, is_sign): strict bundle check +
 * key + statement about the image; 0 when it holds (and the attestation or
 * signature is noted), -1 with the error recorded (not yet as a check). */
int vcheck_bundle(struct vctx *v, const void *bytes, size_t n, const char *what, int form,
		  const char *expect_ptype, char statement[OCI_DIGEST_LEN + 1], char **ptype_out);

#endif
