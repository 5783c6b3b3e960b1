/* deb_internal.h: shared inside lib/deb only. */
#ifndef WARD_DEB_INTERNAL_H
#define WARD_DEB_INTERNAL_H

#include "deb/deb.h"

/* A string -> size_t hash map (keys borrowed). */
struct name_map {
	struct name_slot {
		const char *key;
		size_t value;
	} * slots;
	size_t cap, used;
};
int name_map_put(struct name_map *m, const char *key, size_t value);
/* name_map_get: 1 and *value when present, else 0. */
int name_map_get(const struct name_map *m, const char *key, size_t *value);
void name_map_free(struct name_map *m);

/* A package that provides a (virtual) name, possibly at a version. */
struct deb_provider {
	const struct deb_pkg *pkg;
	const char *version; /* NULL for an unversioned Provides */
};
/* deb_universe_providers(u, name, n): packages whose Provides name it. */
const struct deb_provider *deb_universe_providers(const struct deb_universe *u, const char *name,
						  size_t *n);
const char *deb_universe_arch(const struct deb_universe *u);

/* clearsign_strip(data, len, out): the text of a clearsigned message,
 * unverified (only for --allow-unsigned); -1 if it is not clearsigned. */
int clearsign_strip(const char *data, size_t len, struct ward_buf *out);

/* gpgv_path(): the gpgv program (WARD_GPGV, else the usual places), or NULL. */
const char *gpgv_path(void);

/* cache_partial_dir / cache_blobs_dir: "<cache>/partial", "<cache>/blobs/sha256". */
char *cache_subdir(const char *cache, const char *sub);

/* ar_header(h, off, file_size, what, m): one 60-byte ar member header at
 * offset off of a file of file_size bytes. */
int ar_header(const unsigned char *h, uint64_t off, uint64_t file_size, const char *what,
	      struct deb_ar_member *m);

/* cache_commit_partial: rename a verified download into blobs/sha256/. */
int cache_commit_partial(const char *cache, const char *hex, const char *partial);

#endif
