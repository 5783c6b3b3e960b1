/*
 * test_vuln.c: lib/vuln against independent oracles.
 *   PEP 440      Python's packaging.version on every version string of the
 *                PyPA records plus edge cases: zero disagreements
 *   CVSS v3      @turingpointde/cvss.js on every vector of the PyPA records
 *   ELF          binutils' readelf on host objects and on crafted 32/64-bit,
 *                little/big-endian objects; truncated and corrupted copies
 *                fail cleanly
 *   purl / VEX   go-vex's PurlMatches cases
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glob.h>
#include <unistd.h>

#include <cmocka.h>

#include "vuln/vuln_internal.h"

static const char *
env(const char *name)
{
	const char *v = getenv(name);
	return v ? v : ".";
}

/* ---------------------------------------------------------------- PEP 440 */

struct oracle_line {
	long rank;
	char *norm;
	char *text;
	size_t len;
};

static void
test_pep440_matches_packaging(void **state)
{
	char cmd[4096], line[8192];
	struct oracle_line *v = NULL;
	size_t n = 0, cap = 0, disagreements = 0, invalid = 0;
	FILE *p;

	(void)state;
	snprintf(cmd, sizeof(cmd), "python3 '%s/tests/py/pep440_oracle.py' '%s/vulndata/pypi'",
		 env("WARD_SRC"), env("WARD_SHARED"));
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p) != NULL) {
		char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		json_t *s;
		assert_non_null(t2);
		*t1 = *t2 = '\0';
		s = json_loads(t2 + 1, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		assert_non_null(s);
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			v = realloc(v, cap * sizeof(*v));
		}
		v[n].rank = atol(line);
		v[n].norm = strdup(t1 + 1);
		v[n].len = json_string_length(s);
		v[n].text = malloc(v[n].len + 1);
		memcpy(v[n].text, json_string_value(s), v[n].len + 1);
		json_decref(s);
		n++;
	}
	assert_int_equal(pclose(p), 0);
	assert_true(n > 13000);
	/* validity and the canonical form of every string */
	for (size_t i = 0; i < n; i++) {
		struct pep440 a;
		int ok = pep440_parse(v[i].text, v[i].len, &a) == 0;
		if (ok != (v[i].rank >= 0)) {
			fprintf(stderr, "validity differs for \"%s\": ward %d\n", v[i].text, ok);
			disagreements++;
		} else if (ok) {
			char *norm = pep440_normalize(&a);
			if (strcmp(norm, v[i].norm) != 0) {
				fprintf(stderr, "\"%s\": ward %s, packaging %s\n", v[i].text, norm,
					v[i].norm);
				disagreements++;
			}
			free(norm);
		} else {
			invalid++;
		}
		if (ok)
			pep440_free(&a);
		ward_err_clear();
	}
	/* order: the oracle's list is sorted; every neighbouring pair must
	 * compare as the ranks say, and, ward's comparison being a total
	 * preorder, so must every pair.  Some far pairs are checked too. */
	for (size_t i = 0; i + 1 < n; i++) {
		struct pep440 a, b;
		size_t j = i + 1;
		if (v[i].rank < 0)
			continue;
		for (int round = 0; round < 2; round++) {
			int want, got;
			if (round == 1)
				j = (i * 2654435761u) % n;
			if (v[j].rank < 0)
				continue;
			assert_int_equal(pep440_parse(v[i].text, v[i].len, &a), 0);
			assert_int_equal(pep440_parse(v[j].text, v[j].len, &b), 0);
			want = v[i].rank < v[j].rank ? -1 : v[i].rank > v[j].rank;
			got = pep440_cmp(&a, &b);
			got = got < 0 ? -1 : got > 0;
			if (want != got) {
				fprintf(stderr, "cmp(\"%s\", \"%s\"): ward %d, packaging %d\n",
					v[i].text, v[j].text, got, want);
				disagreements++;
			}
			pep440_free(&a);
			pep440_free(&b);
		}
	}
	fprintf(stderr, "pep440: %zu strings (%zu invalid), %zu disagreements\n", n, invalid,
		disagreements);
	assert_int_equal(disagreements, 0);
	for (size_t i = 0; i < n; i++) {
		free(v[i].norm);
		free(v[i].text);
	}
	free(v);
}

