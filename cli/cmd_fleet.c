/* cmd_fleet.c: ward fleet add|rm|ls|impact|sync|report — the image inventory. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "fleet/fleet.h"
#include "report/report.h"
#include "vuln/vuln.h"

static const char help[] =
	"usage: ward fleet add IMAGE|RELEASE|SBOM... [--name NAME] [--vex FILE] [--digest D]\n"
	"                      [--key PUB]\n"
	"       ward fleet rm DIGEST|NAME...\n"
	"       ward fleet ls\n"
	"       ward fleet impact CVE-ID|OSV-FILE... --db DIR [--format F] [-o FILE]\n"
	"       ward fleet sync --db DIR [--format F] [-o FILE] [--prometheus FILE]\n"
	"                       [--html FILE] [--list-new-images]\n"
	"       ward fleet report -o fleet.html\n"
	"       ward fleet migrate [--to N]\n"
	"\n"
	"An inventory of images, and which of them a vulnerability hits.  add records\n"
	"an image (OCI layout DIR[:tag], oci-archive or docker-archive FILE[:tag]), a\n"
	"release directory (its image and VEX) or a CycloneDX/SPDX SBOM naming its\n"
	"image digest: the packages ward scan matches, its names, its VEX statements\n"
	"and runtime policy.  Adding a digest again only adds names.  impact answers\n"
	"for an advisory id known to the store (CVE, GHSA, PYSEC, DSA... as id or\n"
	"alias) or an OSV file taken alone: the images affected, with the same\n"
	"findings ward scan of each image reports, and the image's own VEX status.\n"
	"sync, after ward db import of a newer feed, reports what changed since the\n"
	"last sync: newly affected, newly fixed, fix available, withdrawn, with the\n"
	"records' modified times; images added since are evaluated whole.\n"
	"\n"
	"  -i, --inventory INV   an SQLite file (created by add) or a postgresql:// URI\n"
	"                        (default: $WARD_INVENTORY, else\n"
	"                        ~/.local/share/ward/fleet.sqlite)\n"
	"  -d, --db DIR          the vulnerability store (default: $WARD_DB)\n"
	"  -f, --format F        table (default), json, sarif (impact), prometheus, html\n"
	"      --json            the same as --format json\n"
	"  -o, --output FILE     write there instead of stdout (atomically)\n"
	"      --prometheus FILE also write the fleet's Prometheus textfile (sync)\n"
	"      --html FILE       also write the fleet's HTML page (sync)\n"
	"      --fail-on SEV     exit 1 when impact finds, or sync newly finds, an\n"
	"                        unsuppressed finding of at least SEV\n"
	"      --name NAME       another name for the image (repeatable)\n"
	"      --vex FILE        an OpenVEX document that speaks for the image\n"
	"      --digest D        the image digest, for an SBOM that does not name it\n"
	"      --key PUB         verify a RELEASE with this key before adding it\n"
	"      --findings        ls: each image's findings as of the last sync\n"
	"      --to N            migrate: the schema version to stop at (default: latest)\n"
	"\n"
	"Exit codes: 0 ok, 1 findings at or above --fail-on, 2 bad input (unknown\n"
	"id, image, inventory), 3 environment (database, I/O).\n";

enum { FMT_TABLE, FMT_JSON, FMT_SARIF, FMT_PROM, FMT_HTML };

enum {
	OPT_NAME = 0x1200,
	OPT_VEX,
	OPT_DIGEST,
	OPT_KEY,
	OPT_PROM,
	OPT_HTML,
	OPT_FAIL,
	OPT_LISTNEW,
	OPT_JSON,
	OPT_FINDINGS,
	OPT_TO,
};

struct opts {
	const char *inventory, *db, *output, *digest, *key, *prom, *html;
	struct ward_strv names, vex;
	int fmt, fail_on, list_new, findings;
	long to;
};

static char *
default_inventory(void)
{
	const char *x = getenv("XDG_DATA_HOME"), *home = getenv("HOME");

	if (x != NULL && *x == '/')
		return ward_asprintf("%s/ward/fleet.sqlite", x);
	if (home != NULL && *home == '/')
		return ward_asprintf("%s/.local/share/ward/fleet.sqlite", home);
	ward_err(WARD_EINPUT, "no inventory: give --inventory or set WARD_INVENTORY");
	return NULL;
}

/* Open the inventory; add creates an SQLite file (and its directory). */
static struct fleet *
open_inventory(const struct opts *o, int create)
{
	const char *inv = o->inventory ? o->inventory : getenv("WARD_INVENTORY");
	char *def = NULL, *dir, *slash;
	struct fleet *f;

	if (inv == NULL || *inv == '\0') {
		if ((def = default_inventory()) == NULL)
			return NULL;
		inv = def;
		if (create && (dir = ward_strdup(def)) != NULL) {
			if ((slash = strrchr(dir, '/')) != NULL) {
				*slash = '\0';
				ward_mkdir_p(dir, 0700);
			}
			free(dir);
		}
	}
	f = fleet_open(inv, create);
	free(def);
	return f;
}

