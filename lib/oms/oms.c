/*
 * oms.c: OpenSSF Model Signing v1.0 sign and verify.
 *
 * A signature is a Sigstore bundle holding a DSSE envelope whose payload is
 * an in-toto Statement: one subject (the model, with the root digest) and a
 * predicate listing every resource (file or shard) with its SHA-256.  The
 * root digest is SHA-256 over the concatenated raw resource digests in
 * listed order.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oms/oms_internal.h"

#define OMS_MAX_BUNDLE (256u << 20)
#define OMS_MAX_RESOURCES 10000000u

static char *
model_basename(const char *model)
{
	char real[PATH_MAX], *copy, *base, *out;

	if (realpath(model, real) == NULL)
		snprintf(real, sizeof(real), "%s", model);
	copy = ward_strdup(real);
	if (copy == NULL)
		return NULL;
	base = basename(copy);
	out = ward_strdup(base);
	free(copy);
	return out;
}

static int
root_digest(const json_t *resources, char out[SHA256_HEX_LEN + 1], const char *what)
{
	struct sha256_ctx *c = sha256_new();
	uint8_t d[SHA256_LEN];
	const json_t *r;
	size_t i;

	if (c == NULL)
		return -1;
	json_array_foreach(resources, i, r)
	{
		if (ward_unhex(ward_json_str(r, "digest"), d, sizeof(d), what) != 0) {
			sha256_free(c);
			return -1;
		}
		sha256_update(c, d, sizeof(d));
	}
	sha256_final(c, d);
	sha256_free(c);
	ward_hex(d, sizeof(d), out);
	return 0;
}

/* The signature is input from wherever the model came from: opened without
 * blocking (a FIFO must not hang ward-init) or following a link, and only
 * a regular file is read. */
static json_t *
load_bundle(const char *path)
{
	struct ward_buf b = {0};
	struct stat st;
	json_t *j = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);

	if (fd < 0) {
		ward_err_io(path, errno == ELOOP ? "is a symbolic link; cannot open signature"
						 : "cannot open signature");
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		ward_err(WARD_EINPUT, "%s: the signature is not a regular file", path);
	} else if ((uint64_t)st.st_size > OMS_MAX_BUNDLE) {
		ward_err(WARD_EINPUT, "%s: larger than %u bytes", path, OMS_MAX_BUNDLE);
	} else if (ward_buf_reserve(&b, (size_t)st.st_size + 1) == 0) {
		ssize_t n = 1;
		while (n > 0 && b.len <= (size_t)st.st_size)
			if ((n = ward_fd_read(fd, b.data + b.len, (size_t)st.st_size + 1 - b.len,
					      path)) > 0)
				b.len += (size_t)n;
		if (b.len > (size_t)st.st_size)
			ward_err(WARD_EINPUT, "%s: grew while it was read", path);
		else if (n == 0)
			j = ward_json_loadb(b.data, b.len, path);
	}
	close(fd);
	ward_buf_free(&b);
	return j;
}

static json_t *
sorted_strv_json(struct ward_strv *sv)
{
	json_t *a = json_array();

	ward_strv_sort(sv);
	for (size_t i = 0; a != NULL && i < sv->n; i++)
		if (i == 0 || strcmp(sv->v[i], sv->v[i - 1]) != 0)
			json_array_append_new(a, json_string(sv->v[i]));
	return a;
}

