/* test_check.c: the Prometheus text parser (vectors from the exposition
 * format 0.0.4 description), the probe lines, the audit's command rules,
 * the matrix outputs, the report's escaping and the build log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check/check_internal.h"
#include "release/release.h"
#include "report/report.h"

static int
parse(const char *text, struct check_samples *s)
{
	return check_metrics_parse(text, strlen(text), "m", s);
}

static void
test_metrics_valid(void **state)
{
	struct check_samples s;
	size_t found;

	(void)state;
	/* the example of the format description, with escapes and specials */
	assert_int_equal(
		parse("# HELP http_requests_total The total number of HTTP requests.\n"
		      "# TYPE http_requests_total counter\n"
		      "http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n"
		      "http_requests_total{method=\"post\",code=\"400\"}    3 1395066363000\n"
		      "\n"
		      "# Escaping in label values:\n"
		      "msdos_file_access_time_seconds{path=\"C:\\\\DIR\\\\FILE.TXT\","
		      "error=\"Cannot find file:\\n\\\"FILE.TXT\\\"\"} 1.458255915e9\n"
		      "metric_without_timestamp_and_labels 12.47\n"
		      "something_weird{problem=\"division by zero\"} +Inf -3982045\n"
		      "# TYPE g gauge\ng NaN\ng{a=\"b\",} -Inf\r\n",
		      &s),
		0);
	assert_int_equal(s.n, 7);
	assert_int_equal(s.families, 2);
	assert_string_equal(s.v[0].name, "http_requests_total");
	assert_string_equal(s.v[0].labels, "method=\"post\",code=\"200\"");
	assert_true(s.v[0].value == 1027);
	assert_true(check_metric_sum(&s, "http_requests_total", NULL, &found) == 1030);
	assert_int_equal(found, 2);
	assert_true(check_metric_sum(&s, "http_requests_total", "code=\"400\"", &found) == 3);
	assert_int_equal(found, 1);
	assert_true(check_metric_sum(&s, "nothing", NULL, &found) == 0);
	assert_int_equal(found, 0);
	check_samples_free(&s);
	check_samples_free(&s); /* twice is fine */
}

static void
test_metrics_invalid(void **state)
{
	static const char *const bad[] = {
		"x{a=\"1} 2\n",		  /* unterminated value */
		"x{a=1} 2\n",		  /* unquoted */
		"x{1a=\"1\"} 2\n",	  /* label name */
		"x{a=\"\\q\"} 2\n",	  /* escape */
		"x\n",			  /* no value */
		"x 1 2 3\n",		  /* trailing text */
		"x one\n",		  /* value */
		"x 1 1.5\n",		  /* timestamp not an integer */
		"1x 1\n",		  /* name */
		"# TYPE x histogramm\n",  /* type */
		"# TYPE 9x counter\n",	  /* bad name */
		"x{a=\"1\" b=\"2\"} 1\n", /* separator */
	};
	struct check_samples s;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		ward_err_clear();
		assert_int_equal(check_metrics_parse(bad[i], strlen(bad[i]), "m", &s), -1);
		assert_int_equal(ward_errkind(), WARD_EINPUT);
		assert_non_null(strstr(ward_errmsg(), "m:1:"));
	}
	assert_int_equal(check_metrics_parse("a 1\nb\0 2\n", 9, "m", &s), -1);
	assert_non_null(strstr(ward_errmsg(), "m:2:"));
	/* a comment that is not HELP/TYPE is anything */
	assert_int_equal(parse("# whatever { \" \n#\n", &s), 0);
	assert_int_equal(s.n, 0);
	check_samples_free(&s);
}

static void
test_probe_lines(void **state)
{
	const char *text =
		"hello\nWARDPROBE exec-shell blocked EPERM\nWARDPROBE write-model-0 open -\n"
		"noise WARDPROBE x y z\nWARDPROBE done blocked -";
	json_t *a = NULL;

	(void)state;
	assert_int_equal(check_probe_parse(text, strlen(text), &a), 0);
	assert_int_equal(json_array_size(a), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(a, 0), "errno")),
			    "EPERM");
	assert_string_equal(json_string_value(json_object_get(json_array_get(a, 1), "result")),
			    "open");
	json_decref(a);
	assert_int_equal(check_probe_parse("WARDPROBE a maybe x\n", 20, &a), -1);
	assert_int_equal(check_probe_parse("WARDPROBE a blocked\n", 20, &a), -1);
	assert_int_equal(check_probe_parse("WARDPROBE a<b blocked x\n", 24, &a), -1);
	assert_int_equal(check_probe_parse("WARDPROBE a blocked x y\n", 24, &a), -1);
	assert_int_equal(ward_errkind(), WARD_EINPUT);
}

static void
test_command_rules(void **state)
{
	(void)state;
	assert_string_equal(audit_command_category("usr/bin/bash"), "shell");
	assert_string_equal(audit_command_category("bin/sh"), "shell");
	assert_string_equal(audit_command_category("usr/bin/apt-get"), "package manager");
	assert_string_equal(audit_command_category("usr/bin/dpkg"), "package manager");
	assert_string_equal(audit_command_category("usr/bin/gcc-12"), "compiler");
	assert_string_equal(audit_command_category("usr/bin/gdb"), "debugger");
	assert_string_equal(audit_command_category("usr/bin/curl"), "network tool");
	assert_string_equal(audit_command_category("usr/local/bin/nc.openbsd"), "network tool");
	assert_null(audit_command_category("usr/bin/ld.so")); /* the loader */
	assert_null(audit_command_category("usr/bin/python3.11"));
	assert_null(audit_command_category("usr/lib/curl/sh")); /* not a bin directory */
	assert_null(audit_command_category("usr/share/doc/bash"));
	assert_int_equal(check_secret_name("home/u/.ssh/id_ed25519"), 1);
	assert_int_equal(check_secret_name("srv/app/.env"), 1);
	assert_int_equal(check_secret_name("root/.aws/credentials"), 1);
	assert_int_equal(check_secret_name("usr/share/doc/x/README"), 0);
}

