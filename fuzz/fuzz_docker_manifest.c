/* fuzz_docker_manifest: docker-archive manifest.json parsing. */
#include "oci/oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct docker_manifest m;

	if (docker_manifest_parse(data, size, "fuzz", NULL, &m) == 0)
		docker_manifest_free(&m);
	return 0;
}
