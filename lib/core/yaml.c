/* yaml.c: libyaml events -> a small tree with line:column marks. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "core/core.h"

#define MAX_DEPTH 64
#define MAX_NODES 1000000

struct loader {
	yaml_parser_t parser;
	const char *file;
	size_t nodes;
};

static void
node_free(struct ward_yaml_node *n)
{
	if (n == NULL)
		return;
	free(n->str);
	for (size_t i = 0; n->items != NULL && i < n->n; i++)
		node_free(n->items[i]);
	for (size_t i = 0; n->pairs != NULL && i < n->n; i++) {
		node_free(n->pairs[i].key);
		node_free(n->pairs[i].value);
	}
	free(n->items);
	free(n->pairs);
	free(n->sorted);
	free(n);
}

void
ward_yaml_free(struct ward_yaml_node *root)
{
	if (root == NULL)
		return;
	free((char *)root->file);
	node_free(root);
}

static int
at(const struct loader *l, const yaml_mark_t *m, const char *msg)
{
	return ward_err(WARD_EINPUT, "%s:%zu:%zu: %s", l->file, m->line + 1, m->column + 1, msg);
}

static int
parser_error(const struct loader *l)
{
	const yaml_parser_t *p = &l->parser;
	const yaml_mark_t *m = p->problem ? &p->problem_mark : &p->mark;

	if (p->error == YAML_MEMORY_ERROR)
		return ward_err(WARD_EENV, "%s: out of memory while parsing YAML", l->file);
	return ward_err(WARD_EINPUT, "%s:%zu:%zu: invalid YAML: %s%s%s", l->file, m->line + 1,
			m->column + 1, p->problem ? p->problem : "syntax error",
			p->context ? " " : "", p->context ? p->context : "");
}

static int
next_event(struct loader *l, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&l->parser, ev))
		return parser_error(l);
	return 0;
}

static struct ward_yaml_node *
new_node(struct loader *l, int type, const yaml_event_t *ev)
{
	struct ward_yaml_node *n;

	if (++l->nodes > MAX_NODES) {
		at(l, &ev->start_mark, "too many YAML nodes");
		return NULL;
	}
	n = ward_calloc(1, sizeof(*n));
	if (n == NULL)
		return NULL;
	n->type = type;
	n->line = ev->start_mark.line + 1;
	n->col = ev->start_mark.column + 1;
	n->file = l->file;
	return n;
}

/* Only untagged nodes, or the standard str/seq/map tags, are accepted. */
static int
tag_ok(const yaml_char_t *tag, const char *allowed)
{
	return tag == NULL || strcmp((const char *)tag, allowed) == 0;
}

static struct ward_yaml_node *parse_node(struct loader *l, yaml_event_t *ev, int depth);

static int
append(struct ward_yaml_node *parent, struct ward_yaml_node *child, size_t *cap, int pair_key)
{
	if (parent->type == WARD_YAML_SEQUENCE) {
		if (ward_vec_reserve(&parent->items, cap, parent->n + 1, sizeof(*parent->items)) !=
		    0)
			return -1;
		parent->items[parent->n++] = child;
		return 0;
	}
	if (pair_key) {
		if (ward_vec_reserve(&parent->pairs, cap, parent->n + 1, sizeof(*parent->pairs)) !=
		    0)
			return -1;
		parent->pairs[parent->n].key = child;
		parent->pairs[parent->n].value = NULL;
		parent->n++;
	} else {
		parent->pairs[parent->n - 1].value = child;
	}
	return 0;
}

static int
cmp_pair(const void *a, const void *b, void *arg)
{
	const struct ward_yaml_node *n = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(n->pairs[x].key->str, n->pairs[y].key->str);

	return c ? c : x < y ? -1 : x > y;
}

/* A mapping's keys, sorted once: duplicates found in O(n log n) (the first
 * repeated key in document order is reported, as a scan would) and
 * ward_yaml_get() a binary search -- never a quadratic parse of a
 * ward.yaml with 100,000 labels. */
