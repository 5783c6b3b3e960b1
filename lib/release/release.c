/* release.c: `ward release` — build, evidence, attestations, tests,
 * signatures, all in a temporary sibling of OUT made visible in one step. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/oci.h"
#include "release_internal.h"

int
release_is_dir(const char *path)
{
	char *p = ward_path_join(path, REL_INDEX);
	struct stat st;
	int yes = p != NULL && stat(p, &st) == 0 && S_ISREG(st.st_mode);

	free(p);
	return yes;
}

static int
load_inputs(struct rel *x)
{
	const struct release_opts *o = x->o;

	if (build_spec_load(o->spec, &x->spec) != 0)
		return -1;
	x->spec_loaded = 1;
	if ((x->lockpath = o->lock ? ward_strdup(o->lock) : build_spec_lock_path(&x->spec)) ==
		    NULL ||
	    deb_lock_read(x->lockpath, &x->lock) != 0 ||
	    rel_digest_file(o->spec, x->spec_sha) != 0 ||
	    rel_digest_file(x->lockpath, x->lock_sha) != 0 ||
	    (o->init && rel_digest_file(o->init, x->init_sha) != 0))
		return -1;
	return 0;
}

/* What a release directory holds (release.json, written last, is its
 * marker): a directory with anything else is not a release to replace. */
static const char *const release_names[] = {REL_INDEX, "image", "artifacts", "image.tar", NULL};

/* The release directory in the making: OUT.tmp-<pid>-<n>/{image,artifacts}. */
static int
make_tmp(struct rel *x)
{
	if ((x->out = ward_outdir_begin(x->o->output, release_names, 0755, 0)) == NULL ||
	    (x->tmp = ward_strdup(ward_outdir_tmp(x->out))) == NULL ||
	    (x->art = ward_path_join(x->tmp, "artifacts")) == NULL ||
	    (x->scratch = ward_path_join(x->tmp, ".scratch")) == NULL ||
	    (x->layout = ward_path_join(x->tmp, "image")) == NULL)
		return -1;
	if (ward_mkdir_p(x->art, 0755) != 0 || ward_mkdir_p(x->scratch, 0700) != 0)
		return -1;
	return 0;
}

static int
build(struct rel *x)
{
	const struct release_opts *o = x->o;
	struct build_opts bo = {0};
	struct build_result br = {0};
	char *tar = NULL, *name = NULL;
	uint64_t t0 = ward_now_ns();
	json_t *in, *out;
	int rc = -1;

	if (o->docker_archive && (tar = ward_path_join(x->tmp, "image.tar")) == NULL)
		return -1;
	bo.output = x->layout;
	bo.tag = o->tag;
	bo.docker_archive = tar;
	bo.repo_tag = o->repo_tag;
	bo.cache = o->cache;
	bo.context = o->context;
	bo.init_path = o->init;
	bo.sign_key = o->key;
	bo.threads = o->threads;
	bo.compression = OCI_COMPRESS_GZIP;
	struct ward_error be;
	rc = build_image(&x->spec, &x->lock, &bo, &br);
	ward_err_save(&be);
	in = json_pack("{s:s,s:s}", "ward.yaml", x->spec_sha, "ward.lock", x->lock_sha);
	if (*x->init_sha)
		json_object_set_new(in, "ward-init", json_string(x->init_sha));
	for (size_t i = 0; i < x->spec.nfiles; i++) {
		char d[72], *k = ward_asprintf("files:%s", x->spec.files[i].dst);
		if (k && rel_digest_file(x->spec.files[i].src, d) == 0)
			json_object_set_new(in, k, json_string(d));
		free(k);
	}
	for (size_t i = 0; i < x->spec.nmodels; i++) {
		char d[72], *k = ward_asprintf("models:%s", x->spec.models[i].dst);
		if (k && rel_digest_file(x->spec.models[i].src, d) == 0)
			json_object_set_new(in, k, json_string(d));
		free(k);
	}
	ward_err_clear();
	if (rc != 0) {
		release_log_step(&x->log, "build", t0, 0, in, NULL, be.msg);
		ward_err_restore(&be);
		goto out;
	}
	/* one line per build stage, one per layer */
	for (size_t i = 0; i < br.nsteps; i++) {
		char s[128];
		snprintf(s, sizeof(s), "build: %s", br.steps[i].name);
		release_log_step(&x->log, s, ward_now_ns() - br.steps[i].ns, 1,
				 i == 0 ? json_deep_copy(in) : NULL, NULL, NULL);
	}
	for (size_t i = 0; i < br.nlayers; i++) {
		char s[96];
		snprintf(s, sizeof(s), "layer %s", br.layers[i].name);
		release_log_step(&x->log, s, ward_now_ns() - br.layers[i].ns, 1,
				 json_pack("{s:s}", "cache_key", br.layers[i].key),
				 json_pack("{s:s,s:s}", "blob", br.layers[i].desc.blob.digest,
					   "diff_id", br.layers[i].desc.diff_id),
				 br.layers[i].cached ? "from the layer cache"
						     : br.layers[i].created_by);
	}
	out = json_pack("{s:s,s:s}", "manifest", br.manifest_digest, "config", br.config_digest);
	release_log_step(&x->log, "build", t0, 1, in, out, NULL);
	snprintf(x->r->digest, sizeof(x->r->digest), "%s", br.manifest_digest);
	if ((x->r->tag = ward_strdup(br.tag)) == NULL ||
	    (x->ref = ward_asprintf("%s:%s", x->layout, br.tag)) == NULL)
		goto out;
	name = o->repo_tag ? ward_strdup(o->repo_tag) : ward_asprintf("localhost/%s", x->spec.name);
	if (name && o->repo_tag && strrchr(name, ':') > strrchr(name, '/'))
		*strrchr(name, ':') = '\0';
	x->identity = name;
	name = NULL;
	if (x->identity == NULL || rel_put_json(x, REL_BUILD_RECORD, br.record, 1) != 0)
		goto out;
	json_object_set_new(x->summary, "build",
			    json_pack("{s:I,s:s,s:I,s:I,s:I,s:I}", "source_date_epoch",
				      (json_int_t)br.epoch, "epoch_from", br.epoch_from, "paths",
				      (json_int_t)build_plan_count(br.plan), "layers",
				      (json_int_t)br.nlayers, "setid_cleared",
				      (json_int_t)br.setid_cleared, "dropped",
				      (json_int_t)br.dropped));
	rc = 0;
out:
	build_result_free(&br);
	free(tar);
	free(name);
	return rc;
}

