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
 * interpreter. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "build/build_internal.h"

static const char compile_py[] =
	"import sys, py_compile\n"
	"m = py_compile.PycInvalidationMode.UNCHECKED_HASH\n"
	"for line in sys.stdin:\n"
	"    p = line.rstrip('\\n')\n"
	"    try:\n"
	"        py_compile.compile(p, doraise=True, invalidation_mode=m)\n"
	"    except Exception as e:\n"
	"        print('not compiled:', p, type(e).__name__)\n";

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
	char *argv[] = {j->interp, "-I", "-S", "-B", "-X", "utf8", "-c", (char *)compile_py, NULL};
	char *envp[] = {"PYTHONHASHSEED=0", "PYTHONDONTWRITEBYTECODE=1", "LC_ALL=C",
			"PATH=/usr/bin", NULL};

	struct build_sandbox sb = {.root = j->root, .keep_fd = -1};

	if (build_sandbox_run(&sb, argv, envp, j->list.data, j->list.len, &j->log) != 0) {
		j->failed = 1;
		ward_err_save(&j->err);
	}
	return NULL;
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
	return e->type == BUILD_FILE && e->origin == BUILD_FROM_PACKAGE &&
	       ward_str_startswith(e->path, "usr/lib/python3") &&
	       ward_str_endswith(e->path, ".py") && strstr(e->path, "/__pycache__/") == NULL;
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
add_pyc(struct build_ctx *ctx, const struct build_entry *py, const char *tag)
{
	char *rel = pyc_path(py->path, tag), *dir = NULL;
	struct build_entry *e;
	struct stat st;
	int rc = -1;

	if (rel == NULL)
		goto out;
	/* beneath the root: whatever the interpreter left there is never
	 * followed out of the tree */
	if (ward_root_lstat(ctx->root, rel, &st) != 0 || !S_ISREG(st.st_mode)) {
		ward_err_clear();
		rc = 0; /* did not compile */
		goto out;
	}
	dir = ward_strndup(rel, (size_t)(strrchr(rel, '/') - rel));
	if (dir == NULL)
		goto out;
	if (build_plan_find(ctx->plan, dir) == NULL) {
		e = plan_generated(ctx->plan, dir, BUILD_DIR, 0755, py->layer, py->owner,
				   "python bytecode");
		if (e == NULL)
			goto out;
	}
	e = plan_generated(ctx->plan, rel, BUILD_FILE, 0644, py->layer, py->owner,
			   "python bytecode (unchecked-hash)");
	if (e == NULL)
		goto out;
	e->size = (uint64_t)st.st_size;
	ctx->res->pyc++;
	rc = 0;
out:
	free(rel);
	free(dir);
	return rc;
}

int
build_python_bytecode(struct build_ctx *ctx)
{
	const struct build_entry *interp;
	struct pyc_job *jobs = NULL;
	pthread_t *th = NULL;
	struct ward_strv modules = {0};
	char tag[32];
	int n, started = 0, rc = -1;
	const char *ver;

	if (!ctx->spec->python_bytecode || (interp = find_interpreter(ctx)) == NULL)
		return 0;
	ver = interp->path + strlen("usr/bin/python");
	snprintf(tag, sizeof(tag), "cpython-%c%s", ver[0], ver + 2);
	for (size_t i = 0; i < build_plan_count(ctx->plan); i++) {
		const struct build_entry *e = build_plan_entry(ctx->plan, i);
		if (is_module(e) && ward_strv_push(&modules, e->path) != 0)
			goto out;
	}
	if (modules.n == 0)
		return 0;
	n = ctx->threads;
	if ((size_t)n > modules.n)
		n = (int)modules.n;
	jobs = ward_calloc((size_t)n, sizeof(*jobs));
	th = ward_calloc((size_t)n, sizeof(*th));
	if (jobs == NULL || th == NULL)
		goto out;
	for (size_t i = 0; i < modules.n; i++)
		if (ward_buf_printf(&jobs[i % (size_t)n].list, "/%s\n", modules.v[i]) != 0)
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
	for (size_t i = 0; i < modules.n; i++) {
		const struct build_entry *py = build_plan_find(ctx->plan, modules.v[i]);
		if (add_pyc(ctx, py, tag) != 0)
			goto out;
	}
	plan_sort(ctx->plan);
	ward_debug("python bytecode: %zu of %zu modules compiled by /%s", ctx->res->pyc, modules.n,
		   interp->path);
	rc = 0;
out:
	for (int i = 0; jobs != NULL && i < n; i++) {
		free(jobs[i].interp);
		ward_buf_free(&jobs[i].list);
		ward_buf_free(&jobs[i].log);
	}
	free(jobs);
	free(th);
	ward_strv_free(&modules);
	return rc;
}
