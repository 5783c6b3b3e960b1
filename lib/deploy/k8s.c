/* k8s.c: Deployment, Service and NetworkPolicy that keep the hardening.
 *
 * The pod passes the "restricted" Pod Security Standard: non-root user,
 * no privilege escalation, every capability dropped, a seccomp profile
 * (RuntimeDefault or ward's as Localhost), only emptyDir and
 * persistentVolumeClaim volumes, no host namespaces, ports or paths.  On
 * top: a read-only root file system with memory-backed emptyDirs for the
 * writable paths, read-only model volumes, no service account token, no
 * service links, probes on ward-init's /healthz and Prometheus scrape
 * annotations for its /metrics. */
#include <stdlib.h>
#include <string.h>

#include "deploy.h"
#include "deploy_internal.h"

/* Kubernetes quantities: the largest exact binary unit ("256Mi"). */
static json_t *
quantity(uint64_t v)
{
	static const char *const units[] = {"Ti", "Gi", "Mi", "Ki"};
	char buf[32];

	for (int i = 0; i < 4; i++) {
		unsigned shift = (unsigned)(40 - 10 * i);
		if (v % (1ull << shift) == 0) {
			snprintf(buf, sizeof(buf), "%llu%s", (unsigned long long)(v >> shift),
				 units[i]);
			return json_string(buf);
		}
	}
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	return json_string(buf);
}

static json_t *
labels(const struct deploy_target *t)
{
	return json_pack("{s:s,s:s}", "app.kubernetes.io/name", t->name,
			 "app.kubernetes.io/managed-by", "ward");
}

static json_t *
metadata(const struct deploy_target *t, const char *name, const struct deploy_k8s_opts *o)
{
	json_t *m = json_pack("{s:s}", "name", name);

	if (o->namespace_ != NULL)
		json_object_set_new(m, "namespace", json_string(o->namespace_));
	json_object_set_new(m, "labels", labels(t));
	return m;
}

static json_t *
seccomp_profile(const struct deploy_k8s_opts *o)
{
	if (o->seccomp_localhost != NULL)
		return json_pack("{s:s,s:s}", "type", "Localhost", "localhostProfile",
				 o->seccomp_localhost);
	return json_pack("{s:s}", "type", "RuntimeDefault");
}

/* A port name: an IANA service name (at most 15, lowercase, a letter). */
static json_t *
port_name(const struct deploy_port *p)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%s-%u", p->proto, p->port);
	return json_string(buf);
}

static json_t *
probe(uint16_t port, int period, int failures)
{
	return json_pack("{s:{s:s,s:i},s:i,s:i,s:i}", "httpGet", "path", "/healthz", "port", port,
			 "periodSeconds", period, "timeoutSeconds", 2, "failureThreshold",
			 failures);
}

/* Whether ward-init's /healthz and /metrics can be reached on the pod's
 * address, and with what command: a loopback address in the policy is
 * moved to every address with ward-init's --metrics (the pod's network
 * namespace is the container's own).  0: not reachable (no probes). */
static int
pod_metrics(const struct deploy_target *t, json_t *container, uint16_t *port)
{
	char addr[16];
	json_t *cmd, *args;

	if (!t->ward_image || t->metrics == NULL)
		return 0;
	*port = t->metrics_port;
	if (!t->metrics_loopback)
		return 1;
	if (t->entrypoint.n < 2 || !ward_str_endswith(t->entrypoint.v[0], "/ward/init")) {
		ward_warn("%s: ward-init's metrics listen on %s and the entrypoint is not "
			  "ward-init: no probes",
			  t->image_path, t->metrics);
		return 0;
	}
	snprintf(addr, sizeof(addr), ":%u", *port);
	cmd = json_pack("[s,s,s]", t->entrypoint.v[0], "--metrics", addr);
	for (size_t i = 1; i < t->entrypoint.n; i++)
		json_array_append_new(cmd, json_string(t->entrypoint.v[i]));
	/* A command without args would drop the image's Cmd. */
	args = json_array();
	for (size_t i = 0; i < t->cmd.n; i++)
		json_array_append_new(args, json_string(t->cmd.v[i]));
	json_object_set_new(container, "command", cmd);
	json_object_set_new(container, "args", args);
	ward_info("%s: ward-init's metrics move from %s to %s so the kubelet can probe them",
		  t->image_path, t->metrics, addr);
	return 1;
}

