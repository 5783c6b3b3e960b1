/*
 * fdb_pg.c: the shared backend, a PostgreSQL database through libpq.
 * Statements are prepared once per connection (named "w1", "w2", ...),
 * parameters travel as text, and a cursor streams its rows in libpq's
 * single-row mode so a large result never sits in memory whole.
 */
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "fleet/fdb.h"

struct pg {
	PGconn *conn;
	struct fdb_cache cache;
	size_t nprepared;
};

struct pg_cur {
	PGresult *row; /* the current row's result (single-row mode) */
	int done;
};

/* The first line of a libpq message, without its trailing newline. */
static const char *
one_line(const char *msg, char *buf, size_t size)
{
	size_t n = strcspn(msg ? msg : "", "\n");

	if (n >= size)
		n = size - 1;
	memcpy(buf, msg ? msg : "", n);
	buf[n] = '\0';
	return buf;
}

static int
pg_fail(struct fdb *db, const PGresult *res, const char *what)
{
	struct pg *p = db->impl;
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	char buf[400];
	int kind = WARD_EENV;

	db->retryable =
		state != NULL && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0);
	if (state != NULL && (strcmp(state, "42P01") == 0 || strcmp(state, "42703") == 0))
		kind = WARD_EINPUT; /* undefined table or column: not (this version of) an inventory
				     */
	return ward_err(kind, "%s: %s: %s", db->name, what,
			one_line(res ? PQresultErrorMessage(res) : PQerrorMessage(p->conn), buf,
				 sizeof(buf)));
}

static int
pg_exec(struct fdb *db, const char *sql)
{
	struct pg *p = db->impl;
	struct ward_buf b = {0};
	const char *s = sql, *w;
	PGresult *res;
	int rc = 0;

	/* the schema is written for both backends: drop SQLite's table option */
	while ((w = strstr(s, " WITHOUT ROWID")) != NULL) {
		ward_buf_append(&b, s, (size_t)(w - s));
		s = w + strlen(" WITHOUT ROWID");
	}
	ward_buf_puts(&b, s);
	if (ward_buf_cstr(&b) == NULL)
		return -1;
	res = PQexec(p->conn, (char *)b.data);
	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = pg_fail(db, res, "query failed");
	PQclear(res);
	ward_buf_free(&b);
	return rc;
}

/* "?" placeholders become "$1", "$2", ...; the SQL holds no literal '?'. */
static char *
pg_sql(const char *sql)
{
	struct ward_buf b = {0};
	unsigned k = 0;

	for (const char *s = sql; *s; s++) {
		if (*s == '?')
			ward_buf_printf(&b, "$%u", ++k);
		else
			ward_buf_append(&b, s, 1);
	}
	return ward_buf_steal(&b);
}

/* The prepared statement's name for sql, preparing it the first time. */
static const char *
prepared(struct fdb *db, const char *sql)
{
	struct pg *p = db->impl;
	struct fdb_cache_entry *e = fdb_cache_get(&p->cache, sql);
	char name[32], *text;
	PGresult *res;

	if (e == NULL)
		return NULL;
	if (e->handle != NULL)
		return e->handle;
	snprintf(name, sizeof(name), "w%zu", ++p->nprepared);
	if ((text = pg_sql(sql)) == NULL)
		return NULL;
	res = PQprepare(p->conn, name, text, 0, NULL);
	free(text);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		pg_fail(db, res, "not a ward inventory, or a query it cannot run");
		PQclear(res);
		return NULL;
	}
	PQclear(res);
	return e->handle = ward_strdup(name);
}

/* Text forms of the parameters; ints are written into buf (n * 24 bytes). */
static const char **
params(const struct fdb_val *v, size_t n, char *buf)
{
	const char **out = ward_calloc(n ? n : 1, sizeof(*out));

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (v[i].type == FDB_INT) {
			snprintf(buf + i * 24, 24, "%lld", (long long)v[i].i);
			out[i] = buf + i * 24;
		} else {
			out[i] = v[i].type == FDB_TEXT ? v[i].s : NULL;
		}
	}
	return out;
}

