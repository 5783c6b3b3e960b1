/* admission.c: signature verification at admission, with existing engines.
 *
 * ward signs images with a key and no transparency log (cosign's
 * --tlog-upload=false), so both policies trust the key alone: Kyverno
 * with rekor.ignoreTlog and ctlog.ignoreSCT, policy-controller by naming
 * no ctlog for the key authority.  Both match the repository by tag and by
 * digest, so a tag deployed later is verified too.  Kyverno gets
 * failureAction on the rule (1.13 on) and validationFailureAction on the
 * policy (older releases, which would otherwise only audit). */
#include <stdlib.h>

#include "deploy.h"
#include "deploy_internal.h"

static json_t *
meta(const struct deploy_target *t, const char *prefix)
{
	char *name = ward_asprintf("%s%s", prefix, t->name);
	json_t *m;

	if (name == NULL)
		return NULL;
	m = json_pack("{s:s,s:{s:s,s:s}}", "name", name, "labels", "app.kubernetes.io/name",
		      t->name, "app.kubernetes.io/managed-by", "ward");
	free(name);
	return m;
}

static json_t *
patterns(const struct deploy_target *t)
{
	char *by_digest = ward_asprintf("%s@*", t->repository);
	char *by_tag = ward_asprintf("%s:*", t->repository);
	json_t *p = by_digest && by_tag ? json_pack("[s,s]", by_digest, by_tag) : NULL;

	free(by_digest);
	free(by_tag);
	return p;
}

json_t *
deploy_admission_policies(const struct deploy_target *t, const char *pem)
{
	json_t *pat = patterns(t), *m1 = meta(t, "ward-"), *m2 = meta(t, "ward-verify-");
	json_t *globs, *cip, *kyv, *out = NULL, *v;
	size_t i;

	if (pat == NULL || m1 == NULL || m2 == NULL) {
		json_decref(pat);
		json_decref(m1);
		json_decref(m2);
		return NULL;
	}
	globs = json_array();
	json_array_foreach(pat, i, v)
	{
		json_array_append_new(globs, json_pack("{s:O}", "glob", v));
	}
	cip = json_pack("{s:s,s:s,s:o,s:{s:o,s:[{s:s,s:{s:s,s:s}}],s:s}}", "apiVersion",
			"policy.sigstore.dev/v1beta1", "kind", "ClusterImagePolicy", "metadata", m1,
			"spec", "images", globs, "authorities", "name", "ward-key", "key",
			"hashAlgorithm", "sha256", "data", pem, "mode", "enforce");
	kyv = json_pack(
		"{s:s,s:s,s:o,s:{s:s,s:b,s:i,s:s,s:[{s:s,s:{s:[{s:{s:[s]}}]},s:[{s:s,s:O,s:s,s:b,"
		"s:b,s:b,s:[{s:i,s:[{s:{s:s,s:s,s:{s:b},s:{s:b}}}]}]}]}]}}",
		"apiVersion", "kyverno.io/v1", "kind", "ClusterPolicy", "metadata", m2, "spec",
		"validationFailureAction", "Enforce", "background", 0, "webhookTimeoutSeconds", 30,
		"failurePolicy", "Fail", "rules", "name", "verify-ward-signature", "match", "any",
		"resources", "kinds", "Pod", "verifyImages", "type", "Cosign", "imageReferences",
		pat, "failureAction", "Enforce", "mutateDigest", 1, "verifyDigest", 1, "required",
		1, "attestors", "count", 1, "entries", "keys", "publicKeys", pem,
		"signatureAlgorithm", "sha256", "rekor", "ignoreTlog", 1, "ctlog", "ignoreSCT", 1);
	if (cip != NULL && kyv != NULL)
		out = json_pack("[o,o]", cip, kyv);
	else {
		json_decref(cip);
		json_decref(kyv);
		ward_err(WARD_EENV, "admission policies: out of memory");
	}
	json_decref(pat);
	return out;
}
