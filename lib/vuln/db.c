/*
 * db.c: the vulnerability store, one SQLite file DIR/osv.sqlite.  Schema
 * and indices are explained in docs/vuln-db.md: the hot path of a scan is
 * one primary-key range read of `affected` per (ecosystem, name).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "vuln/vuln_internal.h"

#define SCHEMA_VERSION "1"
/* Added without a schema bump: created when a store is opened for writing,
 * read as empty from older stores. */
#define SOURCE_TABLE                                                                               \
	"CREATE TABLE IF NOT EXISTS source(path TEXT PRIMARY KEY, format TEXT NOT NULL,"           \
	" imported TEXT NOT NULL, data_time TEXT) WITHOUT ROWID;"

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS vuln("
	" id TEXT PRIMARY KEY, modified TEXT NOT NULL, withdrawn TEXT, summary TEXT,"
	" details TEXT, cvss TEXT, score REAL, source TEXT) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS alias(id TEXT NOT NULL, alias TEXT NOT NULL,"
	" PRIMARY KEY(id, alias)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS alias_by_alias ON alias(alias);"
	"CREATE TABLE IF NOT EXISTS affected(ecosystem TEXT NOT NULL, name TEXT NOT NULL,"
	" id TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL,"
	" PRIMARY KEY(ecosystem, name, id, seq)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS affected_by_id ON affected(id);" SOURCE_TABLE;

static int
db_fail(struct vuln_db *db, const char *what)
{
	int code = sqlite3_errcode(db->sql);
	int kind = (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) ? WARD_EINPUT : WARD_EENV;

	return ward_err(kind, "%s: %s: %s", db->path, what, sqlite3_errmsg(db->sql));
}

static int
exec(struct vuln_db *db, const char *sql)
{
	if (sqlite3_exec(db->sql, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(db, "query failed");
	return 0;
}

sqlite3_stmt *
db_prepare(struct vuln_db *db, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK) {
		db_fail(db, "not a ward vulnerability store");
		return NULL;
	}
	return st;
}

static int
check_schema(struct vuln_db *db)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT value FROM meta WHERE key='schema'");
	int rc, ok = 0;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL &&
	    strcmp((const char *)sqlite3_column_text(st, 0), SCHEMA_VERSION) == 0)
		ok = 1;
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sqlite3_finalize(st);
		return db_fail(db, "not a ward vulnerability store");
	}
	sqlite3_finalize(st);
	if (!ok)
		return ward_err(WARD_EINPUT,
				"%s: not a ward vulnerability store (schema %s expected)", db->path,
				SCHEMA_VERSION);
	return 0;
}

