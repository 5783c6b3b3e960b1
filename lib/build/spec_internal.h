/*
 * spec_internal.h: the table-driven ward.yaml reader's types, shared by
 * spec.c (the reader and the package keys) and spec_image.c (the image
 * keys, their checks and defaults).  Not part of the public interface.
 */
#ifndef WARD_BUILD_SPEC_INTERNAL_H
#define WARD_BUILD_SPEC_INTERNAL_H

#include <stddef.h>

#include "build/build.h"

/* How a key's value is read.  Adding a key to ward.yaml: a field in the
 * struct, one row in the table of its mapping, docs/ward-yaml.md. */
enum spec_kind {
	SPEC_STRING,	  /* char *            */
	SPEC_STRING_LIST, /* struct ward_strv  (a list, or one string) */
	SPEC_INT,	  /* long long         */
	SPEC_BOOL,	  /* int               */
	SPEC_PATH,	  /* char *, relative paths resolved against the spec's dir */
	SPEC_TABLE_LIST,  /* a list of mappings, each read with a sub-table */
	SPEC_TABLE,	  /* one mapping read with a sub-table, stored in place */
	SPEC_MAP,	  /* struct build_kv   (a mapping of strings) */
	SPEC_ARGV,	  /* struct ward_strv  (a non-empty list, never one string) */
	SPEC_NODE,	  /* const struct ward_yaml_node * (a mapping, read later) */
};

struct spec_ctx {
	const char *dir;
};

struct spec_key {
	const char *name;
	int kind;
	size_t offset; /* of the field in the struct the table describes */
	int required;
	/* Optional check of one string value (an item, for lists). */
	int (*check)(const struct ward_yaml_node *n, const char *value);
	/* SPEC_TABLE_LIST: the items' table, their size, where the count goes,
	 * and an optional hook run on each item after its keys are read. */
	const struct spec_key *sub;
	size_t sub_size;
	size_t count_offset;
	int (*item_done)(const struct ward_yaml_node *n, void *item);
};

#define FIELD(type, f) offsetof(type, f)

/* spec_image.c: checks used by rows of the top-level table. */
int spec_check_abs_path(const struct ward_yaml_node *n, const char *v);
int spec_check_timezone(const struct ward_yaml_node *n, const char *v);
int spec_check_env_name(const struct ward_yaml_node *n, const char *v);
int spec_check_arg(const struct ward_yaml_node *n, const char *v);
int spec_check_port(const struct ward_yaml_node *n, const char *v);
int spec_check_annotation(const struct ward_yaml_node *n, const char *v);
int spec_check_glob(const struct ward_yaml_node *n, const char *v);

/* Sub-tables and per-item hooks. */
extern const struct spec_key spec_user_keys[];
extern const struct spec_key spec_file_keys[];
extern const struct spec_key spec_model_keys[];
int spec_file_done(const struct ward_yaml_node *n, void *item);
int spec_model_done(const struct ward_yaml_node *n, void *item);

/* spec_image_defaults(s): defaults set before the keys are read.
 * spec_image_finish(s): defaults that depend on other keys, cross-key
 * checks (unique destinations, model names), implied packages
 * (ca_certificates, timezone). */
void spec_image_defaults(struct build_spec *s);
int spec_image_finish(struct build_spec *s);

#endif