int
oms_sign(const char *model, const struct ward_key *key, const struct oms_sign_opts *opts,
	 const char *sig_path)
{
	struct ward_strv ignores = {0};
	struct oms_file *files = NULL;
	struct oms_job *jobs = NULL;
	size_t nfiles = 0, njobs = 0;
	uint64_t shard = opts->shard_size ? opts->shard_size : OMS_DEFAULT_SHARD_SIZE;
	json_t *resources = NULL, *serial = NULL, *stmt = NULL, *env = NULL, *bundle = NULL;
	char digest[SHA256_HEX_LEN + 1], *name = NULL, *payload = NULL;
	struct stat st;
	int is_file, rc = -1;

	if (stat(model, &st) != 0)
		return ward_err_io(model, "cannot open model");
	is_file = S_ISREG(st.st_mode);
	if (oms_ignores(model, is_file, sig_path, &opts->ignore, NULL, &ignores) != 0 ||
	    oms_walk(model, &ignores, opts->allow_symlinks, &files, &nfiles, &is_file) != 0)
		goto out;
	if (nfiles == 0) {
		ward_err(WARD_EINPUT, "%s: no files to sign", model);
		goto out;
	}
	if (oms_make_jobs(files, nfiles, opts->method, shard, &jobs, &njobs) != 0 ||
	    oms_hash_jobs(jobs, njobs, opts->threads, opts->progress, NULL) != 0)
		goto out;
	resources = json_array();
	for (size_t i = 0; resources != NULL && i < njobs; i++) {
		ward_hex(jobs[i].job.digest, SHA256_LEN, digest);
		json_array_append_new(resources,
				      json_pack("{s:s,s:s,s:s}", "name", jobs[i].name, "algorithm",
						"sha256", "digest", digest));
	}
	serial = json_pack("{s:s,s:s,s:b,s:o}", "method",
			   opts->method == OMS_SHARDS ? "shards" : "files", "hash_type", "sha256",
			   "allow_symlinks", opts->allow_symlinks, "ignore_paths",
			   sorted_strv_json(&ignores));
	if (serial != NULL && opts->method == OMS_SHARDS)
		json_object_set_new(serial, "shard_size", json_integer((json_int_t)shard));
	if (resources == NULL || serial == NULL || root_digest(resources, digest, model) != 0 ||
	    (name = model_basename(model)) == NULL)
		goto out;
	stmt = json_pack("{s:s,s:[{s:s,s:{s:s}}],s:s,s:{s:O,s:O}}", "_type", INTOTO_STATEMENT_V1,
			 "subject", "name", name, "digest", "sha256", digest, "predicateType",
			 OMS_PREDICATE_TYPE, "predicate", "serialization", serial, "resources",
			 resources);
	if (stmt == NULL || (payload = ward_json_dump(stmt, 0)) == NULL)
		goto out;
	env = dsse_sign(key, INTOTO_PAYLOAD_TYPE, payload, strlen(payload), NULL);
	if (env == NULL)
		goto out;
	bundle = opts->ncerts > 0 ? bundle_new_dsse_chain(env, opts->certs, opts->ncerts)
				  : bundle_new_dsse(env, key, BUNDLE_HINT_PEM_HEX);
	if (bundle == NULL)
		goto out;
	rc = ward_json_write_file(sig_path, bundle, 0);
out:
	json_decref(bundle);
	json_decref(env);
	json_decref(stmt);
	json_decref(serial);
	json_decref(resources);
	free(payload);
	free(name);
	oms_jobs_free(jobs, njobs);
	oms_files_free(files, nfiles);
	ward_strv_free(&ignores);
	return rc;
}

/* parse_shard("path:start:end"): split from the right. */
static int
parse_shard(const char *name, size_t *pathlen, uint64_t *start, uint64_t *end)
{
	const char *c2 = strrchr(name, ':'), *c1;
	char *e;

	if (c2 == NULL || c2 == name)
		return -1;
	for (c1 = c2 - 1; c1 > name && *c1 != ':'; c1--)
		;
	if (*c1 != ':' || c1 == name)
		return -1;
	if (!isdigit((unsigned char)c1[1]) || !isdigit((unsigned char)c2[1]))
		return -1;
	errno = 0;
	*start = strtoull(c1 + 1, &e, 10);
	if (e != c2 || errno != 0)
		return -1;
	*end = strtoull(c2 + 1, &e, 10);
	if (*e != '\0' || errno != 0 || *end <= *start)
		return -1;
	*pathlen = (size_t)(c1 - name);
	return 0;
}

static int
check_name(const char *name, int shards, const char *what)
{
	size_t len = strlen(name);
	uint64_t start, end;
	char *path;
	int ok;

	if (shards && parse_shard(name, &len, &start, &end) != 0)
		return ward_err(WARD_EINPUT, "%s: shard resource \"%s\" is not path:start:end",
				what, name);
	path = ward_strndup(name, len);
	if (path == NULL)
		return -1;
	ok = strcmp(path, ".") == 0 || ward_relpath_ok(path);
	free(path);
	if (!ok)
		return ward_err(WARD_EINPUT,
				"%s: resource name \"%s\" is not a clean relative path (absolute "
				"paths and \"..\" are refused)",
				what, name);
	return 0;
}

