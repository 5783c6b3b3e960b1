/* seccomp.c: an allow-list OCI seccomp profile consistent with ward-init.
 *
 * ward-init's own filter is a deny list (everything else allowed) so that
 * any server starts; the runtime's profile can afford an allow list, the
 * way Docker's and podman's defaults are, because it is written per image
 * and errs towards what servers actually call.  The profile is:
 *   - default: EPERM (ward-init's answer too); clone3 ENOSYS so that libc
 *     falls back to clone, whose flags a filter can see;
 *   - allowed: the base list below MINUS every system call ward-init's
 *     profile denies outright (so its deny list always wins, even when it
 *     grows) — and never anything the runtimes' defaults lack;
 *   - argument rules: for each system call ward-init restricts by
 *     argument, allow rules at least as strict (the tests evaluate both
 *     profiles over the arguments that matter, and run the kernel's).
 * Calls ward-init checks against its own pid or leaves to its gate (kill,
 * RLIMIT_CORE, execve) are allowed here, as in ward-init's profile: a
 * static profile cannot know ward-init's pid, and ward-init itself runs
 * under this profile.
 */
#include <stdlib.h>
#include <string.h>

#include "deploy.h"

/* What an inference server (Python, C++ runtimes, CUDA user space) and
 * ward-init call, by generic name (runtimes skip names an architecture
 * lacks).  Left out on purpose, although some runtime defaults allow them:
 * time setting (adjtimex, clock_adjtime), file handles (name_to_handle_at),
 * kcmp, vmsplice, memfd_secret, process_madvise/_mrelease, io_pgetevents,
 * modify_ldt, fanotify, lookup_dcookie, vhangup, syslog, the 32-bit
 * multiplexers, and everything ward-init denies. */
