/* test_deploy_seccomp.c: ward's OCI seccomp profile is never weaker than
 * ward-init's filter.  The oracle is ward-init's real program (sc_build),
 * run by a classic-BPF interpreter (bpf_run.h), over a grid of system
 * calls and arguments; the profile is evaluated with libseccomp's rule
 * semantics.  Whatever ward-init refuses, the profile must refuse too. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <cmocka.h>

#include "deploy/deploy.h"
#include "seccomp_bpf.h"
#include "bpf_run.h"

#define MFD_EXEC_ 0x10

static const struct sc_params params = {.protected_pids = {1},
					.nprotected = 1,
					.init_pgid = 1,
					.token = {0x1234, 0x5678, 0x9abc},
					.tcp_gate = 1};

/* libseccomp's semantics for one rule's comparisons (64-bit arguments). */
static int
cmp_holds(const json_t *c, const uint64_t *args)
{
	const char *op = json_string_value(json_object_get(c, "op"));
	json_int_t idx = json_integer_value(json_object_get(c, "index"));
	uint64_t v = (uint64_t)json_integer_value(json_object_get(c, "value"));
	uint64_t two = (uint64_t)json_integer_value(json_object_get(c, "valueTwo"));
	uint64_t a;

	assert_true(idx >= 0 && idx < 6);
	a = args[idx];
	if (strcmp(op, "SCMP_CMP_EQ") == 0)
		return a == v;
	if (strcmp(op, "SCMP_CMP_NE") == 0)
		return a != v;
	if (strcmp(op, "SCMP_CMP_MASKED_EQ") == 0)
		return (a & v) == two;
	if (strcmp(op, "SCMP_CMP_LT") == 0)
		return a < v;
	if (strcmp(op, "SCMP_CMP_GT") == 0)
		return a > v;
	fail_msg("unexpected op %s", op);
	return 0;
}

/* The profile compiled for quick lookups: one entry per (name, rule). */
struct crule {
	const char *name;
	const json_t *rule;
};
static struct crule *crules;
static size_t ncrules;
static const json_t *compiled;

static int
crule_cmp(const void *a, const void *b)
{
	return strcmp(((const struct crule *)a)->name, ((const struct crule *)b)->name);
}

static void
compile(const json_t *prof)
{
	json_t *r, *n;
	size_t i, k;

	free(crules);
	crules = NULL;
	ncrules = 0;
	json_array_foreach(json_object_get(prof, "syscalls"), i, r)
	{
		json_array_foreach(json_object_get(r, "names"), k, n)
		{
			crules = realloc(crules, (ncrules + 1) * sizeof(*crules));
			assert_non_null(crules);
			crules[ncrules].name = json_string_value(n);
			crules[ncrules++].rule = r;
		}
	}
	qsort(crules, ncrules, sizeof(*crules), crule_cmp);
	compiled = prof;
}

/* The profile's verdict: 0 allowed, else the errno returned.  Rules of
 * different actions that both match would be a profile bug. */
static int
profile_eval(const json_t *prof, const char *name, const uint64_t *args)
{
	struct crule key = {.name = name}, *hit;
	int verdict = -1;

	if (prof != compiled)
		compile(prof);
	hit = bsearch(&key, crules, ncrules, sizeof(*crules), crule_cmp);
	while (hit != NULL && hit > crules && strcmp(hit[-1].name, name) == 0)
		hit--;
	for (; hit != NULL && hit < crules + ncrules && strcmp(hit->name, name) == 0; hit++) {
		const json_t *r = hit->rule;
		json_t *c;
		size_t k;
		int holds = 1;
		json_array_foreach(json_object_get(r, "args"), k, c) holds &= cmp_holds(c, args);
		if (!holds)
			continue;
		int v = strcmp(json_string_value(json_object_get(r, "action")), "SCMP_ACT_ALLOW") ==
					0
				? 0
				: (int)json_integer_value(json_object_get(r, "errnoRet"));
		if (verdict >= 0 && verdict != v)
			fail_msg("%s: rules with different actions match", name);
		verdict = v;
	}
	return verdict >= 0 ? verdict
			    : (int)json_integer_value(json_object_get(prof, "defaultErrnoRet"));
}

static json_t *
ward_profile(void)
{
	json_t *init = sc_oci_profile(&params), *prof = deploy_seccomp_profile(init, "amd64", NULL);

	json_decref(init);
	assert_non_null(prof);
	return prof;
}

