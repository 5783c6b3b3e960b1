/* sources.c: the system's apt sources and where each suite comes from. */
#include <dirent.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "deb/deb.h"

#define DEFAULT_KEYRING "/usr/share/keyrings/debian-archive-keyring.gpg"
#define MAX_SOURCES_FILE (1u << 20)

static void
source_free(struct deb_apt_source *s)
{
	free(s->uri);
	free(s->signed_by);
	ward_strv_free(&s->suites);
	ward_strv_free(&s->components);
	ward_strv_free(&s->archs);
}

void
deb_apt_sources_free(struct deb_apt_source *s, size_t n)
{
	for (size_t i = 0; s != NULL && i < n; i++)
		source_free(&s[i]);
	free(s);
}

/* split_words: push each whitespace-separated word of s. */
static int
split_words(const char *s, struct ward_strv *out)
{
	while (s != NULL && *s) {
		size_t n;
		s += strspn(s, " \t\n\r");
		n = strcspn(s, " \t\n\r");
		if (n == 0)
			break;
		if (ward_strv_push_owned(out, ward_strndup(s, n)) != 0)
			return -1;
		s += n;
	}
	return 0;
}

static int
push_source(struct deb_apt_source **out, size_t *n, struct deb_apt_source *s)
{
	if (ward_vec_grow(out, *n, sizeof(**out)) != 0)
		return -1;
	(*out)[(*n)++] = *s;
	return 0;
}

/* A path-like Signed-By names a keyring file; inline key blocks and
 * fingerprints are left to the default keyring. */
static char *
keyring_value(const char *v)
{
	if (v == NULL || v[0] != '/' || strchr(v, '\n') != NULL)
		return NULL;
	return ward_strdup(v);
}

static int
parse_deb822(const char *data, size_t len, const char *what, struct deb_apt_source **out, size_t *n)
{
	struct deb_control c;
	struct ward_buf text = {0};
	const char *p0 = data, *end = data + len;
	int rc;

	/* deb822 sources may carry comment lines anywhere: drop them. */
	while (p0 < end) {
		const char *nl = memchr(p0, '\n', (size_t)(end - p0));
		size_t l = nl ? (size_t)(nl - p0 + 1) : (size_t)(end - p0);
		rc = *p0 == '#' ? 0 : ward_buf_append(&text, p0, l);
		if (rc != 0) {
			ward_buf_free(&text);
			return -1;
		}
		p0 += l;
	}
	rc = deb_control_parse(text.data ? (const char *)text.data : "", text.len, what, &c);
	ward_buf_free(&text);
	if (rc != 0)
		return -1;
	for (size_t i = 0; i < c.n; i++) {
		const struct deb_para *p = &c.paras[i];
		const char *types = deb_para_get(p, "Types"), *enabled = deb_para_get(p, "Enabled");
		struct ward_strv tv = {0}, uris = {0};
		int is_deb;

		if (split_words(types, &tv) != 0)
			goto fail;
		is_deb = ward_strv_contains(&tv, "deb");
		ward_strv_free(&tv);
		if (!is_deb || (enabled != NULL && strcasecmp(enabled, "no") == 0))
			continue;
		if (split_words(deb_para_get(p, "URIs"), &uris) != 0)
			goto fail;
		for (size_t u = 0; u < uris.n; u++) {
			struct deb_apt_source s = {0};
			if ((s.uri = ward_strdup(uris.v[u])) == NULL ||
			    split_words(deb_para_get(p, "Suites"), &s.suites) != 0 ||
			    split_words(deb_para_get(p, "Components"), &s.components) != 0 ||
			    split_words(deb_para_get(p, "Architectures"), &s.archs) != 0) {
				source_free(&s);
				ward_strv_free(&uris);
				goto fail;
			}
			s.signed_by = keyring_value(deb_para_get(p, "Signed-By"));
			if (push_source(out, n, &s) != 0) {
				source_free(&s);
				ward_strv_free(&uris);
				goto fail;
			}
		}
		ward_strv_free(&uris);
	}
	deb_control_free(&c);
	return 0;
fail:
	deb_control_free(&c);
	return -1;
}

