/* seccomp_bpf.c: build the server's seccomp filter (see seccomp_bpf.h). */
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stdarg.h>
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
#define SC_AF_UNIX 1u
#define SC_AF_INET 2u
#define SC_AF_INET6 10u
#define SC_AF_NETLINK 16u
#define SC_SOCK_STREAM 1u
#define SC_SOCK_DGRAM 2u
#define SC_PR_SET_DUMPABLE 4u
#define SC_RLIMIT_CORE 4u
#define SC_SIGCONT 18u
#define SC_F_SETOWN 8u
#define SC_F_SETOWN_EX 15u
#define SC_FIOSETOWN 0x8901u
#define SC_SIOCSPGRP 0x8902u
#define SC_MFD_NOEXEC_SEAL 0x8u
#define SC_MFD_EXEC 0x10u
#define SC_AT_EMPTY_PATH 0x1000u
#define SC_SET_MODE_FILTER 1u
#define SC_FLAG_NEW_LISTENER 8u

enum rule_kind {
	K_DENY,		/* always to ward-init: EPERM */
	K_ENOSYS,	/* clone3 */
	K_EXECVE,	/* allowed with the launch token, else the gate */
	K_CLONE,	/* arg0 asks for a namespace */
	K_UNSHARE,	/* likewise, CLONE_NEWTIME included */
	K_PERSONALITY,	/* anything but a query (0xffffffff) or PER_LINUX (0) */
	K_PRCTL,	/* PR_SET_DUMPABLE with a non-zero argument */
	K_SETRLIMIT,	/* RLIMIT_CORE */
	K_PRLIMIT,	/* another pid, or setting RLIMIT_CORE */
	K_SELF,		/* arg a is a pid: 0 passes, others to the gate */
	K_WHICH,	/* setpriority/ioprio_set: (which arg0, who arg1) */
	K_SIGNAL,	/* pid args a, c protected; sig arg b SIGCONT */
	K_KILL,		/* K_SIGNAL plus ward-init's group and -1 */
	K_SETPGID,	/* never ward-init's group; only the server's when contained */
	K_SETSID,	/* only when not contained */
	K_SECCOMP,	/* no listener of the server's own */
	K_SOCKET,	/* families and protocols */
	K_SOCKETPAIR,	/* AF_UNIX only */
	K_MEMFD,	/* never MFD_EXEC; without MFD_NOEXEC_SEAL via the gate */
	K_MKNOD,	/* character and block devices; mode in arg a */
	K_EXECVEAT,	/* AT_EMPTY_PATH refused by the gate; every one goes there */
	K_SETSOCKOPT,	/* IP_LOCAL_PORT_RANGE, when ward-init sets it */
	K_PIDFD_SIGNAL, /* SIGCONT; everything when Landlock cannot scope signals */
	K_FCNTL,	/* F_SETOWN to a protected pid or group; F_SETOWN_EX unscoped */
	K_IOCTL,	/* FIOSETOWN, SIOCSPGRP when Landlock cannot scope signals */
};

struct rule {
	int nr;
	const char *name;
	int kind;
	int a, b, c; /* argument indexes, -1: none */
};

#define R(n, k)                                                                                    \
	{                                                                                          \
		__NR_##n, #n, k, -1, -1, -1                                                        \
	}
#define RA(n, k, a, b, c)                                                                          \
	{                                                                                          \
		__NR_##n, #n, k, a, b, c                                                           \
	}
