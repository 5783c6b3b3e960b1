/* test_sbom.c: lib/sbom's parsers and mappings against expectations taken
 * from the specifications (DEP-5 copyright-format 1.0, the SPDX License
 * List, PEP 503/639, the purl spec, RFC 4180), and the files manifest's
 * round trip and verification on a real directory tree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "sbom/sbom.h"

/* ------------------------------------------------------------ purl, names */

static void
test_purl_encode(void **state)
{
	struct ward_buf b = {0};

	(void)state;
	/* Letters, digits, ".-_~" and ":" stay; everything else is %XX. */
	assert_int_equal(sbom_purl_encode("1:2.3+b1~x y/z@q?", &b), 0);
	assert_string_equal(ward_buf_cstr(&b), "1:2.3%2Bb1~x%20y%2Fz%40q%3F");
	ward_buf_free(&b);
}

static void
test_pep503(void **state)
{
	/* PEP 503: lower case, runs of "-", "_", "." become one "-". */
	static const char *cases[][2] = {
		{"Friendly-Bard", "friendly-bard"},  {"FRIENDLY-BARD", "friendly-bard"},
		{"friendly.bard", "friendly-bard"},  {"friendly_bard", "friendly-bard"},
		{"friendly--bard", "friendly-bard"}, {"FrIeNdLy-._.-bArD", "friendly-bard"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *n = sbom_pep503_name(cases[i][0]);
		assert_string_equal(n, cases[i][1]);
		free(n);
	}
}

/* ------------------------------------------------------------ SPDX expressions */

static void
test_spdx_expression(void **state)
{
	(void)state;
	assert_true(sbom_spdx_expression_ok("MIT", 0));
	assert_true(sbom_spdx_expression_ok("(MIT OR Apache-2.0) AND BSD-3-Clause", 0));
	assert_true(sbom_spdx_expression_ok("GPL-2.0-only WITH Classpath-exception-2.0", 0));
	assert_true(sbom_spdx_expression_ok("LicenseRef-foo.bar-1", 1));
	assert_false(sbom_spdx_expression_ok("LicenseRef-foo", 0));
	assert_false(sbom_spdx_expression_ok("MIT AND", 0));
	assert_false(sbom_spdx_expression_ok("(MIT", 0));
	assert_false(sbom_spdx_expression_ok("MIT WITH GPL-2.0-only", 0)); /* not an exception */
	assert_false(sbom_spdx_expression_ok("Not-A-License-Id", 0));
	assert_false(sbom_spdx_expression_ok("", 0));
}

/* ------------------------------------------------------------ DEP-5 */

static const char fmt_line[] =
	"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n";

/* One Files paragraph with License: lic (and an optional trailer). */
static void
dep5_case(const char *lic, const char *trailer, const char *declared, const char *concluded)
{
	char *text = ward_asprintf("%sUpstream-Name: x\n\nFiles: *\nCopyright: 2020 X\nLicense: "
				   "%s\n%s",
				   fmt_line, lic, trailer ? trailer : "");
	struct sbom_license l;

	assert_non_null(text);
	assert_int_equal(sbom_dep5_license(text, strlen(text), "copyright", &l), 0);
	if (strcmp(l.declared, declared) != 0 || strcmp(l.concluded, concluded) != 0)
		fail_msg("License: %s -> declared %s concluded %s; want %s / %s", lic, l.declared,
			 l.concluded, declared, concluded);
	sbom_license_free(&l);
	free(text);
}

static void
test_dep5_names(void **state)
{
	(void)state;
	/* copyright-format 1.0 short names and their SPDX License List ids. */
	dep5_case("GPL-2+", NULL, "GPL-2.0-or-later", "GPL-2.0-or-later");
	dep5_case("GPL-2", NULL, "GPL-2.0-only", "GPL-2.0-only");
	dep5_case("LGPL-2.1+", NULL, "LGPL-2.1-or-later", "LGPL-2.1-or-later");
	dep5_case("LGPL-3", NULL, "LGPL-3.0-only", "LGPL-3.0-only");
	dep5_case("AGPL-3+", NULL, "AGPL-3.0-or-later", "AGPL-3.0-or-later");
	dep5_case("GFDL-NIV-1.3+", NULL, "GFDL-1.3-no-invariants-or-later",
		  "GFDL-1.3-no-invariants-or-later");
	dep5_case("Expat", NULL, "MIT", "MIT");
	dep5_case("BSD-3-clause", NULL, "BSD-3-Clause", "BSD-3-Clause");
	dep5_case("zlib", NULL, "Zlib", "Zlib");
	dep5_case("Apache-2.0", NULL, "Apache-2.0", "Apache-2.0");
	dep5_case("CC0", NULL, "CC0-1.0", "CC0-1.0");
	dep5_case("Zope-2.1", NULL, "ZPL-2.1", "ZPL-2.1");
	/* The DEP-5 examples of combinations. */
	dep5_case("GPL-1+ or Artistic", NULL, "GPL-1.0-or-later OR Artistic-1.0-Perl",
		  "GPL-1.0-or-later OR Artistic-1.0-Perl");
	dep5_case("GPL-2+ or Artistic-2.0, and BSD-3-clause", NULL,
		  "(GPL-2.0-or-later OR Artistic-2.0) AND BSD-3-Clause",
		  "(GPL-2.0-or-later OR Artistic-2.0) AND BSD-3-Clause");
	dep5_case("Apache-2.0 AND BSD-3-Clause", NULL, "Apache-2.0 AND BSD-3-Clause",
		  "Apache-2.0 AND BSD-3-Clause");
	dep5_case("GPL-3+ with Bison exception", NULL, "GPL-3.0-or-later WITH Bison-exception-2.2",
		  "GPL-3.0-or-later WITH Bison-exception-2.2");
	dep5_case("GPL-2+ with Autoconf exception", NULL,
		  "GPL-2.0-or-later WITH Autoconf-exception-2.0",
		  "GPL-2.0-or-later WITH Autoconf-exception-2.0");
	/* No SPDX id and no text: declared as a LicenseRef, not concluded. */
	dep5_case("GPL-2+ with OpenSSL exception", NULL, "LicenseRef-GPL-2-with-OpenSSL-exception",
		  "NOASSERTION");
	dep5_case("GPL", NULL, "LicenseRef-GPL", "NOASSERTION");
	dep5_case("public-domain", NULL, "LicenseRef-public-domain", "NOASSERTION");
}

static void
test_dep5_text_backed(void **state)
{
	struct sbom_license l;
	const char *t;

	(void)state;
	/* A stand-alone paragraph gives the text: the LicenseRef carries its
	 * hash and is concluded, the text goes with it. */
	t = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"
	    "Files: *\nCopyright: X\nLicense: public-domain\n\n"
	    "Files: debian/*\nCopyright: Y\nLicense: GPL-2+\n\n"
	    "Files: more/*\nCopyright: Z\nLicense: GPL-2+\n\n"
	    "License: public-domain\n This work is in the public domain.\n";
	assert_int_equal(sbom_dep5_license(t, strlen(t), "c", &l), 0);
	assert_true(ward_str_startswith(l.declared, "LicenseRef-public-domain-"));
	assert_non_null(strstr(l.declared, " AND GPL-2.0-or-later"));
	assert_null(strstr(strstr(l.declared, "GPL-2.0-or-later") + 1, "GPL-2.0-or-later"));
	assert_string_equal(l.concluded, l.declared);
	assert_int_equal(l.texts.n, 2);
	assert_string_equal(l.texts.v[1], "This work is in the public domain.\n");
	assert_int_equal(l.found.n, 2); /* "GPL-2+", "public-domain" */
	sbom_license_free(&l);

	/* Not machine-readable: nothing is concluded. */
	t = "This is the Debian prepackaged version of foo.\n\nCopyright: GPL\n";
	assert_int_equal(sbom_dep5_license(t, strlen(t), "c", &l), 0);
	assert_string_equal(l.declared, "NOASSERTION");
	assert_string_equal(l.concluded, "NOASSERTION");
	assert_non_null(strstr(l.source, "not machine-readable"));
	sbom_license_free(&l);
}

/* ------------------------------------------------------------ Python */

static void
py_case(const char *meta, const char *declared, const char *concluded)
{
	struct sbom_pymeta m;
	struct sbom_license l;

	assert_int_equal(sbom_pymeta_parse(meta, strlen(meta), "METADATA", &m), 0);
	assert_int_equal(sbom_python_license(&m, "METADATA", &l), 0);
	if (strcmp(l.declared, declared) != 0 || strcmp(l.concluded, concluded) != 0)
		fail_msg("%s -> %s / %s; want %s / %s", meta, l.declared, l.concluded, declared,
			 concluded);
	sbom_license_free(&l);
	sbom_pymeta_free(&m);
}

static void
test_python_license(void **state)
{
	(void)state;
	py_case("Name: a\nVersion: 1\nLicense-Expression: mit or apache-2.0\n", "MIT OR Apache-2.0",
		"MIT OR Apache-2.0");
	py_case("Name: a\nVersion: 1\nLicense: MIT\n", "MIT", "MIT");
	py_case("Name: a\nVersion: 1\nLicense: Apache 2.0\n", "Apache-2.0", "Apache-2.0");
	py_case("Name: a\nVersion: 1\nClassifier: License :: OSI Approved :: MIT License\n", "MIT",
		"MIT");
	/* "BSD" names no variant; the classifiers do not say how two combine. */
	py_case("Name: a\nVersion: 1\nLicense: BSD\n", "LicenseRef-BSD", "NOASSERTION");
	py_case("Name: a\nVersion: 1\n"
		"Classifier: License :: OSI Approved :: MIT License\n"
		"Classifier: License :: OSI Approved :: ISC License (ISCL)\n",
		"ISC OR MIT", "NOASSERTION");
	py_case("Name: a\nVersion: 1\nLicense: UNKNOWN\n", "NOASSERTION", "NOASSERTION");
}

static void
test_pymeta_parse(void **state)
{
	const char *t = "Metadata-Version: 2.1\r\nName: Foo_Bar\r\nVersion: 2.0rc1\r\n"
			"Summary: first\r\nSummary: second\r\n"
			"License: line one\r\n        line two\r\n"
			"Requires-Dist: numpy (>=1.20)\r\nRequires-Dist: rich ; extra == 'cli'\r\n"
			"\r\nName: body-is-not-a-header\r\n";
	struct sbom_pymeta m;

	(void)state;
	assert_int_equal(sbom_pymeta_parse(t, strlen(t), "M", &m), 0);
	assert_string_equal(m.name, "Foo_Bar");
	assert_string_equal(m.version, "2.0rc1");
	assert_string_equal(m.summary, "first");
	assert_string_equal(m.license, "line one\n        line two");
	assert_int_equal(m.requires.n, 2);
	sbom_pymeta_free(&m);
	t = "Version: 1\n";
	assert_int_equal(sbom_pymeta_parse(t, strlen(t), "M", &m), -1);
	assert_non_null(strstr(ward_errmsg(), "M: no Name"));
	t = "Name: x\nVersion: 1\nnot a header\n";
	assert_int_equal(sbom_pymeta_parse(t, strlen(t), "M", &m), -1);
	assert_non_null(strstr(ward_errmsg(), "M:3:"));
}

static void
test_record_parse(void **state)
{
	/* Python's csv module quoting; the hash of "hello\n" computed with
	 * hashlib and base64.urlsafe_b64encode. */
	const char *t = "\"a,b.py\",sha256=WJG1tSLV3whtD_CxEPvZ0hu0_HFjrzTQgoai6Eb2vgM,6\r\n"
			"\"q\"\"x\",,\n"
			"c.py,md5=abc,3\n\n";
	struct sbom_record_row *r;
	size_t n;
	char hex[65];

	(void)state;
	assert_int_equal(sbom_record_parse(t, strlen(t), "RECORD", &r, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(r[0].path, "a,b.py");
	assert_true(r[0].hashed);
	ward_hex(r[0].sha256, 32, hex);
	assert_string_equal(hex,
			    "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
	assert_string_equal(r[1].path, "q\"x");
	assert_false(r[1].hashed);
	assert_false(r[2].hashed);
	sbom_record_rows_free(r, n);
	t = "\"open,1\n";
	assert_int_equal(sbom_record_parse(t, strlen(t), "RECORD", &r, &n), -1);
}

static void
test_status_parse(void **state)
{
	const char *t = "Package: a\nStatus: install ok installed\nVersion: 1:2.0-1\n"
			"Source: asrc (2.0-0.1)\nArchitecture: amd64\n\n"
			"Package: gone\nStatus: deinstall ok config-files\nVersion: 1\n\n"
			"Package: b\nVersion: 3\nSource: bsrc\n";
	struct sbom_deb_pkg *p;
	size_t n;

	(void)state;
	assert_int_equal(sbom_dpkg_status_parse(t, strlen(t), "status", &p, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(p[0].source, "asrc");
	assert_string_equal(p[0].source_version, "2.0-0.1");
	assert_string_equal(p[1].source, "bsrc");
	assert_string_equal(p[1].source_version, "3"); /* the binary version */
	sbom_deb_pkgs_free(p, n);
	t = "Package: a\nVersion: 1\n\nPackage: b\nVersion: not a version!\n";
	assert_int_equal(sbom_dpkg_status_parse(t, strlen(t), "status", &p, &n), -1);
	assert_non_null(strstr(ward_errmsg(), "status:4:"));
}

/* ------------------------------------------------------------ a real tree */

static char dir[] = "/tmp/ward-sbom-XXXXXX";

static void
put(const char *rel, const char *text, mode_t mode)
{
	char *p = ward_path_join(dir, rel);
	FILE *f = fopen(p, "wb");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(p, mode);
	free(p);
}

static void
sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

static int
setup_tree(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	sh("mkdir -p %s/root/usr/bin %s/root/etc %s/root/odd", dir, dir, dir);
	sh("ln -s usr/bin %s/root/bin && ln -s /usr/bin/tool %s/root/etc/abs", dir, dir);
	sh("ln -s - %s/root/odd/dash && ln -s ../../.. %s/root/odd/up", dir, dir);
	sh("ln -s loop2 %s/root/odd/loop1 && ln -s loop1 %s/root/odd/loop2", dir, dir);
	put("root/usr/bin/tool", "#!/bin/true\n", 0755);
	put("root/etc/a\tb\\c\nd", "tricky\n", 0600);
	put("root/etc/empty", "", 0644);
	return 0;
}

static int
teardown_tree(void **state)
{
	(void)state;
	sh("rm -rf %s", dir);
	return 0;
}

static void
test_resolve(void **state)
{
	struct sbom_catalog *c;
	char *root = ward_path_join(dir, "root");
	ssize_t i;

	(void)state;
	assert_int_equal(sbom_catalog_rootfs(root, NULL, &c), 0);
	i = sbom_fileset_resolve(&c->fs, "/bin/tool", 1);
	assert_true(i >= 0);
	assert_string_equal(c->fs.files[i].path, "usr/bin/tool");
	i = sbom_fileset_resolve(&c->fs, "etc/abs", 1); /* absolute: from the root */
	assert_true(i >= 0);
	assert_string_equal(c->fs.files[i].path, "usr/bin/tool");
	i = sbom_fileset_resolve(&c->fs, "etc/abs", 0); /* the link itself */
	assert_string_equal(c->fs.files[i].path, "etc/abs");
	i = sbom_fileset_resolve(&c->fs, "odd/up/usr/bin/tool", 1); /* ".." stops at / */
	assert_string_equal(c->fs.files[i].path, "usr/bin/tool");
	assert_true(sbom_fileset_resolve(&c->fs, "odd/loop1", 1) < 0);
	assert_true(sbom_fileset_resolve(&c->fs, "usr/bin/tool/x", 1) < 0);
	sbom_catalog_free(c);
	free(root);
}

static void
test_manifest_roundtrip_and_verify(void **state)
{
	struct sbom_catalog *c;
	struct sbom_manifest m;
	struct sbom_verify_result r;
	char *root = ward_path_join(dir, "root"), *text, *mpath = ward_path_join(dir, "m");

	(void)state;
	assert_int_equal(sbom_catalog_rootfs(root, NULL, &c), 0);
	text = sbom_files_manifest(c);
	assert_non_null(text);
	/* Escapes as documented. */
	assert_non_null(strstr(text, "\n/etc/a\\tb\\\\c\\nd\tf\t0600\t"));
	assert_non_null(strstr(text, "\n/odd/dash\tl\t0777\t"));
	assert_non_null(strstr(text, "\t\\x2d\n"));
	assert_non_null(strstr(
		text, "\n/etc/empty\tf\t0644\t0\t0\t0\t"
		      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\t-\n"));
	assert_int_equal(sbom_manifest_parse(text, strlen(text), "m", &m), 0);
	assert_int_equal(m.n, c->fs.n);
	for (size_t i = 0; i < m.n; i++) {
		assert_string_equal(m.e[i].path, c->fs.files[i].path);
		assert_int_equal(m.e[i].type, c->fs.files[i].type);
		if (m.e[i].link)
			assert_string_equal(m.e[i].link, c->fs.files[i].link);
	}
	sbom_manifest_free(&m);
	/* A truncated manifest is refused. */
	assert_int_equal(sbom_manifest_parse(text, strlen(text) - 5, "m", &m), -1);
	assert_int_equal(ward_file_write(mpath, text, strlen(text), 0644), 0);
	free(text);
	sbom_catalog_free(c);

	assert_int_equal(sbom_files_verify(mpath, root, 0, 2, NULL, &r), 0);
	assert_int_equal(r.n, 0);
	sbom_verify_result_free(&r);

	/* Every kind of change is found and named. */
	put("root/usr/bin/tool", "#!/bin/echo\n", 0755); /* same size, other bytes */
	sh("chmod 0640 '%s/root/etc/empty'", dir);
	sh("rm %s/root/odd/dash && ln -s other %s/root/odd/dash", dir, dir);
	put("root/etc/new", "x", 0644);
	sh("rm '%s/root/etc/a\tb\\c\nd'", dir);
	assert_int_equal(sbom_files_verify(mpath, root, 0, 1, NULL, &r), -1);
	assert_int_equal(ward_errkind(), WARD_EVERIFY);
	assert_int_equal(r.n, 5);
	assert_string_equal(r.d[0].path, "/etc/a\tb\\c\nd");
	assert_string_equal(sbom_diff_name(r.d[0].kind), "missing");
	assert_string_equal(r.d[1].path, "/etc/empty");
	assert_string_equal(sbom_diff_name(r.d[1].kind), "mode");
	assert_string_equal(r.d[2].path, "/etc/new");
	assert_string_equal(sbom_diff_name(r.d[2].kind), "extra");
	assert_string_equal(sbom_diff_name(r.d[3].kind), "link");
	assert_string_equal(r.d[4].path, "/usr/bin/tool");
	assert_string_equal(sbom_diff_name(r.d[4].kind), "content");
	sbom_verify_result_free(&r);
	/* Mode differences can be waived (a tree unpacked without root). */
	assert_int_equal(sbom_files_verify(mpath, root, SBOM_VERIFY_IGNORE_MODE, 1, NULL, &r), -1);
	assert_int_equal(r.n, 4);
	sbom_verify_result_free(&r);
	free(root);
	free(mpath);
}

static const struct sbom_component *
find_python(const struct sbom_catalog *c, const char *name)
{
	for (size_t i = 0; i < c->ncomps; i++)
		if (c->comps[i].kind == SBOM_KIND_PYTHON && strcmp(c->comps[i].name, name) == 0)
			return &c->comps[i];
	return NULL;
}

static const char *
prop(const struct sbom_component *p, const char *name)
{
	for (size_t i = 0; i + 1 < p->props.n; i += 2)
		if (strcmp(p->props.v[i], name) == 0)
			return p->props.v[i + 1];
	return NULL;
}

/* A wheel's archive digest from its dist-info (PEP 710 provenance_url.json,
 * PEP 610 direct_url.json, old and new hash keys) becomes the component's
 * hash, in CycloneDX and SPDX; a malformed one leaves no hash and a warning. */
static void
test_wheel_archive_hash(void **state)
{
#define H1 "1111111111111111111111111111111111111111111111111111111111111111"
#define H2 "2222222222222222222222222222222222222222222222222222222222222222"
	static const struct {
		const char *name, *file, *json, *hash;
	} d[] = {
		{"prov", "provenance_url.json",
		 "{\"archive_info\":{\"hashes\":{\"sha256\":\"" H1 "\"}},"
		 "\"url\":\"https://files.example/prov-1.0-py3-none-any.whl\"}",
		 H1},
		{"direct", "direct_url.json",
		 "{\"archive_info\":{\"hash\":\"sha256=" H2 "\"},\"url\":\"file:///w/direct.whl\"}",
		 H2},
		{"vcs", "direct_url.json",
		 "{\"url\":\"https://git.example/x\",\"vcs_info\":{\"vcs\":\"git\",\"commit_id\":"
		 "\"abc\"}}",
		 NULL},
		{"short", "provenance_url.json",
		 "{\"archive_info\":{\"hashes\":{\"sha256\":\"12\"}},\"url\":\"x.whl\"}", NULL},
		{"md5only", "provenance_url.json",
		 "{\"archive_info\":{\"hashes\":{\"md5\":\"0123\"}},\"url\":\"x.whl\"}", NULL},
		{"notjson", "provenance_url.json", "{", NULL},
	};
	struct sbom_catalog *c;
	char *root = ward_path_join(dir, "py"), *cdx, *spdx, rel[256];
	json_t *j;

	(void)state;
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		sh("mkdir -p %s/py/site/%s-1.0.dist-info", dir, d[i].name);
		snprintf(rel, sizeof(rel), "py/site/%s-1.0.dist-info/METADATA", d[i].name);
		{
			char meta[128];
			snprintf(meta, sizeof(meta),
				 "Metadata-Version: 2.1\nName: %s\nVersion: 1.0\n\n", d[i].name);
			put(rel, meta, 0644);
		}
		snprintf(rel, sizeof(rel), "py/site/%s-1.0.dist-info/%s", d[i].name, d[i].file);
		put(rel, d[i].json, 0644);
	}
	assert_int_equal(sbom_catalog_rootfs(root, NULL, &c), 0);
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		const struct sbom_component *p = find_python(c, d[i].name);
		char hex[SHA256_HEX_LEN + 1];
		assert_non_null(p);
		if (d[i].hash == NULL) {
			if (p->hashed)
				fail_msg("%s: hashed", d[i].name);
			continue;
		}
		assert_true(p->hashed);
		ward_hex(p->sha256, SHA256_LEN, hex);
		assert_string_equal(hex, d[i].hash);
		assert_non_null(prop(p, "ward:python:archive"));
	}
	j = sbom_cyclonedx(c);
	cdx = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	assert_non_null(strstr(cdx, "\"hashes\":[{\"alg\":\"SHA-256\",\"content\":\"" H1 "\"}]"));
	assert_non_null(strstr(cdx, "\"content\":\"" H2 "\""));
	free(cdx);
	j = sbom_spdx(c);
	spdx = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	assert_non_null(strstr(
		spdx, "\"downloadLocation\":\"https://files.example/prov-1.0-py3-none-any.whl\""));
	assert_non_null(strstr(spdx, "\"checksumValue\":\"" H1 "\""));
	free(spdx);
	sbom_catalog_free(c);
	free(root);
#undef H1
#undef H2
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_purl_encode),
		cmocka_unit_test(test_pep503),
		cmocka_unit_test(test_spdx_expression),
		cmocka_unit_test(test_dep5_names),
		cmocka_unit_test(test_dep5_text_backed),
		cmocka_unit_test(test_python_license),
		cmocka_unit_test(test_pymeta_parse),
		cmocka_unit_test(test_record_parse),
		cmocka_unit_test(test_status_parse),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_manifest_roundtrip_and_verify),
		cmocka_unit_test(test_wheel_archive_hash),
	};
	return cmocka_run_group_tests(tests, setup_tree, teardown_tree);
}
