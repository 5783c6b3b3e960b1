/* cmd_fetch.c: ward fetch — every package of ward.lock into the cache. */
#include <stdlib.h>
#include <string.h>

#include "build/build.h"
#include "cli.h"

static const char help[] =
	"usage: ward fetch [-f ward.yaml] [options]\n"
	"\n"
	"Download every package of ward.lock into the content-addressed cache\n"
	"(<cache>/blobs/sha256/<hex>).  A file becomes visible there only after its\n"
	"size and SHA-256 match the lock; interrupted downloads resume; cached blobs\n"
	"are re-hashed, and a corrupt one is deleted and fetched again.\n"
	"\n"
	"  -f, --file FILE    the spec (default ./ward.yaml); ward.lock sits beside it\n"
	"  -l, --lock FILE    the lock (default: ward.lock beside the spec)\n"
	"      --offline      never touch the network; list what is missing\n"
	"      --cache DIR    cache directory (default $WARD_CACHE, $XDG_CACHE_HOME/ward,\n"
	"                     ~/.cache/ward)\n"
	"  -j, --threads N    parallel downloads (default 4; --jobs is the same)\n"
	"      --retries N    extra attempts per file, with doubling backoff (default 4)\n"
	"      --from DIR     first copy matching files from DIR (apt's archive naming,\n"
	"                     e.g. /var/cache/apt/archives), verified like downloads\n"
	"      --json         result as JSON on stdout\n"
	"\n"
	"Mirrors come from ward.yaml (mirror:), WARD_MIRROR, or the system's apt sources.\n"
	"Exit codes: 0 ok, 1 a download did not match the lock, 2 bad spec or lock,\n"
	"3 environment (network, missing blobs offline, full disk).\n";

struct fetch_args {
	const char *file, *lock, *cache, *from;
	int offline, jobs, retries, json;
};

static int
parse(int argc, char **argv, struct fetch_args *a)
{
	static const struct option opts[] = {
		{"file", required_argument, NULL, 'f'},
		{"lock", required_argument, NULL, 'l'},
		{"offline", no_argument, NULL, 'O'},
		{"cache", required_argument, NULL, 'c'},
		{"threads", required_argument, NULL, 'j'},
		{"jobs", required_argument, NULL, 'j'},
		{"retries", required_argument, NULL, 'r'},
		{"from", required_argument, NULL, 'F'},
		{"json", no_argument, NULL, 'J'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;
	char *end;

	a->file = "ward.yaml";
	a->jobs = 4;
	a->retries = 4;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:l:j:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			a->file = optarg;
			break;
		case 'l':
			a->lock = optarg;
			break;
		case 'O':
			a->offline = 1;
			break;
		case 'c':
			a->cache = optarg;
			break;
		case 'F':
			a->from = optarg;
			break;
		case 'J':
			a->json = 1;
			break;
		case 'j':
			a->jobs = (int)strtol(optarg, &end, 10);
			if (*end || a->jobs < 1 || a->jobs > 64)
				return cli_usage("fetch", "--threads: expected 1 to 64");
			break;
		case 'r':
			a->retries = (int)strtol(optarg, &end, 10);
			if (*end || a->retries < 0 || a->retries > 20)
				return cli_usage("fetch", "--retries: expected 0 to 20");
			break;
		case 'h':
			return -1;
		default:
			return cli_usage("fetch", "invalid option");
		}
	}
	if (optind != argc)
		return cli_usage("fetch", "unexpected argument \"%s\"", argv[optind]);
	return 0;
}

static const char *
status_name(int s)
{
	static const char *const names[] = {"pending", "cached",  "downloaded",
					    "copied",  "missing", "failed"};

	return s >= 0 && s <= DEB_FETCH_FAILED ? names[s] : "unknown";
}