static void
test_pep503_names(void **state)
{
	static const char *const cases[][2] = {
		{"Django", "django"},
		{"zope.interface", "zope-interface"},
		{"Foo__Bar-.baz", "foo-bar-baz"},
		{"PyYAML", "pyyaml"},
		{"a_b", "a-b"},
		{"_x", "-x"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *n = vuln_pep503_name(cases[i][0]);
		assert_string_equal(n, cases[i][1]);
		free(n);
	}
}

/* ---------------------------------------------------------------- CVSS */

static void
test_cvss_matches_cvss_js(void **state)
{
	char cmd[4096], list[] = "/tmp/ward-cvss-XXXXXX", line[1024];
	size_t checked = 0;
	int fd;
	FILE *f, *p;
	static const char *const extra[] = {
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
		"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H",
		"CVSS:3.0/AV:P/AC:H/PR:N/UI:R/S:C/C:L/I:H/A:L",
		"CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N",
		"CVSS:3.1/AV:A/AC:H/PR:H/UI:R/S:C/C:L/I:N/A:N/E:P/RL:O/RC:C",
		"CVSS:3.0/AV:N/AC:L/PR:H/UI:N/S:C/C:L/I:L/A:N",
		"CVSS:3.1/AV:N/AC:H/PR:L/UI:R/S:C/C:H/I:L/A:L",
	};

	(void)state;
	fd = mkstemp(list);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	for (size_t i = 0; i < sizeof(extra) / sizeof(*extra); i++)
		fprintf(f, "%s\n", extra[i]);
	fclose(f);
	/* every CVSS_V3 vector in the PyPA records */
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json,glob,sys\n"
		 "for p in glob.glob(sys.argv[1]+\"/*.json\"):\n"
		 " for s in json.load(open(p)).get(\"severity\",[]):\n"
		 "  print(s[\"score\"])' '%s/vulndata/pypi' | sort -u >> %s",
		 env("WARD_SHARED"), list);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "cd '%s/tests/js' && node cvss-scores.mjs < %s", env("WARD_SRC"),
		 list);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p) != NULL) {
		char *tab = strchr(line, '\t');
		double score;
		assert_non_null(tab);
		*tab = '\0';
		tab[strcspn(tab + 1, "\n") + 1] = '\0';
		if (strcmp(tab + 1, "invalid") == 0) {
			assert_int_equal(vuln_cvss3_base_score(line, &score), -1);
		} else {
			char mine[16];
			assert_int_equal(vuln_cvss3_base_score(line, &score), 0);
			snprintf(mine, sizeof(mine), "%.1f", score);
			if (strcmp(mine, tab + 1) != 0)
				fprintf(stderr, "%s: ward %s, cvss.js %s\n", line, mine, tab + 1);
			assert_string_equal(mine, tab + 1);
		}
		checked++;
		ward_err_clear();
	}
	assert_int_equal(pclose(p), 0);
	unlink(list);
	fprintf(stderr, "cvss: %zu vectors agree with cvss.js\n", checked);
	assert_true(checked > 60);
	{
		double s;
		assert_int_equal(
			vuln_cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", &s), -1);
		assert_int_equal(vuln_cvss3_base_score(
					 "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", &s),
				 -1);
		assert_int_equal(vuln_cvss3_base_score("CVSS:2.0/AV:N", &s), -1);
		assert_int_equal(
			vuln_cvss3_base_score("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", &s),
			-1);
		ward_err_clear();
	}
}

/* ---------------------------------------------------------------- ELF */

