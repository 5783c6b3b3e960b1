/* cmd_scan.c: ward scan — vulnerabilities of an image, SBOM or root filesystem. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "vuln/vuln.h"

static const char help[] =
	"usage: ward scan TARGET --db DIR [options]\n"
	"\n"
	"Match the packages of TARGET against the offline OSV store (ward db):\n"
	"Debian packages by source package and source version (dpkg order),\n"
	"Python distributions by PEP 503 name and PEP 440 version.  A Python\n"
	"distribution shipped by a Debian package is reported once, against\n"
	"that package.  TARGET is\n"
	"  an SBOM        CycloneDX 1.4-1.6 or SPDX 2.3 JSON (ward, syft, trivy)\n"
	"  a directory    an unpacked root filesystem (dpkg status, dist-info)\n"
	"\n"
	"  -d, --db DIR            the store (default: $WARD_DB)\n"
	"      --vex FILE          apply an OpenVEX document (repeatable): not_affected\n"
	"                          and fixed statements move findings to \"suppressed\"\n"
	"      --format FORMAT     table (default), json, sarif or cyclonedx (-f is\n"
	"                          --file in every ward command, so not this)\n"
	"      --json              the same as --format json\n"
	"  -o, --output FILE       write the report to FILE instead of stdout\n"
	"      --fail-on SEVERITY  exit 1 when an open finding (affected or\n"
	"                          under_investigation) is at least SEVERITY\n"
	"                          (unknown, low, medium, high, critical)\n"
	"      --cache DIR         ward's package cache, for Debian changelogs the\n"
	"                          target left out (default: WARD_CACHE, ~/.cache/ward)\n"
	"      --no-backports      the naive match, only to show the difference:\n"
	"                          Python advisories against the dist-info versions of\n"
	"                          modules Debian ships, no changelog evidence\n"
	"\n"
	"Rules (docs/vuln-db.md): a Python module a Debian package ships is judged\n"
	"through that package's source; Debian's records decide; a changelog entry\n"
	"at or below the installed version that names the CVE marks it fixed.\n"
	"JSON: {\"findings\":[{\"id\",\"aliases\",\"ecosystem\",\"package\",\"version\",\n"
	"\"fixed\",\"severity\",\"owner\",\"status\",\"evidence\",...}],\"resolved\":[...],\n"
	"\"suppressed\":[...],\"statuses\":{...},\"problems\":[...]} where findings are\n"
	"open (affected, under_investigation), resolved are fixed or not_affected by\n"
	"the scan's own evidence, package/version are what matched (the source\n"
	"package for Debian) and owner is the installed package that carries it.\n"
	"\n"
	"Exit codes: 0 ok (or findings below --fail-on), 1 findings at or above\n"
	"--fail-on, 2 bad input (target, store, VEX), 3 environment.\n";

enum { FMT_TABLE, FMT_JSON, FMT_SARIF, FMT_CDX };

int
cli_target_kind(const char *target)
{
	struct stat st;
	char *layout, head[1] = {0};
	FILE *f;
	int image;

	if (stat(target, &st) != 0)
		/* DIR:tag, FILE:name:tag, transport:... */
		return strchr(target, ':') != NULL ? TARGET_IMAGE
						   : ward_err_io(target, "cannot read");
	if (S_ISDIR(st.st_mode)) {
		if ((layout = ward_path_join(target, "oci-layout")) == NULL)
			return -1;
		image = stat(layout, &st) == 0;
		free(layout);
		return image ? TARGET_IMAGE : TARGET_ROOTFS;
	}
	/* a JSON document is an SBOM; anything else is tried as an image archive */
	{
		/* never waits on a FIFO or a device (ward_input_open) */
		int fd = ward_input_open(target, 0, NULL);
		if (fd < 0)
			return -1;
		if ((f = fdopen(fd, "rb")) == NULL) {
			close(fd);
			return ward_err_io(target, "cannot read");
		}
	}
	while (fread(head, 1, 1, f) == 1 &&
	       (head[0] == ' ' || head[0] == '\n' || head[0] == '\r' || head[0] == '\t'))
		;
	fclose(f);
	return head[0] == '{' ? TARGET_SBOM : TARGET_IMAGE;
}

int
cli_scan_target(const char *target, struct vuln_pkglist *pkgs)
{
	switch (cli_target_kind(target)) {
	case TARGET_ROOTFS:
		return vuln_pkglist_from_rootfs(target, pkgs);
	case TARGET_IMAGE:
		return vuln_pkglist_from_image(target, pkgs);
	case TARGET_SBOM:
		return vuln_pkglist_from_sbom(target, pkgs);
	default:
		return -1;
	}
}

int
cli_write_json_output(const char *path, const json_t *j)
{
	struct stat st;
	char *text;
	FILE *f;
	int rc = 0;

	/* Atomic replacement is for files: writing a report to /dev/stdout or
	 * a pipe must not rename a regular file over the device. */
	if (stat(path, &st) != 0 || S_ISREG(st.st_mode))
		return ward_json_write_file(path, j, 1);
	if ((text = ward_json_dump(j, 1)) == NULL)
		return -1;
	if ((f = fopen(path, "w")) == NULL) {
		free(text);
		return ward_err_io(path, "cannot write");
	}
	if (fputs(text, f) == EOF)
		rc = ward_err_io(path, "cannot write");
	if (fclose(f) != 0 && rc == 0)
		rc = ward_err_io(path, "cannot write");
	free(text);
	return rc;
}

