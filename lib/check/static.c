/* static.c: the checks that read the image without running it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attest/attest.h"
#include "oms/oms.h"
#include "check_internal.h"
#include "vuln/vuln.h"

/* "/usr/bin/python3" or "python3" (searched in the config's PATH): the
 * catalog index of the program, following symlinks; -1 when absent. */
static ssize_t
resolve_program(const struct check_facts *f, const char *prog, const struct ward_strv *env)
{
	const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	ssize_t i = -1;

	if (strchr(prog, '/') != NULL)
		return sbom_fileset_resolve(&f->cat->fs, prog, 1);
	for (size_t k = 0; env && k < env->n; k++)
		if (ward_str_startswith(env->v[k], "PATH="))
			path = env->v[k] + 5;
	for (const char *p = path; i < 0 && *p;) {
		const char *colon = strchr(p, ':');
		size_t l = colon ? (size_t)(colon - p) : strlen(p);
		char *cand = ward_asprintf("%.*s/%s", (int)l, p, prog);
		if (cand == NULL)
			break;
		i = sbom_fileset_resolve(&f->cat->fs, cand, 1);
		if (i >= 0 && f->cat->fs.files[i].type != SBOM_REG)
			i = -1;
		free(cand);
		p = colon ? colon + 1 : p + l;
	}
	return i;
}

/* The server's argv[0]: what follows "--" after /ward/init. */
static const char *
server_program(const struct audit_report *a)
{
	for (size_t i = 0; i + 1 < a->entrypoint.n; i++)
		if (strcmp(a->entrypoint.v[i], "--") == 0)
			return a->entrypoint.v[i + 1];
	return a->entrypoint.n > 0 && strcmp(a->entrypoint.v[0], "/ward/init") != 0
		       ? a->entrypoint.v[0]
		       : NULL;
}

static void
finding_check(struct check_matrix *m, const char *id, const struct audit_report *a,
	      const char *rule, const char *rule2)
{
	const struct audit_finding *x = audit_find(a, rule);
	const struct audit_finding *y = rule2 ? audit_find(a, rule2) : NULL;

	if (x == NULL && y == NULL) {
		check_set(m, id, CHECK_PASS, "none among %zu paths", a->entries);
		return;
	}
	if (x == NULL)
		x = y;
	check_set(m, id, CHECK_FAIL, "%s", x->explanation ? x->explanation : x->title);
}

/* copy_file(src, dst, flip): stream src to dst (mode 0644, atomically),
 * with the byte in the middle flipped when flip is set (models can be
 * gigabytes: never whole in memory). */
