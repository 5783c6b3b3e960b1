/* cmd_model.c: ward model sign|verify — OpenSSF Model Signing v1.0. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "oms/oms.h"
#include "cli.h"

static const char help[] =
	"usage: ward model sign MODEL --key KEY [--signing-cert PEM [--cert-chain PEM]...] "
	"[options]\n"
	"       ward model verify MODEL (--key PUB | --cert-chain PEM |\n"
	"                                --certificate-identity[-regexp] ID\n"
	"                                --certificate-oidc-issuer[-regexp] URL) [options]\n"
	"\n"
	"Sign or verify a model directory (or a single file) with an OpenSSF Model\n"
	"Signing v1.0 signature: a Sigstore bundle holding a DSSE-signed in-toto\n"
	"statement that lists every file (or shard) with its SHA-256.  Verification\n"
	"checks the key, the signature, the manifest and then re-hashes the model:\n"
	"a changed, missing or extra file fails it.  Three ways to sign, as OMS\n"
	"names them: key (a public key), certificate (your own PKI: --signing-cert\n"
	"and its chain, verified with --cert-chain) and sigstore (keyless: a Fulcio\n"
	"certificate and a Rekor entry, verified offline with the identity flags\n"
	"against the trusted root; ward does not sign keylessly).\n"
	"\n"
	"  -k, --key FILE          sign: private key (cosign encrypted or PKCS#8 PEM);\n"
	"                          verify: public key (PEM)\n"
	"      --signing-cert FILE sign: the signing certificate (PEM) of --key's key\n"
	"      --cert-chain FILE   sign: certificates above it (PEM, repeatable, leaf to\n"
	"                          root); verify: PEM file of trusted CA certificates\n"
	"  -s, --signature PATH    bundle path (default MODEL/model.sig, or FILE.sig)\n"
	"      --method M          sign: files (default) or shards\n"
	"      --shard-size N      sign: shard size in bytes (default 1000000000)\n"
	"      --ignore-path P     leave P out (repeatable); .git* and the signature\n"
	"                          file are always left out\n"
	"      --allow-symlinks    sign: follow symbolic links instead of refusing\n"
	"      --ignore-unsigned   verify: files on disk that are not signed are allowed\n"
	"      --threads N         hashing threads (default: all cores)\n"
	"      --json              machine-readable result on stdout\n" CLI_SIGSTORE_HELP "\n"
	"Exit codes: 0 ok, 1 verification failed, 2 bad input, 3 environment.\n";

struct model_args {
	const char *model, *key, *chain, *sig, *signing_cert;
	struct ward_strv ignore, chains;
	struct cli_sigstore ss;
	int method, allow_symlinks, ignore_unsigned, threads, json;
	uint64_t shard_size;
};

static int
parse(int argc, char **argv, struct model_args *a)
{
	static const struct option opts[] = {
		{"key", required_argument, NULL, 'k'},
		{"cert-chain", required_argument, NULL, 'C'},
		{"signature", required_argument, NULL, 's'},
		{"method", required_argument, NULL, 'm'},
		{"shard-size", required_argument, NULL, 'S'},
		{"ignore-path", required_argument, NULL, 'i'},
		{"ignore-paths", required_argument, NULL, 'i'},
		{"allow-symlinks", no_argument, NULL, 'L'},
		{"ignore-unsigned", no_argument, NULL, 'U'},
		{"threads", required_argument, NULL, 't'},
		{"json", no_argument, NULL, 'j'},
		{"signing-cert", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		CLI_SIGSTORE_LONG_OPTIONS,
		{0},
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "k:s:h", opts, NULL)) != -1) {
		if (cli_sigstore_option(c, optarg, &a->ss) == 0)
			continue;
		switch (c) {
		case 'k':
			a->key = optarg;
			break;
		case 'C':
			a->chain = optarg;
			if (ward_strv_push(&a->chains, optarg) != 0)
				return cli_fail();
			break;
		case 'c':
			a->signing_cert = optarg;
			break;
		case 's':
			a->sig = optarg;
			break;
		case 'm':
			if (strcmp(optarg, "files") == 0)
				a->method = OMS_FILES;
			else if (strcmp(optarg, "shards") == 0)
				a->method = OMS_SHARDS;
			else
				return cli_usage("model", "unknown method \"%s\"", optarg);
			break;
		case 'S':
			if (cli_parse_size(optarg, &a->shard_size) != 0)
				return cli_fail();
			break;
		case 'i':
			if (ward_strv_push(&a->ignore, optarg) != 0)
				return cli_fail();
			break;
		case 'L':
			a->allow_symlinks = 1;
			break;
		case 'U':
			a->ignore_unsigned = 1;
			break;
		case 't':
			if (cli_parse_threads(optarg, &a->threads) != 0)
				return cli_fail();
			break;
		case 'j':
			a->json = 1;
			break;
		case 'h':
			return -1;
		default:
			return cli_usage("model", "invalid option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage("model", "expected one MODEL path");
	a->model = argv[optind];
	return 0;
}

/* Default signature path: MODEL/model.sig for a directory, FILE.sig for a file. */
static char *
default_sig(const char *model)
{
	struct stat st;

	if (stat(model, &st) == 0 && S_ISREG(st.st_mode))
		return ward_asprintf("%s.sig", model);
	return ward_path_join(model, "model.sig");
}

