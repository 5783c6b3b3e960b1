/* runhost.c: what the running container shares with the host — podman's
 * record of the container (privileged, mounts, devices, published ports,
 * limits) and the kernel's (the server's namespaces against ours): CIS
 * Docker Benchmark v1.6 §5 and Pod Security's host fields. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime_internal.h"

/* Host paths a container must not see (CIS 5.6, 5.32). */
static int
sensitive_source(const char *src)
{
	static const char *const exact[] = {
		"/",	 "/etc", "/proc",  "/sys", "/dev", "/boot",    "/root",	   "/usr", "/bin",
		"/sbin", "/lib", "/lib64", "/var", "/run", "/var/run", "/var/lib", NULL};
	static const char *const sockets[] = {"docker.sock", "podman.sock", "containerd.sock",
					      "crio.sock", NULL};
	const char *b = strrchr(src, '/');

	for (size_t i = 0; exact[i]; i++)
		if (strcmp(src, exact[i]) == 0)
			return 1;
	for (size_t i = 0; sockets[i]; i++)
		if (b && strcmp(b + 1, sockets[i]) == 0)
			return 1;
	return strncmp(src, "/proc/", 6) == 0 || strncmp(src, "/sys/", 5) == 0 ||
	       strncmp(src, "/etc/", 5) == 0 || strncmp(src, "/boot/", 6) == 0;
}

static void
namespace_check(struct check_matrix *m, const json_t *hc, int spid)
{
	static const char *const ns[] = {"net", "pid", "ipc", "uts"};
	static const char *const modes[] = {"NetworkMode", "PidMode", "IpcMode", "UTSMode"};
	struct ward_buf b = {0};
	int shared = 0, kernel = 0;

	for (int i = 0; i < 4; i++) {
		char p1[64], p2[64], l1[64] = "", l2[64] = "";
		const char *mode = json_string_value(json_object_get(hc, modes[i]));
		snprintf(p1, sizeof(p1), "/proc/%d/ns/%s", spid, ns[i]);
		snprintf(p2, sizeof(p2), "/proc/self/ns/%s", ns[i]);
		ssize_t n1 = spid > 0 ? readlink(p1, l1, sizeof(l1) - 1) : -1;
		ssize_t n2 = readlink(p2, l2, sizeof(l2) - 1);
		int same;
		if (n1 > 0 && n2 > 0) {
			kernel++;
			same = strcmp(l1, l2) == 0;
		} else {
			same = mode != NULL && strcmp(mode, "host") == 0;
		}
		shared += same;
		ward_buf_printf(&b, "%s%s %s", i ? ", " : "", ns[i],
				same ? "SHARED with the host" : "own");
	}
	check_set(m, "security.run-no-host-namespaces", shared ? CHECK_FAIL : CHECK_PASS, "%s (%s)",
		  (char *)b.data,
		  kernel == 4 ? "the kernel's view, /proc/PID/ns" : "podman inspect");
	ward_buf_free(&b);
}

void
check_runtime_host(struct rt *r, const char *name, int spid)
{
	struct check_matrix *m = r->m;
	struct check_proc p = {0};
	json_t *doc = NULL, *c, *hc, *x;
	struct ward_buf b = {0};
	size_t i, n = 0;

	if (rt_engine(r, 30000, &p, "inspect", name, NULL) != 0 || p.status != 0 ||
	    (doc = ward_json_loadb(p.out.data, p.out.len, "podman inspect")) == NULL ||
	    !json_is_object(c = json_array_get(doc, 0)) ||
	    !json_is_object(hc = json_object_get(c, "HostConfig"))) {
		check_proc_free(&p);
		json_decref(doc);
		ward_err_clear();
		check_skip_rest(m, "security.run-not-privileged",
				"podman inspect gave no HostConfig");
		check_skip_rest(m, "security.run-no-host", "podman inspect gave no HostConfig");
		check_skip_rest(m, "security.run-no-sensitive-mounts", "podman inspect failed");
		check_skip_rest(m, "security.run-ports-loopback", "podman inspect failed");
		check_skip_rest(m, "security.run-pids-limit", "podman inspect failed");
		check_skip_rest(m, "security.run-memory-limit", "podman inspect failed");
		return;
	}
	check_proc_free(&p);
	check_set(m, "security.run-not-privileged",
		  json_is_true(json_object_get(hc, "Privileged")) ? CHECK_FAIL : CHECK_PASS,
		  "HostConfig.Privileged %s",
		  json_is_true(json_object_get(hc, "Privileged")) ? "true" : "false");
	namespace_check(m, hc, spid);
	/* mounts: no host system directory or runtime socket; read-only */
	json_array_foreach(json_object_get(c, "Mounts"), i, x)
	{
		const char *type = json_string_value(json_object_get(x, "Type"));
		const char *src = json_string_value(json_object_get(x, "Source"));
		const char *dst = json_string_value(json_object_get(x, "Destination"));
		int rw = json_is_true(json_object_get(x, "RW"));
		if (type == NULL || strcmp(type, "bind") != 0 || src == NULL)
			continue;
		if (sensitive_source(src) || rw)
			ward_buf_printf(&b, "%s%s -> %s%s", n++ ? ", " : "", src, dst ? dst : "?",
					rw ? " (read-write)" : "");
	}
	check_set(m, "security.run-no-sensitive-mounts", n ? CHECK_FAIL : CHECK_PASS, "%s%s",
		  n ? "" : "bind mounts read-only, none of a host system path or socket",
		  n ? (char *)b.data : "");
	ward_buf_free(&b);
	n = json_array_size(json_object_get(hc, "Devices"));
	check_set(m, "security.run-no-host-devices", n ? CHECK_WARN : CHECK_PASS,
		  "%zu host device(s) passed in%s", n, n ? " (GPU servers need theirs)" : "");
	/* published ports: on one host address each (the run line uses 127.0.0.1) */
	{
		const char *key;
		json_t *bindings;
		size_t any = 0, total = 0;
		json_object_foreach(json_object_get(json_object_get(c, "NetworkSettings"), "Ports"),
				    key, bindings)
		{
			size_t k;
			json_t *bd;
			json_array_foreach(bindings, k, bd)
			{
				const char *ip = json_string_value(json_object_get(bd, "HostIp"));
				total++;
				if (ip == NULL || *ip == '\0' || strcmp(ip, "0.0.0.0") == 0 ||
				    strcmp(ip, "::") == 0) {
					any++;
					ward_buf_printf(&b, "%s%s on every address",
							b.len ? ", " : "", key);
				} else
					ward_buf_printf(&b, "%s%s on %s", b.len ? ", " : "", key,
							ip);
			}
		}
		check_set(m, "security.run-ports-loopback",
			  total == 0 ? CHECK_SKIP
			  : any	     ? CHECK_WARN
				     : CHECK_PASS,
			  "%s", total ? (char *)b.data : "no published ports");
		ward_buf_free(&b);
	}
	{
		json_int_t pids = json_integer_value(json_object_get(hc, "PidsLimit"));
		json_int_t mem = json_integer_value(json_object_get(hc, "Memory"));
		check_set(m, "security.run-pids-limit", pids > 0 ? CHECK_PASS : CHECK_WARN,
			  pids > 0 ? "HostConfig.PidsLimit %lld" : "no PIDs limit (%lld)",
			  (long long)pids);
		check_set(m, "security.run-memory-limit", mem > 0 ? CHECK_PASS : CHECK_WARN,
			  mem > 0 ? "HostConfig.Memory %lld bytes"
				  : "no memory limit (%lld): set one for the deployment",
			  (long long)mem);
	}
	json_decref(doc);
}
