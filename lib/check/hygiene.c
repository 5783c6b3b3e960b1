/* hygiene.c: the image checks that public benchmarks name (CIS Docker
 * Benchmark v1.6 §4/§5, dockle's CIS-DI / DKL-DI / DKL-LI rules) beyond the
 * audit's findings: accounts, leftovers, caches, the config's environment,
 * volumes, ports, tag and healthcheck.  docs/ward-test.md maps each. */
#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check_internal.h"

#define EVIDENCE_MAX 8 /* paths named in one evidence line */

static const char *
base_of(const char *path)
{
	const char *b = strrchr(path, '/');
	return b ? b + 1 : path;
}

static int
in_bin_dir(const char *path)
{
	static const char *const dirs[] = {"bin/",
					   "sbin/",
					   "usr/bin/",
					   "usr/sbin/",
					   "usr/local/bin/",
					   "usr/local/sbin/",
					   "usr/libexec/",
					   "usr/lib/openssh/",
					   NULL};
	const char *b = base_of(path);
	size_t dl = (size_t)(b - path);

	for (size_t i = 0; dirs[i] != NULL; i++)
		if (strlen(dirs[i]) == dl && strncmp(path, dirs[i], dl) == 0)
			return 1;
	return 0;
}

/* The paths of the catalog matching pred, as one evidence line. */
struct hits {
	struct ward_buf b;
	size_t n;
	uint64_t bytes;
};

static void
hit(struct hits *h, const struct sbom_file *e)
{
	if (h->n < EVIDENCE_MAX)
		ward_buf_printf(&h->b, "%s/%s", h->n ? ", " : "", e->path);
	h->n++;
	h->bytes += e->size;
}

static void
report(struct check_matrix *m, const char *id, struct hits *h, const char *none, int fail)
{
	if (h->n == 0)
		check_set(m, id, CHECK_PASS, "%s", none);
	else
		check_set(m, id, fail, "%zu: %s%s", h->n, (char *)h->b.data,
			  h->n > EVIDENCE_MAX ? ", ..." : "");
	ward_buf_free(&h->b);
}

static void
binaries_checks(const struct check_facts *f, struct check_matrix *m)
{
	static const char *const escalate[] = {"sudo",	 "sudoedit", "doas",	"su",
					       "pkexec", "runuser",  "setpriv", NULL};
	static const char *const sshd[] = {"sshd", "sshd-session", "dropbear", "tinysshd", NULL};
	struct hits esc = {0}, ssh = {0};

	for (size_t i = 0; i < f->cat->fs.n; i++) {
		const struct sbom_file *e = &f->cat->fs.files[i];
		if ((e->type != SBOM_REG && e->type != SBOM_SYMLINK) || !in_bin_dir(e->path))
			continue;
		for (size_t k = 0; escalate[k]; k++)
			if (strcmp(base_of(e->path), escalate[k]) == 0)
				hit(&esc, e);
		for (size_t k = 0; sshd[k]; k++)
			if (strcmp(base_of(e->path), sshd[k]) == 0)
				hit(&ssh, e);
	}
	report(m, "security.no-sudo", &esc, "no sudo, doas, su, pkexec or runuser", CHECK_FAIL);
	report(m, "security.no-ssh-server", &ssh, "no sshd, dropbear or tinysshd", CHECK_FAIL);
}

