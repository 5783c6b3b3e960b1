/* test_init_policy.c: ward-init's policy parser accepts exactly the
 * documented schema, fills in the defaults, and names what is wrong. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"

static int
parse(const char *json, struct policy *p)
{
	return policy_parse(json, strlen(json), "test.json", p);
}

static void
test_defaults_round_trip(void **state)
{
	struct policy d, p;
	json_t *a, *b;

	(void)state;
	assert_int_equal(policy_defaults(&d), 0);
	assert_int_equal(d.uid, 65532);
	assert_int_equal(d.writable.n, 1);
	assert_string_equal(d.writable.v[0], "/tmp");
	assert_string_equal(d.metrics, "127.0.0.1:9090");
	assert_int_equal(d.exec_allow.n, 0);
	assert_int_equal(d.ro_root, POLICY_WARN);
	/* Secure by default: models on read-only mounts, Landlock required, no
	 * TCP bind or connect, no UDP/unix/netlink sockets, SIGKILL 10 s after
	 * SIGTERM, the server's output off ward-init's log stream. */
	assert_int_equal(d.ro_models, POLICY_REFUSE);
	assert_true(d.landlock_required);
	assert_true(d.tcp_bind.restricted);
	assert_int_equal(d.tcp_bind.n, 0);
	assert_true(d.tcp_connect.restricted);
	assert_int_equal(d.tcp_connect.n, 0);
	assert_false(d.net_udp || d.net_unix || d.net_netlink);
	assert_int_equal(d.stop_timeout, 10);
	assert_int_equal(d.verify_timeout, 600);
	assert_false(d.deny_write_execute);
	assert_int_equal(d.server_output, OUTPUT_STDOUT);
	/* The minimal document means the defaults; printing and re-reading
	 * the result changes nothing. */
	assert_int_equal(parse("{\"version\":1}", &p), 0);
	a = policy_to_json(&d);
	b = policy_to_json(&p);
	assert_true(json_equal(a, b));
	char *text = ward_json_dump(a, 1);
	policy_free(&p);
	assert_int_equal(policy_parse(text, strlen(text), "again", &p), 0);
	json_decref(b);
	b = policy_to_json(&p);
	assert_true(json_equal(a, b));
	free(text);
	json_decref(a);
	json_decref(b);
	policy_free(&p);
	policy_free(&d);
}

static void
test_full_policy(void **state)
{
	static const char doc[] =
		"{\"version\":1,\"uid\":1000,\"gid\":1001,\"keys_dir\":\"/etc/ward/keys\","
		"\"models\":[{\"path\":\"/models/"
		"llm\",\"key\":\"model.pub\",\"ignore\":[\"README.md\"]},"
		"{\"path\":\"/models/w.gguf\",\"signature\":\"/ward/w.sig\",\"cert_chain\":\"ca/"
		"root.pem\","
		"\"ignore_unsigned\":true}],"
		"\"verify_threads\":4,\"writable\":[\"/var/cache\",\"/tmp\",\"/tmp\"],"
		"\"exec\":{\"allow\":[\"/usr/bin/python3.11\"]},"
		"\"read_only\":{\"root\":\"refuse\",\"models\":\"warn\"},"
		"\"landlock\":{\"required\":true,\"tcp_bind\":[8080,80],\"tcp_connect\":[]},"
		"\"metrics\":{\"address\":\"[::1]:9100\"},\"signals\":{\"forward\":\"process\"},"
		"\"network\":{\"udp\":true,\"netlink\":true},\"stop_timeout\":3,"
		"\"verify_timeout\":60,\"memory\":{\"deny_write_execute\":true},"
		"\"server_output\":\"inherit\","
		"\"dumpable\":\"refuse\",\"log_level\":\"debug\"}";
	struct policy p;

	(void)state;
	assert_int_equal(parse(doc, &p), 0);
	assert_int_equal(p.uid, 1000);
	assert_int_equal(p.gid, 1001);
	assert_int_equal(p.nmodels, 2);
	assert_string_equal(p.models[0].signature, "/models/llm/model.sig");
	assert_string_equal(p.models[0].key, "/etc/ward/keys/model.pub");
	assert_null(p.models[0].cert_chain);
	assert_int_equal(p.models[0].ignore.n, 1);
	assert_string_equal(p.models[1].signature, "/ward/w.sig");
	assert_string_equal(p.models[1].cert_chain, "/etc/ward/keys/ca/root.pem");
	assert_true(p.models[1].ignore_unsigned);
	assert_int_equal(p.verify_threads, 4);
	/* Sorted, duplicates dropped. */
	assert_int_equal(p.writable.n, 2);
	assert_string_equal(p.writable.v[0], "/tmp");
	assert_string_equal(p.writable.v[1], "/var/cache");
	assert_int_equal(p.exec_allow.n, 1);
	assert_int_equal(p.ro_root, POLICY_REFUSE);
	assert_int_equal(p.ro_models, POLICY_WARN);
	assert_true(p.landlock_required);
	assert_true(p.tcp_bind.restricted);
	assert_int_equal(p.tcp_bind.n, 2);
	assert_int_equal(p.tcp_bind.port[0], 80);
	assert_true(p.tcp_connect.restricted);
	assert_int_equal(p.tcp_connect.n, 0);
	assert_string_equal(p.metrics, "[::1]:9100");
	assert_int_equal(p.forward, FORWARD_PROCESS);
	assert_int_equal(p.dumpable, POLICY_REFUSE);
	assert_int_equal(p.log_level, WARD_LOG_DEBUG);
	assert_true(p.net_udp && p.net_netlink && !p.net_unix);
	assert_int_equal(p.stop_timeout, 3);
	assert_int_equal(p.verify_timeout, 60);
	assert_true(p.deny_write_execute);
	assert_int_equal(p.server_output, OUTPUT_INHERIT);
	/* Keys come back relative to keys_dir. */
	json_t *j = policy_to_json(&p);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(json_object_get(j, "models"), 0), "key")),
			    "model.pub");
	json_decref(j);
	policy_free(&p);

	assert_int_equal(parse("{\"version\":1,\"metrics\":null}", &p), 0);
	assert_null(p.metrics);
	policy_free(&p);
}

