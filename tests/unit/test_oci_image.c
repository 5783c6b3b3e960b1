/* test_oci_image.c: writing layouts (JSON shape, determinism, atomicity,
 * in-place updates with OCI 1.1 artifacts) and reading them back, with
 * every kind of damage reported as a clear error naming the blob. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "crypto/crypto.h"
#include "oci/oci.h"

static char dir[] = "/tmp/ward-oci-image-XXXXXX";
static const struct tar_meta D = {.mode = 0755}, F = {.mode = 0644};

static char *
at(const char *rel)
{
	return ward_path_join(dir, rel);
}

/* A two-layer image; returns the manifest digest in md. */
static void
build(const char *path, int threads, int compression, struct oci_descriptor *md)
{
	struct oci_layout *l = oci_layout_create(path);
	struct oci_compress_opts c = {.compression = compression, .threads = threads};
	struct oci_layer_desc ld[2];
	struct ward_strv env = {0}, ep = {0}, ports = {0};
	json_t *labels = json_pack("{s:s,s:s}", "z", "last", "a", "first");
	json_t *ann = json_pack("{s:s,s:s}", OCI_ANN_SOURCE, "https://example.invalid/src",
				OCI_ANN_REVISION, "abc123");
	struct oci_history h[] = {{.created_by = "ward: base"},
				  {.created_by = "ward: set user", .empty_layer = 1},
				  {.created_by = "ward: app", .comment = "app files"}};
	struct oci_image_spec s = {.created = 1700000000,
				   .user = "65532:65532",
				   .workdir = "/app",
				   .env = &env,
				   .entrypoint = &ep,
				   .ports = &ports,
				   .labels = labels,
				   .layers = ld,
				   .nlayers = 2,
				   .history = h,
				   .nhistory = 3,
				   .annotations = ann};
	unsigned char *big = malloc(3u << 20);

	assert_non_null(l);
	for (size_t i = 0; i < (3u << 20); i++)
		big[i] = (unsigned char)(i * 7 + i / 1000);
	ward_strv_push(&env, "PATH=/usr/bin");
	ward_strv_push(&ep, "/ward/init");
	ward_strv_push(&ep, "--");
	ward_strv_push(&ports, "8080");
	ward_strv_push(&ports, "53/udp");
	for (int k = 0; k < 2; k++) {
		struct oci_layer_writer *lw =
			oci_layer_writer_new(oci_layout_blobs_dir(l), &c, 1700000000);
		struct tar_writer *t = oci_layer_writer_tar(lw);
		if (k == 0) {
			assert_int_equal(tar_write_dir(t, "etc", &D), 0);
			assert_int_equal(tar_write_file(t, "etc/big", &F, big, 3u << 20), 0);
			assert_int_equal(
				tar_write_file(t, "etc/passwd", &F, "root:x:0:0::/:\n", 15), 0);
		} else {
			assert_int_equal(tar_write_dir(t, "app", &D), 0);
			assert_int_equal(tar_write_file(t, "app/main", &F, "print(1)\n", 9), 0);
			assert_int_equal(tar_write_whiteout(t, "etc/big", &F), 0);
		}
		assert_int_equal(oci_layer_writer_finish(lw, &ld[k]), 0);
	}
	oci_annotations_created(ann, 1700000000);
	assert_int_equal(oci_layout_write_image(l, &s, "v1", md), 0);
	assert_int_equal(oci_layout_commit(l), 0);
	ward_strv_free(&env);
	ward_strv_free(&ep);
	ward_strv_free(&ports);
	json_decref(labels);
	json_decref(ann);
	free(big);
}

