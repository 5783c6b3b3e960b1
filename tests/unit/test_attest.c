/* test_attest.c: in-toto statements, cosign payloads, SLSA provenance,
 * registry references.  Expected values come from the specifications. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "attest/attest.h"
#include "registry/registry_internal.h"

#define HEX_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEX_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static void
test_predicate_types(void **state)
{
	(void)state;
	assert_string_equal(attest_predicate_type("cyclonedx"), "https://cyclonedx.org/bom");
	assert_string_equal(attest_predicate_type("spdx"), "https://spdx.dev/Document");
	assert_string_equal(attest_predicate_type("spdxjson"), "https://spdx.dev/Document");
	assert_string_equal(attest_predicate_type("slsaprovenance1"),
			    "https://slsa.dev/provenance/v1");
	assert_string_equal(attest_predicate_type("provenance"), "https://slsa.dev/provenance/v1");
	assert_string_equal(attest_predicate_type("openvex"), "https://openvex.dev/ns");
	assert_string_equal(attest_predicate_type("https://example.org/p/v1"),
			    "https://example.org/p/v1");
	assert_null(attest_predicate_type("nonsense"));
	assert_int_equal(ward_errkind(), WARD_EINPUT);
	assert_null(attest_predicate_type("https://"));
	assert_null(attest_predicate_type("https://a b"));
	assert_string_equal(attest_predicate_name("https://slsa.dev/provenance/v1"), "provenance");
	assert_string_equal(attest_predicate_name("https://x.example/y"), "https://x.example/y");
}

static void
test_statement_roundtrip(void **state)
{
	json_t *pred = json_pack("{s:i}", "n", 1), *st;
	struct intoto in;
	char *s;

	(void)state;
	st = intoto_statement("repo/app", HEX_A, "https://example.org/p", pred);
	assert_non_null(st);
	s = ward_json_dump(st, 0);
	assert_string_equal(s,
			    "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":"
			    "\"repo/app\",\"digest\":{\"sha256\":\"" HEX_A "\"}}],"
			    "\"predicateType\":\"https://example.org/p\",\"predicate\":{\"n\":1}}");
	assert_int_equal(intoto_parse(s, strlen(s), "t", &in), 0);
	assert_true(intoto_has_subject(&in, HEX_A));
	assert_false(intoto_has_subject(&in, HEX_B));
	assert_string_equal(in.predicate_type, "https://example.org/p");
	intoto_free(&in);
	free(s);
	json_decref(st);
	json_decref(pred);
}

static void
expect_bad_statement(const char *s, int kind)
{
	struct intoto in;

	assert_int_equal(intoto_parse(s, strlen(s), "t", &in), -1);
	assert_int_equal(ward_errkind(), kind);
}

static void
test_statement_strict(void **state)
{
	struct intoto in;
	const char *v01 = "{\"_type\":\"https://in-toto.io/Statement/v0.1\",\"subject\":[{\"name\":"
			  "\"x\",\"digest\":{\"sha256\":\"" HEX_A "\"}}],\"predicateType\":"
			  "\"https://p.example/x\",\"predicate\":{}}";

	(void)state;
	assert_int_equal(intoto_parse(v01, strlen(v01), "t", &in), 0);
	intoto_free(&in);
	/* an unknown top-level field, a missing or empty subject list, digests
	 * that are not lowercase hex, a predicate that is not an object */
	expect_bad_statement("{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{"
			     "\"digest\":{\"sha256\":\"" HEX_A "\"}}],\"predicateType\":\"https:/"
			     "/p.example/x\",\"predicate\":{},\"extra\":1}",
			     WARD_EINPUT);
	expect_bad_statement("{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[],"
			     "\"predicateType\":\"https://p.example/x\",\"predicate\":{}}",
			     WARD_EINPUT);
	expect_bad_statement("{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{"
			     "\"digest\":{\"sha256\":\"AA\"}}],\"predicateType\":\"https://p.ex"
			     "ample/x\",\"predicate\":{}}",
			     WARD_EINPUT);
	expect_bad_statement("{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{"
			     "\"digest\":{\"sha512\":\"" HEX_A "\"}}],\"predicateType\":\"https:/"
			     "/p.example/x\",\"predicate\":{}}",
			     WARD_EINPUT);
	expect_bad_statement("{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{"
			     "\"digest\":{\"sha256\":\"" HEX_A "\"}}],\"predicateType\":\"https:/"
			     "/p.example/x\",\"predicate\":[]}",
			     WARD_EINPUT);
	expect_bad_statement("{\"_type\":\"https://example.org/Statement\",\"subject\":[{"
			     "\"digest\":{\"sha256\":\"" HEX_A "\"}}],\"predicateType\":\"https:/"
			     "/p.example/x\",\"predicate\":{}}",
			     WARD_EINPUT);
}

