/* debfile.c: .deb files: ar container, control.tar.*, data.tar.* (libarchive).
 * Maintainer scripts are listed by name; nothing in a .deb is ever run. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "deb/deb_internal.h"

#define MAX_CONTROL_FILE (4u << 20)
#define MAX_MD5SUMS (64u << 20)
#define READ_CHUNK 65536

struct src {
	int fd;			  /* or -1 */
	const unsigned char *mem; /* or NULL */
	uint64_t size;
};

struct deb_file {
	char *what;
	struct src src;
	struct deb_ar_member *members;
	size_t nmembers;
	const struct deb_ar_member *control, *data;
	struct ward_buf control_text;
	struct deb_control control_parsed;
	struct ward_buf md5_text;
	struct deb_md5sum *md5;
	size_t nmd5;
	struct ward_strv conffiles, scripts;
	struct ward_buf script_text[5]; /* by index in scripts_known[] */
};

static const char *const scripts_known[] = {"preinst", "postinst", "prerm", "postrm", "config"};

static int
src_pread(const struct src *s, void *buf, size_t n, uint64_t off, const char *what)
{
	if (off > s->size || n > s->size - off)
		return ward_err(WARD_EINPUT, "%s: truncated", what);
	if (s->mem != NULL) {
		memcpy(buf, s->mem + off, n);
		return 0;
	}
	while (n > 0) {
		ssize_t r = pread(s->fd, buf, n, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return ward_err_io(what, "read failed");
		if (r == 0)
			return ward_err(WARD_EINPUT, "%s: truncated", what);
		buf = (char *)buf + r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

/* ------------------------------------------------------------ a member as a stream */

struct member_stream {
	const struct src *src;
	uint64_t pos, end;
	const char *what;
	unsigned char buf[READ_CHUNK];
};

static la_ssize_t
stream_read(struct archive *a, void *arg, const void **out)
{
	struct member_stream *m = arg;
	size_t n = m->end - m->pos > READ_CHUNK ? READ_CHUNK : (size_t)(m->end - m->pos);

	(void)a;
	if (n == 0)
		return 0;
	if (m->src->mem != NULL) {
		*out = m->src->mem + m->pos;
	} else {
		if (src_pread(m->src, m->buf, n, m->pos, m->what) != 0) {
			archive_set_error(a, EIO, "%s", ward_errmsg());
			return -1;
		}
		*out = m->buf;
	}
	m->pos += n;
	return (la_ssize_t)n;
}

static la_int64_t
stream_skip(struct archive *a, void *arg, la_int64_t request)
{
	struct member_stream *m = arg;
	uint64_t left = m->end - m->pos;
	uint64_t n = (uint64_t)request > left ? left : (uint64_t)request;

	(void)a;
	m->pos += n;
	return (la_int64_t)n;
}

static struct archive *
member_open(const struct src *src, const struct deb_ar_member *mem, const char *what,
	    struct member_stream **stream_out)
{
	struct member_stream *m = ward_calloc(1, sizeof(*m));
	struct archive *a = archive_read_new();

	if (m == NULL || a == NULL) {
		free(m);
		if (a != NULL)
			archive_read_free(a);
		ward_err(WARD_EENV, "out of memory");
		return NULL;
	}
	m->src = src;
	m->pos = mem->offset;
	m->end = mem->offset + mem->size;
	m->what = what;
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_filter_lzma(a);
	archive_read_support_format_tar(a);
	archive_read_set_callback_data(a, m);
	archive_read_set_read_callback(a, stream_read);
	archive_read_set_skip_callback(a, stream_skip);
	if (archive_read_open1(a) != ARCHIVE_OK) {
		ward_err(WARD_EINPUT, "%s: %s: %s", what, mem->name, archive_error_string(a));
		archive_read_free(a);
		free(m);
		return NULL;
	}
	*stream_out = m;
	return a;
}

/* ------------------------------------------------------------ control.tar */

static int
read_all(struct archive *a, size_t max, struct ward_buf *out, const char *what, const char *name)
{
	char buf[READ_CHUNK];

	for (;;) {
		la_ssize_t n = archive_read_data(a, buf, sizeof(buf));
		if (n < 0)
			return ward_err(WARD_EINPUT, "%s: %s: %s", what, name,
					archive_error_string(a));
		if (n == 0)
			break;
		if (out->len + (size_t)n > max)
			return ward_err(WARD_EINPUT, "%s: %s is too large", what, name);
		if (ward_buf_append(out, buf, (size_t)n) != 0)
			return -1;
	}
	ward_buf_cstr(out);
	return 0;
}

static const char *
strip_dot(const char *name)
{
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	while (name[0] == '/')
		name++;
	return name;
}

static int
parse_md5sums(struct deb_file *d)
{
	char *p = (char *)d->md5_text.data, *end = p + d->md5_text.len;
	size_t cap = 0;

	while (p != NULL && p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *path;
		if (nl != NULL)
			*nl = '\0';
		if (*p != '\0') {
			if (strlen(p) < 35 || strspn(p, "0123456789abcdef") != 32 || p[32] != ' ' ||
			    (p[33] != ' ' && p[33] != '*'))
				return ward_err(WARD_EINPUT, "%s: malformed md5sums line \"%.60s\"",
						d->what, p);
			p[32] = '\0';
			path = p + 34;
			if (ward_vec_reserve(&d->md5, &cap, d->nmd5 + 1, sizeof(*d->md5)) != 0)
				return -1;
			d->md5[d->nmd5].md5 = p;
			d->md5[d->nmd5].path = path;
			d->nmd5++;
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

static int
parse_lines(const struct ward_buf *b, struct ward_strv *out)
{
	const char *p = (const char *)b->data, *end = p ? p + b->len : NULL;

	while (p != NULL && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\r'))
			n--;
		if (n > 0 && ward_strv_push_owned(out, ward_strndup(p, n)) != 0)
			return -1;
		p = nl ? nl + 1 : end;
	}
	return 0;
}

static int
read_control(struct deb_file *d)
{
	struct member_stream *m = NULL;
	struct archive *a = member_open(&d->src, d->control, d->what, &m);
	struct archive_entry *e;
	struct ward_buf conf = {0};
	int rc = -1, r, have_md5 = 0;

	if (a == NULL)
		return -1;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = strip_dot(archive_entry_pathname(e));
		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		if (strcmp(name, "control") == 0) {
			if (d->control_text.len > 0 ||
			    read_all(a, MAX_CONTROL_FILE, &d->control_text, d->what, name) != 0)
				goto out;
		} else if (strcmp(name, "md5sums") == 0) {
			have_md5 = 1;
			if (read_all(a, MAX_MD5SUMS, &d->md5_text, d->what, name) != 0)
				goto out;
		} else if (strcmp(name, "conffiles") == 0) {
			if (read_all(a, MAX_CONTROL_FILE, &conf, d->what, name) != 0)
				goto out;
		} else {
			for (size_t i = 0; i < sizeof(scripts_known) / sizeof(scripts_known[0]);
			     i++)
				if (strcmp(name, scripts_known[i]) == 0 &&
				    (ward_strv_push(&d->scripts, name) != 0 ||
				     read_all(a, MAX_CONTROL_FILE, &d->script_text[i], d->what,
					      name) != 0))
					goto out;
		}
	}
	if (r != ARCHIVE_EOF) {
		ward_err(WARD_EINPUT, "%s: %s: %s", d->what, d->control->name,
			 archive_error_string(a));
		goto out;
	}
	if (d->control_text.len == 0) {
		ward_err(WARD_EINPUT, "%s: %s has no control file", d->what, d->control->name);
		goto out;
	}
	if (deb_control_parse((const char *)d->control_text.data, d->control_text.len, d->what,
			      &d->control_parsed) != 0)
		goto out;
	if (d->control_parsed.n != 1) {
		ward_err(WARD_EINPUT, "%s: the control file has %zu paragraphs, expected 1",
			 d->what, d->control_parsed.n);
		goto out;
	}
	if (have_md5 && parse_md5sums(d) != 0)
		goto out;
	rc = parse_lines(&conf, &d->conffiles);
out:
	ward_buf_free(&conf);
	archive_read_free(a);
	free(m);
	return rc;
}

/* ------------------------------------------------------------ opening */

static int
read_members(struct deb_file *d)
{
	unsigned char h[60];
	uint64_t off = 8;
	char magic[8];

	if (src_pread(&d->src, magic, 8, 0, d->what) != 0 || memcmp(magic, "!<arch>\n", 8) != 0)
		return ward_err(WARD_EINPUT, "%s: not a .deb (no ar header)", d->what);
	while (off < d->src.size) {
		struct deb_ar_member m;
		if (d->src.size - off < sizeof(h))
			return ward_err(WARD_EINPUT, "%s: truncated ar header at offset %ju",
					d->what, (uintmax_t)off);
		if (src_pread(&d->src, h, sizeof(h), off, d->what) != 0 ||
		    ar_header(h, off, d->src.size, d->what, &m) != 0)
			return -1;
		if (d->nmembers >= 64)
			return ward_err(WARD_EINPUT, "%s: too many ar members", d->what);
		if (ward_vec_grow(&d->members, d->nmembers, sizeof(*d->members)) != 0)
			return -1;
		d->members[d->nmembers++] = m;
		off = m.offset + m.size + (m.size & 1);
	}
	return 0;
}

static int
check_layout(struct deb_file *d)
{
	char ver[16] = {0};

	if (d->nmembers < 3 || strcmp(d->members[0].name, "debian-binary") != 0)
		return ward_err(WARD_EINPUT, "%s: not a .deb (first member is not debian-binary)",
				d->what);
	if (d->members[0].size < 4 || d->members[0].size > 12 ||
	    src_pread(&d->src, ver, (size_t)d->members[0].size, d->members[0].offset, d->what) != 0)
		return ward_err(WARD_EINPUT, "%s: malformed debian-binary", d->what);
	if (ver[0] != '2' || ver[1] != '.')
		return ward_err(WARD_EINPUT, "%s: unsupported .deb format version \"%.4s\"",
				d->what, ver);
	for (size_t i = 1; i < d->nmembers; i++) {
		const char *n = d->members[i].name;
		if (ward_str_startswith(n, "control.tar")) {
			if (d->control != NULL || d->data != NULL)
				return ward_err(WARD_EINPUT, "%s: misplaced %s", d->what, n);
			d->control = &d->members[i];
		} else if (ward_str_startswith(n, "data.tar")) {
			if (d->control == NULL || d->data != NULL)
				return ward_err(WARD_EINPUT, "%s: misplaced %s", d->what, n);
			d->data = &d->members[i];
		} else if (n[0] != '_') {
			return ward_err(WARD_EINPUT, "%s: unexpected ar member %s", d->what, n);
		}
	}
	if (d->control == NULL || d->data == NULL)
		return ward_err(WARD_EINPUT, "%s: missing %s", d->what,
				d->control ? "data.tar" : "control.tar");
	return 0;
}

static struct deb_file *
open_src(struct deb_file *d)
{
	if (read_members(d) != 0 || check_layout(d) != 0 || read_control(d) != 0) {
		deb_file_close(d);
		return NULL;
	}
	return d;
}

static struct deb_file *
new_file(const char *what)
{
	struct deb_file *d = ward_calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->src.fd = -1;
	if ((d->what = ward_strdup(what)) == NULL) {
		free(d);
		return NULL;
	}
	return d;
}

struct deb_file *
deb_file_open_fd(int fd, const char *what)
{
	struct deb_file *d = new_file(what);
	struct stat st;

	if (d == NULL)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		ward_err(WARD_EINPUT, "%s: not a regular file", what);
		deb_file_close(d);
		return NULL;
	}
	d->src.fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (d->src.fd < 0) {
		ward_errno(WARD_EENV, "%s: dup failed", what);
		deb_file_close(d);
		return NULL;
	}
	d->src.size = (uint64_t)st.st_size;
	return open_src(d);
}

struct deb_file *
deb_file_open(const char *path)
{
	/* a FIFO or a device named as a .deb is refused, never waited on */
	int fd = ward_input_open(path, 0, NULL);
	struct deb_file *d;

	if (fd < 0)
		return NULL;
	d = deb_file_open_fd(fd, path);
	close(fd);
	return d;
}

struct deb_file *
deb_file_open_mem(const void *data, size_t len, const char *what)
{
	struct deb_file *d = new_file(what);

	if (d == NULL)
		return NULL;
	d->src.mem = data ? data : (const unsigned char *)"";
	d->src.size = len;
	return open_src(d);
}

void
deb_file_close(struct deb_file *d)
{
	if (d == NULL)
		return;
	if (d->src.fd >= 0)
		close(d->src.fd);
	free(d->members);
	ward_buf_free(&d->control_text);
	deb_control_free(&d->control_parsed);
	ward_buf_free(&d->md5_text);
	free(d->md5);
	ward_strv_free(&d->conffiles);
	ward_strv_free(&d->scripts);
	for (size_t i = 0; i < sizeof(d->script_text) / sizeof(d->script_text[0]); i++)
		ward_buf_free(&d->script_text[i]);
	free(d->what);
	free(d);
}

const struct deb_para *
deb_file_control(const struct deb_file *d)
{
	return &d->control_parsed.paras[0];
}

const char *
deb_file_control_text(const struct deb_file *d)
{
	return (const char *)d->control_text.data;
}

const struct deb_md5sum *
deb_file_md5sums(const struct deb_file *d, size_t *n)
{
	*n = d->nmd5;
	return d->md5;
}

const struct ward_strv *
deb_file_conffiles(const struct deb_file *d)
{
	return &d->conffiles;
}

const struct ward_strv *
deb_file_scripts(const struct deb_file *d)
{
	return &d->scripts;
}

const char *
deb_file_script(const struct deb_file *d, const char *name, size_t *len)
{
	for (size_t i = 0; i < sizeof(scripts_known) / sizeof(scripts_known[0]); i++)
		if (strcmp(name, scripts_known[i]) == 0 && ward_strv_contains(&d->scripts, name)) {
			*len = d->script_text[i].len;
			return d->script_text[i].data ? (const char *)d->script_text[i].data : "";
		}
	*len = 0;
	return NULL;
}

const struct deb_ar_member *
deb_file_members(const struct deb_file *d, size_t *n)
{
	*n = d->nmembers;
	return d->members;
}

const char *
deb_file_data_member(const struct deb_file *d)
{
	return d->data->name;
}

/* ------------------------------------------------------------ data.tar */

struct deb_data {
	struct deb_file *d;
	struct archive *a;
	struct member_stream *m;
	char *name, *path, *link;
	int failed;
};

struct deb_data *
deb_data_open(struct deb_file *d)
{
	struct deb_data *it = ward_calloc(1, sizeof(*it));

	if (it == NULL)
		return NULL;
	it->d = d;
	it->a = member_open(&d->src, d->data, d->what, &it->m);
	if (it->a == NULL) {
		free(it);
		return NULL;
	}
	return it;
}

/* normalise: "./usr/bin/x" -> "usr/bin/x", "./" -> "."; NULL if unsafe. */
static char *
normalise(const char *name, const char *what)
{
	const char *p = strip_dot(name);
	size_t n = strlen(p);
	char *out;

	while (n > 0 && p[n - 1] == '/')
		n--;
	if (n == 0 &&
	    (strcmp(name, ".") == 0 || ward_str_startswith(name, "./") || strcmp(name, "/") == 0))
		return ward_strdup(".");
	out = ward_strndup(p, n);
	if (out != NULL && !ward_relpath_ok(out)) {
		ward_err(WARD_EINPUT, "%s: unsafe path \"%s\" in data.tar", what, name);
		free(out);
		return NULL;
	}
	return out;
}

int
deb_data_next(struct deb_data *it, struct deb_entry *e)
{
	struct archive_entry *ae;
	const char *name, *hl, *sl;
	int r;

	if (it->failed)
		return -1;
	free(it->name);
	free(it->path);
	free(it->link);
	it->name = it->path = it->link = NULL;
	memset(e, 0, sizeof(*e));
	r = archive_read_next_header(it->a, &ae);
	if (r == ARCHIVE_EOF)
		return 0;
	if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
		it->failed = 1;
		return ward_err(WARD_EINPUT, "%s: %s: %s", it->d->what, it->d->data->name,
				archive_error_string(it->a));
	}
	name = archive_entry_pathname(ae);
	if (name == NULL || (it->name = ward_strdup(name)) == NULL ||
	    (it->path = normalise(name, it->d->what)) == NULL)
		goto fail;
	e->name = it->name;
	e->path = it->path;
	e->mode = archive_entry_perm(ae) & 07777;
	e->uid = (uid_t)archive_entry_uid(ae);
	e->gid = (gid_t)archive_entry_gid(ae);
	e->uname = archive_entry_uname(ae) ? archive_entry_uname(ae) : "";
	e->gname = archive_entry_gname(ae) ? archive_entry_gname(ae) : "";
	e->mtime = archive_entry_mtime(ae);
	hl = archive_entry_hardlink(ae);
	sl = archive_entry_symlink(ae);
	if (hl != NULL) {
		e->type = DEB_ENTRY_HARDLINK;
		if ((it->link = normalise(hl, it->d->what)) == NULL)
			goto fail;
	} else {
		switch (archive_entry_filetype(ae)) {
		case AE_IFREG:
			e->type = DEB_ENTRY_FILE;
			e->size = (uint64_t)archive_entry_size(ae);
			break;
		case AE_IFDIR:
			e->type = DEB_ENTRY_DIR;
			break;
		case AE_IFLNK:
			e->type = DEB_ENTRY_SYMLINK;
			if (sl == NULL || (it->link = ward_strdup(sl)) == NULL)
				goto fail;
			break;
		case AE_IFCHR:
			e->type = DEB_ENTRY_CHAR;
			break;
		case AE_IFBLK:
			e->type = DEB_ENTRY_BLOCK;
			break;
		case AE_IFIFO:
			e->type = DEB_ENTRY_FIFO;
			break;
		default:
			ward_err(WARD_EINPUT, "%s: %s has an unsupported file type", it->d->what,
				 name);
			goto fail;
		}
	}
	if (e->type == DEB_ENTRY_CHAR || e->type == DEB_ENTRY_BLOCK) {
		e->rdev_major = (unsigned)archive_entry_rdevmajor(ae);
		e->rdev_minor = (unsigned)archive_entry_rdevminor(ae);
	}
	e->link = it->link;
	return 1;
fail:
	it->failed = 1;
	return -1;
}

ssize_t
deb_data_read(struct deb_data *it, void *buf, size_t n)
{
	la_ssize_t r;

	if (it->failed)
		return -1;
	r = archive_read_data(it->a, buf, n);
	if (r < 0) {
		it->failed = 1;
		return ward_err(WARD_EINPUT, "%s: %s: %s", it->d->what, it->d->data->name,
				archive_error_string(it->a));
	}
	return (ssize_t)r;
}

void
deb_data_close(struct deb_data *it)
{
	if (it == NULL)
		return;
	archive_read_free(it->a);
	free(it->m);
	free(it->name);
	free(it->path);
	free(it->link);
	free(it);
}
