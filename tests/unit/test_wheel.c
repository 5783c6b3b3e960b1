/* test_wheel.c: lib/wheel against Python's own readers: the TOML reader
 * against tomllib over the toml-test suite (Debian's
 * golang-github-burntsushi-toml-dev ships it) and the fuzz seeds, tag
 * preference against packaging.tags, markers against packaging.markers;
 * then the two lock formats, valid and refused. */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "wheel/wheel.h"

#define TOML_TEST_DIR "/usr/share/gocode/src/github.com/BurntSushi/toml/internal/toml-test/tests"

static const struct wheel_target target = {
	.py_major = 3,
	.py_minor = 11,
	.py_full = "3.11.2",
	.glibc_major = 2,
	.glibc_minor = 36,
	.machine = "x86_64",
	.arch = "amd64",
};

static const char *
env(const char *name)
{
	const char *v = getenv(name);
	return v ? v : ".";
}

/* ------------------------------------------------------------ TOML */

static struct ward_strv toml_files;

static int
collect(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_F && S_ISREG(st->st_mode) &&
	    (ward_str_endswith(path, ".toml") || strstr(path, "/fuzz/corpus/") != NULL))
		ward_strv_push(&toml_files, path);
	return 0;
}

static void
test_toml_matches_tomllib(void **state)
{
	char tmpl[] = "/tmp/test_wheel_XXXXXX", dir[600], cmd[2048], manifest[700];
	FILE *m, *p;
	size_t valid = 0;
	int rc;

	(void)state;
	if (access(TOML_TEST_DIR, R_OK) != 0)
		fail_msg("%s is missing: scripts/install-deps.sh --test installs "
			 "golang-github-burntsushi-toml-dev (the toml-test suite)",
			 TOML_TEST_DIR);
	assert_int_equal(nftw(TOML_TEST_DIR, collect, 16, FTW_PHYS), 0);
	snprintf(dir, sizeof(dir), "%s/fuzz/corpus/fuzz_wheel_toml", env("WARD_SRC"));
	assert_int_equal(nftw(dir, collect, 16, FTW_PHYS), 0);
	snprintf(dir, sizeof(dir), "%s/fuzz/corpus/fuzz_wheel_pylock", env("WARD_SRC"));
	assert_int_equal(nftw(dir, collect, 16, FTW_PHYS), 0);
	assert_true(toml_files.n > 300);
	assert_non_null(mkdtemp(tmpl));
	snprintf(manifest, sizeof(manifest), "%s/manifest", tmpl);
	m = fopen(manifest, "w");
	assert_non_null(m);
	for (size_t i = 0; i < toml_files.n; i++) {
		struct ward_buf b = {0};
		json_t *j;
		assert_int_equal(ward_file_read(toml_files.v[i], 1 << 20, &b), 0);
		j = wheel_toml_parse(b.data ? (char *)b.data : "", b.len, toml_files.v[i]);
		if (j != NULL) {
			char out[700];
			snprintf(out, sizeof(out), "%s/%zu.json", tmpl, i);
			assert_int_equal(json_dump_file(j, out, JSON_ENCODE_ANY), 0);
			fprintf(m, "%s\t%s\n", toml_files.v[i], out);
			json_decref(j);
			valid++;
		} else {
			assert_int_equal(ward_errkind(), WARD_EINPUT);
			fprintf(m, "%s\t-\n", toml_files.v[i]);
		}
		ward_err_clear();
		ward_buf_free(&b);
	}
	assert_int_equal(fclose(m), 0);
	assert_true(valid > 100);
	snprintf(cmd, sizeof(cmd), "python3 '%s/tests/py/toml_oracle.py' '%s'", env("WARD_SRC"),
		 manifest);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(cmd, sizeof(cmd), p) != NULL)
		fputs(cmd, stderr);
	rc = pclose(p);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
	assert_int_equal(system(cmd), 0);
	ward_strv_free(&toml_files);
	assert_int_equal(rc, 0);
}

