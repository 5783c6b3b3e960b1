/* index.c: find, download and verify the Packages indices of each suite.
 *
 * Two layouts are read: apt's lists directory (flat names made from the
 * archive URL, "<host_path>_dists_<suite>_<file>") and a mirror tree
 * ("DIR/dists/<suite>/<file>").  Downloads from a mirror go into
 * "<cache>/lists" in apt's layout and are then read like apt lists, so
 * every source goes through the same verification:
 *   - InRelease (or Release + Release.gpg) checked with gpgv;
 *   - the Packages file's bytes checked against the Release's SHA-256 when
 *     the Release lists that exact file (.xz/.gz as published), and the
 *     decompressed text against the entry of the uncompressed Packages.
 *     apt recompresses what it keeps (Packages.lz4 here), so for apt lists
 *     only the decompressed text can be, and is, checked. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "deb/deb_internal.h"

#define MAX_RELEASE (64u << 20)
#define MAX_PACKAGES_COMPRESSED (512u << 20)
#define MAX_PACKAGES (2048u << 20)

enum { LAYOUT_LISTS, LAYOUT_TREE };

struct locator {
	int layout;
	char *root;   /* lists directory or mirror tree */
	char *prefix; /* LAYOUT_LISTS: "<host_path>_dists_<suite>" */
	const char *suite;
};

static void
locator_free(struct locator *l)
{
	free(l->root);
	free(l->prefix);
	memset(l, 0, sizeof(*l));
}

/* loc_path(l, rel): where the file dists/<suite>/<rel> lives. */
static char *
loc_path(const struct locator *l, const char *rel)
{
	char *m, *p;

	if (l->layout == LAYOUT_TREE)
		return ward_asprintf("%s/dists/%s/%s", l->root, l->suite, rel);
	if ((m = deb_apt_list_prefix(rel)) == NULL)
		return NULL;
	p = ward_asprintf("%s/%s_%s", l->root, l->prefix, m);
	free(m);
	return p;
}

