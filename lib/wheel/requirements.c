/* requirements.c: pip requirements files in hash-checking mode, and what
 * both lock formats share (loading, sorting, freeing).
 *
 * Only what pins a wheel exactly is accepted: "name[extras]==version
 * [; marker] --hash=sha256:HEX ..." on every line (backslash continuations
 * and comments as pip reads them), and the options --require-hashes,
 * --index-url/-i (one index), --only-binary, --prefer-binary.  Anything that
 * would let pip pick something the file does not pin (other specifiers,
 * URLs, editables, includes, extra indexes, find-links, --no-binary) is
 * refused with the line named. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "wheel/wheel_internal.h"

#define MAX_LOCK_BYTES (16u << 20)

int
wheel_hex_digest(const char *in, char out[65])
{
	if (in == NULL || strlen(in) != 64)
		return -1;
	for (size_t i = 0; i < 64; i++) {
		if (!isxdigit((unsigned char)in[i]))
			return -1;
		out[i] = (char)tolower((unsigned char)in[i]);
	}
	out[64] = '\0';
	return 0;
}

static void
trim_version(const char *v, char *out, size_t size)
{
	size_t n;

	if (*v == 'v' || *v == 'V')
		v++;
	snprintf(out, size, "%s", v);
	for (size_t i = 0; out[i]; i++)
		out[i] = (char)tolower((unsigned char)out[i]);
	n = strlen(out);
	while (n > 2 && strcmp(out + n - 2, ".0") == 0 && strchr(out, '.') != out + n - 2)
		out[n -= 2] = '\0';
}

int
wheel_version_eq(const char *a, const char *b)
{
	char x[128], y[128];

	trim_version(a, x, sizeof(x));
	trim_version(b, y, sizeof(y));
	return strcmp(x, y) == 0;
}

struct wheel_req *
wheel_reqs_add(struct wheel_reqs *r)
{
	struct wheel_req *v = ward_realloc(r->v, (r->n + 1) * sizeof(*v));

	if (v == NULL)
		return NULL;
	r->v = v;
	memset(&v[r->n], 0, sizeof(v[0]));
	return &v[r->n++];
}

static int
req_cmp(const void *a, const void *b)
{
	return strcmp(((const struct wheel_req *)a)->name, ((const struct wheel_req *)b)->name);
}

int
wheel_reqs_finish(struct wheel_reqs *r, const char *what)
{
	if (r->n > 1)
		qsort(r->v, r->n, sizeof(*r->v), req_cmp);
	for (size_t i = 1; i < r->n; i++)
		if (strcmp(r->v[i - 1].name, r->v[i].name) == 0)
			return ward_err(WARD_EINPUT, "%s: %s is listed twice for this image", what,
					r->v[i].name);
	return 0;
}

static void
req_free(struct wheel_req *r)
{
	free(r->name);
	free(r->version);
	for (size_t i = 0; i < r->ncands; i++) {
		free(r->cands[i].filename);
		free(r->cands[i].url);
		free(r->cands[i].path);
	}
	free(r->cands);
	ward_strv_free(&r->sha256s);
}

void
wheel_reqs_free(struct wheel_reqs *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++)
		req_free(&r->v[i]);
	free(r->v);
	free(r->path);
	free(r->index);
	memset(r, 0, sizeof(*r));
}

/* ------------------------------------------------------------ requirements */

static int
lerr(const char *what, size_t line, const char *msg, const char *arg)
{
	return ward_err(WARD_EINPUT, "%s:%zu: %s%s%.200s%s", what, line, msg, arg ? " \"" : "",
			arg ? arg : "", arg ? "\"" : "");
}

/* Split a logical line into words; quotes (markers) keep spaces. */
static int
words(const char *s, struct ward_strv *out)
{
	while (*s) {
		const char *st;
		char q = 0;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		st = s;
		while (*s && (q || (*s != ' ' && *s != '\t'))) {
			if (q && *s == q)
				q = 0;
			else if (!q && (*s == '\'' || *s == '"'))
				q = *s;
			s++;
		}
		if (ward_strv_push_owned(out, ward_strndup(st, (size_t)(s - st))) != 0)
			return -1;
	}
	return 0;
}

/* An option word: "--name=value" or "--name" "value". */
static int
option_value(const struct ward_strv *w, size_t *i, const char *name, const char *what, size_t line,
	     const char **val)
{
	const char *s = w->v[*i];
	size_t n = strlen(name);

	if (strncmp(s, name, n) == 0 && s[n] == '=') {
		*val = s + n + 1;
		return 1;
	}
	if (strcmp(s, name) == 0) {
		if (*i + 1 >= w->n)
			return lerr(what, line, "option needs a value:", name);
		*val = w->v[++*i];
		return 1;
	}
	return 0;
}

