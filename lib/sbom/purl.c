/* purl.c: package URLs as FORMATS.md spells them — percent-encoding of
 * everything but letters, digits, ".-_~" and ":", qualifiers sorted. */
#include <stdlib.h>
#include <string.h>

#include "sbom/sbom_internal.h"

int
sbom_purl_encode(const char *s, struct ward_buf *out)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		int plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9') || strchr(".-_~:", *p) != NULL;
		if (plain ? ward_buf_append(out, p, 1) : ward_buf_printf(out, "%%%02X", *p))
			return -1;
	}
	return 0;
}

/* pkg:<type>/<namespace>/<name>@<version>?<k=v sorted by key>; keys are
 * lower-case constants here, given already sorted; NULL values dropped. */
static char *
build(const char *type, const char *ns, const char *name, const char *version,
      const char *const *quals, size_t nquals)
{
	struct ward_buf b = {0};
	int first = 1;

	if (ward_buf_printf(&b, "pkg:%s/", type) != 0)
		goto fail;
	if (ns && (sbom_purl_encode(ns, &b) != 0 || ward_buf_puts(&b, "/") != 0))
		goto fail;
	if (sbom_purl_encode(name, &b) != 0)
		goto fail;
	if (version && (ward_buf_puts(&b, "@") != 0 || sbom_purl_encode(version, &b) != 0))
		goto fail;
	for (size_t i = 0; i + 1 < nquals * 2; i += 2) {
		if (quals[i + 1] == NULL || *quals[i + 1] == '\0')
			continue;
		if (ward_buf_printf(&b, "%c%s=", first ? '?' : '&', quals[i]) != 0 ||
		    sbom_purl_encode(quals[i + 1], &b) != 0)
			goto fail;
		first = 0;
	}
	return ward_buf_steal(&b);
fail:
	ward_buf_free(&b);
	return NULL;
}

char *
purl_deb(const char *os_id, const char *name, const char *version, const char *arch,
	 const char *distro)
{
	const char *q[] = {"arch", arch, "distro", distro};
	return build("deb", os_id ? os_id : "debian", name, version, q, 2);
}

char *
purl_pypi(const char *name, const char *version)
{
	char *n = sbom_pep503_name(name), *p;

	if (n == NULL)
		return NULL;
	p = build("pypi", NULL, n, version, NULL, 0);
	free(n);
	return p;
}

char *
purl_oci(const char *name, const char *digest, const char *repository_url, const char *tag)
{
	const char *q[] = {"repository_url", repository_url, "tag", tag};
	char *lower = ward_strdup(name), *p;

	if (lower == NULL)
		return NULL;
	for (char *s = lower; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
	p = build("oci", NULL, lower, digest, q, 2);
	free(lower);
	return p;
}

char *
purl_generic(const char *name, const char *version, const char *checksum)
{
	const char *q[] = {"checksum", checksum};
	return build("generic", NULL, name, version, q, 1);
}