static void
test_shape(void **state)
{
	(void)state;
	json_t *prof = ward_profile(), *names, *n, *r;
	size_t i, k;
	const char *prev = "";

	assert_string_equal(json_string_value(json_object_get(prof, "defaultAction")),
			    "SCMP_ACT_ERRNO");
	assert_int_equal(json_integer_value(json_object_get(prof, "defaultErrnoRet")), EPERM);
	assert_string_equal(
		json_string_value(json_array_get(json_object_get(prof, "architectures"), 0)),
		"SCMP_ARCH_X86_64");
	/* One unconditional allow list, sorted and unique. */
	names = json_object_get(json_array_get(json_object_get(prof, "syscalls"), 0), "names");
	assert_true(json_array_size(names) > 150);
	json_array_foreach(names, i, n)
	{
		assert_true(strcmp(prev, json_string_value(n)) < 0);
		prev = json_string_value(n);
	}
	/* Only allow rules and errno rules; errno rules never carry args. */
	json_array_foreach(json_object_get(prof, "syscalls"), i, r)
	{
		const char *a = json_string_value(json_object_get(r, "action"));
		assert_true(strcmp(a, "SCMP_ACT_ALLOW") == 0 || strcmp(a, "SCMP_ACT_ERRNO") == 0);
		if (strcmp(a, "SCMP_ACT_ERRNO") == 0)
			assert_null(json_object_get(r, "args"));
		json_array_foreach(json_object_get(r, "names"), k, n)
			assert_true(json_is_string(n));
	}
	compiled = NULL;
	json_decref(prof);

	json_t *init = sc_oci_profile(&params);
	prof = deploy_seccomp_profile(init, "arm64", NULL);
	assert_string_equal(
		json_string_value(json_array_get(json_object_get(prof, "architectures"), 0)),
		"SCMP_ARCH_AARCH64");
	compiled = NULL;
	json_decref(prof);
	assert_null(deploy_seccomp_profile(init, "s390x", NULL));
	json_decref(init);
}

/* Arguments that the rules of either filter look at. */
static const uint64_t vals[] = {
	0,
	1,
	2,
	3,
	4,
	5,
	8,
	9,
	10,
	15,
	16,
	17,
	SOCK_RAW | SOCK_CLOEXEC,
	SOCK_STREAM | SOCK_NONBLOCK,
	SOCK_PACKET,
	0xffffffffull,
	0xffffffffffffffffull,
	ADDR_NO_RANDOMIZE,
	READ_IMPLIES_EXEC,
	PER_LINUX32,
	SIGCHLD,
	CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD,
	CLONE_NEWUSER | SIGCHLD,
	CLONE_NEWNS,
	CLONE_NEWPID,
	CLONE_NEWNET,
	CLONE_NEWUTS,
	CLONE_NEWIPC,
	CLONE_NEWCGROUP,
	0x80, /* CLONE_NEWTIME */
	S_IFCHR | 0644,
	S_IFBLK | 0600,
	S_IFREG | 0644,
	S_IFIFO | 0600,
	S_IFSOCK | 0755,
	S_IFDIR | 0755,
	0644,
	PR_SET_NO_NEW_PRIVS,
	PR_SET_NAME,
};
#define NVALS (sizeof(vals) / sizeof(*vals))
/* The third argument only matters to mknodat (mode) and socket (protocol). */
static const uint64_t vals3[] = {0, 9, S_IFCHR | 0644, S_IFBLK | 0600, S_IFIFO | 0600};
#define NVALS3 (sizeof(vals3) / sizeof(*vals3))

/* Rules that need ward-init's pid (signals to PID 1, file owners that
 * would be signalled) or what only ward-init probes (Landlock's signal
 * scoping), or that ward-init applies to itself first (RLIMIT_CORE), and
 * the exec gate, which must
 * let the server start: the profile leaves them to ward-init, as
 * ward-init's own profile does. */
static int
left_to_init(const char *name)
{
	static const char *const names[] = {"execve",
					    "execveat",
					    "kill",
					    "tkill",
					    "tgkill",
					    "rt_sigqueueinfo",
					    "pidfd_open",
					    "setpgid",
					    "setsid",
					    "pidfd_send_signal",
					    "rt_tgsigqueueinfo",
					    "setrlimit",
					    "seccomp",
					    "prlimit64",
					    "fcntl",
					    "ioctl"};
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (strcmp(name, names[i]) == 0)
			return 1;
	return 0;
}

