/* fuzz_pep440: PEP 440 parsing, normalization and ordering, and purls. */
#include <stdlib.h>
#include <string.h>

#include "vuln/vuln_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	const void *nl = memchr(data, '\n', size);
	size_t a = nl ? (size_t)((const uint8_t *)nl - data) : size;
	struct pep440 x, y;
	struct purl p;
	char *text;

	if (pep440_parse(s, a, &x) == 0) {
		char *norm = pep440_normalize(&x);
		/* the canonical form parses to an equal version */
		if (norm != NULL && pep440_parse(norm, strlen(norm), &y) == 0) {
			if (pep440_cmp(&x, &y) != 0)
				abort();
			pep440_free(&y);
		}
		free(norm);
		if (nl != NULL && pep440_parse(s + a + 1, size - a - 1, &y) == 0) {
			if (pep440_cmp(&x, &y) != -pep440_cmp(&y, &x))
				abort();
			pep440_free(&y);
		}
		pep440_free(&x);
	}
	if ((text = malloc(size + 1)) != NULL) {
		memcpy(text, data, size);
		text[size] = '\0';
		if (purl_parse(text, &p) == 0)
			purl_free(&p);
		(void)purl_matches(text, "pkg:deb/debian/libssl3@3.0.11-1?arch=amd64");
		free(text);
	}
	ward_err_clear();
	return 0;
}
