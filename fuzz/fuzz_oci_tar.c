/* fuzz_oci_tar: the tar readers on untrusted bytes — the archive indexer
 * (docker-archive / oci-archive members) and the layer reader (sniffed
 * gzip/zstd/plain, libarchive, name normalisation, whiteouts, limits)
 * feeding the merged file list. */
#include <string.h>

#include "oci/oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_limits lim;
	struct tar_index idx;
	struct oci_layer_reader *r;
	struct oci_fs fs = {0};

	oci_limits_default(&lim);
	lim.max_entries = 4096;
	lim.max_total = 16u << 20;
	if (tar_index_mem(data, size, "fuzz", &lim, &idx) == 0) {
		for (size_t i = 0; i < idx.n; i++)
			(void)tar_index_find(&idx, idx.v[i].name);
		tar_index_free(&idx);
	}
	/* twice over the same bytes: the second layer merges onto the first */
	for (uint32_t layer = 0; layer < 2; layer++) {
		r = oci_layer_open_mem(data, size, "fuzz", &lim);
		if (r == NULL)
			break;
		if (layer == 0) {
			const struct oci_entry *e;
			unsigned char buf[4096];
			while (oci_layer_next(r, &e) == 1)
				while (e->type == OCI_ENTRY_FILE &&
				       oci_layer_read(r, buf, sizeof(buf)) > 0)
					;
		} else {
			(void)oci_fs_apply_layer(&fs, r, layer);
		}
		oci_layer_close(r);
	}
	for (size_t i = 0; i < fs.n; i++)
		(void)oci_fs_find(&fs, fs.v[i].path);
	oci_fs_free(&fs);
	return 0;
}