static void
test_config_and_manifest_json(void **state)
{
	char *p = at("img"), *ref = ward_asprintf("%s:v1", p);
	struct oci_descriptor md;
	struct oci_image *img;
	struct ward_buf b = {0};
	char *cfg;

	(void)state;
	build(p, 2, OCI_COMPRESS_GZIP, &md);
	img = oci_image_open(ref, NULL);
	assert_non_null(img);
	assert_string_equal(img->manifest.digest, md.digest);
	assert_int_equal(img->nlayers, 2);
	assert_string_equal(img->layers[0].blob.media_type, OCI_MT_LAYER_GZIP);
	assert_string_equal(img->ref, "v1");
	assert_int_equal(oci_image_read_blob(img, &img->config, 1 << 20, &b), 0);
	cfg = ward_buf_cstr(&b);
	/* key order of the image-spec, maps sorted, one created for everything */
	{
		char *want = ward_asprintf(
			"{\"created\":\"2023-11-14T22:13:20Z\",\"architecture\":\"amd64\",\"os\":"
			"\"linux\",\"config\":{\"User\":\"65532:65532\",\"ExposedPorts\":{\"53/"
			"udp\":"
			"{},\"8080/tcp\":{}},\"Env\":[\"PATH=/usr/bin\"],\"Entrypoint\":[\"/ward/"
			"init\",\"--\"],\"WorkingDir\":\"/app\",\"Labels\":{\"a\":\"first\",\"z\":"
			"\"last\"}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\",\"%s\"]},"
			"\"history\":[{\"created\":\"2023-11-14T22:13:20Z\",\"created_by\":\"ward: "
			"base\"},{\"created\":\"2023-11-14T22:13:20Z\",\"created_by\":\"ward: set "
			"user\",\"empty_layer\":true},{\"created\":\"2023-11-14T22:13:20Z\","
			"\"created_by\":\"ward: app\",\"comment\":\"app files\"}]}",
			img->layers[0].diff_id, img->layers[1].diff_id);
		assert_string_equal(cfg, want);
		free(want);
	}
	assert_string_equal(ward_json_str(img->mf.annotations, OCI_ANN_CREATED),
			    "2023-11-14T22:13:20Z");
	assert_string_equal(ward_json_str(img->mf.annotations, OCI_ANN_REVISION), "abc123");
	assert_string_equal(img->cfg.user, "65532:65532");
	assert_int_equal(img->cfg.ports.n, 2);
	assert_int_equal(oci_image_verify(img, 2, NULL), 0);
	oci_image_close(img);
	ward_buf_free(&b);
	free(ref);
	free(p);
}

static void
test_reproducible(void **state)
{
	char *a = at("r1"), *b = at("r2"), *z1 = at("z1"), *z2 = at("z2");
	struct oci_descriptor m1, m2;

	(void)state;
	build(a, 1, OCI_COMPRESS_GZIP, &m1);
	build(b, 4, OCI_COMPRESS_GZIP, &m2);
	assert_string_equal(m1.digest, m2.digest);
	build(z1, 1, OCI_COMPRESS_ZSTD, &m1);
	build(z2, 3, OCI_COMPRESS_ZSTD, &m2);
	assert_string_equal(m1.digest, m2.digest);
	free(a);
	free(b);
	free(z1);
	free(z2);
}

static int
count_siblings(const char *name)
{
	char cmd[600];
	FILE *f;
	int n = 0;

	snprintf(cmd, sizeof(cmd), "ls -a %s | grep -c '^%s' || true", dir, name);
	f = popen(cmd, "r");
	if (fscanf(f, "%d", &n) != 1)
		n = -1;
	pclose(f);
	return n;
}

static void
test_atomic_create(void **state)
{
	char *p = at("atomic"), *home = at("home"), *file = at("home/precious");
	struct oci_layout *l;
	struct oci_descriptor d;
	struct stat st;

	(void)state;
	/* abandoned: nothing at the path, no temporary left */
	l = oci_layout_create(p);
	assert_non_null(l);
	assert_int_equal(oci_layout_put_blob(l, "{}", 2, OCI_MT_EMPTY, &d), 0);
	assert_string_equal(d.digest, OCI_EMPTY_DIGEST);
	assert_int_not_equal(stat(p, &st), 0);
	oci_layout_abort(l);
	assert_int_not_equal(stat(p, &st), 0);
	assert_int_equal(count_siblings("atomic"), 0);
	/* a directory that is not a layout is never replaced */
	ward_mkdir_p(home, 0755);
	ward_file_write(file, "x", 1, 0644);
	assert_null(oci_layout_create(home));
	assert_int_equal(ward_errkind(), WARD_EINPUT);
	assert_int_equal(stat(file, &st), 0);
	free(p);
	free(home);
	free(file);
}