static json_t *
resources(const struct deploy_target *t)
{
	json_t *lim = json_object(), *req = json_object();

	if (t->cpu_milli != 0) {
		char buf[32];
		snprintf(buf, sizeof(buf), "%llum", (unsigned long long)t->cpu_milli);
		json_object_set_new(lim, "cpu", json_string(buf));
		json_object_set_new(req, "cpu", json_string(buf));
	}
	if (t->memory != 0) {
		json_object_set_new(lim, "memory", quantity(t->memory));
		json_object_set_new(req, "memory", quantity(t->memory));
	}
	if (json_object_size(lim) == 0) {
		json_decref(lim);
		json_decref(req);
		return NULL;
	}
	return json_pack("{s:o,s:o}", "limits", lim, "requests", req);
}

static char *
volume_name(char kind, size_t i, const char *path)
{
	char label[DEPLOY_NAME_MAX + 1];
	char *n;

	deploy_dns_label(path, label);
	n = ward_asprintf("%c%zu-%s", kind, i, label);
	if (n != NULL && strlen(n) > DEPLOY_NAME_MAX) {
		n[DEPLOY_NAME_MAX] = '\0';
		while (n[strlen(n) - 1] == '-')
			n[strlen(n) - 1] = '\0';
	}
	if (n != NULL && n[strlen(n) - 1] == '-')
		n[strlen(n) - 1] = '\0';
	return n;
}

static int
volumes(const struct deploy_target *t, json_t *container, json_t *pod)
{
	json_t *vols = json_array(), *mounts = json_array();
	size_t i;

	for (i = 0; i < t->nwritable; i++) {
		char *n = volume_name('w', i, t->writable[i].path);
		if (n == NULL)
			goto fail;
		json_array_append_new(vols, json_pack("{s:s,s:{s:s,s:o}}", "name", n, "emptyDir",
						      "medium", "Memory", "sizeLimit",
						      quantity(t->writable[i].size)));
		json_array_append_new(mounts, json_pack("{s:s,s:s}", "name", n, "mountPath",
							t->writable[i].path));
		free(n);
	}
	for (i = 0; i < t->nmodels; i++) {
		char *n;
		if (t->models[i].source == NULL)
			continue; /* baked into the image */
		if ((n = volume_name('m', i, t->models[i].path)) == NULL)
			goto fail;
		json_array_append_new(vols, json_pack("{s:s,s:{s:s,s:b}}", "name", n,
						      "persistentVolumeClaim", "claimName",
						      t->models[i].source, "readOnly", 1));
		json_array_append_new(mounts, json_pack("{s:s,s:s,s:b}", "name", n, "mountPath",
							t->models[i].path, "readOnly", 1));
		free(n);
	}
	if (json_array_size(mounts) > 0)
		json_object_set_new(container, "volumeMounts", mounts);
	else
		json_decref(mounts);
	if (json_array_size(vols) > 0)
		json_object_set_new(pod, "volumes", vols);
	else
		json_decref(vols);
	return 0;
fail:
	json_decref(vols);
	json_decref(mounts);
	return -1;
}

