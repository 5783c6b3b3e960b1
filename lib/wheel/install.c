/* install.c: a wheel, installed (the binary distribution format, PEP 427 /
 * PEP 491, done strictly).
 *
 * The archive is read twice with libarchive's seekable zip reader (the
 * central directory is authoritative, not the local headers a streaming
 * reader would trust).  The first pass writes nothing: every entry must be
 * a regular file or a directory with a clean relative path (no "..", no
 * absolute path, no backslash, no symlink, no duplicate), inside exactly one
 * {name}-{version}.dist-info of this package, and listed in RECORD with a
 * sha256 that matches its bytes (and its size, when given); every RECORD
 * entry must be in the archive.  Only then does the second pass write,
 * through the caller's sink, hashing again what it writes.  The sink is
 * where the build's beneath-the-root writer plugs in.
 *
 * Installed: files under the scheme directories of the layout
 * (purelib/platlib -> site-packages, scripts with a "#!python" shebang
 * rewritten to the image's interpreter, headers, data), console and GUI
 * entry points generated as small scripts (nothing from the wheel runs),
 * INSTALLER = "ward", PEP 610 direct_url.json for direct URL installs,
 * and a RECORD of what was installed, sorted by path. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "crypto/crypto.h"
#include "wheel/wheel_internal.h"

#define MAX_META (16u << 20)
#define MAX_ENTRIES 1000000

void
wheel_installed_free(struct wheel_installed *w)
{
	if (w == NULL)
		return;
	free(w->dist_info);
	free(w->metadata);
	ward_strv_free(&w->files);
	memset(w, 0, sizeof(*w));
}

/* ------------------------------------------------------------ archive */

static struct archive *
zip_open(int fd, const char *what)
{
	struct archive *a;

	if (lseek(fd, 0, SEEK_SET) != 0) {
		ward_errno(WARD_EENV, "%s: cannot seek", what);
		return NULL;
	}
	if ((a = archive_read_new()) == NULL) {
		ward_err(WARD_EENV, "%s: out of memory", what);
		return NULL;
	}
	archive_read_support_format_zip_seekable(a);
	if (archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK) {
		ward_err(WARD_EINPUT, "%s: not a zip archive: %s", what, archive_error_string(a));
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* A wheel path: UTF-8, relative, '/'-separated, no "", ".", ".." part,
 * no backslash or control character. */
static int
path_ok(const char *p)
{
	size_t n = strlen(p);

	if (n == 0 || n > 1024 || p[0] == '/')
		return 0;
	for (const char *s = p; *s;) {
		const char *e = strchr(s, '/');
		size_t l = e ? (size_t)(e - s) : strlen(s);
		if (l == 0 && e != NULL && e[1] == '\0')
			break; /* a trailing slash: a directory entry */
		if (l == 0 || (l == 1 && s[0] == '.') || (l == 2 && s[0] == '.' && s[1] == '.'))
			return 0;
		for (size_t i = 0; i < l; i++)
			if ((unsigned char)s[i] < 0x20 || s[i] == '\\' || s[i] == 0x7f)
				return 0;
		if (e == NULL)
			break;
		s = e + 1;
	}
	return 1;
}

/* ------------------------------------------------------------ RECORD */

struct record_ent {
	char *path;
	char hash[65]; /* hex sha256, "" for none */
	int64_t size;  /* -1 when not given */
	int seen;
};

struct record {
	struct record_ent *v;
	size_t n;
};

static void
record_free(struct record *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].path);
	free(r->v);
	memset(r, 0, sizeof(*r));
}

static int
b64url_to_hex(const char *s, char hex[65])
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char out[33];
	size_t n = 0, len = strlen(s);
	uint32_t acc = 0;
	int bits = 0;

	if (len != 43)
		return -1;
	for (size_t i = 0; i < len; i++) {
		const char *p = strchr(al, s[i]);
		if (p == NULL || s[i] == '\0')
			return -1;
		acc = (acc << 6) | (uint32_t)(p - al);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	if (n != 32)
		return -1;
	ward_hex(out, 32, hex);
	return 0;
}

static void
hex_to_b64url(const char *hex, char out[44])
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char raw[32];
	size_t n = 0;

	(void)ward_unhex(hex, raw, 32, "digest");
	for (size_t i = 0; i < 32; i += 3) {
		uint32_t v = (uint32_t)raw[i] << 16;
		if (i + 1 < 32)
			v |= (uint32_t)raw[i + 1] << 8;
		if (i + 2 < 32)
			v |= raw[i + 2];
		out[n++] = al[(v >> 18) & 63];
		out[n++] = al[(v >> 12) & 63];
		if (i + 1 < 32)
			out[n++] = al[(v >> 6) & 63];
		if (i + 2 < 32)
			out[n++] = al[v & 63];
	}
	out[n] = '\0';
}

