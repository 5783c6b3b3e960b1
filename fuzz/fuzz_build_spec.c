/* fuzz_build_spec: ward.yaml -> plan (issue 15).  Any bytes as ward.yaml:
 * parsed and checked as `ward build` does (build_spec_parse,
 * build_check_spec), then, on an empty package set, the spec's own part
 * of the plan: sources confined to an empty build context
 * (build_check_inputs), the generated /etc files, home and writable
 * directories, files:, the entrypoint and the distroless rules.  A spec
 * the parser accepts must never make the planner crash, leak or plan a
 * path that is absolute or climbs out with "..". */
#include <stdlib.h>
#include <string.h>

#include "build/build_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *context, *spec_path, *init_path;

static void
cleanup(void)
{
	if (context != NULL)
		(void)ward_rm_rf(context);
}

static void
setup(void)
{
	char tmpl[] = "/tmp/fuzz-build-spec.XXXXXX";

	if (mkdtemp(tmpl) == NULL || (context = ward_strdup(tmpl)) == NULL ||
	    (spec_path = ward_path_join(context, "ward.yaml")) == NULL ||
	    (init_path = ward_path_join(context, "init")) == NULL)
		abort();
	atexit(cleanup);
	/* the sources the seeds name (files: src: app), and a ward-init */
	{
		char *app = ward_path_join(context, "app"), *py = ward_path_join(app, "server.py");
		if (app == NULL || py == NULL || ward_mkdir_p(app, 0755) != 0 ||
		    ward_file_write(py, "print(1)\n", 9, 0644) != 0 ||
		    ward_file_write(init_path, "\177ELF", 4, 0755) != 0)
			abort();
		free(app);
		free(py);
	}
}

static int
plan_spec(const struct build_spec *s)
{
	struct deb_lock lock = {0};
	struct build_result res = {0};
	struct build_opts opts = {.context = context, .init_path = init_path};
	struct build_ctx ctx = {.spec = s,
				.lock = &lock,
				.opts = &opts,
				.res = &res,
				.threads = 1,
				.epoch = 1700000000};
	int rc = -1;

	ctx.ngroups = GROUP_MODEL0 + (int)s->nmodels;
	if ((ctx.plan = plan_new()) == NULL)
		abort();
	/* what a package would have staged: an interpreter for entrypoints */
	{
		struct build_entry *e;
		if (plan_mkdirs(ctx.plan, "usr/bin/python3", GROUP_PYTHON, "python3-minimal") !=
			    0 ||
		    (e = plan_add(ctx.plan, "usr/bin/python3", BUILD_FILE, NULL)) == NULL ||
		    plan_set_str(&e->owner, "python3-minimal") != 0)
			abort();
		e->origin = BUILD_FROM_PACKAGE;
		e->mode = 0755;
		e->layer = GROUP_PYTHON;
		plan_sort(ctx.plan);
	}
	plan_shadow_begin(ctx.plan);
	if (build_check_inputs(&ctx) == 0 && build_generate_config(&ctx) == 0 &&
	    build_add_files(&ctx) == 0) {
		build_protect_entrypoint(&ctx);
		if (build_check_entrypoint(&ctx) == 0 && build_check_forbidden(&ctx) == 0)
			rc = 0;
	}
	for (size_t i = 0; i < build_plan_count(ctx.plan); i++) {
		const char *p = build_plan_entry(ctx.plan, i)->path;
		if (p[0] == '/' || p[0] == '\0' || strcmp(p, "..") == 0 ||
		    strncmp(p, "../", 3) == 0 || strstr(p, "/../") != NULL ||
		    (strlen(p) >= 3 && strcmp(p + strlen(p) - 3, "/..") == 0))
			__builtin_trap();
	}
	plan_free(ctx.plan);
	free(ctx.context);
	ward_strv_free(&ctx.setid);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct build_spec s;

	if (context == NULL)
		setup();
	ward_log_set_level(WARD_LOG_ERROR);
	if (build_spec_parse((const char *)data, size, spec_path, &s) == 0) {
		if (build_check_spec(&s) == 0)
			(void)plan_spec(&s);
		build_spec_free(&s);
	}
	ward_err_clear();
	return 0;
}
