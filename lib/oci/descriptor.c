/* descriptor.c: digests, descriptors and the canonical JSON bytes. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "oci_internal.h"

int
oci_digest_check(const char *d, const char *what)
{
	const char *colon;

	if (d == NULL)
		return ward_err(WARD_EINPUT, "%s: missing digest", what);
	colon = strchr(d, ':');
	if (colon == NULL || colon == d)
		return ward_err(WARD_EINPUT, "%s: \"%.80s\" is not a digest (algorithm:hex)", what,
				d);
	if ((size_t)(colon - d) != 6 || strncmp(d, "sha256", 6) != 0)
		return ward_err(WARD_EINPUT,
				"%s: digest algorithm \"%.*s\" is not supported (only "
				"sha256)",
				what, (int)((colon - d) > 32 ? 32 : colon - d), d);
	if (strlen(colon + 1) != SHA256_HEX_LEN)
		return ward_err(WARD_EINPUT,
				"%s: sha256 digest \"%.80s\" does not have 64 hex digits", what, d);
	for (const char *p = colon + 1; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return ward_err(WARD_EINPUT,
					"%s: sha256 digest \"%.80s\" is not lowercase hex", what,
					d);
	return 0;
}

void
oci_digest_format(const uint8_t sha[32], char out[OCI_DIGEST_LEN + 1])
{
	memcpy(out, "sha256:", 7);
	ward_hex(sha, 32, out + 7);
}

const char *
oci_digest_hex(const char *d)
{
	return d + 7;
}

json_t *
oci_sorted_object_copy(const json_t *obj, const char *what)
{
	struct ward_strv keys = {0};
	const char *k;
	json_t *v, *out;

	if (!json_is_object(obj)) {
		ward_err(WARD_EINPUT, "%s: expected an object", what);
		return NULL;
	}
	json_object_foreach((json_t *)obj, k, v)
	{
		if (ward_strv_push(&keys, k) != 0) {
			ward_strv_free(&keys);
			return NULL;
		}
	}
	ward_strv_sort(&keys);
	out = json_object();
	for (size_t i = 0; out && i < keys.n; i++) {
		json_t *c = json_deep_copy(json_object_get(obj, keys.v[i]));
		if (c == NULL || json_object_set_new(out, keys.v[i], c) != 0) {
			json_decref(out);
			out = NULL;
		}
	}
	ward_strv_free(&keys);
	if (out == NULL)
		ward_err(WARD_EENV, "%s: out of memory", what);
	return out;
}

json_t *
oci_descriptor_json(const struct oci_descriptor *d)
{
	json_t *j = json_object();

	if (j == NULL)
		goto oom;
	if (json_object_set_new(j, "mediaType", json_string(d->media_type)) != 0)
		goto oom;
	if (d->artifact_type[0] &&
	    json_object_set_new(j, "artifactType", json_string(d->artifact_type)) != 0)
		goto oom;
	if (json_object_set_new(j, "digest", json_string(d->digest)) != 0 ||
	    json_object_set_new(j, "size", json_integer((json_int_t)d->size)) != 0)
		goto oom;
	if (d->annotations && json_object_size(d->annotations) > 0) {
		json_t *a = oci_sorted_object_copy(d->annotations, "annotations");
		if (a == NULL) {
			json_decref(j);
			return NULL;
		}
		json_object_set_new(j, "annotations", a);
	}
	return j;
oom:
	json_decref(j);
	ward_err(WARD_EENV, "out of memory building a descriptor");
	return NULL;
}

static int
copy_type(char *dst, const char *src, const char *what, const char *field)
{
	size_t n = strlen(src);

	if (n == 0 || n > OCI_MEDIA_TYPE_MAX || strchr(src, '/') == NULL)
		return ward_err(WARD_EINPUT, "%s: %s \"%.80s\" is not a media type", what, field,
				src);
	for (const char *p = src; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return ward_err(WARD_EINPUT, "%s: %s has invalid characters", what, field);
	memcpy(dst, src, n + 1);
	return 0;
}

int
oci_descriptor_from_json(const json_t *j, struct oci_descriptor *out, const char *what)
{
	const char *mt, *dg, *at;
	json_t *size, *ann;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(j))
		return ward_err(WARD_EINPUT, "%s: descriptor is not an object", what);
	if ((mt = ward_json_req_str(j, "mediaType", what)) == NULL ||
	    (dg = ward_json_req_str(j, "digest", what)) == NULL)
		return -1;
	if (copy_type(out->media_type, mt, what, "mediaType") != 0)
		return -1;
	if (oci_digest_check(dg, what) != 0)
		return -1;
	memcpy(out->digest, dg, OCI_DIGEST_LEN + 1);
	size = json_object_get(j, "size");
	if (!json_is_integer(size) || json_integer_value(size) < 0)
		return ward_err(WARD_EINPUT, "%s: \"size\" missing or not a non-negative integer",
				what);
	out->size = (uint64_t)json_integer_value(size);
	at = ward_json_str(j, "artifactType");
	if (at != NULL && copy_type(out->artifact_type, at, what, "artifactType") != 0)
		return -1;
	ann = json_object_get(j, "annotations");
	if (ann != NULL && !json_is_null(ann)) {
		const char *k;
		json_t *v;
		if (!json_is_object(ann))
			return ward_err(WARD_EINPUT, "%s: \"annotations\" is not an object", what);
		json_object_foreach(ann, k, v)
		{
			if (!json_is_string(v))
				return ward_err(WARD_EINPUT,
						"%s: annotation \"%.80s\" is not a string", what,
						k);
		}
		out->annotations = ann;
	}
	return 0;
}

char *
oci_json_bytes(const json_t *j)
{
	return ward_json_dump(j, 0);
}

int
oci_annotations_created(json_t *a, int64_t t)
{
	char buf[32];

	if (!json_is_object(a))
		return ward_err(WARD_EINPUT, "annotations: expected an object");
	ward_time_rfc3339((time_t)t, buf);
	if (json_object_set_new(a, OCI_ANN_CREATED, json_string(buf)) != 0)
		return ward_err(WARD_EENV, "out of memory");
	return 0;
}