/* One CSV field (Python csv's default dialect: quotes doubled inside). */
static int
csv_field(const char **p, const char *end, struct ward_buf *out)
{
	const char *s = *p;

	out->len = 0;
	if (s < end && *s == '"') {
		s++;
		for (;;) {
			if (s >= end)
				return -1;
			if (*s == '"') {
				if (s + 1 < end && s[1] == '"') {
					if (ward_buf_append(out, "\"", 1) != 0)
						return -1;
					s += 2;
					continue;
				}
				s++;
				break;
			}
			if (ward_buf_append(out, s, 1) != 0)
				return -1;
			s++;
		}
	} else {
		while (s < end && *s != ',') {
			if (*s == '"')
				return -1;
			if (ward_buf_append(out, s, 1) != 0)
				return -1;
			s++;
		}
	}
	if (ward_buf_reserve(out, 1) != 0)
		return -1;
	out->data[out->len] = '\0';
	*p = s;
	return 0;
}

static int
record_parse(const char *data, size_t len, const char *what, struct record *r)
{
	const char *p = data, *end = data + len;
	struct ward_buf f = {0};
	size_t line = 0;

	if (memchr(data, '\0', len) != NULL)
		return ward_err(WARD_EINPUT, "%s: RECORD contains a NUL byte", what);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
		struct record_ent e = {.size = -1};
		struct record_ent *v;
		line++;
		if (le > p && le[-1] == '\r')
			le--;
		if (le == p) {
			p = nl ? nl + 1 : end;
			continue;
		}
		if (csv_field(&p, le, &f) != 0 || p >= le || *p++ != ',')
			goto bad;
		if ((e.path = ward_strdup((char *)f.data)) == NULL)
			goto oom;
		if (csv_field(&p, le, &f) != 0 || p >= le || *p++ != ',') {
			free(e.path);
			goto bad;
		}
		if (f.len > 0) {
			if (strncmp((char *)f.data, "sha256=", 7) != 0 ||
			    b64url_to_hex((char *)f.data + 7, e.hash) != 0) {
				ward_err(WARD_EINPUT,
					 "%s: RECORD line %zu: hash \"%.40s\" is not sha256=<43 "
					 "base64url characters>",
					 what, line, (char *)f.data);
				free(e.path);
				ward_buf_free(&f);
				return -1;
			}
		}
		if (csv_field(&p, le, &f) != 0 || p != le) {
			free(e.path);
			goto bad;
		}
		if (f.len > 0) {
			char *x;
			long long sz = strtoll((char *)f.data, &x, 10);
			if (*x || sz < 0 || !isdigit(f.data[0])) {
				free(e.path);
				goto bad;
			}
			e.size = sz;
		}
		if (r->n >= MAX_ENTRIES ||
		    (v = ward_realloc(r->v, (r->n + 1) * sizeof(*v))) == NULL) {
			free(e.path);
			goto oom;
		}
		r->v = v;
		r->v[r->n++] = e;
		p = nl ? nl + 1 : end;
	}
	ward_buf_free(&f);
	return 0;
bad:
	ward_buf_free(&f);
	return ward_err(WARD_EINPUT, "%s: RECORD line %zu is not path,hash,size", what, line);
oom:
	ward_buf_free(&f);
	return ward_err(WARD_EENV, "%s: out of memory", what);
}

static int
rec_cmp(const void *a, const void *b)
{
	return strcmp(((const struct record_ent *)a)->path, ((const struct record_ent *)b)->path);
}

static struct record_ent *
record_find(struct record *r, const char *path)
{
	struct record_ent key = {.path = (char *)path};
	return r->n ? bsearch(&key, r->v, r->n, sizeof(*r->v), rec_cmp) : NULL;
}

/* ------------------------------------------------------------ reading */

/* Read the current entry whole (small metadata files only). */
static int
read_entry(struct archive *a, const char *what, const char *path, struct ward_buf *out)
{
	char buf[1 << 14];
	la_ssize_t n;

	while ((n = archive_read_data(a, buf, sizeof(buf))) > 0) {
		if (out->len + (size_t)n > MAX_META)
			return ward_err(WARD_EINPUT, "%s: %s is larger than %u bytes", what, path,
					MAX_META);
		if (ward_buf_append(out, buf, (size_t)n) != 0)
			return -1;
	}
	if (n < 0)
		return ward_err(WARD_EINPUT, "%s: %s: %s", what, path, archive_error_string(a));
	return 0;
}

