/* cmd_init.c: ward init — scaffold a commented ward.yaml. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build/build.h"
#include "cli.h"

static const char help[] =
	"usage: ward init [-o ward.yaml] [--name NAME] [--suite CODENAME] [--package PKG]...\n"
	"                 [--force]\n"
	"\n"
	"Write a commented ward.yaml for a new image: every key of the spec, set to\n"
	"a working default (a Python server in app/, port 8080, user nonroot) or\n"
	"commented out with what it does.  Then: ward lock, ward fetch, ward build.\n"
	"\n"
	"  -o, --output FILE   where to write (default ./ward.yaml)\n"
	"  -n, --name NAME     the image name (default: the directory's name)\n"
	"  -s, --suite NAME    the Debian release: bookworm (Debian 12, default) or\n"
	"                      trixie (Debian 13); its main, -updates and -security\n"
	"                      suites are listed\n"
	"  -p, --package PKG   a Debian package to list (repeatable; default\n"
	"                      python3-minimal)\n"
	"      --force         replace an existing file\n"
	"\n"
	"Exit codes: 0 ok, 2 bad usage or the file exists, 3 cannot write.\n";

/* The current directory's name, made a valid image name, or NULL. */
static char *
dir_name(void)
{
	char cwd[4096], *base, *out;

	if (getcwd(cwd, sizeof(cwd)) == NULL || (base = strrchr(cwd, '/')) == NULL || !base[1])
		return NULL;
	out = ward_strdup(base + 1);
	for (char *p = out; p && *p; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
		else if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
			   strchr("._-", *p)))
			*p = '-';
	}
	if (out != NULL &&
	    !((out[0] >= 'a' && out[0] <= 'z') || (out[0] >= '0' && out[0] <= '9'))) {
		free(out);
		return NULL;
	}
	return out;
}

int
cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'}, {"name", required_argument, NULL, 'n'},
		{"suite", required_argument, NULL, 's'},  {"package", required_argument, NULL, 'p'},
		{"force", no_argument, NULL, 'F'},	  {"json", no_argument, NULL, 'J'},
		{"help", no_argument, NULL, 'h'},	  {0},
	};
	const char *output = "ward.yaml", *name = NULL, *suite = NULL;
	struct ward_strv pkgs = {0};
	struct ward_buf text = {0};
	struct build_spec check;
	char *guess = NULL;
	int c, force = 0, json = 0, rc = EXIT_USAGE;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:n:s:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 's':
			suite = optarg;
			break;
		case 'p':
			if (ward_strv_push(&pkgs, optarg) != 0)
				return cli_fail();
			break;
		case 'F':
			force = 1;
			break;
		case 'J':
			json = 1;
			break;
		case 'h':
			ward_strv_free(&pkgs);
			return cli_help(help);
		default:
			ward_strv_free(&pkgs);
			return cli_usage("init", "invalid option");
		}
	}
	if (optind != argc) {
		ward_strv_free(&pkgs);
		return cli_usage("init", "unexpected argument \"%s\"", argv[optind]);
	}
	if (!force && access(output, F_OK) == 0) {
		ward_err(WARD_EINPUT, "%s exists (use --force to replace it)", output);
		goto fail;
	}
	if (name == NULL)
		name = guess = dir_name();
	if (build_scaffold(name, suite, &pkgs, &text) != 0)
		goto fail;
	/* what we write must be a valid spec */
	if (build_spec_parse((const char *)text.data, text.len, output, &check) != 0)
		goto fail;
	build_spec_free(&check);
	if (ward_file_write(output, text.data, text.len, 0644) != 0)
		goto fail;
	if (json) {
		json_t *j = json_pack("{s:s}", "written", output);
		cli_print_json(j);
		json_decref(j);
	} else {
		ward_info("wrote %s: edit it, then ward lock, ward fetch, ward build", output);
	}
	rc = 0;
	goto out;
fail:
	rc = cli_fail();
out:
	free(guess);
	ward_strv_free(&pkgs);
	ward_buf_free(&text);
	return rc;
}
