/* version.c: dpkg version ordering, after dpkg's own verrevcmp(). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "deb/deb.h"

/* Sort weight of one character of a non-digit run: '~' before the end of
 * the string, the end before letters, letters before everything else. */
static int
order(int c)
{
	if (isdigit(c))
		return 0;
	if (isalpha(c))
		return c;
	if (c == '~')
		return -1;
	if (c)
		return c + 256;
	return 0;
}

static int
verrevcmp(const char *a, const char *b)
{
	while (*a || *b) {
		int first_diff = 0;

		while ((*a && !isdigit((unsigned char)*a)) || (*b && !isdigit((unsigned char)*b))) {
			int ac = order((unsigned char)*a), bc = order((unsigned char)*b);
			if (ac != bc)
				return ac - bc;
			a++;
			b++;
		}
		while (*a == '0')
			a++;
		while (*b == '0')
			b++;
		while (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			if (!first_diff)
				first_diff = *a - *b;
			a++;
			b++;
		}
		if (isdigit((unsigned char)*a))
			return 1;
		if (isdigit((unsigned char)*b))
			return -1;
		if (first_diff)
			return first_diff;
	}
	return 0;
}

struct parsed {
	unsigned long epoch;
	const char *upstream;
	size_t upstream_len;
	const char *revision; /* "" when absent */
};

static void
split(const char *v, struct parsed *p, char *buf, size_t bufsize)
{
	const char *colon = strchr(v, ':'), *dash;
	size_t n;

	p->epoch = 0;
	if (colon != NULL) {
		char *end;
		errno = 0;
		p->epoch = strtoul(v, &end, 10);
		if (end != colon || errno != 0)
			p->epoch = 0; /* malformed epochs compare as 0 */
		v = colon + 1;
	}
	dash = strrchr(v, '-');
	n = dash ? (size_t)(dash - v) : strlen(v);
	if (n >= bufsize)
		n = bufsize - 1;
	memcpy(buf, v, n);
	buf[n] = '\0';
	p->upstream = buf;
	p->upstream_len = n;
	p->revision = dash ? dash + 1 : "";
}

int
deb_version_cmp(const char *a, const char *b)
{
	char ua[1024], ub[1024];
	struct parsed pa, pb;
	int r;

	split(a, &pa, ua, sizeof(ua));
	split(b, &pb, ub, sizeof(ub));
	if (pa.epoch != pb.epoch)
		return pa.epoch < pb.epoch ? -1 : 1;
	r = verrevcmp(pa.upstream, pb.upstream);
	if (r != 0)
		return r;
	return verrevcmp(pa.revision, pb.revision);
}

int
deb_version_check(const char *v, const char *what)
{
	const char *colon, *dash, *up, *p;

	if (v == NULL || *v == '\0')
		return ward_err(WARD_EINPUT, "%s: empty version", what);
	if (strlen(v) >= 1024)
		return ward_err(WARD_EINPUT, "%s: version too long", what);
	for (p = v; *p; p++)
		if (isspace((unsigned char)*p) || !isprint((unsigned char)*p))
			return ward_err(WARD_EINPUT,
					"%s: version \"%s\" has whitespace or control "
					"characters",
					what, v);
	up = v;
	colon = strchr(v, ':');
	if (colon != NULL) {
		char *end;
		long e;
		errno = 0;
		e = strtol(v, &end, 10);
		if (end != colon || end == v || errno != 0 || e < 0 || e > INT_MAX)
			return ward_err(WARD_EINPUT, "%s: epoch in \"%s\" is not a number", what,
					v);
		up = colon + 1;
	}
	dash = strrchr(up, '-');
	if (*up == '\0' || up == dash)
		return ward_err(WARD_EINPUT, "%s: version \"%s\" has an empty upstream part", what,
				v);
	if (!isdigit((unsigned char)*up))
		return ward_err(WARD_EINPUT, "%s: version \"%s\" does not start with a digit", what,
				v);
	for (p = up; *p && p != dash; p++)
		if (!isalnum((unsigned char)*p) && strchr(".-+~:", *p) == NULL)
			return ward_err(WARD_EINPUT, "%s: invalid character '%c' in version \"%s\"",
					what, *p, v);
	if (dash != NULL) {
		if (dash[1] == '\0')
			return ward_err(WARD_EINPUT, "%s: version \"%s\" has an empty revision",
					what, v);
		for (p = dash + 1; *p; p++)
			if (!isalnum((unsigned char)*p) && strchr(".+~", *p) == NULL)
				return ward_err(WARD_EINPUT,
						"%s: invalid character '%c' in revision "
						"of \"%s\"",
						what, *p, v);
	}
	return 0;
}
