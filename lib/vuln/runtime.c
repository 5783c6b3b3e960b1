/*
 * runtime.c: what ward-init will ever execute in an image, from the image
 * itself: its config's entrypoint (/ward/init -- SERVER ARGS) and the
 * policy it carries (/ward/policy.json, exec.allow).  ward-init lets the
 * server, the interpreters it needs ("#!" and the ELF loader) and the
 * allow-listed binaries (with theirs) execute, and refuses every other
 * execve (seccomp user notification; Landlock limits execution to the same
 * files: docs/ward-init.md).  A vulnerability whose code is only in another
 * program is therefore not in any execute path of a container started from
 * this image; ward says so only when every fact above was read.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "sbom/sbom.h"
#include "vuln/vuln_internal.h"

#define MAX_POLICY_BYTES (1u << 20)
#define MAX_PROGRAM_BYTES (512u << 20)

void
vuln_runtime_free(struct vuln_runtime *r)
{
	if (r == NULL)
		return;
	free(r->why_not);
	free(r->image);
	free(r->policy_sha256);
	ward_strv_free(&r->argv);
	ward_strv_free(&r->exec);
	memset(r, 0, sizeof(*r));
}

/* Resolve path inside root as a chroot would (absolute links start at the
 * root, ".." stops there, 40 links at most): the resolved absolute path
 * (inside the root), or NULL when a component is missing or loops. */
char *
runtime_resolve(const char *root, const char *path)
{
	struct ward_buf cur = {0};
	char *rest = ward_strdup(path), *out = NULL;
	int links = 0;

	if (rest == NULL)
		return NULL;
	for (char *p = rest; *p;) {
		char *e = strchr(p, '/'), *full, target[PATH_MAX];
		size_t n = e ? (size_t)(e - p) : strlen(p), keep = cur.len;
		struct stat st;
		ssize_t tl;
		if (n == 0 || (n == 1 && p[0] == '.')) {
			p += n + (e != NULL);
			continue;
		}
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (cur.len > 0 && cur.data[cur.len - 1] != '/')
				cur.len--;
			if (cur.len > 0)
				cur.len--;
			p += n + (e != NULL);
			continue;
		}
		if (ward_buf_append(&cur, "/", 1) != 0 || ward_buf_append(&cur, p, n) != 0 ||
		    ward_buf_cstr(&cur) == NULL ||
		    (full = ward_path_join(root, (char *)cur.data)) == NULL)
			goto out;
		if (lstat(full, &st) != 0) {
			free(full);
			goto out;
		}
		p += n + (e != NULL);
		if (!S_ISLNK(st.st_mode)) {
			free(full);
			continue;
		}
		tl = readlink(full, target, sizeof(target) - 1);
		free(full);
		if (tl <= 0 || ++links > 40)
			goto out;
		target[tl] = '\0';
		cur.len = target[0] == '/' ? 0 : keep;
		{
			char *nr = ward_asprintf("%s/%s", target, p);
			if (nr == NULL)
				goto out;
			free(rest);
			rest = nr;
			p = rest;
		}
	}
	if (cur.len == 0 && ward_buf_append(&cur, "/", 1) != 0)
		goto out;
	out = ward_buf_steal(&cur);
out:
	ward_buf_free(&cur);
	free(rest);
	return out;
}

/* The interpreter a file needs: "#!" line, else the ELF's PT_INTERP. */
static char *
interpreter(const char *root, const char *resolved)
{
	char *full = ward_path_join(root, resolved), *res = NULL;
	struct ward_buf b = {0};
	struct sbom_elf_info e = {0};

	if (full == NULL)
		return NULL;
	if (ward_file_read(full, MAX_PROGRAM_BYTES, &b) != 0) {
		ward_err_clear();
		goto out;
	}
	if (b.len > 2 && b.data[0] == '#' && b.data[1] == '!') {
		size_t i = 2, s;
		while (i < b.len && (b.data[i] == ' ' || b.data[i] == '\t'))
			i++;
		s = i;
		while (i < b.len && b.data[i] != ' ' && b.data[i] != '\t' && b.data[i] != '\n')
			i++;
		if (i > s)
			res = ward_strndup((char *)b.data + s, i - s);
	} else if (sbom_elf_parse(b.data, b.len, resolved, &e) == 0) {
		if (e.interp != NULL)
			res = ward_strdup(e.interp);
		sbom_elf_info_free(&e);
	} else {
		ward_err_clear();
	}
out:
	ward_buf_free(&b);
	free(full);
	return res;
}

/* Add a program and the interpreters it needs (a chain of at most 4). */
static int
add_program(struct vuln_runtime *r, const char *root, const char *path)
{
	char *cur = ward_strdup(path);

	for (int depth = 0; cur != NULL && depth < 4; depth++) {
		char *res = runtime_resolve(root, cur), *next;
		free(cur);
		cur = NULL;
		if (res == NULL)
			return 0; /* not in the image: nothing it could execute */
		if (!ward_strv_contains(&r->exec, res) && ward_strv_push(&r->exec, res) != 0) {
			free(res);
			return -1;
		}
		next = interpreter(root, res);
		free(res);
		cur = next;
	}
	free(cur);
	return 0;
}

