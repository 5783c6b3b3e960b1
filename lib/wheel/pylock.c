/* pylock.c: PEP 751 lock files (pylock.toml) -> the wheels each package
 * may be installed from.  Packages whose marker does not hold for the
 * image's interpreter are left out; every remaining package must offer
 * wheels, each with a sha256 hash (ward installs nothing it cannot verify,
 * and builds nothing from source). */
#include <stdlib.h>
#include <string.h>

#include "wheel/wheel_internal.h"

static const char *
opt_str(json_t *o, const char *key, const char *what, int *bad)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL)
		return NULL;
	if (!json_is_string(v)) {
		*bad = 1;
		ward_err(WARD_EINPUT, "%s: %s must be a string", what, key);
		return NULL;
	}
	if (strlen(json_string_value(v)) != json_string_length(v)) {
		*bad = 1;
		ward_err(WARD_EINPUT, "%s: %s contains a NUL character", what, key);
		return NULL;
	}
	return json_string_value(v);
}

static int
str_list(json_t *o, const char *key, const char *what, struct ward_strv *out)
{
	json_t *a = json_object_get(o, key), *v;
	size_t i;

	if (a == NULL)
		return 0;
	if (!json_is_array(a))
		return ward_err(WARD_EINPUT, "%s: %s must be an array of strings", what, key);
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v))
			return ward_err(WARD_EINPUT, "%s: %s must be an array of strings", what,
					key);
		if (ward_strv_push(out, json_string_value(v)) != 0)
			return -1;
	}
	return 0;
}

/* The last component of a URL's path (query and fragment dropped). */
static char *
url_basename(const char *url)
{
	size_t n = strcspn(url, "?#");
	const char *slash;
	char *s = ward_strndup(url, n);

	if (s == NULL)
		return NULL;
	slash = strrchr(s, '/');
	if (slash != NULL)
		memmove(s, slash + 1, strlen(slash + 1) + 1);
	return s;
}

static int
read_wheel(json_t *w, const char *what, const char *dir, const struct wheel_req *pkg,
	   struct wheel_candidate *c)
{
	int bad = 0;
	const char *name = opt_str(w, "name", what, &bad), *url = opt_str(w, "url", what, &bad),
		   *path = opt_str(w, "path", what, &bad);
	json_t *size = json_object_get(w, "size"), *hashes = json_object_get(w, "hashes"), *h;
	struct wheel_filename fn;

	if (bad)
		return -1;
	if (url == NULL && path == NULL)
		return ward_err(WARD_EINPUT, "%s: a wheel needs url or path", what);
	if (url != NULL && !ward_str_startswith(url, "https://") &&
	    !ward_str_startswith(url, "http://") && !ward_str_startswith(url, "file://"))
		return ward_err(WARD_EINPUT, "%s: url \"%.200s\" is not http(s) or file", what,
				url);
	if (name != NULL)
		c->filename = ward_strdup(name);
	else if (url != NULL)
		c->filename = url_basename(url);
	else
		c->filename = url_basename(path);
	if (c->filename == NULL)
		return -1;
	if (url != NULL && (c->url = ward_strdup(url)) == NULL)
		return -1;
	if (path != NULL) {
		c->path = path[0] == '/' ? ward_strdup(path) : ward_path_join(dir, path);
		if (c->path == NULL)
			return -1;
	}
	if (size != NULL) {
		if (!json_is_integer(size) || json_integer_value(size) <= 0)
			return ward_err(WARD_EINPUT, "%s: size must be a positive integer", what);
		c->size = (uint64_t)json_integer_value(size);
	}
	if (!json_is_object(hashes))
		return ward_err(WARD_EINPUT, "%s (%s): no hashes table", what, c->filename);
	h = json_object_get(hashes, "sha256");
	if (h == NULL)
		return ward_err(WARD_EINPUT,
				"%s (%s): no sha256 hash (ward verifies every wheel by SHA-256)",
				what, c->filename);
	if (wheel_hex_digest(json_is_string(h) ? json_string_value(h) : "", c->sha256) != 0)
		return ward_err(WARD_EINPUT, "%s (%s): sha256 is not 64 hexadecimal digits", what,
				c->filename);
	if (wheel_filename_parse(c->filename, &fn) != 0)
		return ward_err(WARD_EINPUT, "%s: \"%.200s\" is not a wheel file name", what,
				c->filename);
	if (strcmp(fn.dist, pkg->name) != 0) {
		wheel_filename_free(&fn);
		return ward_err(WARD_EINPUT, "%s: wheel %s is not a wheel of %s", what, c->filename,
				pkg->name);
	}
	if (pkg->version != NULL && !wheel_version_eq(fn.version, pkg->version)) {
		ward_err(WARD_EINPUT, "%s: wheel %s is not version %s", what, c->filename,
			 pkg->version);
		wheel_filename_free(&fn);
		return -1;
	}
	wheel_filename_free(&fn);
	return 0;
}

