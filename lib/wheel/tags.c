/* tags.c: distribution names, wheel file names, the image's interpreter and
 * which wheel tags run on it (the order of packaging.tags.sys_tags() for
 * CPython on glibc Linux). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "wheel/wheel_internal.h"

int
wheel_name_normalize(const char *name, char *out, size_t size)
{
	size_t n = 0, len = strlen(name);

	/* PEP 508: letters and digits at both ends, '.', '_', '-' inside. */
	if (len == 0 || !isalnum((unsigned char)name[0]) || !isalnum((unsigned char)name[len - 1]))
		goto bad;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c >= 0x80 || (!isalnum(c) && strchr("._-", c) == NULL))
			goto bad;
		if (strchr("._-", c) != NULL) {
			if (n > 0 && out[n - 1] == '-')
				continue;
			c = '-';
		}
		if (n + 1 >= size)
			goto bad;
		out[n++] = (char)tolower(c);
	}
	out[n] = '\0';
	return 0;
bad:
	return ward_err(WARD_EINPUT, "\"%.*s\" is not a Python distribution name",
			(int)(len > 100 ? 100 : len), name);
}

void
wheel_filename_free(struct wheel_filename *w)
{
	if (w == NULL)
		return;
	free(w->dist);
	free(w->version);
	free(w->build);
	ward_strv_free(&w->pythons);
	ward_strv_free(&w->abis);
	ward_strv_free(&w->platforms);
	memset(w, 0, sizeof(*w));
}

static int
split_dots(const char *s, size_t len, struct ward_strv *out)
{
	const char *p = s, *end = s + len;

	while (p <= end) {
		const char *dot = memchr(p, '.', (size_t)(end - p));
		size_t n = dot ? (size_t)(dot - p) : (size_t)(end - p);
		if (n == 0)
			return -1;
		for (size_t i = 0; i < n; i++)
			if (!isalnum((unsigned char)p[i]) && p[i] != '_')
				return -1;
		if (ward_strv_push_owned(out, ward_strndup(p, n)) != 0)
			return -1;
		if (dot == NULL)
			break;
		p = dot + 1;
	}
	return 0;
}

int
wheel_filename_parse(const char *name, struct wheel_filename *out)
{
	const char *parts[7];
	size_t lens[7], np = 0, len = strlen(name);
	char norm[256], dist[256];
	const char *p;

	memset(out, 0, sizeof(*out));
	if (len < 5 || len > 255 || !ward_str_endswith(name, ".whl") || strchr(name, '/') != NULL)
		goto bad;
	len -= 4;
	for (p = name; p < name + len && np < 7;) {
		const char *dash = memchr(p, '-', (size_t)(name + len - p));
		size_t n = dash ? (size_t)(dash - p) : (size_t)(name + len - p);
		parts[np] = p;
		lens[np++] = n;
		if (dash == NULL)
			break;
		p = dash + 1;
	}
	if ((np != 5 && np != 6) || (p < name + len && memchr(p, '-', (size_t)(name + len - p))))
		goto bad;
	for (size_t i = 0; i < np; i++)
		if (lens[i] == 0)
			goto bad;
	memcpy(dist, parts[0], lens[0]);
	dist[lens[0]] = '\0';
	if (wheel_name_normalize(dist, norm, sizeof(norm)) != 0)
		goto bad;
	if ((out->dist = ward_strdup(norm)) == NULL ||
	    (out->version = ward_strndup(parts[1], lens[1])) == NULL)
		goto oom;
	for (size_t i = 0; i < lens[1]; i++)
		if (!isalnum((unsigned char)parts[1][i]) && strchr(".!+_", parts[1][i]) == NULL)
			goto bad;
	if (np == 6) {
		if (!isdigit((unsigned char)parts[2][0]))
			goto bad;
		if ((out->build = ward_strndup(parts[2], lens[2])) == NULL)
			goto oom;
	}
	if (split_dots(parts[np - 3], lens[np - 3], &out->pythons) != 0 ||
	    split_dots(parts[np - 2], lens[np - 2], &out->abis) != 0 ||
	    split_dots(parts[np - 1], lens[np - 1], &out->platforms) != 0)
		goto bad;
	return 0;
bad:
	wheel_filename_free(out);
	return ward_err(WARD_EINPUT, "\"%.*s\" is not a wheel file name", 200, name);
oom:
	wheel_filename_free(out);
	return -1;
}

