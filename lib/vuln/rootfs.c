/*
 * rootfs.c: a thin package reader for an unpacked root filesystem, used
 * until lib/sbom's catalog is merged: the Debian release from os-release,
 * dpkg's status (and distroless status.d/), and Python distributions with
 * the Debian package that owns them.  Nothing outside root is followed.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deb/deb.h"
#include "vuln/vuln_internal.h"

#define MAX_STATUS_BYTES (256u << 20)
#define MAX_META_BYTES (4u << 20)

/* Read root/rel, resolving one symlink inside root (an absolute target
 * is taken relative to root, as it would be inside the image). */
static int
read_in_root(const char *root, const char *rel, size_t max, struct ward_buf *out)
{
	char *p = ward_path_join(root, rel), target[PATH_MAX];
	ssize_t n;
	int rc;

	if (p == NULL)
		return -1;
	n = readlink(p, target, sizeof(target) - 1);
	if (n > 0) {
		target[n] = '\0';
		free(p);
		if (target[0] == '/') {
			p = ward_path_join(root, target + 1);
		} else {
			char *dir = ward_strdup(rel), *slash;
			if (dir == NULL)
				return -1;
			slash = strrchr(dir, '/');
			if (slash)
				*slash = '\0';
			p = ward_asprintf("%s/%s/%s", root, slash ? dir : ".", target);
			free(dir);
		}
		if (p == NULL)
			return -1;
	}
	rc = ward_file_read(p, max, out);
	free(p);
	return rc;
}

static char *
os_release_value(const char *text, const char *key)
{
	size_t kl = strlen(key);

	for (const char *line = text; line && *line;) {
		const char *nl = strchr(line, '\n'), *v;
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		if (n > kl && strncmp(line, key, kl) == 0 && line[kl] == '=') {
			v = line + kl + 1;
			n -= kl + 1;
			if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
				v++;
				n -= 2;
			}
			return ward_strndup(v, n);
		}
		line = nl ? nl + 1 : NULL;
	}
	return NULL;
}

char *
vuln_os_release_ecosystem(const char *root)
{
	struct ward_buf b = {0};
	char *id, *ver, *eco = NULL;

	if (read_in_root(root, "etc/os-release", 1 << 16, &b) != 0) {
		ward_err_clear();
		b.len = 0;
		if (read_in_root(root, "usr/lib/os-release", 1 << 16, &b) != 0) {
			ward_err_clear();
			ward_buf_free(&b);
			return NULL;
		}
	}
	id = os_release_value(ward_buf_cstr(&b), "ID");
	ver = os_release_value(ward_buf_cstr(&b), "VERSION_ID");
	if (id != NULL && ver != NULL)
		eco = debian_ecosystem(id, ver);
	free(id);
	free(ver);
	ward_buf_free(&b);
	return eco;
}

/* "openssl" or "openssl (3.0.11-1)". */
static void
split_source(const char *field, char **name, char **version)
{
	const char *sp = strchr(field, ' ');

	*name = *version = NULL;
	if (sp == NULL) {
		*name = ward_strdup(field);
		return;
	}
	*name = ward_strndup(field, (size_t)(sp - field));
	if (sp[1] == '(') {
		const char *close = strchr(sp, ')');
		if (close != NULL && close > sp + 2)
			*version = ward_strndup(sp + 2, (size_t)(close - sp - 2));
	}
}

static int
installed(const struct deb_para *p)
{
	const char *st = deb_para_get(p, "Status");
	const char *last;

	if (st == NULL)
		return 1; /* distroless status.d entries carry no Status */
	last = strrchr(st, ' ');
	return last != NULL && strcmp(last + 1, "installed") == 0;
}

static int
add_status(struct vuln_pkglist *out, const char *text, size_t len, const char *what,
           const char *eco)
{
	struct deb_control c;

	if (deb_control_parse(text, len, what, &c) != 0)
		return -1;
	for (size_t i = 0; i < c.n; i++) {
		const struct deb_para *p = &c.paras[i];
		const char *name = deb_para_get(p, "Package"), *ver = deb_para_get(p, "Version");
		const char *src = deb_para_get(p, "Source"),
		           *arch = deb_para_get(p, "Architecture");
		struct vuln_pkg k = {0};
		char *sname = NULL, *sver = NULL, *up = NULL;
		int rc;

		if (name == NULL || ver == NULL || !installed(p))
			continue;
		if (src != NULL)
			split_source(src, &sname, &sver);
		if (sname != NULL && strcmp(sname, name) != 0)
			up = sver ? ward_asprintf("%s@%s", sname, sver) : ward_strdup(sname);
		else if (sname != NULL && sver != NULL)
			up = ward_asprintf("%s@%s", sname, sver);
		k.ecosystem = (char *)eco;
		k.name = (char *)name;
		k.version = (char *)ver;
		k.source = sname;
		k.source_version = sver;
		k.location = (char *)what;
		k.purl = deb_purl(name, ver, arch, eco, up);
		rc = k.purl ? vuln_pkglist_add(out, &k) : -1;
		free(k.purl);
		free(sname);
		free(sver);
		free(up);
		if (rc != 0) {
			deb_control_free(&c);
			return -1;
		}
	}
	deb_control_free(&c);
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted entries of a directory (none when it does not exist). */
static int
list_dir(const char *dir, struct ward_strv *out)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return errno == ENOENT || errno == ENOTDIR ? 0 : ward_err_io(dir, "cannot open");
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (ward_strv_push(out, e->d_name) != 0) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), cmp_str);
	return 0;
}

