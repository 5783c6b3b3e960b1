/*
 * source.c: opening any image.  "DIR[:tag]" is an OCI layout; a file is an
 * archive, an oci-archive when it holds oci-layout + index.json, else a
 * docker-archive when it holds manifest.json.  The manifest and config are
 * read and verified here; layers are verified as they are streamed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "oci_internal.h"

#define MAX_NESTED_INDEX 4

const char *
oci_image_kind_name(int kind)
{
	switch (kind) {
	case OCI_KIND_LAYOUT:
		return "oci";
	case OCI_KIND_OCI_ARCHIVE:
		return "oci-archive";
	case OCI_KIND_DOCKER_ARCHIVE:
		return "docker-archive";
	default:
		return "unknown";
	}
}

void
oci_image_close(struct oci_image *img)
{
	if (img == NULL)
		return;
	free(img->path);
	free(img->ref);
	ward_strv_free(&img->tags);
	oci_manifest_free(&img->mf);
	oci_config_free(&img->cfg);
	free(img->layers);
	source_free(img->src);
	free(img);
}

/* Split "PATH[:tag]" at the first ":" whose prefix exists on disk. */
static int
split_ref(const char *ref, char **path, char **tag)
{
	struct stat st;

	*path = *tag = NULL;
	if (lstat(ref, &st) == 0)
		return (*path = ward_strdup(ref)) ? 0 : -1;
	for (const char *c = strchr(ref, ':'); c; c = strchr(c + 1, ':')) {
		char *p = ward_strndup(ref, (size_t)(c - ref));
		if (p == NULL)
			return -1;
		if (*p && lstat(p, &st) == 0) {
			if (c[1] == '\0') {
				free(p);
				return ward_err(WARD_EINPUT, "%s: empty tag after ':'", ref);
			}
			*path = p;
			return (*tag = ward_strdup(c + 1)) ? 0 : -1;
		}
		free(p);
	}
	return ward_err(WARD_EINPUT, "%s: no such image (not a directory or file)", ref);
}

static void
host_platform(char out[64])
{
	struct utsname u;
	const char *arch = "amd64";

	if (uname(&u) == 0) {
		if (strcmp(u.machine, "aarch64") == 0)
			arch = "arm64";
		else if (strcmp(u.machine, "x86_64") != 0)
			arch = u.machine;
	}
	snprintf(out, 64, "linux/%s", arch);
}

/* Read a whole member/blob by descriptor (verified). */
static int
read_desc(struct oci_image *img, const struct oci_descriptor *d, struct ward_buf *out)
{
	return oci_image_read_blob(img, d, img->limits.max_json, out);
}

/* A member by name, following symlink members inside the archive (skopeo
 * writes "<id>/layer.tar -> ../<hex>.tar"). */
static const struct tar_member *
find_member(const struct tar_index *idx, const char *name)
{
	const struct tar_member *m = tar_index_find(idx, name);
	char *cur = NULL;

	for (int hops = 0; m && m->type == OCI_ENTRY_SYMLINK && hops < 8; hops++) {
		const char *slash = strrchr(m->name, '/');
		char *joined, *next = NULL;
		if (m->link[0] == '/')
			joined = ward_strdup(m->link);
		else
			joined = ward_asprintf("%.*s/%s", slash ? (int)(slash - m->name) : 0,
					       m->name, m->link);
		if (joined == NULL || (next = oci_path_clamp(joined)) == NULL) {
			free(joined);
			m = NULL;
			break;
		}
		free(joined);
		free(cur);
		cur = next;
		m = tar_index_find(idx, cur);
	}
	free(cur);
	return m;
}

static int
read_member(struct oci_image *img, const char *name, struct ward_buf *out)
{
	struct oci_source *s = img->src;
	const struct tar_member *m = find_member(&s->idx, name);
	struct blob_stream bs = {.fd = s->fd};

	if (m == NULL || m->type != OCI_ENTRY_FILE)
		return ward_err(WARD_EINPUT, "%s: no %s in the archive", img->path, name);
	if (m->size > img->limits.max_json)
		return ward_err(WARD_EINPUT, "%s: %s is too large (%ju bytes)", img->path, name,
				(uintmax_t)m->size);
	bs.start = m->offset;
	bs.len = m->size;
	if (ward_buf_reserve(out, (size_t)m->size + 1) != 0)
		return -1;
	while (bs.pos < bs.len) {
		ssize_t r = blob_stream_read(&bs, out->data + out->len, (size_t)(bs.len - bs.pos));
		if (r <= 0)
			return ward_err(WARD_EINPUT, "%s: cannot read %s", img->path, name);
		out->len += (size_t)r;
	}
	out->data[out->len] = '\0';
	return 0;
}

