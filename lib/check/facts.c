/* facts.c: read an image once for the audit and the test matrix — the SBOM
 * catalog (files, owners, packages) and a copy of the few files whose
 * contents the checks read. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_internal.h"

#define COPY_MAX_SMALL (8u << 20) /* /ward files, passwd, secret candidates */

/* Names that often hold credentials (matched on the basename or the path). */
static const char *const secret_names[] = {
	"id_rsa",
	"id_dsa",
	"id_ecdsa",
	"id_ed25519",
	"*.pem",
	"*.key",
	"*.p12",
	"*.pfx",
	".env",
	".env.*",
	"*.env",
	".netrc",
	".pgpass",
	".git-credentials",
	"credentials.json",
	"application_default_credentials.json",
	"service-account*.json",
	".htpasswd",
};
static const char *const secret_paths[] = {
	"*/.aws/credentials", "*/.aws/config",	    "*/.docker/config.json",
	"*/.kube/config",     "*/.config/gcloud/*", "*/.azure/*",
	"*/.ssh/*",
};

int
check_secret_name(const char *path)
{
	const char *base = strrchr(path, '/');
	char *abs;
	int hit = 0;

	base = base ? base + 1 : path;
	for (size_t i = 0; i < sizeof(secret_names) / sizeof(*secret_names); i++)
		if (fnmatch(secret_names[i], base, 0) == 0)
			return 1;
	if ((abs = ward_asprintf("/%s", path)) == NULL)
		return 0;
	for (size_t i = 0; i < sizeof(secret_paths) / sizeof(*secret_paths) && !hit; i++)
		hit = fnmatch(secret_paths[i], abs, 0) == 0;
	free(abs);
	return hit;
}

