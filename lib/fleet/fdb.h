/*
 * fdb.h: the one storage interface lib/fleet talks to, with an SQLite and
 * a PostgreSQL (libpq) backend behind it.  Both run the same SQL text:
 * written with `?` placeholders (turned into $1, $2, ... for PostgreSQL),
 * standard types (BIGINT, INTEGER, TEXT) and ON CONFLICT; the only dialect
 * difference is SQLite's " WITHOUT ROWID" table option, dropped for
 * PostgreSQL, and the few locks PostgreSQL needs (fdb_lock).
 *
 * Statements are prepared once per connection and cached by their text.
 * At most one cursor is open at a time on a connection (PostgreSQL streams
 * a cursor's rows over the connection; SQLite is held to the same rule so
 * that both backends behave alike).  Errors follow core.h: -1 or NULL with
 * the reason recorded, naming the inventory.
 */
#ifndef WARD_FLEET_FDB_H
#define WARD_FLEET_FDB_H

#include <stdint.h>

#include "core/core.h"

enum fdb_kind { FDB_SQLITE = 1, FDB_PG };
enum fdb_type { FDB_NULL, FDB_INT, FDB_TEXT };

struct fdb_val {
	int type;
	int64_t i;
	const char *s;
};
static inline struct fdb_val
fv_int(int64_t i)
{
	struct fdb_val v = {FDB_INT, i, NULL};
	return v;
}
static inline struct fdb_val
fv_text(const char *s)
{
	struct fdb_val v = {s ? FDB_TEXT : FDB_NULL, 0, s};
	return v;
}

struct fdb;
struct fdb_cur;

/* fdb_is_uri(s): 1 when s names a PostgreSQL database (postgresql:// or
 * postgres://), 0 for a file path. */
int fdb_is_uri(const char *s);
/* fdb_open(target, create): connect to a PostgreSQL URI, or open the
 * SQLite file target (WAL journal; created only when create is set, else a
 * missing file is WARD_EINPUT).  fdb_close() releases it. */
struct fdb *fdb_open(const char *target, int create);
void fdb_close(struct fdb *db);
int fdb_kind(const struct fdb *db);
/* The inventory as shown in messages (a URI's password is never shown). */
const char *fdb_name(const struct fdb *db);

/* fdb_exec(db, sql): one or more statements without parameters or rows
 * (schema changes). */
int fdb_exec(struct fdb *db, const char *sql);
/* fdb_run(db, sql, p, n): one statement; rows it returns are dropped.
 * The number of rows it changed, or -1. */
int64_t fdb_run(struct fdb *db, const char *sql, const struct fdb_val *p, size_t n);
/* fdb_query(db, sql, p, n): one statement whose rows are read with
 * fdb_next() until it returns 0 (done) or -1; fdb_cur_close() ends it
 * early and frees it (always call it). */
struct fdb_cur *fdb_query(struct fdb *db, const char *sql, const struct fdb_val *p, size_t n);
int fdb_next(struct fdb_cur *c);
/* Column values of the current row; text is valid until the next
 * fdb_next() or fdb_cur_close(), NULL for SQL NULL. */
const char *fdb_text(struct fdb_cur *c, int col);
int64_t fdb_int(struct fdb_cur *c, int col);
int fdb_isnull(struct fdb_cur *c, int col);
void fdb_cur_close(struct fdb_cur *c);
/* fdb_scalar(db, sql, out): the first column of the first row of a query
 * without parameters as an integer (0 when no row or SQL NULL); 0 or -1. */
int fdb_scalar(struct fdb *db, const char *sql, int64_t *out);

/* Transactions.  fdb_begin(db, write): a write transaction takes SQLite's
 * write lock at once (BEGIN IMMEDIATE, waiting up to the busy timeout) so
 * concurrent writers queue instead of failing half-way; PostgreSQL runs
 * READ COMMITTED.  A read transaction sees one snapshot (SQLite's deferred
 * transaction, PostgreSQL REPEATABLE READ READ ONLY). */
int fdb_begin(struct fdb *db, int write);
int fdb_commit(struct fdb *db);
void fdb_rollback(struct fdb *db);
/* 1 when the last failure was a deadlock, a serialization failure or a
 * busy database: the transaction can be run again. */
int fdb_retryable(const struct fdb *db);

/* Locks inside a write transaction, PostgreSQL only (SQLite's write
 * transaction already excludes every other writer):
 *   FDB_LOCK_SCHEMA  migrations (an advisory transaction lock)
 *   FDB_LOCK_PKG     removing unreferenced packages while no add inserts
 *   FDB_LOCK_SYNC    one sync at a time (an advisory transaction lock) */
enum { FDB_LOCK_SCHEMA = 1, FDB_LOCK_PKG, FDB_LOCK_SYNC };
int fdb_lock(struct fdb *db, int which);

/* Backend internals (fdb_sqlite.c, fdb_pg.c). */
struct fdb_ops {
	int (*exec)(struct fdb *db, const char *sql);
	int64_t (*run)(struct fdb *db, const char *sql, const struct fdb_val *p, size_t n);
	struct fdb_cur *(*query)(struct fdb *db, const char *sql, const struct fdb_val *p,
				 size_t n);
	int (*next)(struct fdb_cur *c);
	const char *(*text)(struct fdb_cur *c, int col);
	int64_t (*integer)(struct fdb_cur *c, int col);
	int (*isnull)(struct fdb_cur *c, int col);
	void (*cur_close)(struct fdb_cur *c);
	int (*lock)(struct fdb *db, int which);
	void (*close)(struct fdb *db);
};

struct fdb {
	const struct fdb_ops *ops;
	int kind;
	char *name;
	int in_cursor; /* a cursor is open */
	int retryable;
	int in_tx;
	void *impl;
};

struct fdb_cur {
	struct fdb *db;
	void *impl;
};

/* Prepared statements by their text: fdb_cache_get(c, sql) gives the slot
 * for sql (a NULL handle the first time); fdb_cache_free(c, fn) calls fn on
 * every handle. */
struct fdb_cache_entry {
	char *sql;
	uint64_t hash;
	void *handle;
};
struct fdb_cache {
	struct fdb_cache_entry *e;
	size_t n, cap; /* cap is a power of two */
};
struct fdb_cache_entry *fdb_cache_get(struct fdb_cache *c, const char *sql);
void fdb_cache_free(struct fdb_cache *c, void (*fn)(void *handle, void *arg), void *arg);

struct fdb *fdb_sqlite_open(const char *path, int create);
struct fdb *fdb_pg_open(const char *uri);

#endif
