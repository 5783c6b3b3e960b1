/* test_core_input.c: the core helpers that stand between ward and hostile
 * input (issue 15): inputs never hang (FIFOs, devices) nor follow links
 * where none is expected; output directories never replace a directory
 * ward did not write; temporary trees of a live run are never swept;
 * messages never carry raw control bytes; failed appends are sticky;
 * vector growth is overflow-checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/core.h"

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/ward-input-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	return ward_rm_rf(dir);
}

static char *
at(const char *name)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static void
touch(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
on_alarm(int sig)
{
	(void)sig;
	fprintf(stderr, "a FIFO input blocked\n");
	_exit(99);
}

static void
test_fifo_never_hangs(void **state)
{
	struct ward_buf b = {0};

	(void)state;
	assert_int_equal(mkfifo(at("fifo"), 0600), 0);
	signal(SIGALRM, on_alarm);
	alarm(10); /* the old code blocked in open(2) forever */
	assert_int_equal(ward_file_read(at("fifo"), 1 << 20, &b), -1);
	assert_int_equal(ward_errkind(), WARD_EINPUT);
	assert_non_null(strstr(ward_errmsg(), "is a FIFO, expected a regular file"));
	assert_int_equal(ward_input_open(at("fifo"), 0, NULL), -1);
	assert_int_equal(ward_input_open("/dev/zero", 0, NULL), -1);
	assert_non_null(strstr(ward_errmsg(), "a character device"));
	alarm(0);
	ward_buf_free(&b);
}

static void
test_links_and_dirs(void **state)
{
	struct ward_buf b = {0};
	struct stat st;
	int fd;

	(void)state;
	touch(at("real"), "data");
	assert_int_equal(symlink("real", at("link")), 0);
	/* a link named by the user is followed ... */
	assert_int_equal(ward_file_read(at("link"), 100, &b), 0);
	assert_string_equal((char *)b.data, "data");
	/* ... one inside a tree someone else made is not, and says so */
	assert_int_equal(ward_input_open(at("link"), WARD_IN_NOFOLLOW, NULL), -1);
	assert_non_null(strstr(ward_errmsg(), "is a symbolic link"));
	assert_int_equal(ward_input_open(dir, 0, NULL), -1);
	assert_non_null(strstr(ward_errmsg(), "is a directory"));
	fd = ward_input_open(at("real"), WARD_IN_NOFOLLOW, &st);
	assert_true(fd >= 0);
	assert_int_equal(st.st_size, 4);
	assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	close(fd);
	b.len = 0;
	assert_int_equal(ward_file_read(at("real"), 3, &b), -1);
	assert_non_null(strstr(ward_errmsg(), "too large"));
	ward_buf_free(&b);
}

static const char *const own[] = {"marker", "data", NULL};

static void
test_outdir_refuses_foreign_dirs(void **state)
{
	struct ward_outdir *o;
	char *p;

	(void)state;
	/* a project: never replaced, and left exactly as it was */
	assert_int_equal(mkdir(at("project"), 0755), 0);
	touch(at("project/main.c"), "int main;");
	touch(at("project/data"), "mine");
	assert_null(ward_outdir_begin(at("project"), own, 0755, 0));
	assert_int_equal(ward_errkind(), WARD_EINPUT);
	assert_non_null(strstr(ward_errmsg(), "main.c"));
	assert_int_equal(access(at("project/main.c"), F_OK), 0);
	/* a symlink to a directory is not replaced either */
	assert_int_equal(symlink("project", at("alias")), 0);
	assert_null(ward_outdir_begin(at("alias"), own, 0755, 0));
	assert_non_null(strstr(ward_errmsg(), "symbolic link"));
	/* a new output appears whole */
	o = ward_outdir_begin(at("out"), own, 0750, 0);
	assert_non_null(o);
	assert_int_equal(access(at("out"), F_OK), -1);
	p = ward_path_join(ward_outdir_tmp(o), "marker");
	touch(p, "1");
	free(p);
	assert_int_equal(ward_outdir_commit(o), 0);
	assert_int_equal(access(at("out/marker"), F_OK), 0);
	/* an output of the same kind is replaced whole */
	o = ward_outdir_begin(at("out"), own, 0755, 0);
	assert_non_null(o);
	p = ward_path_join(ward_outdir_tmp(o), "data");
	touch(p, "2");
	free(p);
	assert_int_equal(ward_outdir_commit(o), 0);
	assert_int_equal(access(at("out/marker"), F_OK), -1);
	assert_int_equal(access(at("out/data"), F_OK), 0);
	/* abort leaves nothing; the explicit opt-in replaces anything */
	o = ward_outdir_begin(at("out"), own, 0755, 0);
	assert_non_null(o);
	ward_outdir_abort(o);
	o = ward_outdir_begin(at("project"), NULL, 0755, WARD_OUTDIR_REPLACE);
	assert_non_null(o);
	assert_int_equal(ward_outdir_commit(o), 0);
	assert_int_equal(access(at("project/main.c"), F_OK), -1);
}

