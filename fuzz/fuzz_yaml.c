/* fuzz_yaml: the YAML loader and the ward.yaml reader on top of it. */
#include <string.h>

#include "build/build.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ward_yaml_node *n = ward_yaml_load(data, size, "fuzz.yaml");
	struct build_spec s;

	ward_yaml_free(n);
	if (build_spec_parse((const char *)data, size, "fuzz/ward.yaml", &s) == 0)
		build_spec_free(&s);
	return 0;
}