static void
test_matrix_outputs(void **state)
{
	struct check_matrix m = {0};
	const struct check_def *d;
	size_t n, groups[3] = {0};
	json_t *j;
	char *x;

	(void)state;
	d = check_defs(&n);
	assert_true(n >= 40);
	for (size_t i = 0; i < n; i++) {
		groups[d[i].group]++;
		for (size_t k = i + 1; k < n; k++)
			assert_string_not_equal(d[i].id, d[k].id);
		assert_true(ward_str_startswith(d[i].id, check_group_name(d[i].group)));
	}
	assert_true(groups[0] && groups[1] && groups[2]);
	assert_int_equal(check_matrix_init(&m), 0);
	m.image = strdup("img<1>&\"x\"");
	check_set(&m, "security.no-shell", CHECK_FAIL, "found </bin/sh> & \x01 more");
	check_set(&m, "performance.startup-time", CHECK_PASS, "fast");
	check_value(&m, "performance.startup-time", 12.5, "ms");
	check_skip_rest(&m, "function.", "why");
	check_matrix_finish(&m);
	assert_int_equal(m.counts[CHECK_FAIL], 1);
	assert_int_equal(m.required_failed, 1);
	assert_int_equal(m.counts[CHECK_PASS], 1);
	assert_int_equal(m.counts[CHECK_SKIP], n - 2);
	x = check_matrix_junit(&m);
	assert_non_null(x);
	assert_non_null(strstr(x, "found &lt;/bin/sh&gt; &amp; ? more"));
	assert_non_null(strstr(x, "value=\"img&lt;1&gt;&amp;&quot;x&quot;\""));
	assert_null(strstr(x, "</bin/sh>"));
	free(x);
	j = check_matrix_json(&m);
	assert_false(json_is_true(json_object_get(j, "passed")));
	assert_int_equal(json_array_size(json_object_get(j, "checks")), n);
	json_decref(j);
	check_matrix_free(&m);
}

static void
test_report_escaping(void **state)
{
	json_t *m = json_pack(
		"{s:s,s:s,s:{s:s},s:i,s:[{s:s,s:s,s:i,s:s,s:[s]}],s:[{s:s,s:i}],s:{s:s}}", "kind",
		"audit<script>", "title", "<img src=x onerror=y>", "subject", "target", "'\"&<>",
		"score", 77, "findings", "id", "a</td>", "severity", "high\" x=\"", "penalty", 9,
		"explanation", "<b>", "evidence", "<script>", "licenses", "license",
		"</text><script>", "count", 3, "signatures", "status", "<i>");
	struct ward_buf b = {0};
	char *h;

	(void)state;
	h = report_render(m);
	assert_non_null(h);
	assert_null(strstr(h, "<script"));
	assert_null(strstr(h, "<img"));
	assert_null(strstr(h, "<b>"));
	assert_null(strstr(h, "<i>"));
	assert_null(strstr(h, "\" x=\""));
	assert_non_null(strstr(h, "id=\"score\">77<"));
	free(h);
	json_decref(m);
	/* anything at all renders */
	m = json_pack("{s:i,s:s,s:[i],s:{s:[i]}}", "title", 5, "score", "x", "findings", 1, "vulns",
		      "rows", 2);
	h = report_render(m);
	assert_non_null(h);
	free(h);
	json_decref(m);
	assert_int_equal(report_html_escape(&b, "a&b<'>\""), 0);
	assert_string_equal(ward_buf_cstr(&b), "a&amp;b&lt;&#39;&gt;&quot;");
	ward_buf_free(&b);
}

static void
test_build_log(void **state)
{
	struct release_log log = {0};
	char *t, *j;

	(void)state;
	assert_int_equal(release_log_step(&log, "build", ward_now_ns(), 1,
					  json_pack("{s:s}", "ward.yaml", "sha256:ab"), NULL, NULL),
			 0);
	assert_int_equal(release_log_step(&log, "sign", ward_now_ns(), 0, NULL,
					  json_pack("{s:s}", "sig", "sha256:cd"), "why"),
			 0);
	j = release_log_jsonl(&log);
	t = release_log_text(&log);
	assert_non_null(strstr(j, "{\"step\":\"build\""));
	assert_non_null(strstr(j, "\"result\":\"failed\""));
	assert_int_equal(strchr(strchr(j, '\n') + 1, '\n')[1], '\0');
	assert_non_null(strstr(t, "in   ward.yaml sha256:ab"));
	assert_non_null(strstr(t, "out  sig sha256:cd"));
	free(j);
	free(t);
	release_log_free(&log);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metrics_valid),  cmocka_unit_test(test_metrics_invalid),
		cmocka_unit_test(test_probe_lines),    cmocka_unit_test(test_command_rules),
		cmocka_unit_test(test_matrix_outputs), cmocka_unit_test(test_report_escaping),
		cmocka_unit_test(test_build_log),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
