/* license.c: SPDX ids and expressions, and the licenses Python
 * distributions declare (License-Expression, License, classifiers). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sbom/sbom_internal.h"

static int
id_cmp(const void *key, const void *elem)
{
	return strcasecmp(key, ((const struct spdx_id *)elem)->id);
}

const char *
spdx_id_lookup(const char *name, int exception)
{
	const struct spdx_id *e =
		bsearch(name, spdx_ids, spdx_ids_count, sizeof(spdx_ids[0]), id_cmp);

	return e && e->exception == (exception != 0) ? e->id : NULL;
}

int
license_set(struct sbom_license *l, const char *declared, const char *concluded, const char *source)
{
	free(l->declared), free(l->concluded), free(l->source);
	l->declared = ward_strdup(declared);
	l->concluded = ward_strdup(concluded);
	l->source = ward_strdup(source);
	return l->declared && l->concluded && l->source ? 0 : -1;
}

int
license_is_single_id(const char *expr)
{
	return strpbrk(expr, " ()") == NULL;
}

/* "GPL-2.0" -> "GPL-2.0-only", "LGPL-2.1+" -> "LGPL-2.1-or-later": the
 * deprecated GNU spellings in their current form.  NULL when not one. */
static char *
gnu_modern(const char *id)
{
	static const char *fam[] = {"AGPL-", "LGPL-", "GPL-", "GFDL-"};
	size_t n = strlen(id);
	int plus = n > 0 && id[n - 1] == '+';

	for (size_t i = 0; i < sizeof(fam) / sizeof(*fam); i++) {
		size_t fl = strlen(fam[i]);
		if (strncasecmp(id, fam[i], fl) != 0 || n - plus - fl != 3 || id[fl + 1] != '.')
			continue;
		char base[16];
		snprintf(base, sizeof(base), "%.*s", (int)(n - plus), id);
		const char *canon = spdx_id_lookup(base, 0);
		if (canon == NULL)
			return NULL;
		char *m = ward_asprintf("%s-%s", canon, plus ? "or-later" : "only");
		if (m && spdx_id_lookup(m, 0) == NULL) {
			free(m);
			return NULL;
		}
		return m;
	}
	return NULL;
}

/* ---------------------------------------------------------- expressions */

struct lexer {
	const char *p;
	int allow_refs;
	int known; /* no LicenseRef seen */
	int depth;
	struct ward_buf *out;
};

/* Next token into tok (a word, "(" or ")"); 0 at the end. */
static size_t
peek(const struct lexer *lx, const char **start)
{
	const char *p = lx->p;

	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	*start = p;
	if (*p == '(' || *p == ')')
		return 1;
	return strcspn(p, " \t\n\r()");
}

static int
word_is(const char *s, size_t n, const char *kw)
{
	return n == strlen(kw) && strncasecmp(s, kw, n) == 0;
}

static int
ref_ok(const char *s, size_t n)
{
	if (n <= 11 || strncmp(s, "LicenseRef-", 11) != 0)
		return 0;
	for (size_t i = 11; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '-'))
			return 0;
	return 1;
}

static int parse_or(struct lexer *lx);

static int
parse_primary(struct lexer *lx)
{
	const char *s;
	size_t n = peek(lx, &s);
	char word[128];

	if (n == 0)
		return -1;
	if (*s == '(') {
		lx->p = s + 1;
		if (++lx->depth > 32 || ward_buf_puts(lx->out, "(") != 0 || parse_or(lx) != 0)
			return -1;
		lx->depth--;
		n = peek(lx, &s);
		if (n != 1 || *s != ')')
			return -1;
		lx->p = s + 1;
		return ward_buf_puts(lx->out, ")");
	}
	if (*s == ')' || n >= sizeof(word) || word_is(s, n, "AND") || word_is(s, n, "OR") ||
	    word_is(s, n, "WITH"))
		return -1;
	lx->p = s + n;
	memcpy(word, s, n);
	word[n] = '\0';
	if (ref_ok(word, n) || (strncmp(word, "DocumentRef-", 12) == 0 && strchr(word, ':') &&
				ref_ok(strchr(word, ':') + 1, strlen(strchr(word, ':') + 1)))) {
		if (!lx->allow_refs)
			return -1;
		lx->known = 0;
		return ward_buf_puts(lx->out, word);
	}
	char *modern = gnu_modern(word);
	if (modern != NULL) {
		int rc = ward_buf_puts(lx->out, modern);
		free(modern);
		return rc;
	}
	int plus = n > 1 && word[n - 1] == '+';
	if (plus)
		word[n - 1] = '\0';
	const char *id = spdx_id_lookup(word, 0);
	if (id == NULL)
		return -1;
	return ward_buf_puts(lx->out, id) || (plus && ward_buf_puts(lx->out, "+")) ? -1 : 0;
}

