/*
 * oci: image I/O.  Deterministic tar writer, deterministic parallel
 * gzip/zstd, content-addressed blobs, OCI image layouts (write and update),
 * docker-archive export, and readers for ANY image — an OCI layout
 * ("DIR", "DIR:tag"), an oci-archive tar or a docker-archive tar — that
 * verify every blob they hand out, apply whiteouts, list the merged file
 * system and unpack it safely.  Errors follow core.h: malformed input is
 * WARD_EINPUT, a digest or size that does not match is WARD_EVERIFY, I/O
 * trouble is WARD_EENV; messages name the image and the blob or entry.
 *
 * Writing an image (what `ward build` does):
 *
 *	struct oci_layout *l = oci_layout_create("out/img");
 *	struct oci_layer_writer *lw = oci_layer_writer_new(oci_layout_blobs_dir(l), &comp, epoch);
 *	struct tar_writer *t = oci_layer_writer_tar(lw);
 *	tar_write_dir(t, "etc", &meta); tar_write_file_path(t, "etc/x", &meta, "/src/x"); ...
 *	oci_layer_writer_finish(lw, &layer);            -> blob digest + diff_id
 *	oci_layout_write_image(l, &spec, "latest", &manifest);
 *	oci_layout_commit(l);                           -> "out/img" appears whole
 *
 * Reading one:
 *
 *	struct oci_image *img = oci_image_open("out/img:latest", NULL);
 *	img->manifest.digest, img->cfg.user, img->cfg.root (the config JSON),
 *	img->layers[i].blob / .diff_id ...
 *	oci_image_list(img, &fs);             merged file list, no unpacking
 *	oci_image_scan(img, &fs, fn, ctx);    same, plus every entry's contents
 *	oci_image_unpack(img, "rootfs", NULL);
 *	oci_image_close(img);
 *
 * Atomicity.  A NEW layout (oci_layout_create) is built in a temporary
 * sibling directory and appears at its path in one rename (ward_dir_commit),
 * replacing any previous layout there as a whole: an interrupted build
 * leaves the previous layout (or nothing) at the path, never a partial one.
 * An EXISTING layout updated in place (oci_layout_open: adding signatures,
 * attestations, tags) gets its blobs first, each written to a temporary
 * name and renamed to its digest, and index.json last by rename: readers
 * see the old index or the new one, and the only debris of an interruption
 * is unreferenced blobs.  The two schemes differ because an update must keep
 * everything already in the layout (a whole-tree copy per signature would
 * be absurd), while a build must not leave stale blobs behind.  What a
 * SIGKILLed run leaves (the "<path>.tmp-<pid>-<n>" tree, hidden
 * "blobs/sha256/.tmp-*" files) is never at the layout's path, and the next
 * run over the same path removes it once that pid is gone.
 *
 * Determinism.  Tar entries carry one mtime (SOURCE_DATE_EPOCH), the
 * uid/gid/uname/gname given, no atime/ctime, USTAR headers with PAX records
 * only when a field does not fit; gzip output is independent of the thread
 * count (independent 1 MiB blocks primed with the previous 32 KiB); zstd
 * always runs libzstd's multi-threaded mode with a fixed job size, whose
 * output does not depend on the number of workers; JSON keys come in a
 * fixed order (the image-spec's field order, maps sorted), compact.
 * Reproducibility across machines assumes the same zlib/libzstd versions.
 *
 * Threads.  An object is used by one thread at a time; distinct objects
 * may be used concurrently, and so may layer readers of distinct layers of
 * one opened image (oci_image_verify does that).  The compressors start
 * their own worker threads.
 */
#ifndef WARD_OCI_H
#define WARD_OCI_H

#include <stdint.h>
#include <sys/types.h>

#include "core/core.h"

/* ------------------------------------------------------------ constants */

#define OCI_MT_INDEX "application/vnd.oci.image.index.v1+json"
#define OCI_MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define OCI_MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define OCI_MT_LAYER "application/vnd.oci.image.layer.v1.tar"
#define OCI_MT_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define OCI_MT_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define OCI_MT_EMPTY "application/vnd.oci.empty.v1+json"
#define DOCKER_MT_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define DOCKER_MT_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define DOCKER_MT_CONFIG "application/vnd.docker.container.image.v1+json"
#define DOCKER_MT_LAYER "application/vnd.docker.image.rootfs.diff.tar"
#define DOCKER_MT_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"

