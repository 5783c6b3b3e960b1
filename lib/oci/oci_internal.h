/* oci_internal.h: pieces shared by the files of lib/oci (not public). */
#ifndef WARD_OCI_INTERNAL_H
#define WARD_OCI_INTERNAL_H

#include "oci/oci.h"

/* A compressor is a small vtable over gzip, zstd or a pass-through. */
struct oci_compressor {
	oci_sink_fn sink;
	void *ctx;
	void *impl;
	int (*write)(void *impl, const void *p, size_t n);
	int (*finish)(void *impl);
	void (*free)(void *impl);
	int finished;
};

int gz_compressor_init(struct oci_compressor *c, int level, int threads);
int zstd_compressor_init(struct oci_compressor *c, int level, int threads);

/* Threads to use: o->threads, or the online CPUs when 0. */
int oci_threads(int threads);

/* json_t helpers for deterministic output. */
json_t *oci_sorted_object_copy(const json_t *obj, const char *what);

#endif

/* ------------------------------------------------------------ image sources */

/* Where an opened image's bytes live. */
struct oci_source {
	int kind;
	char *dir;				 /* OCI layout directory */
	int fd;					 /* archive file, or -1 */
	struct tar_index idx;			 /* archive members */
	const struct tar_member **docker_layers; /* docker-archive: member per layer */
	const struct tar_member *docker_config;
};

/* A byte range of a file (a layout blob, or a member of an archive), or of
 * memory, read sequentially. */
struct blob_stream {
	int fd;
	int own_fd;
	const unsigned char *mem;
	uint64_t start, len, pos;
};
ssize_t blob_stream_read(struct blob_stream *bs, void *buf, size_t n);
void blob_stream_close(struct blob_stream *bs);

/* source_open_layer(img, i, bs): the stored bytes of layer i; the size
 * is checked against the descriptor. */
int source_open_layer(struct oci_image *img, size_t i, struct blob_stream *bs);
/* source_open_digest(img, d, bs): a blob by descriptor (size checked). */
int source_open_digest(struct oci_image *img, const struct oci_descriptor *d,
		       struct blob_stream *bs);
void source_free(struct oci_source *s);

/* oci_path_clamp(s): "a/b/../c" -> "a/c" with ".." stopping at the root
 * (how a path resolves inside a chroot); caller frees. */
char *oci_path_clamp(const char *s);

/* Compression from the first bytes of a blob. */
int oci_sniff_compression(const unsigned char *p, size_t n);

/* ------------------------------------------------------------ merging layers */

/* The state of applying one layer over the merged file list (fs.c). */
struct merge {
	struct oci_fs *fs; /* the lower layers, sorted */
	uint32_t layer;
	struct oci_fs_entry *add; /* this layer's entries, resolved, in tar order */
	size_t nadd, capadd;
	struct ward_strv wh;	 /* paths whited out by this layer */
	struct ward_strv opq;	 /* directories made opaque ("" = the root) */
	struct ward_strmap seen; /* path -> index in add (latest) */
	struct ward_strmap whmap, opqmap;
	const char *what;
};
void merge_begin(struct merge *m, struct oci_fs *fs, uint32_t layer, const char *what);
/* merge_entry(m, e, out): resolve e's path through symlinks of the merged
 * tree (inside the root) and record it; *out is a copy of the recorded
 * entry (strings owned by m, valid until merge_end). */
int merge_entry(struct merge *m, const struct oci_entry *e, struct oci_fs_entry *out);
/* merge_added(m, path): 1 when this layer itself put path there. */
int merge_added(const struct merge *m, const char *path);
/* merge_end(m): apply the layer to m->fs; frees the state. */
int merge_end(struct merge *m);
void merge_abort(struct merge *m);
/* oci_layers_merge(img, fs, fn, ctx): every layer of img merged into fs,
 * in order, calling fn (if not NULL) for every entry as resolved, with the
 * layer's merge state m (merge_added) and the reader positioned on it;
 * fn returns 0 to go on, -1 to stop.  The one loop behind oci_image_scan
 * and oci_image_unpack. */
typedef int (*oci_merge_fn)(void *ctx, struct merge *m, const struct oci_fs_entry *e,
			    struct oci_layer_reader *r);
int oci_layers_merge(struct oci_image *img, struct oci_fs *fs, oci_merge_fn fn, void *ctx);
