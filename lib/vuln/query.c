/*
 * query.c: questions about packages and the store that lib/fleet asks so
 * that its inventory answers with exactly vuln_scan's rules: which store
 * keys a package is looked up by, which records one finding can merge,
 * which packages a record names, and every record's modified time.
 */
#include <stdlib.h>
#include <string.h>

#include "vuln/vuln_internal.h"

int
vuln_pkg_keys(const struct vuln_pkg *p, struct ward_strv *out)
{
	char *name;
	int rc;

	if (p->ecosystem == NULL || osv_ecosystem_kind(p->ecosystem) == OSV_OTHER)
		return 0;
	if ((name = scan_lookup_name(p)) == NULL)
		return -1;
	rc = ward_strv_pushf(out, "%s\t%s", p->ecosystem, name);
	free(name);
	return rc;
}

/* ---------------------------------------------------------------- store */

static int
step_fail(struct vuln_db *db)
{
	int code = sqlite3_errcode(db->sql);

	return ward_err(code == SQLITE_CORRUPT || code == SQLITE_NOTADB ? WARD_EINPUT : WARD_EENV,
			"%s: cannot read: %s", db->path, sqlite3_errmsg(db->sql));
}

/* Push every text in column 0 of st's rows that seen lacks onto both. */
static int
collect(struct vuln_db *db, sqlite3_stmt *st, struct ward_strv *seen, struct ward_strv *fresh)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);
		if (s == NULL || ward_strv_contains(seen, s))
			continue;
		if (ward_strv_push(seen, s) != 0 || ward_strv_push(fresh, s) != 0)
			return -1;
	}
	return rc == SQLITE_DONE ? 0 : step_fail(db);
}

int
vuln_db_related(struct vuln_db *db, const char *id, struct ward_strv *out)
{
	/* a breadth-first walk over names (ids and aliases) and records */
	sqlite3_stmt *by_name =
		db_prepare(db, "SELECT id FROM vuln WHERE id=?1 AND withdrawn IS NULL UNION "
			       "SELECT id FROM alias WHERE alias=?1");
	sqlite3_stmt *names = db_prepare(db, "SELECT alias FROM alias WHERE id=?1");
	struct ward_strv seen_names = {0}, seen_ids = {0}, todo = {0};
	int rc = -1;

	if (by_name == NULL || names == NULL || ward_strv_push(&todo, id) != 0 ||
	    ward_strv_push(&seen_names, id) != 0)
		goto out;
	while (todo.n > 0) {
		char *name = todo.v[--todo.n];
		struct ward_strv ids = {0};
		sqlite3_reset(by_name);
		sqlite3_bind_text(by_name, 1, name, -1, SQLITE_TRANSIENT);
		free(name);
		if (collect(db, by_name, &seen_ids, &ids) != 0) {
			ward_strv_free(&ids);
			goto out;
		}
		for (size_t i = 0; i < ids.n; i++) {
			if (!ward_strv_contains(&seen_names, ids.v[i]) &&
			    (ward_strv_push(&seen_names, ids.v[i]) != 0 ||
			     ward_strv_push(&todo, ids.v[i]) != 0)) {
				ward_strv_free(&ids);
				goto out;
			}
			sqlite3_reset(names);
			sqlite3_bind_text(names, 1, ids.v[i], -1, SQLITE_STATIC);
			if (collect(db, names, &seen_names, &todo) != 0) {
				ward_strv_free(&ids);
				goto out;
			}
		}
		ward_strv_free(&ids);
	}
	for (size_t i = 0; i < seen_ids.n; i++)
		if (ward_strv_push(out, seen_ids.v[i]) != 0)
			goto out;
	ward_strv_sort(out);
	rc = 0;
out:
	sqlite3_finalize(by_name);
	sqlite3_finalize(names);
	ward_strv_free(&seen_names);
	ward_strv_free(&seen_ids);
	ward_strv_free(&todo);
	return rc;
}

int
vuln_db_record_keys(struct vuln_db *db, const char *id, struct ward_strv *out, char **modified)
{
	sqlite3_stmt *st;
	int rc;

	if (modified != NULL) {
		*modified = NULL;
		if ((st = db_prepare(db, "SELECT modified FROM vuln WHERE id=?")) == NULL)
			return -1;
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW &&
		    (*modified = ward_strdup((const char *)sqlite3_column_text(st, 0))) == NULL)
			rc = SQLITE_NOMEM;
		sqlite3_finalize(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return rc == SQLITE_NOMEM ? -1 : step_fail(db);
	}
	st = db_prepare(db,
			"SELECT DISTINCT ecosystem, name FROM affected WHERE id=? ORDER BY 1, 2");
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (ward_strv_pushf(out, "%s\t%s", (const char *)sqlite3_column_text(st, 0),
				    (const char *)sqlite3_column_text(st, 1)) != 0) {
			sqlite3_finalize(st);
			return -1;
		}
	if (rc != SQLITE_DONE)
		step_fail(db);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
vuln_db_records(struct vuln_db *db,
		int (*fn)(void *arg, const char *id, const char *modified, const char *withdrawn),
		void *arg)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT id, modified, withdrawn FROM vuln ORDER BY id");
	int rc, r = 0;

	if (st == NULL)
		return -1;
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
		r = fn(arg, (const char *)sqlite3_column_text(st, 0),
		       (const char *)sqlite3_column_text(st, 1),
		       (const char *)sqlite3_column_text(st, 2));
	if (r == 0 && rc != SQLITE_DONE)
		r = step_fail(db);
	sqlite3_finalize(st);
	return r;
}
