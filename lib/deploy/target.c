/* target.c: what an image says about how to run it. */
#include <stdlib.h>
#include <string.h>

#include "deploy.h"
#include "deploy_internal.h"

/* The files read from the image's merged file system. */
enum { F_POLICY, F_PASSWD, F_GROUP, NFILES };
static const char *const wanted[NFILES] = {"ward/policy.json", "etc/passwd", "etc/group"};

struct scan {
	const char *image;
	struct ward_buf got[NFILES];
	int have[NFILES];
	struct ward_progress *progress;
};

/* Every entry of every layer, in order: the last regular file seen at a
 * wanted path is the one the merged file system keeps, unless a later
 * whiteout or a non-file replaces it (checked against the fs after). */
static int
visit(void *ctx, const struct oci_fs_entry *e, struct oci_layer_reader *r)
{
	struct scan *s = ctx;
	char buf[16384];
	ssize_t n;

	ward_progress_add(s->progress, e->type == OCI_ENTRY_FILE ? e->size : 0);
	for (int i = 0; i < NFILES; i++) {
		if (strcmp(e->path, wanted[i]) != 0)
			continue;
		s->got[i].len = 0;
		s->have[i] = 0;
		if (e->type != OCI_ENTRY_FILE)
			return 0;
		if (e->size > DEPLOY_FILE_MAX)
			return ward_err(WARD_EINPUT, "%s: /%s is larger than %u bytes", s->image,
					wanted[i], DEPLOY_FILE_MAX);
		while ((n = oci_layer_read(r, buf, sizeof(buf))) > 0)
			if (ward_buf_append(&s->got[i], buf, (size_t)n) != 0)
				return -1;
		if (n < 0)
			return -1;
		s->have[i] = 1;
	}
	return 0;
}

static int
add_port(struct deploy_target *t, const char *spec, const char *image)
{
	char *end;
	unsigned long v = strtoul(spec, &end, 10);
	const char *proto = *end == '/' ? end + 1 : "tcp";
	struct deploy_port *p;

	if (end == spec || v == 0 || v > 65535 || (*end != '\0' && *end != '/'))
		return ward_err(WARD_EINPUT, "%s: exposed port \"%s\" is not PORT[/PROTO]", image,
				spec);
	if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0) {
		ward_warn("%s: exposed port %s: only tcp and udp are published", image, spec);
		return 0;
	}
	for (size_t i = 0; i < t->nports; i++)
		if (t->ports[i].port == v && strcmp(t->ports[i].proto, proto) == 0)
			return 0;
	if (ward_vec_grow(&t->ports, t->nports, sizeof(*t->ports)) != 0)
		return -1;
	p = &t->ports[t->nports++];
	memset(p, 0, sizeof(*p));
	p->port = p->host_port = (uint16_t)v;
	snprintf(p->proto, sizeof(p->proto), "%s", proto);
	return 0;
}

static int
port_cmp(const void *a, const void *b)
{
	const struct deploy_port *x = a, *y = b;

	return x->port != y->port ? (x->port < y->port ? -1 : 1) : strcmp(x->proto, y->proto);
}

/* The metrics address of the effective policy: "IPv4:PORT", "[IPv6]:PORT"
 * or ":PORT"; loopback when only the container itself can reach it. */
static int
set_metrics(struct deploy_target *t, const char *addr, const char *what)
{
	const char *colon = strrchr(addr, ':');
	char *end;
	unsigned long port = colon ? strtoul(colon + 1, &end, 10) : 0;

	if (colon == NULL || colon[1] == '\0' || *end != '\0' || port == 0 || port > 65535)
		return ward_err(WARD_EINPUT, "%s: metrics address \"%s\" has no port", what, addr);
	if ((t->metrics = ward_strdup(addr)) == NULL)
		return -1;
	t->metrics_port = (uint16_t)port;
	t->metrics_loopback =
		ward_str_startswith(addr, "127.") || ward_str_startswith(addr, "[::1]");
	return 0;
}

