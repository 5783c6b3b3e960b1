/* matrix.c: the test matrix — its checks (data), results, and the JSON,
 * JUnit XML and table outputs.  docs/ward-test.md describes each check. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "check_internal.h"

#define F CHECK_FUNCTION
#define P CHECK_PERFORMANCE
#define S CHECK_SECURITY

static const struct check_def defs[] = {
	/* function: the image */
	{"function.image-readable", F, 1,
	 "the image opens; manifest, config and every layer match their digests", NULL, NULL, NULL},
	{"function.entrypoint-ward-init", F, 1, "the entrypoint is /ward/init -- <server>", NULL,
	 NULL, NULL},
	{"function.server-in-image", F, 1,
	 "the server program the entrypoint names is in the image", NULL, NULL, NULL},
	{"function.policy-valid", F, 1, "/ward/policy.json is a valid ward-init policy", NULL, NULL,
	 NULL},
	{"function.ports-declared", F, 0, "the image declares the ports it serves", "5.9", NULL,
	 NULL},
	{"function.models-signed", F, 1,
	 "every model of the policy is in the image with its OMS signature and key", "4.12", NULL,
	 NULL},
	{"function.model-verifies", F, 1, "every model verifies against its OMS v1.0 signature",
	 "4.12", NULL, NULL},
	{"function.model-tamper-detected", F, 1, "a copy with one flipped byte fails verification",
	 "4.12", NULL, NULL},
	{"function.sbom-complete", F, 1,
	 "every regular file is owned by an SBOM component, or ward build put it there from "
	 "ward.yaml",
	 "4.3, 4.11", NULL, NULL},
	{"function.scanner-visible", F, 0,
	 "packages are visible to other scanners (dpkg status.d, Python dist-info)", "4.4", NULL,
	 NULL},
	{"function.licenses-known", F, 0, "every package has a concluded license", NULL, NULL,
	 NULL},
	{"function.tag-not-latest", F, 0,
	 "the image is referenced by a version tag or digest, not :latest", NULL, "DKL-DI-0006",
	 NULL},
	{"function.healthcheck-declared", F, 0, "the image config declares a HEALTHCHECK", "4.6",
	 "CIS-DI-0006", NULL},
	/* function: the running container */
	{"function.container-starts", F, 1,
	 "starts under podman --read-only --cap-drop ALL --security-opt no-new-privileges",
	 "5.4, 5.13, 5.26", NULL,
	 "securityContext.capabilities.drop, securityContext.allowPrivilegeEscalation"},
	{"function.model-verified-at-start", F, 1,
	 "ward-init verified every model before it started the server", NULL, NULL, NULL},
	{"function.health-endpoint", F, 1, "the server's health endpoint answers 200", "5.27", NULL,
	 NULL},
	{"function.ports-listen", F, 1, "every declared port accepts connections", NULL, NULL,
	 NULL},
	{"function.init-healthz", F, 1, "ward-init's /healthz answers ok", "5.27", NULL, NULL},
	{"function.metrics-endpoint", F, 1,
	 "/metrics is valid Prometheus text with ward-init's metrics", NULL, NULL, NULL},
	{"function.request-answered", F, 0, "the configured request is answered with 2xx", NULL,
	 NULL, NULL},
	{"function.logs-json", F, 0, "every line ward-init logs is JSON", NULL, NULL, NULL},
	{"function.tampered-model-refused", F, 1,
	 "with a tampered model mounted, ward-init refuses to start the server (exit 1)", NULL,
	 NULL, NULL},
	{"function.graceful-stop", F, 0,
	 "podman stop: SIGTERM is forwarded, the exit status is 143", NULL, NULL, NULL},
	/* performance */
	{"performance.image-size", P, 0, "image size (compressed layers; files)", NULL, NULL, NULL},
	{"performance.layers", P, 0, "number of layers", NULL, NULL, NULL},
	{"performance.no-package-caches", P, 0,
	 "no package manager caches or index lists in the image", NULL, "DKL-DI-0005", NULL},
	{"performance.python-bytecode", P, 0,
	 "Python modules have precompiled bytecode (a read-only root cannot cache it)", NULL, NULL,
	 NULL},
	{"performance.model-verify-throughput", P, 0, "model verification speed (OMS, SHA-256)",
	 NULL, NULL, NULL},
	{"performance.startup-time", P, 0, "time from podman run to the first healthy answer", NULL,
	 NULL, NULL},
	{"performance.first-response", P, 0, "latency of the first request", NULL, NULL, NULL},
	{"performance.request-latency", P, 0, "median latency of 20 requests", NULL, NULL, NULL},
	{"performance.model-verify-time", P, 0, "ward-init's model verification time at start",
	 NULL, NULL, NULL},
	{"performance.server-memory", P, 0, "resident memory of the server once healthy", NULL,
	 NULL, NULL},
	/* security: the image */
	{"security.no-shell", S, 1, "no shell in the image", "4.3", NULL, NULL},
	{"security.no-package-manager", S, 1, "no package manager in the image", "4.3", NULL, NULL},
	{"security.no-compiler", S, 1, "no compiler, assembler or linker in the image", "4.3", NULL,
	 NULL},
	{"security.no-debugger", S, 1, "no debugger or tracer in the image", "4.3", NULL, NULL},
	{"security.no-network-tools", S, 0, "no network tools (curl, wget, nc, ssh, ...)", "4.3",
	 NULL, NULL},
	{"security.no-setuid", S, 1, "no setuid files", "4.8", "CIS-DI-0008", NULL},
	{"security.no-setgid", S, 1, "no setgid files", "4.8", "CIS-DI-0008", NULL},
	{"security.no-world-writable", S, 1, "nothing world-writable outside the declared paths",
	 NULL, NULL, NULL},
	{"security.non-root-user", S, 1, "the image runs as a non-root user", "4.1", "CIS-DI-0001",
	 "securityContext.runAsNonRoot"},
	{"security.no-device-nodes", S, 1, "no device nodes in the image", NULL, NULL, NULL},
	{"security.no-secrets", S, 1, "no private keys, .env files or cloud credentials", "4.10",
	 "CIS-DI-0010", NULL},
	{"security.no-secrets-in-env", S, 1, "the image config's environment holds no credentials",
	 "4.10", "CIS-DI-0010", NULL},
	{"security.no-sudo", S, 1, "no sudo, doas, su, pkexec or runuser in the image", "4.3",
	 "DKL-DI-0001", NULL},
	{"security.no-ssh-server", S, 1, "no SSH server in the image", "5.7", NULL, NULL},
	{"security.no-empty-password", S, 1,
	 "no account with an empty password (/etc/passwd, /etc/shadow)", NULL, "DKL-LI-0001", NULL},
	{"security.unique-ids", S, 1, "user and group names and ids are unique", NULL,
	 "DKL-LI-0002", NULL},
	{"security.no-unneeded-files", S, 0,
	 "no VCS metadata or editor leftovers (.git, .svn, .DS_Store, ...)", NULL, "DKL-LI-0003",
	 NULL},
	{"security.no-sensitive-volumes", S, 1,
	 "the image declares no volume over a system path, /ward or a model", "5.6", "DKL-DI-0002",
	 NULL},
	{"security.unprivileged-ports", S, 0, "declared ports are unprivileged (>= 1024)", "5.8",
	 NULL, "securityContext.capabilities.add"},
	{"security.ward-files-read-only", S, 1,
	 "/ward belongs to root and nobody else may write it", NULL, NULL, NULL},
	{"security.models-read-only", S, 1, "model files belong to root and are not writable", NULL,
	 NULL, NULL},
	{"security.server-not-readable", S, 0,
	 "the server program is not readable by its user (so the server is not dumpable)", NULL,
	 NULL, NULL},
	{"security.signatures-verify", S, 1,
	 "the image signatures and attestations verify with the key", "4.5, 4.12", "CIS-DI-0005",
	 NULL},
	{"security.attestations-present", S, 1,
	 "CycloneDX, SPDX, SLSA provenance and OpenVEX are attested", "4.12", NULL, NULL},
	{"security.vulnerabilities-vex", S, 1,
	 "no critical or high vulnerability without a VEX statement", "4.4", NULL, NULL},
	{"security.policy-landlock-required", S, 0,
	 "ward-init stops where the kernel has no Landlock (landlock.required)", NULL, NULL, NULL},
	{"security.policy-tcp-bind-restricted", S, 0,
	 "the server may listen only on the ports the policy lists", "5.8", NULL, NULL},
	{"security.policy-no-outbound-tcp", S, 0,
	 "the server may not open outbound TCP connections (landlock.tcp_connect [])", NULL, NULL,
	 NULL},
	{"security.policy-no-extra-sockets", S, 0,
	 "UDP, unix and netlink sockets are denied (network)", NULL, NULL, NULL},
	{"security.policy-models-read-only", S, 0,
	 "a writable mount at or under a model stops ward-init (read_only.models refuse)", NULL,
	 NULL, NULL},
	{"security.policy-metrics-loopback", S, 0, "ward-init's /metrics is off or on loopback",
	 NULL, NULL, NULL},
	{"security.guard-configured", S, 0, "an endpoint guard stands in front of the server", NULL,
	 NULL, NULL},
	{"security.guard-default-deny", S, 1,
	 "the guard's routes are an allow-list without a catch-all", NULL, NULL, NULL},
	{"security.guard-auth-required", S, 1,
	 "the guard requires an API key (only hashes in the policy)", NULL, NULL, NULL},
	{"security.guard-server-not-exposed", S, 1,
	 "only the guard's port is public: the server binds loopback, its port is not declared",
	 "5.9", NULL, NULL},
	{"security.guard-limits", S, 0,
	 "the guard caps bodies, heads and time, and limits rate or concurrency", "5.11", NULL,
	 NULL},
	/* security: the running container */
	{"security.run-non-root", S, 1, "the server process runs as a non-root uid", "4.1", NULL,
	 "securityContext.runAsNonRoot, securityContext.runAsUser"},
	{"security.run-no-capabilities", S, 1,
	 "the server has no capabilities (effective, permitted, bounding)", "5.4", NULL,
	 "securityContext.capabilities.drop"},
	{"security.run-no-new-privs", S, 1, "the server runs with no_new_privs", "5.26", NULL,
	 "securityContext.allowPrivilegeEscalation"},
	{"security.run-seccomp", S, 1, "the server runs under a seccomp filter", "5.22", NULL,
	 "securityContext.seccompProfile.type"},
	{"security.run-read-only-root", S, 1, "the root filesystem is read-only", "5.13", NULL,
	 NULL},
	{"security.run-not-privileged", S, 1, "the container is not privileged", "5.5", NULL,
	 "securityContext.privileged"},
	{"security.run-no-host-namespaces", S, 1,
	 "the server shares no namespace with the host (network, pid, ipc, uts)",
	 "5.10, 5.16, 5.17, 5.21", NULL, "spec.hostNetwork, spec.hostPID, spec.hostIPC"},
	{"security.run-no-sensitive-mounts", S, 1,
	 "no host system directory or runtime socket is mounted; mounts are read-only", "5.6, 5.32",
	 NULL, "spec.volumes[*].hostPath"},
	{"security.run-no-host-devices", S, 0, "no host device is passed in", "5.18", NULL, NULL},
	{"security.run-ports-loopback", S, 0, "published ports are bound to one host address",
	 "5.14", NULL, "spec.containers[*].ports[*].hostPort"},
	{"security.run-pids-limit", S, 0, "the container has a PIDs limit", "5.29", NULL, NULL},
	{"security.run-memory-limit", S, 0, "the container has a memory limit", "5.11", NULL, NULL},
	{"security.run-hardening", S, 1,
	 "ward-init reports Landlock, seccomp, no_new_privs and dropped capabilities", NULL, NULL,
	 NULL},
	{"security.run-non-dumpable", S, 0, "the server is not dumpable", NULL, NULL, NULL},
	{"security.exec-blocked", S, 1, "exec attempts (a shell, the interpreter) are refused",
	 NULL, NULL, NULL},
	{"security.exec-counted", S, 1, "refused execs are counted in /metrics and logged", NULL,
	 NULL, NULL},
	{"security.syscalls-denied", S, 0, "ptrace and mount attempts are refused", NULL, NULL,
	 NULL},
	{"security.writes-blocked", S, 1, "writes to / and to the model directory fail", NULL, NULL,
	 NULL},
	{"security.podman-exec-shell", S, 1, "podman exec of a shell fails (there is none)",
	 "5.23, 5.24", NULL, NULL},
	/* security: the endpoint guard of the running container */
	{"security.guard-run-unauthenticated-refused", S, 1,
	 "through the guard's port, a request without an API key is refused (401)", NULL, NULL,
	 NULL},
	{"security.guard-run-unlisted-route-refused", S, 1,
	 "the profile's management routes and an unlisted route are refused (403)", NULL, NULL,
	 NULL},
	{"security.guard-run-body-cap", S, 0,
	 "an upload over the body cap is refused on its head (413)", "5.11", NULL, NULL},
	{"security.guard-run-rate-limit", S, 0,
	 "a burst beyond the guard's rate limit is answered 429", "5.11", NULL, NULL},
};

