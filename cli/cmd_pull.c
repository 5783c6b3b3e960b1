/* cmd_pull.c: ward pull — an image with its signatures from a registry. */
#include <stdlib.h>
#include <string.h>

#include "attest/attest.h"
#include "cli.h"

static const char help[] =
	"usage: ward pull REF DIR [options]\n"
	"\n"
	"Pull REF (host[:port]/repository[:tag|@sha256:...]) with its cosign signature\n"
	"and attestation manifests and its OCI 1.1 referrers (the registry's referrers\n"
	"API, else the sha256-<hex> fallback index) into a new OCI layout DIR, which\n"
	"appears whole once everything arrived.  Every manifest and blob is checked\n"
	"against its digest on the way; then `ward verify DIR --key PUB` checks the\n"
	"signatures.\n"
	"\n" CLI_REGISTRY_HELP "      --json            machine-readable result on stdout\n"
	"\n"
	"Exit codes: 0 pulled, 1 the registry sent bytes that do not match their\n"
	"digest, 2 bad input (no such image), 3 environment (network, TLS, auth).\n";

int
cmd_pull(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		CLI_REGISTRY_LONG_OPTIONS,
		{0},
	};
	struct cli_registry reg = {0};
	struct reg_stats st = {0};
	char digest[OCI_DIGEST_LEN + 1] = "";
	int c, json = 0, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if ((rc = cli_registry_option(c, optarg, &reg)) <= 0) {
			if (rc < 0)
				return cli_fail();
			continue;
		}
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'h':
			return cli_help(help);
		default:
			return cli_usage("pull", "invalid option");
		}
	}
	if (optind + 2 != argc)
		return cli_usage("pull", "expected REF and DIR");
	if (cli_registry_finish(&reg) != 0)
		return cli_fail();
	reg.opts.progress = ward_progress_new("pulling", 0, 1);
	rc = attest_pull(argv[optind], argv[optind + 1], &reg.opts, &st, digest);
	ward_progress_done(reg.opts.progress);
	cli_registry_free(&reg);
	if (rc != 0)
		return cli_fail();
	if (json) {
		json_t *j = json_pack("{s:s,s:s,s:s,s:I,s:I,s:b}", "reference", argv[optind],
				      "layout", argv[optind + 1], "digest", digest, "blobs",
				      (json_int_t)st.blobs_fetched, "bytes", (json_int_t)st.bytes,
				      "referrersApi", st.referrers_api);
		cli_print_json(j);
		json_decref(j);
	} else {
		fprintf(stderr, "ward: pulled %s into %s (%s): %zu blob(s), %ju bytes\n",
			argv[optind], argv[optind + 1], digest, st.blobs_fetched,
			(uintmax_t)st.bytes);
		printf("%s\n", digest);
	}
	return 0;
}