static int
read_whole(const char *path, unsigned char **data, size_t *len)
{
	struct ward_buf b = {0};

	if (ward_file_read(path, 1u << 30, &b) != 0)
		return -1;
	*data = b.data;
	*len = b.len;
	return 0;
}

/* readelf's view: "I name@VER" imports, "D name" definitions, "N lib", "S soname". */
static void
readelf_view(const char *path, struct ward_strv *out)
{
	char cmd[2048], line[4096];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "LC_ALL=C readelf -W --dyn-syms '%s' 2>/dev/null", path);
	p = popen(cmd, "r");
	while (fgets(line, sizeof(line), p) != NULL) {
		char num[32], value[64], size[32], type[32], bind[32], vis[32], ndx[32], name[2048];
		char *paren, item[2100];
		if (sscanf(line, "%31s %63s %31s %31s %31s %31s %31s %2047s", num, value, size,
			   type, bind, vis, ndx, name) != 8 ||
		    num[strlen(num) - 1] != ':')
			continue;
		if (strcmp(bind, "GLOBAL") && strcmp(bind, "WEAK") && strcmp(bind, "UNIQUE"))
			continue;
		if ((paren = strstr(line, " (")) != NULL && strchr(name, '('))
			*strchr(name, '(') = '\0';
		if (strcmp(ndx, "UND") == 0) {
			snprintf(item, sizeof(item), "I %s", name);
		} else if (!strcmp(type, "FUNC") || !strcmp(type, "OBJECT") ||
			   !strcmp(type, "IFUNC")) {
			char *at = strchr(name, '@');
			if (at)
				*at = '\0';
			snprintf(item, sizeof(item), "D %s", name);
		} else {
			continue;
		}
		ward_strv_push(out, item);
	}
	pclose(p);
	snprintf(cmd, sizeof(cmd), "LC_ALL=C readelf -W -d '%s' 2>/dev/null", path);
	p = popen(cmd, "r");
	while (fgets(line, sizeof(line), p) != NULL) {
		char *l = strchr(line, '['), *r = l ? strchr(l, ']') : NULL, item[2100];
		if (r == NULL)
			continue;
		*r = '\0';
		if (strstr(line, "(NEEDED)"))
			snprintf(item, sizeof(item), "N %s", l + 1);
		else if (strstr(line, "(SONAME)"))
			snprintf(item, sizeof(item), "S %s", l + 1);
		else
			continue;
		ward_strv_push(out, item);
	}
	pclose(p);
	ward_strv_sort(out);
}

static void
ward_view(const struct vuln_elf *e, struct ward_strv *out)
{
	char item[4200];

	for (size_t i = 0; i < e->imports.n; i++) {
		snprintf(item, sizeof(item), "I %s", e->imports.v[i]);
		ward_strv_push(out, item);
	}
	if (e->has_dynamic)
		for (size_t i = 0; i < e->defines.n; i++) {
			snprintf(item, sizeof(item), "D %s", e->defines.v[i]);
			ward_strv_push(out, item);
		}
	for (size_t i = 0; i < e->needed.n; i++) {
		snprintf(item, sizeof(item), "N %s", e->needed.v[i]);
		ward_strv_push(out, item);
	}
	if (e->soname) {
		snprintf(item, sizeof(item), "S %s", e->soname);
		ward_strv_push(out, item);
	}
	ward_strv_sort(out);
}

