/* rules.c: the distroless rules as data.  What is left out of an image
 * (documentation, manual pages, translations; copyright files stay as
 * license evidence), which files may never be in one (deb/policy.c's table:
 * shells, package managers, compilers, debuggers), and how packages are
 * grouped into layers. */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "build/build_internal.h"

/* Left out of every image unless ward.yaml keep: names them.  A pattern
 * matches a path or any of its parents. */
static const char *const drop_rules[] = {
	"/usr/share/doc/*/*", /* but copyright files: keep_rules */
	"/usr/share/doc-base",
	"/usr/share/man",
	"/usr/share/info",
	"/usr/share/locale", /* translations: C.UTF-8 lives in /usr/lib/locale */
	"/usr/share/i18n",
	"/usr/share/lintian",
	"/usr/share/linda",
	"/usr/share/bug",
	"/usr/share/gtk-doc",
	"/usr/share/help",
	"/usr/share/gnome/help",
	"/usr/share/omf",
	"/usr/share/menu",
	"/usr/share/bash-completion",
	"/usr/share/zsh",
	"/usr/share/fish",
	"/usr/lib/locale/*", /* but C.utf8: keep_rules */
};

static const char *const keep_rules[] = {
	"/usr/share/doc/*/copyright",
	"/usr/lib/locale/C.utf8",
	"/usr/lib/locale/C.UTF-8",
};

/* Interpreter packages: the python layer.  Everything they depend on that
 * is not in it goes to the base layer; all other packages are frameworks. */
static const char *const python_packages[] = {
	"python3",     "python3-minimal",   "python3.[0-9]*",
	"libpython3*", "python3-distutils", "python3-lib2to3",
};

/* pattern matches "/path" or one of its parents */
static int
match_up(const char *pattern, const char *abs)
{
	char buf[4096];
	size_t len = strlen(abs);

	if (len >= sizeof(buf))
		return 0;
	memcpy(buf, abs, len + 1);
	for (;;) {
		char *slash;
		if (fnmatch(pattern, buf, FNM_PATHNAME) == 0)
			return 1;
		slash = strrchr(buf, '/');
		if (slash == NULL || slash == buf)
			return 0;
		*slash = '\0';
	}
}

static int
match_any(const char *const *rules, size_t n, const struct ward_strv *extra, const char *abs)
{
	for (size_t i = 0; i < n; i++)
		if (match_up(rules[i], abs))
			return 1;
	for (size_t i = 0; extra != NULL && i < extra->n; i++)
		if (match_up(extra->v[i], abs))
			return 1;
	return 0;
}

int
build_path_dropped(const struct build_spec *s, const char *path)
{
	char abs[4096];

	if (snprintf(abs, sizeof(abs), "/%s", path) >= (int)sizeof(abs))
		return 0;
	if (!match_any(drop_rules, sizeof(drop_rules) / sizeof(*drop_rules), &s->drop, abs))
		return 0;
	return !match_any(keep_rules, sizeof(keep_rules) / sizeof(*keep_rules), &s->keep, abs);
}

/* Directories of the dropped trees that hold nothing kept go too. */
int
build_prune_dirs(struct build_ctx *ctx)
{
	struct build_plan *p = ctx->plan;
	struct ward_strv gone = {0};
	size_t n;

	plan_sort(p);
	n = build_plan_count(p);
	/* In tar order a directory's contents follow it: walk backwards so each
	 * directory is seen after everything below it. */
	for (size_t i = n; i-- > 0;) {
		struct build_entry *e = plan_at(p, i);
		size_t len = strlen(e->path);
		int has_child = 0;
		if (e->type != BUILD_DIR || e->origin != BUILD_FROM_PACKAGE ||
		    !build_path_dropped(ctx->spec, e->path))
			continue;
		for (size_t j = i + 1; j < n && !has_child; j++) {
			const struct build_entry *c = plan_at(p, j);
			if (strncmp(c->path, e->path, len) != 0 || c->path[len] != '/')
				break;
			has_child = !ward_strv_contains(&gone, c->path);
		}
		if (!has_child && ward_strv_push(&gone, e->path) != 0) {
			ward_strv_free(&gone);
			return -1;
		}
	}
	for (size_t i = 0; i < gone.n; i++)
		plan_remove(p, gone.v[i]);
	ctx->res->dropped += gone.n;
	ward_strv_free(&gone);
	plan_sort(p);
	return 0;
}

static int
allowed_package(const struct build_spec *s, const char *name)
{
	return name != NULL && ward_strv_contains(&s->allow, name);
}

/* A forbidden file (shell, package manager, compiler, debugger) fails the
 * build, naming the package that brought it and why it is there. */
