/* cmd_audit.c: ward audit — hardening findings and a score for any image. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/build.h"
#include "check/check.h"
#include "cli.h"

static const char help[] =
	"usage: ward audit IMAGE [--compare ward.yaml|IMAGE] [options]\n"
	"\n"
	"Hardening findings for any image (OCI layout DIR[:tag], oci-archive,\n"
	"docker-archive) or unpacked root filesystem, each with a severity, the points\n"
	"it costs and a one-line explanation: shells, package managers, compilers,\n"
	"debuggers and network tools (with their paths), setuid/setgid files,\n"
	"world-writable paths, a root user, no healthcheck, files that look like\n"
	"secrets, writable or unsigned model files, device nodes, known-vulnerable\n"
	"packages (--db); the score is 100 minus the points.  Also the size by\n"
	"category: models, frameworks, CUDA, Python, OS (docs/ward-audit.md).\n"
	"\n"
	"      --compare X       audit X too and show both side by side: another image,\n"
	"                        or a ward.yaml, which is built first (offline, from\n"
	"                        its ward.lock and the cache) into a temporary layout\n"
	"      --key FILE        private key to sign the models of the --compare build\n"
	"      --db DIR          vulnerability store (lib/vuln) for package findings\n"
	"      --fail-on SEV     exit 1 when a finding is at least SEV (low, medium,\n"
	"                        high, critical)\n"
	"      --min-score N     exit 1 when the score is below N\n"
	"  -o, --output FILE     the JSON report\n"
	"  -j, --threads N       hashing threads (default: every CPU)\n"
	"      --json            the JSON report on stdout\n"
	"\n"
	"Exit codes: 0 ok, 1 --fail-on/--min-score tripped, 2 bad input, 3 environment.\n";

enum { OPT_COMPARE = 0x100, OPT_DB, OPT_FAIL_ON, OPT_MIN_SCORE, OPT_JSON, OPT_KEY };

/* Build a ward.yaml offline into dir (its layout), for --compare. */
static int
build_spec(const char *spec_path, const char *dir, const struct ward_key *key, char **ref)
{
	struct build_spec spec;
	struct deb_lock lock = {0};
	struct wheel_lock wheels = {0};
	struct build_result r = {0};
	struct build_opts bo = {0};
	char *lockpath = NULL, *cache = NULL, *out = NULL, *init = NULL;
	int rc = -1;

	if (build_spec_load(spec_path, &spec) != 0)
		return -1;
	if ((lockpath = build_spec_lock_path(&spec)) == NULL ||
	    deb_lock_read(lockpath, &lock) != 0 ||
	    build_python_lock_read(&spec, lockpath, &wheels) != 0 ||
	    (cache = deb_cache_dir(NULL)) == NULL || (out = ward_path_join(dir, "image")) == NULL)
		goto out;
	if ((init = cli_beside_self("ward-init")) == NULL)
		goto out;
	bo.output = out;
	bo.cache = cache;
	bo.init_path = init;
	bo.sign_key = key;
	bo.compression = OCI_COMPRESS_GZIP;
	bo.wheels = wheels.lock ? &wheels : NULL;
	if (build_image(&spec, &lock, &bo, &r) != 0)
		goto out;
	*ref = ward_asprintf("%s:%s", out, r.tag);
	rc = *ref ? 0 : -1;
out:
	build_result_free(&r);
	deb_lock_free(&lock);
	wheel_lock_free(&wheels);
	build_spec_free(&spec);
	free(lockpath);
	free(cache);
	free(out);
	free(init);
	return rc;
}

static int
is_spec(const char *path)
{
	return ward_str_endswith(path, ".yaml") || ward_str_endswith(path, ".yml");
}

