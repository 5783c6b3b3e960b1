/* dep5.c: Debian machine-readable copyright files (DEP-5) to SPDX.
 *
 * The parser is lenient (copyright files in the wild bend deb822): it only
 * needs the header's Format field and each paragraph's License field.  A
 * Files paragraph's License (and the header's) applies to the package;
 * a stand-alone License paragraph gives the text behind a name.  Debian
 * short names map to SPDX ids (docs/formats/sbom.md); a name with no SPDX
 * id becomes a LicenseRef and the package's license is then declared but
 * not concluded. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sbom/sbom_internal.h"

#define DEP5_MAX_PARAS 100000

struct dep5_para {
	int has_files, has_format;
	const char *lic; /* License first line (points into the copy) */
	size_t lic_len;
	struct ward_buf text; /* License continuation lines */
};

struct dep5 {
	char *copy;
	struct dep5_para *p;
	size_t n;
};

static void
dep5_free(struct dep5 *d)
{
	for (size_t i = 0; i < d->n; i++)
		ward_buf_free(&d->p[i].text);
	free(d->p);
	free(d->copy);
}

static int
dep5_parse(const char *data, size_t len, struct dep5 *d)
{
	char *s, *end;
	struct dep5_para *cur = NULL;
	int in_license = 0;

	memset(d, 0, sizeof(*d));
	if ((d->copy = ward_strndup(data, len)) == NULL)
		return -1;
	for (s = d->copy, end = s + strlen(s); s < end;) {
		char *nl = memchr(s, '\n', (size_t)(end - s)), *e = nl ? nl : end, *colon;
		int blank = 1;

		if (nl)
			*nl = '\0';
		if (e > s && e[-1] == '\r')
			*--e = '\0';
		for (char *q = s; q < e; q++)
			if (*q != ' ' && *q != '\t')
				blank = 0;
		if (blank) {
			cur = NULL;
			in_license = 0;
		} else if (*s == '#') {
			/* comment */
		} else if (*s == ' ' || *s == '\t') {
			if (cur && in_license) {
				char *t = s + 1;
				if (strcmp(t, ".") == 0)
					t = "";
				if (ward_buf_printf(&cur->text, "%s\n", t) != 0)
					return -1;
			}
		} else if ((colon = strchr(s, ':')) != NULL && colon > s &&
			   strcspn(s, " \t") > (size_t)(colon - s)) {
			if (cur == NULL) {
				if (d->n >= DEP5_MAX_PARAS)
					return ward_err(WARD_EINPUT, "too many paragraphs");
				if (ward_vec_grow(&d->p, d->n, sizeof(*d->p)) != 0)
					return -1;
				cur = &d->p[d->n++];
				memset(cur, 0, sizeof(*cur));
			}
			*colon = '\0';
			in_license = 0;
			if (strcasecmp(s, "Files") == 0)
				cur->has_files = 1;
			else if (strcasecmp(s, "Format") == 0 ||
				 strcasecmp(s, "Format-Specification") == 0)
				cur->has_format = (strcasestr(colon + 1, "copyright-format") ||
						   strcasestr(colon + 1, "dep5") ||
						   strcasestr(colon + 1, "dep-5"));
			else if (strcasecmp(s, "License") == 0 && cur->lic == NULL) {
				char *v = colon + 1;
				while (*v == ' ' || *v == '\t')
					v++;
				size_t n = strlen(v);
				while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
					n--;
				cur->lic = v;
				cur->lic_len = n;
				in_license = 1;
			}
		}
		/* Anything else: a broken line, ignored. */
		s = nl ? nl + 1 : end;
	}
	for (size_t i = 0; i < d->n; i++)
		if (d->p[i].lic)
			((char *)d->p[i].lic)[d->p[i].lic_len] = '\0';
	return 0;
}

/* ---------------------------------------------------------- names */

