/* cmd_release.c: ward release — build + the 11 artifacts + signatures. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "deb/deb.h"
#include "guard_policy.h"
#include "release/release.h"

static const char help[] =
	"usage: ward release [-f ward.yaml] --key KEY --db DIR -o OUT [options]\n"
	"\n"
	"Build the image of ward.yaml (as ward build does, offline, from ward.lock and\n"
	"the cache), then make, sign and attach the 11 artifacts of a release: SBOMs\n"
	"(CycloneDX, SPDX), SLSA provenance, the build log, the test matrix report,\n"
	"the vulnerability report, OpenVEX, the cosign signature, the attestation\n"
	"bundle, the software hash and the license report.  Each is attested about\n"
	"the image, so `ward verify OUT --key PUB` checks all of them.  OUT appears\n"
	"whole or not at all: an interrupted release leaves the previous one intact.\n"
	"The image digest is the last line of stdout.  docs/ward-release.md lists\n"
	"every file.\n"
	"\n"
	"  -f, --file FILE        the spec (default ./ward.yaml); ward.lock beside it\n"
	"  -l, --lock FILE        the lock (default: beside the spec)\n"
	"  -o, --output DIR       the release directory (default out/release)\n"
	"  -k, --key FILE         private key (cosign format; password: WARD_PASSWORD)\n"
	"      --db DIR           vulnerability store (ward db import); default $WARD_DB\n"
	"      --annotations FILE VEX reachability annotations (default\n"
	"                         $WARD_VEX_ANNOTATIONS, else the installed copy)\n"
	"  -t, --tag TAG          image tag (default: the spec's version)\n"
	"      --tar              also write OUT/image.tar (docker-archive)\n"
	"      --repo-tag REF     its RepoTag and the signature's identity\n"
	"      --init FILE        ward-init for /ward/init (default: beside ward)\n"
	"      --cache DIR        package/layer cache (default $WARD_CACHE, ~/.cache/ward)\n"
	"      --context DIR      the build context: files:/models: sources must resolve\n"
	"                         (symlinks too) inside it (default: ward.yaml's directory)\n"
	"      --reproducible     rebuild without the layer cache and compare digests\n"
	"      --allow-test-failures  release even when a required test check fails\n"
	"      --no-run           test matrix without the container checks\n"
	"      --health PATH, --request PATH, --request-body FILE, --exec-probe PATH,\n"
	"      --startup-max MS, --latency-max MS, --startup-timeout S\n"
	"                         test matrix options (see ward test --help)\n"
	"  -j, --threads N        threads (default: every CPU)\n"
	"      --json             release.json on stdout\n"
	"\n"
	"Exit codes: 0 released, 1 a required test check failed or a signature did not\n"
	"verify, 2 bad spec or input, 3 environment.\n";

enum {
	OPT_DB = 0x100,
	OPT_ANN,
	OPT_TAR,
	OPT_REPO_TAG,
	OPT_INIT,
	OPT_CACHE,
	OPT_CONTEXT,
	OPT_REPRO,
	OPT_ALLOW,
	OPT_NO_RUN,
	OPT_JSON,
};

/* The installed annotations (<prefix>/share/ward), or the source tree's. */
static char *
default_annotations(void)
{
	const char *env = getenv("WARD_VEX_ANNOTATIONS");
	char *p;

	if (env != NULL)
		return *env ? ward_strdup(env) : NULL;
	p = cli_beside_self("../share/ward/vex-annotations.json");
	if (p && access(p, R_OK) == 0)
		return p;
	free(p);
	p = cli_beside_self("../../data/vex-annotations.json");
	if (p && access(p, R_OK) == 0)
		return p;
	free(p);
	return NULL;
}

