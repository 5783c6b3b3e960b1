/* jlog.c: JSON log lines in a fixed buffer, one write(2) per line. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/core.h"
#include "jlog.h"

static int jlog_level = WARD_LOG_INFO;
static int jlog_fd = 2;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void
jlog_set_level(int level)
{
	jlog_level = level;
}

void
jlog_set_fd(int fd)
{
	jlog_fd = fd;
}

int
jlog_enabled(int level)
{
	return level <= jlog_level;
}

/* Length of a valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are invalid. */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

size_t
jlog_escape(char *out, size_t cap, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t o = 0;

	for (size_t i = 0; i < n;) {
		char tmp[8];
		const char *piece = tmp;
		size_t plen, ulen;

		switch (u[i]) {
		case '"':
			piece = "\\\"";
			plen = 2;
			ulen = 1;
			break;
		case '\\':
			piece = "\\\\";
			plen = 2;
			ulen = 1;
			break;
		case '\n':
			piece = "\\n";
			plen = 2;
			ulen = 1;
			break;
		case '\r':
			piece = "\\r";
			plen = 2;
			ulen = 1;
			break;
		case '\t':
			piece = "\\t";
			plen = 2;
			ulen = 1;
			break;
		default:
			if (u[i] < 0x20 || u[i] == 0x7f) {
				plen = (size_t)snprintf(tmp, sizeof(tmp), "\\u%04x", u[i]);
				ulen = 1;
			} else if ((ulen = utf8_len(u + i, n - i)) == 0) {
				piece = "\\ufffd";
				plen = 6;
				ulen = 1;
			} else {
				piece = s + i;
				plen = ulen;
			}
		}
		if (o + plen + 1 > cap)
			return (size_t)-1;
		memcpy(out + o, piece, plen);
		o += plen;
		i += ulen;
	}
	if (o + 1 > cap)
		return (size_t)-1;
	out[o] = '\0';
	return o;
}

/* Space kept free for the closing "}},"truncated":true}\n". */
#define JLOG_TAIL 32

static int
room(struct jlog *l, size_t need)
{
	return l->len + need + JLOG_TAIL <= sizeof(l->buf);
}

static void
append(struct jlog *l, const char *s, size_t n)
{
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

void
jlog_begin(struct jlog *l, int level, const char *event)
{
	struct timespec ts;
	struct tm tm;
	char when[40];

	l->len = 0;
	l->nfields = 0;
	l->truncated = 0;
	l->level = level;
	l->skip = !jlog_enabled(level);
	if (l->skip)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	l->len = (size_t)snprintf(l->buf, sizeof(l->buf),
				  "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"event\":\"", when,
				  ts.tv_nsec / 1000000,
				  level_names[level < 0	  ? 0
					      : level > 3 ? 3
							  : level]);
	size_t e = jlog_escape(l->buf + l->len, 256, event, strlen(event));
	if (e == (size_t)-1)
		e = 0;
	l->len += e;
	append(l, "\",\"fields\":{", 12);
}

/* Writes ,"key": and returns 0, or 1 when it does not fit (field dropped). */
static int
key(struct jlog *l, const char *k, size_t value_room)
{
	char esc[128];
	size_t n = jlog_escape(esc, sizeof(esc), k, strlen(k));

	if (n == (size_t)-1 || !room(l, n + 4 + value_room)) {
		l->truncated = 1;
		return 1;
	}
	if (l->nfields++ > 0)
		append(l, ",", 1);
	append(l, "\"", 1);
	append(l, esc, n);
	append(l, "\":", 2);
	return 0;
}

void
jlog_strn(struct jlog *l, const char *k, const char *val, size_t n)
{
	size_t save = l->len, saven = (size_t)l->nfields, e;

	if (l->skip)
		return;
	if (val == NULL) {
		if (key(l, k, 4) == 0)
			append(l, "null", 4);
		return;
	}
	if (key(l, k, 2) != 0)
		return;
	append(l, "\"", 1);
	e = jlog_escape(l->buf + l->len, sizeof(l->buf) - l->len - JLOG_TAIL, val, n);
	if (e == (size_t)-1) {
		l->len = save;
		l->nfields = (int)saven;
		l->truncated = 1;
		return;
	}
	l->len += e;
	append(l, "\"", 1);
}

void
jlog_str(struct jlog *l, const char *k, const char *val)
{
	jlog_strn(l, k, val, val ? strlen(val) : 0);
}

static void
raw(struct jlog *l, const char *k, const char *text)
{
	size_t n = strlen(text);

	if (l->skip || key(l, k, n) != 0)
		return;
	append(l, text, n);
}

void
jlog_int(struct jlog *l, const char *k, long long v)
{
	char t[32];

	snprintf(t, sizeof(t), "%lld", v);
	raw(l, k, t);
}

void
jlog_uint(struct jlog *l, const char *k, unsigned long long v)
{
	char t[32];

	snprintf(t, sizeof(t), "%llu", v);
	raw(l, k, t);
}

void
jlog_num(struct jlog *l, const char *k, double v)
{
	char t[40];

	if (v != v || v > 1e300 || v < -1e300) /* NaN and infinities are not JSON */
		snprintf(t, sizeof(t), "null");
	else
		snprintf(t, sizeof(t), "%.6g", v);
	raw(l, k, t);
}

void
jlog_bool(struct jlog *l, const char *k, int v)
{
	raw(l, k, v ? "true" : "false");
}

size_t
jlog_end(struct jlog *l)
{
	size_t off = 0;

	if (l->skip)
		return 0;
	append(l, "}", 1);
	if (l->truncated)
		append(l, ",\"truncated\":true", 17);
	append(l, "}\n", 2);
	while (off < l->len) {
		ssize_t w = write(jlog_fd, l->buf + off, l->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break; /* nowhere to log: keep running */
		off += (size_t)w;
	}
	return l->len;
}

void
jlog_msg(int level, const char *event, const char *msg)
{
	struct jlog l;

	jlog_begin(&l, level, event);
	jlog_str(&l, "msg", msg);
	jlog_end(&l);
}

void
jlog_lib_sink(int level, const char *msg)
{
	jlog_msg(level, "lib", msg);
}
