/* generate.c: files ward writes instead of maintainer scripts and the base
 * system.  From the packages (cached with their layers): merged-/usr links,
 * the dpkg status.d records scanners read, the CA bundle, ld.so.cache when a
 * package adds library directories.  From the spec (config layer): passwd,
 * group, nsswitch.conf, os-release, /tmp, home, writable directories, the
 * time zone. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "build/build_internal.h"

static struct build_entry *
gen_file(struct build_ctx *ctx, const char *path, const void *data, size_t len, int group,
	 const char *owner, const char *why)
{
	struct build_entry *e;

	if (plan_mkdirs(ctx->plan, path, group, "ward") != 0)
		return NULL;
	e = plan_generated(ctx->plan, path, BUILD_FILE, 0644, group, owner, why);
	if (e == NULL || plan_set_data(e, data, len) != 0)
		return NULL;
	return e;
}

/* gen_text: gen_file of a text built by appends (checked once, here: a
 * failed append never yields a truncated /etc/passwd). */
static struct build_entry *
gen_text(struct build_ctx *ctx, const char *path, struct ward_buf *b, int group, const char *owner,
	 const char *why)
{
	if (ward_buf_check(b) != 0)
		return NULL;
	return gen_file(ctx, path, b->data, b->len, group, owner, why);
}

static struct build_entry *
gen_dir(struct build_ctx *ctx, const char *path, uint32_t mode, uint32_t uid, uint32_t gid,
	int group, const char *why)
{
	struct build_entry *e;

	if (plan_mkdirs(ctx->plan, path, group, "ward") != 0)
		return NULL;
	e = plan_generated(ctx->plan, path, BUILD_DIR, mode, group, "ward", why);
	if (e != NULL) {
		e->uid = uid;
		e->gid = gid;
	}
	return e;
}

static int
gen_symlink(struct build_ctx *ctx, const char *path, const char *target, int group,
	    const char *owner, const char *why)
{
	struct build_entry *e;

	if (plan_mkdirs(ctx->plan, path, group, "ward") != 0)
		return -1;
	e = plan_generated(ctx->plan, path, BUILD_SYMLINK, 0777, group, owner, why);
	return e != NULL && plan_set_str(&e->link, target) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------ from packages */

static int
usrmerge_links(struct build_ctx *ctx)
{
	static const char *const dirs[] = {"bin", "sbin", "lib", "lib32", "lib64", "libx32"};

	for (size_t i = 0; i < sizeof(dirs) / sizeof(*dirs); i++) {
		char real[16], target[16];
		const struct build_entry *e;
		snprintf(real, sizeof(real), "usr/%s", dirs[i]);
		snprintf(target, sizeof(target), "usr/%s", dirs[i]);
		e = build_plan_find(ctx->plan, real);
		if (e == NULL && i >= 2 && strcmp(dirs[i], "lib") != 0)
			continue; /* lib32/lib64/libx32 only when a package uses them */
		if (e == NULL && gen_dir(ctx, real, 0755, 0, 0, GROUP_BASE, "merged /usr") == NULL)
			return -1;
		if (gen_symlink(ctx, dirs[i], target, GROUP_BASE, "ward",
				"merged /usr (Debian 12)") != 0)
			return -1;
	}
	return 0;
}

/* MD5 of a plan entry's contents (dpkg's conffile hash). */
static int
entry_md5(const struct build_ctx *ctx, const struct build_entry *e, char hex[33])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	struct ward_buf b = {0};
	const void *p = e->data;
	int rc = -1;

	if (p == NULL && e->size > 0) {
		/* package files are read from the staging tree (layers.c) */
		if (e->src != NULL)
			rc = ward_file_readx(e->src, WARD_IN_NOFOLLOW, (size_t)e->size + 1, &b);
		else if (ctx->root != NULL)
			rc = ward_root_read(ctx->root, e->path, (size_t)e->size + 1, &b);
		else
			return ward_err(WARD_EENV, "/%s: contents not staged", e->path);
		if (rc != 0)
			return -1;
		rc = -1;
		p = b.data;
	}
	if (p != NULL || e->size == 0) {
		if (EVP_Digest(p ? p : "", (size_t)e->size, md, &n, EVP_md5(), NULL) == 1 &&
		    n == 16) {
			ward_hex(md, 16, hex);
			rc = 0;
		} else
			rc = ward_err(WARD_EENV, "/%s: MD5 failed", e->path);
	}
	ward_buf_free(&b);
	return rc;
}

