/* test_oci_tar.c: the deterministic tar writer — order rule, USTAR header
 * bytes, PAX only when needed (and read back right by libarchive and by
 * the archive indexer), tree packing with hard links. */
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

static const struct tar_meta F = {.mode = 0644, .uid = 0, .gid = 0};

static int
buf_sink(void *ctx, const void *p, size_t n)
{
	return ward_buf_append(ctx, p, n);
}

static void
test_path_order(void **state)
{
	/* '/' sorts below every byte: a directory's contents stay together */
	const char *want[] = {"a", "a/b", "a/b/c", "a/c", "a-b", "a.b", "aa", "b", "b/!", "b/x"};
	struct ward_strv sv = {0};

	(void)state;
	for (size_t i = sizeof(want) / sizeof(*want); i-- > 0;)
		ward_strv_push(&sv, want[i]);
	tar_sort_strv(&sv);
	for (size_t i = 0; i < sv.n; i++)
		assert_string_equal(sv.v[i], want[i]);
	assert_true(tar_path_cmp("a", "a/b") < 0);
	assert_true(tar_path_cmp("a/z", "a-b") < 0);
	assert_true(tar_path_cmp("a\x01", "a/") > 0);
	assert_int_equal(tar_path_cmp("x/y", "x/y"), 0);
	ward_strv_free(&sv);
}

static void
test_rejects(void **state)
{
	struct ward_buf b = {0};
	struct tar_writer *w = tar_writer_new(buf_sink, &b, 0);
	struct tar_meta bad = {.mode = 0100644};

	(void)state;
	assert_int_equal(tar_write_dir(w, "b", &F), 0);
	assert_int_equal(tar_write_dir(w, "a", &F), -1); /* out of order */
	assert_non_null(strstr(ward_errmsg(), "sorted"));
	assert_int_equal(tar_write_dir(w, "b", &F), -1); /* duplicate */
	assert_int_equal(tar_write_file(w, "/etc/x", &F, "", 0), -1);
	assert_int_equal(tar_write_file(w, "b/../x", &F, "", 0), -1);
	assert_int_equal(tar_write_file(w, "b/./x", &F, "", 0), -1);
	assert_int_equal(tar_write_file(w, "b/x/", &F, "", 0), -1);
	assert_int_equal(tar_write_file(w, "c", &bad, "", 0), -1);
	assert_int_equal(tar_write_hardlink(w, "c", &F, "d"), -1); /* target not written yet */
	assert_int_equal(tar_write_hardlink(w, "c", &F, "/b"), -1);
	assert_int_equal(tar_write_symlink(w, "c", &F, ""), -1);
	assert_int_equal(tar_write_file(w, "c", &F, "x", 1), 0);
	assert_int_equal(tar_writer_finish(w), 0);
	assert_int_equal(tar_write_file(w, "d", &F, "", 0), -1);
	assert_int_equal(ward_errkind(), WARD_EINPUT);
	tar_writer_free(w);
	ward_buf_free(&b);
}

static unsigned
header_sum(const unsigned char *h)
{
	unsigned s = 0;

	for (int i = 0; i < 512; i++)
		s += (i >= 148 && i < 156) ? ' ' : h[i];
	return s;
}