static int
check_serialization(const json_t *s, const char *what, int *shards)
{
	const char *method, *hash;
	const json_t *symlinks, *size, *ign;

	if ((method = ward_json_req_str(s, "method", what)) == NULL ||
	    (hash = ward_json_req_str(s, "hash_type", what)) == NULL)
		return -1;
	if (strcmp(method, "files") != 0 && strcmp(method, "shards") != 0)
		return ward_err(WARD_EINPUT, "%s: unknown serialization method \"%s\"", what,
				method);
	*shards = strcmp(method, "shards") == 0;
	if (strcmp(hash, "sha256") != 0)
		return ward_err(WARD_EINPUT,
				"%s: unsupported hash type \"%s\" (ward verifies sha256)", what,
				hash);
	symlinks = json_object_get(s, "allow_symlinks");
	if (symlinks != NULL && !json_is_boolean(symlinks))
		return ward_err(WARD_EINPUT, "%s: allow_symlinks is not a boolean", what);
	ign = json_object_get(s, "ignore_paths");
	if (ign != NULL && !json_is_array(ign))
		return ward_err(WARD_EINPUT, "%s: ignore_paths is not an array", what);
	size = json_object_get(s, "shard_size");
	if (*shards) {
		double v = json_number_value(size);
		/* The reference signer may write the size as a float. */
		if (!json_is_number(size) || v < 1 || v > 9.0e15 || v != (double)(uint64_t)v)
			return ward_err(WARD_EINPUT,
					"%s: shards need a positive integer shard_size", what);
	}
	return 0;
}

static uint64_t
shard_size_of(const json_t *s)
{
	return (uint64_t)json_number_value(json_object_get(s, "shard_size"));
}

static int
algorithm_ok(const char *alg)
{
	return strcmp(alg, "sha256") == 0 || ward_str_startswith(alg, "sha256-sharded-");
}

int
oms_statement_check(const void *payload, size_t n, const char *what, json_t **out)
{
	json_t *st, *subject, *sub, *digest, *pred, *serial, *res, *r;
	const char *type, *ptype, *sha;
	char root[SHA256_HEX_LEN + 1];
	uint8_t tmp[SHA256_LEN];
	int shards = 0;
	size_t i;

	st = ward_json_loadb(payload, n, what);
	if (st == NULL)
		return -1;
	if ((type = ward_json_req_str(st, "_type", what)) == NULL ||
	    (ptype = ward_json_req_str(st, "predicateType", what)) == NULL)
		goto fail;
	if (strcmp(type, INTOTO_STATEMENT_V1) != 0) {
		ward_err(WARD_EINPUT, "%s: statement type is \"%s\", expected %s", what, type,
			 INTOTO_STATEMENT_V1);
		goto fail;
	}
	if (strcmp(ptype, OMS_PREDICATE_TYPE) != 0) {
		ward_err(WARD_EINPUT, "%s: predicate type is \"%s\", expected %s", what, ptype,
			 OMS_PREDICATE_TYPE);
		goto fail;
	}
	if ((subject = ward_json_req_array(st, "subject", what)) == NULL)
		goto fail;
	if (json_array_size(subject) != 1) {
		ward_err(WARD_EINPUT, "%s: an OMS statement has exactly one subject", what);
		goto fail;
	}
	sub = json_array_get(subject, 0);
	if (ward_json_req_str(sub, "name", what) == NULL ||
	    (digest = ward_json_req_object(sub, "digest", what)) == NULL ||
	    (sha = ward_json_req_str(digest, "sha256", what)) == NULL ||
	    ward_unhex(sha, tmp, sizeof(tmp), what) != 0)
		goto fail;
	if ((pred = ward_json_req_object(st, "predicate", what)) == NULL ||
	    (serial = ward_json_req_object(pred, "serialization", what)) == NULL ||
	    (res = ward_json_req_array(pred, "resources", what)) == NULL ||
	    check_serialization(serial, what, &shards) != 0)
		goto fail;
	if (json_array_size(res) > OMS_MAX_RESOURCES) {
		ward_err(WARD_EINPUT, "%s: too many resources", what);
		goto fail;
	}
	json_array_foreach(res, i, r)
	{
		const char *name = ward_json_req_str(r, "name", what);
		const char *dig = name ? ward_json_req_str(r, "digest", what) : NULL;
		const char *alg = dig ? ward_json_req_str(r, "algorithm", what) : NULL;
		if (alg == NULL || check_name(name, shards, what) != 0)
			goto fail;
		if (!algorithm_ok(alg)) {
			ward_err(WARD_EINPUT, "%s: resource \"%s\": unknown hash type \"%s\"", what,
				 name, alg);
			goto fail;
		}
		if (ward_unhex(dig, tmp, sizeof(tmp), name) != 0)
			goto fail;
	}
	if (root_digest(res, root, what) != 0)
		goto fail;
	if (strcmp(root, sha) != 0) {
		ward_err(WARD_EVERIFY,
			 "%s: the resources do not add up to the subject digest "
			 "(manifest altered)",
			 what);
		goto fail;
	}
	*out = st;
	return 0;
fail:
	json_decref(st);
	return -1;
}

