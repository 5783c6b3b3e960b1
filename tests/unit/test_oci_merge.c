/* test_oci_merge.c: layer semantics (whiteouts, opaque directories, a file
 * replacing a directory, symlinked parents resolved inside the root,
 * implicit parents) on hand-made tars, and unpacking hostile layers: no
 * name, link or whiteout ever reaches outside the target. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "oci/oci.h"

static char dir[] = "/tmp/ward-oci-merge-XXXXXX";

/* A raw tar built header by header, so anything (hostile) can be said. */
struct raw {
	struct ward_buf b;
};

static void
raw_add(struct raw *t, const char *name, char type, const char *link, const char *data)
{
	unsigned char h[512] = {0};
	size_t n = data ? strlen(data) : 0;
	unsigned sum = 0;

	snprintf((char *)h, 100, "%s", name);
	snprintf((char *)h + 100, 8, "%07o", type == '5' ? 0755 : 0644);
	snprintf((char *)h + 108, 8, "%07o", 0);
	snprintf((char *)h + 116, 8, "%07o", 0);
	snprintf((char *)h + 124, 12, "%011zo", n);
	snprintf((char *)h + 136, 12, "%011o", 0);
	h[156] = (unsigned char)type;
	if (link)
		snprintf((char *)h + 157, 100, "%s", link);
	memcpy(h + 257,
	       "ustar\0"
	       "00",
	       8);
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	ward_buf_append(&t->b, h, 512);
	if (n) {
		static const unsigned char zero[512];
		ward_buf_append(&t->b, data, n);
		ward_buf_append(&t->b, zero, (512 - n % 512) % 512);
	}
}

static void
raw_end(struct raw *t)
{
	static const unsigned char zero[1024];

	ward_buf_append(&t->b, zero, sizeof(zero));
}

static int
apply(struct oci_fs *fs, struct raw *t, uint32_t layer)
{
	struct oci_layer_reader *r;
	int rc;

	raw_end(t);
	r = oci_layer_open_mem(t->b.data, t->b.len, "test layer", NULL);
	assert_non_null(r);
	rc = oci_fs_apply_layer(fs, r, layer);
	oci_layer_close(r);
	ward_buf_free(&t->b);
	return rc;
}

static const char *
type_at(const struct oci_fs *fs, const char *path)
{
	const struct oci_fs_entry *e = oci_fs_find(fs, path);

	return e ? oci_entry_type_name(e->type) : "absent";
}

static void
test_whiteouts(void **state)
{
	struct oci_fs fs = {0};
	struct raw t = {0};

	(void)state;
	raw_add(&t, "a/", '5', NULL, NULL);
	raw_add(&t, "a/keep", '0', NULL, "1");
	raw_add(&t, "a/gone", '0', NULL, "1");
	raw_add(&t, "d/", '5', NULL, NULL);
	raw_add(&t, "d/x", '0', NULL, "1");
	raw_add(&t, "d/sub/y", '0', NULL, "1"); /* implicit parent d/sub */
	raw_add(&t, "f/", '5', NULL, NULL);
	raw_add(&t, "f/child", '0', NULL, "1");
	assert_int_equal(apply(&fs, &t, 0), 0);
	assert_string_equal(type_at(&fs, "d/sub"), "dir");
	assert_true(oci_fs_find(&fs, "d/sub")->implicit);

	raw_add(&t, "a/.wh.gone", '0', NULL, NULL);
	raw_add(&t, "d/-new", '0', NULL, "2"); /* sorts before the opaque marker */
	raw_add(&t, "d/.wh..wh..opq", '0', NULL, NULL);
	raw_add(&t, "d/new", '0', NULL, "2");
	raw_add(&t, "f", '0', NULL, "file now"); /* a file replaces a directory */
	raw_add(&t, "n/.wh.n", '0', NULL, NULL); /* whiteout of nothing: harmless */
	raw_add(&t, "w", '0', NULL, "same layer");
	raw_add(&t, ".wh.w", '0', NULL, NULL);		/* never hides its own layer */
	raw_add(&t, "x/.wh..wh.plnk", '0', NULL, NULL); /* aufs bookkeeping: ignored */
	assert_int_equal(apply(&fs, &t, 1), 0);

	assert_string_equal(type_at(&fs, "a/keep"), "file");
	assert_string_equal(type_at(&fs, "a/gone"), "absent");
	assert_string_equal(type_at(&fs, "d"), "dir");
	assert_string_equal(type_at(&fs, "d/x"), "absent");
	assert_string_equal(type_at(&fs, "d/sub"), "absent");
	assert_string_equal(type_at(&fs, "d/sub/y"), "absent");
	assert_string_equal(type_at(&fs, "d/-new"), "file");
	assert_string_equal(type_at(&fs, "d/new"), "file");
	assert_int_equal(oci_fs_find(&fs, "d/new")->layer, 1);
	assert_string_equal(type_at(&fs, "f"), "file");
	assert_string_equal(type_at(&fs, "f/child"), "absent");
	assert_string_equal(type_at(&fs, "w"), "file");
	assert_string_equal(type_at(&fs, "x/.wh..wh.plnk"), "absent");
	/* sorted, unique */
	for (size_t i = 1; i < fs.n; i++)
		assert_true(tar_path_cmp(fs.v[i - 1].path, fs.v[i].path) < 0);
	oci_fs_free(&fs);
}

