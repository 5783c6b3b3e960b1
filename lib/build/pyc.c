/* pyc.c: Python bytecode for the packages' modules, so that a read-only
 * root starts fast (a read-only root cannot cache bytecode at run time).
 *
 * The image's own interpreter compiles, chrooted into the staging tree
 * (sandbox.c), with py_compile's unchecked-hash mode: a .pyc records the
 * source's hash rather than its mtime, and the marshal output of one
 * interpreter version is the same bytes for the same source, so the layers
 * stay reproducible.  PYTHONHASHSEED is fixed (frozenset constants are
 * marshalled in iteration order) and the work is split over processes by
 * file, which does not change any file's bytes.  Modules that do not
 * compile (Python 2 leftovers, deliberate syntax-error test data) get no
 * .pyc, as with Debian's py3compile.  Only packages' modules are compiled:
 * the app's files stay source, so the app layer does not depend on the
 * interpreter.
 *
 * The bytecode cache.  A .pyc is a function of the source's bytes, the
 * path it is compiled under (co_filename is in it), the interpreter and
 * how it is driven -- nothing else.  So each compiled .pyc is kept in
 * <cache>/pyc/<k[0..1]>/<k>.pyc under k = build_pyc_key(): the SHA-256 of
 * a description naming all of these (PYC_FORMAT, the ward binary, the
 * interpreter's identity below, the pyc tag, the driver program, its
 * flags and environment, the module's path in the image, the source's
 * SHA-256).  A later build whose package layers missed the layer cache
 * (one framework changed) hashes the staged sources, writes every hit
 * into the staging tree beneath its root, and starts the interpreter only
 * for the misses (not at all when there are none).  A hit is the very
 * bytes the interpreter would write, so the image does not depend on the
 * cache.
 *
 * The interpreter's identity (build_pyc_interp_id) must cover every file that
 * can change what py_compile writes.  It holds: the interpreter binary's
 * path and SHA-256; every locked package of the base and python layer
 * groups (name, version, architecture, .deb SHA-256) -- the interpreter,
 * its standard library and every shared library it can load (libc, libm,
 * zlib, ...) are exactly those packages (build_assign_groups: the python
 * packages and their dependency closure), so a new libc or a new
 * python3.11 misses the whole cache; and, for files another package or a
 * wheel may have put where `python -I -S` looks, the path and digest of
 * every planned entry in that interpreter's stdlib directory (not its
 * dist-/site-packages: -S), its zipped stdlib, the pyvenv.cfg and ._pth
 * files getpath reads, and ld.so's preload, cache and configuration.
 * Changing a framework package or a wheel changes none of this, so its
 * modules' entries stay valid.
 *
 * Entries are written to a locked temporary file in <cache>/pyc/tmp and
 * renamed into place (concurrent builds sharing a cache write the same
 * bytes; an interrupted one leaves only a temporary, removed by the next
 * build).  Each entry starts with a text header naming its key, the
 * payload's size and SHA-256, checked on every read: a damaged,
 * truncated or misplaced entry is a miss (with a warning), compiled again
 * and replaced.  Modules that do not compile are not cached.
 * --no-layer-cache (the independent rebuild of `ward release` and `ward
 * verify --rebuild`) neither reads nor fills this cache. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/build_internal.h"

#define PYC_FORMAT "ward-pyc 1"
#define PYC_MAX (256u << 20) /* the largest .pyc cached or read back */

static const char compile_py[] =
	"import sys, py_compile\n"
	"m = py_compile.PycInvalidationMode.UNCHECKED_HASH\n"
	"for line in sys.stdin:\n"
	"    p = line.rstrip('\\n')\n"
	"    try:\n"
	"        py_compile.compile(p, doraise=True, invalidation_mode=m)\n"
	"    except Exception as e:\n"
	"        print('not compiled:', p, type(e).__name__)\n";

/* How the interpreter runs (argv after its path, then compile_py), and its
 * whole environment: both are in the cache key. */
static const char *const pyc_flags[] = {"-I", "-S", "-B", "-X", "utf8", "-c"};
static const char *const pyc_env[] = {"PYTHONHASHSEED=0", "PYTHONDONTWRITEBYTECODE=1", "LC_ALL=C",
				      "PATH=/usr/bin"};