struct vuln_db *
vuln_db_open(const char *dir, int flags)
{
	struct vuln_db *db = ward_calloc(1, sizeof(*db));
	struct stat st;
	int oflags;

	if (db == NULL)
		return NULL;
	if (flags & VULN_DB_CREATE) {
		if (ward_mkdir_p(dir, 0755) != 0)
			goto fail;
	} else if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		ward_err(WARD_EINPUT,
			 "%s: no vulnerability store there (create one with ward db import)", dir);
		goto fail;
	}
	if ((db->path = ward_path_join(dir, VULN_DB_FILE)) == NULL)
		goto fail;
	if (!(flags & VULN_DB_CREATE) && stat(db->path, &st) != 0) {
		ward_err(WARD_EINPUT, "%s: no vulnerability store (create one with ward db import)",
			 db->path);
		goto fail;
	}
	oflags = (flags & VULN_DB_CREATE)  ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
		 : (flags & VULN_DB_WRITE) ? SQLITE_OPEN_READWRITE
					   : SQLITE_OPEN_READONLY;
	if (sqlite3_open_v2(db->path, &db->sql, oflags, NULL) != SQLITE_OK) {
		ward_err(WARD_EENV, "%s: cannot open: %s", db->path,
			 db->sql ? sqlite3_errmsg(db->sql) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(db->sql, 5000);
	if (flags & VULN_DB_CREATE) {
		if (exec(db, "PRAGMA journal_mode=DELETE") != 0 || exec(db, schema) != 0 ||
		    exec(db, "INSERT OR IGNORE INTO meta VALUES('schema','" SCHEMA_VERSION "')") !=
			    0)
			goto fail;
	}
	if (check_schema(db) != 0)
		goto fail;
	if ((flags & VULN_DB_WRITE) && !(flags & VULN_DB_CREATE) && exec(db, SOURCE_TABLE) != 0)
		goto fail;
	return db;
fail:
	vuln_db_close(db);
	return NULL;
}

void
vuln_db_close(struct vuln_db *db)
{
	if (db == NULL)
		return;
	for (size_t i = 0; i < sizeof(db->st) / sizeof(*db->st); i++)
		sqlite3_finalize(db->st[i]);
	if (db->sql != NULL)
		sqlite3_close(db->sql);
	free(db->path);
	free(db);
}

/* Cached statements: prepared once per open store. */
sqlite3_stmt *
db_stmt(struct vuln_db *db, int which, const char *sql)
{
	if (db->st[which] == NULL)
		db->st[which] = db_prepare(db, sql);
	else {
		sqlite3_reset(db->st[which]);
		sqlite3_clear_bindings(db->st[which]);
	}
	return db->st[which];
}

int
db_begin(struct vuln_db *db)
{
	return exec(db, "BEGIN IMMEDIATE");
}

int
db_commit(struct vuln_db *db)
{
	return exec(db, "COMMIT");
}

void
db_rollback(struct vuln_db *db)
{
	sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
}

int
db_meta_set(struct vuln_db *db, const char *key, const char *value)
{
	sqlite3_stmt *st = db_stmt(db, ST_META_SET, "INSERT OR REPLACE INTO meta VALUES(?,?)");

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		return db_fail(db, "cannot write");
	return 0;
}

char *
db_meta_get(struct vuln_db *db, const char *key)
{
	sqlite3_stmt *st = db_stmt(db, ST_META_GET, "SELECT value FROM meta WHERE key=?");
	int rc;

	if (st == NULL)
		return NULL;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return ward_strdup((const char *)sqlite3_column_text(st, 0));
	if (rc != SQLITE_DONE)
		db_fail(db, "cannot read");
	else
		ward_err_clear();
	return NULL;
}

static int
delete_record(struct vuln_db *db, const char *id)
{
	sqlite3_stmt *st;

	if ((st = db_stmt(db, ST_DEL_AFF, "DELETE FROM affected WHERE id=?")) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		return db_fail(db, "cannot write");
	if ((st = db_stmt(db, ST_DEL_ALIAS, "DELETE FROM alias WHERE id=?")) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		return db_fail(db, "cannot write");
	return 0;
}

static void
bind_opt_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s != NULL)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

int
db_put_record(struct vuln_db *db, const struct osv_record *r, const char *source)
{
	sqlite3_stmt *st = db_stmt(db, ST_GET_MOD, "SELECT modified FROM vuln WHERE id=?");
	int rc, existed = 0;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *old = (const char *)sqlite3_column_text(st, 0);
		existed = 1;
		if (old != NULL && strcmp(old, r->modified) >= 0)
			return DB_UNCHANGED; /* incremental: only a newer record replaces */
	} else if (rc != SQLITE_DONE) {
		return db_fail(db, "cannot read");
	}
	if (existed && delete_record(db, r->id) != 0)
		return -1;
	st = db_stmt(db, ST_PUT_VULN, "INSERT OR REPLACE INTO vuln VALUES(?,?,?,?,?,?,?,?)");
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->modified, -1, SQLITE_STATIC);
	bind_opt_text(st, 3, r->withdrawn);
	bind_opt_text(st, 4, r->summary);
	bind_opt_text(st, 5, r->details);
	bind_opt_text(st, 6, r->cvss);
	if (r->cvss != NULL)
		sqlite3_bind_double(st, 7, r->score);
	else
		sqlite3_bind_null(st, 7);
	bind_opt_text(st, 8, source);
	if (sqlite3_step(st) != SQLITE_DONE)
		return db_fail(db, "cannot write");
	if (r->withdrawn != NULL) /* kept as a tombstone: never matched, blocks older copies */
		return DB_WITHDRAWN;
	for (size_t i = 0; i < r->aliases.n; i++) {
		st = db_stmt(db, ST_PUT_ALIAS, "INSERT OR IGNORE INTO alias VALUES(?,?)");
		if (st == NULL)
			return -1;
		sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, r->aliases.v[i], -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			return db_fail(db, "cannot write");
	}
	for (size_t i = 0; i < r->naff; i++) {
		st = db_stmt(db, ST_PUT_AFF, "INSERT OR REPLACE INTO affected VALUES(?,?,?,?,?)");
		if (st == NULL)
			return -1;
		sqlite3_bind_text(st, 1, r->aff[i].ecosystem, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, r->aff[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, r->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)i);
		sqlite3_bind_text(st, 5, r->aff[i].data, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			return db_fail(db, "cannot write");
	}
	return existed ? DB_UPDATED : DB_ADDED;
}

int
db_lookup(struct vuln_db *db, const char *ecosystem, const char *name, struct db_hit **out,
	  size_t *n)
{
	sqlite3_stmt *st = db_stmt(db, ST_LOOKUP,
				   "SELECT id, data FROM affected WHERE ecosystem=? AND name=? "
				   "ORDER BY id, seq");
	int rc;

	*out = NULL;
	*n = 0;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, ecosystem, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_hit *h;
		if (ward_vec_grow(out, *n, sizeof(**out)) != 0)
			goto fail;
		h = &(*out)[(*n)++];
		h->id = ward_strdup((const char *)sqlite3_column_text(st, 0));
		h->data = ward_strdup((const char *)sqlite3_column_text(st, 1));
		if (h->id == NULL || h->data == NULL)
			goto fail;
	}
	if (rc != SQLITE_DONE) {
		db_fail(db, "cannot read");
		goto fail;
	}
	return 0;
fail:
	db_hits_free(*out, *n);
	*out = NULL;
	*n = 0;
	return -1;
}

