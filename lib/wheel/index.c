/* index.c: simple repository API project pages (PEP 691 JSON, PEP 503
 * HTML): the files a project offers, with their URLs and SHA-256 digests.
 * The JSON form is asked for first (content negotiation, PEP 691); a
 * server that answers HTML is read as PEP 503. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wheel/wheel_internal.h"

#define MAX_PAGE (32u << 20)
#define JSON_TYPE "application/vnd.pypi.simple.v1+json"

void
wheel_index_files_free(struct wheel_index_file *f, size_t n)
{
	for (size_t i = 0; f != NULL && i < n; i++) {
		free(f[i].filename);
		free(f[i].url);
	}
	free(f);
}

/* ------------------------------------------------------------ URLs */

/* Resolve ref against base (RFC 3986, the cases index pages use). */
static char *
url_resolve(const char *base, const char *ref)
{
	const char *scheme_end = strstr(base, "://"), *path;
	struct ward_buf b = {0};
	struct ward_strv segs = {0};
	char *joined, *save = NULL;
	size_t origin_len;

	if (strstr(ref, "://") != NULL && strcspn(ref, "/?#") > (size_t)(strstr(ref, "://") - ref))
		return ward_strdup(ref);
	if (scheme_end == NULL)
		return NULL;
	if (ref[0] == '/' && ref[1] == '/')
		return ward_asprintf("%.*s:%s", (int)(scheme_end - base), base, ref);
	path = strchr(scheme_end + 3, '/');
	origin_len = path ? (size_t)(path - base) : strlen(base);
	if (ref[0] == '/') {
		joined = ward_strdup(ref);
	} else {
		const char *q = path ? path : "/";
		size_t dir = strcspn(q, "?#");
		while (dir > 0 && q[dir - 1] != '/')
			dir--;
		joined = ward_asprintf("%.*s%s", (int)dir, q, ref);
	}
	if (joined == NULL)
		return NULL;
	{
		/* Remove dot segments from the path part (before ?/#). */
		size_t plen = strcspn(joined, "?#");
		char *rest = ward_strdup(joined + plen);
		int trailing = plen > 0 && joined[plen - 1] == '/';
		joined[plen] = '\0';
		if (rest == NULL)
			goto fail;
		for (char *s = strtok_r(joined, "/", &save); s != NULL;
		     s = strtok_r(NULL, "/", &save)) {
			if (strcmp(s, ".") == 0)
				continue;
			if (strcmp(s, "..") == 0) {
				if (segs.n > 0)
					free(segs.v[--segs.n]);
				continue;
			}
			if (ward_strv_push(&segs, s) != 0) {
				free(rest);
				goto fail;
			}
		}
		ward_buf_append(&b, base, origin_len);
		for (size_t i = 0; i < segs.n; i++)
			ward_buf_printf(&b, "/%s", segs.v[i]);
		if (segs.n == 0 || trailing)
			ward_buf_puts(&b, "/");
		ward_buf_puts(&b, rest);
		free(rest);
	}
	free(joined);
	ward_strv_free(&segs);
	return ward_buf_steal(&b);
fail:
	free(joined);
	ward_strv_free(&segs);
	ward_buf_free(&b);
	return NULL;
}

static char *
basename_of_url(const char *url)
{
	size_t n = strcspn(url, "?#");
	const char *s = url + n;

	while (s > url && s[-1] != '/')
		s--;
	return ward_strndup(s, (size_t)(url + n - s));
}

static int
push_file(struct wheel_index_file **out, size_t *n, const char *filename, const char *url,
	  uint64_t size, const char *sha256, int yanked)
{
	struct wheel_index_file *v = ward_realloc(*out, (*n + 1) * sizeof(*v));

	if (v == NULL)
		return -1;
	*out = v;
	memset(&v[*n], 0, sizeof(v[0]));
	v[*n].filename = ward_strdup(filename);
	v[*n].url = ward_strdup(url);
	v[*n].size = size;
	v[*n].yanked = yanked;
	if (sha256 != NULL)
		snprintf(v[*n].sha256, sizeof(v[*n].sha256), "%s", sha256);
	(*n)++;
	if (v[*n - 1].filename == NULL || v[*n - 1].url == NULL)
		return -1;
	return 0;
}

/* ------------------------------------------------------------ PEP 691 */

