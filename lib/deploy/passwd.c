/* passwd.c: look a user or group up in an image's /etc/passwd or /etc/group. */
#include <string.h>

#include "deploy.h"

int
deploy_passwd_lookup(const char *data, size_t len, const char *name, uint32_t *id, const char *what)
{
	size_t line = 0, namelen = strlen(name);
	const char *p = data, *end = data + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *f[4];
		size_t nf = 0;
		uint64_t v = 0;

		if (eol == NULL)
			eol = end;
		line++;
		/* Fields: name:password:id:... ; blank lines and comments skipped. */
		if (eol == p || *p == '#') {
			p = eol + 1;
			continue;
		}
		f[nf++] = p;
		for (const char *q = p; q < eol && nf < 4; q++)
			if (*q == ':')
				f[nf++] = q + 1;
		if (nf < 4)
			return ward_err(WARD_EINPUT, "%s:%zu: expected name:password:id:...", what,
					line);
		if ((size_t)(f[1] - 1 - f[0]) == namelen && memcmp(f[0], name, namelen) == 0) {
			const char *q = f[2];
			if (q == f[3] - 1 || f[3] - 1 - q > 10)
				return ward_err(WARD_EINPUT, "%s:%zu: bad id for %s", what, line,
						name);
			for (; q < f[3] - 1; q++) {
				if (*q < '0' || *q > '9')
					return ward_err(WARD_EINPUT, "%s:%zu: bad id for %s", what,
							line, name);
				v = v * 10 + (uint64_t)(*q - '0');
			}
			if (v > 0xfffffffeu)
				return ward_err(WARD_EINPUT, "%s:%zu: bad id for %s", what, line,
						name);
			*id = (uint32_t)v;
			return 0;
		}
		p = eol + 1;
	}
	return 1;
}
