/*
 * sample.h: the server's CPU, memory, threads, descriptors and I/O from
 * /proc, sampled by PID 1 when the helper asks (see helper.h) and written
 * into the shared state.  The parsers are pure (unit-tested).
 */
#ifndef WARD_INIT_SAMPLE_H
#define WARD_INIT_SAMPLE_H

#include <stddef.h>
#include <sys/types.h>

#include "state.h"

/* proc_parse_stat(buf, n, ticks, page, s): fields of /proc/PID/stat (the
 * command name may hold spaces and parentheses).  -1 when malformed. */
int proc_parse_stat(const char *buf, size_t n, long ticks_per_s, long page_size,
		    struct proc_sample *s);
/* proc_parse_io(buf, n, s): rchar, wchar, read_bytes, write_bytes. */
int proc_parse_io(const char *buf, size_t n, struct proc_sample *s);
/* proc_sample_read(pid, s): whatever of the above this process may read. */
void proc_sample_read(pid_t pid, struct proc_sample *s);
/* proc_read(pid, name, buf, cap): /proc/PID/NAME into buf (NUL-terminated),
 * its length, or -1.  The small readers ward-init uses on the kernel's
 * view of processes: proc_comm (name, newline cut), proc_tgid (the
 * process of a thread, -1 if gone), proc_stat_field (state letter and
 * parent, from /proc/PID/stat past the command name; -1 if gone). */
ssize_t proc_read(pid_t pid, const char *name, char *buf, size_t cap);
void proc_comm(pid_t pid, char *out, size_t cap);
pid_t proc_tgid(pid_t tid);
int proc_stat_field(pid_t pid, char *state, pid_t *ppid);
/* proc_self_rss(): this process's resident memory in bytes (0 unknown). */
uint64_t proc_self_rss(void);

#endif