static const struct rule rules[] = {
	R(execve, K_EXECVE),
	R(execveat, K_EXECVEAT),
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
	R(kcmp, K_DENY),
	R(process_madvise, K_DENY),
	R(process_mrelease, K_DENY),
	R(fanotify_init, K_DENY),
#ifdef __NR_memfd_secret
	R(memfd_secret, K_DENY),
#endif
	R(swapon, K_DENY),
	R(swapoff, K_DENY),
	R(reboot, K_DENY),
	R(syslog, K_DENY),
	R(acct, K_DENY),
	R(quotactl, K_DENY),
	R(quotactl_fd, K_DENY),
	R(settimeofday, K_DENY),
	R(clock_settime, K_DENY),
	R(sethostname, K_DENY),
	R(setdomainname, K_DENY),
	R(vhangup, K_DENY),
#ifdef __NR_iopl
	R(iopl, K_DENY),
	R(ioperm, K_DENY),
#endif
#ifdef __NR_modify_ldt
	R(modify_ldt, K_DENY),
#endif
#ifdef __NR_uselib
	R(uselib, K_DENY),
#endif
	R(clone, K_CLONE),
	R(unshare, K_UNSHARE),
	R(personality, K_PERSONALITY),
	R(prctl, K_PRCTL),
#ifdef __NR_setrlimit
	R(setrlimit, K_SETRLIMIT),
#endif
	R(prlimit64, K_PRLIMIT),
	RA(sched_setaffinity, K_SELF, 0, -1, -1),
	RA(sched_setscheduler, K_SELF, 0, -1, -1),
	RA(sched_setparam, K_SELF, 0, -1, -1),
	RA(sched_setattr, K_SELF, 0, -1, -1),
	RA(migrate_pages, K_SELF, 0, -1, -1),
	RA(move_pages, K_SELF, 0, -1, -1),
	RA(get_robust_list, K_SELF, 0, -1, -1),
	RA(setpriority, K_WHICH, 0, 1, -1), /* PRIO_PROCESS 0, PRIO_PGRP 1 */
	RA(ioprio_set, K_WHICH, 1, 2, -1),  /* IOPRIO_WHO_PROCESS 1, _PGRP 2 */
	RA(kill, K_KILL, 0, 1, -1),
	RA(tkill, K_SIGNAL, 0, 1, -1),
	RA(tgkill, K_SIGNAL, 0, 2, 1),
	RA(rt_sigqueueinfo, K_SIGNAL, 0, 1, -1),
	RA(rt_tgsigqueueinfo, K_SIGNAL, 0, 2, 1),
	RA(pidfd_open, K_SIGNAL, 0, -1, -1),
	RA(pidfd_send_signal, K_PIDFD_SIGNAL, -1, 1, -1),
	R(fcntl, K_FCNTL),
	R(ioctl, K_IOCTL),
	R(setpgid, K_SETPGID),
	R(setsid, K_SETSID),
	R(seccomp, K_SECCOMP),
	R(socket, K_SOCKET),
	R(socketpair, K_SOCKETPAIR),
	R(setsockopt, K_SETSOCKOPT),
	R(memfd_create, K_MEMFD),
#ifdef __NR_mknod
	RA(mknod, K_MKNOD, 1, -1, -1),
#endif
	RA(mknodat, K_MKNOD, 2, -1, -1),
};
#undef R
#undef RA
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
		if (rules[i].nr == nr)
			return (int)i;
	return -1;
}

int
sc_handler(int nr, const uint64_t args[6], pid_t *target)
{
	*target = 0;
	switch (nr) {
	case __NR_execve:
	case __NR_execveat:
		return SC_H_EXEC;
	case __NR_memfd_create:
		return (args[1] & SC_MFD_EXEC) ? SC_H_DENY : SC_H_MEMFD;
	case __NR_socket:
		return ((uint32_t)args[0] == SC_AF_INET || (uint32_t)args[0] == SC_AF_INET6) &&
				       (args[1] & 0xf) == SC_SOCK_STREAM &&
				       ((uint32_t)args[2] == 0 || (uint32_t)args[2] == 6)
			       ? SC_H_SOCKET
			       : SC_H_DENY;
	case __NR_prlimit64:
		if ((uint32_t)args[1] == SC_RLIMIT_CORE && args[2] != 0)
			return SC_H_DENY;
		*target = (pid_t)args[0];
		return *target != 0 ? SC_H_SELF : SC_H_DENY;
	case __NR_setpriority: /* PRIO_PROCESS */
		*target = (pid_t)args[1];
		return (uint32_t)args[0] == 0 && *target != 0 ? SC_H_SELF : SC_H_DENY;
	case __NR_ioprio_set: /* IOPRIO_WHO_PROCESS */
		*target = (pid_t)args[1];
		return (uint32_t)args[0] == 1 && *target != 0 ? SC_H_SELF : SC_H_DENY;
	default:
		for (size_t i = 0; i < NRULES; i++)
			if (rules[i].nr == nr && rules[i].kind == K_SELF) {
				*target = (pid_t)args[rules[i].a];
				return *target != 0 ? SC_H_SELF : SC_H_DENY;
			}
		return SC_H_DENY;
	}
}

