/* runtime.c: the checks on the running image — podman with the hardened
 * run line lib/deploy writes, then HTTP, /metrics, /proc and podman's own
 * view; an exec/write probe; a tampered model that must stop the start. */
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

/* The probe: run as the server of a Python image under ward-init, it
 * tries what an attacker with code execution would, and reports each
 * attempt as "WARDPROBE <name> <blocked|open|skipped> <errno>".  It needs
 * only built-in modules (os, sys, errno, time): python3-minimal has no
 * json.  Then it waits, so /metrics can be read. */
const char check_probe_py[] =
	"import os, sys, errno, time\n"
	"def out(n, r, e):\n"
	"    sys.stdout.write('WARDPROBE %s %s %s\\n' % (n, r, e)); sys.stdout.flush()\n"
	"def en(e):\n"
	"    return errno.errorcode.get(e, str(e)) if e else '-'\n"
	"def try_exec(n, path, args, ok=(errno.EPERM, errno.EACCES)):\n"
	"    pid = os.fork()\n"
	"    if pid == 0:\n"
	"        try:\n"
	"            os.execv(path, args)\n"
	"        except OSError as e:\n"
	"            os._exit(100 + e.errno % 100)\n"
	"        os._exit(99)\n"
	"    st = os.waitpid(pid, 0)[1]\n"
	"    c = os.WEXITSTATUS(st) if os.WIFEXITED(st) else -1\n"
	"    out(n, 'blocked' if c >= 100 and c - 100 in ok else 'open', en(c - 100) if c >= 100 "
	"else 'status-%d' % c)\n"
	"def try_write(n, path):\n"
	"    try:\n"
	"        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)\n"
	"        os.close(fd); os.unlink(path); out(n, 'open', '-')\n"
	"    except OSError as e:\n"
	"        out(n, 'blocked' if e.errno in (errno.EROFS, errno.EACCES, errno.EPERM) else "
	"'open', en(e.errno))\n"
	"try_exec('exec-shell', '/bin/sh', ['sh', '-c', 'true'], (errno.EPERM, errno.EACCES, "
	"errno.ENOENT))\n"
	"st = os.system('/bin/sh -c true')\n"
	"out('system-shell', 'blocked' if st != 0 else 'open', 'status-%d' % st)\n"
	"try_exec('exec-interpreter', sys.executable, [sys.executable, '-c', 'pass'])\n"
	"try_write('write-root', '/ward-probe')\n"
	"for i, m in enumerate(sys.argv[1:]):\n"
	"    try_write('write-model-%d' % i, m + '/ward-probe')\n"
	"try:\n"
	"    import ctypes\n"
	"    libc = ctypes.CDLL(None, use_errno=True)\n"
	"    r = libc.ptrace(0, 0, 0, 0); out('ptrace', 'blocked' if r != 0 else 'open', "
	"en(ctypes.get_errno()))\n"
	"    r = libc.mount(b'none', b'/tmp', b'tmpfs', 0, None); out('mount', 'blocked' if r != 0 "
	"else 'open', en(ctypes.get_errno()))\n"
	"except ImportError:\n"
	"    out('ptrace', 'skipped', 'no-ctypes'); out('mount', 'skipped', 'no-ctypes')\n"
	"out('done', 'blocked', '-')\n"
	"time.sleep(600)\n";

static const char *const runtime_ids[] = {
	"function.container-starts",
	"function.model-verified-at-start",
	"function.health-endpoint",
	"function.ports-listen",
	"function.init-healthz",
	"function.metrics-endpoint",
	"function.request-answered",
	"function.logs-json",
	"function.tampered-model-refused",
	"function.graceful-stop",
	"performance.startup-time",
	"performance.first-response",
	"performance.request-latency",
	"performance.model-verify-time",
	"performance.server-memory",
	"security.run-non-root",
	"security.run-no-capabilities",
	"security.run-no-new-privs",
	"security.run-seccomp",
	"security.run-read-only-root",
	"security.run-not-privileged",
	"security.run-no-host-namespaces",
	"security.run-no-sensitive-mounts",
	"security.run-no-host-devices",
	"security.run-ports-loopback",
	"security.run-pids-limit",
	"security.run-memory-limit",
	"security.run-hardening",
	"security.run-non-dumpable",
	"security.exec-blocked",
	"security.exec-counted",
	"security.syscalls-denied",
	"security.writes-blocked",
	"security.podman-exec-shell",
	"security.guard-run-unauthenticated-refused",
	"security.guard-run-unlisted-route-refused",
	"security.guard-run-body-cap",
	"security.guard-run-rate-limit",
};