/* Build again without the layer cache, with another thread count, and
 * compare the digests (DESIGN.md: reproducibility rules). */
static int
rebuild(struct rel *x)
{
	struct build_opts bo = {0};
	struct build_result br = {0};
	char *dir = ward_path_join(x->scratch, "rebuild");
	uint64_t t0 = ward_now_ns();
	int rc, same;

	if (dir == NULL)
		return -1;
	bo.output = dir;
	bo.tag = x->r->tag;
	bo.cache = x->o->cache;
	bo.context = x->o->context;
	bo.init_path = x->o->init;
	bo.sign_key = x->o->key;
	bo.threads = x->o->threads == 1 ? 2 : 1;
	bo.compression = OCI_COMPRESS_GZIP;
	bo.no_layer_cache = 1;
	rc = build_image(&x->spec, &x->lock, &bo, &br);
	same = rc == 0 && strcmp(br.manifest_digest, x->r->digest) == 0;
	x->r->reproducible = rc == 0 ? same : -1;
	release_log_step(&x->log, "reproducibility: rebuild without the layer cache", t0, rc == 0,
			 json_pack("{s:s,s:s}", "ward.yaml", x->spec_sha, "ward.lock", x->lock_sha),
			 rc == 0 ? json_pack("{s:s}", "manifest", br.manifest_digest) : NULL,
			 rc != 0 ? ward_errmsg()
			 : same	 ? "same digest"
				 : "DIFFERENT digest");
	json_object_set_new(x->summary, "reproducible",
			    json_pack("{s:b,s:b,s:s,s:s,s:i}", "checked", rc == 0, "same", same,
				      "first", x->r->digest, "second",
				      rc == 0 ? br.manifest_digest : "", "threads", bo.threads));
	build_result_free(&br);
	ward_rm_rf(dir);
	free(dir);
	if (rc != 0)
		return -1;
	ward_err_clear();
	return 0;
}

