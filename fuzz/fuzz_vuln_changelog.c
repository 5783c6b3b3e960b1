/* fuzz_vuln_changelog: Debian changelogs (backport evidence), plain and gzip. */
#include "vuln/vuln.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vuln_changelog c;
	json_t *j;

	if (vuln_changelog_parse((const char *)data, size, "fuzz", NULL, &c) == 0) {
		/* the JSON form round-trips */
		if ((j = vuln_changelog_to_json(&c)) != NULL) {
			struct vuln_changelog back;
			if (vuln_changelog_from_json(j, "fuzz", &back) == 0)
				vuln_changelog_free(&back);
			json_decref(j);
		}
		vuln_changelog_free(&c);
	}
	if (vuln_changelog_parse((const char *)data, size, "fuzz", "1.0-1", &c) == 0)
		vuln_changelog_free(&c);
	if (vuln_changelog_read(data, size, "changelog.Debian.gz", NULL, &c) == 0)
		vuln_changelog_free(&c);
	ward_err_clear();
	return 0;
}
