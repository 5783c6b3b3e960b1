/* spec_image.c: the image keys of ward.yaml (files, models, user, entrypoint,
 * ports, writable, policy, ...): their checks, sub-tables and defaults.  The
 * reader itself is spec.c; docs/ward-yaml.md documents every key. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "build/spec_internal.h"

#define DEFAULT_UID 65532
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

/* ------------------------------------------------------------ checks */

static int
clean_abs(const char *v)
{
	size_t len = strlen(v);

	if (v[0] != '/' || len > 4095)
		return 0;
	if (len == 1)
		return 1;
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	return ward_relpath_ok(v + 1);
}

int
spec_check_abs_path(const struct ward_yaml_node *n, const char *v)
{
	if (!clean_abs(v))
		return ward_yaml_error(n,
				       "\"%s\" is not a clean absolute path (starts with '/', "
				       "no '.', '..', empty components or trailing '/')",
				       v);
	return 0;
}

int
spec_check_timezone(const struct ward_yaml_node *n, const char *v)
{
	if (*v == '\0' || *v == '/' || strstr(v, "..") != NULL || strstr(v, "//") != NULL ||
	    v[strlen(v) - 1] == '/')
		goto bad;
	for (const char *p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && strchr("/_+-", *p) == NULL)
			goto bad;
	return 0;
bad:
	return ward_yaml_error(n, "timezone \"%s\": expected a zoneinfo name such as Etc/UTC", v);
}

int
spec_check_env_name(const struct ward_yaml_node *n, const char *v)
{
	if (!isalpha((unsigned char)v[0]) && v[0] != '_')
		goto bad;
	for (const char *p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			goto bad;
	return 0;
bad:
	return ward_yaml_error(n, "env: \"%s\" is not a variable name ([A-Za-z_][A-Za-z0-9_]*)", v);
}

int
spec_check_arg(const struct ward_yaml_node *n, const char *v)
{
	return *v ? 0 : ward_yaml_error(n, "an argument must not be empty");
}

/* port: "8080", "8080/tcp" or "53/udp". */
static int
parse_port(const char *v, unsigned *port, const char **proto)
{
	char *end;
	unsigned long p;

	if (!isdigit((unsigned char)v[0]))
		return -1;
	p = strtoul(v, &end, 10);
	if (p == 0 || p > 65535)
		return -1;
	if (*end == '\0')
		*proto = "tcp";
	else if (strcmp(end, "/tcp") == 0 || strcmp(end, "/udp") == 0)
		*proto = end + 1;
	else
		return -1;
	*port = (unsigned)p;
	return 0;
}

int
spec_check_port(const struct ward_yaml_node *n, const char *v)
{
	unsigned port;
	const char *proto;

	if (parse_port(v, &port, &proto) != 0)
		return ward_yaml_error(
			n, "port \"%s\": expected 1 to 65535, optionally /tcp or /udp", v);
	return 0;
}

int
spec_check_annotation(const struct ward_yaml_node *n, const char *v)
{
	if (*v == '\0' || strlen(v) > 255)
		goto bad;
	for (const char *p = v; *p; p++)
		if (!isgraph((unsigned char)*p))
			goto bad;
	return 0;
bad:
	return ward_yaml_error(n, "\"%s\" is not a valid key (printable, no spaces, 1 to 255)", v);
}

int
spec_check_glob(const struct ward_yaml_node *n, const char *v)
{
	if (v[0] != '/' || strstr(v, "/../") != NULL || strstr(v, "//") != NULL)
		return ward_yaml_error(n, "\"%s\": expected an absolute path or glob", v);
	return 0;
}

static int
check_user_name(const struct ward_yaml_node *n, const char *v)
{
	if (!islower((unsigned char)v[0]) && v[0] != '_')
		goto bad;
	for (const char *p = v; *p; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) &&
		    strchr("_-", *p) == NULL)
			goto bad;
	if (strlen(v) > 32)
		goto bad;
	return 0;
bad:
	return ward_yaml_error(n, "user name \"%s\": expected [a-z_][a-z0-9_-]* (at most 32)", v);
}

static int
check_mode(const struct ward_yaml_node *n, const char *v)
{
	size_t len = strlen(v);

	if (len < 3 || len > 4)
		goto bad;
	for (const char *p = v; *p; p++)
		if (*p < '0' || *p > '7')
			goto bad;
	if (strtoul(v, NULL, 8) & 06000)
		return ward_yaml_error(n, "mode %s: setuid and setgid bits are not allowed", v);
	return 0;
bad:
	return ward_yaml_error(n, "mode \"%s\": expected octal such as 0644 or 0755", v);
}

