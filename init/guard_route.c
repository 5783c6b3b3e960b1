/* guard_route.c: route patterns, matching a request against the allow and
 * deny lists, and the built-in profiles (see guard_policy.h). */
#include <string.h>

#include "guard_http.h"
#include "guard_policy.h"

const char *const guard_method_names[] = {"GET",    "HEAD",  "POST",	"PUT",
					  "DELETE", "PATCH", "OPTIONS", NULL};

/* Generated from the profile files at build time (init/profiles/embed.cmake). */
struct guard_profile_blob {
	const char *name;
	const unsigned char *json;
};
extern const struct guard_profile_blob guard_profile_blobs[];

uint32_t
guard_method_bit(int method)
{
	return method >= GM_GET && method < GM_OTHER ? 1u << method : 0x80u;
}

const char *
guard_profile_json(const char *name)
{
	for (size_t i = 0; guard_profile_blobs[i].name != NULL; i++)
		if (strcmp(guard_profile_blobs[i].name, name) == 0)
			return (const char *)guard_profile_blobs[i].json;
	return NULL;
}

const char *
guard_profile_name(const char *name)
{
	for (size_t i = 0; guard_profile_blobs[i].name != NULL; i++)
		if (strcmp(guard_profile_blobs[i].name, name) == 0)
			return guard_profile_blobs[i].name;
	return NULL;
}

const char *const *
guard_profile_names(void)
{
	static const char *names[16];

	for (size_t i = 0; i < 15 && guard_profile_blobs[i].name != NULL; i++)
		names[i] = guard_profile_blobs[i].name;
	return names;
}

/* ------------------------------------------------------------ patterns */

static int
pattern_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != 0 && strchr("-._~!$&'()+,=:@*", c) != NULL);
}

int
guard_pattern_ok(const char *p)
{
	size_t n = strlen(p);

	if (n == 0 || n > GUARD_MAX_PATTERN || p[0] != '/')
		return 0;
	if (n == 1)
		return 1;
	for (const char *s = p + 1;;) {
		const char *e = strchr(s, '/');
		size_t sl = e ? (size_t)(e - s) : strlen(s);
		int stars = 0;
		if (sl == 0)
			return 0;
		if ((sl == 1 && s[0] == '.') || (sl == 2 && s[0] == '.' && s[1] == '.'))
			return 0;
		for (size_t i = 0; i < sl; i++) {
			if (!pattern_char_ok((unsigned char)s[i]))
				return 0;
			stars += s[i] == '*';
		}
		if (sl == 2 && s[0] == '*' && s[1] == '*') {
			if (e != NULL)
				return 0; /* "**" only as the last segment */
		} else if (stars > 1) {
			return 0;
		}
		if (e == NULL)
			return 1;
		s = e + 1;
	}
}

/* One pattern segment (at most one '*', matching 1+ chars) against one
 * path segment. */
static int
segment_match(const char *p, size_t pl, const char *s, size_t sl)
{
	const char *star = memchr(p, '*', pl);

	if (star == NULL)
		return pl == sl && memcmp(p, s, sl) == 0;
	size_t pre = (size_t)(star - p), post = pl - pre - 1;
	if (sl < pre + post + 1)
		return 0;
	return memcmp(p, s, pre) == 0 && memcmp(star + 1, s + sl - post, post) == 0;
}

int
guard_pattern_match(const char *pattern, const char *path)
{
	const char *p = pattern, *s = path;

	if (*p != '/' || *s != '/')
		return 0;
	if (p[1] == '\0')
		return s[1] == '\0';
	p++;
	s++;
	for (;;) {
		const char *pe = strchr(p, '/'), *se = strchr(s, '/');
		size_t pl = pe ? (size_t)(pe - p) : strlen(p);
		size_t sl = se ? (size_t)(se - s) : strlen(s);
		if (pe == NULL && pl == 2 && p[0] == '*' && p[1] == '*')
			return sl > 0; /* one or more further segments */
		if (sl == 0 || !segment_match(p, pl, s, sl))
			return 0;
		if (pe == NULL || se == NULL)
			return pe == NULL && se == NULL;
		p = pe + 1;
		s = se + 1;
	}
}

int
guard_route_find(const struct guard_policy *g, uint32_t method_bit, const char *path, size_t *index)
{
	for (size_t i = 0; i < g->ndeny; i++)
		if ((g->deny[i].methods & method_bit) && guard_pattern_match(g->deny[i].path, path))
			return GUARD_ROUTE_DENY;
	for (size_t i = 0; i < g->nallow; i++)
		if ((g->allow[i].methods & method_bit) &&
		    guard_pattern_match(g->allow[i].path, path)) {
			*index = i;
			return GUARD_ROUTE_ALLOW;
		}
	return GUARD_ROUTE_NONE;
}
