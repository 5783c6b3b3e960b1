/* cmd_deb.c: ward deb — look inside .deb files and compare versions
 * (debugging aids; nothing in a .deb is ever run). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "crypto/crypto.h"
#include "deb/deb.h"

static const char help[] =
	"usage: ward deb inspect FILE.deb [--json]   members, control fields, scripts\n"
	"       ward deb control FILE.deb            the control fields (as dpkg-deb -f)\n"
	"       ward deb contents FILE.deb [--sha256]\n"
	"                                           data.tar listing (as dpkg-deb -c, UTC), or\n"
	"                                           sha256sum lines for every regular file\n"
	"       ward deb vercmp A B                  prints <, = or > in dpkg order\n"
	"       ward deb vercmp --batch              the same for \"A B\" lines on stdin\n"
	"\n"
	"Exit codes: 0 ok, 2 bad input (truncated or malformed .deb), 3 environment.\n";

static int
do_control(const char *path)
{
	struct deb_file *d = deb_file_open(path);
	const struct deb_para *p;

	if (d == NULL)
		return cli_fail();
	p = deb_file_control(d);
	for (size_t i = 0; i < p->n; i++)
		printf("%s: %s\n", p->fields[i].name, p->fields[i].value);
	deb_file_close(d);
	return 0;
}

static void
mode_string(const struct deb_entry *e, char out[11])
{
	static const char types[] = "?-dlhcbp";
	mode_t m = e->mode;

	out[0] = types[e->type];
	out[1] = m & 0400 ? 'r' : '-';
	out[2] = m & 0200 ? 'w' : '-';
	out[3] = m & 04000 ? (m & 0100 ? 's' : 'S') : (m & 0100 ? 'x' : '-');
	out[4] = m & 040 ? 'r' : '-';
	out[5] = m & 020 ? 'w' : '-';
	out[6] = m & 02000 ? (m & 010 ? 's' : 'S') : (m & 010 ? 'x' : '-');
	out[7] = m & 04 ? 'r' : '-';
	out[8] = m & 02 ? 'w' : '-';
	out[9] = m & 01000 ? (m & 01 ? 't' : 'T') : (m & 01 ? 'x' : '-');
	out[10] = '\0';
}

/* print_name: as GNU tar -tv writes names (dpkg-deb -c runs tar): C-style
 * escapes for backslash and non-printable bytes (C locale). */
static void
print_name(const char *s)
{
	static const char special[] = "\\\a\b\f\n\r\t\v", letters[] = "\\abfnrtv";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		const char *hit = strchr(special, *p);
		if (hit != NULL)
			printf("\\%c", letters[hit - special]);
		else if (*p < 0x20 || *p >= 0x7f)
			printf("\\%03o", *p);
		else
			putchar(*p);
	}
}

/* print_sum_line: a line `sha256sum -c` reads back: a name holding a
 * backslash, a newline or a carriage return has them escaped and the line
 * starts with a backslash (GNU coreutils' format), so a name can never
 * forge a second line; other bytes as they are, as sha256sum writes them. */
static void
print_sum_line(const char *hex, const char *name)
{
	int esc = strpbrk(name, "\\\n\r") != NULL;

	printf("%s%s  ", esc ? "\\" : "", hex);
	for (const char *p = name; *p; p++) {
		if (esc && *p == '\\')
			fputs("\\\\", stdout);
		else if (esc && *p == '\n')
			fputs("\\n", stdout);
		else if (esc && *p == '\r')
			fputs("\\r", stdout);
		else
			putchar(*p);
	}
	putchar('\n');
}

static int
hash_entry(struct deb_data *it, char hex[65])
{
	struct sha256_ctx *c = sha256_new();
	static unsigned char buf[1 << 16];
	uint8_t d[SHA256_LEN];
	ssize_t n;

	if (c == NULL)
		return ward_err(WARD_EENV, "out of memory");
	while ((n = deb_data_read(it, buf, sizeof(buf))) > 0)
		sha256_update(c, buf, (size_t)n);
	sha256_final(c, d);
	sha256_free(c);
	if (n < 0)
		return -1;
	ward_hex(d, SHA256_LEN, hex);
	return 0;
}

static int
do_contents(const char *path, int want_sha)
{
	struct deb_file *d = deb_file_open(path);
	struct deb_data *it;
	struct deb_entry e;
	int r;

	if (d == NULL)
		return cli_fail();
	if ((it = deb_data_open(d)) == NULL) {
		deb_file_close(d);
		return cli_fail();
	}
	while ((r = deb_data_next(it, &e)) == 1) {
		char mode[11], date[32], hex[65];
		struct tm tm;
		time_t t = (time_t)e.mtime;

		if (want_sha) {
			if (e.type != DEB_ENTRY_FILE)
				continue;
			if (hash_entry(it, hex) != 0) {
				r = -1;
				break;
			}
			print_sum_line(hex, e.name);
			continue;
		}
		mode_string(&e, mode);
		gmtime_r(&t, &tm);
		strftime(date, sizeof(date), "%Y-%m-%d %H:%M", &tm);
		if (e.type == DEB_ENTRY_CHAR || e.type == DEB_ENTRY_BLOCK)
			printf("%s %s/%s %u,%u %s ", mode, cli_esc(e.uname), cli_esc(e.gname),
			       e.rdev_major, e.rdev_minor, date);
		else
			printf("%s %s/%s %ju %s ", mode, cli_esc(e.uname), cli_esc(e.gname),
			       (uintmax_t)e.size, date);
		print_name(e.name);
		if (e.type == DEB_ENTRY_SYMLINK) {
			fputs(" -> ", stdout);
			print_name(e.link);
		} else if (e.type == DEB_ENTRY_HARDLINK) {
			fputs(" link to ./", stdout);
			print_name(e.link);
		}
		putchar('\n');
	}
	deb_data_close(it);
	deb_file_close(d);
	return r == 0 ? 0 : cli_fail();
}