static void
test_never_weaker_than_init(void **state)
{
	(void)state;
	static struct sc_prog prog;
	json_t *prof = ward_profile();
	size_t checked = 0, names = 0;

	assert_int_equal(sc_build(&prog, &params), 0);
	for (int nr = 0; nr < 512; nr++) {
		int idx = sc_deny_index(nr);
		const char *name;
		if (idx < 0)
			continue;
		name = sc_deny_name((size_t)idx);
		if (left_to_init(name))
			continue;
		names++;
		for (size_t a = 0; a < NVALS; a++)
			for (size_t b = 0; b < NVALS; b++)
				for (size_t c = 0; c < NVALS3; c++) {
					struct seccomp_data d = {.nr = nr,
								 .arch = AUDIT_ARCH_X86_64};
					uint64_t args[6] = {vals[a], vals[b], vals3[c], 0, 0, 0};
					uint32_t v;
					memcpy(d.args, args, sizeof(args));
					v = bpf_run(&prog, &d) & SECCOMP_RET_ACTION_FULL;
					if (v == SECCOMP_RET_ALLOW)
						continue;
					/* The gate makes these itself (a sealed memfd, a
					 * filtered socket) or admits the caller's own
					 * threads: not a refusal. */
					pid_t target;
					int h = sc_handler(nr, args, &target);
					if (v == SECCOMP_RET_USER_NOTIF &&
					    (h == SC_H_MEMFD || h == SC_H_SOCKET || h == SC_H_SELF))
						continue;
					checked++;
					if (profile_eval(prof, name, args) == 0)
						fail_msg(
							"ward-init refuses %s(%#llx, %#llx, %#llx) "
							"but the profile allows it",
							name, (unsigned long long)args[0],
							(unsigned long long)args[1],
							(unsigned long long)args[2]);
				}
	}
	assert_true(names > 40);
	assert_true(checked > 50000);
	compiled = NULL;
	json_decref(prof);
}

/* What servers and ward-init need stays allowed (the kernel test in
 * tests/sh/test_deploy.sh runs ward-init and a server under it). */
static void
test_needed_calls_allowed(void **state)
{
	(void)state;
	json_t *prof = ward_profile();
	struct {
		const char *name;
		uint64_t a0, a1, a2;
	} ok[] = {
		{"read", 0, 0, 0},
		{"openat", 0, 0, 0},
		{"mmap", 0, 0, 0},
		{"futex", 0, 0, 0},
		{"execve", 0, 0, 0},
		{"clone", SIGCHLD, 0, 0},
		{"clone", CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD, 0, 0},
		{"socket", AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0},
		{"socket", AF_INET6, SOCK_STREAM, 0},
		{"socketpair", AF_UNIX, SOCK_STREAM, 0},
		{"memfd_create", 0, MFD_CLOEXEC | MFD_ALLOW_SEALING, 0},
		{"prlimit64", 0, RLIMIT_NOFILE, 0},
		{"prctl", PR_SET_DUMPABLE, 0, 0},
		{"prctl", PR_SET_NO_NEW_PRIVS, 1, 0},
		{"prctl", PR_CAPBSET_DROP, 5, 0},
		{"personality", 0xffffffffull, 0, 0},
		{"mknodat", (uint64_t)-100, 0, S_IFIFO | 0600},
		{"seccomp", 1, 8, 0},
		{"landlock_create_ruleset", 0, 0, 1},
		{"landlock_restrict_self", 3, 0, 0},
		{"setresuid", 65532, 65532, 65532},
		{"capset", 0, 0, 0},
		{"close_range", 3, ~0u, 4},
		{"signalfd4", 0, 0, 0},
		{"kill", 1, 15, 0},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
		uint64_t args[6] = {ok[i].a0, ok[i].a1, ok[i].a2, 0, 0, 0};
		if (profile_eval(prof, ok[i].name, args) != 0)
			fail_msg("%s(%#llx, %#llx, %#llx) is refused", ok[i].name,
				 (unsigned long long)ok[i].a0, (unsigned long long)ok[i].a1,
				 (unsigned long long)ok[i].a2);
	}
	/* Refused unless the policy's network names them; then allowed. */
	struct {
		uint64_t a0, a1, a2;
	} net[] = {{AF_INET6, SOCK_DGRAM, 0},
		   {AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP},
		   {AF_UNIX, SOCK_SEQPACKET, 0},
		   {AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0}};
	struct deploy_net all = {1, 1, 1};
	json_t *init = sc_oci_profile(&params),
	       *open_prof = deploy_seccomp_profile(init, "amd64", &all);
	for (size_t i = 0; i < sizeof(net) / sizeof(*net); i++) {
		uint64_t args[6] = {net[i].a0, net[i].a1, net[i].a2, 0, 0, 0};
		assert_int_equal(profile_eval(prof, "socket", args), EPERM);
		assert_int_equal(profile_eval(open_prof, "socket", args), 0);
		compiled = NULL;
	}
	/* Never: MPTCP, SCTP, raw, packet, vsock, an executable memfd, exec of
	 * a descriptor, another process's limits. */
	struct {
		const char *name;
		uint64_t a[6];
	} never[] = {
		{"socket", {AF_INET, SOCK_STREAM, 262}},
		{"socket", {AF_INET6, SOCK_STREAM, 132}},
		{"socket", {AF_INET, SOCK_RAW, 1}},
		{"socket", {17, SOCK_DGRAM, 0}},
		{"socket", {40, SOCK_STREAM, 0}},
		{"memfd_create", {0, MFD_EXEC_, 0}},
		{"execveat", {3, 0, 0, 0, 0x1000}},
		{"prlimit64", {1, RLIMIT_CPU, 8}},
		{"sched_setaffinity", {1, 8, 0}},
		{"setpriority", {2 /* PRIO_USER */, 0, 19}},
		{"ioprio_set", {3 /* WHO_USER */, 0, 0}},
		{"socketpair", {AF_INET, SOCK_STREAM, 0}},
	};
	for (size_t i = 0; i < sizeof(never) / sizeof(*never); i++) {
		compiled = NULL;
		if (profile_eval(open_prof, never[i].name, never[i].a) == 0)
			fail_msg("%s(%#llx, %#llx, %#llx) is allowed", never[i].name,
				 (unsigned long long)never[i].a[0],
				 (unsigned long long)never[i].a[1],
				 (unsigned long long)never[i].a[2]);
	}
	compiled = NULL;
	json_decref(open_prof);
	json_decref(init);
	/* clone3: ENOSYS, so libc falls back to clone. */
	uint64_t none[6] = {0};
	assert_int_equal(profile_eval(prof, "clone3", none), ENOSYS);
	assert_int_equal(profile_eval(prof, "ptrace", none), EPERM);
	assert_int_equal(profile_eval(prof, "no_such_call", none), EPERM);
	compiled = NULL;
	json_decref(prof);
}