/* Index entries that are images rather than signatures or artifacts. */
static int
is_image_entry(const struct oci_descriptor *d)
{
	const char *kind = ward_json_str(d->annotations, "kind");
	const char *ref = ward_json_str(d->annotations, OCI_ANN_REF_NAME);

	if (strcmp(d->media_type, OCI_MT_MANIFEST) && strcmp(d->media_type, DOCKER_MT_MANIFEST) &&
	    strcmp(d->media_type, OCI_MT_INDEX) && strcmp(d->media_type, DOCKER_MT_LIST))
		return 0;
	if (d->artifact_type[0])
		return 0;
	if (kind && strcmp(kind, "dev.cosignproject.cosign/image") &&
	    strcmp(kind, "dev.cosignproject.cosign/imageIndex"))
		return 0;
	if (ref && strncmp(ref, "sha256-", 7) == 0 &&
	    (ward_str_endswith(ref, ".sig") || ward_str_endswith(ref, ".att") ||
	     ward_str_endswith(ref, ".sbom")))
		return 0;
	return 1;
}

static int
pick_entry(struct oci_image *img, const struct oci_index *x, const char *tag, size_t *out)
{
	struct ward_buf names = {0};
	size_t found = SIZE_MAX, count = 0;

	for (size_t i = 0; i < x->n; i++) {
		const char *r = ward_json_str(x->v[i].annotations, OCI_ANN_REF_NAME);
		if (tag) {
			if (r && strcmp(r, tag) == 0)
				found = i; /* the last one wins, as in skopeo */
		} else if (is_image_entry(&x->v[i])) {
			found = i;
			count++;
		}
		if (r && names.len < 300)
			ward_buf_printf(&names, "%s%s", names.len ? ", " : "", r);
	}
	if (tag && found == SIZE_MAX) {
		ward_err(WARD_EINPUT, "%s: no image tagged \"%s\" (tags: %s)", img->path, tag,
			 names.len ? ward_buf_cstr(&names) : "none");
		goto fail;
	}
	if (!tag && count != 1) {
		ward_err(WARD_EINPUT, "%s: %s; name one as %s:TAG (tags: %s)", img->path,
			 count ? "holds several images" : "holds no image", img->path,
			 names.len ? ward_buf_cstr(&names) : "none");
		goto fail;
	}
	*out = found;
	ward_buf_free(&names);
	return 0;
fail:
	ward_buf_free(&names);
	return -1;
}

