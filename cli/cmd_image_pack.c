/* cmd_image_pack.c: ward image pack — directories as layers of an OCI image. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "oci/oci.h"

static const char help[] =
	"usage: ward image pack ROOTFS... -o LAYOUT[:TAG] [options]\n"
	"\n"
	"Pack each ROOTFS directory as one layer (sorted entries, normalised owners,\n"
	"one timestamp) into a new OCI layout, reproducibly: the same directories\n"
	"and options give the same manifest digest, whatever the thread count or\n"
	"the clock.  The manifest digest is the last line on stdout.\n"
	"\n"
	"  -o, --output LAYOUT[:TAG]  the layout to create or replace (tag: latest)\n"
	"      --tar FILE             also write a docker-archive (gzip or plain layers)\n"
	"      --tar-tag NAME:TAG     RepoTag inside the docker-archive (repeatable)\n"
	"      --compression C        gzip (default), zstd or none\n"
	"      --level N              compression level (gzip 1-9, default 6; zstd default 3)\n"
	"      --threads N            compression threads (default: all cores)\n"
	"      --source-date-epoch T  timestamp of everything (default SOURCE_DATE_EPOCH, else 0)\n"
	"      --uid N --gid N        owner of every entry (default 0)\n"
	"      --owner-name NAME      user and group name of every entry (default none)\n"
	"      --keep-owner           keep each file's uid/gid from disk instead\n"
	"      --entrypoint ARG       an entrypoint argument (repeatable, in order)\n"
	"      --cmd ARG              a cmd argument (repeatable)\n"
	"      --env KEY=VALUE        (repeatable)\n"
	"      --user USER --workdir DIR --port PORT[/PROTO] --label K=V --annotation K=V\n"
	"      --arch ARCH            config architecture (default amd64)\n"
	"      --json                 print the result as JSON\n";

struct pack_args {
	const char *out, *tar, *user, *workdir, *arch, *owner;
	struct ward_strv tar_tags, entrypoint, cmd, env, ports, dirs;
	json_t *labels, *annotations;
	struct oci_compress_opts comp;
	int64_t epoch;
	int have_epoch, keep_owner, json;
	uint64_t uid, gid;
};

static int
parse_u64(const char *s, uint64_t *out, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || *s == '-')
		return ward_err(WARD_EINPUT, "%s %s: expected a non-negative number", what, s);
	*out = v;
	return 0;
}

static int
put_kv(json_t *obj, const char *kv, const char *what)
{
	const char *eq = strchr(kv, '=');
	char *k;

	if (eq == NULL || eq == kv)
		return ward_err(WARD_EINPUT, "%s %s: expected KEY=VALUE", what, kv);
	if ((k = ward_strndup(kv, (size_t)(eq - kv))) == NULL)
		return -1;
	json_object_set_new(obj, k, json_string(eq + 1));
	free(k);
	return 0;
}

static int
parse(int argc, char **argv, struct pack_args *a)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"tar", required_argument, NULL, 'T'},
		{"tar-tag", required_argument, NULL, 'g'},
		{"compression", required_argument, NULL, 'c'},
		{"level", required_argument, NULL, 'l'},
		{"threads", required_argument, NULL, 't'},
		{"source-date-epoch", required_argument, NULL, 'E'},
		{"uid", required_argument, NULL, 'u'},
		{"gid", required_argument, NULL, 'G'},
		{"owner-name", required_argument, NULL, 'N'},
		{"keep-owner", no_argument, NULL, 'K'},
		{"entrypoint", required_argument, NULL, 'e'},
		{"cmd", required_argument, NULL, 'C'},
		{"env", required_argument, NULL, 'v'},
		{"user", required_argument, NULL, 'U'},
		{"workdir", required_argument, NULL, 'w'},
		{"port", required_argument, NULL, 'p'},
		{"label", required_argument, NULL, 'L'},
		{"annotation", required_argument, NULL, 'A'},
		{"arch", required_argument, NULL, 'a'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;
	long n;
	uint64_t v = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			a->out = optarg;
			break;
		case 'T':
			a->tar = optarg;
			break;
		case 'g':
			if (ward_strv_push(&a->tar_tags, optarg) != 0)
				return cli_fail();
			break;
		case 'c':
			if ((a->comp.compression = oci_compression_parse(optarg)) < 0)
				return cli_fail();
			break;
		case 'l':
			if (cli_parse_long("--level", optarg, 0, 22, &n) != 0)
				return cli_fail();
			a->comp.level = (int)n;
			break;
		case 't':
			if (cli_parse_threads(optarg, &a->comp.threads) != 0)
				return cli_fail();
			break;
		case 'E':
			if (parse_u64(optarg, &v, "--source-date-epoch") != 0)
				return cli_fail();
			a->epoch = (int64_t)v;
			a->have_epoch = 1;
			break;
		case 'u':
			if (parse_u64(optarg, &a->uid, "--uid") != 0)
				return cli_fail();
			break;
		case 'G':
			if (parse_u64(optarg, &a->gid, "--gid") != 0)
				return cli_fail();
			break;
		case 'N':
			a->owner = optarg;
			break;
		case 'K':
			a->keep_owner = 1;
			break;
		case 'e':
		case 'C':
		case 'v':
		case 'p':
			if (ward_strv_push(c == 'e'   ? &a->entrypoint
					   : c == 'C' ? &a->cmd
					   : c == 'v' ? &a->env
						      : &a->ports,
					   optarg) != 0)
				return cli_fail();
			break;
		case 'U':
			a->user = optarg;
			break;
		case 'w':
			a->workdir = optarg;
			break;
		case 'a':
			a->arch = optarg;
			break;
		case 'L':
			if (put_kv(a->labels, optarg, "--label") != 0)
				return cli_fail();
			break;
		case 'A':
			if (put_kv(a->annotations, optarg, "--annotation") != 0)
				return cli_fail();
			break;
		case 'j':
			a->json = 1;
			break;
		case 'h':
			return -1;
		default:
			return cli_usage("image pack", "invalid option");
		}
	}
	if (a->out == NULL)
		return cli_usage("image pack", "-o LAYOUT[:TAG] is required");
	if (optind == argc)
		return cli_usage("image pack", "expected at least one ROOTFS directory");
	for (int i = optind; i < argc; i++)
		if (ward_strv_push(&a->dirs, argv[i]) != 0)
			return cli_fail();
	return 0;
}

/* "out/img:v1" -> "out/img" + "v1"; a ':' followed by a '/' is part of the path. */
static int
split_out(const char *out, char **path, char **tag)
{
	const char *c = strrchr(out, ':');

	if (c != NULL && c != out && c[1] != '\0' && strchr(c, '/') == NULL) {
		*path = ward_strndup(out, (size_t)(c - out));
		*tag = ward_strdup(c + 1);
	} else {
		*path = ward_strdup(out);
		*tag = ward_strdup("latest");
	}
	return *path && *tag ? 0 : -1;
}

