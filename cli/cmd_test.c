/* cmd_test.c: ward test — the test matrix of an image. */
#include <stdlib.h>
#include <string.h>

#include "check/check.h"
#include "cli.h"
#include "guard_policy.h"

static const char help[] =
	"usage: ward test IMAGE [options]\n"
	"\n"
	"Run the test matrix on an image (OCI layout DIR[:tag], oci-archive or\n"
	"docker-archive): at least 40 named checks, grouped function, performance and\n"
	"security (docs/ward-test.md), on the image itself and, where podman runs, on\n"
	"the image running in a hardened container (the line `ward deploy podman`\n"
	"writes): health, ports, /metrics, the server's process (uid, capabilities,\n"
	"no_new_privs, seccomp), exec and write attempts refused and counted, a\n"
	"tampered model refused at start, graceful stop, startup time and latency.\n"
	"\n"
	"  -k, --key FILE          public key: check signatures and attestations\n"
	"      --certificate-identity[-regexp] ID, --certificate-oidc-issuer[-regexp] URL,\n"
	"      --trusted-root FILE keyless instead of --key (cosign keyless images;\n"
	"                          docs/signing.md)\n"
	"      --bundle FILE       attestation bundle to check with them\n"
	"      --db DIR            vulnerability store: critical/high findings need VEX\n"
	"      --vex FILE          OpenVEX document for them (default: the attested one)\n"
	"      --no-run            image checks only, no container\n"
	"      --require-run       fail when the container checks cannot run\n"
	"      --health PATH       the server's health request (default /healthz)\n"
	"      --request PATH      request for latency (default: the health path)\n"
	"      --request-body FILE POST this body to --request\n"
	"      --exec-probe PATH   a request that makes the server try to exec (else a\n"
	"                          probe container runs for Python servers)\n"
	"      --startup-max MS    fail performance.startup-time above MS\n"
	"      --latency-max MS    fail performance.first-response above MS\n"
	"      --startup-timeout S how long the server may take to be healthy (300)\n"
	"      --keep-image        leave the image in podman's storage\n"
	"      --save-metrics FILE the running image's /metrics text, as read\n"
	"  -o, --output FILE       the JSON report (also with --json: stdout)\n"
	"      --junit FILE        the JUnit XML report\n"
	"  -j, --threads N         hashing threads (default: every CPU)\n"
	"      --json              the JSON report on stdout\n"
	"\n"
	"Exit codes: 0 every required check passed, 1 a required check failed, 2 bad\n"
	"input, 3 environment.\n";

enum {
	OPT_BUNDLE = 0x100,
	OPT_DB,
	OPT_VEX,
	OPT_NO_RUN,
	OPT_REQUIRE_RUN,
	OPT_KEEP_IMAGE,
	OPT_SAVE_METRICS,
	OPT_JUNIT,
	OPT_JSON,
};

int
cmd_test(int argc, char **argv)
{
	static const struct option opts[] = {
		{"key", required_argument, NULL, 'k'},
		CLI_SIGSTORE_LONG_OPTIONS,
		{"bundle", required_argument, NULL, OPT_BUNDLE},
		{"db", required_argument, NULL, OPT_DB},
		{"vex", required_argument, NULL, OPT_VEX},
		{"no-run", no_argument, NULL, OPT_NO_RUN},
		{"require-run", no_argument, NULL, OPT_REQUIRE_RUN},
		CLI_CHECK_LONG_OPTIONS,
		{"keep-image", no_argument, NULL, OPT_KEEP_IMAGE},
		{"save-metrics", required_argument, NULL, OPT_SAVE_METRICS},
		{"output", required_argument, NULL, 'o'},
		{"junit", required_argument, NULL, OPT_JUNIT},
		{"threads", required_argument, NULL, 'j'},
		{"json", no_argument, NULL, OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct check_opts o = {.policy = cli_init_policy, .guard_profile = guard_profile_json};
	struct check_matrix m = {0};
	const char *keypath = NULL, *output = NULL, *junit = NULL;
	struct ward_key *key = NULL;
	struct cli_sigstore ss = {0};
	struct sigstore_opts so = {0};
	json_t *j = NULL;
	char *xml = NULL;
	int c, json = 0, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "k:o:j:h", opts, NULL)) != -1) {
		if (cli_sigstore_option(c, optarg, &ss) == 0)
			continue;
		if ((rc = cli_check_option(c, optarg, &o)) <= 0) {
			if (rc < 0)
				return cli_fail();
			continue;
		}
		switch (c) {
		case 'k':
			keypath = optarg;
			break;
		case OPT_BUNDLE:
			o.bundle = optarg;
			break;
		case OPT_DB:
			o.db = optarg;
			break;
		case OPT_VEX:
			o.vex = optarg;
			break;
		case OPT_NO_RUN:
			o.runtime = CHECK_RUNTIME_OFF;
			break;
		case OPT_REQUIRE_RUN:
			o.runtime = CHECK_RUNTIME_REQUIRED;
			break;
		case OPT_KEEP_IMAGE:
			o.keep_image = 1;
			break;
		case OPT_SAVE_METRICS:
			o.metrics_out = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case OPT_JUNIT:
			junit = optarg;
			break;
		case 'j':
			if (cli_parse_threads(optarg, &o.threads) != 0)
				return cli_fail();
			break;
		case OPT_JSON:
			json = 1;
			break;
		case 'h':
			return cli_help(help);
		default:
			return cli_usage("test", "invalid option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage("test", "expected one IMAGE");
	if (o.db == NULL)
		o.db = getenv("WARD_DB");
	if (keypath != NULL && ss.keyless)
		return cli_usage("test", "give --key or the certificate identity flags, not both");
	if ((rc = cli_sigstore_finish(&ss, "test", 0)) != 0)
		return rc;
	if (ss.keyless) {
		so.root = ss.root;
		so.policy = &ss.policy;
		o.keyless = &so;
	}
	if (keypath != NULL && (key = key_load_public(keypath)) == NULL) {
		cli_sigstore_free(&ss);
		return cli_fail();
	}
	o.key = key;
	o.progress = ward_progress_new("reading the image", 0, 1);
	rc = check_image(argv[optind], &o, &m);
	ward_progress_done(o.progress);
	if (rc != 0) {
		rc = cli_fail();
		goto out;
	}
	if ((j = check_matrix_json(&m)) == NULL || (xml = check_matrix_junit(&m)) == NULL ||
	    (output && cli_write_json_output(output, j) != 0) ||
	    (junit && ward_file_write(junit, xml, strlen(xml), 0644) != 0)) {
		rc = cli_fail();
		goto out;
	}
	if (json)
		cli_print_json(j);
	else
		check_matrix_table(&m, stdout);
	if (m.required_failed)
		fprintf(stderr, "ward: %zu required check(s) failed\n", m.required_failed);
	rc = m.required_failed ? EXIT_VERIFY : 0;
out:
	json_decref(j);
	free(xml);
	check_matrix_free(&m);
	key_free(key);
	cli_sigstore_free(&ss);
	return rc;
}