static void
test_ustar_bytes(void **state)
{
	struct ward_buf b = {0};
	struct tar_writer *w = tar_writer_new(buf_sink, &b, 1700000000);
	struct tar_meta m = {
		.mode = 04755, .uid = 65532, .gid = 65533, .uname = "nonroot", .gname = "nonroot"};
	char sum[8];

	(void)state;
	assert_int_equal(tar_write_dir(w, "etc", &F), 0);
	assert_int_equal(tar_write_file(w, "etc/hello", &m, "hello\n", 6), 0);
	assert_int_equal(tar_writer_finish(w), 0);
	/* two headers, one data block, and the 1024-byte end */
	assert_int_equal(b.len, 512 * 3 + 1024);
	assert_int_equal(tar_writer_size(w), b.len);
	assert_memory_equal(b.data, "etc/\0", 5);
	assert_int_equal(b.data[156], '5');
	assert_memory_equal(b.data + 512, "etc/hello\0", 10);
	assert_memory_equal(b.data + 512 + 100, "0004755\0", 8);
	assert_memory_equal(b.data + 512 + 108, "0177774\0", 8);
	assert_memory_equal(b.data + 512 + 116, "0177775\0", 8);
	assert_memory_equal(b.data + 512 + 124, "00000000006\0", 12);
	assert_memory_equal(b.data + 512 + 136, "14524770400\0", 12); /* 1700000000 */
	assert_int_equal(b.data[512 + 156], '0');
	assert_memory_equal(b.data + 512 + 257,
			    "ustar\0"
			    "00",
			    8);
	assert_string_equal((char *)b.data + 512 + 265, "nonroot");
	snprintf(sum, sizeof(sum), "%06o", header_sum(b.data + 512));
	assert_memory_equal(b.data + 512 + 148, sum, 6);
	assert_memory_equal(b.data + 1024, "hello\n", 6);
	for (size_t i = 512 * 3; i < b.len; i++)
		assert_int_equal(b.data[i], 0);
	/* no PAX header anywhere */
	assert_int_not_equal(b.data[156], 'x');
	assert_int_not_equal(b.data[512 + 156], 'x');
	tar_writer_free(w);
	ward_buf_free(&b);
}

static char *
repeat(char c, size_t n, const char *suffix)
{
	char *s = malloc(n + strlen(suffix) + 1);

	memset(s, c, n);
	strcpy(s + n, suffix);
	return s;
}

/* Names at and around the USTAR limits, non-ASCII and non-UTF-8 names,
 * long links and owners: PAX where needed, and every reader agrees. */
static void
test_pax_roundtrip(void **state)
{
	struct ward_buf b = {0};
	struct tar_writer *w = tar_writer_new(buf_sink, &b, 1700000000);
	struct tar_meta big = {.mode = 0600,
			       .uid = 3000000,
			       .gid = 7,
			       .uname = "averyveryverylongusernamethatexceeds",
			       .gname = "g\xc3\xa9"};
	char *dir100 = repeat('d', 150, ""), *names[8];
	size_t n = 0;
	struct oci_layer_reader *r;
	const struct oci_entry *e;
	struct tar_index idx;
	int pax_headers = 0;

	(void)state;
	names[n++] = repeat('a', 99, "");
	names[n++] = repeat('b', 100, "");
	names[n++] = repeat('c', 101, "");		     /* fits as prefix + name? no '/' */
	names[n++] = ward_asprintf("%s/%s", dir100, "file"); /* split prefix/name */
	{
		char *leaf = repeat('e', 120, "");
		names[n++] = ward_asprintf("%s/%s", dir100, leaf); /* needs PAX */
		free(leaf);
	}
	names[n++] = strdup("caf\xc3\xa9"); /* UTF-8 */
	names[n++] = strdup("raw\xff\xfe"); /* not UTF-8 */
	{
		struct ward_strv sv = {0};
		for (size_t i = 0; i < n; i++)
			ward_strv_push(&sv, names[i]);
		tar_sort_strv(&sv);
		for (size_t i = 0; i < n; i++) {
			free(names[i]);
			names[i] = strdup(sv.v[i]);
		}
		ward_strv_free(&sv);
	}
	for (size_t i = 0; i < n; i++) {
		if (strncmp(names[i], "dddd", 4) == 0 && i > 0 &&
		    strncmp(names[i - 1], "dddd", 4) != 0)
			assert_int_equal(tar_write_dir(w, dir100, &F), 0);
		assert_int_equal(tar_write_file(w, names[i], i == 0 ? &big : &F, "x", 1), 0);
	}
	{
		char *target = repeat('t', 200, "");
		assert_int_equal(tar_write_symlink(w, "zz-link", &F, target), 0);
		free(target);
	}
	assert_int_equal(tar_writer_finish(w), 0);
	for (size_t off = 0; off + 512 <= b.len; off += 512)
		if (b.data[off + 156] == 'x' && memcmp(b.data + off + 257, "ustar", 5) == 0)
			pax_headers++;
	/* names over 100 without a split, the 120-char leaf, UTF-8, raw, the
	 * owner entry, and the long link */
	assert_true(pax_headers >= 6);

	r = oci_layer_open_mem(b.data, b.len, "mem", NULL);
	assert_non_null(r);
	for (size_t i = 0; i < n; i++) {
		const char *want = names[i];
		assert_int_equal(oci_layer_next(r, &e), 1);
		if (e->type == OCI_ENTRY_DIR) {
			assert_string_equal(e->path, dir100);
			assert_int_equal(oci_layer_next(r, &e), 1);
		}
		assert_string_equal(e->path, want);
		assert_int_equal(e->type, OCI_ENTRY_FILE);
		assert_int_equal(e->mtime, 1700000000);
		if (i == 0) {
			assert_int_equal(e->uid, 3000000);
			assert_string_equal(e->uname, "averyveryverylongusernamethatexceeds");
			assert_string_equal(e->gname, "g\xc3\xa9");
		}
	}
	assert_int_equal(oci_layer_next(r, &e), 1);
	assert_int_equal(e->type, OCI_ENTRY_SYMLINK);
	assert_int_equal(strlen(e->link), 200);
	assert_int_equal(oci_layer_next(r, &e), 0);
	oci_layer_close(r);

	assert_int_equal(tar_index_mem(b.data, b.len, "mem", NULL, &idx), 0);
	for (size_t i = 0; i < n; i++)
		assert_non_null(tar_index_find(&idx, names[i]));
	assert_int_equal(tar_index_find(&idx, "zz-link")->type, OCI_ENTRY_SYMLINK);
	tar_index_free(&idx);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(dir100);
	tar_writer_free(w);
	ward_buf_free(&b);
}