/* Hash the current entry, optionally writing it to fd.  With interp set,
 * a first line starting "#!python" is written as "#!<interp>" instead (what
 * pip does to scripts); the hash is always of the archive's bytes. */
static int
hash_entry(struct archive *a, const char *what, const char *path, int fd, const char *out_path,
	   char hex[65], uint64_t *size, const char *interp)
{
	struct sha256_ctx *c = sha256_new();
	char buf[1 << 16];
	uint8_t dig[32];
	la_ssize_t n;
	int first = 1, skipping = 0;

	*size = 0;
	if (c == NULL)
		return ward_err(WARD_EENV, "out of memory");
	while ((n = archive_read_data(a, buf, sizeof(buf))) > 0) {
		const char *p = buf;
		size_t len = (size_t)n;
		sha256_update(c, buf, len);
		*size += len;
		if (fd >= 0 && first && interp != NULL && len >= 8 &&
		    memcmp(buf, "#!python", 8) == 0) {
			if (ward_fd_write(fd, "#!", 2, out_path) != 0 ||
			    ward_fd_write(fd, interp, strlen(interp), out_path) != 0 ||
			    ward_fd_write(fd, "\n", 1, out_path) != 0)
				goto fail;
			skipping = 1;
		}
		first = 0;
		if (skipping) {
			const char *nl = memchr(p, '\n', len);
			if (nl == NULL)
				continue;
			skipping = 0;
			len -= (size_t)(nl + 1 - p);
			p = nl + 1;
		}
		if (fd >= 0 && ward_fd_write(fd, p, len, out_path) != 0)
			goto fail;
	}
	sha256_final(c, dig);
	sha256_free(c);
	if (n < 0)
		return ward_err(WARD_EINPUT, "%s: %s: %s", what, path, archive_error_string(a));
	ward_hex(dig, 32, hex);
	return 0;
fail:
	sha256_free(c);
	return -1;
}

/* ------------------------------------------------------------ layout */

static const char *const schemes[] = {"purelib", "platlib", "scripts", "headers", "data"};

/* Where an archive path goes, relative to the root; *is_script when it is
 * in .data/scripts.  NULL with an error for a path no scheme accepts. */
static char *
target_of(const char *path, const char *data_dir, const struct wheel_layout *lay, const char *dist,
	  const char *what, int *is_script)
{
	size_t dl = strlen(data_dir);

	*is_script = 0;
	if (strncmp(path, data_dir, dl) == 0 && path[dl] == '/') {
		const char *rest = path + dl + 1, *slash = strchr(rest, '/');
		size_t sl;
		if (slash == NULL || slash[1] == '\0')
			goto bad;
		sl = (size_t)(slash - rest);
		for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
			if (strlen(schemes[i]) != sl || strncmp(rest, schemes[i], sl) != 0)
				continue;
			switch (i) {
			case 0:
			case 1:
				return ward_asprintf("%s/%s", lay->purelib, slash + 1);
			case 2:
				if (strchr(slash + 1, '/') != NULL)
					goto bad;
				*is_script = 1;
				return ward_asprintf("%s/%s", lay->scripts, slash + 1);
			case 3:
				return ward_asprintf("%s/%s/%s", lay->headers, dist, slash + 1);
			default:
				return ward_asprintf("%s/%s", lay->data, slash + 1);
			}
		}
		ward_err(WARD_EINPUT,
			 "%s: %s: unknown scheme (purelib, platlib, scripts, headers, data)", what,
			 path);
		return NULL;
	}
	return ward_asprintf("%s/%s", lay->purelib, path);
bad:
	ward_err(WARD_EINPUT, "%s: %s is not a file of a scheme directory", what, path);
	return NULL;
}

/* path relative to base (both relative to the root, no trailing '/'),
 * for RECORD: "usr/local/bin/x" from site-packages is "../../../bin/x". */
