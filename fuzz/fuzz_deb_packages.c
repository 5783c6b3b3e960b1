/* fuzz_deb_packages: a Packages index into a universe, then the resolver
 * on the first package it names (and its lock, written and read back). */
#include <string.h>

#include "deb/deb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct deb_universe *u = deb_universe_new("amd64");
	struct deb_index meta = {.suite = "s", .component = "main", .arch = "amd64"};
	struct deb_control c;

	if (u == NULL)
		return 0;
	if (deb_universe_add(u, (const char *)data, size, &meta) == 0 &&
	    deb_control_parse((const char *)data, size, "fuzz", &c) == 0) {
		const char *name = c.n ? deb_para_get(&c.paras[0], "Package") : NULL;
		if (name != NULL) {
			struct ward_strv p = {0}, none = {0};
			struct deb_request req = {"amd64", &p, &none, &none};
			struct deb_lock l, back;
			ward_strv_push(&p, name);
			if (deb_resolve(u, &req, &l) == 0) {
				json_t *j = deb_lock_to_json(&l);
				if (j != NULL && deb_lock_from_json(j, "fuzz", &back) == 0)
					deb_lock_free(&back);
				json_decref(j);
				deb_lock_free(&l);
			}
			ward_strv_free(&p);
		}
		deb_control_free(&c);
	}
	deb_universe_free(u);
	return 0;
}