/* Write text to -o FILE (atomically) or stdout. */
static int
write_text(const char *path, const char *text)
{
	struct stat st;
	FILE *f;
	int rc = 0;

	if (text == NULL)
		return ward_err(WARD_EENV, "out of memory");
	if (path == NULL) {
		fputs(text, stdout);
		return fflush(stdout) == 0 ? 0 : ward_errno(WARD_EENV, "stdout");
	}
	if (stat(path, &st) != 0 || S_ISREG(st.st_mode))
		return ward_file_write(path, text, strlen(text), 0644);
	if ((f = fopen(path, "w")) == NULL)
		return ward_err_io(path, "cannot write");
	if (fputs(text, f) == EOF)
		rc = ward_err_io(path, "cannot write");
	if (fclose(f) != 0 && rc == 0)
		rc = ward_err_io(path, "cannot write");
	return rc;
}

static int
write_json(const char *path, const json_t *j)
{
	if (j == NULL)
		return ward_err(WARD_EENV, "out of memory");
	return path ? cli_write_json_output(path, j) : cli_print_json(j);
}

static int
write_html(const char *path, json_t *model)
{
	char *html;
	int rc;

	if (model == NULL)
		return -1;
	html = report_render_fleet(model);
	json_decref(model);
	rc = write_text(path, html);
	free(html);
	return rc;
}

static int
parse(int argc, char **argv, struct opts *o, const char *cmd)
{
	static const struct option lopts[] = {
		{"inventory", required_argument, NULL, 'i'},
		{"db", required_argument, NULL, 'd'},
		{"format", required_argument, NULL, 'f'},
		{"json", no_argument, NULL, OPT_JSON},
		{"output", required_argument, NULL, 'o'},
		{"name", required_argument, NULL, OPT_NAME},
		{"vex", required_argument, NULL, OPT_VEX},
		{"digest", required_argument, NULL, OPT_DIGEST},
		{"key", required_argument, NULL, OPT_KEY},
		{"prometheus", required_argument, NULL, OPT_PROM},
		{"html", required_argument, NULL, OPT_HTML},
		{"fail-on", required_argument, NULL, OPT_FAIL},
		{"list-new-images", no_argument, NULL, OPT_LISTNEW},
		{"findings", no_argument, NULL, OPT_FINDINGS},
		{"to", required_argument, NULL, OPT_TO},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	static const char *const formats[] = {"table", "json", "sarif", "prometheus", "html", NULL};
	int c;

	o->db = getenv("WARD_DB");
	o->fail_on = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:d:f:o:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			o->inventory = optarg;
			break;
		case 'd':
			o->db = optarg;
			break;
		case 'f':
			for (o->fmt = 0; formats[o->fmt] && strcmp(formats[o->fmt], optarg);
			     o->fmt++)
				;
			if (formats[o->fmt] == NULL)
				return cli_usage(cmd, "unknown format \"%s\"", optarg);
			break;
		case OPT_JSON:
			o->fmt = FMT_JSON;
			break;
		case 'o':
			o->output = optarg;
			break;
		case OPT_NAME:
			ward_strv_push(&o->names, optarg);
			break;
		case OPT_VEX:
			ward_strv_push(&o->vex, optarg);
			break;
		case OPT_DIGEST:
			o->digest = optarg;
			break;
		case OPT_KEY:
			o->key = optarg;
			break;
		case OPT_PROM:
			o->prom = optarg;
			break;
		case OPT_HTML:
			o->html = optarg;
			break;
		case OPT_FAIL:
			if ((o->fail_on = vuln_severity_parse(optarg)) < 0)
				return cli_usage(cmd, "unknown severity \"%s\"", optarg);
			break;
		case OPT_LISTNEW:
			o->list_new = 1;
			break;
		case OPT_FINDINGS:
			o->findings = 1;
			break;
		case OPT_TO:
			if (cli_parse_long("--to", optarg, 1, 1000, &o->to) != 0)
				return cli_fail();
			break;
		case 'h':
			cli_help(help);
			return -1;
		default:
			return cli_usage(cmd, "invalid option");
		}
	}
	return 0;
}

