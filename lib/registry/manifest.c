/*
 * manifest.c: manifests by tag or digest, tag lists, and referrers (the
 * OCI 1.1 API, or the "sha256-<hex>" tag index that stands in for it).
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "registry/registry_internal.h"

#define REG_ACCEPT OCI_MT_MANIFEST ", " OCI_MT_INDEX ", " DOCKER_MT_MANIFEST ", " DOCKER_MT_LIST
#define REG_MAX_TAGS 100000u

static void
body_digest(const void *p, size_t n, char out[OCI_DIGEST_LEN + 1])
{
	uint8_t d[SHA256_LEN];

	sha256(p, n, d);
	oci_digest_format(d, out);
}

static void
media_type_of(const struct reg_resp *rs, const struct ward_buf *body, char *out)
{
	const char *ct = rs->content_type;
	size_t n = strcspn(ct, ";");
	json_t *j;

	if (n > 0 && strncmp(ct, "application/json", n) != 0 && strncmp(ct, "text/plain", n) != 0 &&
	    n <= OCI_MEDIA_TYPE_MAX) {
		memcpy(out, ct, n);
		out[n] = '\0';
		return;
	}
	/* no useful Content-Type: the document's own mediaType */
	out[0] = '\0';
	j = json_loadb((const char *)body->data, body->len, 0, NULL);
	if (ward_json_str(j, "mediaType") != NULL)
		snprintf(out, OCI_MEDIA_TYPE_MAX + 1, "%s", ward_json_str(j, "mediaType"));
	json_decref(j);
}

int
reg_manifest_get(struct reg_client *c, const char *reference, struct ward_buf *out,
		 char *media_type, char *digest)
{
	struct reg_req rq = {.method = "GET", .accept = REG_ACCEPT};
	struct reg_resp rs = {.max = REG_MAX_MANIFEST};
	char *url = reg_url(c, "/manifests/%s", reference), got[OCI_DIGEST_LEN + 1];
	int rc = -1;

	if (url == NULL)
		return -1;
	rq.url = url;
	if (reg_do(c, &rq, &rs) != 0)
		goto out;
	if (rs.status == 404) {
		rc = 0;
		goto out;
	}
	if (rs.status != 200) {
		reg_http_error(c, &rs, reference);
		goto out;
	}
	body_digest(rs.body.data, rs.body.len, got);
	if (ward_str_startswith(reference, "sha256:") && strcmp(got, reference) != 0) {
		ward_err(WARD_EVERIFY,
			 "%s/%s: manifest %s sent by the registry does not match its "
			 "digest (got %s)",
			 c->registry, c->repo, reference, got);
		goto out;
	}
	if (rs.docker_digest[0] != '\0' && strcmp(rs.docker_digest, got) != 0) {
		ward_err(WARD_EVERIFY,
			 "%s/%s: manifest %s: the registry says %s but the bytes hash "
			 "to %s",
			 c->registry, c->repo, reference, rs.docker_digest, got);
		goto out;
	}
	media_type_of(&rs, &rs.body, media_type);
	memcpy(digest, got, sizeof(got));
	if (ward_buf_append(out, rs.body.data, rs.body.len) != 0)
		goto out;
	ward_buf_cstr(out);
	rc = 1;
out:
	free(url);
	reg_resp_free(&rs);
	return rc;
}

int
reg_manifest_put(struct reg_client *c, const char *reference, const char *media_type, const void *p,
		 size_t n, int *subject_ok)
{
	struct reg_req rq = {.method = "PUT",
			     .content_type = media_type,
			     .body = p,
			     .body_len = n,
			     .has_body = 1};
	struct reg_resp rs = {0};
	char *url = reg_url(c, "/manifests/%s", reference), want[OCI_DIGEST_LEN + 1];
	int rc = -1;

	if (url == NULL)
		return -1;
	rq.url = url;
	body_digest(p, n, want);
	if (reg_do(c, &rq, &rs) != 0)
		goto out;
	if (rs.status != 201) {
		reg_http_error(c, &rs, reference);
		goto out;
	}
	if (rs.docker_digest[0] != '\0' && strcmp(rs.docker_digest, want) != 0) {
		ward_err(WARD_EVERIFY, "%s/%s: stored manifest %s as %s", c->registry, c->repo,
			 want, rs.docker_digest);
		goto out;
	}
	if (subject_ok != NULL)
		*subject_ok = rs.oci_subject;
	c->stats.manifests++;
	rc = 0;
out:
	free(url);
	reg_resp_free(&rs);
	return rc;
}