const struct check_def *
check_defs(size_t *n)
{
	*n = sizeof(defs) / sizeof(*defs);
	return defs;
}

const char *
check_group_name(int g)
{
	static const char *names[] = {"function", "performance", "security"};
	return g >= 0 && g <= CHECK_SECURITY ? names[g] : "unknown";
}

const char *
check_result_name(int r)
{
	static const char *names[] = {"pass", "fail", "warn", "skip"};
	return r >= 0 && r <= CHECK_SKIP ? names[r] : "unknown";
}

int
check_matrix_init(struct check_matrix *m)
{
	size_t n = sizeof(defs) / sizeof(*defs);

	if ((m->v = ward_calloc(n, sizeof(*m->v))) == NULL)
		return -1;
	m->n = n;
	for (size_t i = 0; i < n; i++) {
		m->v[i].id = defs[i].id;
		m->v[i].group = defs[i].group;
		m->v[i].required = defs[i].required;
		m->v[i].description = defs[i].description;
		m->v[i].cis = defs[i].cis;
		m->v[i].dockle = defs[i].dockle;
		m->v[i].pss = defs[i].pss;
		m->v[i].result = -1;
	}
	return 0;
}

static struct check_item *
item(struct check_matrix *m, const char *id)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->v[i].id, id) == 0)
			return &m->v[i];
	return NULL;
}