static void
leftover_checks(const struct check_facts *f, struct check_matrix *m)
{
	/* VCS metadata and editor/OS leftovers (a path component or basename) */
	static const char *const junk[] = {".git",    ".svn",	   ".hg",	".bzr",
					   "CVS",     ".DS_Store", "Thumbs.db", ".idea",
					   ".vscode", "*.swp",	   "*.swo",	NULL};
	/* package manager caches and index lists */
	static const char *const caches[] = {"var/cache/apt/archives/*.deb",
					     "var/cache/apt/*.bin",
					     "var/lib/apt/lists/*",
					     "var/cache/apk/*",
					     "var/cache/yum/*",
					     "var/cache/dnf/*",
					     "root/.cache/pip/*",
					     "home/*/.cache/pip/*",
					     "root/.npm/_cacache/*",
					     NULL};
	struct hits j = {0}, c = {0};
	char last[4096] = "";

	for (size_t i = 0; i < f->cat->fs.n; i++) {
		const struct sbom_file *e = &f->cat->fs.files[i];
		const char *p = e->path, *s = p;
		/* the first junk component names the leftover, once */
		while (*s) {
			size_t cl = strcspn(s, "/");
			char comp[256];
			int is_junk = 0;
			snprintf(comp, sizeof(comp), "%.*s", (int)cl, s);
			for (size_t k = 0; junk[k] && !is_junk; k++)
				is_junk = fnmatch(junk[k], comp, 0) == 0;
			if (is_junk) {
				size_t pl = (size_t)(s - p) + cl;
				if (pl < sizeof(last) &&
				    !(strlen(last) == pl && strncmp(last, p, pl) == 0)) {
					struct sbom_file pseudo = *e;
					char path[4096];
					snprintf(last, sizeof(last), "%.*s", (int)pl, p);
					snprintf(path, sizeof(path), "%s", last);
					pseudo.path = path;
					hit(&j, &pseudo);
				}
				break;
			}
			s += cl;
			if (*s == '/')
				s++;
		}
		if (e->type != SBOM_REG)
			continue;
		for (size_t k = 0; caches[k]; k++)
			if (fnmatch(caches[k], e->path, 0) == 0) {
				if (strcmp(base_of(e->path), "lock") != 0)
					hit(&c, e);
				break;
			}
	}
	report(m, "security.no-unneeded-files", &j, "no VCS metadata or editor leftovers",
	       CHECK_FAIL);
	if (c.n)
		check_value(m, "performance.no-package-caches", (double)c.bytes, "bytes");
	report(m, "performance.no-package-caches", &c, "no package caches or index lists",
	       CHECK_FAIL);
}

