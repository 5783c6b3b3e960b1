/*
 * debcache.c: backport evidence from the .deb files in ward's package cache,
 * for images that leave /usr/share/doc out (ward's own images keep only the
 * copyright files).
 *
 * The cache is content-addressed (<cache>/blobs/sha256/<hex>, lib/deb), so
 * a package is found by reading the control paragraph of each blob; what
 * each blob is, and the CVE ids its changelog names, are remembered in
 * <cache>/vuln/<hex>.deb and <hex>.changelog.  Both are facts about an
 * immutable blob, so they never go stale; a blob is re-hashed (deb_cache_open)
 * before its changelog is read from it.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deb/deb.h"
#include "vuln/vuln_internal.h"

#define MAX_CHANGELOG_GZ (16u << 20)

struct blob {
	char hex[65];
	char *fields[5]; /* Package, Version, Architecture, Source, source version */
};

static void
blob_free(struct blob *b)
{
	for (int i = 0; i < 5; i++)
		free(b->fields[i]);
}

/* "src (1.2-3)" → "src" and "1.2-3"; "src" alone → the binary's version. */
static int
split_source(const char *src, const char *bin, const char *ver, char **name, char **sver)
{
	const char *sp;

	*name = *sver = NULL;
	if (src == NULL || *src == '\0') {
		*name = ward_strdup(bin);
		*sver = ward_strdup(ver);
	} else if ((sp = strchr(src, ' ')) != NULL && sp[1] == '(' && src[strlen(src) - 1] == ')') {
		*name = ward_strndup(src, (size_t)(sp - src));
		*sver = ward_strndup(sp + 2, strlen(sp + 2) - 1);
	} else {
		*name = ward_strdup(src);
		*sver = ward_strdup(ver);
	}
	return *name && *sver ? 0 : -1;
}

/* What blob hex is: fills b->fields, or leaves them NULL for a non-.deb. */
static int
identify(const char *cache, const char *vdir, struct blob *b)
{
	char *idx = ward_asprintf("%s/%s.deb", vdir, b->hex), *path = NULL;
	struct ward_buf t = {0};
	struct deb_file *d = NULL;
	unsigned char magic[8];
	int fd = -1, rc = -1;

	if (idx == NULL)
		return -1;
	if (ward_file_read(idx, 4096, &t) == 0 && t.len > 0) {
		char *s = ward_buf_cstr(&t), *save = NULL, *f;
		int i = 0;
		if (s == NULL)
			goto out;
		if (strcmp(s, "-\n") != 0)
			for (f = strtok_r(s, "\t\n", &save); f && i < 5;
			     f = strtok_r(NULL, "\t\n", &save))
				if ((b->fields[i++] = ward_strdup(f)) == NULL)
					goto out;
		if (i == 0 || i == 5) {
			rc = 0;
			goto out;
		}
		blob_free(b); /* damaged index: identify again */
		memset(b->fields, 0, sizeof(b->fields));
	}
	ward_err_clear();
	t.len = 0;
	if ((path = ward_asprintf("%s/blobs/sha256/%s", cache, b->hex)) == NULL)
		goto out;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0 && pread(fd, magic, 8, 0) == 8 && memcmp(magic, "!<arch>\n", 8) == 0 &&
	    (d = deb_file_open_fd(fd, path)) != NULL) {
		const struct deb_para *p = deb_file_control(d);
		const char *pk = deb_para_get(p, "Package"), *v = deb_para_get(p, "Version");
		const char *a = deb_para_get(p, "Architecture");
		if (pk && v && a &&
		    split_source(deb_para_get(p, "Source"), pk, v, &b->fields[3], &b->fields[4]) ==
			    0) {
			b->fields[0] = ward_strdup(pk);
			b->fields[1] = ward_strdup(v);
			b->fields[2] = ward_strdup(a);
		}
	}
	ward_err_clear();
	if (b->fields[0] && b->fields[1] && b->fields[2] && b->fields[3] && b->fields[4])
		ward_buf_printf(&t, "%s\t%s\t%s\t%s\t%s\n", b->fields[0], b->fields[1],
				b->fields[2], b->fields[3], b->fields[4]);
	else {
		blob_free(b);
		memset(b->fields, 0, sizeof(b->fields));
		ward_buf_puts(&t, "-\n");
	}
	/* remembering is an optimisation: a read-only cache still works */
	if (ward_file_write(idx, t.data, t.len, 0644) != 0)
		ward_err_clear();
	rc = 0;