static int
exists(const char *path)
{
	struct stat st;

	return path != NULL && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int
loc_has_release(const struct locator *l)
{
	static const char *const names[] = {"InRelease", "Release"};
	int found = 0;

	for (size_t i = 0; i < 2 && !found; i++) {
		char *p = loc_path(l, names[i]);
		found = exists(p);
		free(p);
	}
	return found;
}

/* lists_locator(dir, repo, l): the apt lists names for repo.  Without a
 * URL, the one archive in dir that has this suite. */
static int
lists_locator(const char *dir, const struct deb_repo *repo, struct locator *l)
{
	char *msuite = NULL, *tail_in = NULL, *tail_rel = NULL;
	DIR *d;
	struct dirent *de;
	int rc = -1;

	memset(l, 0, sizeof(*l));
	l->layout = LAYOUT_LISTS;
	l->suite = repo->suite;
	if ((l->root = ward_strdup(dir)) == NULL)
		return -1;
	if (repo->uri != NULL) {
		/* The configured archive only: another archive's suite of the
		 * same name is not the same thing. */
		char *full = ward_asprintf("%s/dists/%s", repo->uri, repo->suite);
		l->prefix = full ? deb_apt_list_prefix(full) : NULL;
		free(full);
		if (l->prefix == NULL)
			return -1;
		if (!loc_has_release(l)) {
			free(l->prefix);
			l->prefix = NULL;
		}
		return 0;
	}
	/* No URL: search by suite; exactly one archive must have it. */
	msuite = deb_apt_list_prefix(repo->suite);
	tail_in = msuite ? ward_asprintf("_dists_%s_InRelease", msuite) : NULL;
	tail_rel = msuite ? ward_asprintf("_dists_%s_Release", msuite) : NULL;
	if (tail_in == NULL || tail_rel == NULL)
		goto out;
	if ((d = opendir(dir)) == NULL) {
		rc = 0; /* no lists directory: nothing found */
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		const char *tail = ward_str_endswith(de->d_name, tail_in)    ? tail_in
				   : ward_str_endswith(de->d_name, tail_rel) ? tail_rel
									     : NULL;
		char *prefix;
		if (tail == NULL)
			continue;
		prefix = ward_strndup(de->d_name, strlen(de->d_name) - strlen(tail) +
							  strlen("_dists_") + strlen(msuite));
		if (prefix == NULL)
			break;
		if (l->prefix != NULL && strcmp(l->prefix, prefix) != 0) {
			ward_err(WARD_EINPUT,
				 "%s: several archives have suite %s (%s, %s): set "
				 "mirror: for it in ward.yaml",
				 dir, repo->suite, l->prefix, prefix);
			free(prefix);
			closedir(d);
			goto out;
		}
		free(l->prefix);
		l->prefix = prefix;
	}
	closedir(d);
	rc = 0;
out:
	free(msuite);
	free(tail_in);
	free(tail_rel);
	return rc;
}

/* ------------------------------------------------------------ Release */

static char *
field_dup(const struct deb_release *r, const char *name)
{
	const char *v = deb_para_get(r->para, name);

	return v ? ward_strdup(v) : NULL;
}

/* Valid-Until: past it, a signed index may be a replay of an old one (an
 * attacker serving yesterday's index hides today's security updates), so
 * it is refused as apt refuses it, unless the user says the mirror is a
 * snapshot (--allow-expired), which is logged. */
static int
check_valid_until(const char *v, const char *what, const struct deb_index_opts *o)
{
	struct tm tm = {0};
	const char *end;

	if (v == NULL)
		return 0;
	end = strptime(v, "%a, %d %b %Y %H:%M:%S", &tm);
	if (end == NULL || (*end != '\0' && strcmp(end, " UTC") != 0 && strcmp(end, " GMT") != 0 &&
			    strcmp(end, " +0000") != 0 && strcmp(end, " Z") != 0))
		return ward_err(WARD_EINPUT, "%s: Valid-Until \"%s\" is not an RFC 2822 UTC date",
				what, v);
	if (timegm(&tm) >= time(NULL))
		return 0;
	if (!o->allow_expired)
		return ward_err(WARD_EVERIFY,
				"%s: expired (Valid-Until %s): an old signed index could be "
				"replayed; refresh the indices (apt-get update, or ward lock "
				"--download), or for a snapshot mirror pass --allow-expired",
				what, v);
	ward_warn("%s: expired (Valid-Until %s), accepted (--allow-expired)", what, v);
	return 0;
}

/* read_release: verify and parse the suite's Release; fill meta. */
static int
read_release(const struct locator *l, const struct deb_repo *repo, const struct deb_index_opts *o,
	     struct deb_release *rel, struct deb_index *meta)
{
	char *inrel = loc_path(l, "InRelease"), *plain = loc_path(l, "Release");
	char *gpg = loc_path(l, "Release.gpg"), fpr[41];
	const char *file, *why = NULL;
	struct ward_buf raw = {0}, text = {0};
	int rc = -1, signed_file;
	uint8_t digest[SHA256_LEN];

	if (inrel == NULL || plain == NULL || gpg == NULL)
		goto out;
	file = exists(inrel) ? inrel : plain;
	signed_file = file == inrel || exists(gpg);
	if (ward_file_read(file, MAX_RELEASE, &raw) != 0)
		goto out;
	sha256(raw.data, raw.len, digest);
	ward_hex(digest, SHA256_LEN, meta->release_sha256);
	if (!signed_file)
		why = "the Release file is not signed";
	else if (gpgv_path() == NULL)
		why = "gpgv is not installed";
	else if (repo->keyring == NULL || access(repo->keyring, R_OK) != 0)
		why = "the keyring cannot be read";
	if (why == NULL) {
		if (deb_gpgv_verify(file, file == inrel ? NULL : gpg, repo->keyring, &text, fpr) !=
		    0)
			goto out;
		meta->signed_by = ward_strdup(fpr);
	} else {
		if (!o->allow_unsigned) {
			ward_err(signed_file ? WARD_EENV : WARD_EVERIFY,
				 "%s: cannot check the OpenPGP signature: %s%s%s (or accept "
				 "unsigned "
				 "indices with --allow-unsigned)",
				 file, why, repo->keyring && signed_file ? ": " : "",
				 repo->keyring && signed_file ? repo->keyring : "");
			goto out;
		}
		ward_warn("%s: OpenPGP signature NOT checked: %s", file, why);
		if (file == inrel) {
			if (clearsign_strip((const char *)raw.data, raw.len, &text) != 0) {
				ward_err(WARD_EINPUT, "%s: not a clearsigned InRelease file", file);
				goto out;
			}
		} else if (ward_buf_append(&text, raw.data, raw.len) != 0) {
			goto out;
		}
		meta->signed_by = ward_asprintf("unchecked: %s", why);
	}
	if (meta->signed_by == NULL)
		goto out;
	if (deb_release_parse((const char *)text.data, text.len, file, rel) != 0)
		goto out;
	{
		const char *suite = deb_para_get(rel->para, "Suite");
		const char *code = deb_para_get(rel->para, "Codename");
		const char *archs = deb_para_get(rel->para, "Architectures");
		if ((suite == NULL || strcmp(suite, repo->suite) != 0) &&
		    (code == NULL || strcmp(code, repo->suite) != 0)) {
			ward_err(WARD_EVERIFY, "%s: Release is for suite %s (%s), not %s", file,
				 suite ? suite : "?", code ? code : "?", repo->suite);
			goto fail_rel;
		}
		if (archs != NULL) {
			const char *s = archs;
			int found = 0;
			while (*s) {
				size_t n = strcspn(s, " \t\n");
				if (n == strlen(o->arch) && strncmp(s, o->arch, n) == 0)
					found = 1;
				s += n;
				s += strspn(s, " \t\n");
			}
			if (!found) {
				ward_err(WARD_EINPUT, "%s: suite %s has no architecture %s", file,
					 repo->suite, o->arch);
				goto fail_rel;
			}
		}
	}
	if (check_valid_until(deb_para_get(rel->para, "Valid-Until"), file, o) != 0)
		goto fail_rel;
	meta->origin = field_dup(rel, "Origin");
	meta->label = field_dup(rel, "Label");
	meta->codename = field_dup(rel, "Codename");
	meta->version = field_dup(rel, "Version");
	meta->date = field_dup(rel, "Date");
	meta->valid_until = field_dup(rel, "Valid-Until");
	rc = 0;
	goto out;
fail_rel:
	deb_release_free(rel);
out:
	ward_buf_free(&raw);
	ward_buf_free(&text);
	free(inrel);
	free(plain);
	free(gpg);
	return rc;
}

/* ------------------------------------------------------------ Packages */

static const char *const exts[] = {"", ".xz", ".gz", ".lz4", ".zst"};

static int
check_digest(const void *data, size_t len, const struct deb_release_file *want, const char *what)
{
	uint8_t d[SHA256_LEN];
	char hex[65];

	if ((uint64_t)len != want->size)
		return ward_err(WARD_EVERIFY, "%s: size %zu does not match the Release file (%ju)",
				what, len, (uintmax_t)want->size);
	sha256(data, len, d);
	ward_hex(d, SHA256_LEN, hex);
	if (strcmp(hex, want->sha256) != 0)
		return ward_err(WARD_EVERIFY, "%s: SHA-256 %s does not match the Release file (%s)",
				what, hex, want->sha256);
	return 0;
}

static int
read_packages(const struct locator *l, const struct deb_release *rel, const char *comp,
	      const char *arch, struct ward_buf *text, struct deb_index *meta)
{
	char *base = ward_asprintf("%s/binary-%s/Packages", comp, arch), *path = NULL;
	const struct deb_release_file *plain, *packed = NULL;
	struct ward_buf raw = {0};
	const char *ext = NULL;
	int rc = -1;

	if (base == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]) && ext == NULL; i++) {
		char *rp = ward_asprintf("%s%s", base, exts[i]);
		free(path);
		path = rp ? loc_path(l, rp) : NULL;
		if (exists(path)) {
			ext = exts[i];
			packed = *ext ? deb_release_lookup(rel, rp) : NULL;
		}
		free(rp);
	}
	plain = deb_release_lookup(rel, base);
	if (ext == NULL) {
		ward_err(WARD_EINPUT, "suite %s: no Packages file for %s (looked for %s*)",
			 l->suite, base, path ? path : base);
		goto out;
	}
	if (plain == NULL && packed == NULL) {
		ward_err(WARD_EVERIFY,
			 "%s: cannot be verified: the Release file lists neither %s "
			 "nor %s%s",
			 path, base, base, ext);
		goto out;
	}
	if (ward_file_read(path, MAX_PACKAGES_COMPRESSED, &raw) != 0)
		goto out;
	if (packed != NULL && check_digest(raw.data, raw.len, packed, path) != 0)
		goto out;
	if (*ext == '\0' && check_digest(raw.data, raw.len, plain, path) != 0)
		goto out; /* plain != NULL: checked above */
	if (deb_decompress(raw.data, raw.len, path, plain ? plain->size + 1 : MAX_PACKAGES, text) !=
	    0) {
		if (plain != NULL && text->len > plain->size)
			ward_err(WARD_EVERIFY,
				 "%s: larger than the %ju bytes the Release file lists", path,
				 (uintmax_t)plain->size);
		goto out;
	}
	if (plain != NULL) {
		if (check_digest(text->data, text->len, plain, path) != 0)
			goto out;
		memcpy(meta->packages_sha256, plain->sha256, 65);
	} else {
		uint8_t d[SHA256_LEN];
		sha256(text->data, text->len, d);
		ward_hex(d, SHA256_LEN, meta->packages_sha256);
	}
	meta->packages_size = text->len;
	meta->location = path;
	path = NULL;
	rc = 0;
