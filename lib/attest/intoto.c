/*
 * intoto.c: in-toto Statements (v1, and v0.1 when reading), predicate type
 * names, and cosign's simple-signing payload.
 */
#include <string.h>

#include "attest/attest.h"

static const struct {
	const char *name;
	const char *uri;
} predicate_names[] = {
	/* cosign's --type names first, so attest_predicate_name() prefers them. */
	{"cyclonedx", PREDICATE_CYCLONEDX},
	{"spdxjson", PREDICATE_SPDX},
	{"spdx", PREDICATE_SPDX},
	{"slsaprovenance1", PREDICATE_SLSA_V1},
	{"openvex", PREDICATE_OPENVEX},
	{"vuln", PREDICATE_COSIGN_VULN},
	{"custom", PREDICATE_COSIGN_CUSTOM},
	{"provenance", PREDICATE_SLSA_V1},
	{"sbom-cyclonedx", PREDICATE_CYCLONEDX},
	{"sbom-spdx", PREDICATE_SPDX},
	{"vex", PREDICATE_OPENVEX},
	{"test", PREDICATE_WARD_TEST},
	{"license", PREDICATE_WARD_LICENSE},
	{"vuln-report", PREDICATE_WARD_VULN},
	{"cosign-sign", PREDICATE_COSIGN_SIGN},
};

static int
is_uri(const char *s)
{
	const char *rest;

	if (ward_str_startswith(s, "https://"))
		rest = s + 8;
	else if (ward_str_startswith(s, "http://"))
		rest = s + 7;
	else
		return 0;
	if (*rest == '\0' || *rest == '/')
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

const char *
attest_predicate_type(const char *name)
{
	for (size_t i = 0; i < sizeof(predicate_names) / sizeof(*predicate_names); i++)
		if (strcmp(name, predicate_names[i].name) == 0)
			return predicate_names[i].uri;
	if (is_uri(name))
		return name;
	ward_err(WARD_EINPUT,
		 "unknown attestation type \"%s\" (cyclonedx, spdx, provenance, openvex, vuln, "
		 "test, license, custom, or an https:// predicate type URI)",
		 name);
	return NULL;
}

const char *
attest_predicate_name(const char *uri)
{
	for (size_t i = 0; i < sizeof(predicate_names) / sizeof(*predicate_names); i++)
		if (strcmp(uri, predicate_names[i].uri) == 0) {
			if (strcmp(uri, PREDICATE_SLSA_V1) == 0)
				return "provenance";
			if (strcmp(uri, PREDICATE_SPDX) == 0)
				return "spdx";
			return predicate_names[i].name;
		}
	return uri;
}

json_t *
intoto_statement(const char *name, const char *sha256_hex, const char *predicate_type,
		 json_t *predicate)
{
	json_t *subject, *st;

	subject = json_pack("{s:{s:s}}", "digest", "sha256", sha256_hex);
	if (subject != NULL && name != NULL) {
		/* name first, as the specification's examples show it */
		json_t *named = json_pack("{s:s,s:O}", "name", name, "digest",
					  json_object_get(subject, "digest"));
		json_decref(subject);
		subject = named;
	}
	if (subject == NULL) {
		ward_err(WARD_EENV, "cannot build in-toto subject");
		return NULL;
	}
	st = json_pack("{s:s,s:[o],s:s,s:O}", "_type", INTOTO_STATEMENT_V1, "subject", subject,
		       "predicateType", predicate_type, "predicate", predicate);
	if (st == NULL)
		ward_err(WARD_EENV, "cannot build in-toto statement");
	return st;
}

static int
hex_lower(const char *s, size_t want)
{
	size_t n = strlen(s);

	if (want != 0 && n != want)
		return 0;
	if (n == 0 || n % 2 != 0)
		return 0;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return 0;
	return 1;
}

/* unknown_key(obj, keys): the first key of obj not in the NULL-ended list, or NULL. */
static const char *
unknown_key(const json_t *obj, const char *const *keys)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)obj, k, v)
	{
		size_t i;
		for (i = 0; keys[i] != NULL && strcmp(keys[i], k) != 0; i++)
			;
		if (keys[i] == NULL)
			return k;
	}
	return NULL;
}

