/*
 * purl.c: package URLs (github.com/package-url/purl-spec), parsed the way
 * packageurl-go does so that VEX matching agrees with go-vex, and built
 * the way FORMATS.md asks (letters, digits, ".-_~:" kept, the rest
 * percent-encoded, qualifiers sorted).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "vuln/vuln_internal.h"

void
purl_free(struct purl *p)
{
	if (p == NULL)
		return;
	free(p->type);
	free(p->ns);
	free(p->name);
	free(p->version);
	for (size_t i = 0; i < p->nq; i++) {
		free(p->q[i].key);
		free(p->q[i].value);
	}
	free(p->q);
	memset(p, 0, sizeof(*p));
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Percent-decode s[0..n); NULL on a bad escape or an embedded NUL. */
static char *
decode(const char *s, size_t n)
{
	char *out = malloc(n + 1);
	size_t j = 0;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			int hi, lo;
			if (i + 2 >= n || (hi = hexval((unsigned char)s[i + 1])) < 0 ||
			    (lo = hexval((unsigned char)s[i + 2])) < 0 || (hi == 0 && lo == 0)) {
				free(out);
				return NULL;
			}
			out[j++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			out[j++] = s[i];
		}
	}
	out[j] = '\0';
	return out;
}

static void
lower(char *s)
{
	for (; s && *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

static int
qcmp(const void *a, const void *b)
{
	return strcmp(((const struct purl_q *)a)->key, ((const struct purl_q *)b)->key);
}

int
purl_parse(const char *s, struct purl *p)
{
	const char *end, *q, *at, *slash, *rest;
	size_t n = strlen(s);

	memset(p, 0, sizeof(*p));
	if (n < 5 || strncasecmp(s, "pkg:", 4) != 0)
		return -1;
	rest = s + 4;
	while (*rest == '/')
		rest++;
	end = memchr(rest, '#', strlen(rest)); /* subpath: not used for matching */
	if (end == NULL)
		end = rest + strlen(rest);
	q = memchr(rest, '?', (size_t)(end - rest));
	if (q != NULL) {
		const char *kv = q + 1;
		while (kv < end) {
			const char *amp = memchr(kv, '&', (size_t)(end - kv)), *eq;
			struct purl_q *nq;
			if (amp == NULL)
				amp = end;
			eq = memchr(kv, '=', (size_t)(amp - kv));
			if (eq == NULL || eq == kv)
				goto bad;
			if (eq + 1 < amp) { /* empty values are dropped, as the spec says */
				if (ward_vec_grow(&p->q, p->nq, sizeof(*p->q)) != 0)
					goto bad;
				nq = &p->q[p->nq++];
				nq->key = decode(kv, (size_t)(eq - kv));
				nq->value = decode(eq + 1, (size_t)(amp - eq - 1));
				if (nq->key == NULL || nq->value == NULL)
					goto bad;
				lower(nq->key);
			}
			kv = amp + 1;
		}
		if (p->nq > 1)
			qsort(p->q, p->nq, sizeof(*p->q), qcmp);
		end = q;
	}
	while (end > rest && end[-1] == '/')
		end--;
	slash = memchr(rest, '/', (size_t)(end - rest));
	if (slash == NULL || slash == rest)
		goto bad;
	if ((p->type = decode(rest, (size_t)(slash - rest))) == NULL)
		goto bad;
	lower(p->type);
	rest = slash + 1;
	at = NULL;
	for (const char *c = end; c > rest; c--)
		if (c[-1] == '@') {
			at = c - 1;
			break;
		}
	if (at != NULL) {
		if ((p->version = decode(at + 1, (size_t)(end - at - 1))) == NULL)
			goto bad;
		end = at;
	}
	slash = NULL;
	for (const char *c = end; c > rest; c--)
		if (c[-1] == '/') {
			slash = c - 1;
			break;
		}
	if (slash != NULL) {
		if ((p->ns = decode(rest, (size_t)(slash - rest))) == NULL)
			goto bad;
		rest = slash + 1;
	}
	if (end <= rest || (p->name = decode(rest, (size_t)(end - rest))) == NULL)
		goto bad;
	if (strcmp(p->type, "deb") == 0 || strcmp(p->type, "npm") == 0 ||
	    strcmp(p->type, "github") == 0 || strcmp(p->type, "golang") == 0 ||
	    strcmp(p->type, "bitbucket") == 0 || strcmp(p->type, "hex") == 0 ||
	    strcmp(p->type, "rpm") == 0)
		lower(p->ns);
	if (strcmp(p->type, "pypi") == 0) {
		lower(p->name);
		for (char *c = p->name; *c; c++)
			if (*c == '_')
				*c = '-';
	} else if (strcmp(p->type, "deb") == 0 || strcmp(p->type, "npm") == 0 ||
		   strcmp(p->type, "github") == 0 || strcmp(p->type, "golang") == 0 ||
		   strcmp(p->type, "bitbucket") == 0 || strcmp(p->type, "hex") == 0) {
		lower(p->name);
	}
	return 0;
bad:
	purl_free(p);
	return -1;
}

const char *
purl_qualifier(const struct purl *p, const char *key)
{
	for (size_t i = 0; i < p->nq; i++)
		if (strcmp(p->q[i].key, key) == 0)
			return p->q[i].value;
	return NULL;
}

static int
put_encoded(struct ward_buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || c == '.' || c == '-' || c == '_' || c == '~' || c == ':') {
			if (ward_buf_append(b, s, 1) != 0)
				return -1;
		} else if (ward_buf_printf(b, "%%%02X", c) != 0) {
			return -1;
		}
	}
	return 0;
}

