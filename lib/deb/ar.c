/* ar.c: the ar container of .deb files (common format, as dpkg writes it). */
#include <stdlib.h>
#include <string.h>

#include "deb/deb_internal.h"

#define AR_MAGIC "!<arch>\n"
#define AR_HEADER 60
#define AR_MAX_MEMBERS 64

/* field_u64: a decimal field padded with spaces; -1 if malformed. */
static int
field_u64(const unsigned char *f, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	while (i < n && f[i] >= '0' && f[i] <= '9') {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(f[i] - '0');
		i++;
	}
	if (i == 0)
		return -1;
	for (; i < n; i++)
		if (f[i] != ' ')
			return -1;
	*out = v;
	return 0;
}

int
ar_header(const unsigned char *h, uint64_t off, uint64_t file_size, const char *what,
	  struct deb_ar_member *m)
{
	size_t len = 16;

	if (h[58] != '`' || h[59] != '\n')
		return ward_err(WARD_EINPUT, "%s: corrupt ar member header at offset %ju", what,
				(uintmax_t)off);
	while (len > 0 && h[len - 1] == ' ')
		len--;
	if (len > 0 && h[len - 1] == '/') /* GNU ar ends names with '/' */
		len--;
	if (len == 0)
		return ward_err(WARD_EINPUT, "%s: ar member with an empty name at offset %ju", what,
				(uintmax_t)off);
	for (size_t i = 0; i < len; i++)
		if (h[i] < 0x21 || h[i] > 0x7e || h[i] == '/')
			return ward_err(WARD_EINPUT,
					"%s: ar member name with odd characters at "
					"offset %ju",
					what, (uintmax_t)off);
	memcpy(m->name, h, len);
	m->name[len] = '\0';
	if (field_u64(h + 48, 10, &m->size) != 0)
		return ward_err(WARD_EINPUT, "%s: ar member %s has a malformed size", what,
				m->name);
	m->offset = off + AR_HEADER;
	if (m->offset > file_size || m->size > file_size - m->offset)
		return ward_err(WARD_EINPUT,
				"%s: truncated: ar member %s needs %ju bytes at offset "
				"%ju, the file has %ju",
				what, m->name, (uintmax_t)m->size, (uintmax_t)m->offset,
				(uintmax_t)file_size);
	return 0;
}

int
deb_ar_parse(const void *data, size_t len, const char *what, struct deb_ar_member **out, size_t *n)
{
	const unsigned char *p = data;
	uint64_t off = 8;

	*out = NULL;
	*n = 0;
	if (len < 8 || memcmp(p, AR_MAGIC, 8) != 0)
		return ward_err(WARD_EINPUT, "%s: not an ar archive (a .deb starts with !<arch>)",
				what);
	while (off < len) {
		struct deb_ar_member m;
		if (len - off < AR_HEADER) {
			ward_err(WARD_EINPUT, "%s: truncated ar header at offset %ju", what,
				 (uintmax_t)off);
			goto fail;
		}
		if (ar_header(p + off, off, len, what, &m) != 0)
			goto fail;
		if (*n >= AR_MAX_MEMBERS) {
			ward_err(WARD_EINPUT, "%s: too many ar members", what);
			goto fail;
		}
		if (ward_vec_grow(out, *n, sizeof(**out)) != 0)
			goto fail;
		(*out)[(*n)++] = m;
		off = m.offset + m.size + (m.size & 1); /* members are 2-byte aligned */
	}
	return 0;
fail:
	free(*out);
	*out = NULL;
	*n = 0;
	return -1;
}
