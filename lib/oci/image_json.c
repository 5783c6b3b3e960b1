/*
 * image_json.c: the image config and manifest, built deterministically:
 * keys in the image-spec's field order (as Go's encoder writes them), maps
 * (labels, annotations, ports, volumes) sorted by key, arrays as given.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "oci_internal.h"

static int
set(json_t *o, const char *k, json_t *v)
{
	if (v == NULL || json_object_set_new(o, k, v) != 0)
		return ward_err(WARD_EENV, "out of memory building JSON");
	return 0;
}

/* "8080" -> "8080/tcp"; protocol tcp, udp or sctp; port 1..65535. */
static char *
norm_port(const char *p)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(p, &end, 10);
	if (end == p || errno != 0 || n < 1 || n > 65535 || (*end != '\0' && *end != '/'))
		goto bad;
	if (*end == '\0')
		return ward_asprintf("%ld/tcp", n);
	if (strcmp(end, "/tcp") != 0 && strcmp(end, "/udp") != 0 && strcmp(end, "/sctp") != 0)
		goto bad;
	return ward_asprintf("%ld%s", n, end);
bad:
	ward_err(WARD_EINPUT, "port \"%s\": expected PORT or PORT/tcp|udp|sctp (1-65535)", p);
	return NULL;
}

/* {"k": {}, ...} sorted, for ExposedPorts and Volumes. */
static json_t *
set_object(const struct ward_strv *sv, int ports)
{
	struct ward_strv keys = {0};
	json_t *o = NULL;

	for (size_t i = 0; i < sv->n; i++) {
		char *k = ports ? norm_port(sv->v[i]) : ward_strdup(sv->v[i]);
		if (k == NULL || ward_strv_push_owned(&keys, k) != 0)
			goto out;
	}
	ward_strv_sort(&keys);
	o = json_object();
	for (size_t i = 0; o && i < keys.n; i++)
		if (set(o, keys.v[i], json_object()) != 0) {
			json_decref(o);
			o = NULL;
		}
out:
	ward_strv_free(&keys);
	return o;
}

static int
check_strings(const json_t *obj, const char *what)
{
	const char *k;
	json_t *v;

	if (!json_is_object(obj))
		return ward_err(WARD_EINPUT, "%s: expected an object", what);
	json_object_foreach((json_t *)obj, k, v)
	{
		if (!json_is_string(v))
			return ward_err(WARD_EINPUT, "%s: \"%s\" is not a string", what, k);
	}
	return 0;
}

static json_t *
inner_config(const struct oci_image_spec *s)
{
	json_t *c = json_object();

	if (c == NULL)
		return NULL;
	if (s->user && *s->user && set(c, "User", json_string(s->user)) != 0)
		goto fail;
	if (s->ports && s->ports->n && set(c, "ExposedPorts", set_object(s->ports, 1)) != 0)
		goto fail;
	if (s->env && s->env->n) {
		for (size_t i = 0; i < s->env->n; i++)
			if (strchr(s->env->v[i], '=') == NULL || s->env->v[i][0] == '=') {
				ward_err(WARD_EINPUT, "env \"%s\": expected KEY=value",
					 s->env->v[i]);
				goto fail;
			}
		if (set(c, "Env", ward_json_strv(s->env)) != 0)
			goto fail;
	}
	if (s->entrypoint && s->entrypoint->n &&
	    set(c, "Entrypoint", ward_json_strv(s->entrypoint)) != 0)
		goto fail;
	if (s->cmd && s->cmd->n && set(c, "Cmd", ward_json_strv(s->cmd)) != 0)
		goto fail;
	if (s->volumes && s->volumes->n && set(c, "Volumes", set_object(s->volumes, 0)) != 0)
		goto fail;
	if (s->workdir && *s->workdir && set(c, "WorkingDir", json_string(s->workdir)) != 0)
		goto fail;
	if (s->labels && json_object_size(s->labels) > 0) {
		if (check_strings(s->labels, "labels") != 0 ||
		    set(c, "Labels", oci_sorted_object_copy(s->labels, "labels")) != 0)
			goto fail;
	}
	if (s->stop_signal && *s->stop_signal &&
	    set(c, "StopSignal", json_string(s->stop_signal)) != 0)
		goto fail;
	return c;
fail:
	json_decref(c);
	return NULL;
}