#define OCI_ANN_REF_NAME "org.opencontainers.image.ref.name"
#define OCI_ANN_CREATED "org.opencontainers.image.created"
#define OCI_ANN_SOURCE "org.opencontainers.image.source"
#define OCI_ANN_REVISION "org.opencontainers.image.revision"
#define OCI_ANN_VERSION "org.opencontainers.image.version"
#define OCI_ANN_TITLE "org.opencontainers.image.title"
#define OCI_ANN_BASE_DIGEST "org.opencontainers.image.base.digest"
#define OCI_ANN_BASE_NAME "org.opencontainers.image.base.name"

/* The empty config / empty blob "{}" (OCI 1.1 artifacts). */
#define OCI_EMPTY_JSON "{}"
#define OCI_EMPTY_DIGEST "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"

#define OCI_DIGEST_LEN 71      /* "sha256:" + 64 lowercase hex */
#define OCI_MEDIA_TYPE_MAX 255 /* RFC 6838: 127 + "/" + 127 */

/* ------------------------------------------------------------ digests */

/* oci_digest_check(d, what): 0 when d is "sha256:<64 lowercase hex>", else
 * -1 (WARD_EINPUT naming what; other algorithms are reported unsupported). */
int oci_digest_check(const char *d, const char *what);
/* oci_digest_format(sha, out): "sha256:<hex>" into out[OCI_DIGEST_LEN+1]. */
void oci_digest_format(const uint8_t sha[32], char out[OCI_DIGEST_LEN + 1]);
/* oci_digest_hex(d): the 64 hex digits of a checked digest (points into d). */
const char *oci_digest_hex(const char *d);

/* ------------------------------------------------------------ descriptors */

/*
 * A content descriptor.  annotations is never owned by the struct: in
 * descriptors handed out by this part it is borrowed from the object that
 * returned them (valid while that object lives); in descriptors passed in,
 * it is borrowed for the duration of the call (the callee copies it).
 */
struct oci_descriptor {
	char media_type[OCI_MEDIA_TYPE_MAX + 1];
	char digest[OCI_DIGEST_LEN + 1];
	uint64_t size;
	char artifact_type[OCI_MEDIA_TYPE_MAX + 1]; /* "" when none */
	json_t *annotations;			    /* NULL or an object */
};

/* oci_descriptor_json(d): {"mediaType","artifactType"?,"digest","size",
 * "annotations"?} with annotations sorted by key.  Caller json_decref()s. */
json_t *oci_descriptor_json(const struct oci_descriptor *d);
/* oci_descriptor_from_json(j, out, what): parse and validate (media type,
 * digest, size >= 0); out->annotations borrows from j. */
int oci_descriptor_from_json(const json_t *j, struct oci_descriptor *out, const char *what);

/* ------------------------------------------------------------ tar writer */

/* Output of the tar writer and the compressors: return 0 or -1 (error set). */
typedef int (*oci_sink_fn)(void *ctx, const void *p, size_t n);

/* Normalised metadata of one entry.  mtime is the writer's, not per entry. */
struct tar_meta {
	uint32_t mode; /* permission bits incl. setuid/setgid/sticky (07777) */
	uint64_t uid, gid;
	const char *uname; /* NULL or "" writes an empty name */
	const char *gname;
};

struct tar_writer;

/* tar_writer_new(sink, ctx, mtime): a tar stream to sink where every entry
 * has modification time mtime (SOURCE_DATE_EPOCH).  Entries must be added
 * in tar_path_cmp order, each path once; paths are clean relative paths
 * (ward_relpath_ok), written without "./" and with "/" after directories.
 * Caller tar_writer_free()s. */
struct tar_writer *tar_writer_new(oci_sink_fn sink, void *ctx, int64_t mtime);
int tar_write_dir(struct tar_writer *w, const char *path, const struct tar_meta *m);
int tar_write_file(struct tar_writer *w, const char *path, const struct tar_meta *m,
		   const void *data, size_t len);
/* tar_write_file_path: contents of the regular file src (not followed if a
 * symlink); a file that changes size while read is an error. */
int tar_write_file_path(struct tar_writer *w, const char *path, const struct tar_meta *m,
			const char *src);
