/* image.c: `ward build` from start to end (build_image), in the order of
 * build_internal.h's stages.  Every check that can fail on bad input runs
 * before the first byte of output; the OCI layout is built beside its
 * final path and appears whole (oci_layout_commit). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "build/build_internal.h"

int
build_step(struct build_ctx *ctx, const char *name, uint64_t start_ns)
{
	struct build_result *r = ctx->res;
	struct build_step *v;

	if (ward_vec_grow(&r->steps, r->nsteps, sizeof(*r->steps)) != 0)
		return -1;
	v = r->steps;
	v[r->nsteps].name = ward_strdup(name);
	v[r->nsteps].ns = ward_now_ns() - start_ns;
	if (v[r->nsteps].name == NULL)
		return -1;
	r->nsteps++;
	ward_debug("%s: %.2f s", name, (double)v[r->nsteps - 1].ns / 1e9);
	return 0;
}

/* SOURCE_DATE_EPOCH: ward.yaml, else the environment, else the date of the
 * newest index the lock was made from (never the clock). */
static int
choose_epoch(struct build_ctx *ctx)
{
	time_t t;
	int r;

	if (ctx->spec->source_date_epoch >= 0) {
		ctx->epoch = ctx->spec->source_date_epoch;
		ctx->res->epoch_from = "ward.yaml";
		return 0;
	}
	r = ward_source_date_epoch(&t);
	if (r < 0)
		return ward_err(WARD_EINPUT, "SOURCE_DATE_EPOCH: not a number of seconds");
	if (r == 1) {
		ctx->epoch = t;
		ctx->res->epoch_from = "SOURCE_DATE_EPOCH";
		return 0;
	}
	ctx->epoch = -1;
	for (size_t i = 0; i < ctx->lock->nindices; i++) {
		struct tm tm = {0};
		const char *d = ctx->lock->indices[i].date, *end;
		if (d == NULL || (end = strptime(d, "%a, %d %b %Y %H:%M:%S", &tm)) == NULL)
			continue;
		t = timegm(&tm);
		if (t > ctx->epoch)
			ctx->epoch = t;
	}
	if (ctx->epoch < 0)
		return ward_err(WARD_EINPUT,
				"%s: no date to build from (the lock has no index Date): set "
				"source_date_epoch in ward.yaml or SOURCE_DATE_EPOCH",
				ctx->spec->path);
	ctx->res->epoch_from = "ward.lock";
	return 0;
}

static int
make_workdir(struct build_ctx *ctx)
{
	char *tmp = ward_path_join(ctx->cache, "tmp");

	ctx->work = tmp ? ward_mkdtemp(tmp, "build") : NULL;
	free(tmp);
	if (ctx->work == NULL)
		return -1;
	ctx->rootfs = ward_path_join(ctx->work, "rootfs");
	return ctx->rootfs ? 0 : -1;
}

/* The package stage: everything from the .debs, unless the layer cache
 * already holds its layers. */
static int
package_stage(struct build_ctx *ctx)
{
	uint64_t t0 = ward_now_ns();
	int cached = build_deb_layers_cached(ctx);

	if (cached < 0)
		return -1;
	if (cached) {
		ward_info("package layers: from the layer cache (%zu packages)", ctx->lock->npkgs);
		return build_step(ctx, "package layers from the cache", t0);
	}
	if (make_workdir(ctx) != 0 || build_unpack(ctx) != 0 ||
	    build_step(ctx, "unpack packages", t0))
		return -1;
	t0 = ward_now_ns();
	if (build_alternatives(ctx) != 0 || build_prune_dirs(ctx) != 0 ||
	    build_generate_packages(ctx) != 0 || build_step(ctx, "maintainer-script effects", t0))
		return -1;
	t0 = ward_now_ns();
	if (build_python_bytecode(ctx) != 0 || build_step(ctx, "python bytecode", t0))
		return -1;
	build_protect_entrypoint(ctx);
	return 0;
}

static json_t *
kv_object(const struct build_kv *kv, json_t *into)
{
	json_t *o = into ? into : json_object();

	for (size_t i = 0; o != NULL && kv != NULL && i < kv->keys.n; i++)
		json_object_set_new(o, kv->keys.v[i], json_string(kv->values.v[i]));
	return o;
}

