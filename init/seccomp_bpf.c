/* seccomp_bpf.c: build the server's seccomp filter (see seccomp_bpf.h). */
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>

#include "seccomp_bpf.h"

#if defined(__x86_64__)
#define SC_ARCH AUDIT_ARCH_X86_64
#define SC_ARCH_OCI "SCMP_ARCH_X86_64"
#define SC_X32_BIT 0x40000000u
#elif defined(__aarch64__)
#define SC_ARCH AUDIT_ARCH_AARCH64
#define SC_ARCH_OCI "SCMP_ARCH_AARCH64"
#endif

#define SC_NS_FLAGS 0x7e020000u /* CLONE_NEW{NS,CGROUP,UTS,IPC,USER,PID,NET} */
#define SC_NEWTIME 0x00000080u	/* CLONE_NEWTIME: unshare only */
#define SC_S_IFMT 0170000u
#define SC_S_IFCHR 0020000u
#define SC_S_IFBLK 0060000u
#define SC_AF_INET 2u
#define SC_AF_INET6 10u
#define SC_AF_PACKET 17u
#define SC_SOCK_RAW 3u
#define SC_PR_SET_DUMPABLE 4u
#define SC_RLIMIT_CORE 4u

enum rule_kind {
	K_DENY,	       /* always EPERM */
	K_EXEC,	       /* the exec gate */
	K_ENOSYS,      /* clone3 */
	K_CLONE,       /* EPERM when arg0 asks for a namespace */
	K_UNSHARE,     /* likewise, CLONE_NEWTIME included */
	K_PERSONALITY, /* EPERM unless a query (0xffffffff) or PER_LINUX (0) */
	K_KILL,	       /* EPERM for ward-init's pid, its group, or -1 */
	K_PID0,	       /* EPERM when arg0 is ward-init's pid (tkill, tgkill, ...) */
	K_PRCTL,       /* EPERM for PR_SET_DUMPABLE with a non-zero argument */
	K_SETRLIMIT,   /* EPERM for RLIMIT_CORE */
	K_PRLIMIT,     /* EPERM for setting RLIMIT_CORE */
	K_SOCKET,      /* EPERM for AF_PACKET and raw IPv4/IPv6 sockets */
	K_MKNOD,       /* EPERM for character and block devices; mode in arg */
};

struct rule {
	int nr;
	const char *name;
	int kind;
	int arg;
};

#define R(n, k)                                                                                    \
	{                                                                                          \
		__NR_##n, #n, k, 0                                                                 \
	}
static const struct rule rules[] = {
	R(execve, K_EXEC),
	R(execveat, K_EXEC),
	R(clone3, K_ENOSYS),
	R(ptrace, K_DENY),
	R(process_vm_readv, K_DENY),
	R(process_vm_writev, K_DENY),
	R(mount, K_DENY),
	R(umount2, K_DENY),
	R(pivot_root, K_DENY),
	R(move_mount, K_DENY),
	R(open_tree, K_DENY),
	R(fsopen, K_DENY),
	R(fsconfig, K_DENY),
	R(fsmount, K_DENY),
	R(fspick, K_DENY),
	R(mount_setattr, K_DENY),
	R(chroot, K_DENY),
	R(bpf, K_DENY),
	R(perf_event_open, K_DENY),
	R(kexec_load, K_DENY),
	R(kexec_file_load, K_DENY),
	R(init_module, K_DENY),
	R(finit_module, K_DENY),
	R(delete_module, K_DENY),
	R(io_uring_setup, K_DENY),
	R(io_uring_enter, K_DENY),
	R(io_uring_register, K_DENY),
	R(userfaultfd, K_DENY),
	R(keyctl, K_DENY),
	R(add_key, K_DENY),
	R(request_key, K_DENY),
	R(setns, K_DENY),
	R(open_by_handle_at, K_DENY),
	R(pidfd_getfd, K_DENY),
	R(swapon, K_DENY),
	R(swapoff, K_DENY),
	R(reboot, K_DENY),
	R(syslog, K_DENY),
	R(acct, K_DENY),
	R(quotactl, K_DENY),
	R(settimeofday, K_DENY),
	R(clock_settime, K_DENY),
	R(sethostname, K_DENY),
	R(setdomainname, K_DENY),
#ifdef __NR_iopl
	R(iopl, K_DENY),
	R(ioperm, K_DENY),
#endif
#ifdef __NR_uselib
	R(uselib, K_DENY),
#endif
	R(clone, K_CLONE),
	R(unshare, K_UNSHARE),
	R(personality, K_PERSONALITY),
	R(kill, K_KILL),
	R(tkill, K_PID0),
	R(tgkill, K_PID0),
	R(rt_sigqueueinfo, K_PID0),
	R(rt_tgsigqueueinfo, K_PID0),
	R(pidfd_open, K_PID0),
	R(prctl, K_PRCTL),
#ifdef __NR_setrlimit
	R(setrlimit, K_SETRLIMIT),
#endif
	R(prlimit64, K_PRLIMIT),
	R(socket, K_SOCKET),
#ifdef __NR_mknod
	{__NR_mknod, "mknod", K_MKNOD, 1},
#endif
	{__NR_mknodat, "mknodat", K_MKNOD, 2},
};
#undef R
#define NRULES (sizeof(rules) / sizeof(rules[0]))

