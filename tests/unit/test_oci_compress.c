/* test_oci_compress.c: gzip and zstd output is the same bytes for 1..4
 * threads and any way of feeding the input, decodes (with zlib's and
 * libzstd's own decoders) to the input, and has the fixed gzip header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>
#include <zstd.h>

#include "oci/oci.h"

static int
buf_sink(void *ctx, const void *p, size_t n)
{
	return ward_buf_append(ctx, p, n);
}

/* Half random, half repetitive: both deflate paths get exercised. */
static unsigned char *
make_input(size_t n, unsigned seed)
{
	unsigned char *p = malloc(n ? n : 1);
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		p[i] = (i / 4096) % 2 ? (unsigned char)x : (unsigned char)("ward layer "[i % 11]);
	}
	return p;
}

static void
squeeze(int kind, int threads, const unsigned char *in, size_t n, size_t chunk,
	struct ward_buf *out)
{
	struct oci_compress_opts o = {.compression = kind, .threads = threads};
	struct oci_compressor *c = oci_compressor_new(&o, buf_sink, out);

	assert_non_null(c);
	for (size_t off = 0; off < n; off += chunk)
		assert_int_equal(
			oci_compressor_write(c, in + off, n - off < chunk ? n - off : chunk), 0);
	assert_int_equal(oci_compressor_finish(c), 0);
	oci_compressor_free(c);
}

/* zlib's own decoder, member after member: one member per 1 MiB block
 * (the last possibly empty), each with the fixed header, nothing else. */
