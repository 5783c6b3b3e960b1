/* fleet.c: opening an inventory, and small helpers the rest of lib/fleet shares. */
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "fleet/fleet_internal.h"

/* An SQLite file that is not empty and has no ward schema belongs to
 * someone else: never add tables to it. */
static int
sqlite_foreign(struct fdb *db)
{
	struct fdb_cur *c = fdb_query(db, "SELECT count(*) FROM sqlite_master", NULL, 0);
	int64_t n = 0;
	int rc;

	if (c == NULL)
		return -1;
	if ((rc = fdb_next(c)) == 1)
		n = fdb_int(c, 0);
	fdb_cur_close(c);
	if (rc < 0)
		return -1;
	return n > 0;
}

struct fleet *
fleet_open(const char *inventory, int create)
{
	struct fleet *f = ward_calloc(1, sizeof(*f));
	int version = 0;

	if (f == NULL)
		return NULL;
	if ((f->db = fdb_open(inventory, create)) == NULL)
		goto fail;
	if (fleet_schema_version(f->db, &version) != 0) {
		/* no schema_migrations table: a new inventory, or not one at all */
		int foreign = fdb_kind(f->db) == FDB_SQLITE ? sqlite_foreign(f->db) : 0;
		ward_err_clear();
		if (foreign < 0)
			goto fail;
		if (foreign || !create) {
			ward_err(WARD_EINPUT, "%s: not a ward fleet inventory%s", fdb_name(f->db),
				 foreign ? "" : " (ward fleet add makes one)");
			goto fail;
		}
		version = 0;
	}
	if (version != fleet_schema_latest() && fleet_migrate(f->db, 0) != 0)
		goto fail;
	return f;
fail:
	fleet_close(f);
	return NULL;
}

int
fleet_upgrade(const char *inventory, int version, int *now, int *latest)
{
	struct fleet f = {0};
	int rc = -1, v = 0;

	*latest = fleet_schema_latest();
	if (version < 0 || version > *latest)
		return ward_err(WARD_EINPUT, "schema version %d: this ward knows 1 to %d", version,
				*latest);
	if ((f.db = fdb_open(inventory, 1)) == NULL)
		return -1;
	if (fleet_schema_version(f.db, &v) != 0) {
		int foreign = fdb_kind(f.db) == FDB_SQLITE ? sqlite_foreign(f.db) : 0;
		ward_err_clear();
		if (foreign != 0) {
			if (foreign > 0)
				ward_err(WARD_EINPUT, "%s: not a ward fleet inventory",
					 fdb_name(f.db));
			goto out;
		}
		v = 0;
	}
	if ((version == 0 || v < version) && fleet_migrate(f.db, version) != 0)
		goto out;
	rc = fleet_schema_version(f.db, now);
out:
	fdb_close(f.db);
	return rc;
}

void
fleet_close(struct fleet *f)
{
	if (f == NULL)
		return;
	fdb_close(f->db);
	free(f);
}

const char *
fleet_backend(const struct fleet *f)
{
	return fdb_kind(f->db) == FDB_PG ? "postgresql" : "sqlite";
}

const char *
fleet_name(const struct fleet *f)
{
	return fdb_name(f->db);
}

int64_t
fleet_hash_id(const char *text, size_t len)
{
	uint8_t d[SHA256_LEN];
	uint64_t v = 0;

	sha256(text, len, d);
	for (int i = 0; i < 8; i++)
		v = (v << 8) | d[i];
	v &= 0x7fffffffffffffffULL;
	return v == 0 ? 1 : (int64_t)v;
}

char *
fleet_in_sql(const char *head, const char *tail, size_t nvals)
{
	struct ward_buf b = {0};

	ward_buf_puts(&b, head);
	ward_buf_puts(&b, "(");
	for (size_t i = 0; i < nvals; i++)
		ward_buf_puts(&b, i ? ",?" : "?");
	ward_buf_puts(&b, ")");
	ward_buf_puts(&b, tail ? tail : "");
	return ward_buf_steal(&b);
}

char *
fleet_values_sql(const char *head, size_t width, size_t rows, const char *tail)
{
	struct ward_buf b = {0};

	ward_buf_puts(&b, head);
	ward_buf_puts(&b, " VALUES ");
	for (size_t r = 0; r < rows; r++) {
		ward_buf_puts(&b, r ? ",(" : "(");
		for (size_t i = 0; i < width; i++)
			ward_buf_puts(&b, i ? ",?" : "?");
		ward_buf_puts(&b, ")");
	}
	ward_buf_puts(&b, tail ? tail : "");
	return ward_buf_steal(&b);
}
