/*
 * annotations.c: reachability annotations (docs/formats/vex-annotations.md):
 * which shared libraries and which of their exported symbols hold the
 * vulnerable code of a vulnerability, and which binary packages ship it.
 */
#include <stdlib.h>
#include <string.h>

#include "vuln/vuln_internal.h"

#define MAX_ANNOTATION_BYTES (16u << 20)

void
vuln_annotations_free(struct vuln_annotations *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->n; i++) {
		struct annotation *x = &a->v[i];
		free(x->vulnerability);
		free(x->reference);
		ward_strv_free(&x->aliases);
		ward_strv_free(&x->packages);
		ward_strv_free(&x->libraries);
		ward_strv_free(&x->symbols);
		ward_strv_free(&x->programs);
	}
	free(a->v);
	free(a);
}

static int
str_list(const json_t *obj, const char *key, struct ward_strv *out, const char *what, int need)
{
	json_t *a = json_object_get(obj, key), *x;
	size_t i;

	if (a == NULL && !need)
		return 0;
	if (!json_is_array(a) || (need && json_array_size(a) == 0))
		return ward_err(WARD_EINPUT, "%s: %s must be a non-empty array of strings", what,
				key);
	json_array_foreach(a, i, x)
	{
		if (!json_is_string(x) || json_string_length(x) == 0 ||
		    strchr(json_string_value(x), '@') != NULL)
			return ward_err(WARD_EINPUT, "%s: %s[%zu] must be a plain non-empty name",
					what, key, i);
		if (ward_strv_push(out, json_string_value(x)) != 0)
			return -1;
	}
	return 0;
}

struct vuln_annotations *
vuln_annotations_load(const char *path)
{
	json_t *doc = ward_json_load_file(path, MAX_ANNOTATION_BYTES), *list, *x;
	struct vuln_annotations *a = NULL;
	const char *fmt;
	size_t i;

	if (doc == NULL)
		return NULL;
	fmt = ward_json_str(doc, "format");
	if (fmt == NULL || strcmp(fmt, "ward-vex-annotations/v1") != 0) {
		ward_err(WARD_EINPUT,
			 "%s: not a ward VEX annotations file (format "
			 "\"ward-vex-annotations/v1\" expected)",
			 path);
		goto fail;
	}
	list = json_object_get(doc, "annotations");
	if (!json_is_array(list)) {
		ward_err(WARD_EINPUT, "%s: annotations must be an array", path);
		goto fail;
	}
	if ((a = ward_calloc(1, sizeof(*a))) == NULL ||
	    (a->v = ward_calloc(json_array_size(list) + 1, sizeof(*a->v))) == NULL)
		goto fail;
	json_array_foreach(list, i, x)
	{
		struct annotation *n = &a->v[a->n];
		char what[600];
		const char *v = ward_json_str(x, "vulnerability"),
			   *ref = ward_json_str(x, "reference");
		snprintf(what, sizeof(what), "%s: annotations[%zu]", path, i);
		if (v == NULL || *v == '\0') {
			ward_err(WARD_EINPUT, "%s: vulnerability is missing", what);
			goto fail;
		}
		a->n++;
		n->vulnerability = ward_strdup(v);
		n->reference = ref ? ward_strdup(ref) : NULL;
		if (n->vulnerability == NULL || str_list(x, "aliases", &n->aliases, what, 0) != 0 ||
		    str_list(x, "packages", &n->packages, what, 0) != 0 ||
		    str_list(x, "programs", &n->programs, what, 0) != 0 ||
		    str_list(x, "libraries", &n->libraries, what, n->programs.n == 0) != 0 ||
		    str_list(x, "symbols", &n->symbols, what, n->programs.n == 0) != 0)
			goto fail;
		if ((n->libraries.n == 0) != (n->symbols.n == 0)) {
			ward_err(WARD_EINPUT, "%s: libraries and symbols go together", what);
			goto fail;
		}
		for (size_t k = 0; k < n->programs.n; k++)
			if (n->programs.v[k][0] != '/' || !ward_relpath_ok(n->programs.v[k] + 1)) {
				ward_err(WARD_EINPUT,
					 "%s: program \"%s\" is not a clean absolute path", what,
					 n->programs.v[k]);
				goto fail;
			}
		for (size_t k = 0; k < n->libraries.n; k++)
			if (strstr(n->libraries.v[k], ".so") == NULL ||
			    strchr(n->libraries.v[k], '/')) {
				ward_err(WARD_EINPUT, "%s: library \"%s\" is not a SONAME", what,
					 n->libraries.v[k]);
				goto fail;
			}
	}
	json_decref(doc);
	return a;
fail:
	json_decref(doc);
	vuln_annotations_free(a);
	return NULL;
}

const struct annotation *
annotation_for(const struct vuln_annotations *a, const struct vuln_finding *f)
{
	for (size_t i = 0; a != NULL && i < a->n; i++) {
		const struct annotation *x = &a->v[i];
		for (size_t k = 0; k <= f->aliases.n; k++) {
			const char *id = k == 0 ? f->id : f->aliases.v[k - 1];
			if (strcmp(x->vulnerability, id) == 0 ||
			    ward_strv_contains(&x->aliases, id))
				return x;
		}
	}
	return NULL;
}