/* Files worth copying, as a sorted list of relative paths. */
static int
wanted_files(const struct sbom_catalog *c, struct ward_strv *out)
{
	const struct sbom_fileset *fs = &c->fs;

	for (size_t i = 0; i < fs->n; i++) {
		const struct sbom_file *e = &fs->files[i];
		int want = 0;

		if (e->type != SBOM_REG)
			continue;
		if (ward_str_startswith(e->path, "ward/") && strcmp(e->path, "ward/init") != 0)
			want = e->size <= COPY_MAX_SMALL;
		else if (strcmp(e->path, "etc/passwd") == 0 || strcmp(e->path, "etc/group") == 0 ||
			 strcmp(e->path, "etc/shadow") == 0)
			want = 1;
		else if (check_secret_name(e->path))
			want = e->size <= COPY_MAX_SMALL;
		if (want && ward_strv_push(out, e->path) != 0)
			return -1;
	}
	/* Signed model directories: every file, for verification and the
	 * tampered copy. */
	for (size_t k = 0; k < c->ncomps; k++) {
		const struct sbom_component *m = &c->comps[k];
		if (m->kind != SBOM_KIND_MODEL || m->location == NULL)
			continue;
		for (size_t j = 0; j < m->nmodel_files; j++)
			if (m->model_files[j].path != NULL &&
			    ward_strv_push(out, m->model_files[j].path) != 0)
				return -1;
		{
			const char *loc = m->location[0] == '/' ? m->location + 1 : m->location;
			size_t ll = strlen(loc);
			for (size_t i = 0; i < fs->n; i++)
				if (fs->files[i].type == SBOM_REG &&
				    strncmp(fs->files[i].path, loc, ll) == 0 &&
				    fs->files[i].path[ll] == '/' &&
				    ward_strv_push(out, fs->files[i].path) != 0)
					return -1;
		}
	}
	ward_strv_sort(out);
	/* drop duplicates */
	{
		size_t w = 0;
		for (size_t i = 0; i < out->n; i++) {
			if (w > 0 && strcmp(out->v[w - 1], out->v[i]) == 0) {
				free(out->v[i]);
				continue;
			}
			out->v[w++] = out->v[i];
		}
		out->n = w;
	}
	return 0;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

struct copy_ctx {
	const struct ward_strv *wanted;
	const char *spill;
	struct copy_rec {
		char *path;
		uint32_t layer;
		uint64_t ordinal;
	} * recs;
	size_t n, cap;
	unsigned char *buf;
};

static int
copy_visit(void *ctx, const struct oci_fs_entry *e, struct oci_layer_reader *r)
{
	struct copy_ctx *cc = ctx;
	const char *key = e->path;
	char *p = NULL;
	int fd = -1, rc = -1;

	if (e->type != OCI_ENTRY_FILE ||
	    bsearch(&key, cc->wanted->v, cc->wanted->n, sizeof(char *), str_cmp) == NULL)
		return 0;
	if (ward_vec_reserve(&cc->recs, &cc->cap, cc->n + 1, sizeof(*cc->recs)) != 0)
		return -1;
	if ((p = ward_asprintf("%s/%u-%llu", cc->spill, e->layer,
			       (unsigned long long)e->ordinal)) == NULL)
		return -1;
	if ((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
		ward_err_io(p, "cannot create");
		goto out;
	}
	for (;;) {
		ssize_t n = oci_layer_read(r, cc->buf, 1u << 20);
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		if (ward_fd_write(fd, cc->buf, (size_t)n, p) != 0)
			goto out;
	}
	if ((cc->recs[cc->n].path = ward_strdup(e->path)) == NULL)
		goto out;
	cc->recs[cc->n].layer = e->layer;
	cc->recs[cc->n].ordinal = e->ordinal;
	cc->n++;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(p);
	return rc;
}

/* Copy the wanted files of the image into scratch/root. */
static int
copy_wanted(struct check_facts *f, const struct ward_strv *wanted)
{
	struct copy_ctx cc = {.wanted = wanted};
	struct oci_fs fs = {0};
	char *spill = ward_path_join(f->scratch, "spill");
	int rc = -1;

	cc.spill = spill;
	if (spill == NULL || ward_mkdir_p(spill, 0700) != 0 ||
	    (cc.buf = ward_malloc(1u << 20)) == NULL)
		goto out;
	if (wanted->n > 0 && oci_image_scan(f->img, &fs, copy_visit, &cc) != 0)
		goto out;
	for (size_t i = 0; i < cc.n; i++) {
		const struct oci_fs_entry *e = oci_fs_find(&fs, cc.recs[i].path);
		char *src, *dst, *slash;
		int ok;

		if (e == NULL || e->layer != cc.recs[i].layer || e->ordinal != cc.recs[i].ordinal)
			continue; /* replaced or deleted by a later layer */
		src = ward_asprintf("%s/%u-%llu", spill, cc.recs[i].layer,
				    (unsigned long long)cc.recs[i].ordinal);
		dst = ward_path_join(f->root, cc.recs[i].path);
		if (src == NULL || dst == NULL) {
			free(src);
			free(dst);
			goto out;
		}
		slash = strrchr(dst, '/');
		*slash = '\0';
		ok = ward_mkdir_p(dst, 0700) == 0;
		*slash = '/';
		if (ok && rename(src, dst) != 0)
			ok = ward_err_io(dst, "cannot move into place") == 0;
		free(src);
		free(dst);
		if (!ok)
			goto out;
	}
	rc = 0;
out:
	for (size_t i = 0; i < cc.n; i++)
		free(cc.recs[i].path);
	free(cc.recs);
	free(cc.buf);
	oci_fs_free(&fs);
	if (spill != NULL)
		ward_rm_rf(spill);
	free(spill);
	return rc;
}

static void
load_policy(struct check_facts *f, check_policy_fn policy)
{
	struct ward_buf b = {0};

	if (sbom_fileset_find(&f->cat->fs, "ward/policy.json") < 0)
		return;
	f->has_policy_file = 1;
	if (policy == NULL)
		return;
	if (check_facts_read(f, "ward/policy.json", COPY_MAX_SMALL, &b) == 0)
		f->policy = policy(b.data, b.len, "/ward/policy.json");
	if (f->policy == NULL)
		f->policy_error = ward_strdup(ward_errmsg());
	ward_err_clear();
	ward_buf_free(&b);
}

int
check_facts_load(const char *target, int threads, check_policy_fn policy,
		 struct ward_progress *progress, struct check_facts *f)
{
	struct sbom_opts so = {.threads = threads, .progress = progress};
	struct ward_strv wanted = {0};
	struct stat st;
	int rc = -1;

	memset(f, 0, sizeof(*f));
	if ((f->target = ward_strdup(target)) == NULL)
		return -1;
	if (stat(target, &st) == 0 && S_ISDIR(st.st_mode)) {
		char *layout = ward_path_join(target, "oci-layout");
		f->rootfs = layout != NULL && access(layout, F_OK) != 0;
		free(layout);
	}
	if (f->rootfs) {
		if (sbom_catalog_rootfs(target, &so, &f->cat) != 0)
			goto out;
		if ((f->root = ward_strdup(target)) == NULL)
			goto out;
		load_policy(f, policy);
		rc = 0;
		goto out;
	}
	if ((f->img = oci_image_open(target, NULL)) == NULL)
		goto out;
	if (sbom_catalog_image(target, &so, &f->cat) != 0)
		goto out;
	if ((f->scratch = ward_mkdtemp(NULL, "ward-check")) == NULL)
		goto out;
	if ((f->root = ward_path_join(f->scratch, "root")) == NULL ||
	    ward_mkdir_p(f->root, 0700) != 0 || wanted_files(f->cat, &wanted) != 0 ||
	    copy_wanted(f, &wanted) != 0)
		goto out;
	load_policy(f, policy);
	rc = 0;
out:
	ward_strv_free(&wanted);
	return rc;
}

void
check_facts_free(struct check_facts *f)
{
	if (f == NULL)
		return;
	if (f->scratch != NULL) {
		struct ward_error saved;
		ward_err_save(&saved);
		ward_rm_rf(f->scratch);
		if (saved.kind != WARD_OK)
			ward_err_restore(&saved);
		else
			ward_err_clear();
	}
	free(f->scratch);
	free(f->root);
	free(f->target);
	free(f->policy_error);
	json_decref(f->policy);
	sbom_catalog_free(f->cat);
	oci_image_close(f->img);
	memset(f, 0, sizeof(*f));
}

char *
check_facts_path(const struct check_facts *f, const char *rel)
{
	while (*rel == '/')
		rel++;
	return ward_path_join(f->root, rel);
}

int
check_facts_read(const struct check_facts *f, const char *rel, size_t max, struct ward_buf *out)
{
	char *p = check_facts_path(f, rel);
	int rc;

	if (p == NULL)
		return -1;
	rc = ward_file_read(p, max, out);
	free(p);
	return rc;
}

/* The passwd field 3 of name, or -1. */
static long long
passwd_uid(const char *data, const char *name)
{
	size_t nl = strlen(name);

	for (const char *l = data; l && *l;) {
		const char *end = strchr(l, '\n');
		if (strncmp(l, name, nl) == 0 && l[nl] == ':') {
			const char *p = strchr(l + nl + 1, ':');
			char *e;
			long long v;
			if (p == NULL || (end && p > end))
				return -1;
			v = strtoll(p + 1, &e, 10);
			return e == p + 1 ? -1 : v;
		}
		l = end ? end + 1 : NULL;
	}
	return -1;
}

int
check_user_uid(const struct check_facts *f, const char *user, long long *uid)
{
	struct ward_buf b = {0};
	char *name, *colon, *end;
	long long v;
	int rc = -1;

	if (user == NULL || *user == '\0') {
		*uid = 0;
		return 0;
	}
	if ((name = ward_strdup(user)) == NULL)
		return -1;
	if ((colon = strchr(name, ':')) != NULL)
		*colon = '\0';
	v = strtoll(name, &end, 10);
	if (*name != '\0' && *end == '\0' && v >= 0) {
		*uid = v;
		rc = 0;
	} else if (strcmp(name, "root") == 0) {
		*uid = 0;
		rc = 0;
	} else if (check_facts_read(f, "etc/passwd", 1u << 20, &b) == 0 &&
		   (v = passwd_uid((char *)b.data, name)) >= 0) {
		*uid = v;
		rc = 0;
	}
	ward_err_clear();
	ward_buf_free(&b);
	free(name);
	return rc;
}
