/* test_deb.c: relations, policy, resolver, lock, sources, Release files,
 * decompression, ar and the cache (hand-written expectations). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <lz4frame.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "crypto/crypto.h"
#include "deb/deb.h"

/* ------------------------------------------------------------ relations */

/* Fields are indexed (sorted once): lookups are case-insensitive binary
 * searches, and a duplicate is still the first repeat in file order, with
 * its own line number after continuation lines. */
static void
test_control_index(void **state)
{
	static const char text[] = "Package: a\nDescription: x\n more\n more\nVersion: 1\n"
				   "\nPackage: b\nZ-Field: 1\nA-Field: 2\n";
	static const char dup[] = "Package: a\nZ: 1\nB: x\n y\nz: 2\nb: 3\n";
	struct deb_control c;

	(void)state;
	assert_int_equal(deb_control_parse(text, sizeof(text) - 1, "t", &c), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(deb_para_get(&c.paras[0], "version"), "1");
	assert_string_equal(deb_para_get(&c.paras[0], "DESCRIPTION"), "x\n more\n more");
	assert_null(deb_para_get(&c.paras[0], "Z-Field"));
	assert_string_equal(deb_para_get(&c.paras[1], "a-field"), "2");
	assert_string_equal(deb_para_get(&c.paras[1], "Z-FIELD"), "1");
	deb_control_free(&c);
	assert_int_equal(deb_control_parse(dup, sizeof(dup) - 1, "t", &c), -1);
	assert_string_equal(ward_errmsg(), "t:5: duplicate field \"z\"");
}

static void
test_relations(void **state)
{
	struct deb_relations r;
	struct ward_buf b = {0};

	(void)state;
	assert_int_equal(
		deb_relations_parse("libc6 (>= 2.34), python3:any (<< 3.12) | python3.11,\n"
				    " foo [amd64 arm64], bar [!amd64] <!nocheck>, old (< 1)",
				    "t", &r),
		0);
	assert_int_equal(r.n, 5);
	assert_string_equal(r.groups[0].alts[0].name, "libc6");
	assert_int_equal(r.groups[0].alts[0].op, DEB_REL_GE);
	assert_string_equal(r.groups[0].alts[0].version, "2.34");
	assert_int_equal(r.groups[1].n, 2);
	assert_string_equal(r.groups[1].alts[0].archq, "any");
	assert_int_equal(r.groups[1].alts[0].op, DEB_REL_LT);
	assert_null(r.groups[1].alts[1].version);
	assert_true(deb_rel_applies(&r.groups[2].alts[0], "arm64"));
	assert_false(deb_rel_applies(&r.groups[2].alts[0], "i386"));
	assert_false(deb_rel_applies(&r.groups[3].alts[0], "amd64"));
	assert_true(deb_rel_applies(&r.groups[3].alts[0], "arm64"));
	assert_int_equal(r.groups[4].alts[0].op, DEB_REL_LE); /* obsolete "<" means <= */
	assert_int_equal(deb_rel_group_format(&r.groups[1], &b), 0);
	assert_string_equal(ward_buf_cstr(&b), "python3:any (<< 3.12) | python3.11");
	b.len = 0;
	deb_rel_group_format(&r.groups[3], &b);
	assert_string_equal(ward_buf_cstr(&b), "bar [!amd64]");
	ward_buf_free(&b);
	deb_relations_free(&r);

	assert_int_equal(deb_relations_parse("aa, , bb,", "t", &r), 0); /* empty entries */
	assert_int_equal(r.n, 2);
	deb_relations_free(&r);
	assert_int_equal(deb_relations_parse(NULL, "t", &r), 0);
	assert_int_equal(r.n, 0);

	static const char *const bad[] = {
		"a (>= )",	    "a (~ 1)", "a | | b", "Upper",    "a (>= 1",
		"a [amd64 !arm64]", "a b",     "x",	  "a (= 1:)", "a:"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (deb_relations_parse(bad[i], "t", &r) == 0)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(ward_errkind(), WARD_EINPUT);
	}
	assert_true(deb_rel_holds(DEB_REL_LT, "1.0~rc1", "1.0"));
	assert_true(deb_rel_holds(DEB_REL_GE, "1:0.1", "9.9"));
	assert_false(deb_rel_holds(DEB_REL_GT, "1.0", "1.0"));
	assert_true(deb_rel_holds(DEB_REL_EQ, "1.0", "1.0"));
	assert_true(deb_rel_holds(DEB_REL_LE, "1.0", "1.0-0"));
	assert_true(deb_rel_holds(DEB_REL_NONE, "anything", NULL));
}

static void
test_policy(void **state)
{
	size_t n;
	const struct deb_forbidden *rules = deb_forbidden_rules(&n);

	(void)state;
	assert_true(n > 50);
	assert_int_equal(rules[0].kind, DEB_FORBID_PACKAGE);
	assert_string_equal(deb_forbidden_package("dash"), "shell");
	assert_string_equal(deb_forbidden_package("busybox"), "shell");
	assert_string_equal(deb_forbidden_package("dpkg"), "package manager");
	assert_string_equal(deb_forbidden_package("debconf"), "package manager");
	assert_string_equal(deb_forbidden_package("gcc-12"), "compiler");
	assert_string_equal(deb_forbidden_package("binutils-x86-64-linux-gnu"), "compiler");
	assert_string_equal(deb_forbidden_package("gdb"), "debugger");
	assert_null(deb_forbidden_package("gcc-12-base")); /* libgcc-s1 needs it */
	assert_null(deb_forbidden_package("libc6"));
	assert_null(deb_forbidden_package("python3.11-minimal"));
	assert_null(deb_forbidden_package("bash-completion"));
	assert_string_equal(deb_forbidden_file("/bin/sh"), "shell");
	assert_string_equal(deb_forbidden_file("/usr/bin/bash"), "shell");
	assert_string_equal(deb_forbidden_file("/usr/bin/apt-get"), "package manager");
	assert_string_equal(deb_forbidden_file("/usr/bin/dpkg-query"), "package manager");
	assert_string_equal(deb_forbidden_file("/usr/lib/gcc/x86_64-linux-gnu/12/cc1"), "compiler");
	assert_string_equal(deb_forbidden_file("/usr/bin/x86_64-linux-gnu-gcc-12"), "compiler");
	assert_null(deb_forbidden_file("/usr/bin/python3.11"));
	assert_null(deb_forbidden_file("/usr/lib/x86_64-linux-gnu/libc.so.6"));
	assert_null(deb_forbidden_file("/usr/share/doc/bash/copyright"));
}

/* ------------------------------------------------------------ resolver */

#define PKG(name, ver, extra)                                                                      \
	"Package: " name "\nVersion: " ver "\nArchitecture: amd64\n" extra "Filename: pool/" name  \
	"_" ver ".deb\nSize: 100\nSHA256: "                                                        \
	"0000000000000000000000000000000000000000000000000000000000000001\n\n"

static const char main_index[] = PKG(
	"app", "1.0",
	"Depends: libfoo (>= 2), libbar | libbaz, mta, dash, pyrt:any\n"
	"Pre-Depends: libc (>= 1)\n") PKG("libfoo", "1.0",
					  "") PKG("libfoo", "2.5",
						  "Source: foo (2.5-1)\n") PKG("libbaz", "1.0",
									       "Depends: libfoo "
									       "(<< 9)\nSource: "
									       "baz\n")
	PKG("mailer-a", "1.0", "Priority: optional\nProvides: mta\n") PKG(
		"mailer-b", "1.0",
		"Priority: standard\nProvides: mta\n") PKG("dash", "0.5",
							   "Essential: yes\n") PKG("pyrt", "3.11",
										   "Multi-Arch: "
										   "allowed\n")
		PKG("libc", "2.0", "Essential: yes\nPriority: required\n") PKG(
			"unrelated-essential", "1.0",
			"Essential: yes\nPriority: required\n") PKG("tool", "1.0",
								    "Depends: api (>= 2)\n")
			PKG("impl-old", "1.0", "Provides: api (= 1)\n") PKG(
				"impl-new", "1.0",
				"Provides: api (= 3)\n") PKG("noany", "1.0",
							     "") PKG("wants-any", "1.0",
								     "Depends: noany:any\n")
				PKG("aa", "1.0", "") PKG("bb", "1.0", "Conflicts: aa\n") PKG(
					"cc", "1.0", "Provides: thing\nConflicts: thing\n")
					PKG("dd", "1.0", "Breaks: thing\n") PKG(
						"chain1", "1.0",
						"Depends: chain2\n") PKG("chain2", "1.0",
									 "Depends: ghost (>= 1)\n")
						PKG("loop-a", "1.0", "Depends: loop-b\n") PKG(
							"loop-b", "1.0",
							"Depends: loop-a\n") "Package: "
									     "otherarch\nVersion: "
									     "1\nArchitecture: "
									     "arm64\nFilename: "
									     "pool/o.deb\nSize: 1\n"
									     "SHA256: "
									     "000000000000000000000"
									     "0000000000000000"
									     "000000000000000000000"
									     "000002\n";
static const char updates_index[] = PKG("libfoo", "3.0", "") PKG("libbaz", "1.0", "");

static struct deb_universe *
universe(void)
{
	struct deb_universe *u = deb_universe_new("amd64");
	struct deb_index a = {.suite = "main-suite", .component = "main", .arch = "amd64"};
	struct deb_index b = {.suite = "updates", .component = "main", .arch = "amd64"};

	assert_non_null(u);
	assert_int_equal(deb_universe_add(u, main_index, strlen(main_index), &a), 0);
	assert_int_equal(deb_universe_add(u, updates_index, strlen(updates_index), &b), 0);
	return u;
}

static int
resolve(struct deb_universe *u, const char *const *pkgs, size_t n, const char *excl,
	const char *allow, struct deb_lock *out)
{
	struct ward_strv p = {0}, e = {0}, a = {0};
	struct deb_request req = {.arch = "amd64", .packages = &p, .exclude = &e, .allow = &a};
	int rc;

	for (size_t i = 0; i < n; i++)
		ward_strv_push(&p, pkgs[i]);
	if (excl)
		ward_strv_push(&e, excl);
	if (allow)
		ward_strv_push(&a, allow);
	rc = deb_resolve(u, &req, out);
	ward_strv_free(&p);
	ward_strv_free(&e);
	ward_strv_free(&a);
	return rc;
}

static char *
names(const struct deb_lock *l)
{
	struct ward_buf b = {0};

	for (size_t i = 0; i < l->npkgs; i++)
		ward_buf_printf(&b, "%s%s=%s@%s", i ? " " : "", l->pkgs[i].name, l->pkgs[i].version,
				l->pkgs[i].suite);
	return ward_buf_steal(&b);
}

static void
test_resolve_closure(void **state)
{
	struct deb_universe *u = universe();
	static const char *const req[] = {"tool", "app"};
	struct deb_lock l;
	const struct deb_lock_pkg *p;
	char *s;

	(void)state;
	assert_int_equal(deb_universe_count(u), 25); /* the arm64 entry is left out */
	assert_int_equal(resolve(u, req, 2, NULL, NULL, &l), 0);
	s = names(&l);
	assert_string_equal(s, "app=1.0@main-suite impl-new=1.0@main-suite libbaz=1.0@main-suite "
			       "libc=2.0@main-suite libfoo=3.0@updates mailer-b=1.0@main-suite "
			       "pyrt=3.11@main-suite tool=1.0@main-suite");
	free(s);
	assert_int_equal(l.ncuts, 1);
	assert_string_equal(l.cuts[0].package, "app");
	assert_string_equal(l.cuts[0].field, "Depends");
	assert_string_equal(l.cuts[0].dependency, "dash");
	assert_string_equal(l.cuts[0].reason, "dash: shell (distroless policy)");
	p = deb_lock_find(&l, "libfoo");
	assert_non_null(p);
	assert_int_equal(p->required_by.n, 2);
	assert_string_equal(p->required_by.v[0], "app");
	assert_string_equal(p->required_by.v[1], "libbaz");
	assert_false(p->requested);
	assert_true(deb_lock_find(&l, "app")->requested);
	assert_string_equal(deb_lock_find(&l, "libbaz")->source, "baz");
	assert_string_equal(deb_lock_find(&l, "libbaz")->source_version, "1.0");
	assert_null(deb_lock_find(&l, "unrelated-essential"));
	assert_int_equal(l.nindices, 2);
	{
		struct ward_buf b = {0};
		deb_lock_chain(&l, "libfoo", &b);
		assert_string_equal(ward_buf_cstr(&b), "ward.yaml -> app -> libfoo");
		b.len = 0;
		deb_lock_chain(&l, "impl-new", &b);
		assert_string_equal(ward_buf_cstr(&b), "ward.yaml -> tool -> impl-new");
		b.len = 0;
		deb_lock_chain(&l, "tool", &b);
		assert_string_equal(ward_buf_cstr(&b), "ward.yaml -> tool");
		ward_buf_free(&b);
	}
	deb_lock_free(&l);
	deb_universe_free(u);
}

static void
test_resolve_arm64(void **state)
{
	static const char idx[] =
		"Package: tool\nVersion: 1\nArchitecture: arm64\nDepends: data, libx\n"
		"Filename: pool/t.deb\nSize: 1\nSHA256: "
		"0000000000000000000000000000000000000000000000000000000000000001\n\n"
		"Package: data\nVersion: 1\nArchitecture: all\nFilename: pool/d.deb\nSize: 1\n"
		"SHA256: 0000000000000000000000000000000000000000000000000000000000000002\n\n"
		"Package: libx\nVersion: 2\nArchitecture: amd64\nFilename: pool/x2.deb\nSize: 1\n"
		"SHA256: 0000000000000000000000000000000000000000000000000000000000000003\n\n"
		"Package: libx\nVersion: 1\nArchitecture: arm64\nFilename: pool/x1.deb\nSize: 1\n"
		"SHA256: 0000000000000000000000000000000000000000000000000000000000000004\n";
	struct deb_universe *u = deb_universe_new("arm64");
	struct deb_index meta = {.suite = "s", .component = "main", .arch = "arm64"};
	struct ward_strv p = {0};
	struct deb_request req = {.arch = "arm64", .packages = &p};
	struct deb_lock l;
	char *s;

	(void)state;
	assert_int_equal(deb_universe_add(u, idx, strlen(idx), &meta), 0);
	ward_strv_push(&p, "tool");
	assert_int_equal(deb_resolve(u, &req, &l), 0);
	s = names(&l);
	/* the amd64 libx 2 is not a candidate on arm64 */
	assert_string_equal(s, "data=1@s libx=1@s tool=1@s");
	free(s);
	assert_string_equal(deb_lock_find(&l, "data")->arch, "all");
	deb_lock_free(&l);
	req.arch = "amd64";
	assert_int_equal(deb_resolve(u, &req, &l), -1);
	assert_string_equal(ward_errmsg(), "indices are for arm64, the request for amd64");
	ward_strv_free(&p);
	deb_universe_free(u);
}

static void
test_resolve_policy(void **state)
{
	struct deb_universe *u = universe();
	static const char *const app[] = {"app"}, *const dash[] = {"dash"};
	struct deb_lock l;
	char *s;

	(void)state;
	assert_int_equal(resolve(u, app, 1, NULL, "dash", &l), 0);
	assert_non_null(deb_lock_find(&l, "dash"));
	assert_int_equal(l.ncuts, 0);
	deb_lock_free(&l);
	assert_int_equal(resolve(u, app, 1, "mailer-b", NULL, &l), 0);
	assert_non_null(deb_lock_find(&l, "mailer-a"));
	assert_null(deb_lock_find(&l, "mailer-b"));
	deb_lock_free(&l);
	assert_int_equal(resolve(u, app, 1, "libbaz", NULL, &l), 0);
	s = names(&l);
	assert_null(strstr(s, "libbaz"));
	free(s);
	assert_int_equal(l.ncuts, 2);
	assert_string_equal(l.cuts[0].dependency, "dash"); /* sorted by dependency */
	assert_string_equal(l.cuts[1].dependency, "libbar | libbaz");
	assert_string_equal(l.cuts[1].reason, "libbaz: excluded by ward.yaml");
	deb_lock_free(&l);
	assert_int_equal(resolve(u, dash, 1, NULL, NULL, &l), -1);
	assert_string_equal(ward_errmsg(),
			    "dash is forbidden by the distroless policy (shell); chain: "
			    "ward.yaml -> dash; list it under allow: to accept it");
	assert_int_equal(resolve(u, dash, 1, "dash", NULL, &l), -1);
	assert_string_equal(ward_errmsg(), "ward.yaml: dash is both in packages and in exclude");
	deb_universe_free(u);
}

static void
test_resolve_failures(void **state)
{
	static const struct {
		const char *pkgs[2];
		const char *msg;
	} cases[] = {
		{{"ghost"}, "package ghost is in none of the indices; chain: ward.yaml -> ghost"},
		{{"chain1"},
		 "unsatisfiable dependency: chain2 1.0 Depends: ghost (>= 1); chain: "
		 "ward.yaml -> chain1 -> chain2 (ghost is in no index)"},
		{{"wants-any"},
		 "unsatisfiable dependency: wants-any 1.0 Depends: noany:any; chain: "
		 "ward.yaml -> wants-any (available: noany 1.0)"},
		{{"aa", "bb"},
		 "conflict: bb 1.0 Conflicts aa, and aa 1.0 is chosen; chains: ward.yaml "
		 "-> bb; ward.yaml -> aa"},
		{{"cc", "dd"},
		 "conflict: dd 1.0 Breaks thing, and cc 1.0 is chosen; chains: ward.yaml "
		 "-> dd; ward.yaml -> cc"},
		{{"mta"},
		 "mta is a virtual package provided by mailer-a, mailer-b: name one of them "
		 "in ward.yaml"},
		{{"libfoo=2.0"}, "package libfoo has no version 2.0 (newest: 3.0)"},
	};
	struct deb_universe *u = universe();

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct deb_lock l;
		size_t n = cases[i].pkgs[1] ? 2 : 1;
		if (resolve(u, cases[i].pkgs, n, NULL, NULL, &l) == 0) {
			deb_lock_free(&l);
			fail_msg("case %zu resolved", i);
		}
		assert_int_equal(ward_errkind(), WARD_EINPUT);
		if (strcmp(ward_errmsg(), cases[i].msg) != 0)
			fail_msg("case %zu: got \"%s\"", i, ward_errmsg());
	}
	{ /* a package that conflicts with what it provides is no conflict */
		static const char *const cc[] = {"cc", "loop-a"};
		struct deb_lock l;
		assert_int_equal(resolve(u, cc, 2, NULL, NULL, &l), 0);
		assert_int_equal(l.npkgs, 3); /* cc, loop-a, loop-b: cycles are fine */
		deb_lock_free(&l);
	}
	{ /* a pinned older version */
		static const char *const pin[] = {"libfoo=2.5"};
		struct deb_lock l;
		assert_int_equal(resolve(u, pin, 1, NULL, NULL, &l), 0);
		assert_string_equal(l.pkgs[0].version, "2.5");
		assert_string_equal(l.pkgs[0].source, "foo");
		assert_string_equal(l.pkgs[0].source_version, "2.5-1");
		deb_lock_free(&l);
	}
	deb_universe_free(u);
}