void
reg_referrers_tag(const char *digest, char *out)
{
	snprintf(out, OCI_DIGEST_LEN + 1, "sha256-%s", oci_digest_hex(digest));
}

static json_t *
empty_index(void)
{
	json_t *j = json_pack("{s:i,s:s,s:[]}", "schemaVersion", 2, "mediaType", OCI_MT_INDEX,
			      "manifests");
	if (j == NULL)
		ward_err(WARD_EENV, "out of memory");
	return j;
}

static json_t *
parse_index(const struct ward_buf *b, const char *what)
{
	json_t *j = ward_json_loadb(b->data, b->len, what);

	if (j != NULL && !json_is_array(json_object_get(j, "manifests"))) {
		ward_err(WARD_EINPUT, "%s: not an image index", what);
		json_decref(j);
		return NULL;
	}
	return j;
}

int
reg_referrers(struct reg_client *c, const char *digest, json_t **out)
{
	struct reg_req rq = {.method = "GET", .accept = OCI_MT_INDEX};
	struct reg_resp rs = {.max = REG_MAX_MANIFEST};
	struct ward_buf b = {0};
	char *url = reg_url(c, "/referrers/%s", digest), tag[OCI_DIGEST_LEN + 1];
	char mt[OCI_MEDIA_TYPE_MAX + 1], got[OCI_DIGEST_LEN + 1];
	int rc = -1, found;

	*out = NULL;
	if (url == NULL)
		return -1;
	rq.url = url;
	if (reg_do(c, &rq, &rs) != 0)
		goto out;
	if (rs.status == 200 && ward_str_startswith(rs.content_type, OCI_MT_INDEX)) {
		c->stats.referrers_api = 1;
		*out = parse_index(&rs.body, "referrers");
		rc = *out ? 0 : -1;
		goto out;
	}
	/* no referrers API (404, or an answer that is not an index): the tag */
	reg_referrers_tag(digest, tag);
	if ((found = reg_manifest_get(c, tag, &b, mt, got)) < 0)
		goto out;
	*out = found ? parse_index(&b, tag) : empty_index();
	rc = *out ? 0 : -1;
out:
	ward_buf_free(&b);
	free(url);
	reg_resp_free(&rs);
	return rc;
}

int
reg_referrers_add(struct reg_client *c, const char *subject, const struct oci_descriptor *d)
{
	struct ward_buf b = {0};
	char tag[OCI_DIGEST_LEN + 1], mt[OCI_MEDIA_TYPE_MAX + 1], got[OCI_DIGEST_LEN + 1];
	json_t *idx = NULL, *list, *e, *dj = NULL;
	char *bytes = NULL;
	size_t i;
	int found, rc = -1;

	reg_referrers_tag(subject, tag);
	if ((found = reg_manifest_get(c, tag, &b, mt, got)) < 0)
		goto out;
	idx = found ? parse_index(&b, tag) : empty_index();
	if (idx == NULL)
		goto out;
	list = json_object_get(idx, "manifests");
	json_array_foreach(list, i, e)
	{
		const char *dg = ward_json_str(e, "digest");
		if (dg != NULL && strcmp(dg, d->digest) == 0) {
			rc = 0; /* already listed */
			goto out;
		}
	}
	if ((dj = oci_descriptor_json(d)) == NULL || json_array_append(list, dj) != 0 ||
	    (bytes = oci_json_bytes(idx)) == NULL)
		goto out;
	rc = reg_manifest_put(c, tag, OCI_MT_INDEX, bytes, strlen(bytes), NULL);
out:
	free(bytes);
	json_decref(dj);
	json_decref(idx);
	ward_buf_free(&b);
	return rc;
}
