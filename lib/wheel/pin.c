/* pin.c: one wheel per package for the image (ward lock), ward.lock's
 * "python" member, and the fetch items for ward fetch. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crypto/crypto.h"
#include "wheel/wheel_internal.h"

#define MAX_WHEEL_IN_MEMORY ((size_t)2 << 30)

static void
pin_free(struct wheel_pin *p)
{
	free(p->name);
	free(p->version);
	free(p->filename);
	free(p->url);
}

void
wheel_lock_free(struct wheel_lock *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->npins; i++)
		pin_free(&l->pins[i]);
	free(l->pins);
	free(l->lock);
	free(l->format);
	free(l->python);
	free(l->platform);
	memset(l, 0, sizeof(*l));
}

/* A file that may be the package's wheel. */
struct cand {
	char *filename, *url, *local; /* local: a file on this machine */
	uint64_t size;
	char sha256[65];
	int rank;
};

static void
cands_free(struct cand *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(c[i].filename);
		free(c[i].url);
		free(c[i].local);
	}
	free(c);
}

static int
cand_push(struct cand **v, size_t *n, const char *filename, const char *url, const char *local,
	  uint64_t size, const char *sha256)
{
	struct cand *x = ward_realloc(*v, (*n + 1) * sizeof(*x));

	if (x == NULL)
		return -1;
	*v = x;
	x = &x[(*n)++];
	memset(x, 0, sizeof(*x));
	snprintf(x->sha256, sizeof(x->sha256), "%s", sha256);
	x->size = size;
	if ((x->filename = ward_strdup(filename)) == NULL ||
	    (url != NULL && (x->url = ward_strdup(url)) == NULL) ||
	    (local != NULL && (x->local = ward_strdup(local)) == NULL))
		return -1;
	return 0;
}

/* The wheelhouse's *.whl, read once: names and paths. */
struct house {
	struct ward_strv names;
	const char *dir;
	int loaded;
};

static int
house_load(struct house *h)
{
	DIR *d;
	struct dirent *e;

	if (h->loaded || h->dir == NULL)
		return 0;
	h->loaded = 1;
	if ((d = opendir(h->dir)) == NULL)
		return ward_err_io(h->dir, "cannot read the wheelhouse");
	while ((e = readdir(d)) != NULL)
		if (ward_str_endswith(e->d_name, ".whl") &&
		    ward_strv_push(&h->names, e->d_name) != 0) {
			closedir(d);
			return -1;
		}
	closedir(d);
	ward_strv_sort(&h->names);
	return 0;
}

static int
file_size(const char *path, uint64_t *size)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return ward_err_io(path, "cannot read");
	if (!S_ISREG(st.st_mode))
		return ward_err(WARD_EINPUT, "%s: not a regular file", path);
	*size = (uint64_t)st.st_size;
	return 0;
}

/* Candidates of a requirements.txt line: files in the wheelhouse and the
 * index named like the package and version whose digest the line lists. */
static int
gather_requirements(const struct wheel_req *r, const struct wheel_sources *src, struct house *house,
		    const char *index, struct cand **cv, size_t *cn)
{
	if (house_load(house) != 0)
		return -1;
	for (size_t i = 0; i < house->names.n; i++) {
		struct wheel_filename fn;
		char *path, hex[65];
		uint64_t size;
		int match;
		if (wheel_filename_parse(house->names.v[i], &fn) != 0) {
			ward_err_clear();
			continue;
		}
		match = strcmp(fn.dist, r->name) == 0 && wheel_version_eq(fn.version, r->version);
		wheel_filename_free(&fn);
		if (!match)
			continue;
		if ((path = ward_path_join(src->wheelhouse, house->names.v[i])) == NULL)
			return -1;
		if (sha256_file_hex(path, hex, &size) != 0) {
			free(path);
			return -1;
		}
		if (ward_strv_contains(&r->sha256s, hex) &&
		    cand_push(cv, cn, house->names.v[i], NULL, path, size, hex) != 0) {
			free(path);
			return -1;
		}
		free(path);
	}
	if (index != NULL) {
		struct wheel_index_file *f = NULL;
		size_t nf = 0;
		if (wheel_index_project(index, r->name, &f, &nf) != 0)
			return -1;
		for (size_t i = 0; i < nf; i++) {
			struct wheel_filename fn;
			int match;
			if (!ward_str_endswith(f[i].filename, ".whl") ||
			    wheel_filename_parse(f[i].filename, &fn) != 0) {
				ward_err_clear();
				continue;
			}
			match = strcmp(fn.dist, r->name) == 0 &&
				wheel_version_eq(fn.version, r->version) && f[i].sha256[0] &&
				ward_strv_contains(&r->sha256s, f[i].sha256);
			wheel_filename_free(&fn);
			if (match && cand_push(cv, cn, f[i].filename, f[i].url, NULL, f[i].size,
					       f[i].sha256) != 0) {
				wheel_index_files_free(f, nf);
				return -1;
			}
		}
		wheel_index_files_free(f, nf);
	}
	return 0;
}

