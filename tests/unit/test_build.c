/* test_build.c: the image keys of ward.yaml, the update-alternatives
 * reader, the plan (symlink resolution, merged /usr), the drop rules and
 * the ward init scaffold, the bytecode cache's keys and entries
 * (hand-written expectations). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "build/build_internal.h"

static const char base[] = "name: t\n"
			   "sources:\n"
			   "  - suites: [bookworm]\n"
			   "packages: [python3-minimal]\n";

static int
parse_with(const char *extra, struct build_spec *s)
{
	char text[4096];

	snprintf(text, sizeof(text), "%s%s", base, extra);
	return build_spec_parse(text, strlen(text), "/p/ward.yaml", s);
}

static void
test_image_keys(void **state)
{
	struct build_spec s;

	(void)state;
	assert_int_equal(parse_with("entrypoint: [python3, /app/s.py]\n"
				    "cmd: [--port, '8080']\n"
				    "env: {A: '1', B_2: two}\n"
				    "ports: [8080, 53/udp, '9000/tcp']\n"
				    "files:\n"
				    "  - src: app\n"
				    "    dst: /app\n"
				    "    mode: '0640'\n"
				    "    owner: '10:20'\n"
				    "    exclude: ['*.md']\n"
				    "models:\n"
				    "  - {src: /m/mlp, dst: /models/mlp}\n"
				    "  - {src: m2, dst: /models/other, name: two, key: k.pub}\n"
				    "ca_certificates: true\n"
				    "timezone: Europe/Paris\n"
				    "policy: {metrics: null, exec: {allow: [/usr/bin/x]}}\n"
				    "annotations: {org.example.a: b}\n"
				    "python_bytecode: false\n"
				    "source_date_epoch: 1700000000\n",
				    &s),
			 0);
	assert_int_equal(s.entrypoint.n, 2);
	assert_string_equal(s.cmd.v[1], "8080");
	/* env in document order, then PATH and SSL_CERT_FILE added */
	assert_int_equal(s.env.keys.n, 4);
	assert_string_equal(s.env.keys.v[0], "A");
	assert_string_equal(s.env.keys.v[2], "PATH");
	assert_string_equal(s.env.values.v[3], "/etc/ssl/certs/ca-certificates.crt");
	assert_int_equal(s.ports.n, 3);
	assert_string_equal(s.ports.v[0], "8080/tcp");
	assert_string_equal(s.ports.v[1], "53/udp");
	assert_int_equal(s.nfiles, 1);
	assert_string_equal(s.files[0].src, "/p/app");
	assert_true(s.files[0].has_mode);
	assert_int_equal(s.files[0].file_mode, 0640);
	assert_int_equal(s.files[0].uid, 10);
	assert_int_equal(s.files[0].gid, 20);
	assert_int_equal(s.nmodels, 2);
	assert_string_equal(s.models[0].name, "mlp");
	assert_string_equal(s.models[0].src, "/m/mlp");
	assert_string_equal(s.models[1].name, "two");
	assert_string_equal(s.models[1].key, "/p/k.pub");
	/* implied packages */
	assert_true(ward_strv_contains(&s.packages, "ca-certificates"));
	assert_true(ward_strv_contains(&s.packages, "tzdata"));
	/* defaults */
	assert_string_equal(s.user.name, "nonroot");
	assert_int_equal(s.user.uid, 65532);
	assert_int_equal(s.user.gid, 65532);
	assert_string_equal(s.user.home, "/home/nonroot");
	assert_int_equal(s.writable.n, 1);
	assert_string_equal(s.writable.v[0], "/tmp");
	assert_false(s.python_bytecode);
	assert_int_equal(s.source_date_epoch, 1700000000);
	assert_non_null(s.policy);
	build_spec_free(&s);

	assert_int_equal(parse_with("user: {uid: 0}\n", &s), 0);
	assert_string_equal(s.user.name, "root");
	assert_string_equal(s.user.home, "/root");
	assert_true(s.python_bytecode);
	assert_int_equal(s.source_date_epoch, -1);
	build_spec_free(&s);
}

