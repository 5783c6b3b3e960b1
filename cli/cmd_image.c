/* cmd_image.c: ward image inspect|files|verify|unpack|export — any image. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "oci/oci.h"

static const char help[] =
	"usage: ward image inspect IMAGE [--json]\n"
	"       ward image files IMAGE [--json]\n"
	"       ward image verify IMAGE [--threads N] [--json]\n"
	"       ward image unpack IMAGE DIR [--replace] [--no-owners]\n"
	"       ward image export IMAGE OUT.tar [--tag NAME:TAG]...\n"
	"       ward image pack ROOTFS... -o LAYOUT[:TAG] [options]   (ward image pack --help)\n"
	"       ward image compress [--compression gzip|zstd] [--level N] [--threads N] <IN >OUT\n"
	"\n"
	"IMAGE is an OCI layout directory (\"DIR\" or \"DIR:TAG\"), an oci-archive, or a\n"
	"docker-archive tar (\"FILE\", \"FILE:NAME:TAG\" or \"FILE:@N\"); a prefix oci:,\n"
	"oci-archive: or docker-archive: forces the kind.  Every blob read is checked\n"
	"against its digest.\n"
	"\n"
	"  inspect   manifest digest, config, layers and tags\n"
	"  files     the merged file system after whiteouts: type, mode, owner, size,\n"
	"            path, link target and the layer each path comes from\n"
	"  verify    read every layer to the end: blob digests, sizes and diff_ids\n"
	"  unpack    the merged file system into DIR, never writing outside it\n"
	"            (owners kept when run as root; DIR must be empty or --replace)\n"
	"  export    write a docker-archive (for podman load / docker load)\n"
	"  compress  ward's reproducible gzip or zstd, stdin to stdout\n"
	"\n"
	"Exit codes: 0 ok, 1 a digest or size does not match, 2 bad input, 3 environment.\n";

struct image_args {
	int json, threads, replace, no_owners, compression, level;
	struct ward_strv tags;
	const char *pos[2];
	int npos;
};

static int
parse(int argc, char **argv, struct image_args *a, int want)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"threads", required_argument, NULL, 't'},
		{"replace", no_argument, NULL, 'R'},
		{"no-owners", no_argument, NULL, 'O'},
		{"tag", required_argument, NULL, 'T'},
		{"compression", required_argument, NULL, 'c'},
		{"level", required_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;
	long n;

	optind = 1;
	a->compression = OCI_COMPRESS_GZIP;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			a->json = 1;
			break;
		case 't':
			if (cli_parse_threads(optarg, &a->threads) != 0)
				return cli_fail();
			break;
		case 'R':
			a->replace = 1;
			break;
		case 'O':
			a->no_owners = 1;
			break;
		case 'T':
			if (ward_strv_push(&a->tags, optarg) != 0)
				return cli_fail();
			break;
		case 'c':
			if ((a->compression = oci_compression_parse(optarg)) < 0)
				return cli_fail();
			break;
		case 'l':
			if (cli_parse_long("--level", optarg, 0, 22, &n) != 0)
				return cli_fail();
			a->level = (int)n;
			break;
		case 'h':
			return -1;
		default:
			return cli_usage("image", "invalid option");
		}
	}
	if (argc - optind != want)
		return cli_usage("image", "%s: expected %d argument%s", argv[0], want,
				 want == 1 ? "" : "s");
	for (int i = 0; i < want; i++)
		a->pos[a->npos++] = argv[optind + i];
	return 0;
}

static json_t *
desc_json(const struct oci_descriptor *d)
{
	if (d->digest[0] == '\0')
		return json_null();
	return oci_descriptor_json(d);
}

static int
do_inspect(struct oci_image *img, int json)
{
	const struct oci_config *c = &img->cfg;

	if (json) {
		json_t *layers = json_array(), *j;
		for (size_t i = 0; i < img->nlayers; i++) {
			const struct oci_layer_info *l = &img->layers[i];
			json_t *x =
				json_pack("{s:s,s:s?,s:I,s:s,s:s}", "mediaType", l->blob.media_type,
					  "digest", l->blob.digest[0] ? l->blob.digest : NULL,
					  "size", (json_int_t)l->blob.size, "diff_id", l->diff_id,
					  "compression", oci_compression_name(l->compression));
			json_array_append_new(layers, x);
		}
		j = json_pack(
			"{s:s,s:s,s:s?,s:o,s:o,s:o,s:s?,s:s?,s:s?,s:s?,s:s?,s:s?,s:o,s:o,s:o,s:o,"
			"s:O?,s:O?,s:o}",
			"image", img->path, "kind", oci_image_kind_name(img->kind), "ref", img->ref,
			"tags", ward_json_strv(&img->tags), "manifest", desc_json(&img->manifest),
			"config", desc_json(&img->config), "created", c->created, "architecture",
			c->architecture, "os", c->os, "user", c->user, "workdir", c->workdir,
			"stop_signal", c->stop_signal, "env", ward_json_strv(&c->env), "entrypoint",
			ward_json_strv(&c->entrypoint), "cmd", ward_json_strv(&c->cmd), "ports",
			ward_json_strv(&c->ports), "labels", c->labels, "annotations",
			img->mf.annotations, "layers", layers);
		if (j == NULL)
			return ward_err(WARD_EENV, "out of memory");
		cli_print_json(j);
		json_decref(j);
		return 0;
	}
	/* every string below comes from the image: escaped for the terminal */
	printf("image:        %s (%s)\n", cli_esc(img->path), oci_image_kind_name(img->kind));
	if (img->tags.n) {
		printf("tags:        ");
		for (size_t i = 0; i < img->tags.n; i++)
			printf(" %s", cli_esc(img->tags.v[i]));
		printf("\n");
	}
	if (img->manifest.digest[0])
		printf("manifest:     %s\n", img->manifest.digest);
	printf("config:       %s\n", img->config.digest);
	printf("platform:     %s/%s\n", c->os ? cli_esc(c->os) : "?",
	       c->architecture ? cli_esc(c->architecture) : "?");
	if (c->created)
		printf("created:      %s\n", cli_esc(c->created));
	printf("user:         %s\n", c->user && *c->user ? cli_esc(c->user) : "(root)");
	for (size_t i = 0; i < c->entrypoint.n; i++)
		printf("%s %s", i ? "" : "entrypoint:  ", cli_esc(c->entrypoint.v[i]));
	if (c->entrypoint.n)
		printf("\n");
	for (size_t i = 0; i < c->cmd.n; i++)
		printf("%s %s", i ? "" : "cmd:         ", cli_esc(c->cmd.v[i]));
	if (c->cmd.n)
		printf("\n");
	printf("layers:       %zu\n", img->nlayers);
	for (size_t i = 0; i < img->nlayers; i++)
		printf("  %2zu %s %-5s %12" PRIu64 " bytes\n", i,
		       img->layers[i].blob.digest[0] ? img->layers[i].blob.digest
						     : img->layers[i].diff_id,
		       oci_compression_name(img->layers[i].compression), img->layers[i].blob.size);
	return 0;
}