static int
fleet_add_cmd(struct opts *o, int argc, char **argv)
{
	struct fleet_load_opts lo = {o->digest, &o->names, &o->vex};
	struct fleet *f = NULL;
	json_t *out;
	int rc = 0;

	if (optind >= argc)
		return cli_usage("fleet", "add: expected IMAGE, RELEASE or SBOM");
	if (o->digest != NULL && argc - optind > 1)
		return cli_usage("fleet", "add: --digest names one image: give one input");
	if ((f = open_inventory(o, 1)) == NULL)
		return cli_fail();
	if ((out = json_array()) == NULL) {
		fleet_close(f);
		return cli_fail();
	}
	for (int i = optind; rc == 0 && i < argc; i++) {
		struct fleet_image im;
		struct stat st;
		char *rel;
		int added;
		if (o->key != NULL && stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode) &&
		    (rel = ward_path_join(argv[i], "release.json")) != NULL) {
			int is_rel = stat(rel, &st) == 0;
			free(rel);
			if (is_rel && (rc = cli_verify_release(argv[i], o->key, 0, NULL, 0)) != 0)
				break;
		}
		if (fleet_image_load(argv[i], &lo, &im) != 0 || fleet_add(f, &im, &added) != 0) {
			rc = cli_fail();
			break;
		}
		fprintf(stderr, "ward: %s %s (%s, %zu packages)%s\n", added ? "added" : "have",
			im.digest, im.names.n ? im.names.v[0] : argv[i], im.pkgs.n,
			added ? "" : ": names merged");
		json_array_append_new(out, json_pack("{s:s,s:s,s:b,s:I,s:o}", "input", argv[i],
						     "digest", im.digest, "added", added,
						     "packages", (json_int_t)im.pkgs.n, "names",
						     ward_json_strv(&im.names)));
		fleet_image_free(&im);
	}
	if (rc == 0 && o->fmt == FMT_JSON && write_json(o->output, out) != 0)
		rc = cli_fail();
	json_decref(out);
	fleet_close(f);
	return rc;
}

