/* sample.c: the server's numbers from /proc, read by PID 1 (it may read a
 * non-dumpable server's io and fd files; the helper may read nothing). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sample.h"

int
proc_parse_stat(const char *buf, size_t n, long ticks, long page, struct proc_sample *s)
{
	char tmp[1024];
	const char *p;
	unsigned long long v[24];
	int field = 0;

	if (n == 0 || n >= sizeof(tmp) || ticks <= 0 || page <= 0)
		return -1;
	memcpy(tmp, buf, n);
	tmp[n] = '\0';
	/* "pid (comm) state ..." where comm may contain anything: the last ')'. */
	p = strrchr(tmp, ')');
	if (p == NULL || p[1] != ' ' || p[2] == '\0')
		return -1;
	p += 3; /* past ") " and the state letter */
	/* Fields 4.. (1-based): we need utime 14, stime 15, num_threads 20, rss 24. */
	while (field < 21) {
		char *end;
		while (*p == ' ')
			p++;
		if (*p == '\0' || *p == '\n')
			return -1;
		errno = 0;
		if (*p == '-') /* a few fields are signed; none of ours */
			v[field] = (unsigned long long)strtoll(p, &end, 10);
		else
			v[field] = strtoull(p, &end, 10);
		if (end == p || errno != 0)
			return -1;
		p = end;
		field++;
	}
	/* v[0] is field 4 (ppid). */
	s->utime = (double)v[14 - 4] / (double)ticks;
	s->stime = (double)v[15 - 4] / (double)ticks;
	s->threads = v[20 - 4];
	s->rss_bytes = v[24 - 4] * (unsigned long long)page;
	s->have_stat = 1;
	return 0;
}

int
proc_parse_io(const char *buf, size_t n, struct proc_sample *s)
{
	static const char *const names[] = {"rchar", "wchar", "read_bytes", "write_bytes"};
	uint64_t *dst[] = {&s->rchar, &s->wchar, &s->read_bytes, &s->write_bytes};
	int found = 0;
	size_t i = 0;

	while (i < n) {
		const char *line = buf + i, *nl = memchr(line, '\n', n - i);
		size_t len = nl ? (size_t)(nl - line) : n - i;
		for (int k = 0; k < 4; k++) {
			size_t kl = strlen(names[k]);
			if (len > kl + 2 && memcmp(line, names[k], kl) == 0 && line[kl] == ':') {
				char num[32];
				size_t nlen = len - kl - 1;
				if (nlen >= sizeof(num))
					return -1;
				memcpy(num, line + kl + 1, nlen);
				num[nlen] = '\0';
				char *end;
				errno = 0;
				*dst[k] = strtoull(num, &end, 10);
				if (errno != 0 || end == num || (*end != '\0' && *end != '\n'))
					return -1;
				found |= 1 << k;
			}
		}
		i += len + 1;
	}
	if (found != 0xf)
		return -1;
	s->have_io = 1;
	return 0;
}

static ssize_t
read_small(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, cap - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

ssize_t
proc_read(pid_t pid, const char *name, char *buf, size_t cap)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	return read_small(path, buf, cap);
}

void
proc_comm(pid_t pid, char *out, size_t cap)
{
	ssize_t n = proc_read(pid, "comm", out, cap);

	while (n > 0 && out[n - 1] == '\n')
		out[--n] = '\0';
}

pid_t
proc_tgid(pid_t tid)
{
	char buf[512], *p;

	if (tid <= 0 || proc_read(tid, "status", buf, sizeof(buf)) <= 0 ||
	    (p = strstr(buf, "\nTgid:")) == NULL)
		return -1;
	return (pid_t)strtol(p + 6, NULL, 10);
}

int
proc_stat_field(pid_t pid, char *state, pid_t *ppid)
{
	char buf[512], *p;

	if (proc_read(pid, "stat", buf, sizeof(buf)) <= 0 || (p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%c %d", state, ppid) != 2)
		return -1;
	return 0;
}

void
proc_sample_read(pid_t pid, struct proc_sample *s)
{
	char path[64], buf[1024];
	struct dirent *de;
	ssize_t n;
	DIR *d;

	memset(s, 0, sizeof(*s));
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((n = read_small(path, buf, sizeof(buf))) > 0)
		proc_parse_stat(buf, (size_t)n, sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE), s);
	snprintf(path, sizeof(path), "/proc/%d/io", (int)pid);
	if ((n = read_small(path, buf, sizeof(buf))) > 0)
		proc_parse_io(buf, (size_t)n, s);
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if ((d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.')
				s->fds++;
		closedir(d);
		s->have_fds = 1;
	}
}

uint64_t
proc_self_rss(void)
{
	char buf[128];
	unsigned long long size, rss;
	ssize_t n = read_small("/proc/self/statm", buf, sizeof(buf));

	if (n <= 0 || sscanf(buf, "%llu %llu", &size, &rss) != 2)
		return 0;
	return rss * (uint64_t)sysconf(_SC_PAGESIZE);
}
