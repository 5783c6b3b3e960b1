/* test_init_metrics.c: the /proc parsers against what the kernel says of
 * this very process, and the exposition text's shape and escaping.
 * (promtool, the real client, checks the text in tests/sh/test_init.sh.) */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "metrics.h"
#include "sample.h"
#include "seccomp_bpf.h"

static void
test_parse_stat(void **state)
{
	/* A command name with spaces and parentheses, as the kernel allows. */
	const char *line = "1234 (evil) (x) 1) S 1 1234 1234 0 -1 4194560 500 0 0 0 "
			   "250 150 0 0 20 0 7 0 100 123456789 300 18446744073709551615 "
			   "1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
	struct proc_sample s = {0};

	(void)state;
	assert_int_equal(proc_parse_stat(line, strlen(line), 100, 4096, &s), 0);
	assert_true(s.have_stat);
	assert_true(s.utime > 2.49 && s.utime < 2.51);
	assert_true(s.stime > 1.49 && s.stime < 1.51);
	assert_int_equal(s.threads, 7);
	assert_int_equal(s.rss_bytes, 300u * 4096u);
	assert_int_equal(proc_parse_stat("1 (x) S 1 2", 11, 100, 4096, &s), -1);
	assert_int_equal(proc_parse_stat("garbage", 7, 100, 4096, &s), -1);
	assert_int_equal(proc_parse_stat("", 0, 100, 4096, &s), -1);
}

static void
test_parse_io(void **state)
{
	const char *io = "rchar: 100\nwchar: 200\nsyscr: 3\nsyscw: 4\nread_bytes: 4096\n"
			 "write_bytes: 8192\ncancelled_write_bytes: 0\n";
	struct proc_sample s = {0};

	(void)state;
	assert_int_equal(proc_parse_io(io, strlen(io), &s), 0);
	assert_int_equal(s.rchar, 100);
	assert_int_equal(s.wchar, 200);
	assert_int_equal(s.read_bytes, 4096);
	assert_int_equal(s.write_bytes, 8192);
	assert_int_equal(proc_parse_io("rchar: 1\n", 9, &s), -1);
	assert_int_equal(
		proc_parse_io("rchar: x\nwchar: 1\nread_bytes: 1\nwrite_bytes: 1\n", 46, &s), -1);
}

static void
test_read_self(void **state)
{
	struct proc_sample s;
	struct rusage ru;
	struct dirent *de;
	uint64_t fds = 0;
	DIR *d;
	int extra = open("/dev/null", O_RDONLY);

	(void)state;
	proc_sample_read(getpid(), &s);
	assert_true(s.have_stat && s.have_io && s.have_fds);
	assert_int_equal(s.threads, 1);
	/* The kernel's other accounts of the same numbers. */
	getrusage(RUSAGE_SELF, &ru);
	double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
	assert_true(s.utime <= cpu + 0.02 && s.utime >= cpu - 0.05);
	assert_true(s.rss_bytes > 0 && s.rss_bytes <= (uint64_t)ru.ru_maxrss * 1024u);
	d = opendir("/proc/self/fd");
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			fds++;
	closedir(d);
	/* opendir's own descriptor is counted in one listing, not the other. */
	assert_true(s.fds == fds || s.fds + 1 == fds);
	assert_true(s.rchar > 0);
	close(extra);
}

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static void
test_render(void **state)
{
	static struct init_state st;
	static char out[METRICS_MAX];
	struct proc_sample ps = {.have_stat = 1,
				 .utime = 1.5,
				 .stime = 0.25,
				 .rss_bytes = 4096,
				 .threads = 3,
				 .have_fds = 1,
				 .fds = 9};
	size_t n;

	(void)state;
	st.start_ns = 1000000000u;
	st.nmodels = 1;
	snprintf(st.models[0].path, sizeof(st.models[0].path), "/m/a\"b\\c\nd");
	st.models[0].verified = 1;
	st.models[0].bytes = 12345;
	st.nexec = 1;
	snprintf(st.exec[0].name, sizeof(st.exec[0].name), "sh");
	st.exec[0].denied = 3;
	st.denied[sc_deny_index(__NR_ptrace)] = 2;
	st.server_up = 1;
	st.server_pid = 1;
	st.server_dumpable = 0;
	st.server = ps;
	st.init_rss_bytes = 1 << 20;
	struct http_stats hs = {.code = {[HTTP_SLOT_200] = 7}, .evicted = 4};
	n = metrics_render(&st, &hs, 3500000000u, out, sizeof(out));
	assert_true(n > 0 && n == strlen(out));
	assert_int_equal(out[n - 1], '\n');
	assert_non_null(strstr(out, "ward_build_info{version=\"" WARD_VERSION "\"} 1\n"));
	assert_non_null(strstr(out, "ward_init_uptime_seconds 2.5\n"));
	/* Label values escape backslash, quote and newline. */
	assert_non_null(
		strstr(out, "ward_model_verified_bytes{model=\"/m/a\\\"b\\\\c\\nd\"} 12345\n"));
	assert_non_null(
		strstr(out, "ward_exec_attempts_total{binary=\"sh\",result=\"denied\"} 3\n"));
	assert_null(strstr(out, "result=\"allowed\"")); /* zero counts are left out */
	assert_non_null(strstr(out, "ward_seccomp_denied_total{syscall=\"ptrace\"} 2\n"));
	assert_null(strstr(out, "syscall=\"execve\""));
	assert_non_null(strstr(out, "ward_server_cpu_seconds_total{mode=\"user\"} 1.50\n"));
	assert_non_null(strstr(out, "ward_server_open_fds 9\n"));
	assert_null(strstr(out, "ward_server_io_read_bytes_total")); /* not readable */
	assert_non_null(strstr(out, "ward_hardening_enabled{feature=\"non_dumpable\"} 1\n"));
	/* Each family has one HELP and one TYPE line. */
	assert_int_equal(count(out, "# TYPE ward_seccomp_denied_total counter\n"), 1);
	assert_int_equal(count(out, "# HELP "), count(out, "# TYPE "));
	assert_non_null(strstr(out, "ward_http_requests_total{code=\"200\"} 7\n"));
	assert_non_null(strstr(out, "ward_http_connections_rejected_total 4\n"));
	assert_non_null(strstr(out, "ward_init_resident_memory_bytes 1048576\n"));
	/* Too small a buffer: nothing, never a cut text. */
	assert_int_equal(metrics_render(&st, &hs, 3500000000u, out, 200), 0);
	/* Without a server sample, no server process families. */
	memset(&st.server, 0, sizeof(st.server));
	n = metrics_render(&st, &hs, 3500000000u, out, sizeof(out));
	assert_true(n > 0);
	assert_null(strstr(out, "ward_server_threads"));
	/* A state page with counts past its tables (the helper did not write
	 * it) renders within bounds, names cut at their slot. */
	st.nexec = 1u << 30;
	st.nmodels = 1u << 30;
	memset(st.exec[0].name, 'x', sizeof(st.exec[0].name));
	n = metrics_render(&st, &hs, 3500000000u, out, sizeof(out));
	assert_true(n > 0);
	assert_non_null(strstr(out, "binary=\"xxxxxxxx"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_stat),
		cmocka_unit_test(test_parse_io),
		cmocka_unit_test(test_read_self),
		cmocka_unit_test(test_render),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