void
check_set(struct check_matrix *m, const char *id, int result, const char *fmt, ...)
{
	struct check_item *it = item(m, id);
	va_list ap;
	char *s = NULL;

	if (it == NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		s = NULL;
		m->failed = 1;
	}
	va_end(ap);
	free(it->evidence);
	it->evidence = s;
	it->result = result;
}

const char *
check_text(struct check_matrix *m, struct ward_buf *b)
{
	const char *s = ward_buf_cstr(b);

	if (s == NULL)
		m->failed = 1;
	return s ? s : "";
}

void
check_value(struct check_matrix *m, const char *id, double value, const char *unit)
{
	struct check_item *it = item(m, id);

	if (it == NULL)
		return;
	it->has_value = 1;
	it->value = value;
	it->unit = unit;
}

void
check_skip_rest(struct check_matrix *m, const char *prefix, const char *why)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].result < 0 && ward_str_startswith(m->v[i].id, prefix)) {
			m->v[i].result = CHECK_SKIP;
			free(m->v[i].evidence);
			m->v[i].evidence = ward_strdup(why);
		}
}

int
check_matrix_finish(struct check_matrix *m)
{
	memset(m->counts, 0, sizeof(m->counts));
	m->required_failed = 0;
	for (size_t i = 0; i < m->n; i++) {
		struct check_item *it = &m->v[i];
		if (it->result < 0) {
			it->result = CHECK_SKIP;
			free(it->evidence);
			it->evidence = ward_strdup("not run");
		}
		if (it->evidence == NULL)
			m->failed = 1;
		m->counts[it->result]++;
		m->required_failed += it->required && it->result == CHECK_FAIL;
	}
	/* a check whose evidence could not be written is no result */
	return m->failed ? ward_err(WARD_EENV, "out of memory while recording the checks") : 0;
}