static void
test_lock_json(void **state)
{
	struct deb_universe *u = universe();
	static const char *const a[] = {"app", "tool"}, *const b[] = {"tool", "app"};
	struct deb_lock l1, l2, back;
	char *j1, *j2, *j3;
	json_t *j;
	struct ward_strv p = {0}, none = {0};
	struct deb_request req = {
		.arch = "amd64", .packages = &p, .exclude = &none, .allow = &none};

	(void)state;
	assert_int_equal(resolve(u, a, 2, NULL, NULL, &l1), 0);
	assert_int_equal(resolve(u, b, 2, NULL, NULL, &l2), 0);
	j = deb_lock_to_json(&l1);
	j1 = ward_json_dump(j, 1);
	json_decref(j);
	j = deb_lock_to_json(&l2);
	j2 = ward_json_dump(j, 1);
	assert_string_equal(j1, j2); /* request order does not matter */
	assert_int_equal(strncmp(j1,
				 "{\n  \"lockfile_version\": 1,\n  \"architecture\": \"amd64\",\n"
				 "  \"request\": {\n    \"packages\": [\n      \"app\",\n",
				 80),
			 0);
	assert_int_equal(deb_lock_from_json(j, "lock", &back), 0);
	json_decref(j);
	j = deb_lock_to_json(&back);
	j3 = ward_json_dump(j, 1);
	json_decref(j);
	assert_string_equal(j1, j3); /* read back, written again: same bytes */
	ward_strv_push(&p, "tool");
	ward_strv_push(&p, "app");
	assert_int_equal(deb_lock_matches(&back, &req), 0);
	ward_strv_push(&p, "pyrt");
	assert_int_equal(deb_lock_matches(&back, &req), -1);
	assert_non_null(strstr(ward_errmsg(), "out of date"));
	ward_strv_free(&p);
	free(j1);
	free(j2);
	free(j3);
	deb_lock_free(&l1);
	deb_lock_free(&l2);
	deb_lock_free(&back);
	deb_universe_free(u);

	/* Hostile locks: paths and digests are checked before anyone uses them. */
	static const char *const bad[] = {
		"{\"lockfile_version\": 2}",
		"{\"lockfile_version\": 1, \"architecture\": \"amd64\", \"request\": "
		"{\"packages\": "
		"[], "
		"\"exclude\": [], \"allow\": []}, \"indices\": [], \"packages\": [{\"name\": "
		"\"a1\", "
		"\"version\": \"1\", \"architecture\": \"amd64\", \"source\": \"a1\", "
		"\"source_version\":"
		" \"1\", \"suite\": \"s\", \"component\": \"main\", \"filename\": "
		"\"../../etc/passwd\", "
		"\"size\": 1, \"sha256\": "
		"\"0000000000000000000000000000000000000000000000000000000000000000\","
		" \"requested\": true, \"required_by\": []}], \"cut\": []}",
		"{\"lockfile_version\": 1, \"architecture\": \"amd64\", \"request\": "
		"{\"packages\": "
		"[], "
		"\"exclude\": [], \"allow\": []}, \"indices\": [], \"packages\": [{\"name\": "
		"\"a1\", "
		"\"version\": \"1\", \"architecture\": \"amd64\", \"source\": \"a1\", "
		"\"source_version\":"
		" \"1\", \"suite\": \"s\", \"component\": \"main\", \"filename\": \"pool/a.deb\", "
		"\"size\": 1, \"sha256\": \"../x\", \"requested\": true, \"required_by\": []}], "
		"\"cut\": []}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *x = ward_json_loadb(bad[i], strlen(bad[i]), "lock");
		assert_non_null(x);
		assert_int_equal(deb_lock_from_json(x, "lock", &back), -1);
		json_decref(x);
	}
}

