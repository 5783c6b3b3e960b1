/* metrics.c: the Prometheus text exposition of the shared state. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics.h"
#include "seccomp_bpf.h"

/* ------------------------------------------------------------ exposition */

struct out {
	char *p;
	size_t cap, len;
	int overflow;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len) {
		o->overflow = 1;
		return;
	}
	o->len += (size_t)n;
}

/* A label value with \, " and newline escaped, as the format requires. */
static void
put_label(struct out *o, const char *v)
{
	for (; *v != '\0' && !o->overflow; v++) {
		if (*v == '\\')
			put(o, "\\\\");
		else if (*v == '"')
			put(o, "\\\"");
		else if (*v == '\n')
			put(o, "\\n");
		else
			put(o, "%c", *v);
	}
}

static void
family(struct out *o, const char *name, const char *type, const char *help)
{
	put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
labelled(struct out *o, const char *name, const char *label, const char *value)
{
	put(o, "%s{%s=\"", name, label);
	put_label(o, value);
	put(o, "\"}");
}

static void
gauge(struct out *o, const char *name, const char *help, double v)
{
	family(o, name, "gauge", help);
	put(o, "%s %.17g\n", name, v);
}

static void
counter(struct out *o, const char *name, const char *help, uint64_t v)
{
	family(o, name, "counter", help);
	put(o, "%s %llu\n", name, (unsigned long long)v);
}

static void
models(struct out *o, const struct init_state *st)
{
	size_t n = st->nmodels < POLICY_MAX_MODELS ? (size_t)st->nmodels : POLICY_MAX_MODELS;

	if (n == 0)
		return;
	family(o, "ward_model_verified", "gauge",
	       "Whether the model verified against its signature at start (1) or not (0).");
	for (size_t i = 0; i < n; i++) {
		labelled(o, "ward_model_verified", "model", st->models[i].path);
		put(o, " %d\n", st->models[i].verified);
	}
	family(o, "ward_model_verified_files", "gauge", "Files or shards of the model checked.");
	for (size_t i = 0; i < n; i++) {
		labelled(o, "ward_model_verified_files", "model", st->models[i].path);
		put(o, " %llu\n", (unsigned long long)st->models[i].files);
	}
	family(o, "ward_model_verified_bytes", "gauge", "Bytes hashed to verify the model.");
	for (size_t i = 0; i < n; i++) {
		labelled(o, "ward_model_verified_bytes", "model", st->models[i].path);
		put(o, " %llu\n", (unsigned long long)st->models[i].bytes);
	}
	family(o, "ward_model_verify_seconds", "gauge", "Time spent verifying the model.");
	for (size_t i = 0; i < n; i++) {
		labelled(o, "ward_model_verify_seconds", "model", st->models[i].path);
		put(o, " %.6f\n", st->models[i].seconds);
	}
}

static void
hardening(struct out *o, const struct init_state *st)
{
	const struct {
		const char *name;
		int v;
	} f[] = {
		{"landlock", st->landlock_enforced},
		{"landlock_tcp", st->landlock_net},
		{"landlock_scope", st->landlock_scoped},
		{"seccomp", st->seccomp},
		{"no_new_privs", st->no_new_privs},
		{"capabilities_dropped", st->caps_dropped},
		{"non_dumpable", st->server_dumpable == 0},
		{"read_only_root", st->root_read_only == 1},
		{"write_execute_denied", st->write_execute_denied},
	};

	family(o, "ward_hardening_enabled", "gauge",
	       "Protections in force for the server (1) or not (0).");
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		labelled(o, "ward_hardening_enabled", "feature", f[i].name);
		put(o, " %d\n", f[i].v > 0);
	}
	gauge(o, "ward_landlock_abi", "Landlock ABI version of the kernel (0: unavailable).",
	      st->landlock_abi);
}

static void
gate(struct out *o, const struct init_state *st)
{
	size_t n = st->nexec < STATE_MAX_EXEC_NAMES ? (size_t)st->nexec : STATE_MAX_EXEC_NAMES;

	family(o, "ward_exec_attempts_total", "counter",
	       "Exec attempts seen by the seccomp gate, by binary and result (allowed: the "
	       "kernel ran an allowed binary; denied: refused, or killed before its first "
	       "instruction).  The binary of a refused attempt is the name the server gave.");
	for (size_t i = 0; i < n; i++) {
		const uint64_t v[] = {st->exec[i].allowed, st->exec[i].denied};
		char name[STATE_NAME_MAX];
		memcpy(name, st->exec[i].name, sizeof(name));
		name[sizeof(name) - 1] = '\0';
		for (int r = 0; r < 2; r++) {
			if (v[r] == 0)
				continue;
			put(o, "ward_exec_attempts_total{binary=\"");
			put_label(o, name);
			put(o, "\",result=\"%s\"} %llu\n", r ? "denied" : "allowed",
			    (unsigned long long)v[r]);
		}
	}
	family(o, "ward_seccomp_denied_total", "counter",
	       "Syscalls of the server refused with EPERM by the seccomp filter, by name.");
	for (size_t i = 0; i < sc_deny_count() && i < STATE_MAX_DENY; i++) {
		const char *name = sc_deny_name(i);
		if (strcmp(name, "execve") == 0 || strcmp(name, "execveat") == 0 ||
		    strcmp(name, "clone3") == 0)
			continue; /* the exec gate and ENOSYS are counted elsewhere */
		labelled(o, "ward_seccomp_denied_total", "syscall", name);
		put(o, " %llu\n", (unsigned long long)st->denied[i]);
	}
	counter(o, "ward_memfd_sealed_total",
		"memfds ward-init created for the server, sealed non-executable.",
		st->memfd_sealed);
	counter(o, "ward_tcp_sockets_filtered_total",
		"TCP sockets ward-init created for the server with the SYN filter (connection "
		"requests only to declared ports).",
		st->tcp_sockets);
}

