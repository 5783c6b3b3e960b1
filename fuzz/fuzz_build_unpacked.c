/* fuzz_build_unpacked: the index of a tree in the unpacked-package cache
 * (lib/build/unpacked.c) -- any bytes as <cache>/unpacked/<sha>/index of a
 * tree that also holds f0 ("x") and m-control.  unpacked_open must refuse
 * what is malformed (a warning, the tree removed) and give back only clean
 * entries: relative paths without "..", links where the type needs one,
 * a 64-digit digest for every regular file. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/build_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *top, *cache;
static char sha_hex[] = "0000000000000000000000000000000000000000000000000000000000000000";

static void
cleanup(void)
{
	if (top != NULL)
		(void)ward_rm_rf(top);
}

static void
put(const char *dir, const char *name, const void *p, size_t n)
{
	char *path = ward_path_join(dir, name);
	int fd = path ? open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644) : -1;

	if (fd < 0 || (n > 0 && write(fd, p, n) != (ssize_t)n))
		abort();
	close(fd);
	free(path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct deb_lock_pkg pkg = {.name = "fuzz", .version = "1", .sha256 = sha_hex};
	struct unpacked *u = NULL;
	struct deb_entry e;
	const char *sha;
	char *dir;
	int r;

	if (top == NULL) {
		char tmpl[] = "/tmp/fuzz-build-unpacked.XXXXXX";
		if (mkdtemp(tmpl) == NULL || (top = ward_strdup(tmpl)) == NULL ||
		    (cache = ward_path_join(top, "cache")) == NULL)
			abort();
		atexit(cleanup);
	}
	ward_log_set_level(WARD_LOG_ERROR);
	if ((dir = unpacked_dir(cache, sha_hex)) == NULL || ward_mkdir_p(dir, 0755) != 0)
		abort();
	put(dir, "index", data, size);
	put(dir, "f0", "x", 1);
	put(dir, "m-control", "Package: fuzz\n", 14);
	r = unpacked_open(cache, &pkg, &u);
	if (r < 0)
		__builtin_trap();
	if (r == 1) {
		if (unpacked_meta(u, UNPACKED_CONTROL) == NULL)
			__builtin_trap();
		while (unpacked_next(u, &e, &sha) == 1) {
			if (!ward_relpath_ok(e.path) || (e.mode & ~07777u) != 0)
				__builtin_trap();
			if ((e.type == DEB_ENTRY_SYMLINK || e.type == DEB_ENTRY_HARDLINK) &&
			    (e.link == NULL || e.link[0] == '\0'))
				__builtin_trap();
			if (e.type == DEB_ENTRY_HARDLINK && !ward_relpath_ok(e.link))
				__builtin_trap();
			if (e.type == DEB_ENTRY_FILE && strlen(sha) != 64)
				__builtin_trap();
		}
	}
	unpacked_close(u);
	ward_err_clear();
	if (ward_rm_rf(dir) != 0)
		abort();
	free(dir);
	return 0;
}
