/* alternatives.c: what `update-alternatives --install` in the maintainer
 * scripts would have done, without running them.  The scripts are parsed
 * statically: every `update-alternatives --install LINK NAME PATH PRIO
 * [--slave LINK NAME PATH]...` command is collected, whatever shell
 * condition surrounds it; a candidate counts only when its PATH is in the
 * image, and the highest priority wins (ties: the first package in lock
 * order), as dpkg's auto mode does.  The links are made as dpkg makes
 * them: LINK -> /etc/alternatives/NAME -> PATH.  This is what gives numpy
 * and torch libblas.so.3 and liblapack.so.3. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build/build_internal.h"

/* Split one shell command line into words; -1 when a word needs the shell
 * (expansions, substitutions). */
static int
words(const char *s, size_t n, struct ward_strv *out)
{
	struct ward_buf w = {0};
	size_t i = 0;
	int in_word = 0, rc = -1;

	while (i <= n) {
		char c = i < n ? s[i] : '\0';
		if (c == '\0' || c == ' ' || c == '\t') {
			if (in_word) {
				if (ward_strv_push(out, w.data ? ward_buf_cstr(&w) : "") != 0)
					goto out;
				w.len = 0;
				in_word = 0;
			}
			i++;
			continue;
		}
		if (c == '$' || c == '`' || c == '*' || c == '?' || c == '(' || c == ')')
			goto out; /* needs the shell: not evaluated */
		in_word = 1;
		if (c == '\'' || c == '"') {
			const char *end = memchr(s + i + 1, c, n - i - 1);
			if (end == NULL)
				goto out;
			if (c == '"' && (memchr(s + i + 1, '$', (size_t)(end - s - i - 1)) ||
					 memchr(s + i + 1, '`', (size_t)(end - s - i - 1))))
				goto out;
			if (ward_buf_append(&w, s + i + 1, (size_t)(end - s - i - 1)) != 0)
				goto out;
			i = (size_t)(end - s) + 1;
			continue;
		}
		if (ward_buf_append(&w, &c, 1) != 0)
			goto out;
		i++;
	}
	rc = 0;
out:
	ward_buf_free(&w);
	return rc;
}

/* The --install commands of one command's words. */
static int
collect(const struct ward_strv *wv, struct ward_strv *out)
{
	size_t i = 0;

	while (i < wv->n && strcmp(wv->v[i], "update-alternatives") != 0)
		i++;
	for (; i < wv->n; i++) {
		struct ward_buf rec = {0};
		char *end;
		if (strcmp(wv->v[i], "--install") != 0)
			continue;
		if (i + 4 >= wv->n)
			return 0; /* incomplete: not a command ward can read */
		strtol(wv->v[i + 4], &end, 10);
		if (*end != '\0' || wv->v[i + 1][0] != '/' || wv->v[i + 3][0] != '/')
			return 0;
		ward_buf_printf(&rec, "%s\t%s\t%s\t%s", wv->v[i + 1], wv->v[i + 2], wv->v[i + 3],
				wv->v[i + 4]);
		i += 5;
		while (i + 3 < wv->n && strcmp(wv->v[i], "--slave") == 0) {
			if (wv->v[i + 1][0] != '/' || wv->v[i + 3][0] != '/')
				break;
			ward_buf_printf(&rec, "\t%s\t%s\t%s", wv->v[i + 1], wv->v[i + 2],
					wv->v[i + 3]);
			i += 4;
		}
		/* steal: NULL when an append failed (sticky), then push fails */
		if (ward_strv_push_owned(out, ward_buf_steal(&rec)) != 0)
			return -1;
		i--;
	}
	return 0;
}

int
build_alternatives_parse(const char *script, size_t len, const char *pkg, struct ward_strv *out)
{
	struct ward_buf line = {0};
	size_t i = 0;
	int rc = 0;

	while (i < len && rc == 0) {
		/* one logical line: backslash-newline joins */
		line.len = 0;
		while (i < len && script[i] != '\n') {
			if (script[i] == '\\' && i + 1 < len && script[i + 1] == '\n') {
				i += 2;
				continue;
			}
			if (script[i] == '#' && (line.len == 0 || line.data[line.len - 1] == ' ' ||
						 line.data[line.len - 1] == '\t')) {
				while (i < len && script[i] != '\n')
					i++;
				break;
			}
			rc = ward_buf_append(&line, script + i, 1);
			i++;
		}
		i++;
		if (rc != 0 || line.len == 0 ||
		    memmem(line.data, line.len, "update-alternatives", 19) == NULL)
			continue;
		/* split into commands at ; && || | and check each */
		{
			const char *s = (const char *)line.data, *end = s + line.len;
			while (s < end && rc == 0) {
				const char *stop = s;
				struct ward_strv wv = {0};
				while (stop < end && *stop != ';' && *stop != '|' && *stop != '&')
					stop++;
				if (memmem(s, (size_t)(stop - s), "--install", 9) != NULL) {
					if (words(s, (size_t)(stop - s), &wv) == 0)
						rc = collect(&wv, out);
					else
						ward_debug("%s: postinst: update-alternatives line "
							   "needs "
							   "the shell, not evaluated: %.*s",
							   pkg, (int)(stop - s), s);
				}
				ward_strv_free(&wv);
				while (stop < end && (*stop == ';' || *stop == '|' || *stop == '&'))
					stop++;
				s = stop;
			}
		}
	}
	ward_buf_free(&line);
	return rc;
}