size_t
sc_deny_count(void)
{
	return NRULES;
}

const char *
sc_deny_name(size_t i)
{
	return i < NRULES ? rules[i].name : NULL;
}

int
sc_deny_index(int nr)
{
	for (size_t i = 0; i < NRULES; i++)
		if (rules[i].nr == nr && rules[i].kind != K_EXEC)
			return (int)i;
	return -1;
}

int
sc_is_exec(int nr)
{
	return nr == __NR_execve || nr == __NR_execveat;
}

/* ------------------------------------------------------------ assembler */

/* Jump targets: the three shared returns at the end, or a rule's block. */
enum { L_ALLOW = -1, L_NOTIFY = -2, L_ENOSYS = -3 };

struct fixup {
	unsigned short at;
	int label; /* L_* or a rule index */
	int is_jt;
};

struct asm_state {
	struct sc_prog *p;
	struct fixup fix[SC_MAX_INSNS];
	size_t nfix;
	int block_at[NRULES];
	int ret_at[3];
	int overflow;
};

static void
emit(struct asm_state *a, unsigned short code, unsigned char jt, unsigned char jf, uint32_t k)
{
	if (a->p->len >= SC_MAX_INSNS) {
		a->overflow = 1;
		return;
	}
	a->p->insn[a->p->len++] = (struct sock_filter){code, jt, jf, k};
}

/* A conditional jump: if (A op k) goto label_true, else fall through. */
static void
jump_if(struct asm_state *a, unsigned short op, uint32_t k, int label)
{
	if (a->nfix < SC_MAX_INSNS)
		a->fix[a->nfix++] = (struct fixup){a->p->len, label, 1};
	emit(a, BPF_JMP | op | BPF_K, 0, 0, k);
}

static void
load_nr(struct asm_state *a)
{
	emit(a, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, nr));
}

static void
load_arg(struct asm_state *a, int i, int hi)
{
	emit(a, BPF_LD | BPF_W | BPF_ABS, 0, 0,
	     (uint32_t)(offsetof(struct seccomp_data, args) + 8u * (unsigned)i + (hi ? 4u : 0u)));
}

static void
ret(struct asm_state *a, uint32_t k)
{
	emit(a, BPF_RET | BPF_K, 0, 0, k);
}

/* (A & mask) == value ? goto label */
static void
jump_masked_eq(struct asm_state *a, uint32_t mask, uint32_t value, int label)
{
	emit(a, BPF_ALU | BPF_AND | BPF_K, 0, 0, mask);
	jump_if(a, BPF_JEQ, value, label);
}