static int
cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return strcmp(x->filename, y->filename);
}

/* A size the lock and the index did not give: download the file once
 * (checked against its digest) into the cache and use its length. */
static int
learn_size(struct cand *c, const char *cache, const char *what)
{
	struct ward_buf b = {0};
	char hex[65];

	if (c->local != NULL)
		return file_size(c->local, &c->size);
	if (c->url == NULL)
		return ward_err(WARD_EINPUT, "%s: %s has no size and no location", what,
				c->filename);
	if (deb_download(c->url, MAX_WHEEL_IN_MEMORY, &b, c->filename) != 0)
		return -1;
	sha256_hex(b.data ? b.data : (const unsigned char *)"", b.len, hex);
	if (strcmp(hex, c->sha256) != 0) {
		ward_buf_free(&b);
		return ward_err(WARD_EVERIFY, "%s: %s has SHA-256 %s, the lock says %s", what,
				c->url, hex, c->sha256);
	}
	c->size = b.len;
	if (deb_cache_insert_mem(cache, hex, b.data, b.len) != 0) {
		ward_buf_free(&b);
		return -1;
	}
	ward_buf_free(&b);
	return 0;
}

static char *
relative_to(const char *path, const char *base)
{
	size_t n = base ? strlen(base) : 0;

	if (n > 0 && strncmp(path, base, n) == 0 && path[n] == '/')
		return ward_strdup(path + n + 1);
	return ward_strdup(path);
}

static int
pin_one(const struct wheel_reqs *reqs, const struct wheel_req *r, const struct wheel_target *t,
	const struct wheel_sources *src, struct house *house, const char *cache,
	struct wheel_pin *pin)
{
	struct cand *cv = NULL;
	size_t cn = 0, fit = 0;
	char what[400], first_why[300] = "";
	int rc = -1;

	snprintf(what, sizeof(what), "%s: %s %s", reqs->path ? reqs->path : "python", r->name,
		 r->version);
	if (reqs->format == WHEEL_PYLOCK) {
		for (size_t i = 0; i < r->ncands; i++) {
			const struct wheel_candidate *c = &r->cands[i];
			char *local = NULL;
			int pr;
			if (house_load(house) != 0)
				goto done;
			if (ward_strv_contains(&house->names, c->filename))
				local = ward_path_join(src->wheelhouse, c->filename);
			else if (c->path != NULL)
				local = ward_strdup(c->path);
			pr = cand_push(&cv, &cn, c->filename, c->url, local, c->size, c->sha256);
			free(local);
			if (pr != 0)
				goto done;
		}
	} else {
		const char *index = src->index ? src->index : reqs->index;
		if (gather_requirements(r, src, house, index, &cv, &cn) != 0)
			goto done;
		if (cn == 0) {
			ward_err(WARD_EINPUT, "%s: no file with a listed --hash in the %s%s%s",
				 what, src->wheelhouse ? "wheelhouse" : "",
				 src->wheelhouse && index ? " or the " : "", index ? "index" : "");
			goto done;
		}
	}
	for (size_t i = 0; i < cn; i++) {
		struct wheel_filename fn;
		char why[256];
		int ok;
		if (wheel_filename_parse(cv[i].filename, &fn) != 0)
			goto done;
		ok = wheel_tag_check(&fn, t, &cv[i].rank, why, sizeof(why)) == 0;
		wheel_filename_free(&fn);
		if (ok) { /* fitting ones to the front; every entry stays owned */
			struct cand tmp = cv[fit];
			cv[fit++] = cv[i];
			cv[i] = tmp;
		} else if (!first_why[0]) {
			snprintf(first_why, sizeof(first_why), "%s: %s", cv[i].filename, why);
		}
	}
	if (fit == 0) {
		ward_err(WARD_EINPUT,
			 "%s: no wheel runs on the image (CPython %s, glibc %d.%d, %s): %s", what,
			 t->py_full, t->glibc_major, t->glibc_minor, t->machine, first_why);
		goto done;
	}
	qsort(cv, fit, sizeof(*cv), cand_cmp);
	if (cv[0].size == 0 && learn_size(&cv[0], cache, what) != 0)
		goto done;
	if ((pin->name = ward_strdup(r->name)) == NULL ||
	    (pin->version = ward_strdup(r->version)) == NULL ||
	    (pin->filename = ward_strdup(cv[0].filename)) == NULL ||
	    (cv[0].url != NULL && (pin->url = ward_strdup(cv[0].url)) == NULL))
		goto done;
	if (pin->url == NULL && cv[0].local != NULL &&
	    !ward_strv_contains(&house->names, cv[0].filename)) {
		/* A path in the lock outside the wheelhouse. */
		char *rel = relative_to(cv[0].local, src->base_dir);
		if (rel == NULL)
			goto done;
		pin->url = ward_asprintf("path:%s", rel);
		free(rel);
		if (pin->url == NULL)
			goto done;
	}
	pin->size = cv[0].size;
	memcpy(pin->sha256, cv[0].sha256, sizeof(pin->sha256));
	/* PEP 610: a wheel the lock names by URL, not found through an index. */
	pin->direct = reqs->format == WHEEL_PYLOCK && !r->from_index && pin->url != NULL &&
		      (ward_str_startswith(pin->url, "https://") ||
		       ward_str_startswith(pin->url, "http://"));
	rc = 0;
done:
	cands_free(cv, cn);
	return rc;
}

