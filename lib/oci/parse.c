/*
 * parse.c: the JSON documents of images, from untrusted bytes: image index,
 * image manifest (OCI and Docker schema 2), image config, docker-archive
 * manifest.json.  Every count is bounded by struct oci_limits; every error
 * names the document and the field.
 */
#include <stdlib.h>
#include <string.h>

#include "oci_internal.h"

void
oci_limits_default(struct oci_limits *l)
{
	l->max_json = 8u << 20;
	l->max_layers = 1024;
	l->max_index = 65536;
	l->max_entries = 4u << 20;
	l->max_path = 4096;
	l->max_file = 64ull << 30;
	l->max_total = 256ull << 30;
}

static const struct oci_limits *
limits_or_default(const struct oci_limits *lim, struct oci_limits *tmp)
{
	if (lim)
		return lim;
	oci_limits_default(tmp);
	return tmp;
}

/* The JSON document of what, within the size limit, whose top level is
 * of type want (JSON_OBJECT or JSON_ARRAY). */
static json_t *
load(const void *p, size_t n, const char *what, const struct oci_limits *lim, json_type want)
{
	json_t *j;

	if (n > lim->max_json) {
		ward_err(WARD_EINPUT, "%s: %zu bytes, over the limit of %ju", what, n,
			 (uintmax_t)lim->max_json);
		return NULL;
	}
	if ((j = ward_json_loadb(p, n, what)) == NULL)
		return NULL;
	if (json_typeof(j) != want) {
		json_decref(j);
		ward_err(WARD_EINPUT, "%s: not a JSON %s", what,
			 want == JSON_ARRAY ? "array" : "object");
		return NULL;
	}
	return j;
}

static int
schema_version_2(const json_t *j, const char *what)
{
	json_t *v = json_object_get(j, "schemaVersion");

	if (!json_is_integer(v) || json_integer_value(v) != 2)
		return ward_err(WARD_EINPUT, "%s: schemaVersion is not 2", what);
	return 0;
}

/* ------------------------------------------------------------ index */

int
oci_index_parse(const void *p, size_t n, const char *what, const struct oci_limits *lim,
		struct oci_index *out)
{
	struct oci_limits tmp;
	json_t *m, *mt;
	char ewhat[300];

	memset(out, 0, sizeof(*out));
	lim = limits_or_default(lim, &tmp);
	if ((out->root = load(p, n, what, lim, JSON_OBJECT)) == NULL)
		return -1;
	if (schema_version_2(out->root, what) != 0)
		goto fail;
	mt = json_object_get(out->root, "mediaType");
	if (mt != NULL &&
	    (!json_is_string(mt) || (strcmp(json_string_value(mt), OCI_MT_INDEX) &&
				     strcmp(json_string_value(mt), DOCKER_MT_LIST)))) {
		ward_err(WARD_EINPUT, "%s: mediaType is not an image index", what);
		goto fail;
	}
	if ((m = ward_json_req_array(out->root, "manifests", what)) == NULL)
		goto fail;
	out->n = json_array_size(m);
	if (out->n > lim->max_index) {
		ward_err(WARD_EINPUT, "%s: %zu manifests, over the limit of %ju", what, out->n,
			 (uintmax_t)lim->max_index);
		goto fail;
	}
	if (out->n > 0 && ((out->v = ward_calloc(out->n, sizeof(*out->v))) == NULL ||
			   (out->platform = ward_calloc(out->n, sizeof(*out->platform))) == NULL))
		goto fail;
	for (size_t i = 0; i < out->n; i++) {
		json_t *e = json_array_get(m, i), *pl;
		snprintf(ewhat, sizeof(ewhat), "%s: manifests[%zu]", what, i);
		if (oci_descriptor_from_json(e, &out->v[i], ewhat) != 0)
			goto fail;
		pl = json_object_get(e, "platform");
		if (json_is_object(pl)) {
			const char *os = ward_json_str(pl, "os"),
				   *arch = ward_json_str(pl, "architecture");
			const char *var = ward_json_str(pl, "variant");
			if (os && arch)
				snprintf(out->platform[i], sizeof(out->platform[i]),
					 "%.20s/%.20s%s%.20s", os, arch, var ? "/" : "",
					 var ? var : "");
		}
	}
	return 0;
fail:
	oci_index_free(out);
	return -1;
}