out:
	if (d != NULL)
		deb_file_close(d);
	if (fd >= 0)
		close(fd);
	ward_buf_free(&t);
	free(idx);
	free(path);
	return rc;
}

/* Read the package's changelog out of the .deb's data.tar: 1 found, 0 not
 * there (no doc directory, or one that is a symlink to another package's). */
static int
extract(const char *cache, const struct blob *b, struct vuln_changelog *out)
{
	char *want[2] = {NULL, NULL}, *what = NULL;
	struct deb_file *d = NULL;
	struct deb_data *it = NULL;
	struct deb_entry e;
	struct ward_buf content = {0};
	struct stat st;
	char *path = ward_asprintf("%s/blobs/sha256/%s", cache, b->hex);
	int fd = -1, rc = -1, got = 0, native = strchr(b->fields[4], '-') == NULL, r;

	if (path == NULL || stat(path, &st) != 0)
		goto out;
	want[0] = ward_asprintf("usr/share/doc/%s/changelog.Debian.gz", b->fields[0]);
	want[1] = ward_asprintf("usr/share/doc/%s/changelog.gz", b->fields[0]);
	what = ward_asprintf("%s %s", b->fields[0], b->fields[1]);
	if (want[0] == NULL || want[1] == NULL || what == NULL)
		goto out;
	if ((fd = deb_cache_open(cache, b->hex, (uint64_t)st.st_size, what)) < 0 ||
	    (d = deb_file_open_fd(fd, what)) == NULL || (it = deb_data_open(d)) == NULL)
		goto out;
	while (got == 0 && (r = deb_data_next(it, &e)) == 1) {
		int k = strcmp(e.path, want[0]) == 0		 ? 0
			: native && strcmp(e.path, want[1]) == 0 ? 1
								 : -1;
		if (k < 0 || e.type != DEB_ENTRY_FILE)
			continue;
		if (e.size > MAX_CHANGELOG_GZ) {
			ward_err(WARD_EINPUT, "%s: /%s is too large", what, e.path);
			goto out;
		}
		for (;;) {
			ssize_t n;
			if (ward_buf_reserve(&content, 65536) != 0)
				goto out;
			if ((n = deb_data_read(it, content.data + content.len, 65536)) < 0)
				goto out;
			if (n == 0)
				break;
			content.len += (size_t)n;
		}
		if (vuln_changelog_read(content.data, content.len, e.path, b->fields[4], out) != 0)
			goto out;
		if ((out->where = ward_asprintf("ward cache sha256:%s (%s_%s_%s.deb): /%s", b->hex,
						b->fields[0], b->fields[1], b->fields[2],
						e.path)) == NULL) {
			vuln_changelog_free(out);
			goto out;
		}
		got = 1;
	}
	if (got == 0 && r < 0)
		goto out;
	rc = got;
out:
	deb_data_close(it);
	if (d != NULL)
		deb_file_close(d);
	if (fd >= 0)
		close(fd);
	ward_buf_free(&content);
	free(want[0]);
	free(want[1]);
	free(what);
	free(path);
	return rc;
}

/* The changelog of blob b, remembered in <vdir>/<hex>.changelog. */
static int
blob_changelog(const char *cache, const char *vdir, const struct blob *b,
	       struct vuln_changelog *out)
{
	char *memo = ward_asprintf("%s/%s.changelog", vdir, b->hex);
	json_t *j = NULL;
	int rc = -1;

	if (memo == NULL)
		return -1;
	if ((j = ward_json_load_file(memo, 64u << 20)) != NULL) {
		if (json_is_null(json_object_get(j, "changelog")))
			rc = 0;
		else if (vuln_changelog_from_json(json_object_get(j, "changelog"), memo, out) == 0)
			rc = 1;
		if (rc >= 0)
			goto out;
	}
	ward_err_clear();
	if ((rc = extract(cache, b, out)) < 0) {
		if (ward_errkind() == WARD_EENV)
			goto out;
		/* a damaged .deb is no evidence; say so once */
		ward_warn("%s: no changelog evidence from the cache: %s", b->hex, ward_errmsg());
		ward_err_clear();
		rc = 0;
	}
	json_decref(j);
	j = json_pack("{s:o}", "changelog", rc == 1 ? vuln_changelog_to_json(out) : json_null());
	if (j == NULL || ward_json_write_file(memo, j, 0) != 0)
		ward_err_clear();
out:
	json_decref(j);
	free(memo);
	return rc;
}