static const char *const base[] = {
	/* descriptors and I/O */
	"read",
	"write",
	"readv",
	"writev",
	"pread64",
	"pwrite64",
	"preadv",
	"preadv2",
	"pwritev",
	"pwritev2",
	"lseek",
	"close",
	"close_range",
	"dup",
	"dup2",
	"dup3",
	"fcntl",
	"ioctl",
	"flock",
	"pipe",
	"pipe2",
	"splice",
	"tee",
	"sendfile",
	"copy_file_range",
	/* waiting for descriptors */
	"select",
	"pselect6",
	"poll",
	"ppoll",
	"epoll_create",
	"epoll_create1",
	"epoll_ctl",
	"epoll_wait",
	"epoll_pwait",
	"epoll_pwait2",
	"eventfd",
	"eventfd2",
	"signalfd",
	"signalfd4",
	"timerfd_create",
	"timerfd_settime",
	"timerfd_gettime",
	"inotify_init",
	"inotify_init1",
	"inotify_add_watch",
	"inotify_rm_watch",
	"io_setup",
	"io_destroy",
	"io_submit",
	"io_cancel",
	"io_getevents",
	/* files and directories */
	"open",
	"openat",
	"openat2",
	"creat",
	"stat",
	"fstat",
	"lstat",
	"newfstatat",
	"statx",
	"statfs",
	"fstatfs",
	"access",
	"faccessat",
	"faccessat2",
	"readlink",
	"readlinkat",
	"getdents",
	"getdents64",
	"getcwd",
	"chdir",
	"fchdir",
	"mkdir",
	"mkdirat",
	"rmdir",
	"unlink",
	"unlinkat",
	"rename",
	"renameat",
	"renameat2",
	"link",
	"linkat",
	"symlink",
	"symlinkat",
	"chmod",
	"fchmod",
	"fchmodat",
	"fchmodat2",
	"chown",
	"fchown",
	"lchown",
	"fchownat",
	"umask",
	"truncate",
	"ftruncate",
	"fallocate",
	"fsync",
	"fdatasync",
	"sync",
	"syncfs",
	"sync_file_range",
	"fadvise64",
	"readahead",
	"utime",
	"utimes",
	"utimensat",
	"futimesat",
	"getxattr",
	"lgetxattr",
	"fgetxattr",
	"listxattr",
	"llistxattr",
	"flistxattr",
	"setxattr",
	"lsetxattr",
	"fsetxattr",
	"removexattr",
	"lremovexattr",
	"fremovexattr",
	"memfd_create",
	"mknod",
	"mknodat",
	/* memory */
	"brk",
	"mmap",
	"munmap",
	"mremap",
	"mprotect",
	"madvise",
	"mincore",
	"msync",
	"mlock",
	"mlock2",
	"munlock",
	"mlockall",
	"munlockall",
	"membarrier",
	"pkey_alloc",
	"pkey_free",
	"pkey_mprotect",
	"remap_file_pages",
	"map_shadow_stack",
	"get_mempolicy",
	"mbind",
	"set_mempolicy",
	/* processes and threads */
	"fork",
	"vfork",
	"clone",
	"execve",
	"execveat",
	"exit",
	"exit_group",
	"wait4",
	"waitid",
	"getpid",
	"getppid",
	"gettid",
	"getpgid",
	"setpgid",
	"getpgrp",
	"getsid",
	"setsid",
	"getuid",
	"geteuid",
	"getgid",
	"getegid",
	"getresuid",
	"getresgid",
	"getgroups",
	"setuid",
	"setgid",
	"setreuid",
	"setregid",
	"setresuid",
	"setresgid",
	"setgroups",
	"setfsuid",
	"setfsgid",
	"capget",
	"capset",
	"prctl",
	"arch_prctl",
	"set_tid_address",
	"set_robust_list",
	"get_robust_list",
	"rseq",
	"futex",
	"futex_waitv",
	"sched_yield",
	"sched_getaffinity",
	"sched_setaffinity",
	"sched_getparam",
	"sched_setparam",
	"sched_getscheduler",
	"sched_setscheduler",
	"sched_get_priority_max",
	"sched_get_priority_min",
	"sched_rr_get_interval",
	"sched_getattr",
	"sched_setattr",
	"getpriority",
	"setpriority",
	"ioprio_get",
	"ioprio_set",
	"getrlimit",
	"setrlimit",
	"prlimit64",
	"getrusage",
	"times",
	"sysinfo",
	"uname",
	"personality",
	"getcpu",
	"getrandom",
	"kill",
	"tkill",
	"tgkill",
	"pidfd_open",
	"pidfd_send_signal",
	"seccomp",
	"landlock_create_ruleset",
	"landlock_add_rule",
	"landlock_restrict_self",
	/* signals and time */
	"rt_sigaction",
	"rt_sigprocmask",
	"rt_sigreturn",
	"rt_sigpending",
	"rt_sigsuspend",
	"rt_sigtimedwait",
	"rt_sigqueueinfo",
	"rt_tgsigqueueinfo",
	"sigaltstack",
	"pause",
	"alarm",
	"restart_syscall",
	"clock_gettime",
	"clock_getres",
	"clock_nanosleep",
	"nanosleep",
	"gettimeofday",
	"time",
	"getitimer",
	"setitimer",
	"timer_create",
	"timer_delete",
	"timer_getoverrun",
	"timer_gettime",
	"timer_settime",
	/* sockets */
	"socket",
	"socketpair",
	"bind",
	"listen",
	"accept",
	"accept4",
	"connect",
	"getsockname",
	"getpeername",
	"getsockopt",
	"setsockopt",
	"sendto",
	"recvfrom",
	"sendmsg",
	"recvmsg",
	"sendmmsg",
	"recvmmsg",
	"shutdown",
	/* System V and POSIX IPC (shared memory between worker processes) */
	"shmget",
	"shmat",
	"shmdt",
	"shmctl",
	"semget",
	"semop",
	"semtimedop",
	"semctl",
	"msgget",
	"msgsnd",
	"msgrcv",
	"msgctl",
	"mq_open",
	"mq_unlink",
	"mq_timedsend",
	"mq_timedreceive",
	"mq_notify",
	"mq_getsetattr",
};
#define NBASE (sizeof(base) / sizeof(*base))

size_t
deploy_seccomp_base_count(void)
{
	return NBASE;
}

const char *
deploy_seccomp_base_name(size_t i)
{
	return i < NBASE ? base[i] : NULL;
}

#define NS_FLAGS 0x7e020000ull /* CLONE_NEW{NS,CGROUP,UTS,IPC,USER,PID,NET} */
#define NEWTIME 0x00000080ull  /* CLONE_NEWTIME (unshare) */
#define S_IFMT_ 0170000ull

struct cmp {
	unsigned index;
	uint64_t value, two;
	const char *op;
};

/* An allow rule: every comparison must hold. */
struct arg_rule {
	const char *name;
	unsigned n;
	struct cmp c[3];
};