static void
test_image_key_errors(void **state)
{
	static const struct {
		const char *extra, *msg;
	} cases[] = {
		{"entrypoint: python3 /app/s.py\n",
		 "/p/ward.yaml:5:13: entrypoint: expected a non-empty list"},
		{"entrypoint: []\n", "/p/ward.yaml:5:13: entrypoint: expected a non-empty list"},
		{"ports: [0]\n", "/p/ward.yaml:5:9: port \"0\": expected 1 to 65535"},
		{"ports: [80/sctp]\n", "/p/ward.yaml:5:9: port \"80/sctp\""},
		{"ports: [80, 80/tcp]\n", "/p/ward.yaml:5:8: ports: 80/tcp is listed twice"},
		{"env: {1A: x}\n", "/p/ward.yaml:5:7: env: \"1A\" is not a variable name"},
		{"env: [A]\n", "/p/ward.yaml:5:6: env: expected a mapping of strings"},
		{"workdir: app\n", "/p/ward.yaml:5:10: \"app\" is not a clean absolute path"},
		{"writable: [/tmp/../etc]\n", "/p/ward.yaml:5:12: \"/tmp/../etc\" is not a clean"},
		{"files:\n  - {src: a}\n", "/p/ward.yaml:6:5: missing required key \"dst\""},
		{"files:\n  - {src: a, dst: /ward/x}\n",
		 "/p/ward.yaml:6:19: dst: /ward/x is reserved"},
		{"files:\n  - {src: a, dst: /x, mode: '4755'}\n",
		 "setuid and setgid bits are not allowed"},
		{"files:\n  - {src: a, dst: /x, mode: rw}\n", "mode \"rw\": expected octal"},
		{"files:\n  - {src: a, dst: /x, owner: root}\n",
		 "owner \"root\": expected numeric UID:GID"},
		{"files:\n  - {src: a, dst: /x}\n  - {src: b, dst: /x}\n",
		 "/p/ward.yaml:7:5: files: dst /x is already used by the entry at line 6"},
		{"files:\n  - {src: a, dst: /x, other: 1}\n",
		 "/p/ward.yaml:6:23: unknown key \"other\""},
		{"models:\n  - {src: a, dst: /m/a}\n  - {src: b, dst: /m/a/b}\n",
		 "/p/ward.yaml:7:5: models: /m/a/b overlaps /m/a"},
		{"models:\n  - {src: a, dst: /m/a}\n  - {src: b, dst: /n/a}\n",
		 "models: name a is used twice"},
		{"user: {uid: 0, name: app}\n", "user: the name app does not fit uid 0"},
		{"user: {uid: -1}\n", "user: uid and gid must be 0 to 4294967294"},
		{"policy: {uid: 0}\n", "/p/ward.yaml:5:10: policy: uid is derived from the spec"},
		{"policy: [a]\n", "/p/ward.yaml:5:9: policy: expected a mapping"},
		{"timezone: ../etc/passwd\n",
		 "timezone \"../etc/passwd\": expected a zoneinfo name"},
		{"source_date_epoch: -5\n", "source_date_epoch: expected seconds since 1970"},
		{"drop: [usr/share]\n", "\"usr/share\": expected an absolute path or glob"},
		{"annotations: {a: [x]}\n", "/p/ward.yaml:5:18: expected a string"},
		{"python_bytecode: maybe\n", "/p/ward.yaml:5:18:"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct build_spec s;
		if (parse_with(cases[i].extra, &s) == 0) {
			build_spec_free(&s);
			fail_msg("case %zu accepted: %s", i, cases[i].extra);
		}
		assert_int_equal(ward_errkind(), WARD_EINPUT);
		if (strstr(ward_errmsg(), cases[i].msg) == NULL)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, ward_errmsg(),
				 cases[i].msg);
	}
}