/* Read the fields of the effective policy that shape the deployment. */
static int
apply_policy(struct deploy_target *t, const json_t *p, const char *what)
{
	json_t *uid = json_object_get(p, "uid"), *gid = json_object_get(p, "gid");
	json_t *w = ward_json_req_array(p, "writable", what);
	json_t *m = ward_json_req_array(p, "models", what);
	json_t *metrics = json_object_get(p, "metrics"), *v;
	size_t i;

	if (!json_is_integer(uid) || !json_is_integer(gid) || json_integer_value(uid) < 0 ||
	    json_integer_value(gid) < 0 || json_integer_value(uid) > 0xfffffffe ||
	    json_integer_value(gid) > 0xfffffffe)
		return ward_err(WARD_EINPUT, "%s: effective policy without a numeric uid/gid",
				what);
	if (w == NULL || m == NULL)
		return -1;
	t->uid = (uint32_t)json_integer_value(uid);
	t->gid = (uint32_t)json_integer_value(gid);
	if (t->uid == 0 && (t->user_note = ward_strdup("the policy's uid is 0")) == NULL)
		return -1;
	json_array_foreach(w, i, v)
	{
		const char *path = json_string_value(v);
		if (path == NULL)
			return ward_err(WARD_EINPUT, "%s: writable[%zu] is not a string", what, i);
		/* Device and kernel file systems are the engine's, never a tmpfs;
		 * /dev/shm is resized instead. */
		if (!deploy_is_shm(path) &&
		    (strcmp(path, "/dev") == 0 || ward_str_startswith(path, "/dev/") ||
		     ward_str_startswith(path, "/proc") || ward_str_startswith(path, "/sys"))) {
			ward_info("%s: writable %s is a device or kernel path: left to the engine",
				  what, path);
			continue;
		}
		if (deploy_add_writable(t, path, DEPLOY_TMPFS_DEFAULT) != 0)
			return -1;
	}
	if ((t->models = ward_calloc(json_array_size(m) + 1, sizeof(*t->models))) == NULL)
		return -1;
	json_array_foreach(m, i, v)
	{
		const char *path = json_is_object(v) ? ward_json_str(v, "path") : NULL;
		if (path == NULL || *path != '/')
			return ward_err(WARD_EINPUT, "%s: models[%zu] has no absolute path", what,
					i);
		if ((t->models[t->nmodels].path = ward_strdup(path)) == NULL)
			return -1;
		t->nmodels++;
	}
	json_t *net = json_object_get(p, "network");
	t->net.udp = json_is_true(json_object_get(net, "udp"));
	t->net.unix_ = json_is_true(json_object_get(net, "unix"));
	t->net.netlink = json_is_true(json_object_get(net, "netlink"));
	if (json_is_object(metrics)) {
		const char *addr = ward_json_str(metrics, "address");
		if (addr == NULL)
			return ward_err(WARD_EINPUT, "%s: metrics has no address", what);
		return set_metrics(t, addr, what);
	}
	if (!json_is_null(metrics))
		return ward_err(WARD_EINPUT, "%s: effective policy without metrics", what);
	return 0;
}

/* The image's user: "", "uid", "uid:gid", "name", "name:group". */
static int
apply_config_user(struct deploy_target *t, const char *user, const struct scan *s)
{
	const char *colon = user ? strchr(user, ':') : NULL;
	char *u = NULL, *g = NULL;
	int rc = -1;

	if (user == NULL || *user == '\0' || strcmp(user, "root") == 0 || strcmp(user, "0") == 0)
		return (t->user_note = ward_asprintf("its config user is \"%s\"", user ? user : ""))
			       ? 0
			       : -1;
	u = colon ? ward_strndup(user, (size_t)(colon - user)) : ward_strdup(user);
	g = colon ? ward_strdup(colon + 1) : NULL;
	if (u == NULL || (colon && g == NULL))
		goto out;
	if (deploy_set_user(t, u) != 0) {
		ward_err_clear();
		int r = s->have[F_PASSWD]
				? deploy_passwd_lookup((const char *)s->got[F_PASSWD].data,
						       s->got[F_PASSWD].len, u, &t->uid,
						       "/etc/passwd")
				: 1;
		if (r < 0)
			goto out;
		if (r > 0) {
			t->uid = 0;
			t->user_note = ward_asprintf("user \"%s\" is not in its /etc/passwd", u);
			rc = t->user_note ? 0 : -1;
			goto out;
		}
		t->gid = t->uid;
	}
	if (g != NULL) {
		char *end;
		unsigned long v = strtoul(g, &end, 10);
		if (*g >= '0' && *g <= '9' && *end == '\0' && v <= 0xfffffffeul) {
			t->gid = (uint32_t)v;
		} else {
			int r = s->have[F_GROUP]
					? deploy_passwd_lookup((const char *)s->got[F_GROUP].data,
							       s->got[F_GROUP].len, g, &t->gid,
							       "/etc/group")
					: 1;
			if (r < 0)
				goto out;
			if (r > 0) {
				rc = ward_err(WARD_EINPUT, "%s: group \"%s\" is not in /etc/group",
					      t->image_path, g);
				goto out;
			}
		}
	}
	if (t->uid == 0)
		t->user_note = ward_asprintf("its config user \"%s\" is uid 0", user);
	rc = 0;
out:
	free(u);
	free(g);
	return rc;
}