/* "Conffiles:" with " /path md5" for each conffile of the package the
 * image keeps, as dpkg records them (scanners and SBOMs own them). */
static int
conffiles_field(struct build_ctx *ctx, const struct build_pkg *bp, struct ward_buf *st)
{
	int started = 0;

	for (const char *l = bp->conffiles; l != NULL && *l;) {
		const char *end = strchr(l, '\n');
		size_t n = end ? (size_t)(end - l) : strlen(l);
		char rel[4096], mbuf[4096], md5[33];
		const struct build_entry *e;
		if (n > 1 && n < sizeof(rel) && l[0] == '/') {
			memcpy(rel, l + 1, n - 1);
			rel[n - 1] = '\0';
			e = build_plan_find(ctx->plan, build_usrmerge(rel, mbuf, sizeof(mbuf)));
			if (e != NULL && e->type == BUILD_FILE && e->owner != NULL &&
			    strcmp(e->owner, bp->lock->name) == 0) {
				if (entry_md5(ctx, e, md5) != 0)
					return -1;
				if ((!started && ward_buf_puts(st, "Conffiles:\n") != 0) ||
				    ward_buf_printf(st, " /%s %s\n", e->path, md5) != 0)
					return -1;
				started = 1;
			}
		}
		l = end ? end + 1 : l + n;
	}
	return 0;
}

/* status.d/<pkg> as distroless writes it: the control paragraph with a
 * Status line, and the md5sums of the files the image keeps. */
static int
status_d(struct build_ctx *ctx)
{
	for (size_t i = 0; i < ctx->lock->npkgs; i++) {
		struct build_pkg *bp = &ctx->pkgs[i];
		const char *name = bp->lock->name, *c = bp->control, *nl;
		struct ward_buf st = {0}, sums = {0};
		char path[512];
		int ok;
		if (c == NULL)
			continue;
		nl = strchr(c, '\n');
		if (nl == NULL)
			return ward_err(WARD_EINPUT, "%s: the control file is one line", name);
		ward_buf_append(&st, c, (size_t)(nl - c) + 1);
		ward_buf_puts(&st, "Status: install ok installed\n");
		ward_buf_puts(&st, nl + 1);
		if (st.len > 0 && st.data[st.len - 1] != '\n')
			ward_buf_puts(&st, "\n");
		for (const char *l = bp->md5sums; l != NULL && *l;) {
			const char *end = strchr(l, '\n');
			size_t n = end ? (size_t)(end - l) : strlen(l);
			char rel[4096], mbuf[4096];
			const struct build_entry *e;
			if (n > 34 && n - 34 < sizeof(rel)) {
				memcpy(rel, l + 34, n - 34);
				rel[n - 34] = '\0';
				e = build_plan_find(ctx->plan,
						    build_usrmerge(rel, mbuf, sizeof(mbuf)));
				if (e != NULL && e->type == BUILD_FILE && e->owner != NULL &&
				    strcmp(e->owner, name) == 0)
					ward_buf_append(&sums, l, n + (end ? 1 : 0));
			}
			l = end ? end + 1 : l + n;
		}
		if (conffiles_field(ctx, bp, &st) != 0) {
			ward_buf_free(&st);
			ward_buf_free(&sums);
			return -1;
		}
		snprintf(path, sizeof(path), "var/lib/dpkg/status.d/%s", name);
		ok = gen_text(ctx, path, &st, bp->group, name, "dpkg status (scanners)") != NULL;
		if (ok && sums.len > 0) {
			snprintf(path, sizeof(path), "var/lib/dpkg/status.d/%s.md5sums", name);
			ok = gen_text(ctx, path, &sums, bp->group, name,
				      "dpkg md5sums of the files kept") != NULL;
		}
		ward_buf_free(&st);
		ward_buf_free(&sums);
		if (!ok)
			return -1;
	}
	return 0;
}

static int
group_of(const struct build_ctx *ctx, const char *pkg)
{
	for (size_t i = 0; i < ctx->lock->npkgs; i++)
		if (strcmp(ctx->lock->pkgs[i].name, pkg) == 0)
			return ctx->pkgs[i].group;
	return GROUP_FRAMEWORKS;
}

/* update-ca-certificates: every certificate of /usr/share/ca-certificates,
 * in path order, into /etc/ssl/certs/ca-certificates.crt. */
