/* bpf_run.h: a classic-BPF interpreter for the unit tests, just what
 * seccomp programs use (load a 32-bit word of seccomp_data, AND, the
 * conditional jumps, JA, RET).  Include after cmocka.h and seccomp_bpf.h. */
#ifndef WARD_TEST_BPF_RUN_H
#define WARD_TEST_BPF_RUN_H

static uint32_t
bpf_run(const struct sc_prog *p, const struct seccomp_data *d)
{
	uint32_t a = 0;
	const unsigned char *mem = (const unsigned char *)d;

	for (unsigned pc = 0; pc < p->len; pc++) {
		const struct sock_filter *f = &p->insn[pc];
		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			assert_true(f->k + 4 <= sizeof(*d) && f->k % 4 == 0);
			memcpy(&a, mem + f->k, 4);
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			a &= f->k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += a == f->k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			pc += a > f->k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += a >= f->k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			pc += (a & f->k) ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JA:
			pc += f->k;
			break;
		case BPF_RET | BPF_K:
			return f->k;
		default:
			fail_msg("unexpected BPF opcode %#x at %u", f->code, pc);
		}
	}
	fail_msg("fell off the end of the program");
	return 0;
}

#endif