/* GPL/LGPL/AGPL/GFDL(-NIV) with a version, "+" for or-later. */
static char *
gnu_name(const char *name)
{
	static const struct {
		const char *deb, *spdx, *suffix;
	} fam[] = {
		{"gfdl-niv", "GFDL", "-no-invariants"},
		{"agpl", "AGPL", ""},
		{"lgpl", "LGPL", ""},
		{"gfdl", "GFDL", ""},
		{"gpl", "GPL", ""},
	};
	size_t n = strlen(name);
	int later = 0;
	char ver[8], id[64];

	if (n > 1 && name[n - 1] == '+')
		later = 1, n--;
	else if (n > 9 && strncasecmp(name + n - 9, "-or-later", 9) == 0)
		later = 1, n -= 9;
	else if (n > 5 && strncasecmp(name + n - 5, "-only", 5) == 0)
		n -= 5;
	for (size_t i = 0; i < sizeof(fam) / sizeof(*fam); i++) {
		size_t fl = strlen(fam[i].deb);
		const char *v;
		size_t vl;

		if (n <= fl || strncasecmp(name, fam[i].deb, fl) != 0)
			continue;
		v = name + fl;
		if (*v == '-' || *v == 'v' || *v == 'V')
			v++;
		vl = n - (size_t)(v - name);
		if (vl == 0 || vl > 3)
			return NULL;
		if (vl == 1 && *v >= '1' && *v <= '3')
			snprintf(ver, sizeof(ver), "%c.0", *v);
		else if (vl == 3 && v[1] == '.' && v[0] >= '1' && v[0] <= '3' && v[2] >= '0' &&
			 v[2] <= '9')
			snprintf(ver, sizeof(ver), "%.3s", v);
		else
			return NULL;
		snprintf(id, sizeof(id), "%s-%s%s-%s", fam[i].spdx, ver, fam[i].suffix,
			 later ? "or-later" : "only");
		const char *canon = spdx_id_lookup(id, 0);
		return canon ? ward_strdup(canon) : NULL;
	}
	return NULL;
}

/* Debian short names (copyright-format 1.0 and common practice) whose SPDX
 * id is spelt differently; everything else is looked up as an SPDX id. */
static const char *const deb_names[][2] = {
	{"Apache-2", "Apache-2.0"},
	{"Apache-2-LLVM-exceptions", "Apache-2.0 WITH LLVM-exception"},
	{"Artistic", "Artistic-1.0-Perl"},
	{"Artistic-1", "Artistic-1.0"},
	{"Artistic-2", "Artistic-2.0"},
	{"CC0", "CC0-1.0"},
	{"CDDL-1", "CDDL-1.0"},
	{"EPL-1", "EPL-1.0"},
	{"Expat", "MIT"},
	{"MPL-1.1+", "MPL-1.1+"},
	{"MPL-2", "MPL-2.0"},
	{"OpenLDAP-2.8", "OLDAP-2.8"},
	{"Perl", "Artistic-1.0-Perl OR GPL-1.0-or-later"},
	{"PSF-2", "PSF-2.0"},
	{"Python", "Python-2.0"},
	{"Python-2", "Python-2.0"},
	{"Zope-2.0", "ZPL-2.0"},
	{"Zope-2.1", "ZPL-2.1"},
};

/* SPDX spelling of one Debian name, or NULL. */
static char *
map_name(const char *name)
{
	char *g, *plain;
	const char *id;
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof(deb_names) / sizeof(*deb_names); i++)
		if (strcasecmp(name, deb_names[i][0]) == 0)
			return ward_strdup(deb_names[i][1]);
	if ((g = gnu_name(name)) != NULL)
		return g;
	if (strncasecmp(name, "GPL", 3) == 0 || strncasecmp(name, "LGPL", 4) == 0 ||
	    strncasecmp(name, "AGPL", 4) == 0 || strncasecmp(name, "GFDL", 4) == 0)
		return NULL; /* a GNU license with no usable version */
	if ((id = spdx_id_lookup(name, 0)) != NULL)
		return ward_strdup(id);
	/* "Foo-1.0+" where Foo-1.0 is known: SPDX's "+" operator. */
	if (n > 1 && name[n - 1] == '+' && (plain = ward_strndup(name, n - 1)) != NULL) {
		id = spdx_id_lookup(plain, 0);
		free(plain);
		if (id != NULL)
			return ward_asprintf("%s+", id);
	}
	return NULL;
}

