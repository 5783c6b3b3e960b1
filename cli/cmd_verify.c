/* cmd_verify.c: ward verify — an image's signatures, attestations and bytes. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attest/attest.h"
#include "cli.h"
#include "release/release.h"

static const char help[] =
	"usage: ward verify IMAGE|RELEASE --key PUB [--bundle FILE] [--require TYPE]...\n"
	"       ward verify IMAGE --certificate-identity[-regexp] ID\n"
	"                         --certificate-oidc-issuer[-regexp] URL [--trusted-root FILE] "
	"...\n"
	"                   [--lock FILE] [--rebuild [--spec FILE] [--init FILE] [--cache DIR]]\n"
	"                   [--threads N] [--json]\n"
	"\n"
	"Check a signed image in the OCI layout IMAGE (DIR or DIR:tag):\n"
	"  - every blob: the manifest, the config and each layer match their digests,\n"
	"    sizes and diff_ids;\n"
	"  - the signatures (legacy simple-signing and cosign v3 bundles): each one\n"
	"    verifies with the key and names this image; at least one must exist;\n"
	"  - every attestation (.att layers, referrer bundles): the DSSE signature\n"
	"    verifies, the statement's subject is this image and its predicateType\n"
	"    is the one annotated; both forms (and the --bundle file) hold the same\n"
	"    attestations, and each one a signature covers is present;\n"
	"  - content: SBOMs against a fresh catalog of the image, the provenance's\n"
	"    dependencies against a lock, and with --rebuild a rebuild from the\n"
	"    provenance's inputs that must give the same digest.\n"
	"Every check runs; the first broken link is named.  A release directory\n"
	"(ward release) is checked whole: the image as above with every artifact's\n"
	"attestation required, the signature files, and each artifact file against\n"
	"the SHA-256 the signed release index lists.\n"
	"\n"
	"Keyless (cosign keyless signatures and attestations: a Fulcio certificate and\n"
	"a Rekor entry, in referrer bundles or the legacy .sig/.att annotations) takes\n"
	"the identity flags instead of --key and is checked offline against the\n"
	"trusted root (docs/signing.md lists the checks).\n"
	"\n"
	"  -k, --key FILE       public key (PEM)\n"
	"      --bundle FILE    also check an attestation bundle (JSON lines)\n"
	"      --require TYPE   an attestation of TYPE must be present (repeatable;\n"
	"                       cyclonedx, spdx, provenance, openvex, ... or a URI)\n"
	"      --lock FILE      compare the provenance with this lock\n"
	"      --rebuild        build the image again, offline and without the layer\n"
	"                       cache, from the ward.yaml, ward.lock and ward-init the\n"
	"                       provenance names (each checked against its digest\n"
	"                       first) and compare the digests; also for a RELEASE\n"
	"      --spec FILE      ward.yaml for --rebuild (default: the provenance's path)\n"
	"      --init FILE      ward-init for --rebuild (default: the provenance's path)\n"
	"      --cache DIR      package cache for --rebuild (default: WARD_CACHE or\n"
	"                       ~/.cache/ward)\n"
	"      --threads N      hashing threads (default: all cores)\n"
	"      --json           the full report on stdout\n" CLI_SIGSTORE_HELP "\n"
	"Exit codes: 0 verified, 1 verification failed, 2 bad input, 3 environment.\n";

static void
print_human(const struct verify_report *r, int ok)
{
	int tty = isatty(2);

	for (size_t i = 0; i < r->n; i++) {
		const struct verify_check *c = &r->checks[i];
		const char *tag = c->status == VERIFY_PASS   ? "ok  "
				  : c->status == VERIFY_FAIL ? "FAIL"
							     : "skip";
		if (tty && c->status == VERIFY_FAIL)
			fprintf(stderr, "  \033[1;31m%s\033[0m  %s: %s\n", tag, c->subject,
				c->detail);
		else
			fprintf(stderr, "  %s  %s: %s\n", tag, c->subject,
				c->detail ? c->detail : "");
	}
	if (ok)
		fprintf(stderr,
			"ward: verified %s (%s): %zu signature(s), %zu attestation(s), %zu "
			"check(s) "
			"skipped\n",
			r->ref, r->image, r->signatures, r->natts, r->skipped);
	else
		fprintf(stderr,
			"ward: verification FAILED (%zu problem(s)); first broken link: %s\n",
			r->failures, r->first_failure ? r->first_failure : ward_errmsg());
}

int
cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{"key", required_argument, NULL, 'k'},
		{"bundle", required_argument, NULL, 'b'},
		{"require", required_argument, NULL, 'r'},
		{"lock", required_argument, NULL, 'L'},
		{"rebuild", no_argument, NULL, 'R'},
		{"spec", required_argument, NULL, 'S'},
		{"init", required_argument, NULL, 'I'},
		{"cache", required_argument, NULL, 'C'},
		{"threads", required_argument, NULL, 't'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		CLI_SIGSTORE_LONG_OPTIONS,
		{0},
	};
	struct cli_sigstore ss = {0};
	struct sigstore_opts so = {0};
	struct verify_opts o = {0};
	struct verify_report r = {0};
	struct ward_strv require = {0};
	struct sbom_check_ctx sc = {0};
	struct deb_lock dl = {0};
	struct wheel_lock wl = {0};
	int have_wheels = 0;
	struct slsa_deps deps = {0};
	struct release_rebuild rb = {0};
	const char *keypath = NULL, *lock = NULL, *pt;
	struct ward_key *k = NULL;
	int c, json = 0, rc, code = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "k:h", opts, NULL)) != -1) {
		if (cli_sigstore_option(c, optarg, &ss) == 0)
			continue;
		switch (c) {
		case 'k':
			keypath = optarg;
			break;
		case 'b':
			o.bundle = optarg;
			break;
		case 'r':
			if ((pt = attest_predicate_type(optarg)) == NULL ||
			    ward_strv_push(&require, pt) != 0) {
				ward_strv_free(&require);
				return cli_fail();
			}
			break;
		case 'L':
			lock = optarg;
			break;
		case 'R':
			o.rebuild = 1;
			break;
		case 'S':
			rb.spec = optarg;
			break;
		case 'I':
			rb.init = optarg;
			break;
		case 'C':
			rb.cache = optarg;
			break;
		case 't':
			if (cli_parse_threads(optarg, &o.threads) != 0) {
				ward_strv_free(&require);
				return cli_fail();
			}
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			ward_strv_free(&require);
			return cli_help(help);
		default:
			ward_strv_free(&require);
			return cli_usage("verify", "invalid option");
		}
	}
	if (optind + 1 != argc || (keypath == NULL) == !ss.keyless) {
		ward_strv_free(&require);
		return cli_usage("verify",
				 optind + 1 != argc ? "expected one IMAGE"
				 : keypath == NULL
					 ? "--key PUBLIC-KEY (or, keyless, the certificate "
					   "identity flags) is required"
					 : "give --key or the certificate identity flags, not "
					   "both");
	}
	if ((code = cli_sigstore_finish(&ss, "verify", 0)) != 0) {
		ward_strv_free(&require);
		return code;
	}
	rb.lock = lock;
	rb.threads = o.threads;
	if (release_is_dir(argv[optind])) { /* a ward release: image, artifacts */
		ward_strv_free(&require);
		if (ss.keyless) {
			cli_sigstore_free(&ss);
			return cli_usage("verify", "a ward release is verified with --key");
		}
		return cli_verify_release(argv[optind], keypath, o.threads, o.rebuild ? &rb : NULL,
					  json);
	}
	o.rebuild_fn = release_rebuild;
	o.rebuild_ctx = &rb;
	if (lock != NULL &&
	    (deb_lock_read(lock, &dl) != 0 || slsa_deps_from_lock(&dl, &deps) != 0 ||
	     wheel_lock_read(lock, &wl, &have_wheels) != 0 ||
	     slsa_deps_add_wheels(&wl, &deps) != 0))
		goto fail;
	if (keypath != NULL && (k = key_load_public(keypath)) == NULL)
		goto fail;
	o.key = k;
	if (ss.keyless) {
		so.root = ss.root;
		so.policy = &ss.policy;
		o.keyless = &so;
	}
	rb.key = k;
	o.lock = deps.v;
	o.nlock = deps.n;
	o.have_lock = lock != NULL;
	sc.threads = o.threads;
	o.sbom = attest_sbom_check;
	o.sbom_ctx = &sc;
	o.require = &require;
	o.progress = ward_progress_new("verifying layers", 0, 1);
	rc = attest_verify_image(argv[optind], &o, &r);
	ward_progress_done(o.progress);
	code = rc == 0 ? 0 : ward_errkind() ? ward_errkind() : EXIT_ENV;
	if (json && r.ref != NULL) {
		json_t *j = verify_report_json(&r);
		cli_print_json(j);
		json_decref(j);
	}
	if (r.ref == NULL)
		cli_fail(); /* could not even start: the error says why */
	else if (!json || rc != 0)
		print_human(&r, rc == 0);
	goto out;
fail:
	code = cli_fail();
out:
	verify_report_free(&r);
	attest_sbom_check_done(&sc);
	key_free(k);
	cli_sigstore_free(&ss);
	slsa_deps_free(&deps);
	deb_lock_free(&dl);
	wheel_lock_free(&wl);
	ward_strv_free(&require);
	return code;
}
