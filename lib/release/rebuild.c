/*
 * rebuild.c: `ward verify --rebuild` — build an image again from what its
 * SLSA provenance names and hand back the manifest digest, so the verifier
 * can compare it with the signed image (DESIGN.md: reproducibility).
 *
 * The provenance records ward.yaml (path, SHA-256 and content), ward.lock
 * and every input file with its digest.  Before anything is built,
 * ward.yaml, ward.lock and ward-init are checked against those digests, so a changed input is named
 * instead of surfacing as "different digest".  The build runs offline from
 * the lock and the package cache, without the layer cache, into a scratch
 * directory that is removed afterwards.  Layers are gzip, as ward build
 * and ward release write them by default.
 */
#include <stdlib.h>
#include <string.h>

#include "build/build.h"
#include "deb/deb.h"
#include "release/release.h"

static const json_t *
build_definition(const json_t *provenance)
{
	return json_object_get(provenance, "buildDefinition");
}

/* The provenance's digest of a file at path, compared with the file's own. */
static int
check_input(const char *path, const char *want, const char *what)
{
	char hex[SHA256_HEX_LEN + 1];

	if (sha256_file_hex(path, hex, NULL) != 0)
		return -1;
	if (want == NULL || strcmp(hex, want) != 0)
		return ward_err(WARD_EVERIFY,
				"%s %s: sha256:%s, but the provenance was made with sha256:%s",
				what, path, hex, want ? want : "(none recorded)");
	return 0;
}

/* The ward-init dependency of the provenance (a file named ward-init). */
static const json_t *
init_dependency(const json_t *bd)
{
	const json_t *d;
	size_t i;

	json_array_foreach(json_object_get(bd, "resolvedDependencies"), i, d)
	{
		const char *name = ward_json_str(d, "name");
		const char *kind = ward_json_str(json_object_get(d, "annotations"), "kind");
		const char *base = name ? strrchr(name, '/') : NULL;

		if (kind && strcmp(kind, "file") == 0 && name &&
		    strcmp(base ? base + 1 : name, "ward-init") == 0)
			return d;
	}
	return NULL;
}

int
release_rebuild(void *vctx, const json_t *provenance, char digest[OCI_DIGEST_LEN + 1])
{
	const struct release_rebuild *ctx = vctx;
	const json_t *bd = build_definition(provenance);
	const json_t *ext = json_object_get(bd, "externalParameters");
	const json_t *spec_p = json_object_get(ext, "spec");
	const json_t *lock_p = json_object_get(ext, "lock");
	const json_t *init_dep = init_dependency(bd);
	const char *spec_path = ctx->spec ? ctx->spec : ward_json_str(spec_p, "path");
	const char *init_path = ctx->init ? ctx->init : ward_json_str(init_dep, "name");
	struct build_spec spec;
	struct deb_lock lock = {0};
	struct wheel_lock wheels = {0};
	int have_wheels = 0;
	struct build_opts bo = {0};
	struct build_result br = {0};
	char *lockpath = NULL, *cache = NULL, *tmp = NULL, *dir = NULL, *out = NULL;
	int have_spec = 0, rc = -1;

	if (spec_path == NULL)
		return ward_err(WARD_EINPUT, "the provenance names no ward.yaml; give --spec");
	if (init_path == NULL)
		return ward_err(WARD_EINPUT, "the provenance names no ward-init; give --init");
	if (check_input(spec_path, ward_json_str(json_object_get(spec_p, "digest"), "sha256"),
			"ward.yaml") != 0 ||
	    check_input(init_path, ward_json_str(json_object_get(init_dep, "digest"), "sha256"),
			"ward-init") != 0)
		return -1;
	if (build_spec_load(spec_path, &spec) != 0)
		return -1;
	have_spec = 1;
	lockpath = ctx->lock			   ? ward_strdup(ctx->lock)
		   : ward_json_str(lock_p, "path") ? ward_strdup(ward_json_str(lock_p, "path"))
						   : build_spec_lock_path(&spec);
	cache = deb_cache_dir(ctx->cache);
	if (lockpath == NULL || cache == NULL)
		goto out;
	if (lock_p != NULL &&
	    check_input(lockpath, ward_json_str(json_object_get(lock_p, "digest"), "sha256"),
			"ward.lock") != 0)
		goto out;
	if (deb_lock_read(lockpath, &lock) != 0 ||
	    wheel_lock_read(lockpath, &wheels, &have_wheels) != 0)
		goto out;
	if ((tmp = ward_path_join(cache, "tmp")) == NULL ||
	    (dir = ward_mkdtemp(tmp, "rebuild")) == NULL ||
	    (out = ward_path_join(dir, "image")) == NULL)
		goto out;
	bo.output = out;
	bo.cache = cache;
	bo.init_path = init_path;
	bo.trust_key = ctx->key;
	bo.threads = ctx->threads;
	bo.compression = OCI_COMPRESS_GZIP;
	bo.no_layer_cache = 1;
	bo.wheels = have_wheels ? &wheels : NULL;
	if (build_image(&spec, &lock, &bo, &br) != 0)
		goto out;
	memcpy(digest, br.manifest_digest, OCI_DIGEST_LEN + 1);
	rc = 0;
out:
	build_result_free(&br);
	if (dir != NULL)
		ward_rm_rf(dir);
	free(out);
	free(dir);
	free(tmp);
	free(cache);
	free(lockpath);
	deb_lock_free(&lock);
	wheel_lock_free(&wheels);
	if (have_spec)
		build_spec_free(&spec);
	return rc;
}