void
check_matrix_free(struct check_matrix *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].evidence);
	free(m->v);
	free(m->image);
	free(m->digest);
	free(m->runtime_note);
	audit_report_free(&m->audit);
	memset(m, 0, sizeof(*m));
}

/* "5.4, 5.13" -> ["5.4", "5.13"] */
static json_t *
id_list(const char *s)
{
	json_t *a = json_array();

	while (a != NULL && s != NULL && *s) {
		size_t n = strcspn(s, ",");
		size_t b = 0;
		while (b < n && s[b] == ' ')
			b++;
		json_array_append_new(a, json_stringn(s + b, n - b));
		s += n;
		if (*s == ',')
			s++;
	}
	return a;
}

json_t *
check_mappings_json(const struct check_item *it)
{
	return json_pack("{s:o,s:o,s:o}", "cis_docker_1.6", id_list(it->cis), "dockle",
			 id_list(it->dockle), "k8s_pss_restricted", id_list(it->pss));
}

json_t *
check_matrix_json(const struct check_matrix *m)
{
	json_t *j = json_object(), *checks = json_array(), *groups = json_object();

	if (j == NULL || checks == NULL || groups == NULL) {
		json_decref(j);
		json_decref(checks);
		json_decref(groups);
		return NULL;
	}
	for (int g = 0; g <= CHECK_SECURITY; g++) {
		size_t c[4] = {0};
		for (size_t i = 0; i < m->n; i++)
			if (m->v[i].group == g)
				c[m->v[i].result]++;
		json_object_set_new(groups, check_group_name(g),
				    json_pack("{s:I,s:I,s:I,s:I}", "pass", (json_int_t)c[0], "fail",
					      (json_int_t)c[1], "warn", (json_int_t)c[2], "skip",
					      (json_int_t)c[3]));
	}
	for (size_t i = 0; i < m->n; i++) {
		const struct check_item *it = &m->v[i];
		json_t *o = json_pack("{s:s,s:s,s:b,s:s,s:s,s:s}", "id", it->id, "group",
				      check_group_name(it->group), "required", it->required,
				      "description", it->description, "result",
				      check_result_name(it->result), "evidence",
				      it->evidence ? it->evidence : "");
		if (o != NULL)
			json_object_set_new(o, "mappings", check_mappings_json(it));
		if (o && it->has_value) {
			json_object_set_new(o, "value", json_real(it->value));
			json_object_set_new(o, "unit", json_string(it->unit ? it->unit : ""));
		}
		json_array_append_new(checks, o);
	}
	json_object_set_new(j, "test_report", json_string("ward test v1"));
	json_object_set_new(j, "image", json_string(m->image ? m->image : ""));
	json_object_set_new(j, "digest", m->digest ? json_string(m->digest) : json_null());
	json_object_set_new(j, "runtime", json_boolean(m->runtime));
	json_object_set_new(j, "runtime_note", json_string(m->runtime_note ? m->runtime_note : ""));
	json_object_set_new(j, "passed", json_boolean(m->required_failed == 0));
	json_object_set_new(j, "summary",
			    json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:o}", "checks", (json_int_t)m->n,
				      "pass", (json_int_t)m->counts[CHECK_PASS], "fail",
				      (json_int_t)m->counts[CHECK_FAIL], "warn",
				      (json_int_t)m->counts[CHECK_WARN], "skip",
				      (json_int_t)m->counts[CHECK_SKIP], "required_failed",
				      (json_int_t)m->required_failed, "groups", groups));
	json_object_set_new(j, "seconds", json_real(m->seconds));
	json_object_set_new(j, "checks", checks);
	if (m->audit.target != NULL)
		json_object_set_new(j, "audit", audit_report_json(&m->audit));
	return j;
}