static int
layer_type_ok(const char *mt)
{
	static const char *const ok[] = {
		OCI_MT_LAYER,
		OCI_MT_LAYER_GZIP,
		OCI_MT_LAYER_ZSTD,
		DOCKER_MT_LAYER,
		DOCKER_MT_LAYER_GZIP,
		"application/vnd.oci.image.layer.nondistributable.v1.tar",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
		"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++)
		if (strcmp(mt, ok[i]) == 0)
			return 1;
	return 0;
}

static int
compression_of(const char *mt)
{
	if (ward_str_endswith(mt, "gzip"))
		return OCI_COMPRESS_GZIP;
	if (ward_str_endswith(mt, "zstd"))
		return OCI_COMPRESS_ZSTD;
	return OCI_COMPRESS_NONE;
}

/* Config + layers, shared by both OCI kinds and docker-archive. */
static int
load_config(struct oci_image *img, const struct ward_buf *b, const char *what)
{
	if (oci_config_parse(b->data, b->len, what, &img->limits, &img->cfg) != 0)
		return -1;
	if (img->cfg.ndiff_ids != img->nlayers)
		return ward_err(WARD_EINPUT, "%s: %zu layers but %zu diff_ids in the config",
				img->path, img->nlayers, img->cfg.ndiff_ids);
	for (size_t i = 0; i < img->nlayers; i++)
		memcpy(img->layers[i].diff_id, img->cfg.diff_ids[i], OCI_DIGEST_LEN + 1);
	return 0;
}

static int
open_oci(struct oci_image *img, const char *tag, const char *platform)
{
	struct oci_source *s = img->src;
	struct oci_index x = {0};
	struct ward_buf b = {0};
	struct oci_descriptor d;
	char what[300], host[64];
	size_t pick;
	int rc = -1;

	if (s->kind == OCI_KIND_LAYOUT) {
		char *p = ward_path_join(s->dir, "index.json");
		if (p == NULL)
			return -1;
		rc = ward_file_readx(p, WARD_IN_NOFOLLOW, img->limits.max_json, &b);
		free(p);
		if (rc != 0)
			return -1;
		rc = -1;
	} else if (read_member(img, "index.json", &b) != 0) {
		return -1;
	}
	snprintf(what, sizeof(what), "%s: index.json", img->path);
	if (oci_index_parse(b.data, b.len, what, &img->limits, &x) != 0)
		goto out;
	if (pick_entry(img, &x, tag, &pick) != 0)
		goto out;
	d = x.v[pick];
	d.annotations = NULL;
	for (size_t i = 0; i < x.n; i++) {
		const char *r = ward_json_str(x.v[i].annotations, OCI_ANN_REF_NAME);
		if (r && strcmp(x.v[i].digest, d.digest) == 0 &&
		    !ward_strv_contains(&img->tags, r) && ward_strv_push(&img->tags, r) != 0)
			goto out;
	}
	if (!platform) {
		host_platform(host);
		platform = host;
	}
	/* A multi-platform index: descend to the manifest for the platform. */
	for (int depth = 0;
	     !strcmp(d.media_type, OCI_MT_INDEX) || !strcmp(d.media_type, DOCKER_MT_LIST);
	     depth++) {
		struct oci_index sub = {0};
		size_t match = SIZE_MAX, n = 0;
		if (depth == MAX_NESTED_INDEX) {
			ward_err(WARD_EINPUT, "%s: image indexes nested too deeply", img->path);
			goto out;
		}
		b.len = 0;
		snprintf(what, sizeof(what), "%s: index %s", img->path, d.digest);
		if (read_desc(img, &d, &b) != 0 ||
		    oci_index_parse(b.data, b.len, what, &img->limits, &sub) != 0)
			goto out;
		for (size_t i = 0; i < sub.n; i++)
			if (is_image_entry(&sub.v[i])) {
				n++;
				if (strncmp(sub.platform[i], platform, strlen(platform)) == 0 &&
				    match == SIZE_MAX)
					match = i;
			}
		if (match == SIZE_MAX && n == 1)
			for (size_t i = 0; i < sub.n; i++)
				if (is_image_entry(&sub.v[i]))
					match = i;
		if (match == SIZE_MAX) {
			oci_index_free(&sub);
			ward_err(WARD_EINPUT, "%s: no image for platform %s", img->path, platform);
			goto out;
		}
		d = sub.v[match];
		d.annotations = NULL;
		oci_index_free(&sub);
	}
	img->manifest = d;
	b.len = 0;
	snprintf(what, sizeof(what), "%s: manifest %s", img->path, d.digest);
	if (read_desc(img, &d, &b) != 0 ||
	    oci_manifest_parse(b.data, b.len, what, &img->limits, &img->mf) != 0)
		goto out;
	img->config = img->mf.config;
	img->nlayers = img->mf.nlayers;
	if (img->nlayers > 0 &&
	    (img->layers = ward_calloc(img->nlayers, sizeof(*img->layers))) == NULL)
		goto out;
	for (size_t i = 0; i < img->nlayers; i++) {
		if (!layer_type_ok(img->mf.layers[i].media_type)) {
			ward_err(WARD_EINPUT, "%s: layer %s has media type %s, not an image layer",
				 img->path, img->mf.layers[i].digest, img->mf.layers[i].media_type);
			goto out;
		}
		img->layers[i].blob = img->mf.layers[i];
		img->layers[i].compression = compression_of(img->mf.layers[i].media_type);
	}
	b.len = 0;
	snprintf(what, sizeof(what), "%s: config %s", img->path, img->config.digest);
	if (read_desc(img, &img->config, &b) != 0 || load_config(img, &b, what) != 0)
		goto out;
	rc = 0;
out:
	oci_index_free(&x);
	ward_buf_free(&b);
	return rc;
}

/* RepoTags are written many ways ("x:1", "docker.io/library/x:1",
 * "localhost/x:1"); compare without the default prefixes. */
static const char *
short_ref(const char *r)
{
	static const char *const prefixes[] = {"docker.io/library/", "docker.io/", "localhost/"};

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(*prefixes); i++)
		if (strncmp(r, prefixes[i], strlen(prefixes[i])) == 0)
			return r + strlen(prefixes[i]);
	return r;
}