static char tdir[] = "/tmp/ward-tar-XXXXXX";

static void
write_file(const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tdir, rel);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static void
test_tree(void **state)
{
	struct ward_buf b = {0};
	struct tar_writer *w = tar_writer_new(buf_sink, &b, 42);
	struct tar_tree_opts o = {
		.uid = 65532, .gid = 65532, .uname = "nonroot", .gname = "nonroot"};
	const char *want[][3] = {{"a-b", "file", NULL},	       {"a", "dir", NULL},
				 {"a/x", "file", NULL},	       {"a/y", "hardlink", "a/x"},
				 {"a/z", "symlink", "../a-b"}, {"b.txt", "file", NULL}};
	const char *order[] = {"a", "a/x", "a/y", "a/z", "a-b", "b.txt"};
	struct oci_layer_reader *r;
	const struct oci_entry *e;
	char p1[512], p2[512];

	(void)state;
	assert_non_null(mkdtemp(tdir));
	snprintf(p1, sizeof(p1), "%s/a", tdir);
	mkdir(p1, 0750);
	write_file("a/x", "xx");
	write_file("a-b", "ab");
	write_file("b.txt", "b");
	snprintf(p1, sizeof(p1), "%s/a/x", tdir);
	snprintf(p2, sizeof(p2), "%s/a/y", tdir);
	assert_int_equal(link(p1, p2), 0);
	snprintf(p2, sizeof(p2), "%s/a/z", tdir);
	assert_int_equal(symlink("../a-b", p2), 0);
	assert_int_equal(tar_write_tree(w, tdir, &o), 0);
	assert_int_equal(tar_writer_finish(w), 0);
	r = oci_layer_open_mem(b.data, b.len, "tree", NULL);
	assert_non_null(r);
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(oci_layer_next(r, &e), 1);
		assert_string_equal(e->path, order[i]);
		assert_int_equal(e->uid, 65532);
		assert_string_equal(e->uname, "nonroot");
		assert_int_equal(e->mtime, 42);
		for (size_t k = 0; k < 6; k++)
			if (strcmp(want[k][0], e->path) == 0) {
				assert_string_equal(oci_entry_type_name(e->type), want[k][1]);
				if (want[k][2])
					assert_string_equal(e->link, want[k][2]);
			}
		if (strcmp(e->path, "a") == 0)
			assert_int_equal(e->mode, 0750);
	}
	assert_int_equal(oci_layer_next(r, &e), 0);
	oci_layer_close(r);
	tar_writer_free(w);
	ward_buf_free(&b);
	ward_rm_rf(tdir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_order),  cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_ustar_bytes), cmocka_unit_test(test_pax_roundtrip),
		cmocka_unit_test(test_tree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