static int
fleet_rm_cmd(struct opts *o, int argc, char **argv)
{
	struct ward_strv removed = {0};
	struct fleet *f;
	int rc = 0;

	if (optind >= argc)
		return cli_usage("fleet", "rm: expected a DIGEST or NAME");
	if ((f = open_inventory(o, 0)) == NULL)
		return cli_fail();
	for (int i = optind; rc == 0 && i < argc; i++) {
		size_t before = removed.n;
		if (fleet_rm(f, argv[i], &removed) != 0) {
			rc = cli_fail();
		} else if (removed.n == before) {
			ward_err(WARD_EINPUT, "%s: no image in %s has this digest or name", argv[i],
				 fleet_name(f));
			rc = cli_fail();
		}
		for (size_t k = before; k < removed.n; k++)
			fprintf(stderr, "ward: removed %s\n", removed.v[k]);
	}
	if (rc == 0 && o->fmt == FMT_JSON) {
		json_t *j = ward_json_strv(&removed);
		if (write_json(o->output, j) != 0)
			rc = cli_fail();
		json_decref(j);
	}
	ward_strv_free(&removed);
	fleet_close(f);
	return rc;
}

static int
fleet_ls_cmd(struct opts *o)
{
	struct fleet *f = open_inventory(o, 0);
	json_t *j, *im;
	size_t i;
	int rc = 0;

	if (f == NULL || (j = fleet_ls(f, o->findings)) == NULL) {
		fleet_close(f);
		return cli_fail();
	}
	if (o->fmt == FMT_JSON) {
		rc = write_json(o->output, j) != 0 ? cli_fail() : 0;
	} else {
		printf("%-19s %-40s %8s %-7s %s\n", "DIGEST", "NAME", "PACKAGES", "SYNCED",
		       "FINDINGS (unsuppressed)");
		json_array_foreach(j, i, im)
		{
			const char *d = json_string_value(json_object_get(im, "digest"));
			const char *n =
				json_string_value(json_array_get(json_object_get(im, "names"), 0));
			json_t *fs = json_object_get(im, "findings"), *v;
			const char *sev;
			printf("%-19.19s %-40.40s %8lld %-7s",
			       d + (strncmp(d, "sha256:", 7) ? 0 : 7), n ? n : "-",
			       (long long)json_integer_value(json_object_get(im, "packages")),
			       json_is_true(json_object_get(im, "synced")) ? "yes" : "no");
			json_object_foreach(fs, sev, v)
			{
				printf(" %s:%lld", sev, (long long)json_integer_value(v));
			}
			printf("\n");
		}
		printf("%zu images in %s (%s)\n", json_array_size(j), fleet_name(f),
		       fleet_backend(f));
	}
	json_decref(j);
	fleet_close(f);
	return rc;
}

static int
worst(const struct fleet_answer *a, size_t n)
{
	int w = -1;

	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < a[i].nhits; k++) {
			int s = vuln_report_worst(&a[i].hits[k].report);
			if (s > w)
				w = s;
		}
	return w;
}

static int
fleet_impact_cmd(struct opts *o, int argc, char **argv)
{
	struct fleet_answer *a = NULL;
	struct vuln_db *db = NULL;
	struct fleet *f = NULL;
	size_t n = 0;
	int rc = 0, need_db = 0;

	if (optind >= argc)
		return cli_usage("fleet", "impact: expected a CVE-ID or OSV-FILE");
	for (int i = optind; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0)
			need_db = 1;
	}
	if (need_db && (o->db == NULL || *o->db == '\0'))
		return cli_usage("fleet",
				 "impact: an id needs the store: give --db DIR or set WARD_DB");
	if ((a = ward_calloc((size_t)(argc - optind), sizeof(*a))) == NULL)
		return cli_fail();
	if ((f = open_inventory(o, 0)) == NULL ||
	    (need_db && (db = vuln_db_open(o->db, VULN_DB_READ)) == NULL))
		goto fail;
	for (int i = optind; i < argc; i++, n++) {
		struct stat st;
		int r = stat(argv[i], &st) == 0 ? fleet_impact_file(f, argv[i], &a[n])
						: fleet_impact(f, db, argv[i], &a[n]);
		if (r != 0)
			goto fail;
	}
	switch (o->fmt) {
	case FMT_JSON: {
		json_t *j = fleet_answers_json(a, n);
		rc = write_json(o->output, j);
		json_decref(j);
		break;
	}
	case FMT_SARIF: {
		json_t *j = fleet_answers_sarif(a, n);
		rc = write_json(o->output, j);
		json_decref(j);
		break;
	}
	case FMT_PROM: {
		char *t = fleet_answers_prometheus(a, n);
		rc = write_text(o->output, t);
		free(t);
		break;
	}
	case FMT_HTML:
		rc = write_html(o->output ? o->output : "fleet-impact.html",
				fleet_answers_model(a, n, argv[optind]));
		break;
	default:
		if (o->output != NULL) {
			char *text = NULL;
			size_t len = 0;
			FILE *m = open_memstream(&text, &len);
			if (m == NULL)
				goto fail;
			rc = fleet_answers_table(a, n, m);
			fclose(m);
			if (rc == 0)
				rc = write_text(o->output, text);
			free(text);
		} else {
			rc = fleet_answers_table(a, n, stdout);
		}
	}
	if (rc != 0)
		goto fail;
	if (o->fail_on >= 0 && worst(a, n) >= o->fail_on) {
		fprintf(stderr, "ward: images affected at or above %s\n",
			vuln_severity_name(o->fail_on));
		rc = EXIT_VERIFY;
	}
	goto out;