static void
test_alternatives_parse(void **state)
{
	/* libblas3's postinst (Debian 12), a continuation over three lines */
	static const char blas[] =
		"#!/bin/sh\nset -e\n\n"
		"if [ \"$1\" = \"configure\" ]; then\n"
		"update-alternatives --install /usr/lib/x86_64-linux-gnu/libblas.so.3 \\\n"
		"                    libblas.so.3-x86_64-linux-gnu \\\n"
		"\t            /usr/lib/x86_64-linux-gnu/blas/libblas.so.3 10\n"
		"fi\n";
	static const char misc[] =
		"update-alternatives --quiet --install /usr/bin/editor editor /usr/bin/vim 50 \\\n"
		"  --slave /usr/share/man/man1/editor.1.gz editor.1.gz "
		"/usr/share/man/man1/vim.1.gz\n"
		"  update-alternatives --install /etc/my.cnf my.cnf \"/etc/mysql/a.cnf\" 500 || "
		"true\n"
		"update-alternatives --install $LINK x /usr/bin/x 10\n"	      /* needs the shell */
		"# update-alternatives --install /usr/bin/c c /usr/bin/c 1\n" /* a comment */
		"update-alternatives --install /usr/bin/short short\n"	      /* incomplete */
		"update-alternatives --remove editor /usr/bin/vim\n"
		"[ -x /x ] && update-alternatives --install /usr/bin/y y /usr/bin/y2 20; echo "
		"done\n";
	struct ward_strv out = {0};

	(void)state;
	assert_int_equal(build_alternatives_parse(blas, strlen(blas), "libblas3", &out), 0);
	assert_int_equal(out.n, 1);
	assert_string_equal(out.v[0], "/usr/lib/x86_64-linux-gnu/libblas.so.3\tlibblas.so.3-x86_64-"
				      "linux-gnu\t/usr/lib/x86_64-linux-gnu/blas/libblas.so.3\t10");
	ward_strv_free(&out);
	assert_int_equal(build_alternatives_parse(misc, strlen(misc), "misc", &out), 0);
	assert_int_equal(out.n, 3);
	assert_string_equal(out.v[0], "/usr/bin/editor\teditor\t/usr/bin/vim\t50\t"
				      "/usr/share/man/man1/editor.1.gz\teditor.1.gz\t"
				      "/usr/share/man/man1/vim.1.gz");
	assert_string_equal(out.v[1], "/etc/my.cnf\tmy.cnf\t/etc/mysql/a.cnf\t500");
	assert_string_equal(out.v[2], "/usr/bin/y\ty\t/usr/bin/y2\t20");
	ward_strv_free(&out);
	/* unterminated quotes and odd bytes are not an error, just nothing */
	assert_int_equal(
		build_alternatives_parse("update-alternatives --install '/a", 33, "q", &out), 0);
	assert_int_equal(out.n, 0);
}

static struct build_entry *
add(struct build_plan *p, const char *path, int type, const char *link)
{
	struct build_entry *e = plan_add(p, path, type, NULL);

	assert_non_null(e);
	if (link != NULL)
		assert_int_equal(plan_set_str(&e->link, link), 0);
	return e;
}

static void
test_plan(void **state)
{
	struct build_plan *p = plan_new();
	struct build_entry *old;
	const struct build_entry *e;
	char buf[64];

	(void)state;
	add(p, "usr", BUILD_DIR, NULL);
	add(p, "usr/bin", BUILD_DIR, NULL);
	add(p, "usr/bin/python3.11", BUILD_FILE, NULL);
	add(p, "usr/bin/python3", BUILD_SYMLINK, "python3.11");
	add(p, "bin", BUILD_SYMLINK, "usr/bin");
	add(p, "etc", BUILD_DIR, NULL);
	add(p, "etc/alternatives", BUILD_DIR, NULL);
	add(p, "etc/alternatives/py", BUILD_SYMLINK, "/bin/python3");
	add(p, "usr/bin/py", BUILD_SYMLINK, "/etc/alternatives/py");
	add(p, "usr/bin/loop", BUILD_SYMLINK, "loop");
	add(p, "usr/bin/up", BUILD_SYMLINK, "../../usr/./bin//python3");
	assert_null(plan_add(p, "usr/bin/py", BUILD_FILE, &old));
	assert_non_null(old);
	e = plan_resolve(p, "usr/bin/py");
	assert_non_null(e);
	assert_string_equal(e->path, "usr/bin/python3.11");
	assert_string_equal(plan_resolve(p, "bin/python3")->path, "usr/bin/python3.11");
	assert_string_equal(plan_resolve(p, "usr/bin/up")->path, "usr/bin/python3.11");
	assert_null(plan_resolve(p, "usr/bin/loop"));
	assert_null(plan_resolve(p, "usr/bin/missing"));
	/* tar order after removing */
	plan_remove(p, "usr/bin/loop");
	assert_int_equal(build_plan_count(p), 10);
	assert_string_equal(build_plan_entry(p, 0)->path, "bin");
	assert_string_equal(build_plan_entry(p, 9)->path, "usr/bin/up");
	/* parents made on demand, refused through a symlink */
	assert_int_equal(plan_mkdirs(p, "opt/app/x", GROUP_APP, "ward"), 0);
	assert_non_null(build_plan_find(p, "opt/app"));
	assert_int_equal(plan_mkdirs(p, "bin/x/y", GROUP_APP, "ward"), -1);
	assert_non_null(strstr(ward_errmsg(), "/bin is not a directory in the image"));
	plan_free(p);

	assert_string_equal(build_usrmerge("lib64/ld.so", buf, sizeof(buf)), "usr/lib64/ld.so");
	assert_string_equal(build_usrmerge("bin", buf, sizeof(buf)), "usr/bin");
	assert_string_equal(build_usrmerge("library/x", buf, sizeof(buf)), "library/x");
	assert_string_equal(build_usrmerge("usr/lib/x", buf, sizeof(buf)), "usr/lib/x");
}

