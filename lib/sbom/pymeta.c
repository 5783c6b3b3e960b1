/* pymeta.c: Python core metadata (METADATA / PKG-INFO, RFC 822 style
 * headers) and RECORD (CSV) parsers, and PEP 503 name normalisation. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sbom/sbom_internal.h"

#define PYMETA_MAX_HEADERS 20000

char *
sbom_pep503_name(const char *name)
{
	size_t n = strlen(name);
	char *out = ward_malloc(n + 1), *o = out;

	if (out == NULL)
		return NULL;
	for (const char *p = name; *p; p++) {
		if (*p == '-' || *p == '_' || *p == '.') {
			if (o == out || o[-1] != '-')
				*o++ = '-';
		} else {
			*o++ = (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : *p;
		}
	}
	*o = '\0';
	return out;
}

static int
set_once(char **dst, const char *v, size_t n)
{
	if (*dst != NULL)
		return 0; /* the first occurrence wins, as in email.parser's get() */
	*dst = ward_strndup(v, n);
	return *dst ? 0 : -1;
}

static int
store(struct sbom_pymeta *m, const char *name, size_t nlen, char *v, size_t vn)
{
	/* CRLF files: no CR inside a folded value. */
	size_t w = 0;
	for (size_t r = 0; r < vn; r++)
		if (!(v[r] == '\r' && r + 1 < vn && v[r + 1] == '\n'))
			v[w++] = v[r];
	vn = w;
#define IS(s) (nlen == strlen(s) && strncasecmp(name, s, nlen) == 0)
	if (IS("Name"))
		return set_once(&m->name, v, vn);
	if (IS("Version"))
		return set_once(&m->version, v, vn);
	if (IS("Summary"))
		return set_once(&m->summary, v, vn);
	if (IS("Home-page"))
		return set_once(&m->home_page, v, vn);
	if (IS("Author") || IS("Author-email"))
		return vn ? set_once(&m->author, v, vn) : 0;
	if (IS("Maintainer") || IS("Maintainer-email"))
		return vn ? set_once(&m->maintainer, v, vn) : 0;
	if (IS("License"))
		return set_once(&m->license, v, vn);
	if (IS("License-Expression"))
		return set_once(&m->license_expression, v, vn);
	if (IS("Classifier") || IS("Requires-Dist")) {
		char *s = ward_strndup(v, vn);
		if (s == NULL)
			return -1;
		return ward_strv_push_owned(IS("Classifier") ? &m->classifiers : &m->requires, s);
	}
	return 0;
#undef IS
}

