/* fuzz_oci_json: image index, image manifest and image config parsing.
 * The first byte picks the parser; the rest is the document. */
#include "oci/oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_index x;
	struct oci_manifest m;
	struct oci_config c;

	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		if (oci_index_parse(data + 1, size - 1, "fuzz", NULL, &x) == 0) {
			for (size_t i = 0; i < x.n; i++) {
				json_t *j = oci_descriptor_json(&x.v[i]);
				json_decref(j);
			}
			oci_index_free(&x);
		}
		break;
	case 1:
		if (oci_manifest_parse(data + 1, size - 1, "fuzz", NULL, &m) == 0) {
			struct oci_manifest_spec s = {.config = &m.config,
						      .layers = m.layers,
						      .nlayers = m.nlayers,
						      .subject = m.has_subject ? &m.subject : NULL,
						      .annotations = m.annotations};
			json_t *j = oci_manifest_build(&s);
			json_decref(j);
			oci_manifest_free(&m);
		}
		break;
	default:
		if (oci_config_parse(data + 1, size - 1, "fuzz", NULL, &c) == 0)
			oci_config_free(&c);
	}
	return 0;
}