/* ------------------------------------------------------------ assembler */

/* Jump targets inside a block: its own returns, emitted at its end, so
 * every conditional jump stays within reach (8-bit offsets).  Blocks are
 * entered from the dispatch table with 32-bit unconditional jumps. */
enum { L_ALLOW, L_NOTIFY, L_ENOSYS, NLABELS };

struct fixup {
	unsigned short at;
	int label;
	int is_jt;
};

struct asm_state {
	struct sc_prog *p;
	const struct sc_params *sp;
	struct fixup fix[SC_MAX_INSNS];
	size_t nfix;
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

/* if (A op k) goto label (is_jt), or if !(A op k) goto label. */
static void
jump(struct asm_state *a, unsigned short op, uint32_t k, int label, int is_jt)
{
	if (a->nfix < SC_MAX_INSNS)
		a->fix[a->nfix++] = (struct fixup){a->p->len, label, is_jt};
	emit(a, BPF_JMP | op | BPF_K, 0, 0, k);
}
#define jump_if(a, op, k, l) jump(a, op, k, l, 1)
#define jump_ifnot(a, op, k, l) jump(a, op, k, l, 0)

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

static void
ret_label(struct asm_state *a, int label)
{
	ret(a, label == L_ALLOW	   ? SECCOMP_RET_ALLOW
	       : label == L_NOTIFY ? SECCOMP_RET_USER_NOTIF
				   : SECCOMP_RET_ERRNO | 38 /* ENOSYS */);
}

/* A (the low word of an argument) is a protected pid: notify. */
static void
protected_pid(struct asm_state *a, int arg)
{
	load_arg(a, arg, 0);
	for (size_t i = 0; i < a->sp->nprotected; i++)
		jump_if(a, BPF_JEQ, a->sp->protected_pids[i], L_NOTIFY);
}

static void
socket_block(struct asm_state *a)
{
	const struct sc_params *sp = a->sp;

	load_arg(a, 0, 0);
	jump_if(a, BPF_JEQ, SC_AF_UNIX, sp->net_unix ? L_ALLOW : L_NOTIFY);
	jump_if(a, BPF_JEQ, SC_AF_NETLINK, sp->net_netlink ? L_ALLOW : L_NOTIFY);
	emit(a, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, SC_AF_INET);
	jump_ifnot(a, BPF_JEQ, SC_AF_INET6, L_NOTIFY);
	load_arg(a, 1, 0);
	emit(a, BPF_ALU | BPF_AND | BPF_K, 0, 0, 0xf);
	emit(a, BPF_JMP | BPF_JEQ | BPF_K, 0, 4, SC_SOCK_STREAM);
	load_arg(a, 2, 0); /* TCP only: not MPTCP, SCTP, SMC, ... */
	jump_if(a, BPF_JEQ, 0, sp->tcp_gate ? L_NOTIFY : L_ALLOW);
	jump_if(a, BPF_JEQ, 6, sp->tcp_gate ? L_NOTIFY : L_ALLOW);
	ret(a, SECCOMP_RET_USER_NOTIF);
	jump_ifnot(a, BPF_JEQ, SC_SOCK_DGRAM, L_NOTIFY); /* raw, seqpacket, dccp, ... */
	if (!sp->net_udp) {
		ret(a, SECCOMP_RET_USER_NOTIF);
		return;
	}
	load_arg(a, 2, 0); /* UDP only: not ICMP (ping), UDP-Lite, ... */
	jump_if(a, BPF_JEQ, 0, L_ALLOW);
	jump_if(a, BPF_JEQ, 17, L_ALLOW);
	ret(a, SECCOMP_RET_USER_NOTIF);
}

static void
block(struct asm_state *a, const struct rule *r)
{
	const struct sc_params *sp = a->sp;

	switch (r->kind) {
	case K_EXECVE: {
		/* The token in rdi..r9's unused three: 192 random bits the
		 * server never sees.  No token: every execve is the gate's. */
		uint64_t any = sp->token[0] | sp->token[1] | sp->token[2];
		for (int i = 0; i < 3 && any; i++) {
			load_arg(a, 3 + i, 0);
			jump_ifnot(a, BPF_JEQ, (uint32_t)sp->token[i], L_NOTIFY);
			load_arg(a, 3 + i, 1);
			jump_ifnot(a, BPF_JEQ, (uint32_t)(sp->token[i] >> 32), L_NOTIFY);
		}
		ret(a, any ? SECCOMP_RET_ALLOW : SECCOMP_RET_USER_NOTIF);
		return;
	}
	case K_CLONE:
	case K_UNSHARE:
		load_arg(a, 0, 0);
		jump_if(a, BPF_JSET, SC_NS_FLAGS | (r->kind == K_UNSHARE ? SC_NEWTIME : 0),
			L_NOTIFY);
		break;
	case K_PERSONALITY:
		load_arg(a, 0, 0);
		jump_if(a, BPF_JEQ, 0xffffffffu, L_ALLOW);
		jump_if(a, BPF_JEQ, 0, L_ALLOW);
		ret(a, SECCOMP_RET_USER_NOTIF);
		return;
	case K_PRCTL:
		load_arg(a, 0, 0);
		jump_ifnot(a, BPF_JEQ, SC_PR_SET_DUMPABLE, L_ALLOW);
		load_arg(a, 1, 0);
		jump_ifnot(a, BPF_JEQ, 0, L_NOTIFY);
		load_arg(a, 1, 1);
		jump_ifnot(a, BPF_JEQ, 0, L_NOTIFY);
		break;
	case K_SETRLIMIT:
		load_arg(a, 0, 0);
		jump_if(a, BPF_JEQ, SC_RLIMIT_CORE, L_NOTIFY);
		break;
	case K_PRLIMIT:
		/* prlimit64(pid, resource, new, old): pid 0 is the caller. */
		load_arg(a, 0, 0);
		jump_ifnot(a, BPF_JEQ, 0, L_NOTIFY);
		load_arg(a, 1, 0);
		jump_ifnot(a, BPF_JEQ, SC_RLIMIT_CORE, L_ALLOW);
		load_arg(a, 2, 0);
		jump_ifnot(a, BPF_JEQ, 0, L_NOTIFY);
		load_arg(a, 2, 1);
		jump_ifnot(a, BPF_JEQ, 0, L_NOTIFY);
		break;
	case K_SELF:
		load_arg(a, r->a, 0);
		jump_ifnot(a, BPF_JEQ, 0, L_NOTIFY);
		break;
	case K_WHICH:
		/* (which, who): the caller's process or group (who 0) passes; a
		 * named process goes to the gate; a user (every process of the
		 * uid, ward-init's too) never. */
		load_arg(a, 0, 0);
		emit(a, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, (uint32_t)r->a);
		jump_ifnot(a, BPF_JEQ, (uint32_t)r->b, L_NOTIFY);
		load_arg(a, 1, 0);
		jump_ifnot(a, BPF_JEQ, 0, L_NOTIFY);
		break;
	case K_KILL:
		protected_pid(a, 0);
		jump_if(a, BPF_JEQ, (uint32_t) - (int32_t)sp->init_pgid, L_NOTIFY);
		jump_if(a, BPF_JEQ, 0xffffffffu, L_NOTIFY);
		/* fall through */
	case K_SIGNAL:
		if (r->kind == K_SIGNAL && r->a >= 0)
			protected_pid(a, r->a);
		if (r->c >= 0)
			protected_pid(a, r->c);
		if (r->b >= 0 && sp->deny_sigcont) {
			load_arg(a, r->b, 0);
			jump_if(a, BPF_JEQ, SC_SIGCONT, L_NOTIFY);
		}
		break;
	case K_PIDFD_SIGNAL:
		/* A /proc/PID directory is a pidfd too, and no register says
		 * whose: without Landlock's signal scoping, none at all. */
		if (!sp->signals_scoped) {
			ret(a, SECCOMP_RET_USER_NOTIF);
			return;
		}
		if (sp->deny_sigcont) {
			load_arg(a, 1, 0);
			jump_if(a, BPF_JEQ, SC_SIGCONT, L_NOTIFY);
		}
		break;
	case K_FCNTL:
		/* fcntl(fd, F_SETOWN, pid or -pgid): the kernel signals the
		 * owner (SIGIO, or any signal F_SETSIG names) on I/O -- a kill()
		 * by other means.  F_SETOWN_EX's owner is in user memory. */
		load_arg(a, 1, 0);
		if (!sp->signals_scoped)
			jump_if(a, BPF_JEQ, SC_F_SETOWN_EX, L_NOTIFY);
		jump_ifnot(a, BPF_JEQ, SC_F_SETOWN, L_ALLOW);
		protected_pid(a, 2);
		for (size_t i = 0; i < sp->nprotected; i++)
			jump_if(a, BPF_JEQ, (uint32_t) - (int32_t)sp->protected_pids[i], L_NOTIFY);
		jump_if(a, BPF_JEQ, (uint32_t) - (int32_t)sp->init_pgid, L_NOTIFY);
		break;
	case K_IOCTL:
		/* The same owner, set through ioctl with a pointer. */
		if (sp->signals_scoped)
			break;
		load_arg(a, 1, 0);
		jump_if(a, BPF_JEQ, SC_FIOSETOWN, L_NOTIFY);
		jump_if(a, BPF_JEQ, SC_SIOCSPGRP, L_NOTIFY);
		break;
	case K_SETPGID:
		load_arg(a, 1, 0);
		jump_if(a, BPF_JEQ, sp->init_pgid, L_NOTIFY);
		if (sp->server_pgid != 0)
			jump_ifnot(a, BPF_JEQ, sp->server_pgid, L_NOTIFY);
		break;
	case K_SETSID:
		ret(a, sp->server_pgid != 0 ? SECCOMP_RET_USER_NOTIF : SECCOMP_RET_ALLOW);
		return;
	case K_SECCOMP:
		load_arg(a, 0, 0);
		jump_ifnot(a, BPF_JEQ, SC_SET_MODE_FILTER, L_ALLOW);
		load_arg(a, 1, 0);
		jump_if(a, BPF_JSET, SC_FLAG_NEW_LISTENER, L_NOTIFY);
		break;
	case K_SOCKET:
		socket_block(a);
		return;
	case K_SETSOCKOPT:
		if (!sp->tcp_gate)
			break;
		load_arg(a, 1, 0);
		jump_ifnot(a, BPF_JEQ, 0 /* SOL_IP */, L_ALLOW);
		load_arg(a, 2, 0);
		jump_if(a, BPF_JEQ, 51 /* IP_LOCAL_PORT_RANGE */, L_NOTIFY);
		break;
	case K_SOCKETPAIR:
		load_arg(a, 0, 0);
		jump_ifnot(a, BPF_JEQ, SC_AF_UNIX, L_NOTIFY);
		break;
	case K_MEMFD:
		load_arg(a, 1, 0);
		jump_if(a, BPF_JSET, SC_MFD_EXEC, L_NOTIFY);
		jump_ifnot(a, BPF_JSET, SC_MFD_NOEXEC_SEAL, L_NOTIFY);
		break;
	case K_MKNOD:
		load_arg(a, r->a, 0);
		emit(a, BPF_ALU | BPF_AND | BPF_K, 0, 0, SC_S_IFMT);
		jump_if(a, BPF_JEQ, SC_S_IFCHR, L_NOTIFY);
		jump_if(a, BPF_JEQ, SC_S_IFBLK, L_NOTIFY);
		break;
	}
	ret(a, SECCOMP_RET_ALLOW);
}

/* Resolve the block's jumps to its own returns, emitted here. */
static int
close_block(struct asm_state *a, size_t fix_from)
{
	int at[NLABELS], used[NLABELS] = {0};

	for (size_t i = fix_from; i < a->nfix; i++)
		used[a->fix[i].label] = 1;
	for (int l = 0; l < NLABELS; l++) {
		at[l] = a->p->len;
		if (used[l])
			ret_label(a, l);
	}
	for (size_t i = fix_from; i < a->nfix; i++) {
		const struct fixup *f = &a->fix[i];
		int dist = at[f->label] - f->at - 1;
		if (dist < 0 || dist > 255)
			return -1;
		if (f->is_jt)
			a->p->insn[f->at].jt = (unsigned char)dist;
		else
			a->p->insn[f->at].jf = (unsigned char)dist;
	}
	a->nfix = fix_from;
	return 0;
}

/* Rules order[lo..hi), sorted by number: a search tree whose leaves
 * compare a few numbers each, jump (32-bit: blocks are far) to the rule's
 * block, whose jump is recorded in dispatch[], or allow. */
static void
dispatch_tree(struct asm_state *a, const unsigned short *order, size_t lo, size_t hi,
	      unsigned short *dispatch)
{
	if (hi - lo <= 4) {
		for (size_t k = lo; k < hi; k++) {
			emit(a, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, (uint32_t)rules[order[k]].nr);
			dispatch[order[k]] = a->p->len;
			emit(a, BPF_JMP | BPF_JA, 0, 0, 0);
		}
		ret(a, SECCOMP_RET_ALLOW);
		return;
	}
	size_t mid = lo + (hi - lo) / 2, right;
	/* nr >= rules[mid]: the jump to the right half; else skip it. */
	emit(a, BPF_JMP | BPF_JGE | BPF_K, 0, 1, (uint32_t)rules[order[mid]].nr);
	right = a->p->len;
	emit(a, BPF_JMP | BPF_JA, 0, 0, 0);
	dispatch_tree(a, order, lo, mid, dispatch);
	if (right < SC_MAX_INSNS)
		a->p->insn[right].k = (uint32_t)(a->p->len - right - 1);
	dispatch_tree(a, order, mid, hi, dispatch);
}

int
sc_build(struct sc_prog *p, const struct sc_params *sp)
{
	static struct asm_state a; /* large; ward-init builds one filter */
	unsigned short dispatch[NRULES];
	size_t i;

	memset(&a, 0, sizeof(a));
	memset(p, 0, sizeof(*p));
	a.p = p;
	a.sp = sp;
	/* Another architecture's numbering would bypass every rule below. */
	emit(&a, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, arch));
	emit(&a, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, SC_ARCH);
	ret(&a, SECCOMP_RET_KILL_PROCESS);
	emit(&a, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, nr));