/* "with <words> exception" -> SPDX exception id, given the license. */
static const char *
map_exception(const char *words, const char *license)
{
	int gpl3 = strncmp(license, "GPL-3.0", 7) == 0;
	int lgpl = strncmp(license, "LGPL", 4) == 0;
	char buf[96];
	const char *id;

	if (strcasecmp(words, "Autoconf") == 0)
		return gpl3 ? "Autoconf-exception-3.0" : "Autoconf-exception-2.0";
	if (strcasecmp(words, "Bison") == 0)
		return "Bison-exception-2.2";
	if (strcasecmp(words, "Libtool") == 0)
		return "Libtool-exception";
	if (strcasecmp(words, "Classpath") == 0)
		return "Classpath-exception-2.0";
	if (strcasecmp(words, "Font") == 0)
		return "Font-exception-2.0";
	if (strcasecmp(words, "LLVM") == 0)
		return "LLVM-exception";
	if (strcasecmp(words, "GCC") == 0 || strcasecmp(words, "GCC-3.1") == 0 ||
	    strcasecmp(words, "GCC Runtime Library") == 0)
		return gpl3 ? "GCC-exception-3.1" : "GCC-exception-2.0";
	if (strcasecmp(words, "Qt-1.0") == 0 || strcasecmp(words, "Qt") == 0)
		return lgpl ? NULL : "Qt-GPL-exception-1.0";
	if ((id = spdx_id_lookup(words, 1)) != NULL)
		return id;
	snprintf(buf, sizeof(buf), "%s-exception", words);
	return spdx_id_lookup(buf, 1);
}

/* ---------------------------------------------------------- expressions */

struct conv {
	const struct dep5 *d;
	const char *what;
	struct sbom_license *out;
	int unmapped; /* a part has no SPDX id and no text in the file */
};

/* The text a stand-alone paragraph (or a Files paragraph) gives for name. */
static const char *
text_for(const struct dep5 *d, const char *name)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->p[i].lic && d->p[i].text.len > 0 && strcasecmp(d->p[i].lic, name) == 0)
			return (const char *)d->p[i].text.data;
	return NULL;
}

/* A LicenseRef for a name SPDX does not know, with the text behind it. */
static char *
unmapped(struct conv *cv, const char *name)
{
	const char *text = text_for(cv->d, name);
	char *ref = license_ref_for(*name ? name : "unnamed"), *full, *note = NULL;
	char hex[SHA256_HEX_LEN + 1];

	if (text == NULL)
		cv->unmapped = 1;
	if (ref == NULL)
		return NULL;
	if (text != NULL) {
		/* Same name, different text in another package: a different ref. */
		sha256_hex(text, strlen(text), hex);
		full = ward_asprintf("%s-%.8s", ref, hex);
	} else {
		full = ward_strdup(ref);
		note = ward_asprintf("License \"%s\" named in %s without its text", name, cv->what);
	}
	free(ref);
	if (full == NULL || (text == NULL && note == NULL) ||
	    license_add_text(cv->out, full, text ? text : note) != 0) {
		free(full);
		full = NULL;
	}
	free(note);
	return full;
}

static int
name_ok(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr(".+_~-", *s)))
			return 0;
	return 1;
}

static int
append_term(struct conv *cv, struct ward_buf *seg, const char *name, const char *with)
{
	char *m = map_name(name), *term = NULL;
	int rc;

	if (m && with) {
		const char *ex = map_exception(with, m);
		if (ex && license_is_single_id(m))
			term = ward_asprintf("%s WITH %s", m, ex);
		free(m);
		m = NULL;
		if (term == NULL) {
			char *full = ward_asprintf("%s with %s exception", name, with);
			term = full ? unmapped(cv, full) : NULL;
			free(full);
		}
	} else if (m) {
		term = license_is_single_id(m) ? m : ward_asprintf("(%s)", m);
		if (term != m)
			free(m);
	} else {
		char *full = with ? ward_asprintf("%s with %s exception", name, with)
				  : ward_strdup(name);
		term = full ? unmapped(cv, full) : NULL;
		free(full);
	}
	if (term == NULL)
		return -1;
	rc = ward_buf_puts(seg, term);
	free(term);
	return rc;
}