/* One-line format: deb [opt=val ...] uri suite [component ...] */
static int
parse_line(const char *line, const char *what, size_t lineno, struct deb_apt_source **out,
	   size_t *n)
{
	struct ward_strv w = {0};
	struct deb_apt_source s = {0};
	size_t i = 1;
	char *opts = NULL;

	if (split_words(line, &w) != 0)
		return -1;
	if (w.n == 0 || strcmp(w.v[0], "deb") != 0) {
		ward_strv_free(&w);
		return 0;
	}
	if (w.n > 1 && w.v[1][0] == '[') {
		/* Options may contain spaces: rejoin up to the closing ']'. */
		struct ward_buf b = {0};
		for (; i < w.n; i++) {
			ward_buf_printf(&b, "%s%s", b.len ? " " : "", w.v[i]);
			if (strchr(w.v[i], ']') != NULL) {
				i++;
				break;
			}
		}
		opts = ward_buf_steal(&b);
	}
	if (w.n < i + 2) {
		free(opts);
		ward_strv_free(&w);
		return ward_err(WARD_EINPUT, "%s:%zu: expected \"deb URI SUITE [COMPONENT...]\"",
				what, lineno);
	}
	s.uri = ward_strdup(w.v[i]);
	if (s.uri == NULL || ward_strv_push(&s.suites, w.v[i + 1]) != 0)
		goto fail;
	for (size_t j = i + 2; j < w.n; j++)
		if (ward_strv_push(&s.components, w.v[j]) != 0)
			goto fail;
	if (opts != NULL) {
		char *p = opts + 1, *save = NULL;
		for (char *tok = strtok_r(p, " ]", &save); tok != NULL;
		     tok = strtok_r(NULL, " ]", &save)) {
			if (ward_str_startswith(tok, "arch=")) {
				char *a = tok + 5;
				for (char *c = strtok_r(a, ",", &a); c; c = strtok_r(NULL, ",", &a))
					if (ward_strv_push(&s.archs, c) != 0)
						goto fail;
			} else if (ward_str_startswith(tok, "signed-by=")) {
				free(s.signed_by);
				s.signed_by = keyring_value(tok + 10);
			}
		}
	}
	free(opts);
	ward_strv_free(&w);
	if (push_source(out, n, &s) != 0) {
		source_free(&s);
		return -1;
	}
	return 0;
fail:
	free(opts);
	ward_strv_free(&w);
	source_free(&s);
	return -1;
}

int
deb_apt_sources_parse(const char *data, size_t len, int deb822, const char *what,
		      struct deb_apt_source **out, size_t *n)
{
	const char *p = data, *end = data + len;
	size_t lineno = 0;

	if (deb822)
		return parse_deb822(data, len, what, out, n);
	if (memchr(data, '\0', len) != NULL)
		return ward_err(WARD_EINPUT, "%s: contains a NUL byte", what);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = ward_strndup(p, l), *hash;
		int rc;

		if (line == NULL)
			return -1;
		lineno++;
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		rc = parse_line(line, what, lineno, out, n);
		free(line);
		if (rc != 0)
			return -1;
		p += l + (nl != NULL);
	}
	return 0;
}

static int
load_file(const char *path, int deb822, struct deb_apt_source **out, size_t *n)
{
	struct ward_buf b = {0};
	int rc;

	if (ward_file_read(path, MAX_SOURCES_FILE, &b) != 0)
		return -1;
	rc = deb_apt_sources_parse((const char *)b.data, b.len, deb822, path, out, n);
	ward_buf_free(&b);
	return rc;
}

static int
name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int
deb_apt_sources_load(const char *etc, struct deb_apt_source **out, size_t *n)
{
	char *path = ward_path_join(etc, "sources.list"), *dir;
	struct dirent **ents = NULL;
	int count, rc = 0;

	*out = NULL;
	*n = 0;
	if (path == NULL)
		return -1;
	if (access(path, R_OK) == 0 && load_file(path, 0, out, n) != 0)
		rc = -1;
	free(path);
	dir = ward_path_join(etc, "sources.list.d");
	if (dir == NULL || rc != 0)
		goto out;
	count = scandir(dir, &ents, NULL, name_cmp);
	for (int i = 0; i < count; i++) {
		const char *name = ents[i]->d_name;
		int deb822 = ward_str_endswith(name, ".sources");
		if (rc == 0 && name[0] != '.' && (deb822 || ward_str_endswith(name, ".list"))) {
			char *p = ward_path_join(dir, name);
			if (p == NULL || load_file(p, deb822, out, n) != 0)
				rc = -1;
			free(p);
		}
		free(ents[i]);
	}
	free(ents);
out:
	free(dir);
	if (rc != 0) {
		deb_apt_sources_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

/* apt's URItoFileName: drop the scheme, quote odd characters, '/' -> '_'. */
char *
deb_apt_list_prefix(const char *uri)
{
	static const char bad[] = "\\|{}[]<>\"^~_=!@#$%^&*";
	struct ward_buf b = {0};
	const char *p = strstr(uri, "://");
	size_t len;

	p = p ? p + 3 : uri;
	{ /* user:password@ is not part of the name */
		const char *at = strchr(p, '@'), *slash = strchr(p, '/');
		if (at != NULL && (slash == NULL || at < slash))
			p = at + 1;
	}
	len = strlen(p);
	while (len > 0 && p[len - 1] == '/')
		len--;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];
		int rc;
		if (c <= 0x20 || c >= 0x7f || strchr(bad, c) != NULL)
			rc = ward_buf_printf(&b, "%%%02x", c);
		else if (c == '/')
			rc = ward_buf_puts(&b, "_");
		else
			rc = ward_buf_append(&b, &c, 1);
		if (rc != 0) {
			ward_buf_free(&b);
			return NULL;
		}
	}
	return ward_buf_steal(&b);
}