static void
skip_runtime(struct check_matrix *m, const char *why)
{
	for (size_t i = 0; i < sizeof(runtime_ids) / sizeof(*runtime_ids); i++)
		check_skip_rest(m, runtime_ids[i], why);
}

static void
process_checks(struct rt *r, int spid)
{
	struct check_matrix *m = r->m;
	char uid[96] = "", eff[32] = "", prm[32] = "", bnd[32] = "", nnp[8] = "", sec[8] = "";

	if (spid <= 0 || rt_proc_status(spid, "Uid", uid, sizeof(uid)) != 0) {
		check_skip_rest(m, "security.run-n", "the server process could not be found");
		check_skip_rest(m, "security.run-seccomp", "the server process could not be found");
		return;
	}
	rt_proc_status(spid, "CapEff", eff, sizeof(eff));
	rt_proc_status(spid, "CapPrm", prm, sizeof(prm));
	rt_proc_status(spid, "CapBnd", bnd, sizeof(bnd));
	rt_proc_status(spid, "NoNewPrivs", nnp, sizeof(nnp));
	rt_proc_status(spid, "Seccomp", sec, sizeof(sec));
	check_set(m, "security.run-non-root",
		  strtoul(uid, NULL, 10) != 0 && strstr(uid, "\t0") == NULL ? CHECK_PASS
									    : CHECK_FAIL,
		  "server pid %d: Uid %s", spid, uid);
	check_set(m, "security.run-no-capabilities",
		  strtoull(eff, NULL, 16) == 0 && strtoull(prm, NULL, 16) == 0 &&
				  strtoull(bnd, NULL, 16) == 0
			  ? CHECK_PASS
			  : CHECK_FAIL,
		  "CapEff %s, CapPrm %s, CapBnd %s", eff, prm, bnd);
	check_set(m, "security.run-no-new-privs", strcmp(nnp, "1") == 0 ? CHECK_PASS : CHECK_FAIL,
		  "NoNewPrivs %s", nnp);
	check_set(m, "security.run-seccomp", strcmp(sec, "2") == 0 ? CHECK_PASS : CHECK_FAIL,
		  "Seccomp %s (2 = filter)", sec);
}

static double
feature(const struct check_samples *s, const char *name, size_t *found)
{
	char lab[64];

	snprintf(lab, sizeof(lab), "feature=\"%s\"", name);
	return check_metric_sum(s, "ward_hardening_enabled", lab, found);
}

static void
metrics_checks(struct rt *r, const struct check_samples *s)
{
	struct check_matrix *m = r->m;
	static const char *const need[] = {"landlock", "seccomp", "no_new_privs",
					   "capabilities_dropped"};
	struct ward_buf b = {0};
	size_t found, off = 0;
	double v;

	v = check_metric_sum(s, "ward_server_up", NULL, &found);
	check_set(m, "function.metrics-endpoint", found && v == 1 ? CHECK_PASS : CHECK_FAIL,
		  "%zu samples in %zu families; ward_server_up %g", s->n, s->families, v);
	v = feature(s, "read_only_root", &found);
	check_set(m, "security.run-read-only-root", found && v == 1 ? CHECK_PASS : CHECK_FAIL,
		  "ward_hardening_enabled{feature=\"read_only_root\"} %g", v);
	for (size_t i = 0; i < sizeof(need) / sizeof(*need); i++) {
		v = feature(s, need[i], &found);
		ward_buf_printf(&b, "%s%s=%g", i ? ", " : "", need[i], found ? v : -1);
		off += !(found && v == 1);
	}
	check_set(m, "security.run-hardening", off ? CHECK_FAIL : CHECK_PASS, "%s",
		  check_text(m, &b));
	ward_buf_free(&b);
	v = feature(s, "non_dumpable", &found);
	check_set(m, "security.run-non-dumpable", found && v == 1 ? CHECK_PASS : CHECK_WARN,
		  "ward_hardening_enabled{feature=\"non_dumpable\"} %g", v);
	v = check_metric_sum(s, "ward_model_verify_seconds", NULL, &found);
	if (found) {
		check_set(m, "performance.model-verify-time", CHECK_PASS,
			  "%.1f ms for %zu model(s)", v * 1000, found);
		check_value(m, "performance.model-verify-time", v * 1000, "ms");
	} else
		check_set(m, "performance.model-verify-time", CHECK_SKIP, "no models verified");
	v = check_metric_sum(s, "ward_server_resident_memory_bytes", NULL, &found);
	if (found) {
		check_set(m, "performance.server-memory", CHECK_PASS, "%.1f MB resident", v / 1e6);
		check_value(m, "performance.server-memory", v, "bytes");
	}
}