#ifdef SC_X32_BIT
	emit(&a, BPF_JMP | BPF_JGE | BPF_K, 0, 1, SC_X32_BIT);
	ret(&a, SECCOMP_RET_KILL_PROCESS);
#endif
	/* if (nr == rule) goto its block, found by binary search: every
	 * syscall the server makes passes here, and the kernel walks this
	 * part once per syscall number when it loads the filter (its action
	 * cache); a linear chain of the rules cost ~0.2 ms per start. */
	unsigned short order[NRULES];
	for (i = 0; i < NRULES; i++)
		order[i] = (unsigned short)i;
	for (i = 1; i < NRULES; i++) /* insertion sort by number */
		for (size_t j = i; j > 0 && rules[order[j - 1]].nr > rules[order[j]].nr; j--) {
			unsigned short t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	dispatch_tree(&a, order, 0, NRULES, dispatch);
	for (i = 0; i < NRULES; i++) {
		size_t from = a.nfix;
		p->insn[dispatch[i]].k = (uint32_t)(p->len - dispatch[i] - 1);
		if (rules[i].kind == K_DENY || rules[i].kind == K_EXECVEAT)
			ret(&a, SECCOMP_RET_USER_NOTIF);
		else if (rules[i].kind == K_ENOSYS)
			ret(&a, SECCOMP_RET_ERRNO | 38 /* ENOSYS */);
		else
			block(&a, &rules[i]);
		if (close_block(&a, from) != 0)
			return ward_err(WARD_EENV, "seccomp: jump out of range in %s",
					rules[i].name);
	}
	if (a.overflow)
		return ward_err(WARD_EENV, "seccomp: filter longer than %d instructions",
				SC_MAX_INSNS);
	return 0;
}

