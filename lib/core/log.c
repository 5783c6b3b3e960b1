/* log.c: leveled messages, progress bars, clocks. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"

static int log_level = WARD_LOG_INFO;
static void (*log_sink)(int, const char *);

void
ward_log_set_level(int level)
{
	log_level = level;
}

int
ward_log_level(void)
{
	return log_level;
}

void
ward_log_set_sink(void (*sink)(int level, const char *msg))
{
	log_sink = sink;
}

void
ward_log(int level, const char *fmt, ...)
{
	char raw[1024], msg[1024];
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	ward_escape(raw, strlen(raw), msg, sizeof(msg));
	if (log_sink != NULL) {
		log_sink(level, msg);
		return;
	}
	fprintf(stderr, "ward: %s%s\n", level == WARD_LOG_WARN ? "warning: " : "", msg);
}

uint64_t
ward_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void
ward_time_rfc3339(time_t t, char out[32])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
ward_source_date_epoch(time_t *out)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || v < 0)
		return ward_err(WARD_EINPUT, "SOURCE_DATE_EPOCH=%s: not a non-negative integer", s);
	*out = (time_t)v;
	return 1;
}

int
ward_cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)n : 1;
}

/* Progress: any thread may add; whoever crosses the next 100 ms tick draws. */
struct ward_progress {
	char label[48];
	_Atomic uint64_t done;
	_Atomic uint64_t total;
	_Atomic uint64_t next_draw_ns;
	uint64_t start_ns;
	int bytes;
	_Atomic int drawn;
};

struct ward_progress *
ward_progress_new(const char *label, uint64_t total, int bytes)
{
	struct ward_progress *p;

	if (log_level < WARD_LOG_INFO || !isatty(STDERR_FILENO) || getenv("WARD_NO_PROGRESS"))
		return NULL;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL; /* a missing progress bar is not an error */
	snprintf(p->label, sizeof(p->label), "%s", label);
	p->total = total;
	p->bytes = bytes;
	p->start_ns = ward_now_ns();
	p->next_draw_ns = p->start_ns + 1000000000u; /* only work over ~1 s */
	return p;
}

static void
human(uint64_t v, int bytes, char *out, size_t n)
{
	if (!bytes)
		snprintf(out, n, "%ju", (uintmax_t)v);
	else if (v >= (1u << 30))
		snprintf(out, n, "%.2f GiB", (double)v / (1u << 30));
	else
		snprintf(out, n, "%.1f MiB", (double)v / (1u << 20));
}

static void
draw(struct ward_progress *p, uint64_t now)
{
	char line[160], a[32], b[32], rate[32] = "";
	uint64_t done = p->done, total = p->total;
	double secs = (double)(now - p->start_ns) / 1e9;
	int width = 30, fill = total ? (int)((double)done / (double)total * width) : 0;
	char bar[32];

	if (fill > width)
		fill = width;
	memset(bar, '#', (size_t)fill);
	memset(bar + fill, '.', (size_t)(width - fill));
	bar[width] = '\0';
	human(done, p->bytes, a, sizeof(a));
	human(total, p->bytes, b, sizeof(b));
	if (p->bytes && secs > 0)
		snprintf(rate, sizeof(rate), " %.0f MB/s", (double)done / secs / 1e6);
	snprintf(line, sizeof(line), "\r%-20s [%s] %s / %s%s ", p->label, bar, a, b, rate);
	fputs(line, stderr);
	fflush(stderr);
	p->drawn = 1;
}

void
ward_progress_add(struct ward_progress *p, uint64_t n)
{
	uint64_t now, next;

	if (p == NULL)
		return;
	atomic_fetch_add(&p->done, n);
	now = ward_now_ns();
	next = p->next_draw_ns;
	if (now >= next &&
	    atomic_compare_exchange_strong(&p->next_draw_ns, &next, now + 100000000u))
		draw(p, now);
}

void
ward_progress_set_total(struct ward_progress *p, uint64_t total)
{
	if (p != NULL)
		p->total = total;
}

void
ward_progress_done(struct ward_progress *p)
{
	if (p == NULL)
		return;
	if (p->drawn)
		fputs("\r\033[K", stderr);
	free(p);
}