out:
	ward_buf_free(&raw);
	free(base);
	free(path);
	return rc;
}

/* ------------------------------------------------------------ downloads */

static int
save(const char *path, const struct ward_buf *b)
{
	return ward_file_write(path, b->data, b->len, 0644);
}

/* download_suite: InRelease (or Release + Release.gpg) and each
 * component's Packages (xz, else gz, else plain) into dir, apt-style.
 * Nothing is trusted here; read_release/read_packages verify it all. */
static int
download_suite(const char *dir, const struct deb_repo *repo, const char *arch, struct locator *l)
{
	struct ward_buf b = {0}, text = {0};
	struct deb_release rel = {0};
	char *url = NULL, *path = NULL, *full;
	int rc = -1, have_inrelease;

	memset(l, 0, sizeof(*l));
	l->layout = LAYOUT_LISTS;
	l->suite = repo->suite;
	full = ward_asprintf("%s/dists/%s", repo->uri, repo->suite);
	l->root = ward_strdup(dir);
	l->prefix = full ? deb_apt_list_prefix(full) : NULL;
	if (l->root == NULL || l->prefix == NULL || ward_mkdir_p(dir, 0755) != 0)
		goto out;
	url = ward_asprintf("%s/InRelease", full);
	have_inrelease = url && deb_download(url, MAX_RELEASE, &b, url) == 0;
	if (!have_inrelease && ward_errkind() != WARD_EINPUT)
		goto out; /* a network failure, not a missing file */
	for (size_t i = 0; i < 3; i++) {
		static const char *const n[] = {"InRelease", "Release", "Release.gpg"};
		free(path);
		if ((path = loc_path(l, n[i])) == NULL)
			goto out;
		unlink(path);
	}
	if (have_inrelease) {
		free(path);
		path = loc_path(l, "InRelease");
		if (path == NULL || save(path, &b) != 0)
			goto out;
		if (clearsign_strip((const char *)b.data, b.len, &text) != 0) {
			ward_err(WARD_EINPUT, "%s: not a clearsigned InRelease file", url);
			goto out;
		}
	} else {
		free(url);
		url = ward_asprintf("%s/Release", full);
		if (url == NULL || deb_download(url, MAX_RELEASE, &text, url) != 0)
			goto out;
		free(path);
		path = loc_path(l, "Release");
		if (path == NULL || save(path, &text) != 0)
			goto out;
		free(url);
		url = ward_asprintf("%s/Release.gpg", full);
		b.len = 0;
		if (url != NULL && deb_download(url, 1 << 20, &b, url) == 0) {
			free(path);
			path = loc_path(l, "Release.gpg");
			if (path == NULL || save(path, &b) != 0)
				goto out;
		}
	}
	if (deb_release_parse((const char *)text.data, text.len, url, &rel) != 0)
		goto out;
	for (size_t c = 0; c < repo->components.n; c++) {
		static const char *const prefer[] = {".xz", ".gz", ""};
		const struct deb_release_file *f = NULL;
		char *rp = NULL;
		for (size_t i = 0; i < 3 && f == NULL; i++) {
			free(rp);
			rp = ward_asprintf("%s/binary-%s/Packages%s", repo->components.v[c], arch,
					   prefer[i]);
			if (rp == NULL)
				goto out;
			f = deb_release_lookup(&rel, rp);
		}
		if (f == NULL) {
			ward_err(WARD_EINPUT,
				 "%s: the Release file lists no Packages for %s/binary-%s", full,
				 repo->components.v[c], arch);
			free(rp);
			goto out;
		}
		/* Drop other compressions so the reader finds this one. */
		for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
			char *other = ward_asprintf("%s/binary-%s/Packages%s",
						    repo->components.v[c], arch, exts[i]);
			char *op = other ? loc_path(l, other) : NULL;
			if (op != NULL && strcmp(other, rp) != 0)
				unlink(op);
			free(other);
			free(op);
		}
		free(path);
		path = loc_path(l, rp);
		b.len = 0;
		free(url);
		url = ward_asprintf("%s/%s", full, rp);
		free(rp);
		if (path == NULL || url == NULL)
			goto out;
		if (exists(path) && ward_file_read(path, MAX_PACKAGES_COMPRESSED, &b) == 0 &&
		    check_digest(b.data, b.len, f, path) == 0)
			continue; /* already current */
		b.len = 0;
		if (deb_download(url, (size_t)f->size, &b, url) != 0 || save(path, &b) != 0)
			goto out;
	}
	rc = 0;