static int
tests(struct rel *x)
{
	struct check_opts co = x->o->test;
	struct check_matrix m = {0};
	char *vex = ward_path_join(x->art, REL_VEX), *xml = NULL;
	uint64_t t0 = ward_now_ns();
	json_t *j = NULL;
	int rc = -1;

	co.key = x->pub;
	co.db = x->o->db;
	co.vex = vex;
	co.policy = x->o->policy;
	co.threads = x->o->threads;
	co.bundle = NULL;
	if (vex == NULL || check_image(x->ref, &co, &m) != 0)
		goto out;
	if ((j = check_matrix_json(&m)) == NULL || (xml = check_matrix_junit(&m)) == NULL ||
	    rel_put_json(x, REL_TEST_JSON, j, 1) != 0 ||
	    rel_put(x, REL_TEST_JUNIT, xml, strlen(xml)) != 0)
		goto out;
	x->r->tests = m.n;
	x->r->tests_passed = m.counts[CHECK_PASS];
	x->r->tests_failed = m.required_failed;
	json_object_set_new(x->summary, "tests", json_deep_copy(json_object_get(j, "summary")));
	json_object_set_new(json_object_get(x->summary, "tests"), "runtime",
			    json_boolean(m.runtime));
	json_object_set_new(x->summary, "audit",
			    json_pack("{s:i,s:s,s:I}", "score", m.audit.score, "grade",
				      m.audit.grade, "findings", (json_int_t)m.audit.nfindings));
	rc = 0;
out : {
	char detail[160];
	snprintf(detail, sizeof(detail), "%zu checks: %zu passed, %zu required failed%s", m.n,
		 m.counts[CHECK_PASS], m.required_failed, m.runtime ? "" : " (no container run)");
	release_log_step(&x->log, "test matrix", t0, rc == 0 && m.required_failed == 0,
			 json_pack("{s:s}", "image", x->r->digest),
			 rc == 0 ? json_pack("{s:s,s:s}", REL_TEST_JSON,
					     rel_file_sha(x, REL_TEST_JSON), REL_TEST_JUNIT,
					     rel_file_sha(x, REL_TEST_JUNIT))
				 : NULL,
			 rc == 0 ? detail : ward_errmsg());
}
	if (rc == 0 && m.required_failed && !x->o->allow_test_failures) {
		size_t i;
		for (i = 0; i < m.n; i++)
			if (m.v[i].required && m.v[i].result == CHECK_FAIL)
				break;
		rc = ward_err(WARD_EVERIFY,
			      "test matrix: %zu required check(s) failed, first %s: %s",
			      m.required_failed, m.v[i].id, m.v[i].evidence ? m.v[i].evidence : "");
	}
	json_decref(j);
	free(xml);
	free(vex);
	check_matrix_free(&m);
	return rc;
}

/* What release.json says about each of the 11 artifacts. */
static json_t *
artifact_list(struct rel *x)
{
	static const struct {
		int id;
		const char *name, *ptype;
		const char *files[4];
	} list[] = {
		{1, "SBOM (CycloneDX 1.6)", PREDICATE_CYCLONEDX, {REL_SBOM_CDX}},
		{2, "SBOM (SPDX 2.3)", PREDICATE_SPDX, {REL_SBOM_SPDX}},
		{3, "SLSA v1 provenance", PREDICATE_SLSA_V1, {REL_PROVENANCE, REL_PROVENANCE_DSSE}},
		{4,
		 "build log",
		 PREDICATE_WARD_BUILD_LOG,
		 {REL_BUILD_LOG, REL_BUILD_LOG_TXT, REL_BUILD_RECORD}},
		{5, "test report", PREDICATE_WARD_TEST, {REL_TEST_JSON, REL_TEST_JUNIT}},
		{6,
		 "vulnerability report",
		 PREDICATE_WARD_VULN,
		 {REL_VULN_JSON, REL_VULN_SARIF, REL_VULN_TXT}},
		{7, "VEX (OpenVEX v0.2.0)", PREDICATE_OPENVEX, {REL_VEX}},
		{8,
		 "image signature (cosign)",
		 PREDICATE_COSIGN_SIGN,
		 {REL_SIG_PAYLOAD, REL_SIG, REL_SIG_BUNDLE, REL_PUBKEY}},
		{9, "attestation bundle", NULL, {REL_BUNDLE}},
		{10,
		 "software hash",
		 PREDICATE_WARD_SOFTWARE_HASH,
		 {REL_SOFTWARE_HASH, REL_FILES_MANIFEST}},
		{11,
		 "license report",
		 PREDICATE_WARD_LICENSE,
		 {REL_LICENSES_JSON, REL_LICENSES_CSV, REL_LICENSES_MD}},
	};
	json_t *a = json_array();

	for (size_t i = 0; a && i < sizeof(list) / sizeof(*list); i++) {
		json_t *files = json_array(), *o;
		for (size_t k = 0; k < 4 && list[i].files[k]; k++) {
			size_t n;
			json_t *f;
			json_array_foreach(x->files, n, f)
			{
				const char *p = json_string_value(json_object_get(f, "path"));
				if (strcmp(p + strlen("artifacts/"), list[i].files[k]) == 0)
					json_array_append(files, f);
			}
		}
		o = json_pack("{s:i,s:s,s:o}", "id", list[i].id, "name", list[i].name, "files",
			      files);
		if (list[i].ptype) {
			json_t *st = json_object_get(x->atts, list[i].ptype);
			json_object_set_new(o, "predicate_type", json_string(list[i].ptype));
			if (st)
				json_object_set(o, "statement", st);
		}
		json_array_append_new(a, o);
	}
	return a;
}

