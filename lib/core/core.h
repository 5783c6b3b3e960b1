/*
 * core: the conventions every part of libward shares.
 *
 * Errors.  A function that fails returns -1 (or NULL) after recording the
 * reason exactly once, where it was detected, with ward_err().  The reason is
 * a one-line message that names the file or object and what is wrong, and a
 * kind that the CLI turns into its exit code.  Nothing in the library prints
 * an error or calls exit().
 *
 * Ownership.  Every function that returns allocated memory says who frees it.
 * foo_free(NULL) is always a no-op.  Secrets are wiped with ward_wipe().
 *
 * Output.  Files are written to a temporary name in the same directory and
 * renamed into place (ward_atomic_*), so an interrupted run never leaves a
 * half-written output behind.
 */
#ifndef WARD_CORE_H
#define WARD_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include <jansson.h>

/* ---------------------------------------------------------------- errors */

/* Error kinds double as the CLI's documented exit codes. */
enum ward_kind {
	WARD_OK = 0,
	WARD_EVERIFY = 1, /* verification failed, findings */
	WARD_EINPUT = 2,  /* usage or bad input */
	WARD_EENV = 3,	  /* environment: I/O, memory, missing tool, full disk */
};

/* ward_err(kind, fmt, ...): record the reason for a failure; returns -1.
 * Control characters, C1 controls and bytes that are not UTF-8 in the
 * formatted message are escaped (ward_escape), so a name from a package,
 * an image or a registry can never move the cursor, clear the screen or
 * forge a second line of output.  The same holds for ward_log(). */
