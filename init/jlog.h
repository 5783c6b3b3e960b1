/*
 * jlog.h: ward-init's JSON log lines on stderr, one object per line:
 *   {"ts":"2025-01-01T00:00:00.000Z","level":"info","event":"model_verified",
 *    "fields":{"model":"/models/llm","bytes":123}}
 * A line is built in a fixed buffer and written with one write(2), so lines
 * from ward-init never interleave and logging never allocates.  A field that
 * does not fit is dropped and "truncated":true added.  Strings are escaped;
 * invalid UTF-8 becomes U+FFFD so every line stays valid JSON.
 */
#ifndef WARD_INIT_JLOG_H
#define WARD_INIT_JLOG_H

#include <stddef.h>
#include <stdint.h>

#define JLOG_MAX 4096

struct jlog {
	char buf[JLOG_MAX];
	size_t len;
	int level;
	int nfields;
	int truncated;
	int skip; /* below the log level: every call is a no-op */
};

/* Levels are core.h's WARD_LOG_ERROR..WARD_LOG_DEBUG. */
void jlog_set_level(int level);
void jlog_set_fd(int fd);
int jlog_enabled(int level);

void jlog_begin(struct jlog *l, int level, const char *event);
void jlog_str(struct jlog *l, const char *key, const char *val);
void jlog_strn(struct jlog *l, const char *key, const char *val, size_t n);
void jlog_int(struct jlog *l, const char *key, long long v);
void jlog_uint(struct jlog *l, const char *key, unsigned long long v);
void jlog_num(struct jlog *l, const char *key, double v);
void jlog_bool(struct jlog *l, const char *key, int v);
/* jlog_end: close the object and write the line (returns its length). */
size_t jlog_end(struct jlog *l);

/* jlog_msg(level, event, msg): a line with one field, "msg". */
void jlog_msg(int level, const char *event, const char *msg);

/* jlog_escape(out, cap, s, n): JSON string body of s[0..n) into out,
 * NUL-terminated; returns the length, or (size_t)-1 when it does not fit. */
size_t jlog_escape(char *out, size_t cap, const char *s, size_t n);

/* The sink for libward's ward_log(): event "lib". */
void jlog_lib_sink(int level, const char *msg);

#endif
