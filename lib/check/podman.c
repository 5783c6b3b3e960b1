/* podman.c: the container engine as the test matrix uses it — a command
 * runner, the image copied into its storage (skopeo), the hardened run line
 * from lib/deploy, container state and logs, /metrics and /healthz of
 * ward-init (from the container's network namespace when on loopback),
 * /proc of the server. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime_internal.h"

int
rt_free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t l = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = 0;

	if (s < 0)
		return 0;
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(s, (struct sockaddr *)&a, &l) == 0)
		port = ntohs(a.sin_port);
	close(s);
	return port;
}

/* podman ARGS... with the engine first. */
int
rt_engine(struct rt *r, int timeout_ms, struct check_proc *p, ...)
{
	struct ward_strv argv = {0};
	const char *a;
	va_list ap;
	int rc;

	if (ward_strv_push(&argv, r->engine) != 0)
		return -1;
	va_start(ap, p);
	while ((a = va_arg(ap, const char *)) != NULL)
		if (ward_strv_push(&argv, a) != 0) {
			va_end(ap);
			ward_strv_free(&argv);
			return -1;
		}
	va_end(ap);
	rc = check_run(&argv, timeout_ms, p);
	ward_strv_free(&argv);
	return rc;
}

char *
rt_trimmed(const struct ward_buf *b)
{
	char *s = ward_strndup(b->data ? (char *)b->data : "", b->len);
	size_t n = s ? strlen(s) : 0;

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		s[--n] = '\0';
	return s;
}

/* The last line of a process's stderr, for evidence. */
char *
rt_last_line(const struct ward_buf *b)
{
	char *s = rt_trimmed(b), *nl;

	if (s != NULL && (nl = strrchr(s, '\n')) != NULL)
		memmove(s, nl + 1, strlen(nl + 1) + 1);
	return s;
}

/* Remove containers of earlier runs that were killed (name ward-check-<pid>-…
 * with no such process). */