out:
	deb_release_free(&rel);
	ward_buf_free(&b);
	ward_buf_free(&text);
	free(url);
	free(path);
	free(full);
	return rc;
}

/* ------------------------------------------------------------ universe */

static const char *
default_lists(const struct deb_index_opts *o)
{
	const char *env = getenv("WARD_APT_LISTS");

	if (o->lists_dir != NULL)
		return o->lists_dir;
	return env && *env ? env : "/var/lib/apt/lists";
}

/* locate: pick where this suite's indices come from. */
static int
locate(const struct deb_repo *repo, const struct deb_index_opts *o, const char *cache_lists,
       struct locator *l)
{
	int from = o->from;

	if (from == DEB_FROM_DIR) {
		memset(l, 0, sizeof(*l));
		l->layout = LAYOUT_TREE;
		l->suite = repo->suite;
		l->root = ward_strdup(o->dir);
		if (l->root == NULL)
			return -1;
		if (!loc_has_release(l))
			return ward_err(WARD_EINPUT, "%s/dists/%s: no InRelease or Release file",
					o->dir, repo->suite);
		return 0;
	}
	if (from == DEB_FROM_APT || from == DEB_FROM_AUTO) {
		if (lists_locator(default_lists(o), repo, l) != 0)
			return -1;
		if (l->prefix != NULL)
			return 0;
		locator_free(l);
		if (from == DEB_FROM_APT)
			return ward_err(WARD_EINPUT,
					"%s: no apt index for suite %s (run apt-get "
					"update, or use ward lock --download)",
					default_lists(o), repo->suite);
		if (o->offline || repo->uri == NULL) {
			/* Offline: what an earlier download left in the cache. */
			if (lists_locator(cache_lists, repo, l) != 0)
				return -1;
			if (l->prefix != NULL)
				return 0;
			locator_free(l);
			return ward_err(WARD_EINPUT, "suite %s: no index in %s or %s, and %s",
					repo->suite, default_lists(o), cache_lists,
					o->offline ? "offline"
						   : "no mirror is configured (set mirror: in "
						     "ward.yaml or WARD_MIRROR)");
		}
	}
	if (repo->uri == NULL)
		return ward_err(WARD_EINPUT,
				"suite %s: no mirror configured (set mirror: in "
				"ward.yaml or WARD_MIRROR)",
				repo->suite);
	if (o->offline)
		return ward_err(WARD_EENV, "suite %s: downloading indices is not possible offline",
				repo->suite);
	ward_info("downloading the indices of %s from %s", repo->suite, repo->uri);
	return download_suite(cache_lists, repo, o->arch, l);
}

