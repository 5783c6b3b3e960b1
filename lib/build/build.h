/*
 * build: ward.yaml (the image spec) and, as the image-build work lands,
 * spec -> rootfs plan -> policy -> layers -> image.  Errors follow core.h.
 *
 * The spec schema is data: each key of a mapping is one row of a table
 * (spec.c) naming its type and where it is stored, so a new key is a new
 * struct field plus one row.  docs/ward-yaml.md documents every key.
 */
#ifndef WARD_BUILD_H
#define WARD_BUILD_H

#include "core/core.h"
#include "deb/deb.h"

/* ---------------------------------------------------------- ward.yaml */

/* One `sources:` entry: suites and components of one Debian archive. */
struct build_source {
	struct ward_strv suites;     /* e.g. bookworm, bookworm-updates */
	struct ward_strv components; /* e.g. main */
	char *mirror;                /* base URL of the archive, or NULL */
	char *keyring;               /* OpenPGP keyring (absolute path), or NULL */
	size_t line;                 /* where the entry starts in ward.yaml */
};

struct build_spec {
	char *path;         /* the ward.yaml as given */
	char *dir;          /* its directory: ward.lock sits beside it */
	char *name;         /* image name ([a-z0-9][a-z0-9._-]*) */
	char *version;      /* image version (free text) */
	char *architecture; /* Debian architecture: amd64 (default), arm64 */
	struct build_source *sources;
	size_t nsources;
	struct ward_strv packages;   /* "name" or "name=version" */
	struct ward_strv exclude;    /* never installed; edges to them are cut */
	struct ward_strv allow;      /* exceptions to the distroless policy */
	struct ward_yaml_node *yaml; /* the parsed document (for later keys) */
};

/* build_spec_load(path, out): read and check ward.yaml.  Unknown keys,
 * wrong types, missing required keys and malformed values are WARD_EINPUT
 * errors "path:line:col: ...".  Release with build_spec_free(). */
int build_spec_load(const char *path, struct build_spec *out);
/* build_spec_parse(data, len, path, out): the same on text in memory. */
int build_spec_parse(const char *data, size_t len, const char *path, struct build_spec *out);
void build_spec_free(struct build_spec *s);

/* build_spec_lock_path(s): "<dir>/ward.lock", caller frees. */
char *build_spec_lock_path(const struct build_spec *s);

/* build_spec_repos(s, out, n): the spec's sources as deb_repos, one per
 * suite, with mirrors and keyrings filled in from configuration
 * (deb_repos_configure).  Caller frees with deb_repos_free(). */
int build_spec_repos(const struct build_spec *s, struct deb_repo **out, size_t *n);
/* build_spec_request(s, out): the resolver's request (borrowed strings;
 * valid while s lives). */
void build_spec_request(const struct build_spec *s, struct deb_request *out);

#endif
