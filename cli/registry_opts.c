/* registry_opts.c: the registry options ward push and ward pull share. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int
cli_registry_option(int c, const char *arg, struct cli_registry *r)
{
	switch (c) {
	case CLI_OPT_INSECURE:
		r->opts.insecure = 1;
		return 0;
	case CLI_OPT_CA_FILE:
		r->opts.ca_file = arg;
		return 0;
	case CLI_OPT_USERNAME:
		r->opts.username = arg;
		return 0;
	case CLI_OPT_PASSWORD_STDIN:
		r->password_stdin = 1;
		return 0;
	case CLI_OPT_CHUNK_SIZE:
		return cli_parse_size(arg, &r->opts.chunk_size);
	case CLI_OPT_TIMEOUT: {
		long v;
		if (cli_parse_long("--timeout", arg, 1, 86400L * 365, &v) != 0)
			return -1;
		r->opts.timeout_s = (uint64_t)v;
		return 0;
	}
	default:
		return 1;
	}
}

int
cli_registry_finish(struct cli_registry *r)
{
	char buf[4096];
	size_t len;

	if (!r->password_stdin)
		return 0;
	if (fgets(buf, sizeof(buf), stdin) == NULL)
		return ward_err(WARD_EINPUT, "--password-stdin: nothing on standard input");
	len = strcspn(buf, "\r\n");
	r->password = ward_strndup(buf, len);
	ward_wipe(buf, sizeof(buf));
	if (r->password == NULL)
		return -1;
	r->opts.password = r->password;
	return 0;
}

void
cli_registry_free(struct cli_registry *r)
{
	if (r->password != NULL) {
		ward_wipe(r->password, strlen(r->password));
		free(r->password);
	}
	r->password = NULL;
}
