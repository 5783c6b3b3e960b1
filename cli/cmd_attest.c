/* cmd_attest.c: ward attest — in-toto attestations about an image. */
#include <stdlib.h>
#include <string.h>

#include "attest/attest.h"
#include "cli.h"

#define ATTEST_MAX_PREDICATE (256u << 20)

static const char help[] =
	"usage: ward attest IMAGE --key KEY --type TYPE --predicate FILE [options]\n"
	"       ward attest IMAGE --key KEY --provenance --spec FILE [--lock FILE]\n"
	"                   [--input PATH]... [options]\n"
	"       ward attest IMAGE --bundle-out FILE\n"
	"\n"
	"DSSE-sign an in-toto statement whose subject is the image manifest digest and\n"
	"store it in the OCI layout IMAGE (DIR or DIR:tag) in both of cosign's forms:\n"
	"a layer of the sha256-<hex>.att manifest and an OCI 1.1 referrer holding a\n"
	"Sigstore bundle.  Attesting the same type again with the same key replaces\n"
	"the earlier attestation.  Sign the image after its attestations: the\n"
	"signature then covers them.\n"
	"\n"
	"  -k, --key FILE         private key (cosign encrypted or PKCS#8 PEM)\n"
	"  -t, --type TYPE        cyclonedx, spdx, provenance (SLSA v1), openvex, vuln,\n"
	"                         test, license, custom, or a predicate type URI\n"
	"  -p, --predicate FILE   the predicate: a JSON document (for cyclonedx and\n"
	"                         spdx the SBOM itself)\n"
	"      --provenance       generate SLSA provenance v1 from the build inputs:\n"
	"      --spec FILE          the build spec (recorded with its content)\n"
	"      --lock FILE          ward.lock: recorded by digest, every package a\n"
	"                           resolved dependency\n"
	"      --input PATH         a local input file or directory (repeatable)\n"
	"      --builder-id URI     default $WARD_BUILDER_ID, else ward's local builder\n"
	"      --invocation-id ID   default: derived from the inputs\n"
	"      --started-on T, --finished-on T   build times, seconds since the epoch\n"
	"                         (default SOURCE_DATE_EPOCH when set)\n"
	"      --identity REF     in-toto subject name (default: from the tag)\n"
	"      --bundle-out FILE  write the attestation bundle (JSON lines)\n"
	"      --json             machine-readable result on stdout\n"
	"\n"
	"Exit codes: 0 attested, 2 bad input, 3 environment.\n";

struct attest_args {
	const char *image, *key, *type, *predicate, *spec, *lock, *bundle;
	const char *builder, *invocation;
	struct ward_strv inputs;
	struct attest_image_opts o;
	int provenance, json;
	int64_t started, finished;
};

static int
parse_time(const char *s, int64_t *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 0)
		return ward_err(WARD_EINPUT, "%s: not seconds since the epoch", s);
	*out = v;
	return 0;
}