/* Evaluate probe results (from the probe container or --exec-probe). */
static void
probe_checks(struct rt *r, const json_t *res, const struct check_samples *s, const char *log)
{
	struct check_matrix *m = r->m;
	struct ward_buf ex = {0}, wr = {0}, sc = {0};
	size_t execs = 0, exec_ok = 0, writes = 0, writes_ok = 0, sys = 0, sys_ok = 0, sys_skip = 0;
	size_t i, found = 0;
	json_t *o;
	double denied;

	json_array_foreach(res, i, o)
	{
		const char *n = json_string_value(json_object_get(o, "name"));
		const char *rs = json_string_value(json_object_get(o, "result"));
		const char *e = json_string_value(json_object_get(o, "errno"));
		struct ward_buf *b = NULL;
		if (ward_str_startswith(n, "exec-") || ward_str_startswith(n, "system-")) {
			execs++;
			exec_ok += strcmp(rs, "blocked") == 0;
			b = &ex;
		} else if (ward_str_startswith(n, "write-")) {
			writes++;
			writes_ok += strcmp(rs, "blocked") == 0;
			b = &wr;
		} else if (strcmp(n, "ptrace") == 0 || strcmp(n, "mount") == 0) {
			sys++;
			sys_ok += strcmp(rs, "blocked") == 0;
			sys_skip += strcmp(rs, "skipped") == 0;
			b = &sc;
		}
		if (b)
			ward_buf_printf(b, "%s%s %s (%s)", b->len ? ", " : "", n, rs, e);
	}
	check_set(m, "security.exec-blocked", execs && exec_ok == execs ? CHECK_PASS : CHECK_FAIL,
		  "%s", execs ? check_text(m, &ex) : "the probe made no exec attempt");
	check_set(m, "security.writes-blocked",
		  writes && writes_ok == writes ? CHECK_PASS : CHECK_FAIL, "%s",
		  writes ? check_text(m, &wr) : "the probe made no write attempt");
	if (sys == 0 || sys_skip == sys)
		check_set(m, "security.syscalls-denied", CHECK_SKIP,
			  "the probe could not call ptrace/mount (no ctypes in the image)");
	else
		check_set(m, "security.syscalls-denied", sys_ok == sys ? CHECK_PASS : CHECK_FAIL,
			  "%s%s", check_text(m, &sc),
			  check_metric_sum(s, "ward_seccomp_denied_total", "syscall=\"ptrace\"",
					   NULL) >= 1
				  ? "; counted in ward_seccomp_denied_total"
				  : "");
	denied = s ? check_metric_sum(s, "ward_exec_attempts_total", "result=\"denied\"", &found)
		   : 0;
	if (s == NULL)
		check_set(m, "security.exec-counted", CHECK_SKIP, "no /metrics to read");
	else {
		struct ward_buf lab = {0};
		for (size_t k = 0; k < s->n; k++)
			if (strcmp(s->v[k].name, "ward_exec_attempts_total") == 0 &&
			    strstr(s->v[k].labels, "result=\"denied\""))
				ward_buf_printf(&lab, "%s{%s} %g", lab.len ? ", " : "",
						s->v[k].labels, s->v[k].value);
		check_set(m, "security.exec-counted",
			  denied >= (double)execs && execs > 0 && log &&
					  strstr(log, "\"event\":\"exec_denied\"")
				  ? CHECK_PASS
				  : CHECK_FAIL,
			  "%zu attempts; /metrics: %s; exec_denied %slogged", execs,
			  lab.len ? check_text(m, &lab) : "no denied exec counted",
			  log && strstr(log, "\"event\":\"exec_denied\"") ? "" : "NOT ");
		ward_buf_free(&lab);
	}
	ward_buf_free(&ex);
	ward_buf_free(&wr);
	ward_buf_free(&sc);
}

