/* fuzz_sbom_elf: the ELF reader (libelf) that names unowned binaries. */
#include "sbom/sbom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbom_elf_info e;

	if (sbom_elf_parse(data, size, "fuzz", &e) == 0)
		sbom_elf_info_free(&e);
	return 0;
}