static void
block(struct asm_state *a, const struct rule *r, uint32_t pid, uint32_t pgid)
{
	switch (r->kind) {
	case K_CLONE:
	case K_UNSHARE:
		load_arg(a, 0, 0);
		emit(a, BPF_JMP | BPF_JSET | BPF_K, 0, 1,
		     SC_NS_FLAGS | (r->kind == K_UNSHARE ? SC_NEWTIME : 0));
		ret(a, SECCOMP_RET_USER_NOTIF);
		break;
	case K_PERSONALITY:
		load_arg(a, 0, 0);
		jump_if(a, BPF_JEQ, 0xffffffffu, L_ALLOW);
		jump_if(a, BPF_JEQ, 0, L_ALLOW);
		ret(a, SECCOMP_RET_USER_NOTIF);
		return;
	case K_KILL:
		load_arg(a, 0, 0);
		jump_if(a, BPF_JEQ, pid, L_NOTIFY);
		jump_if(a, BPF_JEQ, (uint32_t) - (int32_t)pgid, L_NOTIFY);
		jump_if(a, BPF_JEQ, 0xffffffffu, L_NOTIFY);
		break;
	case K_PID0:
		load_arg(a, 0, 0);
		jump_if(a, BPF_JEQ, pid, L_NOTIFY);
		break;
	case K_PRCTL:
		load_arg(a, 0, 0);
		emit(a, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, SC_PR_SET_DUMPABLE);
		ret(a, SECCOMP_RET_ALLOW);
		load_arg(a, 1, 0);
		emit(a, BPF_JMP | BPF_JEQ | BPF_K, 0, 2, 0);
		load_arg(a, 1, 1);
		emit(a, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 0);
		ret(a, SECCOMP_RET_USER_NOTIF);
		break;
	case K_SETRLIMIT:
		load_arg(a, 0, 0);
		jump_if(a, BPF_JEQ, SC_RLIMIT_CORE, L_NOTIFY);
		break;
	case K_PRLIMIT:
		/* prlimit64(pid, resource, new, old): a query passes new == NULL. */
		load_arg(a, 1, 0);
		emit(a, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, SC_RLIMIT_CORE);
		ret(a, SECCOMP_RET_ALLOW);
		load_arg(a, 2, 0);
		jump_if(a, BPF_JGT, 0, L_NOTIFY);
		load_arg(a, 2, 1);
		jump_if(a, BPF_JGT, 0, L_NOTIFY);
		break;
	case K_SOCKET:
		load_arg(a, 0, 0);
		jump_if(a, BPF_JEQ, SC_AF_PACKET, L_NOTIFY);
		emit(a, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, SC_AF_INET);
		emit(a, BPF_JMP | BPF_JEQ | BPF_K, 0, 3, SC_AF_INET6);
		load_arg(a, 1, 0);
		jump_masked_eq(a, 0xf, SC_SOCK_RAW, L_NOTIFY);
		break;
	case K_MKNOD:
		load_arg(a, r->arg, 0);
		emit(a, BPF_ALU | BPF_AND | BPF_K, 0, 0, SC_S_IFMT);
		jump_if(a, BPF_JEQ, SC_S_IFCHR, L_NOTIFY);
		jump_if(a, BPF_JEQ, SC_S_IFBLK, L_NOTIFY);
		break;
	}
	ret(a, SECCOMP_RET_ALLOW);
}

int
sc_build(struct sc_prog *p, pid_t init_pid, pid_t init_pgid)
{
	static struct asm_state a; /* large; ward-init builds one filter */
	size_t i;

	memset(&a, 0, sizeof(a));
	memset(p, 0, sizeof(*p));
	a.p = p;
	/* Another architecture's numbering would bypass every rule below. */
	emit(&a, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, arch));
	emit(&a, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, SC_ARCH);
	ret(&a, SECCOMP_RET_KILL_PROCESS);
	load_nr(&a);
#ifdef SC_X32_BIT
	emit(&a, BPF_JMP | BPF_JGE | BPF_K, 0, 1, SC_X32_BIT);
	ret(&a, SECCOMP_RET_KILL_PROCESS);
#endif
	for (i = 0; i < NRULES; i++) {
		int k = rules[i].kind;
		jump_if(&a, BPF_JEQ, (uint32_t)rules[i].nr,
			k == K_DENY || k == K_EXEC ? L_NOTIFY
			: k == K_ENOSYS		   ? L_ENOSYS
						   : (int)i);
	}
	ret(&a, SECCOMP_RET_ALLOW);
	for (i = 0; i < NRULES; i++) {
		if (rules[i].kind <= K_ENOSYS)
			continue;
		a.block_at[i] = p->len;
		block(&a, &rules[i], (uint32_t)init_pid, (uint32_t)init_pgid);
	}
	a.ret_at[0] = p->len;
	ret(&a, SECCOMP_RET_ALLOW);
	a.ret_at[1] = p->len;
	ret(&a, SECCOMP_RET_USER_NOTIF);
	a.ret_at[2] = p->len;
	ret(&a, SECCOMP_RET_ERRNO | 38 /* ENOSYS */);
	if (a.overflow)
		return ward_err(WARD_EENV, "seccomp: filter longer than %d instructions",
				SC_MAX_INSNS);
	for (i = 0; i < a.nfix; i++) {
		const struct fixup *f = &a.fix[i];
		int target = f->label >= 0 ? a.block_at[f->label] : a.ret_at[-f->label - 1];
		int dist = target - f->at - 1;
		if (dist < 0 || dist > 255)
			return ward_err(WARD_EENV, "seccomp: jump out of range at %u", f->at);
		p->insn[f->at].jt = (unsigned char)dist;
	}
	return 0;
}

