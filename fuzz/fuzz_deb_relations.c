/* fuzz_deb_relations: Depends-style fields.  What parses, formats, and the
 * formatted text parses again to the same text. */
#include <stdlib.h>
#include <string.h>

#include "deb/deb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct deb_relations r, r2;
	struct ward_buf a = {0}, b = {0};

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (deb_relations_parse(text, "fuzz", &r) == 0) {
		for (size_t i = 0; i < r.n; i++) {
			deb_rel_group_format(&r.groups[i], &a);
			ward_buf_puts(&a, ", ");
			(void)deb_rel_applies(&r.groups[i].alts[0], "amd64");
		}
		if (deb_relations_parse(ward_buf_cstr(&a), "again", &r2) != 0)
			abort();
		for (size_t i = 0; i < r2.n; i++) {
			deb_rel_group_format(&r2.groups[i], &b);
			ward_buf_puts(&b, ", ");
		}
		if (strcmp(ward_buf_cstr(&a), ward_buf_cstr(&b)) != 0)
			abort();
		deb_relations_free(&r2);
		deb_relations_free(&r);
	}
	ward_buf_free(&a);
	ward_buf_free(&b);
	free(text);
	return 0;
}
