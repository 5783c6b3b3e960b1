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
/* cli_parse_size(arg, out): "1000000", "64K", "1M", "2G" (powers of 1024). */
int cli_parse_size(const char *arg, uint64_t *out);
/* cli_password(prompt, confirm, allow_empty): WARD_PASSWORD (or
 * COSIGN_PASSWORD), else a no-echo prompt on the terminal.  Caller
 * wipes and frees the result.  NULL with an error recorded. */
char *cli_password(const char *prompt, int confirm, int allow_empty);
/* cli_load_private_key(path): a private key, asking for its password
 * (cli_password) only when the file is encrypted.  Caller key_free()s. */
struct ward_key *cli_load_private_key(const char *path);
/* cli_print_json(j): pretty JSON on stdout. */
int cli_print_json(const json_t *j);

/* Subcommands (one file each). */
int cmd_build(int argc, char **argv);
int cmd_deb(int argc, char **argv);
int cmd_deploy(int argc, char **argv);
int cmd_fetch(int argc, char **argv);
int cmd_image(int argc, char **argv);
int cmd_image_pack(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_lock(int argc, char **argv);
int cmd_model(int argc, char **argv);

#endif
