/* sbom_internal.h: pieces shared by the files of lib/sbom. */
#ifndef WARD_SBOM_INTERNAL_H
#define WARD_SBOM_INTERNAL_H

#include "sbom/sbom.h"

/* Size limits for metadata read from an image (untrusted input). */
#define SBOM_MAX_META (64u << 20)    /* dpkg status, RECORD, .list */
#define SBOM_MAX_SMALL (8u << 20)    /* METADATA, copyright, model.sig */
#define SBOM_MAX_ELF (1024ull << 20) /* ELF files read for their dynamic section */

/* ---- fileset.c */

/* fileset_walk(dir, fs, xdev): index every entry below dir (not hashed). */
int fileset_walk(const char *dir, struct sbom_fileset *fs);
/* fileset_hash(fs, threads, progress, bytes): SHA-256 of every regular file. */
int fileset_hash(struct sbom_fileset *fs, int threads, struct ward_progress *progress,
		 uint64_t *bytes);
void fileset_free(struct sbom_fileset *fs);
/* fileset_norm(path): strip a leading "/" and "./"; borrowed pointer. */
const char *fileset_norm(const char *path);
/* fileset_clean(path): lexically normalised copy ("a/./b/../c" -> "a/c",
 * leading '/' dropped); NULL when it climbs above the root.  Caller frees. */
char *fileset_clean(const char *path);
/* fileset_lower_bound(fs, prefix): first index whose path is >= prefix. */
size_t fileset_lower_bound(const struct sbom_fileset *fs, const char *prefix);
/* fileset_is_elf(fs, i): 1 when regular file i starts with the ELF magic. */
int fileset_is_elf(const struct sbom_fileset *fs, size_t i);
/* fileset_content_path(fs, i): a path where file i's contents can be read
 * (the file itself, or its copy fetched from an image); caller frees; NULL
 * with an error when not available (see fileset_fetch). */
char *fileset_content_path(const struct sbom_fileset *fs, size_t i);
/* fileset_fetch(fs, idx, n): make the contents of files idx[] readable
 * through fileset_content_path (a pass over the image's layers that hold
 * them; nothing to do for a directory). */
int fileset_fetch(struct sbom_fileset *fs, const size_t *idx, size_t n);
/* The image side of a fileset (image.c). */
void fileset_image_free(struct sbom_fileset *fs);
int fileset_image_is_elf(const struct sbom_fileset *fs, size_t i);
int fileset_image_read(const struct sbom_fileset *fs, size_t i, size_t max, struct ward_buf *out);
char *fileset_image_content_path(const struct sbom_fileset *fs, size_t i);
int fileset_image_fetch(struct sbom_fileset *fs, const size_t *idx, size_t n);
/* Regular file index of path resolved inside the root (following symlinks). */
ssize_t fileset_regular(const struct sbom_fileset *fs, const char *path);

/* ---- hashpipe.c: SHA-256 of a stream of files on a second thread */
#define HASHPIPE_CHUNK (1u << 20)
struct hashpipe;
struct hashpipe *hashpipe_new(void);
/* hashpipe_buffer(p): the next buffer (HASHPIPE_CHUNK bytes) to fill;
 * blocks while the worker still hashes it. */
unsigned char *hashpipe_buffer(struct hashpipe *p);
/* hashpipe_push(p, len, end): hand that buffer over; end = the file is
 * complete (a zero-length push with end for an empty file). */
void hashpipe_push(struct hashpipe *p, size_t len, int end_of_file);
/* hashpipe_finish(p, digests, n): wait for the worker; one digest per file
 * in order (caller frees *digests); frees p. */
int hashpipe_finish(struct hashpipe *p, uint8_t (**digests)[SHA256_LEN], size_t *n);
void hashpipe_free(struct hashpipe *p);

/* ---- catalog.c: building a catalog */

struct sbom_component *catalog_add(struct sbom_catalog *c, int kind, const char *name,
				   const char *version);
/* catalog_claim(c, comp, file): comp owns file unless another component
 * already does (then counts.shared grows).  1 when claimed, 0 if not. */
int catalog_claim(struct sbom_catalog *c, size_t comp, size_t file);
/* catalog_claim_path: resolve the directories of path, then claim it;
 * a path that does not exist is ignored. */
int catalog_claim_path(struct sbom_catalog *c, size_t comp, const char *path);
int catalog_prop(struct sbom_component *comp, const char *name, const char *value);
int catalog_dep(struct sbom_component *comp, size_t dep);
/* catalog_dep_append: the same, for a dep the caller knows is not there yet
 * (no scan: callers with many deps keep their own marks). */
int catalog_dep_append(struct sbom_component *comp, size_t dep);
void catalog_warn(struct sbom_catalog *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- catalogers */
int catalog_dpkg(struct sbom_catalog *c);
int catalog_python(struct sbom_catalog *c);
int catalog_models(struct sbom_catalog *c);
int catalog_elf(struct sbom_catalog *c);
int catalog_ward_init(struct sbom_catalog *c);
/* catalog_model_checksums: SHA-1 of signed model files (for SPDX). */
int catalog_model_checksums(struct sbom_catalog *c);
/* catalog_run(c): every cataloger on c->fs, then order, refs, counts. */
int catalog_run(struct sbom_catalog *c);
/* After the catalogers: dpkg Depends and Python Requires-Dist to edges. */
int catalog_dpkg_deps(struct sbom_catalog *c);
int catalog_python_deps(struct sbom_catalog *c);

/* ---- license.c */

/* spdx_id_lookup(name, exception): the canonical spelling of a known SPDX
 * license (exception = 0) or exception (1) id, case-insensitive, or NULL. */
const char *spdx_id_lookup(const char *name, int exception);
/* license_set(l, declared, concluded, source): fill l (copies). */
int license_set(struct sbom_license *l, const char *declared, const char *concluded,
		const char *source);
/* license_normalize(expr, allow_refs, known): expr with canonical ids,
 * upper-case operators and single spaces (deprecated GNU ids in their
 * -only/-or-later form), or NULL when it is not a valid SPDX expression.
 * *known (may be NULL) is 1 when it holds no LicenseRef.  Caller frees. */
char *license_normalize(const char *expr, int allow_refs, int *known);
/* license_ref_for(raw): "LicenseRef-<raw, sanitised>", caller frees. */
char *license_ref_for(const char *raw);
/* license_add_text(l, ref, text): record the text behind a LicenseRef. */
int license_add_text(struct sbom_license *l, const char *ref, const char *text);
/* license_is_single_id(expr): 1 when expr is one license id (no operator). */
int license_is_single_id(const char *expr);

/* ---- spdx_ids.c (generated from the SPDX list in the CycloneDX schema) */
struct spdx_id {
	const char *id;
	unsigned char exception;
	unsigned char deprecated;
};
extern const struct spdx_id spdx_ids[];
extern const size_t spdx_ids_count;

/* ---- purl.c */
char *purl_deb(const char *os_id, const char *name, const char *version, const char *arch,
	       const char *distro);
char *purl_pypi(const char *name, const char *version);
char *purl_oci(const char *name, const char *digest, const char *repository_url, const char *tag);
char *purl_generic(const char *name, const char *version, const char *checksum);

/* ---- uuid (writers.c) */
/* uuid_v5(name, out): an RFC 4122 name-based (SHA-1) UUID in ward's namespace. */
void sbom_uuid_v5(const char *name, char out[37]);
/* The timestamp every output carries: catalog epoch as RFC 3339. */
void sbom_timestamp(const struct sbom_catalog *c, char out[32]);

#endif