#define NFLAGS (sizeof(pyc_flags) / sizeof(*pyc_flags))
#define NENV (sizeof(pyc_env) / sizeof(*pyc_env))

/* ------------------------------------------------------------ keys */

int
build_pyc_key(const char *tool_sha256, const char *interp_id, const char *tag, const char *path,
	      const char *src_sha256, char out[65])
{
	struct ward_buf b = {0};
	int rc;

	ward_buf_printf(&b, "%s\ntool %s\ninterpreter %s\ntag %s\n", PYC_FORMAT, tool_sha256,
			interp_id, tag);
	for (size_t i = 0; i < NFLAGS; i++)
		ward_buf_printf(&b, "flag %s\n", pyc_flags[i]);
	for (size_t i = 0; i < NENV; i++)
		ward_buf_printf(&b, "env %s\n", pyc_env[i]);
	ward_buf_printf(&b, "driver %zu\n", sizeof(compile_py) - 1);
	ward_buf_append(&b, compile_py, sizeof(compile_py) - 1);
	/* the path last, by length: no path can pose as another field */
	ward_buf_printf(&b, "\nsource %s\npath %zu /%s\n", src_sha256, strlen(path), path);
	rc = ward_buf_check(&b);
	if (rc == 0)
		sha256_hex(b.data, b.len, out);
	ward_buf_free(&b);
	return rc;
}

/* ------------------------------------------------------------ entries */

int
build_pyc_entry_make(const char *key, const void *pyc, size_t len, struct ward_buf *out)
{
	char hex[65];

	sha256_hex(pyc, len, hex);
	ward_buf_printf(out, "%s\nkey %s\nsize %zu\nsha256 %s\n\n", PYC_FORMAT, key, len, hex);
	ward_buf_append(out, pyc, len);
	return ward_buf_check(out);
}

int
build_pyc_entry_check(const void *data, size_t len, const char *key, size_t *payload)
{
	char head[260], canon[260], hex[65], want[65];
	const char *d = data, *end;
	size_t hl, size;

	end = len > 0 ? memmem(d, len < 256 ? len : 256, "\n\n", 2) : NULL;
	if (end == NULL)
		return ward_err(WARD_EINPUT, "no header");
	hl = (size_t)(end - d) + 2;
	memcpy(head, d, hl);
	head[hl] = '\0';
	/* parsed, then written again: only the exact header of
	 * build_pyc_entry_make passes */
	if (sscanf(head, PYC_FORMAT "\nkey %64[0-9a-f]\nsize %zu\nsha256 %64[0-9a-f]", want, &size,
		   hex) != 3 ||
	    (size_t)snprintf(canon, sizeof(canon), "%s\nkey %s\nsize %zu\nsha256 %s\n\n",
			     PYC_FORMAT, want, size, hex) != hl ||
	    memcmp(canon, head, hl) != 0)
		return ward_err(WARD_EINPUT, "malformed header");
	if (strcmp(want, key) != 0)
		return ward_err(WARD_EINPUT, "holds the entry of another key (%.16s...)", want);
	if (len - hl != size)
		return ward_err(WARD_EINPUT, "%zu bytes of bytecode, the header says %zu", len - hl,
				size);
	sha256_hex(d + hl, size, want);
	if (strcmp(want, hex) != 0)
		return ward_err(WARD_EINPUT, "bytecode does not match its SHA-256");
	*payload = hl;
	return 0;
}

/* ------------------------------------------------------------ state */

struct pyc_mod {
	char *path;   /* the module, "usr/lib/python3/dist-packages/x.py" */
	char *pyc;    /* its .pyc, "usr/lib/python3/dist-packages/__pycache__/x.cpython-311.pyc" */
	char sha[65]; /* of the source */
	char key[65];
	int hit; /* written from the cache */
};

struct pyc_state {
	struct build_ctx *ctx;
	struct pyc_mod *m;
	size_t n;
	struct build_entry **hash; /* entries to hash (sources, interpreter files) */
	size_t nhash, hashcap;
	char *dir; /* <cache>/pyc */
	char *tmp; /* <cache>/pyc/tmp */
	size_t hits;
};

/* Run fn(st, i) for i in [0, n) over ctx->threads threads (by index
 * modulo: the result does not depend on the thread count).  The first
 * error is kept. */