static int
write_image(struct build_ctx *ctx, const char *tag)
{
	const struct build_spec *s = ctx->spec;
	struct build_result *r = ctx->res;
	struct ward_strv env = {0}, ep = {0};
	struct oci_layer_desc *descs = ward_calloc(r->nlayers ? r->nlayers : 1, sizeof(*descs));
	struct oci_history *hist = ward_calloc(r->nlayers ? r->nlayers : 1, sizeof(*hist));
	json_t *labels = s->labels.keys.n ? kv_object(&s->labels, NULL) : NULL;
	json_t *ann = json_object();
	struct oci_descriptor manifest;
	char user[64];
	int rc = -1;

	if (descs == NULL || hist == NULL || ann == NULL)
		goto out;
	for (size_t i = 0; i < s->env.keys.n; i++)
		if (ward_strv_push_owned(&env, ward_asprintf("%s=%s", s->env.keys.v[i],
							     s->env.values.v[i])) != 0)
			goto out;
	if (ward_strv_push(&ep, "/ward/init") != 0 || ward_strv_push(&ep, "--") != 0)
		goto out;
	for (size_t i = 0; i < s->entrypoint.n; i++)
		if (ward_strv_push(&ep, s->entrypoint.v[i]) != 0)
			goto out;
	for (size_t i = 0; i < r->nlayers; i++) {
		descs[i] = r->layers[i].desc;
		hist[i].created_by = r->layers[i].created_by;
	}
	snprintf(user, sizeof(user), "%lld:%lld", s->user.uid, s->user.gid);
	oci_annotations_created(ann, ctx->epoch);
	json_object_set_new(ann, OCI_ANN_TITLE, json_string(s->name));
	if (s->version != NULL)
		json_object_set_new(ann, OCI_ANN_VERSION, json_string(s->version));
	kv_object(&s->annotations, ann);
	kv_object(ctx->opts->annotations, ann);
	{
		struct oci_image_spec is = {
			.created = ctx->epoch,
			.architecture = s->architecture,
			.os = "linux",
			.user = user,
			.workdir = s->workdir,
			.env = &env,
			.entrypoint = &ep,
			.cmd = s->cmd.n ? &s->cmd : NULL,
			.ports = s->ports.n ? &s->ports : NULL,
			.labels = labels,
			.layers = descs,
			.nlayers = r->nlayers,
			.history = hist,
			.nhistory = r->nlayers,
			.annotations = ann,
		};
		json_t *cfg = oci_config_build(&is);
		char *bytes = cfg ? oci_json_bytes(cfg) : NULL;
		if (bytes != NULL)
			sha256_hex(bytes, strlen(bytes), r->config_digest + 7);
		memcpy(r->config_digest, "sha256:", 7);
		free(bytes);
		json_decref(cfg);
		if (oci_layout_write_image(ctx->layout, &is, tag, &manifest) != 0)
			goto out;
	}
	snprintf(r->manifest_digest, sizeof(r->manifest_digest), "%s", manifest.digest);
	r->manifest_size = manifest.size;
	rc = 0;
out:
	ward_strv_free(&env);
	ward_strv_free(&ep);
	free(descs);
	free(hist);
	json_decref(labels);
	json_decref(ann);
	return rc;
}

static int
docker_archive(struct build_ctx *ctx, const char *tag)
{
	const struct build_opts *o = ctx->opts;
	struct ward_strv tags = {0};
	struct oci_docker_archive_opts dopts = {.repo_tags = &tags, .mtime = ctx->epoch};
	struct oci_image *img;
	int rc = -1;

	if (o->repo_tag ? ward_strv_push(&tags, o->repo_tag)
			: ward_strv_push_owned(
				  &tags, ward_asprintf("localhost/%s:%s", ctx->spec->name, tag)))
		goto out;
	img = oci_image_open(o->output, NULL);
	if (img == NULL)
		goto out;
	rc = oci_docker_archive_write(img, o->docker_archive, &dopts);
	oci_image_close(img);
out:
	ward_strv_free(&tags);
	return rc;
}

static int
make_parent(const char *path)
{
	char *dir = ward_strdup(path), *slash;
	int rc = 0;

	if (dir == NULL)
		return -1;
	slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		rc = ward_mkdir_p(dir, 0755);
	}
	free(dir);
	return rc;
}

static void
count(struct build_ctx *ctx)
{
	struct build_result *r = ctx->res;

	r->from_packages = r->from_spec = r->generated = 0;
	for (size_t i = 0; i < build_plan_count(ctx->plan); i++) {
		const struct build_entry *e = build_plan_entry(ctx->plan, i);
		if (e->origin == BUILD_FROM_PACKAGE)
			r->from_packages++;
		else if (e->origin == BUILD_FROM_SPEC)
			r->from_spec++;
		else
			r->generated++;
	}
	r->setid_cleared = ctx->setid.n;
}

