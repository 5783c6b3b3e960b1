/* fuzz_elf: the ELF dynamic symbol reader on hostile objects. */
#include <stdlib.h>
#include <string.h>

#include "vuln/vuln.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the reader needs writable data (libelf converts in place) */
	void *copy = malloc(size ? size : 1);
	struct vuln_elf e;

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	if (vuln_elf_read(copy, size, "fuzz", &e) == 0)
		vuln_elf_free(&e);
	ward_err_clear();
	free(copy);
	return 0;
}
