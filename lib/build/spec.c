/* spec.c: ward.yaml -> struct build_spec, driven by tables of keys. */
#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "build/build.h"
#include "build/spec_internal.h"

#define SPEC_MAX_BYTES (4u << 20)

/* ------------------------------------------------------------ checks */

static int
check_image_name(const struct ward_yaml_node *n, const char *v)
{
	if (!islower((unsigned char)v[0]) && !isdigit((unsigned char)v[0]))
		goto bad;
	for (const char *p = v; *p; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) &&
		    strchr("._-", *p) == NULL)
			goto bad;
	if (strlen(v) > 128)
		goto bad;
	return 0;
bad:
	return ward_yaml_error(n,
			       "name \"%s\": use lowercase letters, digits, '.', '_' and "
			       "'-' (at most 128), starting with a letter or digit",
			       v);
}

static int
check_nonempty(const struct ward_yaml_node *n, const char *v)
{
	for (const char *p = v; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			return ward_yaml_error(n, "value must be a single line");
	return *v ? 0 : ward_yaml_error(n, "value must not be empty");
}

static int
check_arch(const struct ward_yaml_node *n, const char *v)
{
	/* amd64 is built and tested; arm64 goes through the same code paths. */
	if (strcmp(v, "amd64") == 0 || strcmp(v, "arm64") == 0)
		return 0;
	return ward_yaml_error(n, "architecture \"%s\" is not supported (amd64, arm64)", v);
}

static int
check_package(const struct ward_yaml_node *n, const char *v)
{
	const char *eq = strchr(v, '=');
	char name[256];
	size_t len = eq ? (size_t)(eq - v) : strlen(v);

	if (len == 0 || len >= sizeof(name))
		return ward_yaml_error(n, "\"%s\" is not a Debian package name", v);
	memcpy(name, v, len);
	name[len] = '\0';
	if (!deb_package_name_ok(name))
		return ward_yaml_error(n, "\"%s\" is not a Debian package name", name);
	if (eq != NULL && deb_version_check(eq + 1, name) != 0)
		return ward_yaml_error(n, "%s", ward_errmsg());
	return 0;
}

static int
check_package_name(const struct ward_yaml_node *n, const char *v)
{
	if (!deb_package_name_ok(v))
		return ward_yaml_error(n, "\"%s\" is not a Debian package name", v);
	return 0;
}

static int
check_suite(const struct ward_yaml_node *n, const char *v)
{
	for (const char *p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && strchr("-._/", *p) == NULL)
			return ward_yaml_error(n, "\"%s\" is not a suite or component name", v);
	if (*v == '\0' || *v == '/' || strstr(v, "..") != NULL)
		return ward_yaml_error(n, "\"%s\" is not a suite or component name", v);
	return 0;
}

static int
check_url(const struct ward_yaml_node *n, const char *v)
{
	if (!ward_str_startswith(v, "http://") && !ward_str_startswith(v, "https://") &&
	    !ward_str_startswith(v, "file://"))
		return ward_yaml_error(n,
				       "mirror \"%s\": expected an http://, https:// or file:// "
				       "URL",
				       v);
	for (const char *p = v; *p; p++)
		if (isspace((unsigned char)*p))
			return ward_yaml_error(n, "mirror URL contains whitespace");
	return 0;
}

static int
check_index_url(const struct ward_yaml_node *n, const char *v)
{
	if (!ward_str_startswith(v, "http://") && !ward_str_startswith(v, "https://") &&
	    !ward_str_startswith(v, "file://"))
		return ward_yaml_error(
			n, "index \"%s\": expected an http://, https:// or file:// URL", v);
	for (const char *p = v; *p; p++)
		if (isspace((unsigned char)*p))
			return ward_yaml_error(n, "index URL contains whitespace");
	return 0;
}

/* ------------------------------------------------------------ tables */

static const struct spec_key python_keys[] = {
	{.name = "lock",
	 .kind = SPEC_PATH,
	 .offset = FIELD(struct build_python, lock),
	 .required = 1,
	 .check = check_nonempty},
	{.name = "wheelhouse",
	 .kind = SPEC_PATH,
	 .offset = FIELD(struct build_python, wheelhouse),
	 .check = check_nonempty},
	{.name = "index",
	 .kind = SPEC_STRING,
	 .offset = FIELD(struct build_python, index),
	 .check = check_index_url},
	{.name = "prefix",
	 .kind = SPEC_STRING,
	 .offset = FIELD(struct build_python, prefix),
	 .check = spec_check_abs_path},
	{.name = NULL},
};

static int source_done(const struct ward_yaml_node *n, void *item);

static const struct spec_key source_keys[] = {
	{.name = "suites",
	 .kind = SPEC_STRING_LIST,
	 .offset = FIELD(struct build_source, suites),
	 .required = 1,
	 .check = check_suite},
	{.name = "components",
	 .kind = SPEC_STRING_LIST,
	 .offset = FIELD(struct build_source, components),
	 .check = check_suite},
	{.name = "mirror",
	 .kind = SPEC_STRING,
	 .offset = FIELD(struct build_source, mirror),
	 .check = check_url},
	{.name = "keyring",
	 .kind = SPEC_PATH,
	 .offset = FIELD(struct build_source, keyring),
	 .check = check_nonempty},
	{.name = NULL},
};

static const struct spec_key top_keys[] = {
	{.name = "name",
	 .kind = SPEC_STRING,
	 .offset = FIELD(struct build_spec, name),
	 .required = 1,
	 .check = check_image_name},
	{.name = "version",
	 .kind = SPEC_STRING,
	 .offset = FIELD(struct build_spec, version),
	 .check = check_nonempty},
	{.name = "architecture",
	 .kind = SPEC_STRING,
	 .offset = FIELD(struct build_spec, architecture),
	 .check = check_arch},
	{.name = "sources",
	 .kind = SPEC_TABLE_LIST,
	 .offset = FIELD(struct build_spec, sources),
	 .required = 1,
	 .sub = source_keys,
	 .sub_size = sizeof(struct build_source),
	 .count_offset = FIELD(struct build_spec, nsources),
	 .item_done = source_done},
	{.name = "packages",
	 .kind = SPEC_STRING_LIST,
	 .offset = FIELD(struct build_spec, packages),
	 .required = 1,
	 .check = check_package},
	{.name = "exclude",
	 .kind = SPEC_STRING_LIST,
	 .offset = FIELD(struct build_spec, exclude),
	 .check = check_package_name},
	{.name = "allow",
	 .kind = SPEC_STRING_LIST,
	 .offset = FIELD(struct build_spec, allow),
	 .check = check_package_name},
	/* The image (ward build): spec_image.c holds the checks. */
	{.name = "source_date_epoch",
	 .kind = SPEC_INT,
	 .offset = FIELD(struct build_spec, source_date_epoch)},
	{.name = "ca_certificates",
	 .kind = SPEC_BOOL,
	 .offset = FIELD(struct build_spec, ca_certificates)},
	{.name = "timezone",
	 .kind = SPEC_STRING,
	 .offset = FIELD(struct build_spec, timezone),
	 .check = spec_check_timezone},
	{.name = "user",
	 .kind = SPEC_TABLE,
	 .offset = FIELD(struct build_spec, user),
	 .sub = spec_user_keys},
	{.name = "workdir",
	 .kind = SPEC_STRING,
	 .offset = FIELD(struct build_spec, workdir),
	 .check = spec_check_abs_path},
	{.name = "env",
	 .kind = SPEC_MAP,
	 .offset = FIELD(struct build_spec, env),
	 .check = spec_check_env_name},
	{.name = "entrypoint",
	 .kind = SPEC_ARGV,
	 .offset = FIELD(struct build_spec, entrypoint),
	 .check = spec_check_arg},
	{.name = "cmd",
	 .kind = SPEC_ARGV,
	 .offset = FIELD(struct build_spec, cmd),
	 .check = spec_check_arg},
	{.name = "ports",
	 .kind = SPEC_STRING_LIST,
	 .offset = FIELD(struct build_spec, ports),
	 .check = spec_check_port},
	{.name = "writable",
	 .kind = SPEC_STRING_LIST,
	 .offset = FIELD(struct build_spec, writable),
	 .check = spec_check_abs_path},
	{.name = "files",
	 .kind = SPEC_TABLE_LIST,
	 .offset = FIELD(struct build_spec, files),
	 .sub = spec_file_keys,
	 .sub_size = sizeof(struct build_file),
	 .count_offset = FIELD(struct build_spec, nfiles),
	 .item_done = spec_file_done},
	{.name = "models",
	 .kind = SPEC_TABLE_LIST,
	 .offset = FIELD(struct build_spec, models),
	 .sub = spec_model_keys,
	 .sub_size = sizeof(struct build_model),
	 .count_offset = FIELD(struct build_spec, nmodels),
	 .item_done = spec_model_done},
	{.name = "policy", .kind = SPEC_NODE, .offset = FIELD(struct build_spec, policy)},
	{.name = "annotations",
	 .kind = SPEC_MAP,
	 .offset = FIELD(struct build_spec, annotations),
	 .check = spec_check_annotation},
	{.name = "labels",
	 .kind = SPEC_MAP,
	 .offset = FIELD(struct build_spec, labels),
	 .check = spec_check_annotation},
	{.name = "python_bytecode",
	 .kind = SPEC_BOOL,
	 .offset = FIELD(struct build_spec, python_bytecode)},
	{.name = "drop",
	 .kind = SPEC_STRING_LIST,
	 .offset = FIELD(struct build_spec, drop),
	 .check = spec_check_glob},
	{.name = "keep",
	 .kind = SPEC_STRING_LIST,
	 .offset = FIELD(struct build_spec, keep),
	 .check = spec_check_glob},
	{.name = "python",
	 .kind = SPEC_TABLE,
	 .offset = FIELD(struct build_spec, python),
	 .sub = python_keys},
	{.name = NULL},
};

static int
source_done(const struct ward_yaml_node *n, void *item)
{
	struct build_source *s = item;

	s->line = n->line;
	if (s->components.n == 0 && ward_strv_push(&s->components, "main") != 0)
		return -1;
	return 0;
}

/* ------------------------------------------------------------ reader */

static int read_table(const struct ward_yaml_node *map, const struct spec_key *keys, void *base,
		      const struct spec_ctx *ctx);
static void free_table(const struct spec_key *keys, void *base);

static int
read_string_item(const struct spec_key *k, const struct ward_yaml_node *n, const char **out)
{
	const char *s = ward_yaml_str(n);

	if (s == NULL)
		return -1;
	if (k->check != NULL && k->check(n, s) != 0)
		return -1;
	*out = s;
	return 0;
}

static int
read_key(const struct spec_key *k, const struct ward_yaml_node *v, void *base,
	 const struct spec_ctx *ctx)
{
	void *field = (char *)base + k->offset;
	const char *s;

	switch (k->kind) {
	case SPEC_STRING:
	case SPEC_PATH: {
		char **dst = field;
		if (read_string_item(k, v, &s) != 0)
			return -1;
		if (k->kind == SPEC_PATH && s[0] != '/')
			*dst = ward_path_join(ctx->dir, s);
		else
			*dst = ward_strdup(s);
		return *dst ? 0 : -1;
	}
	case SPEC_STRING_LIST: {
		struct ward_strv *dst = field;
		if (v->type == WARD_YAML_SCALAR && !ward_yaml_is_null(v)) {
			if (read_string_item(k, v, &s) != 0)
				return -1;
			return ward_strv_push(dst, s);
		}
		if (ward_yaml_is_null(v))
			return 0;
		if (v->type != WARD_YAML_SEQUENCE)
			return ward_yaml_error(v, "%s: expected a list of strings, found %s",
					       k->name, ward_yaml_type_name(v->type));
		for (size_t i = 0; i < v->n; i++) {
			if (read_string_item(k, v->items[i], &s) != 0)
				return -1;
			if (ward_strv_contains(dst, s))
				return ward_yaml_error(v->items[i], "%s: \"%s\" is listed twice",
						       k->name, s);
			if (ward_strv_push(dst, s) != 0)
				return -1;
		}
		return 0;
	}
	case SPEC_INT:
		return ward_yaml_int(v, field);
	case SPEC_BOOL:
		return ward_yaml_bool(v, field);
	case SPEC_TABLE_LIST: {
		char **arr = field;
		size_t *count = (size_t *)((char *)base + k->count_offset);
		if (v->type != WARD_YAML_SEQUENCE)
			return ward_yaml_error(v, "%s: expected a list of mappings, found %s",
					       k->name, ward_yaml_type_name(v->type));
		*arr = ward_calloc(v->n ? v->n : 1, k->sub_size);
		if (*arr == NULL)
			return -1;
		for (size_t i = 0; i < v->n; i++) {
			void *item = *arr + i * k->sub_size;
			*count = i + 1; /* so that a failure frees what was read */
			if (v->items[i]->type != WARD_YAML_MAPPING)
				return ward_yaml_error(v->items[i],
						       "%s: each entry must be a "
						       "mapping",
						       k->name);
			if (read_table(v->items[i], k->sub, item, ctx) != 0)
				return -1;
			if (k->item_done != NULL && k->item_done(v->items[i], item) != 0)
				return -1;
		}
		return 0;
	}
	case SPEC_TABLE:
		if (v->type != WARD_YAML_MAPPING)
			return ward_yaml_error(v, "%s: expected a mapping, found %s", k->name,
					       ward_yaml_type_name(v->type));
		return read_table(v, k->sub, field, ctx);
	case SPEC_MAP: {
		struct build_kv *kv = field;
		if (v->type != WARD_YAML_MAPPING)
			return ward_yaml_error(v, "%s: expected a mapping of strings, found %s",
					       k->name, ward_yaml_type_name(v->type));
		for (size_t i = 0; i < v->n; i++) {
			const char *val = ward_yaml_str(v->pairs[i].value);
			if (val == NULL || (k->check != NULL &&
					    k->check(v->pairs[i].key, v->pairs[i].key->str) != 0))
				return -1;
			if (ward_strv_push(&kv->keys, v->pairs[i].key->str) != 0 ||
			    ward_strv_push(&kv->values, val) != 0)
				return -1;
		}
		return 0;
	}
	case SPEC_ARGV: {
		struct ward_strv *dst = field;
		if (v->type != WARD_YAML_SEQUENCE || v->n == 0)
			return ward_yaml_error(v,
					       "%s: expected a non-empty list (the argv, one "
					       "item per argument)",
					       k->name);
		for (size_t i = 0; i < v->n; i++) {
			if (read_string_item(k, v->items[i], &s) != 0 ||
			    ward_strv_push(dst, s) != 0)
				return -1;
		}
		return 0;
	}
	case SPEC_NODE:
		if (v->type != WARD_YAML_MAPPING)
			return ward_yaml_error(v, "%s: expected a mapping, found %s", k->name,
					       ward_yaml_type_name(v->type));
		*(const struct ward_yaml_node **)field = v;
		return 0;
	default:
		return ward_err(WARD_EENV, "spec: unknown key kind");
	}
}

static int
read_table(const struct ward_yaml_node *map, const struct spec_key *keys, void *base,
	   const struct spec_ctx *ctx)
{
	for (size_t i = 0; i < map->n; i++) {
		const struct ward_yaml_node *key = map->pairs[i].key;
		const struct spec_key *k = keys;
		while (k->name != NULL && strcmp(k->name, key->str) != 0)
			k++;
		if (k->name == NULL) {
			struct ward_buf known = {0};
			for (const struct spec_key *x = keys; x->name; x++)
				ward_buf_printf(&known, "%s%s", x == keys ? "" : ", ", x->name);
			ward_yaml_error(key, "unknown key \"%s\" (known: %s)", key->str,
					known.data ? (char *)known.data : "");
			ward_buf_free(&known);
			return -1;
		}
		if (ward_yaml_is_null(map->pairs[i].value) && k->kind != SPEC_STRING_LIST)
			return ward_yaml_error(map->pairs[i].value, "%s: a value is required",
					       k->name);
		if (read_key(k, map->pairs[i].value, base, ctx) != 0)
			return -1;
	}
	for (const struct spec_key *k = keys; k->name != NULL; k++)
		if (k->required && ward_yaml_get(map, k->name) == NULL)
			return ward_yaml_error(map, "missing required key \"%s\"", k->name);
	return 0;
}

static void
free_table(const struct spec_key *keys, void *base)
{
	for (const struct spec_key *k = keys; k->name != NULL; k++) {
		void *field = (char *)base + k->offset;
		switch (k->kind) {
		case SPEC_STRING:
		case SPEC_PATH:
			free(*(char **)field);
			break;
		case SPEC_STRING_LIST:
		case SPEC_ARGV:
			ward_strv_free(field);
			break;
		case SPEC_TABLE:
			free_table(k->sub, field);
			break;
		case SPEC_MAP:
			ward_strv_free(&((struct build_kv *)field)->keys);
			ward_strv_free(&((struct build_kv *)field)->values);
			break;
		case SPEC_TABLE_LIST: {
			char *arr = *(char **)field;
			size_t count = *(size_t *)((char *)base + k->count_offset);
			for (size_t i = 0; arr != NULL && i < count; i++)
				free_table(k->sub, arr + i * k->sub_size);
			free(arr);
			break;
		}
		default:
			break;
		}
	}
}

int
build_spec_parse(const char *data, size_t len, const char *path, struct build_spec *out)
{
	struct spec_ctx ctx;
	const char *slash;

	memset(out, 0, sizeof(*out));
	out->path = ward_strdup(path);
	slash = strrchr(path, '/');
	out->dir = slash ? ward_strndup(path, slash == path ? 1 : (size_t)(slash - path))
			 : ward_strdup(".");
	if (out->path == NULL || out->dir == NULL)
		goto fail;
	out->yaml = ward_yaml_load(data, len, path);
	if (out->yaml == NULL)
		goto fail;
	if (out->yaml->type != WARD_YAML_MAPPING) {
		ward_yaml_error(out->yaml,
				"expected a mapping of keys (name, sources, packages, ...)");
		goto fail;
	}
	ctx.dir = out->dir;
	spec_image_defaults(out);
	if (read_table(out->yaml, top_keys, out, &ctx) != 0 || spec_image_finish(out) != 0)
		goto fail;
	if (out->architecture == NULL && (out->architecture = ward_strdup("amd64")) == NULL)
		goto fail;
	if (out->nsources == 0) {
		ward_yaml_error(ward_yaml_get(out->yaml, "sources"), "sources: the list is empty");
		goto fail;
	}
	if (out->packages.n == 0) {
		ward_yaml_error(ward_yaml_get(out->yaml, "packages"),
				"packages: the list is empty");
		goto fail;
	}
	for (size_t i = 0; i < out->nsources; i++)
		if (out->sources[i].suites.n == 0) {
			ward_err(WARD_EINPUT, "%s:%zu: sources: suites is empty", path,
				 out->sources[i].line);
			goto fail;
		}
	return 0;
fail:
	build_spec_free(out);
	return -1;
}

int
build_spec_load(const char *path, struct build_spec *out)
{
	struct ward_buf b = {0};
	int rc;

	memset(out, 0, sizeof(*out));
	if (ward_file_read(path, SPEC_MAX_BYTES, &b) != 0)
		return -1;
	rc = build_spec_parse((const char *)b.data, b.len, path, out);
	ward_buf_free(&b);
	return rc;
}

void
build_spec_free(struct build_spec *s)
{
	if (s == NULL)
		return;
	free_table(top_keys, s);
	ward_yaml_free(s->yaml);
	free(s->path);
	free(s->dir);
	memset(s, 0, sizeof(*s));
}

char *
build_spec_lock_path(const struct build_spec *s)
{
	return ward_path_join(s->dir, "ward.lock");
}

int
build_spec_repos(const struct build_spec *s, struct deb_repo **out, size_t *n)
{
	struct deb_repo *r;
	size_t count = 0, k = 0;

	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < s->nsources; i++)
		count += s->sources[i].suites.n;
	r = ward_calloc(count ? count : 1, sizeof(*r));
	if (r == NULL)
		return -1;
	for (size_t i = 0; i < s->nsources; i++) {
		const struct build_source *src = &s->sources[i];
		for (size_t j = 0; j < src->suites.n; j++, k++) {
			if (deb_repo_find(r, k, src->suites.v[j]) != NULL) {
				ward_err(WARD_EINPUT, "%s:%zu: suite \"%s\" is listed twice",
					 s->path, src->line, src->suites.v[j]);
				goto fail;
			}
			r[k].suite = ward_strdup(src->suites.v[j]);
			if (r[k].suite == NULL)
				goto fail;
			for (size_t c = 0; c < src->components.n; c++)
				if (ward_strv_push(&r[k].components, src->components.v[c]) != 0)
					goto fail;
			if (src->mirror != NULL && (r[k].uri = ward_strdup(src->mirror)) == NULL)
				goto fail;
			if (src->keyring != NULL &&
			    (r[k].keyring = ward_strdup(src->keyring)) == NULL)
				goto fail;
		}
	}
	if (deb_repos_configure(r, k) != 0)
		goto fail;
	*out = r;
	*n = k;
	return 0;
fail:
	deb_repos_free(r, count);
	return -1;
}

void
build_spec_request(const struct build_spec *s, struct deb_request *out)
{
	out->arch = s->architecture;
	out->packages = &s->packages;
	out->exclude = &s->exclude;
	out->allow = &s->allow;
}
