/*
 * ward-init: PID 1 of ward images.
 *
 *   ward-init [--policy FILE] [--metrics ADDR:PORT|off] [--] CMD ARGS...
 *
 * In this order, failing closed: parse the policy; verify every model
 * against its OMS signature; check that / and the models are read-only;
 * no core dumps, not dumpable; switch user, drop capabilities,
 * no_new_privs; then in the server's process Landlock and seccomp (with
 * the exec gate), and exec the server once.  Then supervise it: reap,
 * forward signals, serve /metrics and /healthz, log JSON lines on stderr,
 * and exit with the server's status (128+signal when it was killed).
 * docs/ward-init.md is the manual.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "exe.h"
#include "guard.h"
#include "guard_policy.h"
#include "harden.h"
#include "helper.h"
#include "jlog.h"
#include "landlock.h"
#include "launch.h"
#include "policy.h"
#include "seccomp_bpf.h"
#include "serve.h"
#include "state.h"
#include "supervise.h"
#include "verify.h"

/* The version, also where SBOM tools find it in the binary (lib/sbom). */
static const char ward_init_ident[] = "@(#)ward-init " WARD_VERSION;

static const char usage[] =
	"usage: ward-init [--policy FILE] [--metrics ADDR:PORT|off] [--] CMD [ARGS...]\n"
	"       ward-init --check-policy FILE [--root DIR]\n"
	"       ward-init --print-default-policy | --print-seccomp-profile | --version\n"
	"       ward-init --print-guard-profile NAME\n"
	"\n"
	"PID 1 of ward images: verify the models, harden, exec CMD once, supervise it.\n"
	"\n"
	"  --policy FILE          policy (default /ward/policy.json; without that file\n"
	"                         the default policy applies)\n"
	"  --metrics ADDR:PORT    serve /metrics and /healthz there (\"off\": nowhere);\n"
	"                         overrides the policy\n"
	"  --check-policy FILE    validate a policy, print it with every default filled\n"
	"                         in; with --root DIR also check that the files it names\n"
	"                         exist under DIR (an image's root file system)\n"
	"  --print-default-policy the policy that applies without a policy file\n"
	"  --print-seccomp-profile an OCI seccomp profile with ward-init's deny rules\n"
	"  --print-guard-profile NAME  a built-in endpoint guard profile (routes, as data)\n"
	"\n"
	"Exit codes: the server's status, or 128+N when signal N killed it; before the\n"
	"server runs: 1 model verification failed, 2 bad usage or policy, 3 environment\n"
	"(hardening or I/O failed), 126 server not executable, 127 server not found.\n"
	"Logs: JSON lines on stderr (docs/ward-init.md).\n";

/* What PID 1 keeps when it has them (docs/ward-init.md, "Capabilities"):
 * CAP_SYS_PTRACE (19) to see what a non-dumpable server runs and does
 * (/proc/PID/exe after an allowed exec, /proc/PID/{io,fd} for metrics,
 * the path of a refused exec for the log), CAP_DAC_READ_SEARCH (2) to open
 * those root-owned /proc files.  Nothing else. */
#define SUPERVISOR_CAPS (CAP_BIT(19) | CAP_BIT(2))

static struct init_state *st;

static int
fail(int code, const char *event)
{
	jlog_msg(WARD_LOG_ERROR, event, ward_errmsg());
	return code;
}

static int
print_json(json_t *j)
{
	char *s = j ? ward_json_dump(j, 1) : NULL;

	json_decref(j);
	if (s == NULL) {
		fprintf(stderr, "ward-init: %s\n", ward_errmsg());
		return WARD_EENV;
	}
	fputs(s, stdout);
	free(s);
	return 0;
}

/* --check-policy FILE [--root DIR]: usable by the image build on the host. */
static int
check_policy(const char *file, const char *root)
{
	struct policy p;
	int rc;

	if (policy_load(file, &p) != 0) {
		fprintf(stderr, "ward-init: %s\n", ward_errmsg());
		policy_free(&p);
		return WARD_EINPUT;
	}
	rc = 0;
	if (root != NULL) {
		for (size_t i = 0; i < p.nmodels && rc == 0; i++) {
			const struct policy_model *m = &p.models[i];
			const char *files[] = {m->path, m->signature, m->key, m->cert_chain};
			for (size_t k = 0; k < 4 && rc == 0; k++) {
				char *f = files[k] ? ward_asprintf("%s%s", root, files[k]) : NULL;
				struct stat sb;
				if (files[k] != NULL && (f == NULL || stat(f, &sb) != 0)) {
					fprintf(stderr,
						"ward-init: %s: model %s: %s does not exist\n",
						file, m->path, files[k]);
					rc = WARD_EINPUT;
				}
				free(f);
			}
		}
	}
	if (rc == 0)
		rc = print_json(policy_to_json(&p));
	policy_free(&p);
	return rc;
}