static int
read_package(json_t *p, const char *what, const char *dir, const struct wheel_target *t,
	     const struct ward_strv *extras, const struct ward_strv *groups, struct wheel_reqs *out)
{
	int bad = 0, applies = 1;
	const char *name = opt_str(p, "name", what, &bad),
		   *version = opt_str(p, "version", what, &bad),
		   *marker = opt_str(p, "marker", what, &bad),
		   *rp = opt_str(p, "requires-python", what, &bad);
	json_t *wheels = json_object_get(p, "wheels"), *w;
	struct wheel_req *r;
	char norm[256], w2[600];
	size_t i;

	if (bad)
		return -1;
	if (name == NULL)
		return ward_err(WARD_EINPUT, "%s: a package needs a name", what);
	if (wheel_name_normalize(name, norm, sizeof(norm)) != 0)
		return ward_err(WARD_EINPUT, "%s: \"%.100s\" is not a package name", what, name);
	if (marker != NULL && wheel_marker_eval(marker, t, extras, groups, what, &applies) != 0)
		return -1;
	if (!applies)
		return 0;
	if (rp != NULL) {
		int ok;
		if (wheel_specifier_check(rp, t->py_full, what, &ok) != 0)
			return -1;
		if (!ok)
			return ward_err(WARD_EINPUT, "%s: %s requires Python %s; the image has %s",
					what, norm, rp, t->py_full);
	}
	if (wheels == NULL || (json_is_array(wheels) && json_array_size(wheels) == 0)) {
		const char *kind = json_object_get(p, "sdist")	     ? "an sdist"
				   : json_object_get(p, "vcs")	     ? "a VCS checkout"
				   : json_object_get(p, "directory") ? "a directory"
				   : json_object_get(p, "archive")   ? "an archive"
								     : "nothing";
		return ward_err(
			WARD_EINPUT,
			"%s: %s has no wheel, only %s (ward installs wheels and never builds "
			"from source)",
			what, norm, kind);
	}
	if (!json_is_array(wheels))
		return ward_err(WARD_EINPUT, "%s: wheels must be an array of tables", what);
	if ((r = wheel_reqs_add(out)) == NULL)
		return -1;
	r->from_index = json_object_get(p, "index") != NULL;
	if ((r->name = ward_strdup(norm)) == NULL ||
	    (version != NULL && (r->version = ward_strdup(version)) == NULL))
		return -1;
	r->cands = ward_calloc(json_array_size(wheels), sizeof(*r->cands));
	if (r->cands == NULL)
		return -1;
	json_array_foreach(wheels, i, w)
	{
		snprintf(w2, sizeof(w2), "%s: wheels[%zu]", what, i);
		if (!json_is_object(w))
			return ward_err(WARD_EINPUT, "%s: not a table", w2);
		r->ncands++;
		if (read_wheel(w, w2, dir, r, &r->cands[i]) != 0)
			return -1;
	}
	if (r->version == NULL) {
		struct wheel_filename fn;
		if (wheel_filename_parse(r->cands[0].filename, &fn) != 0)
			return -1;
		r->version = fn.version;
		fn.version = NULL;
		wheel_filename_free(&fn);
	}
	return 0;
}