/* The derivation follows ward-init's table: a new denial is honoured, an
 * argument restriction ward deploy cannot match is an error. */
static void
test_follows_init_table(void **state)
{
	(void)state;
	json_t *init, *prof;
	uint64_t none[6] = {0};

	init = json_pack("{s:s,s:[{s:[s,s],s:s,s:i}]}", "defaultAction", "SCMP_ACT_ALLOW",
			 "syscalls", "names", "read", "futex", "action", "SCMP_ACT_ERRNO",
			 "errnoRet", 1);
	prof = deploy_seccomp_profile(init, "amd64", NULL);
	assert_non_null(prof);
	assert_int_equal(profile_eval(prof, "read", none), EPERM);
	assert_int_equal(profile_eval(prof, "write", none), 0);
	compiled = NULL;
	json_decref(prof);
	json_decref(init);

	init = json_pack("{s:s,s:[{s:[s],s:s,s:i,s:[{s:i,s:i,s:s}]}]}", "defaultAction",
			 "SCMP_ACT_ALLOW", "syscalls", "names", "write", "action", "SCMP_ACT_ERRNO",
			 "errnoRet", 1, "args", "index", 0, "value", 2, "op", "SCMP_CMP_EQ");
	assert_null(deploy_seccomp_profile(init, "amd64", NULL));
	assert_non_null(strstr(ward_errmsg(), "write"));
	json_decref(init);

	init = json_pack("{s:s,s:[]}", "defaultAction", "SCMP_ACT_ERRNO", "syscalls");
	assert_null(deploy_seccomp_profile(init, "amd64", NULL));
	json_decref(init);

	/* Every call ward-init's profile denies outright is refused. */
	init = sc_oci_profile(&params);
	prof = deploy_seccomp_profile(init, "amd64", NULL);
	json_t *r, *nm;
	size_t k, j, n = 0;
	json_array_foreach(json_object_get(init, "syscalls"), k, r)
	{
		if (json_array_size(json_object_get(r, "args")) > 0)
			continue;
		json_array_foreach(json_object_get(r, "names"), j, nm)
		{
			assert_int_not_equal(profile_eval(prof, json_string_value(nm), none), 0);
			n++;
		}
	}
	assert_true(n > 40);
	compiled = NULL;
	json_decref(prof);
	json_decref(init);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shape),
		cmocka_unit_test(test_never_weaker_than_init),
		cmocka_unit_test(test_needed_calls_allowed),
		cmocka_unit_test(test_follows_init_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