static int
ca_bundle(struct build_ctx *ctx)
{
	const char *prefix = "usr/share/ca-certificates/";
	struct ward_buf b = {0};
	size_t n = build_plan_count(ctx->plan), count = 0;
	int rc = -1;

	if (build_plan_find(ctx->plan, "usr/share/ca-certificates") == NULL)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const struct build_entry *e = build_plan_entry(ctx->plan, i);
		if (e->type != BUILD_FILE || !ward_str_startswith(e->path, prefix) ||
		    !ward_str_endswith(e->path, ".crt"))
			continue;
		if (ward_root_read(ctx->root, e->path, 1 << 20, &b) != 0)
			goto out;
		if (b.len > 0 && b.data[b.len - 1] != '\n' && ward_buf_puts(&b, "\n") != 0)
			goto out;
		count++;
	}
	if (count > 0 &&
	    gen_text(ctx, "etc/ssl/certs/ca-certificates.crt", &b, group_of(ctx, "ca-certificates"),
		     "ca-certificates", "update-ca-certificates") == NULL)
		goto out;
	rc = 0;
out:
	ward_buf_free(&b);
	return rc;
}

/* The directories ld.so searches without a cache (Debian's glibc). */
static int
default_libdir(const char *d)
{
	static const char *const dirs[] = {"/lib",
					   "/usr/lib",
					   "/lib64",
					   "/usr/lib64",
					   "/lib/x86_64-linux-gnu",
					   "/usr/lib/x86_64-linux-gnu",
					   "/lib/aarch64-linux-gnu",
					   "/usr/lib/aarch64-linux-gnu",
					   "/usr/local/lib",
					   "/usr/local/lib/x86_64-linux-gnu",
					   "/usr/local/lib/aarch64-linux-gnu"};

	for (size_t i = 0; i < sizeof(dirs) / sizeof(*dirs); i++)
		if (strcmp(d, dirs[i]) == 0)
			return 1;
	return 0;
}

/* Library directories that packages add in /etc/ld.so.conf.d and that hold
 * libraries: only then does the image need an ld.so.cache. */
static int
extra_libdirs(struct build_ctx *ctx, struct ward_strv *out)
{
	size_t n = build_plan_count(ctx->plan);

	for (size_t i = 0; i < n; i++) {
		const struct build_entry *e = build_plan_entry(ctx->plan, i);
		struct ward_buf b = {0};
		if (e->type != BUILD_FILE || !ward_str_startswith(e->path, "etc/ld.so.conf.d/") ||
		    !ward_str_endswith(e->path, ".conf"))
			continue;
		if (ward_root_read(ctx->root, e->path, 1 << 16, &b) != 0) {
			ward_buf_free(&b);
			return -1;
		}
		for (char *l = (char *)b.data; l != NULL && *l;) {
			char *nl = strchr(l, '\n'), mbuf[4096];
			const struct build_entry *d;
			if (nl)
				*nl = '\0';
			l[strcspn(l, " \t#")] = '\0';
			d = l[0] == '/' ? plan_resolve(ctx->plan,
						       build_usrmerge(l + 1, mbuf, sizeof(mbuf)))
					: NULL;
			if (d != NULL && d->type == BUILD_DIR && !default_libdir(l) &&
			    !ward_strv_contains(out, l) && ward_strv_push(out, l) != 0) {
				ward_buf_free(&b);
				return -1;
			}
			l = nl ? nl + 1 : NULL;
		}
		ward_buf_free(&b);
	}
	return 0;
}

static int
ld_so_cache(struct build_ctx *ctx)
{
	struct ward_strv dirs = {0};
	struct ward_buf log = {0}, cache = {0};
	char *path = NULL;
	int rc = -1;

	if (extra_libdirs(ctx, &dirs) != 0)
		goto out;
	if (dirs.n == 0) {
		rc = 0; /* every library is on ld.so's built-in path */
		goto out;
	}
	{
		/* what libc-bin's /etc/ld.so.conf says (in the staging tree only) */
		static const char text[] = "include /etc/ld.so.conf.d/*.conf\n";
		if (build_plan_find(ctx->plan, "etc/ld.so.conf") == NULL &&
		    ward_root_write(ctx->root, "etc/ld.so.conf", text, sizeof(text) - 1, 0644,
				    WARD_ROOT_REPLACE) != 0)
			goto out;
	}
	{
		/* the host's static ldconfig, run over the tree from inside the
		 * sandbox (it parses the packages' libraries) */
		struct build_sandbox sb = {
			.root = ctx->root, .tool = "/sbin/ldconfig", .keep_fd = -1};
		char *argv[] = {"/.ward-tool", "-X", NULL};
		char *envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
		if (build_sandbox_run(&sb, argv, envp, NULL, 0, &log) != 0) {
			char why[512];
			snprintf(why, sizeof(why), "%s",
				 log.data ? (char *)log.data : ward_errmsg());
			ward_err(WARD_EENV, "ldconfig for %s failed: %s", dirs.v[0], why);
			goto out;
		}
	}
	if (ward_root_read(ctx->root, "etc/ld.so.cache", 64u << 20, &cache) != 0)
		goto out;
	if (gen_file(ctx, "etc/ld.so.cache", cache.data, cache.len, GROUP_FRAMEWORKS, "ward",
		     "ldconfig (library directories of /etc/ld.so.conf.d)") == NULL)
		goto out;
	rc = 0;
out:
	free(path);
	ward_strv_free(&dirs);
	ward_buf_free(&log);
	ward_buf_free(&cache);
	return rc;
}

