/* unpacked.c: the unpacked-package cache, <cache>/unpacked/<sha256>/.
 *
 * Unpacking is mostly xz: for examples/torch-serve about 20 s of CPU of a
 * 35 s build, paid again whenever the package layers are not in the layer
 * cache (one package changed, another spec over the same packages).  So
 * the first build that unpacks a .deb also keeps what it read, under the
 * .deb's SHA-256:
 *
 *   index      one line per data.tar entry, in archive order:
 *                e TYPE MODE UID GID SIZE SHA256|- PATH [LINK]
 *              (TYPE f file, d directory, l symlink, h hard link, c b p
 *              device or FIFO; MODE octal; PATH and LINK with bytes below
 *              0x21, 0x7f and '\' written \xHH), "meta NAME SIZE SHA256"
 *              lines for m-NAME, and last "end N SHA256" (N entries, the
 *              digest of every byte before this line)
 *   f<K>       the contents of the regular file on entry line K (from 0)
 *   m-NAME     control, postinst, md5sums, conffiles: what the build keeps
 *              of control.tar, as it keeps it
 *
 * The tree holds the .deb's data as shipped -- every entry, dropped docs
 * included, modes with setuid bits, paths before merged /usr -- so it does
 * not depend on the spec: unpack.c applies the drop rules, merged /usr and
 * setuid clearing to it exactly as to the .deb's entries.
 *
 * Trust is the .debs' (every use re-hashes them): the index's last line
 * checks the index, and every file's size and SHA-256 are checked before
 * the first byte of the package is staged; the staged entries then carry
 * those digests, which the layers check again while writing.  A damaged
 * tree (a file missing, short or changed, a malformed index) is a miss:
 * reported as a warning, removed, and the .deb unpacked and recorded
 * again.  A tree is written in a locked temporary directory beside its
 * name and renamed into place, so an interrupted build never leaves a
 * partial tree under the final name and two builds filling the same tree
 * keep one.  Recording is best effort: when the cache cannot be written
 * (a full disk) the build goes on without it.  Any tree may be deleted at
 * any time. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/build_internal.h"

#define UNPACKED_FORMAT "ward-unpacked 1"
#define INDEX_MAX (256u << 20)
#define META_MAX (64u << 20)

static const char *const meta_names[UNPACKED_NMETA] = {"control", "postinst", "md5sums",
						       "conffiles"};

char *
unpacked_dir(const char *cache, const char *sha256)
{
	return ward_asprintf("%s/unpacked/%s", cache, sha256);
}

/* ------------------------------------------------------------ escaping */

static int
plain_byte(unsigned char c)
{
	return c > 0x20 && c != 0x7f && c != '\\';
}

static int
put_escaped(struct ward_buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (plain_byte(*p) ? ward_buf_append(b, p, 1) : ward_buf_printf(b, "\\x%02x", *p))
			return -1;
	return 0;
}

/* Decode in place; 0, or -1 for a malformed escape or a byte that should
 * have been escaped. */
static int
unescape(char *s)
{
	char *o = s;

	for (char *p = s; *p; p++) {
		unsigned char c;
		char two[3];
		if (*p != '\\') {
			if (!plain_byte((unsigned char)*p))
				return -1;
			*o++ = *p;
			continue;
		}
		if (p[1] != 'x' || p[2] == '\0' || p[3] == '\0')
			return -1;
		two[0] = p[2];
		two[1] = p[3];
		two[2] = '\0';
		if (ward_unhex(two, &c, 1, "index") != 0 || c == 0)
			return -1;
		*o++ = (char)c;
		p += 3;
	}
	*o = '\0';
	return 0;
}

/* ------------------------------------------------------------ reading */

struct unpacked_ent {
	struct deb_entry e;
	char sha256[65]; /* regular files */
};

struct unpacked {
	char *dir;
	int dfd;
	char *index; /* the whole index, NUL-terminated; fields point into it */
	struct unpacked_ent *v;
	size_t n, pos;
	char *meta[UNPACKED_NMETA];
	char what[256];
};

static int
is_hex64(const char *s)
{
	unsigned char d[32];

	return strlen(s) == 64 && ward_unhex(s, d, sizeof(d), "index") == 0;
}