static int
tag_matches(const char *want, const char *have)
{
	const char *w = short_ref(want), *h = short_ref(have);
	const char *slash = strrchr(w, '/');
	size_t wl = strlen(w);

	if (strcmp(w, h) == 0)
		return 1;
	/* "name" means "name:latest" */
	if (strchr(slash ? slash + 1 : w, ':') != NULL)
		return 0;
	return strncmp(w, h, wl) == 0 && strcmp(h + wl, ":latest") == 0;
}

static int
open_docker(struct oci_image *img, const char *tag)
{
	struct oci_source *s = img->src;
	struct docker_manifest m = {0};
	struct ward_buf b = {0};
	struct docker_manifest_image *e = NULL;
	uint8_t sha[SHA256_LEN];
	char what[300];
	int rc = -1;

	if (read_member(img, "manifest.json", &b) != 0)
		return -1;
	snprintf(what, sizeof(what), "%s: manifest.json", img->path);
	if (docker_manifest_parse(b.data, b.len, what, &img->limits, &m) != 0)
		goto out;
	if (tag && tag[0] == '@') {
		char *end;
		unsigned long k = strtoul(tag + 1, &end, 10);
		if (tag[1] == '\0' || *end != '\0' || k >= m.n) {
			ward_err(WARD_EINPUT, "%s: no image %s (the archive holds %zu)", img->path,
				 tag, m.n);
			goto out;
		}
		e = &m.v[k];
	} else if (tag) {
		for (size_t i = 0; i < m.n && !e; i++)
			for (size_t k = 0; k < m.v[i].repo_tags.n; k++)
				if (tag_matches(tag, m.v[i].repo_tags.v[k])) {
					e = &m.v[i];
					break;
				}
		if (e == NULL) {
			ward_err(WARD_EINPUT, "%s: no image tagged \"%s\"", img->path, tag);
			goto out;
		}
	} else if (m.n != 1) {
		ward_err(WARD_EINPUT, "%s: holds %zu images; name one as %s:NAME:TAG or %s:@N",
			 img->path, m.n, img->path, img->path);
		goto out;
	} else {
		e = &m.v[0];
	}
	for (size_t k = 0; k < e->repo_tags.n; k++)
		if (ward_strv_push(&img->tags, e->repo_tags.v[k]) != 0)
			goto out;
	s->docker_config = find_member(&s->idx, e->config);
	if (s->docker_config == NULL || s->docker_config->type != OCI_ENTRY_FILE) {
		ward_err(WARD_EINPUT, "%s: config %s is missing from the archive", img->path,
			 e->config);
		goto out;
	}
	b.len = 0;
	if (read_member(img, e->config, &b) != 0)
		goto out;
	sha256(b.data, b.len, sha);
	oci_digest_format(sha, img->config.digest);
	snprintf(img->config.media_type, sizeof(img->config.media_type), "%s", DOCKER_MT_CONFIG);
	img->config.size = b.len;
	img->nlayers = e->layers.n;
	if (img->nlayers > 0 &&
	    ((img->layers = ward_calloc(img->nlayers, sizeof(*img->layers))) == NULL ||
	     (s->docker_layers = ward_calloc(img->nlayers, sizeof(*s->docker_layers))) == NULL))
		goto out;
	for (size_t i = 0; i < img->nlayers; i++) {
		const struct tar_member *lm = find_member(&s->idx, e->layers.v[i]);
		unsigned char head[4] = {0};
		struct blob_stream bs = {.fd = s->fd};
		if (lm == NULL || lm->type != OCI_ENTRY_FILE) {
			ward_err(WARD_EINPUT, "%s: layer %s is missing from the archive", img->path,
				 e->layers.v[i]);
			goto out;
		}
		s->docker_layers[i] = lm;
		bs.start = lm->offset;
		bs.len = lm->size;
		if (lm->size >= 4 && blob_stream_read(&bs, head, 4) != 4)
			goto out;
		img->layers[i].compression = oci_sniff_compression(head, sizeof(head));
		snprintf(img->layers[i].blob.media_type, sizeof(img->layers[i].blob.media_type),
			 "%s",
			 img->layers[i].compression == OCI_COMPRESS_GZIP   ? DOCKER_MT_LAYER_GZIP
			 : img->layers[i].compression == OCI_COMPRESS_ZSTD ? OCI_MT_LAYER_ZSTD
									   : DOCKER_MT_LAYER);
		img->layers[i].blob.size = lm->size;
	}
	snprintf(what, sizeof(what), "%s: config %s", img->path, e->config);
	if (load_config(img, &b, what) != 0)
		goto out;
	rc = 0;
out:
	docker_manifest_free(&m);
	ward_buf_free(&b);
	return rc;
}

