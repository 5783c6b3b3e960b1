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
/* proc_self_rss(): this process's resident memory in bytes (0 unknown). */
uint64_t proc_self_rss(void);

#endif