static int
load_policy(const char *path, int explicit_path, struct policy *p)
{
	struct stat sb;

	if (!explicit_path && stat(path, &sb) != 0 && errno == ENOENT) {
		jlog_msg(WARD_LOG_INFO, "policy_default",
			 "no " POLICY_DEFAULT_PATH ": the default policy applies");
		return policy_defaults(p);
	}
	return policy_load(path, p);
}

/* Every file the server may execute: itself, its interpreters, and the
 * allow-listed binaries with theirs. */
static int
exec_files(const struct policy *p, const char *server, struct ward_strv *files,
	   struct ward_strv *loaders)
{
	int unreadable;

	if (exe_chain(server, files, loaders, &unreadable) != 0)
		return -1;
	if (unreadable) {
		struct jlog l;
		jlog_begin(&l, WARD_LOG_INFO, "binary_unreadable");
		jlog_str(&l, "binary", server);
		jlog_str(&l, "note",
			 "cannot read its ELF header; allowing the usual program "
			 "loaders");
		jlog_end(&l);
	}
	for (size_t i = 0; i < p->exec_allow.n; i++) {
		if (access(p->exec_allow.v[i], F_OK) != 0) {
			struct jlog l;
			jlog_begin(&l, WARD_LOG_WARN, "exec_allow_missing");
			jlog_str(&l, "path", p->exec_allow.v[i]);
			jlog_end(&l);
			continue;
		}
		if (exe_chain(p->exec_allow.v[i], files, loaders, &unreadable) != 0)
			return -1;
	}
	return 0;
}

/* A termination signal that arrived while we verified: do not start. */
static int
pending_stop(int sfd)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		int sig = (int)si.ssi_signo;
		if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP || sig == SIGQUIT) {
			jlog_msg(WARD_LOG_WARN, "stopped_before_start",
				 sigabbrev_np(sig) ? sigabbrev_np(sig) : "signal");
			return 128 + sig;
		}
	}
	return 0;
}

static int
signal_setup(sigset_t *all)
{
	/* Everything goes through the signalfd except what must stay
	 * synchronous (a fault in ward-init itself must still kill it). */
	sigfillset(all);
	sigdelset(all, SIGSEGV);
	sigdelset(all, SIGBUS);
	sigdelset(all, SIGILL);
	sigdelset(all, SIGFPE);
	sigdelset(all, SIGABRT);
	sigdelset(all, SIGTRAP);
	sigdelset(all, SIGSYS);
	return sigprocmask(SIG_BLOCK, all, NULL);
}

/* Every default the policy loosens, one line each: never silently. */
static void
log_loosened(const struct policy *p)
{
	const struct {
		int on;
		const char *field, *means;
	} l[] = {
		{!p->landlock_required, "landlock.required", "false: Landlock is best effort"},
		{!p->tcp_bind.restricted, "landlock.tcp_bind", "null: any TCP port may be bound"},
		{!p->tcp_connect.restricted, "landlock.tcp_connect",
		 "null: TCP connections to any port"},
		{p->tcp_connect.restricted && p->tcp_connect.n > 0, "landlock.tcp_connect",
		 "TCP connections to the listed ports"},
		{p->ro_models != POLICY_REFUSE && p->nmodels > 0, "read_only.models",
		 "models may lie on writable mounts"},
		{p->net_udp, "network.udp", "UDP sockets"},
		{p->net_unix, "network.unix", "unix sockets"},
		{p->net_netlink, "network.netlink", "netlink sockets"},
		{p->server_output == OUTPUT_INHERIT, "server_output",
		 "inherit: the server writes to ward-init's log stream"},
		{p->exec_allow.n > 0, "exec.allow", "the server may execute listed binaries"},
	};

	for (size_t i = 0; i < sizeof(l) / sizeof(l[0]); i++) {
		struct jlog j;
		if (!l[i].on)
			continue;
		jlog_begin(&j, WARD_LOG_WARN, "policy_loosened");
		jlog_str(&j, "field", l[i].field);
		jlog_str(&j, "means", l[i].means);
		jlog_end(&j);
	}
}