static int
write_report(const struct vuln_report *r, int fmt, const char *output)
{
	json_t *j = NULL;
	time_t now;
	int rc;

	if (fmt == FMT_TABLE) {
		struct stat st;
		char *text = NULL;
		size_t len = 0;
		FILE *f;
		if (output == NULL)
			return vuln_report_table(r, stdout);
		/* a regular file is replaced atomically, a device written through */
		if (stat(output, &st) == 0 && !S_ISREG(st.st_mode)) {
			if ((f = fopen(output, "w")) == NULL)
				return ward_err_io(output, "cannot write");
			rc = vuln_report_table(r, f);
			if (fclose(f) != 0 && rc == 0)
				rc = ward_err_io(output, "cannot write");
			return rc;
		}
		if ((f = open_memstream(&text, &len)) == NULL)
			return ward_errno(WARD_EENV, "out of memory");
		rc = vuln_report_table(r, f);
		if (fclose(f) != 0 && rc == 0)
			rc = ward_errno(WARD_EENV, "out of memory");
		if (rc == 0)
			rc = ward_file_write(output, text, len, 0644);
		free(text);
		return rc;
	}
	if (ward_source_date_epoch(&now) != 1)
		now = time(NULL);
	j = fmt == FMT_JSON    ? vuln_report_json(r)
	    : fmt == FMT_SARIF ? vuln_report_sarif(r)
			       : vuln_report_cyclonedx(r, now);
	if (j == NULL)
		return ward_err(WARD_EENV, "out of memory");
	rc = output ? cli_write_json_output(output, j) : cli_print_json(j);
	json_decref(j);
	return rc;
}

int
cmd_scan(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},	  {"vex", required_argument, NULL, 'V'},
		{"format", required_argument, NULL, 'f'}, {"json", no_argument, NULL, 'j'},
		{"output", required_argument, NULL, 'o'}, {"fail-on", required_argument, NULL, 'F'},
		{"cache", required_argument, NULL, 'C'},  {"no-backports", no_argument, NULL, 'N'},
		{"help", no_argument, NULL, 'h'},	  {0},
	};
	struct vuln_scan_opts so = {0};
	const char *dir = getenv("WARD_DB"), *output = NULL;
	struct ward_strv vex_files = {0};
	struct vuln_pkglist pkgs = {0};
	struct vuln_report report = {0};
	struct vuln_vex *vex = NULL;
	struct vuln_db *db = NULL;
	int fmt = FMT_TABLE, fail_on = -1, c, rc = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'V':
			ward_strv_push(&vex_files, optarg);
			break;
		case 'j':
			fmt = FMT_JSON;
			break;
		case 'o':
			output = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "table") == 0)
				fmt = FMT_TABLE;
			else if (strcmp(optarg, "json") == 0)
				fmt = FMT_JSON;
			else if (strcmp(optarg, "sarif") == 0)
				fmt = FMT_SARIF;
			else if (strcmp(optarg, "cyclonedx") == 0)
				fmt = FMT_CDX;
			else
				rc = cli_usage("scan", "unknown format \"%s\"", optarg);
			break;
		case 'C':
			so.cache = optarg;
			break;
		case 'N':
			so.no_backports = 1;
			break;
		case 'F':
			if ((fail_on = vuln_severity_parse(optarg)) < 0)
				rc = cli_usage("scan", "unknown severity \"%s\"", optarg);
			break;
		case 'h':
			ward_strv_free(&vex_files);
			return cli_help(help);
		default:
			rc = cli_usage("scan", "invalid option");
			break;
		}
		if (rc != 0) {
			ward_strv_free(&vex_files);
			return rc;
		}
	}
	if (optind + 1 != argc) {
		ward_strv_free(&vex_files);
		return cli_usage("scan", "expected one TARGET");
	}
	if (dir == NULL || *dir == '\0') {
		ward_strv_free(&vex_files);
		return cli_usage("scan", "no store: give --db DIR or set WARD_DB");
	}
	if ((vex = vuln_vex_new()) == NULL)
		goto fail;
	for (size_t i = 0; i < vex_files.n; i++)
		if (vuln_vex_load(vex, vex_files.v[i]) != 0)
			goto fail;
	if ((db = vuln_db_open(dir, VULN_DB_READ)) == NULL)
		goto fail;
	if (cli_scan_target(argv[optind], &pkgs) != 0)
		goto fail;
	if (vuln_scan_with(db, &pkgs, &so, &report) != 0)
		goto fail;
	/* a stale store warns on every scan (and says so in the report) */
	if (vuln_db_stale(db, time(NULL), vuln_db_max_age(), &report.warnings) != 0)
		goto fail;
	for (size_t i = 0; i < report.warnings.n; i++)
		if (strncmp(report.warnings.v[i], "the vulnerability store is stale", 32) == 0)
			ward_warn("%s", report.warnings.v[i]);
	if (vuln_vex_apply(vex, &report) != 0)
		goto fail;
	for (size_t i = 0; i < report.problems.n; i++)
		ward_warn("%s", report.problems.v[i]);
	if (write_report(&report, fmt, output) != 0)
		goto fail;
	if (fmt != FMT_TABLE || output != NULL)
		fprintf(stderr,
			"ward: %zu findings, %zu resolved, %zu suppressed, in %zu packages\n",
			report.nfindings, report.nresolved, report.nsuppressed, report.packages);
	if (fail_on >= 0 && report.nfindings > 0 && vuln_report_worst(&report) >= fail_on) {
		fprintf(stderr, "ward: findings at or above %s\n", vuln_severity_name(fail_on));
		rc = EXIT_VERIFY;
	}
	goto out;
fail:
	rc = cli_fail();
out:
	vuln_report_free(&report);
	vuln_pkglist_free(&pkgs);
	vuln_db_close(db);
	vuln_vex_free(vex);
	ward_strv_free(&vex_files);
	return rc;
}