static void
test_cosign_payload(void **state)
{
	struct cosign_claim c;
	json_t *opt = json_pack("{s:s}", "a", "b");
	char *p;

	(void)state;
	/* FORMATS.md: compact, this field order */
	p = cosign_payload("registry.example/app", "sha256:" HEX_A, NULL);
	assert_string_equal(p,
			    "{\"critical\":{\"identity\":{\"docker-reference\":\"registry.example/"
			    "app\"},\"image\":{\"docker-manifest-digest\":\"sha256:" HEX_A "\"},"
			    "\"type\":\"cosign container image signature\"},\"optional\":null}");
	assert_int_equal(cosign_payload_parse(p, strlen(p), "t", &c), 0);
	assert_string_equal(c.digest, "sha256:" HEX_A);
	assert_string_equal(c.docker_reference, "registry.example/app");
	assert_null(c.optional);
	cosign_claim_free(&c);
	free(p);
	p = cosign_payload("r", "sha256:" HEX_B, opt);
	assert_int_equal(cosign_payload_parse(p, strlen(p), "t", &c), 0);
	assert_string_equal(ward_json_str(c.optional, "a"), "b");
	cosign_claim_free(&c);
	free(p);
	json_decref(opt);
	p = "{\"critical\":{\"identity\":{\"docker-reference\":\"r\"},\"image\":{\"docker-manifest-"
	    "digest\":\"sha256:" HEX_A "\"},\"type\":\"cosign container image signature\","
	    "\"extra\":1},\"optional\":null}";
	assert_int_equal(cosign_payload_parse(p, strlen(p), "t", &c), -1);
	p = "{\"critical\":{\"identity\":{\"docker-reference\":\"r\"},\"image\":{\"docker-manifest-"
	    "digest\":\"sha256:" HEX_A "\"},\"type\":\"something else\"},\"optional\":null}";
	assert_int_equal(cosign_payload_parse(p, strlen(p), "t", &c), -1);
	p = "{\"critical\":{\"identity\":{\"docker-reference\":\"r\"},\"image\":{\"docker-manifest-"
	    "digest\":\"sha256:abc\"},\"type\":\"cosign container image signature\"},"
	    "\"optional\":null}";
	assert_int_equal(cosign_payload_parse(p, strlen(p), "t", &c), -1);
}

static const char spec[] = "name: app\npackages: [hello]\n";

static struct slsa_params
params(const struct slsa_dependency *lock, size_t n)
{
	struct slsa_params p = {.spec_path = "ward.yaml",
				.spec = spec,
				.spec_len = sizeof(spec) - 1,
				.lock_entries = lock,
				.nlock = n,
				.started_on = -1,
				.finished_on = -1};
	return p;
}