void
db_hits_free(struct db_hit *h, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(h[i].id);
		free(h[i].data);
	}
	free(h);
}

int
db_vuln_info(struct vuln_db *db, const char *id, struct db_info *info)
{
	sqlite3_stmt *st =
		db_stmt(db, ST_INFO, "SELECT summary, cvss, score, details FROM vuln WHERE id=?");
	int rc;

	memset(info, 0, sizeof(*info));
	info->score = -1;
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) != SQLITE_NULL)
			info->summary = ward_strdup((const char *)sqlite3_column_text(st, 0));
		if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
			info->cvss = ward_strdup((const char *)sqlite3_column_text(st, 1));
			info->score = sqlite3_column_double(st, 2);
		}
		if (sqlite3_column_type(st, 3) != SQLITE_NULL)
			info->details = ward_strdup((const char *)sqlite3_column_text(st, 3));
	} else if (rc != SQLITE_DONE) {
		return db_fail(db, "cannot read");
	}
	if ((st = db_stmt(db, ST_ALIASES, "SELECT alias FROM alias WHERE id=? ORDER BY alias")) ==
	    NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (ward_strv_push(&info->aliases, (const char *)sqlite3_column_text(st, 0)) != 0)
			return -1;
	if (rc != SQLITE_DONE)
		return db_fail(db, "cannot read");
	return 0;
}

void
db_info_free(struct db_info *info)
{
	free(info->summary);
	free(info->cvss);
	free(info->details);
	ward_strv_free(&info->aliases);
	memset(info, 0, sizeof(*info));
}

static int
count(struct vuln_db *db, const char *sql, json_int_t *out)
{
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return db_fail(db, "cannot read");
	return 0;
}

