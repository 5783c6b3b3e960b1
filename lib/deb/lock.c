/* lock.c: ward.lock, JSON with a fixed key order (docs/formats/lock.md). */
#include <stdlib.h>
#include <string.h>

#include "deb/deb.h"

#define LOCK_VERSION 1
#define MAX_LOCK_BYTES (64u << 20)

static json_t *
strv_json(const struct ward_strv *v, int sorted)
{
	struct ward_strv copy = {0};
	json_t *a = json_array();

	for (size_t i = 0; i < v->n; i++)
		ward_strv_push(&copy, v->v[i]);
	if (ward_strv_check(&copy) != 0) {
		json_decref(a);
		a = NULL;
	}
	if (sorted)
		ward_strv_sort(&copy);
	for (size_t i = 0; a != NULL && i < copy.n; i++)
		if (json_array_append_new(a, json_string(copy.v[i])) != 0) {
			json_decref(a);
			a = NULL;
		}
	ward_strv_free(&copy);
	return a; /* NULL: out of memory, never a shorter list */
}

json_t *
deb_lock_to_json(const struct deb_lock *l)
{
	json_t *root, *req, *idx, *pkgs, *cuts;

	req = json_pack("{s:o,s:o,s:o}", "packages", strv_json(&l->packages, 1), "exclude",
			strv_json(&l->exclude, 1), "allow", strv_json(&l->allow, 1));
	idx = json_array();
	pkgs = json_array();
	cuts = json_array();
	for (size_t i = 0; i < l->nindices; i++) {
		const struct deb_lock_index *x = &l->indices[i];
		json_array_append_new(
			idx,
			json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:s}", "suite",
				  x->suite, "component", x->component, "architecture", x->arch,
				  "origin", x->origin, "label", x->label, "codename", x->codename,
				  "version", x->version, "date", x->date, "valid_until",
				  x->valid_until, "release_sha256", x->release_sha256,
				  "packages_sha256", x->packages_sha256, "packages_size",
				  (json_int_t)x->packages_size, "signed_by", x->signed_by));
	}
	for (size_t i = 0; i < l->npkgs; i++) {
		const struct deb_lock_pkg *p = &l->pkgs[i];
		json_array_append_new(
			pkgs,
			json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:s,s:b,s:o}", "name",
				  p->name, "version", p->version, "architecture", p->arch, "source",
				  p->source, "source_version", p->source_version, "suite", p->suite,
				  "component", p->component, "filename", p->filename, "size",
				  (json_int_t)p->size, "sha256", p->sha256, "requested",
				  p->requested, "required_by", strv_json(&p->required_by, 1)));
	}
	for (size_t i = 0; i < l->ncuts; i++) {
		const struct deb_lock_cut *c = &l->cuts[i];
		json_array_append_new(cuts,
				      json_pack("{s:s,s:s,s:s,s:s,s:s}", "package", c->package,
						"version", c->version, "field", c->field,
						"dependency", c->dependency, "reason", c->reason));
	}
	root = json_pack("{s:i,s:s,s:o,s:o,s:o,s:o}", "lockfile_version", LOCK_VERSION,
			 "architecture", l->architecture, "request", req, "indices", idx,
			 "packages", pkgs, "cut", cuts);
	if (root == NULL)
		ward_err(WARD_EENV, "cannot build the lock JSON");
	return root;
}

/* ------------------------------------------------------------ reading */

static int
get_str(const json_t *o, const char *key, const char *what, char **out)
{
	const char *s = ward_json_req_str(o, key, what);

	if (s == NULL)
		return -1;
	return (*out = ward_strdup(s)) ? 0 : -1;
}

static int
get_u64(const json_t *o, const char *key, const char *what, uint64_t *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return ward_err(WARD_EINPUT, "%s: \"%s\" must be a non-negative integer", what,
				key);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int
get_strv(const json_t *o, const char *key, const char *what, struct ward_strv *out)
{
	json_t *a = ward_json_req_array(o, key, what), *v;
	size_t i;

	if (a == NULL)
		return -1;
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v))
			return ward_err(WARD_EINPUT, "%s: \"%s\" must hold strings", what, key);
		if (ward_strv_push(out, json_string_value(v)) != 0)
			return -1;
	}
	return 0;
}

