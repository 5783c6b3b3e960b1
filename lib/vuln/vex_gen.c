/*
 * vex_gen.c: an OpenVEX v0.2.0 document for a scan report.
 *
 * not_affected is stated only with evidence ward gathered itself:
 *   component_not_present     the owning package's files are all absent from
 *                             the root filesystem, or the annotated library
 *                             (or package) that holds the vulnerable code is
 *   vulnerable_code_not_in_execute_path
 *                             every ELF object was read, none imports an
 *                             annotated symbol or defines a copy of it, and
 *                             none that imports dlopen names the library
 * Everything else is affected (a fix exists: upgrade) or under_investigation.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "vuln/vuln_internal.h"

#define MAX_EVIDENCE 8

struct ann_state {
	const struct annotation *a;
	struct ward_strv providers; /* objects whose SONAME or name is an annotated library */
	struct ward_strv blockers;  /* "path imports SYM", "path may dlopen LIB", ... */
	size_t nblockers;
	struct ward_strv dead; /* importers that are programs ward-init never executes */
	size_t ndead;
};

struct walk {
	const char *root;
	const struct vuln_runtime *runtime;
	struct ann_state *s;
	size_t ns;
	size_t objects, files;
	struct ward_strv unreadable; /* ELF objects that could not be read */
};

static int note(struct ward_strv *sv, size_t *count, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
note(struct ward_strv *sv, size_t *count, const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (count != NULL)
		(*count)++;
	va_start(ap, fmt);
	rc = ward_strv_vpushf(sv, fmt, ap);
	va_end(ap);
	/* Keep the bytewise-first MAX_EVIDENCE notes, sorted: the evidence
	 * must not depend on the order the walk met the files in (readdir
	 * order for a directory, tar order for an image). */
	if (rc == 0) {
		ward_strv_sort(sv);
		if (sv->n > MAX_EVIDENCE) {
			free(sv->v[--sv->n]);
			sv->v[sv->n] = NULL;
		}
	}
	return rc;
}

/* "libcrypto.so.3" → "libcrypto.so": the part every dlopen name contains. */
static size_t
stem_len(const char *soname)
{
	const char *so = strstr(soname, ".so");

	return so ? (size_t)(so - soname) + 3 : strlen(soname);
}

static int
base_in(const struct ward_strv *names, const char *sym)
{
	const char *at = strchr(sym, '@');
	size_t n = at ? (size_t)(at - sym) : strlen(sym);

	for (size_t i = 0; i < names->n; i++)
		if (strlen(names->v[i]) == n && strncmp(names->v[i], sym, n) == 0)
			return 1;
	return 0;
}

static int
inspect(struct walk *w, const char *rel, unsigned char *data, size_t len)
{
	struct vuln_elf e;
	const char *base = strrchr(rel, '/');
	int dl = 0, rc = 0;

	int dead = 0;

	base = base ? base + 1 : rel;
	w->objects++;
	if (vuln_elf_read(data, len, rel, &e) != 0) {
		if (ward_errkind() == WARD_EENV)
			return -1;
		ward_warn("skipping %s", ward_errmsg());
		ward_err_clear();
		return ward_strv_push(&w->unreadable, rel);
	}
	for (size_t i = 0; i < e.imports.n; i++)
		if (strncmp(e.imports.v[i], "dlopen", 6) == 0 ||
		    strncmp(e.imports.v[i], "dlmopen", 7) == 0)
			dl = 1;
	/* a program ward-init will never execute cannot reach anything */
	if (e.executable && w->runtime != NULL && w->runtime->proven) {
		char *abs = ward_asprintf("%s%s", rel[0] == '/' ? "" : "/", rel);
		if (abs == NULL) {
			vuln_elf_free(&e);
			return -1;
		}
		dead = !vuln_runtime_executes(w->runtime, w->root, abs);
		free(abs);
	}
	for (size_t k = 0; rc == 0 && k < w->ns; k++) {
		struct ann_state *s = &w->s[k];
		int provider = (e.soname && ward_strv_contains(&s->a->libraries, e.soname)) ||
			       ward_strv_contains(&s->a->libraries, base);
		struct ward_strv *bl = dead ? &s->dead : &s->blockers;
		size_t *nb = dead ? &s->ndead : &s->nblockers;
		if (s->a->libraries.n == 0)
			continue;
		if (provider) {
			rc = note(&s->providers, NULL, "%s", rel);
			continue;
		}
		for (size_t i = 0; rc == 0 && i < e.imports.n; i++)
			if (base_in(&s->a->symbols, e.imports.v[i]))
				rc = note(bl, nb, "%s imports %s", rel, e.imports.v[i]);
		for (size_t i = 0; rc == 0 && i < e.defines.n; i++)
			if (base_in(&s->a->symbols, e.defines.v[i]))
				rc = note(bl, nb, "%s defines its own %s", rel, e.defines.v[i]);
		for (size_t l = 0; rc == 0 && dl && l < s->a->libraries.n; l++)
			if (memmem(data, len, s->a->libraries.v[l], stem_len(s->a->libraries.v[l])))
				rc = note(bl, nb, "%s calls dlopen and names %s", rel,
					  s->a->libraries.v[l]);
		/* A stripped static executable hides what it linked in; OpenSSL and
		 * most libraries leave function names in their error strings, so
		 * one that contains an annotated name or the library's name counts. */
		for (size_t i = 0; rc == 0 && !e.has_dynamic && !e.has_symtab &&
				   i < s->a->symbols.n + s->a->libraries.n;
		     i++) {
			int sym = i < s->a->symbols.n;
			const char *needle =
				sym ? s->a->symbols.v[i] : s->a->libraries.v[i - s->a->symbols.n];
			size_t nl = sym ? strlen(needle) : stem_len(needle) - 3;
			if (memmem(data, len, needle, nl) != NULL) {
				rc = note(bl, nb,
					  "%s is statically linked without a symbol table and "
					  "contains "
					  "\"%.*s\"",
					  rel, (int)nl, needle);
				break;
			}
		}
	}
	vuln_elf_free(&e);
	return rc;
}

static int
inspect_file(struct walk *w, int dirfd, const char *name, const char *rel, off_t size)
{
	unsigned char magic[4];
	void *map;
	/* never waits on a FIFO swapped in since the directory was read */
	int fd = ward_input_openat(dirfd, name, WARD_IN_NOFOLLOW, rel, NULL), rc;

	w->files++;
	if (fd < 0) { /* unreadable non-ELF files do not matter; ELF ones are counted below */
		ward_err_clear();
		return 0;
	}
	if (size < 64 || pread(fd, magic, 4, 0) != 4 || memcmp(magic, "\177ELF", 4) != 0) {
		close(fd);
		return 0;
	}
	map = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		w->objects++;
		ward_warn("skipping %s: cannot map it", rel);
		return ward_strv_push(&w->unreadable, rel);
	}
	rc = inspect(w, rel, map, (size_t)size);
	munmap(map, (size_t)size);
	return rc;
}