static int
parse_option_line(const struct ward_strv *w, const char *what, size_t line, struct wheel_reqs *out)
{
	static const char *const refused[][2] = {
		{"-r", "includes other requirement files (list every pin in this one)"},
		{"--requirement", "includes other requirement files (list every pin in this one)"},
		{"-c", "constraint files are not supported"},
		{"--constraint", "constraint files are not supported"},
		{"-e", "editable installs are built from source; ward installs wheels only"},
		{"--editable",
		 "editable installs are built from source; ward installs wheels only"},
		{"--extra-index-url", "a second index lets a name resolve in either (one index: "
				      "python.index in ward.yaml or --index-url)"},
		{"-f", "find-links is not supported (python.wheelhouse in ward.yaml)"},
		{"--find-links", "find-links is not supported (python.wheelhouse in ward.yaml)"},
		{"--no-binary", "ward installs wheels only and never builds from source"},
		{"--no-index", NULL},
		{"--trusted-host", "TLS is checked for every index"},
	};

	for (size_t i = 0; i < w->n; i++) {
		const char *s = w->v[i], *val = NULL;
		int r;
		if (strcmp(s, "--require-hashes") == 0 || strcmp(s, "--prefer-binary") == 0 ||
		    strcmp(s, "--no-index") == 0)
			continue;
		if ((r = option_value(w, &i, "--only-binary", what, line, &val)) != 0) {
			if (r < 0)
				return -1;
			continue;
		}
		if ((r = option_value(w, &i, "--index-url", what, line, &val)) != 0 ||
		    (r = option_value(w, &i, "-i", what, line, &val)) != 0) {
			if (r < 0)
				return -1;
			if (out->index != NULL)
				return lerr(what, line, "a second --index-url", val);
			if (!ward_str_startswith(val, "https://") &&
			    !ward_str_startswith(val, "http://") &&
			    !ward_str_startswith(val, "file://"))
				return lerr(what, line, "index URL is not http(s) or file:", val);
			if ((out->index = ward_strdup(val)) == NULL)
				return -1;
			continue;
		}
		for (size_t k = 0; k < sizeof(refused) / sizeof(refused[0]); k++) {
			size_t n = strlen(refused[k][0]);
			if (refused[k][1] != NULL && strncmp(s, refused[k][0], n) == 0 &&
			    (s[n] == '\0' || s[n] == '=' || (n == 2 && s[n] != '-'))) {
				char msg[200];
				snprintf(msg, sizeof(msg), "%s: %s", refused[k][0], refused[k][1]);
				return lerr(what, line, msg, NULL);
			}
		}
		return lerr(what, line, "unknown option", s);
	}
	return 0;
}

static int
parse_requirement(const char *text, const struct ward_strv *w, size_t first_opt, const char *what,
		  size_t line, const struct wheel_target *t, struct wheel_reqs *out)
{
	char name[256], norm[256];
	const char *p = text, *ver, *semi;
	size_t n = 0, vlen;
	struct wheel_req *r;
	int applies = 1;

	/* name */
	while (isalnum((unsigned char)*p) || strchr("._-", *p) != NULL) {
		if (n + 1 >= sizeof(name))
			return lerr(what, line, "name too long", NULL);
		name[n++] = *p++;
	}
	name[n] = '\0';
	if (n == 0)
		return lerr(what, line, "expected a requirement", text);
	if (wheel_name_normalize(name, norm, sizeof(norm)) != 0)
		return lerr(what, line, "not a package name:", name);
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '[') { /* extras: the lock lists every dependency anyway */
		const char *close = strchr(p, ']');
		if (close == NULL)
			return lerr(what, line, "unterminated [extras]", NULL);
		p = close + 1;
		while (*p == ' ' || *p == '\t')
			p++;
	}
	if (*p == '@')
		return lerr(what, line, "direct URL requirements are not supported:", name);
	if (strncmp(p, "==", 2) != 0 || p[2] == '=')
		return lerr(what, line,
			    "every requirement must be pinned with == (hash-checking mode):", name);
	p += 2;
	while (*p == ' ' || *p == '\t')
		p++;
	ver = p;
	vlen = strcspn(p, " \t;,");
	if (vlen == 0 || memchr(ver, '*', vlen) != NULL)
		return lerr(what, line, "pin an exact version:", name);
	for (size_t i = 0; i < vlen; i++)
		if (!isalnum((unsigned char)ver[i]) && strchr(".!+-_", ver[i]) == NULL)
			return lerr(what, line, "not a version:", name);
	p += vlen;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == ',')
		return lerr(what, line, "pin exactly one version (no other specifiers):", name);
	semi = *p == ';' ? p + 1 : NULL;
	if (semi == NULL && *p != '\0')
		return lerr(what, line, "unexpected text after the version:", p);
	if (semi != NULL) {
		char w2[512];
		snprintf(w2, sizeof(w2), "%s:%zu", what, line);
		if (wheel_marker_eval(semi, t, NULL, NULL, w2, &applies) != 0)
			return -1;
	}
	if ((r = wheel_reqs_add(out)) == NULL)
		return -1;
	r->line = line;
	if ((r->name = ward_strdup(norm)) == NULL || (r->version = ward_strndup(ver, vlen)) == NULL)
		return -1;
	for (size_t i = first_opt; i < w->n; i++) {
		const char *val = NULL;
		int rc = option_value(w, &i, "--hash", what, line, &val);
		char hex[65];
		if (rc < 0)
			return -1;
		if (rc == 0)
			return lerr(what, line, "unknown option on a requirement line:", w->v[i]);
		if (strncmp(val, "sha256:", 7) == 0) {
			if (wheel_hex_digest(val + 7, hex) != 0)
				return lerr(what, line, "not a SHA-256 digest:", val);
			if (!ward_strv_contains(&r->sha256s, hex) &&
			    ward_strv_push(&r->sha256s, hex) != 0)
				return -1;
		} else if (strncmp(val, "sha384:", 7) != 0 && strncmp(val, "sha512:", 7) != 0) {
			return lerr(what, line, "unknown hash algorithm:", val);
		}
	}
	if (r->sha256s.n == 0)
		return lerr(what, line, "no --hash=sha256: for", norm);
	if (!applies) { /* the marker excludes it from this image */
		req_free(r);
		out->n--;
	}
	return 0;
}