static void
test_toml_errors(void **state)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{"a = 1\na = 2\n", "t.toml:2:1: key \"a\" is defined twice"},
		{"[t]\n[t]\n", "t.toml:2:1: table \"t\" is defined twice"},
		{"a = [1]\n[[a]]\n", "is already defined and is not an array of tables"},
		{"a = {b = 1}\na.c = 2\n", "key \"a\" is already defined"},
		{"s = \"\\q\"\n", "t.toml:1:6: invalid escape sequence"},
		{"n = 012\n", "leading zeros"},
		{"n = 9223372036854775808\n", "integer out of range"},
		{"d = 2023-02-29\n", "invalid date"},
		{"x = \"\xff\"\n", "t.toml:1:6: invalid UTF-8"},
		{"x = 1 y = 2\n", "expected the end of the line"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *j = wheel_toml_parse(bad[i].text, strlen(bad[i].text), "t.toml");
		assert_null(j);
		if (strstr(ward_errmsg(), bad[i].msg) == NULL)
			fail_msg("\"%s\": got \"%s\", want \"%s\"", bad[i].text, ward_errmsg(),
				 bad[i].msg);
	}
	/* Deep nesting is refused, never a stack overflow. */
	{
		char deep[4000];
		size_t n = 0;
		n += (size_t)snprintf(deep, sizeof(deep), "a = ");
		for (int i = 0; i < 1000; i++)
			deep[n++] = '[';
		deep[n] = '\0';
		assert_null(wheel_toml_parse(deep, n, "t.toml"));
		assert_non_null(strstr(ward_errmsg(), "nested deeper"));
	}
}

/* ------------------------------------------------------------ tags */

static void
test_tags_follow_packaging(void **state)
{
	char cmd[1024], line[256];
	FILE *p;
	int prev = -1;
	size_t n = 0;

	(void)state;
	snprintf(cmd, sizeof(cmd), "python3 '%s/tests/py/wheel_oracle.py' tags", env("WARD_SRC"));
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p) != NULL) {
		char name[400], why[256];
		struct wheel_filename w;
		int rank;
		line[strcspn(line, "\n")] = '\0';
		snprintf(name, sizeof(name), "x-1.0-%s.whl", line);
		assert_int_equal(wheel_filename_parse(name, &w), 0);
		if (wheel_tag_check(&w, &target, &rank, why, sizeof(why)) != 0)
			fail_msg("%s: packaging accepts it, ward says %s", line, why);
		if (rank < prev)
			fail_msg("%s: ward prefers it to a tag packaging lists before it", line);
		prev = rank;
		wheel_filename_free(&w);
		n++;
	}
	assert_int_equal(pclose(p), 0);
	assert_true(n > 800);
	/* Tags that cannot run there, each with its reason. */
	{
		static const struct {
			const char *name, *why;
		} no[] = {
			{"x-1.0-cp312-cp312-manylinux_2_17_x86_64.whl",
			 "the image has CPython 3.11"},
			{"x-1.0-cp311-cp311-musllinux_1_1_x86_64.whl", "needs musl libc"},
			{"x-1.0-cp311-cp311-manylinux_2_39_x86_64.whl", "needs glibc 2.39"},
			{"x-1.0-cp311-cp311-manylinux_2_17_aarch64.whl", "is not Linux x86_64"},
			{"x-1.0-cp311-cp311-win_amd64.whl", "is not Linux x86_64"},
			{"x-1.0-py2-none-any.whl", "needs another Python"},
			{"x-1.0-cp311-abi3-any.whl", NULL},
		};
		for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
			struct wheel_filename w;
			char why[256];
			int rank;
			assert_int_equal(wheel_filename_parse(no[i].name, &w), 0);
			if (wheel_tag_check(&w, &target, &rank, why, sizeof(why)) == 0) {
				if (no[i].why != NULL)
					fail_msg("%s runs according to ward", no[i].name);
			} else if (no[i].why != NULL && strstr(why, no[i].why) == NULL) {
				fail_msg("%s: \"%s\", want \"%s\"", no[i].name, why, no[i].why);
			}
			wheel_filename_free(&w);
		}
	}
}