const char *
oms_verdict_name(int verdict)
{
	switch (verdict) {
	case OMS_OK:
		return "ok";
	case OMS_MISMATCH:
		return "mismatch";
	case OMS_MISSING:
		return "missing";
	case OMS_EXTRA:
		return "extra";
	default:
		return "unchecked";
	}
}

void
oms_result_free(struct oms_result *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->res[i].name);
	free(r->res);
	memset(r, 0, sizeof(*r));
}

struct expected {
	const char *name;
	const char *digest;
};

static int
expected_cmp(const void *a, const void *b)
{
	return strcmp(((const struct expected *)a)->name, ((const struct expected *)b)->name);
}

static int
job_cmp(const void *a, const void *b)
{
	return strcmp(((const struct oms_job *)a)->name, ((const struct oms_job *)b)->name);
}

static int
add_result(struct oms_result *r, const char *name, const char *expected, const char *actual,
	   int verdict)
{
	struct oms_resource *x = &r->res[r->n];

	x->name = ward_strdup(name);
	if (x->name == NULL)
		return -1;
	snprintf(x->expected, sizeof(x->expected), "%s", expected ? expected : "");
	snprintf(x->actual, sizeof(x->actual), "%s", actual ? actual : "");
	x->verdict = verdict;
	if (verdict != OMS_OK)
		r->failures++;
	r->n++;
	return 0;
}

/* A single-file model: the manifest may name it "." or by its file name. */
static int
rename_single(struct oms_file *files, size_t n, const json_t *res, int shards)
{
	const char *first = ward_json_str(json_array_get(res, 0), "name");
	size_t len;
	uint64_t a, b;

	if (n != 1 || first == NULL)
		return 0;
	len = strlen(first);
	if (shards && parse_shard(first, &len, &a, &b) != 0)
		return 0;
	free(files[0].rel);
	files[0].rel = ward_strndup(first, len);
	return files[0].rel ? 0 : -1;
}

static int
compare(const struct oms_verify_opts *opts, struct oms_job *jobs, size_t njobs, const json_t *res,
	struct oms_result *r, const char *model)
{
	size_t nexp = json_array_size(res), i = 0, k = 0, nhash = 0;
	struct expected *exp = ward_calloc(nexp ? nexp : 1, sizeof(*exp));
	struct oms_job *tohash = ward_calloc(njobs ? njobs : 1, sizeof(*tohash));
	const char **want = ward_calloc(njobs ? njobs : 1, sizeof(*want));
	struct hasher_stats stats = {0};
	char actual[SHA256_HEX_LEN + 1];
	const json_t *x;
	int rc = -1;

	r->res = ward_calloc(nexp + njobs + 1, sizeof(*r->res));
	if (exp == NULL || tohash == NULL || want == NULL || r->res == NULL)
		goto out;
	json_array_foreach(res, i, x)
	{
		exp[i].name = ward_json_str(x, "name");
		exp[i].digest = ward_json_str(x, "digest");
	}
	qsort(exp, nexp, sizeof(*exp), expected_cmp);
	for (i = 1; i < nexp; i++)
		if (strcmp(exp[i].name, exp[i - 1].name) == 0) {
			ward_err(WARD_EINPUT, "%s: resource \"%s\" listed twice", model,
				 exp[i].name);
			goto out;
		}
	qsort(jobs, njobs, sizeof(*jobs), job_cmp);
	/* Merge the two sorted lists: both -> hash, one side only -> verdict. */
	for (i = 0, k = 0; i < nexp || k < njobs;) {
		int c = i == nexp ? 1 : k == njobs ? -1 : strcmp(exp[i].name, jobs[k].name);
		if (c < 0) {
			if (add_result(r, exp[i].name, exp[i].digest, NULL, OMS_MISSING) != 0)
				goto out;
			i++;
		} else if (c > 0) {
			if (!opts->ignore_unsigned &&
			    add_result(r, jobs[k].name, NULL, NULL, OMS_EXTRA) != 0)
				goto out;
			k++;
		} else {
			want[nhash] = exp[i].digest;
			tohash[nhash++] = jobs[k];
			i++;
			k++;
		}
	}
	if (oms_hash_jobs(tohash, nhash, opts->threads, opts->progress, &stats) != 0)
		goto out;
	r->bytes = stats.bytes;
	r->ns = stats.ns;
	r->threads = stats.threads;
	for (i = 0; i < nhash; i++) {
		ward_hex(tohash[i].job.digest, SHA256_LEN, actual);
		if (add_result(r, tohash[i].name, want[i], actual,
			       strcmp(actual, want[i]) == 0 ? OMS_OK : OMS_MISMATCH) != 0)
			goto out;
	}
	rc = 0;
out:
	free(exp);
	free(tohash);
	free(want);
	return rc;
}