int
wheel_lock_resolve(const struct wheel_reqs *reqs, const struct wheel_target *t,
		   const struct wheel_sources *src, const char *cache, struct wheel_lock *out)
{
	struct house house = {.dir = src->wheelhouse};
	char plat[64];

	memset(out, 0, sizeof(*out));
	snprintf(plat, sizeof(plat), "manylinux_%d_%d_%s", t->glibc_major, t->glibc_minor,
		 t->machine);
	if ((out->lock = relative_to(reqs->path ? reqs->path : "", src->base_dir)) == NULL ||
	    (out->format = ward_strdup(reqs->format == WHEEL_PYLOCK ? "pylock" : "requirements")) ==
		    NULL ||
	    (out->python = ward_strdup(t->py_full)) == NULL ||
	    (out->platform = ward_strdup(plat)) == NULL)
		goto fail;
	memcpy(out->lock_sha256, reqs->sha256, sizeof(out->lock_sha256));
	out->pins = ward_calloc(reqs->n ? reqs->n : 1, sizeof(*out->pins));
	if (out->pins == NULL)
		goto fail;
	for (size_t i = 0; i < reqs->n; i++) {
		out->npins++;
		if (pin_one(reqs, &reqs->v[i], t, src, &house, cache, &out->pins[i]) != 0)
			goto fail;
	}
	ward_strv_free(&house.names);
	return 0;
fail:
	ward_strv_free(&house.names);
	wheel_lock_free(out);
	return -1;
}

/* ------------------------------------------------------------ JSON */

json_t *
wheel_lock_to_json(const struct wheel_lock *l)
{
	json_t *wheels = json_array(), *root;

	if (wheels == NULL)
		return NULL;
	for (size_t i = 0; i < l->npins; i++) {
		const struct wheel_pin *p = &l->pins[i];
		if (json_array_append_new(
			    wheels, json_pack("{s:s,s:s,s:s,s:o,s:b,s:I,s:s}", "name", p->name,
					      "version", p->version, "filename", p->filename, "url",
					      ward_json_str_or_null(p->url), "direct", p->direct,
					      "size", (json_int_t)p->size, "sha256", p->sha256)) !=
		    0) {
			json_decref(wheels);
			return NULL;
		}
	}
	root = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o}", "lock", l->lock, "format", l->format,
			 "lock_sha256", l->lock_sha256, "python", l->python, "platform",
			 l->platform, "wheels", wheels);
	if (root == NULL)
		ward_err(WARD_EENV, "cannot build the python lock JSON");
	return root;
}

static int
dup_str(const json_t *o, const char *key, const char *what, char **out)
{
	const char *s = ward_json_req_str(o, key, what);

	if (s == NULL)
		return -1;
	return (*out = ward_strdup(s)) != NULL ? 0 : -1;
}