int
wheel_requirements_parse(const char *data, size_t len, const char *what,
			 const struct wheel_target *t, struct wheel_reqs *out)
{
	const char *p = data, *end = data + len;
	size_t lineno = 0;
	struct ward_buf logical = {0};
	size_t logical_line = 0;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	out->format = WHEEL_REQUIREMENTS;
	if (memchr(data, '\0', len) != NULL) {
		ward_err(WARD_EINPUT, "%s: contains a NUL byte", what);
		goto done;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		int cont;
		lineno++;
		if (l > 0 && p[l - 1] == '\r')
			l--;
		if (logical.len == 0)
			logical_line = lineno;
		/* A comment starts at '#' at the start or after whitespace. */
		for (size_t i = 0; i < l; i++)
			if (p[i] == '#' && (i == 0 || p[i - 1] == ' ' || p[i - 1] == '\t')) {
				l = i;
				break;
			}
		cont = l > 0 && p[l - 1] == '\\';
		if (ward_buf_append(&logical, p, cont ? l - 1 : l) != 0 ||
		    (cont && ward_buf_puts(&logical, " ") != 0))
			goto done;
		p += (nl ? (size_t)(nl - p) + 1 : (size_t)(end - p));
		if (cont && p < end)
			continue;
		{
			struct ward_strv w = {0};
			char *text = ward_buf_cstr(&logical);
			size_t first_opt = 0;
			int r;
			if (text == NULL || words(text, &w) != 0) {
				ward_strv_free(&w);
				goto done;
			}
			while (first_opt < w.n && w.v[first_opt][0] != '-')
				first_opt++;
			if (w.n == 0)
				r = 0;
			else if (first_opt == 0)
				r = parse_option_line(&w, what, logical_line, out);
			else {
				/* The requirement is the words before the first option. */
				struct ward_buf req = {0};
				for (size_t i = 0; i < first_opt; i++)
					ward_buf_printf(&req, "%s%s", i ? " " : "", w.v[i]);
				r = ward_buf_cstr(&req) == NULL
					    ? -1
					    : parse_requirement((char *)req.data, &w, first_opt,
								what, logical_line, t, out);
				ward_buf_free(&req);
			}
			ward_strv_free(&w);
			logical.len = 0;
			if (r != 0)
				goto done;
		}
	}
	rc = wheel_reqs_finish(out, what);
done:
	ward_buf_free(&logical);
	if (rc != 0) {
		wheel_reqs_free(out);
		out->format = WHEEL_REQUIREMENTS;
	}
	return rc;
}

/* ------------------------------------------------------------ loading */

static int
is_pylock_name(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return strcmp(base, "pylock.toml") == 0 ||
	       (ward_str_startswith(base, "pylock.") && ward_str_endswith(base, ".toml"));
}

int
wheel_reqs_load(const char *path, const struct wheel_target *t, struct wheel_reqs *out)
{
	struct ward_buf b = {0};
	char *dir = NULL, *slash;
	int rc;

	memset(out, 0, sizeof(*out));
	if (ward_file_read(path, MAX_LOCK_BYTES, &b) != 0)
		return -1;
	if ((dir = ward_strdup(path)) == NULL) {
		ward_buf_free(&b);
		return -1;
	}
	slash = strrchr(dir, '/');
	if (slash != NULL)
		*slash = '\0';
	else
		strcpy(dir, ".");
	if (is_pylock_name(path))
		rc = wheel_pylock_parse(b.data ? (char *)b.data : "", b.len, path, dir, t, out);
	else
		rc = wheel_requirements_parse(b.data ? (char *)b.data : "", b.len, path, t, out);
	if (rc == 0) {
		sha256_hex(b.data ? b.data : (const unsigned char *)"", b.len, out->sha256);
		if ((out->path = ward_strdup(path)) == NULL) {
			wheel_reqs_free(out);
			rc = -1;
		}
	}
	free(dir);
	ward_buf_free(&b);
	return rc;
}