static int
parse_with(struct lexer *lx)
{
	const char *s;
	size_t n;

	if (parse_primary(lx) != 0)
		return -1;
	n = peek(lx, &s);
	if (!word_is(s, n, "WITH"))
		return 0;
	lx->p = s + n;
	n = peek(lx, &s);
	char word[128];
	if (n == 0 || n >= sizeof(word) || *s == '(' || *s == ')')
		return -1;
	memcpy(word, s, n);
	word[n] = '\0';
	const char *ex = spdx_id_lookup(word, 1);
	if (ex == NULL)
		return -1;
	lx->p = s + n;
	return ward_buf_printf(lx->out, " WITH %s", ex);
}

static int
parse_and(struct lexer *lx)
{
	const char *s;
	size_t n;

	if (parse_with(lx) != 0)
		return -1;
	while ((n = peek(lx, &s)) && word_is(s, n, "AND")) {
		lx->p = s + n;
		if (ward_buf_puts(lx->out, " AND ") != 0 || parse_with(lx) != 0)
			return -1;
	}
	return 0;
}

static int
parse_or(struct lexer *lx)
{
	const char *s;
	size_t n;

	if (parse_and(lx) != 0)
		return -1;
	while ((n = peek(lx, &s)) && word_is(s, n, "OR")) {
		lx->p = s + n;
		if (ward_buf_puts(lx->out, " OR ") != 0 || parse_and(lx) != 0)
			return -1;
	}
	return 0;
}

char *
license_normalize(const char *expr, int allow_refs, int *known)
{
	struct ward_buf out = {0};
	struct lexer lx = {.p = expr, .allow_refs = allow_refs, .known = 1, .out = &out};
	const char *s;

	if (strlen(expr) > 4096 || parse_or(&lx) != 0 || peek(&lx, &s) != 0 || out.len == 0) {
		ward_buf_free(&out);
		return NULL;
	}
	if (known)
		*known = lx.known;
	return ward_buf_steal(&out);
}

int
sbom_spdx_expression_ok(const char *expr, int allow_refs)
{
	char *n = license_normalize(expr, allow_refs, NULL);

	free(n);
	return n != NULL;
}

/* "LicenseRef-" + the name with anything but letters, digits, '.' and '-'
 * turned into '-'; long names are cut and tagged with a hash. */
char *
license_ref_for(const char *raw)
{
	struct ward_buf b = {0};
	size_t n = 0;

	if (ward_buf_puts(&b, "LicenseRef-") != 0)
		return NULL;
	for (const char *p = raw; *p && n < 48; p++, n++) {
		char ch = *p;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.'))
			ch = '-';
		if (ch == '-' && b.len > 11 && b.data[b.len - 1] == '-')
			continue;
		if (ward_buf_append(&b, &ch, 1) != 0)
			goto fail;
	}
	while (b.len > 11 && b.data[b.len - 1] == '-')
		b.len--;
	if (b.len == 11 && ward_buf_puts(&b, "unnamed") != 0)
		goto fail;
	if (strlen(raw) > 48) {
		char hex[SHA256_HEX_LEN + 1];
		sha256_hex(raw, strlen(raw), hex);
		if (ward_buf_printf(&b, "-%.8s", hex) != 0)
			goto fail;
	}
	return ward_buf_steal(&b);
fail:
	ward_buf_free(&b);
	return NULL;
}

/* ---------------------------------------------------------- Python */

/* Classifier suffixes (after "License :: ") that name one SPDX license.
 * "OSI Approved :: BSD License", "… :: Apache Software License" and the
 * like name no version or variant and map to nothing. */