/* *metrics_port: ward-init's metrics port when the pod exposes it, else 0. */
static json_t *
deployment(const struct deploy_target *t, const struct deploy_k8s_opts *o, const char *image,
	   uint16_t *metrics_port)
{
	json_t *c, *pod, *tmpl_meta, *ports, *res, *dep;
	uint16_t mport = 0;
	int probes;

	c = json_pack("{s:s,s:s,s:s}", "name", t->name, "image", image, "imagePullPolicy",
		      "IfNotPresent");
	probes = pod_metrics(t, c, &mport);
	*metrics_port = probes ? mport : 0;
	ports = json_array();
	for (size_t i = 0; i < t->nports; i++)
		json_array_append_new(
			ports, json_pack("{s:o,s:i,s:s}", "name", port_name(&t->ports[i]),
					 "containerPort", t->ports[i].port, "protocol",
					 strcmp(t->ports[i].proto, "udp") == 0 ? "UDP" : "TCP"));
	if (probes && !deploy_port_listed(t, mport))
		json_array_append_new(ports, json_pack("{s:s,s:i,s:s}", "name", "metrics",
						       "containerPort", mport, "protocol", "TCP"));
	if (json_array_size(ports) > 0)
		json_object_set_new(c, "ports", ports);
	else
		json_decref(ports);
	json_object_set_new(
		c, "securityContext",
		json_pack("{s:b,s:b,s:b,s:b,s:I,s:I,s:{s:[s]},s:o}", "allowPrivilegeEscalation", 0,
			  "privileged", 0, "readOnlyRootFilesystem", 1, "runAsNonRoot", 1,
			  "runAsUser", (json_int_t)t->uid, "runAsGroup", (json_int_t)t->gid,
			  "capabilities", "drop", "ALL", "seccompProfile", seccomp_profile(o)));
	if ((res = resources(t)) != NULL)
		json_object_set_new(c, "resources", res);
	if (probes) {
		/* ward-init verifies the models before it listens: the startup
		 * probe gives that time, the others then watch the server. */
		int period = 5, n = (o->startup_seconds + period - 1) / period;
		json_object_set_new(c, "startupProbe", probe(mport, period, n < 1 ? 1 : n));
		json_object_set_new(c, "livenessProbe", probe(mport, 10, 3));
		json_object_set_new(c, "readinessProbe", probe(mport, 5, 2));
	}
	pod = json_pack("{s:b,s:b,s:{s:b,s:I,s:I,s:o}}", "automountServiceAccountToken", 0,
			"enableServiceLinks", 0, "securityContext", "runAsNonRoot", 1, "runAsUser",
			(json_int_t)t->uid, "runAsGroup", (json_int_t)t->gid, "seccompProfile",
			seccomp_profile(o));
	json_object_set_new(pod, "containers", json_pack("[o]", c));
	if (volumes(t, c, pod) != 0) {
		json_decref(pod);
		return NULL;
	}
	tmpl_meta = json_pack("{s:o}", "labels", labels(t));
	if (probes) {
		char port[8];
		snprintf(port, sizeof(port), "%u", mport);
		json_object_set_new(tmpl_meta, "annotations",
				    json_pack("{s:s,s:s,s:s}", "prometheus.io/scrape", "true",
					      "prometheus.io/port", port, "prometheus.io/path",
					      "/metrics"));
	}
	dep = json_pack("{s:s,s:s,s:o,s:{s:i,s:{s:{s:s}},s:{s:o,s:o}}}", "apiVersion", "apps/v1",
			"kind", "Deployment", "metadata", metadata(t, t->name, o), "spec",
			"replicas", o->replicas, "selector", "matchLabels",
			"app.kubernetes.io/name", t->name, "template", "metadata", tmpl_meta,
			"spec", pod);
	return dep;
}

static json_t *
service(const struct deploy_target *t, const struct deploy_k8s_opts *o)
{
	json_t *ports = json_array();

	for (size_t i = 0; i < t->nports; i++)
		json_array_append_new(
			ports, json_pack("{s:o,s:i,s:o,s:s}", "name", port_name(&t->ports[i]),
					 "port", t->ports[i].port, "targetPort",
					 port_name(&t->ports[i]), "protocol",
					 strcmp(t->ports[i].proto, "udp") == 0 ? "UDP" : "TCP"));
	return json_pack("{s:s,s:s,s:o,s:{s:s,s:{s:s},s:o}}", "apiVersion", "v1", "kind", "Service",
			 "metadata", metadata(t, t->name, o), "spec", "type", "ClusterIP",
			 "selector", "app.kubernetes.io/name", t->name, "ports", ports);
}

/* Ingress only to the image's declared ports and ward-init's metrics port.
 * The server may open a listener nobody declared: when the policy lets it
 * connect out, its sockets need real ephemeral ports, and listen() without
 * bind() takes one (Landlock sees no bind).  In the pod's network namespace
 * nothing stops that; this keeps other pods from reaching it.  Kubelet
 * probes come from the node, which NetworkPolicy always admits. */
