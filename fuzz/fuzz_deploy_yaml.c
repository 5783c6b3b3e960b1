/* fuzz_deploy_yaml: any JSON documents written as YAML read back, with
 * libyaml's parser and YAML 1.1 plain-scalar resolution (what a
 * Kubernetes client applies), as exactly the same values.  Input: a JSON
 * array of documents (strings from an image's config reach the emitter). */
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "deploy/deploy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
is_int(const char *s)
{
	if (*s == '-')
		s++;
	if (*s < '0' || *s > '9')
		return 0;
	while (*s >= '0' && *s <= '9')
		s++;
	return *s == '\0';
}

/* The value a YAML 1.1 reader gives a plain scalar that ward writes: ward
 * writes plain only integers, true/false/null and strings it has checked
 * cannot resolve otherwise, so any other plain resolution is a bug the
 * comparison below catches. */
static json_t *
scalar(const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;

	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return json_stringn(v, ev->data.scalar.length);
	if (strcmp(v, "true") == 0)
		return json_true();
	if (strcmp(v, "false") == 0)
		return json_false();
	if (strcmp(v, "null") == 0)
		return json_null();
	if (is_int(v))
		return json_integer(strtoll(v, NULL, 10));
	return json_stringn(v, ev->data.scalar.length);
}

static json_t *
build(yaml_parser_t *p, yaml_event_t *first, int depth)
{
	yaml_event_t ev;
	json_t *out;

	if (depth > 100)
		abort();
	switch (first->type) {
	case YAML_SCALAR_EVENT:
		return scalar(first);
	case YAML_SEQUENCE_START_EVENT:
		out = json_array();
		for (;;) {
			if (!yaml_parser_parse(p, &ev))
				abort();
			if (ev.type == YAML_SEQUENCE_END_EVENT) {
				yaml_event_delete(&ev);
				return out;
			}
			json_array_append_new(out, build(p, &ev, depth + 1));
			yaml_event_delete(&ev);
		}
	case YAML_MAPPING_START_EVENT:
		out = json_object();
		for (;;) {
			json_t *k, *v;
			if (!yaml_parser_parse(p, &ev))
				abort();
			if (ev.type == YAML_MAPPING_END_EVENT) {
				yaml_event_delete(&ev);
				return out;
			}
			if (ev.type != YAML_SCALAR_EVENT)
				abort();
			k = json_stringn((const char *)ev.data.scalar.value, ev.data.scalar.length);
			yaml_event_delete(&ev);
			if (!yaml_parser_parse(p, &ev))
				abort();
			v = build(p, &ev, depth + 1);
			yaml_event_delete(&ev);
			json_object_set_new(out, json_string_value(k), v);
			json_decref(k);
		}
	default:
		abort();
	}
}

static json_t *
read_back(const char *text)
{
	yaml_parser_t p;
	yaml_event_t ev;
	json_t *docs = json_array();
	int done = 0;

	if (!yaml_parser_initialize(&p))
		abort();
	yaml_parser_set_input_string(&p, (const unsigned char *)text, strlen(text));
	while (!done) {
		if (!yaml_parser_parse(&p, &ev))
			abort(); /* ward wrote YAML libyaml cannot read */
		if (ev.type == YAML_DOCUMENT_START_EVENT) {
			yaml_event_t root;
			yaml_event_delete(&ev);
			if (!yaml_parser_parse(&p, &root))
				abort();
			json_array_append_new(docs, build(&p, &root, 0));
			yaml_event_delete(&root);
			continue;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return docs;
}

/* Reals are refused by the writer; keep the comparison to what it takes. */
static int
has_real(const json_t *j)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_real(j))
		return 1;
	if (json_is_object(j)) {
		json_object_foreach((json_t *)j, k, v) if (has_real(v)) return 1;
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v) if (has_real(v)) return 1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *docs = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	char *y;

	if (docs == NULL)
		return 0;
	y = deploy_yaml_dump(docs);
	if (y != NULL) {
		json_t *back;
		if (!json_is_array(docs) || has_real(docs))
			abort(); /* the writer must have refused */
		back = read_back(y);
		if (!json_equal(back, docs))
			abort();
		json_decref(back);
		free(y);
	}
	json_decref(docs);
	return 0;
}
