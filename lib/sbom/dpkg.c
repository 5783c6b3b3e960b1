/* dpkg.c: Debian packages from /var/lib/dpkg/status and status.d/, their
 * files (info/<pkg>.list, .md5sums, Conffiles), licenses and Depends. */
#include <stdlib.h>
#include <string.h>

#include "deb/deb.h"
#include "sbom/sbom_internal.h"

#define DPKG_DIR "var/lib/dpkg"

/* "installed" and the states in which the files are on disk. */
static int
status_installed(const char *status)
{
	const char *st;

	if (status == NULL)
		return 1; /* status.d entries may carry no Status */
	st = strrchr(status, ' ');
	st = st ? st + 1 : status;
	return strcmp(st, "installed") == 0 || strcmp(st, "unpacked") == 0 ||
	       strcmp(st, "half-configured") == 0 || strcmp(st, "half-installed") == 0 ||
	       strcmp(st, "triggers-awaited") == 0 || strcmp(st, "triggers-pending") == 0;
}

static char *
dup_or_null(const char *s)
{
	return s && *s ? ward_strdup(s) : NULL;
}

/* "src (1.2-3)" -> name and version; plain "src" keeps the binary version. */
static int
parse_source(const char *src, struct sbom_deb_pkg *p)
{
	const char *sp, *lp, *rp;

	if (src == NULL || *src == '\0')
		return 0;
	sp = src + strcspn(src, " \t(");
	if ((p->source = ward_strndup(src, (size_t)(sp - src))) == NULL)
		return -1;
	lp = strchr(sp, '(');
	rp = lp ? strchr(lp, ')') : NULL;
	if (lp && rp && rp > lp + 1) {
		free(p->source_version);
		p->source_version = ward_strndup(lp + 1, (size_t)(rp - lp - 1));
	}
	return 0;
}

static int
conffiles(const char *v, struct ward_strv *out)
{
	/* One " /path md5 [obsolete]" per continuation line. */
	while (v && *v) {
		const char *nl = strchr(v, '\n'), *e = nl ? nl : v + strlen(v), *s = v;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		if (*s == '/') {
			const char *sp = s + strcspn(s, " \t\n");
			if (sp > e)
				sp = e;
			char *path = ward_strndup(s, (size_t)(sp - s));
			if (path == NULL || ward_strv_push_owned(out, path) != 0)
				return -1;
		}
		v = nl ? nl + 1 : e;
	}
	return 0;
}

int
sbom_dpkg_status_parse(const char *data, size_t len, const char *what, struct sbom_deb_pkg **pkgs,
		       size_t *n)
{
	struct deb_control c;
	struct sbom_deb_pkg *out;
	size_t k = 0;

	*pkgs = NULL;
	*n = 0;
	if (deb_control_parse(data, len, what, &c) != 0)
		return -1;
	if ((out = ward_calloc(c.n ? c.n : 1, sizeof(*out))) == NULL)
		goto fail;
	for (size_t i = 0; i < c.n; i++) {
		const struct deb_para *para = &c.paras[i];
		const char *name = deb_para_get(para, "Package");
		const char *version = deb_para_get(para, "Version");
		const char *pre = deb_para_get(para, "Pre-Depends");
		const char *dep = deb_para_get(para, "Depends");
		const char *desc = deb_para_get(para, "Description");
		struct sbom_deb_pkg *p = &out[k];

		if (!status_installed(deb_para_get(para, "Status")))
			continue;
		if (name == NULL || *name == '\0' || version == NULL || *version == '\0') {
			ward_err(WARD_EINPUT, "%s:%zu: package without Package or Version", what,
				 para->line);
			goto fail;
		}
		if (strpbrk(name, " \t\n/") != NULL) {
			ward_err(WARD_EINPUT, "%s:%zu: bad package name \"%s\"", what, para->line,
				 name);
			goto fail;
		}
		if (deb_version_check(version, name) != 0) {
			ward_err(WARD_EINPUT, "%s:%zu: %s", what, para->line, ward_errmsg());
			goto fail;
		}
		k++;
		p->line = para->line;
		if ((p->name = ward_strdup(name)) == NULL ||
		    (p->version = ward_strdup(version)) == NULL)
			goto fail;
		p->arch = dup_or_null(deb_para_get(para, "Architecture"));
		p->maintainer = dup_or_null(deb_para_get(para, "Maintainer"));
		p->homepage = dup_or_null(deb_para_get(para, "Homepage"));
		p->multi_arch = dup_or_null(deb_para_get(para, "Multi-Arch"));
		p->provides = dup_or_null(deb_para_get(para, "Provides"));
		if (desc != NULL)
			p->summary = ward_strndup(desc, strcspn(desc, "\n"));
		if (parse_source(deb_para_get(para, "Source"), p) != 0)
			goto fail;
		if (p->source == NULL && (p->source = ward_strdup(name)) == NULL)
			goto fail;
		if (p->source_version == NULL && (p->source_version = ward_strdup(version)) == NULL)
			goto fail;
		if (pre && dep)
			p->depends = ward_asprintf("%s, %s", pre, dep);
		else
			p->depends = dup_or_null(pre ? pre : dep);
		if (conffiles(deb_para_get(para, "Conffiles"), &p->conffiles) != 0)
			goto fail;
	}
	deb_control_free(&c);
	*pkgs = out;
	*n = k;
	return 0;
fail:
	deb_control_free(&c);
	sbom_deb_pkgs_free(out, k);
	return -1;
}