/* One License first line ("GPL-2+ or Artistic, and BSD-3-clause") to SPDX. */
static char *
convert(struct conv *cv, const char *line)
{
	struct ward_buf out = {0}, seg = {0};
	char *copy = ward_strdup(line), *tok, *save = NULL;
	int nseg = 0, seg_ops = 0, expect_name = 1, ntok = 0, ok = 1;
	const char *joiner = " AND ";
	char *pending = NULL;

	if (copy == NULL)
		return NULL;
	/* Separate commas so they become tokens of their own. */
	struct ward_buf spaced = {0};
	for (const char *p = copy; *p; p++)
		if (ward_buf_puts(&spaced, *p == ',' ? " , " : (char[]){*p, 0}) != 0)
			goto fail;
	ward_buf_cstr(&spaced);
	for (tok = strtok_r((char *)spaced.data, " \t", &save); tok && ok;
	     tok = strtok_r(NULL, " \t", &save)) {
		ntok++;
		if (strcmp(tok, ",") == 0 || strcasecmp(tok, "and") == 0 ||
		    strcasecmp(tok, "or") == 0) {
			if (pending) {
				if (append_term(cv, &seg, pending, NULL) != 0)
					goto fail;
				free(pending), pending = NULL;
			}
			if (strcmp(tok, ",") == 0) {
				if (seg.len == 0 || expect_name) {
					ok = 0;
					break;
				}
				/* Close this segment; the next may start with and/or. */
				ward_buf_cstr(&seg);
				if (ward_buf_printf(&out, "%s%s%s%s", nseg ? joiner : "",
						    seg_ops ? "(" : "", (char *)seg.data,
						    seg_ops ? ")" : "") != 0)
					goto fail;
				nseg++;
				seg.len = 0;
				seg_ops = 0;
				joiner = " AND ";
				expect_name = 1;
				continue;
			}
			if (seg.len == 0 && nseg > 0 && expect_name) {
				joiner = strcasecmp(tok, "and") == 0 ? " AND " : " OR ";
				continue;
			}
			if (expect_name) {
				ok = 0;
				break;
			}
			if (ward_buf_puts(&seg, strcasecmp(tok, "and") == 0 ? " AND " : " OR "))
				goto fail;
			seg_ops = 1;
			expect_name = 1;
		} else if (strcasecmp(tok, "with") == 0 && pending) {
			/* "with <words> exception" */
			struct ward_buf w = {0};
			int closed = 0;
			while ((tok = strtok_r(NULL, " \t", &save)) != NULL) {
				if (strcasecmp(tok, "exception") == 0) {
					closed = 1;
					break;
				}
				if (ward_buf_printf(&w, "%s%s", w.len ? " " : "", tok) != 0) {
					ward_buf_free(&w);
					goto fail;
				}
			}
			if (!closed || w.len == 0) {
				ward_buf_free(&w);
				ok = 0;
				break;
			}
			ward_buf_cstr(&w);
			int rc = append_term(cv, &seg, pending, (char *)w.data);
			ward_buf_free(&w);
			free(pending), pending = NULL;
			if (rc != 0)
				goto fail;
		} else {
			if (!expect_name || !name_ok(tok)) {
				ok = 0;
				break;
			}
			if ((pending = ward_strdup(tok)) == NULL)
				goto fail;
			expect_name = 0;
		}
	}
	if (ok && pending) {
		if (append_term(cv, &seg, pending, NULL) != 0)
			goto fail;
		free(pending), pending = NULL;
	}
	if (ok && (expect_name || ntok > 12))
		ok = 0;
	if (ok) {
		ward_buf_cstr(&seg);
		if (ward_buf_printf(&out, "%s%s%s%s", nseg ? joiner : "",
				    seg_ops && nseg ? "(" : "", (char *)seg.data,
				    seg_ops && nseg ? ")" : "") != 0)
			goto fail;
	} else {
		/* Not a license expression (prose, a stray text line): one name. */
		char *ref;
		out.len = 0;
		if ((ref = unmapped(cv, line)) == NULL || ward_buf_puts(&out, ref) != 0) {
			free(ref);
			goto fail;
		}
		free(ref);
	}
	free(pending);
	free(copy);
	ward_buf_free(&seg);
	ward_buf_free(&spaced);
	return ward_buf_steal(&out);
fail:
	free(pending);
	free(copy);
	ward_buf_free(&seg);
	ward_buf_free(&spaced);
	ward_buf_free(&out);
	return NULL;
}