/* Wait for the probe's "done" line in the container's output. */
static int
wait_probe(struct rt *r, const char *name, struct check_proc *logs)
{
	for (int i = 0; i < 600; i++) {
		memset(logs, 0, sizeof(*logs));
		if (rt_container_logs(r, name, logs) == 0 && logs->out.data &&
		    strstr((char *)logs->out.data, "WARDPROBE done"))
			return 0;
		check_proc_free(logs);
		if (i > 20 && !rt_container_running(r, name))
			break;
		usleep(100000);
	}
	memset(logs, 0, sizeof(*logs));
	rt_container_logs(r, name, logs);
	return -1;
}

static const char *
python_interpreter(const struct check_facts *f, const struct audit_report *a)
{
	const char *prog = NULL, *base;

	(void)f;
	for (size_t i = 0; i + 1 < a->entrypoint.n; i++)
		if (strcmp(a->entrypoint.v[i], "--") == 0) {
			prog = a->entrypoint.v[i + 1];
			break;
		}
	if (prog == NULL)
		return NULL;
	base = strrchr(prog, '/');
	base = base ? base + 1 : prog;
	return ward_str_startswith(base, "python") ? prog : NULL;
}

/* The hardened container of the image itself. */
static void
run_main(struct rt *r, int *probe_done)
{
	struct check_matrix *m = r->m;
	const struct check_opts *o = r->o;
	struct ward_strv argv = {0};
	struct check_proc p = {0}, logs = {0};
	struct check_samples s = {0};
	struct check_http h = {0};
	char *name = NULL, *why = NULL, *cmdline = NULL, url[512];
	const char *health = o->health_path ? o->health_path : "/healthz";
	int pid = 0, spid, rc, healthy = 0,
	    timeout_s = o->startup_timeout_s > 0 ? o->startup_timeout_s : 300;
	uint64_t t0;
	double startup = 0;
	/* Behind the endpoint guard the image's port is the guard's: it
	 * refuses routes it does not list, and wants a key for most.  When it
	 * refuses the default health path (no --health), ward-init's /healthz
	 * says whether the container is up. */
	const json_t *gd = r->f->policy ? json_object_get(r->f->policy, "guard") : NULL;
	int guarded = gd != NULL && !json_is_null(gd), via_server = 0;

	if (rt_run_argv(r, "main", 1, NULL, &argv, &name) != 0) {
		check_set(m, "function.container-starts", CHECK_FAIL, "%s", ward_errmsg());
		ward_err_clear();
		goto out;
	}
	cmdline = deploy_shell_join(&argv);
	t0 = ward_now_ns();
	if (check_run(&argv, PODMAN_TIMEOUT_MS, &p) != 0 || p.status != 0) {
		char *l = rt_last_line(&p.err);
		check_set(m, "function.container-starts", CHECK_FAIL, "%s: %s", cmdline,
			  l && *l ? l : ward_errmsg());
		free(l);
		ward_err_clear();
		goto out;
	}
	pid = rt_container_pid(r, name);
	via_server = r->server_host_port != 0;
	/* healthy: the server's health endpoint, else ward-init's /healthz */
	while (!healthy && ward_now_ns() - t0 < (uint64_t)timeout_s * 1000000000ull) {
		check_http_free(&h);
		if (via_server) {
			snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", r->server_host_port,
				 health);
			check_http_request(url, NULL, 0, 0, 2000, &h);
			if (guarded && o->health_path == NULL && (h.code == 401 || h.code == 403))
				via_server = 0; /* the guard refused it: ask ward-init */
		} else
			rt_init_healthz(r, pid, &h);
		if (h.code == 200) {
			healthy = 1;
			break;
		}
		if (!rt_container_running(r, name))
			break;
		usleep(100000);
	}
	startup = (double)(ward_now_ns() - t0) / 1e6;
	rt_container_logs(r, name, &logs);
	if (!healthy) {
		char *l = rt_last_line(&logs.err);
		check_set(m, "function.container-starts",
			  rt_container_running(r, name) ? CHECK_PASS : CHECK_FAIL, "%s", cmdline);
		check_set(m, "function.health-endpoint", CHECK_FAIL,
			  "no 200 from %s within %d s: %s", via_server ? health : "/healthz",
			  timeout_s, l ? l : "");
		free(l);
		goto out;
	}
	check_set(m, "function.container-starts", CHECK_PASS, "%s", cmdline);
	check_set(m, "performance.startup-time",
		  o->startup_max_ms > 0 && startup > o->startup_max_ms ? CHECK_FAIL : CHECK_PASS,
		  "healthy %.0f ms after podman run%s", startup,
		  o->startup_max_ms > 0 ? " (threshold given)" : "");
	check_value(m, "performance.startup-time", startup, "ms");
	if (via_server)
		check_set(m, "function.health-endpoint", CHECK_PASS, "GET %s: 200", health);
	else if (r->server_host_port)
		check_set(m, "function.health-endpoint", CHECK_SKIP,
			  "the endpoint guard refused GET %s (no --health naming a route it serves "
			  "without a key): ward-init's /healthz was asked",
			  health);
	else
		check_set(m, "function.health-endpoint", CHECK_SKIP, "the image declares no port");
	{
		size_t want = json_array_size(json_object_get(r->f->policy, "models")), got = 0;
		const char *p2 = logs.err.data ? (char *)logs.err.data : "";
		while ((p2 = strstr(p2, "\"event\":\"model_verified\"")) != NULL) {
			got++;
			p2++;
		}
		check_set(m, "function.model-verified-at-start",
			  got >= want ? CHECK_PASS : CHECK_FAIL,
			  "%zu model_verified event(s) for %zu model(s) before server_started", got,
			  want);
	}
	{
		struct ward_buf b = {0};
		size_t bad = 0;
		for (size_t i = 0; i < r->t.nports; i++) {
			int ok = check_tcp_connect("127.0.0.1", r->t.ports[i].host_port, 3000) == 0;
			bad += !ok;
			ward_buf_printf(&b, "%s%u/%s -> 127.0.0.1:%u %s", i ? ", " : "",
					r->t.ports[i].port, r->t.ports[i].proto,
					r->t.ports[i].host_port, ok ? "accepts" : "REFUSES");
		}
		check_set(m, "function.ports-listen",
			  bad		? CHECK_FAIL
			  : r->t.nports ? CHECK_PASS
					: CHECK_SKIP,
			  "%s", b.len ? check_text(m, &b) : "no ports declared");
		ward_buf_free(&b);
	}
	check_http_free(&h);
	if (r->t.metrics && r->t.metrics_loopback && geteuid() != 0)
		check_set(m, "function.init-healthz", CHECK_SKIP,
			  "bound to the container's loopback: reading it needs root");
	else if (rt_init_healthz(r, pid, &h) == 0 && h.code == 200)
		check_set(m, "function.init-healthz", CHECK_PASS, "200 %.*s",
			  (int)strcspn((char *)h.body.data, "\r\n"), (char *)h.body.data);
	else
		check_set(m, "function.init-healthz", r->t.metrics ? CHECK_FAIL : CHECK_SKIP, "%s",
			  r->t.metrics ? (h.code ? "not 200" : h.error)
				       : "metrics off in the policy");
	/* first response and latency */
	if (r->server_host_port && !via_server && o->request_path == NULL) {
		static const char *const ids[] = {"function.request-answered",
						  "performance.first-response",
						  "performance.request-latency"};
		for (size_t i = 0; i < 3; i++)
			check_set(m, ids[i], CHECK_SKIP,
				  "behind the endpoint guard: give --request (or --health) with a "
				  "route it serves without a key");
	} else if (r->server_host_port) {
		struct ward_buf body = {0};
		const char *path = o->request_path ? o->request_path : health;
		double lat[20];
		int ok = 1;
		if (o->request_body && ward_file_read(o->request_body, 16u << 20, &body) != 0) {
			check_set(m, "function.request-answered", CHECK_FAIL, "%s", ward_errmsg());
			ward_err_clear();
			ok = 0;
		}
		snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", r->server_host_port, path);
		for (int i = 0; ok && i < 20; i++) {
			check_http_free(&h);
			if (check_http_request(url, body.data, body.len, 0, 30000, &h) != 0 ||
			    h.code < 200 || h.code > 299) {
				check_set(m, "function.request-answered", CHECK_FAIL, "%s %s: %s",
					  o->request_body ? "POST" : "GET", path,
					  h.code ? "not 2xx" : h.error);
				ok = 0;
				break;
			}
			lat[i] = h.ms;
			if (i == 0) {
				check_set(m, "performance.first-response",
					  o->latency_max_ms > 0 && h.ms > o->latency_max_ms
						  ? CHECK_FAIL
						  : CHECK_PASS,
					  "%s %s: %ld in %.1f ms", o->request_body ? "POST" : "GET",
					  path, h.code, h.ms);
				check_value(m, "performance.first-response", h.ms, "ms");
			}
		}
		if (ok) {
			for (int i = 1; i < 20; i++)
				for (int k = i; k > 0 && lat[k] < lat[k - 1]; k--) {
					double t = lat[k];
					lat[k] = lat[k - 1];
					lat[k - 1] = t;
				}
			if (o->request_path || o->request_body)
				check_set(m, "function.request-answered", CHECK_PASS,
					  "%s %s: %ld, %zu bytes", o->request_body ? "POST" : "GET",
					  path, h.code, h.body.len);
			else
				check_set(m, "function.request-answered", CHECK_SKIP,
					  "no request configured (--request); the health path was "
					  "used for "
					  "latency");
			check_set(m, "performance.request-latency", CHECK_PASS,
				  "median %.2f ms, max %.2f ms", (lat[9] + lat[10]) / 2, lat[19]);
			check_value(m, "performance.request-latency", (lat[9] + lat[10]) / 2, "ms");
		}
		ward_buf_free(&body);
	}
	/* the endpoint guard, through its published port */
	check_guard_runtime(r);
	/* an exec probe request on the server itself */
	if (o->exec_probe && r->server_host_port) {
		json_t *res = NULL;
		check_http_free(&h);
		snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", r->server_host_port,
			 o->exec_probe);
		if (check_http_request(url, NULL, 0, 0, 30000, &h) == 0 &&
		    check_probe_parse((char *)h.body.data, h.body.len, &res) == 0 &&
		    json_array_size(res) > 0) {
			struct check_proc l2 = {0};
			struct check_samples s2 = {0};
			rt_container_logs(r, name, &l2);
			if (rt_fetch_metrics(r, pid, &s2, &why, NULL) != 0) {
				probe_checks(r, res, NULL, NULL);
				free(why);
				why = NULL;
			} else
				probe_checks(r, res, &s2, (char *)l2.err.data);
			check_samples_free(&s2);
			check_proc_free(&l2);
			*probe_done = 1;
		} else {
			check_set(m, "security.exec-blocked", CHECK_FAIL, "GET %s: %s",
				  o->exec_probe,
				  h.code ? "no WARDPROBE lines in the answer" : h.error);
			ward_err_clear();
		}
		json_decref(res);
	}
	spid = rt_child_of(pid);
	process_checks(r, spid);
	check_runtime_host(r, name, spid);
	if ((rc = rt_fetch_metrics(r, pid, &s, &why, o->metrics_out)) == 0)
		metrics_checks(r, &s);
	else {
		check_set(m, "function.metrics-endpoint",
			  r->t.metrics && rc == -1 ? CHECK_FAIL : CHECK_SKIP, "%s", why);
		check_skip_rest(m, "security.run-", why);
	}
	{
		struct check_proc e = {0};
		if (rt_engine(r, 60000, &e, "exec", name, "/bin/sh", "-c", "true", NULL) == 0) {
			char *l = rt_last_line(&e.err);
			check_set(m, "security.podman-exec-shell",
				  e.status != 0 ? CHECK_PASS : CHECK_FAIL,
				  "podman exec %s /bin/sh: exit %d%s%s", name, e.status,
				  l && *l ? ": " : "", l ? l : "");
			free(l);
		}
		check_proc_free(&e);
	}
	/* every ward-init line is JSON */
	{
		check_proc_free(&logs);
		memset(&logs, 0, sizeof(logs));
		rt_container_logs(r, name, &logs);
		size_t lines = 0, bad = 0;
		char *save = NULL, *txt = logs.err.data ? ward_strdup((char *)logs.err.data) : NULL;
		for (char *l = txt ? strtok_r(txt, "\n", &save) : NULL; l;
		     l = strtok_r(NULL, "\n", &save)) {
			json_t *j;
			if (!ward_str_startswith(l, "{\"ts\":"))
				continue;
			lines++;
			if ((j = ward_json_loadb(l, strlen(l), "log")) == NULL)
				bad++;
			json_decref(j);
			ward_err_clear();
		}
		free(txt);
		check_set(m, "function.logs-json", lines && !bad ? CHECK_PASS : CHECK_FAIL,
			  "%zu ward-init log lines, %zu not JSON", lines, bad);
	}
	{
		struct check_proc st = {0}, ec = {0};
		if (rt_engine(r, 60000, &st, "stop", "-t", "10", name, NULL) == 0 &&
		    rt_engine(r, 30000, &ec, "inspect", "-f", "{{.State.ExitCode}}", name, NULL) ==
			    0) {
			int code = ec.out.data ? atoi((char *)ec.out.data) : -1;
			check_set(m, "function.graceful-stop",
				  code == 143 ? CHECK_PASS : CHECK_WARN,
				  "podman stop -t 10: exit status %d after %.0f ms", code, st.ms);
		}
		check_proc_free(&st);
		check_proc_free(&ec);
	}
