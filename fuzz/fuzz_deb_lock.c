/* fuzz_deb_lock: ward.lock as read by fetch and build. */
#include "deb/deb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = ward_json_loadb(data, size, "fuzz.lock");
	struct deb_lock l;

	if (j == NULL)
		return 0;
	if (deb_lock_from_json(j, "fuzz.lock", &l) == 0) {
		struct ward_buf b = {0};
		if (l.npkgs > 0)
			deb_lock_chain(&l, l.pkgs[l.npkgs - 1].name, &b);
		ward_buf_free(&b);
		json_decref(deb_lock_to_json(&l));
		deb_lock_free(&l);
	}
	json_decref(j);
	return 0;
}
