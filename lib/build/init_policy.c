/* init_policy.c: /ward/policy.json, what ward-init enforces, from ward.yaml
 * (schema: docs/policy.schema.json).  ward derives the user, the models
 * (each with its signature in /ward/models and its key in /ward/keys), the
 * writable paths and, unless policy: says otherwise, the TCP ports the
 * server may bind (its declared tcp ports).  The other fields come from
 * policy: as written, converted from YAML; ward-init --check-policy checks
 * the result at build time. */
#include <stdlib.h>
#include <string.h>

#include "build/build_internal.h"

/* A YAML node as JSON: plain scalars that read as null, booleans or
 * integers become those; everything else is a string. */
static json_t *
yaml_to_json(const struct ward_yaml_node *n)
{
	json_t *j;

	switch (n->type) {
	case WARD_YAML_MAPPING:
		j = json_object();
		for (size_t i = 0; j != NULL && i < n->n; i++) {
			json_t *v = yaml_to_json(n->pairs[i].value);
			if (v == NULL || json_object_set_new(j, n->pairs[i].key->str, v) != 0) {
				json_decref(j);
				return NULL;
			}
		}
		return j;
	case WARD_YAML_SEQUENCE:
		j = json_array();
		for (size_t i = 0; j != NULL && i < n->n; i++) {
			json_t *v = yaml_to_json(n->items[i]);
			if (v == NULL || json_array_append_new(j, v) != 0) {
				json_decref(j);
				return NULL;
			}
		}
		return j;
	default:
		if (ward_yaml_is_null(n))
			return json_null();
		if (n->plain && strcmp(n->str, "true") == 0)
			return json_true();
		if (n->plain && strcmp(n->str, "false") == 0)
			return json_false();
		if (n->plain && n->str[0] != '\0') {
			char *end;
			long long v = strtoll(n->str, &end, 10);
			if (*end == '\0' && (n->str[0] != '0' || n->str[1] == '\0'))
				return json_integer(v);
		}
		return json_stringn(n->str, n->len);
	}
}

json_t *
build_init_policy(struct build_ctx *ctx)
{
	const struct build_spec *s = ctx->spec;
	json_t *p = json_object(), *models = json_array(), *writable = json_array(), *extra = NULL;
	json_t *landlock = NULL, *ports = NULL;

	if (p == NULL || models == NULL || writable == NULL)
		goto fail;
	for (size_t i = 0; i < s->nmodels; i++) {
		const struct build_model *m = &s->models[i];
		char sig[512], key[256];
		snprintf(sig, sizeof(sig), "/ward/models/%s/model.sig", m->name);
		snprintf(key, sizeof(key), "%s.pem", m->name);
		if (json_array_append_new(models, json_pack("{s:s,s:s,s:s}", "path", m->dst,
							    "signature", sig, "key", key)) != 0)
			goto fail;
	}
	for (size_t i = 0; i < s->writable.n; i++)
		if (json_array_append_new(writable, json_string(s->writable.v[i])) != 0)
			goto fail;
	json_object_set_new(p, "version", json_integer(1));
	json_object_set_new(p, "uid", json_integer(s->user.uid));
	json_object_set_new(p, "gid", json_integer(s->user.gid));
	json_object_set_new(p, "keys_dir", json_string("/ward/keys"));
	json_object_set_new(p, "models", models);
	json_object_set_new(p, "writable", writable);
	models = writable = NULL;
	if (s->policy != NULL && (extra = yaml_to_json(s->policy)) == NULL)
		goto fail;
	if (extra != NULL) {
		const char *k;
		json_t *v;
		json_object_foreach(extra, k, v) json_object_set(p, k, v);
	}
	/* the server binds only its declared TCP ports, unless policy: says;
	 * behind the endpoint guard the declared port is the guard's, and the
	 * server binds only the guard's upstream port (docs/ward-guard.md) */
	landlock = json_object_get(p, "landlock");
	if (landlock == NULL ||
	    (json_is_object(landlock) && !json_object_get(landlock, "tcp_bind"))) {
		const char *up =
			json_string_value(json_object_get(json_object_get(p, "guard"), "upstream"));
		ports = json_array();
		if (up != NULL && strncmp(up, "unix:", 5) != 0 && strrchr(up, ':') != NULL) {
			if (ports != NULL)
				json_array_append_new(ports,
						      json_integer(atoi(strrchr(up, ':') + 1)));
		} else
			for (size_t i = 0; ports != NULL && i < s->ports.n; i++)
				if (ward_str_endswith(s->ports.v[i], "/tcp"))
					json_array_append_new(ports,
							      json_integer(atoi(s->ports.v[i])));
		if (ports != NULL && json_array_size(ports) > 0) {
			if (landlock == NULL) {
				landlock = json_object();
				json_object_set_new(p, "landlock", landlock);
			}
			json_object_set(landlock, "tcp_bind", ports);
		}
		json_decref(ports);
	}
	json_decref(extra);
	return p;
fail:
	json_decref(p);
	json_decref(models);
	json_decref(writable);
	json_decref(extra);
	ward_err(WARD_EENV, "out of memory building the ward-init policy");
	return NULL;
}