static void
test_filenames(void **state)
{
	struct wheel_filename w;

	(void)state;
	assert_int_equal(wheel_filename_parse("Foo_Bar-1.0-1build-py2.py3-none-any.whl", &w), 0);
	assert_string_equal(w.dist, "foo-bar");
	assert_string_equal(w.version, "1.0");
	assert_string_equal(w.build, "1build");
	assert_int_equal(w.pythons.n, 2);
	wheel_filename_free(&w);
	assert_int_equal(wheel_filename_parse("a-1-2-3-4-5-6.whl", &w), -1);
	assert_int_equal(wheel_filename_parse("a-1.0-py3-none.whl", &w), -1);
	assert_int_equal(wheel_filename_parse("../a-1.0-py3-none-any.whl", &w), -1);
	assert_int_equal(wheel_filename_parse("a-1.0-x-py3-none-any.whl", &w), -1);
	assert_int_equal(wheel_filename_parse("a-1.0-py3-none-any.zip", &w), -1);
	ward_err_clear();
}

/* ------------------------------------------------------------ markers */

static void
test_markers_follow_packaging(void **state)
{
	static const char *const markers[] = {
		"python_version >= \"3.8\"",
		"python_version < '3.11'",
		"python_version == '3.11'",
		"python_version == '3.11.*'",
		"python_full_version >= '3.11.2' and python_full_version < '3.12'",
		"python_full_version > '3.11.2'",
		"python_version ~= '3.9'",
		"python_version ~= '3.11.0'",
		"python_version != '3.10.*'",
		"'3.10' < python_version",
		"sys_platform == 'win32' or (os_name == 'posix' and platform_machine == 'x86_64')",
		"sys_platform == 'darwin'",
		"platform_system == 'Linux' and implementation_name == 'cpython'",
		"platform_python_implementation != 'PyPy'",
		"'linux' in sys_platform",
		"'x86' not in platform_machine",
		"(python_version < '3' or python_version >= '3.6') and os_name == 'posix'",
		"python_version >= '3.11.0rc1'",
		"python_full_version < '3.11.2rc1'",
		"extra == 'test'",
		"python_version>'3.9'and os_name=='posix'",
	};
	char tmpl[] = "/tmp/test_wheel_XXXXXX", path[600], cmd[1024], line[1024];
	FILE *f, *p;
	size_t n = 0;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	snprintf(path, sizeof(path), "%s/markers", tmpl);
	f = fopen(path, "w");
	assert_non_null(f);
	for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++)
		fprintf(f, "%s\n", markers[i]);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "python3 '%s/tests/py/wheel_oracle.py' markers '%s'",
		 env("WARD_SRC"), path);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p) != NULL) {
		int want = line[0] == '1', got = -1;
		line[strcspn(line, "\n")] = '\0';
		if (wheel_marker_eval(line + 2, &target, NULL, NULL, "t", &got) != 0)
			fail_msg("%s: %s", line + 2, ward_errmsg());
		if (got != want)
			fail_msg("%s: packaging says %d, ward %d", line + 2, want, got);
		n++;
	}
	assert_int_equal(pclose(p), 0);
	assert_int_equal(n, sizeof(markers) / sizeof(markers[0]));
	unlink(path);
	rmdir(tmpl);
	{
		int out;
		struct ward_strv groups = {0};
		ward_strv_push(&groups, "dev");
		assert_int_equal(wheel_marker_eval("'dev' in dependency_groups", &target, NULL,
						   &groups, "t", &out),
				 0);
		assert_int_equal(out, 1);
		assert_int_equal(
			wheel_marker_eval("'gpu' in extras", &target, NULL, &groups, "t", &out), 0);
		assert_int_equal(out, 0);
		ward_strv_free(&groups);
		assert_int_equal(wheel_marker_eval("platform_release >= '6'", &target, NULL, NULL,
						   "t", &out),
				 -1);
		assert_non_null(strstr(ward_errmsg(), "kernel at run time"));
		assert_int_equal(
			wheel_marker_eval("nonsense == '1'", &target, NULL, NULL, "t", &out), -1);
		assert_int_equal(wheel_marker_eval("os_name == 'posix' garbage", &target, NULL,
						   NULL, "t", &out),
				 -1);
	}
}