static int
read_dpkg(const char *root, const char *eco, struct vuln_pkglist *out)
{
	struct ward_buf b = {0};
	struct ward_strv names = {0};
	char *dir = ward_path_join(root, "var/lib/dpkg/status.d");
	int rc = 0;

	if (dir == NULL)
		return -1;
	if (read_in_root(root, "var/lib/dpkg/status", MAX_STATUS_BYTES, &b) == 0) {
		char *what = ward_path_join(root, "var/lib/dpkg/status");
		rc = what ? add_status(out, (const char *)b.data, b.len, what, eco) : -1;
		free(what);
	} else if (ward_errkind() == WARD_EENV) {
		rc = -1;
	} else {
		ward_err_clear();
	}
	if (rc == 0)
		rc = list_dir(dir, &names);
	for (size_t i = 0; rc == 0 && i < names.n; i++) {
		char *p;
		if (strchr(names.v[i], '.') != NULL) /* <pkg>.md5sums and the like */
			continue;
		if ((p = ward_path_join(dir, names.v[i])) == NULL) {
			rc = -1;
			break;
		}
		b.len = 0;
		rc = ward_file_read(p, MAX_STATUS_BYTES, &b);
		if (rc == 0)
			rc = add_status(out, (const char *)b.data, b.len, p, eco);
		free(p);
	}
	ward_strv_free(&names);
	ward_buf_free(&b);
	free(dir);
	return rc;
}

/* RFC 822 headers of METADATA / PKG-INFO, up to the first blank line. */
static char *
meta_header(const char *text, const char *key)
{
	size_t kl = strlen(key);

	for (const char *line = text; line && *line && *line != '\n';) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		if (n > kl && strncasecmp(line, key, kl) == 0 && line[kl] == ':') {
			const char *v = line + kl + 1;
			size_t m = n - kl - 1;
			while (m > 0 && (*v == ' ' || *v == '\t')) {
				v++;
				m--;
			}
			while (m > 0 && (v[m - 1] == '\r' || v[m - 1] == ' ' || v[m - 1] == '\t'))
				m--;
			return ward_strndup(v, m);
		}
		line = nl ? nl + 1 : NULL;
	}
	return NULL;
}

struct pydist {
	char *name, *version, *rel; /* rel: "/usr/lib/python3/dist-packages/x.dist-info" */
	char *owner;
};

static int
scan_site(const char *root, const char *rel_dir, struct pydist **d, size_t *nd)
{
	char *dir = ward_path_join(root, rel_dir);
	struct ward_strv names = {0};
	int rc;

	if (dir == NULL)
		return -1;
	rc = list_dir(dir, &names);
	for (size_t i = 0; rc == 0 && i < names.n; i++) {
		const char *n = names.v[i];
		char *meta, *path, *name = NULL, *ver = NULL;
		struct ward_buf b = {0};
		struct stat sb;
		struct pydist *nn;
		if (!ward_str_endswith(n, ".dist-info") && !ward_str_endswith(n, ".egg-info"))
			continue;
		if ((path = ward_path_join(dir, n)) == NULL) {
			rc = -1;
			break;
		}
		if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
			meta = ward_path_join(
			    path, ward_str_endswith(n, ".dist-info") ? "METADATA" : "PKG-INFO");
		else
			meta = ward_strdup(path);
		free(path);
		if (meta == NULL) {
			rc = -1;
			break;
		}
		if (ward_file_read(meta, MAX_META_BYTES, &b) == 0) {
			name = meta_header(ward_buf_cstr(&b), "Name");
			ver = meta_header(ward_buf_cstr(&b), "Version");
		}
		ward_err_clear();
		ward_buf_free(&b);
		free(meta);
		if (name == NULL || ver == NULL || !*name || !*ver) {
			free(name);
			free(ver);
			continue;
		}
		if ((nn = ward_realloc(*d, (*nd + 1) * sizeof(**d))) == NULL) {
			free(name);
			free(ver);
			rc = -1;
			break;
		}
		*d = nn;
		nn = &(*d)[(*nd)++];
		nn->name = name;
		nn->version = ver;
		nn->rel = ward_asprintf("/%s/%s", rel_dir, n);
		nn->owner = NULL;
	}
	ward_strv_free(&names);
	free(dir);
	return rc;
}