/* 1 when ward and readelf agree on the object at path. */
static int
compare_with_readelf(const char *path, int *cls, int *be)
{
	unsigned char *data;
	size_t len;
	struct vuln_elf e;
	struct ward_strv a = {0}, b = {0};
	int same;

	if (read_whole(path, &data, &len) != 0) {
		ward_err_clear();
		return -1;
	}
	if (len < 4 || memcmp(data, "\177ELF", 4) != 0) {
		free(data);
		return -1;
	}
	if (vuln_elf_read(data, len, path, &e) != 0) {
		fprintf(stderr, "ward cannot read %s: %s\n", path, ward_errmsg());
		free(data);
		return 0;
	}
	*cls = e.elf_class;
	*be = e.big_endian;
	ward_view(&e, &a);
	readelf_view(path, &b);
	same = a.n == b.n;
	for (size_t i = 0; same && i < a.n; i++)
		same = strcmp(a.v[i], b.v[i]) == 0;
	if (!same) {
		fprintf(stderr, "%s: ward %zu entries, readelf %zu\n", path, a.n, b.n);
		for (size_t i = 0; i < a.n; i++)
			if (!ward_strv_contains(&b, a.v[i]))
				fprintf(stderr, "  only ward:    %s\n", a.v[i]);
		for (size_t i = 0; i < b.n; i++)
			if (!ward_strv_contains(&a, b.v[i]))
				fprintf(stderr, "  only readelf: %s\n", b.v[i]);
	}
	vuln_elf_free(&e);
	ward_strv_free(&a);
	ward_strv_free(&b);
	free(data);
	return same;
}

static void
test_elf_matches_readelf(void **state)
{
	static const char *const dirs[] = {"/usr/lib/x86_64-linux-gnu", "/usr/bin"};
	char tmp[] = "/tmp/ward-elf-XXXXXX", cmd[512], path[4096];
	int seen[2][2] = {{0}}, cls, be;
	size_t compared = 0;

	(void)state;
	assert_non_null(mkdtemp(tmp));
	snprintf(cmd, sizeof(cmd), "python3 '%s/tests/py/elf_craft.py' %s", env("WARD_SRC"), tmp);
	assert_int_equal(system(cmd), 0);
	{
		static const char *const crafted[] = {"elf32le.so", "elf32be.so", "elf64le.so",
						      "elf64be.so"};
		for (size_t i = 0; i < 4; i++) {
			snprintf(path, sizeof(path), "%s/%s", tmp, crafted[i]);
			assert_int_equal(compare_with_readelf(path, &cls, &be), 1);
			seen[cls == 64][be]++;
			compared++;
			unlink(path);
		}
	}
	rmdir(tmp);
	assert_true(seen[0][0] && seen[0][1] && seen[1][0] && seen[1][1]);
	/* real objects: the first 60 ELF files of each directory, sorted */
	for (size_t d = 0; d < 2; d++) {
		struct dirent **names;
		int n = scandir(dirs[d], &names, NULL, alphasort), used = 0;
		for (int i = 0; i < n; i++) {
			struct stat st;
			snprintf(path, sizeof(path), "%s/%s", dirs[d], names[i]->d_name);
			if (used < 60 && lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
			    st.st_size < (64 << 20)) {
				int r = compare_with_readelf(path, &cls, &be);
				if (r >= 0) {
					assert_int_equal(r, 1);
					used++;
					compared++;
				}
			}
			free(names[i]);
		}
		free(names);
	}
	fprintf(stderr, "elf: %zu objects agree with readelf\n", compared);
	assert_true(compared > 50);
}

/* Truncated and bit-flipped copies of a real library never crash the reader. */
static void
test_elf_hostile(void **state)
{
	unsigned char *data, *copy;
	size_t len, ok = 0, failed = 0;
	struct vuln_elf e;

	(void)state;
	assert_int_equal(read_whole("/usr/lib/x86_64-linux-gnu/libz.so.1", &data, &len), 0);
	copy = malloc(len);
	for (size_t cut = 0; cut < len; cut += len / 97 + 1) {
		memcpy(copy, data, cut);
		if (vuln_elf_read(copy, cut, "truncated", &e) == 0) {
			vuln_elf_free(&e);
			ok++;
		} else {
			assert_int_equal(ward_errkind(), WARD_EINPUT);
			failed++;
		}
		ward_err_clear();
	}
	srand(7);
	for (int round = 0; round < 300; round++) {
		memcpy(copy, data, len);
		for (int k = 0; k < 8; k++) {
			size_t at = (size_t)rand() % (len < 4096 ? len : 4096); /* headers */
			copy[at] ^= (unsigned char)(1u << (rand() % 8));
		}
		if (round % 3 == 0) /* and somewhere in the tables */
			copy[(size_t)rand() % len] ^= 0xff;
		if (vuln_elf_read(copy, len, "flipped", &e) == 0) {
			vuln_elf_free(&e);
			ok++;
		} else {
			failed++;
		}
		ward_err_clear();
	}
	fprintf(stderr, "elf hostile: %zu read, %zu refused\n", ok, failed);
	assert_true(failed > 0);
	free(copy);
	free(data);
}