static char *
relative_path(const char *path, const char *base)
{
	struct ward_buf b = {0};
	size_t bl = strlen(base), common = 0;

	if (strncmp(path, base, bl) == 0 && path[bl] == '/')
		return ward_strdup(path + bl + 1);
	for (size_t i = 0; path[i] && base[i] && path[i] == base[i]; i++)
		if (path[i] == '/')
			common = i + 1;
	for (const char *s = base + common; *s;) {
		const char *e = strchr(s, '/');
		ward_buf_puts(&b, "../");
		if (e == NULL)
			break;
		s = e + 1;
	}
	ward_buf_puts(&b, path + common);
	return ward_buf_steal(&b);
}

/* ------------------------------------------------------------ entry points */

static int
ident_path_ok(const char *s, size_t n)
{
	/* dotted identifiers: a.b.c */
	size_t i = 0;

	if (n == 0)
		return 0;
	while (i < n) {
		if (!(isalpha((unsigned char)s[i]) || s[i] == '_'))
			return 0;
		while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '_'))
			i++;
		if (i < n) {
			if (s[i] != '.' || i + 1 == n)
				return 0;
			i++;
		}
	}
	return 1;
}

struct entry_point {
	char *name, *module, *attr;
};

static void
entry_points_free(struct entry_point *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].module);
		free(v[i].attr);
	}
	free(v);
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* entry_points.txt: the [console_scripts] and [gui_scripts] sections. */
static int
entry_points_parse(char *text, const char *what, struct entry_point **out, size_t *n)
{
	int in_scripts = 0;
	char *save = NULL;

	*out = NULL;
	*n = 0;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *l = trim(line), *eq, *name, *val, *colon, *br;
		struct entry_point *v;
		if (*l == '\0' || *l == '#' || *l == ';')
			continue;
		if (*l == '[') {
			in_scripts = strcmp(l, "[console_scripts]") == 0 ||
				     strcmp(l, "[gui_scripts]") == 0;
			continue;
		}
		if (!in_scripts)
			continue;
		if ((eq = strchr(l, '=')) == NULL)
			return ward_err(WARD_EINPUT,
					"%s: entry_points.txt: \"%.80s\" is not name = value", what,
					l);
		*eq = '\0';
		name = trim(l);
		val = trim(eq + 1);
		if ((br = strchr(val, '[')) != NULL) /* [extras] */
			*br = '\0';
		val = trim(val);
		colon = strchr(val, ':');
		if (*name == '\0' || name[0] == '.' || strlen(name) > 200)
			goto bad_name;
		for (const char *c = name; *c; c++)
			if (!isalnum((unsigned char)*c) && strchr("._-", *c) == NULL)
				goto bad_name;
		if (colon == NULL || !ident_path_ok(val, (size_t)(colon - val)) ||
		    !ident_path_ok(colon + 1, strlen(colon + 1)))
			return ward_err(WARD_EINPUT,
					"%s: entry_points.txt: %s = %.80s is not module:attribute",
					what, name, val);
		for (size_t i = 0; i < *n; i++)
			if (strcmp((*out)[i].name, name) == 0)
				return ward_err(WARD_EINPUT, "%s: entry_points.txt: %s twice", what,
						name);
		if ((v = ward_realloc(*out, (*n + 1) * sizeof(*v))) == NULL)
			return -1;
		*out = v;
		v[*n].name = ward_strdup(name);
		v[*n].module = ward_strndup(val, (size_t)(colon - val));
		v[*n].attr = ward_strdup(colon + 1);
		(*n)++;
		if (v[*n - 1].name == NULL || v[*n - 1].module == NULL || v[*n - 1].attr == NULL)
			return -1;
		continue;
	bad_name:
		return ward_err(WARD_EINPUT, "%s: entry_points.txt: \"%.80s\" is not a script name",
				what, name);
	}
	return 0;
}

static char *
entry_script(const struct entry_point *e, const char *interpreter)
{
	const char *dot = strchr(e->attr, '.');
	size_t top = dot ? (size_t)(dot - e->attr) : strlen(e->attr);

	/* The launcher pip writes, for the image's interpreter. */
	return ward_asprintf(
		"#!%s\n"
		"# -*- coding: utf-8 -*-\n"
		"import re\n"
		"import sys\n"
		"from %s import %.*s\n"
		"if __name__ == '__main__':\n"
		"    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
		"    sys.exit(%s())\n",
		interpreter, e->module, (int)top, e->attr, e->attr);
}

/* ------------------------------------------------------------ install */

struct written {
	char *path; /* relative to the root */
	char sha256[65];
	uint64_t size;
};