char *
purl_build(const char *type, const char *ns, const char *name, const char *version,
	   const char *const *qualifiers)
{
	struct ward_buf b = {0};
	int rc = ward_buf_printf(&b, "pkg:%s/", type);

	if (ns != NULL) {
		rc |= put_encoded(&b, ns);
		rc |= ward_buf_puts(&b, "/");
	}
	rc |= put_encoded(&b, name);
	if (version != NULL) {
		rc |= ward_buf_puts(&b, "@");
		rc |= put_encoded(&b, version);
	}
	/* qualifiers come as sorted key, value pairs; NULL values are left out */
	for (size_t i = 0, first = 1; qualifiers != NULL && qualifiers[i] != NULL; i += 2) {
		if (qualifiers[i + 1] == NULL)
			continue;
		rc |= ward_buf_puts(&b, first ? "?" : "&");
		rc |= ward_buf_puts(&b, qualifiers[i]);
		rc |= ward_buf_puts(&b, "=");
		rc |= put_encoded(&b, qualifiers[i + 1]);
		first = 0;
	}
	if (rc != 0) {
		ward_buf_free(&b);
		return NULL;
	}
	return ward_buf_steal(&b);
}

/* go-vex PurlMatches: general (the VEX side) matches specific when type,
 * namespace and name are equal, a versionless general matches any
 * version, and every qualifier of general is on specific with the same
 * value. */
int
purl_matches(const char *general, const char *specific)
{
	struct purl g, s;
	int ok = 0;

	if (purl_parse(general, &g) != 0)
		return 0;
	if (purl_parse(specific, &s) != 0) {
		purl_free(&g);
		return 0;
	}
	if (strcmp(g.type, s.type) != 0 || strcmp(g.ns ? g.ns : "", s.ns ? s.ns : "") != 0 ||
	    strcmp(g.name, s.name) != 0)
		goto out;
	if (g.version != NULL && (s.version == NULL || strcmp(g.version, s.version) != 0))
		goto out;
	for (size_t i = 0; i < g.nq; i++) {
		const char *v = purl_qualifier(&s, g.q[i].key);
		if (v == NULL || strcmp(v, g.q[i].value) != 0)
			goto out;
	}
	ok = 1;
out:
	purl_free(&g);
	purl_free(&s);
	return ok;
}