out:
	check_samples_free(&s);
	check_http_free(&h);
	check_proc_free(&p);
	check_proc_free(&logs);
	ward_strv_free(&argv);
	free(cmdline);
	free(name);
	free(why);
}

/* A Python image: the probe as the server, under the image's ward-init. */
static void
run_probe(struct rt *r)
{
	struct check_matrix *m = r->m;
	const char *interp = python_interpreter(r->f, &m->audit);
	struct ward_strv argv = {0}, cmd = {0};
	struct check_proc p = {0}, logs = {0};
	struct check_samples s = {0};
	json_t *res = NULL, *models = json_object_get(r->f->policy, "models"), *mo;
	char *name = NULL, *why = NULL;
	size_t i;

	if (interp == NULL) {
		check_skip_rest(m, "security.exec-", "not a Python server: give --exec-probe PATH");
		check_skip_rest(m, "security.syscalls-denied", "not a Python server");
		check_skip_rest(m, "security.writes-blocked", "not a Python server");
		return;
	}
	if (ward_strv_push(&cmd, interp) != 0 || ward_strv_push(&cmd, "-c") != 0 ||
	    ward_strv_push(&cmd, check_probe_py) != 0)
		goto out;
	json_array_foreach(models, i, mo) if (json_is_string(json_object_get(mo, "path")))
		ward_strv_push(&cmd, json_string_value(json_object_get(mo, "path")));
	if (rt_run_argv(r, "probe", 1, &cmd, &argv, &name) != 0 ||
	    check_run(&argv, PODMAN_TIMEOUT_MS, &p) != 0 || p.status != 0) {
		char *l = rt_last_line(&p.err);
		check_set(m, "security.exec-blocked", CHECK_FAIL, "probe container: %s",
			  l && *l ? l : ward_errmsg());
		free(l);
		goto out;
	}
	if (wait_probe(r, name, &logs) != 0 ||
	    check_probe_parse((char *)logs.out.data, logs.out.len, &res) != 0) {
		char *l = rt_last_line(&logs.err);
		check_set(m, "security.exec-blocked", CHECK_FAIL, "the probe did not report: %s",
			  l ? l : "");
		free(l);
		goto out;
	}
	if (rt_fetch_metrics(r, rt_container_pid(r, name), &s, &why, NULL) != 0) {
		probe_checks(r, res, NULL, NULL);
		check_set(m, "security.exec-counted", CHECK_SKIP, "%s", why);
	} else
		probe_checks(r, res, &s, (char *)logs.err.data);
out:
	if (name) {
		struct check_proc q = {0};
		rt_engine(r, 60000, &q, "rm", "-f", name, NULL);
		check_proc_free(&q);
	}
	ward_err_clear();
	json_decref(res);
	check_samples_free(&s);
	check_proc_free(&p);
	check_proc_free(&logs);
	ward_strv_free(&argv);
	ward_strv_free(&cmd);
	free(name);
	free(why);
}