static int
copy_file(const char *src, const char *dst, int flip)
{
	struct ward_atomic *a = NULL;
	unsigned char *buf = NULL;
	struct stat st;
	uint64_t off = 0;
	/* a regular file, never a link, FIFO or device (ward_input_openat) */
	int fd = ward_input_openat(AT_FDCWD, src, WARD_IN_NOFOLLOW, src, &st), rc = -1;

	if (fd < 0)
		goto out;
	if ((buf = ward_malloc(1u << 20)) == NULL || (a = ward_atomic_open(dst, 0644)) == NULL)
		goto out;
	for (;;) {
		ssize_t n = ward_fd_read(fd, buf, 1u << 20, src);
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		if (flip && (uint64_t)st.st_size / 2 >= off &&
		    (uint64_t)st.st_size / 2 < off + (uint64_t)n)
			buf[(uint64_t)st.st_size / 2 - off] ^= 0x01;
		if (ward_atomic_write(a, buf, (size_t)n) != 0)
			goto out;
		off += (uint64_t)n;
	}
	rc = ward_atomic_commit(a);
	a = NULL;
out:
	ward_atomic_abort(a);
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Copy a model directory (regular files only) to dst with one byte flipped
 * in the largest file when flip is set; permissions readable by anyone, so
 * a container user can read the copy.  *flipped names the file. */
static int
copy_model(const char *src, const char *dst, int flip, char **flipped)
{
	struct ward_strv files = {0};
	size_t big = SIZE_MAX;
	uint64_t bigsize = 0;
	int rc = -1;

	if (ward_mkdir_p(dst, 0755) != 0 || chmod(dst, 0755) != 0)
		return -1;
	{
		/* list regular files recursively */
		struct ward_strv stack = {0};
		if (ward_strv_push(&stack, "") != 0)
			goto out;
		while (stack.n > 0) {
			char *rel = stack.v[--stack.n];
			char *dir = *rel ? ward_path_join(src, rel) : ward_strdup(src);
			int dfd;
			if (dir == NULL ||
			    (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
				free(dir);
				free(rel);
				ward_strv_free(&stack);
				goto out;
			}
			{
				DIR *d = fdopendir(dfd);
				struct dirent *de;
				while (d && (de = readdir(d)) != NULL) {
					char *r;
					struct stat st;
					if (strcmp(de->d_name, ".") == 0 ||
					    strcmp(de->d_name, "..") == 0)
						continue;
					r = *rel ? ward_asprintf("%s/%s", rel, de->d_name)
						 : ward_strdup(de->d_name);
					if (r == NULL)
						continue;
					if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
						    0 &&
					    S_ISDIR(st.st_mode))
						ward_strv_push_owned(&stack, r);
					else if (S_ISREG(st.st_mode)) {
						if (big == SIZE_MAX ||
						    (uint64_t)st.st_size > bigsize) {
							big = files.n;
							bigsize = (uint64_t)st.st_size;
						}
						ward_strv_push_owned(&files, r);
					} else
						free(r);
				}
				if (d)
					closedir(d);
				else
					close(dfd);
			}
			free(dir);
			free(rel);
		}
		ward_strv_free(&stack);
	}
	for (size_t i = 0; i < files.n; i++) {
		char *s = ward_path_join(src, files.v[i]), *d = ward_path_join(dst, files.v[i]);
		char *slash;
		int ok = s && d;
		if (ok && (slash = strrchr(d, '/')) != NULL) {
			*slash = '\0';
			ok = ward_mkdir_p(d, 0755) == 0;
			*slash = '/';
		}
		ok = ok && copy_file(s, d, flip && i == big) == 0;
		if (ok && flip && i == big && flipped)
			*flipped = ward_strdup(files.v[i]);
		free(s);
		free(d);
		if (!ok)
			goto out;
	}
	rc = files.n > 0 ? 0 : ward_err(WARD_EINPUT, "%s: the model has no files", src);
out:
	ward_strv_free(&files);
	return rc;
}

/* The models of the policy: verify each copy, then a tampered copy. */
static void
model_checks(const struct check_facts *f, const struct check_opts *o, struct check_matrix *m)
{
	json_t *models = f->policy ? json_object_get(f->policy, "models") : NULL;
	const char *keys_dir =
		f->policy ? json_string_value(json_object_get(f->policy, "keys_dir")) : NULL;
	struct ward_buf missing = {0}, ok = {0}, bad = {0}, tamper = {0};
	size_t i, nfiles = 0;
	uint64_t bytes = 0, ns = 0;
	json_t *mo;

	if (f->policy == NULL) {
		check_skip_rest(m, "function.model", "no usable /ward/policy.json");
		check_set(m, "function.models-signed", CHECK_SKIP, "no usable /ward/policy.json");
		return;
	}
	if (json_array_size(models) == 0) {
		check_set(m, "function.models-signed", CHECK_PASS, "the policy declares no models");
		check_set(m, "function.model-verifies", CHECK_SKIP, "no models");
		check_set(m, "function.model-tamper-detected", CHECK_SKIP, "no models");
		return;
	}
	json_array_foreach(models, i, mo)
	{
		const char *path = json_string_value(json_object_get(mo, "path"));
		const char *sig = json_string_value(json_object_get(mo, "signature"));
		const char *key = json_string_value(json_object_get(mo, "key"));
		char *keyrel = key && keys_dir ? ward_asprintf("%s/%s", keys_dir, key) : NULL;
		char *mdir = path ? check_facts_path(f, path) : NULL;
		char *sigp = sig ? check_facts_path(f, sig) : NULL;
		char *keyp = keyrel ? check_facts_path(f, keyrel) : NULL;
		char *copy = NULL, *tdir = NULL, *flipped = NULL;
		struct oms_verify_opts vo = {.threads = o->threads};
		struct oms_result res = {0};
		struct ward_key *k = NULL;

		if (path == NULL || sig == NULL || mdir == NULL || sigp == NULL ||
		    access(mdir, F_OK) != 0 || access(sigp, F_OK) != 0 ||
		    (key && (keyp == NULL || access(keyp, F_OK) != 0)) || key == NULL) {
			ward_buf_printf(
				&missing, "%s%s: %s", missing.len ? "; " : "", path ? path : "?",
				key == NULL ? "no key in the policy (certificate chains are "
					      "checked by ward-init only)"
				: access(mdir ? mdir : "", F_OK) != 0 ? "not in the image"
				: access(sigp ? sigp : "", F_OK) != 0 ? "no signature"
								      : "no key file");
			goto next;
		}
		if ((k = key_load_public(keyp)) == NULL) {
			ward_buf_printf(&missing, "%s%s: key: %s", missing.len ? "; " : "", path,
					ward_errmsg());
			goto next;
		}
		vo.key = k;
		vo.ignore_unsigned = json_is_true(json_object_get(mo, "ignore_unsigned"));
		if (oms_verify(mdir, sigp, &vo, &res) == 0) {
			ward_buf_printf(&ok, "%s%s: %zu files, %llu bytes", ok.len ? "; " : "",
					path, res.n, (unsigned long long)res.bytes);
			nfiles += res.n;
			bytes += res.bytes;
			ns += res.ns;
		} else
			ward_buf_printf(&bad, "%s%s: %s", bad.len ? "; " : "", path, ward_errmsg());
		oms_result_free(&res);
		/* the tampered copy, kept for the container check (runtime.c) */
		tdir = ward_asprintf("%s/tampered/%zu", f->scratch ? f->scratch : "/nonexistent",
				     i);
		if (f->scratch == NULL)
			ward_buf_printf(&tamper,
					"%s%s: skipped (a root filesystem: no scratch copy)",
					tamper.len ? "; " : "", path);
		else if (tdir == NULL || copy_model(mdir, tdir, 1, &flipped) != 0)
			ward_buf_printf(&tamper, "%s%s: copy failed: %s", tamper.len ? "; " : "",
					path, ward_errmsg());
		else {
			struct oms_result tr = {0};
			int vr = oms_verify(tdir, sigp, &vo, &tr);
			int kind = ward_errkind();
			if (vr == 0 || kind != WARD_EVERIFY)
				ward_buf_printf(&bad, "%s%s: a copy with a byte flipped in %s %s",
						bad.len ? "; " : "", path, flipped ? flipped : "?",
						vr == 0 ? "still verifies" : ward_errmsg());
			else
				ward_buf_printf(&tamper, "%s%s: flipped a byte of %s: refused (%s)",
						tamper.len ? "; " : "", path,
						flipped ? flipped : "?", ward_errmsg());
			oms_result_free(&tr);
		}
		ward_err_clear();
	next:
		key_free(k);
		free(keyrel);
		free(mdir);
		free(sigp);
		free(keyp);
		free(copy);
		free(tdir);
		free(flipped);
	}
	check_set(m, "function.models-signed", missing.len ? CHECK_FAIL : CHECK_PASS, "%s",
		  missing.len ? check_text(m, &missing) : "every model has its signature and key");
	if (bad.len && !ok.len && !tamper.len)
		check_set(m, "function.model-verifies", CHECK_FAIL, "%s", check_text(m, &bad));
	else if (!missing.len && ok.len && !bad.len)
		check_set(m, "function.model-verifies", CHECK_PASS, "%s", check_text(m, &ok));
	else
		check_set(m, "function.model-verifies", CHECK_FAIL, "%s%s%s",
			  bad.len ? check_text(m, &bad) : "", bad.len && missing.len ? "; " : "",
			  missing.len ? check_text(m, &missing) : "");
	if (tamper.len && !strstr(check_text(m, &tamper), "copy failed") &&
	    !strstr(check_text(m, &tamper), "skipped") &&
	    !(bad.len && strstr(check_text(m, &bad), "still")))
		check_set(m, "function.model-tamper-detected", CHECK_PASS, "%s",
			  check_text(m, &tamper));
	else
		check_set(m, "function.model-tamper-detected",
			  tamper.len && strstr(check_text(m, &tamper), "skipped") ? CHECK_SKIP
										  : CHECK_FAIL,
			  "%s",
			  tamper.len ? check_text(m, &tamper)
			  : bad.len  ? check_text(m, &bad)
				     : "");
	if (ns > 0 && bytes > 0) {
		check_set(m, "performance.model-verify-throughput", CHECK_PASS,
			  "%zu files, %.1f MB in %.1f ms", nfiles, (double)bytes / 1e6,
			  (double)ns / 1e6);
		check_value(m, "performance.model-verify-throughput",
			    (double)bytes / 1e6 / ((double)ns / 1e9), "MB/s");
	}
	ward_buf_free(&missing);
	ward_buf_free(&ok);
	ward_buf_free(&bad);
	ward_buf_free(&tamper);
}

/* Python sources with a __pycache__ entry beside them. */
static void
bytecode_check(const struct check_facts *f, struct check_matrix *m)
{
	const struct sbom_fileset *fs = &f->cat->fs;
	size_t py = 0, with = 0;

	for (size_t i = 0; i < fs->n; i++) {
		const char *p = fs->files[i].path, *slash, *base;
		char *cand;
		size_t bl;
		ssize_t k;

		if (fs->files[i].type != SBOM_REG || !ward_str_endswith(p, ".py") ||
		    !ward_str_startswith(p, "usr/lib/python3"))
			continue;
		py++;
		slash = strrchr(p, '/');
		base = slash + 1;
		bl = strlen(base) - 3;
		/* the first entry of DIR/__pycache__/NAME.* in sorted order */
		if ((cand = ward_asprintf("%.*s/__pycache__/%.*s.", (int)(slash - p), p, (int)bl,
					  base)) == NULL)
			return;
		k = 0;
		{
			size_t lo = 0, hi = fs->n;
			while (lo < hi) {
				size_t mid = (lo + hi) / 2;
				if (strcmp(fs->files[mid].path, cand) < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			k = (ssize_t)lo;
		}
		if ((size_t)k < fs->n && ward_str_startswith(fs->files[k].path, cand) &&
		    ward_str_endswith(fs->files[k].path, ".pyc"))
			with++;
		free(cand);
	}
	if (py == 0) {
		check_set(m, "performance.python-bytecode", CHECK_SKIP, "no Python modules");
		return;
	}
	check_set(m, "performance.python-bytecode", with * 10 >= py * 9 ? CHECK_PASS : CHECK_WARN,
		  "%zu of %zu modules under /usr/lib/python3* have bytecode", with, py);
	check_value(m, "performance.python-bytecode", 100.0 * (double)with / (double)py, "%");
}

/* Files ward build makes in the package layers instead of maintainer
 * scripts (docs/ward-build.md): update-ca-certificates, ldconfig. */
static int
generated_by_build(const char *path)
{
	return strcmp(path, "etc/ssl/certs/ca-certificates.crt") == 0 ||
	       strcmp(path, "etc/ld.so.cache") == 0;
}

/* The history line (created_by) of layer i, or NULL. */
static const char *
layer_created_by(const struct check_facts *f, int32_t layer)
{
	json_t *h = f->img ? f->img->cfg.history : NULL, *e;
	size_t i;
	int32_t k = 0;

	json_array_foreach(h, i, e)
	{
		if (json_is_true(json_object_get(e, "empty_layer")))
			continue;
		if (k++ == layer)
			return json_string_value(json_object_get(e, "created_by"));
	}
	return NULL;
}

static void
ownership_checks(const struct check_facts *f, struct check_matrix *m)
{
	const struct sbom_catalog *c = f->cat;
	struct ward_buf b = {0};
	size_t bad = 0, status_d = 0, spec = 0;

	/* Files no component owns are accounted for when ward build wrote
	 * them from ward.yaml: its config and files: layers say so. */
	for (size_t i = 0; i < c->counts.unowned; i++) {
		const struct sbom_file *e = &c->fs.files[c->unowned[i]];
		const char *by = layer_created_by(f, e->layer);
		if ((by && (strcmp(by, "ward build: /etc, users, directories") == 0 ||
			    strcmp(by, "ward build: files: of ward.yaml") == 0)) ||
		    (m->audit.ward_image && generated_by_build(e->path))) {
			spec++;
			continue;
		}
		if (bad++ < 5)
			ward_buf_printf(&b, "%s/%s", b.len ? ", " : "", e->path);
	}
	if (bad == 0)
		check_set(m, "function.sbom-complete", CHECK_PASS,
			  "%zu regular files: %zu owned by %zu components, %zu from ward.yaml "
			  "(files:, generated /etc)",
			  c->counts.files, c->counts.files - c->counts.unowned, c->ncomps, spec);
	else
		check_set(m, "function.sbom-complete", CHECK_FAIL, "%zu of %zu files unowned: %s%s",
			  bad, c->counts.files, check_text(m, &b), bad > 5 ? ", ..." : "");
	ward_buf_free(&b);
	bad = 0;
	for (size_t i = 0; i < c->ncomps; i++)
		if (c->comps[i].kind == SBOM_KIND_DEB && c->comps[i].location &&
		    strstr(c->comps[i].location, "status.d/") != NULL)
			status_d++;
	check_set(m, "function.scanner-visible",
		  (m->audit.debs == 0 || status_d == m->audit.debs) ? CHECK_PASS : CHECK_WARN,
		  "%zu Debian packages (%zu in dpkg status.d), %zu Python distributions",
		  m->audit.debs, status_d, m->audit.pythons);
	{
		size_t concluded = 0, total = 0;
		sbom_license_share(c, &concluded, NULL, &total);
		check_set(m, "function.licenses-known",
			  concluded == total ? CHECK_PASS : CHECK_WARN,
			  "%zu of %zu packages have a concluded license", concluded, total);
		if (total > 0)
			check_value(m, "function.licenses-known",
				    100.0 * (double)concluded / (double)total, "%");
	}
	/* /ward: root's, read-only for everyone else */
	for (size_t i = 0; i < c->fs.n; i++) {
		const struct sbom_file *e = &c->fs.files[i];
		if ((strcmp(e->path, "ward") == 0 || ward_str_startswith(e->path, "ward/")) &&
		    e->type != SBOM_SYMLINK && (e->uid != 0 || (e->mode & 022))) {
			if (bad++ < 5)
				ward_buf_printf(&b, "%s/%s (%04o, uid %u)", b.len ? ", " : "",
						e->path, e->mode & 07777, e->uid);
		}
	}
	if (sbom_fileset_find(&c->fs, "ward") < 0)
		check_set(m, "security.ward-files-read-only", CHECK_SKIP, "no /ward in the image");
	else
		check_set(m, "security.ward-files-read-only", bad ? CHECK_FAIL : CHECK_PASS, "%s",
			  bad ? check_text(m, &b)
			      : "every /ward path: uid 0, not group/other writable");
	ward_buf_free(&b);
}

static void
signature_checks(const struct check_facts *f, const struct check_opts *o, struct check_matrix *m,
		 json_t **vex_attested)
{
	struct verify_opts vo = {0};
	struct verify_report r = {0};
	struct sbom_check_ctx sc = {0};
	static const char *const want[] = {PREDICATE_CYCLONEDX, PREDICATE_SPDX, PREDICATE_SLSA_V1,
					   PREDICATE_OPENVEX};
	struct ward_buf miss = {0};

	if (o->key == NULL && o->keyless == NULL) {
		check_set(m, "security.signatures-verify", CHECK_SKIP,
			  "no public key (--key) or identity given");
		check_set(m, "security.attestations-present", CHECK_SKIP,
			  "no public key (--key) or identity given");
		return;
	}
	if (f->img == NULL || f->img->kind != OCI_KIND_LAYOUT) {
		check_set(m, "security.signatures-verify", CHECK_FAIL,
			  "signatures are stored in an OCI layout; %s is not one", f->target);
		check_set(m, "security.attestations-present", CHECK_FAIL, "no OCI layout");
		return;
	}
	vo.key = o->key;
	vo.keyless = o->key == NULL ? o->keyless : NULL;
	vo.bundle = o->bundle;
	vo.threads = o->threads;
	vo.sbom = attest_sbom_check;
	vo.sbom_ctx = &sc;
	sc.threads = o->threads;
	sc.image = ward_strdup(f->target); /* lend our catalog: no second pass */
	sc.cat = f->cat;
	if (attest_verify_image(f->target, &vo, &r) == 0)
		check_set(m, "security.signatures-verify", CHECK_PASS,
			  "%zu signature(s), %zu attestation(s), %zu checks passed", r.signatures,
			  r.natts, r.n - r.failures - r.skipped);
	else
		check_set(m, "security.signatures-verify", CHECK_FAIL, "%s",
			  r.first_failure ? r.first_failure : ward_errmsg());
	ward_err_clear();
	sc.cat = NULL;
	attest_sbom_check_done(&sc);
	for (size_t k = 0; k < sizeof(want) / sizeof(*want); k++) {
		int have = 0;
		for (size_t i = 0; i < r.natts; i++)
			have |= strcmp(r.atts[i].predicate_type, want[k]) == 0;
		if (!have)
			ward_buf_printf(&miss, "%s%s", miss.len ? ", " : "",
					attest_predicate_name(want[k]));
	}
	for (size_t i = 0; i < r.natts && vex_attested; i++)
		if (strcmp(r.atts[i].predicate_type, PREDICATE_OPENVEX) == 0 && r.failures == 0) {
			json_decref(*vex_attested);
			*vex_attested = json_incref(r.atts[i].predicate);
		}
	check_set(m, "security.attestations-present", miss.len ? CHECK_FAIL : CHECK_PASS,
		  miss.len ? "missing: %s" : "%s",
		  miss.len ? check_text(m, &miss) : "all four attested");
	ward_buf_free(&miss);
	verify_report_free(&r);
}

static void
vuln_check(const struct check_facts *f, const struct check_opts *o, struct check_matrix *m,
	   const json_t *vex_attested)
{
	struct vuln_db *db = NULL;
	struct vuln_pkglist pkgs = {0};
	struct vuln_report vr = {0};
	struct vuln_vex *vex = NULL;
	struct ward_buf b = {0};
	size_t open = 0, severe = 0, stmts = 0;

	if (o->db == NULL) {
		check_set(m, "security.vulnerabilities-vex", CHECK_SKIP,
			  "no vulnerability store given (--db)");
		return;
	}
	if ((db = vuln_db_open(o->db, VULN_DB_READ)) == NULL ||
	    vuln_pkglist_from_catalog(f->cat, &pkgs) != 0 || vuln_scan(db, &pkgs, &vr) != 0 ||
	    (vex = vuln_vex_new()) == NULL || (o->vex && vuln_vex_load(vex, o->vex) != 0) ||
	    (!o->vex && vex_attested &&
	     vuln_vex_load_json(vex, vex_attested, "attested VEX") != 0) ||
	    vuln_vex_apply(vex, &vr) != 0) {
		check_set(m, "security.vulnerabilities-vex", CHECK_FAIL, "%s", ward_errmsg());
		ward_err_clear();
		goto out;
	}
	stmts = vuln_vex_count(vex);
	for (size_t i = 0; i < vr.nfindings; i++) {
		const struct vuln_finding *v = &vr.findings[i];
		if (v->severity < VULN_SEV_HIGH)
			continue;
		severe++;
		if (v->vex_status != NULL)
			continue;
		if (open++ < 5)
			ward_buf_printf(&b, "%s%s %s (%s)", b.len ? ", " : "", v->id,
					vuln_severity_name(v->severity),
					v->owner ? v->owner : v->package);
	}
	for (size_t i = 0; i < vr.nsuppressed; i++)
		severe += vr.suppressed[i].severity >= VULN_SEV_HIGH;
	if (open)
		check_set(m, "security.vulnerabilities-vex", CHECK_FAIL,
			  "%zu critical/high finding(s) without a VEX statement: %s%s", open,
			  check_text(m, &b), open > 5 ? ", ..." : "");
	else
		check_set(m, "security.vulnerabilities-vex", CHECK_PASS,
			  "%zu findings in %zu packages; %zu critical/high, each with a VEX "
			  "statement "
			  "(%zu statements%s)",
			  vr.nfindings + vr.nsuppressed, pkgs.n, severe, stmts,
			  o->vex	 ? ""
			  : vex_attested ? ", attested"
					 : ", none given");
out:
	ward_buf_free(&b);
	vuln_vex_free(vex);
	vuln_report_free(&vr);
	vuln_pkglist_free(&pkgs);
	vuln_db_close(db);
}

void
check_static(const struct check_facts *f, const struct check_opts *o, struct check_matrix *m)
{
	const struct audit_report *a = &m->audit;
	const char *server = server_program(a);
	json_t *vex_attested = NULL;
	ssize_t si;

	if (f->img != NULL)
		check_set(m, "function.image-readable", CHECK_PASS,
			  "%s %s: %zu layers read and verified", oci_image_kind_name(f->img->kind),
			  a->digest ? a->digest : "", f->img->nlayers);
	else
		check_set(m, "function.image-readable", CHECK_SKIP,
			  "a root filesystem, not an image");
	if (f->img == NULL)
		check_set(m, "function.entrypoint-ward-init", CHECK_SKIP, "no image config");
	else if (a->entrypoint.n >= 3 && strcmp(a->entrypoint.v[0], "/ward/init") == 0 &&
		 strcmp(a->entrypoint.v[1], "--") == 0)
		check_set(m, "function.entrypoint-ward-init", CHECK_PASS, "/ward/init -- %s",
			  a->entrypoint.v[2]);
	else
		check_set(m, "function.entrypoint-ward-init", CHECK_FAIL, "entrypoint is %s",
			  a->entrypoint.n ? a->entrypoint.v[0] : "(none)");
	if (server == NULL)
		check_set(m, "function.server-in-image", f->img ? CHECK_FAIL : CHECK_SKIP,
			  "no server program in the entrypoint");
	else if ((si = resolve_program(f, server, &a->env)) >= 0 &&
		 f->cat->fs.files[si].type == SBOM_REG && (f->cat->fs.files[si].mode & 0111)) {
		const struct sbom_file *e = &f->cat->fs.files[si];
		check_set(m, "function.server-in-image", CHECK_PASS, "%s -> /%s (%04o)", server,
			  e->path, e->mode & 07777);
		check_set(m, "security.server-not-readable",
			  (e->uid == 0 && !(e->mode & 0004) && a->uid != 0) ? CHECK_PASS
									    : CHECK_WARN,
			  "/%s is mode %04o, uid %u; the server runs as uid %lld", e->path,
			  e->mode & 07777, e->uid, a->uid);
	} else
		check_set(m, "function.server-in-image", CHECK_FAIL,
			  "%s: not found (or not executable) in the image", server);
	if (!f->has_policy_file)
		check_set(m, "function.policy-valid", f->img ? CHECK_FAIL : CHECK_SKIP,
			  "no /ward/policy.json");
	else if (o->policy == NULL)
		check_set(m, "function.policy-valid", CHECK_SKIP, "no policy reader given");
	else if (f->policy == NULL)
		check_set(m, "function.policy-valid", CHECK_FAIL, "%s",
			  f->policy_error ? f->policy_error : "invalid");
	else
		check_set(m, "function.policy-valid", CHECK_PASS,
			  "uid %lld, %zu model(s), %zu writable path(s), metrics %s",
			  (long long)json_integer_value(json_object_get(f->policy, "uid")),
			  json_array_size(json_object_get(f->policy, "models")), a->writable.n,
			  json_is_null(json_object_get(f->policy, "metrics"))
				  ? "off"
				  : json_string_value(json_object_get(
					    json_object_get(f->policy, "metrics"), "address")));
	check_set(m, "function.ports-declared", a->ports.n ? CHECK_PASS : CHECK_WARN,
		  "%zu port(s)%s%s", a->ports.n, a->ports.n ? ": " : "",
		  a->ports.n ? a->ports.v[0] : "");
	model_checks(f, o, m);
	ownership_checks(f, m);
	bytecode_check(f, m);

	check_set(m, "performance.image-size", CHECK_PASS,
		  "%.1f MB compressed, %.1f MB in %zu files", (double)a->compressed / 1e6,
		  (double)a->bytes / 1e6, a->files);
	check_value(m, "performance.image-size", (double)(a->compressed ? a->compressed : a->bytes),
		    "bytes");
	check_set(m, "performance.layers", CHECK_PASS, "%zu layers", a->layers);
	check_value(m, "performance.layers", (double)a->layers, "count");

	finding_check(m, "security.no-shell", a, "shell", NULL);
	finding_check(m, "security.no-package-manager", a, "package-manager", NULL);
	finding_check(m, "security.no-compiler", a, "compiler", NULL);
	finding_check(m, "security.no-debugger", a, "debugger", NULL);
	finding_check(m, "security.no-network-tools", a, "network-tool", NULL);
	finding_check(m, "security.no-setuid", a, "setuid", NULL);
	finding_check(m, "security.no-setgid", a, "setgid", NULL);
	finding_check(m, "security.no-world-writable", a, "world-writable",
		      "world-writable-sticky");
	finding_check(m, "security.no-device-nodes", a, "device-node", NULL);
	finding_check(m, "security.no-secrets", a, "secret", NULL);
	if (audit_find(a, "secret") == NULL && audit_find(a, "test-key") != NULL)
		check_set(m, "security.no-secrets", CHECK_WARN, "no secrets; %s",
			  audit_find(a, "test-key")->explanation);
	finding_check(m, "security.models-read-only", a, "writable-model", NULL);
	if (f->img == NULL)
		check_set(m, "security.non-root-user", CHECK_SKIP, "no image config");
	else if (a->uid > 0)
		check_set(m, "security.non-root-user", CHECK_PASS, "user \"%s\" = uid %lld",
			  a->user, a->uid);
	else if (a->uid == 0)
		check_set(m, "security.non-root-user", CHECK_FAIL, "user \"%s\" is root", a->user);
	else
		check_set(m, "security.non-root-user", CHECK_FAIL,
			  "user \"%s\" is not in the image's /etc/passwd", a->user);
	signature_checks(f, o, m, &vex_attested);
	vuln_check(f, o, m, vex_attested);
	json_decref(vex_attested);
	check_hygiene(f, m);
	check_policy_defaults(f, m);
	check_guard_static(f, m);
}