static void
test_symlinked_parents(void **state)
{
	struct oci_fs fs = {0};
	struct raw t = {0};

	(void)state;
	/* merged /usr: lib -> usr/lib; a later layer writes through it */
	raw_add(&t, "usr/", '5', NULL, NULL);
	raw_add(&t, "usr/lib/", '5', NULL, NULL);
	raw_add(&t, "lib", '2', "usr/lib", NULL);
	raw_add(&t, "abs", '2', "/usr", NULL);
	raw_add(&t, "up", '2', "../../..", NULL);
	raw_add(&t, "loop", '2', "loop", NULL);
	assert_int_equal(apply(&fs, &t, 0), 0);

	raw_add(&t, "lib/libx.so", '0', NULL, "x");
	raw_add(&t, "abs/share/doc", '0', NULL, "d");
	raw_add(&t, "up/escaped", '0', NULL, "e"); /* ".." stops at the root */
	raw_add(&t, "lib/.wh.gone", '0', NULL, NULL);
	assert_int_equal(apply(&fs, &t, 1), 0);
	assert_string_equal(type_at(&fs, "usr/lib/libx.so"), "file");
	assert_string_equal(type_at(&fs, "lib"), "symlink");
	assert_string_equal(type_at(&fs, "lib/libx.so"), "absent");
	assert_string_equal(type_at(&fs, "usr/share/doc"), "file");
	assert_string_equal(type_at(&fs, "escaped"), "file");

	raw_add(&t, "loop/x", '0', NULL, "x");
	assert_int_equal(apply(&fs, &t, 2), -1);
	assert_non_null(strstr(ward_errmsg(), "too many levels"));
	oci_fs_free(&fs);
}

static void
test_hostile_names(void **state)
{
	struct oci_fs fs = {0};
	struct raw t = {0};

	(void)state;
	raw_add(&t, "../escape", '0', NULL, "x");
	assert_int_equal(apply(&fs, &t, 0), -1);
	assert_int_equal(ward_errkind(), WARD_EINPUT);
	assert_non_null(strstr(ward_errmsg(), "leaves the root"));
	raw_add(&t, "ok", '0', NULL, "x");
	raw_add(&t, "h", '1', "../../etc/passwd", NULL);
	assert_int_equal(apply(&fs, &t, 0), -1);
	raw_add(&t, "a/.wh...", '0', NULL, NULL);
	assert_int_equal(apply(&fs, &t, 0), -1);
	/* absolute names are taken relative to the root, like tar does */
	raw_add(&t, "/etc/x", '0', NULL, "x");
	raw_add(&t, "./etc//y", '0', NULL, "y");
	raw_add(&t, "./", '5', NULL, NULL);
	assert_int_equal(apply(&fs, &t, 0), 0);
	assert_string_equal(type_at(&fs, "etc/x"), "file");
	assert_string_equal(type_at(&fs, "etc/y"), "file");
	oci_fs_free(&fs);
}