int
cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = {
		{"compare", required_argument, NULL, OPT_COMPARE},
		{"key", required_argument, NULL, OPT_KEY},
		{"db", required_argument, NULL, OPT_DB},
		{"fail-on", required_argument, NULL, OPT_FAIL_ON},
		{"min-score", required_argument, NULL, OPT_MIN_SCORE},
		{"output", required_argument, NULL, 'o'},
		{"threads", required_argument, NULL, 'j'},
		{"json", no_argument, NULL, OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct audit_opts o = {.policy = cli_init_policy};
	struct audit_report a = {0}, b = {0};
	const char *compare = NULL, *output = NULL, *keypath = NULL;
	struct ward_key *key = NULL;
	char *tmp = NULL, *cref = NULL;
	json_t *j = NULL;
	int c, json = 0, fail_on = -1, min_score = -1, rc;
	long n;

	optind = 1;
	o.db = getenv("WARD_DB");
	while ((c = getopt_long(argc, argv, "o:j:h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_COMPARE:
			compare = optarg;
			break;
		case OPT_DB:
			o.db = optarg;
			break;
		case OPT_KEY:
			keypath = optarg;
			break;
		case OPT_FAIL_ON:
			fail_on = strcmp(optarg, "low") == 0	    ? AUDIT_LOW
				  : strcmp(optarg, "medium") == 0   ? AUDIT_MEDIUM
				  : strcmp(optarg, "high") == 0	    ? AUDIT_HIGH
				  : strcmp(optarg, "critical") == 0 ? AUDIT_CRITICAL
								    : -2;
			if (fail_on == -2)
				return cli_usage("audit",
						 "--fail-on: low, medium, high or critical");
			break;
		case OPT_MIN_SCORE:
			if (cli_parse_long("--min-score", optarg, 0, 100, &n) != 0)
				return cli_fail();
			min_score = (int)n;
			break;
		case 'o':
			output = optarg;
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
			return cli_usage("audit", "invalid option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage("audit", "expected one IMAGE");
	if (o.db != NULL && *o.db == '\0')
		o.db = NULL;
	o.progress = ward_progress_new("reading the image", 0, 1);
	rc = audit_image(argv[optind], &o, &a);
	ward_progress_done(o.progress);
	if (rc != 0)
		goto fail;
	if (compare != NULL) {
		if (is_spec(compare)) {
			if ((tmp = ward_mkdtemp("/tmp", "ward-audit")) == NULL)
				goto fail;
			ward_info("building %s to compare", compare);
			if (keypath != NULL && (key = cli_load_private_key(keypath)) == NULL)
				goto fail;
			if (build_spec(compare, tmp, key, &cref) != 0)
				goto fail;
		}
		o.progress = ward_progress_new("reading the other image", 0, 1);
		rc = audit_image(cref ? cref : compare, &o, &b);
		ward_progress_done(o.progress);
		if (rc != 0)
			goto fail;
		j = audit_compare_json(&a, &b);
	} else
		j = audit_report_json(&a);
	if (j == NULL || (output && cli_write_json_output(output, j) != 0))
		goto fail;
	if (json)
		cli_print_json(j);
	else {
		audit_report_table(&a, stdout);
		if (compare) {
			printf("\n---- compared with %s\n", compare);
			audit_report_table(&b, stdout);
			printf("\nscore: %d -> %d (%+d)\n", a.score, b.score, b.score - a.score);
		}
	}
	rc = 0;
	if (min_score >= 0 && a.score < min_score) {
		fprintf(stderr, "ward: score %d is below %d\n", a.score, min_score);
		rc = EXIT_VERIFY;
	}
	if (fail_on >= 0)
		for (size_t i = 0; i < a.nfindings; i++)
			if (a.findings[i].severity >= fail_on) {
				fprintf(stderr, "ward: %s finding: %s\n",
					audit_severity_name(a.findings[i].severity),
					a.findings[i].id);
				rc = EXIT_VERIFY;
				break;
			}
	goto out;
fail:
	rc = cli_fail();
out:
	json_decref(j);
	key_free(key);
	audit_report_free(&a);
	audit_report_free(&b);
	if (tmp)
		ward_rm_rf(tmp);
	free(tmp);
	free(cref);
	return rc;
}
