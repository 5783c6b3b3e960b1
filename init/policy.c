/*
 * policy.c: parse and check /ward/policy.json (docs/policy.schema.json).
 *
 * Strict on purpose: unknown fields, wrong types, relative or unclean
 * paths and out-of-range numbers are errors naming the field, so a policy
 * written by the image build either means exactly what it says or stops
 * ward-init before anything starts.
 */
#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "guard_policy.h"
#include "policy.h"

static const char *const action_names[] = {
	[POLICY_IGNORE] = "ignore",
	[POLICY_WARN] = "warn",
	[POLICY_REFUSE] = "refuse",
	[POLICY_LANDLOCK] = "landlock",
};

static const char *const level_names[] = {
	[WARD_LOG_ERROR] = "error",
	[WARD_LOG_WARN] = "warn",
	[WARD_LOG_INFO] = "info",
	[WARD_LOG_DEBUG] = "debug",
};

const char *
policy_action_name(int action)
{
	if (action < 0 || action > POLICY_LANDLOCK)
		return "?";
	return action_names[action];
}

int
policy_defaults(struct policy *p)
{
	memset(p, 0, sizeof(*p));
	p->version = POLICY_VERSION;
	p->uid = 65532;
	p->gid = 65532;
	p->ro_root = POLICY_WARN;
	p->ro_models = POLICY_REFUSE;
	p->landlock_required = 1;
	p->tcp_bind.restricted = 1;
	p->tcp_connect.restricted = 1;
	p->stop_timeout = 10;
	p->verify_timeout = 600;
	p->forward = FORWARD_PROCESS_GROUP;
	p->dumpable = POLICY_WARN;
	p->log_level = WARD_LOG_INFO;
	p->keys_dir = ward_strdup("/ward/keys");
	p->metrics = ward_strdup("127.0.0.1:9090");
	if (p->keys_dir == NULL || p->metrics == NULL || ward_strv_push(&p->writable, "/tmp") != 0)
		return -1;
	return 0;
}

static void
model_free(struct policy_model *m)
{
	free(m->path);
	free(m->signature);
	free(m->key);
	free(m->cert_chain);
	ward_strv_free(&m->ignore);
}

void
policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->nmodels; i++)
		model_free(&p->models[i]);
	free(p->models);
	free(p->keys_dir);
	free(p->metrics);
	ward_strv_free(&p->writable);
	ward_strv_free(&p->exec_allow);
	guard_policy_free(p->guard);
	memset(p, 0, sizeof(*p));
}

/* ------------------------------------------------------------ field checks */

static int
only_keys(const json_t *obj, const char *const *allowed, const char *what)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v)
	{
		size_t i;
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL)
			return ward_err(WARD_EINPUT, "%s: unknown field \"%s\"", what, key);
	}
	return 0;
}

static int
abs_path_ok(const char *s)
{
	size_t n = strlen(s);

	if (s[0] != '/' || n >= PATH_MAX)
		return 0;
	return n == 1 || ward_relpath_ok(s + 1);
}

static int
get_string(const json_t *v, const char *what, const char *field, const char **out)
{
	if (!json_is_string(v))
		return ward_err(WARD_EINPUT, "%s: %s is not a string", what, field);
	*out = json_string_value(v);
	if (strlen(*out) != json_string_length(v))
		return ward_err(WARD_EINPUT, "%s: %s contains a NUL byte", what, field);
	return 0;
}

static int
get_abs_path(const json_t *v, const char *what, const char *field, char **out)
{
	const char *s = NULL;

	if (get_string(v, what, field, &s) != 0)
		return -1;
	if (!abs_path_ok(s))
		return ward_err(WARD_EINPUT,
				"%s: %s \"%s\" is not a clean absolute path (no \"..\", \".\" or "
				"empty components)",
				what, field, s);
	free(*out);
	*out = ward_strdup(s);
	return *out ? 0 : -1;
}

static int
get_int(const json_t *v, const char *what, const char *field, json_int_t lo, json_int_t hi,
	json_int_t *out)
{
	if (!json_is_integer(v))
		return ward_err(WARD_EINPUT, "%s: %s is not an integer", what, field);
	*out = json_integer_value(v);
	if (*out < lo || *out > hi)
		return ward_err(WARD_EINPUT, "%s: %s = %lld is out of range [%lld, %lld]", what,
				field, (long long)*out, (long long)lo, (long long)hi);
	return 0;
}