/* ------------------------------------------------------------ OCI profile */

static json_t *
arg_cmp(int index, uint64_t value, uint64_t two, const char *op)
{
	return json_pack("{s:i,s:I,s:I,s:s}", "index", index, "value", (json_int_t)value,
			 "valueTwo", (json_int_t)two, "op", op);
}

/* One SCMP_ACT_ERRNO rule for name whose conditions (all must hold) are
 * the NULL-terminated arg_cmp()s that follow. */
static void
add_rule(json_t *calls, const char *name, int err, ...)
{
	json_t *r = json_pack("{s:[s],s:s,s:i}", "names", name, "action", "SCMP_ACT_ERRNO",
			      "errnoRet", err),
	       *args = json_array(), *c;
	va_list ap;

	va_start(ap, err);
	while ((c = va_arg(ap, json_t *)) != NULL)
		json_array_append_new(args, c);
	va_end(ap);
	if (json_array_size(args) > 0)
		json_object_set_new(r, "args", args);
	else
		json_decref(args);
	json_array_append_new(calls, r);
}
#define EQ(i, v) arg_cmp(i, v, 0, "SCMP_CMP_EQ")
#define NE(i, v) arg_cmp(i, v, 0, "SCMP_CMP_NE")
#define GT(i, v) arg_cmp(i, v, 0, "SCMP_CMP_GT")
#define MEQ(i, m, v) arg_cmp(i, m, v, "SCMP_CMP_MASKED_EQ")