int
wheel_lock_from_json(const json_t *j, const char *what, struct wheel_lock *out)
{
	json_t *a, *v;
	const char *s;
	size_t i;
	char w[512];

	memset(out, 0, sizeof(*out));
	if (!json_is_object(j))
		return ward_err(WARD_EINPUT, "%s: python is not an object", what);
	if (dup_str(j, "lock", what, &out->lock) || dup_str(j, "format", what, &out->format) ||
	    dup_str(j, "python", what, &out->python) ||
	    dup_str(j, "platform", what, &out->platform))
		goto fail;
	if ((s = ward_json_req_str(j, "lock_sha256", what)) == NULL ||
	    wheel_hex_digest(s, out->lock_sha256) != 0) {
		ward_err(WARD_EINPUT, "%s: lock_sha256 is not a digest", what);
		goto fail;
	}
	if ((a = ward_json_req_array(j, "wheels", what)) == NULL)
		goto fail;
	out->pins = ward_calloc(json_array_size(a) + 1, sizeof(*out->pins));
	if (out->pins == NULL)
		goto fail;
	json_array_foreach(a, i, v)
	{
		struct wheel_pin *p = &out->pins[i];
		json_t *size = json_object_get(v, "size"), *url = json_object_get(v, "url");
		struct wheel_filename fn;
		snprintf(w, sizeof(w), "%s: wheels[%zu]", what, i);
		out->npins++;
		if (dup_str(v, "name", w, &p->name) || dup_str(v, "version", w, &p->version) ||
		    dup_str(v, "filename", w, &p->filename))
			goto fail;
		if (!json_is_integer(size) || json_integer_value(size) <= 0) {
			ward_err(WARD_EINPUT, "%s: size must be a positive integer", w);
			goto fail;
		}
		p->size = (uint64_t)json_integer_value(size);
		if ((s = ward_json_req_str(v, "sha256", w)) == NULL ||
		    wheel_hex_digest(s, p->sha256) != 0) {
			ward_err(WARD_EINPUT, "%s: sha256 is not a digest", w);
			goto fail;
		}
		if (json_is_string(url) && (p->url = ward_strdup(json_string_value(url))) == NULL)
			goto fail;
		p->direct = json_is_true(json_object_get(v, "direct"));
		if (wheel_filename_parse(p->filename, &fn) != 0)
			goto fail;
		wheel_filename_free(&fn);
		if (i > 0 && strcmp(out->pins[i - 1].name, p->name) >= 0) {
			ward_err(WARD_EINPUT, "%s: wheels are not sorted by name", what);
			goto fail;
		}
	}
	return 0;
fail:
	wheel_lock_free(out);
	return -1;
}

int
wheel_lock_read(const char *path, struct wheel_lock *out, int *present)
{
	json_t *j = ward_json_load_file(path, 256u << 20), *py;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	*present = 0;
	if (j == NULL)
		return -1;
	py = json_object_get(j, "python");
	if (py != NULL) {
		char what[600];
		snprintf(what, sizeof(what), "%s: python", path);
		*present = 1;
		rc = wheel_lock_from_json(py, what, out);
	}
	json_decref(j);
	return rc;
}

/* ------------------------------------------------------------ fetch */

int
wheel_fetch_items(const struct wheel_lock *l, const struct wheel_sources *src,
		  struct deb_fetch_item **items, struct ward_strv *strs)
{
	struct deb_fetch_item *v = ward_calloc(l->npins ? l->npins : 1, sizeof(*v));

	*items = v;
	if (v == NULL)
		return -1;
	/* Strings first, then pointers into them: the vector may move. */
	for (size_t i = 0; i < l->npins; i++) {
		const struct wheel_pin *p = &l->pins[i];
		char *url = NULL;
		if (p->url != NULL && ward_str_startswith(p->url, "path:")) {
			const char *rel = p->url + 5;
			char *abs = rel[0] == '/' ? ward_strdup(rel)
						  : ward_path_join(src->base_dir, rel);
			url = abs ? ward_asprintf("file://%s", abs) : NULL;
			free(abs);
		} else if (p->url != NULL) {
			url = ward_strdup(p->url);
		} else {
			url = ward_strdup("");
		}
		if (url == NULL || ward_strv_push_owned(strs, url) != 0 ||
		    ward_strv_push_owned(strs, ward_asprintf("%s %s (%s)", p->name, p->version,
							     p->filename)) != 0)
			return -1;
	}
	for (size_t i = 0; i < l->npins; i++) {
		const struct wheel_pin *p = &l->pins[i];
		v[i].url = strs->v[2 * i][0] ? strs->v[2 * i] : NULL;
		v[i].what = strs->v[2 * i + 1];
		v[i].sha256 = p->sha256;
		v[i].size = p->size;
		v[i].local = p->filename; /* looked for in the wheelhouse (from_dir) */
	}
	return 0;
}
