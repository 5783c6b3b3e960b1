/*
 * cli.h: helpers shared by the ward subcommands.  The CLI is thin: parse
 * arguments, call libward, print.  Human messages go to stderr, machine
 * output (--json) to stdout; the exit code is the error kind (core.h):
 * 0 ok, 1 verification failed / findings, 2 usage or bad input,
 * 3 environment.
 */
#ifndef WARD_CLI_H
#define WARD_CLI_H

#include <getopt.h>

#include "core/core.h"
#include "attest/attest.h"
#include "registry/registry.h"

#define EXIT_VERIFY 1
#define EXIT_USAGE 2
#define EXIT_ENV 3

struct command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
};

/* cli_fail(): print the recorded error as "ward: <message>" and return
 * its exit code (3 if none was recorded). */
int cli_fail(void);
/* cli_usage(fmt, ...): print a usage error and a hint; returns 2. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* cli_help(text): print help text to stdout; returns 0. */
int cli_help(const char *text);
/* cli_threads(arg, out): parse --threads (0 = all cores). */
int cli_parse_threads(const char *arg, int *out);
/* cli_beside_self(name): "<dir of the ward binary>/<name>" (build/bin, or
 * PREFIX/bin), or name itself when the binary's path is unknown; caller
 * frees. */
char *cli_beside_self(const char *name);
/* cli_parse_long(opt, arg, min, max, out), cli_parse_double(...): a whole
 * argument as a number within [min, max], else an input error naming the
 * option (print it with cli_fail()). */
int cli_parse_long(const char *opt, const char *arg, long min, long max, long *out);
int cli_parse_double(const char *opt, const char *arg, double min, double max, double *out);
/* cli_parse_size(arg, out): "1000000", "64K", "1M", "2G" (powers of 1024). */
int cli_parse_size(const char *arg, uint64_t *out);
/* cli_password(prompt, confirm, allow_empty): WARD_PASSWORD (or
 * COSIGN_PASSWORD), else a no-echo prompt on the terminal.  Caller
 * wipes and frees the result.  NULL with an error recorded. */
char *cli_password(const char *prompt, int confirm, int allow_empty);
/* cli_load_private_key(path): a private key, asking for its password
 * (cli_password) only when the file is encrypted.  Caller key_free()s. */
struct ward_key *cli_load_private_key(const char *path);
/* cli_esc(s): s as printable text for a terminal (ward_escape: control
 * bytes, C1 controls and bad UTF-8 escaped, so a name from an image or a
 * package can neither move the cursor nor forge a line of output);
 * "(none)" for NULL.  Valid until eight more calls: enough for the
 * arguments of one printf. */
const char *cli_esc(const char *s);
/* cli_print_json(j): pretty JSON on stdout. */
int cli_print_json(const json_t *j);
/* cli_init_policy(data, len, what): ward-init's effective policy for the
 * bytes of a /ward/policy.json (init_policy.c); a check_policy_fn. */
json_t *cli_init_policy(const void *data, size_t len, const char *what);
/* cli_verify_release(dir, key, threads, rebuild, json): `ward verify` of a
 * release directory, with --rebuild when rebuild is set (cmd_release.c). */
struct release_rebuild;
int cli_verify_release(const char *dir, const char *keypath, int threads,
		       const struct release_rebuild *rebuild, int json);

/* Registry options shared by push and pull (registry_opts.c).  Add
 * CLI_REGISTRY_LONG_OPTIONS to the getopt table, hand every option to
 * cli_registry_option() (0 taken, 1 not ours, -1 error), then call
 * cli_registry_finish() once parsing is done. */
enum {
	CLI_OPT_INSECURE = 0x1000,
	CLI_OPT_CA_FILE,
	CLI_OPT_USERNAME,
	CLI_OPT_PASSWORD_STDIN,
	CLI_OPT_CHUNK_SIZE,
	CLI_OPT_TIMEOUT,
};
#define CLI_REGISTRY_LONG_OPTIONS                                                                  \
	{"insecure", no_argument, NULL, CLI_OPT_INSECURE},                                         \
		{"ca-file", required_argument, NULL, CLI_OPT_CA_FILE},                             \
		{"username", required_argument, NULL, CLI_OPT_USERNAME},                           \
		{"password-stdin", no_argument, NULL, CLI_OPT_PASSWORD_STDIN},                     \
		{"chunk-size", required_argument, NULL, CLI_OPT_CHUNK_SIZE},                       \
	{                                                                                          \
		"timeout", required_argument, NULL, CLI_OPT_TIMEOUT                                \
	}
#define CLI_REGISTRY_HELP                                                                          \
	"      --insecure        allow plain HTTP and unverified TLS\n"                            \
	"      --ca-file FILE    trust these CA certificates (PEM) too\n"                          \
	"      --username USER   registry user (else WARD_REGISTRY_USERNAME, then the\n"           \
	"                        auth.json of podman/skopeo login or docker's config)\n"           \
	"      --password-stdin  read the password from standard input (else\n"                    \
	"                        WARD_REGISTRY_PASSWORD)\n"                                        \
	"      --chunk-size N    upload blobs larger than N in chunks of N (default 8M)\n"         \
	"      --timeout SECONDS the whole transfer must finish within it (default 3600,\n"        \
	"                        or WARD_REGISTRY_TIMEOUT); a slow or dripping registry\n"         \
	"                        is cut off (exit 3)\n"
/* The test-matrix options ward test and ward release share: add
 * CLI_CHECK_LONG_OPTIONS to the getopt table and hand every option to
 * cli_check_option() (0 taken, 1 not ours, -1 error recorded). */