static int
do_sign(struct model_args *a, const char *sig)
{
	struct oms_sign_opts o = {.method = a->method,
				  .shard_size = a->shard_size,
				  .ignore = a->ignore,
				  .allow_symlinks = a->allow_symlinks,
				  .threads = a->threads};
	struct ward_key *k, *cert_key = NULL;
	struct ward_buf *certs = NULL;
	size_t ncerts = 0;
	int rc;

	if (a->key == NULL)
		return cli_usage("model", "sign needs --key PRIVATE-KEY");
	if (a->ss.keyless || a->ss.trusted_root != NULL)
		return cli_usage("model", "ward signs with a key or a certificate, not keylessly");
	if (a->chains.n > 0 && a->signing_cert == NULL)
		return cli_usage("model",
				 "sign: --cert-chain needs --signing-cert (the certificate "
				 "of the signing key)");
	if ((k = cli_load_private_key(a->key)) == NULL)
		return cli_fail();
	if (a->signing_cert != NULL) {
		/* the certificate must be the key's, the chain what is above it */
		rc = x509_read_pem(a->signing_cert, &certs, &ncerts);
		if (rc == 0 && ncerts != 1)
			rc = ward_err(WARD_EINPUT,
				      "%s: holds %zu certificates; give the chain with "
				      "--cert-chain",
				      a->signing_cert, ncerts);
		if (rc == 0 && (cert_key = key_load_public(a->signing_cert)) == NULL)
			rc = -1;
		if (rc == 0 && !key_equal(cert_key, k))
			rc = ward_err(WARD_EINPUT, "%s: the certificate is not for the key %s",
				      a->signing_cert, a->key);
		for (size_t i = 0; rc == 0 && i < a->chains.n; i++)
			rc = x509_read_pem(a->chains.v[i], &certs, &ncerts);
		key_free(cert_key);
		if (rc != 0) {
			for (size_t i = 0; i < ncerts; i++)
				ward_buf_free(&certs[i]);
			free(certs);
			key_free(k);
			return cli_fail();
		}
		o.certs = certs;
		o.ncerts = ncerts;
	}
	o.progress = ward_progress_new("signing model", 0, 1);
	rc = oms_sign(a->model, k, &o, sig);
	ward_progress_done(o.progress);
	key_free(k);
	for (size_t i = 0; i < ncerts; i++)
		ward_buf_free(&certs[i]);
	free(certs);
	if (rc != 0)
		return cli_fail();
	if (a->json) {
		json_t *j = json_pack("{s:s,s:s,s:s,s:s}", "model", a->model, "signature", sig,
				      "method", a->method == OMS_SHARDS ? "shards" : "files",
				      "signed_with", a->signing_cert ? "certificate" : "key");
		cli_print_json(j);
		json_decref(j);
	} else {
		fprintf(stderr, "ward: signed %s -> %s\n", a->model, sig);
	}
	return 0;
}

