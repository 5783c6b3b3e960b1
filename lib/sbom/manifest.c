/* manifest.c: the per-file manifest of a root filesystem ("software hash",
 * docs/formats/files-manifest.md): write, parse, and verify a tree. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sbom/sbom_internal.h"

#define MANIFEST_MAGIC "ward-files-manifest 1"

/* Escape a path or link target: backslash, TAB, LF and other control bytes
 * become \\, \t, \n, \xHH; a field that is exactly "-" is written \x2d. */
static int
put_escaped(struct ward_buf *b, const char *s, int lead_slash)
{
	if (lead_slash && ward_buf_puts(b, "/") != 0)
		return -1;
	if (!lead_slash && strcmp(s, "-") == 0)
		return ward_buf_puts(b, "\\x2d");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		int rc;
		if (*p == '\\')
			rc = ward_buf_puts(b, "\\\\");
		else if (*p == '\t')
			rc = ward_buf_puts(b, "\\t");
		else if (*p == '\n')
			rc = ward_buf_puts(b, "\\n");
		else if (*p < 0x20 || *p == 0x7f)
			rc = ward_buf_printf(b, "\\x%02x", *p);
		else
			rc = ward_buf_append(b, p, 1);
		if (rc != 0)
			return -1;
	}
	return 0;
}

char *
sbom_files_manifest(const struct sbom_catalog *c)
{
	struct ward_buf b = {0};
	const struct sbom_fileset *fs = &c->fs;

	if (ward_buf_printf(&b, "%s\nimage %s\nentries %zu\n", MANIFEST_MAGIC,
			    c->digest ? c->digest : "-", fs->n) != 0)
		goto fail;
	for (size_t i = 0; i < fs->n; i++) {
		const struct sbom_file *f = &fs->files[i];
		char hex[SHA256_HEX_LEN + 1] = "-";
		int rc;

		if (put_escaped(&b, f->path, 1) != 0)
			goto fail;
		if (f->type == SBOM_REG && f->hashed)
			ward_hex(f->sha256, SHA256_LEN, hex);
		if (f->type == SBOM_REG)
			rc = ward_buf_printf(&b, "\t%c\t%04o\t%u\t%u\t%" PRIu64 "\t%s\t", f->type,
					     f->mode, f->uid, f->gid, f->size, hex);
		else if (f->type == SBOM_CHAR || f->type == SBOM_BLOCK)
			rc = ward_buf_printf(&b, "\t%c\t%04o\t%u\t%u\t%u,%u\t-\t", f->type, f->mode,
					     f->uid, f->gid, f->dev_major, f->dev_minor);
		else
			rc = ward_buf_printf(&b, "\t%c\t%04o\t%u\t%u\t-\t-\t", f->type, f->mode,
					     f->uid, f->gid);
		if (rc != 0)
			goto fail;
		if (f->type == SBOM_SYMLINK ? put_escaped(&b, f->link, 0) : ward_buf_puts(&b, "-"))
			goto fail;
		if (ward_buf_puts(&b, "\n") != 0)
			goto fail;
	}
	return ward_buf_steal(&b);
fail:
	ward_buf_free(&b);
	return NULL;
}

char *
sbom_file_owners(const struct sbom_catalog *c)
{
	struct ward_buf b = {0};

	for (size_t i = 0; i < c->fs.n; i++) {
		const struct sbom_file *f = &c->fs.files[i];
		if (f->type != SBOM_REG)
			continue;
		if (put_escaped(&b, f->path, 1) != 0 ||
		    ward_buf_printf(&b, "\t%s\n", f->owner >= 0 ? c->comps[f->owner].ref : "-"))
			goto fail;
	}
	if (ward_buf_cstr(&b) == NULL && ward_buf_puts(&b, "") != 0)
		goto fail;
	return ward_buf_steal(&b);
fail:
	ward_buf_free(&b);
	return NULL;
}

/* ---------------------------------------------------------------- parse */

