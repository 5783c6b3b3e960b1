/* cmd_keygen.c: ward keygen — a cosign-compatible ECDSA key pair. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "crypto/crypto.h"

static const char help[] =
	"usage: ward keygen [-o PREFIX] [--curve p256|p384|p521] [--allow-empty-password]\n"
	"                   [--force] [--json]\n"
	"\n"
	"Write PREFIX.key (ENCRYPTED SIGSTORE PRIVATE KEY: scrypt N=65536 r=8 p=1 +\n"
	"nacl/secretbox, the format cosign reads) and PREFIX.pub (PEM PUBLIC KEY).\n"
	"PREFIX defaults to \"ward\".  The password comes from WARD_PASSWORD (or\n"
	"COSIGN_PASSWORD), else it is asked for on the terminal without echo.\n"
	"\n"
	"  -o, --output PREFIX        output path prefix\n"
	"      --curve CURVE          p256 (default), p384 or p521\n"
	"      --allow-empty-password store the key with an empty password\n"
	"      --force                overwrite existing files\n"
	"      --json                 print the written paths as JSON\n";

int
cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"curve", required_argument, NULL, 'c'},
		{"allow-empty-password", no_argument, NULL, 'E'},
		{"force", no_argument, NULL, 'F'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *prefix = "ward";
	int curve = KEY_P256, allow_empty = 0, force = 0, json = 0, c, rc = 0;
	char *keypath = NULL, *pubpath = NULL, *pw = NULL;
	struct ward_key *k = NULL;

	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			prefix = optarg;
			break;
		case 'c':
			if (strcmp(optarg, "p256") == 0)
				curve = KEY_P256;
			else if (strcmp(optarg, "p384") == 0)
				curve = KEY_P384;
			else if (strcmp(optarg, "p521") == 0)
				curve = KEY_P521;
			else
				return cli_usage("keygen", "unknown curve \"%s\"", optarg);
			break;
		case 'E':
			allow_empty = 1;
			break;
		case 'F':
			force = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			return cli_help(help);
		default:
			return cli_usage("keygen", "invalid option");
		}
	}
	if (optind != argc)
		return cli_usage("keygen", "unexpected argument \"%s\"", argv[optind]);
	keypath = ward_asprintf("%s.key", prefix);
	pubpath = ward_asprintf("%s.pub", prefix);
	if (keypath == NULL || pubpath == NULL)
		goto fail;
	if (!force && (access(keypath, F_OK) == 0 || access(pubpath, F_OK) == 0)) {
		ward_err(WARD_EINPUT, "%s or %s exists (use --force to overwrite)", keypath,
			 pubpath);
		goto fail;
	}
	pw = cli_password("Password for the new private key: ", 1, allow_empty);
	if (pw == NULL || (k = key_generate(curve)) == NULL ||
	    key_write_private_cosign(k, pw, keypath) != 0 || key_write_public(k, pubpath) != 0)
		goto fail;
	if (json) {
		json_t *j = json_pack("{s:s,s:s,s:s}", "private_key", keypath, "public_key",
				      pubpath, "key_details", key_details(k));
		cli_print_json(j);
		json_decref(j);
	} else {
		fprintf(stderr, "ward: wrote %s and %s (%s)\n", keypath, pubpath, key_details(k));
	}
	goto out;
fail:
	rc = cli_fail();
out:
	if (pw != NULL) {
		ward_wipe(pw, strlen(pw));
		free(pw);
	}
	key_free(k);
	free(keypath);
	free(pubpath);
	return rc;
}
