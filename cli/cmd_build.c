/* cmd_build.c: ward build — ward.yaml + ward.lock + the cache -> OCI image. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build/build.h"
#include "cli.h"

static const char help[] =
	"usage: ward build [-f ward.yaml] [-o DIR] [options]\n"
	"\n"
	"Build the image of ward.yaml from the packages locked in ward.lock, offline\n"
	"and reproducibly: the same lock and inputs give the same digest on any\n"
	"machine, with any thread count.  Packages are unpacked from the verified\n"
	"cache (maintainer scripts are never run), the distroless rules applied, the\n"
	"models signed (--key) and checked, and the layers written as an OCI image\n"
	"layout.  The manifest digest (sha256:...) is the last line of stdout.\n"
	"\n"
	"  -f, --file FILE        the spec (default ./ward.yaml); ward.lock sits beside it\n"
	"  -l, --lock FILE        the lock (default: ward.lock beside the spec)\n"
	"  -o, --output DIR       OCI image layout to write (default out/<name>)\n"
	"  -t, --tag TAG          its tag (default: the spec's version, else latest)\n"
	"      --tar FILE         also write a docker-archive (podman load, docker load)\n"
	"      --repo-tag REF     its RepoTag (default localhost/<name>:<tag>)\n"
	"      --key FILE         sign the models with this private key (cosign format;\n"
	"                         password from WARD_PASSWORD); an existing signature by\n"
	"                         the same key over the same files is kept\n"
	"      --init FILE        ward-init binary for /ward/init (default: ward-init\n"
	"                         beside this ward)\n"
	"      --cache DIR        cache directory (default $WARD_CACHE, $XDG_CACHE_HOME/ward)\n"
	"      --context DIR      the build context: files:/models: sources must resolve\n"
	"                         (symlinks too) inside it (default: ward.yaml's directory)\n"
	"      --compression C    gzip (default) or zstd (docker-archive needs gzip)\n"
	"      --level N          compression level (default: gzip 6, zstd 3)\n"
	"  -j, --threads N        threads (default: every CPU; the output never depends on it)\n"
	"      --no-layer-cache   neither use nor fill the build caches (layers,\n"
	"                         unpacked packages, bytecode)\n"
	"      --annotation K=V   extra manifest annotation (repeatable)\n"
	"      --record FILE      the build record (default <output>.build.json)\n"
	"      --json             the build summary as JSON on stdout\n"
	"\n"
	"Exit codes: 0 ok, 1 a model signature does not verify, 2 bad spec, lock or\n"
	"input (forbidden package or file, missing files: source, entrypoint not in\n"
	"the image), 3 environment (a package missing from the cache: run ward fetch).\n";

struct build_args {
	const char *file, *lock, *output, *tag, *tar, *repo_tag, *key, *init, *cache, *record,
		*context;
	int compression, level, threads, no_cache, json;
	struct build_kv annotations;
};

static int
parse(int argc, char **argv, struct build_args *a)
{
	static const struct option opts[] = {
		{"file", required_argument, NULL, 'f'},
		{"lock", required_argument, NULL, 'l'},
		{"output", required_argument, NULL, 'o'},
		{"tag", required_argument, NULL, 't'},
		{"tar", required_argument, NULL, 'T'},
		{"repo-tag", required_argument, NULL, 'R'},
		{"key", required_argument, NULL, 'k'},
		{"init", required_argument, NULL, 'I'},
		{"cache", required_argument, NULL, 'c'},
		{"context", required_argument, NULL, 'X'},
		{"compression", required_argument, NULL, 'C'},
		{"level", required_argument, NULL, 'L'},
		{"threads", required_argument, NULL, 'j'},
		{"no-layer-cache", no_argument, NULL, 'N'},
		{"annotation", required_argument, NULL, 'a'},
		{"record", required_argument, NULL, 'r'},
		{"json", no_argument, NULL, 'J'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;
	char *end, *eq;

	a->file = "ward.yaml";
	a->compression = OCI_COMPRESS_GZIP;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:l:o:t:j:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			a->file = optarg;
			break;
		case 'l':
			a->lock = optarg;
			break;
		case 'o':
			a->output = optarg;
			break;
		case 't':
			a->tag = optarg;
			break;
		case 'T':
			a->tar = optarg;
			break;
		case 'R':
			a->repo_tag = optarg;
			break;
		case 'k':
			a->key = optarg;
			break;
		case 'I':
			a->init = optarg;
			break;
		case 'c':
			a->cache = optarg;
			break;
		case 'X':
			a->context = optarg;
			break;
		case 'C':
			if ((a->compression = oci_compression_parse(optarg)) < 0 ||
			    a->compression == OCI_COMPRESS_NONE)
				return cli_usage("build", "--compression: gzip or zstd");
			break;
		case 'L':
			a->level = (int)strtol(optarg, &end, 10);
			if (*end || a->level < 1 || a->level > 19)
				return cli_usage("build", "--level: expected 1 to 19");
			break;
		case 'j':
			if (cli_parse_threads(optarg, &a->threads) != 0)
				return cli_usage("build", "--threads: expected a number");
			break;
		case 'N':
			a->no_cache = 1;
			break;
		case 'a':
			eq = strchr(optarg, '=');
			if (eq == NULL || eq == optarg)
				return cli_usage("build", "--annotation: expected KEY=VALUE");
			*eq = '\0';
			if (ward_strv_push(&a->annotations.keys, optarg) != 0 ||
			    ward_strv_push(&a->annotations.values, eq + 1) != 0)
				return cli_fail();
			break;
		case 'r':
			a->record = optarg;
			break;
		case 'J':
			a->json = 1;
			break;
		case 'h':
			return -1;
		default:
			return cli_usage("build", "invalid option");
		}
	}
	if (optind != argc)
		return cli_usage("build", "unexpected argument \"%s\"", argv[optind]);
	if (a->tar != NULL && a->compression == OCI_COMPRESS_ZSTD)
		return cli_usage("build",
				 "--tar: docker-archive readers refuse zstd layers; use gzip");
	return 0;
}

static void
summary(const struct build_result *r, const struct build_spec *s, double secs)
{
	ward_info("%zu paths in the image: %zu from %s packages, %zu from wheels, %zu from "
		  "ward.yaml, %zu generated (%zu .pyc, %zu from the bytecode cache); %zu package "
		  "paths left out (docs, man pages, locales); setuid/setgid cleared on %zu files",
		  build_plan_count(r->plan), r->from_packages, "the locked", r->from_wheels,
		  r->from_spec, r->generated, r->pyc, r->pyc_cached, r->dropped, r->setid_cleared);
	for (size_t i = 0; i < r->nlayers; i++)
		ward_info("  layer %-14s %9.1f MB  %6zu paths  %s", r->layers[i].name,
			  (double)r->layers[i].desc.blob.size / 1e6, r->layers[i].entries,
			  r->layers[i].cached ? "(layer cache)" : "");
	ward_info("built %s:%s in %.1f s (SOURCE_DATE_EPOCH %lld from %s)", s->name, r->tag, secs,
		  (long long)r->epoch, r->epoch_from);
}

static json_t *
summary_json(const struct build_result *r, const char *output, const char *record, double secs)
{
	json_t *layers = json_array();

	for (size_t i = 0; i < r->nlayers; i++)
		json_array_append_new(layers, json_pack("{s:s,s:s,s:s,s:I,s:I,s:b}", "name",
							r->layers[i].name, "digest",
							r->layers[i].desc.blob.digest, "diff_id",
							r->layers[i].desc.diff_id, "size",
							(json_int_t)r->layers[i].desc.blob.size,
							"paths", (json_int_t)r->layers[i].entries,
							"cached", r->layers[i].cached));
	return json_pack(
		"{s:s,s:s,s:s,s:s,s:s,s:I,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I},s:o,s:I,s:f}",
		"digest", r->manifest_digest, "config", r->config_digest, "output", output, "tag",
		r->tag, "record", record, "source_date_epoch", (json_int_t)r->epoch, "paths",
		"total", (json_int_t)build_plan_count(r->plan), "from_packages",
		(json_int_t)r->from_packages, "from_spec", (json_int_t)r->from_spec, "from_wheels",
		(json_int_t)r->from_wheels, "generated", (json_int_t)r->generated, "pyc",
		(json_int_t)r->pyc, "pyc_cached", (json_int_t)r->pyc_cached, "dropped",
		(json_int_t)r->dropped, "setid_cleared", (json_int_t)r->setid_cleared, "layers",
		layers, "packages_from_unpacked_cache", (json_int_t)r->unpacked_cached, "seconds",
		secs);
}

int
cmd_build(int argc, char **argv)
{
	struct build_args a = {0};
	struct build_spec spec;
	struct deb_lock lock = {0};
	struct wheel_lock wheels = {0};
	struct build_result r = {0};
	struct build_opts o = {0};
	struct ward_key *key = NULL;
	char *lockpath = NULL, *cache = NULL, *init = NULL, *output = NULL, *record = NULL;
	uint64_t t0 = ward_now_ns();
	int rc;

	if ((rc = parse(argc, argv, &a)) != 0) {
		ward_strv_free(&a.annotations.keys);
		ward_strv_free(&a.annotations.values);
		return rc < 0 ? cli_help(help) : rc;
	}
	if (build_spec_load(a.file, &spec) != 0) {
		rc = cli_fail();
		goto done_spec;
	}
	lockpath = a.lock ? ward_strdup(a.lock) : build_spec_lock_path(&spec);
	output = a.output ? ward_strdup(a.output) : ward_asprintf("out/%s", spec.name);
	init = a.init ? ward_strdup(a.init) : cli_beside_self("ward-init");
	if (lockpath == NULL || output == NULL || init == NULL ||
	    (cache = deb_cache_dir(a.cache)) == NULL)
		goto fail;
	record = a.record ? ward_strdup(a.record) : ward_asprintf("%s.build.json", output);
	if (record == NULL || deb_lock_read(lockpath, &lock) != 0 ||
	    build_python_lock_read(&spec, lockpath, &wheels) != 0)
		goto fail;
	if (a.key != NULL && (key = cli_load_private_key(a.key)) == NULL)
		goto fail;
	o.output = output;
	o.tag = a.tag;
	o.docker_archive = a.tar;
	o.repo_tag = a.repo_tag;
	o.cache = cache;
	o.context = a.context;
	o.init_path = init;
	o.sign_key = key;
	o.compression = a.compression;
	o.level = a.level;
	o.threads = a.threads;
	o.no_layer_cache = a.no_cache;
	o.annotations = &a.annotations;
	o.wheels = wheels.lock ? &wheels : NULL;
	if (build_image(&spec, &lock, &o, &r) != 0 ||
	    ward_json_write_file(record, r.record, 1) != 0)
		goto fail;
	{
		double secs = (double)(ward_now_ns() - t0) / 1e9;
		if (a.json) {
			json_t *j = summary_json(&r, output, record, secs);
			cli_print_json(j);
			json_decref(j);
		} else {
			summary(&r, &spec, secs);
			printf("%s\n", r.manifest_digest);
		}
	}
	rc = 0;
	goto done;
fail:
	rc = cli_fail();
done:
	key_free(key);
	build_result_free(&r);
	deb_lock_free(&lock);
	wheel_lock_free(&wheels);
	free(lockpath);
	free(cache);
	free(init);
	free(output);
	free(record);
	build_spec_free(&spec);
done_spec:
	ward_strv_free(&a.annotations.keys);
	ward_strv_free(&a.annotations.values);
	return rc;
}