json_t *
vuln_db_stats(struct vuln_db *db)
{
	json_int_t records, withdrawn, aliases, entries, bytes = 0;
	json_t *eco = json_object(), *j = NULL;
	sqlite3_stmt *st;
	char *imported = NULL, *sources = NULL;
	struct stat sb;
	int rc;

	if (eco == NULL)
		return NULL;
	st = db_prepare(db, "PRAGMA quick_check");
	if (st == NULL)
		goto out;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0) {
		ward_err(WARD_EINPUT, "%s: the store is damaged: %s", db->path,
			 rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0)
					  : sqlite3_errmsg(db->sql));
		sqlite3_finalize(st);
		goto out;
	}
	sqlite3_finalize(st);
	if (count(db, "SELECT count(*) FROM vuln WHERE withdrawn IS NULL", &records) != 0 ||
	    count(db, "SELECT count(*) FROM vuln WHERE withdrawn IS NOT NULL", &withdrawn) != 0 ||
	    count(db, "SELECT count(*) FROM alias", &aliases) != 0 ||
	    count(db, "SELECT count(*) FROM affected", &entries) != 0)
		goto out;
	st = db_prepare(db, "SELECT ecosystem, count(DISTINCT id), count(DISTINCT name) FROM "
			    "affected GROUP BY ecosystem ORDER BY ecosystem");
	if (st == NULL)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *e = (const char *)sqlite3_column_text(st, 0);
		json_object_set_new(eco, e,
				    json_pack("{s:I,s:I,s:b}", "records",
					      (json_int_t)sqlite3_column_int64(st, 1), "packages",
					      (json_int_t)sqlite3_column_int64(st, 2), "matched",
					      osv_ecosystem_kind(e) != OSV_OTHER));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		db_fail(db, "cannot read");
		goto out;
	}
	if (stat(db->path, &sb) == 0)
		bytes = (json_int_t)sb.st_size;
	imported = db_meta_get(db, "imported");
	sources = db_meta_get(db, "sources");
	j = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:O,s:s?,s:s?}", "store", db->path, "records",
		      records, "withdrawn", withdrawn, "aliases", aliases, "affected_entries",
		      entries, "bytes", bytes, "ecosystems", eco, "last_import", imported,
		      "sources", sources);
out:
	free(imported);
	free(sources);
	json_decref(eco);
	return j;
}

int
db_source_set(struct vuln_db *db, const char *path, const char *format, const char *imported,
	      const char *data_time)
{
	sqlite3_stmt *st =
		db_prepare(db, "INSERT OR REPLACE INTO source VALUES(?,?,?,"
			       "COALESCE(?, (SELECT data_time FROM source WHERE path=?)))");
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, format, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, imported, -1, SQLITE_STATIC);
	bind_opt_text(st, 4, data_time);
	sqlite3_bind_text(st, 5, path, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_fail(db, "cannot write");
}

long
vuln_db_max_age(void)
{
	const char *e = getenv("WARD_DB_MAX_AGE");
	char *end;
	long d;

	if (e != NULL && *e) {
		d = strtol(e, &end, 10);
		if (*end == '\0' && d >= 0 && d < 100000)
			return d * 86400;
	}
	return 7L * 86400;
}