static void
oci_socket(json_t *calls, const struct sc_params *sp)
{
	/* Families: only UNIX, INET, INET6, NETLINK (two of them optional). */
	for (uint32_t f = 0; f < 17; f++)
		if ((f != SC_AF_UNIX || !sp->net_unix) && f != SC_AF_INET && f != SC_AF_INET6 &&
		    (f != SC_AF_NETLINK || !sp->net_netlink))
			add_rule(calls, "socket", 1, EQ(0, f), NULL);
	add_rule(calls, "socket", 1, GT(0, 16), NULL);
	for (uint32_t f = SC_AF_INET; f <= SC_AF_INET6; f += SC_AF_INET6 - SC_AF_INET) {
		/* Types other than stream and datagram (raw, seqpacket, dccp). */
		for (uint32_t t = 3; t <= 10; t++)
			add_rule(calls, "socket", 1, EQ(0, f), MEQ(1, 0xf, t), NULL);
		add_rule(calls, "socket", 1, EQ(0, f), MEQ(1, 0xf, 0), NULL);
		/* Streams other than TCP (MPTCP 262, SCTP 132, SMC 256). */
		add_rule(calls, "socket", 1, EQ(0, f), MEQ(1, 0xf, SC_SOCK_STREAM), GT(2, 6), NULL);
		if (!sp->net_udp) {
			add_rule(calls, "socket", 1, EQ(0, f), MEQ(1, 0xf, SC_SOCK_DGRAM), NULL);
			continue;
		}
		add_rule(calls, "socket", 1, EQ(0, f), MEQ(1, 0xf, SC_SOCK_DGRAM), GT(2, 17), NULL);
		for (uint32_t pr = 1; pr < 17; pr++)
			add_rule(calls, "socket", 1, EQ(0, f), MEQ(1, 0xf, SC_SOCK_DGRAM),
				 EQ(2, pr), NULL);
	}
	add_rule(calls, "socketpair", 1, EQ(0, 0), NULL);
	add_rule(calls, "socketpair", 1, GT(0, SC_AF_UNIX), NULL);
}