static void
test_update_with_artifact(void **state)
{
	char *p = at("upd");
	struct oci_descriptor md, empty, sig, am;
	struct oci_layout *l;
	struct oci_image *img;
	json_t *ann, *mj;

	(void)state;
	build(p, 2, OCI_COMPRESS_GZIP, &md);
	l = oci_layout_open(p);
	assert_non_null(l);
	assert_int_equal(oci_layout_count(l), 1);
	/* a referrer: empty config, a payload layer, subject = the image */
	assert_int_equal(oci_layout_put_blob(l, OCI_EMPTY_JSON, 2, OCI_MT_EMPTY, &empty), 0);
	assert_int_equal(oci_layout_put_blob(l, "sig", 3,
					     "application/vnd.dev.sigstore.bundle.v0.3+json", &sig),
			 0);
	{
		struct oci_manifest_spec ms = {
			.artifact_type = "application/vnd.dev.sigstore.bundle.v0.3+json",
			.config = &empty,
			.layers = &sig,
			.nlayers = 1,
			.subject = &md};
		mj = oci_manifest_build(&ms);
	}
	assert_non_null(mj);
	assert_string_equal(ward_json_str(json_object_get(mj, "subject"), "digest"), md.digest);
	assert_int_equal(oci_layout_put_json(l, mj, OCI_MT_MANIFEST, &am), 0);
	snprintf(am.artifact_type, sizeof(am.artifact_type), "%s",
		 "application/vnd.dev.sigstore.bundle.v0.3+json");
	ann = json_pack("{s:s}", "kind", "dev.cosignproject.cosign/sigs");
	am.annotations = ann;
	assert_int_equal(oci_layout_add(l, &am, "sha256-x.sig"), 0);
	assert_int_equal(oci_layout_add(l, &am, "sha256-x.sig"), 0); /* no duplicate */
	assert_int_equal(oci_layout_count(l), 2);
	assert_non_null(oci_layout_find(l, "sha256-x.sig"));
	/* move tag v1 onto the artifact and back: the tag is unique */
	assert_int_equal(oci_layout_commit(l), 0);
	json_decref(ann);
	json_decref(mj);
	/* without a tag the image is still "the only image" */
	img = oci_image_open(p, NULL);
	assert_non_null(img);
	assert_string_equal(img->manifest.digest, md.digest);
	oci_image_close(img);
	l = oci_layout_open(p);
	assert_int_equal(oci_layout_untag(l, "sha256-x.sig"), 0);
	assert_int_equal(oci_layout_count(l), 1);
	oci_layout_abort(l); /* not committed: index.json unchanged */
	l = oci_layout_open(p);
	assert_int_equal(oci_layout_count(l), 2);
	oci_layout_abort(l);
	free(p);
}

static void
flip(const char *path, long off)
{
	FILE *f = fopen(path, "r+b");
	int c;

	fseek(f, off, off < 0 ? SEEK_END : SEEK_SET);
	c = fgetc(f);
	fseek(f, -1, SEEK_CUR);
	fputc(c ^ 1, f);
	fclose(f);
}

static void
test_damage(void **state)
{
	char *p = at("dmg"), *ref = ward_asprintf("%s:v1", p), *blob, *idx = at("dmg/index.json");
	char *nope = ward_asprintf("%s:nope", p), *blobs = ward_asprintf("%s/blobs", p);
	struct oci_descriptor md;
	struct oci_image *img;
	char layer0[80];

	(void)state;
	build(p, 2, OCI_COMPRESS_GZIP, &md);
	img = oci_image_open(ref, NULL);
	snprintf(layer0, sizeof(layer0), "%s", img->layers[0].blob.digest);
	oci_image_close(img);

	/* a wrong tag names the tags there are */
	assert_null(oci_image_open(nope, NULL));
	assert_non_null(strstr(ward_errmsg(), "tags: v1"));

	/* one flipped byte in a layer: found by verify, naming the blob */
	blob = oci_blob_path(blobs, layer0);
	flip(blob, 100);
	img = oci_image_open(ref, NULL);
	assert_non_null(img); /* manifest and config are intact */
	assert_int_equal(oci_image_verify(img, 1, NULL), -1);
	assert_int_equal(ward_errkind(), WARD_EVERIFY);
	assert_non_null(strstr(ward_errmsg(), layer0));
	oci_image_close(img);
	flip(blob, 100);
	/* truncated layer: the size is wrong before anything is read */
	assert_int_equal(truncate(blob, 1000), 0);
	img = oci_image_open(ref, NULL);
	assert_null(oci_layer_open(img, 0));
	assert_int_equal(ward_errkind(), WARD_EVERIFY);
	assert_non_null(strstr(ward_errmsg(), "bytes, expected"));
	oci_image_close(img);
	/* missing blob */
	unlink(blob);
	img = oci_image_open(ref, NULL);
	assert_int_equal(oci_image_verify(img, 1, NULL), -1);
	assert_non_null(strstr(ward_errmsg(), "missing"));
	oci_image_close(img);
	/* corrupt manifest: refused at open */
	free(blob);
	blob = oci_blob_path(blobs, md.digest);
	flip(blob, 10);
	assert_null(oci_image_open(ref, NULL));
	assert_int_equal(ward_errkind(), WARD_EVERIFY);
	assert_non_null(strstr(ward_errmsg(), md.digest));
	/* bad JSON in index.json: file, line and column */
	ward_file_write(idx, "{\"schemaVersion\":2,\n\"manifests\":[}", 34, 0644);
	assert_null(oci_image_open(ref, NULL));
	assert_int_equal(ward_errkind(), WARD_EINPUT);
	assert_non_null(strstr(ward_errmsg(), "index.json:2:"));
	free(blob);
	free(ref);
	free(idx);
	free(nope);
	free(blobs);
	free(p);
}

