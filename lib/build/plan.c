/* plan.c: the rootfs plan, a set of entries keyed by path (open addressing),
 * sorted in tar order once complete. */
#include <stdlib.h>
#include <string.h>

#include "build/build_internal.h"

#define TOMB ((struct build_entry *)1)

struct build_plan {
	struct build_entry **v; /* in insertion order until sorted; NULL = removed */
	size_t n, cap;
	struct build_entry **slots; /* hash table */
	size_t nslots, used;	    /* used counts tombstones too */
	int sorted;
	/* After the package stage, package-layer entries that later stages
	 * replace are kept here: their layers still hold them. */
	int shadowing;
	struct build_entry **shadow;
	size_t nshadow;
};

static uint64_t
hash_path(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

struct build_plan *
plan_new(void)
{
	struct build_plan *p = ward_calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->nslots = 1024;
	p->slots = ward_calloc(p->nslots, sizeof(*p->slots));
	if (p->slots == NULL) {
		free(p);
		return NULL;
	}
	return p;
}

static void
entry_free(struct build_entry *e)
{
	if (e == NULL)
		return;
	free(e->path);
	free(e->link);
	free(e->owner);
	free(e->why);
	free(e->src);
	free(e->data);
	free(e);
}

void
plan_free(struct build_plan *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n; i++)
		entry_free(p->v[i]);
	for (size_t i = 0; i < p->nshadow; i++)
		entry_free(p->shadow[i]);
	free(p->shadow);
	free(p->v);
	free(p->slots);
	free(p);
}

/* The slot holding path, or the first free slot where it would go. */
static size_t
lookup(const struct build_plan *p, const char *path, int *found)
{
	size_t mask = p->nslots - 1, i = (size_t)hash_path(path) & mask, tomb = (size_t)-1;

	for (;;) {
		struct build_entry *e = p->slots[i];
		if (e == NULL) {
			*found = 0;
			return tomb != (size_t)-1 ? tomb : i;
		}
		if (e == TOMB) {
			if (tomb == (size_t)-1)
				tomb = i;
		} else if (strcmp(e->path, path) == 0) {
			*found = 1;
			return i;
		}
		i = (i + 1) & mask;
	}
}

static int
grow(struct build_plan *p)
{
	struct build_entry **old = p->slots;
	size_t oldn = p->nslots;

	p->nslots *= 2;
	p->slots = ward_calloc(p->nslots, sizeof(*p->slots));
	if (p->slots == NULL) {
		p->slots = old;
		p->nslots = oldn;
		return -1;
	}
	p->used = 0;
	for (size_t i = 0; i < oldn; i++)
		if (old[i] != NULL && old[i] != TOMB) {
			int found;
			p->slots[lookup(p, old[i]->path, &found)] = old[i];
			p->used++;
		}
	free(old);
	return 0;
}

struct build_entry *
plan_add(struct build_plan *p, const char *path, int type, struct build_entry **existing)
{
	struct build_entry *e;
	size_t slot;
	int found;

	if (existing != NULL)
		*existing = NULL;
	if ((p->used + 1) * 4 > p->nslots * 3 && grow(p) != 0)
		return NULL;
	slot = lookup(p, path, &found);
	if (found) {
		if (existing != NULL)
			*existing = p->slots[slot];
		ward_err(WARD_EINPUT, "/%s is planned twice", path);
		return NULL;
	}
	if (ward_vec_reserve(&p->v, &p->cap, p->n + 1, sizeof(*p->v)) != 0)
		return NULL;
	e = ward_calloc(1, sizeof(*e));
	if (e == NULL || (e->path = ward_strdup(path)) == NULL) {
		free(e);
		return NULL;
	}
	e->type = type;
	e->layer = -1;
	if (p->slots[slot] == NULL)
		p->used++;
	p->slots[slot] = e;
	p->v[p->n++] = e;
	p->sorted = 0;
	return e;
}

struct build_entry *
plan_get(struct build_plan *p, const char *path)
{
	int found;
	size_t slot = lookup(p, path, &found);

	return found ? p->slots[slot] : NULL;
}