enum {
	CLI_OPT_HEALTH = 0x1100,
	CLI_OPT_REQUEST,
	CLI_OPT_REQUEST_BODY,
	CLI_OPT_EXEC_PROBE,
	CLI_OPT_STARTUP_MAX,
	CLI_OPT_LATENCY_MAX,
	CLI_OPT_STARTUP_TIMEOUT,
};
#define CLI_CHECK_LONG_OPTIONS                                                                     \
	{"health", required_argument, NULL, CLI_OPT_HEALTH},                                       \
		{"request", required_argument, NULL, CLI_OPT_REQUEST},                             \
		{"request-body", required_argument, NULL, CLI_OPT_REQUEST_BODY},                   \
		{"exec-probe", required_argument, NULL, CLI_OPT_EXEC_PROBE},                       \
		{"startup-max", required_argument, NULL, CLI_OPT_STARTUP_MAX},                     \
		{"latency-max", required_argument, NULL, CLI_OPT_LATENCY_MAX},                     \
	{                                                                                          \
		"startup-timeout", required_argument, NULL, CLI_OPT_STARTUP_TIMEOUT                \
	}
struct check_opts;
int cli_check_option(int c, const char *arg, struct check_opts *o);

struct cli_registry {
	struct reg_opts opts;
	int password_stdin;
	char *password;
};
int cli_registry_option(int c, const char *arg, struct cli_registry *r);
int cli_registry_finish(struct cli_registry *r);
void cli_registry_free(struct cli_registry *r);

/* Keyless Sigstore options every verifying command takes (sigstore_opts.c):
 * add CLI_SIGSTORE_LONG_OPTIONS to the getopt table, hand every option to
 * cli_sigstore_option() (0 taken, 1 not ours), then cli_sigstore_finish()
 * loads the trusted root when a policy was given or need_root is set. */
enum {
	CLI_OPT_TRUSTED_ROOT = 0x1200,
	CLI_OPT_CERT_IDENTITY,
	CLI_OPT_CERT_IDENTITY_RE,
	CLI_OPT_CERT_ISSUER,
	CLI_OPT_CERT_ISSUER_RE,
};
#define CLI_SIGSTORE_LONG_OPTIONS                                                                  \
	{"trusted-root", required_argument, NULL, CLI_OPT_TRUSTED_ROOT},                           \
		{"certificate-identity", required_argument, NULL, CLI_OPT_CERT_IDENTITY},          \
		{"certificate-identity-regexp", required_argument, NULL,                           \
		 CLI_OPT_CERT_IDENTITY_RE},                                                        \
		{"certificate-oidc-issuer", required_argument, NULL, CLI_OPT_CERT_ISSUER},         \
	{                                                                                          \
		"certificate-oidc-issuer-regexp", required_argument, NULL, CLI_OPT_CERT_ISSUER_RE  \
	}
#define CLI_SIGSTORE_HELP                                                                          \
	"      --certificate-identity ID          keyless: the signer's identity (SAN)\n"          \
	"      --certificate-identity-regexp RE   ... or a POSIX ERE it must match\n"              \
	"      --certificate-oidc-issuer URL      keyless: the OIDC issuer of the identity\n"      \
	"      --certificate-oidc-issuer-regexp RE ... or a POSIX ERE it must match\n"             \
	"      --trusted-root FILE                Sigstore trusted_root.json (default:\n"          \
	"                                         $WARD_TRUSTED_ROOT, else the public-good\n"      \
	"                                         root built into ward; `ward version --json`)\n"
struct cli_sigstore {
	const char *trusted_root;
	struct sigstore_policy policy;
	struct sigstore_root *root; /* loaded by cli_sigstore_finish */
	int keyless;		    /* an identity or issuer flag was given */
};
struct sigstore_policy;
int cli_sigstore_option(int c, const char *arg, struct cli_sigstore *s);
/* cli_sigstore_finish(s, cmd, need_root): check the flags go together
 * (one identity and one issuer flag); load the root when keyless or
 * need_root.  0, or an exit code (usage: 2, else cli_fail()). */
int cli_sigstore_finish(struct cli_sigstore *s, const char *cmd, int need_root);
void cli_sigstore_free(struct cli_sigstore *s);

/* Subcommands (one file each). */
int cmd_audit(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_db(int argc, char **argv);
int cmd_deb(int argc, char **argv);
int cmd_deploy(int argc, char **argv);
int cmd_fetch(int argc, char **argv);
int cmd_image(int argc, char **argv);
int cmd_image_pack(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_lock(int argc, char **argv);
int cmd_model(int argc, char **argv);
int cmd_release(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_sbom(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_test(int argc, char **argv);
int cmd_vex(int argc, char **argv);

struct vuln_pkglist;
enum { TARGET_ROOTFS = 1, TARGET_IMAGE, TARGET_SBOM };
/* cli_target_kind(target): what a scan TARGET is: a directory (root
 * filesystem), an image (OCI layout DIR[:tag], oci-archive or docker-archive
 * FILE[:tag]) or a JSON SBOM; -1 when it cannot be read (cmd_scan.c). */
int cli_target_kind(const char *target);
/* cli_write_json_output(path, j): pretty JSON to path, atomically when path
 * is (or will be) a regular file, written through for a device or pipe. */
int cli_write_json_output(const char *path, const json_t *j);
/* cli_scan_target(target, pkgs): its package list (shared with ward vex). */
int cli_scan_target(const char *target, struct vuln_pkglist *pkgs);
int cmd_sign(int argc, char **argv);
int cmd_attest(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_verify_blob(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_pull(int argc, char **argv);

#endif