/* ---------------------------------------------------------------- purl */

static void
test_purl_matching(void **state)
{
	/* general (VEX side), specific (package), expected: go-vex PurlMatches */
	static const struct {
		const char *general, *specific;
		int want;
	} cases[] = {
		{"pkg:deb/debian/libssl3", "pkg:deb/debian/libssl3@3.0.11-1?arch=amd64", 1},
		{"pkg:deb/debian/libssl3@3.0.11-1", "pkg:deb/debian/libssl3@3.0.11-1?arch=amd64",
		 1},
		{"pkg:deb/debian/libssl3@3.0.11-2", "pkg:deb/debian/libssl3@3.0.11-1?arch=amd64",
		 0},
		{"pkg:deb/debian/libssl3?arch=amd64",
		 "pkg:deb/debian/libssl3@1?arch=amd64&distro=debian-12", 1},
		{"pkg:deb/debian/libssl3?arch=arm64", "pkg:deb/debian/libssl3@1?arch=amd64", 0},
		{"pkg:deb/debian/libssl3?distro=debian-12", "pkg:deb/debian/libssl3@1?arch=amd64",
		 0},
		{"pkg:deb/debian/libssl3@1", "pkg:deb/debian/libssl3", 0},
		{"pkg:deb/ubuntu/libssl3", "pkg:deb/debian/libssl3@1", 0},
		{"pkg:pypi/Foo_Bar@1.0", "pkg:pypi/foo-bar@1.0", 1},
		{"pkg:deb/debian/curl@1%3A7.0-2", "pkg:deb/debian/curl@1:7.0-2?arch=amd64", 1},
		{"pkg:oci/img@sha256%3Aabc?repository_url=x",
		 "pkg:oci/img@sha256:abc?repository_url=x&tag=1", 1},
		{"not a purl", "pkg:deb/debian/a@1", 0},
		{"pkg:deb/debian/a@1", "pkg:%zz/a@1", 0},
	};
	struct purl p;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		if (purl_matches(cases[i].general, cases[i].specific) != cases[i].want)
			fail_msg("PurlMatches(%s, %s) != %d", cases[i].general, cases[i].specific,
				 cases[i].want);
	}
	assert_int_equal(
		purl_parse("pkg:deb/debian/"
			   "libssl3@3.0.11-1~deb12u2?upstream=openssl%403.0.11-1&arch=amd64",
			   &p),
		0);
	assert_string_equal(p.type, "deb");
	assert_string_equal(p.ns, "debian");
	assert_string_equal(p.name, "libssl3");
	assert_string_equal(p.version, "3.0.11-1~deb12u2");
	assert_string_equal(purl_qualifier(&p, "upstream"), "openssl@3.0.11-1");
	assert_string_equal(p.q[0].key, "arch"); /* sorted */
	purl_free(&p);
}

/* ---------------------------------------------------------------- changelogs */