struct par {
	struct pyc_state *st;
	int (*fn)(struct pyc_state *, size_t);
	size_t n, t, nth;
	int failed;
	struct ward_error err;
};

static void *
par_worker(void *arg)
{
	struct par *p = arg;

	for (size_t i = p->t; i < p->n; i += p->nth)
		if (p->fn(p->st, i) != 0) {
			p->failed = 1;
			ward_err_save(&p->err);
			break;
		}
	return NULL;
}

static int
parallel(struct pyc_state *st, size_t n, int (*fn)(struct pyc_state *, size_t))
{
	size_t nth = st->ctx->threads > 0 ? (size_t)st->ctx->threads : 1, started = 0;
	struct par *p;
	pthread_t *th;
	int rc = 0;

	if (n == 0)
		return 0;
	if (nth > n)
		nth = n;
	p = ward_calloc(nth, sizeof(*p));
	th = ward_calloc(nth, sizeof(*th));
	if (p == NULL || th == NULL) {
		free(p);
		free(th);
		return -1;
	}
	for (size_t t = 0; t < nth; t++)
		p[t] = (struct par){.st = st, .fn = fn, .n = n, .t = t, .nth = nth};
	for (; started < nth; started++)
		if (pthread_create(&th[started], NULL, par_worker, &p[started]) != 0)
			break;
	for (size_t t = started; t < nth; t++)
		par_worker(&p[t]);
	for (size_t t = 0; t < started; t++)
		pthread_join(th[t], NULL);
	for (size_t t = 0; t < nth; t++)
		if (p[t].failed) {
			rc = ward_err_restore(&p[t].err);
			break;
		}
	free(p);
	free(th);
	return rc;
}

/* ------------------------------------------------------------ hashing */

/* The SHA-256 of a staged file, read beneath the root. */
static int
hash_staged(struct ward_root *root, const char *rel, char out[65])
{
	int fd = ward_root_open_read(root, rel, NULL), rc;

	if (fd < 0)
		return -1;
	rc = sha256_fd_hex(fd, rel, out, NULL);
	close(fd);
	return rc;
}

/* e->sha256 of an entry the keys need, unless known. */
static int
hash_one(struct pyc_state *st, size_t i)
{
	struct build_entry *e = st->hash[i];

	if (e->sha256[0] != '\0')
		return 0;
	if (e->data != NULL) {
		sha256_hex(e->data, e->size, e->sha256);
		return 0;
	}
	return hash_staged(st->ctx->root, e->path, e->sha256);
}

/* Paths `python3.N -I -S` can read besides its own binary: its stdlib
 * directory but for site packages (bytecode a package shipped there
 * included: imports use it), the zipped stdlib, what getpath reads to
 * find them, and what ld.so loads before it.  The staging tree holds
 * nothing there that the plan lacks (dropped paths are never staged; the
 * .pyc this step writes are planned after the keys are made). */
static int
interp_visible(const char *path, const char *ver /* "3.11" */)
{
	char dir[64], zip[64], pth[64], pth2[64];
	char nodot[16];
	size_t k = 0;

	for (const char *v = ver; *v && k + 1 < sizeof(nodot); v++)
		if (*v != '.')
			nodot[k++] = *v;
	nodot[k] = '\0';
	snprintf(dir, sizeof(dir), "usr/lib/python%s/", ver);
	snprintf(zip, sizeof(zip), "usr/lib/python%s.zip", nodot);
	snprintf(pth, sizeof(pth), "usr/bin/python%s._pth", ver);
	snprintf(pth2, sizeof(pth2), "usr/bin/python%s._pth", nodot);
	if (ward_str_startswith(path, dir))
		return strstr(path, "/dist-packages/") == NULL &&
		       strstr(path, "/site-packages/") == NULL;
	return strcmp(path, zip) == 0 || strcmp(path, pth) == 0 || strcmp(path, pth2) == 0 ||
	       strcmp(path, "usr/bin/pyvenv.cfg") == 0 || strcmp(path, "usr/pyvenv.cfg") == 0 ||
	       strcmp(path, "etc/ld.so.preload") == 0 || strcmp(path, "etc/ld.so.cache") == 0 ||
	       strcmp(path, "etc/ld.so.conf") == 0 ||
	       ward_str_startswith(path, "etc/ld.so.conf.d/");
}

