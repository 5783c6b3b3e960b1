/* yaml.c: JSON documents written as YAML with libyaml's emitter.
 *
 * libyaml picks a scalar style only by what the syntax allows, not by how a
 * reader will resolve the text: "true", "8080", "1e3", "2001-12-14", "on" or
 * "0o17" written plain would come back as booleans, numbers or timestamps.
 * So strings are written plain only when they cannot resolve to anything but
 * a string under YAML 1.1 (PyYAML, Go's yaml.v2) or 1.2 (yaml.v3, libyaml's
 * own readers), double-quoted otherwise, and literal blocks ("|") when they
 * span lines (PEM keys). */
#include <string.h>
#include <yaml.h>

#include "deploy.h"

static int
sink(void *ctx, unsigned char *p, size_t n)
{
	return ward_buf_append(ctx, p, n) == 0;
}

/* Words that YAML 1.1 resolves to booleans or null (case variants listed
 * by the 1.1 type repository). */
static int
special_word(const char *s)
{
	static const char *const words[] = {
		"y",  "Y",    "yes",  "Yes",  "YES",   "n",	"N",	 "no", "No",
		"NO", "true", "True", "TRUE", "false", "False", "FALSE", "on", "On",
		"ON", "off",  "Off",  "OFF",  "null",  "Null",	"NULL",	 "~",
	};

	for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++)
		if (strcmp(s, words[i]) == 0)
			return 1;
	return 0;
}

/* 1 when s can be written plain and read back as the same string: it starts
 * with a letter, '/' or '_' (so never a number, timestamp, .inf/.nan, an
 * indicator or an alias), is not a boolean/null word, holds only
 * characters that never start a comment, flow collection or mapping value
 * (": " and " #" are excluded by excluding spaces; a trailing ':' too). */
static int
plain_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 ||
	    !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '/' || *s == '_'))
		return 0;
	if (special_word(s) || s[n - 1] == ':')
		return 0;
	for (const char *p = s; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("/_.-:@+=", c) != NULL))
			return 0;
	}
	return 1;
}

static int
emit(yaml_emitter_t *em, yaml_event_t *ev)
{
	if (!yaml_emitter_emit(em, ev))
		return ward_err(WARD_EENV, "yaml: %s",
				em->problem ? em->problem : "emitter failed");
	return 0;
}

static int
scalar(yaml_emitter_t *em, const char *s, size_t n, int style)
{
	yaml_event_t ev;

	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)n, 1, 1,
					  (yaml_scalar_style_t)style))
		return ward_err(WARD_EENV, "yaml: out of memory");
	return emit(em, &ev);
}

static int
string(yaml_emitter_t *em, const char *s, size_t n)
{
	int style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;

	if (memchr(s, '\0', n) != NULL)
		return ward_err(WARD_EINPUT, "yaml: a string holds a NUL byte");
	if (strlen(s) == n && plain_ok(s))
		style = YAML_PLAIN_SCALAR_STYLE;
	else if (memchr(s, '\n', n) != NULL)
		style = YAML_LITERAL_SCALAR_STYLE; /* libyaml falls back to quoting if unsuitable */
	return scalar(em, s, n, style);
}

static int
node(yaml_emitter_t *em, const json_t *j, int depth)
{
	yaml_event_t ev;
	char num[32];

	if (depth > 64)
		return ward_err(WARD_EINPUT, "yaml: document nested too deeply");
	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *v;
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
		if (emit(em, &ev) != 0)
			return -1;
		json_object_foreach((json_t *)j, k, v)
		{
			if (string(em, k, strlen(k)) != 0 || node(em, v, depth + 1) != 0)
				return -1;
		}
		yaml_mapping_end_event_initialize(&ev);
		return emit(em, &ev);
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *v;
		/* An empty sequence has no block form. */
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
						     json_array_size(j) ? YAML_BLOCK_SEQUENCE_STYLE
									: YAML_FLOW_SEQUENCE_STYLE);
		if (emit(em, &ev) != 0)
			return -1;
		json_array_foreach(j, i, v)
		{
			if (node(em, v, depth + 1) != 0)
				return -1;
		}
		yaml_sequence_end_event_initialize(&ev);
		return emit(em, &ev);
	}
	case JSON_STRING:
		return string(em, json_string_value(j), json_string_length(j));
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(j));
		return scalar(em, num, strlen(num), YAML_PLAIN_SCALAR_STYLE);
	case JSON_REAL:
		return ward_err(WARD_EINPUT, "yaml: floating-point values are not written");
	case JSON_TRUE:
		return scalar(em, "true", 4, YAML_PLAIN_SCALAR_STYLE);
	case JSON_FALSE:
		return scalar(em, "false", 5, YAML_PLAIN_SCALAR_STYLE);
	case JSON_NULL:
		return scalar(em, "null", 4, YAML_PLAIN_SCALAR_STYLE);
	}
	return ward_err(WARD_EINPUT, "yaml: unknown JSON type");
}

char *
deploy_yaml_dump(const json_t *docs)
{
	yaml_emitter_t em;
	yaml_event_t ev;
	struct ward_buf out = {0};
	size_t i;
	json_t *d;
	int rc = -1;

	if (!json_is_array(docs)) {
		ward_err(WARD_EINPUT, "yaml: expected an array of documents");
		return NULL;
	}
	if (!yaml_emitter_initialize(&em)) {
		ward_err(WARD_EENV, "yaml: out of memory");
		return NULL;
	}
	yaml_emitter_set_output(&em, sink, &out);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, -1); /* never fold long lines */
	yaml_emitter_set_indent(&em, 2);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	if (emit(&em, &ev) != 0)
		goto out;
	json_array_foreach(docs, i, d)
	{
		yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 0);
		if (emit(&em, &ev) != 0 || node(&em, d, 0) != 0)
			goto out;
		yaml_document_end_event_initialize(&ev, 1);
		if (emit(&em, &ev) != 0)
			goto out;
	}
	yaml_stream_end_event_initialize(&ev);
	if (emit(&em, &ev) != 0)
		goto out;
	if (!yaml_emitter_flush(&em)) {
		ward_err(WARD_EENV, "yaml: emitter failed");
		goto out;
	}
	rc = 0;
out:
	yaml_emitter_delete(&em);
	if (rc != 0) {
		ward_buf_free(&out);
		return NULL;
	}
	return ward_buf_steal(&out);
}
