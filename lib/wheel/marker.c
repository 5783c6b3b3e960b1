/* marker.c: PEP 508 environment markers and PEP 440 specifier sets, as far
 * as a lock needs them: which packages apply to the image's interpreter,
 * and whether requires-python holds.  The interpreter's version is a plain
 * release ("3.11.2"); specifier versions may carry a pre-release suffix,
 * which sorts below the release it belongs to. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "wheel/wheel_internal.h"

#define MAX_PARTS 8

struct release {
	long v[MAX_PARTS];
	size_t n;
	int pre; /* a pre-release or dev suffix: below the release itself */
	int wildcard;
};

/* "3.11", "3.11.*", "3.11.0rc1", "1!2.0" (epochs other than 0 never match). */
static int
parse_release(const char *s, size_t len, struct release *r)
{
	const char *p = s, *e = s + len;

	memset(r, 0, sizeof(*r));
	if (p < e && (*p == 'v' || *p == 'V'))
		p++;
	if (e - p > 2 && p[0] == '0' && p[1] == '!')
		p += 2;
	for (;;) {
		char *end;
		long x;
		if (p >= e)
			return -1;
		if (*p == '*' && p + 1 == e && r->n > 0) {
			r->wildcard = 1;
			return 0;
		}
		if (!isdigit((unsigned char)*p) || r->n == MAX_PARTS)
			return -1;
		x = strtol(p, &end, 10);
		if (end > e || x < 0)
			return -1;
		r->v[r->n++] = x;
		p = end;
		if (p == e)
			return 0;
		if (*p == '.' && p + 1 < e) {
			p++;
			continue;
		}
		/* a1, b2, rc1, .dev0, .post1, +local: only pre/dev lower it. */
		for (const char *q = p; q < e; q++)
			if (!isalnum((unsigned char)*q) && strchr(".-_+", *q) == NULL)
				return -1;
		if (*p == '+')
			return 0;
		if (strstr(p, "post") == p || strstr(p, ".post") == p)
			return 0;
		r->pre = 1;
		return 0;
	}
}

static int
release_cmp(const struct release *a, const struct release *b, size_t upto)
{
	size_t n = a->n > b->n ? a->n : b->n;

	if (upto != 0 && upto < n)
		n = upto;
	for (size_t i = 0; i < n; i++) {
		long x = i < a->n ? a->v[i] : 0, y = i < b->n ? b->v[i] : 0;
		if (x != y)
			return x < y ? -1 : 1;
	}
	if (upto != 0)
		return 0;
	return a->pre == b->pre ? 0 : a->pre ? -1 : 1;
}

/* One clause "op version" against have. */
static int
clause_holds(const char *op, const char *ver, size_t vlen, const char *have, int *out)
{
	struct release h, v;

	if (strcmp(op, "===") == 0) {
		*out = strlen(have) == vlen && memcmp(have, ver, vlen) == 0;
		return 0;
	}
	if (parse_release(have, strlen(have), &h) != 0 || h.wildcard ||
	    parse_release(ver, vlen, &v) != 0)
		return -1;
	if (v.wildcard && strcmp(op, "==") != 0 && strcmp(op, "!=") != 0)
		return -1;
	if (strcmp(op, "==") == 0 || strcmp(op, "!=") == 0) {
		int eq = v.wildcard ? release_cmp(&h, &v, v.n) == 0 : release_cmp(&h, &v, 0) == 0;
		*out = op[0] == '=' ? eq : !eq;
	} else if (strcmp(op, "~=") == 0) {
		if (v.n < 2)
			return -1;
		*out = release_cmp(&h, &v, 0) >= 0 && release_cmp(&h, &v, v.n - 1) == 0;
	} else if (strcmp(op, ">=") == 0) {
		*out = release_cmp(&h, &v, 0) >= 0;
	} else if (strcmp(op, "<=") == 0) {
		*out = release_cmp(&h, &v, 0) <= 0;
	} else if (strcmp(op, ">") == 0) {
		*out = release_cmp(&h, &v, 0) > 0;
	} else if (strcmp(op, "<") == 0) {
		*out = release_cmp(&h, &v, 0) < 0;
	} else {
		return -1;
	}
	return 0;
}

static size_t
op_len(const char *p)
{
	static const char *const ops[] = {"===", "~=", "==", "!=", "<=", ">=", "<", ">"};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strncmp(p, ops[i], strlen(ops[i])) == 0)
			return strlen(ops[i]);
	return 0;
}