/* apt's archive name: name_version_arch.deb with ':' written %3a. */
static char *
apt_archive_name(const struct deb_lock_pkg *p)
{
	struct ward_buf b = {0};

	ward_buf_printf(&b, "%s_", p->name);
	for (const char *v = p->version; *v; v++)
		if (*v == ':')
			ward_buf_puts(&b, "%3a");
		else
			ward_buf_append(&b, v, 1);
	ward_buf_printf(&b, "_%s.deb", p->arch);
	return ward_buf_steal(&b);
}

static void
report(const struct fetch_args *a, const char *cache, const struct deb_lock *l,
       const struct deb_fetch_item *items, const struct deb_fetch_stats *st, int ok)
{
	double secs = (double)st->ns / 1e9;

	if (a->json) {
		json_t *arr = json_array(), *j;
		for (size_t i = 0; i < l->npkgs; i++) {
			json_t *x =
				json_pack("{s:s,s:s,s:s,s:I,s:s}", "name", l->pkgs[i].name,
					  "version", l->pkgs[i].version, "sha256",
					  l->pkgs[i].sha256, "size", (json_int_t)l->pkgs[i].size,
					  "status", status_name(items[i].status));
			if (items[i].corrupt)
				json_object_set_new(x, "corrupt_copy_deleted", json_true());
			if (items[i].error[0])
				json_object_set_new(x, "error", json_string(items[i].error));
			json_array_append_new(arr, x);
		}
		j = json_pack("{s:s,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:o}", "cache", cache, "ok",
			      ok, "cached", (json_int_t)st->cached, "downloaded",
			      (json_int_t)st->downloaded, "copied", (json_int_t)st->copied,
			      "missing", (json_int_t)st->missing, "failed", (json_int_t)st->failed,
			      "corrupt", (json_int_t)st->corrupt, "bytes", (json_int_t)st->bytes,
			      "seconds", (double)(st->ns / 1000000) / 1000.0, "packages", arr);
		if (!ok)
			json_object_set_new(j, "error", json_string(ward_errmsg()));
		cli_print_json(j);
		json_decref(j);
	}
	if (!ok) {
		size_t shown = 0;
		for (size_t i = 0; i < l->npkgs && shown < 20; i++)
			if (items[i].status == DEB_FETCH_MISSING ||
			    items[i].status == DEB_FETCH_FAILED) {
				fprintf(stderr, "  %-7s %s %s (sha256 %s)\n",
					status_name(items[i].status), l->pkgs[i].name,
					l->pkgs[i].version, l->pkgs[i].sha256);
				shown++;
			}
		return;
	}
	if (!a->json)
		ward_info("%zu packages in %s: %zu downloaded (%.1f MB in %.1f s, %.1f MB/s), %zu "
			  "copied, %zu already cached%s",
			  l->npkgs, cache, st->downloaded, (double)st->bytes / 1e6, secs,
			  secs > 0 ? (double)st->bytes / 1e6 / secs : 0.0, st->copied, st->cached,
			  st->corrupt ? " (corrupt cached copies replaced)" : "");
}

