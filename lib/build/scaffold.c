/* scaffold.c: the commented ward.yaml that `ward init` writes.  Every key
 * of docs/ward-yaml.md appears, set or commented out, so the file is its
 * own quick reference; the tests check that it parses. */
#include <string.h>

#include "build/build.h"

static const char head[] =
	"# ward.yaml: the image spec (docs/ward-yaml.md).\n"
	"#   ward lock    resolve the packages into ward.lock (commit it)\n"
	"#   ward fetch   download them into the cache, checked against ward.lock\n"
	"#   ward build   build the image offline, reproducibly (prints its digest)\n"
	"\n";

/* The Debian releases ward init knows: their suites and Python. */
static const struct {
	const char *suite, *release, *python;
} releases[] = {
	{"bookworm", "Debian 12", "3.11"},
	{"trixie", "Debian 13", "3.13"},
};

static const char sources[] =
	"version: 0.1.0\n"
	"architecture: amd64\n"
	"\n"
	"# %s.  Without mirror:, each suite comes from WARD_MIRROR or the\n"
	"# system's apt sources; the security archive is a tree of its own\n"
	"# (WARD_MIRROR=\"URL *-security=SECURITY-URL\").\n"
	"sources:\n"
	"  - suites: [%s, %s-updates]\n"
	"    components: [main]\n"
	"  - suites: [%s-security]\n"
	"    components: [main]\n"
	"\n"
	"# Debian packages; their dependencies are added by ward lock.  Shells,\n"
	"# package managers, compilers and debuggers are never pulled in.\n"
	"packages:\n";

static const char rest1[] =
	"# exclude: [pkg]        never install these (their dependency edges are cut)\n"
	"# allow: [pkg]          exceptions to the distroless policy\n"
	"\n"
	"# The server's argv; the image runs /ward/init -- ARGV (ward-init verifies\n"
	"# the models, confines the server, then executes it).\n"
	"entrypoint: [/usr/bin/python3, /app/server.py]\n"
	"# cmd: [--verbose]       default arguments after the entrypoint\n"
	"\n"
	"# Local files and directories copied into the image.\n"
	"files:\n"
	"  - src: app            # relative to this file\n"
	"    dst: /app\n"
	"    # mode: \"0644\"       regular files (default 0644, 0755 if executable)\n"
	"    # owner: \"0:0\"       numeric UID:GID (default root)\n"
	"    # exclude: [\"*.md\"]  globs (.git and __pycache__ are always left out)\n"
	"\n"
	"# Model directories: signed with OpenSSF Model Signing at build time\n"
	"# (ward build --key KEY) and verified by ward-init before the server starts.\n"
	"# models:\n"
	"#   - src: model\n"
	"#     dst: /models/model\n"
	"#     # key: model.pub          trust an existing signature instead of --key\n"
	"#     # signature: model.sig    default <src>/model.sig\n"
	"\n"
	"# user: {name: nonroot, uid: 65532, gid: 65532, home: /home/nonroot}\n"
	"# workdir: /app\n"
	"env:\n"
	"  PYTHONUNBUFFERED: \"1\"\n"
	"ports: [8080]\n"
	"# Writable at run time (tmpfs in deploy configs, the only Landlock-writable\n"
	"# places); everything else is read-only.\n"
	"writable: [/tmp]\n"
	"# ca_certificates: true    the ca-certificates package and its bundle\n"
	"# timezone: Etc/UTC        tzdata and /etc/localtime\n"
	"# python_bytecode: true    precompile the packages' Python modules\n"
	"# python:                 wheels pinned by hash (PEP 751 pylock.toml or a\n"
	"#   lock: pylock.toml     requirements file with --hash on every line)\n"
	"#   wheelhouse: wheels    local .whl files, and/or index: a simple index URL\n"
	"# drop: [/usr/share/fonts]   more paths to leave out (docs, man pages and\n"
	"# keep: [/usr/share/doc/*/NEWS*]  locales are left out by default)\n"
	"# source_date_epoch: 1700000000   default: the date of ward.lock's newest index\n"
	"\n"
	"# ward-init policy (docs/policy.schema.json), beyond what ward derives from\n"
	"# this file (user, models, writable, the TCP ports the server may bind).\n"
	"# The defaults are the secure choice: no outbound TCP, no UDP, unix or\n"
	"# netlink sockets, Landlock required, models on read-only mounts, metrics\n"
	"# on loopback, SIGKILL 10 s after SIGTERM.  Each loosening is logged.\n"
	"policy:\n"
	"  metrics: {address: \"127.0.0.1:9090\"}\n"
	"  read_only: {root: refuse}\n";

static const char rest2[] =
	"  # exec: {allow: [/usr/bin/python%s]}   helpers the server may spawn\n"
	"  # landlock: {tcp_connect: [443]}         outbound TCP ports\n"
	"  # network: {udp: true}                   UDP, unix or netlink sockets\n"
	"  # stop_timeout: 30                       seconds from SIGTERM to SIGKILL\n"
	"\n"
	"# annotations: {org.opencontainers.image.source: https://example.org/repo}\n"
	"# labels: {team: inference}\n";

int
build_scaffold(const char *name, const char *suite, const struct ward_strv *packages,
	       struct ward_buf *out)
{
	size_t r = 0;

	if (suite != NULL) {
		for (r = 0; r < sizeof(releases) / sizeof(releases[0]); r++)
			if (strcmp(releases[r].suite, suite) == 0)
				break;
		if (r == sizeof(releases) / sizeof(releases[0]))
			return ward_err(
				WARD_EINPUT,
				"--suite %s: ward init knows bookworm (Debian 12) and trixie "
				"(Debian 13)",
				suite);
	}
	if (ward_buf_puts(out, head) != 0 ||
	    ward_buf_printf(out, "name: %s\n", name ? name : "my-server") != 0 ||
	    ward_buf_printf(out, sources, releases[r].release, releases[r].suite, releases[r].suite,
			    releases[r].suite) != 0)
		return -1;
	if (packages == NULL || packages->n == 0) {
		if (ward_buf_puts(out, "  - python3-minimal\n") != 0)
			return -1;
	} else {
		for (size_t i = 0; i < packages->n; i++)
			if (ward_buf_printf(out, "  - %s\n", packages->v[i]) != 0)
				return -1;
	}
	if (ward_buf_puts(out, rest1) != 0 || ward_buf_printf(out, rest2, releases[r].python) != 0)
		return -1;
	return 0;
}