/* tar_write_file_cb: exactly size bytes produced by read(ctx, buf, n), which
 * returns bytes written into buf (> 0), or -1 with the error recorded. */
int tar_write_file_cb(struct tar_writer *w, const char *path, const struct tar_meta *m,
		      uint64_t size, ssize_t (*read)(void *ctx, void *buf, size_t n), void *ctx);
int tar_write_symlink(struct tar_writer *w, const char *path, const struct tar_meta *m,
		      const char *target);
/* tar_write_hardlink: typeflag '1' naming target, an entry already written. */
int tar_write_hardlink(struct tar_writer *w, const char *path, const struct tar_meta *m,
		       const char *target);
/* tar_write_whiteout(w, path, m): deletes path of lower layers
 * (writes "<dir>/.wh.<name>"); it counts as an entry for the ordering
 * rule under the name actually written. */
int tar_write_whiteout(struct tar_writer *w, const char *path, const struct tar_meta *m);
/* tar_writer_finish(w): the two zero blocks that end the archive. */
int tar_writer_finish(struct tar_writer *w);
/* Bytes written so far (the uncompressed layer size after finish). */
uint64_t tar_writer_size(const struct tar_writer *w);
void tar_writer_free(struct tar_writer *w);

/* tar_path_cmp(a, b): the order of entries in ward's tars: bytewise, with
 * '/' ranking below every other byte, so a directory comes before its
 * contents and its contents are contiguous (a depth-first walk in bytewise
 * order; GNU tar --sort=name gives the same order). */
int tar_path_cmp(const char *a, const char *b);
/* tar_sort_strv(sv): sort paths in tar_path_cmp order. */
void tar_sort_strv(struct ward_strv *sv);

/* Packing a directory tree (tests, `ward image pack`). */
struct tar_tree_opts {
	const char *prefix; /* path inside the tar for root's contents; NULL = top */
	int keep_owner;	    /* 0: uid/gid/uname/gname from below; 1: from disk, no names */
	uint64_t uid, gid;
	const char *uname, *gname;
};
/* tar_write_tree(w, root, o): every entry below root, sorted, with hard
 * links (same inode) as typeflag '1'.  Sockets and devices are refused. */
int tar_write_tree(struct tar_writer *w, const char *root, const struct tar_tree_opts *o);

/* ------------------------------------------------------------ compression */

enum oci_compression { OCI_COMPRESS_NONE = 0, OCI_COMPRESS_GZIP, OCI_COMPRESS_ZSTD };

struct oci_compress_opts {
	int compression; /* enum oci_compression */
	int level;	 /* 0 = default (gzip 6, zstd 3) */
	int threads;	 /* 0 = online CPUs; never changes the output */
};

/* A streaming compressor writing to sink.  Gzip: header 1f8b 0800 00000000
 * 00 ff, 1 MiB blocks each primed with the previous 32 KiB and sync-flushed,
 * Z_FINISH on the last.  Caller oci_compressor_free()s. */
struct oci_compressor;
struct oci_compressor *oci_compressor_new(const struct oci_compress_opts *o, oci_sink_fn sink,
					  void *ctx);
int oci_compressor_write(struct oci_compressor *c, const void *p, size_t n);
int oci_compressor_finish(struct oci_compressor *c); /* end of stream */
void oci_compressor_free(struct oci_compressor *c);
/* "gzip", "zstd", "none" <-> enum; -1 with WARD_EINPUT when unknown. */
int oci_compression_parse(const char *name);
const char *oci_compression_name(int compression);
/* The OCI layer media type for a compression. */
const char *oci_layer_media_type(int compression);

/* ------------------------------------------------------------ blobs */

/* A content-addressed directory: BLOBS/sha256/<hex> (LAYOUT/blobs for an
 * OCI layout).  Blobs are written under a temporary name and renamed to
 * their digest; an existing blob is kept (same name, same bytes). */
struct oci_blob_writer;
struct oci_blob_writer *oci_blob_writer_new(const char *blobs_dir);
int oci_blob_writer_write(struct oci_blob_writer *bw, const void *p, size_t n);
/* Commit under the digest of what was written; fills digest and size.
 * Frees bw in every case. */
int oci_blob_writer_commit(struct oci_blob_writer *bw, char digest[OCI_DIGEST_LEN + 1],
			   uint64_t *size);
