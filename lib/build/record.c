/* record.c: the build record (docs/build-record.md): what went in (spec,
 * packages, files, models, ward-init, by digest), what came out (image,
 * layers), how long each step took, and every path of the image with its
 * owner and digest.  SBOM, provenance and release read it. */
#include <stdlib.h>
#include <string.h>

#include "build/build_internal.h"

static const char *const type_names[] = {"", "file", "dir", "symlink"};
static const char *const origin_names[] = {"", "package", "spec", "generated", "wheel"};

static json_t *
file_digest(const char *path)
{
	uint64_t size;
	char hex[SHA256_HEX_LEN + 1];

	if (path == NULL || sha256_file_hex(path, hex, &size) != 0) {
		ward_err_clear();
		return json_null();
	}
	return json_pack("{s:s,s:s,s:I}", "path", path, "sha256", hex, "size", (json_int_t)size);
}

static json_t *
inputs(struct build_ctx *ctx)
{
	const struct build_spec *s = ctx->spec;
	json_t *pkgs = json_array(), *files = json_array(), *models = json_array();
	char nb[64];

	for (size_t i = 0; i < ctx->lock->npkgs; i++) {
		const struct deb_lock_pkg *p = &ctx->lock->pkgs[i];
		json_array_append_new(
			pkgs, json_pack("{s:s,s:s,s:s,s:s,s:I,s:s,s:s?,s:s?}", "name", p->name,
					"version", p->version, "arch", p->arch, "sha256", p->sha256,
					"size", (json_int_t)p->size, "layer",
					build_group_name(ctx->pkgs[i].group, s, nb, sizeof(nb)),
					"source", p->source, "source_version", p->source_version));
	}
	for (size_t i = 0; i < s->nfiles; i++)
		json_array_append_new(files, json_pack("{s:s,s:s}", "src", s->files[i].src, "dst",
						       s->files[i].dst));
	for (size_t i = 0; i < s->nmodels; i++) {
		char path[512];
		const struct build_entry *sig;
		snprintf(path, sizeof(path), "ward/models/%s/model.sig", s->models[i].name);
		sig = build_plan_find(ctx->plan, path);
		json_array_append_new(models,
				      json_pack("{s:s,s:s,s:s,s:s?}", "name", s->models[i].name,
						"src", s->models[i].src, "dst", s->models[i].dst,
						"signature_sha256", sig ? sig->sha256 : NULL));
	}
	return json_pack("{s:o,s:o,s:o,s:o,s:o}", "spec", file_digest(s->path), "packages", pkgs,
			 "files", files, "models", models, "init",
			 file_digest(ctx->opts->init_path));
}

static json_t *
paths(struct build_ctx *ctx)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr != NULL && i < build_plan_count(ctx->plan); i++) {
		const struct build_entry *e = build_plan_entry(ctx->plan, i);
		json_t *o = json_pack("{s:s,s:s,s:s,s:I,s:I}", "path", e->path, "type",
				      type_names[e->type], "mode", "", "uid", (json_int_t)e->uid,
				      "gid", (json_int_t)e->gid);
		char mode[8];
		if (o == NULL)
			continue;
		snprintf(mode, sizeof(mode), "%04o", e->mode & 07777);
		json_object_set_new(o, "mode", json_string(mode));
		if (e->type == BUILD_FILE) {
			json_object_set_new(o, "size", json_integer((json_int_t)e->size));
			json_object_set_new(o, "sha256", json_string(e->sha256));
		} else if (e->type == BUILD_SYMLINK) {
			json_object_set_new(o, "link", json_string(e->link));
		}
		json_object_set_new(o, "origin", json_string(origin_names[e->origin]));
		json_object_set_new(o, "owner", json_string(e->owner ? e->owner : ""));
		if (e->why != NULL)
			json_object_set_new(o, "why", json_string(e->why));
		json_object_set_new(o, "layer", json_integer(e->layer));
		json_array_append_new(arr, o);
	}
	return arr;
}

json_t *
build_record(struct build_ctx *ctx)
{
	struct build_result *r = ctx->res;
	json_t *layers = json_array(), *steps = json_array(), *setid = json_array(), *j;

	for (size_t i = 0; i < r->nlayers; i++) {
		const struct build_layer *l = &r->layers[i];
		json_array_append_new(
			layers,
			json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:b,s:s,s:f}", "name", l->name,
				  "created_by", l->created_by, "digest", l->desc.blob.digest,
				  "diff_id", l->desc.diff_id, "size", (json_int_t)l->desc.blob.size,
				  "tar_size", (json_int_t)l->desc.tar_size, "entries",
				  (json_int_t)l->entries, "packages", (json_int_t)l->packages,
				  "cached", l->cached, "cache_key", l->key, "seconds",
				  (double)l->ns / 1e9));
	}
	for (size_t i = 0; i < r->nsteps; i++)
		json_array_append_new(steps, json_pack("{s:s,s:f}", "name", r->steps[i].name,
						       "seconds", (double)r->steps[i].ns / 1e9));
	for (size_t i = 0; i < ctx->setid.n; i++)
		json_array_append_new(setid, json_string(ctx->setid.v[i]));
	j = json_pack(
		"{s:s,s:s,s:s,s:I,s:s,s:{s:s,s:s,s:I,s:s,s:s},s:o,s:o,s:o,"
		"s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I},s:o,s:o}",
		"record", "ward build record v1", "ward_version", WARD_VERSION, "ward_sha256",
		ctx->tool_sha256, "source_date_epoch", (json_int_t)ctx->epoch, "epoch_from",
		r->epoch_from, "image", "manifest_digest", r->manifest_digest, "config_digest",
		r->config_digest, "manifest_size", (json_int_t)r->manifest_size, "tag", r->tag,
		"output", ctx->opts->output, "inputs", inputs(ctx), "layers", layers, "steps",
		steps, "counts", "paths", (json_int_t)build_plan_count(ctx->plan), "from_packages",
		(json_int_t)r->from_packages, "from_spec", (json_int_t)r->from_spec, "from_wheels",
		(json_int_t)r->from_wheels, "generated", (json_int_t)r->generated, "dropped",
		(json_int_t)r->dropped, "pyc", (json_int_t)r->pyc, "pyc_cached",
		(json_int_t)r->pyc_cached, "setid_cleared", setid, "paths", paths(ctx));
	if (j == NULL)
		ward_err(WARD_EENV, "out of memory writing the build record");
	return j;
}