int
build_check_forbidden(struct build_ctx *ctx)
{
	size_t n = build_plan_count(ctx->plan);

	for (size_t i = 0; i < n; i++) {
		const struct build_entry *e = build_plan_entry(ctx->plan, i);
		char abs[4096];
		const char *cat;
		struct ward_buf chain = {0};
		if (e->type == BUILD_DIR)
			continue;
		snprintf(abs, sizeof(abs), "/%s", e->path);
		cat = deb_forbidden_file(abs);
		/* patterns written for /bin, /sbin also cover /usr/bin, /usr/sbin,
		 * and those for /usr also /usr/local (where wheels put scripts) */
		if (cat == NULL && ward_str_startswith(abs, "/usr/"))
			cat = deb_forbidden_file(abs + 4);
		if (cat == NULL && ward_str_startswith(abs, "/usr/local/")) {
			char alt[4096];
			snprintf(alt, sizeof(alt), "/usr/%s", abs + 11);
			cat = deb_forbidden_file(alt);
			if (cat == NULL)
				cat = deb_forbidden_file(alt + 4);
		}
		if (cat == NULL || allowed_package(ctx->spec, e->owner) ||
		    (e->origin == BUILD_FROM_WHEEL && allowed_package(ctx->spec, e->owner + 5)))
			continue;
		if (e->origin == BUILD_FROM_WHEEL) {
			ward_err(WARD_EINPUT,
				 "forbidden file %s (%s) in the image, from wheel %s (python.lock "
				 "of ward.yaml); remove it from the lock, or allow: %s",
				 abs, cat, e->owner + 5, e->owner + 5);
		} else if (e->origin == BUILD_FROM_PACKAGE) {
			deb_lock_chain(ctx->lock, e->owner, &chain);
			ward_err(WARD_EINPUT,
				 "forbidden file %s (%s) in the image, from package %s (%s); "
				 "exclude it, or allow: it in ward.yaml",
				 abs, cat, e->owner, chain.data ? (char *)chain.data : "");
		} else {
			ward_err(WARD_EINPUT, "forbidden file %s (%s) in the image, from %s%s%s",
				 abs, cat, e->owner, e->why ? ": " : "", e->why ? e->why : "");
		}
		ward_buf_free(&chain);
		return -1;
	}
	return 0;
}

static int
is_python_package(const char *name)
{
	for (size_t i = 0; i < sizeof(python_packages) / sizeof(*python_packages); i++)
		if (fnmatch(python_packages[i], name, 0) == 0)
			return 1;
	return 0;
}

/* python: the interpreter packages; base: what they (and libc6) depend on;
 * frameworks: the rest.  Dependencies are the lock's required_by edges read
 * backwards. */
int
build_assign_groups(struct build_ctx *ctx)
{
	const struct deb_lock *l = ctx->lock;
	size_t n = l->npkgs, head = 0, tail = 0;
	size_t *queue = ward_malloc((n + 1) * sizeof(*queue));
	int *seen = ward_calloc(n + 1, sizeof(*seen));

	if (queue == NULL || seen == NULL) {
		free(queue);
		free(seen);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		ctx->pkgs[i].lock = &l->pkgs[i];
		ctx->pkgs[i].group = GROUP_FRAMEWORKS;
		if (is_python_package(l->pkgs[i].name) || strcmp(l->pkgs[i].name, "libc6") == 0) {
			seen[i] = 1;
			queue[tail++] = i;
		}
	}
	while (head < tail) {
		const char *cur = l->pkgs[queue[head++]].name;
		/* every package that cur requires */
		for (size_t j = 0; j < n; j++)
			if (!seen[j] && ward_strv_contains(&l->pkgs[j].required_by, cur)) {
				seen[j] = 1;
				queue[tail++] = j;
			}
	}
	for (size_t i = 0; i < n; i++)
		if (seen[i])
			ctx->pkgs[i].group =
				is_python_package(l->pkgs[i].name) ? GROUP_PYTHON : GROUP_BASE;
	free(queue);
	free(seen);
	return 0;
}

const char *
build_group_name(int group, const struct build_spec *s, char *buf, size_t size)
{
	static const char *const names[] = {"base",   "python", "frameworks", "wheels",
					    "config", "app",	"ward"};

	if (group >= 0 && group < GROUP_MODEL0)
		return names[group];
	if (s != NULL && (size_t)(group - GROUP_MODEL0) < s->nmodels)
		snprintf(buf, size, "model:%s", s->models[group - GROUP_MODEL0].name);
	else
		snprintf(buf, size, "model:%d", group - GROUP_MODEL0);
	return buf;
}