/* The interpreter's identity (above), as a hex digest. */
int
build_pyc_interp_id(const struct build_ctx *ctx, const struct build_entry *interp, const char *ver,
		    char out[65])
{
	struct ward_buf b = {0};
	int rc;

	ward_buf_printf(&b, "binary /%s %s\n", interp->path, interp->sha256);
	for (size_t i = 0; i < ctx->lock->npkgs; i++) {
		const struct deb_lock_pkg *p = &ctx->lock->pkgs[i];
		int g = ctx->pkgs[i].group;
		if (g == GROUP_BASE || g == GROUP_PYTHON)
			ward_buf_printf(&b, "pkg %s %s %s %s %d\n", p->name, p->version, p->arch,
					p->sha256, g);
	}
	for (size_t i = 0; i < build_plan_count(ctx->plan); i++) {
		const struct build_entry *e = build_plan_entry(ctx->plan, i);
		if (!interp_visible(e->path, ver))
			continue;
		ward_buf_printf(&b, "%s %s\t%d\t%s\n", e->type == BUILD_FILE ? "file" : "other",
				e->path, e->type,
				e->type == BUILD_FILE	   ? e->sha256
				: e->type == BUILD_SYMLINK ? e->link
							   : "");
	}
	rc = ward_buf_check(&b);
	if (rc == 0)
		sha256_hex(b.data, b.len, out);
	ward_buf_free(&b);
	return rc;
}

/* ------------------------------------------------------------ cache */

static char *
entry_path(const struct pyc_state *st, const char *key)
{
	return ward_asprintf("%s/%.2s/%s.pyc", st->dir, key, key);
}

/* A cached entry into the staging tree: 0 (m->hit set, or a miss), -1. */
static int
lookup_one(struct pyc_state *st, size_t i)
{
	struct pyc_mod *m = &st->m[i];
	struct ward_buf b = {0};
	struct stat sb;
	char *path = entry_path(st, m->key);
	size_t off;
	int fd, rc = -1;

	if (path == NULL)
		return -1;
	if ((fd = ward_input_open(path, WARD_IN_NOFOLLOW, &sb)) < 0) {
		/* absent: never compiled; anything else unusable: say so */
		if (lstat(path, &sb) == 0 || errno != ENOENT)
			ward_warn("bytecode cache: %s; compiling /%s again", ward_errmsg(),
				  m->path);
		ward_err_clear();
		rc = 0;
		goto out;
	}
	if ((uint64_t)sb.st_size > PYC_MAX + 4096u ||
	    ward_fd_read_all(fd, path, PYC_MAX + 4096u, &b) != 0 ||
	    build_pyc_entry_check(b.data, b.len, m->key, &off) != 0) {
		ward_warn("bytecode cache: %s: %s; compiling /%s again", path,
			  (uint64_t)sb.st_size > PYC_MAX + 4096u ? "too large" : ward_errmsg(),
			  m->path);
		ward_err_clear();
		rc = 0;
		goto out;
	}
	if (ward_root_write(st->ctx->root, m->pyc, (const char *)b.data + off, b.len - off, 0644,
			    WARD_ROOT_REPLACE) != 0) {
		/* a symlink or file where __pycache__ should be: the
		 * interpreter meets it too (and compiles nothing there) */
		if (ward_errkind() != WARD_EINPUT)
			goto out;
		ward_err_clear();
		rc = 0;
		goto out;
	}
	m->hit = 1;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	ward_buf_free(&b);
	free(path);
	return rc;
}