struct oci_image *
oci_image_open(const char *ref, const struct oci_open_opts *o)
{
	struct oci_image *img = ward_calloc(1, sizeof(*img));
	struct oci_source *s;
	struct stat st;
	char *tag = NULL;
	int forced = 0;

	if (img == NULL)
		return NULL;
	if (o && o->limits)
		img->limits = *o->limits;
	else
		oci_limits_default(&img->limits);
	if ((s = img->src = ward_calloc(1, sizeof(*s))) == NULL)
		goto fail;
	s->fd = -1;
	if (ward_str_startswith(ref, "oci:"))
		forced = OCI_KIND_LAYOUT, ref += 4;
	else if (ward_str_startswith(ref, "oci-archive:"))
		forced = OCI_KIND_OCI_ARCHIVE, ref += 12;
	else if (ward_str_startswith(ref, "docker-archive:"))
		forced = OCI_KIND_DOCKER_ARCHIVE, ref += 15;
	if (split_ref(ref, &img->path, &tag) != 0)
		goto fail;
	if (tag && (img->ref = ward_strdup(tag)) == NULL)
		goto fail;
	if (stat(img->path, &st) != 0) {
		ward_err_io(img->path, "cannot open image");
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		char *marker = ward_path_join(img->path, "oci-layout");
		int is_layout = marker && access(marker, F_OK) == 0;
		free(marker);
		if (!is_layout || (forced && forced != OCI_KIND_LAYOUT)) {
			ward_err(WARD_EINPUT, "%s: not an OCI layout (no oci-layout file)",
				 img->path);
			goto fail;
		}
		s->kind = OCI_KIND_LAYOUT;
		if ((s->dir = ward_strdup(img->path)) == NULL)
			goto fail;
	} else if (S_ISREG(st.st_mode)) {
		char what[300];
		if (forced == OCI_KIND_LAYOUT) {
			ward_err(WARD_EINPUT, "%s: not an OCI layout directory", img->path);
			goto fail;
		}
		if ((s->fd = ward_input_open(img->path, 0, NULL)) < 0)
			goto fail;
		snprintf(what, sizeof(what), "%s", img->path);
		if (tar_index_fd(s->fd, what, &img->limits, &s->idx) != 0)
			goto fail;
		if (forced)
			s->kind = forced;
		else if (tar_index_find(&s->idx, "index.json") &&
			 tar_index_find(&s->idx, "oci-layout"))
			s->kind = OCI_KIND_OCI_ARCHIVE;
		else if (tar_index_find(&s->idx, "manifest.json"))
			s->kind = OCI_KIND_DOCKER_ARCHIVE;
		else {
			ward_err(WARD_EINPUT,
				 "%s: neither a docker-archive (no manifest.json) nor an "
				 "oci-archive (no index.json)",
				 img->path);
			goto fail;
		}
	} else {
		/* a FIFO, a device, a socket: named as such, never opened to block */
		int fd = ward_input_open(img->path, 0, NULL);
		if (fd >= 0) { /* it changed under us */
			close(fd);
			ward_err(WARD_EINPUT, "%s: not a directory or a regular file", img->path);
		}
		goto fail;
	}
	img->kind = s->kind;
	if ((s->kind == OCI_KIND_DOCKER_ARCHIVE ? open_docker(img, tag)
						: open_oci(img, tag, o ? o->platform : NULL)) != 0)
		goto fail;
	if (img->ref == NULL && img->tags.n == 1 &&
	    (img->ref = ward_strdup(img->tags.v[0])) == NULL)
		goto fail;
	free(tag);
	return img;
fail:
	free(tag);
	oci_image_close(img);
	return NULL;
}