/* ------------------------------------------------------------ locks */

#define H1 "1111111111111111111111111111111111111111111111111111111111111111"
#define H2 "2222222222222222222222222222222222222222222222222222222222222222"

static const char pylock[] =
	"lock-version = \"1.0\"\n"
	"created-by = \"hand\"\n"
	"requires-python = \">=3.9\"\n"
	"environments = [\"sys_platform == 'linux'\", \"sys_platform == 'darwin'\"]\n"
	"default-groups = [\"default\"]\n"
	"\n"
	"[[packages]]\n"
	"name = \"IDNA\"\n"
	"version = \"3.3\"\n"
	"wheels = [{name = \"idna-3.3-py3-none-any.whl\", url = "
	"\"https://files.example/idna-3.3-py3-none-any.whl\", size = 61160, hashes = {sha256 = "
	"\"" H1 "\"}}]\n"
	"\n"
	"[[packages]]\n"
	"name = \"colorama\"\n"
	"version = \"0.4.6\"\n"
	"marker = \"sys_platform == 'win32'\"\n"
	"sdist = {url = \"https://files.example/colorama-0.4.6.tar.gz\", hashes = {sha256 = \"" H2
	"\"}}\n"
	"\n"
	"[[packages]]\n"
	"name = \"six\"\n"
	"version = \"1.16.0\"\n"
	"[[packages.wheels]]\n"
	"path = \"wheels/six-1.16.0-py2.py3-none-any.whl\"\n"
	"hashes = {sha256 = \"" H2 "\", md5 = \"00\"}\n";

static void
test_pylock(void **state)
{
	struct wheel_reqs r;

	(void)state;
	assert_int_equal(
		wheel_pylock_parse(pylock, strlen(pylock), "pylock.toml", "/src", &target, &r), 0);
	assert_int_equal(r.n, 2); /* colorama is for Windows only */
	assert_string_equal(r.v[0].name, "idna");
	assert_int_equal(r.v[0].ncands, 1);
	assert_int_equal(r.v[0].cands[0].size, 61160);
	assert_string_equal(r.v[0].cands[0].sha256, H1);
	assert_string_equal(r.v[1].name, "six");
	assert_string_equal(r.v[1].cands[0].path, "/src/wheels/six-1.16.0-py2.py3-none-any.whl");
	assert_string_equal(r.v[1].cands[0].filename, "six-1.16.0-py2.py3-none-any.whl");
	wheel_reqs_free(&r);

	{
		static const struct {
			const char *from, *to, *msg;
		} bad[] = {
			{"hashes = {sha256 = \"" H2 "\", md5", "hashes = {md5", "no sha256 hash"},
			{"requires-python = \">=3.9\"", "requires-python = \">=3.12\"",
			 "requires-python >=3.12; the image has Python 3.11.2"},
			{"marker = \"sys_platform == 'win32'\"\n", "",
			 "has no wheel, only an sdist"},
			{"lock-version = \"1.0\"", "lock-version = \"2.0\"", "lock-version 2.0"},
			{"version = \"3.3\"", "version = \"3.4\"", "is not version 3.4"},
			{"name = \"six\"", "name = \"idna\"", "is not a wheel of idna"},
			{"\n[[packages]]\nname = \"six\"",
			 "\n[[packages]]\nname = \"IDNA\"\nwheels = [{url = "
			 "\"https://files.example/idna-3.3-py3-none-any.whl\", hashes = {sha256 = "
			 "\"" H1 "\"}}]\n[[packages]]\nname = \"six\"",
			 "idna is listed twice"},
			{"\"sys_platform == 'darwin'\"",
			 "\"sys_platform == 'darwin'\", \"os_name == 'nt'\"", NULL},
			{"\"sys_platform == 'linux'\", ", "", "none of its environments"},
			{"url = \"https://files.example/idna-3.3-py3-none-any.whl\"",
			 "url = \"ftp://files.example/idna-3.3-py3-none-any.whl\"",
			 "is not http(s)"},
		};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			struct ward_buf b = {0};
			const char *at = strstr(pylock, bad[i].from);
			int rc;
			assert_non_null(at);
			ward_buf_append(&b, pylock, (size_t)(at - pylock));
			ward_buf_puts(&b, bad[i].to);
			ward_buf_puts(&b, at + strlen(bad[i].from));
			rc = wheel_pylock_parse((char *)b.data, b.len, "pylock.toml", "/src",
						&target, &r);
			if (bad[i].msg == NULL) {
				assert_int_equal(rc, 0);
				wheel_reqs_free(&r);
			} else {
				assert_int_equal(rc, -1);
				assert_int_equal(ward_errkind(), WARD_EINPUT);
				if (strstr(ward_errmsg(), bad[i].msg) == NULL)
					fail_msg("case %zu: \"%s\", want \"%s\"", i, ward_errmsg(),
						 bad[i].msg);
			}
			ward_buf_free(&b);
		}
	}
}