static void
test_stale_sweep_spares_live_runs(void **state)
{
	char *tmp = NULL;
	int fd, pfd[2];
	pid_t child;
	char c;

	(void)state;
	/* a live run in another process (another container: its pid means
	 * nothing here) holds its temporary tree locked */
	assert_int_equal(pipe(pfd), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		char *t = NULL;
		int f = ward_tmp_mkdir(at("live"), &t);
		(void)!write(pfd[1], f >= 0 ? "y" : "n", 1);
		pause();
		_exit(0);
	}
	assert_int_equal(read(pfd[0], &c, 1), 1);
	assert_int_equal(c, 'y');
	/* a leftover of an interrupted run: nobody holds its lock */
	fd = ward_tmp_mkdir(at("dead"), &tmp);
	assert_true(fd >= 0);
	close(fd);
	ward_remove_stale(dir, "live.tmp-");
	ward_remove_stale(dir, "dead.tmp-");
	assert_int_equal(access(tmp, F_OK), -1);
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "ls -d %s/live.tmp-* >/dev/null 2>&1", dir);
		assert_int_equal(system(cmd), 0);
	}
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	ward_remove_stale(dir, "live.tmp-"); /* now it is a leftover */
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "ls -d %s/live.tmp-* >/dev/null 2>&1", dir);
		assert_int_not_equal(system(cmd), 0);
	}
	free(tmp);
	close(pfd[0]);
	close(pfd[1]);
}

static void
test_messages_escaped(void **state)
{
	char out[64];

	(void)state;
	ward_err(WARD_EINPUT, "pkg \"%s\": bad", "a\nb\x1b[2Jc\x7f\xff");
	assert_string_equal(ward_errmsg(), "pkg \"a\\nb\\e[2Jc\\x7f\\xff\": bad");
	/* valid UTF-8 stays; C1 controls (U+009B, a CSI) do not */
	ward_escape("\xc3\xa9\xc2\x9b", 4, out, sizeof(out));
	assert_string_equal(out, "\xc3\xa9\\xc2\\x9b");
	/* cut at a boundary, always terminated */
	ward_escape("\n\n\n", 3, out, 6);
	assert_string_equal(out, "\\n\\n");
	assert_string_equal(ward_str_or_none(NULL), "(none)");
}

static void
test_sticky_buffers(void **state)
{
	struct ward_buf b = {0}, failed = {0};
	struct ward_strv sv = {0};

	(void)state;
	assert_int_equal(ward_buf_puts(&b, "head "), 0);
	assert_int_equal(ward_buf_reserve(&b, SIZE_MAX - 2), -1); /* fails ... */
	assert_int_equal(ward_buf_puts(&b, "tail"), -1);	  /* ... and stays failed */
	assert_null(ward_buf_cstr(&b));
	assert_int_equal(ward_buf_check(&b), -1);
	assert_null(ward_buf_steal(&b));		 /* never the truncated "head " */
	assert_int_equal(ward_buf_puts(&b, "fresh"), 0); /* freed: usable again */
	assert_string_equal(ward_buf_cstr(&b), "fresh");
	/* a failed text appended elsewhere fails that buffer too */
	failed.failed = 1;
	assert_int_equal(ward_buf_puts(&b, ward_buf_cstr(&failed)), -1);
	assert_int_equal(ward_buf_check(&b), -1);
	ward_buf_free(&b);
	assert_int_equal(ward_strv_push(&sv, "a"), 0);
	assert_int_equal(ward_strv_push_owned(&sv, NULL), -1);
	assert_int_equal(ward_strv_push(&sv, "b"), -1);
	assert_int_equal(ward_strv_check(&sv), -1);
	ward_strv_free(&sv);
	assert_int_equal(ward_strv_check(&sv), 0);
}

static void
test_vectors(void **state)
{
	uint32_t *v = NULL;
	size_t cap = 0, n = 0;
	struct big {
		char x[1 << 12];
	} *bv = NULL;

	(void)state;
	for (uint32_t i = 0; i < 1000; i++) {
		assert_int_equal(ward_vec_grow(&v, n, sizeof(*v)), 0);
		v[n++] = i;
	}
	for (uint32_t i = 0; i < 1000; i++)
		assert_int_equal(v[i], i);
	free(v);
	v = NULL;
	assert_int_equal(ward_vec_reserve(&v, &cap, 100, sizeof(*v)), 0);
	assert_true(cap >= 100);
	/* sizes that overflow are refused, the array untouched */
	assert_int_equal(ward_vec_reserve(&v, &cap, SIZE_MAX / 2, sizeof(*v)), -1);
	assert_int_equal(ward_errkind(), WARD_EENV);
	assert_true(cap >= 100 && cap < SIZE_MAX / 2);
	assert_int_equal(ward_vec_reserve(&bv, &cap, SIZE_MAX / 4096 + 2, sizeof(*bv)), -1);
	assert_null(ward_reallocarray(NULL, SIZE_MAX / 8 + 1, 16));
	free(v);
}

static void
test_dirname_basename(void **state)
{
	static const char *const cases[][3] = {
		{"a/b", "a", "b"}, {"a/b/", "a", "b"},	  {"b", ".", "b"},
		{"/x", "/", "x"},  {"/", "/", "/"},	  {"a//b", "a", "b"},
		{"//a", "/", "a"}, {"a/b/c", "a/b", "c"}, {"./f", ".", "f"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *d = ward_dirname(cases[i][0]), *b = ward_basename(cases[i][0]);
		assert_string_equal(d, cases[i][1]);
		assert_string_equal(b, cases[i][2]);
		free(d);
		free(b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fifo_never_hangs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_links_and_dirs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outdir_refuses_foreign_dirs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_sweep_spares_live_runs, setup, teardown),
		cmocka_unit_test(test_messages_escaped),
		cmocka_unit_test(test_sticky_buffers),
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_dirname_basename),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