static void
server(struct out *o, const struct init_state *st, const struct proc_sample *s)
{
	gauge(o, "ward_server_up", "Whether the server process is running.", st->server_up);
	counter(o, "ward_server_starts_total", "Times the server was started.", st->server_starts);
	counter(o, "ward_server_restarts_total", "Server restarts (ward-init never restarts it).",
		0);
	counter(o, "ward_server_stop_kills_total",
		"Times the server outlived stop_timeout after SIGTERM and was killed.",
		st->stop_kills);
	if (s == NULL || !s->have_stat)
		return;
	family(o, "ward_server_cpu_seconds_total", "counter",
	       "CPU time of the server process, read from /proc.");
	put(o, "ward_server_cpu_seconds_total{mode=\"user\"} %.2f\n", s->utime);
	put(o, "ward_server_cpu_seconds_total{mode=\"system\"} %.2f\n", s->stime);
	gauge(o, "ward_server_resident_memory_bytes", "Resident memory of the server process.",
	      (double)s->rss_bytes);
	gauge(o, "ward_server_threads", "Threads of the server process.", (double)s->threads);
	if (s->have_fds)
		gauge(o, "ward_server_open_fds", "Open file descriptors of the server process.",
		      (double)s->fds);
	if (s->have_io) {
		counter(o, "ward_server_io_read_bytes_total",
			"Bytes the server read through read-like syscalls.", s->rchar);
		counter(o, "ward_server_io_write_bytes_total",
			"Bytes the server wrote through write-like syscalls.", s->wchar);
		counter(o, "ward_server_storage_read_bytes_total",
			"Bytes the server caused to be read from storage.", s->read_bytes);
		counter(o, "ward_server_storage_write_bytes_total",
			"Bytes the server caused to be written to storage.", s->write_bytes);
	}
}

size_t
metrics_render(const struct init_state *st, const struct http_stats *hs, uint64_t now_ns, char *buf,
	       size_t cap)
{
	static const char *const codes[HTTP_SLOTS] = {"200", "400", "404", "405",
						      "408", "413", "503"};
	struct out o = {buf, cap, 0, 0};

	family(&o, "ward_build_info", "gauge", "The ward-init version.");
	put(&o, "ward_build_info{version=\"%s\"} 1\n", WARD_VERSION);
	gauge(&o, "ward_init_uptime_seconds", "Seconds since ward-init started.",
	      (double)(now_ns - st->start_ns) / 1e9);
	gauge(&o, "ward_init_resident_memory_bytes", "Resident memory of ward-init (PID 1).",
	      (double)st->init_rss_bytes);
	models(&o, st);
	hardening(&o, st);
	gate(&o, st);
	server(&o, st, &st->server);
	counter(&o, "ward_processes_reaped_total", "Exited processes reaped by ward-init.",
		st->reaped);
	counter(&o, "ward_signals_forwarded_total", "Signals forwarded to the server.",
		st->signals_forwarded);
	counter(&o, "ward_signals_ignored_total",
		"Signals sent to ward-init from processes it supervises, ignored.",
		st->signals_ignored);
	counter(&o, "ward_helper_restarts_total",
		"Times ward-init restarted its unprivileged HTTP helper.", st->helper_restarts);
	family(&o, "ward_http_requests_total", "counter",
	       "Requests answered on the metrics listener, by status code.");
	for (int i = 0; i < HTTP_SLOTS; i++)
		put(&o, "ward_http_requests_total{code=\"%s\"} %llu\n", codes[i],
		    (unsigned long long)hs->code[i]);
	counter(&o, "ward_http_connections_rejected_total",
		"Idle connections closed to admit new ones (too many open, or too many from one "
		"peer).",
		hs->evicted);
	counter(&o, "ward_http_timeouts_total", "Connections closed for being idle or slow.",
		hs->timeouts);
	counter(&o, "ward_log_lines_suppressed_total",
		"Log lines about denials dropped by the rate limit (the counters still count).",
		st->log_suppressed);
	if (o.overflow)
		return 0;
	return o.len;
}
