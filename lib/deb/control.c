/* control.c: deb822 paragraphs (Packages, status, DEBIAN/control). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deb/deb.h"

static int
add_field(struct deb_para *p, size_t *cap, const char *name, const char *value)
{
	if (ward_vec_reserve(&p->fields, cap, p->n + 1, sizeof(*p->fields)) != 0)
		return -1;
	p->fields[p->n].name = name;
	p->fields[p->n].value = value;
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
		} else if (deb_para_get(cur, line) != NULL) {
			ward_err(WARD_EINPUT, "%s:%zu: duplicate field \"%s\"", what, lineno, line);
			goto fail;
		}
		for (v = colon + 1; v < nl && (*v == ' ' || *v == '\t'); v++)
			;
		if (add_field(cur, &fcap, line, v) != 0)
			goto fail;
		value_end = nl;
	}
	if (value_end != NULL)
		*value_end = '\0';
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
	for (size_t i = 0; i < c->n; i++)
		free(c->paras[i].fields);
	free(c->paras);
	free(c->text);
	memset(c, 0, sizeof(*c));
}
