/* oms_internal.h: pieces shared by oms.c and oms_walk.c. */
#ifndef WARD_OMS_INTERNAL_H
#define WARD_OMS_INTERNAL_H

#include "oms/oms.h"

struct oms_file {
	char *rel;  /* POSIX path relative to the model, "." for a single file */
	char *path; /* path to open */
	uint64_t size;
};

struct oms_job {
	char *name;	     /* resource name: rel, or "rel:start:end" */
	struct hash_job job; /* job.path borrowed from the oms_file */
};

/* Component-wise path order, as the reference signer sorts. */
int oms_path_cmp(const char *a, const char *b);

/* oms_ignores(model, is_file, sig_path, extra, recorded, out): every path to
 * leave out, relative to the model: the defaults, the signature file, the
 * user's paths and those recorded in a manifest (a JSON array or NULL). */
int oms_ignores(const char *model, int is_file, const char *sig_path, const struct ward_strv *extra,
		const json_t *recorded, struct ward_strv *out);

/* oms_walk: regular files of model, sorted; a single file is named ".". */
int oms_walk(const char *model, const struct ward_strv *ignores, int allow_symlinks,
	     struct oms_file **files, size_t *n, int *is_file);
void oms_files_free(struct oms_file *files, size_t n);

int oms_make_jobs(const struct oms_file *files, size_t n, int method, uint64_t shard_size,
		  struct oms_job **jobs, size_t *njobs);
int oms_hash_jobs(struct oms_job *jobs, size_t n, int threads, struct ward_progress *progress,
		  struct hasher_stats *stats);
void oms_jobs_free(struct oms_job *jobs, size_t n);

#endif