static int
index_json(struct rel *x, double secs)
{
	char ts[32];
	json_t *j;
	char *path;
	int rc;

	ward_time_rfc3339(time(NULL), ts);
	j = json_pack("{s:s,s:s,s:s,s:{s:s,s:s,s:s,s:b},s:s,s:o,s:o,s:o,s:f}", "release",
		      "ward release v1", "name", x->spec.name, "version",
		      x->spec.version ? x->spec.version : "", "image", "path", "image", "tag",
		      x->r->tag, "digest", x->r->digest, "docker_archive", x->o->docker_archive,
		      "identity", x->identity, "artifacts", artifact_list(x), "attestations",
		      json_incref(x->atts), "summary", json_incref(x->summary), "seconds", secs);
	if (j == NULL)
		return ward_err(WARD_EENV, "out of memory");
	json_object_set_new(j, "created", json_string(ts));
	if (x->o->docker_archive)
		json_object_set_new(json_object_get(j, "image"), "docker_archive_path",
				    json_string("image.tar"));
	if ((path = ward_path_join(x->tmp, REL_INDEX)) == NULL) {
		json_decref(j);
		return -1;
	}
	rc = ward_json_write_file(path, j, 1);
	free(path);
	x->r->index = j;
	return rc;
}

static int
steps(struct rel *x)
{
	uint64_t t0 = ward_now_ns();
	json_t *j;
	char *s;
	int rc;

	if (load_inputs(x) != 0 || make_tmp(x) != 0 || build(x) != 0)
		return -1;
	if (x->o->reproducible && rebuild(x) != 0)
		return -1;
	if (rel_evidence(x) != 0)
		return -1;
	/* attest what exists, sign, test the signed image */
	{
		char *p;
		json_t *d;
		static const struct {
			const char *name, *ptype, *file;
		} a[] = {
			{"cyclonedx", PREDICATE_CYCLONEDX, REL_SBOM_CDX},
			{"spdx", PREDICATE_SPDX, REL_SBOM_SPDX},
			{"openvex", PREDICATE_OPENVEX, REL_VEX},
			{"vuln-report", PREDICATE_WARD_VULN, REL_VULN_JSON},
			{"license", PREDICATE_WARD_LICENSE, REL_LICENSES_JSON},
			{"software-hash", PREDICATE_WARD_SOFTWARE_HASH, REL_SOFTWARE_HASH},
		};
		for (size_t i = 0; i < sizeof(a) / sizeof(*a); i++) {
			if ((p = ward_path_join(x->art, a[i].file)) == NULL ||
			    (d = ward_json_load_file(p, 1u << 30)) == NULL) {
				free(p);
				return -1;
			}
			free(p);
			rc = rel_attest(x, a[i].name, a[i].ptype, d, a[i].file);
			json_decref(d);
			if (rc != 0)
				return -1;
		}
	}
	if (rel_provenance(x, NULL) != 0 || rel_sign(x, "before the tests") != 0 || tests(x) != 0)
		return -1;
	/* the build log as it stands, then the last attestations */
	if ((s = release_log_jsonl(&x->log)) == NULL ||
	    rel_put(x, REL_BUILD_LOG, s, strlen(s)) != 0) {
		free(s);
		return -1;
	}
	free(s);
	if ((s = release_log_text(&x->log)) == NULL ||
	    rel_put(x, REL_BUILD_LOG_TXT, s, strlen(s)) != 0) {
		free(s);
		return -1;
	}
	free(s);
	{
		char *p = ward_path_join(x->art, REL_TEST_JSON);
		json_t *d = p ? ward_json_load_file(p, 1u << 30) : NULL;
		free(p);
		rc = d ? rel_attest(x, "test", PREDICATE_WARD_TEST, d, REL_TEST_JSON) : -1;
		json_decref(d);
		if (rc != 0)
			return -1;
	}
	j = json_pack("{s:s,s:O}", "build_log", "ward build log v1", "steps", x->log.steps);
	rc = j ? rel_attest(x, "build-log", PREDICATE_WARD_BUILD_LOG, j, REL_BUILD_LOG) : -1;
	json_decref(j);
	if (rc != 0)
		return -1;
	j = json_pack("{s:s,s:s,s:O}", "release", "ward release index v1", "image", x->r->digest,
		      "artifacts", x->files);
	rc = j ? rel_attest(x, "release index", PREDICATE_WARD_RELEASE, j, NULL) : -1;
	json_decref(j);
	if (rc != 0 || rel_sign(x, "final") != 0)
		return -1;
	/* the bundle, the signature files */
	{
		char *p = ward_path_join(x->art, REL_BUNDLE), hex[72];
		size_t lines = 0;
		uint64_t t1 = ward_now_ns();
		rc = p ? attest_bundle_write(x->ref, p, &lines) : -1;
		if (rc == 0 && rel_digest_file(p, hex) == 0 &&
		    json_array_append_new(x->files, json_pack("{s:s,s:s,s:I}", "path",
							      "artifacts/" REL_BUNDLE, "sha256",
							      hex, "size", (json_int_t)0)) == 0) {
			struct stat st;
			if (stat(p, &st) == 0)
				json_object_set_new(
					json_array_get(x->files, json_array_size(x->files) - 1),
					"size", json_integer((json_int_t)st.st_size));
			x->r->files++;
		}
		x->r->attestations = lines;
		free(p);
		(void)t1;
		if (rc != 0 || rel_signature_files(x) != 0)
			return -1;
	}
	/* check it all as a user will, then make it visible */
	{
		json_t *vr = NULL;
		if (ward_rm_rf(x->scratch) != 0)
			return -1;
		if (index_json(x, (double)(ward_now_ns() - t0) / 1e9) != 0)
			return -1;
		if (release_verify_catalog(x->tmp, x->pub, x->o->threads, x->cat, NULL, &vr) != 0) {
			json_decref(vr);
			return -1;
		}
		/* what the report shows when it does not verify again */
		json_object_set_new(
			json_object_get(x->r->index, "summary"), "verification",
			json_pack("{s:b,s:I}", "verified", 1, "checks",
				  (json_int_t)json_array_size(json_object_get(vr, "checks"))));
		json_decref(vr);
		{
			char *path = ward_path_join(x->tmp, REL_INDEX);
			int w = path ? ward_json_write_file(path, x->r->index, 1) : -1;
			free(path);
			if (w != 0)
				return -1;
		}
	}
	{
		struct ward_outdir *out = x->out;
		x->out = NULL;
		return ward_outdir_commit(out);
	}
}