static void
test_provenance(void **state)
{
	struct slsa_dependency a[2] = {
		{.kind = "deb",
		 .name = "hello",
		 .version = "1.0",
		 .uri = "pkg:deb/debian/hello@1.0",
		 .sha256 = HEX_A},
		{.kind = "deb", .name = "world", .version = "2.0", .sha256 = HEX_B},
	};
	struct slsa_dependency b[2] = {a[1], a[0]};
	struct slsa_params p1 = params(a, 2), p2 = params(b, 2);
	json_t *j1, *j2, *deps, *meta;
	char *s1, *s2, hex[SHA256_HEX_LEN + 1];
	const char *inv;

	(void)state;
	setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
	unsetenv("WARD_BUILDER_ID");
	j1 = slsa_provenance(&p1);
	j2 = slsa_provenance(&p2);
	assert_non_null(j1);
	assert_non_null(j2);
	s1 = ward_json_dump(j1, 0);
	s2 = ward_json_dump(j2, 0);
	assert_string_equal(s1, s2); /* the order of the lock entries does not matter */
	assert_int_equal(slsa_check_predicate(j1, "t"), 0);
	sha256_hex(spec, sizeof(spec) - 1, hex);
	assert_string_equal(
		ward_json_str(
			json_object_get(
				json_object_get(
					json_object_get(json_object_get(j1, "buildDefinition"),
							"externalParameters"),
					"spec"),
				"digest"),
			"sha256"),
		hex);
	deps = json_object_get(json_object_get(j1, "buildDefinition"), "resolvedDependencies");
	assert_int_equal(json_array_size(deps), 3); /* two lock entries and ward */
	assert_string_equal(ward_json_str(json_array_get(deps, 2), "name"), "ward");
	meta = json_object_get(json_object_get(j1, "runDetails"), "metadata");
	assert_string_equal(ward_json_str(meta, "startedOn"), "2023-11-14T22:13:20Z");
	assert_string_equal(ward_json_str(meta, "finishedOn"), "2023-11-14T22:13:20Z");
	inv = ward_json_str(meta, "invocationId");
	assert_true(ward_str_startswith(inv, "urn:uuid:") && strlen(inv) == 45 && inv[23] == '5');
	assert_string_equal(
		ward_json_str(json_object_get(json_object_get(j1, "runDetails"), "builder"), "id"),
		WARD_SLSA_BUILDER_ID);
	/* the lock check: equal, then a changed digest, version, a missing and an extra entry */
	assert_int_equal(slsa_check_lock(j1, a, 2, "t"), 0);
	b[0].sha256 = HEX_A;
	assert_int_equal(slsa_check_lock(j1, b, 2, "t"), -1);
	assert_int_equal(ward_errkind(), WARD_EVERIFY);
	b[0] = a[1];
	b[0].version = "2.1";
	assert_int_equal(slsa_check_lock(j1, b, 2, "t"), -1);
	assert_int_equal(slsa_check_lock(j1, a, 1, "t"), -1);
	assert_non_null(strstr(ward_errmsg(), "which the lock does not"));
	b[0] = a[1];
	b[1] = (struct slsa_dependency){.kind = "deb", .name = "third", .sha256 = HEX_A};
	assert_int_equal(slsa_check_lock(j1, b, 2, "t"), -1);
	assert_non_null(strstr(ward_errmsg(), "third"));
	/* a changed spec no longer matches its recorded digest */
	json_object_set_new(json_object_get(json_object_get(json_object_get(j1, "buildDefinition"),
							    "externalParameters"),
					    "spec"),
			    "content", json_string("name: other\n"));
	assert_int_equal(slsa_check_predicate(j1, "t"), -1);
	assert_int_equal(ward_errkind(), WARD_EVERIFY);
	setenv("WARD_BUILDER_ID", "https://ci.example/builder", 1);
	json_decref(j2);
	j2 = slsa_provenance(&p2);
	assert_string_equal(
		ward_json_str(json_object_get(json_object_get(j2, "runDetails"), "builder"), "id"),
		"https://ci.example/builder");
	unsetenv("WARD_BUILDER_ID");
	unsetenv("SOURCE_DATE_EPOCH");
	free(s1);
	free(s2);
	json_decref(j1);
	json_decref(j2);
}