int ward_err(int kind, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* ward_errno(kind, fmt, ...): like ward_err, appending ": strerror(errno)". */
int ward_errno(int kind, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* ward_err_io(path, what): record an I/O error on path; ENOSPC, EIO, EACCES
 * and the like are WARD_EENV, ENOENT/ENOTDIR/EISDIR are WARD_EINPUT.  -1. */
int ward_err_io(const char *path, const char *what);
/* The last recorded error of this thread (never NULL; "" when none). */
const char *ward_errmsg(void);
int ward_errkind(void);
void ward_err_clear(void);

/* Errors recorded in worker threads are carried back by value. */
struct ward_error {
	int kind;
	char msg[512];
};
void ward_err_save(struct ward_error *e);
int ward_err_restore(const struct ward_error *e); /* returns -1 */

/* ward_escape(s, n, out, size): the n bytes of s as printable text into
 * out (always NUL-terminated, cut at a character boundary when out is
 * too small): \n \t \r \e and \xNN for other C0 controls, DEL, C1
 * controls and bytes that are not valid UTF-8; everything else as is.
 * Returns the length written. */
size_t ward_escape(const char *s, size_t n, char *out, size_t size);
/* ward_escape_dup(s): ward_escape of a NUL-terminated string, allocated
 * (caller frees); NULL when out of memory. */
char *ward_escape_dup(const char *s);
/* ward_str_or_none(s): s, or "(none)" for NULL: for %s of optional
 * fields that printf would print as "(null)". */
const char *ward_str_or_none(const char *s);

/* ---------------------------------------------------------------- memory */

/* Allocation failure is recorded as WARD_EENV and returns NULL. */
void *ward_malloc(size_t n);
void *ward_calloc(size_t n, size_t size);
void *ward_realloc(void *p, size_t n);
char *ward_strdup(const char *s);
char *ward_strndup(const char *s, size_t n);
/* ward_asprintf: returns a malloc'd string the caller frees, or NULL. */
char *ward_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Wipe a secret so the compiler cannot drop the write. */
void ward_wipe(void *p, size_t n);
/* ward_reallocarray(p, n, size): realloc to n * size bytes, failing (with
 * WARD_EENV recorded, p untouched) when the product overflows. */
void *ward_reallocarray(void *p, size_t n, size_t size);

/* Growable arrays.  ward_vec_reserve(&v, &cap, need, sizeof(*v)): make
 * room for at least need elements in the array v (capacity *cap, in
 * elements), growing it geometrically; every size is overflow-checked.
 * 0, or -1 with WARD_EENV recorded and v/cap untouched.  v may be NULL
 * with cap 0.  Usage:
 *     if (ward_vec_reserve(&a->v, &a->cap, a->n + 1, sizeof(*a->v)) != 0)
 *             return -1;
 *     a->v[a->n++] = x;
 */
int ward_vec_reserve(void *vp, size_t *cap, size_t need, size_t elem);
/* ward_vec_grow(&v, n, sizeof(*v)): room for one more element in an array
 * of n elements that no other function ever (re)allocates: the capacity
 * is implied by n (8, then powers of two), so no cap field is needed.
 *     if (ward_vec_grow(&r->v, r->n, sizeof(*r->v)) != 0)
 *             return -1;
 *     r->v[r->n++] = x; */
int ward_vec_grow(void *vp, size_t n, size_t elem);
/* ward_qsort(base, n, size, cmp), ward_qsort_r(..., arg): qsort for arrays
 * that may be empty (base NULL, n 0): ward_qsort(NULL, 0, ...) is undefined
 * behaviour (UBSan stops the sanitizer build); these do nothing then. */
void ward_qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
void ward_qsort_r(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *, void *),
		  void *arg);

/* A growable byte buffer.  Zero-initialise; ward_buf_free() releases it.
 * Errors are sticky: once an append fails (out of memory, too large),
 * every later append is refused too and ward_buf_cstr(), ward_buf_steal()
 * and ward_buf_check() fail, so a text built by many appends whose
 * results were not checked one by one can never come out truncated:
 * check once, at the end, with any of those three.  ward_buf_puts(b,
 * NULL) fails b (NULL being the result of a failed step, e.g. the
 * ward_buf_cstr() of another failed buffer), so failures propagate. */
struct ward_buf {
	unsigned char *data;
	size_t len;
	size_t cap;
	int failed; /* sticky: an append failed */
};
int ward_buf_reserve(struct ward_buf *b, size_t extra);
int ward_buf_append(struct ward_buf *b, const void *p, size_t n);
int ward_buf_puts(struct ward_buf *b, const char *s);
int ward_buf_printf(struct ward_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* ward_buf_cstr: NUL-terminate (not counted in len) and return the data;
 * NULL (error recorded) when an earlier append failed. */
char *ward_buf_cstr(struct ward_buf *b);
/* ward_buf_steal: hand the (NUL-terminated) data to the caller, who frees
 * it; NULL (error recorded, buffer freed) when an earlier append failed. */
char *ward_buf_steal(struct ward_buf *b);
/* ward_buf_check: 0, or -1 (WARD_EENV recorded) when an append failed. */
int ward_buf_check(const struct ward_buf *b);
void ward_buf_free(struct ward_buf *b);
void ward_buf_wipe(struct ward_buf *b); /* for secrets: wipe, then free */

/* A vector of owned strings, NULL-terminated.  Zero-initialise;
 * ward_strv_free() releases.  Errors are sticky as for ward_buf: check
 * once with ward_strv_check() before using a vector built by pushes whose
 * results were not checked. */
struct ward_strv {
	char **v;
	size_t n;
	size_t cap;
	int failed; /* sticky: a push failed */
};
int ward_strv_push(struct ward_strv *sv, const char *s); /* copies s */
int ward_strv_push_owned(struct ward_strv *sv, char *s); /* takes s (NULL: fails) */
/* ward_strv_pushf(sv, fmt, ...): push a formatted message (warnings,
 * evidence, problems).  -1 with WARD_EENV when memory runs out. */
int ward_strv_pushf(struct ward_strv *sv, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int ward_strv_vpushf(struct ward_strv *sv, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
int ward_strv_check(const struct ward_strv *sv);
int ward_strv_contains(const struct ward_strv *sv, const char *s);
void ward_strv_sort(struct ward_strv *sv); /* bytewise */
void ward_strv_free(struct ward_strv *sv);

/* An open-addressing map from borrowed NUL-terminated keys to size_t
 * (strmap.c), seeded per process so untrusted keys cannot be made to
 * collide.  Zero-initialise; keys must outlive the map.  put replaces the
 * value of an existing key; get: 1 and *val (val may be NULL) when
 * present, else 0. */
struct ward_strmap {
	const char **keys;
	size_t *vals;
	size_t n, cap;
};
int ward_strmap_put(struct ward_strmap *m, const char *key, size_t val);
int ward_strmap_get(const struct ward_strmap *m, const char *key, size_t *val);
void ward_strmap_clear(struct ward_strmap *m);
void ward_strmap_free(struct ward_strmap *m);

/* ---------------------------------------------------------------- text */

/* Lowercase hex of n bytes into out (2n+1 bytes). */
void ward_hex(const void *p, size_t n, char *out);
/* Parse exactly n bytes of hex; -1 (WARD_EINPUT, naming what) if invalid. */
int ward_unhex(const char *hex, void *out, size_t n, const char *what);
int ward_str_endswith(const char *s, const char *suffix);
int ward_str_startswith(const char *s, const char *prefix);

/* ---------------------------------------------------------------- files */

/* Inputs.  Every file ward reads that someone else wrote is opened by
 * ward_input_open(): O_NONBLOCK (a FIFO, a tty or a device named as an
 * input can never hang ward), O_NOFOLLOW at the last component unless a
 * link is expected there, then fstat must say "regular file".  Returns
 * the descriptor (blocking again, close-on-exec) with *st filled (st may
 * be NULL), or -1 with a one-line error naming what and what is wrong
 * ("is a FIFO, expected a regular file", "is a symbolic link ...").
 * what: the name for messages (NULL: path). */
#define WARD_IN_NOFOLLOW 1 /* inside a tree someone else made: no link expected */
int ward_input_open(const char *path, int flags, struct stat *st);
int ward_input_openat(int dirfd, const char *path, int flags, const char *what, struct stat *st);
/* ward_fd_read_all(fd, what, max, out): read to the end into out
 * (appended, NUL-terminated); more than max bytes is an input error.  On
 * failure out is left as it was (freed if it was unallocated), as for
 * ward_file_read: a failed read never leaks into the caller's buffer. */
int ward_fd_read_all(int fd, const char *what, size_t max, struct ward_buf *out);
/* ward_file_read(path, max, out): read a whole regular file of at most max
 * bytes into out (appended, NUL-terminated), opened by ward_input_open
 * (a symlink named by the user is followed).  Errors name the file.
 * ward_file_readx: the same with WARD_IN_* flags. */
int ward_file_read(const char *path, size_t max, struct ward_buf *out);
int ward_file_readx(const char *path, int flags, size_t max, struct ward_buf *out);
/* ward_fd_read(fd, p, n, path): read(2) retried on EINTR: bytes read, 0
 * at the end, or -1 with "<path>: read failed" recorded. */
ssize_t ward_fd_read(int fd, void *p, size_t n, const char *path);
/* ward_fd_write(fd, p, n, path): write all n bytes (retrying short writes
 * and EINTR); on failure records "<path>: write failed" (ENOSPC, EIO… as
 * an environment error) and returns -1. */
int ward_fd_write(int fd, const void *p, size_t n, const char *path);
/* Write a whole file atomically with the given mode. */
int ward_file_write(const char *path, const void *data, size_t len, mode_t mode);

/* Streaming atomic output: data goes to "<path>.tmp-<pid>-<n>" and only
 * ward_atomic_commit() (fsync + rename + directory fsync) makes it visible.
 * ward_atomic_abort() removes the temporary file; both free the handle.
 * An existing path that is not a regular file (/dev/null, /dev/stdout, a
 * FIFO) is written straight through instead: renaming would replace it. */
struct ward_atomic;
struct ward_atomic *ward_atomic_open(const char *path, mode_t mode);
int ward_atomic_write(struct ward_atomic *a, const void *p, size_t n);
int ward_atomic_commit(struct ward_atomic *a);
void ward_atomic_abort(struct ward_atomic *a);

/* Temporary names.  Outputs are written under "<path>.tmp-<pid>-<n>" and
 * renamed into place.  The writer holds an flock(2) on the temporary file
 * or directory for as long as it works on it, so ward_remove_stale() tells
 * the leftover of an interrupted run (nobody holds its lock) from the work
 * of a live run -- also of a run in another container on a shared volume,
 * where process ids say nothing.
 * ward_tmp_sibling(path): a fresh name beside path (caller frees).
 * ward_tmp_create(path, mode, &tmp): a new locked temporary file beside
 *   path, open for writing; the fd holds the lock (close it last).
 * ward_tmp_mkdir(path, &tmp): a new locked temporary directory (0700)
 *   beside path; returns an O_DIRECTORY fd that holds the lock.
 * ward_remove_stale(dir, prefix): remove the entries of dir named prefix*
 *   that no live writer holds locked (errors ignored, error state kept).
 * ward_remove_stale_siblings(path): ward_remove_stale for "<path>.tmp-". */
char *ward_tmp_sibling(const char *path);
int ward_tmp_create(const char *path, mode_t mode, char **tmp);
int ward_tmp_mkdir(const char *path, char **tmp);
void ward_remove_stale(const char *dir, const char *prefix);
void ward_remove_stale_siblings(const char *path);

/* Output directories (outdir.c).  Every command that writes a directory
 * goes through these, so none ever deletes or replaces a directory it did
 * not create.  ward_outdir_begin(path, own, mode, flags): path must be
 * missing, empty, or hold only names listed in own (NULL-terminated: the
 * names this kind of output consists of; own[0] is its marker, removed
 * first from a replaced tree), else WARD_EINPUT "refusing to replace";
 * WARD_OUTDIR_REPLACE (an explicit user opt-in such as --replace) accepts
 * any directory.  The caller fills ward_outdir_tmp() (a locked temporary
 * directory beside path); ward_outdir_commit() checks path again, makes
 * the tree appear at path whole with the given mode (rename, or exchange
 * then removal of the old tree) and frees the handle; ward_outdir_abort()
 * removes the temporary tree and frees (NULL is fine).
 * ward_outdir_check(path, own, flags): the same test alone. */
#define WARD_OUTDIR_REPLACE 1
struct ward_outdir;
struct ward_outdir *ward_outdir_begin(const char *path, const char *const *own, mode_t mode,
				      int flags);
const char *ward_outdir_tmp(const struct ward_outdir *o);
int ward_outdir_fd(const struct ward_outdir *o);
int ward_outdir_commit(struct ward_outdir *o);
void ward_outdir_abort(struct ward_outdir *o);
int ward_outdir_check(const char *path, const char *const *own, int flags);

int ward_mkdir_p(const char *path, mode_t mode);
/* ward_mkdtemp(parent, prefix): a new private directory
 * "<parent>/<prefix>-XXXXXX" (parent created 0700 when missing; NULL:
 * $TMPDIR, else /tmp); caller removes it and frees the name.  NULL with
 * the error recorded. */
char *ward_mkdtemp(const char *parent, const char *prefix);
/* Remove a tree; a missing path is not an error.  By descriptors, never
 * following a link (ward_remove_at); "/", "." and ".." are refused. */
int ward_rm_rf(const char *path);
/* ward_remove_at(dirfd, name, what): remove name in dirfd, recursively for
 * a directory, never following a link; what names it in messages. */
int ward_remove_at(int dirfd, const char *name, const char *what);
/* ward_self_exe(buf, size): the running binary's path (/proc/self/exe)
 * into buf; -1 with the error recorded. */
int ward_self_exe(char *buf, size_t size);
/* ward_path_join(a, b): "a/b", caller frees. */
char *ward_path_join(const char *a, const char *b);
/* ward_dirname(path), ward_basename(path): like dirname(3)/basename(3)
 * ("a/b/" -> "a", "b"; "b" -> ".", "b"; "/x" -> "/", "x"), allocated
 * (caller frees), path untouched. */
char *ward_dirname(const char *path);
char *ward_basename(const char *path);
/* ward_relpath_ok(rel): 1 when rel is a clean relative POSIX path (no leading
 * '/', no "." or ".." or empty components, no NUL), else 0. */
int ward_relpath_ok(const char *rel);
int ward_fsync_dir(const char *dir);

/* ---------------------------------------------------------------- trees */

/* A directory tree written and read only beneath its root (root.c): the
 * writer for untrusted content (the build's staging tree of .deb files,
 * wheels).  Every rel is a clean relative path (ward_relpath_ok: no "..",
 * no leading "/"); every parent is reached from the root's descriptor
 * without following any symlink (openat2 RESOLVE_BENEATH|NO_SYMLINKS,
 * else O_NOFOLLOW per component), so nothing a package, a wheel or a
 * program run in the tree put there can make ward write or read outside
 * it.  A symlink or a file where a parent directory should be is an
 * error (WARD_EINPUT, errno ELOOP or ENOTDIR kept for the caller).
 * Missing parents are created 0755.  Existing entries are never replaced
 * (errno EEXIST) unless WARD_ROOT_REPLACE (not for directories).
 * A handle may be shared by threads (no state changes after open).
 *
 * ward_root_open(dir, create): the root (made 0755 when create); NULL
 *   with the error recorded.  ward_root_close(NULL) is a no-op.
 * ward_root_mkdir(r, rel, mode): mkdir -p; an existing directory is fine.
 * ward_root_create(r, rel, mode, flags): a new regular file (O_EXCL,
 *   mode & 0777), open for writing; the caller closes it.
 * ward_root_write(r, rel, data, len, mode, flags): create and write.
 * ward_root_symlink(r, target, rel, flags): a symlink; target is stored
 *   as text, never resolved.
 * ward_root_link(r, existing, rel): a hard link to a regular file of the
 *   tree (both ends beneath the root).
 * ward_root_lstat(r, rel, st): lstat beneath the root.
 * ward_root_open_read(r, rel, st): a regular file for reading, opened as
 *   ward_input_openat(..., WARD_IN_NOFOLLOW).
 * ward_root_read(r, rel, max, out): its whole contents, appended to out.
 * ward_root_remove(r, rel): remove a file, link or tree; missing is 0. */
#define WARD_ROOT_REPLACE 1
struct ward_root;
struct ward_root *ward_root_open(const char *dir, int create);
void ward_root_close(struct ward_root *r);
const char *ward_root_path(const struct ward_root *r);
int ward_root_fd(const struct ward_root *r);
int ward_root_mkdir(struct ward_root *r, const char *rel, mode_t mode);
int ward_root_create(struct ward_root *r, const char *rel, mode_t mode, int flags);
int ward_root_write(struct ward_root *r, const char *rel, const void *data, size_t len, mode_t mode,
		    int flags);
int ward_root_symlink(struct ward_root *r, const char *target, const char *rel, int flags);
int ward_root_link(struct ward_root *r, const char *existing, const char *rel);
int ward_root_lstat(struct ward_root *r, const char *rel, struct stat *st);
int ward_root_open_read(struct ward_root *r, const char *rel, struct stat *st);
int ward_root_read(struct ward_root *r, const char *rel, size_t max, struct ward_buf *out);
int ward_root_remove(struct ward_root *r, const char *rel);

/* ---------------------------------------------------------------- logging */

enum ward_level { WARD_LOG_ERROR, WARD_LOG_WARN, WARD_LOG_INFO, WARD_LOG_DEBUG };
/* Messages at or below the level go to the sink (default: "ward: msg" on
 * stderr).  ward-init installs a JSON-lines sink. */
void ward_log_set_level(int level);
int ward_log_level(void);
void ward_log_set_sink(void (*sink)(int level, const char *msg));
void ward_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define ward_warn(...) ward_log(WARD_LOG_WARN, __VA_ARGS__)
#define ward_info(...) ward_log(WARD_LOG_INFO, __VA_ARGS__)
#define ward_debug(...) ward_log(WARD_LOG_DEBUG, __VA_ARGS__)

/* ---------------------------------------------------------------- progress */

/* A progress bar on stderr, drawn only when stderr is a TTY, logging is not
 * quiet, and the work has run for over a second.  Thread-safe; NULL is a
 * valid handle that does nothing. */
struct ward_progress;
struct ward_progress *ward_progress_new(const char *label, uint64_t total, int bytes);
void ward_progress_add(struct ward_progress *p, uint64_t n);
void ward_progress_set_total(struct ward_progress *p, uint64_t total);
void ward_progress_done(struct ward_progress *p); /* erases the line, frees */

/* ---------------------------------------------------------------- time */

uint64_t ward_now_ns(void); /* CLOCK_MONOTONIC */
/* RFC 3339 UTC "YYYY-MM-DDTHH:MM:SSZ" into out[32]. */
void ward_time_rfc3339(time_t t, char out[32]);
/* ward_source_date_epoch(out): SOURCE_DATE_EPOCH from the environment.
 * 1 and *out set when present, 0 when absent, -1 when malformed. */
int ward_source_date_epoch(time_t *out);
/* Online CPUs (at least 1). */
int ward_cpu_count(void);

/* ---------------------------------------------------------------- JSON */

/* Parse untrusted JSON (duplicate keys rejected); errors say what and where
 * ("what:line:col: message").  Caller json_decref()s the result. */
json_t *ward_json_loadb(const void *data, size_t len, const char *what);
json_t *ward_json_load_file(const char *path, size_t max);
/* Deterministic serialisation: keys in insertion order, compact (indent 0)
 * or pretty (indent 2), plus a trailing newline when pretty.  Caller frees. */
char *ward_json_dump(const json_t *j, int pretty);
/* Write JSON atomically (see ward_json_dump). */
int ward_json_write_file(const char *path, const json_t *j, int pretty);
/* Accessors that record a WARD_EINPUT error naming what/key when missing or
 * of the wrong type.  Returned pointers are borrowed from obj. */
const char *ward_json_req_str(const json_t *obj, const char *key, const char *what);
json_t *ward_json_req_array(const json_t *obj, const char *key, const char *what);
json_t *ward_json_req_object(const json_t *obj, const char *key, const char *what);
/* Optional string: NULL when missing or not a string. */
const char *ward_json_str(const json_t *obj, const char *key);
/* Builders (new references; NULL when out of memory): a JSON string, or
 * null for NULL; an array of the strings of sv, in order. */
json_t *ward_json_str_or_null(const char *s);
json_t *ward_json_strv(const struct ward_strv *sv);

/* ---------------------------------------------------------------- YAML */

/* A YAML document as a small tree of mappings, sequences and scalars, each
 * with its 1-based line:column, for configuration files such as ward.yaml.
 * Aliases, explicit tags (other than !!str), complex keys, duplicate keys
 * and more than one document are refused: configuration stays plain. */
enum ward_yaml_type { WARD_YAML_SCALAR = 1, WARD_YAML_SEQUENCE, WARD_YAML_MAPPING };

struct ward_yaml_pair {
	struct ward_yaml_node *key; /* always a scalar */
	struct ward_yaml_node *value;
};

struct ward_yaml_node {
	int type;
	size_t line, col;	       /* where the node starts, 1-based */
	const char *file;	       /* the document's name (owned by the root) */
	char *str;		       /* scalar text, NUL-terminated; else NULL */
	size_t len;		       /* scalar length (may hold NULs: then check) */
	int plain;		       /* unquoted scalar: may read as null/bool/int */
	struct ward_yaml_node **items; /* sequence items */
	struct ward_yaml_pair *pairs;  /* mapping entries, in document order */
	size_t n;		       /* number of items or pairs */
	size_t *sorted;		       /* mappings: pair indexes by key (ward_yaml_get) */
};

/* ward_yaml_load(data, len, what): parse one document (an empty input
 * gives a plain empty scalar).  Errors are WARD_EINPUT "what:line:col: ...".
 * Caller releases the root with ward_yaml_free(). */
struct ward_yaml_node *ward_yaml_load(const void *data, size_t len, const char *what);
void ward_yaml_free(struct ward_yaml_node *root);
/* ward_yaml_get(map, key): the value for key in a mapping, else NULL
 * (a binary search: O(log n)). */
const struct ward_yaml_node *ward_yaml_get(const struct ward_yaml_node *map, const char *key);
/* ward_yaml_error(n, fmt, ...): record WARD_EINPUT "file:line:col: msg"
 * at node n; returns -1. */
int ward_yaml_error(const struct ward_yaml_node *n, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "a mapping", "a sequence", "a string". */
const char *ward_yaml_type_name(int type);
/* Typed reads of a scalar; each records ward_yaml_error() when n is not
 * of that type.  ward_yaml_str refuses NUL bytes and null scalars. */
const char *ward_yaml_str(const struct ward_yaml_node *n);
int ward_yaml_bool(const struct ward_yaml_node *n, int *out);
int ward_yaml_int(const struct ward_yaml_node *n, long long *out);
/* ward_yaml_is_null(n): 1 for an unquoted "", "~" or "null". */
int ward_yaml_is_null(const struct ward_yaml_node *n);

#endif