static int
index_mapping(struct ward_yaml_node *n)
{
	size_t dup = SIZE_MAX;

	if (n->n == 0)
		return 0;
	if ((n->sorted = ward_reallocarray(NULL, n->n, sizeof(*n->sorted))) == NULL)
		return -1;
	for (size_t i = 0; i < n->n; i++)
		n->sorted[i] = i;
	ward_qsort_r(n->sorted, n->n, sizeof(*n->sorted), cmp_pair, n);
	for (size_t i = 1; i < n->n; i++)
		if (strcmp(n->pairs[n->sorted[i - 1]].key->str, n->pairs[n->sorted[i]].key->str) ==
			    0 &&
		    n->sorted[i] < dup)
			dup = n->sorted[i];
	if (dup != SIZE_MAX)
		return ward_yaml_error(n->pairs[dup].key, "duplicate key \"%s\"",
				       n->pairs[dup].key->str);
	return 0;
}

static struct ward_yaml_node *
parse_collection(struct loader *l, yaml_event_t *start, int depth)
{
	int is_map = start->type == YAML_MAPPING_START_EVENT;
	struct ward_yaml_node *n;
	size_t cap = 0;
	int want_key = 1;

	n = new_node(l, is_map ? WARD_YAML_MAPPING : WARD_YAML_SEQUENCE, start);
	yaml_event_delete(start);
	if (n == NULL)
		return NULL;
	for (;;) {
		yaml_event_t ev;
		struct ward_yaml_node *child;

		if (next_event(l, &ev) != 0)
			goto fail;
		if (ev.type == YAML_MAPPING_END_EVENT || ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			if (is_map && index_mapping(n) != 0)
				goto fail;
			return n;
		}
		if (is_map && want_key && ev.type != YAML_SCALAR_EVENT) {
			at(l, &ev.start_mark, "mapping keys must be plain strings");
			yaml_event_delete(&ev);
			goto fail;
		}
		child = parse_node(l, &ev, depth + 1);
		if (child == NULL)
			goto fail;
		if (is_map && want_key) {
			if (child->len != strlen(child->str)) {
				ward_yaml_error(child, "mapping key contains a NUL byte");
				node_free(child);
				goto fail;
			}
		}
		if (append(n, child, &cap, is_map && want_key) != 0) {
			node_free(child);
			goto fail;
		}
		if (is_map)
			want_key = !want_key;
	}
fail:
	node_free(n);
	return NULL;
}

/* parse_node: build the node that starts with ev (consumed). */
static struct ward_yaml_node *
parse_node(struct loader *l, yaml_event_t *ev, int depth)
{
	struct ward_yaml_node *n = NULL;

	if (depth > MAX_DEPTH) {
		at(l, &ev->start_mark, "YAML nested too deeply");
		yaml_event_delete(ev);
		return NULL;
	}
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		at(l, &ev->start_mark, "YAML aliases are not supported");
		break;
	case YAML_SCALAR_EVENT:
		if (!tag_ok(ev->data.scalar.tag, YAML_STR_TAG)) {
			at(l, &ev->start_mark, "YAML tags are not supported");
			break;
		}
		n = new_node(l, WARD_YAML_SCALAR, ev);
		if (n == NULL)
			break;
		n->len = ev->data.scalar.length;
		n->str = ward_strndup((const char *)ev->data.scalar.value, n->len);
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
			   ev->data.scalar.tag == NULL;
		if (n->str == NULL) {
			node_free(n);
			n = NULL;
		}
		break;
	case YAML_SEQUENCE_START_EVENT:
		if (!tag_ok(ev->data.sequence_start.tag, YAML_SEQ_TAG)) {
			at(l, &ev->start_mark, "YAML tags are not supported");
			break;
		}
		return parse_collection(l, ev, depth);
	case YAML_MAPPING_START_EVENT:
		if (!tag_ok(ev->data.mapping_start.tag, YAML_MAP_TAG)) {
			at(l, &ev->start_mark, "YAML tags are not supported");
			break;
		}
		return parse_collection(l, ev, depth);
	default:
		at(l, &ev->start_mark, "unexpected YAML event");
		break;
	}
	yaml_event_delete(ev);
	return n;
}

static struct ward_yaml_node *
empty_root(struct loader *l)
{
	struct ward_yaml_node *n = ward_calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	n->type = WARD_YAML_SCALAR;
	n->line = n->col = 1;
	n->file = l->file;
	n->plain = 1;
	n->str = ward_strdup("");
	if (n->str == NULL) {
		free(n);
		return NULL;
	}
	return n;
}

