/* control.c: deb822 paragraphs (Packages, status, DEBIAN/control). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deb/deb.h"

static int
add_field(struct deb_para *p, size_t *cap, const char *name, const char *value, size_t line)
{
	if (ward_vec_reserve(&p->fields, cap, p->n + 1, sizeof(*p->fields)) != 0)
		return -1;
	p->fields[p->n].name = name;
	p->fields[p->n].value = value;
	p->fields[p->n].line = line;
	p->n++;
	return 0;
}

static int
add_para(struct deb_control *c, size_t *cap, size_t line)
{
	if (ward_vec_reserve(&c->paras, cap, c->n + 1, sizeof(*c->paras)) != 0)
		return -1;
	memset(&c->paras[c->n], 0, sizeof(c->paras[0]));
	c->paras[c->n].line = line;
	c->n++;
	return 0;
}

static int
cmp_field(const void *a, const void *b, void *arg)
{
	const struct deb_para *p = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcasecmp(p->fields[x].name, p->fields[y].name);

	return c ? c : x < y ? -1 : x > y;
}

/* Sort the paragraph's field names once: a duplicate is found in
 * O(n log n) (the first repeated field in file order, as a scan would say)
 * and deb_para_get is a binary search -- never the quadratic parse that
 * 200,000 fields in a 59 KB .deb or a dpkg status used to cost. */
static int
index_para(struct deb_para *p, const char *what)
{
	size_t dup = SIZE_MAX;

	if ((p->byname = ward_reallocarray(NULL, p->n ? p->n : 1, sizeof(*p->byname))) == NULL)
		return -1;
	for (size_t i = 0; i < p->n; i++)
		p->byname[i] = i;
	ward_qsort_r(p->byname, p->n, sizeof(*p->byname), cmp_field, p);
	for (size_t i = 1; i < p->n; i++)
		if (strcasecmp(p->fields[p->byname[i - 1]].name, p->fields[p->byname[i]].name) ==
			    0 &&
		    p->byname[i] < dup)
			dup = p->byname[i];
	if (dup != SIZE_MAX)
		return ward_err(WARD_EINPUT, "%s:%zu: duplicate field \"%s\"", what,
				p->fields[dup].line, p->fields[dup].name);
	return 0;
}

static int
blank(const char *s, const char *end)
{
	for (; s < end; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r')
			return 0;
	return 1;
}

int
deb_control_parse(const char *data, size_t len, const char *what, struct deb_control *out)
{
	size_t pcap = 0, fcap = 0, lineno = 0;
	char *s, *end, *line, *value_end = NULL;
	struct deb_para *cur = NULL;

	memset(out, 0, sizeof(*out));
	if (memchr(data, '\0', len) != NULL)
		return ward_err(WARD_EINPUT, "%s: contains a NUL byte", what);
	out->text = ward_malloc(len + 1);
	if (out->text == NULL)
		return -1;
	memcpy(out->text, data, len);
	out->text[len] = '\0';
	s = out->text;
	end = s + len;
	for (line = s; line < end; line = s) {
		char *nl = memchr(line, '\n', (size_t)(end - line)), *colon, *v;

		s = nl ? nl + 1 : end;
		lineno++;
		if (nl == NULL)
			nl = end;
		if (blank(line, nl)) {
			if (value_end != NULL)
				*value_end = '\0';
			value_end = NULL;
			cur = NULL;
			continue;
		}
		if (*line == '#' && cur == NULL)
			continue; /* deb822 comment between paragraphs */
		if (*line == ' ' || *line == '\t') {
			if (value_end == NULL) {
				ward_err(WARD_EINPUT, "%s:%zu: continuation line with no field",
					 what, lineno);
				goto fail;
			}
			value_end = nl; /* the value now runs to the end of this line */
			continue;
		}
		if (value_end != NULL)
			*value_end = '\0';
		colon = memchr(line, ':', (size_t)(nl - line));
		if (colon == NULL || colon == line) {
			ward_err(WARD_EINPUT, "%s:%zu: expected \"Field: value\"", what, lineno);
			goto fail;
		}
		*colon = '\0';
		for (char *c = line; c < colon; c++)
			if (*c == ' ' || *c == '\t') {
				ward_err(WARD_EINPUT, "%s:%zu: field name \"%s\" has spaces", what,
					 lineno, line);
				goto fail;
			}
		if (cur == NULL) {
			if (add_para(out, &pcap, lineno) != 0)
				goto fail;
			cur = &out->paras[out->n - 1];
			fcap = 0;
		}
		for (v = colon + 1; v < nl && (*v == ' ' || *v == '\t'); v++)
			;
		if (add_field(cur, &fcap, line, v, lineno) != 0)
			goto fail;
		value_end = nl;
	}
	if (value_end != NULL)
		*value_end = '\0';
	for (size_t i = 0; i < out->n; i++)
		if (index_para(&out->paras[i], what) != 0)
			goto fail;
	/* Trailing whitespace (and a CR) on every value goes. */
	for (size_t i = 0; i < out->n; i++)
		for (size_t j = 0; j < out->paras[i].n; j++) {
			char *v = (char *)out->paras[i].fields[j].value;
			size_t n = strlen(v);
			while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r'))
				v[--n] = '\0';
		}
	return 0;
fail:
	deb_control_free(out);
	return -1;
}

const char *
deb_para_get(const struct deb_para *p, const char *name)
{
	if (p->byname != NULL) {
		size_t lo = 0, hi = p->n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			const struct deb_field *f = &p->fields[p->byname[mid]];
			int c = strcasecmp(f->name, name);
			if (c == 0)
				return f->value;
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		return NULL;
	}
	for (size_t i = 0; i < p->n; i++)
		if (strcasecmp(p->fields[i].name, name) == 0)
			return p->fields[i].value;
	return NULL;
}

void
deb_control_free(struct deb_control *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->paras[i].fields);
		free(c->paras[i].byname);
	}
	free(c->paras);
	free(c->text);
	memset(c, 0, sizeof(*c));
}
