/*
 * provenance_files.c: SLSA provenance from the files a build used — the
 * spec, ward.lock and local inputs — for `ward attest --provenance` and
 * for the build and release commands.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "attest/attest.h"

#define PROVENANCE_MAX_FILE (64u << 20)

json_t *
slsa_provenance_from_files(const struct slsa_files *f)
{
	struct slsa_params p = {.spec_path = f->spec_path,
				.lock_path = f->lock_path,
				.builder_id = f->builder_id,
				.invocation_id = f->invocation_id,
				.started_on = f->started_on,
				.finished_on = f->finished_on,
				.internal = f->internal,
				.byproducts = f->byproducts};
	struct ward_buf spec = {0}, lock = {0};
	struct deb_lock dl = {0};
	struct slsa_deps ld = {0};
	struct slsa_dependency *deps = NULL;
	char(*hex)[SHA256_HEX_LEN + 1] = NULL;
	size_t n = f->inputs ? f->inputs->n : 0;
	json_t *pred = NULL;

	if (f->spec_path == NULL) {
		ward_err(WARD_EINPUT, "provenance: no build spec given");
		return NULL;
	}
	if (ward_file_read(f->spec_path, PROVENANCE_MAX_FILE, &spec) != 0 ||
	    (f->lock_path != NULL && ward_file_read(f->lock_path, PROVENANCE_MAX_FILE, &lock) != 0))
		goto out;
	p.spec = spec.data ? (void *)spec.data : "";
	p.spec_len = spec.len;
	p.lock = lock.data;
	p.lock_len = lock.len;
	if (n > 0 && ((deps = ward_calloc(n, sizeof(*deps))) == NULL ||
		      (hex = ward_calloc(n, sizeof(*hex))) == NULL))
		goto out;
	for (size_t i = 0; i < n; i++) {
		const char *path = f->inputs->v[i];
		struct stat st;

		if (attest_path_digest(path, hex[i]) != 0)
			goto out;
		deps[i].kind = stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? "dir" : "file";
		deps[i].name = path;
		deps[i].sha256 = hex[i];
	}
	p.inputs = deps;
	p.ninputs = n;
	if (f->lock_path != NULL &&
	    (deb_lock_read(f->lock_path, &dl) != 0 || slsa_deps_from_lock(&dl, &ld) != 0))
		goto out;
	p.lock_entries = ld.v;
	p.nlock = ld.n;
	pred = slsa_provenance(&p);
out:
	slsa_deps_free(&ld);
	deb_lock_free(&dl);
	free(deps);
	free(hex);
	ward_buf_free(&spec);
	ward_buf_free(&lock);
	return pred;
}