const struct build_entry *
build_plan_find(const struct build_plan *p, const char *path)
{
	return plan_get((struct build_plan *)p, path);
}

void
plan_remove(struct build_plan *p, const char *path)
{
	int found;
	size_t slot = lookup(p, path, &found);
	struct build_entry *e;

	if (!found)
		return;
	e = p->slots[slot];
	p->slots[slot] = TOMB;
	for (size_t i = p->n; i-- > 0;)
		if (p->v[i] == e) {
			p->v[i] = NULL;
			break;
		}
	p->sorted = 0;
	if (p->shadowing && e->layer >= 0 && e->layer < GROUP_DEB_COUNT) {
		if (ward_vec_grow(&p->shadow, p->nshadow, sizeof(*p->shadow)) == 0) {
			p->shadow[p->nshadow++] = e;
			return;
		}
	}
	entry_free(e);
}

void
plan_shadow_begin(struct build_plan *p)
{
	p->shadowing = 1;
}

size_t
plan_shadow_count(const struct build_plan *p)
{
	return p->nshadow;
}

struct build_entry *
plan_shadow_at(struct build_plan *p, size_t i)
{
	return p->shadow[i];
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct build_entry *x = *(struct build_entry *const *)a;
	const struct build_entry *y = *(struct build_entry *const *)b;

	return tar_path_cmp(x->path, y->path);
}

void
plan_sort(struct build_plan *p)
{
	size_t k = 0;

	if (p->sorted)
		return;
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i] != NULL)
			p->v[k++] = p->v[i];
	p->n = k;
	ward_qsort(p->v, p->n, sizeof(*p->v), entry_cmp); /* empty: v may be NULL */
	p->sorted = 1;
}

/* Counting or indexing sorts first: removed entries leave holes until then. */
size_t
build_plan_count(const struct build_plan *p)
{
	if (p == NULL)
		return 0;
	plan_sort((struct build_plan *)p);
	return p->n;
}

const struct build_entry *
build_plan_entry(const struct build_plan *p, size_t i)
{
	plan_sort((struct build_plan *)p);
	return p->v[i];
}

struct build_entry *
plan_at(struct build_plan *p, size_t i)
{
	plan_sort(p);
	return p->v[i];
}

int
plan_set_str(char **dst, const char *s)
{
	char *c = NULL;

	if (s != NULL && (c = ward_strdup(s)) == NULL)
		return -1;
	free(*dst);
	*dst = c;
	return 0;
}

int
plan_set_data(struct build_entry *e, const void *data, size_t len)
{
	unsigned char *c = ward_malloc(len ? len : 1);

	if (c == NULL)
		return -1;
	memcpy(c, data, len);
	free(e->data);
	e->data = c;
	e->size = len;
	return 0;
}

/* Join a symlink's directory and target into a clean path in buf. */
static int
join_link(const char *dir, const char *target, char *buf, size_t size)
{
	char tmp[4096];
	const char *parts;
	size_t len = 0;

	if (target[0] == '/')
		snprintf(tmp, sizeof(tmp), "%s", target + 1);
	else if (snprintf(tmp, sizeof(tmp), "%s/%s", dir, target) >= (int)sizeof(tmp))
		return -1;
	buf[0] = '\0';
	parts = tmp;
	while (*parts) {
		const char *slash = strchr(parts, '/');
		size_t n = slash ? (size_t)(slash - parts) : strlen(parts);
		if (n == 0 || (n == 1 && parts[0] == '.')) {
			/* skip */
		} else if (n == 2 && parts[0] == '.' && parts[1] == '.') {
			char *up = strrchr(buf, '/');
			len = up ? (size_t)(up - buf) : 0;
			buf[len] = '\0';
		} else {
			if (len + n + 2 > size)
				return -1;
			if (len > 0)
				buf[len++] = '/';
			memcpy(buf + len, parts, n);
			len += n;
			buf[len] = '\0';
		}
		parts += n;
		if (*parts == '/')
			parts++;
	}
	return 0;
}

