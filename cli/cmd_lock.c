/* cmd_lock.c: ward lock — resolve ward.yaml against Debian indices. */
#include <stdlib.h>
#include <string.h>

#include "build/build.h"
#include "cli.h"

static const char help[] =
	"usage: ward lock [-f ward.yaml] [options]\n"
	"\n"
	"Resolve the packages of ward.yaml against verified Debian package indices\n"
	"and write ward.lock beside it: every package of the closure with its exact\n"
	"version, size and SHA-256, who required it, the dependency edges the\n"
	"distroless policy cut, and the indices used with their digests.\n"
	"Same indices and same spec give the same bytes.\n"
	"\n"
	"Indices come from the machine's apt lists when they hold the suite, else\n"
	"from the suite's mirror (ward.yaml mirror:, WARD_MIRROR, or the system's\n"
	"apt sources).  Their OpenPGP signature is checked with gpgv.\n"
	"\n"
	"  -f, --file FILE      the spec (default ./ward.yaml)\n"
	"  -o, --output FILE    write the lock here (default: ward.lock beside the spec)\n"
	"      --apt            only the apt lists (--lists DIR, default\n"
	"                       /var/lib/apt/lists)\n"
	"      --lists DIR      apt lists directory to read\n"
	"      --indices DIR    a mirror-layout tree: DIR/dists/<suite>/InRelease ...\n"
	"      --download       download fresh indices from the mirrors (kept in the cache)\n"
	"      --offline        never touch the network\n"
	"      --allow-unsigned accept indices whose signature cannot be checked (no\n"
	"                       gpgv, no keyring, unsigned Release), with a warning\n"
	"      --allow-expired  accept indices past their Valid-Until (a snapshot mirror),\n"
	"                       with a warning; by default they are refused (exit 1)\n"
	"      --cache DIR      cache directory (default $WARD_CACHE, $XDG_CACHE_HOME/ward)\n"
	"      --json           summary as JSON on stdout\n"
	"\n"
	"Exit codes: 0 ok, 1 an index failed verification, 2 bad spec or\n"
	"unresolvable request, 3 environment (network, gpgv, I/O).\n";

struct lock_args {
	const char *file, *output, *lists, *indices, *cache;
	int from, offline, allow_unsigned, allow_expired, json;
};

static int
parse(int argc, char **argv, struct lock_args *a)
{
	static const struct option opts[] = {
		{"file", required_argument, NULL, 'f'},
		{"output", required_argument, NULL, 'o'},
		{"apt", no_argument, NULL, 'A'},
		{"lists", required_argument, NULL, 'L'},
		{"indices", required_argument, NULL, 'I'},
		{"download", no_argument, NULL, 'D'},
		{"offline", no_argument, NULL, 'O'},
		{"allow-unsigned", no_argument, NULL, 'U'},
		{"allow-expired", no_argument, NULL, 'E'},
		{"cache", required_argument, NULL, 'c'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;

	a->file = "ward.yaml";
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			a->file = optarg;
			break;
		case 'o':
			a->output = optarg;
			break;
		case 'A':
			a->from = DEB_FROM_APT;
			break;
		case 'L':
			a->lists = optarg;
			break;
		case 'I':
			a->indices = optarg;
			a->from = DEB_FROM_DIR;
			break;
		case 'D':
			a->from = DEB_FROM_MIRROR;
			break;
		case 'O':
			a->offline = 1;
			break;
		case 'U':
			a->allow_unsigned = 1;
			break;
		case 'E':
			a->allow_expired = 1;
			break;
		case 'c':
			a->cache = optarg;
			break;
		case 'j':
			a->json = 1;
			break;
		case 'h':
			return -1;
		default:
			return cli_usage("lock", "invalid option");
		}
	}
	if (optind != argc)
		return cli_usage("lock", "unexpected argument \"%s\"", argv[optind]);
	if (a->offline && a->from == DEB_FROM_MIRROR)
		return cli_usage("lock", "--download and --offline exclude each other");
	return 0;
}

static void
print_summary(const struct lock_args *a, const char *out, const struct deb_lock *l)
{
	uint64_t bytes = 0;

	for (size_t i = 0; i < l->npkgs; i++)
		bytes += l->pkgs[i].size;
	if (a->json) {
		json_t *cuts = json_array(), *j;
		for (size_t i = 0; i < l->ncuts; i++)
			json_array_append_new(cuts, json_pack("{s:s,s:s,s:s,s:s}", "package",
							      l->cuts[i].package, "field",
							      l->cuts[i].field, "dependency",
							      l->cuts[i].dependency, "reason",
							      l->cuts[i].reason));
		j = json_pack("{s:s,s:I,s:I,s:I,s:o}", "lockfile", out, "packages",
			      (json_int_t)l->npkgs, "download_size", (json_int_t)bytes, "indices",
			      (json_int_t)l->nindices, "cut", cuts);
		cli_print_json(j);
		json_decref(j);
		return;
	}
	for (size_t i = 0; i < l->ncuts; i++)
		ward_info("cut: %s %s: %s (%s)", l->cuts[i].package, l->cuts[i].field,
			  l->cuts[i].dependency, l->cuts[i].reason);
	ward_info("locked %zu packages (%.1f MB), %zu dependency edges cut, from %zu indices -> %s",
		  l->npkgs, (double)bytes / 1e6, l->ncuts, l->nindices, out);
}

int
cmd_lock(int argc, char **argv)
{
	struct lock_args a = {0};
	struct build_spec spec;
	struct deb_repo *repos = NULL;
	struct deb_universe *u = NULL;
	struct deb_request req;
	struct deb_lock lock = {0};
	struct deb_index_opts o = {0};
	struct wheel_lock wheels = {0};
	char *out = NULL, *cache = NULL;
	size_t nrepos = 0;
	int rc;

	if ((rc = parse(argc, argv, &a)) != 0)
		return rc < 0 ? cli_help(help) : rc;
	if (build_spec_load(a.file, &spec) != 0)
		return cli_fail();
	rc = EXIT_ENV;
	if (build_spec_repos(&spec, &repos, &nrepos) != 0)
		goto fail;
	o.arch = spec.architecture;
	o.from = a.from;
	o.lists_dir = a.lists;
	o.dir = a.indices;
	o.cache = a.cache;
	o.allow_unsigned = a.allow_unsigned;
	o.allow_expired = a.allow_expired;
	o.offline = a.offline;
	if ((u = deb_universe_load(repos, nrepos, &o)) == NULL)
		goto fail;
	ward_debug("%zu packages in %zu repositories", deb_universe_count(u), nrepos);
	build_spec_request(&spec, &req);
	if (deb_resolve(u, &req, &lock) != 0)
		goto fail;
	if (spec.python.lock != NULL) {
		if ((cache = deb_cache_dir(a.cache)) == NULL ||
		    build_python_lock(&spec, &lock, cache, &wheels) != 0)
			goto fail;
	}
	out = a.output ? ward_strdup(a.output) : build_spec_lock_path(&spec);
	if (out == NULL || build_lock_write(out, &lock, &wheels) != 0)
		goto fail;
	print_summary(&a, out, &lock);
	if (wheels.lock != NULL && !a.json)
		ward_info("locked %zu wheels from %s for CPython %s (%s)", wheels.npins,
			  spec.python.lock, wheels.python, wheels.platform);
	rc = 0;
	goto done;
fail:
	rc = cli_fail();
done:
	free(out);
	free(cache);
	wheel_lock_free(&wheels);
	deb_lock_free(&lock);
	deb_universe_free(u);
	deb_repos_free(repos, nrepos);
	build_spec_free(&spec);
	return rc;
}