/* "2026-11-28T18:07:11.000000000Z" → seconds since the epoch, or -1. */
static time_t
canon_time(const char *s)
{
	struct tm tm = {0};

	if (s == NULL || strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
		return -1;
	return timegm(&tm);
}

static int
table_exists(struct vuln_db *db, const char *name)
{
	sqlite3_stmt *st =
		db_prepare(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?");
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW;
}

json_t *
vuln_db_status(struct vuln_db *db, time_t now, long max_age)
{
	json_t *sources = json_array(), *j = NULL;
	sqlite3_stmt *st = NULL, *cnt = NULL;
	json_int_t merged = 0;
	int rc, have = table_exists(db, "source");

	if (sources == NULL || have < 0)
		goto out;
	if (have) {
		st = db_prepare(
			db, "SELECT path, format, imported, data_time FROM source ORDER BY path");
		cnt = db_prepare(db,
				 "SELECT a.ecosystem, count(DISTINCT v.id), "
				 "0 FROM vuln v LEFT JOIN affected a ON a.id = v.id "
				 "WHERE v.source = ? AND v.withdrawn IS NULL GROUP BY a.ecosystem "
				 "ORDER BY a.ecosystem");
		if (st == NULL || cnt == NULL)
			goto out;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *path = (const char *)sqlite3_column_text(st, 0);
			const char *dt = (const char *)sqlite3_column_text(st, 3);
			json_t *eco = json_object(), *s;
			json_int_t total = 0, wd = 0;
			sqlite3_stmt *tot;
			time_t t = canon_time(dt);
			double age = t >= 0 ? (double)(now - t) / 86400.0 : -1;
			int r2;
			sqlite3_reset(cnt);
			sqlite3_bind_text(cnt, 1, path, -1, SQLITE_TRANSIENT);
			while ((r2 = sqlite3_step(cnt)) == SQLITE_ROW) {
				const char *e = (const char *)sqlite3_column_text(cnt, 0);
				json_int_t n = sqlite3_column_int64(cnt, 1);
				json_object_set_new(eco, e ? e : "(no package)", json_integer(n));
			}
			/* a record with entries for several releases counts once */
			if (r2 == SQLITE_DONE &&
			    (tot = db_prepare(db,
					      "SELECT count(*), count(withdrawn) FROM vuln WHERE "
					      "source = ?")) != NULL) {
				sqlite3_bind_text(tot, 1, path, -1, SQLITE_TRANSIENT);
				if (sqlite3_step(tot) == SQLITE_ROW) {
					total = sqlite3_column_int64(tot, 0) -
						sqlite3_column_int64(tot, 1);
					wd = sqlite3_column_int64(tot, 1);
				}
				sqlite3_finalize(tot);
			}
			if (r2 != SQLITE_DONE) {
				json_decref(eco);
				db_fail(db, "cannot read");
				goto out;
			}
			s = json_pack("{s:s,s:s,s:s,s:o,s:o,s:I,s:I,s:o,s:b}", "path", path,
				      "format", (const char *)sqlite3_column_text(st, 1),
				      "imported", (const char *)sqlite3_column_text(st, 2),
				      "data_time", ward_json_str_or_null(dt), "age_days",
				      age >= 0 ? json_real((double)(long)(age * 10) / 10.0)
					       : json_null(),
				      "records", total, "withdrawn", wd, "ecosystems", eco, "stale",
				      max_age > 0 && (t < 0 || now - t > max_age));
			json_array_append_new(sources, s);
		}
		if (rc != SQLITE_DONE) {
			db_fail(db, "cannot read");
			goto out;
		}
		/* vulnerabilities (CVE ids) named by records of more than one source */
		if (count(db,
			  "SELECT count(*) FROM (SELECT a.alias FROM alias a JOIN vuln v ON v.id = "
			  "a.id WHERE a.alias LIKE 'CVE-%' AND v.withdrawn IS NULL GROUP BY "
			  "a.alias "
			  "HAVING count(DISTINCT v.source) > 1)",
			  &merged) != 0)
			goto out;
	}
	j = json_pack("{s:s,s:o,s:I,s:I}", "store", db->path, "sources", sources,
		      "merged_vulnerabilities", merged, "max_age_days",
		      (json_int_t)(max_age / 86400));
	sources = NULL;
out:
	sqlite3_finalize(st);
	sqlite3_finalize(cnt);
	json_decref(sources);
	return j;
}

int
vuln_db_stale(struct vuln_db *db, time_t now, long max_age, struct ward_strv *out)
{
	json_t *s, *src;
	size_t i;

	if (max_age <= 0)
		return 0;
	if ((s = vuln_db_status(db, now, max_age)) == NULL)
		return -1;
	json_array_foreach(json_object_get(s, "sources"), i, src)
	{
		json_t *age = json_object_get(src, "age_days");
		if (!json_is_true(json_object_get(src, "stale")))
			continue;
		if (age != NULL && json_is_number(age))
			ward_strv_pushf(out,
					"the vulnerability store is stale: %s is %.0f days old "
					"(threshold %ld days, WARD_DB_MAX_AGE); run ward db update",
					ward_json_str(src, "path"), json_number_value(age),
					max_age / 86400);
		else
			ward_strv_pushf(out,
					"the vulnerability store is stale: %s has no data time; "
					"run ward db update",
					ward_json_str(src, "path"));
	}
	json_decref(s);
	return 0;
}