const struct build_entry *
plan_resolve(const struct build_plan *p, const char *path)
{
	char cur[4096], next[4096];
	int hops = 0;

	snprintf(cur, sizeof(cur), "%s", path);
	for (;;) {
		const struct build_entry *e;
		char *slash;
		size_t i;
		/* Resolve the first symlinked component, then retry the rest. */
		for (i = 0;; i++) {
			char saved;
			if (cur[i] != '/' && cur[i] != '\0')
				continue;
			saved = cur[i];
			cur[i] = '\0';
			e = build_plan_find(p, cur);
			cur[i] = saved;
			if (e == NULL)
				return NULL;
			if (e->type == BUILD_SYMLINK)
				break;
			if (saved == '\0')
				return e;
		}
		if (++hops > 40)
			return NULL;
		{
			char dir[4096];
			size_t plen = i;
			memcpy(dir, cur, plen);
			dir[plen] = '\0';
			slash = strrchr(dir, '/');
			if (slash != NULL)
				*slash = '\0';
			else
				dir[0] = '\0';
			if (join_link(dir, e->link, next, sizeof(next)) != 0)
				return NULL;
			if (cur[i] == '/' && strlen(next) + strlen(cur + i) + 1 < sizeof(next))
				strcat(next, cur + i);
			snprintf(cur, sizeof(cur), "%s", next);
			if (cur[0] == '\0')
				return NULL; /* the root is not an entry */
		}
	}
}

struct build_entry *
plan_generated(struct build_plan *p, const char *path, int type, uint32_t mode, int group,
	       const char *owner, const char *why)
{
	struct build_entry *old = plan_get(p, path), *e;
	char *note = NULL;

	if (old != NULL) {
		note = old->origin == BUILD_FROM_PACKAGE
			       ? ward_asprintf("%s (replaces the file of %s)", why, old->owner)
			       : ward_strdup(why);
		if (note == NULL)
			return NULL;
		plan_remove(p, path);
	}
	e = plan_add(p, path, type, NULL);
	if (e == NULL || plan_set_str(&e->owner, owner) != 0 ||
	    (note ? (e->why = note, note = NULL, 0) : plan_set_str(&e->why, why)) != 0) {
		free(note);
		return NULL;
	}
	e->origin = BUILD_GENERATED;
	e->mode = mode;
	e->layer = group;
	return e;
}

int
plan_mkdirs(struct build_plan *p, const char *path, int group, const char *owner)
{
	char buf[4096];

	if (strlen(path) >= sizeof(buf)) /* never a shorter path than asked */
		return ward_err(WARD_EINPUT, "/%.200s...: path too long", path);
	memcpy(buf, path, strlen(path) + 1);
	for (char *s = strchr(buf, '/'); s != NULL; s = strchr(s + 1, '/')) {
		struct build_entry *e;
		*s = '\0';
		e = plan_get(p, buf);
		if (e == NULL) {
			e = plan_generated(p, buf, BUILD_DIR, 0755, group, owner,
					   "parent directory");
			if (e == NULL)
				return -1;
		} else if (e->type != BUILD_DIR) {
			return ward_err(WARD_EINPUT,
					"/%s: /%s is not a directory in the image (%s)", path, buf,
					e->type == BUILD_SYMLINK ? "a symlink" : "a file");
		}
		*s = '/';
	}
	return 0;
}

const char *
build_usrmerge(const char *path, char *buf, size_t size)
{
	static const char *const merged[] = {"bin", "sbin", "lib", "lib32", "lib64", "libx32"};

	for (size_t i = 0; i < sizeof(merged) / sizeof(*merged); i++) {
		size_t n = strlen(merged[i]);
		if (strncmp(path, merged[i], n) == 0 && (path[n] == '/' || path[n] == '\0')) {
			if ((size_t)snprintf(buf, size, "usr/%s", path) >= size)
				return path;
			return buf;
		}
	}
	return path;
}