void oci_blob_writer_abort(struct oci_blob_writer *bw);
/* oci_blob_put(blobs_dir, p, n, digest): a whole blob from memory. */
int oci_blob_put(const char *blobs_dir, const void *p, size_t n, char digest[OCI_DIGEST_LEN + 1]);
/* oci_blob_path(blobs_dir, digest): "blobs_dir/sha256/<hex>"; caller frees. */
char *oci_blob_path(const char *blobs_dir, const char *digest);
/* oci_blob_import(blobs_dir, src, digest, verify): place the file src (e.g.
 * from a layer cache) as blob digest by hard link, else by copy; with
 * verify, src is hashed first and a mismatch is WARD_EVERIFY. */
int oci_blob_import(const char *blobs_dir, const char *src, const char *digest, int verify);

/* ------------------------------------------------------------ layers */

/* A written layer: the blob (compressed) and the uncompressed tar. */
struct oci_layer_desc {
	struct oci_descriptor blob;	  /* media type, digest, size; no annotations */
	char diff_id[OCI_DIGEST_LEN + 1]; /* sha256 of the uncompressed tar */
	uint64_t tar_size;
};

/* oci_layer_writer_new(blobs_dir, c, mtime): a layer written as a blob
 * into blobs_dir while its tar (tar_writer with mtime) is produced; both
 * digests are computed on the way.  Caller finishes or aborts it. */
struct oci_layer_writer;
struct oci_layer_writer *oci_layer_writer_new(const char *blobs_dir,
					      const struct oci_compress_opts *c, int64_t mtime);
/* The tar writer to add entries to (borrowed; do not finish or free it). */
struct tar_writer *oci_layer_writer_tar(struct oci_layer_writer *lw);
/* Finish the tar, flush the compressor, commit the blob.  Frees lw. */
int oci_layer_writer_finish(struct oci_layer_writer *lw, struct oci_layer_desc *out);
void oci_layer_writer_abort(struct oci_layer_writer *lw);

/* ------------------------------------------------------------ image JSON */

struct oci_history {
	const char *created_by; /* NULL: omitted */
	const char *comment;	/* NULL: omitted */
	int empty_layer;	/* 1: no layer for this step */
};

/* What goes into an image config and manifest.  Every pointer is borrowed;
 * NULL or empty fields are omitted from the JSON. */
struct oci_image_spec {
	int64_t created;	       /* config.created, history[].created */
	const char *architecture, *os; /* NULL: "amd64", "linux" */
	const char *variant;
	const char *user, *workdir, *stop_signal;
	const struct ward_strv *env; /* "KEY=value" */
	const struct ward_strv *entrypoint;
	const struct ward_strv *cmd;
	const struct ward_strv *ports; /* "8080/tcp" */
	const struct ward_strv *volumes;
	const json_t *labels; /* object of strings (sorted on output) */
	const struct oci_layer_desc *layers;
	size_t nlayers;
	const struct oci_history *history; /* NULL: one entry per layer */
	size_t nhistory;		   /* non-empty entries must equal nlayers */
	const json_t *annotations;	   /* manifest annotations (sorted) */
};

/* oci_config_build(s): the image config; caller json_decref()s. */
json_t *oci_config_build(const struct oci_image_spec *s);

/* A manifest; media_type NULL = OCI image manifest.  For OCI 1.1 artifacts
 * (signatures, attestations) set artifact_type and subject and use the
 * empty config (OCI_MT_EMPTY, OCI_EMPTY_DIGEST, size 2). */
struct oci_manifest_spec {
	const char *media_type;
	const char *artifact_type;
	const struct oci_descriptor *config;
	const struct oci_descriptor *layers;
	size_t nlayers;
	const struct oci_descriptor *subject;
	const json_t *annotations;
};
/* oci_manifest_build(m): caller json_decref()s. */
json_t *oci_manifest_build(const struct oci_manifest_spec *m);
/* oci_json_bytes(j, out): the canonical compact bytes written for j (what
 * gets hashed).  Caller frees. */
char *oci_json_bytes(const json_t *j);
/* oci_annotations_created(a, t): set org.opencontainers.image.created to
 * RFC 3339 t in object a. */
int oci_annotations_created(json_t *a, int64_t t);

/* ------------------------------------------------------------ layouts */

struct oci_layout;

