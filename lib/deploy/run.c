/* run.c: the podman/docker run command and POSIX shell quoting. */
#include <stdlib.h>
#include <string.h>

#include "deploy.h"
#include "deploy_internal.h"

char *
deploy_shell_quote(const char *s)
{
	struct ward_buf b = {0};
	int plain = *s != '\0';

	for (const char *p = s; *p && plain; p++)
		plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			(*p >= '0' && *p <= '9') || strchr("_@%+=:,./-", *p) != NULL;
	if (plain)
		return ward_strdup(s);
	if (ward_buf_append(&b, "'", 1) != 0)
		return NULL;
	for (const char *p = s; *p; p++)
		if ((*p == '\'' ? ward_buf_puts(&b, "'\\''") : ward_buf_append(&b, p, 1)) != 0) {
			ward_buf_free(&b);
			return NULL;
		}
	if (ward_buf_append(&b, "'", 1) != 0) {
		ward_buf_free(&b);
		return NULL;
	}
	return ward_buf_steal(&b);
}

char *
deploy_shell_join(const struct ward_strv *argv)
{
	struct ward_buf b = {0};

	for (size_t i = 0; i < argv->n; i++) {
		char *w = deploy_shell_quote(argv->v[i]);
		if (w == NULL || (i > 0 && ward_buf_append(&b, " ", 1) != 0) ||
		    ward_buf_puts(&b, w) != 0) {
			free(w);
			ward_buf_free(&b);
			return NULL;
		}
		free(w);
	}
	if (b.data == NULL) /* an empty argv is "" */
		return ward_strdup("");
	return ward_buf_steal(&b);
}

char *
deploy_image_ref(const struct deploy_target *t)
{
	if (t->repository != NULL && t->manifest_digest[0] != '\0')
		return ward_asprintf("%s@%s", t->repository, t->manifest_digest);
	if (t->repository != NULL)
		return ward_asprintf("%s:%s", t->repository, t->tag ? t->tag : "latest");
	return ward_strdup(t->config_digest);
}

/* push "FLAG" then a formatted value. */
static int
push2(struct ward_strv *argv, const char *flag, char *value)
{
	if (value == NULL)
		return -1;
	if (ward_strv_push(argv, flag) != 0) {
		free(value);
		return -1;
	}
	return ward_strv_push_owned(argv, value);
}

/* Sizes the way podman and docker print them: the largest exact unit. */
static char *
engine_size(uint64_t v)
{
	if (v % (1ull << 30) == 0)
		return ward_asprintf("%llug", (unsigned long long)(v >> 30));
	if (v % (1ull << 20) == 0)
		return ward_asprintf("%llum", (unsigned long long)(v >> 20));
	if (v % (1ull << 10) == 0)
		return ward_asprintf("%lluk", (unsigned long long)(v >> 10));
	return ward_asprintf("%llu", (unsigned long long)v);
}

static int
model_mount(struct ward_strv *argv, int engine, const struct deploy_model *m)
{
	int bind = m->source[0] == '/';

	if (engine == DEPLOY_PODMAN)
		return push2(argv, "--volume",
			     ward_asprintf("%s:%s:ro,nosuid,nodev,noexec", m->source, m->path));
	/* docker's -v has no noexec; --mount says read-only unambiguously. */
	return push2(argv, "--mount",
		     ward_asprintf("type=%s,source=%s,target=%s,readonly", bind ? "bind" : "volume",
				   m->source, m->path));
}

static int
writable_by(const struct deploy_target *t, const struct deploy_writable *w)
{
	if (!w->in_image || (w->image_mode & 0002) != 0)
		return 1;
	if (w->image_uid == t->uid)
		return (w->image_mode & 0200) != 0;
	return w->image_gid == t->gid && (w->image_mode & 0020) != 0;
}

int
deploy_run_argv(const struct deploy_target *t, const struct deploy_run_opts *o,
		struct ward_strv *argv)
{
	const char *host_ip = o->host_ip ? o->host_ip : "127.0.0.1";
	size_t i;