/* The first model replaced by the tampered copy static.c made. */
static void
run_tampered(struct rt *r)
{
	struct check_matrix *m = r->m;
	json_t *mo = json_array_get(json_object_get(r->f->policy, "models"), 0);
	const char *path = json_string_value(json_object_get(mo, "path"));
	struct ward_strv argv = {0};
	struct check_proc p = {0};
	char *name = NULL, *src = NULL;

	if (path == NULL || r->f->scratch == NULL) {
		check_set(m, "function.tampered-model-refused", CHECK_SKIP, "no models");
		return;
	}
	if ((src = ward_asprintf("%s/tampered/0", r->f->scratch)) == NULL ||
	    access(src, F_OK) != 0) {
		check_set(m, "function.tampered-model-refused", CHECK_SKIP,
			  "no tampered copy was made");
		goto out;
	}
	if (deploy_set_model_source(&r->t, path, src) != 0 ||
	    rt_run_argv(r, "tampered", 0, NULL, &argv, &name) != 0 ||
	    check_run(&argv, PODMAN_TIMEOUT_MS, &p) != 0) {
		check_set(m, "function.tampered-model-refused", CHECK_FAIL, "%s", ward_errmsg());
		goto out;
	}
	{
		const char *err = p.err.data ? (char *)p.err.data : "";
		int refused = p.status == 1 &&
			      (strstr(err, "\"event\":\"model_verify_failed\"") ||
			       strstr(err, "\"event\":\"model_resource_failed\"")) &&
			      !strstr(err, "\"event\":\"server_started\"");
		check_set(m, "function.tampered-model-refused", refused ? CHECK_PASS : CHECK_FAIL,
			  "%s mounted with one byte flipped: exit %d, %s", path, p.status,
			  refused ? "model_verify_failed, the server never started"
				  : "the server was not stopped");
	}
out:
	if (name) {
		struct check_proc q = {0};
		rt_engine(r, 60000, &q, "rm", "-f", name, NULL);
		check_proc_free(&q);
	}
	ward_err_clear();
	check_proc_free(&p);
	ward_strv_free(&argv);
	free(name);
	free(src);
}

