/* fdb.c: the backend-independent half of the storage interface (fdb.h). */
#include <stdlib.h>
#include <string.h>

#include "fleet/fdb.h"

int
fdb_is_uri(const char *s)
{
	return ward_str_startswith(s, "postgresql://") || ward_str_startswith(s, "postgres://");
}

struct fdb *
fdb_open(const char *target, int create)
{
	if (target == NULL || *target == '\0') {
		ward_err(WARD_EINPUT, "no inventory given");
		return NULL;
	}
	return fdb_is_uri(target) ? fdb_pg_open(target) : fdb_sqlite_open(target, create);
}

void
fdb_close(struct fdb *db)
{
	if (db == NULL)
		return;
	if (db->in_tx)
		fdb_rollback(db);
	db->ops->close(db);
	free(db->name);
	free(db);
}

int
fdb_kind(const struct fdb *db)
{
	return db->kind;
}

const char *
fdb_name(const struct fdb *db)
{
	return db->name;
}

static int
busy(struct fdb *db)
{
	if (db->in_cursor)
		return ward_err(WARD_EENV, "%s: internal error: a query while a cursor is open",
				db->name);
	db->retryable = 0;
	return 0;
}

int
fdb_exec(struct fdb *db, const char *sql)
{
	return busy(db) ? -1 : db->ops->exec(db, sql);
}

int64_t
fdb_run(struct fdb *db, const char *sql, const struct fdb_val *p, size_t n)
{
	return busy(db) ? -1 : db->ops->run(db, sql, p, n);
}

struct fdb_cur *
fdb_query(struct fdb *db, const char *sql, const struct fdb_val *p, size_t n)
{
	struct fdb_cur *c;

	if (busy(db) != 0)
		return NULL;
	if ((c = db->ops->query(db, sql, p, n)) != NULL)
		db->in_cursor = 1;
	return c;
}

int
fdb_next(struct fdb_cur *c)
{
	return c->db->ops->next(c);
}

const char *
fdb_text(struct fdb_cur *c, int col)
{
	return c->db->ops->text(c, col);
}

int64_t
fdb_int(struct fdb_cur *c, int col)
{
	return c->db->ops->integer(c, col);
}

int
fdb_isnull(struct fdb_cur *c, int col)
{
	return c->db->ops->isnull(c, col);
}

int
fdb_scalar(struct fdb *db, const char *sql, int64_t *out)
{
	struct fdb_cur *c = fdb_query(db, sql, NULL, 0);
	int rc;

	*out = 0;
	if (c == NULL)
		return -1;
	if ((rc = fdb_next(c)) == 1 && !fdb_isnull(c, 0))
		*out = fdb_int(c, 0);
	fdb_cur_close(c);
	return rc < 0 ? -1 : 0;
}

void
fdb_cur_close(struct fdb_cur *c)
{
	struct fdb *db;

	if (c == NULL)
		return;
	db = c->db;
	db->ops->cur_close(c);
	db->in_cursor = 0;
}

int
fdb_begin(struct fdb *db, int write)
{
	const char *sql = db->kind == FDB_SQLITE ? (write ? "BEGIN IMMEDIATE" : "BEGIN")
			  : write		 ? "BEGIN ISOLATION LEVEL READ COMMITTED"
				  : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

	if (fdb_exec(db, sql) != 0)
		return -1;
	db->in_tx = 1;
	return 0;
}

int
fdb_commit(struct fdb *db)
{
	int rc = fdb_exec(db, "COMMIT");

	if (rc != 0) {
		struct ward_error e;
		int retry = db->retryable;
		ward_err_save(&e);
		fdb_rollback(db);
		db->retryable = retry;
		return ward_err_restore(&e);
	}
	db->in_tx = 0;
	return 0;
}

void
fdb_rollback(struct fdb *db)
{
	struct ward_error e;
	int retry = db->retryable;

	if (!db->in_tx)
		return;
	ward_err_save(&e);
	db->in_cursor = 0;
	db->ops->exec(db, "ROLLBACK");
	db->in_tx = 0;
	db->retryable = retry;
	ward_err_restore(&e);
}

int
fdb_retryable(const struct fdb *db)
{
	return db->retryable;
}

int
fdb_lock(struct fdb *db, int which)
{
	return busy(db) ? -1 : db->ops->lock(db, which);
}

static uint64_t
fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

struct fdb_cache_entry *
fdb_cache_get(struct fdb_cache *c, const char *sql)
{
	uint64_t h = fnv1a(sql);
	size_t i;

	if (c->n * 2 >= c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct fdb_cache_entry *e = ward_calloc(cap, sizeof(*e));
		if (e == NULL)
			return NULL;
		for (size_t k = 0; k < c->cap; k++) {
			if (c->e[k].sql == NULL)
				continue;
			for (i = c->e[k].hash & (cap - 1); e[i].sql != NULL;
			     i = (i + 1) & (cap - 1))
				;
			e[i] = c->e[k];
		}
		free(c->e);
		c->e = e;
		c->cap = cap;
	}
	for (i = h & (c->cap - 1); c->e[i].sql != NULL; i = (i + 1) & (c->cap - 1))
		if (c->e[i].hash == h && strcmp(c->e[i].sql, sql) == 0)
			return &c->e[i];
	if ((c->e[i].sql = ward_strdup(sql)) == NULL)
		return NULL;
	c->e[i].hash = h;
	c->e[i].handle = NULL;
	c->n++;
	return &c->e[i];
}

void
fdb_cache_free(struct fdb_cache *c, void (*fn)(void *handle, void *arg), void *arg)
{
	for (size_t i = 0; i < c->cap; i++) {
		if (c->e[i].sql == NULL)
			continue;
		if (c->e[i].handle != NULL && fn != NULL)
			fn(c->e[i].handle, arg);
		free(c->e[i].sql);
	}
	free(c->e);
	memset(c, 0, sizeof(*c));
}