static int
do_inspect(const char *path, int json)
{
	struct deb_file *d = deb_file_open(path);
	const struct deb_ar_member *m;
	const struct deb_para *p;
	const struct ward_strv *conf, *scripts;
	struct deb_data *it;
	struct deb_entry e;
	size_t nm, nmd5, entries = 0;
	uint64_t bytes = 0;
	json_t *j, *members, *ctrl, *cf, *sc;
	int r;

	if (d == NULL)
		return cli_fail();
	if ((it = deb_data_open(d)) == NULL) {
		deb_file_close(d);
		return cli_fail();
	}
	while ((r = deb_data_next(it, &e)) == 1) {
		entries++;
		bytes += e.size;
	}
	deb_data_close(it);
	if (r != 0) {
		deb_file_close(d);
		return cli_fail();
	}
	m = deb_file_members(d, &nm);
	p = deb_file_control(d);
	conf = deb_file_conffiles(d);
	scripts = deb_file_scripts(d);
	deb_file_md5sums(d, &nmd5);
	members = json_array();
	for (size_t i = 0; i < nm; i++)
		json_array_append_new(members, json_pack("{s:s,s:I}", "name", m[i].name, "size",
							 (json_int_t)m[i].size));
	ctrl = json_object();
	for (size_t i = 0; i < p->n; i++)
		json_object_set_new(ctrl, p->fields[i].name, json_string(p->fields[i].value));
	cf = json_array();
	for (size_t i = 0; i < conf->n; i++)
		json_array_append_new(cf, json_string(conf->v[i]));
	sc = json_array();
	for (size_t i = 0; i < scripts->n; i++)
		json_array_append_new(sc, json_string(scripts->v[i]));
	j = json_pack("{s:s,s:o,s:s,s:o,s:o,s:I,s:o,s:I,s:I}", "file", path, "members", members,
		      "data", deb_file_data_member(d), "control", ctrl, "conffiles", cf, "md5sums",
		      (json_int_t)nmd5, "maintainer_scripts_not_run", sc, "entries",
		      (json_int_t)entries, "content_bytes", (json_int_t)bytes);
	if (json)
		cli_print_json(j);
	else {
		/* names and fields from the package, printed for a terminal:
		 * escaped (no ESC sequence, no forged line), never "(null)" */
		printf("%s %s (%s)\n", cli_esc(deb_para_get(p, "Package")),
		       cli_esc(deb_para_get(p, "Version")),
		       cli_esc(deb_para_get(p, "Architecture")));
		for (size_t i = 0; i < nm; i++)
			printf("  member %-16s %ju bytes\n", cli_esc(m[i].name),
			       (uintmax_t)m[i].size);
		printf("  %zu entries, %ju bytes of content, %zu md5sums, %zu conffiles\n", entries,
		       (uintmax_t)bytes, nmd5, conf->n);
		for (size_t i = 0; i < scripts->n; i++)
			printf("  maintainer script %s (never run)\n", cli_esc(scripts->v[i]));
	}
	json_decref(j);
	deb_file_close(d);
	return 0;
}

static char
cmp_char(const char *a, const char *b)
{
	int c = deb_version_cmp(a, b);

	return c < 0 ? '<' : c > 0 ? '>' : '=';
}

static int
do_vercmp(int argc, char **argv)
{
	char line[4096];

	if (argc == 4)
		return printf("%c\n", cmp_char(argv[2], argv[3])) < 0 ? EXIT_ENV : 0;
	if (argc != 3 || strcmp(argv[2], "--batch") != 0)
		return cli_usage("deb", "vercmp needs A B, or --batch");
	while (fgets(line, sizeof(line), stdin) != NULL) {
		char *a = strtok(line, " \t\r\n"), *b = strtok(NULL, " \t\r\n");
		if (a == NULL || b == NULL)
			return cli_usage("deb", "vercmp --batch: expected \"A B\" lines");
		putchar(cmp_char(a, b));
		putchar('\n');
	}
	return fflush(stdout) == 0 ? 0 : EXIT_ENV;
}

int
cmd_deb(int argc, char **argv)
{
	int json = 0, sha = 0;
	const char *file = NULL;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return argc < 2 ? cli_usage("deb", "expected a subcommand") : cli_help(help);
	if (strcmp(argv[1], "vercmp") == 0)
		return do_vercmp(argc, argv);
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--sha256") == 0)
			sha = 1;
		else if (strcmp(argv[i], "--help") == 0)
			return cli_help(help);
		else if (argv[i][0] == '-' || file != NULL)
			return cli_usage("deb", "unexpected argument \"%s\"", argv[i]);
		else
			file = argv[i];
	}
	if (file == NULL)
		return cli_usage("deb", "expected FILE.deb");
	if (strcmp(argv[1], "inspect") == 0)
		return do_inspect(file, json);
	if (strcmp(argv[1], "control") == 0)
		return do_control(file);
	if (strcmp(argv[1], "contents") == 0)
		return do_contents(file, sha);
	return cli_usage("deb", "unknown subcommand \"%s\"", argv[1]);
}