static int
walk_dir(struct walk *w, int dirfd, const char *rel, int depth)
{
	struct ward_strv names = {0};
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if (depth > 64)
		return 0;
	if ((d = fdopendir(dirfd)) == NULL) {
		close(dirfd);
		return 0;
	}
	/* in name order: the evidence quoted must not depend on readdir's order */
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
		    ward_strv_push(&names, de->d_name) != 0) {
			closedir(d);
			ward_strv_free(&names);
			return -1;
		}
	ward_strv_sort(&names);
	for (size_t i = 0; rc == 0 && i < names.n; i++) {
		const char *name = names.v[i];
		struct stat st;
		char *path;
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if ((path = ward_asprintf("%s/%s", rel, name)) == NULL) {
			rc = -1;
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			int sub;
			if (depth == 0 && (strcmp(name, "proc") == 0 || strcmp(name, "sys") == 0 ||
					   strcmp(name, "dev") == 0)) {
				free(path);
				continue;
			}
			sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				rc = walk_dir(w, sub, path, depth + 1);
		} else if (S_ISREG(st.st_mode)) {
			rc = inspect_file(w, dirfd, name, path, st.st_size);
		}
		free(path);
	}
	closedir(d);
	ward_strv_free(&names);
	return rc;
}

/* ----------------------------------------------------------- packages */