static void
test_drop_rules(void **state)
{
	struct build_spec s;

	(void)state;
	assert_int_equal(
		parse_with("drop: [/usr/share/fonts]\nkeep: [/usr/share/man/man1/keep.1.gz]\n", &s),
		0);
	assert_true(build_path_dropped(&s, "usr/share/doc/libc6/changelog.gz"));
	assert_true(build_path_dropped(&s, "usr/share/doc/libc6/examples/a/b"));
	assert_false(build_path_dropped(&s, "usr/share/doc/libc6/copyright"));
	assert_false(build_path_dropped(&s, "usr/share/doc/libc6"));
	assert_true(build_path_dropped(&s, "usr/share/man/man1/ls.1.gz"));
	assert_false(build_path_dropped(&s, "usr/share/man/man1/keep.1.gz"));
	assert_true(build_path_dropped(&s, "usr/share/locale/de/LC_MESSAGES/x.mo"));
	assert_true(build_path_dropped(&s, "usr/lib/locale/de_DE.utf8/LC_CTYPE"));
	assert_false(build_path_dropped(&s, "usr/lib/locale/C.utf8/LC_CTYPE"));
	assert_true(build_path_dropped(&s, "usr/share/fonts/x.ttf"));
	assert_false(build_path_dropped(&s, "usr/share/fontsx"));
	assert_false(build_path_dropped(&s, "usr/lib/python3/dist-packages/numpy/doc/x.py"));
	build_spec_free(&s);
}

static void
test_scaffold(void **state)
{
	struct ward_buf b = {0};
	struct build_spec s;
	struct ward_strv pkgs = {0};

	(void)state;
	ward_strv_push(&pkgs, "python3-minimal");
	ward_strv_push(&pkgs, "python3-numpy");
	assert_int_equal(build_scaffold("my-app", NULL, &pkgs, &b), 0);
	assert_int_equal(build_spec_parse((char *)b.data, b.len, "ward.yaml", &s), 0);
	assert_string_equal(s.name, "my-app");
	assert_int_equal(s.packages.n, 2);
	assert_int_equal(s.entrypoint.n, 2);
	assert_int_equal(s.nfiles, 1);
	assert_non_null(s.policy);
	build_spec_free(&s);
	ward_buf_free(&b);
	/* Debian 13: its three suites, its Python in the comments. */
	assert_int_equal(build_scaffold("my-app", "trixie", NULL, &b), 0);
	assert_int_equal(build_spec_parse((char *)b.data, b.len, "ward.yaml", &s), 0);
	assert_int_equal(s.nsources, 2);
	assert_string_equal(s.sources[0].suites.v[0], "trixie");
	assert_string_equal(s.sources[0].suites.v[1], "trixie-updates");
	assert_string_equal(s.sources[1].suites.v[0], "trixie-security");
	assert_non_null(strstr((char *)b.data, "Debian 13"));
	assert_non_null(strstr((char *)b.data, "/usr/bin/python3.13"));
	assert_null(strstr((char *)b.data, "bookworm"));
	build_spec_free(&s);
	ward_buf_free(&b);
	assert_int_equal(build_scaffold("my-app", "buster", NULL, &b), -1);
	assert_non_null(strstr(ward_errmsg(), "--suite buster"));
	ward_buf_free(&b);
	ward_strv_free(&pkgs);
}

/* The bytecode cache key changes with each thing that decides the .pyc
 * bytes, and with nothing else. */