	if (deploy_check(t) != 0)
		return -1;
	if (ward_strv_push(argv, o->engine == DEPLOY_DOCKER ? "docker" : "podman") != 0 ||
	    ward_strv_push(argv, "run") != 0 || ward_strv_push(argv, "--detach") != 0 ||
	    push2(argv, "--name", ward_strdup(t->name)) != 0)
		return -1;
	/* Nothing writable but the declared paths; no capabilities; no way
	 * to gain privileges; the syscall filter. */
	if (ward_strv_push(argv, "--read-only") != 0)
		return -1;
	if (o->engine == DEPLOY_PODMAN && ward_strv_push(argv, "--read-only-tmpfs=false") != 0)
		return -1;
	if (push2(argv, "--cap-drop", ward_strdup("ALL")) != 0 ||
	    push2(argv, "--security-opt", ward_strdup("no-new-privileges")) != 0)
		return -1;
	if (o->seccomp != NULL &&
	    push2(argv, "--security-opt", ward_asprintf("seccomp=%s", o->seccomp)) != 0)
		return -1;
	if (push2(argv, "--user", ward_asprintf("%u:%u", t->uid, t->gid)) != 0)
		return -1;
	for (i = 0; i < t->nwritable; i++) {
		char *sz = engine_size(t->writable[i].size);
		if (sz != NULL && deploy_is_shm(t->writable[i].path)) {
			/* The engine's own /dev/shm (noexec,nosuid,nodev), resized. */
			if (push2(argv, "--shm-size", sz) != 0)
				return -1;
			continue;
		}
		/* Writable paths start empty on every engine (docker and
		 * Kubernetes never copy the image's files in; podman would).
		 * runc gives the tmpfs the mode of the image's directory under
		 * it, whatever mode= says: podman's U makes it the user's. */
		if (sz != NULL && o->engine == DEPLOY_DOCKER && !writable_by(t, &t->writable[i]))
			ward_warn(
				"%s: %s in the image is mode %04o owned by %llu: runc gives the "
				"tmpfs that mode, so uid %u cannot write it under docker; make it "
				"mode 1777 or owned by the user in the image",
				t->image_path, t->writable[i].path,
				(unsigned)(t->writable[i].image_mode & 07777),
				(unsigned long long)t->writable[i].image_uid, t->uid);
		if (sz == NULL ||
		    push2(argv, "--tmpfs",
			  ward_asprintf("%s:rw,noexec,nosuid,nodev,size=%s,mode=1777%s",
					t->writable[i].path, sz,
					o->engine == DEPLOY_PODMAN ? ",notmpcopyup,U" : "")) != 0) {
			free(sz);
			return -1;
		}
		free(sz);
	}
	for (i = 0; i < t->nmodels; i++)
		if (t->models[i].source != NULL && model_mount(argv, o->engine, &t->models[i]) != 0)
			return -1;
	for (i = 0; i < t->nports; i++) {
		const struct deploy_port *p = &t->ports[i];
		char *v = *host_ip ? ward_asprintf("%s:%u:%u/%s", host_ip, p->host_port, p->port,
						   p->proto)
				   : ward_asprintf("%u:%u/%s", p->host_port, p->port, p->proto);
		if (push2(argv, "--publish", v) != 0)
			return -1;
	}
	if (t->metrics != NULL && !t->metrics_loopback && !deploy_port_listed(t, t->metrics_port)) {
		unsigned hp = t->metrics_host_port ? t->metrics_host_port : t->metrics_port;
		char *v = *host_ip ? ward_asprintf("%s:%u:%u/tcp", host_ip, hp, t->metrics_port)
				   : ward_asprintf("%u:%u/tcp", hp, t->metrics_port);
		if (push2(argv, "--publish", v) != 0)
			return -1;
	}
	if (t->memory != 0) {
		/* The same swap limit: model weights never reach swap. */
		if (push2(argv, "--memory", engine_size(t->memory)) != 0 ||
		    push2(argv, "--memory-swap", engine_size(t->memory)) != 0)
			return -1;
	}
	if (t->pids != 0 &&
	    push2(argv, "--pids-limit", ward_asprintf("%llu", (unsigned long long)t->pids)) != 0)
		return -1;
	if (t->cpu_milli != 0 && push2(argv, "--cpus", deploy_cpus_decimal(t->cpu_milli)) != 0)
		return -1;
	return ward_strv_push_owned(argv, deploy_image_ref(t));
}