fail:
	rc = cli_fail();
out:
	for (size_t i = 0; i < n; i++)
		fleet_answer_free(&a[i]);
	free(a);
	vuln_db_close(db);
	fleet_close(f);
	return rc;
}

/* Run write(r, FILE) into -o FILE (atomically) or onto stdout. */
static int
write_stream(const char *path, const struct fleet_sync_result *r,
	     int (*write)(const struct fleet_sync_result *, FILE *))
{
	struct ward_atomic *a;
	FILE *f;
	int rc;

	if (path == NULL)
		return write(r, stdout) == 0 && fflush(stdout) == 0 ? 0 : -1;
	if ((a = ward_atomic_open(path, 0644)) == NULL)
		return -1;
	if ((f = fdopen(dup(ward_atomic_fd(a)), "w")) == NULL) {
		ward_atomic_abort(a);
		return ward_errno(WARD_EENV, "%s: cannot write", path);
	}
	rc = write(r, f);
	if (fclose(f) != 0 && rc == 0)
		rc = ward_err_io(path, "cannot write");
	if (rc != 0) {
		ward_atomic_abort(a);
		return -1;
	}
	return ward_atomic_commit(a);
}

static int
fleet_sync_cmd(struct opts *o)
{
	struct fleet_sync_opts so = {o->list_new};
	struct fleet_sync_result *r = NULL;
	struct vuln_db *db = NULL;
	struct fleet *f = NULL;
	const json_t *counts;
	int rc = 0;

	if (o->db == NULL || *o->db == '\0')
		return cli_usage("fleet", "sync: give the store with --db DIR or WARD_DB");
	if (o->fmt == FMT_SARIF)
		return cli_usage("fleet", "sync: SARIF is for impact");
	if ((f = open_inventory(o, 0)) == NULL ||
	    (db = vuln_db_open(o->db, VULN_DB_READ)) == NULL || fleet_sync(f, db, &so, &r) != 0)
		goto fail;
	switch (o->fmt) {
	case FMT_JSON:
		rc = write_stream(o->output, r, fleet_sync_write_json);
		break;
	case FMT_PROM: {
		char *t = fleet_state_prometheus(f);
		rc = write_text(o->output, t);
		free(t);
		break;
	}
	case FMT_HTML:
		rc = write_html(o->output ? o->output : "fleet.html",
				fleet_state_model(f, "fleet"));
		break;
	default:
		rc = write_stream(o->output, r, fleet_sync_write_table);
	}
	if (rc == 0 && o->prom != NULL) {
		char *t = fleet_state_prometheus(f);
		rc = write_text(o->prom, t);
		free(t);
	}
	if (rc == 0 && o->html != NULL)
		rc = write_html(o->html, fleet_state_model(f, "fleet"));
	if (rc != 0)
		goto fail;
	counts = json_object_get(fleet_sync_summary(r), "counts");
	fprintf(stderr,
		"ward: synced %s: %lld newly affected, %lld newly fixed, %lld fix available, "
		"%lld withdrawn\n",
		fleet_name(f),
		(long long)json_integer_value(json_object_get(counts, "newly_affected")),
		(long long)json_integer_value(json_object_get(counts, "newly_fixed")),
		(long long)json_integer_value(json_object_get(counts, "fix_available")),
		(long long)json_integer_value(json_object_get(counts, "withdrawn")));
	if (o->fail_on >= 0 && fleet_sync_worst_new(r) >= o->fail_on) {
		fprintf(stderr, "ward: newly affected images at or above %s\n",
			vuln_severity_name(o->fail_on));
		rc = EXIT_VERIFY;
	}
	goto out;
fail:
	rc = cli_fail();
out:
	fleet_sync_result_free(r);
	vuln_db_close(db);
	fleet_close(f);
	return rc;
}