static int
check_subject(const json_t *s, size_t i, const char *what)
{
	static const char *const keys[] = {"name",	"digest",      "uri", "downloadLocation",
					   "mediaType", "annotations", NULL};
	const char *k, *bad;
	json_t *digest, *v;

	if (!json_is_object(s))
		return ward_err(WARD_EINPUT, "%s: subject %zu is not an object", what, i + 1);
	if ((bad = unknown_key(s, keys)) != NULL)
		return ward_err(WARD_EINPUT, "%s: subject %zu has an unknown field \"%s\"", what,
				i + 1, bad);
	if (json_object_get(s, "name") != NULL && !json_is_string(json_object_get(s, "name")))
		return ward_err(WARD_EINPUT, "%s: subject %zu name is not a string", what, i + 1);
	if ((digest = ward_json_req_object(s, "digest", what)) == NULL)
		return -1;
	json_object_foreach(digest, k, v)
	{
		if (!json_is_string(v) || !hex_lower(json_string_value(v), 0))
			return ward_err(WARD_EINPUT,
					"%s: subject %zu digest \"%s\" is not lowercase hex", what,
					i + 1, k);
	}
	v = json_object_get(digest, "sha256");
	if (v == NULL || !hex_lower(json_string_value(v), SHA256_HEX_LEN))
		return ward_err(WARD_EINPUT, "%s: subject %zu has no sha256 digest", what, i + 1);
	return 0;
}

int
intoto_parse(const void *payload, size_t n, const char *what, struct intoto *out)
{
	static const char *const keys[] = {"_type", "subject", "predicateType", "predicate", NULL};
	const char *bad;
	json_t *s;
	size_t i;

	memset(out, 0, sizeof(*out));
	if ((out->root = ward_json_loadb(payload, n, what)) == NULL)
		return -1;
	if (!json_is_object(out->root)) {
		ward_err(WARD_EINPUT, "%s: statement is not a JSON object", what);
		goto fail;
	}
	if ((bad = unknown_key(out->root, keys)) != NULL) {
		ward_err(WARD_EINPUT, "%s: statement has an unknown field \"%s\"", what, bad);
		goto fail;
	}
	if ((out->type = ward_json_req_str(out->root, "_type", what)) == NULL ||
	    (out->predicate_type = ward_json_req_str(out->root, "predicateType", what)) == NULL ||
	    (out->subjects = ward_json_req_array(out->root, "subject", what)) == NULL ||
	    (out->predicate = ward_json_req_object(out->root, "predicate", what)) == NULL)
		goto fail;
	if (strcmp(out->type, INTOTO_STATEMENT_V1) != 0 &&
	    strcmp(out->type, INTOTO_STATEMENT_V01) != 0) {
		ward_err(WARD_EINPUT, "%s: statement type \"%s\" is not in-toto v1 or v0.1", what,
			 out->type);
		goto fail;
	}
	if (!is_uri(out->predicate_type)) {
		ward_err(WARD_EINPUT, "%s: predicateType \"%s\" is not a URI", what,
			 out->predicate_type);
		goto fail;
	}
	if (json_array_size(out->subjects) == 0 || json_array_size(out->subjects) > 4096) {
		ward_err(WARD_EINPUT, "%s: statement needs 1 to 4096 subjects", what);
		goto fail;
	}
	json_array_foreach(out->subjects, i, s) if (check_subject(s, i, what) != 0) goto fail;
	return 0;
fail:
	intoto_free(out);
	return -1;
}

int
intoto_has_subject(const struct intoto *st, const char *sha256_hex)
{
	json_t *s;
	size_t i;

	json_array_foreach(st->subjects, i, s)
	{
		const char *d = ward_json_str(json_object_get(s, "digest"), "sha256");
		if (d != NULL && strcmp(d, sha256_hex) == 0)
			return 1;
	}
	return 0;
}

void
intoto_free(struct intoto *st)
{
	if (st == NULL)
		return;
	json_decref(st->root);
	memset(st, 0, sizeof(*st));
}

