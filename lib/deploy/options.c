/* options.c: adjusting a deploy target, and the small parsers it needs. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "deploy.h"
#include "deploy_internal.h"

void
deploy_target_free(struct deploy_target *t)
{
	size_t i;

	if (t == NULL)
		return;
	free(t->name);
	free(t->image_path);
	free(t->repository);
	free(t->tag);
	free(t->arch);
	free(t->user_note);
	ward_strv_free(&t->entrypoint);
	ward_strv_free(&t->cmd);
	free(t->ports);
	for (i = 0; i < t->nwritable; i++)
		free(t->writable[i].path);
	free(t->writable);
	for (i = 0; i < t->nmodels; i++) {
		free(t->models[i].path);
		free(t->models[i].source);
	}
	free(t->models);
	free(t->metrics);
	memset(t, 0, sizeof(*t));
}

void
deploy_dns_label(const char *s, char out[DEPLOY_NAME_MAX + 1])
{
	size_t n = 0;

	for (; *s && n < DEPLOY_NAME_MAX; s++) {
		char c = *s;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			c = '-';
		if (c == '-' && (n == 0 || out[n - 1] == '-'))
			continue; /* no leading or doubled '-' */
		out[n++] = c;
	}
	while (n > 0 && out[n - 1] == '-')
		n--;
	out[n] = '\0';
}

static int
is_dns_label(const char *s)
{
	char buf[DEPLOY_NAME_MAX + 1];

	if (strlen(s) > DEPLOY_NAME_MAX)
		return 0;
	deploy_dns_label(s, buf);
	return *s != '\0' && strcmp(buf, s) == 0;
}

int
deploy_set_name(struct deploy_target *t, const char *name)
{
	char *n;

	if (!is_dns_label(name))
		return ward_err(WARD_EINPUT,
				"--name %s: expected a DNS-1123 label (lowercase letters, digits "
				"and '-', at most 63, starting and ending alphanumeric)",
				name);
	if ((n = ward_strdup(name)) == NULL)
		return -1;
	free(t->name);
	t->name = n;
	return 0;
}

static int
parse_u32(const char *s, size_t n, uint32_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 10)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > 0xfffffffeu) /* (uid_t)-1 means "unchanged" to the kernel */
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int
deploy_set_user(struct deploy_target *t, const char *spec)
{
	const char *colon = strchr(spec, ':');
	uint32_t uid, gid;

	if (parse_u32(spec, colon ? (size_t)(colon - spec) : strlen(spec), &uid) != 0 ||
	    (colon && parse_u32(colon + 1, strlen(colon + 1), &gid) != 0))
		return ward_err(WARD_EINPUT, "--user %s: expected UID[:GID] as numbers", spec);
	t->uid = uid;
	t->gid = colon ? gid : uid;
	free(t->user_note);
	t->user_note = NULL;
	return 0;
}

int
deploy_set_repository(struct deploy_target *t, const char *ref, const char *digest)
{
	const char *slash = strrchr(ref, '/'), *colon = strrchr(ref, ':');
	char *repo, *tag = NULL;

	if (*ref == '\0' || strchr(ref, '@') != NULL || strpbrk(ref, " \t\n'\"") != NULL)
		return ward_err(WARD_EINPUT,
				"--ref %s: expected registry/repository[:tag] (the digest comes "
				"from the image, or --digest)",
				ref);
	/* A ':' after the last '/' starts a tag; before it, a registry port. */
	if (colon != NULL && (slash == NULL || colon > slash)) {
		if (colon[1] == '\0')
			return ward_err(WARD_EINPUT, "--ref %s: empty tag", ref);
		repo = ward_strndup(ref, (size_t)(colon - ref));
		tag = ward_strdup(colon + 1);
	} else {
		repo = ward_strdup(ref);
	}
	if (repo == NULL || (colon != NULL && (slash == NULL || colon > slash) && tag == NULL)) {
		free(repo);
		free(tag);
		return -1;
	}
	if (digest != NULL && oci_digest_check(digest, "--digest") != 0) {
		free(repo);
		free(tag);
		return -1;
	}
	free(t->repository);
	free(t->tag);
	t->repository = repo;
	t->tag = tag;
	if (digest != NULL)
		snprintf(t->manifest_digest, sizeof(t->manifest_digest), "%s", digest);
	return 0;
}

int
deploy_set_writable_size(struct deploy_target *t, const char *path, uint64_t size)
{
	int found = 0;

	if (size == 0)
		return ward_err(WARD_EINPUT, "tmpfs size of %s: must be more than 0",
				path ? path : "the writable paths");
	for (size_t i = 0; i < t->nwritable; i++)
		if (path == NULL || strcmp(t->writable[i].path, path) == 0) {
			t->writable[i].size = size;
			found = 1;
		}
	if (path != NULL && !found)
		return ward_err(WARD_EINPUT, "--tmpfs-size %s: not a writable path of the image",
				path);
	return 0;
}

int
deploy_add_writable(struct deploy_target *t, const char *path, uint64_t size)
{
	struct deploy_writable *w;

	if (*path != '/' || (path[1] != '\0' && !ward_relpath_ok(path + 1)) || path[1] == '\0')
		return ward_err(WARD_EINPUT, "--writable %s: expected a clean absolute path", path);
	for (size_t i = 0; i < t->nwritable; i++)
		if (strcmp(t->writable[i].path, path) == 0)
			return deploy_set_writable_size(t, path, size);
	if (ward_vec_grow(&t->writable, t->nwritable, sizeof(*t->writable)) != 0)
		return -1;
	w = t->writable;
	if ((w[t->nwritable].path = ward_strdup(path)) == NULL)
		return -1;
	w[t->nwritable++].size = size;
	return 0;
}