static void
test_docker_archive_roundtrip(void **state)
{
	char *p = at("da"), *tar = at("da.tar"), *ref, *tref;
	struct oci_descriptor md;
	struct oci_image *img, *back;
	struct ward_strv tags = {0};
	struct oci_docker_archive_opts o = {.repo_tags = &tags, .mtime = 1700000000};
	struct oci_fs a = {0}, b = {0};

	(void)state;
	build(p, 2, OCI_COMPRESS_GZIP, &md);
	ref = ward_asprintf("%s:v1", p);
	img = oci_image_open(ref, NULL);
	ward_strv_push(&tags, "localhost/ward-test:v1");
	assert_int_equal(oci_docker_archive_write(img, tar, &o), 0);
	tref = ward_asprintf("%s:ward-test:v1", tar); /* localhost/ is implied */
	back = oci_image_open(tref, NULL);
	assert_non_null(back);
	assert_int_equal(back->kind, OCI_KIND_DOCKER_ARCHIVE);
	assert_string_equal(back->config.digest, img->config.digest);
	assert_int_equal(back->layers[0].blob.digest[0], '\0'); /* unknown until read */
	assert_int_equal(oci_image_list(img, &a), 0);
	assert_int_equal(oci_image_list(back, &b), 0);
	assert_string_equal(back->layers[0].blob.digest, img->layers[0].blob.digest);
	assert_int_equal(a.n, b.n);
	for (size_t i = 0; i < a.n; i++)
		assert_string_equal(a.v[i].path, b.v[i].path);
	/* etc/big was whited out by layer 1 */
	assert_null(oci_fs_find(&a, "etc/big"));
	assert_non_null(oci_fs_find(&a, "etc/passwd"));
	oci_fs_free(&a);
	oci_fs_free(&b);
	oci_image_close(back);
	/* zstd layers cannot go to docker-archive */
	oci_image_close(img);
	build(p, 2, OCI_COMPRESS_ZSTD, &md);
	img = oci_image_open(ref, NULL);
	assert_int_equal(oci_docker_archive_write(img, tar, &o), -1);
	assert_non_null(strstr(ward_errmsg(), "zstd"));
	oci_image_close(img);
	ward_strv_free(&tags);
	free(p);
	free(tar);
	free(ref);
	free(tref);
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	return ward_rm_rf(dir);
}

/* Each parser names the top-level type it wants: an index, manifest or
 * config must be an object, docker's manifest.json an array. */
static void
test_top_level_type(void **state)
{
	struct oci_index ix;
	struct oci_manifest m;
	struct oci_config c;
	struct docker_manifest dm;

	(void)state;
	assert_int_equal(oci_index_parse("[]", 2, "index.json", NULL, &ix), -1);
	assert_non_null(strstr(ward_errmsg(), "index.json: not a JSON object"));
	assert_int_equal(oci_manifest_parse("[1]", 3, "manifest", NULL, &m), -1);
	assert_non_null(strstr(ward_errmsg(), "manifest: not a JSON object"));
	assert_int_equal(oci_config_parse("[]", 2, "config", NULL, &c), -1);
	assert_non_null(strstr(ward_errmsg(), "config: not a JSON object"));
	assert_int_equal(docker_manifest_parse("{}", 2, "manifest.json", NULL, &dm), -1);
	assert_non_null(strstr(ward_errmsg(), "manifest.json: not a JSON array"));
	assert_int_equal(ward_errkind(), WARD_EINPUT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_and_manifest_json),
		cmocka_unit_test(test_reproducible),
		cmocka_unit_test(test_atomic_create),
		cmocka_unit_test(test_update_with_artifact),
		cmocka_unit_test(test_damage),
		cmocka_unit_test(test_docker_archive_roundtrip),
		cmocka_unit_test(test_top_level_type),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
