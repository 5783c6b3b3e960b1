/* cmd_vex.c: ward vex — OpenVEX v0.2.0 for a scan, with reachability evidence. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "oci/oci.h"
#include "vuln/vuln.h"

/* Unpack an image into a fresh temporary directory (*tmp is what to
 * remove; unpack 0: only read the config) and read what ward-init will
 * execute in it from its entrypoint and /ward/policy.json. */
static int
unpack_image(const char *ref, int unpack, const char *rootfs, char **tmp, char **root,
	     struct vuln_runtime *rt)
{
	struct oci_unpack_opts uo = {.owners = 0};
	struct oci_image *img;
	int rc = 0;

	if ((img = oci_image_open(ref, NULL)) == NULL)
		return -1;
	if (unpack) {
		if ((*tmp = ward_mkdtemp(NULL, "ward-vex")) == NULL ||
		    (*root = ward_path_join(*tmp, "rootfs")) == NULL) {
			oci_image_close(img);
			return -1;
		}
		uo.progress = ward_progress_new("unpacking image", 0, 1);
		rc = oci_image_unpack(img, *root, &uo);
		ward_progress_done(uo.progress);
		rootfs = *root;
	}
	if (rc == 0)
		rc = vuln_runtime_read(
			rootfs, img->cfg.root,
			img->manifest.digest[0] ? img->manifest.digest : img->config.digest, rt);
	oci_image_close(img);
	return rc;
}

static const char help[] =
	"usage: ward vex TARGET --db DIR [options]\n"
	"\n"
	"Scan TARGET (an unpacked root filesystem or an SBOM, as ward scan) and\n"
	"write an OpenVEX v0.2.0 document with one statement per finding:\n"
	"  not_affected / component_not_present    the package's files, or the\n"
	"        library that holds the vulnerable code, are not in the image\n"
	"  not_affected / vulnerable_code_not_in_execute_path   (annotated\n"
	"        vulnerabilities only) no ELF object imports a vulnerable symbol,\n"
	"        defines a copy of it, or calls dlopen naming the library; the\n"
	"        evidence is in impact_statement\n"
	"  affected      with an action statement when a fixed version exists\n"
	"  not_affected / vulnerable_code_not_present   the library or program\n"
	"        that holds the vulnerable code is not in the image\n"
	"  not_affected / vulnerable_code_not_in_execute_path   (image TARGET)\n"
	"        the only code reaching it is in programs ward-init never executes:\n"
	"        the image's entrypoint is /ward/init and its /ward/policy.json\n"
	"        allows only the server (and exec.allow) to run\n"
	"  fixed         the installed package carries the fix (a Debian\n"
	"        changelog entry, or Debian's fixed version): status_notes quote it\n"
	"  affected      a record says so and nothing contradicts it; the action\n"
	"        statement says what to upgrade, or the tracker's urgency and reason\n"
	"  under_investigation   only when nothing decisive is known\n"
	"ELF evidence needs a root filesystem: TARGET itself, or --rootfs for an\n"
	"SBOM.  `ward scan --vex` with the output suppresses exactly its\n"
	"not_affected and fixed statements.\n"
	"\n"
	"  -d, --db DIR             the store (default: $WARD_DB)\n"
	"      --cache DIR          ward's package cache, for changelogs the image\n"
	"                           left out (default: WARD_CACHE, ~/.cache/ward)\n"
	"      --no-backports       the naive match, only to show the difference\n"
	"  -a, --annotations FILE   reachability annotations\n"
	"                           (docs/formats/vex-annotations.md; default:\n"
	"                           $WARD_VEX_ANNOTATIONS)\n"
	"      --rootfs DIR         root filesystem to inspect for an SBOM TARGET\n"
	"      --author NAME        document author (default \"ward\")\n"
	"      --id IRI             document @id (default: derived from the content)\n"
	"  -o, --output FILE        write the document to FILE (default stdout)\n"
	"      --json               accepted for symmetry: the output is JSON\n"
	"\n"
	"Timestamps come from SOURCE_DATE_EPOCH when set.\n"
	"Exit codes: 0 ok, 2 bad input, 3 environment.\n";