int
build_image(const struct build_spec *s, const struct deb_lock *lock, const struct build_opts *o,
	    struct build_result *r)
{
	struct build_ctx ctx = {.spec = s, .lock = lock, .opts = o, .res = r};
	struct deb_request req;
	uint64_t t0 = ward_now_ns();
	const char *tag;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	tag = o->tag ? o->tag : s->version ? s->version : "latest";
	build_spec_request(s, &req);
	/* Wheels are locked and fetched (ward lock, ward fetch); installing
	 * them waits for the build's beneath-the-root writer.  Until then a
	 * build with python: stops instead of leaving them out silently. */
	if (s->python.lock != NULL) {
		ward_err(WARD_EINPUT,
			 "%s: python: ward build does not install wheels yet (ward lock and ward "
			 "fetch pin and fetch them); remove python: to build without them",
			 s->path);
		return -1;
	}
	if (build_check_spec(s) != 0 || deb_lock_matches(lock, &req) != 0)
		return -1;
	if ((r->tag = ward_strdup(tag)) == NULL || (ctx.cache = ward_strdup(o->cache)) == NULL ||
	    (ctx.blobs = ward_path_join(o->cache, "blobs")) == NULL)
		goto out;
	ctx.threads = o->threads > 0 ? o->threads : ward_cpu_count();
	{
		/* the running binary's digest keys the layer cache: a different ward
		 * never reuses another's layers */
		char self[4096];
		if (ward_self_exe(self, sizeof(self)) != 0 ||
		    sha256_file_hex(self, ctx.tool_sha256, NULL) != 0)
			goto out;
	}
	ctx.pkgs = ward_calloc(lock->npkgs ? lock->npkgs : 1, sizeof(*ctx.pkgs));
	ctx.ngroups = GROUP_MODEL0 + (int)s->nmodels;
	ctx.glayer = ward_calloc((size_t)ctx.ngroups, sizeof(*ctx.glayer));
	ctx.have = ward_calloc((size_t)ctx.ngroups, sizeof(*ctx.have));
	if (ctx.pkgs == NULL || ctx.glayer == NULL || ctx.have == NULL ||
	    (ctx.plan = plan_new()) == NULL)
		goto out;
	r->plan = ctx.plan;
	if (choose_epoch(&ctx) != 0 || build_assign_groups(&ctx) != 0 ||
	    build_check_inputs(&ctx) != 0 || build_step(&ctx, "check inputs", t0) != 0)
		goto out;
	if (package_stage(&ctx) != 0 || build_check_forbidden(&ctx) != 0)
		goto out;
	t0 = ward_now_ns();
	plan_shadow_begin(ctx.plan);
	if (build_generate_config(&ctx) != 0 || build_add_files(&ctx) != 0)
		goto out;
	build_protect_entrypoint(&ctx);
	if (build_check_entrypoint(&ctx) != 0 || build_check_forbidden(&ctx) != 0 ||
	    build_add_models(&ctx) != 0 || build_add_ward(&ctx) != 0 ||
	    build_check_forbidden(&ctx) != 0 || build_step(&ctx, "spec contents", t0) != 0)
		goto out;
	/* Nothing was written so far; now the image. */
	t0 = ward_now_ns();
	if (make_parent(o->output) != 0 || (ctx.layout = oci_layout_create(o->output)) == NULL ||
	    build_write_layers(&ctx) != 0 || build_step(&ctx, "layers", t0) != 0)
		goto out;
	t0 = ward_now_ns();
	if (write_image(&ctx, tag) != 0)
		goto out;
	rc = oci_layout_commit(ctx.layout);
	ctx.layout = NULL;
	if (rc != 0 || (o->docker_archive != NULL && docker_archive(&ctx, tag) != 0)) {
		rc = -1;
		goto out;
	}
	if (build_step(&ctx, "image", t0) != 0)
		goto out;
	count(&ctx);
	r->epoch = ctx.epoch;
	r->record = build_record(&ctx);
	rc = r->record ? 0 : -1;
out:
	if (ctx.layout != NULL)
		oci_layout_abort(ctx.layout);
	if (ctx.work != NULL) {
		struct ward_error saved;
		ward_err_save(&saved);
		if (ward_rm_rf(ctx.work) != 0)
			ward_warn("could not remove the scratch directory %s", ctx.work);
		ward_err_restore(&saved);
	}
	for (size_t i = 0; ctx.pkgs != NULL && i < lock->npkgs; i++) {
		free(ctx.pkgs[i].control);
		free(ctx.pkgs[i].md5sums);
		free(ctx.pkgs[i].conffiles);
		free(ctx.pkgs[i].postinst);
	}
	for (int g = 0; ctx.glayer != NULL && g < ctx.ngroups; g++)
		free(ctx.glayer[g].created_by);
	free(ctx.glayer);
	free(ctx.have);
	free(ctx.pkgs);
	free(ctx.cache);
	free(ctx.blobs);
	ward_root_close(ctx.root);
	free(ctx.context);
	free(ctx.work);
	free(ctx.rootfs);
	ward_strv_free(&ctx.setid);
	if (r->plan == NULL)
		plan_free(ctx.plan);
	return rc;
}

void
build_result_free(struct build_result *r)
{
	if (r == NULL)
		return;
	plan_free(r->plan);
	for (size_t i = 0; i < r->nlayers; i++)
		free(r->layers[i].created_by);
	free(r->layers);
	for (size_t i = 0; i < r->nsteps; i++)
		free(r->steps[i].name);
	free(r->steps);
	free(r->tag);
	json_decref(r->record);
	memset(r, 0, sizeof(*r));
}