struct ward_yaml_node *
ward_yaml_load(const void *data, size_t len, const char *what)
{
	struct loader l = {0};
	struct ward_yaml_node *root = NULL;
	yaml_event_t ev;
	char *file = ward_strdup(what);

	if (file == NULL)
		return NULL;
	l.file = file;
	if (!yaml_parser_initialize(&l.parser)) {
		ward_err(WARD_EENV, "%s: cannot initialise the YAML parser", what);
		free(file);
		return NULL;
	}
	yaml_parser_set_input_string(&l.parser, data, len);
	/* STREAM-START, then DOCUMENT-START or STREAM-END. */
	if (next_event(&l, &ev) != 0)
		goto fail;
	yaml_event_delete(&ev);
	if (next_event(&l, &ev) != 0)
		goto fail;
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		root = empty_root(&l);
		goto done;
	}
	yaml_event_delete(&ev);
	if (next_event(&l, &ev) != 0)
		goto fail;
	root = parse_node(&l, &ev, 0);
	if (root == NULL)
		goto fail;
	if (next_event(&l, &ev) != 0) /* DOCUMENT-END */
		goto fail;
	yaml_event_delete(&ev);
	if (next_event(&l, &ev) != 0)
		goto fail;
	if (ev.type != YAML_STREAM_END_EVENT) {
		at(&l, &ev.start_mark, "more than one YAML document");
		yaml_event_delete(&ev);
		goto fail;
	}
	yaml_event_delete(&ev);
done:
	yaml_parser_delete(&l.parser);
	if (root == NULL) {
		free(file);
		return NULL;
	}
	return root; /* the root owns file */
fail:
	yaml_parser_delete(&l.parser);
	node_free(root);
	free(file);
	return NULL;
}

const struct ward_yaml_node *
ward_yaml_get(const struct ward_yaml_node *map, const char *key)
{
	if (map == NULL || map->type != WARD_YAML_MAPPING)
		return NULL;
	if (map->sorted != NULL) {
		size_t lo = 0, hi = map->n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			const struct ward_yaml_pair *p = &map->pairs[map->sorted[mid]];
			int c = strcmp(p->key->str, key);
			if (c == 0)
				return p->value;
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		return NULL;
	}
	for (size_t i = 0; i < map->n; i++)
		if (map->pairs[i].key != NULL && strcmp(map->pairs[i].key->str, key) == 0)
			return map->pairs[i].value;
	return NULL;
}

int
ward_yaml_error(const struct ward_yaml_node *n, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ward_err(WARD_EINPUT, "%s:%zu:%zu: %s", n->file, n->line, n->col, msg);
}

const char *
ward_yaml_type_name(int type)
{
	switch (type) {
	case WARD_YAML_MAPPING:
		return "a mapping";
	case WARD_YAML_SEQUENCE:
		return "a list";
	default:
		return "a string";
	}
}

int
ward_yaml_is_null(const struct ward_yaml_node *n)
{
	return n != NULL && n->type == WARD_YAML_SCALAR && n->plain &&
	       (n->len == 0 || strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0 ||
		strcmp(n->str, "Null") == 0 || strcmp(n->str, "NULL") == 0);
}

const char *
ward_yaml_str(const struct ward_yaml_node *n)
{
	if (n->type != WARD_YAML_SCALAR || ward_yaml_is_null(n)) {
		ward_yaml_error(n, "expected a string, found %s",
				ward_yaml_is_null(n) ? "nothing" : ward_yaml_type_name(n->type));
		return NULL;
	}
	if (n->len != strlen(n->str)) {
		ward_yaml_error(n, "string contains a NUL byte");
		return NULL;
	}
	return n->str;
}

int
ward_yaml_bool(const struct ward_yaml_node *n, int *out)
{
	static const char *const yes[] = {"true", "True", "TRUE"};
	static const char *const no[] = {"false", "False", "FALSE"};

	if (n->type == WARD_YAML_SCALAR && n->plain)
		for (size_t i = 0; i < 3; i++) {
			if (strcmp(n->str, yes[i]) == 0)
				return *out = 1, 0;
			if (strcmp(n->str, no[i]) == 0)
				return *out = 0, 0;
		}
	return ward_yaml_error(n, "expected true or false");
}

int
ward_yaml_int(const struct ward_yaml_node *n, long long *out)
{
	char *end;
	long long v;

	if (n->type != WARD_YAML_SCALAR || !n->plain || n->len == 0 || n->len != strlen(n->str))
		return ward_yaml_error(n, "expected an integer");
	errno = 0;
	v = strtoll(n->str, &end, 10);
	if (*end != '\0' || errno != 0 || n->str[0] == ' ')
		return ward_yaml_error(n, "expected an integer, found \"%s\"", n->str);
	*out = v;
	return 0;
}