/* Split line at spaces into at most max fields; the count. */
static size_t
fields(char *line, char **f, size_t max)
{
	size_t n = 0;

	for (char *s = line; n < max;) {
		f[n++] = s;
		s = strchr(s, ' ');
		if (s == NULL)
			break;
		*s++ = '\0';
	}
	return n;
}

static int
parse_u64(const char *s, int base, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s == '\0' || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Read a file of the tree into a fresh string, checking size and digest. */
static char *
read_member(struct unpacked *u, const char *name, uint64_t size, const char *sha256)
{
	struct ward_buf b = {0};
	char hex[65];
	int fd = openat(u->dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		ward_err(WARD_EINPUT, "%s: %s: missing", u->dir, name);
		return NULL;
	}
	if (ward_fd_read_all(fd, name, META_MAX, &b) != 0) {
		close(fd);
		return NULL;
	}
	close(fd);
	sha256_hex(b.data ? (const void *)b.data : "", b.len, hex);
	if (b.len != size || strcmp(hex, sha256) != 0) {
		ward_buf_free(&b);
		ward_err(WARD_EINPUT, "%s: %s: contents differ from the index", u->dir, name);
		return NULL;
	}
	return b.data ? ward_buf_steal(&b) : ward_strdup("");
}

static int
parse_entry(struct unpacked *u, char *line, size_t k)
{
	struct unpacked_ent *x = &u->v[k];
	char *f[10] = {0};
	size_t nf = fields(line, f, 10);
	uint64_t mode, uid, gid, size;
	static const char types[] = "fdlhcbp";
	static const int deb_types[] = {DEB_ENTRY_FILE,	    DEB_ENTRY_DIR,  DEB_ENTRY_SYMLINK,
					DEB_ENTRY_HARDLINK, DEB_ENTRY_CHAR, DEB_ENTRY_BLOCK,
					DEB_ENTRY_FIFO};
	const char *t;

	if (nf < 8 || nf > 9 || strcmp(f[0], "e") != 0 || strlen(f[1]) != 1 ||
	    (t = strchr(types, f[1][0])) == NULL || parse_u64(f[2], 8, 07777, &mode) != 0 ||
	    parse_u64(f[3], 10, UINT32_MAX, &uid) != 0 ||
	    parse_u64(f[4], 10, UINT32_MAX, &gid) != 0 ||
	    parse_u64(f[5], 10, UINT64_MAX / 2, &size) != 0 || unescape(f[7]) != 0 ||
	    !ward_relpath_ok(f[7]) || (nf == 9 && unescape(f[8]) != 0))
		return -1;
	memset(x, 0, sizeof(*x));
	x->e.type = deb_types[t - types];
	x->e.name = x->e.path = f[7];
	x->e.mode = (mode_t)mode;
	x->e.uid = (uid_t)uid;
	x->e.gid = (gid_t)gid;
	x->e.uname = x->e.gname = "";
	x->e.size = size;
	x->e.link = nf == 9 ? f[8] : NULL;
	if (x->e.type == DEB_ENTRY_FILE) {
		if (!is_hex64(f[6]))
			return -1;
		memcpy(x->sha256, f[6], 65);
	} else if (strcmp(f[6], "-") != 0 || size != 0) {
		return -1;
	}
	if ((x->e.type == DEB_ENTRY_SYMLINK || x->e.type == DEB_ENTRY_HARDLINK) !=
	    (x->e.link != NULL && x->e.link[0] != '\0'))
		return -1;
	if (x->e.type == DEB_ENTRY_HARDLINK && !ward_relpath_ok(x->e.link))
		return -1;
	return 0;
}

static int
parse_index(struct unpacked *u, size_t len)
{
	char *end_line, *p, *f[4] = {0}, hex[65];
	size_t k = 0;
	uint64_t n;

	/* the last line: "end N SHA256" over everything before it */
	if (len < 2 || u->index[len - 1] != '\n')
		return -1;
	u->index[len - 1] = '\0';
	end_line = strrchr(u->index, '\n');
	end_line = end_line ? end_line + 1 : u->index;
	sha256_hex(u->index, (size_t)(end_line - u->index), hex);
	/* an entry line is at least 16 bytes: no count beyond that is
	 * believed (nor allocated for) */
	if (fields(end_line, f, 4) != 3 || strcmp(f[0], "end") != 0 ||
	    parse_u64(f[1], 10, len / 16, &n) != 0 || strcmp(f[2], hex) != 0)
		return -1;
	end_line[0] = '\0';
	/* the first line names the format */
	p = strchr(u->index, '\n');
	if (p == NULL || (size_t)(p - u->index) != strlen(UNPACKED_FORMAT) ||
	    strncmp(u->index, UNPACKED_FORMAT, strlen(UNPACKED_FORMAT)) != 0)
		return -1;
	u->v = ward_calloc(n ? n : 1, sizeof(*u->v));
	if (u->v == NULL)
		return -1;
	for (char *line = p + 1; *line; line = p + 1) {
		if ((p = strchr(line, '\n')) == NULL)
			return -1;
		*p = '\0';
		if (strncmp(line, "e ", 2) == 0) {
			if (k >= n || parse_entry(u, line, k) != 0)
				return -1;
			k++;
		} else if (strncmp(line, "meta ", 5) == 0) {
			char *m[5] = {0}, name[64];
			uint64_t size;
			int i;
			if (fields(line, m, 5) != 4 || parse_u64(m[2], 10, META_MAX, &size) != 0 ||
			    !is_hex64(m[3]))
				return -1;
			for (i = 0; i < UNPACKED_NMETA && strcmp(m[1], meta_names[i]) != 0; i++)
				;
			if (i == UNPACKED_NMETA || u->meta[i] != NULL)
				return -1;
			snprintf(name, sizeof(name), "m-%s", meta_names[i]);
			if ((u->meta[i] = read_member(u, name, size, m[3])) == NULL)
				return -2;
		} else {
			return -1;
		}
	}
	u->n = k;
	return k == n && u->meta[0] != NULL ? 0 : -1;
}

/* Every regular file: present, its size, its SHA-256. */
static int
verify_files(struct unpacked *u)
{
	for (size_t k = 0; k < u->n; k++) {
		const struct unpacked_ent *x = &u->v[k];
		char name[32], hex[65];
		uint64_t got = 0;
		struct stat st;
		int fd, rc;
		if (x->e.type != DEB_ENTRY_FILE)
			continue;
		snprintf(name, sizeof(name), "f%zu", k);
		fd = openat(u->dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
		    (uint64_t)st.st_size != x->e.size) {
			if (fd >= 0)
				close(fd);
			return ward_err(WARD_EINPUT, "%s/%s (/%s): %s", u->dir, name, x->e.path,
					fd < 0 ? "missing" : "not the size in the index");
		}
		rc = sha256_fd_hex(fd, name, hex, &got);
		close(fd);
		if (rc != 0)
			return -1;
		if (got != x->e.size || strcmp(hex, x->sha256) != 0)
			return ward_err(WARD_EINPUT, "%s/%s (/%s): contents differ from the index",
					u->dir, name, x->e.path);
	}
	return 0;
}

/* Move a damaged tree out of the way and remove it (another build may
 * have done so already: nothing to report then). */
static void
discard(const char *dir)
{
	struct ward_error saved;
	char *tmp;

	ward_err_save(&saved);
	tmp = ward_tmp_sibling(dir);
	if (tmp != NULL && rename(dir, tmp) == 0)
		ward_rm_rf(tmp);
	free(tmp);
	ward_err_restore(&saved);
}

int
unpacked_open(const char *cache, const struct deb_lock_pkg *p, struct unpacked **out)
{
	struct unpacked *u = ward_calloc(1, sizeof(*u));
	struct ward_buf b = {0};
	int fd, r;

	*out = NULL;
	if (u == NULL)
		return -1;
	u->dfd = -1;
	snprintf(u->what, sizeof(u->what), "%s %s", p->name, p->version);
	if ((u->dir = unpacked_dir(cache, p->sha256)) == NULL)
		goto fail;
	u->dfd = open(u->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (u->dfd < 0) {
		unpacked_close(u);
		return 0; /* not cached */
	}
	fd = openat(u->dfd, "index", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		ward_err(WARD_EINPUT, "%s: no index", u->dir);
		goto damaged;
	}
	r = ward_fd_read_all(fd, "index", INDEX_MAX, &b);
	close(fd);
	if (r != 0)
		goto damaged;
	u->index = (char *)ward_buf_steal(&b);
	r = u->index ? parse_index(u, strlen(u->index)) : -1;
	if (r == -1)
		ward_err(WARD_EINPUT, "%s/index: malformed", u->dir);
	if (r != 0 || verify_files(u) != 0)
		goto damaged;
	*out = u;
	return 1;
damaged:
	ward_warn("unpacked-package cache of %s is damaged (%s): unpacking the .deb again", u->what,
		  ward_errmsg());
	ward_err_clear();
	discard(u->dir);
	unpacked_close(u);
	return 0;
fail:
	unpacked_close(u);
	return -1;
}

const char *
unpacked_meta(const struct unpacked *u, enum unpacked_meta_kind k)
{
	return u->meta[k];
}

int
unpacked_next(struct unpacked *u, struct deb_entry *e, const char **sha256)
{
	if (u->pos >= u->n)
		return 0;
	*e = u->v[u->pos].e;
	*sha256 = u->v[u->pos].sha256;
	u->pos++;
	return 1;
}

/* The current file's contents into fd: in the kernel where it can
 * (copy_file_range: a reflink on btrfs/XFS), else read and write. */
int
unpacked_copy(struct unpacked *u, int fd, const char *what)
{
	const struct unpacked_ent *x = &u->v[u->pos - 1];
	char name[32], buf[1 << 16];
	uint64_t left = x->e.size;
	struct stat st;
	int in, rc = 0;

	snprintf(name, sizeof(name), "f%zu", u->pos - 1);
	in = openat(u->dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0 || fstat(in, &st) != 0 || (uint64_t)st.st_size != x->e.size) {
		if (in >= 0)
			close(in);
		return ward_err(WARD_EENV, "%s/%s: changed while read", u->dir, name);
	}
	while (left > 0) {
		ssize_t n =
			copy_file_range(in, NULL, fd, NULL, left > (1u << 30) ? 1u << 30 : left, 0);
		if (n > 0) {
			left -= (uint64_t)n;
			continue;
		}
		if (n == 0) {
			rc = ward_err(WARD_EENV, "%s/%s: changed while read", u->dir, name);
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP &&
		    errno != EPERM) {
			rc = ward_err_io(what, "write failed");
			break;
		}
		/* no in-kernel copy here: the plain way, from where it stopped */
		while (left > 0) {
			ssize_t r = ward_fd_read(in, buf, sizeof(buf), name);
			if (r <= 0) {
				rc = r < 0 ? -1
					   : ward_err(WARD_EENV, "%s/%s: changed while read",
						      u->dir, name);
				break;
			}
			if (ward_fd_write(fd, buf, (size_t)r, what) != 0) {
				rc = -1;
				break;
			}
			left -= (uint64_t)r;
		}
		break;
	}
	close(in);
	return rc;
}

void
unpacked_close(struct unpacked *u)
{
	if (u == NULL)
		return;
	if (u->dfd >= 0)
		close(u->dfd);
	for (int i = 0; i < UNPACKED_NMETA; i++)
		free(u->meta[i]);
	free(u->v);
	free(u->index);
	free(u->dir);
	free(u);
}

/* ------------------------------------------------------------ recording */

struct unpacked_rec {
	char *final, *tmp;
	int dfd;
	struct ward_buf idx;
	size_t n;
};

struct unpacked_rec *
unpacked_rec_begin(const char *cache, const struct deb_lock_pkg *p)
{
	struct unpacked_rec *r = ward_calloc(1, sizeof(*r));
	struct ward_error saved;

	if (r == NULL)
		return NULL;
	ward_err_save(&saved);
	r->dfd = -1;
	if ((r->final = unpacked_dir(cache, p->sha256)) == NULL)
		goto fail;
	ward_remove_stale_siblings(r->final);
	if ((r->dfd = ward_tmp_mkdir(r->final, &r->tmp)) < 0)
		goto fail;
	ward_buf_printf(&r->idx, "%s\n", UNPACKED_FORMAT);
	ward_err_restore(&saved);
	return r;
fail:
	ward_warn("unpacked-package cache: cannot record %s %s (%s): going on without", p->name,
		  p->version, ward_errmsg());
	ward_err_restore(&saved);
	unpacked_rec_abort(r);
	return NULL;
}

int
unpacked_rec_meta(struct unpacked_rec *r, enum unpacked_meta_kind k, const char *text)
{
	char name[64], hex[65];
	size_t len;
	int fd, rc;

	if (text == NULL)
		return 0;
	len = strlen(text);
	snprintf(name, sizeof(name), "m-%s", meta_names[k]);
	fd = openat(r->dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
	if (fd < 0)
		return ward_err_io(r->tmp, "cannot create a file in");
	rc = ward_fd_write(fd, text, len, name);
	if (close(fd) != 0 && rc == 0)
		rc = ward_err_io(name, "write failed");
	sha256_hex(text, len, hex);
	ward_buf_printf(&r->idx, "meta %s %zu %s\n", meta_names[k], len, hex);
	return rc;
}

int
unpacked_rec_file(struct unpacked_rec *r)
{
	char name[32];
	int fd;

	snprintf(name, sizeof(name), "f%zu", r->n);
	fd = openat(r->dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
	if (fd < 0)
		return ward_err_io(r->tmp, "cannot create a file in");
	return fd;
}

int
unpacked_rec_entry(struct unpacked_rec *r, const struct deb_entry *e, const char *sha256)
{
	static const char types[] = {
		[DEB_ENTRY_FILE] = 'f',	    [DEB_ENTRY_DIR] = 'd',  [DEB_ENTRY_SYMLINK] = 'l',
		[DEB_ENTRY_HARDLINK] = 'h', [DEB_ENTRY_CHAR] = 'c', [DEB_ENTRY_BLOCK] = 'b',
		[DEB_ENTRY_FIFO] = 'p'};
	char t = e->type >= 0 && (size_t)e->type < sizeof(types) ? types[e->type] : '\0';
	int file = e->type == DEB_ENTRY_FILE;

	if (t == '\0')
		return ward_err(WARD_EINPUT, "/%s: an entry of unknown type", e->path);
	ward_buf_printf(&r->idx, "e %c %o %u %u %llu %s ", t, (unsigned)(e->mode & 07777),
			(unsigned)e->uid, (unsigned)e->gid,
			(unsigned long long)(file ? e->size : 0), file ? sha256 : "-");
	put_escaped(&r->idx, e->path);
	if ((e->type == DEB_ENTRY_SYMLINK || e->type == DEB_ENTRY_HARDLINK) && e->link != NULL &&
	    e->link[0] != '\0') {
		ward_buf_printf(&r->idx, " ");
		put_escaped(&r->idx, e->link);
	}
	ward_buf_printf(&r->idx, "\n");
	r->n++;
	return ward_buf_check(&r->idx);
}

int
unpacked_rec_commit(struct unpacked_rec *r)
{
	char hex[65];
	int fd, rc = -1;

	if (ward_buf_check(&r->idx) != 0)
		goto out;
	sha256_hex(r->idx.data, r->idx.len, hex);
	if (ward_buf_printf(&r->idx, "end %zu %s\n", r->n, hex) != 0)
		goto out;
	fd = openat(r->dfd, "index", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
	if (fd < 0) {
		ward_err_io(r->tmp, "cannot create a file in");
		goto out;
	}
	rc = ward_fd_write(fd, r->idx.data, r->idx.len, "index");
	if (close(fd) != 0 && rc == 0)
		rc = ward_err_io("index", "write failed");
	if (rc == 0 && rename(r->tmp, r->final) != 0) {
		/* another build recorded the same .deb first: keep that one */
		if (errno != EEXIST && errno != ENOTEMPTY)
			rc = ward_err_io(r->final, "cannot move into place");
		ward_rm_rf(r->tmp);
	}
out:
	if (rc != 0) {
		ward_warn("unpacked-package cache: %s not recorded (%s)", r->final, ward_errmsg());
		ward_err_clear();
		ward_rm_rf(r->tmp);
	}
	close(r->dfd);
	r->dfd = -1;
	unpacked_rec_abort(r);
	return 0;
}

void
unpacked_rec_abort(struct unpacked_rec *r)
{
	if (r == NULL)
		return;
	if (r->dfd >= 0) {
		close(r->dfd);
		ward_rm_rf(r->tmp);
	}
	ward_buf_free(&r->idx);
	free(r->final);
	free(r->tmp);
	free(r);
}