static int
listed_files(const char *root, const char *pkg, struct ward_strv *out)
{
	static const char *const arches[] = {"amd64", "arm64",	 "i386",  "all",
					     "armhf", "ppc64el", "s390x", "riscv64"};
	struct ward_buf b = {0};
	int found = 0;

	for (size_t f = 0; !found && f < 3; f++) {
		for (size_t a = 0; !found && a < (f == 1 ? 8 : 1); a++) {
			char rel[512], *p;
			if (f == 0)
				snprintf(rel, sizeof(rel), "var/lib/dpkg/info/%s.list", pkg);
			else if (f == 1)
				snprintf(rel, sizeof(rel), "var/lib/dpkg/info/%s:%s.list", pkg,
					 arches[a]);
			else
				snprintf(rel, sizeof(rel), "var/lib/dpkg/status.d/%s.md5sums", pkg);
			if ((p = ward_path_join(root, rel)) == NULL)
				return -1;
			b.len = 0;
			if (ward_file_read(p, 64u << 20, &b) == 0)
				found = f == 2 ? 2 : 1;
			ward_err_clear();
			free(p);
		}
	}
	if (found) {
		char *save = NULL;
		for (char *l = strtok_r(ward_buf_cstr(&b), "\n", &save); l;
		     l = strtok_r(NULL, "\n", &save)) {
			if (found == 2) { /* "<md5>  path" */
				char *sp = strstr(l, "  ");
				if (sp == NULL)
					continue;
				l = sp + 2;
			}
			while (*l == '/')
				l++;
			if (*l == '\0' || strncmp(l, "usr/share/doc/", 14) == 0 ||
			    strncmp(l, "usr/share/man/", 14) == 0 ||
			    strncmp(l, "usr/share/info/", 15) == 0 ||
			    strncmp(l, "usr/share/lintian/", 18) == 0)
				continue;
			if (ward_strv_push(out, l) != 0) {
				ward_buf_free(&b);
				return -1;
			}
		}
	}
	ward_buf_free(&b);
	return found ? 1 : 0;
}

/* 1 when the package lists files and none of them (but directories) is
 * in root; 0 when some is or nothing can be told. */
static int
package_absent(const char *root, const char *pkg, size_t *nfiles)
{
	struct ward_strv files = {0};
	size_t regular = 0;
	int rc = listed_files(root, pkg, &files), present = 0;

	if (rc <= 0) {
		ward_strv_free(&files);
		return rc;
	}
	for (size_t i = 0; !present && i < files.n; i++) {
		char *p = ward_path_join(root, files.v[i]);
		struct stat st;
		if (p == NULL) {
			ward_strv_free(&files);
			return -1;
		}
		if (lstat(p, &st) == 0) {
			if (!S_ISDIR(st.st_mode))
				present = 1;
		} else {
			regular++; /* missing: a file that is not there */
		}
		free(p);
	}
	*nfiles = regular;
	ward_strv_free(&files);
	return !present && regular > 0;
}

/* ----------------------------------------------------------- statements */

static char *
join(const struct ward_strv *sv, const char *sep, size_t total)
{
	struct ward_buf b = {0};

	for (size_t i = 0; i < sv->n; i++) {
		ward_buf_puts(&b, i ? sep : "");
		ward_buf_puts(&b, sv->v[i]);
	}
	if (total > sv->n)
		ward_buf_printf(&b, "%s(%zu more)", sv->n ? sep : "", total - sv->n);
	return ward_buf_steal(&b);
}

static json_t *
statement(const struct vuln_finding *f, const char *status, const char *justification,
	  const char *impact, const char *action, const char *notes)
{
	json_t *aliases = json_array(), *st;

	for (size_t i = 0; i < f->aliases.n; i++)
		json_array_append_new(aliases, json_string(f->aliases.v[i]));
	st = json_pack("{s:{s:s,s:o},s:[{s:s}],s:s}", "vulnerability", "name", f->id, "aliases",
		       aliases, "products", "@id", f->purl ? f->purl : f->owner, "status", status);
	if (st == NULL)
		return NULL;
	if (justification)
		json_object_set_new(st, "justification", json_string(justification));
	if (impact)
		json_object_set_new(st, "impact_statement", json_string(impact));
	if (action)
		json_object_set_new(st, "action_statement", json_string(action));
	if (notes)
		json_object_set_new(st, "status_notes", json_string(notes));
	return st;
}