void
oci_index_free(struct oci_index *x)
{
	if (x == NULL)
		return;
	json_decref(x->root);
	free(x->v);
	free(x->platform);
	memset(x, 0, sizeof(*x));
}

/* ------------------------------------------------------------ manifest */

int
oci_manifest_parse(const void *p, size_t n, const char *what, const struct oci_limits *lim,
		   struct oci_manifest *out)
{
	struct oci_limits tmp;
	const char *mt, *at;
	json_t *layers, *subject, *ann;
	char ewhat[300];

	memset(out, 0, sizeof(*out));
	lim = limits_or_default(lim, &tmp);
	if ((out->root = load(p, n, what, lim, JSON_OBJECT)) == NULL)
		return -1;
	if (schema_version_2(out->root, what) != 0)
		goto fail;
	mt = ward_json_str(out->root, "mediaType");
	if (mt == NULL)
		mt = OCI_MT_MANIFEST; /* optional in OCI manifests */
	if (strcmp(mt, OCI_MT_MANIFEST) != 0 && strcmp(mt, DOCKER_MT_MANIFEST) != 0) {
		ward_err(WARD_EINPUT, "%s: mediaType \"%.80s\" is not an image manifest", what, mt);
		goto fail;
	}
	snprintf(out->media_type, sizeof(out->media_type), "%s", mt);
	at = ward_json_str(out->root, "artifactType");
	if (at != NULL) {
		if (strlen(at) > OCI_MEDIA_TYPE_MAX) {
			ward_err(WARD_EINPUT, "%s: artifactType too long", what);
			goto fail;
		}
		snprintf(out->artifact_type, sizeof(out->artifact_type), "%s", at);
	}
	snprintf(ewhat, sizeof(ewhat), "%s: config", what);
	if (oci_descriptor_from_json(json_object_get(out->root, "config"), &out->config, ewhat))
		goto fail;
	if ((layers = ward_json_req_array(out->root, "layers", what)) == NULL)
		goto fail;
	out->nlayers = json_array_size(layers);
	if (out->nlayers > lim->max_layers) {
		ward_err(WARD_EINPUT, "%s: %zu layers, over the limit of %ju", what, out->nlayers,
			 (uintmax_t)lim->max_layers);
		goto fail;
	}
	if (out->nlayers > 0 &&
	    (out->layers = ward_calloc(out->nlayers, sizeof(*out->layers))) == NULL)
		goto fail;
	for (size_t i = 0; i < out->nlayers; i++) {
		snprintf(ewhat, sizeof(ewhat), "%s: layers[%zu]", what, i);
		if (oci_descriptor_from_json(json_array_get(layers, i), &out->layers[i], ewhat))
			goto fail;
	}
	subject = json_object_get(out->root, "subject");
	if (subject != NULL && !json_is_null(subject)) {
		snprintf(ewhat, sizeof(ewhat), "%s: subject", what);
		if (oci_descriptor_from_json(subject, &out->subject, ewhat) != 0)
			goto fail;
		out->has_subject = 1;
	}
	ann = json_object_get(out->root, "annotations");
	if (ann != NULL && !json_is_null(ann)) {
		if (!json_is_object(ann)) {
			ward_err(WARD_EINPUT, "%s: annotations is not an object", what);
			goto fail;
		}
		out->annotations = ann;
	}
	return 0;
fail:
	oci_manifest_free(out);
	return -1;
}

void
oci_manifest_free(struct oci_manifest *m)
{
	if (m == NULL)
		return;
	json_decref(m->root);
	free(m->layers);
	memset(m, 0, sizeof(*m));
}

/* ------------------------------------------------------------ config */

static int
opt_str(const json_t *obj, const char *key, const char **out, const char *what)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return ward_err(WARD_EINPUT, "%s: \"%s\" is not a string", what, key);
	*out = json_string_value(v);
	return 0;
}