int
cmd_release(int argc, char **argv)
{
	static const struct option opts[] = {
		{"file", required_argument, NULL, 'f'},
		{"lock", required_argument, NULL, 'l'},
		{"output", required_argument, NULL, 'o'},
		{"key", required_argument, NULL, 'k'},
		{"tag", required_argument, NULL, 't'},
		{"db", required_argument, NULL, OPT_DB},
		{"annotations", required_argument, NULL, OPT_ANN},
		{"tar", no_argument, NULL, OPT_TAR},
		{"repo-tag", required_argument, NULL, OPT_REPO_TAG},
		{"init", required_argument, NULL, OPT_INIT},
		{"cache", required_argument, NULL, OPT_CACHE},
		{"context", required_argument, NULL, OPT_CONTEXT},
		{"reproducible", no_argument, NULL, OPT_REPRO},
		{"allow-test-failures", no_argument, NULL, OPT_ALLOW},
		{"no-run", no_argument, NULL, OPT_NO_RUN},
		CLI_CHECK_LONG_OPTIONS,
		{"threads", required_argument, NULL, 'j'},
		{"json", no_argument, NULL, OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct release_opts o = {0};
	struct release_result r = {0};
	const char *keypath = NULL, *cache = NULL, *init = NULL, *ann = NULL, *output = NULL;
	char *cachedir = NULL, *initpath = NULL, *annpath = NULL, *outpath = NULL;
	struct ward_key *key = NULL;
	int c, json = 0, rc;

	o.spec = "ward.yaml";
	o.db = getenv("WARD_DB");
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:l:o:k:t:j:h", opts, NULL)) != -1) {
		if ((rc = cli_check_option(c, optarg, &o.test)) <= 0) {
			if (rc < 0)
				return cli_fail();
			continue;
		}
		switch (c) {
		case 'f':
			o.spec = optarg;
			break;
		case 'l':
			o.lock = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'k':
			keypath = optarg;
			break;
		case 't':
			o.tag = optarg;
			break;
		case OPT_DB:
			o.db = optarg;
			break;
		case OPT_ANN:
			ann = optarg;
			break;
		case OPT_TAR:
			o.docker_archive = 1;
			break;
		case OPT_REPO_TAG:
			o.repo_tag = optarg;
			break;
		case OPT_INIT:
			init = optarg;
			break;
		case OPT_CONTEXT:
			o.context = optarg;
			break;
		case OPT_CACHE:
			cache = optarg;
			break;
		case OPT_REPRO:
			o.reproducible = 1;
			break;
		case OPT_ALLOW:
			o.allow_test_failures = 1;
			break;
		case OPT_NO_RUN:
			o.test.runtime = CHECK_RUNTIME_OFF;
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
			return cli_usage("release", "invalid option");
		}
	}
	if (optind != argc)
		return cli_usage("release", "unexpected argument \"%s\"", argv[optind]);
	if (keypath == NULL)
		return cli_usage("release", "--key PRIVATE-KEY is required");
	if (o.db == NULL || *o.db == '\0')
		return cli_usage("release", "no vulnerability store: give --db DIR or set WARD_DB");
	if ((cachedir = deb_cache_dir(cache)) == NULL ||
	    (initpath = init ? ward_strdup(init) : cli_beside_self("ward-init")) == NULL)
		goto fail;
	annpath = ann ? ward_strdup(ann) : default_annotations();
	if (output == NULL) {
		outpath = ward_strdup("out/release");
		if (outpath == NULL)
			goto fail;
		output = outpath;
	}
	if ((key = cli_load_private_key(keypath)) == NULL)
		goto fail;
	o.output = output;
	o.key = key;
	o.cache = cachedir;
	o.init = initpath;
	o.annotations = annpath;
	o.policy = cli_init_policy;
	o.test.guard_profile = guard_profile_json;
	ward_info("releasing %s into %s", o.spec, output);
	if (release_run(&o, &r) != 0)
		goto fail;
	if (json)
		cli_print_json(r.index);
	ward_info("released %s:%s in %.1f s: %zu artifact files, %zu attestations in the bundle, "
		  "tests %zu/%zu passed%s",
		  output, r.tag, r.seconds, r.files, r.attestations, r.tests_passed, r.tests,
		  r.reproducible == 1	? ", reproducible"
		  : r.reproducible == 0 ? ", NOT reproducible"
					: "");
	if (!json)
		printf("%s\n", r.digest);
	rc = 0;
	goto out;
fail:
	rc = cli_fail();
out:
	release_result_free(&r);
	key_free(key);
	free(cachedir);
	free(initpath);
	free(annpath);
	free(outpath);
	return rc;
}

int
cli_verify_release(const char *dir, const char *keypath, int threads,
		   const struct release_rebuild *rebuild, int json)
{
	struct ward_key *key = key_load_public(keypath);
	json_t *j = NULL, *c;
	size_t i;
	int rc;

	if (key == NULL)
		return cli_fail();
	if (rebuild != NULL)
		ward_info("rebuilding from the provenance (offline, no layer cache)...");
	rc = release_verify(dir, key, threads, rebuild, &j);
	if (json && j)
		cli_print_json(j);
	else if (j)
		json_array_foreach(json_object_get(j, "checks"), i, c)
			fprintf(stderr, "  %-4s  %s: %s\n",
				strcmp(json_string_value(json_object_get(c, "status")), "pass") == 0
					? "ok"
					: "FAIL",
				json_string_value(json_object_get(c, "subject")),
				json_string_value(json_object_get(c, "detail")));
	if (rc == 0)
		fprintf(stderr, "ward: verified release %s (%s)\n", dir,
			json_string_value(json_object_get(j, "image")));
	else
		rc = cli_fail();
	json_decref(j);
	key_free(key);
	return rc;
}