static int
not_proven(struct vuln_runtime *r, const char *why)
{
	free(r->why_not);
	return (r->why_not = ward_strdup(why)) == NULL ? -1 : 0;
}

/* argv[0] as ward-init finds it: absolute, or searched on PATH (the
 * image's Env, else the usual default). */
static char *
server_path(const char *root, const char *arg0, const json_t *env)
{
	const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	size_t i;
	json_t *x;

	if (arg0[0] == '/' || strchr(arg0, '/') != NULL)
		return ward_strdup(arg0);
	json_array_foreach(env, i, x)
	{
		const char *s = json_string_value(x);
		if (s != NULL && strncmp(s, "PATH=", 5) == 0)
			path = s + 5;
	}
	for (const char *p = path; *p;) {
		const char *e = strchr(p, ':');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		char *cand = ward_asprintf("%.*s/%s", (int)n, p, arg0), *res;
		if (cand == NULL)
			return NULL;
		if ((res = runtime_resolve(root, cand)) != NULL) {
			free(res);
			return cand;
		}
		free(cand);
		p += n + (e != NULL);
	}
	return NULL;
}

int
vuln_runtime_read(const char *root, const json_t *config, const char *image,
		  struct vuln_runtime *out)
{
	const json_t *cfg = json_object_get(config, "config"), *ep, *cmd, *x;
	struct ward_strv argv = {0};
	struct ward_buf pol = {0};
	json_t *policy = NULL, *allow;
	char *full = NULL, hex[SHA256_HEX_LEN + 1], *server = NULL;
	size_t i, dash = 0;
	int rc = -1;
	struct stat st;

	memset(out, 0, sizeof(*out));
	if (image != NULL && (out->image = ward_strdup(image)) == NULL)
		return -1;
	ep = json_object_get(cfg, "Entrypoint");
	cmd = json_object_get(cfg, "Cmd");
	json_array_foreach(ep, i, x) if (json_is_string(x))
		ward_strv_push(&argv, json_string_value(x));
	json_array_foreach(cmd, i, x) if (json_is_string(x))
		ward_strv_push(&argv, json_string_value(x));
	if (argv.n == 0 || strcmp(argv.v[0], "/ward/init") != 0) {
		rc = not_proven(out, "the image's entrypoint is not /ward/init: nothing limits "
				     "what runs");
		goto out;
	}
	for (i = 1; i < argv.n && dash == 0; i++)
		if (strcmp(argv.v[i], "--") == 0)
			dash = i;
	if (dash == 0 || dash + 1 >= argv.n) {
		rc = not_proven(out, "the entrypoint names no server after \"--\"");
		goto out;
	}
	if ((full = ward_path_join(root, "ward/init")) == NULL)
		goto out;
	if (lstat(full, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = not_proven(out, "/ward/init is not in the image");
		goto out;
	}
	free(full);
	if ((full = ward_path_join(root, "ward/policy.json")) == NULL)
		goto out;
	if (ward_file_read(full, MAX_POLICY_BYTES, &pol) != 0 ||
	    (policy = ward_json_loadb(pol.data, pol.len, "/ward/policy.json")) == NULL ||
	    !json_is_object(policy) ||
	    json_integer_value(json_object_get(policy, "version")) != 1) {
		ward_err_clear();
		rc = not_proven(out, "/ward/policy.json is missing or not a version 1 policy");
		goto out;
	}
	sha256_hex(pol.data, pol.len, hex);
	if ((out->policy_sha256 = ward_strdup(hex)) == NULL)
		goto out;
	for (i = dash + 1; i < argv.n; i++)
		if (ward_strv_push(&out->argv, argv.v[i]) != 0)
			goto out;
	if (ward_strv_push(&out->exec, "/ward/init") != 0)
		goto out;
	server = server_path(root, argv.v[dash + 1], json_object_get(cfg, "Env"));
	if (server == NULL) {
		rc = not_proven(out, "the server named by the entrypoint is not in the image");
		goto out;
	}
	if (add_program(out, root, server) != 0)
		goto out;
	allow = json_object_get(json_object_get(policy, "exec"), "allow");
	json_array_foreach(allow, i, x)
	{
		const char *p = json_string_value(x);
		if (p == NULL || p[0] != '/') {
			rc = not_proven(out, "/ward/policy.json: exec.allow is not a list of "
					     "absolute paths");
			goto out;
		}
		if (add_program(out, root, p) != 0)
			goto out;
	}
	ward_strv_sort(&out->exec);
	out->proven = 1;
	rc = 0;
out:
	if (rc != 0 && ward_errkind() == 0)
		ward_err(WARD_EENV, "out of memory");
	json_decref(policy);
	ward_buf_free(&pol);
	ward_strv_free(&argv);
	free(full);
	free(server);
	return rc;
}

int
vuln_runtime_executes(const struct vuln_runtime *r, const char *root, const char *path)
{
	char *res;
	int yes;

	if (r == NULL || !r->proven)
		return 1;
	if ((res = runtime_resolve(root, path)) == NULL)
		return 0;
	yes = ward_strv_contains(&r->exec, res);
	free(res);
	return yes;
}