/* ------------------------------------------------------------ OCI profile */

static json_t *
arg_cmp(int index, uint64_t value, uint64_t two, const char *op)
{
	return json_pack("{s:i,s:I,s:I,s:s}", "index", index, "value", (json_int_t)value,
			 "valueTwo", (json_int_t)two, "op", op);
}

static void
add_rule(json_t *calls, const char *name, int err, json_t *args)
{
	json_t *r = json_pack("{s:[s],s:s,s:i}", "names", name, "action", "SCMP_ACT_ERRNO",
			      "errnoRet", err);

	if (args != NULL)
		json_object_set_new(r, "args", args);
	json_array_append_new(calls, r);
}

json_t *
sc_oci_profile(void)
{
	json_t *prof, *calls = json_array(), *deny = json_array();

	for (size_t i = 0; i < NRULES; i++) {
		const struct rule *r = &rules[i];
		switch (r->kind) {
		case K_DENY:
			json_array_append_new(deny, json_string(r->name));
			break;
		case K_ENOSYS:
			add_rule(calls, r->name, 38, NULL);
			break;
		case K_CLONE:
		case K_UNSHARE:
			/* One rule per flag: OCI has no "any of these bits". */
			for (uint32_t bit = 1; bit != 0; bit <<= 1)
				if (bit & (SC_NS_FLAGS | (r->kind == K_UNSHARE ? SC_NEWTIME : 0)))
					add_rule(calls, r->name, 1,
						 json_pack("[o]", arg_cmp(0, bit, bit,
									  "SCMP_CMP_MASKED_EQ")));
			break;
		case K_PERSONALITY:
			/* ASLR off and READ_IMPLIES_EXEC are what matter. */
			add_rule(calls, r->name, 1,
				 json_pack("[o]",
					   arg_cmp(0, 0x0040000, 0x0040000, "SCMP_CMP_MASKED_EQ")));
			add_rule(calls, r->name, 1,
				 json_pack("[o]",
					   arg_cmp(0, 0x0400000, 0x0400000, "SCMP_CMP_MASKED_EQ")));
			break;
		case K_PRCTL:
			add_rule(calls, r->name, 1,
				 json_pack("[o,o]",
					   arg_cmp(0, SC_PR_SET_DUMPABLE, 0, "SCMP_CMP_EQ"),
					   arg_cmp(1, 0, 0, "SCMP_CMP_NE")));
			break;
		case K_SOCKET:
			add_rule(calls, r->name, 1,
				 json_pack("[o]", arg_cmp(0, SC_AF_PACKET, 0, "SCMP_CMP_EQ")));
			add_rule(calls, r->name, 1,
				 json_pack("[o,o]", arg_cmp(0, SC_AF_INET, 0, "SCMP_CMP_EQ"),
					   arg_cmp(1, 0xf, SC_SOCK_RAW, "SCMP_CMP_MASKED_EQ")));
			add_rule(calls, r->name, 1,
				 json_pack("[o,o]", arg_cmp(0, SC_AF_INET6, 0, "SCMP_CMP_EQ"),
					   arg_cmp(1, 0xf, SC_SOCK_RAW, "SCMP_CMP_MASKED_EQ")));
			break;
		case K_MKNOD:
			add_rule(calls, r->name, 1,
				 json_pack("[o]", arg_cmp(r->arg, SC_S_IFMT, SC_S_IFCHR,
							  "SCMP_CMP_MASKED_EQ")));
			add_rule(calls, r->name, 1,
				 json_pack("[o]", arg_cmp(r->arg, SC_S_IFMT, SC_S_IFBLK,
							  "SCMP_CMP_MASKED_EQ")));
			break;
		default:
			/* exec gate, signals to PID 1, RLIMIT_CORE: ward-init's own. */
			break;
		}
	}
	json_array_insert_new(calls, 0,
			      json_pack("{s:o,s:s,s:i}", "names", deny, "action", "SCMP_ACT_ERRNO",
					"errnoRet", 1));
	prof = json_pack("{s:s,s:[s],s:o}", "defaultAction", "SCMP_ACT_ALLOW", "architectures",
			 SC_ARCH_OCI, "syscalls", calls);
	return prof;
}
