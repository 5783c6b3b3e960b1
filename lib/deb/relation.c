/* relation.c: Depends/Pre-Depends/Provides/Conflicts/Breaks fields. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "deb/deb.h"

#define MAX_RELATION_TEXT (1u << 20)

int
deb_package_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n < 2 || n > 200 ||
	    !(islower((unsigned char)name[0]) || isdigit((unsigned char)name[0])))
		return 0;
	for (const char *p = name; *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '+' ||
		      *p == '-' || *p == '.'))
			return 0;
	return 1;
}

static const char *
skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static int
name_char(int c)
{
	return isalnum(c) || c == '+' || c == '-' || c == '.' || c == '_';
}

static void
rel_free(struct deb_rel *r)
{
	free(r->name);
	free(r->archq);
	free(r->version);
	ward_strv_free(&r->arches);
}

static int
bad(const char *what, const char *why, const char *at)
{
	return ward_err(WARD_EINPUT, "%s: %s near \"%.20s\"", what, why, at);
}

/* parse_rel: one "name[:arch] [(op ver)] [[arches]] [<profiles>]". */
static int
parse_rel(const char **pp, const char *what, struct deb_rel *r)
{
	const char *p = skip_ws(*pp), *s;

	memset(r, 0, sizeof(*r));
	for (s = p; name_char((unsigned char)*p); p++)
		;
	if (p == s)
		return bad(what, "expected a package name", s);
	if ((r->name = ward_strndup(s, (size_t)(p - s))) == NULL)
		return -1;
	if (!deb_package_name_ok(r->name))
		return bad(what, "invalid package name", s);
	if (*p == ':') {
		for (s = ++p; isalnum((unsigned char)*p) || *p == '-'; p++)
			;
		if (p == s)
			return bad(what, "expected an architecture after ':'", s);
		if ((r->archq = ward_strndup(s, (size_t)(p - s))) == NULL)
			return -1;
	}
	p = skip_ws(p);
	if (*p == '(') {
		p = skip_ws(p + 1);
		if (p[0] == '<' && p[1] == '<')
			r->op = DEB_REL_LT, p += 2;
		else if (p[0] == '<' && p[1] == '=')
			r->op = DEB_REL_LE, p += 2;
		else if (p[0] == '>' && p[1] == '>')
			r->op = DEB_REL_GT, p += 2;
		else if (p[0] == '>' && p[1] == '=')
			r->op = DEB_REL_GE, p += 2;
		else if (p[0] == '=')
			r->op = DEB_REL_EQ, p += 1;
		else if (p[0] == '<') /* obsolete spelling of <= */
			r->op = DEB_REL_LE, p += 1;
		else if (p[0] == '>') /* obsolete spelling of >= */
			r->op = DEB_REL_GE, p += 1;
		else
			return bad(what, "expected a relation (<<, <=, =, >=, >>)", p);
		p = skip_ws(p);
		for (s = p; *p && *p != ')' && *p != ' ' && *p != '\t' && *p != '\n'; p++)
			;
		if (p == s)
			return bad(what, "expected a version", s);
		if ((r->version = ward_strndup(s, (size_t)(p - s))) == NULL)
			return -1;
		if (deb_version_check(r->version, what) != 0)
			return -1;
		p = skip_ws(p);
		if (*p != ')')
			return bad(what, "expected ')'", p);
		p = skip_ws(p + 1);
	}
	if (*p == '[') {
		p = skip_ws(p + 1);
		while (*p != ']') {
			int neg = 0;
			if (*p == '!')
				neg = 1, p++;
			for (s = p; isalnum((unsigned char)*p) || *p == '-'; p++)
				;
			if (p == s)
				return bad(what, "expected an architecture in [...]", s);
			if (r->arches.n > 0 && neg != r->arches_negated)
				return bad(what, "mixed negated and plain architectures", s);
			r->arches_negated = neg;
			if (ward_strv_push_owned(&r->arches, ward_strndup(s, (size_t)(p - s))) != 0)
				return -1;
			p = skip_ws(p);
		}
		p = skip_ws(p + 1);
	}
	while (*p == '<') { /* build profiles: only meaningful in source packages */
		s = strchr(p, '>');
		if (s == NULL)
			return bad(what, "unterminated <profile>", p);
		p = skip_ws(s + 1);
	}
	*pp = p;
	return 0;
}