static void
expect_error(const char *doc, const char *needle)
{
	struct policy p;

	assert_int_equal(parse(doc, &p), -1);
	assert_int_equal(ward_errkind(), WARD_EINPUT);
	if (strstr(ward_errmsg(), needle) == NULL)
		fail_msg("error \"%s\" lacks \"%s\" for %s", ward_errmsg(), needle, doc);
	assert_non_null(strstr(ward_errmsg(), "test.json"));
	policy_free(&p);
}

static void
test_errors(void **state)
{
	(void)state;
	expect_error("", "invalid JSON");
	expect_error("[]", "not a JSON object");
	expect_error("{}", "\"version\"");
	expect_error("{\"version\":2}", "version");
	expect_error("{\"version\":1,\"version\":1}", "duplicate");
	expect_error("{\"version\":1,\"writeable\":[]}", "unknown field \"writeable\"");
	expect_error("{\"version\":1,\"uid\":-1}", "uid");
	expect_error("{\"version\":1,\"uid\":\"0\"}", "uid is not an integer");
	expect_error("{\"version\":1,\"writable\":[\"tmp\"]}", "clean absolute path");
	expect_error("{\"version\":1,\"writable\":[\"/tmp/../etc\"]}", "clean absolute path");
	expect_error("{\"version\":1,\"writable\":[\"/tmp//x\"]}", "clean absolute path");
	expect_error("{\"version\":1,\"writable\":[\"/a\\u0000b\"]}", "");
	expect_error("{\"version\":1,\"exec\":{\"allow\":[\"python3\"]}}", "exec.allow");
	expect_error("{\"version\":1,\"exec\":{\"deny\":[]}}", "unknown field \"deny\"");
	expect_error("{\"version\":1,\"models\":[{\"key\":\"k.pub\"}]}", "no \"path\"");
	expect_error("{\"version\":1,\"models\":[{\"path\":\"/m\"}]}", "exactly one");
	expect_error(
		"{\"version\":1,\"models\":[{\"path\":\"/m\",\"key\":\"a\",\"cert_chain\":\"b\"}]}",
		"exactly one");
	expect_error("{\"version\":1,\"models\":[{\"path\":\"/m\",\"key\":\"../etc/k\"}]}",
		     "relative to keys_dir");
	expect_error("{\"version\":1,\"models\":[{\"path\":\"/m\",\"key\":\"/abs/k\"}]}",
		     "relative to keys_dir");
	expect_error("{\"version\":1,\"models\":[{\"path\":\"/m\",\"key\":\"k\"},"
		     "{\"path\":\"/m\",\"key\":\"k\"}]}",
		     "listed twice");
	expect_error(
		"{\"version\":1,\"models\":[{\"path\":\"/m\",\"key\":\"k\",\"ignore\":[\"/x\"]}]}",
		"ignore");
	expect_error("{\"version\":1,\"landlock\":{\"tcp_bind\":[70000]}}", "out of range");
	expect_error("{\"version\":1,\"network\":{\"udp\":1}}", "network.udp is not a boolean");
	expect_error("{\"version\":1,\"network\":{\"sctp\":true}}", "unknown field \"sctp\"");
	expect_error("{\"version\":1,\"stop_timeout\":-1}", "stop_timeout");
	expect_error("{\"version\":1,\"verify_timeout\":0}", "verify_timeout");
	expect_error("{\"version\":1,\"memory\":{\"deny_write_execute\":\"yes\"}}",
		     "memory.deny_write_execute");
	expect_error("{\"version\":1,\"server_output\":\"stderr\"}", "server_output");
	expect_error("{\"version\":1,\"landlock\":{\"tcp_bind\":[80,80]}}", "twice");
	expect_error("{\"version\":1,\"landlock\":{\"tcp_bind\":8080}}", "tcp_bind");
	expect_error("{\"version\":1,\"landlock\":{\"required\":1}}", "boolean");
	expect_error("{\"version\":1,\"metrics\":{\"address\":\"localhost:9090\"}}", "IPv4");
	expect_error("{\"version\":1,\"metrics\":{\"address\":\"127.0.0.1\"}}", "metrics.address");
	expect_error("{\"version\":1,\"metrics\":{\"address\":\"127.0.0.1:0\"}}", "port");
	expect_error("{\"version\":1,\"read_only\":{\"root\":\"landlock\"}}", "read_only.root");
	expect_error("{\"version\":1,\"dumpable\":\"ignore\"}", "dumpable");
	expect_error("{\"version\":1,\"signals\":{\"forward\":\"all\"}}", "signals.forward");
	expect_error("{\"version\":1,\"log_level\":\"trace\"}", "log_level");
	expect_error("{\"version\":1,\"verify_threads\":1000}", "verify_threads");
}