#define EQ "SCMP_CMP_EQ"
#define NE "SCMP_CMP_NE"
#define MEQ "SCMP_CMP_MASKED_EQ" /* (arg & value) == two */
#define MKNOD_TYPE(name, arg, type)                                                                \
	{                                                                                          \
		name, 1,                                                                           \
		{                                                                                  \
			{                                                                          \
				arg, S_IFMT_, type, MEQ                                            \
			}                                                                          \
		}                                                                                  \
	}

/* ward-init restricts these by argument; each allow rule here admits only
 * calls ward-init admits (checked by tests/py/seccomp_profile.py). */
static const struct arg_rule arg_rules[] = {
	/* threads and processes, never namespaces */
	{"clone", 1, {{0, NS_FLAGS, 0, MEQ}}},
	{"unshare", 1, {{0, NS_FLAGS | NEWTIME, 0, MEQ}}},
	/* Linux personality, or the query; never ASLR off or READ_IMPLIES_EXEC */
	{"personality", 1, {{0, 0, 0, EQ}}},
	{"personality", 1, {{0, 0xffffffffull, 0, EQ}}},
	/* anything but making the process dumpable again */
	{"prctl", 1, {{0, 4 /* PR_SET_DUMPABLE */, 0, NE}}},
	{"prctl", 2, {{0, 4, 0, EQ}, {1, 0, 0, EQ}}},
	/* exec by path only, never of a descriptor (AT_EMPTY_PATH) */
	{"execveat", 1, {{4, 0x1000, 0, MEQ}}},
	/* memfds never executable (MFD_EXEC); ward-init seals the rest */
	{"memfd_create", 1, {{1, 0x10, 0, MEQ}}},
	/* unix socket pairs only */
	{"socketpair", 1, {{0, 1 /* AF_UNIX */, 0, EQ}}},
	/* calls on a process only on the caller (pid 0): a static profile
	 * knows no pids, ward-init admits the caller's own threads too */
	{"prlimit64", 1, {{0, 0, 0, EQ}}},
	{"sched_setaffinity", 1, {{0, 0, 0, EQ}}},
	{"sched_setscheduler", 1, {{0, 0, 0, EQ}}},
	{"sched_setparam", 1, {{0, 0, 0, EQ}}},
	{"sched_setattr", 1, {{0, 0, 0, EQ}}},
	{"get_robust_list", 1, {{0, 0, 0, EQ}}},
	{"setpriority", 2, {{0, 0 /* PRIO_PROCESS */, 0, EQ}, {1, 0, 0, EQ}}},
	{"setpriority", 2, {{0, 1 /* PRIO_PGRP */, 0, EQ}, {1, 0, 0, EQ}}},
	{"ioprio_set", 2, {{0, 1 /* IOPRIO_WHO_PROCESS */, 0, EQ}, {1, 0, 0, EQ}}},
	{"ioprio_set", 2, {{0, 2 /* IOPRIO_WHO_PGRP */, 0, EQ}, {1, 0, 0, EQ}}},
	/* TCP on IPv4 and IPv6 (not MPTCP, SCTP or SMC); the rest of socket()
	 * follows the policy's network (net_rules) */
	{"socket",
	 3,
	 {{0, 2 /* AF_INET */, 0, EQ}, {1, 0xf, 1 /* SOCK_STREAM */, MEQ}, {2, 0, 0, EQ}}},
	{"socket", 3, {{0, 2, 0, EQ}, {1, 0xf, 1, MEQ}, {2, 6 /* IPPROTO_TCP */, 0, EQ}}},
	{"socket", 3, {{0, 10 /* AF_INET6 */, 0, EQ}, {1, 0xf, 1, MEQ}, {2, 0, 0, EQ}}},
	{"socket", 3, {{0, 10, 0, EQ}, {1, 0xf, 1, MEQ}, {2, 6, 0, EQ}}},
	/* files, FIFOs and sockets; never device nodes */
	MKNOD_TYPE("mknod", 1, 0),
	MKNOD_TYPE("mknod", 1, 0100000),
	MKNOD_TYPE("mknod", 1, 0010000),
	MKNOD_TYPE("mknod", 1, 0140000),
	MKNOD_TYPE("mknodat", 2, 0),
	MKNOD_TYPE("mknodat", 2, 0100000),
	MKNOD_TYPE("mknodat", 2, 0010000),
	MKNOD_TYPE("mknodat", 2, 0140000),
};
#define NARG_RULES (sizeof(arg_rules) / sizeof(*arg_rules))

