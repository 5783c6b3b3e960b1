/* json.c: strict parsing of untrusted JSON and deterministic output. */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

json_t *
ward_json_loadb(const void *data, size_t len, const char *what)
{
	json_error_t e;
	json_t *j;

	j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &e);
	if (j == NULL) {
		/* line:col locate it; jansson's "near '<token>'" would copy bytes of
		 * the input into logs (a secret, if the input was not what the user
		 * meant to give) */
		char *near = strstr(e.text, " near '");
		if (near != NULL)
			*near = '\0';
		ward_err(WARD_EINPUT, "%s:%d:%d: invalid JSON: %s", what, e.line, e.column, e.text);
	}
	return j;
}

json_t *
ward_json_load_file(const char *path, size_t max)
{
	struct ward_buf b = {0};
	json_t *j;

	if (ward_file_read(path, max, &b) != 0)
		return NULL;
	j = ward_json_loadb(b.data, b.len, path);
	ward_buf_free(&b);
	return j;
}

char *
ward_json_dump(const json_t *j, int pretty)
{
	char *s, *out;
	size_t flags = JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17);

	flags |= pretty ? JSON_INDENT(2) : JSON_COMPACT;
	s = json_dumps(j, flags | JSON_ENCODE_ANY);
	if (s == NULL) {
		ward_err(WARD_EENV, "cannot serialise JSON");
		return NULL;
	}
	if (!pretty)
		return s;
	out = ward_asprintf("%s\n", s);
	free(s);
	return out;
}

int
ward_json_write_file(const char *path, const json_t *j, int pretty)
{
	char *s = ward_json_dump(j, pretty);
	int rc;

	if (s == NULL)
		return -1;
	rc = ward_file_write(path, s, strlen(s), 0644);
	free(s);
	return rc;
}

static json_t *
req(const json_t *obj, const char *key, const char *what, json_type type, const char *tname)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	if (v == NULL) {
		ward_err(WARD_EINPUT, "%s: missing field \"%s\"", what, key);
		return NULL;
	}
	if (json_typeof(v) != type) {
		ward_err(WARD_EINPUT, "%s: field \"%s\" is not %s", what, key, tname);
		return NULL;
	}
	return v;
}

const char *
ward_json_req_str(const json_t *obj, const char *key, const char *what)
{
	json_t *v = req(obj, key, what, JSON_STRING, "a string");

	return v ? json_string_value(v) : NULL;
}

json_t *
ward_json_req_array(const json_t *obj, const char *key, const char *what)
{
	return req(obj, key, what, JSON_ARRAY, "an array");
}

json_t *
ward_json_req_object(const json_t *obj, const char *key, const char *what)
{
	return req(obj, key, what, JSON_OBJECT, "an object");
}

const char *
ward_json_str(const json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	return json_is_string(v) ? json_string_value(v) : NULL;
}

json_t *
ward_json_str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *
ward_json_strv(const struct ward_strv *sv)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < sv->n; i++)
		if (json_array_append_new(a, json_string(sv->v[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}