static int
written_push(struct written **v, size_t *n, const char *path, const char *hex, uint64_t size)
{
	struct written *x = ward_realloc(*v, (*n + 1) * sizeof(*x));

	if (x == NULL)
		return -1;
	*v = x;
	x[*n].path = ward_strdup(path);
	snprintf(x[*n].sha256, sizeof(x[*n].sha256), "%s", hex ? hex : "");
	x[*n].size = size;
	(*n)++;
	return x[*n - 1].path ? 0 : -1;
}

static int
written_cmp(const void *a, const void *b)
{
	return strcmp(((const struct written *)a)->path, ((const struct written *)b)->path);
}

static int
sink_write(const struct wheel_sink *sink, const char *path, uint32_t mode, const void *data,
	   size_t len, struct written **w, size_t *nw)
{
	char hex[65];
	int fd = sink->create(sink->ctx, path, mode);

	if (fd < 0)
		return -1;
	if (ward_fd_write(fd, data, len, path) != 0) {
		close(fd);
		return -1;
	}
	if (close(fd) != 0)
		return ward_err_io(path, "write failed");
	sha256_hex(data, len, hex);
	return written_push(w, nw, path, hex, len);
}

/* The {name}-{version}.dist-info directory of the archive: exactly one,
 * of this package. */
static int
find_dist_info(int fd, const char *what, const struct wheel_pin *pin, char **dist_info)
{
	struct archive *a = zip_open(fd, what);
	struct archive_entry *e;
	int r, rc = -1;

	*dist_info = NULL;
	if (a == NULL)
		return -1;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *p = archive_entry_pathname_utf8(e), *slash;
		char top[512], name[256], norm[256];
		const char *dash;
		if (p == NULL || (slash = strchr(p, '/')) == NULL ||
		    (size_t)(slash - p) >= sizeof(top))
			continue;
		memcpy(top, p, (size_t)(slash - p));
		top[slash - p] = '\0';
		if (!ward_str_endswith(top, ".dist-info"))
			continue;
		if (*dist_info != NULL && strcmp(*dist_info, top) == 0)
			continue;
		if (*dist_info != NULL) {
			ward_err(WARD_EINPUT, "%s: two .dist-info directories (%s, %s)", what,
				 *dist_info, top);
			goto out;
		}
		dash = strchr(top, '-');
		if (dash == NULL || (size_t)(dash - top) >= sizeof(name)) {
			ward_err(WARD_EINPUT, "%s: %s is not {name}-{version}.dist-info", what,
				 top);
			goto out;
		}
		memcpy(name, top, (size_t)(dash - top));
		name[dash - top] = '\0';
		if (wheel_name_normalize(name, norm, sizeof(norm)) != 0 ||
		    strcmp(norm, pin->name) != 0) {
			ward_err(WARD_EINPUT, "%s: %s does not belong to %s", what, top, pin->name);
			goto out;
		}
		{
			char ver[128];
			size_t vl = strlen(dash + 1) - strlen(".dist-info");
			snprintf(ver, sizeof(ver), "%.*s", (int)vl, dash + 1);
			if (!wheel_version_eq(ver, pin->version)) {
				ward_err(WARD_EINPUT, "%s: %s is not version %s", what, top,
					 pin->version);
				goto out;
			}
		}
		if ((*dist_info = ward_strdup(top)) == NULL)
			goto out;
	}
	if (r != ARCHIVE_EOF) {
		ward_err(WARD_EINPUT, "%s: %s", what, archive_error_string(a));
		goto out;
	}
	if (*dist_info == NULL) {
		ward_err(WARD_EINPUT, "%s: no .dist-info directory", what);
		goto out;
	}
	rc = 0;
out:
	if (rc != 0) {
		free(*dist_info);
		*dist_info = NULL;
	}
	archive_read_free(a);
	return rc;
}

/* Pass 1: read RECORD, WHEEL, entry_points.txt and METADATA; check every
 * entry against RECORD without writing anything. */
static int
verify_pass(int fd, const char *what, const char *dist_info, struct record *rec,
	    struct ward_buf *wheel_file, struct ward_buf *entry_points, struct ward_buf *metadata)
{
	struct archive *a;
	struct archive_entry *e;
	struct ward_strv seen = {0};
	char record_path[600], buf[600];
	int r, rc = -1;