static int
hexdigit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Unescape [s, e) into a new string; NULL (error recorded) when malformed. */
static char *
unescape(const char *s, const char *e, const char *what, size_t line)
{
	char *out = ward_malloc((size_t)(e - s) + 1), *o = out;

	if (out == NULL)
		return NULL;
	while (s < e) {
		if (*s != '\\') {
			if ((unsigned char)*s < 0x20 || *s == 0x7f)
				goto bad;
			*o++ = *s++;
			continue;
		}
		if (e - s >= 2 && s[1] == '\\')
			*o++ = '\\', s += 2;
		else if (e - s >= 2 && s[1] == 't')
			*o++ = '\t', s += 2;
		else if (e - s >= 2 && s[1] == 'n')
			*o++ = '\n', s += 2;
		else if (e - s >= 4 && s[1] == 'x' && hexdigit(s[2]) >= 0 && hexdigit(s[3]) >= 0 &&
			 (hexdigit(s[2]) << 4 | hexdigit(s[3])) != 0) {
			*o++ = (char)(hexdigit(s[2]) << 4 | hexdigit(s[3]));
			s += 4;
		} else
			goto bad;
	}
	*o = '\0';
	return out;
bad:
	free(out);
	ward_err(WARD_EINPUT, "%s:%zu: bad escape or control byte", what, line);
	return NULL;
}