static int
parse_json(const char *body, size_t len, const char *page_url, const char *what,
	   struct wheel_index_file **out, size_t *n)
{
	json_t *j = ward_json_loadb(body, len, what), *files, *f, *meta;
	const char *api;
	size_t i;
	int rc = -1;

	if (j == NULL)
		return -1;
	meta = json_object_get(j, "meta");
	api = meta ? ward_json_str(meta, "api-version") : NULL;
	if (api == NULL || strncmp(api, "1.", 2) != 0) {
		ward_err(WARD_EINPUT, "%s: not a PEP 691 page (meta.api-version 1.x)", what);
		goto done;
	}
	if ((files = ward_json_req_array(j, "files", what)) == NULL)
		goto done;
	json_array_foreach(files, i, f)
	{
		const char *fn = ward_json_str(f, "filename"), *u = ward_json_str(f, "url");
		json_t *hashes = json_object_get(f, "hashes"), *size = json_object_get(f, "size"),
		       *yanked = json_object_get(f, "yanked");
		const char *h = hashes ? ward_json_str(hashes, "sha256") : NULL;
		char hex[65] = "", *abs;
		int r;
		if (fn == NULL || u == NULL) {
			ward_err(WARD_EINPUT, "%s: files[%zu] needs filename and url", what, i);
			goto done;
		}
		if (h != NULL && wheel_hex_digest(h, hex) != 0) {
			ward_err(WARD_EINPUT, "%s: files[%zu]: sha256 is not a digest", what, i);
			goto done;
		}
		if ((abs = url_resolve(page_url, u)) == NULL) {
			ward_err(WARD_EINPUT, "%s: files[%zu]: cannot resolve url", what, i);
			goto done;
		}
		r = push_file(out, n, fn, abs,
			      json_is_integer(size) && json_integer_value(size) > 0
				      ? (uint64_t)json_integer_value(size)
				      : 0,
			      hex, json_is_true(yanked) || json_is_string(yanked));
		free(abs);
		if (r != 0)
			goto done;
	}
	rc = 0;
done:
	json_decref(j);
	return rc;
}

/* ------------------------------------------------------------ PEP 503 */

static void
html_unescape(char *s)
{
	char *w = s;

	for (const char *r = s; *r;) {
		if (*r == '&') {
			static const struct {
				const char *ent;
				char c;
			} ents[] = {{"&amp;", '&'},  {"&lt;", '<'},   {"&gt;", '>'},
				    {"&quot;", '"'}, {"&#39;", '\''}, {"&#x27;", '\''}};
			size_t k;
			for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++)
				if (strncmp(r, ents[k].ent, strlen(ents[k].ent)) == 0)
					break;
			if (k < sizeof(ents) / sizeof(ents[0])) {
				*w++ = ents[k].c;
				r += strlen(ents[k].ent);
				continue;
			}
		}
		*w++ = *r++;
	}
	*w = '\0';
}

/* The value of attribute name in the tag text [s, e), or NULL; *present is
 * set when the attribute appears at all (data-yanked has no value). */