struct vuln_debcache {
	char *cache, *vdir;
	struct blob *b;
	size_t n;
};

void
vuln_debcache_close(struct vuln_debcache *dc)
{
	if (dc == NULL)
		return;
	for (size_t i = 0; i < dc->n; i++)
		blob_free(&dc->b[i]);
	free(dc->b);
	free(dc->cache);
	free(dc->vdir);
	free(dc);
}

struct vuln_debcache *
vuln_debcache_open(const char *cache)
{
	struct vuln_debcache *dc = ward_calloc(1, sizeof(*dc));
	char *blobs = NULL;
	DIR *dir = NULL;
	struct dirent *de;

	if (dc == NULL || (dc->cache = ward_strdup(cache)) == NULL ||
	    (blobs = ward_path_join(cache, "blobs/sha256")) == NULL ||
	    (dc->vdir = ward_path_join(cache, "vuln")) == NULL)
		goto fail;
	if ((dir = opendir(blobs)) == NULL) { /* no cache yet: no evidence */
		free(blobs);
		return dc;
	}
	if (ward_mkdir_p(dc->vdir, 0755) != 0)
		ward_err_clear(); /* read-only cache: identify without remembering */
	while ((de = readdir(dir)) != NULL) {
		struct blob *n;
		if (strlen(de->d_name) != 64 || strspn(de->d_name, "0123456789abcdef") != 64)
			continue;
		if ((n = ward_realloc(dc->b, (dc->n + 1) * sizeof(*n))) == NULL)
			goto fail;
		dc->b = n;
		memset(&dc->b[dc->n], 0, sizeof(*dc->b));
		memcpy(dc->b[dc->n].hex, de->d_name, 65);
		dc->n++;
		if (identify(cache, dc->vdir, &dc->b[dc->n - 1]) != 0)
			goto fail;
	}
	closedir(dir);
	free(blobs);
	return dc;
fail:
	if (dir != NULL)
		closedir(dir);
	free(blobs);
	vuln_debcache_close(dc);
	return NULL;
}

int
vuln_debcache_changelog(struct vuln_debcache *dc, const char *name, const char *version,
			const char *arch, const char *source, const char *source_version,
			struct vuln_changelog *out)
{
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (source == NULL)
		source = name;
	if (source_version == NULL)
		source_version = version;
	/* the package itself first, then the other binaries of its source version */
	for (int pass = 0; pass < 2 && rc == 0; pass++) {
		for (size_t i = 0; i < dc->n && rc == 0; i++) {
			const struct blob *b = &dc->b[i];
			if (b->fields[0] == NULL)
				continue;
			if (pass == 0 && (strcmp(b->fields[0], name) != 0 ||
					  strcmp(b->fields[1], version) != 0 ||
					  (arch && strcmp(b->fields[2], arch) != 0 &&
					   strcmp(b->fields[2], "all") != 0)))
				continue;
			if (pass == 1 && (strcmp(b->fields[3], source) != 0 ||
					  strcmp(b->fields[4], source_version) != 0))
				continue;
			rc = blob_changelog(dc->cache, dc->vdir, b, out);
		}
	}
	return rc;
}

int
vuln_changelog_from_cache(const char *cache, const char *name, const char *version,
			  const char *arch, const char *source, const char *source_version,
			  struct vuln_changelog *out)
{
	struct vuln_debcache *dc;
	int rc;

	memset(out, 0, sizeof(*out));
	if (cache == NULL || *cache == '\0')
		return 0;
	if ((dc = vuln_debcache_open(cache)) == NULL)
		return -1;
	rc = vuln_debcache_changelog(dc, name, version, arch, source, source_version, out);
	vuln_debcache_close(dc);
	return rc;
}