static json_t *
ingress(const struct deploy_target *t, const struct deploy_k8s_opts *o, uint16_t metrics_port)
{
	char *name = ward_asprintf("%s-ingress", t->name);
	json_t *ports = json_array(), *rules = json_array(), *np;

	if (name == NULL) {
		json_decref(ports);
		json_decref(rules);
		return NULL;
	}
	for (size_t i = 0; i < t->nports; i++)
		json_array_append_new(
			ports, json_pack("{s:s,s:i}", "protocol",
					 strcmp(t->ports[i].proto, "udp") == 0 ? "UDP" : "TCP",
					 "port", t->ports[i].port));
	if (metrics_port != 0 && !deploy_port_listed(t, metrics_port))
		json_array_append_new(
			ports, json_pack("{s:s,s:i}", "protocol", "TCP", "port", metrics_port));
	/* No ports at all: no rule, so no ingress. */
	if (json_array_size(ports) > 0)
		json_array_append_new(rules, json_pack("{s:o}", "ports", ports));
	else
		json_decref(ports);
	np = json_pack("{s:s,s:s,s:o,s:{s:{s:{s:s}},s:[s],s:o}}", "apiVersion",
		       "networking.k8s.io/v1", "kind", "NetworkPolicy", "metadata",
		       metadata(t, name, o), "spec", "podSelector", "matchLabels",
		       "app.kubernetes.io/name", t->name, "policyTypes", "Ingress", "ingress",
		       rules);
	free(name);
	return np;
}

/* No egress rules under policyTypes Egress: the pod may connect nowhere. */
static json_t *
deny_egress(const struct deploy_target *t, const struct deploy_k8s_opts *o)
{
	char *name = ward_asprintf("%s-deny-egress", t->name);
	json_t *np;

	if (name == NULL)
		return NULL;
	np = json_pack("{s:s,s:s,s:o,s:{s:{s:{s:s}},s:[s],s:[]}}", "apiVersion",
		       "networking.k8s.io/v1", "kind", "NetworkPolicy", "metadata",
		       metadata(t, name, o), "spec", "podSelector", "matchLabels",
		       "app.kubernetes.io/name", t->name, "policyTypes", "Egress", "egress");
	free(name);
	return np;
}

json_t *
deploy_k8s(const struct deploy_target *t, const struct deploy_k8s_opts *o)
{
	json_t *docs, *d;
	char *image;
	uint16_t mport = 0;

	if (deploy_check(t) != 0)
		return NULL;
	if (t->repository == NULL) {
		ward_err(WARD_EINPUT,
			 "%s: Kubernetes pulls from a registry: give the repository "
			 "with --ref REGISTRY/REPOSITORY",
			 t->image_path);
		return NULL;
	}
	if (t->manifest_digest[0] == '\0') {
		ward_err(WARD_EINPUT,
			 "%s: a docker-archive has no manifest digest: give the pushed image's "
			 "with --digest sha256:...",
			 t->image_path);
		return NULL;
	}
	if (o->replicas < 1) {
		ward_err(WARD_EINPUT, "--replicas %d: expected at least 1", o->replicas);
		return NULL;
	}
	if ((image = deploy_image_ref(t)) == NULL)
		return NULL;
	docs = json_array();
	if ((d = deployment(t, o, image, &mport)) == NULL)
		goto fail;
	json_array_append_new(docs, d);
	if (t->nports > 0)
		json_array_append_new(docs, service(t, o));
	if (!o->any_ingress) {
		if ((d = ingress(t, o, mport)) == NULL)
			goto fail;
		json_array_append_new(docs, d);
	} else {
		ward_warn("%s: --any-ingress: no NetworkPolicy limits ingress to the image's ports "
			  "(a listener the server opens on another port is reachable from other "
			  "pods)",
			  t->image_path);
	}
	if (o->deny_egress) {
		if ((d = deny_egress(t, o)) == NULL)
			goto fail;
		json_array_append_new(docs, d);
	}
	if (o->public_key_pem != NULL) {
		json_t *pol = deploy_admission_policies(t, o->public_key_pem);
		if (pol == NULL)
			goto fail;
		json_array_extend(docs, pol);
		json_decref(pol);
	}
	free(image);
	return docs;
fail:
	free(image);
	json_decref(docs);
	return NULL;
}
