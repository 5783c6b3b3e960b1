/*
 * transfer.c: copy a manifest tree (index -> manifests -> config and
 * layers) between an OCI layout and a registry, every blob checked.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "registry/registry_internal.h"

#define REG_MAX_DEPTH 4

static int
is_index(const char *mt)
{
	return strcmp(mt, OCI_MT_INDEX) == 0 || strcmp(mt, DOCKER_MT_LIST) == 0;
}

static int
push_blob(struct reg_client *c, struct oci_layout *l, const struct oci_descriptor *d,
	  const char *mount_from)
{
	char *path;
	int rc;

	if ((rc = reg_blob_exists(c, d->digest, NULL)) != 0) {
		if (rc == 1) {
			c->stats.blobs_skipped++;
			ward_progress_add(c->o.progress, d->size);
			ward_debug("%s: already in %s/%s", d->digest, c->registry, c->repo);
		}
		return rc < 0 ? -1 : 0;
	}
	if (mount_from != NULL && (rc = reg_blob_mount(c, d->digest, mount_from)) != 0) {
		if (rc == 1)
			ward_progress_add(c->o.progress, d->size);
		return rc < 0 ? -1 : 0;
	}
	if ((path = oci_blob_path(oci_layout_blobs_dir(l), d->digest)) == NULL)
		return -1;
	rc = reg_blob_upload_file(c, path, d->digest, d->size);
	free(path);
	return rc;
}

static int
push_tree(struct reg_client *c, struct oci_layout *l, const struct oci_descriptor *d,
	  const char *tag, const char *mount_from, int depth)
{
	struct oci_limits lim;
	struct ward_buf b = {0};
	struct oci_manifest m = {0};
	struct oci_index x = {0};
	int subject_ok = 0, rc = -1, manifest = 0;

	oci_limits_default(&lim);
	if (depth > REG_MAX_DEPTH)
		return ward_err(WARD_EINPUT, "%s: indexes nested too deep", d->digest);
	if (oci_layout_read_blob(l, d, REG_MAX_MANIFEST, &b) != 0)
		return -1;
	if (is_index(d->media_type)) {
		if (oci_index_parse(b.data, b.len, d->digest, &lim, &x) != 0)
			goto out;
		for (size_t i = 0; i < x.n; i++)
			if (push_tree(c, l, &x.v[i], NULL, mount_from, depth + 1) != 0)
				goto out;
	} else {
		if (oci_manifest_parse(b.data, b.len, d->digest, &lim, &m) != 0)
			goto out;
		manifest = 1;
		if (push_blob(c, l, &m.config, mount_from) != 0)
			goto out;
		for (size_t i = 0; i < m.nlayers; i++)
			if (push_blob(c, l, &m.layers[i], mount_from) != 0)
				goto out;
	}
	if (reg_manifest_put(c, tag ? tag : d->digest, d->media_type, b.data, b.len, &subject_ok) !=
	    0)
		goto out;
	if (manifest && m.has_subject && !subject_ok) {
		struct oci_descriptor r = *d;
		snprintf(r.artifact_type, sizeof(r.artifact_type), "%s",
			 m.artifact_type[0] ? m.artifact_type : m.config.media_type);
		r.annotations = m.annotations;
		if (reg_referrers_add(c, m.subject.digest, &r) != 0)
			goto out;
	}
	rc = 0;
out:
	oci_manifest_free(&m);
	oci_index_free(&x);
	ward_buf_free(&b);
	return rc;
}

int
reg_push_tree(struct reg_client *c, struct oci_layout *l, const struct oci_descriptor *d,
	      const char *tag, const char *mount_from)
{
	return push_tree(c, l, d, tag, mount_from, 0);
}

struct pull_sink {
	struct oci_blob_writer *bw;
};

static int
to_writer(void *ctx, const void *p, size_t n)
{
	struct pull_sink *s = ctx;

	return oci_blob_writer_write(s->bw, p, n);
}

static int
pull_blob(struct reg_client *c, struct oci_layout *l, const struct oci_descriptor *d)
{
	struct pull_sink s;
	char *path, got[OCI_DIGEST_LEN + 1];
	struct stat st;
	uint64_t size;
	int have;

	if ((path = oci_blob_path(oci_layout_blobs_dir(l), d->digest)) == NULL)
		return -1;
	have = stat(path, &st) == 0 && (uint64_t)st.st_size == d->size;
	free(path);
	if (have)
		return 0; /* shared with a manifest pulled before (ward verify rechecks it) */
	if ((s.bw = oci_blob_writer_new(oci_layout_blobs_dir(l))) == NULL)
		return -1;
	if (reg_blob_fetch(c, d->digest, d->size, to_writer, &s) != 0) {
		oci_blob_writer_abort(s.bw);
		return -1;
	}
	if (oci_blob_writer_commit(s.bw, got, &size) != 0)
		return -1;
	if (strcmp(got, d->digest) != 0)
		return ward_err(WARD_EVERIFY, "%s: stored as %s", d->digest, got);
	return 0;
}