/* socket() beyond TCP, as the image's policy allows it (network:). */
static const struct arg_rule udp_rules[] = {
	{"socket", 3, {{0, 2, 0, EQ}, {1, 0xf, 2 /* SOCK_DGRAM */, MEQ}, {2, 0, 0, EQ}}},
	{"socket", 3, {{0, 2, 0, EQ}, {1, 0xf, 2, MEQ}, {2, 17 /* IPPROTO_UDP */, 0, EQ}}},
	{"socket", 3, {{0, 10, 0, EQ}, {1, 0xf, 2, MEQ}, {2, 0, 0, EQ}}},
	{"socket", 3, {{0, 10, 0, EQ}, {1, 0xf, 2, MEQ}, {2, 17, 0, EQ}}},
};
static const struct arg_rule unix_rule = {"socket", 1, {{0, 1 /* AF_UNIX */, 0, EQ}}};
static const struct arg_rule netlink_rule = {"socket", 1, {{0, 16 /* AF_NETLINK */, 0, EQ}}};

static int
has_arg_rules(const char *name)
{
	for (size_t i = 0; i < NARG_RULES; i++)
		if (strcmp(arg_rules[i].name, name) == 0)
			return 1;
	return 0;
}

/* The OCI architecture name for a config architecture. */
static const char *
scmp_arch(const char *arch)
{
	if (strcmp(arch, "amd64") == 0)
		return "SCMP_ARCH_X86_64";
	if (strcmp(arch, "arm64") == 0)
		return "SCMP_ARCH_AARCH64";
	return NULL;
}

/* Names ward-init's profile denies outright, those it restricts by
 * argument, and the denials whose errno is not EPERM (clone3's ENOSYS,
 * which tells libc to fall back): {errno: [names]}. */
static int
read_init_profile(const json_t *prof, struct ward_strv *deny, struct ward_strv *restricted,
		  json_t *errnos)
{
	json_t *calls = json_object_get(prof, "syscalls"), *r;
	const char *def = ward_json_str(prof, "defaultAction");
	size_t i;

	if (!json_is_object(prof) || !json_is_array(calls) || def == NULL ||
	    strcmp(def, "SCMP_ACT_ALLOW") != 0)
		return ward_err(WARD_EINPUT,
				"seccomp: ward-init's profile is not a deny list (defaultAction "
				"SCMP_ACT_ALLOW with syscalls[])");
	json_array_foreach(calls, i, r)
	{
		json_t *names = json_object_get(r, "names"), *args = json_object_get(r, "args"), *n;
		const char *action = ward_json_str(r, "action");
		json_t *err = json_object_get(r, "errnoRet");
		size_t k;

		if (!json_is_array(names) || action == NULL)
			return ward_err(WARD_EINPUT,
					"seccomp: ward-init's profile: syscalls[%zu] "
					"lacks names or action",
					i);
		if (strcmp(action, "SCMP_ACT_ALLOW") == 0)
			continue;
		json_array_foreach(names, k, n)
		{
			const char *s = json_string_value(n);
			if (s == NULL)
				return ward_err(
					WARD_EINPUT,
					"seccomp: ward-init's profile: a name is not a string");
			if (json_array_size(args) > 0) {
				if (!ward_strv_contains(restricted, s) &&
				    ward_strv_push(restricted, s) != 0)
					return -1;
				continue;
			}
			if (!ward_strv_contains(deny, s) && ward_strv_push(deny, s) != 0)
				return -1;
			if (strcmp(action, "SCMP_ACT_ERRNO") == 0 && json_is_integer(err) &&
			    json_integer_value(err) != 1 /* EPERM: the default here */) {
				char key[24];
				json_t *list;
				snprintf(key, sizeof(key), "%" JSON_INTEGER_FORMAT,
					 json_integer_value(err));
				if ((list = json_object_get(errnos, key)) == NULL)
					json_object_set_new(errnos, key, list = json_array());
				json_array_append_new(list, json_string(s));
			}
		}
	}
	return 0;
}

static json_t *
arg_json(const struct arg_rule *r)
{
	json_t *args = json_array();

	for (unsigned i = 0; i < r->n; i++)
		json_array_append_new(args,
				      json_pack("{s:i,s:I,s:I,s:s}", "index", r->c[i].index,
						"value", (json_int_t)r->c[i].value, "valueTwo",
						(json_int_t)r->c[i].two, "op", r->c[i].op));
	return args;
}