static void
test_requirements(void **state)
{
	static const char good[] =
		"# pinned by pip-compile --generate-hashes\n"
		"--require-hashes\n"
		"--index-url http://127.0.0.1:8080/simple\n"
		"idna==3.3 \\\n"
		"    --hash=sha256:" H1 " \\\n"
		"    --hash=sha256:" H2 "\n"
		"Six==1.16.0 --hash=sha256:" H2 "  # a comment\n"
		"pywin32==306 ; sys_platform == 'win32' --hash=sha256:" H1 "\n"
		"requests[socks]==2.28.1 --hash=sha256:" H1 " --hash=sha512:00\n";
	struct wheel_reqs r;

	(void)state;
	assert_int_equal(wheel_requirements_parse(good, strlen(good), "req.txt", &target, &r), 0);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.index, "http://127.0.0.1:8080/simple");
	assert_string_equal(r.v[0].name, "idna");
	assert_int_equal(r.v[0].sha256s.n, 2);
	assert_int_equal(r.v[0].line, 4);
	assert_string_equal(r.v[1].name, "requests");
	assert_string_equal(r.v[2].name, "six");
	assert_string_equal(r.v[2].version, "1.16.0");
	wheel_reqs_free(&r);
	{
		static const struct {
			const char *text, *msg;
		} bad[] = {
			{"idna==3.3\n", "req.txt:1: no --hash=sha256: for \"idna\""},
			{"idna>=3.3 --hash=sha256:" H1 "\n",
			 "req.txt:1: every requirement must be pinned"},
			{"idna==3.* --hash=sha256:" H1 "\n", "pin an exact version"},
			{"a==1 --hash=sha256:" H1 "\n\n-r other.txt\n", "req.txt:3: -r: includes"},
			{"-e ./src\n", "editable installs"},
			{"--extra-index-url http://x/simple\n", "a second index"},
			{"idna==3.3 --hash=sha256:abc\n", "not a SHA-256 digest"},
			{"idna @ https://x/idna.whl --hash=sha256:" H1 "\n", "direct URL"},
			{"a==1 --hash=sha256:" H1 "\nA==1 --hash=sha256:" H1 "\n",
			 "a is listed twice"},
			{"--frobnicate\n", "unknown option"},
			{"idna==3.3 --hash=md5:00\n", "unknown hash algorithm"},
		};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			assert_int_equal(wheel_requirements_parse(bad[i].text, strlen(bad[i].text),
								  "req.txt", &target, &r),
					 -1);
			if (strstr(ward_errmsg(), bad[i].msg) == NULL)
				fail_msg("\"%s\": \"%s\", want \"%s\"", bad[i].text, ward_errmsg(),
					 bad[i].msg);
		}
	}
}