static const char crafted_changelog[] =
	"python-foo (1.0-3) bookworm; urgency=medium\n"
	"\n"
	"  * Revert the fix for CVE-2099-0003, it broke imports.\n"
	"  * Fix CVE-2099-0004: newer than what is installed.\n"
	"\n"
	" -- A Maintainer <a@example.org>  Mon, 01 Jan 2024 00:00:00 +0000\n"
	"\n"
	"python-foo (1.0-2) bookworm-security; urgency=high\n"
	"\n"
	"  [ Someone ]\n"
	"  * Backport upstream fixes:\n"
	"    - a long line that names\n"
	"      cve-2099-0001 on its second line (Closes: #1)\n"
	"    - CVE-2099-0003: parser overflow\n"
	"  * Not an id: CVE-2099-1, xCVE-2099-0009, CVE-2099-00012345678901.\n"
	"\n"
	" -- A Maintainer <a@example.org>  Mon, 01 Jan 2023 00:00:00 +0000\n"
	"\n"
	"python-foo (1:0.9-1) unstable; urgency=low\n"
	"  * Mentions CVE-2099-0002 in an epoch version (sorts above 1.0-x).\n"
	" -- A Maintainer <a@example.org>  Mon, 01 Jan 2022 00:00:00 +0000\n"
	"\n"
	"python-foo (0.9-1) unstable; urgency=low\n"
	"  * Fixes CVE-2099-0001 first (the earliest fix is the evidence).\n"
	" -- A Maintainer <a@example.org>  Mon, 01 Jan 2021 00:00:00 +0000\n"
	"\n"
	"Old Changelog:\n"
	"python-foo (0.1-1) unstable; urgency=low\n"
	"  * CVE-2099-0005 after the free-text marker is not read.\n";

static void
test_changelog_rules(void **state)
{
	struct vuln_changelog c;
	const struct vuln_changelog_cve *x;

	(void)state;
	assert_int_equal(vuln_changelog_parse(crafted_changelog, strlen(crafted_changelog), "t",
					      "1.0-3", &c),
			 0);
	assert_string_equal(c.version, "1.0-3");
	assert_int_equal(c.n, 3); /* 0001, 0003, 0004; 0002 is at 1:0.9-1 > 1.0-3 */
	x = vuln_changelog_find(&c, "CVE-2099-0001");
	assert_non_null(x);
	assert_string_equal(x->version, "0.9-1");
	assert_false(x->reverted);
	x = vuln_changelog_find(&c, "CVE-2099-0003");
	assert_non_null(x);
	assert_string_equal(x->version, "1.0-3");
	assert_true(x->reverted);
	assert_string_equal(x->line, "* Revert the fix for CVE-2099-0003, it broke imports.");
	assert_null(vuln_changelog_find(&c, "CVE-2099-0002"));
	assert_null(vuln_changelog_find(&c, "CVE-2099-0005"));
	assert_null(vuln_changelog_find(&c, "CVE-2099-0009"));
	vuln_changelog_free(&c);
	/* installed 1.0-2: the revert and 0004 are above it */
	assert_int_equal(vuln_changelog_parse(crafted_changelog, strlen(crafted_changelog), "t",
					      "1.0-2", &c),
			 0);
	x = vuln_changelog_find(&c, "CVE-2099-0003");
	assert_non_null(x);
	assert_false(x->reverted);
	assert_string_equal(x->line, "- CVE-2099-0003: parser overflow");
	assert_null(vuln_changelog_find(&c, "CVE-2099-0004"));
	x = vuln_changelog_find(&c, "CVE-2099-0001");
	assert_string_equal(x->version, "0.9-1");
	vuln_changelog_free(&c);
	/* no limit: the epoch entry counts */
	assert_int_equal(
		vuln_changelog_parse(crafted_changelog, strlen(crafted_changelog), "t", NULL, &c),
		0);
	assert_non_null(vuln_changelog_find(&c, "CVE-2099-0002"));
	vuln_changelog_free(&c);
	/* hostile: nothing but garbage, NUL bytes, a header without a version */
	assert_int_equal(vuln_changelog_parse("\0\0x (\n  * CVE-2099-0001\n", 24, "t", NULL, &c),
			 0);
	assert_int_equal(c.n, 0);
	vuln_changelog_free(&c);
}

