/* wheels.c: the wheels of ward.lock's "python" member into the staging
 * tree and the plan, after the packages and before the bytecode (their
 * modules are compiled by the image's interpreter like the packages').
 *
 * Every wheel is read from the verified cache (deb_cache_open re-hashes
 * it) and installed by lib/wheel -- RECORD checked before anything is
 * written -- through ward_root, the beneath-the-root writer: a wheel never
 * writes outside the staging tree, nor through a link a package left in it.
 * A path a package or another wheel already has is an error naming both.
 * Nothing of a wheel runs at build time (entry points are generated). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/build_internal.h"

static int
root_create(void *arg, const char *path, uint32_t mode)
{
	struct build_ctx *ctx = arg;

	return ward_root_create(ctx->root, path, mode & 0755, 0);
}

/* The scheme directories for the image's interpreter and the prefix
 * (python.prefix, default /usr/local: Debian's Python has
 * /usr/local/lib/python3.N/dist-packages on sys.path, apart from the
 * packages' /usr/lib/python3/dist-packages). */
struct layout_bufs {
	char purelib[512], scripts[512], headers[512], data[512], interp[64];
};

static void
wheel_layout(const struct build_spec *s, const struct wheel_target *t, struct wheel_layout *lay,
	     struct layout_bufs *b)
{
	const char *prefix = s->python.prefix ? s->python.prefix : "/usr/local";

	while (*prefix == '/')
		prefix++;
	snprintf(b->purelib, sizeof(b->purelib), "%s/lib/python%d.%d/dist-packages", prefix,
		 t->py_major, t->py_minor);
	snprintf(b->scripts, sizeof(b->scripts), "%s/bin", prefix);
	snprintf(b->headers, sizeof(b->headers), "%s/include/python%d.%d", prefix, t->py_major,
		 t->py_minor);
	snprintf(b->data, sizeof(b->data), "%s", prefix);
	snprintf(b->interp, sizeof(b->interp), "/usr/bin/python%d.%d", t->py_major, t->py_minor);
	lay->purelib = b->purelib;
	lay->scripts = b->scripts;
	lay->headers = b->headers;
	lay->data = b->data;
	lay->interpreter = b->interp;
	lay->provenance = 1; /* the wheel's digest stays with it, for the SBOM */
}

const char *
build_wheel_site(const struct build_spec *s, const struct deb_lock *lock, char *buf, size_t size)
{
	struct wheel_target t;
	struct wheel_layout lay;
	struct layout_bufs b;

	if (wheel_target_from_lock(lock, &t) != 0) {
		ward_err_clear();
		return NULL;
	}
	wheel_layout(s, &t, &lay, &b);
	snprintf(buf, size, "%s", lay.purelib);
	return buf;
}

/* Every installed file, and the directories above it, into the plan. */
static int
plan_wheel(struct build_ctx *ctx, const struct wheel_pin *pin, const struct wheel_installed *w)
{
	char owner[300];

	snprintf(owner, sizeof(owner), "pypi:%s", pin->name);
	for (size_t i = 0; i < w->files.n; i++) {
		const char *path = w->files.v[i];
		struct build_entry *e, *old = NULL;
		struct stat st;
		if (plan_mkdirs(ctx->plan, path, GROUP_WHEELS, owner) != 0 ||
		    ward_root_lstat(ctx->root, path, &st) != 0)
			return -1;
		e = plan_add(ctx->plan, path, BUILD_FILE, &old);
		if (e == NULL) {
			if (old == NULL)
				return -1;
			ward_err_clear();
			return ward_err(WARD_EINPUT,
					"/%s is installed by wheel %s and shipped by %s: the image "
					"cannot hold both",
					path, pin->filename, old->owner ? old->owner : "ward");
		}
		if (plan_set_str(&e->owner, owner) != 0)
			return -1;
		e->origin = BUILD_FROM_WHEEL;
		e->mode = (st.st_mode & 0111) ? 0755 : 0644;
		e->size = (uint64_t)st.st_size;
		e->layer = GROUP_WHEELS;
	}
	return 0;
}

int
build_install_wheels(struct build_ctx *ctx)
{
	const struct wheel_lock *wl = ctx->opts->wheels;
	struct wheel_target t;
	struct wheel_layout lay;
	struct layout_bufs bufs;
	struct wheel_sink sink = {root_create, ctx};

	if (wl == NULL || wl->npins == 0)
		return 0;
	if (wheel_target_from_lock(ctx->lock, &t) != 0)
		return -1;
	if (strcmp(t.py_full, wl->python) != 0)
		return ward_err(WARD_EINPUT,
				"ward.lock: the wheels were chosen for Python %s, the image has %s "
				"(run ward lock)",
				wl->python, t.py_full);
	wheel_layout(ctx->spec, &t, &lay, &bufs);
	for (size_t i = 0; i < wl->npins; i++) {
		const struct wheel_pin *p = &wl->pins[i];
		struct wheel_installed w;
		char what[400];
		int fd, rc;
		snprintf(what, sizeof(what), "wheel %s (%s)", p->filename, p->sha256);
		if ((fd = deb_cache_open(ctx->cache, p->sha256, p->size, what)) < 0)
			return -1;
		rc = wheel_install(fd, p, &lay, &sink, &w);
		close(fd);
		if (rc != 0)
			return -1;
		rc = plan_wheel(ctx, p, &w);
		wheel_installed_free(&w);
		if (rc != 0)
			return -1;
	}
	plan_sort(ctx->plan);
	ward_info("python wheels: %zu installed into /%s", wl->npins, lay.purelib);
	return 0;
}