/* ------------------------------------------------------------ index pages */

static void
test_index_pages(void **state)
{
	static const char html[] = "<!DOCTYPE html><html><body>\n"
				   "<a href=\"../../files/idna-3.3-py3-none-any.whl#sha256=" H1
				   "\">idna-3.3-py3-none-any.whl</a><br/>\n"
				   "<a href='/abs/idna-3.3.tar.gz#sha256=" H2
				   "' data-requires-python=\"&gt;=3.5\">idna-3.3.tar.gz</a>\n"
				   "<A HREF=\"https://other.example/idna-3.2-py3-none-any.whl\" "
				   "data-yanked>idna-3.2-py3-none-any.whl</A>\n"
				   "</body></html>\n";
	static const char json[] =
		"{\"meta\":{\"api-version\":\"1.1\"},\"name\":\"idna\",\"files\":["
		"{\"filename\":\"idna-3.3-py3-none-any.whl\",\"url\":\"../../files/"
		"idna-3.3-py3-none-any.whl\","
		"\"hashes\":{\"sha256\":\"" H1 "\"},\"size\":61160,\"yanked\":false}]}";
	struct wheel_index_file *f;
	size_t n;

	(void)state;
	assert_int_equal(wheel_index_parse(html, strlen(html), "text/html",
					   "http://127.0.0.1:8080/simple/idna/", "page", &f, &n),
			 0);
	assert_int_equal(n, 3);
	assert_string_equal(f[0].url,
			    "http://127.0.0.1:8080/files/idna-3.3-py3-none-any.whl#sha256=" H1);
	assert_string_equal(f[0].sha256, H1);
	assert_string_equal(f[1].url, "http://127.0.0.1:8080/abs/idna-3.3.tar.gz#sha256=" H2);
	assert_int_equal(f[2].yanked, 1);
	assert_string_equal(f[2].sha256, "");
	wheel_index_files_free(f, n);
	assert_int_equal(wheel_index_parse(json, strlen(json),
					   "application/vnd.pypi.simple.v1+json",
					   "http://127.0.0.1:8080/simple/idna/", "page", &f, &n),
			 0);
	assert_int_equal(n, 1);
	assert_int_equal(f[0].size, 61160);
	assert_string_equal(f[0].url, "http://127.0.0.1:8080/files/idna-3.3-py3-none-any.whl");
	wheel_index_files_free(f, n);
	assert_int_equal(wheel_index_parse("{\"meta\":{\"api-version\":\"2.0\"}}", 31,
					   "application/vnd.pypi.simple.v1+json", "http://x/s/a/",
					   "page", &f, &n),
			 -1);
}

/* ------------------------------------------------------------ installing */

struct dir_sink {
	char root[512];
	size_t created;
};

