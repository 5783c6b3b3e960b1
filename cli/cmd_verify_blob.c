/* cmd_verify_blob.c: ward verify-blob — one file (or digest) against one
 * Sigstore bundle, keyless or with a key (cosign verify-blob, sigstore
 * verify). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static const char help[] =
	"usage: ward verify-blob FILE|sha256:DIGEST --bundle BUNDLE\n"
	"                        (--certificate-identity[-regexp] ID\n"
	"                         --certificate-oidc-issuer[-regexp] URL | --key PUB)\n"
	"                        [--trusted-root FILE] [--json]\n"
	"\n"
	"Verify a Sigstore bundle (v0.1-v0.3) over FILE, offline.  A keyless bundle\n"
	"(a Fulcio certificate) is checked against the trusted root: signing time\n"
	"from Rekor v1 (SET) or RFC 3161 timestamps, the certificate chain at that\n"
	"time, its SCT, the identity policy, the Rekor v1/v2 entry (body, inclusion\n"
	"proof, signed checkpoint), then the signature.  A bundle signed with a key\n"
	"needs --key.  The bundle decides which; asking for the other one fails.\n"
	"For a DSSE bundle FILE must be a subject of the in-toto statement.\n"
	"docs/signing.md lists every check in order.\n"
	"\n"
	"  -b, --bundle FILE   the Sigstore bundle (JSON)\n"
	"  -k, --key FILE      public key (PEM) for a bundle signed with a key\n" CLI_SIGSTORE_HELP
	"      --json          the result on stdout\n"
	"\n"
	"Exit codes: 0 verified, 1 verification failed, 2 bad input, 3 environment.\n";

#define MAX_BUNDLE (64u << 20)

/* artifact(arg, digest, data): "sha256:<64 hex>" that is not a file is a
 * digest; anything else is a file, read whole. */
static int
artifact(const char *arg, uint8_t digest[SHA256_LEN], struct ward_buf *data)
{
	struct stat st;

	if (ward_str_startswith(arg, "sha256:") && strlen(arg) == 7 + SHA256_HEX_LEN &&
	    stat(arg, &st) != 0)
		return ward_unhex(arg + 7, digest, SHA256_LEN, arg);
	if (ward_file_read(arg, SIZE_MAX / 2, data) != 0)
		return -1;
	sha256(data->data, data->len, digest);
	return 0;
}

int
cmd_verify_blob(int argc, char **argv)
{
	static const struct option opts[] = {
		{"bundle", required_argument, NULL, 'b'},
		{"key", required_argument, NULL, 'k'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		CLI_SIGSTORE_LONG_OPTIONS,
		{0},
	};
	struct cli_sigstore ss = {0};
	struct sigstore_opts o = {0};
	struct sigstore_result r = {0};
	struct ward_buf data = {0};
	uint8_t digest[SHA256_LEN];
	const char *bundle_path = NULL, *keypath = NULL;
	struct ward_key *k = NULL;
	json_t *bundle = NULL;
	int c, json = 0, code;

	optind = 1;
	while ((c = getopt_long(argc, argv, "b:k:h", opts, NULL)) != -1) {
		if (cli_sigstore_option(c, optarg, &ss) == 0)
			continue;
		switch (c) {
		case 'b':
			bundle_path = optarg;
			break;
		case 'k':
			keypath = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			return cli_help(help);
		default:
			return cli_usage("verify-blob", "invalid option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage("verify-blob", "expected one FILE or sha256:DIGEST");
	if (bundle_path == NULL)
		return cli_usage("verify-blob", "--bundle is required");
	if (keypath != NULL && ss.keyless)
		return cli_usage("verify-blob", "give --key or the certificate flags, not both");
	if (keypath == NULL && !ss.keyless)
		return cli_usage("verify-blob",
				 "give --certificate-identity and --certificate-oidc-issuer "
				 "(keyless) or --key");
	if (keypath != NULL && ss.trusted_root == NULL) {
		/* a key bundle needs the root only for its log entries */
		ss.root = sigstore_root_load(NULL);
		ward_err_clear();
	} else if ((code = cli_sigstore_finish(&ss, "verify-blob", 1)) != 0) {
		return code;
	}
	if (artifact(argv[optind], digest, &data) != 0 ||
	    (keypath != NULL && (k = key_load_public(keypath)) == NULL) ||
	    (bundle = ward_json_load_file(bundle_path, MAX_BUNDLE)) == NULL) {
		code = cli_fail();
		goto out;
	}
	o.root = ss.root;
	o.policy = ss.keyless ? &ss.policy : NULL;
	o.key = k;
	o.artifact_sha256 = digest;
	o.artifact = data.len ? data.data : NULL;
	o.artifact_len = data.len;
	code = sigstore_verify(bundle, &o, &r, bundle_path) == 0 ? 0 : -1;
	if (code != 0)
		code = ward_errkind() ? ward_errkind() : EXIT_ENV;
	if (json) {
		json_t *j = json_pack("{s:s,s:s,s:b,s:o,s:s}", "artifact", argv[optind], "bundle",
				      bundle_path, "verified", code == 0, "checks",
				      ward_json_strv(&r.checks), "trusted_root",
				      ss.root ? sigstore_root_digest(ss.root) : "none");
		if (r.identity)
			json_object_set_new(j, "identity", json_string(r.identity));
		if (r.issuer)
			json_object_set_new(j, "issuer", json_string(r.issuer));
		if (r.signed_at)
			json_object_set_new(j, "signed_at", json_integer(r.signed_at));
		if (r.log)
			json_object_set_new(j, "log", json_string(r.log));
		if (code != 0)
			json_object_set_new(j, "error", json_string(ward_errmsg()));
		cli_print_json(j);
		json_decref(j);
	} else {
		for (size_t i = 0; i < r.checks.n; i++)
			fprintf(stderr, "  ok    %s\n", r.checks.v[i]);
	}
	if (code != 0)
		fprintf(stderr, "ward: verification FAILED: %s\n", ward_errmsg());
	else if (!json)
		fprintf(stderr, "ward: verified %s with %s%s%s\n", argv[optind], bundle_path,
			r.identity ? ": signed by " : "", r.identity ? r.identity : "");
out:
	sigstore_result_free(&r);
	json_decref(bundle);
	key_free(k);
	ward_buf_free(&data);
	cli_sigstore_free(&ss);
	return code;
}