static int64_t
pg_run(struct fdb *db, const char *sql, const struct fdb_val *v, size_t n)
{
	struct pg *p = db->impl;
	const char *name = prepared(db, sql), **vals;
	char *buf;
	PGresult *res;
	int64_t rc;

	if (name == NULL || (buf = ward_malloc(n * 24 + 1)) == NULL)
		return -1;
	if ((vals = params(v, n, buf)) == NULL) {
		free(buf);
		return -1;
	}
	res = PQexecPrepared(p->conn, name, (int)n, vals, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = pg_fail(db, res, "query failed");
	else
		rc = *PQcmdTuples(res) ? strtoll(PQcmdTuples(res), NULL, 10) : 0;
	PQclear(res);
	free(vals);
	free(buf);
	return rc;
}

static struct fdb_cur *
pg_query(struct fdb *db, const char *sql, const struct fdb_val *v, size_t n)
{
	struct pg *p = db->impl;
	const char *name = prepared(db, sql), **vals = NULL;
	struct fdb_cur *c = NULL;
	struct pg_cur *pc = NULL;
	char *buf = NULL;

	if (name == NULL || (buf = ward_malloc(n * 24 + 1)) == NULL ||
	    (vals = params(v, n, buf)) == NULL)
		goto fail;
	if ((c = ward_calloc(1, sizeof(*c))) == NULL || (pc = ward_calloc(1, sizeof(*pc))) == NULL)
		goto fail;
	if (!PQsendQueryPrepared(p->conn, name, (int)n, vals, NULL, NULL, 0)) {
		pg_fail(db, NULL, "query failed");
		goto fail;
	}
	PQsetSingleRowMode(p->conn);
	c->db = db;
	c->impl = pc;
	free(vals);
	free(buf);
	return c;
fail:
	free(vals);
	free(buf);
	free(c);
	free(pc);
	return NULL;
}

/* Read what is left of the current query's results. */
static void
drain(PGconn *conn)
{
	PGresult *r;

	while ((r = PQgetResult(conn)) != NULL)
		PQclear(r);
}

static int
pg_next(struct fdb_cur *c)
{
	struct pg *p = c->db->impl;
	struct pg_cur *pc = c->impl;
	PGresult *r;
	int rc;

	PQclear(pc->row);
	pc->row = NULL;
	if (pc->done)
		return 0;
	r = PQgetResult(p->conn);
	if (r != NULL && PQresultStatus(r) == PGRES_SINGLE_TUPLE) {
		pc->row = r;
		return 1;
	}
	pc->done = 1;
	if (r == NULL || PQresultStatus(r) == PGRES_TUPLES_OK ||
	    PQresultStatus(r) == PGRES_COMMAND_OK)
		rc = 0;
	else
		rc = pg_fail(c->db, r, "cannot read");
	PQclear(r);
	drain(p->conn);
	return rc;
}

static const char *
pg_text(struct fdb_cur *c, int col)
{
	struct pg_cur *pc = c->impl;

	if (pc->row == NULL || PQgetisnull(pc->row, 0, col))
		return NULL;
	return PQgetvalue(pc->row, 0, col);
}

static int64_t
pg_int(struct fdb_cur *c, int col)
{
	const char *s = pg_text(c, col);

	return s ? strtoll(s, NULL, 10) : 0;
}

static int
pg_isnull(struct fdb_cur *c, int col)
{
	struct pg_cur *pc = c->impl;

	return pc->row == NULL || PQgetisnull(pc->row, 0, col);
}

static void
pg_cur_close(struct fdb_cur *c)
{
	struct pg *p = c->db->impl;
	struct pg_cur *pc = c->impl;

	PQclear(pc->row);
	if (!pc->done)
		drain(p->conn);
	free(pc);
	free(c);
}

static int
pg_lock(struct fdb *db, int which)
{
	/* advisory lock keys are arbitrary constants: "ward", "wsyn" in ASCII */
	const char *sql = which == FDB_LOCK_SCHEMA ? "SELECT pg_advisory_xact_lock(2002874980)"
			  : which == FDB_LOCK_SYNC ? "SELECT pg_advisory_xact_lock(2004056430)"
						   : "LOCK TABLE pkg IN SHARE ROW EXCLUSIVE MODE";

	return pg_run(db, sql, NULL, 0) < 0 ? -1 : 0;
}

static void
free_name(void *handle, void *arg)
{
	(void)arg;
	free(handle);
}

static void
pg_close(struct fdb *db)
{
	struct pg *p = db->impl;

	if (p == NULL)
		return;
	fdb_cache_free(&p->cache, free_name, NULL);
	if (p->conn != NULL)
		PQfinish(p->conn);
	free(p);
}

static void
quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message; /* NOTICEs ("relation already exists, skipping") are not news */
}

static const struct fdb_ops pg_ops = {
	pg_exec, pg_run,    pg_query,	  pg_next, pg_text,
	pg_int,	 pg_isnull, pg_cur_close, pg_lock, pg_close,
};

/* The URI with any password replaced by "***". */
static char *
redact(const char *uri)
{
	struct ward_buf b = {0};
	const char *s = strstr(uri, "://"), *at, *colon, *q;

	s = s ? s + 3 : uri;
	at = strchr(s, '@');
	q = strpbrk(s, "/?");
	if (at != NULL && (q == NULL || at < q) && (colon = memchr(s, ':', (size_t)(at - s)))) {
		ward_buf_append(&b, uri, (size_t)(colon + 1 - uri));
		ward_buf_puts(&b, "***");
		s = at;
	} else {
		ward_buf_append(&b, uri, (size_t)(s - uri));
	}
	while (*s) {
		const char *pw = strstr(s, "password=");
		if (pw == NULL || (pw != uri && pw[-1] != '?' && pw[-1] != '&')) {
			if (pw == NULL) {
				ward_buf_puts(&b, s);
				break;
			}
			ward_buf_append(&b, s, (size_t)(pw - s) + 1);
			s = pw + 1;
			continue;
		}
		ward_buf_append(&b, s, (size_t)(pw - s));
		ward_buf_puts(&b, "password=***");
		s = pw + strcspn(pw, "&");
	}
	return ward_buf_steal(&b);
}

struct fdb *
fdb_pg_open(const char *uri)
{
	struct fdb *db = ward_calloc(1, sizeof(*db));
	struct pg *p = ward_calloc(1, sizeof(*p));
	char buf[400];

	if (db == NULL || p == NULL || (db->name = redact(uri)) == NULL) {
		free(db);
		free(p);
		return NULL;
	}
	db->ops = &pg_ops;
	db->kind = FDB_PG;
	db->impl = p;
	p->conn = PQconnectdb(uri);
	if (p->conn == NULL || PQstatus(p->conn) != CONNECTION_OK) {
		ward_err(WARD_EENV, "%s: cannot connect: %s", db->name,
			 p->conn ? one_line(PQerrorMessage(p->conn), buf, sizeof(buf))
				 : "out of memory");
		goto fail;
	}
	PQsetNoticeProcessor(p->conn, quiet, NULL);
	if (pg_exec(db, "SET client_min_messages = warning; SET application_name = 'ward'") != 0)
		goto fail;
	return db;
fail:
	fdb_close(db);
	return NULL;
}