struct candidate {
	char **f; /* link, name, path, prio, then slave triples */
	size_t nf;
	long prio;
	size_t pkg;
};

static int
split_tabs(char *rec, struct candidate *c)
{
	c->nf = 0;
	c->f = NULL;
	for (char *p = rec;;) {
		char *tab = strchr(p, '\t');
		if (ward_vec_grow(&c->f, c->nf, sizeof(*c->f)) != 0)
			return -1;
		c->f[c->nf++] = p;
		if (tab == NULL)
			break;
		*tab = '\0';
		p = tab + 1;
	}
	return 0;
}

static int
exists(struct build_ctx *ctx, const char *abs)
{
	char buf[4096];

	return plan_resolve(ctx->plan, build_usrmerge(abs + 1, buf, sizeof(buf))) != NULL;
}

/* LINK -> /etc/alternatives/NAME -> PATH */
static int
make_links(struct build_ctx *ctx, const char *link, const char *name, const char *path,
	   const char *owner, int group, long prio)
{
	char lbuf[4096], alt[512], why[600];
	const char *rel = build_usrmerge(link + 1, lbuf, sizeof(lbuf));
	struct build_entry *old = plan_get(ctx->plan, rel), *e;

	if (old != NULL && old->type != BUILD_SYMLINK) {
		ward_warn("update-alternatives %s: %s is a real file of %s, left alone (as dpkg "
			  "does)",
			  name, link, old->owner);
		return 0;
	}
	snprintf(alt, sizeof(alt), "etc/alternatives/%s", name);
	snprintf(why, sizeof(why), "update-alternatives %s (priority %ld)", name, prio);
	if (plan_mkdirs(ctx->plan, alt, group, "ward") != 0 ||
	    plan_mkdirs(ctx->plan, rel, group, "ward") != 0)
		return -1;
	e = plan_generated(ctx->plan, alt, BUILD_SYMLINK, 0777, group, owner, why);
	if (e == NULL || plan_set_str(&e->link, path) != 0)
		return -1;
	e = plan_generated(ctx->plan, rel, BUILD_SYMLINK, 0777, group, owner, why);
	if (e == NULL || (e->link = ward_asprintf("/etc/alternatives/%s", name)) == NULL)
		return -1;
	if (ctx->root != NULL) { /* the staging tree gets them too (beneath its root) */
		if (ward_root_symlink(ctx->root, path, alt, WARD_ROOT_REPLACE) != 0 ||
		    ward_root_symlink(ctx->root, e->link, rel, WARD_ROOT_REPLACE) != 0) {
			ward_debug("staging %s: %s", rel, ward_errmsg());
			ward_err_clear();
		}
	}
	return 0;
}

int
build_alternatives(struct build_ctx *ctx)
{
	struct ward_strv recs = {0}, names = {0};
	struct candidate *c = NULL;
	size_t *owner = NULL, nc = 0;
	int rc = -1;

	for (size_t i = 0; i < ctx->lock->npkgs; i++) {
		const struct build_pkg *bp = &ctx->pkgs[i];
		size_t before = recs.n;
		if (bp->postinst == NULL)
			continue;
		if (build_alternatives_parse(bp->postinst, strlen(bp->postinst), bp->lock->name,
					     &recs) != 0)
			goto out;
		for (size_t j = before; j < recs.n; j++) {
			size_t *o = ward_reallocarray(owner, recs.n, sizeof(*o));
			if (o == NULL)
				goto out;
			owner = o;
			owner[j] = i;
		}
	}
	if (recs.n == 0)
		return 0;
	c = ward_calloc(recs.n, sizeof(*c));
	if (c == NULL)
		goto out;
	for (size_t i = 0; i < recs.n; i++) {
		if (split_tabs(recs.v[i], &c[i]) != 0)
			goto out;
		if (c[i].nf < 4)
			continue;
		c[i].prio = strtol(c[i].f[3], NULL, 10);
		c[i].pkg = owner[i];
		if (!ward_strv_contains(&names, c[i].f[1]) &&
		    ward_strv_push(&names, c[i].f[1]) != 0)
			goto out;
		nc++;
	}
	ward_strv_sort(&names);
	for (size_t k = 0; k < names.n; k++) {
		const struct candidate *best = NULL;
		for (size_t i = 0; i < recs.n; i++)
			if (c[i].nf >= 4 && strcmp(c[i].f[1], names.v[k]) == 0 &&
			    exists(ctx, c[i].f[2]) && (best == NULL || c[i].prio > best->prio))
				best = &c[i];
		if (best == NULL)
			continue;
		{
			const char *pkg = ctx->lock->pkgs[best->pkg].name;
			int group = ctx->pkgs[best->pkg].group;
			if (make_links(ctx, best->f[0], best->f[1], best->f[2], pkg, group,
				       best->prio) != 0)
				goto out;
			for (size_t s = 4; s + 2 < best->nf; s += 3)
				if (exists(ctx, best->f[s + 2]) &&
				    make_links(ctx, best->f[s], best->f[s + 1], best->f[s + 2], pkg,
					       group, best->prio) != 0)
					goto out;
			ward_debug("update-alternatives: %s -> %s (%s, priority %ld)", best->f[1],
				   best->f[2], pkg, best->prio);
		}
	}
	rc = 0;
out:
	for (size_t i = 0; c != NULL && i < recs.n; i++)
		free(c[i].f);
	free(c);
	free(owner);
	ward_strv_free(&recs);
	ward_strv_free(&names);
	(void)nc;
	return rc;
}