/* ------------------------------------------------------ cosign payloads */

char *
cosign_payload(const char *docker_reference, const char *digest, const json_t *optional)
{
	json_t *p;
	char *s;

	p = json_pack("{s:{s:{s:s},s:{s:s},s:s},s:O}", "critical", "identity", "docker-reference",
		      docker_reference, "image", "docker-manifest-digest", digest, "type",
		      COSIGN_SIMPLESIGNING_TYPE, "optional",
		      optional ? (json_t *)optional : json_null());
	if (p == NULL) {
		ward_err(WARD_EENV, "cannot build the simple-signing payload");
		return NULL;
	}
	s = ward_json_dump(p, 0);
	json_decref(p);
	return s;
}

static int
is_digest(const char *s)
{
	return ward_str_startswith(s, "sha256:") && hex_lower(s + 7, SHA256_HEX_LEN);
}

/* strict_child(parent, key, keys, what): parent[key], an object whose
 * fields are all in keys. */
static json_t *
strict_child(const json_t *parent, const char *key, const char *const *keys, const char *what)
{
	json_t *o = ward_json_req_object(parent, key, what);
	const char *bad;

	if (o != NULL && (bad = unknown_key(o, keys)) != NULL) {
		ward_err(WARD_EINPUT, "%s: \"%s\" has an unknown field \"%s\"", what, key, bad);
		return NULL;
	}
	return o;
}

int
cosign_payload_parse(const void *p, size_t n, const char *what, struct cosign_claim *out)
{
	static const char *const top[] = {"critical", "optional", NULL};
	static const char *const crit[] = {"identity", "image", "type", NULL};
	static const char *const ident[] = {"docker-reference", NULL};
	static const char *const img[] = {"docker-manifest-digest", NULL};
	json_t *c, *id, *im, *opt;
	const char *type, *bad;

	memset(out, 0, sizeof(*out));
	if ((out->root = ward_json_loadb(p, n, what)) == NULL)
		return -1;
	if (!json_is_object(out->root)) {
		ward_err(WARD_EINPUT, "%s: simple-signing payload is not a JSON object", what);
		goto fail;
	}
	if ((bad = unknown_key(out->root, top)) != NULL) {
		ward_err(WARD_EINPUT, "%s: simple-signing payload has an unknown field \"%s\"",
			 what, bad);
		goto fail;
	}
	if ((c = strict_child(out->root, "critical", crit, what)) == NULL ||
	    (id = strict_child(c, "identity", ident, what)) == NULL ||
	    (im = strict_child(c, "image", img, what)) == NULL)
		goto fail;
	if ((type = ward_json_req_str(c, "type", what)) == NULL ||
	    (out->digest = ward_json_req_str(im, "docker-manifest-digest", what)) == NULL)
		goto fail;
	if (strcmp(type, COSIGN_SIMPLESIGNING_TYPE) != 0) {
		ward_err(WARD_EINPUT, "%s: payload type is \"%s\", not \"%s\"", what, type,
			 COSIGN_SIMPLESIGNING_TYPE);
		goto fail;
	}
	if (!is_digest(out->digest)) {
		ward_err(WARD_EINPUT, "%s: docker-manifest-digest \"%s\" is not sha256:<hex>", what,
			 out->digest);
		goto fail;
	}
	id = json_object_get(id, "docker-reference");
	if (id != NULL && !json_is_string(id)) {
		ward_err(WARD_EINPUT, "%s: docker-reference is not a string", what);
		goto fail;
	}
	out->docker_reference = id ? json_string_value(id) : "";
	opt = json_object_get(out->root, "optional");
	if (opt != NULL && !json_is_null(opt) && !json_is_object(opt)) {
		ward_err(WARD_EINPUT, "%s: optional is neither null nor an object", what);
		goto fail;
	}
	out->optional = json_is_object(opt) ? opt : NULL;
	return 0;
fail:
	cosign_claim_free(out);
	return -1;
}

void
cosign_claim_free(struct cosign_claim *c)
{
	if (c == NULL)
		return;
	json_decref(c->root);
	memset(c, 0, sizeof(*c));
}
