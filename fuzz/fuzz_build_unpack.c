/* fuzz_build_unpack: the build's .deb unpack path (issue 15) -- any bytes
 * as the one locked package of a build, put in a verified cache under
 * their digest and unpacked into a staging tree by build_unpack, the code
 * `ward build`, `ward release` and `ward audit --compare` share.  Whatever
 * the package holds (symlink escapes, ".." and absolute names, hard links
 * out, device nodes), nothing may appear beside the staging tree: the
 * scratch directory that holds it must list exactly what the harness made,
 * and its canary file must keep its bytes.  A package that unpacks is
 * unpacked a second time, from the tree the first run recorded in the
 * unpacked-package cache: the plan (every path, type, mode, owner, size,
 * digest, link) and what is kept of control.tar must be the same. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/build_internal.h"
#include "crypto/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char canary_text[] = "host file: never written by a build\n";
static char *top, *cache, *rootfs, *canary;
static struct build_spec spec;

static void
cleanup(void)
{
	if (top != NULL)
		(void)ward_rm_rf(top);
}

static void
setup(void)
{
	static const char yaml[] = "name: fuzz\n"
				   "sources:\n  - suites: [bookworm]\n    components: [main]\n"
				   "packages: [fuzz]\n"
				   "entrypoint: [/usr/bin/true]\n";
	char tmpl[] = "/tmp/fuzz-build-unpack.XXXXXX";
	char *blobs;
	int fd;

	if (mkdtemp(tmpl) == NULL || (top = ward_strdup(tmpl)) == NULL ||
	    (cache = ward_path_join(top, "cache")) == NULL ||
	    (rootfs = ward_path_join(top, "rootfs")) == NULL ||
	    (canary = ward_path_join(top, "canary")) == NULL ||
	    (blobs = ward_path_join(cache, "blobs/sha256")) == NULL ||
	    ward_mkdir_p(blobs, 0755) != 0)
		abort();
	free(blobs);
	fd = open(canary, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0 || write(fd, canary_text, sizeof(canary_text) - 1) != sizeof(canary_text) - 1)
		abort();
	close(fd);
	if (build_spec_parse(yaml, sizeof(yaml) - 1, "fuzz/ward.yaml", &spec) != 0)
		abort();
	atexit(cleanup);
}

/* Only cache/, canary and (while unpacking) rootfs/ beside the tree; the
 * canary unchanged. */
static void
check_outside(void)
{
	DIR *d = opendir(top);
	struct dirent *de;
	char buf[sizeof(canary_text)];
	int fd;
	ssize_t n;

	if (d == NULL)
		abort();
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
		    strcmp(de->d_name, "cache") != 0 && strcmp(de->d_name, "rootfs") != 0 &&
		    strcmp(de->d_name, "canary") != 0) {
			fprintf(stderr, "written outside the staging tree: %s/%s\n", top,
				de->d_name);
			__builtin_trap();
		}
	closedir(d);
	fd = open(canary, O_RDONLY | O_NOFOLLOW);
	if (fd < 0)
		__builtin_trap();
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n != (ssize_t)sizeof(canary_text) - 1 || memcmp(buf, canary_text, (size_t)n) != 0)
		__builtin_trap();
}

/* Everything the plan says about every path, and what the build kept of
 * control.tar: the two ways of unpacking must agree on all of it. */