static const char *const classifier_map[][2] = {
	{"CC0 1.0 Universal (CC0 1.0) Public Domain Dedication", "CC0-1.0"},
	{"OSI Approved :: Academic Free License (AFL)", NULL},
	{"OSI Approved :: Apache Software License", NULL},
	{"OSI Approved :: Boost Software License 1.0 (BSL-1.0)", "BSL-1.0"},
	{"OSI Approved :: Eclipse Public License 1.0 (EPL-1.0)", "EPL-1.0"},
	{"OSI Approved :: Eclipse Public License 2.0 (EPL-2.0)", "EPL-2.0"},
	{"OSI Approved :: European Union Public Licence 1.2 (EUPL 1.2)", "EUPL-1.2"},
	{"OSI Approved :: GNU Affero General Public License v3", "AGPL-3.0-only"},
	{"OSI Approved :: GNU Affero General Public License v3 or later (AGPLv3+)",
	 "AGPL-3.0-or-later"},
	{"OSI Approved :: GNU General Public License v2 (GPLv2)", "GPL-2.0-only"},
	{"OSI Approved :: GNU General Public License v2 or later (GPLv2+)", "GPL-2.0-or-later"},
	{"OSI Approved :: GNU General Public License v3 (GPLv3)", "GPL-3.0-only"},
	{"OSI Approved :: GNU General Public License v3 or later (GPLv3+)", "GPL-3.0-or-later"},
	{"OSI Approved :: GNU Lesser General Public License v2 (LGPLv2)", "LGPL-2.0-only"},
	{"OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)",
	 "LGPL-2.0-or-later"},
	{"OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)", "LGPL-3.0-only"},
	{"OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)",
	 "LGPL-3.0-or-later"},
	{"OSI Approved :: Historical Permission Notice and Disclaimer (HPND)", "HPND"},
	{"OSI Approved :: ISC License (ISCL)", "ISC"},
	{"OSI Approved :: MIT License", "MIT"},
	{"OSI Approved :: MIT No Attribution License (MIT-0)", "MIT-0"},
	{"OSI Approved :: Mozilla Public License 1.1 (MPL 1.1)", "MPL-1.1"},
	{"OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)", "MPL-2.0"},
	{"OSI Approved :: Python Software Foundation License", "PSF-2.0"},
	{"OSI Approved :: The Unlicense (Unlicense)", "Unlicense"},
	{"OSI Approved :: Universal Permissive License (UPL)", "UPL-1.0"},
	{"OSI Approved :: zlib/libpng License", "Zlib"},
};

/* Common free-text License values, compared case-insensitively. */
static const char *const license_alias[][2] = {
	{"3-clause bsd", "BSD-3-Clause"},
	{"3-clause bsd license", "BSD-3-Clause"},
	{"apache 2", "Apache-2.0"},
	{"apache 2.0", "Apache-2.0"},
	{"apache license 2.0", "Apache-2.0"},
	{"apache license, version 2.0", "Apache-2.0"},
	{"apache license version 2.0", "Apache-2.0"},
	{"apache software license 2.0", "Apache-2.0"},
	{"apache-2", "Apache-2.0"},
	{"apache2", "Apache-2.0"},
	{"bsd 3-clause", "BSD-3-Clause"},
	{"bsd-3", "BSD-3-Clause"},
	{"bsd 2-clause", "BSD-2-Clause"},
	{"expat", "MIT"},
	{"expat (mit)", "MIT"},
	{"gplv2", "GPL-2.0-only"},
	{"gplv2+", "GPL-2.0-or-later"},
	{"gplv3", "GPL-3.0-only"},
	{"gplv3+", "GPL-3.0-or-later"},
	{"isc license", "ISC"},
	{"lgplv2.1+", "LGPL-2.1-or-later"},
	{"lgplv3+", "LGPL-3.0-or-later"},
	{"mit license", "MIT"},
	{"mit/expat", "MIT"},
	{"modified bsd", "BSD-3-Clause"},
	{"mpl 2.0", "MPL-2.0"},
	{"mpl-2", "MPL-2.0"},
	{"new bsd", "BSD-3-Clause"},
	{"new bsd license", "BSD-3-Clause"},
	{"psf", "PSF-2.0"},
	{"psf license", "PSF-2.0"},
	{"python software foundation license", "PSF-2.0"},
	{"simplified bsd", "BSD-2-Clause"},
	{"the unlicense", "Unlicense"},
	{"zlib/libpng", "Zlib"},
};

static const char *
alias(const char *s)
{
	for (size_t i = 0; i < sizeof(license_alias) / sizeof(*license_alias); i++)
		if (strcasecmp(s, license_alias[i][0]) == 0)
			return license_alias[i][1];
	return NULL;
}

int
license_add_text(struct sbom_license *l, const char *ref, const char *text)
{
	for (size_t i = 0; i + 1 < l->texts.n; i += 2)
		if (strcmp(l->texts.v[i], ref) == 0)
			return 0;
	if (ward_strv_push(&l->texts, ref) != 0 || ward_strv_push(&l->texts, text) != 0)
		return -1;
	return 0;
}