void
sbom_deb_pkgs_free(struct sbom_deb_pkg *pkgs, size_t n)
{
	if (pkgs == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		struct sbom_deb_pkg *p = &pkgs[i];
		free(p->name), free(p->version), free(p->arch), free(p->source);
		free(p->source_version), free(p->maintainer), free(p->homepage);
		free(p->summary), free(p->multi_arch), free(p->depends), free(p->provides);
		ward_strv_free(&p->conffiles);
	}
	free(pkgs);
}

int
sbom_dpkg_md5sums_parse(const char *data, size_t len, const char *what, struct ward_strv *paths)
{
	const char *p = data, *end = data + len;
	size_t lineno = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *e = nl ? nl : end;
		const char *path;
		char *s;

		lineno++;
		if (e > p) {
			for (int i = 0; i < 32; i++)
				if (p + i >= e || !strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
					return ward_err(WARD_EINPUT, "%s:%zu: expected an MD5 sum",
							what, lineno);
			path = p + 32;
			while (path < e && (*path == ' ' || *path == '*'))
				path++;
			if (path == e || path == p + 32)
				return ward_err(WARD_EINPUT, "%s:%zu: expected \"<md5>  <path>\"",
						what, lineno);
			if (memchr(path, '\0', (size_t)(e - path)) != NULL)
				return ward_err(WARD_EINPUT, "%s:%zu: NUL byte", what, lineno);
			if ((s = ward_strndup(path, (size_t)(e - path))) == NULL ||
			    ward_strv_push_owned(paths, s) != 0)
				return -1;
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

/* ---------------------------------------------------------------- catalog */

/* Claim every path listed in a file (one per line; md5sums lines carry the
 * sum first) for comp. */
static int
claim_listed(struct sbom_catalog *c, size_t comp, ssize_t file, int md5sums)
{
	struct ward_buf b = {0};
	struct ward_strv paths = {0};
	const char *what;
	int rc = -1;

	if (file < 0)
		return 0;
	what = c->fs.files[file].path;
	if (sbom_fileset_read(&c->fs, (size_t)file, SBOM_MAX_META, &b) != 0)
		goto out;
	if (md5sums) {
		if (sbom_dpkg_md5sums_parse((char *)b.data, b.len, what, &paths) != 0) {
			catalog_warn(c, "%s", ward_errmsg());
			ward_err_clear();
			ward_strv_free(&paths);
		}
	} else {
		char *s = (char *)b.data, *e = s + b.len;
		while (s < e) {
			char *nl = memchr(s, '\n', (size_t)(e - s));
			if (nl)
				*nl = '\0';
			if (*s && strcmp(s, "/.") != 0 && ward_strv_push(&paths, s) != 0)
				goto out;
			s = nl ? nl + 1 : e;
		}
	}
	for (size_t i = 0; i < paths.n; i++)
		if (catalog_claim_path(c, comp, paths.v[i]) != 0)
			goto out;
	rc = 0;
out:
	ward_buf_free(&b);
	ward_strv_free(&paths);
	return rc;
}

/* The dpkg database's own files for a package: info/<pkg>[:arch].* */
static int
claim_info(struct sbom_catalog *c, size_t comp, const char *name, ssize_t *list, ssize_t *md5)
{
	const char *arch = c->comps[comp].arch;
	char *prefixes[2] = {ward_asprintf(DPKG_DIR "/info/%s.", name),
			     arch ? ward_asprintf(DPKG_DIR "/info/%s:%s.", name, arch) : NULL};
	int rc = 0;

	*list = *md5 = -1;
	for (int k = 0; k < 2 && rc == 0; k++) {
		size_t plen;
		if (prefixes[k] == NULL)
			continue;
		plen = strlen(prefixes[k]);
		for (size_t i = fileset_lower_bound(&c->fs, prefixes[k]); i < c->fs.n; i++) {
			const char *p = c->fs.files[i].path;
			if (strncmp(p, prefixes[k], plen) != 0)
				break;
			/* "<pkg>.<ext>": a '.' in the rest means another package
			 * ("python3." is a prefix of "python3.11.list"). */
			if (strpbrk(p + plen, "/.") != NULL || c->fs.files[i].type != SBOM_REG)
				continue;
			if (strcmp(p + plen, "list") == 0)
				*list = (ssize_t)i;
			else if (strcmp(p + plen, "md5sums") == 0)
				*md5 = (ssize_t)i;
			if (catalog_claim(c, comp, i) < 0)
				rc = -1;
		}
	}
	free(prefixes[0]);
	free(prefixes[1]);
	return rc;
}

static int
split_depends(const char *s, struct ward_strv *out)
{
	while (s && *s) {
		const char *e = strchr(s, ',');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		while (n > 0 && (*s == ' ' || *s == '\t' || *s == '\n'))
			s++, n--;
		while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n'))
			n--;
		if (n > 0) {
			char *g = ward_strndup(s, n);
			for (char *q = g; q && *q; q++)
				if (*q == '\n' || *q == '\t')
					*q = ' ';
			if (g == NULL || ward_strv_push_owned(out, g) != 0)
				return -1;
		}
		s = e ? e + 1 : s + n;
		if (!e)
			break;
	}
	return 0;
}

static int
license_for(struct sbom_catalog *c, struct sbom_component *comp)
{
	char *path = ward_asprintf("usr/share/doc/%s/copyright", comp->name);
	struct ward_buf b = {0};
	ssize_t i;
	int rc = -1;

	if (path == NULL)
		return -1;
	i = fileset_regular(&c->fs, path);
	if (i < 0) {
		rc = license_set(&comp->license, "NOASSERTION", "NOASSERTION", "none");
		goto out;
	}
	if (sbom_fileset_read(&c->fs, (size_t)i, SBOM_MAX_SMALL, &b) != 0) {
		catalog_warn(c, "%s", ward_errmsg());
		ward_err_clear();
		rc = license_set(&comp->license, "NOASSERTION", "NOASSERTION", "unreadable");
		goto out;
	}
	char *what = ward_asprintf("/%s", c->fs.files[i].path);
	if (what == NULL)
		goto out;
	rc = sbom_dep5_license((char *)b.data, b.len, what, &comp->license);
	free(what);
out:
	ward_buf_free(&b);
	free(path);
	return rc;
}

/* The packages seen so far, by "name\tarch": a package listed again is
 * found in O(1), not by a scan of every component (a status file of
 * 200,000 packages was quadratic). */
struct seen {
	struct ward_strmap map;
	struct ward_strv keys; /* owns the map's keys */
};

static int
add_package(struct sbom_catalog *c, struct seen *seen, struct sbom_deb_pkg *p, const char *where,
	    ssize_t meta)
{
	struct sbom_component *comp;
	size_t idx;
	ssize_t list = -1, md5 = -1;
	char *key = ward_asprintf("%s\t%s", p->name, p->arch ? p->arch : "");

	if (key == NULL)
		return -1;
	if (ward_strmap_get(&seen->map, key, NULL)) {
		free(key);
		catalog_warn(c, "%s: package %s listed again; first entry kept", where, p->name);
		return 0;
	}
	if (ward_strv_push_owned(&seen->keys, key) != 0 || ward_strmap_put(&seen->map, key, 0) != 0)
		return -1;
	if ((comp = catalog_add(c, SBOM_KIND_DEB, p->name, p->version)) == NULL)
		return -1;
	idx = (size_t)(comp - c->comps);
	comp->arch = p->arch, p->arch = NULL;
	comp->source = p->source, p->source = NULL;
	comp->source_version = p->source_version, p->source_version = NULL;
	comp->supplier = p->maintainer, p->maintainer = NULL;
	comp->homepage = p->homepage, p->homepage = NULL;
	comp->summary = p->summary, p->summary = NULL;
	if ((comp->location = ward_strdup(where)) == NULL)
		return -1;
	if (split_depends(p->depends, &comp->requires) != 0)
		return -1;
	for (const char *s = p->provides; s && *s;) {
		size_t n = strcspn(s, " \t\n,(");
		if (n > 0) {
			char *name = ward_strndup(s, n);
			if (name == NULL || ward_strv_push_owned(&comp->provides, name) != 0)
				return -1;
		}
		s += n;
		s += strcspn(s, ",");
		s += strspn(s, ", \t\n");
	}
	comp->purl = purl_deb(c->os_id, comp->name, comp->version, comp->arch, c->distro);
	if (comp->purl == NULL)
		return -1;
	if (catalog_prop(comp, "ward:deb:source", comp->source) != 0 ||
	    catalog_prop(comp, "ward:deb:source-version", comp->source_version) != 0 ||
	    (p->multi_arch && catalog_prop(comp, "ward:deb:multi-arch", p->multi_arch) != 0))
		return -1;
	if (meta >= 0)
		comp->layer = c->fs.files[meta].layer;
	if (claim_info(c, idx, comp->name, &list, &md5) != 0)
		return -1;
	comp = &c->comps[idx];
	if (list >= 0)
		comp->layer = c->fs.files[list].layer;
	if (claim_listed(c, idx, list, 0) != 0 || claim_listed(c, idx, md5, 1) != 0)
		return -1;
	for (size_t i = 0; i < p->conffiles.n; i++)
		if (catalog_claim_path(c, idx, p->conffiles.v[i]) != 0)
			return -1;
	return license_for(c, &c->comps[idx]);
}

static int
catalog_status_file(struct sbom_catalog *c, struct seen *seen, size_t file, ssize_t md5sums,
		    int statusd)
{
	struct ward_buf b = {0};
	struct sbom_deb_pkg *pkgs = NULL;
	size_t n = 0, first = c->ncomps;
	char *what = ward_asprintf("/%s", c->fs.files[file].path);
	int rc = -1;

	if (what == NULL || sbom_fileset_read(&c->fs, file, SBOM_MAX_META, &b) != 0 ||
	    sbom_dpkg_status_parse((char *)b.data, b.len, what, &pkgs, &n) != 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (add_package(c, seen, &pkgs[i], what, (ssize_t)file) != 0)
			goto out;
	/* status.d/<name> and its .md5sums belong to the package(s) inside. */
	if (statusd && c->ncomps > first) {
		if (catalog_claim(c, first, file) < 0)
			goto out;
		if (md5sums >= 0 && (catalog_claim(c, first, (size_t)md5sums) < 0 ||
				     claim_listed(c, first, md5sums, 1) != 0))
			goto out;
	}
	rc = 0;
out:
	sbom_deb_pkgs_free(pkgs, n);
	ward_buf_free(&b);
	free(what);
	return rc;
}

static int catalog_dpkg_files(struct sbom_catalog *c, struct seen *seen, ssize_t status,
			      ssize_t dir);

int
catalog_dpkg(struct sbom_catalog *c)
{
	ssize_t status = fileset_regular(&c->fs, DPKG_DIR "/status");
	ssize_t dir = sbom_fileset_resolve(&c->fs, DPKG_DIR "/status.d", 1);
	struct seen seen = {0};
	int rc = catalog_dpkg_files(c, &seen, status, dir);

	ward_strmap_free(&seen.map);
	ward_strv_free(&seen.keys);
	return rc;
}

static int
catalog_dpkg_files(struct sbom_catalog *c, struct seen *seen, ssize_t status, ssize_t dir)
{
	if (status >= 0 && catalog_status_file(c, seen, (size_t)status, -1, 0) != 0)
		return -1;
	if (dir >= 0 && c->fs.files[dir].type == SBOM_DIR) {
		char *prefix = ward_asprintf("%s/", c->fs.files[dir].path);
		size_t plen;

		if (prefix == NULL)
			return -1;
		plen = strlen(prefix);
		for (size_t i = fileset_lower_bound(&c->fs, prefix); i < c->fs.n; i++) {
			const char *p = c->fs.files[i].path;
			char *md5;
			ssize_t m;
			int rc;

			if (strncmp(p, prefix, plen) != 0)
				break;
			if (strchr(p + plen, '/') || c->fs.files[i].type != SBOM_REG ||
			    ward_str_endswith(p, ".md5sums"))
				continue;
			if ((md5 = ward_asprintf("%s.md5sums", p)) == NULL) {
				free(prefix);
				return -1;
			}
			m = sbom_fileset_find(&c->fs, md5);
			free(md5);
			if (m >= 0 && c->fs.files[m].type != SBOM_REG)
				m = -1;
			rc = catalog_status_file(c, seen, i, m, 1);
			if (rc != 0) {
				free(prefix);
				return -1;
			}
		}
		free(prefix);
	}
	return 0;
}

/* ---------------------------------------------------------------- Depends */

/* Debian components by name (first in component order, then next[] to
 * the following one of the same name) and by provided name (the first
 * provider): each dependency a lookup, not a scan of every package. */
struct deb_comp_index {
	struct ward_strmap names, provides;
	size_t *next; /* next component with the same name, or SIZE_MAX */
};

static int
deb_index_build(const struct sbom_catalog *c, struct deb_comp_index *x)
{
	size_t *last = NULL;

	if ((x->next = ward_reallocarray(NULL, c->ncomps + 1, sizeof(*x->next))) == NULL ||
	    (last = ward_reallocarray(NULL, c->ncomps + 1, sizeof(*last))) == NULL)
		goto fail;
	for (size_t i = 0; i < c->ncomps; i++) {
		const struct sbom_component *p = &c->comps[i];
		size_t first;
		x->next[i] = SIZE_MAX;
		if (p->kind != SBOM_KIND_DEB)
			continue;
		if (ward_strmap_get(&x->names, p->name, &first))
			x->next[last[first]] = i;
		else if (ward_strmap_put(&x->names, p->name, i) != 0)
			goto fail;
		else
			first = i;
		last[first] = i;
		for (size_t k = 0; k < p->provides.n; k++)
			if (!ward_strmap_get(&x->provides, p->provides.v[k], NULL) &&
			    ward_strmap_put(&x->provides, p->provides.v[k], i) != 0)
				goto fail;
	}
	free(last);
	return 0;
fail:
	free(last);
	return -1;
}

static void
deb_index_free(struct deb_comp_index *x)
{
	ward_strmap_free(&x->names);
	ward_strmap_free(&x->provides);
	free(x->next);
}

static ssize_t
find_deb(const struct sbom_catalog *c, const struct deb_comp_index *x, const char *name,
	 const char *arch)
{
	ssize_t any = -1;
	size_t i;

	if (ward_strmap_get(&x->names, name, &i))
		for (; i != SIZE_MAX; i = x->next[i]) {
			const struct sbom_component *p = &c->comps[i];
			if (arch == NULL || p->arch == NULL || strcmp(p->arch, arch) == 0 ||
			    strcmp(p->arch, "all") == 0)
				return (ssize_t)i;
			if (any < 0)
				any = (ssize_t)i;
		}
	if (any < 0 && ward_strmap_get(&x->provides, name, &i))
		any = (ssize_t)i;
	return any;
}

int
catalog_dpkg_deps(struct sbom_catalog *c)
{
	struct deb_comp_index x = {0};
	size_t *mark = NULL;
	char name[256];
	int rc = -1;

	if (deb_index_build(c, &x) != 0 ||
	    (mark = ward_calloc(c->ncomps + 1, sizeof(*mark))) == NULL)
		goto out;
	for (size_t i = 0; i < c->ncomps; i++) {
		struct sbom_component *p = &c->comps[i];
		if (p->kind != SBOM_KIND_DEB)
			continue;
		for (size_t k = 0; k < p->ndeps; k++) /* deps other catalogers found */
			mark[p->deps[k]] = i + 1;
		for (size_t g = 0; g < p->requires.n; g++) {
			/* Alternatives: the first one installed satisfies the group. */
			for (const char *a = p->requires.v[g]; *a;) {
				size_t n;
				ssize_t d = -1;
				a += strspn(a, " |");
				n = strcspn(a, " :([|<>");
				if (n > 0 && n < sizeof(name)) { /* longer: no package has it */
					memcpy(name, a, n);
					name[n] = '\0';
					d = find_deb(c, &x, name, p->arch);
				}
				if (d >= 0) {
					/* mark: each dependency once, without a scan */
					if ((size_t)d != i && mark[d] != i + 1) {
						mark[d] = i + 1;
						if (catalog_dep_append(p, (size_t)d) != 0)
							goto out;
					}
					break;
				}
				a += strcspn(a, "|");
			}
		}
	}
	rc = 0;
out:
	deb_index_free(&x);
	free(mark);
	return rc;
}