static int
pack(struct pack_args *a, const char *path, const char *tag, struct oci_descriptor *md)
{
	struct oci_layer_desc *layers = ward_calloc(a->dirs.n, sizeof(*layers));
	struct oci_layout *l = NULL;
	struct tar_tree_opts topt = {.keep_owner = a->keep_owner,
				     .uid = a->uid,
				     .gid = a->gid,
				     .uname = a->owner,
				     .gname = a->owner};
	struct oci_image_spec s = {.created = a->epoch,
				   .architecture = a->arch,
				   .user = a->user,
				   .workdir = a->workdir,
				   .env = &a->env,
				   .entrypoint = &a->entrypoint,
				   .cmd = &a->cmd,
				   .ports = &a->ports,
				   .labels = a->labels,
				   .layers = layers,
				   .nlayers = a->dirs.n,
				   .annotations = a->annotations};
	struct ward_progress *p = ward_progress_new("packing", 0, 0);
	int rc = -1;

	if (layers == NULL || (l = oci_layout_create(path)) == NULL)
		goto out;
	for (size_t i = 0; i < a->dirs.n; i++) {
		struct oci_layer_writer *lw =
			oci_layer_writer_new(oci_layout_blobs_dir(l), &a->comp, a->epoch);
		if (lw == NULL)
			goto out;
		if (tar_write_tree(oci_layer_writer_tar(lw), a->dirs.v[i], &topt) != 0) {
			oci_layer_writer_abort(lw);
			goto out;
		}
		if (oci_layer_writer_finish(lw, &layers[i]) != 0)
			goto out;
		ward_progress_add(p, 1);
	}
	if (oci_annotations_created(a->annotations, a->epoch) != 0 ||
	    oci_layout_write_image(l, &s, tag, md) != 0)
		goto out;
	rc = oci_layout_commit(l);
	l = NULL;
out:
	ward_progress_done(p);
	oci_layout_abort(l);
	free(layers);
	return rc;
}

int
cmd_image_pack(int argc, char **argv)
{
	struct pack_args a = {.comp = {.compression = OCI_COMPRESS_GZIP}};
	struct oci_descriptor md;
	char *path = NULL, *tag = NULL;
	int rc;

	a.labels = json_object();
	a.annotations = json_object();
	rc = parse(argc, argv, &a);
	if (rc != 0) {
		rc = rc < 0 ? cli_help(help) : rc;
		goto out;
	}
	if (!a.have_epoch) {
		time_t t = 0;
		if (ward_source_date_epoch(&t) < 0) {
			rc = cli_fail();
			goto out;
		}
		a.epoch = t;
	}
	if (split_out(a.out, &path, &tag) != 0 || pack(&a, path, tag, &md) != 0) {
		rc = cli_fail();
		goto out;
	}
	if (a.tar) {
		char *ref = ward_asprintf("%s:%s", path, tag);
		struct oci_image *img = ref ? oci_image_open(ref, NULL) : NULL;
		struct oci_docker_archive_opts o = {.repo_tags = &a.tar_tags, .mtime = a.epoch};
		rc = img && oci_docker_archive_write(img, a.tar, &o) == 0 ? 0 : cli_fail();
		oci_image_close(img);
		free(ref);
		if (rc != 0)
			goto out;
	}
	if (a.json) {
		json_t *j = json_pack("{s:s,s:s,s:s,s:s?}", "layout", path, "tag", tag, "manifest",
				      md.digest, "tar", a.tar);
		cli_print_json(j);
		json_decref(j);
	} else {
		printf("%s\n", md.digest);
	}
out:
	free(path);
	free(tag);
	ward_strv_free(&a.tar_tags);
	ward_strv_free(&a.entrypoint);
	ward_strv_free(&a.cmd);
	ward_strv_free(&a.env);
	ward_strv_free(&a.ports);
	ward_strv_free(&a.dirs);
	json_decref(a.labels);
	json_decref(a.annotations);
	return rc;
}