/* The runtime facts as one sentence of evidence. */
static char *
runtime_text(const struct vuln_runtime *rt)
{
	struct ward_buf b = {0};

	ward_buf_puts(&b, "ward-init is PID 1 of ");
	ward_buf_puts(&b, rt->image ? rt->image : "this image");
	ward_buf_puts(&b, " (entrypoint /ward/init --");
	for (size_t i = 0; i < rt->argv.n; i++)
		ward_buf_printf(&b, " %s", rt->argv.v[i]);
	ward_buf_printf(&b, ") and its policy /ward/policy.json (sha256:%s) lets only ",
			rt->policy_sha256);
	for (size_t i = 0; i < rt->exec.n; i++)
		ward_buf_printf(&b, "%s%s", i ? ", " : "", rt->exec.v[i]);
	ward_buf_puts(&b, " execute; it refuses every other execve (seccomp) and Landlock "
			  "allows executing no other file");
	return ward_buf_steal(&b);
}

static char *
evidence_text(const struct vuln_finding *f)
{
	return join(&f->evidence, "; ", f->evidence.n);
}

/* The statement for a finding the scan itself resolved (a backport, or
 * Debian's verdict on a Python advisory). */
static json_t *
resolved_statement(const struct vuln_finding *f)
{
	char *ev = evidence_text(f), *text;
	json_t *st;

	if (ev == NULL)
		return NULL;
	if (f->status == VULN_FIXED) {
		text = ward_asprintf("%s%s%s", ev, f->disagreement ? "; " : "",
				     f->disagreement ? f->disagreement : "");
		st = statement(f, "fixed", NULL, NULL, NULL, text ? text : ev);
	} else {
		text = ward_asprintf("%s%s%s", ev, f->disagreement ? "; " : "",
				     f->disagreement ? f->disagreement : "");
		st = statement(f, "not_affected",
			       f->justification ? f->justification : "vulnerable_code_not_present",
			       text ? text : ev, NULL, NULL);
	}
	free(text);
	free(ev);
	return st;
}

/* What to do about an affected finding: upgrade, or what Debian says. */
static char *
action_text(const struct vuln_finding *f, const char *reach)
{
	char *base;

	if (f->fixed != NULL)
		base = ward_asprintf("upgrade %s to %s or later (%s %s)", f->package, f->fixed,
				     f->owner, f->owner_version ? f->owner_version : "");
	else if (f->kind != NULL || f->urgency != NULL)
		base = ward_asprintf(
			"no fixed package is published for %s: Debian's security tracker lists "
			"%s %s as %s%s%s%s%s%s; remove %s if the image does not need it, or "
			"accept the risk until Debian ships a fix",
			f->ecosystem, f->package, f->id, f->kind ? f->kind : "unfixed",
			f->urgency || f->reason ? " (" : "", f->urgency ? f->urgency : "",
			f->urgency && f->reason ? "; " : "", f->reason ? f->reason : "",
			f->urgency || f->reason ? ")" : "", f->owner);
	else
		base = ward_asprintf("no fixed version of %s is published; remove %s or "
				     "mitigate until one is",
				     f->package, f->owner);
	if (base != NULL && reach != NULL) {
		char *t = ward_asprintf("%s; reachable: %s", base, reach);
		free(base);
		base = t;
	}
	return base;
}