/* ------------------------------------------------------------ sources */

static void
test_apt_sources(void **state)
{
	static const char deb822[] = "# comment\n"
				     "Types: deb deb-src\n"
				     "# http://example.invalid/comment-inside\n"
				     "URIs: http://a.invalid/debian http://b.invalid/debian\n"
				     "Suites: bookworm bookworm-updates\n"
				     "Components: main\n"
				     "Signed-By: /usr/share/keyrings/x.gpg\n"
				     "\n"
				     "Types: deb-src\n"
				     "URIs: http://src.invalid\n"
				     "Suites: bookworm\n"
				     "\n"
				     "Types: deb\n"
				     "Enabled: no\n"
				     "URIs: http://off.invalid\n"
				     "Suites: bookworm\n";
	static const char oneline[] =
		"deb http://c.invalid/debian-security bookworm-security main\n"
		"deb [arch=amd64,arm64 signed-by=/k.gpg] https://d.invalid/x "
		"trixie main contrib # tail\n"
		"deb-src http://e.invalid bookworm main\n";
	struct deb_apt_source *s = NULL;
	size_t n = 0;
	char *p;

	(void)state;
	assert_int_equal(deb_apt_sources_parse(deb822, strlen(deb822), 1, "x.sources", &s, &n), 0);
	assert_int_equal(deb_apt_sources_parse(oneline, strlen(oneline), 0, "x.list", &s, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(s[1].uri, "http://b.invalid/debian");
	assert_int_equal(s[1].suites.n, 2);
	assert_string_equal(s[1].signed_by, "/usr/share/keyrings/x.gpg");
	assert_string_equal(s[2].uri, "http://c.invalid/debian-security");
	assert_null(s[2].signed_by);
	assert_string_equal(s[3].uri, "https://d.invalid/x");
	assert_int_equal(s[3].archs.n, 2);
	assert_string_equal(s[3].archs.v[1], "arm64");
	assert_string_equal(s[3].signed_by, "/k.gpg");
	assert_int_equal(s[3].components.n, 2);
	deb_apt_sources_free(s, n);

	/* apt's own names for its lists (as in /var/lib/apt/lists). */
	p = deb_apt_list_prefix("http://deb.example.invalid/debian/dists/bookworm/");
	assert_string_equal(p, "deb.example.invalid_debian_dists_bookworm");
	free(p);
	p = deb_apt_list_prefix("https://user:pw@m.invalid:8080/a_b~c/dists/x");
	assert_string_equal(p, "m.invalid:8080_a%5fb%7ec_dists_x");
	free(p);
}

static void
test_repos_configure(void **state)
{
	char dir[] = "/tmp/ward-apt-etc-XXXXXX";
	char *d, *f;
	static const char src[] = "Types: deb\nURIs: http://apt.invalid/debian/\nSuites: bookworm\n"
				  "Components: main\nSigned-By: /keys/apt.gpg\n";
	struct deb_repo r[3] = {{0}};

	(void)state;
	assert_non_null(mkdtemp(dir));
	d = ward_path_join(dir, "sources.list.d");
	f = ward_path_join(d, "x.sources");
	assert_int_equal(ward_mkdir_p(d, 0755), 0);
	assert_int_equal(ward_file_write(f, src, strlen(src), 0644), 0);
	setenv("WARD_APT_ETC", dir, 1);
	unsetenv("WARD_MIRROR");
	unsetenv("WARD_KEYRING");
	r[0].suite = strdup("bookworm");
	r[1].suite = strdup("bookworm-security");
	r[2].suite = strdup("bookworm");
	r[2].uri = strdup("file:///srv/mirror//");
	assert_int_equal(deb_repos_configure(r, 3), 0);
	assert_string_equal(r[0].uri, "http://apt.invalid/debian"); /* from apt, slash dropped */
	assert_string_equal(r[0].keyring, "/keys/apt.gpg");	    /* its Signed-By */
	assert_null(r[1].uri);					    /* no source lists it */
	assert_string_equal(r[1].keyring, "/usr/share/keyrings/debian-archive-keyring.gpg");
	assert_string_equal(r[2].uri, "file:///srv/mirror"); /* the spec's, normalised */
	assert_string_equal(r[2].keyring, "/usr/share/keyrings/debian-archive-keyring.gpg");
	assert_ptr_equal(deb_repo_find(r, 3, "bookworm-security"), &r[1]);
	for (size_t i = 0; i < 3; i++) {
		free(r[i].suite);
		free(r[i].uri);
		free(r[i].keyring);
		memset(&r[i], 0, sizeof(r[i]));
	}
	setenv("WARD_MIRROR", "http://env.invalid/all/", 1);
	r[0].suite = strdup("bookworm");
	assert_int_equal(deb_repos_configure(r, 1), 0);
	assert_string_equal(r[0].uri, "http://env.invalid/all"); /* WARD_MIRROR before apt */
	free(r[0].suite);
	free(r[0].uri);
	free(r[0].keyring);
	memset(&r[0], 0, sizeof(r[0]));
	/* Per-suite mirrors: the security archive is another tree. */
	setenv("WARD_MIRROR",
	       "*-security=http://m.invalid/debian-security/, http://m.invalid/debian "
	       "trixie=file:///srv/trixie",
	       1);
	r[0].suite = strdup("bookworm");
	r[1].suite = strdup("bookworm-security");
	r[2].suite = strdup("trixie");
	assert_int_equal(deb_repos_configure(r, 3), 0);
	assert_string_equal(r[0].uri, "http://m.invalid/debian");
	assert_string_equal(r[1].uri, "http://m.invalid/debian-security");
	assert_string_equal(r[2].uri, "file:///srv/trixie");
	for (size_t i = 0; i < 3; i++) {
		free(r[i].suite);
		free(r[i].uri);
		free(r[i].keyring);
		memset(&r[i], 0, sizeof(r[i]));
	}
	setenv("WARD_MIRROR", "http://a.invalid/debian http://b.invalid/debian", 1);
	r[0].suite = strdup("bookworm");
	assert_int_equal(deb_repos_configure(r, 1), -1);
	assert_non_null(strstr(ward_errmsg(), "two default mirrors"));
	free(r[0].suite);
	free(r[0].uri);
	free(r[0].keyring);
	unsetenv("WARD_MIRROR");
	unsetenv("WARD_APT_ETC");
	ward_rm_rf(dir);
	free(d);
	free(f);
}

/* ------------------------------------------------------------ Release */

static void
test_release(void **state)
{
	static const char text[] =
		"Origin: Debian\nSuite: stable\nCodename: bookworm\n"
		"MD5Sum:\n 0123 12 main/binary-amd64/Packages\n"
		"SHA256:\n"
		" 515e692f2c4121c6fcec444ef100cc18f79a991910615f3a88c8b7becfc94d2f 50060337 "
		"main/binary-amd64/Packages\n"
		" 9e0b5aabb2465b3d2e7a7fe27f9913846277833f7a2826e7767acccff5b588c5  8790396 "
		"main/binary-amd64/Packages.xz\n";
	struct deb_release r;
	const struct deb_release_file *f;

	(void)state;
	assert_int_equal(deb_release_parse(text, strlen(text), "Release", &r), 0);
	assert_int_equal(r.nfiles, 2);
	f = deb_release_lookup(&r, "main/binary-amd64/Packages.xz");
	assert_non_null(f);
	assert_int_equal(f->size, 8790396);
	assert_string_equal(f->sha256,
			    "9e0b5aabb2465b3d2e7a7fe27f9913846277833f7a2826e7767acccff5b588c5");
	assert_null(deb_release_lookup(&r, "main/binary-arm64/Packages"));
	assert_string_equal(deb_para_get(r.para, "Codename"), "bookworm");
	deb_release_free(&r);
	assert_int_equal(deb_release_parse("Origin: x\n", 10, "R", &r), -1);
	assert_string_equal(ward_errmsg(), "R: no SHA256 list (SHA-256 is required)");
	assert_int_equal(deb_release_parse("SHA256:\n zz 1 a\n", 16, "R", &r), -1);
	assert_int_equal(deb_release_parse("A: 1\n\nB: 2\n", 11, "R", &r), -1);
}

/* ------------------------------------------------------------ decompression */

static void
test_decompress(void **state)
{
	char plain[5000];
	unsigned char packed[8000];
	struct ward_buf out = {0};
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(plain); i++)
		plain[i] = (char)('a' + (i * 7) % 26);
	{ /* gzip (zlib with a gzip wrapper) */
		z_stream z = {0};
		assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY),
				 Z_OK);
		z.next_in = (unsigned char *)plain;
		z.avail_in = sizeof(plain);
		z.next_out = packed;
		z.avail_out = sizeof(packed);
		assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
		n = sizeof(packed) - z.avail_out;
		deflateEnd(&z);
		assert_int_equal(deb_decompress(packed, n, "Packages.gz", 1 << 20, &out), 0);
		assert_memory_equal(out.data, plain, sizeof(plain));
		out.len = 0;
		assert_int_equal(deb_decompress(packed, n - 5, "Packages.gz", 1 << 20, &out), -1);
		out.len = 0;
		assert_int_equal(deb_decompress(packed, n, "Packages.gz", 100, &out), -1);
		assert_non_null(strstr(ward_errmsg(), "decompresses to more than 100 bytes"));
		out.len = 0;
	}
	{ /* xz */
		n = 0;
		assert_int_equal(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL,
							 (const uint8_t *)plain, sizeof(plain),
							 packed, &n, sizeof(packed)),
				 LZMA_OK);
		assert_int_equal(deb_decompress(packed, n, "x.xz", 1 << 20, &out), 0);
		assert_int_equal(out.len, sizeof(plain));
		assert_memory_equal(out.data, plain, sizeof(plain));
		out.len = 0;
		assert_int_equal(deb_decompress(packed, n / 2, "x.xz", 1 << 20, &out), -1);
		out.len = 0;
	}
	{ /* lz4 frame, as apt keeps its lists */
		n = LZ4F_compressFrame(packed, sizeof(packed), plain, sizeof(plain), NULL);
		assert_false(LZ4F_isError(n));
		assert_int_equal(deb_decompress(packed, n, "x_Packages.lz4", 1 << 20, &out), 0);
		assert_memory_equal(out.data, plain, sizeof(plain));
		out.len = 0;
		assert_int_equal(deb_decompress(packed, n - 3, "x_Packages.lz4", 1 << 20, &out),
				 -1);
		out.len = 0;
	}
	{ /* zstd */
		n = ZSTD_compress(packed, sizeof(packed), plain, sizeof(plain), 3);
		assert_false(ZSTD_isError(n));
		assert_int_equal(deb_decompress(packed, n, "x.zst", 1 << 20, &out), 0);
		assert_memory_equal(out.data, plain, sizeof(plain));
		out.len = 0;
		assert_int_equal(deb_decompress(packed, n - 4, "x.zst", 1 << 20, &out), -1);
		out.len = 0;
	}
	assert_int_equal(deb_decompress("abc", 3, "Packages", 10, &out), 0);
	assert_string_equal(ward_buf_cstr(&out), "abc");
	ward_buf_free(&out);
}