static json_t *
history(const struct oci_image_spec *s, const char *created)
{
	json_t *h = json_array();
	size_t nonempty = 0;

	if (h == NULL)
		return NULL;
	if (s->history == NULL) {
		for (size_t i = 0; i < s->nlayers; i++) {
			json_t *e = json_pack("{s:s}", "created", created);
			if (e == NULL || json_array_append_new(h, e) != 0)
				goto oom;
		}
		return h;
	}
	for (size_t i = 0; i < s->nhistory; i++) {
		const struct oci_history *x = &s->history[i];
		json_t *e = json_pack("{s:s}", "created", created);
		if (e == NULL || json_array_append_new(h, e) != 0)
			goto oom;
		if (x->created_by && set(e, "created_by", json_string(x->created_by)) != 0)
			goto fail;
		if (x->comment && set(e, "comment", json_string(x->comment)) != 0)
			goto fail;
		if (x->empty_layer && set(e, "empty_layer", json_true()) != 0)
			goto fail;
		nonempty += !x->empty_layer;
	}
	if (nonempty != s->nlayers) {
		ward_err(WARD_EINPUT, "image: %zu history entries with a layer for %zu layers",
			 nonempty, s->nlayers);
		goto fail;
	}
	return h;
oom:
	ward_err(WARD_EENV, "out of memory building the history");
fail:
	json_decref(h);
	return NULL;
}

json_t *
oci_config_build(const struct oci_image_spec *s)
{
	char created[32];
	json_t *j = json_object(), *rootfs, *ids;

	if (j == NULL) {
		ward_err(WARD_EENV, "out of memory");
		return NULL;
	}
	ward_time_rfc3339((time_t)s->created, created);
	if (set(j, "created", json_string(created)) != 0 ||
	    set(j, "architecture", json_string(s->architecture ? s->architecture : "amd64")) ||
	    set(j, "os", json_string(s->os ? s->os : "linux")) != 0)
		goto fail;
	if (s->variant && *s->variant && set(j, "variant", json_string(s->variant)) != 0)
		goto fail;
	if (set(j, "config", inner_config(s)) != 0)
		goto fail;
	ids = json_array();
	rootfs = json_pack("{s:s,s:o}", "type", "layers", "diff_ids", ids);
	if (set(j, "rootfs", rootfs) != 0)
		goto fail;
	for (size_t i = 0; i < s->nlayers; i++) {
		if (oci_digest_check(s->layers[i].diff_id, "layer diff_id") != 0)
			goto fail;
		if (json_array_append_new(ids, json_string(s->layers[i].diff_id)) != 0)
			goto fail;
	}
	if (set(j, "history", history(s, created)) != 0)
		goto fail;
	return j;
fail:
	json_decref(j);
	return NULL;
}

json_t *
oci_manifest_build(const struct oci_manifest_spec *m)
{
	json_t *j = json_object(), *layers;

	if (j == NULL)
		goto oom;
	if (m->config == NULL) {
		ward_err(WARD_EINPUT, "manifest: no config descriptor");
		goto fail;
	}
	if (set(j, "schemaVersion", json_integer(2)) != 0 ||
	    set(j, "mediaType", json_string(m->media_type ? m->media_type : OCI_MT_MANIFEST)))
		goto fail;
	if (m->artifact_type && *m->artifact_type &&
	    set(j, "artifactType", json_string(m->artifact_type)) != 0)
		goto fail;
	if (oci_digest_check(m->config->digest, "manifest config") != 0 ||
	    set(j, "config", oci_descriptor_json(m->config)) != 0)
		goto fail;
	if (set(j, "layers", layers = json_array()) != 0)
		goto fail;
	for (size_t i = 0; i < m->nlayers; i++) {
		if (oci_digest_check(m->layers[i].digest, "manifest layer") != 0)
			goto fail;
		if (json_array_append_new(layers, oci_descriptor_json(&m->layers[i])) != 0)
			goto oom;
	}
	if (m->subject) {
		if (oci_digest_check(m->subject->digest, "manifest subject") != 0 ||
		    set(j, "subject", oci_descriptor_json(m->subject)) != 0)
			goto fail;
	}
	if (m->annotations && json_object_size(m->annotations) > 0) {
		if (check_strings(m->annotations, "annotations") != 0 ||
		    set(j, "annotations", oci_sorted_object_copy(m->annotations, "annotations")))
			goto fail;
	}
	return j;
oom:
	ward_err(WARD_EENV, "out of memory building a manifest");
fail:
	json_decref(j);
	return NULL;
}