json_t *
sc_oci_profile(const struct sc_params *sp)
{
	json_t *calls = json_array(), *deny = json_array();

	for (size_t i = 0; i < NRULES; i++) {
		const struct rule *r = &rules[i];
		switch (r->kind) {
		case K_DENY:
			json_array_append_new(deny, json_string(r->name));
			break;
		case K_ENOSYS:
			add_rule(calls, r->name, 38, NULL);
			break;
		case K_EXECVEAT:
			add_rule(calls, r->name, 1, MEQ(4, SC_AT_EMPTY_PATH, SC_AT_EMPTY_PATH),
				 NULL);
			break;
		case K_CLONE:
		case K_UNSHARE:
			/* One rule per flag: OCI has no "any of these bits". */
			for (uint32_t bit = 1; bit != 0; bit <<= 1)
				if (bit & (SC_NS_FLAGS | (r->kind == K_UNSHARE ? SC_NEWTIME : 0)))
					add_rule(calls, r->name, 1, MEQ(0, bit, bit), NULL);
			break;
		case K_PERSONALITY:
			/* ASLR off and READ_IMPLIES_EXEC are what matter. */
			add_rule(calls, r->name, 1, MEQ(0, 0x0040000, 0x0040000), NULL);
			add_rule(calls, r->name, 1, MEQ(0, 0x0400000, 0x0400000), NULL);
			break;
		case K_PRCTL:
			add_rule(calls, r->name, 1, EQ(0, SC_PR_SET_DUMPABLE), NE(1, 0), NULL);
			break;
		case K_PRLIMIT:
		case K_SELF:
			/* A static profile knows no pids: only the caller (0). */
			add_rule(calls, r->name, 1, NE(r->kind == K_SELF ? r->a : 0, 0), NULL);
			break;
		case K_WHICH:
			add_rule(calls, r->name, 1, EQ(0, (uint32_t)r->a), NE(1, 0), NULL);
			add_rule(calls, r->name, 1, EQ(0, (uint32_t)r->b), NE(1, 0), NULL);
			for (uint32_t w = 0; w < 4; w++)
				if (w != (uint32_t)r->a && w != (uint32_t)r->b)
					add_rule(calls, r->name, 1, EQ(0, w), NULL);
			break;
		case K_SOCKET:
			oci_socket(calls, sp);
			break;
		case K_MEMFD:
			add_rule(calls, r->name, 1, MEQ(1, SC_MFD_EXEC, SC_MFD_EXEC), NULL);
			break;
		case K_MKNOD:
			add_rule(calls, r->name, 1, MEQ(r->a, SC_S_IFMT, SC_S_IFCHR), NULL);
			add_rule(calls, r->name, 1, MEQ(r->a, SC_S_IFMT, SC_S_IFBLK), NULL);
			break;
		default:
			/* the exec token, signals to PID 1 (file owners too),
			 * RLIMIT_CORE, process groups: ward-init's own, with
			 * pids it alone knows; and seccomp listeners, which
			 * ward-init itself installs. */
			break;
		}
	}
	json_array_insert_new(calls, 0,
			      json_pack("{s:o,s:s,s:i}", "names", deny, "action", "SCMP_ACT_ERRNO",
					"errnoRet", 1));
	return json_pack("{s:s,s:[s],s:o}", "defaultAction", "SCMP_ACT_ALLOW", "architectures",
			 SC_ARCH_OCI, "syscalls", calls);
}