static int
parse_owner(const char *v, uint32_t *uid, uint32_t *gid)
{
	char *end;
	unsigned long long u, g;

	if (!isdigit((unsigned char)v[0]))
		return -1;
	u = strtoull(v, &end, 10);
	if (*end != ':' || !isdigit((unsigned char)end[1]))
		return -1;
	g = strtoull(end + 1, &end, 10);
	if (*end != '\0' || u > 4294967294ull || g > 4294967294ull)
		return -1;
	*uid = (uint32_t)u;
	*gid = (uint32_t)g;
	return 0;
}

static int
check_owner(const struct ward_yaml_node *n, const char *v)
{
	uint32_t u, g;

	if (parse_owner(v, &u, &g) != 0)
		return ward_yaml_error(n, "owner \"%s\": expected numeric UID:GID such as 0:0", v);
	return 0;
}

static int
check_model_name(const struct ward_yaml_node *n, const char *v)
{
	if (*v == '\0' || *v == '.' || strlen(v) > 64)
		goto bad;
	for (const char *p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && strchr("._-", *p) == NULL)
			goto bad;
	return 0;
bad:
	return ward_yaml_error(n, "model name \"%s\": expected [A-Za-z0-9._-] (at most 64)", v);
}

static int
check_nonempty(const struct ward_yaml_node *n, const char *v)
{
	return *v ? 0 : ward_yaml_error(n, "value must not be empty");
}

/* ------------------------------------------------------------ sub-tables */

const struct spec_key spec_user_keys[] = {
	{.name = "name",
	 .kind = SPEC_STRING,
	 .offset = FIELD(struct build_user, name),
	 .check = check_user_name},
	{.name = "uid", .kind = SPEC_INT, .offset = FIELD(struct build_user, uid)},
	{.name = "gid", .kind = SPEC_INT, .offset = FIELD(struct build_user, gid)},
	{.name = "home",
	 .kind = SPEC_STRING,
	 .offset = FIELD(struct build_user, home),
	 .check = spec_check_abs_path},
	{.name = NULL},
};

const struct spec_key spec_file_keys[] = {
	{.name = "src",
	 .kind = SPEC_PATH,
	 .offset = FIELD(struct build_file, src),
	 .required = 1,
	 .check = check_nonempty},
	{.name = "dst",
	 .kind = SPEC_STRING,
	 .offset = FIELD(struct build_file, dst),
	 .required = 1,
	 .check = spec_check_abs_path},
	{.name = "mode",
	 .kind = SPEC_STRING,
	 .offset = FIELD(struct build_file, mode),
	 .check = check_mode},
	{.name = "owner",
	 .kind = SPEC_STRING,
	 .offset = FIELD(struct build_file, owner),
	 .check = check_owner},
	{.name = "exclude",
	 .kind = SPEC_STRING_LIST,
	 .offset = FIELD(struct build_file, exclude),
	 .check = check_nonempty},
	{.name = NULL},
};

const struct spec_key spec_model_keys[] = {
	{.name = "src",
	 .kind = SPEC_PATH,
	 .offset = FIELD(struct build_model, src),
	 .required = 1,
	 .check = check_nonempty},
	{.name = "dst",
	 .kind = SPEC_STRING,
	 .offset = FIELD(struct build_model, dst),
	 .required = 1,
	 .check = spec_check_abs_path},
	{.name = "name",
	 .kind = SPEC_STRING,
	 .offset = FIELD(struct build_model, name),
	 .check = check_model_name},
	{.name = "key",
	 .kind = SPEC_PATH,
	 .offset = FIELD(struct build_model, key),
	 .check = check_nonempty},
	{.name = "signature",
	 .kind = SPEC_PATH,
	 .offset = FIELD(struct build_model, signature),
	 .check = check_nonempty},
	{.name = NULL},
};

/* Paths ward owns or the runtime mounts: nothing from the spec goes
 * there, nor may the spec make them writable or anyone's home (/ward
 * holds the keys ward-init trusts; deploy mounts a tmpfs over writable
 * directories).  what: "dst", "writable", "user: home". */
static int
reserved_path(const struct ward_yaml_node *n, const char *what, const char *path)
{
	static const char *const reserved[] = {"/ward", "/proc", "/sys", "/dev"};
	char norm[4096];
	size_t o = 0;

	/* "//ward/" and "/ward/." name /ward too */
	for (const char *p = path; *p && o + 1 < sizeof(norm); p++)
		if (!(*p == '/' && o > 0 && norm[o - 1] == '/'))
			norm[o++] = *p;
	while (o > 1 && norm[o - 1] == '/')
		o--;
	norm[o] = '\0';
	if (strcmp(norm, "/") == 0)
		return ward_yaml_error(n, "%s: \"/\" is not allowed (name a directory)", what);
	if (strstr(norm, "/./") || strstr(norm, "/../") || ward_str_endswith(norm, "/.") ||
	    ward_str_endswith(norm, "/.."))
		return ward_yaml_error(n, "%s: %s: no \".\" or \"..\" components", what, path);
	for (size_t i = 0; i < sizeof(reserved) / sizeof(*reserved); i++) {
		size_t len = strlen(reserved[i]);
		if (strncmp(norm, reserved[i], len) == 0 && (norm[len] == '\0' || norm[len] == '/'))
			return ward_yaml_error(n, "%s: %s is reserved (%s)", what, path, reserved[i]);
	}
	return 0;
}