/* oci_layout_create(path): a new, empty layout built in a temporary sibling
 * of path and made visible by oci_layout_commit(), replacing what was
 * there.  Refuses a path that exists and is neither a layout nor an empty
 * directory (so a mistyped path never wipes a home directory). */
struct oci_layout *oci_layout_create(const char *path);
/* oci_layout_open(path): an existing layout to read or update in place
 * (index.json and oci-layout checked). */
struct oci_layout *oci_layout_open(const char *path);
/* The blobs directory to hand to oci_layer_writer_new/oci_blob_* (borrowed). */
const char *oci_layout_blobs_dir(const struct oci_layout *l);
/* Store bytes or JSON (oci_json_bytes) as a blob; out gets media type,
 * digest and size (annotations NULL). */
int oci_layout_put_blob(struct oci_layout *l, const void *p, size_t n, const char *media_type,
			struct oci_descriptor *out);
int oci_layout_put_json(struct oci_layout *l, const json_t *j, const char *media_type,
			struct oci_descriptor *out);
/* oci_layout_read_blob(l, d, max, out): read and verify (size, digest) a
 * blob into out (appended, NUL-terminated). */
int oci_layout_read_blob(struct oci_layout *l, const struct oci_descriptor *d, size_t max,
			 struct ward_buf *out);
/* oci_layout_add(l, d, tag): add manifest d to index.json (its annotations
 * and artifactType copied).  With tag, the entry gets ref.name = tag and the
 * tag is taken from any other entry; an entry with the same digest and the
 * same annotations is not duplicated. */
int oci_layout_add(struct oci_layout *l, const struct oci_descriptor *d, const char *tag);
/* oci_layout_untag(l, tag): drop the index entry carrying tag (0 if none). */
int oci_layout_untag(struct oci_layout *l, const char *tag);
/* oci_layout_remove(l, digest): drop every index entry for digest (0 if
 * none); the blobs stay (re-signing replaces signature manifests). */
int oci_layout_remove(struct oci_layout *l, const char *digest);
/* The index entries, in index.json order (borrowed, valid until the next
 * change to l). */
size_t oci_layout_count(const struct oci_layout *l);
const struct oci_descriptor *oci_layout_entry(const struct oci_layout *l, size_t i);
/* oci_layout_find(l, tag): the entry tagged tag, or NULL (no error set). */
const struct oci_descriptor *oci_layout_find(const struct oci_layout *l, const char *tag);
/* oci_layout_write_image(l, s, tag, manifest): config + manifest blobs from
 * s (layers must already be in l's blobs) and the index entry. */
int oci_layout_write_image(struct oci_layout *l, const struct oci_image_spec *s, const char *tag,
			   struct oci_descriptor *manifest);
/* oci_layout_commit(l): write oci-layout and index.json (and for a created
 * layout move it into place).  Frees l in every case. */
int oci_layout_commit(struct oci_layout *l);
/* oci_layout_abort(l): forget the changes (a created layout's temporary
 * tree is removed; blobs already put in an opened layout stay). */
void oci_layout_abort(struct oci_layout *l);

/* ------------------------------------------------------------ parsing */

/* Limits against hostile input; oci_limits_default() fills sane values. */
struct oci_limits {
	uint64_t max_json;    /* index/manifest/config/manifest.json bytes (8 MiB) */
	uint64_t max_layers;  /* per image (1024) */
	uint64_t max_index;   /* index.json entries / manifest.json images (65536) */
	uint64_t max_entries; /* tar entries per layer / per archive (4M) */
	uint64_t max_path;    /* bytes of an entry path or link target (4096) */
	uint64_t max_file;    /* one entry's size (64 GiB) */
	uint64_t max_total;   /* uncompressed bytes per layer (256 GiB) */
};
void oci_limits_default(struct oci_limits *l);

/* An image index (index.json): manifests[] parsed; strings borrow root. */
struct oci_index {
	json_t *root; /* owned */
	struct oci_descriptor *v;
	char (*platform)[64]; /* "os/arch[/variant]" per entry, "" if none */
	size_t n;
};
int oci_index_parse(const void *p, size_t n, const char *what, const struct oci_limits *lim,
		    struct oci_index *out);
void oci_index_free(struct oci_index *x);