json_t *
deploy_seccomp_profile(const json_t *init_profile, const char *arch, const struct deploy_net *net)
{
	struct ward_strv deny = {0}, restricted = {0}, allow = {0};
	const char *sarch = scmp_arch(arch), *key;
	json_t *errnos = json_object(), *prof = NULL, *calls = NULL, *names, *list;
	size_t i;

	if (sarch == NULL) {
		ward_err(WARD_EINPUT, "seccomp: no profile for architecture \"%s\" (amd64, arm64)",
			 arch);
		goto out;
	}
	/* clone3's flags are out of a filter's reach: ENOSYS makes libc use
	 * clone, whatever ward-init says. */
	json_object_set_new(errnos, "38", json_pack("[s]", "clone3"));
	if (read_init_profile(init_profile, &deny, &restricted, errnos) != 0)
		goto out;
	/* ward-init restricting a call by argument that the base allows
	 * without a rule here would make this profile the weaker one. */
	for (i = 0; i < restricted.n; i++) {
		const char *n = restricted.v[i];
		if (ward_strv_contains(&deny, n) || has_arg_rules(n))
			continue;
		for (size_t b = 0; b < NBASE; b++)
			if (strcmp(base[b], n) == 0) {
				ward_err(WARD_EINPUT,
					 "seccomp: ward-init restricts %s by argument and ward "
					 "deploy "
					 "has no argument rule for it",
					 n);
				goto out;
			}
	}
	for (i = 0; i < NBASE; i++)
		if (!ward_strv_contains(&deny, base[i]) && !has_arg_rules(base[i]) &&
		    ward_strv_push(&allow, base[i]) != 0)
			goto out;
	ward_strv_sort(&allow);
	calls = json_array();
	names = json_array();
	for (i = 0; i < allow.n; i++)
		json_array_append_new(names, json_string(allow.v[i]));
	json_array_append_new(calls,
			      json_pack("{s:o,s:s}", "names", names, "action", "SCMP_ACT_ALLOW"));
	json_object_foreach(errnos, key, list)
	{
		struct ward_strv sorted = {0};
		json_t *v, *arr = json_array();
		json_array_foreach(list, i, v)
		{
			if (!ward_strv_contains(&sorted, json_string_value(v)) &&
			    ward_strv_push(&sorted, json_string_value(v)) != 0) {
				json_decref(arr);
				ward_strv_free(&sorted);
				goto out;
			}
		}
		ward_strv_sort(&sorted);
		for (i = 0; i < sorted.n; i++)
			json_array_append_new(arr, json_string(sorted.v[i]));
		ward_strv_free(&sorted);
		json_array_append_new(calls, json_pack("{s:o,s:s,s:I}", "names", arr, "action",
						       "SCMP_ACT_ERRNO", "errnoRet",
						       (json_int_t)strtoll(key, NULL, 10)));
	}
	const struct arg_rule *extra[8];
	size_t nextra = 0;
	for (i = 0; net != NULL && net->udp && i < sizeof(udp_rules) / sizeof(*udp_rules); i++)
		extra[nextra++] = &udp_rules[i];
	if (net != NULL && net->unix_)
		extra[nextra++] = &unix_rule;
	if (net != NULL && net->netlink)
		extra[nextra++] = &netlink_rule;
	for (i = 0; i < NARG_RULES + nextra; i++) {
		const struct arg_rule *r = i < NARG_RULES ? &arg_rules[i] : extra[i - NARG_RULES];
		if (!ward_strv_contains(&deny, r->name))
			json_array_append_new(calls, json_pack("{s:[s],s:s,s:o}", "names", r->name,
							       "action", "SCMP_ACT_ALLOW", "args",
							       arg_json(r)));
	}
	prof = json_pack("{s:s,s:i,s:[s],s:O}", "defaultAction", "SCMP_ACT_ERRNO",
			 "defaultErrnoRet", 1 /* EPERM */, "architectures", sarch, "syscalls",
			 calls);
	if (prof == NULL)
		ward_err(WARD_EENV, "seccomp: out of memory");
out:
	json_decref(calls);
	json_decref(errnos);
	ward_strv_free(&deny);
	ward_strv_free(&restricted);
	ward_strv_free(&allow);
	return prof;
}
