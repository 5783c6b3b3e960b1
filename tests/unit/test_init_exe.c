/* test_init_exe.c: "#!" lines, ELF program interpreters (checked against
 * readelf), PATH search. */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "exe.h"

static void
test_shebang(void **state)
{
	char out[256];

	(void)state;
	assert_int_equal(exe_shebang("#!/usr/bin/python3 -u\n", 22, out, sizeof(out)), 1);
	assert_string_equal(out, "/usr/bin/python3");
	assert_int_equal(exe_shebang("#! \t/bin/sh\n", 12, out, sizeof(out)), 1);
	assert_string_equal(out, "/bin/sh");
	assert_int_equal(exe_shebang("#!/bin/sh", 9, out, sizeof(out)), 1);
	assert_int_equal(exe_shebang("\x7f"
				     "ELF",
				     4, out, sizeof(out)),
			 0);
	assert_int_equal(exe_shebang("#", 1, out, sizeof(out)), 0);
	assert_int_equal(exe_shebang("#!\n", 3, out, sizeof(out)), -1);
	assert_int_equal(exe_shebang("#!python3\n", 10, out, sizeof(out)), -1);
	assert_int_equal(exe_shebang("#!/usr/bin/python3\n", 19, out, 5), -1);
	char longline[300];
	memset(longline, 'a', sizeof(longline));
	memcpy(longline, "#!/", 3);
	assert_int_equal(exe_shebang(longline, sizeof(longline), out, sizeof(out)), -1);
}

/* The interpreter as readelf reports it: an independent reading. */
static int
readelf_interp(const char *path, char *out, size_t cap)
{
	char cmd[512], line[512];
	FILE *f;
	int found = 0;

	snprintf(cmd, sizeof(cmd), "readelf -lW %s 2>/dev/null", path);
	if ((f = popen(cmd, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = strstr(line, "[Requesting program interpreter: ");
		if (p != NULL) {
			p += strlen("[Requesting program interpreter: ");
			p[strcspn(p, "]")] = '\0';
			snprintf(out, cap, "%s", p);
			found = 1;
		}
	}
	pclose(f);
	return found;
}

static void
test_elf(void **state)
{
	static unsigned char buf[EXE_HEAD_MAX];
	const char *bins[] = {"/bin/true", "/usr/bin/env", "/usr/bin/python3.11", NULL};
	char want[256], got[256];

	(void)state;
	for (int i = 0; bins[i] != NULL; i++) {
		FILE *f = fopen(bins[i], "rb");
		if (f == NULL)
			continue;
		size_t n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		int r = readelf_interp(bins[i], want, sizeof(want));
		if (r < 0)
			skip();
		assert_int_equal(exe_elf_interp(buf, n, got, sizeof(got)), r);
		if (r == 1)
			assert_string_equal(got, want);
		/* Any truncation is refused or finds the same answer, never more. */
		for (size_t cut = 0; cut < 2048 && cut < n; cut += 7) {
			int c = exe_elf_interp(buf, cut, got, sizeof(got));
			assert_true(c == -1 || (c == r && (r == 0 || strcmp(got, want) == 0)));
		}
	}
	/* Without PT_INTERP (a static binary) there is no interpreter. */
	FILE *f = fopen("/bin/true", "rb");
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	Elf64_Ehdr eh;
	memcpy(&eh, buf, sizeof(eh));
	for (size_t i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr *ph = (Elf64_Phdr *)(buf + eh.e_phoff + i * sizeof(*ph));
		if (ph->p_type == PT_INTERP)
			ph->p_type = PT_NULL;
	}
	assert_int_equal(exe_elf_interp(buf, n, got, sizeof(got)), 0);
	buf[EI_CLASS] = ELFCLASS32;
	assert_int_equal(exe_elf_interp(buf, n, got, sizeof(got)), -1);
	assert_int_equal(exe_elf_interp("#!/bin/sh\n", 10, got, sizeof(got)), -1);
}

static void
test_resolve(void **state)
{
	char dir[] = "/tmp/ward-exe-XXXXXX", path[300], env[700];
	int status;
	char *r;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/tool", dir);
	FILE *f = fopen(path, "w");
	fputs("#!/bin/true\n", f);
	fclose(f);
	chmod(path, 0644);
	snprintf(env, sizeof(env), "/nonexistent:%s", dir);
	r = exe_resolve("tool", env, &status);
	assert_null(r);
	assert_int_equal(status, 126);
	chmod(path, 0755);
	r = exe_resolve("tool", env, &status);
	assert_non_null(r);
	assert_string_equal(r, path);
	free(r);
	assert_null(exe_resolve("no-such-tool-here", env, &status));
	assert_int_equal(status, 127);
	assert_null(exe_resolve("/no/such/file", NULL, &status));
	assert_int_equal(status, 127);
	assert_null(exe_resolve(dir, NULL, &status)); /* a directory */
	assert_int_equal(status, 126);
	r = exe_resolve("true", NULL, &status);
	assert_non_null(r);
	free(r);

	struct ward_strv files = {0}, loaders = {0};
	int unreadable;
	assert_int_equal(exe_chain(path, &files, &loaders, &unreadable), 0);
	assert_false(unreadable);
	assert_int_equal(files.n, 3); /* the script, /bin/true, its loader */
	assert_string_equal(files.v[0], path);
	assert_string_equal(files.v[1], "/bin/true");
	/* the loader is named apart: the gate never admits it as a program */
	assert_int_equal(loaders.n, 1);
	assert_string_equal(loaders.v[0], files.v[2]);
	ward_strv_free(&files);
	ward_strv_free(&loaders);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shebang),
		cmocka_unit_test(test_elf),
		cmocka_unit_test(test_resolve),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