static int
opt_strv(const json_t *obj, const char *key, struct ward_strv *out, const char *what)
{
	json_t *v = json_object_get(obj, key), *x;
	size_t i;

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return ward_err(WARD_EINPUT, "%s: \"%s\" is not an array", what, key);
	json_array_foreach(v, i, x)
	{
		if (!json_is_string(x))
			return ward_err(WARD_EINPUT, "%s: %s[%zu] is not a string", what, key, i);
		if (ward_strv_push(out, json_string_value(x)) != 0)
			return -1;
	}
	return 0;
}

/* Object keys (ExposedPorts, Volumes) as a sorted list. */
static int
opt_keys(const json_t *obj, const char *key, struct ward_strv *out, const char *what)
{
	json_t *v = json_object_get(obj, key), *x;
	const char *k;

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return ward_err(WARD_EINPUT, "%s: \"%s\" is not an object", what, key);
	json_object_foreach(v, k, x)
	{
		if (ward_strv_push(out, k) != 0)
			return -1;
	}
	ward_strv_sort(out);
	return 0;
}

int
oci_config_parse(const void *p, size_t n, const char *what, const struct oci_limits *lim,
		 struct oci_config *out)
{
	struct oci_limits tmp;
	json_t *c, *rootfs, *ids, *h, *lab;
	char ewhat[300];

	memset(out, 0, sizeof(*out));
	lim = limits_or_default(lim, &tmp);
	if ((out->root = load(p, n, what, lim, JSON_OBJECT)) == NULL)
		return -1;
	if (opt_str(out->root, "created", &out->created, what) ||
	    opt_str(out->root, "architecture", &out->architecture, what) ||
	    opt_str(out->root, "os", &out->os, what) ||
	    opt_str(out->root, "variant", &out->variant, what))
		goto fail;
	c = json_object_get(out->root, "config");
	if (c != NULL && !json_is_null(c)) {
		snprintf(ewhat, sizeof(ewhat), "%s: config", what);
		if (!json_is_object(c)) {
			ward_err(WARD_EINPUT, "%s: not an object", ewhat);
			goto fail;
		}
		if (opt_str(c, "User", &out->user, ewhat) ||
		    opt_str(c, "WorkingDir", &out->workdir, ewhat) ||
		    opt_str(c, "StopSignal", &out->stop_signal, ewhat) ||
		    opt_strv(c, "Env", &out->env, ewhat) ||
		    opt_strv(c, "Entrypoint", &out->entrypoint, ewhat) ||
		    opt_strv(c, "Cmd", &out->cmd, ewhat) ||
		    opt_keys(c, "ExposedPorts", &out->ports, ewhat) ||
		    opt_keys(c, "Volumes", &out->volumes, ewhat))
			goto fail;
		lab = json_object_get(c, "Labels");
		if (json_is_object(lab))
			out->labels = lab;
		else if (lab != NULL && !json_is_null(lab)) {
			ward_err(WARD_EINPUT, "%s: \"Labels\" is not an object", ewhat);
			goto fail;
		}
		if (json_is_object(json_object_get(c, "Healthcheck")))
			out->healthcheck = json_object_get(c, "Healthcheck");
	}
	if ((rootfs = ward_json_req_object(out->root, "rootfs", what)) == NULL ||
	    (ids = ward_json_req_array(rootfs, "diff_ids", what)) == NULL)
		goto fail;
	out->ndiff_ids = json_array_size(ids);
	if (out->ndiff_ids > lim->max_layers) {
		ward_err(WARD_EINPUT, "%s: %zu diff_ids, over the limit of %ju", what,
			 out->ndiff_ids, (uintmax_t)lim->max_layers);
		goto fail;
	}
	if (out->ndiff_ids > 0 &&
	    (out->diff_ids = ward_calloc(out->ndiff_ids, sizeof(*out->diff_ids))) == NULL)
		goto fail;
	for (size_t i = 0; i < out->ndiff_ids; i++) {
		const char *d = json_string_value(json_array_get(ids, i));
		snprintf(ewhat, sizeof(ewhat), "%s: diff_ids[%zu]", what, i);
		if (oci_digest_check(d, ewhat) != 0)
			goto fail;
		memcpy(out->diff_ids[i], d, OCI_DIGEST_LEN + 1);
	}
	h = json_object_get(out->root, "history");
	if (json_is_array(h))
		out->history = h;
	return 0;
fail:
	oci_config_free(out);
	return -1;
}