static int
find_sites(const char *root, struct pydist **d, size_t *nd)
{
	static const char *const libs[] = {"usr/lib", "usr/local/lib"};
	static const char *const sites[] = {"dist-packages", "site-packages"};
	int rc = 0;

	for (size_t l = 0; rc == 0 && l < 2; l++) {
		struct ward_strv names = {0};
		char *dir = ward_path_join(root, libs[l]);
		rc = dir ? list_dir(dir, &names) : -1;
		for (size_t i = 0; rc == 0 && i < names.n; i++) {
			if (strncmp(names.v[i], "python3", 7) != 0)
				continue;
			for (size_t s = 0; rc == 0 && s < 2; s++) {
				char *rel =
				    ward_asprintf("%s/%s/%s", libs[l], names.v[i], sites[s]);
				rc = rel ? scan_site(root, rel, d, nd) : -1;
				free(rel);
			}
		}
		ward_strv_free(&names);
		free(dir);
	}
	return rc;
}

/* Give each distribution the Debian package whose file list holds it. */
static void
match_owner(struct pydist *d, size_t nd, const char *path, size_t len, const char *pkg)
{
	for (size_t i = 0; i < nd; i++) {
		size_t rl = strlen(d[i].rel);
		if (d[i].owner == NULL && len >= rl && strncmp(path, d[i].rel, rl) == 0 &&
		    (len == rl || path[rl] == '/'))
			d[i].owner = ward_strdup(pkg);
	}
}

static int
read_file_lists(const char *root, struct pydist *d, size_t nd)
{
	static const char *const dirs[] = {"var/lib/dpkg/info", "var/lib/dpkg/status.d"};
	int rc = 0;

	for (size_t k = 0; rc == 0 && nd > 0 && k < 2; k++) {
		struct ward_strv names = {0};
		char *dir = ward_path_join(root, dirs[k]);
		rc = dir ? list_dir(dir, &names) : -1;
		for (size_t i = 0; rc == 0 && i < names.n; i++) {
			const char *n = names.v[i];
			int md5 = ward_str_endswith(n, ".md5sums");
			struct ward_buf b = {0};
			char *p, *pkg, *colon;
			if (!ward_str_endswith(n, ".list") && !md5)
				continue;
			pkg = ward_strndup(n, strlen(n) - (md5 ? 8 : 5));
			p = ward_path_join(dir, n);
			if (pkg == NULL || p == NULL) {
				free(pkg);
				free(p);
				rc = -1;
				break;
			}
			if ((colon = strchr(pkg, ':')) != NULL)
				*colon = '\0';
			if (ward_file_read(p, MAX_STATUS_BYTES, &b) == 0) {
				char *text = ward_buf_cstr(&b), *line = text;
				while (line && *line) {
					char *nl = strchr(line, '\n');
					size_t len = nl ? (size_t)(nl - line) : strlen(line);
					if (md5) { /* "<md5>  usr/lib/..." without the slash */
						char *sp = memchr(line, ' ', len);
						if (sp != NULL) {
							while (sp < line + len && *sp == ' ')
								sp++;
							if (sp > line && sp < line + len) {
								sp[-1] = '/';
								match_owner(
								    d, nd, sp - 1,
								    len - (size_t)(sp - 1 - line),
								    pkg);
							}
						}
					} else {
						match_owner(d, nd, line, len, pkg);
					}
					line = nl ? nl + 1 : NULL;
				}
			}
			ward_err_clear();
			ward_buf_free(&b);
			free(p);
			free(pkg);
		}
		ward_strv_free(&names);
		free(dir);
	}
	return rc;
}

int
vuln_pkglist_from_rootfs(const char *root, struct vuln_pkglist *out)
{
	struct pydist *d = NULL;
	size_t nd = 0;
	struct stat sb;
	int rc;

	if (stat(root, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return ward_err(WARD_EINPUT, "%s: not a directory", root);
	if (out->target == NULL)
		out->target = ward_strdup(root);
	out->distro = vuln_os_release_ecosystem(root);
	rc = read_dpkg(root, out->distro, out);
	if (rc == 0)
		rc = find_sites(root, &d, &nd);
	if (rc == 0)
		rc = read_file_lists(root, d, nd);
	for (size_t i = 0; rc == 0 && i < nd; i++) {
		struct vuln_pkg k = {0};
		char *norm = vuln_pep503_name(d[i].name);
		const char *q[] = {NULL};
		k.ecosystem = "PyPI";
		k.name = d[i].name;
		k.version = d[i].version;
		k.owner = d[i].owner;
		k.location = d[i].rel;
		k.purl = norm ? purl_build("pypi", NULL, norm, d[i].version, q) : NULL;
		rc = k.purl ? vuln_pkglist_add(out, &k) : -1;
		free(k.purl);
		free(norm);
	}
	for (size_t i = 0; i < nd; i++) {
		free(d[i].name);
		free(d[i].version);
		free(d[i].rel);
		free(d[i].owner);
	}
	free(d);
	if (rc == 0) {
		for (size_t i = 0; i < out->n; i++)
			if (out->v[i].ecosystem == NULL) {
				char *m = ward_asprintf("%s %s: the Debian release is unknown (no "
				                        "os-release): not scanned",
				                        out->v[i].name, out->v[i].version);
				if (m == NULL || ward_strv_push_owned(&out->problems, m) != 0)
					return -1;
			}
		vuln_pkglist_sort(out);
	}
	return rc;
}
