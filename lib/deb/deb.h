/*
 * deb: Debian package data.  dpkg version order, the deb822 control-file
 * parser (Packages indices, dpkg status, control files), and — as the
 * package-source work lands — the resolver, lockfile, fetcher, cache and
 * .deb reader.  Errors follow core.h.
 */
#ifndef WARD_DEB_H
#define WARD_DEB_H

#include "core/core.h"

/* ---------------------------------------------------------- versions */

/* deb_version_cmp(a, b): <0, 0, >0 in dpkg order ([epoch:]upstream
 * [-revision]; see FORMATS.md).  Total on any input: never fails. */
int deb_version_cmp(const char *a, const char *b);
/* deb_version_check(v, what): 0 if v is a well-formed version, else -1
 * with WARD_EINPUT naming what and the problem. */
int deb_version_check(const char *v, const char *what);

/* ---------------------------------------------------------- control files */

struct deb_field {
	const char *name;  /* as written ("Package") */
	const char *value; /* first line trimmed; continuation lines kept as
			      written, joined by '\n' (what dpkg-deb -f prints) */
};

struct deb_para {
	struct deb_field *fields;
	size_t n;
	size_t line; /* first line, 1-based, for messages */
};

/* A parsed file.  Every string points into one owned copy of the text. */
struct deb_control {
	char *text;
	struct deb_para *paras;
	size_t n;
};

/* deb_control_parse(data, len, what, out): parse deb822 paragraphs
 * separated by blank lines.  A line that is neither "Name: value" nor a
 * continuation, a continuation with no field before it, a duplicate field
 * or a NUL byte is an error "what:line: ...".  Release with
 * deb_control_free(). */
int deb_control_parse(const char *data, size_t len, const char *what, struct deb_control *out);
/* deb_para_get(p, name): the field's value (case-insensitive name) or NULL. */
const char *deb_para_get(const struct deb_para *p, const char *name);
void deb_control_free(struct deb_control *c);

#endif