static void
test_pyc_key(void **state)
{
	const char *tool = "1111111111111111111111111111111111111111111111111111111111111111";
	const char *interp = "2222222222222222222222222222222222222222222222222222222222222222";
	const char *src = "3333333333333333333333333333333333333333333333333333333333333333";
	const char *other = "4444444444444444444444444444444444444444444444444444444444444444";
	const char *path = "usr/lib/python3/dist-packages/numpy/core/x.py";
	char k[65], k2[65], v[6][65];

	(void)state;
	assert_int_equal(build_pyc_key(tool, interp, "cpython-311", path, src, k), 0);
	assert_int_equal(strlen(k), 64);
	assert_int_equal(build_pyc_key(tool, interp, "cpython-311", path, src, k2), 0);
	assert_string_equal(k, k2); /* a function of its inputs */
	assert_int_equal(build_pyc_key(other, interp, "cpython-311", path, src, v[0]), 0);
	assert_int_equal(build_pyc_key(tool, other, "cpython-311", path, src, v[1]), 0);
	assert_int_equal(build_pyc_key(tool, interp, "cpython-312", path, src, v[2]), 0);
	/* the same source at another path: co_filename differs */
	assert_int_equal(build_pyc_key(tool, interp, "cpython-311",
				       "usr/local/lib/python3.11/dist-packages/numpy/core/x.py",
				       src, v[3]),
			 0);
	assert_int_equal(build_pyc_key(tool, interp, "cpython-311", path, other, v[4]), 0);
	assert_int_equal(build_pyc_key(tool, interp, "cpython-311", "usr/x.py", src, v[5]), 0);
	for (int i = 0; i < 6; i++) {
		assert_string_not_equal(v[i], k);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(v[i], v[j]);
	}
}

/* An entry is used only when whole and of its key. */
static void
test_pyc_entry(void **state)
{
	const char *key = "ab00000000000000000000000000000000000000000000000000000000000001";
	const char *key2 = "ab00000000000000000000000000000000000000000000000000000000000002";
	const unsigned char pyc[] = {0xa7, 0x0d, 0x0d, 0x0a, 3, 0, 0, 0, 'x', 0, 'y', '\n', '\n'};
	struct ward_buf b = {0}, c = {0};
	size_t off = 0;

	(void)state;
	assert_int_equal(build_pyc_entry_make(key, pyc, sizeof(pyc), &b), 0);
	assert_int_equal(build_pyc_entry_check(b.data, b.len, key, &off), 0);
	assert_int_equal(b.len - off, sizeof(pyc));
	assert_memory_equal((char *)b.data + off, pyc, sizeof(pyc));
	/* another key's entry, whole: refused */
	assert_int_equal(build_pyc_entry_check(b.data, b.len, key2, &off), -1);
	assert_non_null(strstr(ward_errmsg(), "another key"));
	/* every truncation, and every flipped byte */
	for (size_t n = 0; n < b.len; n++)
		assert_int_equal(build_pyc_entry_check(b.data, n, key, &off), -1);
	for (size_t i = 0; i < b.len; i++) {
		((unsigned char *)b.data)[i] ^= 0x01;
		assert_int_equal(build_pyc_entry_check(b.data, b.len, key, &off), -1);
		((unsigned char *)b.data)[i] ^= 0x01;
	}
	/* a byte more */
	ward_buf_append(&c, b.data, b.len);
	ward_buf_append(&c, "z", 1);
	assert_int_equal(build_pyc_entry_check(c.data, c.len, key, &off), -1);
	/* an empty .pyc is an entry too */
	ward_buf_free(&c);
	assert_int_equal(build_pyc_entry_make(key, "", 0, &c), 0);
	assert_int_equal(build_pyc_entry_check(c.data, c.len, key, &off), 0);
	assert_int_equal(off, c.len);
	ward_buf_free(&b);
	ward_buf_free(&c);
	ward_err_clear();
}

static struct build_entry *
staged(struct build_plan *p, const char *path, char fill, int origin)
{
	struct build_entry *e = plan_add(p, path, BUILD_FILE, NULL);

	assert_non_null(e);
	memset(e->sha256, fill, 64);
	e->sha256[64] = '\0';
	e->origin = origin;
	return e;
}

/* 1 when the identity is not id any more (id then updated). */
static int
id_changed(struct build_ctx *ctx, char id[65])
{
	char now[65];

	assert_int_equal(build_pyc_interp_id(ctx, build_plan_find(ctx->plan, "usr/bin/python3.11"),
					     "3.11", now),
			 0);
	if (strcmp(now, id) == 0)
		return 0;
	memcpy(id, now, 65);
	return 1;
}

/* The interpreter's identity: its binary, the base and python packages,
 * every file `python -I -S` reads; not the frameworks, the site packages
 * or the wheels. */