int
sbom_python_license(const struct sbom_pymeta *m, const char *what, struct sbom_license *out)
{
	struct ward_buf src = {0};
	char *expr = NULL, *ref = NULL;
	int known = 0, rc = -1;
	const char *lic = m->license;
	struct ward_strv cls = {0};

	memset(out, 0, sizeof(*out));
	/* 1. PEP 639 License-Expression: an SPDX expression by definition. */
	if (m->license_expression && *m->license_expression) {
		if (ward_strv_push(&out->found, m->license_expression) != 0)
			goto out;
		if ((expr = license_normalize(m->license_expression, 1, &known)) != NULL) {
			if (ward_buf_printf(&src, "python-license-expression:%s", what) != 0 ||
			    license_set(out, expr, known ? expr : "NOASSERTION",
					(char *)src.data) != 0)
				goto out;
			rc = 0;
			goto out;
		}
	}
	/* 2. License: a short value that is an SPDX expression or a common name. */
	if (lic && *lic && strcasecmp(lic, "UNKNOWN") != 0 && !strchr(lic, '\n') &&
	    strlen(lic) <= 100) {
		const char *a = alias(lic);
		if (ward_strv_push(&out->found, lic) != 0)
			goto out;
		expr = a ? ward_strdup(a) : license_normalize(lic, 0, &known);
		if (expr != NULL) {
			if (ward_buf_printf(&src, "python-license:%s", what) != 0 ||
			    license_set(out, expr, expr, (char *)src.data) != 0)
				goto out;
			rc = 0;
			goto out;
		}
	}
	/* 3. Classifiers: one that names exactly one license concludes it. */
	for (size_t i = 0; i < m->classifiers.n; i++) {
		const char *c = m->classifiers.v[i];
		if (strncmp(c, "License :: ", 11) != 0)
			continue;
		c += 11;
		if (ward_strv_push(&out->found, m->classifiers.v[i]) != 0)
			goto out;
		const char *id = NULL;
		int listed = 0;
		for (size_t k = 0; k < sizeof(classifier_map) / sizeof(*classifier_map); k++)
			if (strcmp(c, classifier_map[k][0]) == 0) {
				id = classifier_map[k][1];
				listed = 1;
			}
		if (id == NULL) {
			free(ref);
			if ((ref = license_ref_for(c)) == NULL)
				goto out;
			if (!listed && strcmp(c, "OSI Approved") == 0)
				continue; /* says nothing about which license */
		}
		if (!ward_strv_contains(&cls, id ? id : ref) &&
		    ward_strv_push(&cls, id ? id : ref) != 0)
			goto out;
		if (id == NULL && license_add_text(out, ref, m->classifiers.v[i]) != 0)
			goto out;
	}
	if (cls.n > 0) {
		struct ward_buf e = {0};
		int all_known = 1;
		ward_strv_sort(&cls);
		for (size_t i = 0; i < cls.n; i++) {
			if (strncmp(cls.v[i], "LicenseRef-", 11) == 0)
				all_known = 0;
			if (ward_buf_printf(&e, "%s%s", i ? " OR " : "", cls.v[i]) != 0) {
				ward_buf_free(&e);
				goto out;
			}
		}
		/* Several classifiers do not say how they combine: declared only. */
		if (ward_buf_printf(&src, "python-classifiers:%s", what) != 0 ||
		    license_set(out, (char *)e.data,
				all_known && cls.n == 1 ? (char *)e.data : "NOASSERTION",
				(char *)src.data) != 0) {
			ward_buf_free(&e);
			goto out;
		}
		ward_buf_free(&e);
		rc = 0;
		goto out;
	}
	/* 4. A License value nothing maps: declared as a LicenseRef. */
	if (lic && *lic && strcasecmp(lic, "UNKNOWN") != 0) {
		char *first = ward_strndup(lic, strcspn(lic, "\n"));
		free(ref), ref = NULL;
		if (first == NULL || (ref = license_ref_for(first)) == NULL) {
			free(first);
			goto out;
		}
		free(first);
		/* A license text (not just a name) backs its LicenseRef. */
		int text = strchr(lic, '\n') != NULL || strlen(lic) > 100;
		if (license_add_text(out, ref, lic) != 0 ||
		    ward_buf_printf(&src, "python-license:%s", what) != 0 ||
		    license_set(out, ref, text ? ref : "NOASSERTION", (char *)src.data) != 0)
			goto out;
		rc = 0;
		goto out;
	}
	if (ward_buf_printf(&src, "none:%s", what) != 0)
		goto out;
	rc = license_set(out, "NOASSERTION", "NOASSERTION", (char *)src.data);
out:
	if (rc == 0)
		ward_strv_sort(&out->found);
	else
		sbom_license_free(out);
	ward_strv_free(&cls);
	ward_buf_free(&src);
	free(expr);
	free(ref);
	return rc;
}