/* An OCI layout whose layers are the given raw tars (uncompressed). */
static char *
layout_of(const char *name, struct raw *layers, size_t n)
{
	char *path = ward_path_join(dir, name);
	struct oci_layout *l = oci_layout_create(path);
	struct oci_layer_desc *ld = calloc(n, sizeof(*ld));
	struct oci_image_spec s = {.layers = ld, .nlayers = n};
	struct oci_descriptor md;

	for (size_t i = 0; i < n; i++) {
		raw_end(&layers[i]);
		assert_int_equal(oci_layout_put_blob(l, layers[i].b.data, layers[i].b.len,
						     OCI_MT_LAYER, &ld[i].blob),
				 0);
		memcpy(ld[i].diff_id, ld[i].blob.digest, sizeof(ld[i].diff_id));
		ward_buf_free(&layers[i].b);
	}
	assert_int_equal(oci_layout_write_image(l, &s, "t", &md), 0);
	assert_int_equal(oci_layout_commit(l), 0);
	free(ld);
	return path;
}

static int
exists(const char *rel)
{
	struct stat st;
	char *p = ward_path_join(dir, rel);
	int rc = lstat(p, &st) == 0;

	free(p);
	return rc;
}

static void
test_unpack_stays_inside(void **state)
{
	struct raw t[2] = {0};
	char *img_path, *target = ward_path_join(dir, "sandbox/root");
	struct oci_image *img;
	struct oci_unpack_opts o = {.owners = 0};
	char *outside = ward_path_join(dir, "sandbox");

	(void)state;
	ward_mkdir_p(outside, 0755);
	raw_add(&t[0], "etc/", '5', NULL, NULL);
	raw_add(&t[0], "etc/passwd", '0', NULL, "root");
	raw_add(&t[0], "evil", '2', "/", NULL);
	raw_add(&t[0], "up", '2', "../../..", NULL);
	raw_add(&t[0], "dotdot", '2', "..", NULL);
	raw_add(&t[0], "ro/", '5', NULL, NULL);
	raw_add(&t[0], "ro/inside", '0', NULL, "x");
	raw_add(&t[1], "evil/pwned", '0', NULL, "1");	 /* -> root/pwned */
	raw_add(&t[1], "up/pwned2", '0', NULL, "2");	 /* -> root/pwned2 */
	raw_add(&t[1], "dotdot/pwned3", '0', NULL, "3"); /* -> root/pwned3 */
	raw_add(&t[1], "etc/.wh.passwd", '0', NULL, NULL);
	raw_add(&t[1], "hl", '1', "ro/inside", NULL);
	img_path = layout_of("hostile", t, 2);
	img = oci_image_open(img_path, NULL);
	assert_non_null(img);
	assert_int_equal(oci_image_unpack(img, target, &o), 0);
	assert_true(exists("sandbox/root/pwned"));
	assert_true(exists("sandbox/root/pwned2"));
	assert_true(exists("sandbox/root/pwned3"));
	assert_false(exists("sandbox/pwned"));
	assert_false(exists("sandbox/pwned2"));
	assert_false(exists("pwned2"));
	assert_false(exists("sandbox/root/etc/passwd"));
	assert_true(exists("sandbox/root/hl"));
	/* the merged list says the same */
	{
		struct oci_fs fs = {0};
		assert_int_equal(oci_image_list(img, &fs), 0);
		assert_non_null(oci_fs_find(&fs, "pwned2"));
		assert_null(oci_fs_find(&fs, "etc/passwd"));
		oci_fs_free(&fs);
	}
	/* a non-empty target is only replaced when asked */
	assert_int_equal(oci_image_unpack(img, target, &o), -1);
	o.replace = 1;
	assert_int_equal(oci_image_unpack(img, target, &o), 0);
	oci_image_close(img);
	free(img_path);
	free(target);
	free(outside);
}

static void
test_unpack_refuses_escaping_link(void **state)
{
	struct raw t[1] = {0};
	char *img_path, *target = ward_path_join(dir, "sandbox2/root");
	struct oci_image *img;

	(void)state;
	raw_add(&t[0], "a", '0', NULL, "a");
	raw_add(&t[0], "h", '1', "../outside", NULL);
	img_path = layout_of("hostile2", t, 1);
	img = oci_image_open(img_path, NULL);
	assert_non_null(img);
	assert_int_equal(oci_image_unpack(img, target, NULL), -1);
	assert_non_null(strstr(ward_errmsg(), "leaves the root"));
	assert_false(exists("sandbox2/root")); /* nothing half-done is left */
	oci_image_close(img);
	free(img_path);
	free(target);
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whiteouts),
		cmocka_unit_test(test_symlinked_parents),
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_unpack_stays_inside),
		cmocka_unit_test(test_unpack_refuses_escaping_link),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