/* 1 when the whole of t is one parenthesised group: "(…)". */
static int
enclosed(const char *t)
{
	int depth = 0;

	if (t[0] != '(')
		return 0;
	for (const char *p = t; *p; p++) {
		depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
		if (depth == 0)
			return p[1] == '\0';
	}
	return 0;
}

/* Split e at its top-level ANDs; each term not yet in parts is added
 * (parenthesised when it holds an OR), so "A AND B" twice counts once. */
static int
split_and(const char *e, struct ward_strv *parts)
{
	int depth = 0;
	const char *start = e;

	for (const char *p = e;; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
		if (*p == '\0' || (depth == 0 && strncmp(p, " AND ", 5) == 0)) {
			char *t = ward_strndup(start, (size_t)(p - start)), *w;
			if (t == NULL)
				return -1;
			/* "(x)" around the whole term stays only when x has an OR. */
			if (enclosed(t) && !strstr(t, " OR ")) {
				w = ward_strndup(t + 1, strlen(t) - 2);
				free(t);
				if ((t = w) == NULL)
					return -1;
			} else if (!enclosed(t) && strstr(t, " OR ")) {
				w = ward_asprintf("(%s)", t);
				free(t);
				if ((t = w) == NULL)
					return -1;
			}
			if (ward_strv_contains(parts, t))
				free(t);
			else if (ward_strv_push_owned(parts, t) != 0) {
				free(t);
				return -1;
			}
			if (*p == '\0')
				return 0;
			p += 4;
			start = p + 1;
		}
	}
}

int
sbom_dep5_license(const char *data, size_t len, const char *what, struct sbom_license *out)
{
	struct dep5 d = {0};
	struct conv cv = {.d = &d, .what = what, .out = out};
	struct ward_strv parts = {0};
	struct ward_buf expr = {0};
	char *src = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (memchr(data, '\0', len) != NULL || dep5_parse(data, len, &d) != 0 || d.n == 0 ||
	    !d.p[0].has_format) {
		dep5_free(&d);
		ward_err_clear();
		src = ward_asprintf("debian-copyright:%s (not machine-readable)", what);
		rc = src ? license_set(out, "NOASSERTION", "NOASSERTION", src) : -1;
		free(src);
		if (rc != 0)
			sbom_license_free(out);
		return rc;
	}
	for (size_t i = 0; i < d.n; i++) {
		const struct dep5_para *p = &d.p[i];
		char *e;

		if (p->lic == NULL || !(i == 0 || p->has_files))
			continue;
		if (!ward_strv_contains(&out->found, p->lic) &&
		    ward_strv_push(&out->found, p->lic) != 0)
			goto out;
		if ((e = convert(&cv, p->lic)) == NULL)
			goto out;
		if (split_and(e, &parts) != 0) {
			free(e);
			goto out;
		}
		free(e);
	}
	for (size_t i = 0; i < parts.n; i++) {
		const char *e = parts.v[i];
		if (parts.n == 1 && enclosed(e)) {
			if (ward_buf_append(&expr, e + 1, strlen(e) - 2) != 0)
				goto out;
		} else if (ward_buf_printf(&expr, "%s%s", i ? " AND " : "", e) != 0)
			goto out;
	}
	if ((src = ward_asprintf("debian-copyright:%s", what)) == NULL)
		goto out;
	if (parts.n == 0) {
		rc = license_set(out, "NOASSERTION", "NOASSERTION", src);
	} else {
		char *norm;
		ward_buf_cstr(&expr);
		/* The result must itself be a valid expression; say so if not. */
		if ((norm = license_normalize((char *)expr.data, 1, NULL)) == NULL) {
			char *bad = ward_asprintf("%s (unparsed License fields)", src);
			rc = bad ? license_set(out, "NOASSERTION", "NOASSERTION", bad) : -1;
			free(bad);
		} else {
			rc = license_set(out, norm, cv.unmapped ? "NOASSERTION" : norm, src);
			free(norm);
		}
	}
out:
	ward_strv_sort(&out->found);
	ward_strv_free(&parts);
	ward_buf_free(&expr);
	dep5_free(&d);
	free(src);
	if (rc != 0)
		sbom_license_free(out);
	return rc;
}