int
wheel_specifier_check(const char *spec, const char *version, const char *what, int *out)
{
	const char *p = spec;
	int all = 1;

	for (;;) {
		char op[4];
		size_t ol, vl;
		const char *v;
		int ok;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		if ((ol = op_len(p)) == 0)
			goto bad;
		memcpy(op, p, ol);
		op[ol] = '\0';
		p += ol;
		while (*p == ' ' || *p == '\t')
			p++;
		v = p;
		vl = strcspn(p, ", \t");
		if (vl == 0 || clause_holds(op, v, vl, version, &ok) != 0)
			goto bad;
		all = all && ok;
		p += vl;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == ',')
			p++;
		else if (*p != '\0')
			goto bad;
	}
	*out = all;
	return 0;
bad:
	return ward_err(WARD_EINPUT, "%s: cannot read the version specifier \"%.200s\"", what,
			spec);
}

/* ------------------------------------------------------------ markers */

struct mparser {
	const char *p;
	const char *what, *marker;
	const struct wheel_target *t;
	const struct ward_strv *extras, *groups;
	char pyver[16];
	int failed;
	int depth;
};

static int
merr(struct mparser *m, const char *msg)
{
	if (!m->failed)
		ward_err(WARD_EINPUT, "%s: marker \"%.200s\": %s", m->what, m->marker, msg);
	m->failed = 1;
	return -1;
}

static void
mskip(struct mparser *m)
{
	while (*m->p == ' ' || *m->p == '\t')
		m->p++;
}

/* An operand: a quoted string or a variable name. */
struct operand {
	char text[128];
	int is_var;
	const char *var;
};

static int
is_set_var(const struct operand *o)
{
	return o->is_var &&
	       (strcmp(o->text, "extras") == 0 || strcmp(o->text, "dependency_groups") == 0);
}

static int
is_version_var(const struct operand *o)
{
	return o->is_var && (strcmp(o->text, "python_version") == 0 ||
			     strcmp(o->text, "python_full_version") == 0 ||
			     strcmp(o->text, "implementation_version") == 0);
}

static int
read_operand(struct mparser *m, struct operand *o)
{
	size_t n = 0;

	mskip(m);
	memset(o, 0, sizeof(*o));
	if (*m->p == '\'' || *m->p == '"') {
		char q = *m->p++;
		while (*m->p != q) {
			if (*m->p == '\0')
				return merr(m, "unterminated string");
			if (n + 1 >= sizeof(o->text))
				return merr(m, "string too long");
			o->text[n++] = *m->p++;
		}
		m->p++;
		o->text[n] = '\0';
		return 0;
	}
	while (isalnum((unsigned char)*m->p) || *m->p == '_' || *m->p == '.') {
		if (n + 1 >= sizeof(o->text))
			return merr(m, "name too long");
		o->text[n++] = *m->p++;
	}
	o->text[n] = '\0';
	if (n == 0)
		return merr(m, "expected a variable or a quoted string");
	o->is_var = 1;
	{
		const struct wheel_target *t = m->t;
		if (strcmp(o->text, "python_version") == 0)
			o->var = m->pyver;
		else if (strcmp(o->text, "python_full_version") == 0 ||
			 strcmp(o->text, "implementation_version") == 0)
			o->var = t->py_full;
		else if (strcmp(o->text, "os_name") == 0)
			o->var = "posix";
		else if (strcmp(o->text, "sys_platform") == 0)
			o->var = "linux";
		else if (strcmp(o->text, "platform_system") == 0)
			o->var = "Linux";
		else if (strcmp(o->text, "platform_machine") == 0)
			o->var = t->machine;
		else if (strcmp(o->text, "platform_python_implementation") == 0)
			o->var = "CPython";
		else if (strcmp(o->text, "implementation_name") == 0)
			o->var = "cpython";
		else if (strcmp(o->text, "extra") == 0)
			o->var = "";
		else if (is_set_var(o))
			o->var = NULL;
		else if (strcmp(o->text, "platform_release") == 0 ||
			 strcmp(o->text, "platform_version") == 0)
			return merr(m, "platform_release and platform_version describe the kernel "
				       "at run time, which a build cannot know");
		else
			return merr(m, "unknown marker variable");
	}
	return 0;
}

static int
in_set(const struct ward_strv *set, const char *name)
{
	char a[256], b[256];

	if (set == NULL || wheel_name_normalize(name, a, sizeof(a)) != 0) {
		ward_err_clear();
		return 0;
	}
	for (size_t i = 0; i < set->n; i++)
		if (wheel_name_normalize(set->v[i], b, sizeof(b)) == 0 && strcmp(a, b) == 0)
			return 1;
	ward_err_clear();
	return 0;
}