static void
print_verify_json(const struct model_args *a, const char *sig, const struct oms_result *r, int ok)
{
	json_t *res = json_array(), *j;
	double secs = (double)r->ns / 1e9;

	for (size_t i = 0; i < r->n; i++) {
		json_t *x = json_pack("{s:s,s:s}", "name", r->res[i].name, "verdict",
				      oms_verdict_name(r->res[i].verdict));
		if (r->res[i].expected[0])
			json_object_set_new(x, "expected", json_string(r->res[i].expected));
		if (r->res[i].actual[0])
			json_object_set_new(x, "actual", json_string(r->res[i].actual));
		json_array_append_new(res, x);
	}
	j = json_pack("{s:s,s:s,s:b,s:s,s:I,s:I,s:f,s:i,s:o}", "model", a->model, "signature", sig,
		      "verified", ok, "method", r->method[0] ? r->method : "unknown",
		      "resources_checked", (json_int_t)r->n, "bytes", (json_int_t)r->bytes,
		      "seconds", secs, "threads", r->threads, "resources", res);
	if (!ok)
		json_object_set_new(j, "error", json_string(ward_errmsg()));
	cli_print_json(j);
	json_decref(j);
}

static int
do_verify(struct model_args *a, const char *sig)
{
	struct oms_verify_opts o = {.cert_chain = a->chain,
				    .ignore = a->ignore,
				    .ignore_unsigned = a->ignore_unsigned,
				    .threads = a->threads};
	struct oms_result r = {0};
	struct sigstore_opts so = {0};
	struct ward_key *k = NULL;
	int rc, code;

	if ((a->key != NULL) + (a->chain != NULL) + a->ss.keyless != 1)
		return cli_usage("model", "verify needs exactly one of --key, --cert-chain or the "
					  "certificate identity flags");
	if (a->signing_cert != NULL)
		return cli_usage("model", "--signing-cert is for signing");
	if (a->chains.n > 1)
		return cli_usage("model",
				 "verify: give the trusted CA certificates in one PEM file");
	if ((code = cli_sigstore_finish(&a->ss, "model", 0)) != 0)
		return code;
	if (a->key != NULL && (k = key_load_public(a->key)) == NULL)
		return cli_fail();
	o.key = k;
	if (a->ss.keyless) {
		so.root = a->ss.root;
		so.policy = &a->ss.policy;
		o.keyless = sigstore_dsse_verify;
		o.keyless_ctx = &so;
	}
	o.progress = ward_progress_new("verifying model", 0, 1);
	rc = oms_verify(a->model, sig, &o, &r);
	ward_progress_done(o.progress);
	key_free(k);
	code = rc == 0 ? 0 : ward_errkind() ? ward_errkind() : EXIT_ENV;
	if (a->json)
		print_verify_json(a, sig, &r, rc == 0);
	if (rc != 0) {
		size_t shown = 0;
		for (size_t i = 0; i < r.n && shown < 20; i++) {
			if (r.res[i].verdict == OMS_OK)
				continue;
			fprintf(stderr, "  %-9s %s\n", oms_verdict_name(r.res[i].verdict),
				r.res[i].name);
			shown++;
		}
		fprintf(stderr, "ward: %s\n", ward_errmsg());
	} else if (!a->json) {
		double secs = (double)r.ns / 1e9;
		fprintf(stderr, "ward: verified %s: %zu resources, %.1f MB in %.2f s (%.0f MB/s)\n",
			a->model, r.n, (double)r.bytes / 1e6, secs,
			secs > 0 ? (double)r.bytes / 1e6 / secs : 0.0);
	}
	oms_result_free(&r);
	return code;
}

int
cmd_model(int argc, char **argv)
{
	struct model_args a = {0};
	char *sig = NULL;
	int rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return argc < 2 ? cli_usage("model", "expected sign or verify") : cli_help(help);
	if (strcmp(argv[1], "sign") != 0 && strcmp(argv[1], "verify") != 0)
		return cli_usage("model", "unknown subcommand \"%s\"", argv[1]);
	rc = parse(argc - 1, argv + 1, &a);
	if (rc != 0) {
		ward_strv_free(&a.ignore);
		ward_strv_free(&a.chains);
		return rc < 0 ? cli_help(help) : rc;
	}
	sig = a.sig ? ward_strdup(a.sig) : default_sig(a.model);
	if (sig == NULL)
		rc = cli_fail();
	else if (strcmp(argv[1], "sign") == 0)
		rc = do_sign(&a, sig);
	else
		rc = do_verify(&a, sig);
	free(sig);
	ward_strv_free(&a.ignore);
	ward_strv_free(&a.chains);
	cli_sigstore_free(&a.ss);
	return rc;
}