void
check_runtime(const struct check_facts *f, const struct check_opts *o, struct check_matrix *m)
{
	struct rt r = {.f = f, .o = o, .m = m};
	struct check_proc p = {0};
	char *why = NULL;
	int probe_done = 0;

	r.engine = o->engine ? o->engine : "podman";
	if (o->runtime == CHECK_RUNTIME_OFF) {
		skip_runtime(m, "container checks turned off (--no-run)");
		m->runtime_note = ward_strdup("turned off");
		return;
	}
	if (f->img == NULL) {
		skip_runtime(m, "a root filesystem cannot be run");
		m->runtime_note = ward_strdup("a root filesystem");
		return;
	}
	if (rt_engine(&r, 60000, &p, "info", "--format", "{{.Host.OCIRuntime.Name}}", NULL) != 0 ||
	    p.status != 0) {
		char *l = rt_last_line(&p.err);
		why = ward_asprintf("%s is not usable here: %s", r.engine,
				    l && *l ? l : ward_errmsg());
		free(l);
		ward_err_clear();
		goto no_engine;
	}
	check_proc_free(&p);
	snprintf(r.base, sizeof(r.base), "ward-check-%d", (int)getpid());
	rt_remove_stale(&r);
	if (rt_load_image(&r, &why) != 0)
		goto no_engine;
	if (deploy_target_from_image(f->img, o->policy, NULL, &r.t) != 0) {
		why = ward_asprintf("cannot derive the run line: %s", ward_errmsg());
		ward_err_clear();
		goto no_engine;
	}
	for (size_t i = 0; i < r.t.nports; i++)
		if (strcmp(r.t.ports[i].proto, "tcp") == 0) {
			r.server_port = r.t.ports[i].port;
			break;
		}
	m->runtime = 1;
	m->runtime_note = ward_asprintf("%s, container names %s-*", r.engine, r.base);
	run_main(&r, &probe_done);
	if (!probe_done)
		run_probe(&r);
	run_tampered(&r);
	skip_runtime(m, "not reached (an earlier container check failed)");
	goto cleanup;
no_engine:
	check_proc_free(&p);
	if (o->runtime == CHECK_RUNTIME_REQUIRED) {
		check_set(m, "function.container-starts", CHECK_FAIL, "%s", why);
		skip_runtime(m, why);
	} else
		skip_runtime(m, why ? why : "no container engine");
	m->runtime_note = why;
	why = NULL;
cleanup:
	for (size_t i = 0; i < r.names.n; i++) {
		struct check_proc q = {0};
		rt_engine(&r, 60000, &q, "rm", "-f", r.names.v[i], NULL);
		check_proc_free(&q);
	}
	if (r.loaded && !o->keep_image) {
		struct check_proc q = {0};
		rt_engine(&r, 120000, &q, "rmi", "-f", oci_digest_hex(r.image_id), NULL);
		check_proc_free(&q);
	}
	ward_err_clear();
	deploy_target_free(&r.t);
	ward_strv_free(&r.names);
	free(why);
}