/* JSON strings must be UTF-8: a name that is not gets '?' for each byte
 * outside ASCII (the text listing shows the bytes as they are). */
static json_t *
json_name(const char *s)
{
	json_t *j = s ? json_string(s) : json_null();
	char *copy;

	if (j != NULL || s == NULL)
		return j;
	if ((copy = ward_strdup(s)) == NULL)
		return NULL;
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

static int
do_files(struct oci_image *img, int json)
{
	struct oci_fs fs = {0};
	json_t *arr = NULL;

	if (oci_image_list(img, &fs) != 0)
		return -1;
	if (json)
		arr = json_array();
	for (size_t i = 0; i < fs.n; i++) {
		const struct oci_fs_entry *e = &fs.v[i];
		if (json) {
			char mode[8];
			snprintf(mode, sizeof(mode), "%04o", e->mode);
			json_array_append_new(
				arr,
				json_pack("{s:o,s:s,s:s,s:I,s:I,s:I,s:o,s:i,s:b}", "path",
					  json_name(e->path), "type", oci_entry_type_name(e->type),
					  "mode", mode, "uid", (json_int_t)e->uid, "gid",
					  (json_int_t)e->gid, "size", (json_int_t)e->size, "link",
					  json_name(e->link), "layer", (int)e->layer, "implicit",
					  e->implicit));
			continue;
		}
		printf("%-8s %04o %5" PRIu64 "/%-5" PRIu64 " %10" PRIu64 " L%-2u %s%s%s\n",
		       oci_entry_type_name(e->type), e->mode, e->uid, e->gid, e->size, e->layer,
		       cli_esc(e->path), e->link ? " -> " : "", e->link ? cli_esc(e->link) : "");
	}
	if (json) {
		cli_print_json(arr);
		json_decref(arr);
	}
	oci_fs_free(&fs);
	return 0;
}

static int
stdout_sink(void *ctx, const void *p, size_t n)
{
	(void)ctx;
	if (fwrite(p, 1, n, stdout) != n)
		return ward_errno(WARD_EENV, "stdout: write failed");
	return 0;
}

static int
do_compress(const struct image_args *a)
{
	struct oci_compress_opts o = {
		.compression = a->compression, .level = a->level, .threads = a->threads};
	struct oci_compressor *c;
	static unsigned char buf[1u << 20];
	size_t n;

	if ((c = oci_compressor_new(&o, stdout_sink, NULL)) == NULL)
		return -1;
	while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
		if (oci_compressor_write(c, buf, n) != 0)
			goto fail;
	if (ferror(stdin)) {
		ward_errno(WARD_EENV, "stdin: read failed");
		goto fail;
	}
	if (oci_compressor_finish(c) != 0 || fflush(stdout) != 0)
		goto fail;
	oci_compressor_free(c);
	return 0;
fail:
	oci_compressor_free(c);
	return -1;
}

int
cmd_image(int argc, char **argv)
{
	struct image_args a = {0};
	struct oci_image *img = NULL;
	const char *sub;
	int rc, want;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return argc < 2 ? cli_usage("image", "expected a subcommand") : cli_help(help);
	sub = argv[1];
	if (strcmp(sub, "pack") == 0)
		return cmd_image_pack(argc - 1, argv + 1);
	if (!strcmp(sub, "inspect") || !strcmp(sub, "files") || !strcmp(sub, "verify"))
		want = 1;
	else if (!strcmp(sub, "unpack") || !strcmp(sub, "export"))
		want = 2;
	else if (!strcmp(sub, "compress"))
		want = 0;
	else
		return cli_usage("image", "unknown subcommand \"%s\"", sub);
	rc = parse(argc - 1, argv + 1, &a, want);
	if (rc != 0) {
		ward_strv_free(&a.tags);
		return rc < 0 ? cli_help(help) : rc;
	}
	if (want == 0) {
		rc = do_compress(&a) == 0 ? 0 : cli_fail();
		ward_strv_free(&a.tags);
		return rc;
	}
	if ((img = oci_image_open(a.pos[0], NULL)) == NULL) {
		ward_strv_free(&a.tags);
		return cli_fail();
	}
	if (!strcmp(sub, "inspect")) {
		rc = do_inspect(img, a.json);
	} else if (!strcmp(sub, "files")) {
		rc = do_files(img, a.json);
	} else if (!strcmp(sub, "verify")) {
		struct ward_progress *p = ward_progress_new("verifying", 0, 1);
		uint64_t total = 0;
		for (size_t i = 0; i < img->nlayers; i++)
			total += img->layers[i].blob.size;
		ward_progress_set_total(p, total);
		rc = oci_image_verify(img, a.threads, p);
		ward_progress_done(p);
		if (rc == 0 && a.json) {
			json_t *j = json_pack("{s:s,s:b,s:i}", "image", img->path, "verified", 1,
					      "layers", (int)img->nlayers);
			cli_print_json(j);
			json_decref(j);
		} else if (rc == 0) {
			const char *what =
				img->manifest.digest[0] ? img->manifest.digest : "docker-archive";
			fprintf(stderr, "ward: %s: %s, config and %zu layers verified\n", img->path,
				what, img->nlayers);
		}
	} else if (!strcmp(sub, "unpack")) {
		struct oci_unpack_opts o = {.owners = a.no_owners ? 0 : -1, .replace = a.replace};
		o.progress = ward_progress_new("unpacking", 0, 1);
		rc = oci_image_unpack(img, a.pos[1], &o);
		ward_progress_done(o.progress);
	} else {
		struct oci_docker_archive_opts o = {.repo_tags = &a.tags};
		time_t epoch;
		if (ward_source_date_epoch(&epoch) == 1)
			o.mtime = epoch;
		rc = oci_docker_archive_write(img, a.pos[1], &o);
	}
	oci_image_close(img);
	ward_strv_free(&a.tags);
	return rc == 0 ? 0 : cli_fail();
}