int
cmd_vex(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"annotations", required_argument, NULL, 'a'},
		{"rootfs", required_argument, NULL, 'r'},
		{"author", required_argument, NULL, 'A'},
		{"id", required_argument, NULL, 'I'},
		{"output", required_argument, NULL, 'o'},
		{"json", no_argument, NULL, 'j'},
		{"cache", required_argument, NULL, 'C'},
		{"no-backports", no_argument, NULL, 'N'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *dir = getenv("WARD_DB"), *ann_path = getenv("WARD_VEX_ANNOTATIONS");
	struct vuln_scan_opts so = {0};
	struct vuln_runtime rt = {0};
	const char *output = NULL, *rootfs = NULL;
	char *installed = NULL, *tmpdir = NULL, *unpacked = NULL;
	struct vuln_vex_opts o = {0};
	struct vuln_annotations *ann = NULL;
	struct vuln_pkglist pkgs = {0};
	struct vuln_report report = {0};
	struct vuln_db *db = NULL;
	json_t *doc = NULL, *st;
	size_t counts[4] = {0}, i, nst;
	int c, kind, rc = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:a:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'a':
			ann_path = optarg;
			break;
		case 'r':
			rootfs = optarg;
			break;
		case 'A':
			o.author = optarg;
			break;
		case 'I':
			o.id = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'j':
			break;
		case 'C':
			so.cache = optarg;
			break;
		case 'N':
			so.no_backports = 1;
			break;
		case 'h':
			return cli_help(help);
		default:
			return cli_usage("vex", "invalid option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage("vex", "expected one TARGET");
	if (dir == NULL || *dir == '\0')
		return cli_usage("vex", "no store: give --db DIR or set WARD_DB");
	if ((kind = cli_target_kind(argv[optind])) < 0)
		return cli_fail();
	if (rootfs == NULL && kind == TARGET_ROOTFS)
		rootfs = argv[optind];
	if (ann_path == NULL) { /* the installed copy: <prefix>/bin/ward → <prefix>/share/ward */
		installed = cli_beside_self("../share/ward/vex-annotations.json");
		if (installed != NULL && access(installed, R_OK) == 0)
			ann_path = installed;
	}
	if (ann_path != NULL && *ann_path && (ann = vuln_annotations_load(ann_path)) == NULL)
		goto fail;
	if ((db = vuln_db_open(dir, VULN_DB_READ)) == NULL)
		goto fail;
	if (cli_scan_target(argv[optind], &pkgs) != 0 ||
	    vuln_scan_with(db, &pkgs, &so, &report) != 0 ||
	    vuln_db_stale(db, time(NULL), vuln_db_max_age(), &report.warnings) != 0)
		goto fail;
	for (i = 0; i < report.warnings.n; i++)
		ward_warn("%s", report.warnings.v[i]);
	/* an image: its ELF objects are read from an unpacked copy, and what
	 * ward-init will execute from its config and policy */
	if (kind == TARGET_IMAGE) {
		if (unpack_image(argv[optind], rootfs == NULL, rootfs, &tmpdir, &unpacked, &rt) !=
		    0)
			goto fail;
		if (rootfs == NULL)
			rootfs = unpacked;
		o.runtime = &rt;
		if (!rt.proven)
			ward_info("no execute-path claims from the runtime policy: %s", rt.why_not);
	}
	for (i = 0; i < report.problems.n; i++)
		ward_warn("%s", report.problems.v[i]);
	if (ward_source_date_epoch(&o.timestamp) != 1)
		o.timestamp = time(NULL);
	o.rootfs = rootfs;
	o.annotations = ann;
	if (vuln_vex_generate(&report, &pkgs, &o, &doc) != 0)
		goto fail;
	if ((output ? cli_write_json_output(output, doc) : cli_print_json(doc)) != 0)
		goto fail;
	json_array_foreach(json_object_get(doc, "statements"), i, st)
	{
		const char *s = json_string_value(json_object_get(st, "status"));
		counts[strcmp(s, "not_affected") == 0 ? 0
		       : strcmp(s, "affected") == 0   ? 1
		       : strcmp(s, "fixed") == 0      ? 2
						      : 3]++;
	}
	nst = json_array_size(json_object_get(doc, "statements"));
	fprintf(stderr,
		"ward: %zu statements: %zu affected, %zu fixed, %zu not_affected, %zu "
		"under_investigation%s%s\n",
		nst, counts[1], counts[2], counts[0], counts[3],
		rootfs ? "" : " (no root filesystem: no ELF evidence)",
		ann ? "" : " (no annotations: no reachability claims)");
	goto out;
fail:
	rc = cli_fail();
out:
	json_decref(doc);
	vuln_report_free(&report);
	vuln_pkglist_free(&pkgs);
	vuln_db_close(db);
	vuln_annotations_free(ann);
	vuln_runtime_free(&rt);
	free(installed);
	if (tmpdir != NULL)
		ward_rm_rf(tmpdir);
	free(tmpdir);
	free(unpacked);
	return rc;
}