/* An image manifest (OCI or Docker schema 2). */
struct oci_manifest {
	json_t *root; /* owned */
	char media_type[OCI_MEDIA_TYPE_MAX + 1];
	char artifact_type[OCI_MEDIA_TYPE_MAX + 1];
	struct oci_descriptor config;
	struct oci_descriptor *layers;
	size_t nlayers;
	int has_subject;
	struct oci_descriptor subject;
	json_t *annotations; /* borrowed from root, or NULL */
};
int oci_manifest_parse(const void *p, size_t n, const char *what, const struct oci_limits *lim,
		       struct oci_manifest *out);
void oci_manifest_free(struct oci_manifest *m);

/* The fields of an image config that callers look at; strings borrow root. */
struct oci_config {
	json_t *root; /* owned */
	const char *created, *architecture, *os, *variant;
	const char *user, *workdir, *stop_signal;
	struct ward_strv env, entrypoint, cmd, ports, volumes; /* copies */
	json_t *labels;					       /* borrowed object or NULL */
	json_t *healthcheck; /* Docker's Healthcheck object or NULL */
	char (*diff_ids)[OCI_DIGEST_LEN + 1];
	size_t ndiff_ids;
	json_t *history; /* borrowed array or NULL */
};
int oci_config_parse(const void *p, size_t n, const char *what, const struct oci_limits *lim,
		     struct oci_config *out);
void oci_config_free(struct oci_config *c);

/* docker-archive manifest.json: [{"Config","RepoTags","Layers"}, ...]. */
struct docker_manifest_image {
	char *config; /* member path */
	struct ward_strv repo_tags;
	struct ward_strv layers; /* member paths */
};
struct docker_manifest {
	struct docker_manifest_image *v;
	size_t n;
};
int docker_manifest_parse(const void *p, size_t n, const char *what, const struct oci_limits *lim,
			  struct docker_manifest *out);
void docker_manifest_free(struct docker_manifest *m);

/* oci_path_normalize(in, out, max, what): the clean relative form of a tar
 * member name ("./a//b/" -> "a/b", "/" and "./" -> "").  A ".." component
 * is an error (WARD_EINPUT: the entry would leave the root). */
int oci_path_normalize(const char *in, char **out, size_t max, const char *what);

/* ------------------------------------------------------------ tar archives */

/* The members of an uncompressed tar file, for random access (how images
 * inside docker-archive and oci-archive files are read).  USTAR, PAX and
 * GNU long names are understood; names are normalised like oci_entry
 * paths and members with unsafe names are left out.  A later member of the
 * same name replaces an earlier one. */
struct tar_member {
	char *name;
	int type;	 /* enum oci_entry_type */
	uint64_t offset; /* of the data in the file */
	uint64_t size;
	char *link; /* NULL unless a link */
};
struct tar_index {
	struct tar_member *v; /* sorted by name (strcmp) */
	size_t n;
};
/* tar_index_fd(fd, what, lim, out): scan the file open on fd (headers
 * only; data is skipped).  Truncation, a bad checksum or a size beyond the
 * end of the file is an error naming what and the offset. */
int tar_index_fd(int fd, const char *what, const struct oci_limits *lim, struct tar_index *out);
int tar_index_mem(const void *p, size_t n, const char *what, const struct oci_limits *lim,
		  struct tar_index *out);
/* tar_index_find(x, name): the member or NULL (no error set). */
const struct tar_member *tar_index_find(const struct tar_index *x, const char *name);
void tar_index_free(struct tar_index *x);

/* ------------------------------------------------------------ reading images */

enum oci_image_kind { OCI_KIND_LAYOUT = 1, OCI_KIND_OCI_ARCHIVE, OCI_KIND_DOCKER_ARCHIVE };

struct oci_open_opts {
	const struct oci_limits *limits; /* NULL: defaults */
	const char *platform;		 /* "linux/amd64" for multi-platform indexes;
					    NULL: the host's */
};

struct oci_layer_info {
	/* OCI: the manifest's descriptor.  docker-archive: media type from the
	 * sniffed compression, size of the member, digest "" until the layer
	 * has been read once (the archive does not record it). */
	struct oci_descriptor blob;
	char diff_id[OCI_DIGEST_LEN + 1]; /* from the config */
	int compression;		  /* sniffed from the bytes */
};

/*
 * An opened image.  Every field is read-only for callers and lives until
 * oci_image_close().  Blobs are verified when read: manifest and config at
 * open, layers as they are streamed (digest of the blob and diff_id of the
 * uncompressed tar).
 */