static json_t *
decide(const struct vuln_finding *f, const struct vuln_vex_opts *o, struct walk *w)
{
	const struct annotation *a = annotation_for(o->annotations, f);
	const struct vuln_runtime *rt = o->runtime && o->runtime->proven ? o->runtime : NULL;
	struct ann_state *s = NULL;
	char *evidence = NULL, *text = NULL, *libs = NULL, *syms = NULL, *rtext = NULL;
	json_t *st = NULL;
	size_t nfiles = 0;
	int absent;

	if (f->status == VULN_FIXED || f->status == VULN_NOT_AFFECTED)
		return resolved_statement(f);
	if (o->rootfs != NULL && f->ecosystem && osv_ecosystem_kind(f->ecosystem) == OSV_DEBIAN) {
		if ((absent = package_absent(o->rootfs, f->owner, &nfiles)) < 0)
			return NULL;
		if (absent) {
			text = ward_asprintf(
				"%s is recorded as installed but none of the %zu files "
				"its package lists is present in the image",
				f->owner, nfiles);
			st = statement(f, "not_affected", "component_not_present", text, NULL,
				       NULL);
			free(text);
			return st;
		}
	}
	for (size_t i = 0; a != NULL && i < w->ns; i++)
		if (w->s[i].a == a)
			s = &w->s[i];
	if (rt != NULL && (rtext = runtime_text(rt)) == NULL)
		return NULL;
	if (a != NULL) {
		libs = join(&a->libraries, ", ", a->libraries.n);
		syms = join(&a->symbols, ", ", a->symbols.n);
		if (libs == NULL || syms == NULL) { /* never a statement with a lost text */
			free(libs);
			free(syms);
			return NULL;
		}
	}
	if (a != NULL && a->packages.n > 0 && !ward_strv_contains(&a->packages, f->owner)) {
		char *pk = join(&a->packages, ", ", a->packages.n);
		text = ward_asprintf("the vulnerable code of %s is in %s (%s), which %s does not "
				     "ship%s%s",
				     f->id, a->libraries.n ? libs : "programs", pk, f->owner,
				     a->reference ? "; see " : "",
				     a->reference ? a->reference : "");
		free(pk);
		st = statement(f, "not_affected", "component_not_present", text, NULL, NULL);
		goto done;
	}
	if (a != NULL && a->programs.n > 0 && o->rootfs != NULL) {
		struct ward_strv present = {0}, run = {0};
		for (size_t i = 0; i < a->programs.n; i++) {
			char *res = runtime_resolve(o->rootfs, a->programs.v[i]);
			if (res == NULL)
				continue;
			ward_strv_push(&present, a->programs.v[i]);
			if (vuln_runtime_executes(rt, o->rootfs, a->programs.v[i]))
				ward_strv_push(&run, a->programs.v[i]);
			free(res);
		}
		if (present.n == 0 && a->libraries.n == 0) {
			char *pr = join(&a->programs, ", ", a->programs.n);
			text = ward_asprintf(
				"the vulnerable code of %s is in %s, which the image does "
				"not ship%s%s",
				f->id, pr, a->reference ? "; see " : "",
				a->reference ? a->reference : "");
			free(pr);
			st = statement(f, "not_affected", "vulnerable_code_not_present", text, NULL,
				       NULL);
		} else if (rt != NULL && run.n == 0 && a->libraries.n == 0) {
			char *pr = join(&present, ", ", present.n);
			text = ward_asprintf(
				"the vulnerable code of %s is in %s, a program no process "
				"of this image can execute: %s%s%s",
				f->id, pr, rtext, a->reference ? "; see " : "",
				a->reference ? a->reference : "");
			free(pr);
			st = statement(f, "not_affected", "vulnerable_code_not_in_execute_path",
				       text, NULL, NULL);
		} else if (run.n > 0) {
			char *pr = join(&run, ", ", run.n);
			evidence = ward_asprintf("%s may be executed (%s)", pr,
						 rt ? "the policy allows it"
						    : "no ward-init policy limits execution");
			free(pr);
		} else if (rt == NULL && a->libraries.n == 0) {
			evidence = ward_asprintf(
				"%s is in the image and nothing proves it never runs%s%s",
				present.v[0], o->runtime && o->runtime->why_not ? ": " : "",
				o->runtime && o->runtime->why_not ? o->runtime->why_not : "");
		}
		ward_strv_free(&present);
		ward_strv_free(&run);
		if (st != NULL)
			goto done;
	}
	if (evidence == NULL && a != NULL && a->libraries.n > 0 && s != NULL &&
	    s->providers.n == 0) {
		text = ward_asprintf(
			"no ELF object among the %zu inspected in the image is %s, which "
			"holds the vulnerable code of %s%s%s",
			w->objects, libs, f->id, a->reference ? "; see " : "",
			a->reference ? a->reference : "");
		st = statement(f, "not_affected", "vulnerable_code_not_present", text, NULL, NULL);
	} else if (a != NULL && a->libraries.n > 0 && s != NULL && s->nblockers == 0 &&
		   w->unreadable.n == 0 && evidence == NULL) {
		char *prov = join(&s->providers, ", ", s->providers.n);
		char *dead = s->ndead ? join(&s->dead, "; ", s->ndead) : NULL;
		text = ward_asprintf(
			"ward inspected the dynamic symbol tables of %zu ELF objects in the image: "
			"none imports %s from %s (provided by %s), none defines its own copy, and "
			"none that calls dlopen names the library%s%s%s%s; symbols checked: %s%s%s",
			w->objects, "the vulnerable functions", libs, prov,
			dead ? ", except programs ward-init never executes (" : "",
			dead ? dead : "", dead ? "): " : "", dead ? rtext : "", syms,
			a->reference ? "; vulnerable functions from " : "",
			a->reference ? a->reference : "");
		free(prov);
		free(dead);
		st = statement(f, "not_affected", "vulnerable_code_not_in_execute_path", text, NULL,
			       NULL);
	} else {
		if (evidence == NULL && a != NULL && a->libraries.n > 0 && s != NULL) {
			struct ward_strv all = {0};
			ward_strv_sort(&w->unreadable);
			for (size_t i = 0; i < s->blockers.n; i++)
				ward_strv_push(&all, s->blockers.v[i]);
			for (size_t i = 0; i < w->unreadable.n && all.n < MAX_EVIDENCE; i++) {
				char *m = ward_asprintf("%s could not be read", w->unreadable.v[i]);
				if (m)
					ward_strv_push_owned(&all, m);
			}
			evidence = ward_strv_check(&all) == 0
					   ? join(&all, "; ", s->nblockers + w->unreadable.n)
					   : NULL;
			ward_strv_free(&all);
		} else if (evidence == NULL && a != NULL && o->rootfs == NULL) {
			evidence = ward_strdup("no root filesystem was inspected");
		}
		if (f->status == VULN_AFFECTED) {
			text = action_text(f, evidence);
			st = statement(f, "affected", NULL, NULL, text, NULL);
		} else {
			char *ev = evidence_text(f);
			text = ward_asprintf("%s%s%s", ev ? ev : "nothing decisive is known",
					     evidence ? "; reachable: " : "",
					     evidence ? evidence : "");
			free(ev);
			st = statement(f, "under_investigation", NULL, NULL, NULL, text);
		}
	}
done:
	free(text);
	free(evidence);
	free(libs);
	free(syms);
	free(rtext);
	return st;
}