static int
pull_tree(struct reg_client *c, const char *reference, struct oci_layout *l,
	  struct oci_descriptor *out, int depth)
{
	struct oci_limits lim;
	struct ward_buf b = {0};
	struct oci_manifest m = {0};
	struct oci_index x = {0};
	char mt[OCI_MEDIA_TYPE_MAX + 1], digest[OCI_DIGEST_LEN + 1];
	int found, rc = -1;

	oci_limits_default(&lim);
	memset(out, 0, sizeof(*out));
	if (depth > REG_MAX_DEPTH)
		return ward_err(WARD_EINPUT, "%s: indexes nested too deep", reference);
	if ((found = reg_manifest_get(c, reference, &b, mt, digest)) <= 0) {
		ward_buf_free(&b);
		return found;
	}
	if (is_index(mt)) {
		if (oci_index_parse(b.data, b.len, digest, &lim, &x) != 0)
			goto out;
		for (size_t i = 0; i < x.n; i++) {
			struct oci_descriptor child;
			int got = pull_tree(c, x.v[i].digest, l, &child, depth + 1);
			if (got < 0)
				goto out;
			if (got == 0) {
				ward_err(WARD_EINPUT,
					 "%s/%s: index %s names %s, which the registry "
					 "does not have",
					 c->registry, c->repo, digest, x.v[i].digest);
				goto out;
			}
			if (child.size != x.v[i].size) {
				ward_err(WARD_EVERIFY, "%s: size %ju differs from the index's %ju",
					 x.v[i].digest, (uintmax_t)child.size,
					 (uintmax_t)x.v[i].size);
				goto out;
			}
		}
	} else {
		if (oci_manifest_parse(b.data, b.len, digest, &lim, &m) != 0)
			goto out;
		if (pull_blob(c, l, &m.config) != 0)
			goto out;
		for (size_t i = 0; i < m.nlayers; i++)
			if (pull_blob(c, l, &m.layers[i]) != 0)
				goto out;
	}
	/* the manifest last, so a layout never names a blob it lacks */
	if (oci_layout_put_blob(l, b.data, b.len, mt, out) != 0)
		goto out;
	if (strcmp(out->digest, digest) != 0) {
		ward_err(WARD_EVERIFY, "%s: stored as %s", digest, out->digest);
		goto out;
	}
	if (m.artifact_type[0])
		snprintf(out->artifact_type, sizeof(out->artifact_type), "%s", m.artifact_type);
	rc = 1;
out:
	oci_manifest_free(&m);
	oci_index_free(&x);
	ward_buf_free(&b);
	return rc;
}

int
reg_pull_tree(struct reg_client *c, const char *reference, struct oci_layout *l,
	      struct oci_descriptor *out)
{
	return pull_tree(c, reference, l, out, 0);
}
