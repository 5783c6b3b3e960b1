/* fuzz_vuln_tracker: the Debian Security Tracker's JSON export, read one
 * package at a time and turned into OSV records (each checked the way
 * an import would). */
#include "vuln/vuln_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
check(struct vuln_db *db, const json_t *j, const char *what, const char *source,
      struct vuln_import_stats *st)
{
	struct osv_record r;

	(void)db;
	(void)source;
	(void)st;
	if (osv_record_from_json(j, what, &r) == 0)
		osv_record_free(&r);
	ward_err_clear();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vuln_import_stats st = {0};

	(void)tracker_sniff(data, size);
	(void)tracker_import(NULL, data, size, "fuzz", "fuzz", 0, &st, check);
	vuln_import_stats_free(&st);
	ward_err_clear();
	return 0;
}