/* ------------------------------------------------------------ ar */

static void
test_ar(void **state)
{
	static const char ar[] = "!<arch>\n"
				 "debian-binary   1700000000  0     0     100644  4         `\n"
				 "2.0\n"
				 "control.tar.xz/ 1700000000  0     0     100644  3         `\n"
				 "abc\n"
				 "data.tar.zst    1700000000  0     0     100644  2         `\n"
				 "de";
	struct deb_ar_member *m;
	size_t n;

	(void)state;
	assert_int_equal(deb_ar_parse(ar, sizeof(ar) - 1, "t.deb", &m, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(m[1].name, "control.tar.xz");
	assert_int_equal(m[1].offset, 8 + 60 + 4 + 60);
	assert_int_equal(m[1].size, 3);
	assert_int_equal(m[2].offset, 8 + 60 + 4 + 60 + 4 + 60);
	free(m);
	assert_int_equal(deb_ar_parse(ar, sizeof(ar) - 2, "t.deb", &m, &n), -1);
	assert_non_null(strstr(ward_errmsg(), "truncated"));
	assert_int_equal(deb_ar_parse(ar, 30, "t.deb", &m, &n), -1);
	assert_int_equal(deb_ar_parse("!<arch>", 7, "t.deb", &m, &n), -1);
	assert_int_equal(deb_file_open_mem(ar, sizeof(ar) - 1, "t.deb"), NULL);
	assert_int_equal(ward_errkind(), WARD_EINPUT);
}

/* ------------------------------------------------------------ cache */

static void
test_cache(void **state)
{
	char dir[] = "/tmp/ward-cache-test-XXXXXX", hex[65], *path, *c;
	const char data[] = "blob contents";
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	sha256_hex(data, strlen(data), hex);
	setenv("WARD_CACHE", dir, 1);
	c = deb_cache_dir(NULL);
	assert_string_equal(c, dir);
	free(c);
	c = deb_cache_dir("/explicit");
	assert_string_equal(c, "/explicit");
	free(c);
	unsetenv("WARD_CACHE");
	setenv("XDG_CACHE_HOME", "/xdg", 1);
	c = deb_cache_dir(NULL);
	assert_string_equal(c, "/xdg/ward");
	free(c);

	assert_int_equal(deb_cache_check(dir, hex, strlen(data)), 0);
	assert_int_equal(deb_cache_open(dir, hex, strlen(data), "blob"), -1);
	assert_int_equal(ward_errkind(), WARD_EENV);
	assert_int_equal(deb_cache_insert_mem(dir, hex, "other", 5), -1); /* wrong digest */
	assert_int_equal(ward_errkind(), WARD_EVERIFY);
	assert_int_equal(deb_cache_check(dir, hex, strlen(data)), 0);
	assert_int_equal(deb_cache_insert_mem(dir, hex, data, strlen(data)), 0);
	fd = deb_cache_open(dir, hex, strlen(data), "blob");
	assert_true(fd >= 0);
	{
		char buf[64] = {0};
		assert_int_equal(read(fd, buf, sizeof(buf)), (ssize_t)strlen(data));
		assert_string_equal(buf, data);
	}
	close(fd);
	path = deb_cache_blob_path(dir, hex);
	/* A flipped bit: detected on open, the blob deleted, never returned. */
	chmod(path, 0644);
	fd = open(path, O_WRONLY);
	assert_int_equal(pwrite(fd, "B", 1, 0), 1);
	close(fd);
	assert_int_equal(deb_cache_open(dir, hex, strlen(data), "blob"), -1);
	assert_int_equal(ward_errkind(), WARD_EVERIFY);
	assert_non_null(strstr(ward_errmsg(), "is corrupt"));
	assert_int_not_equal(access(path, F_OK), 0);
	assert_null(deb_cache_blob_path(dir, "../../etc/passwd"));
	free(path);
	ward_rm_rf(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_control_index),
		cmocka_unit_test(test_relations),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_resolve_closure),
		cmocka_unit_test(test_resolve_arm64),
		cmocka_unit_test(test_resolve_policy),
		cmocka_unit_test(test_resolve_failures),
		cmocka_unit_test(test_lock_json),
		cmocka_unit_test(test_apt_sources),
		cmocka_unit_test(test_repos_configure),
		cmocka_unit_test(test_release),
		cmocka_unit_test(test_decompress),
		cmocka_unit_test(test_ar),
		cmocka_unit_test(test_cache),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