void
deb_repos_free(struct deb_repo *r, size_t n)
{
	for (size_t i = 0; r != NULL && i < n; i++) {
		free(r[i].suite);
		free(r[i].uri);
		free(r[i].keyring);
		ward_strv_free(&r[i].components);
	}
	free(r);
}

const struct deb_repo *
deb_repo_find(const struct deb_repo *r, size_t n, const char *suite)
{
	for (size_t i = 0; i < n; i++)
		if (r[i].suite != NULL && strcmp(r[i].suite, suite) == 0)
			return &r[i];
	return NULL;
}

/* WARD_MIRROR: one URL for every suite, or a list of words separated by
 * spaces or commas, each "URL" (the default) or "SUITE=URL" where SUITE may
 * be a glob ("*-security=http://m/debian-security"): the first SUITE
 * entry that matches wins, else the default.  The main archive and the
 * security archive are different trees on every Debian mirror. */
static int
mirror_for(const char *list, const char *suite, char **out)
{
	struct ward_strv w = {0};
	const char *def = NULL;
	int rc = 0;

	*out = NULL;
	for (const char *p = list; *p;) {
		size_t n;
		p += strspn(p, " \t\n,");
		n = strcspn(p, " \t\n,");
		if (n == 0)
			break;
		if (ward_strv_push_owned(&w, ward_strndup(p, n)) != 0)
			return -1;
		p += n;
	}
	for (size_t i = 0; i < w.n && *out == NULL; i++) {
		char *eq = strchr(w.v[i], '='), *scheme = strstr(w.v[i], "://");
		if (eq == NULL || (scheme != NULL && scheme < eq)) {
			if (def != NULL) {
				rc = ward_err(WARD_EINPUT,
					      "WARD_MIRROR: two default mirrors (%s, %s); name the "
					      "suite of one: SUITE=URL",
					      def, w.v[i]);
				goto out;
			}
			def = w.v[i];
			continue;
		}
		*eq = '\0';
		if (fnmatch(w.v[i], suite, 0) == 0 && (*out = ward_strdup(eq + 1)) == NULL)
			rc = -1;
	}
	if (rc == 0 && *out == NULL && def != NULL && (*out = ward_strdup(def)) == NULL)
		rc = -1;
out:
	ward_strv_free(&w);
	return rc;
}

int
deb_repos_configure(struct deb_repo *r, size_t n)
{
	const char *mirror = getenv("WARD_MIRROR"), *keyring = getenv("WARD_KEYRING");
	const char *etc = getenv("WARD_APT_ETC");
	struct deb_apt_source *src = NULL;
	size_t nsrc = 0;
	int loaded = 0;

	if (mirror != NULL && *mirror == '\0')
		mirror = NULL;
	for (size_t i = 0; i < n; i++) {
		if (r[i].uri == NULL && mirror != NULL &&
		    mirror_for(mirror, r[i].suite, &r[i].uri) != 0)
			goto fail;
		if (r[i].uri == NULL || r[i].keyring == NULL) {
			if (!loaded) {
				/* Unreadable apt sources only mean less to go on. */
				if (deb_apt_sources_load(etc ? etc : "/etc/apt", &src, &nsrc) != 0)
					ward_warn("%s", ward_errmsg());
				loaded = 1;
			}
			for (size_t j = 0; j < nsrc; j++) {
				if (!ward_strv_contains(&src[j].suites, r[i].suite))
					continue;
				if (r[i].uri == NULL &&
				    (r[i].uri = ward_strdup(src[j].uri)) == NULL)
					goto fail;
				if (r[i].keyring == NULL && src[j].signed_by != NULL &&
				    strcmp(r[i].uri, src[j].uri) == 0 &&
				    (r[i].keyring = ward_strdup(src[j].signed_by)) == NULL)
					goto fail;
				break;
			}
		}
		if (r[i].keyring == NULL &&
		    (r[i].keyring = ward_strdup(keyring && *keyring ? keyring : DEFAULT_KEYRING)) ==
			    NULL)
			goto fail;
		/* "http://m/debian/" and "http://m/debian" are one archive. */
		for (size_t len = r[i].uri ? strlen(r[i].uri) : 0;
		     len > 0 && r[i].uri[len - 1] == '/' && !ward_str_endswith(r[i].uri, "://");
		     len--)
			r[i].uri[len - 1] = '\0';
	}
	deb_apt_sources_free(src, nsrc);
	return 0;
fail:
	deb_apt_sources_free(src, nsrc);
	return -1;
}