static void
write_file(const char *path, const char *text)
{
	assert_int_equal(ward_file_write(path, text, strlen(text), 0644), 0);
}

static void
test_path_digest(void **state)
{
	char dir[] = "/tmp/ward-attest-test.XXXXXX", path[256], hex[SHA256_HEX_LEN + 1];
	char ha[SHA256_HEX_LEN + 1], hb[SHA256_HEX_LEN + 1], want[SHA256_HEX_LEN + 1];
	char listing[512];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/b.txt", dir);
	write_file(path, "bee\n");
	snprintf(path, sizeof(path), "%s/a", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/a/x", dir);
	write_file(path, "ex\n");
	/* sha256sum-style listing sorted by path: "a/x" before "b.txt" */
	sha256_hex("ex\n", 3, ha);
	sha256_hex("bee\n", 4, hb);
	snprintf(listing, sizeof(listing), "%s  a/x\n%s  b.txt\n", ha, hb);
	sha256_hex(listing, strlen(listing), want);
	assert_int_equal(attest_path_digest(dir, hex), 0);
	assert_string_equal(hex, want);
	assert_int_equal(attest_path_digest(path, hex), 0);
	assert_string_equal(hex, ha);
	snprintf(listing, sizeof(listing), "%s/link", dir);
	assert_int_equal(symlink("b.txt", listing), 0);
	assert_int_equal(attest_path_digest(dir, hex), -1); /* symlinks refused */
	ward_rm_rf(dir);
}

static void
test_registry_refs(void **state)
{
	struct reg_ref r;
	char out[128];

	(void)state;
	assert_int_equal(reg_ref_parse("127.0.0.1:5000/team/app:v1", &r), 0);
	assert_string_equal(r.registry, "127.0.0.1:5000");
	assert_string_equal(r.repository, "team/app");
	assert_string_equal(r.tag, "v1");
	assert_null(r.digest);
	assert_string_equal(reg_ref_reference(&r), "v1");
	reg_ref_free(&r);
	assert_int_equal(reg_ref_parse("localhost/app@sha256:" HEX_A, &r), 0);
	assert_string_equal(r.registry, "localhost");
	assert_string_equal(reg_ref_reference(&r), "sha256:" HEX_A);
	reg_ref_free(&r);
	assert_int_equal(reg_ref_parse("debian", &r), 0); /* Docker Hub's library/ */
	assert_string_equal(r.repository, "library/debian");
	assert_string_equal(reg_ref_reference(&r), "latest");
	reg_ref_free(&r);
	assert_int_equal(reg_ref_parse("host.example/App", &r), -1);
	assert_int_equal(reg_ref_parse("host.example/app:bad/tag", &r), -1);
	assert_int_equal(reg_ref_parse("host.example/app@sha256:abc", &r), -1);
	assert_int_equal(reg_ref_parse("host.example//app", &r), -1);

	reg_challenge_param("Bearer realm=\"https://auth.example/token\",service=\"reg\","
			    "scope=\"repository:a:pull,push repository:b:pull\"",
			    "scope", out, sizeof(out));
	assert_string_equal(out, "repository:a:pull,push repository:b:pull");
	reg_challenge_param("Bearer realm=\"https://auth.example/token\",service=reg", "service",
			    out, sizeof(out));
	assert_string_equal(out, "reg");
	reg_challenge_param("Basic realm=\"a\\\"b\"", "realm", out, sizeof(out));
	assert_string_equal(out, "a\"b");
	reg_challenge_param("Bearer realm=\"x\"", "scope", out, sizeof(out));
	assert_string_equal(out, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_predicate_types),	 cmocka_unit_test(test_statement_roundtrip),
		cmocka_unit_test(test_statement_strict), cmocka_unit_test(test_cosign_payload),
		cmocka_unit_test(test_provenance),	 cmocka_unit_test(test_path_digest),
		cmocka_unit_test(test_registry_refs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