/* Every changelog.Debian.gz on this machine, parsed by ward and by the
 * Python oracle (gzip, its own parser, libapt/dpkg for the order). */
static void
test_changelogs_match_oracle(void **state)
{
	char cmd[8192], list[] = "/tmp/ward-cl-XXXXXX";
	int fd = mkstemp(list);
	FILE *p;
	json_t *all, *want;
	const char *path;
	size_t files = 0, ids = 0, bad = 0;
	glob_t g;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(glob("/usr/share/doc/*/changelog.Debian.gz", 0, NULL, &g), 0);
	for (size_t i = 0; i < g.gl_pathc; i++)
		dprintf(fd, "%s\n", g.gl_pathv[i]);
	close(fd);
	globfree(&g);
	snprintf(cmd, sizeof(cmd), "python3 '%s/tests/py/vuln_oracle.py' changelogs '%s'",
		 env("WARD_SRC"), list);
	p = popen(cmd, "r");
	assert_non_null(p);
	all = json_loadf(p, 0, NULL);
	assert_int_equal(pclose(p), 0);
	unlink(list);
	assert_non_null(all);
	json_object_foreach(all, path, want)
	{
		struct ward_buf b = {0};
		struct vuln_changelog c;
		const char *id;
		json_t *w;
		assert_int_equal(ward_file_read(path, 64u << 20, &b), 0);
		assert_int_equal(vuln_changelog_read(b.data, b.len, path, NULL, &c), 0);
		files++;
		if (json_object_size(want) != c.n) {
			fprintf(stderr, "%s: ward %zu ids, oracle %zu\n", path, c.n,
				json_object_size(want));
			bad++;
		}
		json_object_foreach(want, id, w)
		{
			const struct vuln_changelog_cve *x = vuln_changelog_find(&c, id);
			ids++;
			if (x == NULL ||
			    strcmp(x->version, json_string_value(json_array_get(w, 0))) != 0 ||
			    x->reverted != json_is_true(json_array_get(w, 1))) {
				fprintf(stderr, "%s %s: ward %s%s, oracle %s%s\n", path, id,
					x ? x->version : "(none)",
					x && x->reverted ? " reverted" : "",
					json_string_value(json_array_get(w, 0)),
					json_is_true(json_array_get(w, 1)) ? " reverted" : "");
				bad++;
			}
		}
		vuln_changelog_free(&c);
		ward_buf_free(&b);
	}
	json_decref(all);
	fprintf(stderr, "changelogs: %zu files, %zu ids, %zu differences\n", files, ids, bad);
	assert_true(files > 100);
	assert_int_equal(bad, 0);
}

/* The package list as JSON (fleet stores it) keeps the changelog evidence,
 * and a scan limited to some records (`only`) matches only those. */
