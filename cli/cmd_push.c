/* cmd_push.c: ward push — an image with its signatures to a registry. */
#include <stdlib.h>
#include <string.h>

#include "attest/attest.h"
#include "cli.h"

static const char help[] =
	"usage: ward push IMAGE REF [options]\n"
	"\n"
	"Push the image in the OCI layout IMAGE (DIR or DIR:tag) to the registry\n"
	"reference REF (host[:port]/repository[:tag]) with the OCI distribution API:\n"
	"its blobs (skipped when the registry has them, optionally mounted from\n"
	"another repository, large ones in chunks), the manifest under the tag, the\n"
	"cosign signature and attestation manifests under sha256-<hex>.sig/.att, and\n"
	"every OCI 1.1 referrer (listed in the sha256-<hex> fallback index when the\n"
	"registry has no referrers API).  TLS is verified unless --insecure.\n"
	"\n"
	"      --mount-from REPO ask the registry to mount missing blobs from "
	"REPO\n" CLI_REGISTRY_HELP "      --json            machine-readable result on stdout\n"
	"\n"
	"Exit codes: 0 pushed, 1 the registry stored something else than sent, 2 bad\n"
	"input, 3 environment (network, authentication, TLS).\n";

int
cmd_push(int argc, char **argv)
{
	static const struct option opts[] = {
		{"mount-from", required_argument, NULL, 'm'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		CLI_REGISTRY_LONG_OPTIONS,
		{0},
	};
	struct cli_registry reg = {0};
	struct reg_stats st = {0};
	const char *mount = NULL;
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
		case 'm':
			mount = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			return cli_help(help);
		default:
			return cli_usage("push", "invalid option");
		}
	}
	if (optind + 2 != argc)
		return cli_usage("push", "expected IMAGE and REF");
	if (cli_registry_finish(&reg) != 0)
		return cli_fail();
	reg.opts.progress = ward_progress_new("pushing", 0, 1);
	rc = attest_push(argv[optind], argv[optind + 1], &reg.opts, mount, &st, digest);
	ward_progress_done(reg.opts.progress);
	cli_registry_free(&reg);
	if (rc != 0)
		return cli_fail();
	if (json) {
		json_t *j = json_pack("{s:s,s:s,s:s,s:{s:I,s:I,s:I,s:I,s:I,s:I},s:b}", "image",
				      argv[optind], "reference", argv[optind + 1], "digest", digest,
				      "blobs", "uploaded", (json_int_t)st.blobs_uploaded, "skipped",
				      (json_int_t)st.blobs_skipped, "mounted",
				      (json_int_t)st.blobs_mounted, "chunks", (json_int_t)st.chunks,
				      "bytes", (json_int_t)st.bytes, "manifests",
				      (json_int_t)st.manifests, "referrersApi", st.referrers_api);
		cli_print_json(j);
		json_decref(j);
	} else {
		fprintf(stderr,
			"ward: pushed %s to %s (%s): %zu manifest(s), %zu blob(s) uploaded, %zu "
			"already there, %zu mounted\n",
			argv[optind], argv[optind + 1], digest, st.manifests, st.blobs_uploaded,
			st.blobs_skipped, st.blobs_mounted);
		printf("%s\n", digest);
	}
	return 0;
}