/* A freshly compiled .pyc into the cache. */
static int
store_one(struct pyc_state *st, size_t i)
{
	struct pyc_mod *m = &st->m[i];
	struct ward_buf pyc = {0}, ent = {0};
	struct stat sb;
	char now[65], *final = NULL, *base = NULL, *tmp = NULL, *sub = NULL;
	int fd = -1, rc = -1;

	if (m->hit || ward_root_lstat(st->ctx->root, m->pyc, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		ward_err_clear();
		return 0; /* from the cache, or did not compile */
	}
	/* the source must still be what the key says */
	if (ward_root_read(st->ctx->root, m->pyc, PYC_MAX, &pyc) != 0 ||
	    hash_staged(st->ctx->root, m->path, now) != 0)
		goto out;
	if (strcmp(now, m->sha) != 0) {
		ward_err(WARD_EINPUT, "%s/%s: changed while compiling bytecode",
			 ward_root_path(st->ctx->root), m->path);
		goto out;
	}
	if (build_pyc_entry_make(m->key, pyc.data, pyc.len, &ent) != 0)
		goto out;
	final = entry_path(st, m->key);
	base = ward_asprintf("%s/e", st->tmp); /* "e.tmp-<pid>-<n>" */
	sub = ward_asprintf("%s/%.2s", st->dir, m->key);
	if (final == NULL || base == NULL || sub == NULL)
		goto out;
	if (mkdir(sub, 0755) != 0 && errno != EEXIST) {
		ward_err_io(sub, "cannot create directory");
		goto out;
	}
	if ((fd = ward_tmp_create(base, 0644, &tmp)) < 0 ||
	    ward_fd_write(fd, ent.data, ent.len, tmp) != 0)
		goto out;
	if (rename(tmp, final) != 0) {
		ward_err_io(final, "cannot rename into place");
		goto out;
	}
	free(tmp);
	tmp = NULL;
	rc = 0;
out:
	if (tmp != NULL)
		unlink(tmp);
	if (fd >= 0)
		close(fd); /* after the rename: the lock keeps it from ward_remove_stale */
	free(tmp);
	free(final);
	free(base);
	free(sub);
	ward_buf_free(&pyc);
	ward_buf_free(&ent);
	return rc;
}

/* ------------------------------------------------------------ compiling */

struct pyc_job {
	struct ward_root *root;
	char *interp; /* "/usr/bin/python3.11" */
	struct ward_buf list;
	struct ward_buf log;
	int failed;
	struct ward_error err;
};

static void *
pyc_worker(void *arg)
{
	struct pyc_job *j = arg;
	char *argv[NFLAGS + 3], *envp[NENV + 1];
	struct build_sandbox sb = {.root = j->root, .keep_fd = -1};

	argv[0] = j->interp;
	for (size_t i = 0; i < NFLAGS; i++)
		argv[i + 1] = (char *)pyc_flags[i];
	argv[NFLAGS + 1] = (char *)compile_py;
	argv[NFLAGS + 2] = NULL;
	for (size_t i = 0; i < NENV; i++)
		envp[i] = (char *)pyc_env[i];
	envp[NENV] = NULL;
	if (build_sandbox_run(&sb, argv, envp, j->list.data, j->list.len, &j->log) != 0) {
		j->failed = 1;
		ward_err_save(&j->err);
	}
	return NULL;
}

/* The misses, compiled by the image's interpreter over ctx->threads
 * sandboxed processes. */
static int
compile_misses(struct pyc_state *st, const struct build_entry *interp, size_t misses)
{
	struct build_ctx *ctx = st->ctx;
	struct pyc_job *jobs = NULL;
	pthread_t *th = NULL;
	int n = ctx->threads > 0 ? ctx->threads : 1, started = 0, rc = -1;
	size_t k = 0;

	if ((size_t)n > misses)
		n = (int)misses;
	jobs = ward_calloc((size_t)n, sizeof(*jobs));
	th = ward_calloc((size_t)n, sizeof(*th));
	if (jobs == NULL || th == NULL)
		goto out;
	for (size_t i = 0; i < st->n; i++)
		if (!st->m[i].hit &&
		    ward_buf_printf(&jobs[k++ % (size_t)n].list, "/%s\n", st->m[i].path) != 0)
			goto out;
	for (int i = 0; i < n; i++) {
		jobs[i].root = ctx->root;
		jobs[i].interp = ward_asprintf("/%s", interp->path);
		if (jobs[i].interp == NULL)
			goto out;
	}
	for (; started < n; started++)
		if (pthread_create(&th[started], NULL, pyc_worker, &jobs[started]) != 0)
			break;
	for (int i = started; i < n; i++)
		pyc_worker(&jobs[i]);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < n; i++)
		if (jobs[i].failed) {
			ward_err(jobs[i].err.kind, "compiling Python bytecode with /%s: %s%s%.300s",
				 interp->path, jobs[i].err.msg, jobs[i].log.len ? ": " : "",
				 jobs[i].log.len ? (char *)jobs[i].log.data : "");
			goto out;
		}
	rc = 0;
out:
	for (int i = 0; jobs != NULL && i < n; i++) {
		free(jobs[i].interp);
		ward_buf_free(&jobs[i].list);
		ward_buf_free(&jobs[i].log);
	}
	free(jobs);
	free(th);
	return rc;
}