int
build_generate_packages(struct build_ctx *ctx)
{
	if (usrmerge_links(ctx) != 0 || status_d(ctx) != 0 || ca_bundle(ctx) != 0 ||
	    ld_so_cache(ctx) != 0)
		return -1;
	plan_sort(ctx->plan);
	return 0;
}

/* ------------------------------------------------------------ from the spec */

static int
accounts(struct build_ctx *ctx)
{
	const struct build_user *u = &ctx->spec->user;
	struct ward_buf pw = {0}, gr = {0};
	int rc = -1;

	ward_buf_puts(&pw, "root:x:0:0:root:/root:/sbin/nologin\n");
	ward_buf_puts(&gr, "root:x:0:\n");
	if (u->uid != 0 && u->uid != 65534)
		ward_buf_printf(&pw, "%s:x:%lld:%lld:%s:%s:/sbin/nologin\n", u->name, u->uid,
				u->gid, u->name, u->home);
	if (u->gid != 0 && u->gid != 65534)
		ward_buf_printf(&gr, "%s:x:%lld:\n", u->name, u->gid);
	ward_buf_puts(&pw, "nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n");
	ward_buf_puts(&gr, "nogroup:x:65534:\n");
	if (gen_text(ctx, "etc/passwd", &pw, GROUP_CONFIG, "ward", "user: of ward.yaml") == NULL ||
	    gen_text(ctx, "etc/group", &gr, GROUP_CONFIG, "ward", "user: of ward.yaml") == NULL)
		goto out;
	{
		static const char nss[] = "passwd:         files\n"
					  "group:          files\n"
					  "shadow:         files\n"
					  "hosts:          files dns\n"
					  "networks:       files\n"
					  "protocols:      files\n"
					  "services:       files\n"
					  "ethers:         files\n"
					  "rpc:            files\n";
		if (gen_file(ctx, "etc/nsswitch.conf", nss, sizeof(nss) - 1, GROUP_CONFIG, "ward",
			     "name service switch: local files") == NULL)
			goto out;
	}
	rc = 0;
out:
	ward_buf_free(&pw);
	ward_buf_free(&gr);
	return rc;
}

/* /etc/os-release from the Debian index the packages came from, so that
 * scanners recognise the distribution (base-files is not installed). */
static int
os_release(struct build_ctx *ctx)
{
	const struct deb_lock_index *x = NULL;
	struct ward_buf b = {0};
	char major[16];
	int rc;

	for (size_t i = 0; i < ctx->lock->nindices; i++) {
		const struct deb_lock_index *c = &ctx->lock->indices[i];
		if (c->origin && strcmp(c->origin, "Debian") == 0 && c->codename && c->version &&
		    *c->version) {
			x = c;
			break;
		}
	}
	if (x == NULL)
		return 0;
	snprintf(major, sizeof(major), "%.*s", (int)strcspn(x->version, "."), x->version);
	ward_buf_printf(&b,
			"PRETTY_NAME=\"Debian GNU/Linux %s (%s)\"\n"
			"NAME=\"Debian GNU/Linux\"\n"
			"VERSION_ID=\"%s\"\n"
			"VERSION=\"%s (%s)\"\n"
			"VERSION_CODENAME=%s\n"
			"ID=debian\n",
			major, x->codename, major, major, x->codename, x->codename);
	rc = gen_text(ctx, "etc/os-release", &b, GROUP_CONFIG, "ward",
		      "distribution of ward.lock's packages") != NULL
		     ? 0
		     : -1;
	if (rc == 0) {
		ward_buf_free(&b);
		ward_buf_printf(&b, "%s\n", x->version);
		rc = gen_text(ctx, "etc/debian_version", &b, GROUP_CONFIG, "ward",
			      "distribution of ward.lock's packages") != NULL
			     ? 0
			     : -1;
	}
	ward_buf_free(&b);
	return rc;
}