static int
parse(int argc, char **argv, struct attest_args *a)
{
	static const struct option opts[] = {
		{"key", required_argument, NULL, 'k'},
		{"type", required_argument, NULL, 't'},
		{"predicate", required_argument, NULL, 'p'},
		{"provenance", no_argument, NULL, 'P'},
		{"spec", required_argument, NULL, 'S'},
		{"lock", required_argument, NULL, 'L'},
		{"input", required_argument, NULL, 'i'},
		{"builder-id", required_argument, NULL, 'B'},
		{"invocation-id", required_argument, NULL, 'V'},
		{"started-on", required_argument, NULL, '1'},
		{"finished-on", required_argument, NULL, '2'},
		{"identity", required_argument, NULL, 'I'},
		{"bundle-out", required_argument, NULL, 'b'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "k:t:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			a->key = optarg;
			break;
		case 't':
			a->type = optarg;
			break;
		case 'p':
			a->predicate = optarg;
			break;
		case 'P':
			a->provenance = 1;
			break;
		case 'S':
			a->spec = optarg;
			break;
		case 'L':
			a->lock = optarg;
			break;
		case 'i':
			if (ward_strv_push(&a->inputs, optarg) != 0)
				return cli_fail();
			break;
		case 'B':
			a->builder = optarg;
			break;
		case 'V':
			a->invocation = optarg;
			break;
		case '1':
			if (parse_time(optarg, &a->started) != 0)
				return cli_fail();
			break;
		case '2':
			if (parse_time(optarg, &a->finished) != 0)
				return cli_fail();
			break;
		case 'I':
			a->o.identity = optarg;
			break;
		case 'b':
			a->bundle = optarg;
			break;
		case 'j':
			a->json = 1;
			break;
		case 'h':
			return -1;
		default:
			return cli_usage("attest", "invalid option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage("attest", "expected one IMAGE");
	a->image = argv[optind];
	if (a->provenance && (a->type != NULL || a->predicate != NULL))
		return cli_usage("attest",
				 "--provenance generates its predicate: no --type/--predicate");
	if (!a->provenance && (a->type == NULL) != (a->predicate == NULL))
		return cli_usage("attest", "--type and --predicate go together");
	if (a->provenance && a->spec == NULL)
		return cli_usage("attest", "--provenance needs --spec FILE");
	if ((a->provenance || a->type != NULL) && a->key == NULL)
		return cli_usage("attest", "--key PRIVATE-KEY is required");
	if (!a->provenance && a->type == NULL && a->bundle == NULL)
		return cli_usage("attest", "nothing to do: --type/--predicate, --provenance or "
					   "--bundle-out");
	return 0;
}

/* The SLSA provenance predicate from the build inputs on the command line. */
static json_t *
provenance(struct attest_args *a)
{
	struct slsa_files f = {.spec_path = a->spec,
			       .lock_path = a->lock,
			       .inputs = &a->inputs,
			       .builder_id = a->builder,
			       .invocation_id = a->invocation,
			       .started_on = a->started,
			       .finished_on = a->finished};

	return slsa_provenance_from_files(&f);
}

int
cmd_attest(int argc, char **argv)
{
	struct attest_args a = {.started = -1, .finished = -1};
	struct attest_result r = {0};
	struct ward_key *k = NULL;
	json_t *pred = NULL;
	const char *ptype = NULL;
	size_t lines = 0;
	int rc;

	if ((rc = parse(argc, argv, &a)) != 0) {
		ward_strv_free(&a.inputs);
		return rc < 0 ? cli_help(help) : rc;
	}
	rc = EXIT_ENV;
	if (a.provenance) {
		ptype = PREDICATE_SLSA_V1;
		pred = provenance(&a);
	} else if (a.type != NULL) {
		if ((ptype = attest_predicate_type(a.type)) != NULL)
			pred = ward_json_load_file(a.predicate, ATTEST_MAX_PREDICATE);
		if (pred != NULL && !json_is_object(pred)) {
			ward_err(WARD_EINPUT, "%s: the predicate must be a JSON object",
				 a.predicate);
			json_decref(pred);
			pred = NULL;
		}
	}
	if (ptype != NULL && pred == NULL)
		goto fail;
	if (pred != NULL) {
		if ((k = cli_load_private_key(a.key)) == NULL ||
		    attest_image(a.image, k, ptype, pred, &a.o, &r) != 0)
			goto fail;
	} else if (a.type != NULL) {
		goto fail;
	}
	if (a.bundle != NULL && attest_bundle_write(a.image, a.bundle, &lines) != 0)
		goto fail;
	if (a.json) {
		json_t *j = json_pack("{s:s}", "image", a.image);
		if (pred != NULL) {
			json_object_set_new(j, "digest", json_string(r.image));
			json_object_set_new(j, "predicateType", json_string(ptype));
			json_object_set_new(j, "statement", json_string(r.statement));
			json_object_set_new(j, "attestation", json_string(r.legacy));
			json_object_set_new(j, "referrer", json_string(r.referrer));
			json_object_set_new(j, "replaced", json_integer((json_int_t)r.replaced));
		}
		if (a.bundle != NULL) {
			json_object_set_new(j, "bundle", json_string(a.bundle));
			json_object_set_new(j, "bundleLines", json_integer((json_int_t)lines));
		}
		cli_print_json(j);
		json_decref(j);
	} else {
		if (pred != NULL)
			fprintf(stderr, "ward: attested %s about %s (%s)\n",
				attest_predicate_name(ptype), a.image, r.image);
		if (a.bundle != NULL)
			fprintf(stderr, "ward: wrote %s (%zu bundles)\n", a.bundle, lines);
	}
	rc = 0;
	goto out;
fail:
	rc = cli_fail();
out:
	key_free(k);
	json_decref(pred);
	ward_strv_free(&a.inputs);
	return rc;
}