struct deb_universe *
deb_universe_load(const struct deb_repo *repos, size_t n, const struct deb_index_opts *o)
{
	struct deb_universe *u = deb_universe_new(o->arch);
	char *cache = NULL, *cache_lists = NULL;

	if (u == NULL)
		return NULL;
	cache = deb_cache_dir(o->cache);
	cache_lists = cache ? ward_path_join(cache, "lists") : NULL;
	if (cache_lists == NULL)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		struct locator l;
		struct deb_release rel;
		struct deb_index meta = {0};

		if (locate(&repos[i], o, cache_lists, &l) != 0)
			goto fail;
		if (read_release(&l, &repos[i], o, &rel, &meta) != 0) {
			locator_free(&l);
			goto fail_meta;
		}
		for (size_t c = 0; c < repos[i].components.n; c++) {
			struct ward_buf text = {0};
			struct deb_index m = meta;
			int rc;
			m.suite = repos[i].suite;
			m.component = repos[i].components.v[c];
			m.arch = (char *)o->arch;
			m.location = NULL;
			rc = read_packages(&l, &rel, repos[i].components.v[c], o->arch, &text, &m);
			if (rc == 0)
				rc = deb_universe_add(u, (const char *)text.data, text.len, &m);
			free(m.location);
			ward_buf_free(&text);
			if (rc != 0) {
				deb_release_free(&rel);
				locator_free(&l);
				goto fail_meta;
			}
		}
		deb_release_free(&rel);
		locator_free(&l);
		free(meta.origin);
		free(meta.label);
		free(meta.codename);
		free(meta.version);
		free(meta.date);
		free(meta.valid_until);
		free(meta.signed_by);
		continue;
	fail_meta:
		free(meta.origin);
		free(meta.label);
		free(meta.codename);
		free(meta.version);
		free(meta.date);
		free(meta.valid_until);
		free(meta.signed_by);
		goto fail;
	}
	free(cache);
	free(cache_lists);
	return u;
fail:
	free(cache);
	free(cache_lists);
	deb_universe_free(u);
	return NULL;
}