static char *
attr(const char *s, const char *e, const char *name, int *present)
{
	size_t nl = strlen(name);

	*present = 0;
	for (const char *p = s; p + nl <= e; p++) {
		const char *v;
		if (strncasecmp(p, name, nl) != 0 ||
		    !(p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\n' || p[-1] == '\r'))
			continue;
		v = p + nl;
		if (v < e && (isalnum((unsigned char)*v) || *v == '-'))
			continue;
		*present = 1;
		while (v < e && isspace((unsigned char)*v))
			v++;
		if (v >= e || *v != '=')
			return NULL;
		v++;
		while (v < e && isspace((unsigned char)*v))
			v++;
		if (v < e && (*v == '"' || *v == '\'')) {
			const char *q = memchr(v + 1, *v, (size_t)(e - v - 1));
			char *out;
			if (q == NULL)
				return NULL;
			out = ward_strndup(v + 1, (size_t)(q - v - 1));
			if (out != NULL)
				html_unescape(out);
			return out;
		}
		{
			const char *q = v;
			char *out;
			while (q < e && !isspace((unsigned char)*q) && *q != '>')
				q++;
			out = ward_strndup(v, (size_t)(q - v));
			if (out != NULL)
				html_unescape(out);
			return out;
		}
	}
	return NULL;
}

static int
parse_html(const char *body, size_t len, const char *page_url, const char *what,
	   struct wheel_index_file **out, size_t *n)
{
	const char *p = body, *end = body + len;

	if (memchr(body, '\0', len) != NULL)
		return ward_err(WARD_EINPUT, "%s: contains a NUL byte", what);
	while (p < end) {
		const char *a = NULL, *gt, *close;
		char *href, *fn, *abs, hex[65] = "";
		int present, yanked, rc;
		for (const char *q = p; q + 2 < end; q++)
			if (q[0] == '<' && (q[1] == 'a' || q[1] == 'A') &&
			    isspace((unsigned char)q[2])) {
				a = q;
				break;
			}
		if (a == NULL)
			break;
		gt = memchr(a, '>', (size_t)(end - a));
		if (gt == NULL)
			return ward_err(WARD_EINPUT, "%s: unterminated <a> tag", what);
		close = gt + 1;
		while (close + 4 <= end && strncasecmp(close, "</a>", 4) != 0)
			close++;
		if (close + 4 > end)
			return ward_err(WARD_EINPUT, "%s: <a> without </a>", what);
		href = attr(a + 2, gt, "href", &present);
		attr(a + 2, gt, "data-yanked", &yanked);
		if (href == NULL) {
			p = close + 4;
			continue;
		}
		{
			const char *frag = strstr(href, "#sha256=");
			if (frag != NULL) {
				if (wheel_hex_digest(frag + 8, hex) != 0) {
					size_t fl = strcspn(frag + 8, "&");
					char tmp[80];
					snprintf(tmp, sizeof(tmp), "%.*s", (int)(fl < 70 ? fl : 70),
						 frag + 8);
					if (wheel_hex_digest(tmp, hex) != 0) {
						free(href);
						return ward_err(WARD_EINPUT,
								"%s: a #sha256= fragment is not a "
								"digest",
								what);
					}
				}
			}
		}
		fn = ward_strndup(gt + 1, (size_t)(close - gt - 1));
		if (fn != NULL) {
			/* The link text is the file name (trimmed). */
			char *s = fn, *e2;
			html_unescape(fn);
			while (isspace((unsigned char)*s))
				s++;
			memmove(fn, s, strlen(s) + 1);
			e2 = fn + strlen(fn);
			while (e2 > fn && isspace((unsigned char)e2[-1]))
				*--e2 = '\0';
			if (*fn == '\0') {
				free(fn);
				fn = basename_of_url(href);
			}
		}
		abs = url_resolve(page_url, href);
		rc = fn != NULL && abs != NULL ? push_file(out, n, fn, abs, 0, hex, yanked) : -1;
		free(fn);
		free(abs);
		free(href);
		if (rc != 0)
			return -1;
		p = close + 4;
	}
	return 0;
}

int
wheel_index_parse(const char *body, size_t len, const char *ctype, const char *page_url,
		  const char *what, struct wheel_index_file **out, size_t *n)
{
	int rc;

	*out = NULL;
	*n = 0;
	if (ctype != NULL && strncasecmp(ctype, JSON_TYPE, strlen(JSON_TYPE)) == 0)
		rc = parse_json(body, len, page_url, what, out, n);
	else
		rc = parse_html(body, len, page_url, what, out, n);
	if (rc != 0) {
		wheel_index_files_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

int
wheel_index_project(const char *index, const char *name, struct wheel_index_file **out, size_t *n)
{
	struct ward_buf b = {0};
	char ctype[128], *url, *what;
	size_t il = strlen(index);
	int rc = -1;

	*out = NULL;
	*n = 0;
	url = ward_asprintf("%s%s%s/", index, il > 0 && index[il - 1] == '/' ? "" : "/", name);
	what = url ? ward_asprintf("index page %s", url) : NULL;
	if (what == NULL)
		goto done;
	if (deb_download_accept(url, JSON_TYPE ", text/html;q=0.1", MAX_PAGE, &b, ctype,
				sizeof(ctype), what) != 0)
		goto done;
	rc = wheel_index_parse(b.data ? (char *)b.data : "", b.len, ctype, url, what, out, n);
done:
	ward_buf_free(&b);
	free(url);
	free(what);
	return rc;
}
