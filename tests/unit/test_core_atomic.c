/* test_core_atomic.c: atomic output never shows a half-written file, and
 * never replaces a device or FIFO it was asked to write to. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/core.h"

static char dir[] = "/tmp/ward-atomic-XXXXXX";

static int
count_entries(void)
{
	char cmd[128];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A %s | wc -l", dir);
	p = popen(cmd, "r");
	if (p != NULL) {
		if (fscanf(p, "%d", &n) != 1)
			n = -1;
		pclose(p);
	}
	return n;
}

static void
test_commit_and_abort(void **state)
{
	char path[256];
	struct ward_atomic *a;
	struct ward_buf b = {0};
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out", dir);
	a = ward_atomic_open(path, 0640);
	assert_non_null(a);
	assert_int_equal(ward_atomic_write(a, "half", 4), 0);
	assert_int_equal(access(path, F_OK), -1); /* invisible until committed */
	ward_atomic_abort(a);
	assert_int_equal(count_entries(), 0); /* and nothing left behind */
	assert_int_equal(ward_file_write(path, "whole", 5, 0640), 0);
	assert_int_equal(ward_file_read(path, 100, &b), 0);
	assert_string_equal((char *)b.data, "whole");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(count_entries(), 1);
	ward_buf_free(&b);
}

static void
test_device_and_fifo_written_through(void **state)
{
	char fifo[256], got[16] = {0};
	struct stat st;
	pid_t pid;
	int fd, status;

	(void)state;
	assert_int_equal(ward_file_write("/dev/null", "x", 1, 0644), 0);
	assert_int_equal(stat("/dev/null", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	pid = fork();
	if (pid == 0)
		_exit(ward_file_write(fifo, "piped", 5, 0644) == 0 ? 0 : 1);
	fd = open(fifo, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, got, sizeof(got)), 5);
	close(fd);
	waitpid(pid, &status, 0);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_string_equal(got, "piped");
	assert_int_equal(stat(fifo, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(ward_file_write(dir, "x", 1, 0644), -1); /* a directory */
	assert_int_equal(ward_errkind(), WARD_EINPUT);
	ward_rm_rf(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_commit_and_abort),
		cmocka_unit_test(test_device_and_fifo_written_through),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