void
oci_config_free(struct oci_config *c)
{
	if (c == NULL)
		return;
	json_decref(c->root);
	ward_strv_free(&c->env);
	ward_strv_free(&c->entrypoint);
	ward_strv_free(&c->cmd);
	ward_strv_free(&c->ports);
	ward_strv_free(&c->volumes);
	free(c->diff_ids);
	memset(c, 0, sizeof(*c));
}

/* ------------------------------------------------------------ docker-archive */

/* A member path inside the archive: clean and relative (after "./"). */
static int
member_path(const char *s, const struct oci_limits *lim, char **out, const char *what)
{
	if (s == NULL)
		return -1; /* the accessor has said what is missing */
	while (s[0] == '.' && s[1] == '/')
		s += 2;
	if (strlen(s) > lim->max_path || !ward_relpath_ok(s))
		return ward_err(WARD_EINPUT, "%s: \"%.80s\" is not a clean relative path", what,
				s ? s : "");
	*out = ward_strdup(s);
	return *out ? 0 : -1;
}

int
docker_manifest_parse(const void *p, size_t n, const char *what, const struct oci_limits *lim,
		      struct docker_manifest *out)
{
	struct oci_limits tmp;
	json_t *root;
	char ewhat[300];

	memset(out, 0, sizeof(*out));
	lim = limits_or_default(lim, &tmp);
	if ((root = load(p, n, what, lim, JSON_ARRAY)) == NULL)
		return -1;
	out->n = json_array_size(root);
	if (out->n == 0 || out->n > lim->max_index) {
		ward_err(WARD_EINPUT, "%s: %zu images (expected 1 to %ju)", what, out->n,
			 (uintmax_t)lim->max_index);
		out->n = 0;
		goto fail;
	}
	if ((out->v = ward_calloc(out->n, sizeof(*out->v))) == NULL)
		goto fail;
	for (size_t i = 0; i < out->n; i++) {
		json_t *e = json_array_get(root, i), *layers, *x;
		size_t k;
		snprintf(ewhat, sizeof(ewhat), "%s: [%zu]", what, i);
		if (!json_is_object(e)) {
			ward_err(WARD_EINPUT, "%s: not an object", ewhat);
			goto fail;
		}
		if (member_path(ward_json_req_str(e, "Config", ewhat), lim, &out->v[i].config,
				ewhat) != 0)
			goto fail;
		if (opt_strv(e, "RepoTags", &out->v[i].repo_tags, ewhat) != 0)
			goto fail;
		if ((layers = ward_json_req_array(e, "Layers", ewhat)) == NULL)
			goto fail;
		if (json_array_size(layers) > lim->max_layers) {
			ward_err(WARD_EINPUT, "%s: %zu layers, over the limit of %ju", ewhat,
				 json_array_size(layers), (uintmax_t)lim->max_layers);
			goto fail;
		}
		json_array_foreach(layers, k, x)
		{
			char *path = NULL;
			if (!json_is_string(x)) {
				ward_err(WARD_EINPUT, "%s: Layers[%zu] is not a string", ewhat, k);
				goto fail;
			}
			if (member_path(json_string_value(x), lim, &path, ewhat) != 0 ||
			    ward_strv_push_owned(&out->v[i].layers, path) != 0)
				goto fail;
		}
	}
	json_decref(root);
	return 0;
fail:
	json_decref(root);
	docker_manifest_free(out);
	return -1;
}

void
docker_manifest_free(struct docker_manifest *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n && m->v; i++) {
		free(m->v[i].config);
		ward_strv_free(&m->v[i].repo_tags);
		ward_strv_free(&m->v[i].layers);
	}
	free(m->v);
	memset(m, 0, sizeof(*m));
}
