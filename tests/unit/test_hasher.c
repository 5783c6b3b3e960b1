/* test_hasher.c: the parallel hasher gives sha256sum's answers for every
 * thread count and job shape, and fails cleanly on short or missing files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "crypto/crypto.h"

static char dir[] = "/tmp/ward-hasher-XXXXXX";
static char path[300];
static unsigned char *data;
static const size_t size = (5u << 20) + 12345; /* crosses several read buffers */

static int
setup(void **state)
{
	FILE *f;

	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/blob", dir);
	data = malloc(size);
	for (size_t i = 0; i < size; i++)
		data[i] = (unsigned char)(i * 2654435761u >> 13);
	f = fopen(path, "wb");
	fwrite(data, 1, size, f);
	fclose(f);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(dir);
	free(data);
	return 0;
}

static void
test_ranges_all_thread_counts(void **state)
{
	const uint64_t shard = 1u << 20;
	size_t n = (size + shard - 1) / shard;
	struct hash_job *jobs = calloc(n, sizeof(*jobs));
	uint8_t want[SHA256_LEN];

	(void)state;
	for (int threads = 1; threads <= 8; threads++) {
		for (size_t i = 0; i < n; i++) {
			jobs[i].path = path;
			jobs[i].offset = i * shard;
			jobs[i].length = i + 1 < n ? shard : size - i * shard;
		}
		assert_int_equal(hasher_run(jobs, n, threads, NULL, NULL), 0);
		for (size_t i = 0; i < n; i++) {
			sha256(data + jobs[i].offset, jobs[i].length, want);
			assert_memory_equal(jobs[i].digest, want, SHA256_LEN);
		}
	}
	free(jobs);
}

static void
test_whole_file_and_errors(void **state)
{
	struct hash_job job = {.path = path, .offset = 0, .length = UINT64_MAX};
	struct hash_job bad[2] = {{.path = path, .offset = 0, .length = size + 1},
				  {.path = "/nonexistent/x", .offset = 0, .length = 1}};
	uint8_t want[SHA256_LEN];

	(void)state;
	assert_int_equal(hasher_run(&job, 1, 2, NULL, NULL), 0);
	assert_int_equal(job.length, size);
	sha256(data, size, want);
	assert_memory_equal(job.digest, want, SHA256_LEN);
	assert_int_equal(hasher_run(bad, 2, 2, NULL, NULL), -1);
	assert_true(bad[0].failed && bad[1].failed);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ranges_all_thread_counts),
		cmocka_unit_test(test_whole_file_and_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