static int
hex64(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

static int
read_index(const json_t *o, const char *what, struct deb_lock_index *x)
{
	if (get_str(o, "suite", what, &x->suite) || get_str(o, "component", what, &x->component) ||
	    get_str(o, "architecture", what, &x->arch) || get_str(o, "origin", what, &x->origin) ||
	    get_str(o, "label", what, &x->label) || get_str(o, "codename", what, &x->codename) ||
	    get_str(o, "version", what, &x->version) || get_str(o, "date", what, &x->date) ||
	    get_str(o, "valid_until", what, &x->valid_until) ||
	    get_str(o, "release_sha256", what, &x->release_sha256) ||
	    get_str(o, "packages_sha256", what, &x->packages_sha256) ||
	    get_u64(o, "packages_size", what, &x->packages_size) ||
	    get_str(o, "signed_by", what, &x->signed_by))
		return -1;
	return 0;
}

static int
read_pkg(const json_t *o, const char *what, struct deb_lock_pkg *p)
{
	json_t *req = json_object_get(o, "requested");

	if (get_str(o, "name", what, &p->name) || get_str(o, "version", what, &p->version) ||
	    get_str(o, "architecture", what, &p->arch) || get_str(o, "source", what, &p->source) ||
	    get_str(o, "source_version", what, &p->source_version) ||
	    get_str(o, "suite", what, &p->suite) || get_str(o, "component", what, &p->component) ||
	    get_str(o, "filename", what, &p->filename) || get_u64(o, "size", what, &p->size) ||
	    get_str(o, "sha256", what, &p->sha256) ||
	    get_strv(o, "required_by", what, &p->required_by))
		return -1;
	if (!json_is_boolean(req))
		return ward_err(WARD_EINPUT, "%s: \"requested\" must be true or false", what);
	p->requested = json_is_true(req);
	if (!deb_package_name_ok(p->name))
		return ward_err(WARD_EINPUT, "%s: invalid package name \"%s\"", what, p->name);
	if (deb_version_check(p->version, what) != 0)
		return -1;
	if (!hex64(p->sha256))
		return ward_err(WARD_EINPUT, "%s: sha256 must be 64 lowercase hex digits", what);
	if (!ward_relpath_ok(p->filename))
		return ward_err(WARD_EINPUT, "%s: unsafe filename \"%s\"", what, p->filename);
	return 0;
}

static int
read_cut(const json_t *o, const char *what, struct deb_lock_cut *c)
{
	if (get_str(o, "package", what, &c->package) || get_str(o, "version", what, &c->version) ||
	    get_str(o, "field", what, &c->field) ||
	    get_str(o, "dependency", what, &c->dependency) ||
	    get_str(o, "reason", what, &c->reason))
		return -1;
	return 0;
}

int
deb_lock_from_json(const json_t *j, const char *what, struct deb_lock *out)
{
	json_t *req, *a, *v, *ver;
	char w[512];
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(j))
		return ward_err(WARD_EINPUT, "%s: not a JSON object", what);
	ver = json_object_get(j, "lockfile_version");
	if (!json_is_integer(ver) || json_integer_value(ver) != LOCK_VERSION)
		return ward_err(WARD_EINPUT, "%s: unsupported lockfile_version (expected %d)", what,
				LOCK_VERSION);
	if (get_str(j, "architecture", what, &out->architecture) != 0)
		goto fail;
	if ((req = ward_json_req_object(j, "request", what)) == NULL ||
	    get_strv(req, "packages", what, &out->packages) ||
	    get_strv(req, "exclude", what, &out->exclude) ||
	    get_strv(req, "allow", what, &out->allow))
		goto fail;
	if ((a = ward_json_req_array(j, "indices", what)) == NULL)
		goto fail;
	out->indices = ward_calloc(json_array_size(a) + 1, sizeof(*out->indices));
	if (out->indices == NULL)
		goto fail;
	json_array_foreach(a, i, v)
	{
		snprintf(w, sizeof(w), "%s: indices[%zu]", what, i);
		out->nindices++;
		if (read_index(v, w, &out->indices[i]) != 0)
			goto fail;
	}
	if ((a = ward_json_req_array(j, "packages", what)) == NULL)
		goto fail;
	out->pkgs = ward_calloc(json_array_size(a) + 1, sizeof(*out->pkgs));
	if (out->pkgs == NULL)
		goto fail;
	json_array_foreach(a, i, v)
	{
		snprintf(w, sizeof(w), "%s: packages[%zu]", what, i);
		out->npkgs++;
		if (read_pkg(v, w, &out->pkgs[i]) != 0)
			goto fail;
		if (i > 0 && strcmp(out->pkgs[i - 1].name, out->pkgs[i].name) >= 0) {
			ward_err(WARD_EINPUT,
				 "%s: packages are not sorted by name, or %s is listed "
				 "twice",
				 what, out->pkgs[i].name);
			goto fail;
		}
	}
	if ((a = ward_json_req_array(j, "cut", what)) == NULL)
		goto fail;
	out->cuts = ward_calloc(json_array_size(a) + 1, sizeof(*out->cuts));
	if (out->cuts == NULL)
		goto fail;
	json_array_foreach(a, i, v)
	{
		snprintf(w, sizeof(w), "%s: cut[%zu]", what, i);
		out->ncuts++;
		if (read_cut(v, w, &out->cuts[i]) != 0)
			goto fail;
	}
	return 0;
fail:
	deb_lock_free(out);
	return -1;
}