int
deploy_set_model_source(struct deploy_target *t, const char *path, const char *source)
{
	for (size_t i = 0; i < t->nmodels; i++) {
		char *s;
		if (strcmp(t->models[i].path, path) != 0)
			continue;
		if (*source == '\0' || strpbrk(source, ",:\n") != NULL)
			return ward_err(WARD_EINPUT,
					"--model %s=%s: the source must be a path or volume name "
					"without ',' or ':'",
					path, source);
		if ((s = ward_strdup(source)) == NULL)
			return -1;
		free(t->models[i].source);
		t->models[i].source = s;
		return 0;
	}
	return ward_err(WARD_EINPUT, "--model %s: not a model of the image's policy", path);
}

int
deploy_port_listed(const struct deploy_target *t, uint16_t port)
{
	for (size_t i = 0; i < t->nports; i++)
		if (t->ports[i].port == port)
			return 1;
	return 0;
}

int
deploy_set_host_port(struct deploy_target *t, uint16_t port, uint16_t host_port)
{
	for (size_t i = 0; i < t->nports; i++)
		if (t->ports[i].port == port) {
			t->ports[i].host_port = host_port;
			return 0;
		}
	if (t->metrics != NULL && !t->metrics_loopback && port == t->metrics_port) {
		t->metrics_host_port = host_port;
		return 0;
	}
	return ward_err(WARD_EINPUT, "--publish %u:%u: the image does not expose port %u",
			host_port, port, port);
}

int
deploy_parse_quantity(const char *s, int milli, uint64_t *out, const char *what)
{
	unsigned long long whole = 0, frac = 0, scale = 1;
	const char *p = s;

	if (*p < '0' || *p > '9')
		goto bad;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (whole > (ULLONG_MAX - 9) / 10)
			goto bad;
		whole = whole * 10 + (unsigned long long)(*p - '0');
	}
	if (milli) {
		if (*p == '.') {
			for (p++; *p >= '0' && *p <= '9'; p++) {
				if (scale == 1000)
					goto bad; /* finer than a millicpu */
				frac = frac * 10 + (unsigned long long)(*p - '0');
				scale *= 10;
			}
			if (scale == 1)
				goto bad;
			frac = frac * (1000 / scale);
		} else if (*p == 'm' && p[1] == '\0') {
			p++;
			if (whole == 0 || whole > (1ull << 40))
				goto bad;
			*out = whole;
			return 0;
		}
		if (*p != '\0' || whole > (1ull << 30) || whole * 1000 + frac == 0)
			goto bad;
		*out = whole * 1000 + frac;
		return 0;
	}
	unsigned shift = 0;
	switch (*p) {
	case '\0':
		break;
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	case 't':
	case 'T':
		shift = 40;
		break;
	default:
		goto bad;
	}
	if (shift != 0) {
		p++;
		if (*p == 'i')
			p++;
		if (*p == 'b' || *p == 'B')
			p++;
	}
	if (*p != '\0' || whole == 0 || whole > (ULLONG_MAX >> shift) >> 1)
		goto bad;
	*out = (uint64_t)whole << shift;
	return 0;
bad:
	return ward_err(WARD_EINPUT, "%s %s: expected %s", what, s,
			milli ? "a CPU count such as 2, 1.5 or 500m"
			      : "a size such as 268435456, 256M, 256Mi or 2G");
}

int
deploy_apply_labels(struct deploy_target *t, const json_t *labels)
{
	const char *v;

	if (!json_is_object(labels))
		return 0;
	if ((v = ward_json_str(labels, DEPLOY_LABEL_MEMORY)) != NULL &&
	    deploy_parse_quantity(v, 0, &t->memory, "label " DEPLOY_LABEL_MEMORY) != 0)
		return -1;
	if ((v = ward_json_str(labels, DEPLOY_LABEL_PIDS)) != NULL) {
		char *end;
		unsigned long long n;
		errno = 0;
		n = strtoull(v, &end, 10);
		if (*v < '1' || *v > '9' || *end != '\0' || errno != 0 || n > 4194304)
			return ward_err(WARD_EINPUT, "label %s %s: expected a count of processes",
					DEPLOY_LABEL_PIDS, v);
		t->pids = n;
	}
	if ((v = ward_json_str(labels, DEPLOY_LABEL_CPUS)) != NULL &&
	    deploy_parse_quantity(v, 1, &t->cpu_milli, "label " DEPLOY_LABEL_CPUS) != 0)
		return -1;
	return 0;
}

char *
deploy_cpus_decimal(uint64_t milli)
{
	char frac[8];
	size_t n;

	if (milli % 1000 == 0)
		return ward_asprintf("%llu", (unsigned long long)(milli / 1000));
	snprintf(frac, sizeof(frac), "%03llu", (unsigned long long)(milli % 1000));
	for (n = strlen(frac); n > 0 && frac[n - 1] == '0'; n--)
		frac[n - 1] = '\0';
	return ward_asprintf("%llu.%s", (unsigned long long)(milli / 1000), frac);
}

int
deploy_is_shm(const char *path)
{
	return strcmp(path, "/dev/shm") == 0;
}

int
deploy_check(const struct deploy_target *t)
{
	if (t->uid == 0)
		return ward_err(WARD_EINPUT,
				"%s: the image runs as root%s%s; give it a user with --user "
				"UID[:GID]",
				t->image_path, t->user_note ? ": " : "",
				t->user_note ? t->user_note : "");
	for (size_t i = 0; i < t->nmodels; i++)
		if (!t->models[i].in_image && t->models[i].source == NULL)
			return ward_err(WARD_EINPUT,
					"%s: model %s is not in the image: mount it with --model "
					"%s=SOURCE",
					t->image_path, t->models[i].path, t->models[i].path);
	return 0;
}