/* The interpreter: what /usr/bin/python3 points to, else the newest
 * /usr/bin/python3.N. */
static const struct build_entry *
find_interpreter(struct build_ctx *ctx)
{
	const struct build_entry *e = plan_resolve(ctx->plan, "usr/bin/python3"), *best = NULL;
	size_t n = build_plan_count(ctx->plan);

	if (e != NULL && e->type == BUILD_FILE && ward_str_startswith(e->path, "usr/bin/python3."))
		return e;
	for (size_t i = 0; i < n; i++) {
		const struct build_entry *c = build_plan_entry(ctx->plan, i);
		const char *v;
		if (c->type != BUILD_FILE || !ward_str_startswith(c->path, "usr/bin/python3."))
			continue;
		v = c->path + strlen("usr/bin/python3.");
		if (v[0] == '\0' || strspn(v, "0123456789") != strlen(v))
			continue;
		if (best == NULL || atoi(v) > atoi(best->path + strlen("usr/bin/python3.")))
			best = c;
	}
	return best;
}

static int
is_module(const struct build_entry *e)
{
	if (e->type != BUILD_FILE || !ward_str_endswith(e->path, ".py") ||
	    strstr(e->path, "/__pycache__/") != NULL)
		return 0;
	/* the packages' modules, and the wheels' in their site-packages */
	return (e->origin == BUILD_FROM_PACKAGE &&
		ward_str_startswith(e->path, "usr/lib/python3")) ||
	       (e->origin == BUILD_FROM_WHEEL && strstr(e->path, "/dist-packages/") != NULL);
}

/* "usr/lib/x/mod.py" -> "usr/lib/x/__pycache__/mod.cpython-311.pyc" */
static char *
pyc_path(const char *py, const char *tag)
{
	const char *slash = strrchr(py, '/');
	size_t dirlen = (size_t)(slash - py);
	const char *base = slash + 1;

	return ward_asprintf("%.*s/__pycache__/%.*s.%s.pyc", (int)dirlen, py,
			     (int)(strlen(base) - 3), base, tag);
}

static int
add_pyc(struct build_ctx *ctx, const struct pyc_mod *m)
{
	const struct build_entry *py = build_plan_find(ctx->plan, m->path);
	char *dir = NULL;
	struct build_entry *e;
	struct stat st;
	int rc = -1;

	/* beneath the root: whatever the interpreter left there is never
	 * followed out of the tree */
	if (ward_root_lstat(ctx->root, m->pyc, &st) != 0 || !S_ISREG(st.st_mode)) {
		ward_err_clear();
		return 0; /* did not compile */
	}
	dir = ward_strndup(m->pyc, (size_t)(strrchr(m->pyc, '/') - m->pyc));
	if (dir == NULL)
		goto out;
	if (build_plan_find(ctx->plan, dir) == NULL) {
		e = plan_generated(ctx->plan, dir, BUILD_DIR, 0755, py->layer, py->owner,
				   "python bytecode");
		if (e == NULL)
			goto out;
	}
	e = plan_generated(ctx->plan, m->pyc, BUILD_FILE, 0644, py->layer, py->owner,
			   "python bytecode (unchecked-hash)");
	if (e == NULL)
		goto out;
	e->size = (uint64_t)st.st_size;
	ctx->res->pyc++;
	ctx->res->pyc_cached += m->hit != 0;
	rc = 0;
out:
	free(dir);
	return rc;
}

/* The entries whose digests the keys need: every module and everything
 * interp_visible (both in the plan now, so pointers stay valid until the
 * plan changes in add_pyc). */
static int
collect_hashes(struct pyc_state *st, const struct build_entry *interp, const char *ver)
{
	struct build_plan *p = st->ctx->plan;

	for (size_t i = 0; i < build_plan_count(p); i++) {
		struct build_entry *e = plan_at(p, i);
		if (e->type != BUILD_FILE ||
		    (e != interp && !is_module(e) && !interp_visible(e->path, ver)))
			continue;
		if (ward_vec_reserve(&st->hash, &st->hashcap, st->nhash + 1, sizeof(*st->hash)) !=
		    0)
			return -1;
		st->hash[st->nhash++] = e;
	}
	return 0;
}