static void
gunzip(const struct ward_buf *z, const unsigned char *want, size_t n)
{
	static const unsigned char h[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
	unsigned char *out = malloc(n + 1);
	z_stream s = {0};
	size_t members = 0;

	assert_int_equal(inflateInit2(&s, 15 + 16), Z_OK);
	s.next_in = z->data;
	s.avail_in = (uInt)z->len;
	s.next_out = out;
	s.avail_out = (uInt)n + 1;
	for (;;) {
		assert_true(s.avail_in >= 10);
		assert_memory_equal(s.next_in, h, sizeof(h));
		assert_int_equal(inflate(&s, Z_FINISH), Z_STREAM_END);
		members++;
		if (s.avail_in == 0)
			break;
		assert_int_equal(inflateReset(&s), Z_OK);
	}
	assert_int_equal((size_t)(s.next_out - out), n);
	assert_int_equal(members, n / (1u << 20) + 1);
	assert_memory_equal(out, want, n);
	inflateEnd(&s);
	free(out);
}

static void
test_gzip_thread_independent(void **state)
{
	const size_t sizes[] = {
		0, 1, 100, (1u << 20) - 1, 1u << 20, (1u << 20) + 1, (3u << 20) + 12345};
	const size_t chunks[] = {7, 65536, 1u << 22};

	(void)state;
	for (size_t s = 0; s < sizeof(sizes) / sizeof(*sizes); s++) {
		unsigned char *in = make_input(sizes[s], (unsigned)s);
		struct ward_buf first = {0};
		squeeze(OCI_COMPRESS_GZIP, 1, in, sizes[s], 1u << 22, &first);
		/* header: 1f8b 08 00 00000000 00 ff */
		assert_memory_equal(first.data, "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", 10);
		gunzip(&first, in, sizes[s]);
		for (int t = 1; t <= 4; t++)
			for (size_t c = 0; c < sizeof(chunks) / sizeof(*chunks); c++) {
				struct ward_buf again = {0};
				if (chunks[c] == 7 && sizes[s] > 200000)
					continue; /* byte-sized feeding is slow; small inputs only
						   */
				squeeze(OCI_COMPRESS_GZIP, t, in, sizes[s], chunks[c], &again);
				assert_int_equal(again.len, first.len);
				assert_memory_equal(again.data, first.data, first.len);
				ward_buf_free(&again);
			}
		ward_buf_free(&first);
		free(in);
	}
}

static void
unzstd(const struct ward_buf *z, const unsigned char *want, size_t n)
{
	ZSTD_DCtx *d = ZSTD_createDCtx();
	unsigned char *out = malloc(n + 1);
	ZSTD_inBuffer in = {z->data, z->len, 0};
	ZSTD_outBuffer o = {out, n + 1, 0};
	size_t r;

	do {
		r = ZSTD_decompressStream(d, &o, &in);
		assert_false(ZSTD_isError(r));
	} while (r != 0 && in.pos < in.size);
	assert_int_equal(r, 0);
	assert_int_equal(o.pos, n);
	assert_memory_equal(out, want, n);
	free(out);
	ZSTD_freeDCtx(d);
}

static void
test_zstd_thread_independent(void **state)
{
	/* beyond the 4 MiB job size, so several jobs (and workers) are used */
	const size_t sizes[] = {0, 1, 100000, (9u << 20) + 77};
	const size_t chunks[] = {4096, 1u << 20, 1u << 24};

	(void)state;
	for (size_t s = 0; s < sizeof(sizes) / sizeof(*sizes); s++) {
		unsigned char *in = make_input(sizes[s], (unsigned)s + 100);
		struct ward_buf first = {0};
		squeeze(OCI_COMPRESS_ZSTD, 1, in, sizes[s], 1u << 24, &first);
		unzstd(&first, in, sizes[s]);
		for (int t = 1; t <= 4; t++)
			for (size_t c = 0; c < sizeof(chunks) / sizeof(*chunks); c++) {
				struct ward_buf again = {0};
				squeeze(OCI_COMPRESS_ZSTD, t, in, sizes[s], chunks[c], &again);
				assert_int_equal(again.len, first.len);
				assert_memory_equal(again.data, first.data, first.len);
				ward_buf_free(&again);
			}
		ward_buf_free(&first);
		free(in);
	}
}

static void
test_levels_and_names(void **state)
{
	struct oci_compress_opts bad = {.compression = OCI_COMPRESS_GZIP, .level = 10};
	struct ward_buf b = {0};
	unsigned char *in = make_input(300000, 9);
	struct ward_buf l1 = {0}, l9 = {0};

	(void)state;
	assert_null(oci_compressor_new(&bad, buf_sink, &b));
	assert_int_equal(ward_errkind(), WARD_EINPUT);
	assert_int_equal(oci_compression_parse("gzip"), OCI_COMPRESS_GZIP);
	assert_int_equal(oci_compression_parse("zstd"), OCI_COMPRESS_ZSTD);
	assert_int_equal(oci_compression_parse("none"), OCI_COMPRESS_NONE);
	assert_int_equal(oci_compression_parse("lz4"), -1);
	assert_string_equal(oci_layer_media_type(OCI_COMPRESS_ZSTD), OCI_MT_LAYER_ZSTD);
	/* the level changes the bytes (it is part of what must be fixed) */
	{
		struct oci_compress_opts o1 = {.compression = OCI_COMPRESS_GZIP, .level = 1};
		struct oci_compress_opts o9 = {.compression = OCI_COMPRESS_GZIP, .level = 9};
		struct oci_compressor *c1 = oci_compressor_new(&o1, buf_sink, &l1);
		struct oci_compressor *c9 = oci_compressor_new(&o9, buf_sink, &l9);
		oci_compressor_write(c1, in, 300000);
		oci_compressor_write(c9, in, 300000);
		oci_compressor_finish(c1);
		oci_compressor_finish(c9);
		oci_compressor_free(c1);
		oci_compressor_free(c9);
		assert_true(l1.len != l9.len || memcmp(l1.data, l9.data, l1.len) != 0);
		gunzip(&l1, in, 300000);
		gunzip(&l9, in, 300000);
	}
	ward_buf_free(&l1);
	ward_buf_free(&l9);
	free(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gzip_thread_independent),
		cmocka_unit_test(test_zstd_thread_independent),
		cmocka_unit_test(test_levels_and_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