static int
dir_create(void *ctx, const char *path, uint32_t mode)
{
	struct dir_sink *d = ctx;
	char full[2048], *slash;
	int fd;

	snprintf(full, sizeof(full), "%s/%s", d->root, path);
	slash = strrchr(full, '/');
	*slash = '\0';
	if (ward_mkdir_p(full, 0755) != 0)
		return -1;
	*slash = '/';
	fd = open(full, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return ward_err_io(full, "cannot create");
	d->created++;
	return fd;
}

static const struct wheel_layout layout = {
	.purelib = "usr/local/lib/python3.11/dist-packages",
	.scripts = "usr/local/bin",
	.headers = "usr/local/include/python3.11",
	.data = "usr/local",
	.interpreter = "/usr/bin/python3.11",
};

static int
install_file(const char *whl, const char *name, const char *version, const char *root,
	     struct wheel_installed *out, size_t *created)
{
	struct dir_sink d = {.created = 0};
	struct wheel_pin pin = {0};
	struct wheel_sink sink = {dir_create, &d};
	const char *base = strrchr(whl, '/');
	int fd = open(whl, O_RDONLY | O_CLOEXEC), rc;

	assert_true(fd >= 0);
	snprintf(d.root, sizeof(d.root), "%s", root);
	pin.name = (char *)name;
	pin.version = (char *)version;
	pin.filename = (char *)(base ? base + 1 : whl);
	rc = wheel_install(fd, &pin, &layout, &sink, out);
	close(fd);
	if (created != NULL)
		*created = d.created;
	return rc;
}

static char *
slurp(const char *path)
{
	struct ward_buf b = {0};
	if (ward_file_read(path, 1 << 20, &b) != 0)
		return NULL;
	return ward_buf_steal(&b);
}

static void
test_install_crafted(void **state)
{
	static const struct {
		const char *name, *msg;
	} bad[] = {
		{"record-mismatch", "demo/__init__.py does not match RECORD"},
		{"traversal", "escapes the install directory"},
		{"absolute", "escapes the install directory"},
		{"dotdot-inside", "escapes the install directory"},
		{"backslash", "escapes the install directory"},
		{"data-escape", "escapes the install directory"},
		{"symlink", "demo/link is a symbolic link"},
		{"not-in-record", "demo/cli.py is not in RECORD"},
		{"record-extra", "RECORD lists demo/gone.py, which is not in the wheel"},
		{"no-hash", "RECORD has no hash for demo/cli.py"},
		{"md5-hash", "is not sha256="},
		{"duplicate", "appears twice"},
		{"two-dist-info", "two .dist-info directories"},
		{"wrong-dist-info", "does not belong to demo"},
		{"entry-point-name", "is not a script name"},
		{"entry-point-code", "is not module:attribute"},
		{"wheel-version", "Wheel-Version 2.0 is not supported"},
	};
	char tmpl[] = "/tmp/test_wheel_XXXXXX", cmd[1024], whl[700], root[700];
	struct wheel_installed out;
	size_t created;
	char *t;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	snprintf(cmd, sizeof(cmd), "python3 '%s/tests/py/wheel_craft.py' '%s'", env("WARD_SRC"),
		 tmpl);
	assert_int_equal(system(cmd), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(whl, sizeof(whl), "%s/%s/demo-1.0-py3-none-any.whl", tmpl, bad[i].name);
		snprintf(root, sizeof(root), "%s/root-%s", tmpl, bad[i].name);
		assert_int_equal(mkdir(root, 0755), 0);
		if (install_file(whl, "demo", "1.0", root, &out, &created) == 0)
			fail_msg("%s: installed", bad[i].name);
		assert_int_equal(ward_errkind(), WARD_EINPUT);
		if (strstr(ward_errmsg(), bad[i].msg) == NULL)
			fail_msg("%s: \"%s\", want \"%s\"", bad[i].name, ward_errmsg(), bad[i].msg);
		if (created != 0 && strcmp(bad[i].name, "entry-point-name") != 0 &&
		    strcmp(bad[i].name, "entry-point-code") != 0)
			fail_msg("%s: %zu files written before the error", bad[i].name, created);
		ward_err_clear();
	}
	/* The good one: every scheme, scripts and entry points. */
	snprintf(whl, sizeof(whl), "%s/good/demo-1.0-py3-none-any.whl", tmpl);
	snprintf(root, sizeof(root), "%s/root-good", tmpl);
	assert_int_equal(mkdir(root, 0755), 0);
	if (install_file(whl, "demo", "1.0", root, &out, NULL) != 0)
		fail_msg("good: %s", ward_errmsg());
	assert_string_equal(out.dist_info,
			    "usr/local/lib/python3.11/dist-packages/demo-1.0.dist-info");
	assert_non_null(strstr(out.metadata, "License: MIT"));
	assert_true(ward_strv_contains(&out.files, "usr/local/include/python3.11/demo/demo.h"));
	assert_true(ward_strv_contains(&out.files, "usr/local/share/demo/README"));
	wheel_installed_free(&out);
	snprintf(whl, sizeof(whl), "%s/usr/local/bin/demo-tool", root);
	t = slurp(whl);
	assert_non_null(t);
	assert_string_equal(t, "#!/usr/bin/python3.11\nimport demo\nprint(demo.VERSION)\n");
	free(t);
	snprintf(whl, sizeof(whl), "%s/usr/local/bin/demo-gui", root);
	t = slurp(whl);
	assert_non_null(t);
	assert_non_null(strstr(t, "from demo.cli import gui\n"));
	assert_true(ward_str_startswith(t, "#!/usr/bin/python3.11\n"));
	free(t);
	{
		struct stat st;
		assert_int_equal(stat(whl, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0755);
	}
	snprintf(whl, sizeof(whl),
		 "%s/usr/local/lib/python3.11/dist-packages/demo-1.0.dist-info/INSTALLER", root);
	t = slurp(whl);
	assert_string_equal(t, "ward\n");
	free(t);
	snprintf(whl, sizeof(whl),
		 "%s/usr/local/lib/python3.11/dist-packages/demo-1.0.dist-info/RECORD", root);
	t = slurp(whl);
	assert_non_null(strstr(t, "../../../bin/demo-tool,sha256="));
	assert_non_null(strstr(t, "demo-1.0.dist-info/RECORD,,\n"));
	assert_non_null(
		strstr(t, "demo-1.0.dist-info/"
			  "INSTALLER,sha256=RsU32iaJbg4d1ulI6oaXQLB7A0Fj-R74JwaOP2csqwo,5"));
	free(t);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
	assert_int_equal(system(cmd), 0);
}

/* Debian's own wheels, installed by ward and by pip: the same files. */
static void
test_install_matches_pip(void **state)
{
	static const char *const wheels[][3] = {
		{"/usr/share/python-wheels/pip-23.0.1-py3-none-any.whl", "pip", "23.0.1"},
		{"/usr/share/python-wheels/setuptools-66.1.1-py3-none-any.whl", "setuptools",
		 "66.1.1"},
		{"/usr/share/python-wheels/wheel-0.38.4-py3-none-any.whl", "wheel", "0.38.4"},
	};
	char tmpl[] = "/tmp/test_wheel_XXXXXX", cmd[2048], root[700];

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	for (size_t i = 0; i < sizeof(wheels) / sizeof(wheels[0]); i++) {
		struct wheel_installed out;
		if (access(wheels[i][0], R_OK) != 0)
			fail_msg("%s is missing: scripts/install-deps.sh --test installs "
				 "python3-%s-whl",
				 wheels[i][0], wheels[i][1]);
		snprintf(root, sizeof(root), "%s/%s", tmpl, wheels[i][1]);
		assert_int_equal(mkdir(root, 0755), 0);
		if (install_file(wheels[i][0], wheels[i][1], wheels[i][2], root, &out, NULL) != 0)
			fail_msg("%s: %s", wheels[i][0], ward_errmsg());
		assert_true(out.files.n > 10);
		wheel_installed_free(&out);
		snprintf(cmd, sizeof(cmd), "python3 '%s/tests/py/wheel_compare.py' '%s' '%s' >&2",
			 env("WARD_SRC"), wheels[i][0], root);
		if (system(cmd) != 0)
			fail_msg("%s: ward's installation differs from pip's", wheels[i][1]);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_toml_matches_tomllib),
		cmocka_unit_test(test_toml_errors),
		cmocka_unit_test(test_tags_follow_packaging),
		cmocka_unit_test(test_filenames),
		cmocka_unit_test(test_markers_follow_packaging),
		cmocka_unit_test(test_pylock),
		cmocka_unit_test(test_requirements),
		cmocka_unit_test(test_index_pages),
		cmocka_unit_test(test_install_crafted),
		cmocka_unit_test(test_install_matches_pip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