int
vuln_vex_generate(const struct vuln_report *r, const struct vuln_pkglist *pkgs,
		  const struct vuln_vex_opts *o, json_t **out)
{
	struct walk w = {0};
	json_t *statements = json_array(), *doc = NULL;
	char ts[32], hex[SHA256_HEX_LEN + 1], *dump = NULL, *id = NULL;
	int rc = -1;

	(void)pkgs;
	*out = NULL;
	w.root = o->rootfs;
	w.runtime = o->runtime;
	if ((w.s = ward_calloc(o->annotations ? o->annotations->n + 1 : 1, sizeof(*w.s))) == NULL)
		goto done;
	/* the annotations some finding needs */
	for (size_t i = 0; i < r->nfindings; i++) {
		const struct annotation *a = annotation_for(o->annotations, &r->findings[i]);
		int seen = 0;
		for (size_t k = 0; a && k < w.ns; k++)
			seen |= w.s[k].a == a;
		if (a != NULL && !seen)
			w.s[w.ns++].a = a;
	}
	if (o->rootfs != NULL && w.ns > 0) {
		int fd = open(o->rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			ward_err_io(o->rootfs, "cannot open");
			goto done;
		}
		if (walk_dir(&w, fd, "", 0) != 0)
			goto done;
	}
	for (size_t i = 0; i < r->nfindings + r->nresolved; i++) {
		const struct vuln_finding *f =
			i < r->nfindings ? &r->findings[i] : &r->resolved[i - r->nfindings];
		json_t *st = decide(f, o, &w);
		if (st == NULL)
			goto done;
		json_array_append_new(statements, st);
	}
	ward_time_rfc3339(o->timestamp, ts);
	dump = ward_json_dump(statements, 0);
	if (dump == NULL)
		goto done;
	sha256_hex(dump, strlen(dump), hex);
	id = o->id ? ward_strdup(o->id)
		   : ward_asprintf("https://openvex.dev/docs/public/vex-%s", hex);
	doc = json_pack("{s:s,s:s,s:s,s:s,s:i,s:s,s:O}", "@context",
			"https://openvex.dev/ns/v0.2.0", "@id", id, "author",
			o->author ? o->author : "ward", "timestamp", ts, "version", 1, "tooling",
			"ward " WARD_VERSION, "statements", statements);
	if (doc == NULL) {
		ward_err(WARD_EENV, "out of memory");
		goto done;
	}
	*out = doc;
	rc = 0;
done:
	for (size_t i = 0; i < w.ns; i++) {
		ward_strv_free(&w.s[i].providers);
		ward_strv_free(&w.s[i].blockers);
		ward_strv_free(&w.s[i].dead);
	}
	free(w.s);
	ward_strv_free(&w.unreadable);
	json_decref(statements);
	free(dump);
	free(id);
	return rc;
}
