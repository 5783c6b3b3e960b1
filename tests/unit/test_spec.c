/* test_spec.c: the YAML loader (core) and the ward.yaml reader (build). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "build/build.h"

static struct ward_yaml_node *
load(const char *text)
{
	return ward_yaml_load(text, strlen(text), "t.yaml");
}

static void
test_yaml_tree(void **state)
{
	struct ward_yaml_node *r;
	const struct ward_yaml_node *n;
	long long i;
	int b;

	(void)state;
	r = load("a: 1\nlist:\n  - x\n  - 'y'\nmap: {k: true}\nempty:\n");
	assert_non_null(r);
	assert_int_equal(r->type, WARD_YAML_MAPPING);
	assert_int_equal(r->n, 4);
	n = ward_yaml_get(r, "a");
	assert_int_equal(ward_yaml_int(n, &i), 0);
	assert_int_equal(i, 1);
	assert_int_equal(n->line, 1);
	assert_int_equal(n->col, 4);
	n = ward_yaml_get(r, "list");
	assert_int_equal(n->type, WARD_YAML_SEQUENCE);
	assert_int_equal(n->n, 2);
	assert_string_equal(n->items[1]->str, "y");
	assert_false(n->items[1]->plain);
	assert_int_equal(n->items[1]->line, 4);
	assert_int_equal(n->items[1]->col, 5);
	n = ward_yaml_get(ward_yaml_get(r, "map"), "k");
	assert_int_equal(ward_yaml_bool(n, &b), 0);
	assert_true(b);
	assert_true(ward_yaml_is_null(ward_yaml_get(r, "empty")));
	assert_null(ward_yaml_str(ward_yaml_get(r, "empty")));
	assert_string_equal(ward_errmsg(), "t.yaml:6:7: expected a string, found nothing");
	assert_null(ward_yaml_get(r, "missing"));
	ward_yaml_free(r);

	r = load(""); /* an empty document is a null scalar */
	assert_non_null(r);
	assert_true(ward_yaml_is_null(r));
	ward_yaml_free(r);
}

static void
test_yaml_refusals(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{"a: 1\na: 2\n", "t.yaml:2:1: duplicate key \"a\""},
		/* with the keys indexed (sorted), still the first repeat in order */
		{"z: 1\nb: 2\nm: {x: 1, y: 2}\nz: 3\nb: 4\n", "t.yaml:4:1: duplicate key \"z\""},
		{"m:\n  k: 1\n  j: 2\n  k: 3\n", "t.yaml:4:3: duplicate key \"k\""},
		{"a: &x 1\nb: *x\n", "t.yaml:2:4: YAML aliases are not supported"},
		{"a: !!binary aGk=\n", "t.yaml:1:4: YAML tags are not supported"},
		{"a: 1\n---\nb: 2\n", "t.yaml:2:1: more than one YAML document"},
		{"? [a]\n: 1\n", "t.yaml:1:3: mapping keys must be plain strings"},
		{"a: [1, 2\n", "t.yaml:2:1: invalid YAML"},
		{"a:\tb\n  c: d\n", "t.yaml:"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ward_yaml_node *r = load(cases[i].text);
		if (r != NULL)
			fail_msg("accepted: %s", cases[i].text);
		assert_int_equal(ward_errkind(), WARD_EINPUT);
		if (strncmp(ward_errmsg(), cases[i].msg, strlen(cases[i].msg)) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s...\"", i, ward_errmsg(),
				 cases[i].msg);
	}
	/* Nesting deeper than 64 levels is refused, not a stack overflow. */
	{
		char deep[400];
		memset(deep, '[', 200);
		memset(deep + 200, ']', 199);
		deep[399] = '\0';
		assert_null(load(deep));
		assert_non_null(strstr(ward_errmsg(), "nested too deeply"));
	}
}

static int
parse(const char *text, struct build_spec *s)
{
	return build_spec_parse(text, strlen(text), "/specs/ward.yaml", s);
}