static void
xml_escape(struct ward_buf *b, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '<':
			ward_buf_puts(b, "&lt;");
			break;
		case '>':
			ward_buf_puts(b, "&gt;");
			break;
		case '&':
			ward_buf_puts(b, "&amp;");
			break;
		case '"':
			ward_buf_puts(b, "&quot;");
			break;
		case '\'':
			ward_buf_puts(b, "&apos;");
			break;
		default:
			/* XML 1.0 allows tab, newline, CR among the controls */
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
				ward_buf_puts(b, "?");
			else
				ward_buf_append(b, &c, 1);
		}
	}
}

char *
check_matrix_junit(const struct check_matrix *m)
{
	struct ward_buf b = {0};

	ward_buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	ward_buf_printf(&b,
			"<testsuites name=\"ward test\" tests=\"%zu\" failures=\"%zu\" "
			"skipped=\"%zu\" time=\"%.3f\">\n",
			m->n, m->counts[CHECK_FAIL], m->counts[CHECK_SKIP], m->seconds);
	for (int g = 0; g <= CHECK_SECURITY; g++) {
		size_t n = 0, fails = 0, skips = 0;
		for (size_t i = 0; i < m->n; i++)
			if (m->v[i].group == g) {
				n++;
				fails += m->v[i].result == CHECK_FAIL;
				skips += m->v[i].result == CHECK_SKIP;
			}
		ward_buf_printf(
			&b,
			"  <testsuite name=\"%s\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
			"skipped=\"%zu\">\n",
			check_group_name(g), n, fails, skips);
		ward_buf_puts(&b, "    <properties><property name=\"image\" value=\"");
		xml_escape(&b, m->image);
		ward_buf_puts(&b, "\"/><property name=\"digest\" value=\"");
		xml_escape(&b, m->digest ? m->digest : "");
		ward_buf_puts(&b, "\"/></properties>\n");
		for (size_t i = 0; i < m->n; i++) {
			const struct check_item *it = &m->v[i];
			if (it->group != g)
				continue;
			ward_buf_puts(&b, "    <testcase classname=\"ward.");
			xml_escape(&b, check_group_name(g));
			ward_buf_puts(&b, "\" name=\"");
			xml_escape(&b, it->id);
			ward_buf_puts(&b, "\">\n");
			if (it->cis || it->dockle || it->pss) {
				static const char *const names[] = {"cis-docker-1.6", "dockle",
								    "k8s-pss-restricted"};
				const char *vals[] = {it->cis, it->dockle, it->pss};
				ward_buf_puts(&b, "      <properties>");
				for (int k = 0; k < 3; k++) {
					const char *v = vals[k];
					while (v != NULL && *v) {
						size_t vl = strcspn(v, ","), s0 = 0;
						char one[160];
						while (s0 < vl && v[s0] == ' ')
							s0++;
						snprintf(one, sizeof(one), "%.*s", (int)(vl - s0),
							 v + s0);
						ward_buf_printf(&b,
								"<property name=\"%s\" value=\"",
								names[k]);
						xml_escape(&b, one);
						ward_buf_puts(&b, "\"/>");
						v += vl;
						if (*v == ',')
							v++;
					}
				}
				ward_buf_puts(&b, "</properties>\n");
			}
			if (it->result == CHECK_FAIL) {
				ward_buf_printf(&b, "      <failure type=\"%s\" message=\"",
						it->required ? "required" : "advisory");
				xml_escape(&b, it->description);
				ward_buf_puts(&b, "\">");
				xml_escape(&b, it->evidence);
				ward_buf_puts(&b, "</failure>\n");
			} else if (it->result == CHECK_SKIP) {
				ward_buf_puts(&b, "      <skipped message=\"");
				xml_escape(&b, it->evidence);
				ward_buf_puts(&b, "\"/>\n");
			}
			ward_buf_puts(&b, "      <system-out>");
			if (it->result == CHECK_WARN)
				ward_buf_puts(&b, "WARNING: ");
			xml_escape(&b, it->description);
			ward_buf_puts(&b, ": ");
			xml_escape(&b, it->evidence);
			if (it->has_value)
				ward_buf_printf(&b, " [%.3f %s]", it->value,
						it->unit ? it->unit : "");
			ward_buf_puts(&b, "</system-out>\n    </testcase>\n");
		}
		ward_buf_puts(&b, "  </testsuite>\n");
	}
	ward_buf_puts(&b, "</testsuites>\n");
	return ward_buf_steal(&b);
}

int
check_matrix_table(const struct check_matrix *m, FILE *out)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct check_item *it = &m->v[i];
		const char *tag = it->result == CHECK_PASS   ? "pass"
				  : it->result == CHECK_FAIL ? (it->required ? "FAIL" : "fail")
				  : it->result == CHECK_WARN ? "warn"
							     : "skip";
		fprintf(out, "%-4s  %-38s %s\n", tag, it->id, it->evidence ? it->evidence : "");
	}
	fprintf(out,
		"\n%zu checks: %zu passed, %zu failed (%zu required), %zu warnings, %zu "
		"skipped%s\n",
		m->n, m->counts[CHECK_PASS], m->counts[CHECK_FAIL], m->required_failed,
		m->counts[CHECK_WARN], m->counts[CHECK_SKIP],
		m->runtime ? "" : " (no container run)");
	return ferror(out) ? ward_err(WARD_EENV, "cannot write the table") : 0;
}