static int
result_cmp(const void *a, const void *b)
{
	return oms_path_cmp(((const struct oms_resource *)a)->name,
			    ((const struct oms_resource *)b)->name);
}

static int
first_failure(const struct oms_result *r, const char *model)
{
	static const char *why[] = {
		[OMS_MISMATCH] = "content differs from the signed digest",
		[OMS_MISSING] = "signed but missing on disk",
		[OMS_EXTRA] = "on disk but not signed (use --ignore-unsigned to allow)",
	};

	for (size_t i = 0; i < r->n; i++)
		if (r->res[i].verdict != OMS_OK)
			return ward_err(WARD_EVERIFY, "%s: %s: %s (%zu of %zu resources failed)",
					model, r->res[i].name, why[r->res[i].verdict], r->failures,
					r->n);
	return 0;
}

int
oms_verify(const char *model, const char *sig_path, const struct oms_verify_opts *opts,
	   struct oms_result *result)
{
	struct oms_result local = {0}, *r = result ? result : &local;
	struct bundle b = {0};
	struct ward_strv ignores = {0};
	struct oms_file *files = NULL;
	struct oms_job *jobs = NULL;
	size_t nfiles = 0, njobs = 0;
	json_t *root = NULL, *st = NULL, *serial, *res;
	struct ward_buf payload = {0};
	char *ptype = NULL;
	struct stat sb;
	int is_file, shards, symlinks, rc = -1;

	memset(r, 0, sizeof(*r));
	if (opts->key == NULL && opts->cert_chain == NULL && opts->keyless == NULL)
		return ward_err(
			WARD_EINPUT,
			"model verify needs --key, --cert-chain or the certificate identity");
	if ((root = load_bundle(sig_path)) == NULL)
		goto out;
	if (opts->keyless != NULL) {
		/* the bundle's material decides: a key bundle fails there */
		if (opts->keyless(opts->keyless_ctx, root, sig_path, &ptype, &payload) != 0)
			goto out;
	} else {
		if (bundle_parse(root, &b, sig_path) != 0)
			goto out;
		if (opts->key != NULL ? bundle_verify_key(&b, opts->key, sig_path)
				      : bundle_verify_chain(&b, opts->cert_chain, sig_path))
			goto out;
		if ((ptype = ward_strdup(b.env.payload_type)) == NULL ||
		    ward_buf_append(&payload, b.env.payload.data, b.env.payload.len) != 0)
			goto out;
	}
	if (strcmp(ptype, INTOTO_PAYLOAD_TYPE) != 0) {
		ward_err(WARD_EINPUT, "%s: payload type \"%s\" is not in-toto", sig_path, ptype);
		goto out;
	}
	if (oms_statement_check(payload.data, payload.len, sig_path, &st) != 0)
		goto out;
	serial = json_object_get(json_object_get(st, "predicate"), "serialization");
	res = json_object_get(json_object_get(st, "predicate"), "resources");
	shards = strcmp(ward_json_str(serial, "method"), "shards") == 0;
	symlinks = json_is_true(json_object_get(serial, "allow_symlinks"));
	snprintf(r->method, sizeof(r->method), "%s", shards ? "shards" : "files");
	if (stat(model, &sb) != 0) {
		ward_err_io(model, "cannot open model");
		goto out;
	}
	is_file = S_ISREG(sb.st_mode);
	if (oms_ignores(model, is_file, sig_path, &opts->ignore,
			json_object_get(serial, "ignore_paths"), &ignores) != 0 ||
	    oms_walk(model, &ignores, symlinks, &files, &nfiles, &is_file) != 0)
		goto out;
	if (is_file && rename_single(files, nfiles, res, shards) != 0)
		goto out;
	if (oms_make_jobs(files, nfiles, shards ? OMS_SHARDS : OMS_FILES,
			  shards ? shard_size_of(serial) : 0, &jobs, &njobs) != 0)
		goto out;
	if (compare(opts, jobs, njobs, res, r, model) != 0)
		goto out;
	if (r->n > 1)
		qsort(r->res, r->n, sizeof(*r->res), result_cmp);
	rc = first_failure(r, model);
out:
	oms_jobs_free(jobs, njobs);
	oms_files_free(files, nfiles);
	ward_strv_free(&ignores);
	json_decref(st);
	bundle_free(&b);
	json_decref(root);
	free(ptype);
	ward_buf_free(&payload);
	if (result == NULL)
		oms_result_free(&local);
	return rc;
}