static int
parse_u32(const char *s, const char *e, int base, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;

	if (s == e || e - s > 12)
		return -1;
	for (; s < e; s++) {
		int d = *s - '0';
		if (d < 0 || d >= base)
			return -1;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	if (v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int
parse_u64(const char *s, const char *e, uint64_t *out)
{
	uint64_t v = 0;

	if (s == e || e - s > 19)
		return -1;
	for (; s < e; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

static int
parse_entry(const char *line, const char *end, const char *what, size_t lineno,
	    struct sbom_manifest_entry *e)
{
	const char *f[8], *fe[8], *p = line;
	int nf = 0;

	while (nf < 8) {
		const char *t = memchr(p, '\t', (size_t)(end - p));
		f[nf] = p;
		fe[nf] = t ? t : end;
		nf++;
		if (t == NULL)
			break;
		p = t + 1;
	}
	if (nf != 8 || memchr(f[7], '\t', (size_t)(end - f[7])) != NULL)
		return ward_err(WARD_EINPUT, "%s:%zu: expected 8 TAB-separated fields", what,
				lineno);
	if (fe[0] - f[0] < 2 || f[0][0] != '/')
		return ward_err(WARD_EINPUT, "%s:%zu: path must start with '/'", what, lineno);
	if ((e->path = unescape(f[0] + 1, fe[0], what, lineno)) == NULL)
		return -1;
	if (!ward_relpath_ok(e->path))
		return ward_err(WARD_EINPUT, "%s:%zu: path is not clean", what, lineno);
	if (fe[1] - f[1] != 1 || strchr("fdlcbps", f[1][0]) == NULL)
		return ward_err(WARD_EINPUT, "%s:%zu: unknown type", what, lineno);
	e->type = f[1][0];
	if (fe[2] - f[2] != 4 || parse_u32(f[2], fe[2], 8, 07777, &e->mode) != 0 ||
	    parse_u32(f[3], fe[3], 10, UINT32_MAX, &e->uid) != 0 ||
	    parse_u32(f[4], fe[4], 10, UINT32_MAX, &e->gid) != 0)
		return ward_err(WARD_EINPUT, "%s:%zu: bad mode, uid or gid", what, lineno);
	if (e->type == SBOM_REG) {
		if (parse_u64(f[5], fe[5], &e->size) != 0 || fe[6] - f[6] != SHA256_HEX_LEN)
			return ward_err(WARD_EINPUT, "%s:%zu: bad size or SHA-256", what, lineno);
		for (const char *h = f[6]; h < fe[6]; h++)
			if (hexdigit(*h) < 0)
				return ward_err(WARD_EINPUT, "%s:%zu: bad SHA-256", what, lineno);
		char hex[SHA256_HEX_LEN + 1];
		memcpy(hex, f[6], SHA256_HEX_LEN);
		hex[SHA256_HEX_LEN] = '\0';
		if (ward_unhex(hex, e->sha256, SHA256_LEN, what) != 0)
			return -1;
		e->hashed = 1;
	} else {
		if (e->type == SBOM_CHAR || e->type == SBOM_BLOCK) {
			const char *comma = memchr(f[5], ',', (size_t)(fe[5] - f[5]));
			if (comma == NULL ||
			    parse_u32(f[5], comma, 10, UINT32_MAX, &e->dev_major) != 0 ||
			    parse_u32(comma + 1, fe[5], 10, UINT32_MAX, &e->dev_minor) != 0)
				return ward_err(WARD_EINPUT, "%s:%zu: bad device numbers", what,
						lineno);
		} else if (fe[5] - f[5] != 1 || f[5][0] != '-')
			return ward_err(WARD_EINPUT, "%s:%zu: size must be \"-\"", what, lineno);
		if (fe[6] - f[6] != 1 || f[6][0] != '-')
			return ward_err(WARD_EINPUT, "%s:%zu: SHA-256 must be \"-\"", what, lineno);
	}
	if (e->type == SBOM_SYMLINK) {
		if (fe[7] == f[7] || (fe[7] - f[7] == 1 && f[7][0] == '-'))
			return ward_err(WARD_EINPUT, "%s:%zu: symlink without target", what,
					lineno);
		if ((e->link = unescape(f[7], fe[7], what, lineno)) == NULL)
			return -1;
	} else if (fe[7] - f[7] != 1 || f[7][0] != '-')
		return ward_err(WARD_EINPUT, "%s:%zu: link target must be \"-\"", what, lineno);
	return 0;
}

int
sbom_manifest_parse(const char *data, size_t len, const char *what, struct sbom_manifest *out)
{
	const char *p = data, *end = data + len;
	size_t lineno = 0, want = 0;

	memset(out, 0, sizeof(*out));
	if (memchr(data, '\0', len) != NULL)
		return ward_err(WARD_EINPUT, "%s: contains a NUL byte", what);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;

		lineno++;
		if (nl == NULL) {
			ward_err(WARD_EINPUT, "%s:%zu: last line has no newline (truncated?)", what,
				 lineno);
			goto fail;
		}
		if (lineno == 1) {
			if ((size_t)(le - p) != strlen(MANIFEST_MAGIC) ||
			    memcmp(p, MANIFEST_MAGIC, (size_t)(le - p)) != 0) {
				ward_err(WARD_EINPUT, "%s: not a ward files manifest", what);
				goto fail;
			}
		} else if (lineno == 2) {
			if (le - p < 7 || memcmp(p, "image ", 6) != 0) {
				ward_err(WARD_EINPUT, "%s:2: expected \"image <digest>\"", what);
				goto fail;
			}
			if (!(le - p == 7 && p[6] == '-')) {
				if (le - p != 6 + 7 + SHA256_HEX_LEN ||
				    memcmp(p + 6, "sha256:", 7)) {
					ward_err(WARD_EINPUT, "%s:2: bad image digest", what);
					goto fail;
				}
				if ((out->image = ward_strndup(p + 6, (size_t)(le - p - 6))) ==
				    NULL)
					goto fail;
			}
		} else if (lineno == 3) {
			uint64_t v;
			if (le - p < 9 || memcmp(p, "entries ", 8) != 0 ||
			    parse_u64(p + 8, le, &v) != 0 || v > len / 16 + 1) {
				ward_err(WARD_EINPUT, "%s:3: expected \"entries <count>\"", what);
				goto fail;
			}
			want = (size_t)v;
			if ((out->e = ward_calloc(want ? want : 1, sizeof(*out->e))) == NULL)
				goto fail;
		} else {
			if (out->n == want) {
				ward_err(WARD_EINPUT, "%s:%zu: more entries than the header's %zu",
					 what, lineno, want);
				goto fail;
			}
			if (parse_entry(p, le, what, lineno, &out->e[out->n]) != 0) {
				out->n++;
				goto fail;
			}
			out->n++;
			if (out->n > 1 &&
			    strcmp(out->e[out->n - 2].path, out->e[out->n - 1].path) >= 0) {
				ward_err(WARD_EINPUT, "%s:%zu: paths not sorted or repeated", what,
					 lineno);
				goto fail;
			}
		}
		p = nl + 1;
	}
	if (lineno < 3 || out->n != want) {
		ward_err(WARD_EINPUT, "%s: %zu entries, header says %zu (truncated?)", what, out->n,
			 want);
		goto fail;
	}
	return 0;
fail:
	sbom_manifest_free(out);
	return -1;
}

void
sbom_manifest_free(struct sbom_manifest *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->e[i].path);
		free(m->e[i].link);
	}
	free(m->e);
	free(m->image);
	memset(m, 0, sizeof(*m));
}

/* ---------------------------------------------------------------- verify */

const char *
sbom_diff_name(int kind)
{
	static const char *names[] = {"missing", "extra",   "type", "mode",  "owner",
				      "size",	 "content", "link", "device"};
	return kind >= 0 && kind <= SBOM_DIFF_DEVICE ? names[kind] : "unknown";
}

static int
add_diff(struct sbom_verify_result *r, const char *path, int kind, char *expected, char *actual)
{
	struct sbom_diff *d;

	if (ward_vec_grow(&r->d, r->n, sizeof(*r->d)) != 0)
		goto fail;
	d = &r->d[r->n];
	if ((d->path = ward_asprintf("/%s", path)) == NULL)
		goto fail;
	d->kind = kind;
	d->expected = expected;
	d->actual = actual;
	r->n++;
	return 0;
fail:
	free(expected);
	free(actual);
	return -1;
}

static int
compare_entry(struct sbom_verify_result *r, const struct sbom_manifest_entry *m,
	      const struct sbom_file *f, int flags)
{
	char a[SHA256_HEX_LEN + 1], b[SHA256_HEX_LEN + 1];

	if (m->type != f->type)
		return add_diff(r, m->path, SBOM_DIFF_TYPE, ward_asprintf("%c", m->type),
				ward_asprintf("%c", f->type));
	if (m->type == SBOM_DIR && (flags & SBOM_VERIFY_IGNORE_DIRS))
		return 0;
	if (!(flags & SBOM_VERIFY_IGNORE_MODE) && m->mode != f->mode &&
	    add_diff(r, m->path, SBOM_DIFF_MODE, ward_asprintf("%04o", m->mode),
		     ward_asprintf("%04o", f->mode)) != 0)
		return -1;
	if (!(flags & SBOM_VERIFY_IGNORE_OWNER) && (m->uid != f->uid || m->gid != f->gid) &&
	    add_diff(r, m->path, SBOM_DIFF_OWNER, ward_asprintf("%u:%u", m->uid, m->gid),
		     ward_asprintf("%u:%u", f->uid, f->gid)) != 0)
		return -1;
	switch (m->type) {
	case SBOM_REG:
		if (m->size != f->size)
			return add_diff(r, m->path, SBOM_DIFF_SIZE,
					ward_asprintf("%" PRIu64, m->size),
					ward_asprintf("%" PRIu64, f->size));
		if (!f->hashed || memcmp(m->sha256, f->sha256, SHA256_LEN) != 0) {
			ward_hex(m->sha256, SHA256_LEN, a);
			ward_hex(f->sha256, SHA256_LEN, b);
			return add_diff(r, m->path, SBOM_DIFF_CONTENT, ward_strdup(a),
					ward_strdup(f->hashed ? b : "unreadable"));
		}
		return 0;
	case SBOM_SYMLINK:
		if (strcmp(m->link, f->link) != 0)
			return add_diff(r, m->path, SBOM_DIFF_LINK, ward_strdup(m->link),
					ward_strdup(f->link));
		return 0;
	case SBOM_CHAR:
	case SBOM_BLOCK:
		if (m->dev_major != f->dev_major || m->dev_minor != f->dev_minor)
			return add_diff(r, m->path, SBOM_DIFF_DEVICE,
					ward_asprintf("%u,%u", m->dev_major, m->dev_minor),
					ward_asprintf("%u,%u", f->dev_major, f->dev_minor));
		return 0;
	default:
		return 0;
	}
}

int
sbom_files_verify(const char *manifest_path, const char *rootfs, int flags, int threads,
		  struct ward_progress *progress, struct sbom_verify_result *result)
{
	struct sbom_verify_result local = {0}, *r = result ? result : &local;
	struct ward_buf text = {0};
	struct sbom_manifest m = {0};
	struct sbom_fileset fs = {0};
	size_t i = 0, j = 0;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (ward_file_read(manifest_path, 1ull << 31, &text) != 0 ||
	    sbom_manifest_parse((char *)text.data, text.len, manifest_path, &m) != 0 ||
	    fileset_walk(rootfs, &fs) != 0)
		goto out;
	/* Hash only what can match: regular on both sides with equal sizes. */
	for (i = j = 0; i < m.n && j < fs.n;) {
		int c = strcmp(m.e[i].path, fs.files[j].path);
		if (c == 0 && !(m.e[i].type == SBOM_REG && fs.files[j].type == SBOM_REG &&
				m.e[i].size == fs.files[j].size))
			fs.files[j].type = fs.files[j].type == SBOM_REG ? 'F' : fs.files[j].type;
		else if (c > 0 && fs.files[j].type == SBOM_REG)
			fs.files[j].type = 'F';
		i += c <= 0;
		j += c >= 0;
	}
	for (; j < fs.n; j++)
		if (fs.files[j].type == SBOM_REG)
			fs.files[j].type = 'F';
	if (fileset_hash(&fs, threads, progress, &r->bytes) != 0 &&
	    ward_errkind() != WARD_EVERIFY) {
		/* An unreadable file is reported as a content difference below. */
		ward_err_clear();
	}
	for (j = 0; j < fs.n; j++)
		if (fs.files[j].type == 'F')
			fs.files[j].type = SBOM_REG;
	for (i = j = 0; i < m.n || j < fs.n;) {
		int c = i == m.n ? 1 : j == fs.n ? -1 : strcmp(m.e[i].path, fs.files[j].path);
		int e;
		if (c < 0)
			e = add_diff(r, m.e[i].path, SBOM_DIFF_MISSING, NULL, NULL);
		else if (c > 0)
			e = add_diff(r, fs.files[j].path, SBOM_DIFF_EXTRA, NULL, NULL);
		else
			e = compare_entry(r, &m.e[i], &fs.files[j], flags);
		if (e != 0)
			goto out;
		if (c <= 0)
			r->checked++;
		i += c <= 0;
		j += c >= 0;
	}
	if (r->n > 0) {
		ward_err(WARD_EVERIFY, "%s: %zu difference%s from %s, first: %s %s", rootfs, r->n,
			 r->n == 1 ? "" : "s", manifest_path, sbom_diff_name(r->d[0].kind),
			 r->d[0].path);
		goto out;
	}
	rc = 0;
out:
	ward_buf_free(&text);
	sbom_manifest_free(&m);
	fileset_free(&fs);
	if (result == NULL)
		sbom_verify_result_free(&local);
	return rc;
}

void
sbom_verify_result_free(struct sbom_verify_result *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->d[i].path);
		free(r->d[i].expected);
		free(r->d[i].actual);
	}
	free(r->d);
	memset(r, 0, sizeof(*r));
}