/* /etc/passwd, /etc/group and /etc/shadow as the image has them. */
static void
account_checks(const struct check_facts *f, struct check_matrix *m)
{
	struct ward_buf pw = {0}, gr = {0}, sh = {0};
	struct ward_strv names = {0}, ids = {0}, gnames = {0}, gids = {0};
	struct ward_buf dup = {0}, empty = {0};
	int have_pw = check_facts_read(f, "etc/passwd", 4u << 20, &pw) == 0;
	int have_gr = check_facts_read(f, "etc/group", 4u << 20, &gr) == 0;
	int have_sh = check_facts_read(f, "etc/shadow", 4u << 20, &sh) == 0;

	ward_err_clear();
	if (!have_pw) {
		check_set(m, "security.no-empty-password", CHECK_SKIP, "no /etc/passwd");
		check_set(m, "security.unique-ids", CHECK_SKIP, "no /etc/passwd");
		goto out;
	}
	/* fields: name:password:uid:gid:... ; name:password:gid:members */
	for (int pass = 0; pass < 3; pass++) {
		struct ward_buf *b = pass == 0 ? &pw : pass == 1 ? &gr : &sh;
		char *text = b->data ? ward_strndup((const char *)b->data, b->len) : NULL,
		     *save = NULL;
		if (text == NULL)
			continue;
		for (char *line = strtok_r(text, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			char *fld[4] = {0}, *p = line;
			if (*line == '#' || *line == '\0')
				continue;
			for (int k = 0; k < 4 && p; k++) {
				fld[k] = p;
				p = strchr(p, ':');
				if (p)
					*p++ = '\0';
			}
			if (fld[1] == NULL)
				continue;
			if (pass != 1 && fld[1][0] == '\0')
				ward_buf_printf(&empty, "%s%s (%s)", empty.len ? ", " : "", fld[0],
						pass == 0 ? "/etc/passwd" : "/etc/shadow");
			if (pass == 2)
				continue;
			struct ward_strv *nv = pass == 0 ? &names : &gnames;
			struct ward_strv *iv = pass == 0 ? &ids : &gids;
			const char *what = pass == 0 ? "user" : "group";
			if (ward_strv_contains(nv, fld[0]))
				ward_buf_printf(&dup, "%s%s name %s", dup.len ? ", " : "", what,
						fld[0]);
			else
				ward_strv_push(nv, fld[0]);
			if (fld[2] != NULL) {
				if (ward_strv_contains(iv, fld[2]))
					ward_buf_printf(&dup, "%s%s id %s (%s)",
							dup.len ? ", " : "", what, fld[2], fld[0]);
				else
					ward_strv_push(iv, fld[2]);
			}
		}
		free(text);
	}
	if (empty.len)
		check_set(m, "security.no-empty-password", CHECK_FAIL, "empty password: %s",
			  (char *)empty.data);
	else
		check_set(m, "security.no-empty-password", CHECK_PASS,
			  "%zu user(s), none with an empty password%s", names.n,
			  have_sh ? " (/etc/passwd, /etc/shadow)" : " (no /etc/shadow)");
	if (dup.len)
		check_set(m, "security.unique-ids", CHECK_FAIL, "%s", (char *)dup.data);
	else
		check_set(m, "security.unique-ids", CHECK_PASS, "%zu user(s), %zu group(s)%s",
			  names.n, gnames.n, have_gr ? "" : " (no /etc/group)");
out:
	ward_buf_free(&pw);
	ward_buf_free(&gr);
	ward_buf_wipe(&sh);
	ward_buf_free(&dup);
	ward_buf_free(&empty);
	ward_strv_free(&names);
	ward_strv_free(&ids);
	ward_strv_free(&gnames);
	ward_strv_free(&gids);
}

/* Variable names that hold credentials when set, and value shapes of
 * well-known tokens whatever the name. */
static int
secret_env(const char *kv)
{
	static const char *const names[] = {
		"*PASSWORD*", "*PASSWD*",      "*SECRET*",     "*TOKEN*",      "*API_KEY*",
		"*APIKEY*",   "*PRIVATE_KEY*", "*ACCESS_KEY*", "*CREDENTIAL*", NULL};
	static const char *const values[] = {"AKIA????????????????*", "ghp_*",
					     "github_pat_*",	      "xox[bp]-*",
					     "sk-????????????????*",  "hf_????????????????*",
					     "-----BEGIN*",	      NULL};
	const char *eq = strchr(kv, '=');
	char name[256];

	if (eq == NULL || eq[1] == '\0')
		return 0;
	snprintf(name, sizeof(name), "%.*s", (int)(eq - kv), kv);
	for (char *p = name; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	for (size_t k = 0; names[k]; k++)
		if (fnmatch(names[k], name, 0) == 0)
			return 1;
	for (size_t k = 0; values[k]; k++)
		if (fnmatch(values[k], eq + 1, 0) == 0)
			return 1;
	return 0;
}

static void
config_checks(const struct check_facts *f, struct check_matrix *m)
{
	static const char *const sensitive[] = {
		"/",	       "/etc",	 "/proc",    "/sys",	 "/dev",  "/boot",
		"/root",       "/run",	 "/var/run", "/usr",	 "/bin",  "/sbin",
		"/lib",	       "/lib64", "/ward",    "/var/lib", "/home", "/var/run/docker.sock",
		"/run/podman", NULL};
	const struct audit_report *a = &m->audit;
	struct ward_buf b = {0};
	size_t n = 0;

	if (f->img == NULL) {
		check_skip_rest(m, "security.no-secrets-in-env", "no image config");
		check_skip_rest(m, "security.no-sensitive-volumes", "no image config");
		check_skip_rest(m, "security.unprivileged-ports", "no image config");
		check_skip_rest(m, "function.tag-not-latest", "a root filesystem, not an image");
		check_skip_rest(m, "function.healthcheck-declared", "no image config");
		return;
	}
	for (size_t i = 0; i < a->env.n; i++)
		if (secret_env(a->env.v[i])) {
			/* the name only: never the value */
			ward_buf_printf(&b, "%s%.*s", n++ ? ", " : "",
					(int)strcspn(a->env.v[i], "="), a->env.v[i]);
		}
	if (n)
		check_set(m, "security.no-secrets-in-env", CHECK_FAIL,
			  "credential-like variable(s) set in the image config: %s",
			  (char *)b.data);
	else
		check_set(m, "security.no-secrets-in-env", CHECK_PASS,
			  "%zu variable(s), none credential-like", a->env.n);
	ward_buf_free(&b);
	n = 0;
	const struct ward_strv *vols = &f->img->cfg.volumes;
	json_t *models = f->policy ? json_object_get(f->policy, "models") : NULL;
	for (size_t i = 0; i < vols->n; i++) {
		const char *v = vols->v[i];
		size_t vl = strlen(v);
		int bad = 0;
		while (vl > 1 && v[vl - 1] == '/')
			vl--;
		for (size_t k = 0; sensitive[k] && !bad; k++)
			bad = strlen(sensitive[k]) == vl && strncmp(sensitive[k], v, vl) == 0;
		/* a volume over a model would replace the verified files */
		size_t mi;
		json_t *mo;
		json_array_foreach(models, mi, mo)
		{
			const char *mp = json_string_value(json_object_get(mo, "path"));
			if (mp && ((strncmp(mp, v, vl) == 0 && (mp[vl] == '\0' || mp[vl] == '/')) ||
				   (strncmp(v, mp, strlen(mp)) == 0 && v[strlen(mp)] == '/')))
				bad = 1;
		}
		if (bad)
			ward_buf_printf(&b, "%s%s", n++ ? ", " : "", v);
	}
	if (n)
		check_set(m, "security.no-sensitive-volumes", CHECK_FAIL, "sensitive volume(s): %s",
			  (char *)b.data);
	else
		check_set(m, "security.no-sensitive-volumes", CHECK_PASS,
			  "%zu volume(s), none sensitive", vols->n);
	ward_buf_free(&b);
	n = 0;
	for (size_t i = 0; i < a->ports.n; i++) {
		unsigned long port = strtoul(a->ports.v[i], NULL, 10);
		if (port < 1024)
			ward_buf_printf(&b, "%s%s", n++ ? ", " : "", a->ports.v[i]);
	}
	if (n)
		check_set(m, "security.unprivileged-ports", CHECK_FAIL,
			  "privileged port(s) need CAP_NET_BIND_SERVICE: %s", (char *)b.data);
	else
		check_set(m, "security.unprivileged-ports", a->ports.n ? CHECK_PASS : CHECK_SKIP,
			  "%zu port(s), all >= 1024", a->ports.n);
	ward_buf_free(&b);
	{
		const char *tag = f->img->ref, *c = tag ? strrchr(tag, ':') : NULL;
		/* "name:tag" (docker-archive RepoTags) or a bare OCI ref name */
		if (c != NULL && strchr(c, '/') == NULL)
			tag = c + 1;
		if (tag != NULL && strcmp(tag, "latest") == 0)
			check_set(m, "function.tag-not-latest", CHECK_FAIL,
				  "referenced as :latest (a moving name; pin a version or digest)");
		else
			check_set(m, "function.tag-not-latest", CHECK_PASS, "%s%s",
				  tag ? "tag " : "untagged, by digest ",
				  tag	      ? tag
				  : a->digest ? a->digest
					      : "");
	}
	if (a->healthcheck)
		check_set(m, "function.healthcheck-declared", CHECK_PASS,
			  "the config has a Healthcheck");
	else
		check_set(m, "function.healthcheck-declared", CHECK_WARN,
			  "no Healthcheck in the config%s",
			  f->policy && !json_is_null(json_object_get(f->policy, "metrics"))
				  ? " (ward-init serves /healthz for probes)"
				  : "");
}

void
check_hygiene(const struct check_facts *f, struct check_matrix *m)
{
	binaries_checks(f, m);
	leftover_checks(f, m);
	account_checks(f, m);
	config_checks(f, m);
}