static void
test_pyc_interp_id(void **state)
{
	struct deb_lock_pkg pkgs[3] = {
		{.name = "libc6", .version = "2.36", .arch = "amd64", .sha256 = "aa"},
		{.name = "python3.11-minimal",
		 .version = "3.11.2",
		 .arch = "amd64",
		 .sha256 = "bb"},
		{.name = "python3-numpy", .version = "1:1.24", .arch = "amd64", .sha256 = "cc"},
	};
	struct deb_lock lock = {.pkgs = pkgs, .npkgs = 3};
	struct build_pkg bp[3] = {
		{.group = GROUP_BASE}, {.group = GROUP_PYTHON}, {.group = GROUP_FRAMEWORKS}};
	struct build_ctx ctx = {.lock = &lock, .pkgs = bp, .plan = plan_new()};
	struct build_entry *interp, *e;
	char id[65];

	(void)state;
	interp = staged(ctx.plan, "usr/bin/python3.11", 'a', BUILD_FROM_PACKAGE);
	staged(ctx.plan, "usr/lib/python3.11/tokenize.py", 'b', BUILD_FROM_PACKAGE);
	staged(ctx.plan, "usr/lib/python3/dist-packages/numpy/x.py", 'c', BUILD_FROM_PACKAGE);
	staged(ctx.plan, "usr/local/lib/python3.11/dist-packages/w.py", 'd', BUILD_FROM_WHEEL);
	assert_int_equal(build_pyc_interp_id(&ctx, interp, "3.11", id), 0);
	assert_false(id_changed(&ctx, id));
	/* not the frameworks, the site packages, the wheels */
	pkgs[2].sha256 = "c2";
	assert_false(id_changed(&ctx, id));
	staged(ctx.plan, "usr/lib/python3/dist-packages/numpy/y.py", 'e', BUILD_FROM_PACKAGE);
	staged(ctx.plan, "usr/lib/python3.11/dist-packages/z.py", 'e', BUILD_FROM_PACKAGE);
	staged(ctx.plan, "usr/lib/python3.11/site-packages/z.py", 'e', BUILD_FROM_PACKAGE);
	staged(ctx.plan, "usr/local/lib/python3.11/dist-packages/w2.py", 'e', BUILD_FROM_WHEEL);
	assert_false(id_changed(&ctx, id));
	/* the base and python packages */
	pkgs[0].version = "2.36-9";
	assert_true(id_changed(&ctx, id));
	pkgs[1].sha256 = "b2";
	assert_true(id_changed(&ctx, id));
	/* the binary */
	e = plan_get(ctx.plan, "usr/bin/python3.11");
	e->sha256[0] = 'f';
	assert_true(id_changed(&ctx, id));
	/* a stdlib file changed, or one added there by any package */
	e = plan_get(ctx.plan, "usr/lib/python3.11/tokenize.py");
	e->sha256[5] = 'f';
	assert_true(id_changed(&ctx, id));
	staged(ctx.plan, "usr/lib/python3.11/encodings/x_new.py", 'e', BUILD_FROM_PACKAGE);
	assert_true(id_changed(&ctx, id));
	staged(ctx.plan, "usr/lib/python3.11/lib-dynload/_x.so", 'e', BUILD_FROM_PACKAGE);
	assert_true(id_changed(&ctx, id));
	/* bytecode a package ships there: importing tokenize would use it */
	staged(ctx.plan, "usr/lib/python3.11/__pycache__/tokenize.cpython-311.pyc", 'e',
	       BUILD_FROM_PACKAGE);
	assert_true(id_changed(&ctx, id));
	/* what getpath and ld.so read */
	staged(ctx.plan, "usr/lib/python311.zip", 'e', BUILD_FROM_PACKAGE);
	assert_true(id_changed(&ctx, id));
	staged(ctx.plan, "usr/bin/pyvenv.cfg", 'e', BUILD_FROM_PACKAGE);
	assert_true(id_changed(&ctx, id));
	staged(ctx.plan, "usr/bin/python3.11._pth", 'e', BUILD_FROM_PACKAGE);
	assert_true(id_changed(&ctx, id));
	staged(ctx.plan, "etc/ld.so.preload", 'e', BUILD_FROM_PACKAGE);
	assert_true(id_changed(&ctx, id));
	staged(ctx.plan, "etc/ld.so.conf.d/x.conf", 'e', BUILD_FROM_PACKAGE);
	assert_true(id_changed(&ctx, id));
	plan_free(ctx.plan);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_image_keys),
		cmocka_unit_test(test_image_key_errors),
		cmocka_unit_test(test_alternatives_parse),
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_drop_rules),
		cmocka_unit_test(test_scaffold),
		cmocka_unit_test(test_pyc_key),
		cmocka_unit_test(test_pyc_entry),
		cmocka_unit_test(test_pyc_interp_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