	snprintf(record_path, sizeof(record_path), "%s/RECORD", dist_info);
	/* RECORD first: it decides about every other entry. */
	if ((a = zip_open(fd, what)) == NULL)
		return -1;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *p = archive_entry_pathname_utf8(e);
		if (p != NULL && strcmp(p, record_path) == 0) {
			struct ward_buf b = {0};
			if (read_entry(a, what, p, &b) != 0 ||
			    record_parse(b.data ? (char *)b.data : "", b.len, what, rec) != 0) {
				ward_buf_free(&b);
				archive_read_free(a);
				return -1;
			}
			ward_buf_free(&b);
			break;
		}
	}
	archive_read_free(a);
	if (rec->v == NULL && r != ARCHIVE_OK)
		return ward_err(WARD_EINPUT, "%s: no %s", what, record_path);
	if (rec->n > 1)
		qsort(rec->v, rec->n, sizeof(*rec->v), rec_cmp);
	for (size_t i = 1; i < rec->n; i++)
		if (strcmp(rec->v[i - 1].path, rec->v[i].path) == 0)
			return ward_err(WARD_EINPUT, "%s: RECORD lists %s twice", what,
					rec->v[i].path);

	if ((a = zip_open(fd, what)) == NULL)
		return -1;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *p = archive_entry_pathname_utf8(e);
		mode_t type = archive_entry_filetype(e);
		struct record_ent *re;
		char hex[65];
		uint64_t size;
		if (p == NULL)
			p = "(a name that is not UTF-8)";
		if (!path_ok(p)) {
			ward_err(WARD_EINPUT,
				 "%s: entry \"%.200s\" escapes the install directory "
				 "(absolute, '..', or an odd character)",
				 what, p);
			goto out;
		}
		if (type == AE_IFDIR ||
		    (p[strlen(p) - 1] == '/' && type == AE_IFREG && archive_entry_size(e) == 0))
			continue;
		if (type != AE_IFREG) {
			ward_err(WARD_EINPUT, "%s: entry %.200s is a %s, not a regular file", what,
				 p, type == AE_IFLNK ? "symbolic link" : "special file");
			goto out;
		}
		if (ward_strv_contains(&seen, p)) {
			ward_err(WARD_EINPUT, "%s: entry %.200s appears twice", what, p);
			goto out;
		}
		if (seen.n < MAX_ENTRIES && ward_strv_push(&seen, p) != 0)
			goto out;
		if (strcmp(p, record_path) == 0 ||
		    (strncmp(p, record_path, strlen(record_path)) == 0 &&
		     (strcmp(p + strlen(record_path), ".jws") == 0 ||
		      strcmp(p + strlen(record_path), ".p7s") == 0))) {
			if ((re = record_find(rec, p)) != NULL)
				re->seen = 1;
			continue;
		}
		if ((re = record_find(rec, p)) == NULL) {
			ward_err(WARD_EINPUT, "%s: %.200s is not in RECORD", what, p);
			goto out;
		}
		re->seen = 1;
		if (re->hash[0] == '\0') {
			ward_err(WARD_EINPUT, "%s: RECORD has no hash for %.200s", what, p);
			goto out;
		}
		snprintf(buf, sizeof(buf), "%s/", dist_info);
		if (strcmp(p, buf) > 0 && strncmp(p, buf, strlen(buf)) == 0 &&
		    (strcmp(p + strlen(buf), "WHEEL") == 0 ||
		     strcmp(p + strlen(buf), "entry_points.txt") == 0 ||
		     strcmp(p + strlen(buf), "METADATA") == 0)) {
			struct ward_buf *dst = strcmp(p + strlen(buf), "WHEEL") == 0 ? wheel_file
					       : strcmp(p + strlen(buf), "METADATA") == 0
						       ? metadata
						       : entry_points;
			if (read_entry(a, what, p, dst) != 0)
				goto out;
			sha256_hex(dst->data ? dst->data : (const unsigned char *)"", dst->len,
				   hex);
			size = dst->len;
		} else if (hash_entry(a, what, p, -1, NULL, hex, &size, NULL) != 0) {
			goto out;
		}
		if (strcmp(hex, re->hash) != 0) {
			ward_err(WARD_EINPUT,
				 "%s: %.200s does not match RECORD (sha256 %s, RECORD says %s)",
				 what, p, hex, re->hash);
			goto out;
		}
		if (re->size >= 0 && (uint64_t)re->size != size) {
			ward_err(WARD_EINPUT, "%s: %.200s has %llu bytes, RECORD says %lld", what,
				 p, (unsigned long long)size, (long long)re->size);
			goto out;
		}
	}
	if (r != ARCHIVE_EOF) {
		ward_err(WARD_EINPUT, "%s: %s", what, archive_error_string(a));
		goto out;
	}
	for (size_t i = 0; i < rec->n; i++)
		if (!rec->v[i].seen && strcmp(rec->v[i].path, record_path) != 0) {
			ward_err(WARD_EINPUT, "%s: RECORD lists %.200s, which is not in the wheel",
				 what, rec->v[i].path);
			goto out;
		}
	if (wheel_file->len == 0) {
		ward_err(WARD_EINPUT, "%s: no %s/WHEEL", what, dist_info);
		goto out;
	}
	if (metadata->len == 0) {
		ward_err(WARD_EINPUT, "%s: no %s/METADATA", what, dist_info);
		goto out;
	}
	rc = 0;