static void
test_spec_ok(void **state)
{
	struct build_spec s;
	struct deb_request req;

	(void)state;
	assert_int_equal(parse("name: torch-serve\n"
			       "version: 0.1.0\n"
			       "sources:\n"
			       "  - suites: [bookworm, bookworm-updates]\n"
			       "    mirror: http://mirror.invalid/debian\n"
			       "    keyring: keys/archive.gpg\n"
			       "  - suites: bookworm-security\n"
			       "    components: [main, contrib]\n"
			       "packages: [python3.11-minimal, libc6=2.36-9]\n"
			       "exclude:\n  - tzdata\n"
			       "allow: []\n",
			       &s),
			 0);
	assert_string_equal(s.name, "torch-serve");
	assert_string_equal(s.version, "0.1.0");
	assert_string_equal(s.architecture, "amd64"); /* the default */
	assert_string_equal(s.dir, "/specs");
	assert_int_equal(s.nsources, 2);
	assert_int_equal(s.sources[0].suites.n, 2);
	assert_string_equal(s.sources[0].components.v[0], "main"); /* the default */
	assert_string_equal(s.sources[0].keyring, "/specs/keys/archive.gpg");
	assert_string_equal(s.sources[0].mirror, "http://mirror.invalid/debian");
	assert_int_equal(s.sources[1].suites.n, 1);
	assert_string_equal(s.sources[1].components.v[1], "contrib");
	assert_null(s.sources[1].mirror);
	assert_int_equal(s.packages.n, 2);
	assert_string_equal(s.packages.v[1], "libc6=2.36-9");
	assert_string_equal(s.exclude.v[0], "tzdata");
	assert_int_equal(s.allow.n, 0);
	build_spec_request(&s, &req);
	assert_string_equal(req.arch, "amd64");
	assert_ptr_equal(req.packages, &s.packages);
	{
		char *lp = build_spec_lock_path(&s);
		assert_string_equal(lp, "/specs/ward.lock");
		free(lp);
	}
	build_spec_free(&s);
	build_spec_free(&s); /* freeing twice is harmless */
}

static void
test_spec_errors(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{"name: a\nsources: []\npackages: [x1]\nfilez: []\n",
		 "/specs/ward.yaml:4:1: unknown key \"filez\" (known: name, version, architecture, "
		 "sources, packages, exclude, allow, "},
		{"name: a\npackages: [x1]\n",
		 "/specs/ward.yaml:1:1: missing required key \"sources\""},
		{"name: a\nsources: {}\npackages: [x1]\n",
		 "/specs/ward.yaml:2:10: sources: expected a list of mappings, found a mapping"},
		{"name: a\nsources:\n  - mirror: http://m\npackages: [x1]\n",
		 "/specs/ward.yaml:3:5: missing required key \"suites\""},
		{"name: a\nsources:\n  - suites: [b]\n    mirrors: http://m\npackages: [x1]\n",
		 "/specs/ward.yaml:4:5: unknown key \"mirrors\""},
		{"name: a\nsources:\n  - suites: [b]\npackages: [x1, x1]\n",
		 "/specs/ward.yaml:4:16: packages: \"x1\" is listed twice"},
		{"name: a\nsources:\n  - suites: [b]\npackages: []\n",
		 "/specs/ward.yaml:4:11: packages: the list is empty"},
		{"name: a\nsources:\n  - suites: [b]\npackages: [x1=]\n",
		 "/specs/ward.yaml:4:12: "},
		{"name: a\nsources:\n  - suites: [../b]\npackages: [x1]\n",
		 "/specs/ward.yaml:3:14: \"../b\" is not a suite or component name"},
		{"name: Bad Name\nsources:\n  - suites: [b]\npackages: [x1]\n",
		 "/specs/ward.yaml:1:7: name \"Bad Name\""},
		{"name: a\nversion:\nsources:\n  - suites: [b]\npackages: [x1]\n",
		 "/specs/ward.yaml:2:9: version: a value is required"},
		{"- a\n- b\n", "/specs/ward.yaml:1:1: expected a mapping"},
		{"name: [a]\nsources: []\npackages: [x1]\n",
		 "/specs/ward.yaml:1:7: expected a string, found a list"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct build_spec s;
		if (parse(cases[i].text, &s) == 0) {
			build_spec_free(&s);
			fail_msg("accepted: %s", cases[i].text);
		}
		assert_int_equal(ward_errkind(), WARD_EINPUT);
		if (strncmp(ward_errmsg(), cases[i].msg, strlen(cases[i].msg)) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s...\"", i, ward_errmsg(),
				 cases[i].msg);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yaml_tree),
		cmocka_unit_test(test_yaml_refusals),
		cmocka_unit_test(test_spec_ok),
		cmocka_unit_test(test_spec_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