static int
reserved_dst(const struct ward_yaml_node *n, const char *dst)
{
	return reserved_path(n, "dst", dst);
}

/* writable: and user: home: never /, /ward, /ward/keys, /proc... */
static int
finish_paths(struct build_spec *s)
{
	const struct ward_yaml_node *w = ward_yaml_get(s->yaml, "writable");
	const struct ward_yaml_node *u = ward_yaml_get(s->yaml, "user");
	const struct ward_yaml_node *h = u ? ward_yaml_get(u, "home") : NULL;

	for (size_t i = 0; i < s->writable.n; i++) {
		const struct ward_yaml_node *n =
			w && w->type == WARD_YAML_SEQUENCE && i < w->n ? w->items[i] : w;
		if (reserved_path(n ? n : s->yaml, "writable", s->writable.v[i]) != 0)
			return -1;
	}
	if (s->user.home != NULL &&
	    reserved_path(h ? h : u ? u : s->yaml, "user: home", s->user.home) != 0)
		return -1;
	return 0;
}

int
spec_file_done(const struct ward_yaml_node *n, void *item)
{
	struct build_file *f = item;
	const struct ward_yaml_node *dst = ward_yaml_get(n, "dst");

	f->node = n;
	if (f->mode != NULL) {
		f->has_mode = 1;
		f->file_mode = (uint32_t)strtoul(f->mode, NULL, 8);
	}
	if (f->owner != NULL && parse_owner(f->owner, &f->uid, &f->gid) != 0)
		return ward_yaml_error(n, "owner: expected UID:GID");
	return reserved_dst(dst ? dst : n, f->dst);
}