/* ------------------------------------------------------------ target */

static int
leading_version(const char *v, int *a, int *b, char *full, size_t size)
{
	/* "3.11.2-6+deb12u6" -> 3, 11, "3.11.2"; "2.36-9" -> 2, 36. */
	size_t n = 0;
	char *end;
	long x, y;

	x = strtol(v, &end, 10);
	if (end == v || *end != '.')
		return -1;
	y = strtol(end + 1, &end, 10);
	if (x < 0 || x > 99 || y < 0 || y > 999)
		return -1;
	*a = (int)x;
	*b = (int)y;
	while (v[n] != '\0' && (isdigit((unsigned char)v[n]) || v[n] == '.') && n + 1 < size)
		n++;
	if (full != NULL) {
		memcpy(full, v, n);
		full[n] = '\0';
		while (n > 0 && full[n - 1] == '.')
			full[--n] = '\0';
	}
	return 0;
}

int
wheel_target_from_lock(const struct deb_lock *l, struct wheel_target *out)
{
	const struct deb_lock_pkg *py = NULL, *libc = deb_lock_find(l, "libc6");
	size_t found = 0;

	memset(out, 0, sizeof(*out));
	/* python3.N-minimal holds the interpreter; with several, the one the
	 * python3-minimal package points at. */
	for (size_t i = 0; i < l->npkgs; i++) {
		const char *n = l->pkgs[i].name;
		int minor;
		if (strncmp(n, "python3.", 8) != 0 || !ward_str_endswith(n, "-minimal") ||
		    sscanf(n, "python3.%d-minimal", &minor) != 1)
			continue;
		found++;
		py = &l->pkgs[i];
	}
	if (found > 1) {
		const struct deb_lock_pkg *def = deb_lock_find(l, "python3-minimal");
		int a, b;
		char name[32];
		if (def == NULL || leading_version(def->version, &a, &b, NULL, 0) != 0)
			return ward_err(WARD_EINPUT,
					"ward.lock holds %zu Python interpreters and no "
					"python3-minimal to choose one",
					found);
		snprintf(name, sizeof(name), "python3.%d-minimal", b);
		py = deb_lock_find(l, name);
	}
	if (py == NULL)
		return ward_err(
			WARD_EINPUT,
			"python: the image has no Python interpreter (add python3.N-minimal "
			"or python3 to packages: and run ward lock)");
	if (leading_version(py->version, &out->py_major, &out->py_minor, out->py_full,
			    sizeof(out->py_full)) != 0)
		return ward_err(WARD_EINPUT, "ward.lock: %s %s: cannot read the Python version",
				py->name, py->version);
	if (libc == NULL ||
	    leading_version(libc->version, &out->glibc_major, &out->glibc_minor, NULL, 0) != 0)
		return ward_err(WARD_EINPUT, "python: the image has no glibc (libc6) for wheels");
	if (strcmp(l->architecture, "amd64") == 0)
		strcpy(out->machine, "x86_64");
	else if (strcmp(l->architecture, "arm64") == 0)
		strcpy(out->machine, "aarch64");
	else
		return ward_err(WARD_EINPUT, "python: wheels for architecture %s are not supported",
				l->architecture);
	snprintf(out->arch, sizeof(out->arch), "%s", l->architecture);
	return 0;
}

/* ------------------------------------------------------------ tags */

#define RANK_NONE (-1)

/* Platform preference: 0 the newest manylinux the image allows, counting
 * down; linux_<arch> last; "any" separately.  RANK_NONE when it cannot run. */