static int
key_one(struct pyc_state *st, size_t i, const char *interp_id, const char *tag)
{
	struct pyc_mod *m = &st->m[i];
	const struct build_entry *e = build_plan_find(st->ctx->plan, m->path);

	memcpy(m->sha, e->sha256, sizeof(m->sha));
	return build_pyc_key(st->ctx->tool_sha256, interp_id, tag, m->path, m->sha, m->key);
}

int
build_python_bytecode(struct build_ctx *ctx)
{
	const struct build_entry *found;
	struct build_entry *interp;
	struct pyc_state st = {.ctx = ctx};
	struct ward_strv modules = {0};
	char tag[32], ver[16], interp_id[65], *interp_path = NULL;
	int use_cache = !ctx->opts->no_layer_cache, rc = -1;
	size_t misses;
	const char *v;

	if (!ctx->spec->python_bytecode || (found = find_interpreter(ctx)) == NULL)
		return 0;
	v = found->path + strlen("usr/bin/python");
	snprintf(ver, sizeof(ver), "%s", v);
	snprintf(tag, sizeof(tag), "cpython-%c%s", v[0], v + 2);
	if ((interp_path = ward_strdup(found->path)) == NULL)
		return -1;
	for (size_t i = 0; i < build_plan_count(ctx->plan); i++) {
		const struct build_entry *e = build_plan_entry(ctx->plan, i);
		if (is_module(e) && ward_strv_push(&modules, e->path) != 0)
			goto out;
	}
	if (modules.n == 0) {
		rc = 0;
		goto out;
	}
	st.n = modules.n;
	if ((st.m = ward_calloc(st.n, sizeof(*st.m))) == NULL)
		goto out;
	for (size_t i = 0; i < st.n; i++) {
		st.m[i].path = modules.v[i];
		if ((st.m[i].pyc = pyc_path(modules.v[i], tag)) == NULL)
			goto out;
	}
	if (use_cache) {
		uint64_t t0 = ward_now_ns();
		interp = plan_get(ctx->plan, interp_path);
		if ((st.dir = ward_path_join(ctx->cache, "pyc")) == NULL ||
		    (st.tmp = ward_path_join(st.dir, "tmp")) == NULL ||
		    collect_hashes(&st, interp, ver) != 0 ||
		    parallel(&st, st.nhash, hash_one) != 0 ||
		    build_pyc_interp_id(ctx, interp, ver, interp_id) != 0)
			goto out;
		for (size_t i = 0; i < st.n; i++)
			if (key_one(&st, i, interp_id, tag) != 0)
				goto out;
		if (parallel(&st, st.n, lookup_one) != 0)
			goto out;
		for (size_t i = 0; i < st.n; i++)
			st.hits += st.m[i].hit != 0;
		ward_debug("bytecode cache: %zu of %zu modules found in %.2f s", st.hits, st.n,
			   (double)(ward_now_ns() - t0) / 1e9);
	}
	misses = st.n - st.hits;
	if (misses > 0) {
		found = build_plan_find(ctx->plan, interp_path);
		if (compile_misses(&st, found, misses) != 0)
			goto out;
	}
	if (use_cache && misses > 0) {
		if (ward_mkdir_p(st.tmp, 0755) != 0)
			goto out;
		ward_remove_stale(st.tmp, "e.tmp-"); /* of interrupted builds */
		if (parallel(&st, st.n, store_one) != 0)
			goto out;
	}
	for (size_t i = 0; i < st.n; i++)
		if (add_pyc(ctx, &st.m[i]) != 0)
			goto out;
	plan_sort(ctx->plan);
	ward_debug("python bytecode: %zu of %zu modules: %zu from the bytecode cache, %zu compiled "
		   "by /%s",
		   ctx->res->pyc, st.n, ctx->res->pyc_cached, ctx->res->pyc - ctx->res->pyc_cached,
		   interp_path);
	rc = 0;
out:
	for (size_t i = 0; st.m != NULL && i < st.n; i++)
		free(st.m[i].pyc);
	free(st.m);
	free(st.hash);
	free(st.dir);
	free(st.tmp);
	free(interp_path);
	ward_strv_free(&modules);
	return rc;
}