static void
test_pkg_json_and_only(void **state)
{
	char dir[] = "/tmp/ward-only-XXXXXX", *recs, *store, *path;
	struct vuln_pkglist a = {0}, b = {0};
	struct vuln_changelog cl;
	struct vuln_pkg k = {0};
	struct vuln_import_stats st = {0};
	struct vuln_report r;
	struct vuln_finding copy;
	struct ward_strv only = {0};
	struct vuln_scan_opts o = {0};
	struct vuln_db *db;
	json_t *j;
	FILE *f;

	(void)state;
	assert_int_equal(vuln_changelog_parse(crafted_changelog, strlen(crafted_changelog), "t",
					      "1.0-2", &cl),
			 0);
	k.ecosystem = "Debian:12";
	k.name = "python3-foo";
	k.version = "1.0-2";
	k.source = "python-foo";
	k.arch = "all";
	k.changelog = &cl;
	assert_int_equal(vuln_pkglist_add(&a, &k), 0);
	vuln_changelog_free(&cl);
	j = vuln_pkg_to_json(&a.v[0]);
	assert_non_null(j);
	assert_int_equal(vuln_pkg_from_json(j, "t", &b), 0);
	json_decref(j);
	assert_string_equal(b.v[0].arch, "all");
	assert_non_null(b.v[0].changelog);
	assert_int_equal(b.v[0].changelog->n, a.v[0].changelog->n);
	assert_string_equal(vuln_changelog_find(b.v[0].changelog, "CVE-2099-0001")->version,
			    "0.9-1");
	vuln_pkglist_free(&a);
	b.distro = strdup("Debian:12");

	assert_non_null(mkdtemp(dir));
	recs = ward_path_join(dir, "recs");
	store = ward_path_join(dir, "db");
	assert_int_equal(mkdir(recs, 0755), 0);
	for (int n = 3; n <= 4; n++) {
		assert_true(asprintf(&path, "%s/r%d.json", recs, n) > 0);
		f = fopen(path, "w");
		fprintf(f,
			"{\"id\":\"DEBIAN-CVE-2099-000%d\",\"modified\":\"2099-01-01T00:00:00Z\","
			"\"aliases\":[\"CVE-2099-000%d\"],\"affected\":[{\"package\":{"
			"\"ecosystem\":"
			"\"Debian:12\",\"name\":\"python-foo\"},\"ranges\":[{\"type\":"
			"\"ECOSYSTEM\","
			"\"events\":[{\"introduced\":\"0\"}]}]}]}",
			n, n);
		fclose(f);
		free(path);
	}
	assert_non_null(db = vuln_db_open(store, VULN_DB_CREATE));
	assert_int_equal(vuln_db_import(db, recs, &st, NULL), 0);
	vuln_import_stats_free(&st);
	o.cache = "";
	assert_int_equal(vuln_scan_with(db, &b, &o, &r), 0);
	/* 0003: open in the record, fixed by the changelog (1.0-2); 0004: named
	 * only above the installed version: affected */
	assert_int_equal(r.nfindings, 1);
	assert_string_equal(r.findings[0].id, "CVE-2099-0004");
	assert_int_equal(r.nresolved, 1);
	assert_string_equal(r.resolved[0].id, "CVE-2099-0003");
	assert_int_equal(r.resolved[0].status, VULN_FIXED);
	assert_string_equal(r.resolved[0].basis, "changelog");
	assert_int_equal(vuln_finding_copy(&copy, &r.resolved[0]), 0);
	assert_string_equal(copy.id, "CVE-2099-0003");
	assert_int_equal(copy.evidence.n, r.resolved[0].evidence.n);
	assert_string_equal(copy.evidence.v[0], r.resolved[0].evidence.v[0]);
	assert_string_equal(copy.disagreement, r.resolved[0].disagreement);
	vuln_finding_free(&copy);
	vuln_report_free(&r);
	ward_strv_push(&only, "DEBIAN-CVE-2099-0004");
	o.only = &only;
	assert_int_equal(vuln_scan_with(db, &b, &o, &r), 0);
	assert_int_equal(r.nfindings + r.nresolved, 1);
	assert_string_equal(r.findings[0].id, "CVE-2099-0004");
	vuln_report_free(&r);
	ward_strv_free(&only);
	vuln_db_close(db);
	vuln_pkglist_free(&b);
	ward_rm_rf(dir);
	free(recs);
	free(store);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pep440_matches_packaging),
		cmocka_unit_test(test_pep503_names),
		cmocka_unit_test(test_cvss_matches_cvss_js),
		cmocka_unit_test(test_elf_matches_readelf),
		cmocka_unit_test(test_elf_hostile),
		cmocka_unit_test(test_purl_matching),
		cmocka_unit_test(test_changelog_rules),
		cmocka_unit_test(test_changelogs_match_oracle),
		cmocka_unit_test(test_pkg_json_and_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
