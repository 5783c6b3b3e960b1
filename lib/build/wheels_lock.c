/* wheels_lock.c: the `python:` part of ward lock and ward fetch: the user's
 * wheel lock resolved against the image's interpreter into ward.lock's
 * "python" member, checked to be current, and fetched into the cache. */
#include <stdlib.h>
#include <string.h>

#include "build/build.h"
#include "crypto/crypto.h"

static void
sources_of(const struct build_spec *s, struct wheel_sources *src)
{
	src->wheelhouse = s->python.wheelhouse;
	src->index = s->python.index;
	src->base_dir = s->dir;
}

int
build_python_lock(const struct build_spec *s, const struct deb_lock *l, const char *cache,
		  struct wheel_lock *out)
{
	struct wheel_target t;
	struct wheel_reqs reqs;
	struct wheel_sources src;
	int rc;

	memset(out, 0, sizeof(*out));
	if (s->python.lock == NULL)
		return 0;
	if (wheel_target_from_lock(l, &t) != 0 || wheel_reqs_load(s->python.lock, &t, &reqs) != 0)
		return -1;
	sources_of(s, &src);
	rc = wheel_lock_resolve(&reqs, &t, &src, cache, out);
	wheel_reqs_free(&reqs);
	return rc;
}

int
build_lock_write(const char *path, const struct deb_lock *l, const struct wheel_lock *w)
{
	json_t *j = deb_lock_to_json(l);
	int rc;

	if (j == NULL)
		return -1;
	if (w != NULL && w->lock != NULL) {
		json_t *py = wheel_lock_to_json(w);
		if (py == NULL || json_object_set_new(j, "python", py) != 0) {
			json_decref(j);
			return ward_err(WARD_EENV, "cannot build the lock JSON");
		}
	}
	rc = ward_json_write_file(path, j, 1);
	json_decref(j);
	return rc;
}

int
build_python_lock_read(const struct build_spec *s, const char *lockpath, struct wheel_lock *out)
{
	struct ward_buf b = {0};
	char hex[65];
	int present;

	memset(out, 0, sizeof(*out));
	if (wheel_lock_read(lockpath, out, &present) != 0)
		return -1;
	if (s->python.lock == NULL) {
		if (present) {
			wheel_lock_free(out);
			return ward_err(
				WARD_EINPUT,
				"ward.lock is out of date with ward.yaml: it pins wheels and "
				"ward.yaml has no python: (run ward lock)");
		}
		return 0;
	}
	if (!present)
		return ward_err(WARD_EINPUT,
				"ward.lock is out of date with ward.yaml: python: is new (run ward "
				"lock)");
	if (ward_file_read(s->python.lock, 16u << 20, &b) != 0) {
		wheel_lock_free(out);
		return -1;
	}
	sha256_hex(b.data ? b.data : (const unsigned char *)"", b.len, hex);
	ward_buf_free(&b);
	if (strcmp(hex, out->lock_sha256) != 0) {
		ward_err(WARD_EINPUT,
			 "ward.lock is out of date with %s (it changed since ward lock; run ward "
			 "lock)",
			 s->python.lock);
		wheel_lock_free(out);
		return -1;
	}
	return 0;
}

int
build_python_fetch_items(const struct build_spec *s, const struct wheel_lock *w,
			 struct deb_fetch_item **items, struct ward_strv *strs)
{
	struct wheel_sources src;

	sources_of(s, &src);
	return wheel_fetch_items(w, &src, items, strs);
}