int
deb_lock_read(const char *path, struct deb_lock *out)
{
	json_t *j = ward_json_load_file(path, MAX_LOCK_BYTES);
	int rc;

	memset(out, 0, sizeof(*out));
	if (j == NULL)
		return -1;
	rc = deb_lock_from_json(j, path, out);
	json_decref(j);
	return rc;
}

const struct deb_lock_pkg *
deb_lock_find(const struct deb_lock *l, const char *name)
{
	size_t lo = 0, hi = l->npkgs;

	while (lo < hi) { /* packages are sorted by name */
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(l->pkgs[mid].name, name);
		if (c == 0)
			return &l->pkgs[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int
same_set(const struct ward_strv *a, const struct ward_strv *b)
{
	static const struct ward_strv none;

	if (b == NULL)
		b = &none;
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (!ward_strv_contains(b, a->v[i]))
			return 0;
	return 1;
}

int
deb_lock_matches(const struct deb_lock *l, const struct deb_request *req)
{
	const char *what = NULL;

	if (strcmp(l->architecture, req->arch) != 0)
		what = "architecture";
	else if (!same_set(&l->packages, req->packages))
		what = "packages";
	else if (!same_set(&l->exclude, req->exclude))
		what = "exclude";
	else if (!same_set(&l->allow, req->allow))
		what = "allow";
	if (what == NULL)
		return 0;
	return ward_err(WARD_EINPUT,
			"ward.lock is out of date with ward.yaml (%s changed): run "
			"ward lock",
			what);
}

int
deb_lock_chain(const struct deb_lock *l, const char *name, struct ward_buf *out)
{
	const struct deb_lock_pkg *start = deb_lock_find(l, name);
	size_t *from = NULL, *queue = NULL, head = 0, tail = 0, hit = (size_t)-1, n = l->npkgs;
	int rc = -1;

	if (ward_buf_puts(out, "ward.yaml") != 0)
		return -1;
	if (start == NULL)
		return ward_buf_printf(out, " -> %s", name);
	/* Breadth-first up the required_by links: the shortest chain to a
	 * requested package. */
	from = ward_malloc((n + 1) * sizeof(*from));
	queue = ward_malloc((n + 1) * sizeof(*queue));
	if (from == NULL || queue == NULL)
		goto out;
	for (size_t i = 0; i < n; i++)
		from[i] = (size_t)-1;
	queue[tail++] = (size_t)(start - l->pkgs);
	from[queue[0]] = queue[0];
	while (head < tail && hit == (size_t)-1) {
		size_t cur = queue[head++];
		if (l->pkgs[cur].requested) {
			hit = cur;
			break;
		}
		for (size_t k = 0; k < l->pkgs[cur].required_by.n; k++) {
			const struct deb_lock_pkg *p =
				deb_lock_find(l, l->pkgs[cur].required_by.v[k]);
			size_t idx;
			if (p == NULL)
				continue;
			idx = (size_t)(p - l->pkgs);
			if (from[idx] != (size_t)-1)
				continue;
			from[idx] = cur;
			queue[tail++] = idx;
		}
	}
	if (hit == (size_t)-1) { /* no requested ancestor: name it alone */
		rc = ward_buf_printf(out, " -> %s", name);
		goto out;
	}
	/* hit -> ... -> start, following from[] toward start. */
	for (size_t cur = hit;; cur = from[cur]) {
		if (ward_buf_printf(out, " -> %s", l->pkgs[cur].name) != 0)
			goto out;
		if (cur == from[cur])
			break;
	}
	rc = 0;
out:
	free(from);
	free(queue);
	return rc;
}

void
deb_lock_free(struct deb_lock *l)
{
	if (l == NULL)
		return;
	free(l->architecture);
	ward_strv_free(&l->packages);
	ward_strv_free(&l->exclude);
	ward_strv_free(&l->allow);
	for (size_t i = 0; i < l->nindices; i++) {
		struct deb_lock_index *x = &l->indices[i];
		free(x->suite);
		free(x->component);
		free(x->arch);
		free(x->origin);
		free(x->label);
		free(x->codename);
		free(x->version);
		free(x->date);
		free(x->valid_until);
		free(x->release_sha256);
		free(x->packages_sha256);
		free(x->signed_by);
	}
	free(l->indices);
	for (size_t i = 0; i < l->npkgs; i++) {
		struct deb_lock_pkg *p = &l->pkgs[i];
		free(p->name);
		free(p->version);
		free(p->arch);
		free(p->source);
		free(p->source_version);
		free(p->suite);
		free(p->component);
		free(p->filename);
		free(p->sha256);
		ward_strv_free(&p->required_by);
	}
	free(l->pkgs);
	for (size_t i = 0; i < l->ncuts; i++) {
		struct deb_lock_cut *c = &l->cuts[i];
		free(c->package);
		free(c->version);
		free(c->field);
		free(c->dependency);
		free(c->reason);
	}
	free(l->cuts);
	memset(l, 0, sizeof(*l));
}
