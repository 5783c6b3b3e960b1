/* cmd_report.c: ward report — one static HTML page for a release or audit. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "release/release.h"
#include "report/report.h"

static const char help[] =
	"usage: ward report RELEASE|AUDIT.json -o report.html [--key PUB]\n"
	"\n"
	"Write one static, self-contained HTML page (inline CSS and SVG, no script, no\n"
	"external resource) for a release directory (ward release) or an audit\n"
	"(ward audit --json, also with --compare): hardening score and findings, the\n"
	"CVE table with VEX status, license breakdown, SBOM component counts by\n"
	"type, signature and attestation status, reproducibility, the test matrix.\n"
	"\n"
	"  -o, --output FILE   the page (default: report.html)\n"
	"  -k, --key PUB       verify the release now and say so (else the page shows\n"
	"                      what ward release recorded)\n"
	"  -j, --threads N     hashing threads for --key (default: every CPU)\n"
	"      --json          the report model (JSON) on stdout\n"
	"\n"
	"The page's path is the last line of stdout.\n"
	"Exit codes: 0 written, 2 bad input, 3 environment.\n";

int
cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},  {"key", required_argument, NULL, 'k'},
		{"threads", required_argument, NULL, 'j'}, {"json", no_argument, NULL, 'J'},
		{"help", no_argument, NULL, 'h'},	   {0},
	};
	const char *output = "report.html", *keypath = NULL;
	struct ward_key *key = NULL;
	json_t *model = NULL, *doc = NULL;
	char *html = NULL, *abs = NULL;
	int c, threads = 0, json = 0, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:k:j:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 'k':
			keypath = optarg;
			break;
		case 'j':
			if (cli_parse_threads(optarg, &threads) != 0)
				return cli_fail();
			break;
		case 'J':
			json = 1;
			break;
		case 'h':
			return cli_help(help);
		default:
			return cli_usage("report", "invalid option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage("report", "expected one RELEASE directory or AUDIT.json");
	if (keypath != NULL && (key = key_load_public(keypath)) == NULL)
		return cli_fail();
	if (release_is_dir(argv[optind])) {
		if (report_model_release(argv[optind], key, threads, &model) != 0)
			goto fail;
	} else {
		if (keypath != NULL)
			ward_warn("--key: only a release is verified; %s is not one", argv[optind]);
		if ((doc = ward_json_load_file(argv[optind], 256u << 20)) == NULL ||
		    report_model_audit(doc, &model) != 0)
			goto fail;
	}
	if ((html = report_render(model)) == NULL ||
	    ward_file_write(output, html, strlen(html), 0644) != 0)
		goto fail;
	if (json)
		cli_print_json(model);
	abs = realpath(output, NULL);
	ward_info("wrote %s (%zu bytes; open it in a browser)", output, strlen(html));
	printf("%s\n", abs ? abs : output);
	rc = 0;
	goto out;
fail:
	rc = cli_fail();
out:
	free(abs);
	free(html);
	json_decref(model);
	json_decref(doc);
	key_free(key);
	return rc;
}