static int
eval_cmp(struct mparser *m, int *out)
{
	struct operand l, r;
	char op[8];
	size_t ol;

	if (read_operand(m, &l) != 0)
		return -1;
	mskip(m);
	if (strncmp(m->p, "not", 3) == 0 && (m->p[3] == ' ' || m->p[3] == '\t')) {
		m->p += 3;
		mskip(m);
		if (strncmp(m->p, "in", 2) != 0)
			return merr(m, "expected \"in\" after \"not\"");
		m->p += 2;
		strcpy(op, "not in");
	} else if (strncmp(m->p, "in", 2) == 0 && !isalnum((unsigned char)m->p[2])) {
		m->p += 2;
		strcpy(op, "in");
	} else if ((ol = op_len(m->p)) != 0) {
		memcpy(op, m->p, ol);
		op[ol] = '\0';
		m->p += ol;
	} else {
		return merr(m, "expected a comparison operator");
	}
	if (read_operand(m, &r) != 0)
		return -1;
	if (is_set_var(&l))
		return merr(m, "extras and dependency_groups belong on the right of \"in\"");
	if (is_set_var(&r)) {
		const struct ward_strv *set = strcmp(r.text, "extras") == 0 ? m->extras : m->groups;
		int has;
		if (strcmp(op, "in") != 0 && strcmp(op, "not in") != 0)
			return merr(m, "extras and dependency_groups only take \"in\"");
		has = in_set(set, l.is_var ? l.var : l.text);
		*out = op[0] == 'i' ? has : !has;
		return 0;
	}
	{
		const char *a = l.is_var ? l.var : l.text, *b = r.is_var ? r.var : r.text;
		if (strcmp(l.text, "extra") == 0 && l.is_var) {
			/* extra == "x": true when x is requested. */
			int has = in_set(m->extras, b);
			if (strcmp(op, "==") == 0)
				*out = has;
			else if (strcmp(op, "!=") == 0)
				*out = !has;
			else
				return merr(m, "extra only takes == and !=");
			return 0;
		}
		if (strcmp(op, "in") == 0 || strcmp(op, "not in") == 0) {
			int has = strstr(b, a) != NULL;
			*out = op[0] == 'i' ? has : !has;
			return 0;
		}
		if (is_version_var(&l) || is_version_var(&r)) {
			/* Version comparison: lhs op rhs as a specifier on lhs. */
			int ok;
			if (l.is_var == r.is_var)
				return merr(m, "compare a variable with a quoted version");
			/* a op b, whichever side the variable is on. */
			if (clause_holds(op, b, strlen(b), a, &ok) != 0)
				return merr(m, "cannot compare these versions");
			*out = ok;
			return 0;
		}
		{
			int c = strcmp(a, b);
			if (strcmp(op, "==") == 0 || strcmp(op, "===") == 0)
				*out = c == 0;
			else if (strcmp(op, "!=") == 0)
				*out = c != 0;
			else
				return merr(m, "this variable only compares with == and !=");
		}
	}
	return 0;
}

static int eval_or(struct mparser *m, int *out);

static int
eval_atom(struct mparser *m, int *out)
{
	mskip(m);
	if (*m->p == '(') {
		if (++m->depth > 32)
			return merr(m, "nested too deeply");
		m->p++;
		if (eval_or(m, out) != 0)
			return -1;
		mskip(m);
		if (*m->p != ')')
			return merr(m, "expected ')'");
		m->p++;
		m->depth--;
		return 0;
	}
	return eval_cmp(m, out);
}

static int
keyword(struct mparser *m, const char *kw)
{
	size_t n = strlen(kw);

	mskip(m);
	if (strncmp(m->p, kw, n) == 0 && (m->p[n] == ' ' || m->p[n] == '\t' || m->p[n] == '(' ||
					  m->p[n] == '\'' || m->p[n] == '"')) {
		m->p += n;
		return 1;
	}
	return 0;
}

static int
eval_and(struct mparser *m, int *out)
{
	int v, w;

	if (eval_atom(m, &v) != 0)
		return -1;
	while (keyword(m, "and")) {
		if (eval_atom(m, &w) != 0)
			return -1;
		v = v && w;
	}
	*out = v;
	return 0;
}

static int
eval_or(struct mparser *m, int *out)
{
	int v, w;

	if (eval_and(m, &v) != 0)
		return -1;
	while (keyword(m, "or")) {
		if (eval_and(m, &w) != 0)
			return -1;
		v = v || w;
	}
	*out = v;
	return 0;
}

int
wheel_marker_eval(const char *marker, const struct wheel_target *t, const struct ward_strv *extras,
		  const struct ward_strv *groups, const char *what, int *out)
{
	struct mparser m = {.p = marker,
			    .what = what,
			    .marker = marker,
			    .t = t,
			    .extras = extras,
			    .groups = groups};

	snprintf(m.pyver, sizeof(m.pyver), "%d.%d", t->py_major, t->py_minor);
	if (eval_or(&m, out) != 0)
		return -1;
	mskip(&m);
	if (*m.p != '\0')
		return merr(&m, "unexpected text after the marker");
	return 0;
}