static int
get_enum(const json_t *v, const char *what, const char *field, const char *const *names,
	 size_t nnames, unsigned allowed_mask, int *out)
{
	const char *s = NULL;

	if (get_string(v, what, field, &s) != 0)
		return -1;
	for (size_t i = 0; i < nnames; i++)
		if ((allowed_mask & (1u << i)) && names[i] != NULL && strcmp(s, names[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	return ward_err(WARD_EINPUT, "%s: %s \"%s\" is not one of the allowed values", what, field,
			s);
}

/* An array of clean absolute paths, duplicates removed, sorted. */
static int
get_path_list(const json_t *v, const char *what, const char *field, struct ward_strv *out)
{
	const json_t *x;
	size_t i;

	if (!json_is_array(v))
		return ward_err(WARD_EINPUT, "%s: %s is not an array", what, field);
	if (json_array_size(v) > POLICY_MAX_PATHS)
		return ward_err(WARD_EINPUT, "%s: %s has more than %d entries", what, field,
				POLICY_MAX_PATHS);
	ward_strv_free(out);
	json_array_foreach(v, i, x)
	{
		char *s = NULL;
		if (get_abs_path(x, what, field, &s) != 0)
			return -1;
		if (ward_strv_contains(out, s)) {
			free(s);
			continue;
		}
		if (ward_strv_push_owned(out, s) != 0)
			return -1;
	}
	ward_strv_sort(out);
	return 0;
}

static int
port_cmp(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* null: unrestricted; an array of ports: only those. */
static int
get_ports(const json_t *v, const char *what, const char *field, struct policy_ports *out)
{
	const json_t *x;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return ward_err(WARD_EINPUT, "%s: %s is neither null nor an array of ports", what,
				field);
	if (json_array_size(v) > POLICY_MAX_PORTS)
		return ward_err(WARD_EINPUT, "%s: %s has more than %d ports", what, field,
				POLICY_MAX_PORTS);
	out->restricted = 1;
	json_array_foreach(v, i, x)
	{
		json_int_t port = 0;
		if (get_int(x, what, field, 0, 65535, &port) != 0)
			return -1;
		out->port[out->n++] = (uint16_t)port;
	}
	qsort(out->port, out->n, sizeof(out->port[0]), port_cmp);
	for (i = 1; i < out->n; i++)
		if (out->port[i] == out->port[i - 1])
			return ward_err(WARD_EINPUT, "%s: %s lists port %u twice", what, field,
					out->port[i]);
	return 0;
}

/* "name" relative to keys_dir: a clean relative path, joined later. */
static int
get_key_name(const json_t *v, const char *what, const char *field, const char **out)
{
	if (get_string(v, what, field, out) != 0)
		return -1;
	if (!ward_relpath_ok(*out) || strlen(*out) >= PATH_MAX)
		return ward_err(WARD_EINPUT,
				"%s: %s \"%s\" must be a clean path relative to keys_dir", what,
				field, *out);
	return 0;
}

/* ------------------------------------------------------------ sections */

static int
parse_model(const json_t *m, const char *keys_dir, const char *what, struct policy_model *out)
{
	static const char *const keys[] = {"path",   "signature",	"key", "cert_chain",
					   "ignore", "ignore_unsigned", NULL};
	const char *key = NULL, *chain = NULL;
	const json_t *v, *x;
	size_t i;

	if (!json_is_object(m))
		return ward_err(WARD_EINPUT, "%s: a model entry is not an object", what);
	if (only_keys(m, keys, what) != 0)
		return -1;
	if ((v = json_object_get(m, "path")) == NULL)
		return ward_err(WARD_EINPUT, "%s: a model entry has no \"path\"", what);
	if (get_abs_path(v, what, "models[].path", &out->path) != 0)
		return -1;
	if ((v = json_object_get(m, "signature")) != NULL &&
	    get_abs_path(v, what, "models[].signature", &out->signature) != 0)
		return -1;
	if ((v = json_object_get(m, "key")) != NULL &&
	    get_key_name(v, what, "models[].key", &key) != 0)
		return -1;
	if ((v = json_object_get(m, "cert_chain")) != NULL &&
	    get_key_name(v, what, "models[].cert_chain", &chain) != 0)
		return -1;
	if ((key == NULL) == (chain == NULL))
		return ward_err(WARD_EINPUT,
				"%s: model %s needs exactly one of \"key\" and \"cert_chain\"",
				what, out->path);
	if (key != NULL && (out->key = ward_path_join(keys_dir, key)) == NULL)
		return -1;
	if (chain != NULL && (out->cert_chain = ward_path_join(keys_dir, chain)) == NULL)
		return -1;
	if ((v = json_object_get(m, "ignore")) != NULL) {
		if (!json_is_array(v) || json_array_size(v) > POLICY_MAX_PATHS)
			return ward_err(WARD_EINPUT,
					"%s: models[].ignore is not an array of at most %d paths",
					what, POLICY_MAX_PATHS);
		json_array_foreach(v, i, x)
		{
			const char *s = NULL;
			if (get_string(x, what, "models[].ignore", &s) != 0)
				return -1;
			if (!ward_relpath_ok(s))
				return ward_err(WARD_EINPUT,
						"%s: models[].ignore \"%s\" is not a clean path "
						"relative to the model",
						what, s);
			if (ward_strv_push(&out->ignore, s) != 0)
				return -1;
		}
	}
	if ((v = json_object_get(m, "ignore_unsigned")) != NULL) {
		if (!json_is_boolean(v))
			return ward_err(WARD_EINPUT,
					"%s: models[].ignore_unsigned is not a boolean", what);
		out->ignore_unsigned = json_is_true(v);
	}
	return 0;
}

static int
parse_models(const json_t *v, const char *what, struct policy *p)
{
	const json_t *m;
	size_t i;

	if (!json_is_array(v))
		return ward_err(WARD_EINPUT, "%s: models is not an array", what);
	if (json_array_size(v) > POLICY_MAX_MODELS)
		return ward_err(WARD_EINPUT, "%s: more than %d models", what, POLICY_MAX_MODELS);
	p->models = ward_calloc(json_array_size(v) + 1, sizeof(*p->models));
	if (p->models == NULL)
		return -1;
	json_array_foreach(v, i, m)
	{
		struct policy_model *pm = &p->models[p->nmodels++];
		if (parse_model(m, p->keys_dir, what, pm) != 0)
			return -1;
		for (size_t k = 0; k + 1 < p->nmodels; k++)
			if (strcmp(p->models[k].path, pm->path) == 0)
				return ward_err(WARD_EINPUT, "%s: model %s is listed twice", what,
						pm->path);
		/* A single-file model names its signature explicitly. */
		if (pm->signature == NULL &&
		    (pm->signature = ward_path_join(pm->path, "model.sig")) == NULL)
			return -1;
	}
	return 0;
}

static int
parse_read_only(const json_t *v, const char *what, struct policy *p)
{
	static const char *const keys[] = {"root", "models", NULL};
	const json_t *x;

	if (!json_is_object(v))
		return ward_err(WARD_EINPUT, "%s: read_only is not an object", what);
	if (only_keys(v, keys, what) != 0)
		return -1;
	if ((x = json_object_get(v, "root")) != NULL &&
	    get_enum(x, what, "read_only.root", action_names, 4, 0x7, &p->ro_root) != 0)
		return -1;
	if ((x = json_object_get(v, "models")) != NULL &&
	    get_enum(x, what, "read_only.models", action_names, 4, 0xf, &p->ro_models) != 0)
		return -1;
	return 0;
}

static int
parse_landlock(const json_t *v, const char *what, struct policy *p)
{
	static const char *const keys[] = {"required", "tcp_bind", "tcp_connect", NULL};
	const json_t *x;

	if (!json_is_object(v))
		return ward_err(WARD_EINPUT, "%s: landlock is not an object", what);
	if (only_keys(v, keys, what) != 0)
		return -1;
	if ((x = json_object_get(v, "required")) != NULL) {
		if (!json_is_boolean(x))
			return ward_err(WARD_EINPUT, "%s: landlock.required is not a boolean",
					what);
		p->landlock_required = json_is_true(x);
	}
	if ((x = json_object_get(v, "tcp_bind")) != NULL &&
	    get_ports(x, what, "landlock.tcp_bind", &p->tcp_bind) != 0)
		return -1;
	if ((x = json_object_get(v, "tcp_connect")) != NULL &&
	    get_ports(x, what, "landlock.tcp_connect", &p->tcp_connect) != 0)
		return -1;
	return 0;
}

static int
parse_metrics(const json_t *v, const char *what, struct policy *p)
{
	static const char *const keys[] = {"address", NULL};
	const json_t *x;
	const char *s = NULL;
	unsigned char addr[64];
	unsigned len = sizeof(addr);

	if (json_is_null(v)) {
		free(p->metrics);
		p->metrics = NULL;
		return 0;
	}
	if (!json_is_object(v))
		return ward_err(WARD_EINPUT, "%s: metrics is neither null nor an object", what);
	if (only_keys(v, keys, what) != 0)
		return -1;
	if ((x = json_object_get(v, "address")) == NULL)
		return 0;
	if (get_string(x, what, "metrics.address", &s) != 0)
		return -1;
	if (policy_parse_addr(s, addr, &len) != 0) {
		char why[256];
		snprintf(why, sizeof(why), "%s", ward_errmsg());
		return ward_err(WARD_EINPUT, "%s: metrics.address: %s", what, why);
	}
	free(p->metrics);
	p->metrics = ward_strdup(s);
	return p->metrics ? 0 : -1;
}

static int
parse_signals(const json_t *v, const char *what, struct policy *p)
{
	static const char *const keys[] = {"forward", NULL};
	static const char *const modes[] = {
		[FORWARD_PROCESS] = "process", [FORWARD_PROCESS_GROUP] = "process_group"};
	const json_t *x;

	if (!json_is_object(v))
		return ward_err(WARD_EINPUT, "%s: signals is not an object", what);
	if (only_keys(v, keys, what) != 0)
		return -1;
	if ((x = json_object_get(v, "forward")) != NULL &&
	    get_enum(x, what, "signals.forward", modes, 2, 0x3, &p->forward) != 0)
		return -1;
	return 0;
}

static int
parse_exec(const json_t *v, const char *what, struct policy *p)
{
	static const char *const keys[] = {"allow", NULL};
	const json_t *x;

	if (!json_is_object(v))
		return ward_err(WARD_EINPUT, "%s: exec is not an object", what);
	if (only_keys(v, keys, what) != 0)
		return -1;
	if ((x = json_object_get(v, "allow")) != NULL &&
	    get_path_list(x, what, "exec.allow", &p->exec_allow) != 0)
		return -1;
	return 0;
}

/* An object of booleans: each key in names sets *out[i]. */
static int
parse_flags(const json_t *v, const char *what, const char *field, const char *const *names,
	    int *const *out)
{
	const json_t *x;
	char f[64];

	if (!json_is_object(v))
		return ward_err(WARD_EINPUT, "%s: %s is not an object", what, field);
	if (only_keys(v, names, what) != 0)
		return -1;
	for (size_t i = 0; names[i] != NULL; i++) {
		if ((x = json_object_get(v, names[i])) == NULL)
			continue;
		snprintf(f, sizeof(f), "%s.%s", field, names[i]);
		if (!json_is_boolean(x))
			return ward_err(WARD_EINPUT, "%s: %s is not a boolean", what, f);
		*out[i] = json_is_true(x);
	}
	return 0;
}

static int
parse_top(const json_t *root, const char *what, struct policy *p)
{
	static const char *const keys[] = {
		"version",	  "uid",	   "gid",      "keys_dir",     "models",
		"verify_threads", "writable",	   "exec",     "read_only",    "landlock",
		"network",	  "metrics",	   "signals",  "stop_timeout", "verify_timeout",
		"memory",	  "server_output", "dumpable", "log_level",    "guard", NULL};
	static const char *const net_keys[] = {"udp", "unix", "netlink", NULL};
	static const char *const mem_keys[] = {"deny_write_execute", NULL};
	static const char *const outputs[] = {
		[OUTPUT_STDOUT] = "stdout", [OUTPUT_INHERIT] = "inherit"};
	json_int_t n = 0;
	const json_t *v;

	if (!json_is_object(root))
		return ward_err(WARD_EINPUT, "%s: the policy is not a JSON object", what);
	if (only_keys(root, keys, what) != 0)
		return -1;
	if ((v = json_object_get(root, "version")) == NULL)
		return ward_err(WARD_EINPUT,
				"%s: missing field \"version\" (this ward-init reads %d)", what,
				POLICY_VERSION);
	if (get_int(v, what, "version", POLICY_VERSION, POLICY_VERSION, &n) != 0)
		return -1;
	if ((v = json_object_get(root, "uid")) != NULL) {
		if (get_int(v, what, "uid", 0, 0xfffffffe, &n) != 0)
			return -1;
		p->uid = (uid_t)n;
	}
	if ((v = json_object_get(root, "gid")) != NULL) {
		if (get_int(v, what, "gid", 0, 0xfffffffe, &n) != 0)
			return -1;
		p->gid = (gid_t)n;
	}
	/* keys_dir first: model keys are resolved against it. */
	if ((v = json_object_get(root, "keys_dir")) != NULL &&
	    get_abs_path(v, what, "keys_dir", &p->keys_dir) != 0)
		return -1;
	if ((v = json_object_get(root, "models")) != NULL && parse_models(v, what, p) != 0)
		return -1;
	if ((v = json_object_get(root, "verify_threads")) != NULL) {
		if (get_int(v, what, "verify_threads", 0, 256, &n) != 0)
			return -1;
		p->verify_threads = (int)n;
	}
	if ((v = json_object_get(root, "writable")) != NULL &&
	    get_path_list(v, what, "writable", &p->writable) != 0)
		return -1;
	if ((v = json_object_get(root, "exec")) != NULL && parse_exec(v, what, p) != 0)
		return -1;
	if ((v = json_object_get(root, "read_only")) != NULL && parse_read_only(v, what, p) != 0)
		return -1;
	if ((v = json_object_get(root, "landlock")) != NULL && parse_landlock(v, what, p) != 0)
		return -1;
	if ((v = json_object_get(root, "network")) != NULL &&
	    parse_flags(v, what, "network", net_keys,
			(int *const[]){&p->net_udp, &p->net_unix, &p->net_netlink}) != 0)
		return -1;
	if ((v = json_object_get(root, "metrics")) != NULL && parse_metrics(v, what, p) != 0)
		return -1;
	if ((v = json_object_get(root, "signals")) != NULL && parse_signals(v, what, p) != 0)
		return -1;
	if ((v = json_object_get(root, "stop_timeout")) != NULL) {
		if (get_int(v, what, "stop_timeout", 0, 3600, &n) != 0)
			return -1;
		p->stop_timeout = (int)n;
	}
	if ((v = json_object_get(root, "verify_timeout")) != NULL) {
		if (get_int(v, what, "verify_timeout", 1, 86400, &n) != 0)
			return -1;
		p->verify_timeout = (int)n;
	}
	if ((v = json_object_get(root, "memory")) != NULL &&
	    parse_flags(v, what, "memory", mem_keys, (int *const[]){&p->deny_write_execute}) != 0)
		return -1;
	if ((v = json_object_get(root, "server_output")) != NULL &&
	    get_enum(v, what, "server_output", outputs, 2, 0x3, &p->server_output) != 0)
		return -1;
	if ((v = json_object_get(root, "dumpable")) != NULL &&
	    get_enum(v, what, "dumpable", action_names, 4, 0x6, &p->dumpable) != 0)
		return -1;
	if ((v = json_object_get(root, "log_level")) != NULL &&
	    get_enum(v, what, "log_level", level_names, 4, 0xf, &p->log_level) != 0)
		return -1;
	if ((v = json_object_get(root, "guard")) != NULL && !json_is_null(v)) {
		int bind_given =
			json_object_get(json_object_get(root, "landlock"), "tcp_bind") != NULL;
		uint16_t up;
		if (guard_policy_parse(v, what, &p->guard) != 0)
			return -1;
		/* The guard's upstream is where the server listens: when the
		 * policy leaves tcp_bind to the default, that port is allowed. */
		up = guard_policy_upstream_port(p->guard);
		if (!bind_given && p->tcp_bind.restricted && up != 0 &&
		    p->tcp_bind.n < POLICY_MAX_PORTS) {
			size_t k = 0;
			while (k < p->tcp_bind.n && p->tcp_bind.port[k] != up)
				k++;
			if (k == p->tcp_bind.n) {
				p->tcp_bind.port[p->tcp_bind.n++] = up;
				qsort(p->tcp_bind.port, p->tcp_bind.n, sizeof(p->tcp_bind.port[0]),
				      port_cmp);
			}
		}
		if (guard_policy_check_bind(p->guard, p->tcp_bind.restricted, p->tcp_bind.port,
					    p->tcp_bind.n, what) != 0)
			return -1;
	}
	return 0;
}

int
policy_parse(const void *data, size_t len, const char *what, struct policy *p)
{
	json_t *root;
	int rc;

	if (policy_defaults(p) != 0)
		return -1;
	if (len > POLICY_MAX_BYTES)
		return ward_err(WARD_EINPUT, "%s: larger than %u bytes", what, POLICY_MAX_BYTES);
	root = ward_json_loadb(data, len, what);
	if (root == NULL)
		return -1;
	rc = parse_top(root, what, p);
	json_decref(root);
	return rc;
}

int
policy_load(const char *path, struct policy *p)
{
	struct ward_buf b = {0};
	int rc;

	memset(p, 0, sizeof(*p));
	if (ward_file_read(path, POLICY_MAX_BYTES, &b) != 0)
		return -1;
	rc = policy_parse(b.data, b.len, path, p);
	ward_buf_free(&b);
	return rc;
}

/* ------------------------------------------------------------ output */

static json_t *
strv_json(const struct ward_strv *sv)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < sv->n; i++)
		json_array_append_new(a, json_string(sv->v[i]));
	return a;
}

static json_t *
ports_json(const struct policy_ports *pp)
{
	json_t *a;

	if (!pp->restricted)
		return json_null();
	a = json_array();
	for (size_t i = 0; a != NULL && i < pp->n; i++)
		json_array_append_new(a, json_integer(pp->port[i]));
	return a;
}

/* A key path back to its name relative to keys_dir. */
static const char *
key_name(const struct policy *p, const char *path)
{
	size_t n = strlen(p->keys_dir);

	if (strncmp(path, p->keys_dir, n) == 0 && path[n] == '/')
		return path + n + 1;
	if (strcmp(p->keys_dir, "/") == 0)
		return path + 1;
	return path;
}

json_t *
policy_to_json(const struct policy *p)
{
	json_t *j = json_object(), *models = json_array(), *metrics;

	if (j == NULL || models == NULL) {
		json_decref(j);
		json_decref(models);
		return NULL;
	}
	for (size_t i = 0; i < p->nmodels; i++) {
		const struct policy_model *m = &p->models[i];
		json_t *o = json_pack("{s:s,s:s}", "path", m->path, "signature", m->signature);
		if (o == NULL)
			break;
		if (m->key != NULL)
			json_object_set_new(o, "key", json_string(key_name(p, m->key)));
		if (m->cert_chain != NULL)
			json_object_set_new(o, "cert_chain",
					    json_string(key_name(p, m->cert_chain)));
		json_object_set_new(o, "ignore", strv_json(&m->ignore));
		json_object_set_new(o, "ignore_unsigned", json_boolean(m->ignore_unsigned));
		json_array_append_new(models, o);
	}
	metrics = p->metrics ? json_pack("{s:s}", "address", p->metrics) : json_null();
	json_object_set_new(j, "version", json_integer(p->version));
	json_object_set_new(j, "uid", json_integer(p->uid));
	json_object_set_new(j, "gid", json_integer(p->gid));
	json_object_set_new(j, "keys_dir", json_string(p->keys_dir));
	json_object_set_new(j, "models", models);
	json_object_set_new(j, "verify_threads", json_integer(p->verify_threads));
	json_object_set_new(j, "writable", strv_json(&p->writable));
	json_object_set_new(j, "exec", json_pack("{s:o}", "allow", strv_json(&p->exec_allow)));
	json_object_set_new(j, "read_only",
			    json_pack("{s:s,s:s}", "root", action_names[p->ro_root], "models",
				      action_names[p->ro_models]));
	json_object_set_new(j, "landlock",
			    json_pack("{s:b,s:o,s:o}", "required", p->landlock_required, "tcp_bind",
				      ports_json(&p->tcp_bind), "tcp_connect",
				      ports_json(&p->tcp_connect)));
	json_object_set_new(j, "network",
			    json_pack("{s:b,s:b,s:b}", "udp", p->net_udp, "unix", p->net_unix,
				      "netlink", p->net_netlink));
	json_object_set_new(j, "metrics", metrics);
	json_object_set_new(j, "signals",
			    json_pack("{s:s}", "forward",
				      p->forward == FORWARD_PROCESS ? "process" : "process_group"));
	json_object_set_new(j, "stop_timeout", json_integer(p->stop_timeout));
	json_object_set_new(j, "verify_timeout", json_integer(p->verify_timeout));
	json_object_set_new(j, "memory",
			    json_pack("{s:b}", "deny_write_execute", p->deny_write_execute));
	json_object_set_new(j, "server_output",
			    json_string(p->server_output == OUTPUT_INHERIT ? "inherit" : "stdout"));
	json_object_set_new(j, "dumpable", json_string(action_names[p->dumpable]));
	json_object_set_new(j, "log_level", json_string(level_names[p->log_level]));
	json_object_set_new(j, "guard", p->guard ? guard_policy_to_json(p->guard) : json_null());
	return j;
}

/* ------------------------------------------------------------ addresses */

int
policy_parse_addr(const char *s, void *addr, unsigned *addrlen)
{
	char host[64];
	const char *colon;
	char *end;
	unsigned long port;
	size_t hl;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || close[1] != ':')
			return ward_err(WARD_EINPUT, "\"%s\": expected [IPv6]:PORT", s);
		hl = (size_t)(close - s - 1);
		colon = close + 1;
		if (hl == 0 || hl >= sizeof(host))
			return ward_err(WARD_EINPUT, "\"%s\": bad IPv6 address", s);
		memcpy(host, s + 1, hl);
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return ward_err(WARD_EINPUT, "\"%s\": expected ADDRESS:PORT", s);
		hl = (size_t)(colon - s);
		if (hl >= sizeof(host) || memchr(s, ':', hl) != NULL)
			return ward_err(WARD_EINPUT, "\"%s\": bad address (IPv6 needs [brackets])",
					s);
		memcpy(host, s, hl);
	}
	host[hl] = '\0';
	if (colon[1] < '0' || colon[1] > '9')
		return ward_err(WARD_EINPUT, "\"%s\": missing port", s);
	port = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || port == 0 || port > 65535 || strlen(colon + 1) > 5)
		return ward_err(WARD_EINPUT, "\"%s\": port must be 1-65535", s);
	if (s[0] == '[') {
		struct sockaddr_in6 a6 = {.sin6_family = AF_INET6,
					  .sin6_port = htons((uint16_t)port)};
		if (inet_pton(AF_INET6, host, &a6.sin6_addr) != 1)
			return ward_err(WARD_EINPUT, "\"%s\": bad IPv6 address", s);
		if (*addrlen < sizeof(a6))
			return ward_err(WARD_EINPUT, "address buffer too small");
		memcpy(addr, &a6, sizeof(a6));
		*addrlen = sizeof(a6);
		return 0;
	}
	struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (hl == 0)
		a4.sin_addr.s_addr = htonl(INADDR_ANY);
	else if (inet_pton(AF_INET, host, &a4.sin_addr) != 1)
		return ward_err(WARD_EINPUT, "\"%s\": bad IPv4 address", s);
	if (*addrlen < sizeof(a4))
		return ward_err(WARD_EINPUT, "address buffer too small");
	memcpy(addr, &a4, sizeof(a4));
	*addrlen = sizeof(a4);
	return 0;
}

int
policy_listen(const char *addr, const char *what, int backlog)
{
	unsigned char sa[sizeof(struct sockaddr_in6)];
	unsigned len = sizeof(sa);
	int fd, one = 1;

	if (policy_parse_addr(addr, sa, &len) != 0)
		return -1;
	fd = socket(((struct sockaddr *)sa)->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return ward_errno(WARD_EENV, "%s %s", what, addr);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)sa, len) != 0 || listen(fd, backlog) != 0) {
		ward_errno(WARD_EENV, "%s %s: cannot listen", what, addr);
		close(fd);
		return -1;
	}
	return fd;
}
