/*
 * fdb_sqlite.c: the embedded backend, one SQLite file in WAL mode.  WAL
 * lets readers (impact, ls) run while a writer adds images; writers queue
 * on the write lock for up to BUSY_MS instead of failing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "fleet/fdb.h"

#define BUSY_MS 60000

struct lite {
	sqlite3 *sql;
	struct fdb_cache cache;
};

struct lite_cur {
	sqlite3_stmt *st;
	int done;
};

static int
lite_fail(struct fdb *db, const char *what)
{
	struct lite *l = db->impl;
	int code = sqlite3_errcode(l->sql) & 0xff;
	int kind = code == SQLITE_CORRUPT || code == SQLITE_NOTADB ? WARD_EINPUT : WARD_EENV;

	db->retryable = code == SQLITE_BUSY || code == SQLITE_LOCKED;
	return ward_err(kind, "%s: %s: %s", db->name, what, sqlite3_errmsg(l->sql));
}

static int
lite_exec(struct fdb *db, const char *sql)
{
	struct lite *l = db->impl;

	if (sqlite3_exec(l->sql, sql, NULL, NULL, NULL) != SQLITE_OK)
		return lite_fail(db, "query failed");
	return 0;
}

static sqlite3_stmt *
prepare(struct fdb *db, const char *sql, const struct fdb_val *p, size_t n)
{
	struct lite *l = db->impl;
	struct fdb_cache_entry *e = fdb_cache_get(&l->cache, sql);
	sqlite3_stmt *st;

	if (e == NULL)
		return NULL;
	if (e->handle == NULL) {
		if (sqlite3_prepare_v3(l->sql, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) !=
		    SQLITE_OK) {
			lite_fail(db, "not a ward inventory, or a query it cannot run");
			return NULL;
		}
		e->handle = st;
	}
	st = e->handle;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	for (size_t i = 0; i < n; i++) {
		int rc = p[i].type == FDB_INT ? sqlite3_bind_int64(st, (int)i + 1, p[i].i)
			 : p[i].type == FDB_TEXT
				 ? sqlite3_bind_text(st, (int)i + 1, p[i].s, -1, SQLITE_TRANSIENT)
				 : sqlite3_bind_null(st, (int)i + 1);
		if (rc != SQLITE_OK) {
			lite_fail(db, "cannot bind a parameter");
			return NULL;
		}
	}
	return st;
}

static int64_t
lite_run(struct fdb *db, const char *sql, const struct fdb_val *p, size_t n)
{
	struct lite *l = db->impl;
	sqlite3_stmt *st = prepare(db, sql, p, n);
	int rc;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE) {
		lite_fail(db, "query failed");
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return sqlite3_changes64(l->sql);
}

static struct fdb_cur *
lite_query(struct fdb *db, const char *sql, const struct fdb_val *p, size_t n)
{
	struct fdb_cur *c;
	struct lite_cur *lc;
	sqlite3_stmt *st = prepare(db, sql, p, n);

	if (st == NULL)
		return NULL;
	if ((c = ward_calloc(1, sizeof(*c))) == NULL ||
	    (lc = ward_calloc(1, sizeof(*lc))) == NULL) {
		free(c);
		return NULL;
	}
	lc->st = st;
	c->db = db;
	c->impl = lc;
	return c;
}

static int
lite_next(struct fdb_cur *c)
{
	struct lite_cur *lc = c->impl;
	int rc;

	if (lc->done)
		return 0;
	rc = sqlite3_step(lc->st);
	if (rc == SQLITE_ROW)
		return 1;
	lc->done = 1;
	if (rc == SQLITE_DONE)
		return 0;
	return lite_fail(c->db, "cannot read");
}

static const char *
lite_text(struct fdb_cur *c, int col)
{
	struct lite_cur *lc = c->impl;

	return (const char *)sqlite3_column_text(lc->st, col);
}

static int64_t
lite_int(struct fdb_cur *c, int col)
{
	struct lite_cur *lc = c->impl;

	return sqlite3_column_int64(lc->st, col);
}

static int
lite_isnull(struct fdb_cur *c, int col)
{
	struct lite_cur *lc = c->impl;

	return sqlite3_column_type(lc->st, col) == SQLITE_NULL;
}

static void
lite_cur_close(struct fdb_cur *c)
{
	struct lite_cur *lc = c->impl;

	sqlite3_reset(lc->st);
	free(lc);
	free(c);
}

static int
lite_lock(struct fdb *db, int which)
{
	(void)db;
	(void)which;
	return 0; /* the write transaction (BEGIN IMMEDIATE) already excludes writers */
}

static void
finalize(void *handle, void *arg)
{
	(void)arg;
	sqlite3_finalize(handle);
}

static void
lite_close(struct fdb *db)
{
	struct lite *l = db->impl;

	if (l == NULL)
		return;
	fdb_cache_free(&l->cache, finalize, NULL);
	if (l->sql != NULL)
		sqlite3_close(l->sql);
	free(l);
}

static const struct fdb_ops lite_ops = {
	lite_exec, lite_run,	lite_query,	lite_next, lite_text,
	lite_int,  lite_isnull, lite_cur_close, lite_lock, lite_close,
};

struct fdb *
fdb_sqlite_open(const char *path, int create)
{
	struct fdb *db = ward_calloc(1, sizeof(*db));
	struct lite *l = ward_calloc(1, sizeof(*l));
	struct stat st;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;

	if (db == NULL || l == NULL || (db->name = ward_strdup(path)) == NULL) {
		free(db ? db->name : NULL);
		free(db);
		free(l);
		return NULL;
	}
	db->ops = &lite_ops;
	db->kind = FDB_SQLITE;
	db->impl = l;
	if (stat(path, &st) != 0) {
		if (errno != ENOENT || !create) {
			ward_err(WARD_EINPUT,
				 "%s: no fleet inventory there (ward fleet add makes one)", path);
			goto fail;
		}
		flags |= SQLITE_OPEN_CREATE;
	} else if (!S_ISREG(st.st_mode)) {
		ward_err(WARD_EINPUT, "%s: not a file (a fleet inventory is one SQLite file)",
			 path);
		goto fail;
	}
	if (sqlite3_open_v2(path, &l->sql, flags, NULL) != SQLITE_OK) {
		if (l->sql == NULL)
			ward_err(WARD_EENV, "%s: cannot open: out of memory", path);
		else
			lite_fail(db, "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(l->sql, BUSY_MS);
	sqlite3_extended_result_codes(l->sql, 1);
	/* WAL: readers never block the writer; NORMAL sync keeps the file
	 * consistent on a crash and fsyncs at checkpoints.  Foreign keys are
	 * not used: removal order is explicit. */
	if (lite_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
			  "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-32768") != 0)
		goto fail;
	return db;
fail:
	fdb_close(db);
	return NULL;
}