/* A name for the container and the Kubernetes objects. */
static int
default_name(struct deploy_target *t, const struct oci_image *img)
{
	char buf[DEPLOY_NAME_MAX + 1] = "";
	const char *title = img->cfg.labels ? ward_json_str(img->cfg.labels, OCI_ANN_TITLE) : NULL;

	if (title != NULL)
		deploy_dns_label(title, buf);
	/* docker-archive RepoTags name the repository ("localhost/app:1"). */
	for (size_t i = 0; !*buf && i < img->tags.n; i++) {
		const char *tag = img->tags.v[i], *slash = strrchr(tag, '/');
		const char *base = slash ? slash + 1 : tag, *colon = strchr(base, ':');
		char *b = colon ? ward_strndup(base, (size_t)(colon - base)) : ward_strdup(base);
		if (b == NULL)
			return -1;
		if (colon != NULL) /* "latest" alone says nothing */
			deploy_dns_label(b, buf);
		free(b);
	}
	if (!*buf) {
		char *b = ward_strdup(img->path), *slash, *dot;
		size_t n;
		if (b == NULL)
			return -1;
		for (n = strlen(b); n > 1 && b[n - 1] == '/'; n--)
			b[n - 1] = '\0';
		slash = strrchr(b, '/');
		memmove(b, slash ? slash + 1 : b, strlen(slash ? slash + 1 : b) + 1);
		if ((dot = strrchr(b, '.')) != NULL && dot != b)
			*dot = '\0'; /* "app.tar" */
		deploy_dns_label(b, buf);
		free(b);
	}
	return (t->name = ward_strdup(*buf ? buf : "ward-app")) ? 0 : -1;
}

int
deploy_target_from_image(struct oci_image *img, deploy_policy_fn policy,
			 struct ward_progress *progress, struct deploy_target *out)
{
	struct scan s = {.image = img->path, .progress = progress};
	struct oci_fs fs = {0};
	json_t *eff = NULL;
	char *what = NULL;
	size_t i;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if ((out->image_path = ward_strdup(img->path)) == NULL ||
	    (out->arch = ward_strdup(img->cfg.architecture ? img->cfg.architecture : "amd64")) ==
		    NULL ||
	    default_name(out, img) != 0)
		goto out;
	snprintf(out->manifest_digest, sizeof(out->manifest_digest), "%s", img->manifest.digest);
	snprintf(out->config_digest, sizeof(out->config_digest), "%s", img->config.digest);
	for (i = 0; i < img->cfg.entrypoint.n; i++)
		if (ward_strv_push(&out->entrypoint, img->cfg.entrypoint.v[i]) != 0)
			goto out;
	for (i = 0; i < img->cfg.cmd.n; i++)
		if (ward_strv_push(&out->cmd, img->cfg.cmd.v[i]) != 0)
			goto out;
	for (i = 0; i < img->cfg.ports.n; i++)
		if (add_port(out, img->cfg.ports.v[i], img->path) != 0)
			goto out;
	if (out->nports > 1)
		qsort(out->ports, out->nports, sizeof(*out->ports), port_cmp);

	if (oci_image_scan(img, &fs, visit, &s) != 0)
		goto out;
	for (i = 0; i < NFILES; i++) {
		const struct oci_fs_entry *e = oci_fs_find(&fs, wanted[i]);
		if (e == NULL)
			s.have[i] = 0;
		else if (e->type != OCI_ENTRY_FILE) {
			ward_err(WARD_EINPUT, "%s: /%s is not a regular file", img->path,
				 wanted[i]);
			goto out;
		}
	}
	if (s.have[F_POLICY] && policy != NULL) {
		if ((what = ward_asprintf("%s:/%s", img->path, wanted[F_POLICY])) == NULL ||
		    (eff = policy(s.got[F_POLICY].data, s.got[F_POLICY].len, what)) == NULL ||
		    apply_policy(out, eff, what) != 0)
			goto out;
		out->ward_image = 1;
	} else if (apply_config_user(out, img->cfg.user, &s) != 0) {
		goto out;
	}
	for (i = 0; i < out->nmodels; i++)
		out->models[i].in_image = oci_fs_find(&fs, out->models[i].path + 1) != NULL;
	for (i = 0; i < out->nwritable; i++) {
		struct deploy_writable *w = &out->writable[i];
		const struct oci_fs_entry *e = oci_fs_find(&fs, w->path + 1);
		if (e != NULL && e->type == OCI_ENTRY_DIR) {
			w->in_image = 1;
			w->image_mode = e->mode;
			w->image_uid = e->uid;
			w->image_gid = e->gid;
		}
	}
	rc = deploy_apply_labels(out, img->cfg.labels);
out:
	for (i = 0; i < NFILES; i++)
		ward_buf_free(&s.got[i]);
	oci_fs_free(&fs);
	json_decref(eff);
	free(what);
	return rc;
}