int
wheel_pylock_parse(const char *data, size_t len, const char *what, const char *dir,
		   const struct wheel_target *t, struct wheel_reqs *out)
{
	json_t *doc, *pkgs, *p;
	struct ward_strv extras = {0}, groups = {0}, envs = {0};
	int bad = 0, rc = -1;
	const char *lv, *rp;
	char w[512];
	size_t i;

	memset(out, 0, sizeof(*out));
	out->format = WHEEL_PYLOCK;
	if ((doc = wheel_toml_parse(data, len, what)) == NULL)
		return -1;
	lv = opt_str(doc, "lock-version", what, &bad);
	if (bad)
		goto done;
	if (lv == NULL) {
		ward_err(WARD_EINPUT, "%s: no lock-version (is this a PEP 751 lock?)", what);
		goto done;
	}
	if (strncmp(lv, "1.", 2) != 0 && strcmp(lv, "1") != 0) {
		ward_err(WARD_EINPUT, "%s: lock-version %.20s is not supported (1.x)", what, lv);
		goto done;
	}
	if (opt_str(doc, "created-by", what, &bad) == NULL) {
		if (!bad)
			ward_err(WARD_EINPUT, "%s: no created-by (PEP 751 requires it)", what);
		goto done;
	}
	rp = opt_str(doc, "requires-python", what, &bad);
	if (bad || str_list(doc, "extras", what, &extras) != 0 ||
	    str_list(doc, "default-groups", what, &groups) != 0 ||
	    str_list(doc, "environments", what, &envs) != 0)
		goto done;
	/* Extras are not requested by ward.yaml: the marker sets stay empty
	 * but for the default groups. */
	ward_strv_free(&extras);
	if (rp != NULL) {
		int ok;
		if (wheel_specifier_check(rp, t->py_full, what, &ok) != 0)
			goto done;
		if (!ok) {
			ward_err(WARD_EINPUT, "%s: requires-python %s; the image has Python %s",
				 what, rp, t->py_full);
			goto done;
		}
	}
	if (envs.n > 0) {
		int any = 0;
		for (size_t e = 0; e < envs.n && !any; e++)
			if (wheel_marker_eval(envs.v[e], t, NULL, NULL, what, &any) != 0)
				goto done;
		if (!any) {
			ward_err(WARD_EINPUT,
				 "%s: none of its environments is the image's (CPython %s on Linux "
				 "%s)",
				 what, t->py_full, t->machine);
			goto done;
		}
	}
	pkgs = json_object_get(doc, "packages");
	if (pkgs == NULL || !json_is_array(pkgs)) {
		ward_err(WARD_EINPUT, "%s: no [[packages]] array of tables", what);
		goto done;
	}
	json_array_foreach(pkgs, i, p)
	{
		const char *nm =
			json_is_object(p) ? json_string_value(json_object_get(p, "name")) : NULL;
		snprintf(w, sizeof(w), "%s: packages[%zu]%s%.100s%s", what, i, nm ? " (" : "",
			 nm ? nm : "", nm ? ")" : "");
		if (!json_is_object(p)) {
			ward_err(WARD_EINPUT, "%s: not a table", w);
			goto done;
		}
		if (read_package(p, w, dir, t, &extras, &groups, out) != 0)
			goto done;
	}
	rc = wheel_reqs_finish(out, what);
done:
	ward_strv_free(&extras);
	ward_strv_free(&groups);
	ward_strv_free(&envs);
	json_decref(doc);
	if (rc != 0) {
		wheel_reqs_free(out);
		out->format = WHEEL_PYLOCK;
	}
	return rc;
}