int
cmd_fetch(int argc, char **argv)
{
	struct fetch_args a = {0};
	struct build_spec spec;
	struct deb_lock l = {0};
	struct deb_repo *repos = NULL;
	struct deb_request req;
	struct deb_fetch_item *items = NULL;
	struct deb_fetch_stats st = {0};
	struct deb_fetch_opts o = {0};
	struct ward_strv urls = {0}, locals = {0}, whats = {0}, wstrs = {0};
	struct wheel_lock wheels = {0};
	struct deb_fetch_item *witems = NULL;
	struct deb_fetch_stats wst = {0};
	size_t nrepos = 0;
	char *lockpath = NULL, *cache = NULL;
	int rc;

	if ((rc = parse(argc, argv, &a)) != 0)
		return rc < 0 ? cli_help(help) : rc;
	if (build_spec_load(a.file, &spec) != 0)
		return cli_fail();
	lockpath = a.lock ? ward_strdup(a.lock) : build_spec_lock_path(&spec);
	build_spec_request(&spec, &req);
	if (lockpath == NULL || deb_lock_read(lockpath, &l) != 0 ||
	    deb_lock_matches(&l, &req) != 0 ||
	    build_python_lock_read(&spec, lockpath, &wheels) != 0 ||
	    build_spec_repos(&spec, &repos, &nrepos) != 0 ||
	    (cache = deb_cache_dir(a.cache)) == NULL)
		goto fail;
	items = ward_calloc(l.npkgs ? l.npkgs : 1, sizeof(*items));
	if (items == NULL)
		goto fail;
	for (size_t i = 0; i < l.npkgs; i++) {
		const struct deb_lock_pkg *p = &l.pkgs[i];
		const struct deb_repo *r = deb_repo_find(repos, nrepos, p->suite);
		if (r != NULL && r->uri != NULL) {
			size_t ul = strlen(r->uri);
			if (ward_strv_push_owned(
				    &urls,
				    ward_asprintf(
					    "%.*s/%s",
					    (int)(ul > 0 && r->uri[ul - 1] == '/' ? ul - 1 : ul),
					    r->uri, p->filename)) != 0)
				goto fail;
			items[i].url = urls.v[urls.n - 1];
		} else if (r == NULL) {
			ward_err(WARD_EINPUT,
				 "%s: %s comes from suite %s, which ward.yaml does not "
				 "list: run ward lock",
				 lockpath, p->name, p->suite);
			goto fail;
		}
		if (ward_strv_push_owned(&locals, apt_archive_name(p)) != 0 ||
		    ward_strv_push_owned(&whats, ward_asprintf("%s %s", p->name, p->version)) != 0)
			goto fail;
		items[i].local = locals.v[locals.n - 1];
		items[i].what = whats.v[whats.n - 1];
		items[i].sha256 = p->sha256;
		items[i].size = p->size;
	}
	o.cache = cache;
	o.jobs = a.jobs;
	o.retries = a.retries;
	o.offline = a.offline;
	o.from_dir = a.from;
	o.progress = ward_progress_new("fetching packages", 0, 1);
	rc = deb_fetch(items, l.npkgs, &o, &st);
	ward_progress_done(o.progress);
	report(&a, cache, &l, items, &st, rc == 0);
	if (rc != 0 || wheels.npins == 0) {
		rc = rc == 0 ? 0 : cli_fail();
		goto done;
	}
	/* The wheels: same cache, same checks; the wheelhouse plays --from. */
	if (build_python_fetch_items(&spec, &wheels, &witems, &wstrs) != 0)
		goto fail;
	o.from_dir = spec.python.wheelhouse;
	o.progress = ward_progress_new("fetching wheels", 0, 1);
	rc = deb_fetch(witems, wheels.npins, &o, &wst);
	ward_progress_done(o.progress);
	if (rc != 0) {
		for (size_t i = 0; i < wheels.npins; i++)
			if (witems[i].status == DEB_FETCH_MISSING ||
			    witems[i].status == DEB_FETCH_FAILED)
				fprintf(stderr, "  %-7s %s (sha256 %s)\n",
					status_name(witems[i].status), witems[i].what,
					witems[i].sha256);
		goto fail;
	}
	if (!a.json)
		ward_info("%zu wheels in %s: %zu downloaded, %zu copied, %zu already cached",
			  wheels.npins, cache, wst.downloaded, wst.copied, wst.cached);
	rc = 0;
	goto done;
fail:
	rc = cli_fail();
done:
	free(items);
	free(witems);
	ward_strv_free(&wstrs);
	wheel_lock_free(&wheels);
	ward_strv_free(&urls);
	ward_strv_free(&locals);
	ward_strv_free(&whats);
	free(lockpath);
	free(cache);
	deb_lock_free(&l);
	deb_repos_free(repos, nrepos);
	build_spec_free(&spec);
	return rc;
}
