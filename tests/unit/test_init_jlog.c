/* test_init_jlog.c: every log line is one valid JSON object (jansson is
 * the oracle), whatever bytes the fields hold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/core.h"
#include "jlog.h"

static int fd;

static void
reset(void)
{
	assert_int_equal(ftruncate(fd, 0), 0);
	lseek(fd, 0, SEEK_SET);
}

/* The one line written since reset(). */
static json_t *
last_line(void)
{
	static char buf[65536];
	off_t end = lseek(fd, 0, SEEK_CUR);
	ssize_t n;
	json_error_t e;

	assert_true(end > 0 && (size_t)end < sizeof(buf));
	n = pread(fd, buf, (size_t)end, 0);
	assert_int_equal(n, end);
	assert_int_equal(buf[n - 1], '\n');
	buf[n - 1] = '\0';
	assert_null(strchr(buf, '\n'));
	char *start = buf;
	json_t *j = json_loads(start, JSON_ALLOW_NUL, &e);
	if (j == NULL)
		fail_msg("not JSON (%s): %s", e.text, start);
	return j;
}

static void
test_fields(void **state)
{
	struct jlog l;
	json_t *j, *f;

	(void)state;
	reset();
	jlog_begin(&l, WARD_LOG_WARN, "exec_denied");
	jlog_str(&l, "binary", "/bin/sh");
	jlog_int(&l, "pid", -5);
	jlog_uint(&l, "big", 9007199254740993ull);
	jlog_num(&l, "seconds", 0.25);
	jlog_num(&l, "nan", 0.0 / 0.0);
	jlog_bool(&l, "ok", 1);
	jlog_str(&l, "none", NULL);
	jlog_end(&l);
	j = last_line();
	assert_string_equal(json_string_value(json_object_get(j, "level")), "warn");
	assert_string_equal(json_string_value(json_object_get(j, "event")), "exec_denied");
	const char *ts = json_string_value(json_object_get(j, "ts"));
	assert_int_equal(strlen(ts), 24); /* 2025-01-01T00:00:00.000Z */
	assert_int_equal(ts[23], 'Z');
	f = json_object_get(j, "fields");
	assert_string_equal(json_string_value(json_object_get(f, "binary")), "/bin/sh");
	assert_int_equal(json_integer_value(json_object_get(f, "pid")), -5);
	assert_int_equal(json_integer_value(json_object_get(f, "big")), 9007199254740993ll);
	assert_true(json_real_value(json_object_get(f, "seconds")) == 0.25);
	assert_true(json_is_null(json_object_get(f, "nan")));
	assert_true(json_is_true(json_object_get(f, "ok")));
	assert_true(json_is_null(json_object_get(f, "none")));
	assert_null(json_object_get(j, "truncated"));
	json_decref(j);
}

static void
test_hostile_bytes(void **state)
{
	unsigned char s[512];
	struct jlog l;
	json_t *j;

	(void)state;
	for (int round = 0; round < 200; round++) {
		for (size_t i = 0; i < sizeof(s); i++)
			s[i] = (unsigned char)((i * 131 + (size_t)round * 7919) >> (round % 5));
		reset();
		jlog_begin(&l, WARD_LOG_ERROR, "x\"y\n");
		jlog_strn(&l, "a\\b", (const char *)s, sizeof(s));
		jlog_end(&l);
		j = last_line();
		assert_string_equal(json_string_value(json_object_get(j, "event")), "x\"y\n");
		json_decref(j);
	}
	/* Valid UTF-8 survives as is; a lone continuation byte does not. */
	reset();
	jlog_begin(&l, WARD_LOG_ERROR, "utf8");
	jlog_str(&l, "v", "caf\xc3\xa9 \xe2\x82\xac \x80 \xed\xa0\x80");
	jlog_end(&l);
	j = last_line();
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(j, "fields"), "v")),
		"caf\xc3\xa9 \xe2\x82\xac \xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	json_decref(j);
}

static void
test_truncation_and_level(void **state)
{
	static char huge[3 * JLOG_MAX];
	struct jlog l;
	json_t *j;
	off_t before;

	(void)state;
	memset(huge, 'q', sizeof(huge) - 1);
	reset();
	jlog_begin(&l, WARD_LOG_INFO, "big");
	jlog_str(&l, "small", "kept");
	jlog_str(&l, "huge", huge);
	jlog_int(&l, "after", 1);
	jlog_end(&l);
	j = last_line();
	assert_true(json_is_true(json_object_get(j, "truncated")));
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(j, "fields"), "small")), "kept");
	assert_null(json_object_get(json_object_get(j, "fields"), "huge"));
	json_decref(j);
	jlog_set_level(WARD_LOG_WARN);
	before = lseek(fd, 0, SEEK_CUR);
	jlog_msg(WARD_LOG_INFO, "quiet", "not written");
	assert_int_equal(lseek(fd, 0, SEEK_CUR), before);
	jlog_set_level(WARD_LOG_INFO);
	char esc[8];
	assert_int_equal(jlog_escape(esc, sizeof(esc), "\"\"\"\"", 4), (size_t)-1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_hostile_bytes),
		cmocka_unit_test(test_truncation_and_level),
	};
	fd = memfd_create("jlog", 0);
	jlog_set_fd(fd);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
