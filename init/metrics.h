/*
 * metrics.h: the Prometheus text exposition of ward-init's state and of the
 * server process, read from /proc from outside the server.  Rendering is
 * pure and writes into the caller's fixed buffer (no allocation per
 * request); the /proc parsers are pure too, so both are unit-tested.
 */
#ifndef WARD_INIT_METRICS_H
#define WARD_INIT_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "state.h"

#define METRICS_MAX 32768

struct proc_sample {
	int have_stat; /* /proc/PID/stat: CPU, RSS, threads */
	double utime, stime;
	uint64_t rss_bytes;
	uint64_t threads;
	int have_fds; /* /proc/PID/fd: needs ptrace access to the server */
	uint64_t fds;
	int have_io; /* /proc/PID/io: likewise */
	uint64_t rchar, wchar, read_bytes, write_bytes;
};

/* proc_parse_stat(buf, n, ticks, page, s): fields of /proc/PID/stat (the
 * command name may hold spaces and parentheses).  -1 when malformed. */
int proc_parse_stat(const char *buf, size_t n, long ticks_per_s, long page_size,
		    struct proc_sample *s);
/* proc_parse_io(buf, n, s): rchar, wchar, read_bytes, write_bytes. */
int proc_parse_io(const char *buf, size_t n, struct proc_sample *s);
/* proc_sample_read(pid, s): whatever of the above this process may read. */
void proc_sample_read(pid_t pid, struct proc_sample *s);

/* metrics_render(st, server, self_rss, now_ns, out, cap): the exposition
 * text; returns its length (< cap), or 0 when it does not fit. */
size_t metrics_render(const struct init_state *st, const struct proc_sample *server,
		      uint64_t self_rss, uint64_t now_ns, char *out, size_t cap);

#endif