static int
push_alt(struct deb_rel_group *g, struct deb_rel *r)
{
	if (ward_vec_grow(&g->alts, g->n, sizeof(*g->alts)) != 0)
		return -1;
	g->alts[g->n++] = *r;
	return 0;
}

int
deb_relations_parse(const char *text, const char *what, struct deb_relations *out)
{
	const char *p;
	size_t cap = 0;

	memset(out, 0, sizeof(*out));
	if (text == NULL)
		return 0;
	if (strlen(text) > MAX_RELATION_TEXT)
		return ward_err(WARD_EINPUT, "%s: relation field too long", what);
	p = skip_ws(text);
	while (*p) {
		struct deb_rel_group g = {0};
		if (*p == ',') { /* an empty entry ("a, , b" or a trailing comma) */
			p = skip_ws(p + 1);
			continue;
		}
		for (;;) {
			struct deb_rel r;
			if (parse_rel(&p, what, &r) != 0 || push_alt(&g, &r) != 0) {
				rel_free(&r);
				goto fail_group;
			}
			p = skip_ws(p);
			if (*p != '|')
				break;
			p = skip_ws(p + 1);
		}
		if (*p != ',' && *p != '\0') {
			bad(what, "expected ',' or '|'", p);
			goto fail_group;
		}
		if (ward_vec_reserve(&out->groups, &cap, out->n + 1, sizeof(*out->groups)) != 0)
			goto fail_group;
		out->groups[out->n++] = g;
		if (*p == ',')
			p = skip_ws(p + 1);
		continue;
	fail_group:
		for (size_t i = 0; i < g.n; i++)
			rel_free(&g.alts[i]);
		free(g.alts);
		deb_relations_free(out);
		return -1;
	}
	return 0;
}

void
deb_relations_free(struct deb_relations *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++) {
		for (size_t j = 0; j < r->groups[i].n; j++)
			rel_free(&r->groups[i].alts[j]);
		free(r->groups[i].alts);
	}
	free(r->groups);
	memset(r, 0, sizeof(*r));
}

int
deb_rel_holds(int op, const char *have, const char *want)
{
	int c;

	if (op == DEB_REL_NONE)
		return 1;
	c = deb_version_cmp(have, want);
	switch (op) {
	case DEB_REL_LT:
		return c < 0;
	case DEB_REL_LE:
		return c <= 0;
	case DEB_REL_EQ:
		return c == 0;
	case DEB_REL_GE:
		return c >= 0;
	case DEB_REL_GT:
		return c > 0;
	default:
		return 0;
	}
}

int
deb_rel_applies(const struct deb_rel *r, const char *arch)
{
	int listed;

	if (r->arches.n == 0)
		return 1;
	listed = ward_strv_contains(&r->arches, arch) || ward_strv_contains(&r->arches, "any");
	return r->arches_negated ? !listed : listed;
}

static const char *const op_text[] = {"", "<<", "<=", "=", ">=", ">>"};

int
deb_rel_group_format(const struct deb_rel_group *g, struct ward_buf *out)
{
	for (size_t i = 0; i < g->n; i++) {
		const struct deb_rel *r = &g->alts[i];
		if (i > 0 && ward_buf_puts(out, " | ") != 0)
			return -1;
		if (ward_buf_puts(out, r->name) != 0)
			return -1;
		if (r->archq != NULL && ward_buf_printf(out, ":%s", r->archq) != 0)
			return -1;
		if (r->op != DEB_REL_NONE &&
		    ward_buf_printf(out, " (%s %s)", op_text[r->op], r->version) != 0)
			return -1;
		if (r->arches.n > 0) {
			if (ward_buf_puts(out, " [") != 0)
				return -1;
			for (size_t j = 0; j < r->arches.n; j++)
				if (ward_buf_printf(out, "%s%s%s", j ? " " : "",
						    r->arches_negated ? "!" : "",
						    r->arches.v[j]) != 0)
					return -1;
			if (ward_buf_puts(out, "]") != 0)
				return -1;
		}
	}
	return 0;
}
