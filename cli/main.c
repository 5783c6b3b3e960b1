/* main.c: ward <command> [options]. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int cmd_version(int argc, char **argv);

static const struct command commands[] = {
	{"attest", "attach a signed in-toto attestation to an image", cmd_attest},
	{"audit", "hardening findings and a score for any image", cmd_audit},
	{"build", "build the image of ward.yaml, offline and reproducibly", cmd_build},
	{"db", "import and update the offline OSV vulnerability store", cmd_db},
	{"deb", "look inside .deb files, compare Debian versions", cmd_deb},
	{"deploy", "podman/docker run line, Kubernetes manifests, seccomp profile for an image",
	 cmd_deploy},
	{"fetch", "download ward.lock's packages into the verified cache", cmd_fetch},
	{"image", "inspect, list, verify, unpack or export any image", cmd_image},
	{"init", "scaffold a commented ward.yaml for a new image", cmd_init},
	{"keygen", "create an ECDSA key pair (cosign-compatible)", cmd_keygen},
	{"lock", "resolve ward.yaml against Debian indices into ward.lock", cmd_lock},
	{"model", "sign or verify a model (OpenSSF Model Signing v1.0)", cmd_model},
	{"pull", "pull a signed image from a registry", cmd_pull},
	{"push", "push a signed image to a registry", cmd_push},
	{"release", "build + the 11 artifacts, signed and attached, in one step", cmd_release},
	{"report", "one static HTML page for a release or an audit", cmd_report},
	{"sbom", "SBOMs, license report and software hash of an image", cmd_sbom},
	{"scan", "find known vulnerabilities in an image, SBOM or root filesystem", cmd_scan},
	{"sign", "sign an image (cosign-compatible)", cmd_sign},
	{"test", "run the test matrix on an image (and in a hardened container)", cmd_test},
	{"verify", "verify an image's signatures, attestations and blobs", cmd_verify},
	{"verify-blob", "verify a file against a Sigstore bundle (keyless or key)",
	 cmd_verify_blob},
	{"version", "print the version", cmd_version},
	{"vex", "write OpenVEX for a scan, with reachability evidence", cmd_vex},
};

static int
usage(FILE *out)
{
	fprintf(out, "usage: ward [-v|-q] <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nEvery command takes --help.  Exit codes: 0 ok, 1 verification failed or "
		     "findings,\n2 usage or bad input, 3 environment (I/O, missing tools).\n");
	return out == stdout ? 0 : EXIT_USAGE;
}

static int
cmd_version(int argc, char **argv)
{
	json_t *j;

	if (argc >= 2 && strcmp(argv[1], "--json") == 0) {
		j = json_pack("{s:s,s:o}", "version", WARD_VERSION, "sigstore_trusted_root",
			      sigstore_builtin_root_info());
		cli_print_json(j);
		json_decref(j);
		return 0;
	}
	printf("ward %s\n", WARD_VERSION);
	return 0;
}

/* Whatever a command printed must have reached stdout: a full disk or a
 * closed pipe (> /dev/full, | head -c0) is an environment error, never a
 * silent exit 0 with a truncated SBOM.  Checked once for every command. */
static int
finish(int rc)
{
	int failed = fflush(stdout) != 0 || ferror(stdout);
	int saved = errno;

	if (fclose(stdout) != 0 && !failed) {
		failed = 1;
		saved = errno;
	}
	if (!failed)
		return rc;
	errno = saved ? saved : EIO;
	ward_errno(WARD_EENV, "standard output: write failed");
	fprintf(stderr, "ward: %s\n", ward_errmsg());
	return rc == 0 || rc == EXIT_VERIFY ? EXIT_ENV : rc;
}

int
main(int argc, char **argv)
{
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--verbose") == 0)
			ward_log_set_level(WARD_LOG_DEBUG);
		else if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0)
			ward_log_set_level(WARD_LOG_WARN);
		else if (strcmp(argv[i], "--version") == 0)
			return finish(cmd_version(0, NULL));
		else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return finish(usage(stdout));
		else {
			fprintf(stderr, "ward: unknown option %s\n", argv[i]);
			return usage(stderr);
		}
	}
	if (i == argc)
		return usage(stderr);
	for (size_t c = 0; c < sizeof(commands) / sizeof(*commands); c++)
		if (strcmp(argv[i], commands[c].name) == 0)
			return finish(commands[c].run(argc - i, argv + i));
	fprintf(stderr, "ward: unknown command \"%s\"\n", argv[i]);
	return usage(stderr);
}
