/*
 * schema.c: the inventory's tables, as numbered migrations applied in
 * order inside one write transaction (under FDB_LOCK_SCHEMA on
 * PostgreSQL, the write lock on SQLite), each recorded in
 * schema_migrations.  The same text runs on both backends (fdb.h);
 * docs/fleet.md explains every table and index.
 */
#include <stdlib.h>
#include <string.h>

#include "fleet/fleet_internal.h"

static const char *const migrations[] = {
	/* 1: images, deduplicated packages, the (ecosystem, name) index, VEX */
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE image(id BIGINT PRIMARY KEY, digest TEXT NOT NULL UNIQUE,"
	" origin TEXT NOT NULL, target TEXT, distro TEXT, target_ids TEXT NOT NULL,"
	" facts TEXT, added TEXT NOT NULL, packages INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE image_name(name TEXT NOT NULL, image_id BIGINT NOT NULL,"
	" PRIMARY KEY(name, image_id)) WITHOUT ROWID;"
	"CREATE INDEX image_name_by_image ON image_name(image_id);"
	"CREATE TABLE pkg(id BIGINT PRIMARY KEY, owner_pkg BIGINT, data TEXT NOT NULL)"
	" WITHOUT ROWID;"
	"CREATE INDEX pkg_by_owner ON pkg(owner_pkg);"
	"CREATE TABLE pkg_key(ecosystem TEXT NOT NULL, name TEXT NOT NULL,"
	" pkg_id BIGINT NOT NULL, PRIMARY KEY(ecosystem, name, pkg_id)) WITHOUT ROWID;"
	"CREATE TABLE image_pkg(pkg_id BIGINT NOT NULL, image_id BIGINT NOT NULL,"
	" PRIMARY KEY(pkg_id, image_id)) WITHOUT ROWID;"
	"CREATE INDEX image_pkg_by_image ON image_pkg(image_id);"
	"CREATE TABLE vex(vuln TEXT NOT NULL, image_id BIGINT NOT NULL, seq INTEGER NOT NULL,"
	" doc TEXT NOT NULL, PRIMARY KEY(vuln, image_id, seq)) WITHOUT ROWID;"
	"CREATE INDEX vex_by_image ON vex(image_id);",
	/* 2: what the last `ward fleet sync` saw (the feed) and concluded */
	"CREATE TABLE feed(id TEXT PRIMARY KEY, modified TEXT NOT NULL, withdrawn TEXT)"
	" WITHOUT ROWID;"
	"CREATE TABLE feed_key(id TEXT NOT NULL, ecosystem TEXT NOT NULL, name TEXT NOT NULL,"
	" PRIMARY KEY(id, ecosystem, name)) WITHOUT ROWID;"
	"CREATE INDEX feed_key_by_name ON feed_key(ecosystem, name);"
	"CREATE TABLE findingset(id BIGINT PRIMARY KEY, data TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE exposure(image_id BIGINT NOT NULL, owner_pkg BIGINT NOT NULL,"
	" set_id BIGINT NOT NULL, n_critical INTEGER NOT NULL, n_high INTEGER NOT NULL,"
	" n_medium INTEGER NOT NULL, n_low INTEGER NOT NULL, n_none INTEGER NOT NULL,"
	" n_unknown INTEGER NOT NULL, n_suppressed INTEGER NOT NULL,"
	" PRIMARY KEY(image_id, owner_pkg)) WITHOUT ROWID;"
	"CREATE INDEX exposure_by_owner ON exposure(owner_pkg);"
	"CREATE INDEX exposure_by_set ON exposure(set_id);"
	"CREATE TABLE synced(image_id BIGINT PRIMARY KEY) WITHOUT ROWID;",
};

#define LATEST ((int)(sizeof(migrations) / sizeof(*migrations)))

int
fleet_schema_latest(void)
{
	return LATEST;
}

static int
current_version(struct fdb *db, int *out)
{
	int64_t v;
	int rc = fdb_scalar(db, "SELECT max(version) FROM schema_migrations", &v);

	*out = (int)v;
	return rc;
}

int
fleet_schema_version(struct fdb *db, int *out)
{
	return current_version(db, out);
}

int
fleet_migrate(struct fdb *db, int target)
{
	int version, rc = -1;
	char now[32];

	if (target <= 0 || target > LATEST)
		target = LATEST;
	if (fdb_begin(db, 1) != 0)
		return -1;
	if (fdb_lock(db, FDB_LOCK_SCHEMA) != 0 ||
	    fdb_exec(db, "CREATE TABLE IF NOT EXISTS schema_migrations(version INTEGER PRIMARY "
			 "KEY, applied TEXT NOT NULL)") != 0 ||
	    current_version(db, &version) != 0)
		goto out;
	if (version > LATEST) {
		ward_err(WARD_EINPUT,
			 "%s: inventory schema %d is newer than this ward knows (%d): upgrade ward",
			 fdb_name(db), version, LATEST);
		goto out;
	}
	ward_time_rfc3339(time(NULL), now);
	for (int v = version + 1; v <= target; v++) {
		struct fdb_val p[] = {fv_int(v), fv_text(now)};
		if (fdb_exec(db, migrations[v - 1]) != 0 ||
		    fdb_run(db, "INSERT INTO schema_migrations(version, applied) VALUES(?, ?)", p,
			    2) < 0)
			goto out;
		ward_debug("%s: schema migration %d applied", fdb_name(db), v);
	}
	rc = fdb_commit(db);
out:
	if (rc != 0)
		fdb_rollback(db);
	return rc;
}
