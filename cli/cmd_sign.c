/* cmd_sign.c: ward sign — cosign-compatible image signatures. */
#include <stdlib.h>
#include <string.h>

#include "attest/attest.h"
#include "cli.h"

static const char help[] =
	"usage: ward sign IMAGE --key KEY [--identity REF] [--bundle-out FILE] [--json]\n"
	"\n"
	"Sign the image in the OCI layout IMAGE (DIR or DIR:tag) in both of cosign's\n"
	"forms, stored inside the layout: the legacy simple-signing signature\n"
	"(manifest tagged sha256-<hex>.sig) and the cosign v3 form (a DSSE-signed\n"
	"in-toto statement https://sigstore.dev/cosign/sign/v1 in a Sigstore bundle,\n"
	"an OCI 1.1 referrer of the image).  The signature also commits to the\n"
	"attestations already present, so removing one later is detected: attest\n"
	"first, sign last.  Signing again with the same key replaces that key's\n"
	"earlier signature.\n"
	"\n"
	"  -k, --key FILE        private key (cosign encrypted or PKCS#8 PEM); its\n"
	"                        password comes from WARD_PASSWORD or the terminal\n"
	"      --identity REF    docker-reference recorded in the signature\n"
	"                        (default: from the tag, or the layout's name)\n"
	"      --bundle-out FILE write the attestation bundle (JSON lines of Sigstore\n"
	"                        bundles: the signature, then every attestation)\n"
	"      --json            machine-readable result on stdout\n"
	"\n"
	"Exit codes: 0 signed, 2 bad input (no such image, wrong password), 3\n"
	"environment.\n";

int
cmd_sign(int argc, char **argv)
{
	static const struct option opts[] = {
		{"key", required_argument, NULL, 'k'},
		{"identity", required_argument, NULL, 'I'},
		{"bundle-out", required_argument, NULL, 'b'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct attest_image_opts o = {0};
	struct attest_result r;
	const char *keypath = NULL, *bundle = NULL;
	struct ward_key *k;
	size_t lines = 0;
	int c, json = 0, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "k:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			keypath = optarg;
			break;
		case 'I':
			o.identity = optarg;
			break;
		case 'b':
			bundle = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			return cli_help(help);
		default:
			return cli_usage("sign", "invalid option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage("sign", "expected one IMAGE");
	if (keypath == NULL)
		return cli_usage("sign", "--key PRIVATE-KEY is required");
	if ((k = cli_load_private_key(keypath)) == NULL)
		return cli_fail();
	rc = attest_sign_image(argv[optind], k, &o, &r);
	key_free(k);
	if (rc != 0 || (bundle != NULL && attest_bundle_write(argv[optind], bundle, &lines) != 0))
		return cli_fail();
	if (json) {
		json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I}", "image", argv[optind],
				      "digest", r.image, "signature", r.legacy, "referrer",
				      r.referrer, "statement", r.statement, "attestationsCovered",
				      (json_int_t)r.committed, "replaced", (json_int_t)r.replaced);
		if (bundle != NULL) {
			json_object_set_new(j, "bundle", json_string(bundle));
			json_object_set_new(j, "bundleLines", json_integer((json_int_t)lines));
		}
		cli_print_json(j);
		json_decref(j);
	} else {
		fprintf(stderr, "ward: signed %s (%s); the signature covers %zu attestation(s)\n",
			argv[optind], r.image, r.committed);
		if (bundle != NULL)
			fprintf(stderr, "ward: wrote %s (%zu bundles)\n", bundle, lines);
	}
	return 0;
}