struct oci_image {
	int kind;			/* enum oci_image_kind */
	char *path;			/* the layout directory or archive file */
	char *ref;			/* the tag asked for or found, or NULL */
	struct ward_strv tags;		/* every ref.name / RepoTag of this image */
	struct oci_descriptor manifest; /* docker-archive: all zero (no manifest) */
	struct oci_manifest mf;		/* docker-archive: zero */
	struct oci_descriptor config;	/* docker-archive: digest of the config = image ID */
	struct oci_config cfg;
	size_t nlayers;
	struct oci_layer_info *layers;
	struct oci_limits limits;
	struct oci_source *src; /* private */
};

/* oci_image_open(ref, o): ref is an OCI layout "DIR" or "DIR:tag", an
 * oci-archive or docker-archive tar "FILE" or "FILE:tag" (docker-archive:
 * a RepoTag such as "name:tag", or "@N" for the N-th image), optionally
 * prefixed "oci:", "oci-archive:" or "docker-archive:".  Without a tag the
 * archive or layout must hold exactly one image (cosign signature and
 * attestation entries, and OCI 1.1 artifacts, are not images).  Caller
 * oci_image_close()s. */
struct oci_image *oci_image_open(const char *ref, const struct oci_open_opts *o);
void oci_image_close(struct oci_image *img);
/* oci_image_kind_name(kind): "oci", "oci-archive", "docker-archive". */
const char *oci_image_kind_name(int kind);
/* oci_image_read_blob(img, d, max, out): any blob of the image by
 * descriptor (digest and size verified), appended to out. */
int oci_image_read_blob(struct oci_image *img, const struct oci_descriptor *d, size_t max,
			struct ward_buf *out);
/* oci_image_verify(img, threads, progress): read every layer to the end,
 * checking blob digests, sizes and diff_ids, on up to threads threads. */
int oci_image_verify(struct oci_image *img, int threads, struct ward_progress *progress);

/* ------------------------------------------------------------ layer entries */

enum oci_entry_type {
	OCI_ENTRY_FILE = 1,
	OCI_ENTRY_DIR,
	OCI_ENTRY_SYMLINK,
	OCI_ENTRY_HARDLINK,
	OCI_ENTRY_CHAR,
	OCI_ENTRY_BLOCK,
	OCI_ENTRY_FIFO,
	OCI_ENTRY_WHITEOUT, /* path = the deleted path (the ".wh." stripped) */
	OCI_ENTRY_OPAQUE,   /* path = the directory whose lower contents vanish */
};
/* "file", "dir", "symlink", "hardlink", "char", "block", "fifo", ... */
const char *oci_entry_type_name(int type);

/* One tar entry, normalised: path and link are clean relative paths (no
 * "./", no "/" at either end, no "." or ".." components); an entry whose
 * name would leave the root is an error, not skipped. */
struct oci_entry {
	const char *path;
	int type;
	uint32_t mode; /* permission bits (07777) */
	uint64_t uid, gid;
	const char *uname, *gname; /* "" when absent */
	uint64_t size;		   /* regular files */
	int64_t mtime;
	const char *link; /* symlink target (as stored) or hard link target path */
	uint32_t devmajor, devminor;
	int caps;	  /* 1: carries a security.capability xattr */
	uint64_t ordinal; /* position in the layer, from 0 */
};

struct oci_layer_reader;
/* oci_layer_open(img, i): stream layer i (decompressed by sniffing gzip,
 * zstd or plain).  Caller oci_layer_close()s. */
struct oci_layer_reader *oci_layer_open(struct oci_image *img, size_t i);
/* oci_layer_open_mem(p, n, what, lim): a layer blob in memory (no digests
 * to check; for tests and fuzzing).  p must outlive the reader. */
struct oci_layer_reader *oci_layer_open_mem(const void *p, size_t n, const char *what,
					    const struct oci_limits *lim);
/* oci_layer_next(r, e): 1 with *e the next entry (valid until the next
 * call), 0 at the end of the layer once its digests have been checked,
 * -1 on error.  Entries seen before an error must be discarded. */
int oci_layer_next(struct oci_layer_reader *r, const struct oci_entry **e);
/* oci_layer_read(r, buf, n): contents of the current regular file; 0 at
 * its end, -1 on error. */
