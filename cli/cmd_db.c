/* cmd_db.c: ward db import|update|stats — the offline OSV store. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "vuln/vuln.h"

static const char help[] =
	"usage: ward db import SOURCE... --db DIR [--json]\n"
	"       ward db update [SOURCE...] --db DIR [--json]\n"
	"       ward db stats --db DIR [--json]\n"
	"       ward db status --db DIR [--json]\n"
	"\n"
	"Keep an offline store of OSV vulnerability records (DIR/osv.sqlite).\n"
	"A SOURCE is a directory of OSV *.json records (searched recursively), a\n"
	"zip such as osv.dev's per-ecosystem all.zip (Debian's DEBIAN-CVE-*, DSA-*\n"
	"and DLA-* records among them), a tar, or one .json file holding a record\n"
	"or an array of records, or the Debian Security Tracker's JSON export\n"
	"(its data/json page: package -> CVE -> releases), which becomes one\n"
	"DEBIAN-<CVE> record per issue dated by the file's time.  Records of\n"
	"several feeds for the same vulnerability are merged by id (the later\n"
	"`modified` wins) and, at scan time, by alias.  Debian:<release> and PyPI\n"
	"records are matched by ward scan; records of other ecosystems are kept\n"
	"and counted.\n"
	"\n"
	"  import   create the store if needed and add the records\n"
	"  update   add the records again from SOURCE, or from every source\n"
	"           imported before; only records with a later `modified` replace\n"
	"           stored ones; withdrawn records stop matching\n"
	"  stats    check the store's integrity and count its records\n"
	"  status   each source: format, import time, the data's age, its record\n"
	"           counts by ecosystem, and whether it is stale (older than\n"
	"           WARD_DB_MAX_AGE days, default 7: ward scan warns then)\n"
	"\n"
	"Malformed records are skipped, counted, and the first reason is shown.\n"
	"\n"
	"  -d, --db DIR   the store (default: $WARD_DB)\n"
	"      --json     machine-readable result on stdout\n"
	"\n"
	"Exit codes: 0 ok, 2 bad input (no store, corrupt store, unreadable\n"
	"source), 3 environment.\n";

static json_t *
stats_json(const char *source, const struct vuln_import_stats *st)
{
	json_t *eco = json_array();

	for (size_t i = 0; i < st->unmatched_ecosystems.n; i++)
		json_array_append_new(eco, json_string(st->unmatched_ecosystems.v[i]));
	return json_pack(
		"{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:s?,s:s?,s:f}", "source",
		source, "format", st->format, "files", (json_int_t)st->files, "records",
		(json_int_t)st->records, "added", (json_int_t)st->added, "updated",
		(json_int_t)st->updated, "unchanged", (json_int_t)st->unchanged, "withdrawn",
		(json_int_t)st->withdrawn, "malformed", (json_int_t)st->malformed,
		"invalid_versions", (json_int_t)st->invalid_versions, "warnings",
		(json_int_t)st->warnings, "unmatched_records", (json_int_t)st->unmatched_records,
		"unmatched_ecosystems", eco, "first_error",
		st->first_error[0] ? st->first_error : NULL, "first_warning",
		st->first_warning[0] ? st->first_warning : NULL, "seconds", (double)st->ns / 1e9);
}

static void
stats_human(const char *source, const struct vuln_import_stats *st)
{
	fprintf(stderr,
		"ward: %s: %zu records in %zu files: %zu added, %zu updated, %zu unchanged, "
		"%zu withdrawn, %zu malformed (%.2f s)\n",
		source, st->records, st->files, st->added, st->updated, st->unchanged,
		st->withdrawn, st->malformed, (double)st->ns / 1e9);
	if (strcmp(st->format, "debian-tracker") == 0)
		fprintf(stderr,
			"ward: %s: Debian tracker export: %zu source packages, %zu release lines "
			"without a release number (sid, experimental) left out\n",
			source, st->packages, st->skipped_releases);
	if (st->malformed > 0)
		fprintf(stderr, "ward: skipped %zu malformed records; first: %s\n", st->malformed,
			st->first_error);
	if (st->invalid_versions > 0 || st->warnings > 0)
		fprintf(stderr,
			"ward: %zu warnings (%zu range versions that cannot be ordered); "
			"first: %s\n",
			st->warnings, st->invalid_versions, st->first_warning);
	if (st->unmatched_ecosystems.n > 0) {
		fprintf(stderr, "ward: %zu records are for ecosystems ward does not match yet:",
			st->unmatched_records);
		for (size_t i = 0; i < st->unmatched_ecosystems.n; i++)
			fprintf(stderr, " %s", st->unmatched_ecosystems.v[i]);
		fprintf(stderr, "\n");
	}
}

static int
do_import(struct vuln_db *db, struct ward_strv *sources, int json)
{
	json_t *out = json_array();
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < sources->n; i++) {
		struct vuln_import_stats st = {0};
		char real[PATH_MAX];
		struct ward_progress *p;
		const char *src = realpath(sources->v[i], real) ? real : sources->v[i];
		p = ward_progress_new("importing", 0, 0);
		rc = vuln_db_import(db, src, &st, p);
		ward_progress_done(p);
		if (rc == 0) {
			if (json)
				json_array_append_new(out, stats_json(src, &st));
			else
				stats_human(src, &st);
		}
		vuln_import_stats_free(&st);
	}
	if (rc == 0 && json)
		cli_print_json(out);
	json_decref(out);
	return rc == 0 ? 0 : cli_fail();
}

int
cmd_db(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *dir = getenv("WARD_DB"), *verb;
	struct ward_strv sources = {0};
	struct vuln_db *db = NULL;
	int json = 0, c, rc = 0;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return argc < 2 ? cli_usage("db", "expected import, update or stats")
				: cli_help(help);
	verb = argv[1];
	if (strcmp(verb, "import") && strcmp(verb, "update") && strcmp(verb, "stats") &&
	    strcmp(verb, "status"))
		return cli_usage("db", "unknown subcommand \"%s\"", verb);
	argc--;
	argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			return cli_help(help);
		default:
			return cli_usage("db", "invalid option");
		}
	}
	if (dir == NULL || *dir == '\0')
		return cli_usage("db", "no store: give --db DIR or set WARD_DB");
	for (int i = optind; i < argc; i++)
		ward_strv_push(&sources, argv[i]);
	if (strcmp(verb, "status") == 0) {
		json_t *j, *src;
		size_t i;
		if (sources.n > 0) {
			ward_strv_free(&sources);
			return cli_usage("db", "status takes no SOURCE");
		}
		if ((db = vuln_db_open(dir, VULN_DB_READ)) == NULL ||
		    (j = vuln_db_status(db, time(NULL), vuln_db_max_age())) == NULL) {
			rc = cli_fail();
		} else {
			if (json) {
				cli_print_json(j);
			} else {
				printf("store %s (stale after %lld days)\n",
				       json_string_value(json_object_get(j, "store")),
				       (long long)json_integer_value(
					       json_object_get(j, "max_age_days")));
				json_array_foreach(json_object_get(j, "sources"), i, src)
				{
					const char *k;
					json_t *v, *age = json_object_get(src, "age_days");
					printf("%s\n  format %s, imported %s, data of %s (%s%.1f "
					       "days old)%s\n"
					       "  %lld records (+%lld withdrawn):",
					       ward_json_str(src, "path"),
					       ward_json_str(src, "format"),
					       ward_json_str(src, "imported"),
					       ward_json_str(src, "data_time")
						       ? ward_json_str(src, "data_time")
						       : "unknown time",
					       json_is_number(age) ? "" : "? ",
					       json_is_number(age) ? json_number_value(age) : 0.0,
					       json_is_true(json_object_get(src, "stale"))
						       ? "  STALE"
						       : "",
					       (long long)json_integer_value(
						       json_object_get(src, "records")),
					       (long long)json_integer_value(
						       json_object_get(src, "withdrawn")));
					json_object_foreach(json_object_get(src, "ecosystems"), k,
							    v)
						printf(" %s %lld", k,
						       (long long)json_integer_value(v));
					printf("\n");
				}
				printf("vulnerabilities with records from several sources "
				       "(merged): %lld\n",
				       (long long)json_integer_value(
					       json_object_get(j, "merged_vulnerabilities")));
			}
			json_decref(j);
		}
	} else if (strcmp(verb, "stats") == 0) {
		json_t *j;
		if (sources.n > 0) {
			ward_strv_free(&sources);
			return cli_usage("db", "stats takes no SOURCE");
		}
		if ((db = vuln_db_open(dir, VULN_DB_READ)) == NULL ||
		    (j = vuln_db_stats(db)) == NULL) {
			rc = cli_fail();
		} else {
			if (json) {
				cli_print_json(j);
			} else {
				const char *k;
				json_t *v;
				fprintf(stdout,
					"store     %s\nrecords   %lld (+%lld withdrawn)\n"
					"aliases   %lld\nsize      %lld bytes\n",
					json_string_value(json_object_get(j, "store")),
					(long long)json_integer_value(
						json_object_get(j, "records")),
					(long long)json_integer_value(
						json_object_get(j, "withdrawn")),
					(long long)json_integer_value(
						json_object_get(j, "aliases")),
					(long long)json_integer_value(json_object_get(j, "bytes")));
				json_object_foreach(json_object_get(j, "ecosystems"), k, v) fprintf(
					stdout, "  %-12s %6lld records, %6lld packages%s\n", k,
					(long long)json_integer_value(
						json_object_get(v, "records")),
					(long long)json_integer_value(
						json_object_get(v, "packages")),
					json_is_true(json_object_get(v, "matched"))
						? ""
						: " (not matched)");
			}
			json_decref(j);
		}
	} else if (strcmp(verb, "import") == 0) {
		if (sources.n == 0)
			rc = cli_usage("db", "import needs at least one SOURCE");
		else if ((db = vuln_db_open(dir, VULN_DB_CREATE)) == NULL)
			rc = cli_fail();
		else
			rc = do_import(db, &sources, json);
	} else {
		if ((db = vuln_db_open(dir, VULN_DB_WRITE)) == NULL)
			rc = cli_fail();
		else if (sources.n == 0 && vuln_db_sources(db, &sources) != 0)
			rc = cli_fail();
		else if (sources.n == 0)
			rc = cli_usage("db",
				       "update: no SOURCE given and none recorded in the store");
		else
			rc = do_import(db, &sources, json);
	}
	vuln_db_close(db);
	ward_strv_free(&sources);
	return rc;
}