void
rt_remove_stale(struct rt *r)
{
	struct check_proc p;

	if (rt_engine(r, 30000, &p, "ps", "-a", "--format", "{{.Names}}", "--filter",
		      "name=^ward-check-", NULL) == 0 &&
	    p.status == 0 && p.out.data) {
		char *save = NULL;
		for (char *l = strtok_r((char *)p.out.data, "\n", &save); l;
		     l = strtok_r(NULL, "\n", &save)) {
			char *end;
			long pid = strtol(l + strlen("ward-check-"), &end, 10);
			struct check_proc q;
			if (!ward_str_startswith(l, "ward-check-") || *end != '-' || pid <= 0 ||
			    pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
				continue;
			if (rt_engine(r, 60000, &q, "rm", "-f", l, NULL) == 0)
				check_proc_free(&q);
		}
	}
	check_proc_free(&p);
	/* and their images (localhost/ward-check-<pid>:image) */
	if (rt_engine(r, 30000, &p, "images", "--format", "{{.Repository}}", "--filter",
		      "reference=localhost/ward-check-*", NULL) == 0 &&
	    p.status == 0 && p.out.data) {
		char *save = NULL;
		for (char *l = strtok_r((char *)p.out.data, "\n", &save); l;
		     l = strtok_r(NULL, "\n", &save)) {
			const char *n = l + strlen("localhost/ward-check-");
			char *end, ref[128];
			long pid;
			struct check_proc q;
			if (!ward_str_startswith(l, "localhost/ward-check-"))
				continue;
			pid = strtol(n, &end, 10);
			if (*end != '\0' || pid <= 0 || pid == (long)getpid() ||
			    kill((pid_t)pid, 0) == 0 || errno != ESRCH)
				continue;
			snprintf(ref, sizeof(ref), "%s:image", l);
			if (rt_engine(r, 60000, &q, "rmi", "-f", ref, NULL) == 0)
				check_proc_free(&q);
		}
	}
	check_proc_free(&p);
	ward_err_clear();
}

/* Make the image available to the engine; its ID is the config digest. */
int
rt_load_image(struct rt *r, char **why)
{
	const struct oci_image *img = r->f->img;
	struct check_proc p;
	char *src = NULL;

	snprintf(r->image_id, sizeof(r->image_id), "%s", img->config.digest);
	if (rt_engine(r, 30000, &p, "image", "exists", oci_digest_hex(r->image_id), NULL) == 0 &&
	    p.status == 0) {
		check_proc_free(&p);
		return 0;
	}
	check_proc_free(&p);
	if (img->kind == OCI_KIND_LAYOUT)
		src = img->ref ? ward_asprintf("oci:%s:%s", img->path, img->ref)
			       : ward_asprintf("oci:%s", img->path);
	else
		src = ward_asprintf("%s:%s",
				    img->kind == OCI_KIND_DOCKER_ARCHIVE ? "docker-archive"
									 : "oci-archive",
				    img->path);
	/* skopeo names the copy; podman pull would derive a name from the
	 * path, which it refuses when the path has capitals */
	{
		char *dst = ward_asprintf("containers-storage:localhost/%s:image", r->base);
		int ok = src && dst &&
			 check_runv(600000, &p, "skopeo", "copy", "-q", src, dst, (char *)NULL) ==
				 0 &&
			 p.status == 0;
		if (!ok) {
			char *l = rt_last_line(&p.err);
			*why = ward_asprintf("skopeo copy %s: %s", src ? src : "?",
					     l && *l ? l : ward_errmsg());
			free(l);
			free(dst);
			free(src);
			check_proc_free(&p);
			return -1;
		}
		free(dst);
	}
	r->loaded = 1;
	free(src);
	check_proc_free(&p);
	return 0;
}

/* The run command for one container, from lib/deploy's hardened line. */
int
rt_run_argv(struct rt *r, const char *suffix, int detach, const struct ward_strv *cmd,
	    struct ward_strv *argv, char **name)
{
	struct deploy_run_opts ro = {.engine = DEPLOY_PODMAN, .host_ip = "127.0.0.1"};
	char *ref, label[64];
	size_t i;

	*name = ward_asprintf("%s-%s", r->base, suffix);
	if (*name == NULL || deploy_set_name(&r->t, *name) != 0 ||
	    ward_strv_push(&r->names, *name) != 0)
		return -1;
	for (i = 0; i < r->t.nports; i++) {
		int hp = rt_free_port();
		if (hp == 0 || deploy_set_host_port(&r->t, r->t.ports[i].port, (uint16_t)hp) != 0)
			return -1;
		if (r->t.ports[i].port == r->server_port)
			r->server_host_port = hp;
	}
	if (r->t.metrics && !r->t.metrics_loopback) {
		int hp = rt_free_port();
		if (hp == 0 || deploy_set_host_port(&r->t, r->t.metrics_port, (uint16_t)hp) != 0)
			return -1;
	}
	if (deploy_run_argv(&r->t, &ro, argv) != 0)
		return -1;
	ref = argv->v[--argv->n]; /* the image reference goes last again */
	if (!detach)
		for (i = 0; i < argv->n; i++)
			if (strcmp(argv->v[i], "--detach") == 0) {
				free(argv->v[i]);
				memmove(&argv->v[i], &argv->v[i + 1],
					(argv->n - i - 1) * sizeof(char *));
				argv->n--;
				break;
			}
	snprintf(label, sizeof(label), "dev.ward.check.pid=%d", (int)getpid());
	if (ward_strv_push(argv, "--timeout") != 0 || ward_strv_push(argv, "1800") != 0 ||
	    ward_strv_push(argv, "--label") != 0 || ward_strv_push(argv, label) != 0)
		goto fail;
	if (cmd != NULL && (ward_strv_push(argv, "--entrypoint") != 0 ||
			    ward_strv_push(argv, "[\"/ward/init\",\"--\"]") != 0))
		goto fail;
	if (ward_strv_push_owned(argv, ref) != 0)
		return -1;
	for (i = 0; cmd && i < cmd->n; i++)
		if (ward_strv_push(argv, cmd->v[i]) != 0)
			return -1;
	return 0;
fail:
	free(ref);
	return -1;
}

int
rt_container_pid(struct rt *r, const char *name)
{
	struct check_proc p;
	int pid = 0;

	if (rt_engine(r, 30000, &p, "inspect", "-f", "{{.State.Pid}}", name, NULL) == 0 &&
	    p.status == 0 && p.out.data)
		pid = atoi((char *)p.out.data);
	check_proc_free(&p);
	return pid;
}

int
rt_container_running(struct rt *r, const char *name)
{
	struct check_proc p;
	int running = 0;

	if (rt_engine(r, 30000, &p, "inspect", "-f", "{{.State.Running}}", name, NULL) == 0 &&
	    p.status == 0 && p.out.data)
		running = strncmp((char *)p.out.data, "true", 4) == 0;
	check_proc_free(&p);
	return running;
}

int
rt_container_logs(struct rt *r, const char *name, struct check_proc *p)
{
	return rt_engine(r, 60000, p, "logs", name, NULL);
}

/* /metrics of a container whose ward-init runs as host pid pid. */
int
rt_fetch_metrics(struct rt *r, int pid, struct check_samples *s, char **why, const char *save)
{
	struct check_http h;
	char url[96];
	int rc = -1;

	if (r->t.metrics == NULL) {
		*why = ward_strdup("the policy turns metrics off");
		return -1;
	}
	if (r->t.metrics_loopback && geteuid() != 0) {
		*why = ward_strdup("/metrics is bound to the container's loopback: reading it from "
				   "its network namespace needs root");
		return -2;
	}
	if (r->t.metrics_loopback)
		snprintf(url, sizeof(url), "http://127.0.0.1:%u/metrics", r->t.metrics_port);
	else
		snprintf(url, sizeof(url), "http://127.0.0.1:%u/metrics",
			 r->t.metrics_host_port ? r->t.metrics_host_port : r->t.metrics_port);
	if (check_http_request(url, NULL, 0, r->t.metrics_loopback ? pid : 0, 10000, &h) != 0 ||
	    h.code != 200)
		*why = ward_asprintf("GET %s%s: %s", url,
				     r->t.metrics_loopback ? " (in the container's network)" : "",
				     h.code ? "not 200" : h.error);
	else if (save != NULL && ward_file_write(save, h.body.data ? (void *)h.body.data : "",
						 h.body.len, 0644) != 0)
		*why = ward_strdup(ward_errmsg());
	else if (check_metrics_parse((char *)h.body.data, h.body.len, "/metrics", s) != 0)
		*why = ward_strdup(ward_errmsg());
	else
		rc = 0;
	ward_err_clear();
	check_http_free(&h);
	return rc;
}

int
rt_init_healthz(struct rt *r, int pid, struct check_http *h)
{
	char url[96];
	unsigned port = r->t.metrics_loopback	 ? r->t.metrics_port
			: r->t.metrics_host_port ? r->t.metrics_host_port
						 : r->t.metrics_port;

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/healthz", port);
	return check_http_request(url, NULL, 0, r->t.metrics_loopback ? pid : 0, 5000, h);
}

/* The first child of pid (ward-init's server), or 0. */
int
rt_child_of(int pid)
{
	char path[64];
	struct ward_buf b = {0};
	int c = 0;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
	if (ward_file_read(path, 4096, &b) == 0 && b.data)
		c = atoi((char *)b.data);
	ward_err_clear();
	ward_buf_free(&b);
	return c;
}

/* A field of /proc/PID/status ("CapEff"), copied into out. */
int
rt_proc_status(int pid, const char *field, char *out, size_t n)
{
	char path[64];
	struct ward_buf b = {0};
	const char *p;
	size_t fl = strlen(field);
	int rc = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (ward_file_read(path, 1u << 16, &b) == 0 && b.data)
		for (p = (char *)b.data; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
			if (strncmp(p, field, fl) == 0 && p[fl] == ':') {
				const char *v = p + fl + 1, *e;
				while (*v == ' ' || *v == '\t')
					v++;
				e = strchr(v, '\n');
				snprintf(out, n, "%.*s", (int)(e ? e - v : (long)strlen(v)), v);
				rc = 0;
				break;
			}
	ward_err_clear();
	ward_buf_free(&b);
	return rc;
}