static void
log_start(const struct policy *p, const char *policy_path, const char *server, int argc,
	  char **argv)
{
	struct jlog l;

	jlog_begin(&l, WARD_LOG_INFO, "start");
	jlog_str(&l, "version", WARD_VERSION);
	jlog_int(&l, "pid", getpid());
	jlog_uint(&l, "uid", geteuid());
	jlog_str(&l, "policy", policy_path);
	jlog_str(&l, "server", server);
	jlog_int(&l, "args", argc);
	jlog_str(&l, "argv0", argv[0]);
	jlog_uint(&l, "models", p->nmodels);
	jlog_str(&l, "metrics", p->metrics);
	jlog_end(&l);
}

/* The endpoint guard (docs/ward-guard.md): its public listener, the pipe
 * for its audit lines, the reload eventfd, and the helper's sandbox
 * widened by exactly what the guard needs: stream sockets of the families
 * its upstream and the server's metrics socket use, connect, opening the
 * key file and metrics file again (Landlock: reads beneath their
 * directories only), and TCP connect to the upstream port alone. */
static int
guard_setup(const struct policy *p, struct helper_conf *hc, struct helper_sandbox *sb,
	    int *log_read)
{
	const struct guard_policy *g = p->guard;
	static char dirs[HELPER_MAX_READ_DIRS][PATH_MAX];
	const char *files[] = {g->keys_file, g->app_metrics_file};
	int fds[2];

	if ((hc->guard_fd = guard_listen(g->listen)) < 0)
		return -1;
	if (pipe2(fds, O_CLOEXEC) != 0 || fcntl(fds[0], F_SETFL, O_NONBLOCK) != 0)
		return ward_errno(WARD_EENV, "guard: log pipe");
	*log_read = fds[0];
	hc->log_fd = fds[1];
	if ((hc->reload_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
		return ward_errno(WARD_EENV, "guard: eventfd");
	hc->guard = g;
	/* a stream socket to the upstream, and its connect */
	sb->syscalls[sb->nsyscalls++] = __NR_socket;
	sb->syscalls[sb->nsyscalls++] = __NR_connect;
	/* the key file again on SIGHUP, the app metrics file on each scrape */
	if (g->keys_file != NULL || g->app_metrics_file != NULL) {
		sb->syscalls[sb->nsyscalls++] = __NR_openat;
		sb->syscalls[sb->nsyscalls++] = __NR_fstat;
		sb->syscalls[sb->nsyscalls++] = __NR_newfstatat;
	}
	/* the app metrics socket's answer within its deadline */
	if (g->app_metrics_unix != NULL) {
		sb->syscalls[sb->nsyscalls++] = __NR_poll;
		sb->syscalls[sb->nsyscalls++] = __NR_ppoll;
	}
	if (strncmp(g->upstream, "unix:", 5) == 0)
		sb->socket_families |= 1u << AF_UNIX;
	else
		sb->socket_families |= 1u << (strchr(g->upstream, '[') ? AF_INET6 : AF_INET);
	if (g->app_metrics_unix != NULL)
		sb->socket_families |= 1u << AF_UNIX;
	if (strncmp(g->upstream, "unix:", 5) != 0 && strrchr(g->upstream, ':') != NULL)
		sb->connect_port = (uint16_t)atoi(strrchr(g->upstream, ':') + 1);
	for (size_t i = 0; i < 2; i++) {
		const char *slash = files[i] ? strrchr(files[i], '/') : NULL;
		if (slash == NULL || sb->nread_dirs >= HELPER_MAX_READ_DIRS)
			continue;
		snprintf(dirs[sb->nread_dirs], PATH_MAX, "%.*s",
			 slash == files[i] ? 1 : (int)(slash - files[i]), files[i]);
		sb->read_dirs[sb->nread_dirs] = dirs[sb->nread_dirs];
		sb->nread_dirs++;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"policy", required_argument, NULL, 'p'},
		{"metrics", required_argument, NULL, 'm'},
		{"check-policy", required_argument, NULL, 'c'},
		{"root", required_argument, NULL, 'r'},
		{"print-default-policy", no_argument, NULL, 'D'},
		{"print-seccomp-profile", no_argument, NULL, 'S'},
		{"print-guard-profile", required_argument, NULL, 'G'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *policy_path = POLICY_DEFAULT_PATH, *metrics = NULL, *check = NULL, *root = NULL;
	struct ward_strv files = {0}, loaders = {0};
	struct policy p = {0};
	struct launch launch;
	struct helper_conf hc = {.listen_fd = -1,
				 .ask_fd = -1,
				 .done_fd = -1,
				 .guard_fd = -1,
				 .log_fd = -1,
				 .reload_fd = -1};
	int guard_log = -1;
	struct helper_sandbox sandbox = {0};
	sigset_t all;
	char *server = NULL;
	int c, explicit_policy = 0, profile = 0, sfd, rc, status, stop, arm = -1;
	pid_t helper = 0, guard = 0;

	if (signal_setup(&all) != 0)
		return WARD_EENV;
	ward_log_set_sink(jlog_lib_sink);
	/* "+": stop at the first non-option, the server's command. */
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			policy_path = optarg;
			explicit_policy = 1;
			break;
		case 'm':
			metrics = optarg;
			break;
		case 'c':
			check = optarg;
			break;
		case 'r':
			root = optarg;
			break;
		case 'D':
			if (policy_defaults(&p) != 0)
				return WARD_EENV;
			rc = print_json(policy_to_json(&p));
			policy_free(&p);
			return rc;
		case 'S':
			profile = 1;
			break;
		case 'G':
			if (guard_profile_json(optarg) == NULL) {
				fprintf(stderr, "ward-init: no built-in guard profile \"%s\"\n",
					optarg);
				return WARD_EINPUT;
			}
			fputs(guard_profile_json(optarg), stdout);
			return 0;
		case 'V':
			printf("%s\n", ward_init_ident + 4);
			return 0;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return WARD_EINPUT;
		}
	}
	if (check != NULL)
		return check_policy(check, root);
	if (profile) {
		/* For the policy given with --policy, else the default one. */
		struct sc_params sp = {0};
		if ((explicit_policy ? policy_load(policy_path, &p) : policy_defaults(&p)) != 0) {
			fprintf(stderr, "ward-init: %s\n", ward_errmsg());
			return WARD_EINPUT;
		}
		sp.net_udp = p.net_udp;
		sp.net_unix = p.net_unix;
		sp.net_netlink = p.net_netlink;
		policy_free(&p);
		return print_json(sc_oci_profile(&sp));
	}
	if (optind >= argc) {
		ward_err(WARD_EINPUT, "no server command given (ward-init [options] -- CMD ...)");
		return fail(WARD_EINPUT, "usage");
	}
	/* The counters, in a page the HTTP helper will map read-only. */
	if ((st = helper_state_new(&hc.state_fd)) == NULL)
		return fail(WARD_EENV, "start_failed");
	hc.state_rw = st;
	st->start_ns = ward_now_ns();
	st->server_dumpable = -1;
	st->root_read_only = -1;
	if ((sfd = signalfd(-1, &all, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
		ward_errno(WARD_EENV, "signalfd");
		return fail(WARD_EENV, "harden_failed");
	}

	/* 1. The policy. */
	if (load_policy(policy_path, explicit_policy, &p) != 0)
		return fail(WARD_EINPUT, "policy_invalid");
	if (metrics != NULL) {
		unsigned char sa[64];
		unsigned len = sizeof(sa);
		free(p.metrics);
		p.metrics = NULL;
		if (strcmp(metrics, "off") != 0) {
			if (policy_parse_addr(metrics, sa, &len) != 0)
				return fail(WARD_EINPUT, "usage");
			p.metrics = ward_strdup(metrics);
		}
	}
	jlog_set_level(p.log_level);
	ward_log_set_level(p.log_level);
	server = exe_resolve(argv[optind], getenv("PATH"), &status);
	log_start(&p, explicit_policy || access(policy_path, F_OK) == 0 ? policy_path : NULL,
		  server, argc - optind, argv + optind);
	log_loosened(&p);
	struct stat o1, o2;
	if (p.server_output == OUTPUT_STDOUT && fstat(STDOUT_FILENO, &o1) == 0 &&
	    fstat(STDERR_FILENO, &o2) == 0 && o1.st_dev == o2.st_dev && o1.st_ino == o2.st_ino &&
	    !(S_ISCHR(o1.st_mode) && o1.st_rdev == makedev(1, 3)))
		jlog_msg(WARD_LOG_WARN, "log_streams_shared",
			 "stdout and stderr are the same file (a terminal, 2>&1): the server's "
			 "output and ward-init's lines mix; keep them apart to tell them apart");
	if (server == NULL)
		return fail(status, "server_not_found");
	if (exec_files(&p, server, &files, &loaders) != 0)
		return fail(ward_errkind(), "server_unusable");

	/* 2. No dumps, for ward-init and its children (and, through the
	 * binary's mode, the server). */
	if (harden_no_dumps() != 0)
		return fail(WARD_EENV, "harden_failed");
	/* 3. The models, in a confined child, within verify_timeout. */
	if (verify_models(&p, st, sfd, &stop) != 0) {
		if (stop != 0) {
			jlog_msg(WARD_LOG_WARN, "stopped_before_start", ward_errmsg());
			return 128 + stop;
		}
		return fail(ward_errkind(), "refused");
	}
	/* 4. Read-only mounts. */
	if (harden_readonly(&p, landlock_abi(), st) != 0)
		return fail(WARD_EENV, "refused");
	/* The listeners exist before privileges go (ports below 1024 too). */
	if (p.metrics != NULL && (hc.listen_fd = serve_listen(p.metrics)) < 0)
		return fail(WARD_EENV, "metrics_failed");
	if (p.guard != NULL && guard_setup(&p, &hc, &sandbox, &guard_log) != 0)
		return fail(WARD_EENV, "guard_failed");
	if ((rc = pending_stop(sfd)) != 0)
		return rc;
	if (getpid() != 1)
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	/* 5. User and capabilities: ward-init keeps the two it can justify
	 * when it has them; its helpers and the server keep nothing. */
	if (harden_switch_user(p.uid, p.gid, SUPERVISOR_CAPS) != 0 ||
	    harden_drop_caps(SUPERVISOR_CAPS) != 0)
		return fail(WARD_EENV, "harden_failed");
	/* 6. The unprivileged HTTP helper (metrics, the endpoint guard), and
	 * (not PID 1) the guard that takes the server down with ward-init. */
	if (hc.listen_fd >= 0 || hc.guard_fd >= 0) {
		hc.ask_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		hc.done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		hc.sandbox = &sandbox;
		if (hc.ask_fd < 0 || hc.done_fd < 0 || (helper = helper_spawn(&hc)) < 0) {
			ward_errno(WARD_EENV, "the HTTP helper");
			return fail(WARD_EENV, "harden_failed");
		}
	}
	if (getpid() != 1 && (guard = launch_guard(&arm)) < 0)
		return fail(WARD_EENV, "harden_failed");
	/* 7-9. In the server's process: Landlock, seccomp, exec. */
	struct launch_args la = {.policy = &p,
				 .path = server,
				 .argv = argv + optind,
				 .exec_files = &files,
				 .contain = getpid() != 1};
	la.filter.protected_pids[la.filter.nprotected++] = (uint32_t)getpid();
	if (helper > 0)
		la.filter.protected_pids[la.filter.nprotected++] = (uint32_t)helper;
	if (guard > 0)
		la.filter.protected_pids[la.filter.nprotected++] = (uint32_t)guard;
	la.filter.init_pgid = (uint32_t)getpgrp();
	la.filter.net_udp = p.net_udp;
	la.filter.net_unix = p.net_unix;
	la.filter.net_netlink = p.net_netlink;
	/* No outbound TCP: no socket of the server ever needs an ephemeral
	 * port, so each gets a range of one port that ward-init holds. */
	uint16_t reserved = 0;
	if (p.tcp_bind.restricted && p.tcp_connect.restricted && p.tcp_connect.n == 0)
		reserved = launch_reserve_port(&p.tcp_bind);
	la.filter.tcp_gate = reserved != 0;
	/* Behind the guard the gate binds every server socket to lo; without
	 * the gate (outbound TCP allowed) only the server's own choice of
	 * address keeps it off the network. */
	if (p.guard != NULL && reserved == 0)
		jlog_msg(WARD_LOG_WARN, "server_not_loopback_only",
			 "the server's TCP sockets are not confined to loopback "
			 "(landlock.tcp_connect allows outbound TCP): make it bind 127.0.0.1");
	la.filter.deny_sigcont = p.exec_allow.n > 0;
	if (launch_start(&la, &launch) != 0)
		return fail(WARD_EENV, "harden_failed");
	if (guard > 0)
		launch_guard_arm(arm, launch.pid);
	struct supervise_args sa = {.policy = &p,
				    .st = st,
				    .signal_fd = sfd,
				    .server_path = server,
				    .launch = &launch,
				    .exec_files = &files,
				    .loaders = &loaders,
				    .helper = hc.listen_fd >= 0 || hc.guard_fd >= 0 ? &hc : NULL,
				    .guard_log_fd = guard_log,
				    .helper_pid = helper,
				    .guard_pid = guard,
				    .reserved_port = reserved};
	rc = supervise(&sa);
	ward_strv_free(&files);
	ward_strv_free(&loaders);
	policy_free(&p);
	free(server);
	return rc;
}