static int
directories(struct build_ctx *ctx)
{
	const struct build_spec *s = ctx->spec;
	const struct build_user *u = &s->user;
	char mbuf[4096];

	if (gen_dir(ctx, "tmp", 01777, 0, 0, GROUP_CONFIG, "temporary files") == NULL ||
	    gen_dir(ctx, "root", 0700, 0, 0, GROUP_CONFIG, "root's home") == NULL)
		return -1;
	if (strcmp(u->home, "/root") != 0 && strcmp(u->home, "/nonexistent") != 0) {
		/* a home of its own: never a directory a package (or ward) has
		 * (it would change hands, and its layer would hold it twice) */
		const char *rel = build_usrmerge(u->home + 1, mbuf, sizeof(mbuf));
		const struct build_entry *old = build_plan_find(ctx->plan, rel);
		const struct ward_yaml_node *un = ward_yaml_get(s->yaml, "user");
		const struct ward_yaml_node *hn = un ? ward_yaml_get(un, "home") : NULL;
		if (old != NULL || plan_resolve(ctx->plan, rel) != NULL)
			return ward_yaml_error(hn ? hn : un ? un : s->yaml,
					       "user: home %s is already in the image (%s%s); "
					       "choose a directory of its own",
					       u->home, old && old->owner ? "from " : "a symlink",
					       old && old->owner ? old->owner : "");
		if (gen_dir(ctx, rel, 0700, (uint32_t)u->uid, (uint32_t)u->gid, GROUP_CONFIG,
			    "user: home") == NULL)
			return -1;
	}
	for (size_t i = 0; i < s->writable.n; i++) {
		const char *rel = build_usrmerge(s->writable.v[i] + 1, mbuf, sizeof(mbuf));
		const struct build_entry *e = plan_resolve(ctx->plan, rel);
		if (e != NULL && e->type == BUILD_DIR)
			continue;
		if (e != NULL || build_plan_find(ctx->plan, rel) != NULL)
			return ward_err(WARD_EINPUT,
					"%s: writable: %s is not a directory in the image", s->path,
					s->writable.v[i]);
		if (gen_dir(ctx, rel, 0755, (uint32_t)u->uid, (uint32_t)u->gid, GROUP_CONFIG,
			    "writable: of ward.yaml") == NULL)
			return -1;
	}
	if (s->workdir != NULL && strcmp(s->workdir, "/") != 0) {
		const char *rel = build_usrmerge(s->workdir + 1, mbuf, sizeof(mbuf));
		const struct build_entry *e = plan_resolve(ctx->plan, rel);
		if (e == NULL && build_plan_find(ctx->plan, rel) == NULL &&
		    gen_dir(ctx, rel, 0755, 0, 0, GROUP_CONFIG, "workdir: of ward.yaml") == NULL)
			return -1;
	}
	return 0;
}

static int
timezone_links(struct build_ctx *ctx)
{
	const char *tz = ctx->spec->timezone;
	char zone[512], *text;
	const struct build_entry *e;
	int rc;

	if (tz == NULL)
		return 0;
	snprintf(zone, sizeof(zone), "usr/share/zoneinfo/%s", tz);
	e = plan_resolve(ctx->plan, zone);
	if (e == NULL || e->type != BUILD_FILE)
		return ward_err(WARD_EINPUT, "%s: timezone %s: /%s is not in the image (tzdata)",
				ctx->spec->path, tz, zone);
	snprintf(zone, sizeof(zone), "/usr/share/zoneinfo/%s", tz);
	if (gen_symlink(ctx, "etc/localtime", zone, GROUP_CONFIG, "ward",
			"timezone: of ward.yaml") != 0)
		return -1;
	text = ward_asprintf("%s\n", tz);
	rc = text && gen_file(ctx, "etc/timezone", text, strlen(text), GROUP_CONFIG, "ward",
			      "timezone: of ward.yaml") != NULL
		     ? 0
		     : -1;
	free(text);
	return rc;
}

int
build_generate_config(struct build_ctx *ctx)
{
	if (accounts(ctx) != 0 || os_release(ctx) != 0 || directories(ctx) != 0 ||
	    timezone_links(ctx) != 0)
		return -1;
	plan_sort(ctx->plan);
	return 0;
}