int
release_run(const struct release_opts *o, struct release_result *r)
{
	struct rel x = {.o = o, .r = r};
	uint64_t t0 = ward_now_ns();
	char *pem = NULL;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	r->reproducible = -1;
	if (o->spec == NULL || o->output == NULL || o->key == NULL || o->db == NULL)
		return ward_err(WARD_EINPUT,
				"release: a spec, an output, a key and a store are needed");
	if (!key_has_private(o->key))
		return ward_err(WARD_EINPUT, "release: the key must be a private key");
	if ((x.files = json_array()) == NULL || (x.atts = json_object()) == NULL ||
	    (x.summary = json_object()) == NULL || (pem = key_public_pem(o->key)) == NULL ||
	    (x.pub = key_public_from_pem(pem, strlen(pem), "the release key")) == NULL)
		goto out;
	rc = steps(&x);
	r->seconds = (double)(ward_now_ns() - t0) / 1e9;
out:
	ward_outdir_abort(x.out); /* a failed release leaves nothing behind */
	release_log_free(&x.log);
	sbom_catalog_free(x.cat);
	key_free(x.pub);
	json_decref(x.files);
	json_decref(x.atts);
	json_decref(x.summary);
	if (x.spec_loaded)
		build_spec_free(&x.spec);
	deb_lock_free(&x.lock);
	free(x.lockpath);
	free(x.tmp);
	free(x.art);
	free(x.scratch);
	free(x.layout);
	free(x.ref);
	free(x.identity);
	free(pem);
	return rc;
}

void
release_result_free(struct release_result *r)
{
	if (r == NULL)
		return;
	free(r->tag);
	json_decref(r->index);
	memset(r, 0, sizeof(*r));
}