int
spec_model_done(const struct ward_yaml_node *n, void *item)
{
	struct build_model *m = item;
	const struct ward_yaml_node *dst = ward_yaml_get(n, "dst");

	m->node = n;
	if (reserved_dst(dst ? dst : n, m->dst) != 0)
		return -1;
	if (m->name == NULL) {
		m->name = ward_strdup(strrchr(m->dst, '/') + 1);
		if (m->name == NULL || check_model_name(n, m->name) != 0)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ defaults */

void
spec_image_defaults(struct build_spec *s)
{
	s->source_date_epoch = -1;
	s->user.uid = DEFAULT_UID;
	s->user.gid = -1; /* the uid's value unless given */
	s->python_bytecode = 1;
}

static int
kv_has(const struct build_kv *kv, const char *key)
{
	return ward_strv_contains(&kv->keys, key);
}

static int
kv_add(struct build_kv *kv, const char *key, const char *value)
{
	if (ward_strv_push(&kv->keys, key) != 0 || ward_strv_push(&kv->values, value) != 0)
		return -1;
	return 0;
}

/* Add package name to the request unless the spec names it already. */
static int
imply_package(struct build_spec *s, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < s->packages.n; i++)
		if (strncmp(s->packages.v[i], name, len) == 0 &&
		    (s->packages.v[i][len] == '\0' || s->packages.v[i][len] == '='))
			return 0;
	return ward_strv_push(&s->packages, name);
}

static int
finish_user(struct build_spec *s)
{
	struct build_user *u = &s->user;
	const struct ward_yaml_node *n = ward_yaml_get(s->yaml, "user");

	if (u->gid == -1)
		u->gid = u->uid;
	if (u->uid < 0 || u->uid > 4294967294ll || u->gid < 0 || u->gid > 4294967294ll)
		return ward_yaml_error(n ? n : s->yaml,
				       "user: uid and gid must be 0 to 4294967294");
	if (u->name == NULL)
		u->name = ward_strdup(u->uid == 0	? "root"
				      : u->uid == 65534 ? "nobody"
							: "nonroot");
	if (u->name == NULL)
		return -1;
	if ((strcmp(u->name, "root") == 0) != (u->uid == 0) ||
	    (strcmp(u->name, "nobody") == 0 && u->uid != 65534))
		return ward_yaml_error(n ? n : s->yaml, "user: the name %s does not fit uid %lld",
				       u->name, u->uid);
	if (u->home == NULL)
		u->home = u->uid == 0	    ? ward_strdup("/root")
			  : u->uid == 65534 ? ward_strdup("/nonexistent")
					    : ward_asprintf("/home/%s", u->name);
	return u->home ? 0 : -1;
}

static int
finish_ports(struct build_spec *s)
{
	struct ward_strv norm = {0};

	for (size_t i = 0; i < s->ports.n; i++) {
		unsigned port;
		const char *proto;
		char *p;
		if (parse_port(s->ports.v[i], &port, &proto) != 0) { /* checked, but never trust */
			ward_yaml_error(ward_yaml_get(s->yaml, "ports"), "ports: \"%s\": invalid",
					s->ports.v[i]);
			goto fail;
		}
		p = ward_asprintf("%u/%s", port, proto);
		if (p == NULL)
			goto fail;
		if (ward_strv_contains(&norm, p)) {
			ward_yaml_error(ward_yaml_get(s->yaml, "ports"),
					"ports: %s is listed twice", p);
			free(p);
			goto fail;
		}
		if (ward_strv_push_owned(&norm, p) != 0)
			goto fail;
	}
	ward_strv_free(&s->ports);
	s->ports = norm;
	return 0;
fail:
	ward_strv_free(&norm);
	return -1;
}

/* The spec's own destinations must not collide. */
static int
finish_destinations(struct build_spec *s)
{
	for (size_t i = 0; i < s->nfiles; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(s->files[i].dst, s->files[j].dst) == 0)
				return ward_yaml_error(s->files[i].node,
						       "files: dst %s is already used by the entry "
						       "at line %zu",
						       s->files[i].dst, s->files[j].node->line);
	for (size_t i = 0; i < s->nmodels; i++) {
		const struct build_model *m = &s->models[i];
		for (size_t j = 0; j < i; j++) {
			const struct build_model *o = &s->models[j];
			size_t a = strlen(m->dst), b = strlen(o->dst);
			if (strcmp(m->name, o->name) == 0)
				return ward_yaml_error(m->node, "models: name %s is used twice",
						       m->name);
			if (strncmp(m->dst, o->dst, a < b ? a : b) == 0 &&
			    (a == b || (a < b ? o->dst[a] : m->dst[b]) == '/'))
				return ward_yaml_error(
					m->node,
					"models: %s overlaps %s (each model needs its "
					"own directory)",
					m->dst, o->dst);
		}
		for (size_t j = 0; j < s->nfiles; j++)
			if (strcmp(m->dst, s->files[j].dst) == 0)
				return ward_yaml_error(
					m->node, "models: dst %s is also a files: dst", m->dst);
	}
	return 0;
}

/* policy: keys that ward derives from the rest of the spec may not be set
 * by hand (the rest is checked against the ward-init schema at build). */
static int
finish_policy(struct build_spec *s)
{
	static const char *const derived[][2] = {
		{"version", "ward writes it"},
		{"uid", "set user: instead"},
		{"gid", "set user: instead"},
		{"keys_dir", "ward places the keys in /ward/keys"},
		{"models", "list them under models:"},
		{"writable", "list them under writable:"},
	};

	if (s->policy == NULL)
		return 0;
	for (size_t i = 0; i < s->policy->n; i++)
		for (size_t j = 0; j < sizeof(derived) / sizeof(*derived); j++)
			if (strcmp(s->policy->pairs[i].key->str, derived[j][0]) == 0)
				return ward_yaml_error(s->policy->pairs[i].key,
						       "policy: %s is derived from the spec (%s)",
						       derived[j][0], derived[j][1]);
	return 0;
}

int
spec_image_finish(struct build_spec *s)
{
	if (s->source_date_epoch < -1 ||
	    (s->source_date_epoch == -1 && ward_yaml_get(s->yaml, "source_date_epoch") != NULL))
		return ward_yaml_error(ward_yaml_get(s->yaml, "source_date_epoch"),
				       "source_date_epoch: expected seconds since 1970 (>= 0)");
	if (finish_user(s) != 0 || finish_ports(s) != 0 || finish_destinations(s) != 0 ||
	    finish_policy(s) != 0 || finish_paths(s) != 0)
		return -1;
	if (s->writable.n == 0 && ward_strv_push(&s->writable, "/tmp") != 0)
		return -1;
	if (!kv_has(&s->env, "PATH") && kv_add(&s->env, "PATH", DEFAULT_PATH) != 0)
		return -1;
	if (s->ca_certificates) {
		if (imply_package(s, "ca-certificates") != 0)
			return -1;
		if (!kv_has(&s->env, "SSL_CERT_FILE") &&
		    kv_add(&s->env, "SSL_CERT_FILE", CA_BUNDLE) != 0)
			return -1;
	}
	if (s->timezone != NULL && imply_package(s, "tzdata") != 0)
		return -1;
	return 0;
}
