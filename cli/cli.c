/* cli.c: helpers shared by the subcommands. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "crypto/crypto.h"

const char *
cli_esc(const char *s)
{
	static char *ring[8];
	static unsigned next;
	char **slot = &ring[next++ % 8];

	if (s == NULL)
		return "(none)";
	free(*slot);
	*slot = ward_escape_dup(s);
	if (*slot == NULL) {
		ward_err_clear();
		return "(out of memory)";
	}
	return *slot;
}

int
cli_fail(void)
{
	int kind = ward_errkind();

	fprintf(stderr, "ward: %s\n", *ward_errmsg() ? ward_errmsg() : "failed");
	return kind == WARD_OK ? EXIT_ENV : kind;
}

int
cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ward %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'ward %s --help'.\n", cmd);
	return EXIT_USAGE;
}

int
cli_help(const char *text)
{
	fputs(text, stdout);
	return 0;
}

int
cli_parse_threads(const char *arg, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (*arg == '\0' || *end != '\0' || errno != 0 || v < 0 || v > 256)
		return ward_err(WARD_EINPUT, "--threads %s: expected a number from 0 to 256", arg);
	*out = (int)v;
	return 0;
}

char *
cli_beside_self(const char *name)
{
	char self[PATH_MAX];

	if (ward_self_exe(self, sizeof(self)) != 0) {
		ward_err_clear();
		return ward_strdup(name);
	}
	return ward_path_join(dirname(self), name);
}

int
cli_parse_long(const char *opt, const char *arg, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (*arg == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
		return ward_err(WARD_EINPUT, "%s %s: expected a whole number from %ld to %ld", opt,
				arg, min, max);
	*out = v;
	return 0;
}

int
cli_parse_double(const char *opt, const char *arg, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (*arg == '\0' || *end != '\0' || errno != 0 || !(v >= min && v <= max))
		return ward_err(WARD_EINPUT, "%s %s: expected a number from %g to %g", opt, arg,
				min, max);
	*out = v;
	return 0;
}

int
cli_parse_size(const char *arg, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (end == arg || errno != 0)
		goto bad;
	switch (*end) {
	case 'K':
	case 'k':
		mult = 1ull << 10;
		end++;
		break;
	case 'M':
	case 'm':
		mult = 1ull << 20;
		end++;
		break;
	case 'G':
	case 'g':
		mult = 1ull << 30;
		end++;
		break;
	default:
		break;
	}
	if (*end != '\0' || v == 0 || v > UINT64_MAX / mult)
		goto bad;
	*out = v * mult;
	return 0;
bad:
	return ward_err(WARD_EINPUT, "%s: expected a positive size such as 1000000, 64K, 1M or 2G",
			arg);
}

static char *
read_tty(const char *prompt)
{
	struct termios old, quiet;
	char buf[1024];
	size_t len;
	int fd;
	FILE *tty;
	char *line;

	fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ward_err(WARD_EINPUT, "no password: set WARD_PASSWORD (no terminal to ask on)");
		return NULL;
	}
	tty = fdopen(fd, "r+");
	if (tty == NULL) {
		close(fd);
		ward_err(WARD_EENV, "cannot open the terminal");
		return NULL;
	}
	fputs(prompt, tty);
	fflush(tty);
	tcgetattr(fd, &old);
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(fd, TCSAFLUSH, &quiet);
	line = fgets(buf, sizeof(buf), tty);
	tcsetattr(fd, TCSAFLUSH, &old);
	fputs("\n", tty);
	fclose(tty);
	if (line == NULL) {
		ward_err(WARD_EINPUT, "no password entered");
		return NULL;
	}
	len = strcspn(buf, "\r\n");
	line = ward_strndup(buf, len);
	ward_wipe(buf, sizeof(buf));
	return line;
}

char *
cli_password(const char *prompt, int confirm, int allow_empty)
{
	const char *env = getenv("WARD_PASSWORD");
	char *pw, *again;

	if (env == NULL)
		env = getenv("COSIGN_PASSWORD");
	if (env != NULL) {
		pw = ward_strdup(env);
	} else {
		pw = read_tty(prompt);
		if (pw != NULL && confirm) {
			again = read_tty("Repeat password: ");
			if (again == NULL || strcmp(again, pw) != 0) {
				if (again != NULL)
					ward_err(WARD_EINPUT, "passwords do not match");
				ward_wipe(pw, strlen(pw));
				free(pw);
				pw = NULL;
			}
			if (again != NULL) {
				ward_wipe(again, strlen(again));
				free(again);
			}
		}
	}
	if (pw != NULL && *pw == '\0' && !allow_empty) {
		free(pw);
		ward_err(WARD_EINPUT, "empty password refused (use --allow-empty-password to "
				      "accept an unprotected key)");
		return NULL;
	}
	return pw;
}

int
cli_print_json(const json_t *j)
{
	char *s = ward_json_dump(j, 1);

	if (s == NULL)
		return -1;
	fputs(s, stdout);
	free(s);
	return fflush(stdout) == 0 ? 0 : ward_errno(WARD_EENV, "stdout");
}

struct ward_key *
cli_load_private_key(const char *path)
{
	struct ward_key *k;
	char *pw = NULL;
	int enc = key_file_needs_password(path);

	if (enc < 0)
		return NULL;
	if (enc && (pw = cli_password("Password for the private key: ", 0, 1)) == NULL)
		return NULL;
	k = key_load_private(path, pw);
	if (pw != NULL) {
		ward_wipe(pw, strlen(pw));
		free(pw);
	}
	return k;
}