static char *
snapshot(struct build_ctx *ctx)
{
	struct ward_buf b = {0};

	for (size_t i = 0; i < build_plan_count(ctx->plan); i++) {
		const struct build_entry *e = build_plan_entry(ctx->plan, i);
		ward_buf_printf(&b, "%s %d %o %u %u %llu %s %s %s\n", e->path, e->type, e->mode,
				e->uid, e->gid, (unsigned long long)e->size, e->sha256,
				e->link ? e->link : "-", e->owner ? e->owner : "-");
	}
	for (size_t i = 0; i < ctx->setid.n; i++)
		ward_buf_printf(&b, "setid %s\n", ctx->setid.v[i]);
	ward_buf_printf(&b, "dropped %zu\ncontrol %s\npostinst %s\nmd5sums %s\nconffiles %s\n",
			ctx->res->dropped, ctx->pkgs[0].control ? ctx->pkgs[0].control : "(none)",
			ctx->pkgs[0].postinst ? ctx->pkgs[0].postinst : "(none)",
			ctx->pkgs[0].md5sums ? ctx->pkgs[0].md5sums : "(none)",
			ctx->pkgs[0].conffiles ? ctx->pkgs[0].conffiles : "(none)");
	if (ward_buf_check(&b) != 0)
		abort();
	return ward_buf_steal(&b);
}

/* One unpack of the locked package into a fresh plan and staging tree:
 * 0 or -1 as build_unpack; *snap its snapshot when it unpacked. */
static int
unpack_once(struct build_ctx *ctx, char **snap)
{
	struct build_pkg *bp = &ctx->pkgs[0];
	int rc;

	*snap = NULL;
	memset(ctx->res, 0, sizeof(*ctx->res));
	if ((ctx->plan = plan_new()) == NULL)
		abort();
	rc = build_unpack(ctx);
	if (rc == 0) {
		/* what was staged is what was planned: every planned path is
		 * beneath the root, read back without following a link */
		for (size_t i = 0; i < build_plan_count(ctx->plan); i++) {
			const struct build_entry *e = build_plan_entry(ctx->plan, i);
			struct stat st;
			if (e->path[0] == '/' || strstr(e->path, "..") == e->path)
				__builtin_trap();
			(void)ward_root_lstat(ctx->root, e->path, &st);
		}
		*snap = snapshot(ctx);
	}
	check_outside();
	ward_err_clear();
	plan_free(ctx->plan);
	ctx->plan = NULL;
	ward_root_close(ctx->root);
	ctx->root = NULL;
	free(bp->control);
	free(bp->md5sums);
	free(bp->conffiles);
	free(bp->postinst);
	bp->control = bp->md5sums = bp->conffiles = bp->postinst = NULL;
	ward_strv_free(&ctx->setid);
	if (ward_rm_rf(rootfs) != 0)
		abort();
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char hex[SHA256_HEX_LEN + 1], *blob, *trees, *first = NULL, *second = NULL;
	struct deb_lock_pkg pkg = {.name = "fuzz", .version = "1", .arch = "amd64", .size = size};
	struct deb_lock lock = {.pkgs = &pkg, .npkgs = 1};
	struct build_pkg bp = {.lock = &pkg, .group = GROUP_FRAMEWORKS};
	struct build_result res = {0};
	struct build_opts opts = {0};
	struct build_ctx ctx = {.spec = &spec,
				.lock = &lock,
				.opts = &opts,
				.res = &res,
				.pkgs = &bp,
				.threads = 1};
	int fd;

	if (top == NULL)
		setup();
	ward_log_set_level(WARD_LOG_ERROR);
	sha256_hex(data, size, hex);
	pkg.sha256 = hex;
	if ((blob = deb_cache_blob_path(cache, hex)) == NULL ||
	    (trees = ward_path_join(cache, "unpacked")) == NULL)
		abort();
	fd = open(blob, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size))
		abort();
	close(fd);
	ctx.cache = cache;
	ctx.rootfs = rootfs;
	if (ward_rm_rf(trees) != 0)
		abort();
	if (unpack_once(&ctx, &first) == 0) {
		/* again, from the tree the first run recorded */
		if (unpack_once(&ctx, &second) != 0 || res.unpacked_cached != 1 ||
		    strcmp(first, second) != 0) {
			fprintf(stderr,
				"the unpacked-package cache differs from the .deb:\n%s\n---\n%s\n",
				first, second ? second : "(failed)");
			__builtin_trap();
		}
	}
	free(first);
	free(second);
	if (ward_rm_rf(trees) != 0)
		abort();
	free(trees);
	unlink(blob);
	free(blob);
	return 0;
}