out:
	ward_strv_free(&seen);
	archive_read_free(a);
	return rc;
}

static int
check_wheel_file(const struct ward_buf *b, const char *what)
{
	const char *p = b->data ? (const char *)b->data : "";
	const char *v = strstr(p, "Wheel-Version:");

	if (v == NULL || (v != p && v[-1] != '\n'))
		return ward_err(WARD_EINPUT, "%s: WHEEL has no Wheel-Version", what);
	v += 14;
	while (*v == ' ')
		v++;
	if (strncmp(v, "1.", 2) != 0)
		return ward_err(WARD_EINPUT, "%s: Wheel-Version %.*s is not supported (1.x)", what,
				(int)(strcspn(v, "\r\n") < 10 ? strcspn(v, "\r\n") : 10), v);
	return 0;
}

int
wheel_install(int fd, const struct wheel_pin *pin, const struct wheel_layout *lay,
	      const struct wheel_sink *sink, struct wheel_installed *out)
{
	char what[400], data_dir[600], record_path[600];
	struct record rec = {0};
	struct ward_buf wheel_file = {0}, eps = {0}, meta = {0}, text = {0};
	struct written *w = NULL;
	size_t nw = 0;
	struct entry_point *ep = NULL;
	size_t nep = 0;
	char *dist_info = NULL, *dist = NULL;
	struct archive *a = NULL;
	struct archive_entry *e;
	int r, rc = -1;

	memset(out, 0, sizeof(*out));
	snprintf(what, sizeof(what), "wheel %s", pin->filename);
	if (find_dist_info(fd, what, pin, &dist_info) != 0)
		return -1;
	snprintf(record_path, sizeof(record_path), "%s/RECORD", dist_info);
	snprintf(data_dir, sizeof(data_dir), "%.*s.data",
		 (int)(strlen(dist_info) - strlen(".dist-info")), dist_info);
	dist = ward_strndup(dist_info, strcspn(dist_info, "-"));
	if (dist == NULL || verify_pass(fd, what, dist_info, &rec, &wheel_file, &eps, &meta) != 0 ||
	    check_wheel_file(&wheel_file, what) != 0)
		goto out;
	if (eps.len > 0) {
		char *t = ward_buf_cstr(&eps);
		if (t == NULL || entry_points_parse(t, what, &ep, &nep) != 0)
			goto out;
	}

	/* Pass 2: write, hashing again. */
	if ((a = zip_open(fd, what)) == NULL)
		goto out;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *p = archive_entry_pathname_utf8(e);
		struct record_ent *re;
		char *dst, hex[65];
		uint64_t size;
		int is_script, ofd;
		uint32_t mode;
		if (archive_entry_filetype(e) != AE_IFREG || p[strlen(p) - 1] == '/' ||
		    strncmp(p, record_path, strlen(record_path)) == 0)
			continue;
		if ((dst = target_of(p, data_dir, lay, dist, what, &is_script)) == NULL)
			goto out;
		mode = is_script || (archive_entry_perm(e) & 0111) ? 0755 : 0644;
		if ((ofd = sink->create(sink->ctx, dst, mode)) < 0) {
			free(dst);
			goto out;
		}
		if (hash_entry(a, what, p, ofd, dst, hex, &size,
			       is_script ? lay->interpreter : NULL) != 0) {
			close(ofd);
			free(dst);
			goto out;
		}
		if (close(ofd) != 0) {
			ward_err_io(dst, "write failed");
			free(dst);
			goto out;
		}
		re = record_find(&rec, p);
		if (re == NULL || strcmp(hex, re->hash) != 0) {
			ward_err(WARD_EINPUT, "%s: %.200s changed between two reads", what, p);
			free(dst);
			goto out;
		}
		r = written_push(&w, &nw, dst, hex, size);
		free(dst);
		if (r != 0)
			goto out;
	}
	if (r != ARCHIVE_EOF) {
		ward_err(WARD_EINPUT, "%s: %s", what, archive_error_string(a));
		goto out;
	}
	/* Entry points: generated, never run. */
	for (size_t i = 0; i < nep; i++) {
		char *path = ward_asprintf("%s/%s", lay->scripts, ep[i].name);
		char *body = entry_script(&ep[i], lay->interpreter);
		int dup = 0;
		for (size_t k = 0; path && k < nw; k++)
			dup |= strcmp(w[k].path, path) == 0;
		if (dup) {
			ward_err(WARD_EINPUT,
				 "%s: entry point %s and a script of the wheel share a name", what,
				 ep[i].name);
			free(path);
			free(body);
			goto out;
		}
		r = path && body ? sink_write(sink, path, 0755, body, strlen(body), &w, &nw) : -1;
		free(path);
		free(body);
		if (r != 0)
			goto out;
	}
	{
		char *p = ward_asprintf("%s/%s/INSTALLER", lay->purelib, dist_info);
		r = p ? sink_write(sink, p, 0644, "ward\n", 5, &w, &nw) : -1;
		free(p);
		if (r != 0)
			goto out;
	}
	if (pin->direct && pin->url != NULL) {
		/* PEP 610: installed from a direct URL, not from an index. */
		json_t *j = json_pack("{s:s,s:{s:s}}", "url", pin->url, "archive_info", "hash", "");
		char *hash = ward_asprintf("sha256=%s", pin->sha256), *s = NULL;
		char *p = ward_asprintf("%s/%s/direct_url.json", lay->purelib, dist_info);
		if (j != NULL && hash != NULL)
			json_object_set_new(json_object_get(j, "archive_info"), "hash",
					    json_string(hash));
		s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		r = s && p ? sink_write(sink, p, 0644, s, strlen(s), &w, &nw) : -1;
		free(s);
		free(p);
		free(hash);
		json_decref(j);
		if (r != 0)
			goto out;
	}
	/* RECORD of what is installed, paths relative to site-packages. */
	qsort(w, nw, sizeof(*w), written_cmp);
	{
		char *rec_dst = ward_asprintf("%s/%s/RECORD", lay->purelib, dist_info);
		char *rel_rec = rec_dst ? relative_path(rec_dst, lay->purelib) : NULL;
		int done_self = 0;
		for (size_t i = 0; i < nw; i++) {
			char *rel = relative_path(w[i].path, lay->purelib), b64[44];
			if (rel == NULL)
				goto rec_fail;
			if (!done_self && rel_rec && strcmp(rel_rec, rel) < 0) {
				ward_buf_printf(&text, "%s,,\n", rel_rec);
				done_self = 1;
			}
			hex_to_b64url(w[i].sha256, b64);
			if (strchr(rel, ',') || strchr(rel, '"'))
				ward_buf_puts(&text, "\""), ward_buf_puts(&text, rel),
					ward_buf_puts(&text, "\"");
			else
				ward_buf_puts(&text, rel);
			ward_buf_printf(&text, ",sha256=%s,%llu\n", b64,
					(unsigned long long)w[i].size);
			free(rel);
		}
		if (!done_self && rel_rec)
			ward_buf_printf(&text, "%s,,\n", rel_rec);
		if (rec_dst == NULL || rel_rec == NULL || ward_buf_cstr(&text) == NULL)
			goto rec_fail;
		r = sink_write(sink, rec_dst, 0644, text.data, text.len, &w, &nw);
		free(rec_dst);
		free(rel_rec);
		if (r != 0)
			goto out;
		goto rec_ok;
	rec_fail:
		free(rec_dst);
		free(rel_rec);
		goto out;
	}
rec_ok:
	out->dist_info = ward_asprintf("%s/%s", lay->purelib, dist_info);
	out->metadata = ward_buf_steal(&meta);
	if (out->dist_info == NULL)
		goto out;
	for (size_t i = 0; i < nw; i++)
		if (ward_strv_push(&out->files, w[i].path) != 0)
			goto out;
	rc = 0;
out:
	if (rc != 0)
		wheel_installed_free(out);
	archive_read_free(a);
	for (size_t i = 0; i < nw; i++)
		free(w[i].path);
	free(w);
	entry_points_free(ep, nep);
	record_free(&rec);
	ward_buf_free(&wheel_file);
	ward_buf_free(&eps);
	ward_buf_free(&meta);
	ward_buf_free(&text);
	free(dist_info);
	free(dist);
	return rc;
}