int
sbom_pymeta_parse(const char *data, size_t len, const char *what, struct sbom_pymeta *m)
{
	const char *p = data, *end = data + len;
	const char *name = NULL, *v = NULL, *vend = NULL;
	size_t nlen = 0, lineno = 0, headers = 0;
	struct ward_buf val = {0};

	memset(m, 0, sizeof(*m));
	if (memchr(data, '\0', len) != NULL)
		return ward_err(WARD_EINPUT, "%s: contains a NUL byte", what);
	while (p <= end) {
		const char *nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
		const char *e = nl ? nl : end;
		int blank;

		lineno++;
		if (e > p && e[-1] == '\r')
			e--;
		blank = e == p;
		if (p < end && !blank && (*p == ' ' || *p == '\t')) {
			if (name == NULL) {
				ward_err(WARD_EINPUT, "%s:%zu: continuation line with no header",
					 what, lineno);
				goto fail;
			}
			vend = e; /* a folded value runs on */
		} else {
			if (name != NULL) {
				/* Unfold: continuation lines joined with '\n', as written. */
				ward_buf_free(&val);
				if (ward_buf_append(&val, v, (size_t)(vend - v)) != 0)
					goto fail;
				while (val.len > 0 && (val.data[val.len - 1] == ' ' ||
						       val.data[val.len - 1] == '\t' ||
						       val.data[val.len - 1] == '\r'))
					val.len--;
				if (store(m, name, nlen, val.data ? (char *)val.data : (char[]){0},
					  val.len) != 0)
					goto fail;
				name = NULL;
			}
			if (blank || p >= end)
				break; /* the body (description) follows */
			const char *colon = memchr(p, ':', (size_t)(e - p));
			if (colon == NULL || colon == p) {
				ward_err(WARD_EINPUT, "%s:%zu: expected \"Name: value\"", what,
					 lineno);
				goto fail;
			}
			for (const char *q = p; q < colon; q++)
				if (*q == ' ' || *q == '\t' || (unsigned char)*q < 0x21) {
					ward_err(WARD_EINPUT, "%s:%zu: bad header name", what,
						 lineno);
					goto fail;
				}
			if (++headers > PYMETA_MAX_HEADERS) {
				ward_err(WARD_EINPUT, "%s: too many headers", what);
				goto fail;
			}
			name = p;
			nlen = (size_t)(colon - p);
			for (v = colon + 1; v < e && (*v == ' ' || *v == '\t'); v++)
				;
			vend = e;
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	if (name != NULL) {
		ward_buf_free(&val);
		if (ward_buf_append(&val, v, (size_t)(vend - v)) != 0 ||
		    store(m, name, nlen, val.data ? (char *)val.data : (char[]){0}, val.len) != 0)
			goto fail;
	}
	ward_buf_free(&val);
	if (m->name == NULL || *m->name == '\0' || m->version == NULL || *m->version == '\0') {
		ward_err(WARD_EINPUT, "%s: no Name or Version header", what);
		goto fail2;
	}
	for (const char *q = m->name; *q; q++)
		if (!((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z') ||
		      (*q >= '0' && *q <= '9') || *q == '.' || *q == '_' || *q == '-')) {
			ward_err(WARD_EINPUT, "%s: Name \"%s\" is not a valid project name", what,
				 m->name);
			goto fail2;
		}
	for (const char *q = m->version; *q; q++)
		if ((unsigned char)*q <= ' ' || *q == '/' || *q == '\\') {
			ward_err(WARD_EINPUT, "%s: Version \"%s\" is malformed", what, m->version);
			goto fail2;
		}
	return 0;
fail:
	ward_buf_free(&val);
fail2:
	sbom_pymeta_free(m);
	return -1;
}

void
sbom_pymeta_free(struct sbom_pymeta *m)
{
	if (m == NULL)
		return;
	free(m->name), free(m->version), free(m->summary), free(m->home_page);
	free(m->author), free(m->maintainer), free(m->license), free(m->license_expression);
	ward_strv_free(&m->classifiers);
	ward_strv_free(&m->requires);
	memset(m, 0, sizeof(*m));
}

/* ---------------------------------------------------------------- RECORD */

/* One CSV field starting at *p (Python csv, excel dialect). */
static int
csv_field(const char **pp, const char *end, struct ward_buf *out, const char *what, size_t lineno)
{
	const char *p = *pp;

	out->len = 0;
	if (p < end && *p == '"') {
		for (p++;; p++) {
			if (p >= end)
				return ward_err(WARD_EINPUT, "%s:%zu: unterminated quote", what,
						lineno);
			if (*p == '"') {
				if (p + 1 < end && p[1] == '"') {
					p++;
				} else {
					p++;
					break;
				}
			}
			if (ward_buf_append(out, p, 1) != 0)
				return -1;
		}
		if (p < end && *p != ',' && *p != '\n' && *p != '\r')
			return ward_err(WARD_EINPUT, "%s:%zu: text after a closing quote", what,
					lineno);
	} else {
		const char *s = p;
		while (p < end && *p != ',' && *p != '\n' && *p != '\r')
			p++;
		if (ward_buf_append(out, s, (size_t)(p - s)) != 0)
			return -1;
	}
	ward_buf_cstr(out);
	*pp = p;
	return 0;
}

int
sbom_record_parse(const char *data, size_t len, const char *what, struct sbom_record_row **rows,
		  size_t *n)
{
	const char *p = data, *end = data + len;
	struct ward_buf f = {0};
	size_t lineno = 0, cap = 0;

	*rows = NULL;
	*n = 0;
	if (memchr(data, '\0', len) != NULL)
		return ward_err(WARD_EINPUT, "%s: contains a NUL byte", what);
	while (p < end) {
		struct sbom_record_row *r;
		int field = 0;

		lineno++;
		if (*p == '\n' || *p == '\r') {
			p++;
			continue;
		}
		if (ward_vec_reserve(rows, &cap, *n + 1, sizeof(**rows)) != 0)
			goto fail;
		r = &(*rows)[*n];
		memset(r, 0, sizeof(*r));
		for (;;) {
			if (csv_field(&p, end, &f, what, lineno) != 0)
				goto fail;
			if (field == 0) {
				if (f.len == 0) {
					ward_err(WARD_EINPUT, "%s:%zu: empty path", what, lineno);
					goto fail;
				}
				if (memchr(f.data, '\n', f.len) != NULL) {
					ward_err(WARD_EINPUT, "%s:%zu: newline in a path", what,
						 lineno);
					goto fail;
				}
				if ((r->path = ward_strndup((char *)f.data, f.len)) == NULL)
					goto fail;
				(*n)++;
			} else if (field == 1 && f.len > 7 && memcmp(f.data, "sha256=", 7) == 0) {
				struct ward_buf d = {0};
				if (b64_decode((char *)f.data + 7, f.len - 7, &d, what) == 0 &&
				    d.len == SHA256_LEN) {
					memcpy(r->sha256, d.data, SHA256_LEN);
					r->hashed = 1;
				}
				ward_buf_free(&d);
				ward_err_clear();
			}
			field++;
			if (p < end && *p == ',') {
				p++;
				continue;
			}
			break;
		}
		while (p < end && *p == '\r')
			p++;
		if (p < end && *p == '\n')
			p++;
	}
	ward_buf_free(&f);
	return 0;
fail:
	ward_buf_free(&f);
	sbom_record_rows_free(*rows, *n);
	*rows = NULL;
	*n = 0;
	return -1;
}

void
sbom_record_rows_free(struct sbom_record_row *rows, size_t n)
{
	for (size_t i = 0; rows && i < n; i++)
		free(rows[i].path);
	free(rows);
}
