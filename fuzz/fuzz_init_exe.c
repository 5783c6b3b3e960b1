/* fuzz_init_exe: the "#!" and ELF header parsers ward-init runs on the
 * server binary, and the JSON escaping of its log lines (the result must
 * be a valid JSON string, checked with jansson). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exe.h"
#include "jlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[4096], quoted[4200];
	static char esc[6 * 65536 + 8];
	json_error_t e;
	json_t *j;
	size_t n;

	if (exe_shebang(data, size, out, sizeof(out)) == 1 && (out[0] != '/' || strlen(out) > 255))
		abort();
	if (exe_elf_interp(data, size, out, sizeof(out)) == 1 && out[0] != '/')
		abort();
	n = jlog_escape(esc, sizeof(esc), (const char *)data, size);
	if (n == (size_t)-1)
		abort(); /* 6 bytes out per byte in always fits */
	if (n + 3 <= sizeof(quoted)) {
		snprintf(quoted, sizeof(quoted), "\"%s\"", esc);
		j = json_loads(quoted, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
		if (j == NULL)
			abort();
		json_decref(j);
	}
	return 0;
}