static void
test_too_many(void **state)
{
	struct ward_buf b = {0};
	struct policy p;

	(void)state;
	ward_buf_puts(&b, "{\"version\":1,\"writable\":[");
	for (int i = 0; i <= POLICY_MAX_PATHS; i++)
		ward_buf_printf(&b, "%s\"/p%d\"", i ? "," : "", i);
	ward_buf_puts(&b, "]}");
	assert_int_equal(policy_parse(b.data, b.len, "test.json", &p), -1);
	assert_non_null(strstr(ward_errmsg(), "more than"));
	policy_free(&p);
	ward_buf_free(&b);
}

static void
test_addresses(void **state)
{
	unsigned char sa[64];
	unsigned len;
	struct sockaddr_in *a4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)sa;
	char text[64];

	(void)state;
	len = sizeof(sa);
	assert_int_equal(policy_parse_addr("127.0.0.1:9090", sa, &len), 0);
	assert_int_equal(len, sizeof(*a4));
	assert_int_equal(a4->sin_family, AF_INET);
	assert_int_equal(ntohs(a4->sin_port), 9090);
	inet_ntop(AF_INET, &a4->sin_addr, text, sizeof(text));
	assert_string_equal(text, "127.0.0.1");
	len = sizeof(sa);
	assert_int_equal(policy_parse_addr(":80", sa, &len), 0);
	assert_int_equal(a4->sin_addr.s_addr, htonl(INADDR_ANY));
	len = sizeof(sa);
	assert_int_equal(policy_parse_addr("[::1]:65535", sa, &len), 0);
	assert_int_equal(a6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(a6->sin6_port), 65535);
	assert_true(IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr));
	const char *bad[] = {
		"",	      ":",	     "1.2.3.4",	       "1.2.3.4:", "1.2.3.4:65536",
		"1.2.3.4:-1", "1.2.3.4:80x", "::1:80",	       "[::1]80",  "[]:80",
		"[zz]:80",    "1.2.3:80",    "1.2.3.4:000080", NULL};
	for (int i = 0; bad[i] != NULL; i++) {
		len = sizeof(sa);
		if (policy_parse_addr(bad[i], sa, &len) == 0)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	len = 4; /* too small a buffer is refused, not overrun */
	assert_int_equal(policy_parse_addr("127.0.0.1:1", sa, &len), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_round_trip),
		cmocka_unit_test(test_full_policy),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_too_many),
		cmocka_unit_test(test_addresses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