static int
platform_rank(const char *plat, const struct wheel_target *t, char *why, size_t size)
{
	int major, minor;
	size_t ml = strlen(t->machine);
	const char *arch;

	if (strcmp(plat, "any") == 0)
		return 0;
	if (strncmp(plat, "manylinux_", 10) == 0) {
		int off = 0;
		if (sscanf(plat + 10, "%d_%d_%n", &major, &minor, &off) != 2 || off == 0)
			goto foreign;
		arch = plat + 10 + off;
	} else if (strncmp(plat, "manylinux1_", 11) == 0) {
		major = 2, minor = 5, arch = plat + 11;
	} else if (strncmp(plat, "manylinux2010_", 14) == 0) {
		major = 2, minor = 12, arch = plat + 14;
	} else if (strncmp(plat, "manylinux2014_", 14) == 0) {
		major = 2, minor = 17, arch = plat + 14;
	} else if (strncmp(plat, "linux_", 6) == 0) {
		if (strcmp(plat + 6, t->machine) != 0)
			goto foreign;
		return 900;
	} else if (strncmp(plat, "musllinux_", 10) == 0) {
		snprintf(why, size, "platform %s needs musl libc; the image has glibc %d.%d", plat,
			 t->glibc_major, t->glibc_minor);
		return RANK_NONE;
	} else {
		goto foreign;
	}
	if (strlen(arch) != ml || strcmp(arch, t->machine) != 0)
		goto foreign;
	if (major > t->glibc_major || (major == t->glibc_major && minor > t->glibc_minor)) {
		snprintf(why, size, "platform %s needs glibc %d.%d; the image has %d.%d", plat,
			 major, minor, t->glibc_major, t->glibc_minor);
		return RANK_NONE;
	}
	if (major < t->glibc_major)
		return 800;
	return t->glibc_minor - minor;
foreign:
	snprintf(why, size, "platform %s is not Linux %s", plat, t->machine);
	return RANK_NONE;
}

/* Interpreter preference for (python, abi); RANK_NONE when it cannot load. */
static int
interp_rank(const char *py, const char *abi, const struct wheel_target *t, char *why, size_t size)
{
	int M = t->py_minor, y = -1, off = 0;
	char cp[16];

	snprintf(cp, sizeof(cp), "cp%d%d", t->py_major, M);
	if (strncmp(py, "cp3", 3) == 0 && py[3] != '\0' &&
	    (sscanf(py + 3, "%d%n", &y, &off) != 1 || py[3 + off] != '\0'))
		y = -1;
	if (strcmp(py, cp) == 0) {
		if (strcmp(abi, cp) == 0)
			return 0;
		if (strcmp(abi, "abi3") == 0)
			return 1;
		if (strcmp(abi, "none") == 0)
			return 2;
	} else if (strncmp(py, "cp3", 3) == 0 && y >= 2 && y < M && strcmp(abi, "abi3") == 0) {
		return 3 + (M - y);
	} else if (strcmp(abi, "none") == 0 && strncmp(py, "py3", 3) == 0) {
		if (py[3] == '\0')
			return 21;
		if (sscanf(py + 3, "%d%n", &y, &off) == 1 && py[3 + off] == '\0' && y <= M)
			return y == M ? 20 : 22 + (M - y);
	}
	snprintf(why, size, "tag %s-%s needs another Python; the image has CPython %d.%d", py, abi,
		 t->py_major, M);
	return RANK_NONE;
}

int
wheel_tag_check(const struct wheel_filename *w, const struct wheel_target *t, int *rank, char *why,
		size_t size)
{
	int best = RANK_NONE;
	char first[200] = "";

	for (size_t i = 0; i < w->pythons.n; i++)
		for (size_t j = 0; j < w->abis.n; j++)
			for (size_t k = 0; k < w->platforms.n; k++) {
				char tmp[200];
				int ir = interp_rank(w->pythons.v[i], w->abis.v[j], t, tmp,
						     sizeof(tmp)),
				    pr, r;
				if (ir == RANK_NONE) {
					if (!first[0])
						snprintf(first, sizeof(first), "%s", tmp);
					continue;
				}
				pr = platform_rank(w->platforms.v[k], t, tmp, sizeof(tmp));
				if (pr == RANK_NONE) {
					if (!first[0])
						snprintf(first, sizeof(first), "%s", tmp);
					continue;
				}
				/* Platform-specific wheels before pure ones, as pip. */
				if (strcmp(w->platforms.v[k], "any") == 0)
					r = 100000 + ir;
				else
					r = ir * 1000 + pr;
				if (best == RANK_NONE || r < best)
					best = r;
			}
	if (best == RANK_NONE) {
		snprintf(why, size, "%s", first[0] ? first : "no tags");
		return -1;
	}
	*rank = best;
	return 0;
}