static int
fleet_report_cmd(struct opts *o)
{
	struct fleet *f = open_inventory(o, 0);
	int rc;

	if (f == NULL)
		return cli_fail();
	rc = write_html(o->output ? o->output : "fleet.html", fleet_state_model(f, "fleet"));
	if (rc == 0)
		printf("%s\n", o->output ? o->output : "fleet.html");
	fleet_close(f);
	return rc == 0 ? 0 : cli_fail();
}

static int
fleet_migrate_cmd(struct opts *o)
{
	const char *inv = o->inventory ? o->inventory : getenv("WARD_INVENTORY");
	char *def = NULL;
	int now, latest, rc;

	if ((inv == NULL || *inv == '\0') && (inv = def = default_inventory()) == NULL)
		return cli_fail();
	rc = fleet_upgrade(inv, (int)o->to, &now, &latest);
	if (rc == 0)
		printf("%s: schema %d (latest %d)\n", inv, now, latest);
	free(def);
	return rc == 0 ? 0 : cli_fail();
}

int
cmd_fleet(int argc, char **argv)
{
	struct opts o = {0};
	const char *verb;
	int rc;

	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
		return argc < 2 ? cli_usage("fleet", "expected add, rm, ls, impact, sync or report")
				: cli_help(help);
	verb = argv[1];
	if ((rc = parse(argc - 1, argv + 1, &o, "fleet")) != 0) {
		rc = rc < 0 ? 0 : rc;
		goto out;
	}
	/* argv + 1: optind counts from the verb */
	argc--;
	argv++;
	if (strcmp(verb, "add") == 0)
		rc = fleet_add_cmd(&o, argc, argv);
	else if (strcmp(verb, "rm") == 0)
		rc = fleet_rm_cmd(&o, argc, argv);
	else if (strcmp(verb, "ls") == 0)
		rc = optind < argc ? cli_usage("fleet", "ls takes no arguments") : fleet_ls_cmd(&o);
	else if (strcmp(verb, "impact") == 0)
		rc = fleet_impact_cmd(&o, argc, argv);
	else if (strcmp(verb, "sync") == 0)
		rc = optind < argc ? cli_usage("fleet", "sync takes no arguments")
				   : fleet_sync_cmd(&o);
	else if (strcmp(verb, "migrate") == 0)
		rc = optind < argc ? cli_usage("fleet", "migrate takes no arguments")
				   : fleet_migrate_cmd(&o);
	else if (strcmp(verb, "report") == 0)
		rc = optind < argc ? cli_usage("fleet", "report takes no arguments")
				   : fleet_report_cmd(&o);
	else
		rc = cli_usage("fleet", "unknown subcommand \"%s\"", verb);
out:
	ward_strv_free(&o.names);
	ward_strv_free(&o.vex);
	return rc;
}