ssize_t oci_layer_read(struct oci_layer_reader *r, void *buf, size_t n);
void oci_layer_close(struct oci_layer_reader *r);

/* ------------------------------------------------------------ merged view */

/* One path of the image's final file system (after whiteouts). */
struct oci_fs_entry {
	char *path; /* owned by the oci_fs */
	int type;   /* enum oci_entry_type, never WHITEOUT/OPAQUE */
	uint32_t mode;
	uint64_t uid, gid, size;
	int64_t mtime;
	char *link; /* NULL unless symlink or hard link */
	uint32_t devmajor, devminor;
	uint32_t layer;	  /* index of the layer it comes from */
	uint64_t ordinal; /* its position in that layer */
	int implicit;	  /* 1: a parent directory no layer listed */
	int caps;
};

/* The merged file list, sorted in tar_path_cmp order.  Zero-initialise. */
struct oci_fs {
	struct oci_fs_entry *v;
	size_t n, cap;
	uint64_t limit; /* max entries (0: 4M) */
};
/* oci_fs_apply_layer(fs, r, layer): read a whole layer and merge it over
 * fs: its whiteouts and opaque markers hide lower entries (never entries
 * of the same layer), a non-directory replaces a directory and everything
 * under it. */
int oci_fs_apply_layer(struct oci_fs *fs, struct oci_layer_reader *r, uint32_t layer);
/* oci_image_list(img, fs): every layer applied in order (fs empty before). */
int oci_image_list(struct oci_image *img, struct oci_fs *fs);
/* oci_fs_find(fs, path): the entry or NULL. */
const struct oci_fs_entry *oci_fs_find(const struct oci_fs *fs, const char *path);
void oci_fs_free(struct oci_fs *fs);

/* oci_image_walk(img, fs, fn, ctx): visit each entry of fs (made by
 * oci_image_list on the same image) that a layer lists, in layer order
 * then tar order, with the layer reader positioned on it so fn can
 * oci_layer_read() a regular file's contents.  fn returns 0 to go on, -1
 * to stop with its error.  Implicit directories are not visited. */
typedef int (*oci_walk_fn)(void *ctx, const struct oci_fs_entry *e,
			   struct oci_layer_reader *content);
int oci_image_walk(struct oci_image *img, const struct oci_fs *fs, oci_walk_fn fn, void *ctx);
/* oci_image_scan(img, fs, fn, ctx): one pass that builds fs (as
 * oci_image_list) while visiting EVERY entry of every layer in order —
 * including ones a later layer replaces, and whiteouts (type WHITEOUT /
 * OPAQUE, path resolved) — with the path resolved as in fs and the layer
 * reader positioned on it.  Cheaper than list + walk when few files are
 * replaced.  fn may be NULL. */
int oci_image_scan(struct oci_image *img, struct oci_fs *fs, oci_walk_fn fn, void *ctx);

/* ------------------------------------------------------------ unpack */

struct oci_unpack_opts {
	int owners;  /* -1: when running as root (default), 0: never, 1: always */
	int devices; /* 1: create device nodes (root only); else skipped */
	int replace; /* 1: a non-empty dir may be replaced */
	struct ward_progress *progress;
};
/* oci_image_unpack(img, dir, o): the merged root file system into dir,
 * built beside it and moved into place whole (a non-empty dir only with
 * replace; never a file).  Nothing is ever written
 * outside dir: symlinks in the image resolve inside it (as in a chroot),
 * hard links must name entries inside it.  Without owners, setuid/setgid
 * bits are dropped. */
int oci_image_unpack(struct oci_image *img, const char *dir, const struct oci_unpack_opts *o);

/* ------------------------------------------------------------ docker-archive */

struct oci_docker_archive_opts {
	const struct ward_strv *repo_tags; /* "name:tag"; NULL: none */
	int64_t mtime;			   /* of the tar entries */
};
/* oci_docker_archive_write(img, path, o): img (any kind) as a docker-archive
 * tar (manifest.json, config and layer blobs as blobs/sha256/<hex>),
 * written atomically.  zstd layers are refused (docker-archive readers do
 * not accept them); gzip and plain layers are copied as they are. */
int oci_docker_archive_write(struct oci_image *img, const char *path,
			     const struct oci_docker_archive_opts *o);

#endif
