/* toml.c: a strict TOML 1.0 reader into jansson values.
 *
 * Debian 12 ships no C TOML library, and pylock.toml (PEP 751) is TOML, so
 * this is a small recursive-descent reader of the whole 1.0 grammar: every
 * rule the specification states is an error here (a key defined twice, a
 * table reopened, a static array extended with [[...]], an inline table
 * extended, bad escapes, invalid UTF-8, control characters, leading zeros,
 * out-of-range integers and dates).  Python's tomllib is the oracle in
 * tests/sh/test_wheel_parse.sh.
 *
 * Tables become JSON objects (jansson keeps them hashed, so lookups stay
 * linear overall), arrays JSON arrays, integers and floats numbers, booleans
 * booleans, and date-times their text (with 'T' between date and time).
 * inf and nan, which JSON cannot carry, become the strings "inf", "-inf" and
 * "nan".  How a table was made (header, dotted keys, inline) is kept in a
 * side table keyed by pointer, because the rules depend on it.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wheel/wheel_internal.h"

#define MAX_DEPTH 64

enum {
	T_EXPLICIT = 1, /* defined by a [header] */
	T_DOTTED = 2,	/* created by dotted keys (a.b = 1) */
	T_INLINE = 4,	/* an inline table or a static array: frozen */
	T_AOT = 8,	/* an array of tables made with [[header]] */
	T_HEADER = 16,	/* created as a table by a [header] (itself or a parent) */
};

struct flag_slot {
	const json_t *key;
	int flags;
};

struct parser {
	const char *p, *end, *start;
	const char *what;
	json_t *root;
	struct flag_slot *slots;
	size_t nslots, used;
	int depth;
	int failed;
};

/* ------------------------------------------------------------ flags */

static size_t
slot_hash(const json_t *k, size_t n)
{
	uintptr_t x = (uintptr_t)k;
	x ^= x >> 17;
	x *= (uintptr_t)0x9e3779b97f4a7c15ull;
	return (size_t)(x >> 7) & (n - 1);
}

static int
flags_get(const struct parser *ps, const json_t *k)
{
	if (ps->nslots == 0)
		return 0;
	for (size_t i = slot_hash(k, ps->nslots);; i = (i + 1) & (ps->nslots - 1)) {
		if (ps->slots[i].key == k)
			return ps->slots[i].flags;
		if (ps->slots[i].key == NULL)
			return 0;
	}
}

static int
flags_set(struct parser *ps, const json_t *k, int flags)
{
	if ((ps->used + 1) * 2 > ps->nslots) {
		size_t n = ps->nslots ? ps->nslots * 2 : 64;
		struct flag_slot *s = ward_calloc(n, sizeof(*s));
		if (s == NULL)
			return -1;
		for (size_t i = 0; i < ps->nslots; i++) {
			if (ps->slots[i].key == NULL)
				continue;
			size_t j = slot_hash(ps->slots[i].key, n);
			while (s[j].key != NULL)
				j = (j + 1) & (n - 1);
			s[j] = ps->slots[i];
		}
		free(ps->slots);
		ps->slots = s;
		ps->nslots = n;
	}
	for (size_t i = slot_hash(k, ps->nslots);; i = (i + 1) & (ps->nslots - 1)) {
		if (ps->slots[i].key == k) {
			ps->slots[i].flags = flags;
			return 0;
		}
		if (ps->slots[i].key == NULL) {
			ps->slots[i].key = k;
			ps->slots[i].flags = flags;
			ps->used++;
			return 0;
		}
	}
}

/* ------------------------------------------------------------ errors */

static void
position(const struct parser *ps, const char *at, size_t *line, size_t *col)
{
	*line = 1;
	*col = 1;
	for (const char *q = ps->start; q < at && q < ps->end; q++) {
		if (*q == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)*q & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

static int perr(struct parser *ps, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
perr(struct parser *ps, const char *at, const char *fmt, ...)
{
	char msg[256];
	size_t line, col;
	va_list ap;

	if (ps->failed)
		return -1;
	ps->failed = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	position(ps, at, &line, &col);
	return ward_err(WARD_EINPUT, "%s:%zu:%zu: %s", ps->what, line, col, msg);
}

static int
oom(struct parser *ps)
{
	ps->failed = 1;
	return ward_err(WARD_EENV, "%s: out of memory", ps->what);
}

/* ------------------------------------------------------------ lexing */

static int
at_end(const struct parser *ps)
{
	return ps->p >= ps->end;
}

static int
peek(const struct parser *ps, size_t off)
{
	return ps->p + off < ps->end ? (unsigned char)ps->p[off] : -1;
}

static void
skip_ws(struct parser *ps)
{
	while (!at_end(ps) && (*ps->p == ' ' || *ps->p == '\t'))
		ps->p++;
}

/* A comment runs to the end of the line; control characters other than tab
 * are not allowed in it. */
static int
skip_comment(struct parser *ps)
{
	if (at_end(ps) || *ps->p != '#')
		return 0;
	for (ps->p++; !at_end(ps) && *ps->p != '\n'; ps->p++) {
		unsigned char c = (unsigned char)*ps->p;
		if (c == '\r' && peek(ps, 1) == '\n')
			continue;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return perr(ps, ps->p, "control character 0x%02x in a comment", c);
	}
	return 0;
}

/* A newline: LF or CRLF.  Returns 1 when one was consumed. */
static int
eat_newline(struct parser *ps)
{
	if (peek(ps, 0) == '\n') {
		ps->p++;
		return 1;
	}
	if (peek(ps, 0) == '\r' && peek(ps, 1) == '\n') {
		ps->p += 2;
		return 1;
	}
	return 0;
}

/* After a value or header: whitespace, an optional comment, then a newline
 * or the end. */
static int
end_of_line(struct parser *ps)
{
	skip_ws(ps);
	if (skip_comment(ps) != 0)
		return -1;
	if (at_end(ps) || eat_newline(ps))
		return 0;
	return perr(ps, ps->p, "expected the end of the line");
}

/* Whitespace, comments and newlines inside an array. */
static int
skip_ws_nl(struct parser *ps)
{
	for (;;) {
		skip_ws(ps);
		if (skip_comment(ps) != 0)
			return -1;
		if (!eat_newline(ps))
			return 0;
	}
}

static int
valid_utf8(const unsigned char *s, size_t n, size_t *bad)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		uint32_t cp;
		size_t len;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else {
			goto bad;
		}
		if (i + len > n)
			goto bad;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				goto bad;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			goto bad;
		i += len;
	}
	return 1;
bad:
	*bad = i;
	return 0;
}

static int
put_utf8(struct ward_buf *b, uint32_t cp)
{
	unsigned char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xc0 | (cp >> 6));
		u[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xe0 | (cp >> 12));
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xf0 | (cp >> 18));
		u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return ward_buf_append(b, u, n);
}

/* ------------------------------------------------------------ strings */

static int
escape(struct parser *ps, struct ward_buf *b)
{
	const char *at = ps->p;
	int c = peek(ps, 1);
	size_t digits = 0;
	uint32_t cp = 0;

	ps->p += 2;
	switch (c) {
	case 'b':
		return ward_buf_puts(b, "\b");
	case 't':
		return ward_buf_puts(b, "\t");
	case 'n':
		return ward_buf_puts(b, "\n");
	case 'f':
		return ward_buf_puts(b, "\f");
	case 'r':
		return ward_buf_puts(b, "\r");
	case '"':
		return ward_buf_puts(b, "\"");
	case '\\':
		return ward_buf_puts(b, "\\");
	case 'u':
		digits = 4;
		break;
	case 'U':
		digits = 8;
		break;
	default:
		return perr(ps, at, "invalid escape sequence in a string");
	}
	for (size_t i = 0; i < digits; i++) {
		int h = peek(ps, i);
		if (h < 0 || !isxdigit(h))
			return perr(ps, at, "\\%c needs %zu hexadecimal digits", c, digits);
		cp = cp * 16 + (uint32_t)(isdigit(h) ? h - '0' : (tolower(h) - 'a' + 10));
	}
	ps->p += digits;
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return perr(ps, at, "escape is not a Unicode scalar value");
	return put_utf8(b, cp);
}

/* A string of any of the four kinds; ps->p is on its first quote.  The
 * result is NUL-terminated in b (strings may hold NUL from \u0000: the
 * length is b->len). */
static int
read_string(struct parser *ps, struct ward_buf *b, int allow_multi)
{
	const char *open = ps->p;
	char q = *ps->p;
	int literal = q == '\'';
	int multi = peek(ps, 1) == q && peek(ps, 2) == q;

	b->len = 0;
	if (ward_buf_reserve(b, 1) != 0)
		return oom(ps);
	if (multi && !allow_multi)
		return perr(ps, open, "a key cannot be a multi-line string");
	ps->p += multi ? 3 : 1;
	if (multi)
		eat_newline(ps); /* a newline right after the opening quotes is trimmed */
	for (;;) {
		unsigned char c;
		if (at_end(ps))
			return perr(ps, open, "unterminated string");
		c = (unsigned char)*ps->p;
		if (c == (unsigned char)q) {
			if (!multi) {
				ps->p++;
				break;
			}
			if (peek(ps, 1) == q && peek(ps, 2) == q) {
				/* Up to two more quotes belong to the content. */
				size_t extra = 0;
				while (extra < 2 && peek(ps, 3 + extra) == q)
					extra++;
				if (ward_buf_append(b, ps->p, extra) != 0)
					return oom(ps);
				ps->p += 3 + extra;
				break;
			}
			if (ward_buf_append(b, ps->p, 1) != 0)
				return oom(ps);
			ps->p++;
			continue;
		}
		if (!literal && c == '\\') {
			if (multi) {
				/* Line-ending backslash: trim it and the whitespace and
				 * newlines after it. */
				const char *save = ps->p;
				ps->p++;
				skip_ws(ps);
				if (eat_newline(ps)) {
					for (;;) {
						skip_ws(ps);
						if (!eat_newline(ps))
							break;
					}
					continue;
				}
				ps->p = save;
			}
			if (escape(ps, b) != 0)
				return ps->failed ? -1 : oom(ps);
			continue;
		}
		if (c == '\n' || (c == '\r' && peek(ps, 1) == '\n')) {
			if (!multi)
				return perr(ps, ps->p, "newline in a single-line string");
			if (ward_buf_puts(b, "\n") != 0)
				return oom(ps);
			ps->p += c == '\r' ? 2 : 1;
			continue;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return perr(ps, ps->p, "control character 0x%02x in a string", c);
		if (ward_buf_append(b, ps->p, 1) != 0)
			return oom(ps);
		ps->p++;
	}
	if (ward_buf_reserve(b, 1) != 0)
		return oom(ps);
	b->data[b->len] = '\0';
	return 0;
}

/* ------------------------------------------------------------ keys */

struct key {
	struct ward_strv parts;
	const char *at;
};

static int
is_bare(int c)
{
	return c >= 0 && (isalnum(c) || c == '_' || c == '-') && c < 0x80;
}

/* A dotted key: bare or quoted parts joined by '.', with optional
 * whitespace around the dots. */
static int
read_key(struct parser *ps, struct key *k)
{
	struct ward_buf b = {0};

	k->at = ps->p;
	for (;;) {
		skip_ws(ps);
		if (peek(ps, 0) == '"' || peek(ps, 0) == '\'') {
			if (read_string(ps, &b, 0) != 0)
				goto fail;
			if (memchr(b.data, '\0', b.len) != NULL) {
				perr(ps, k->at, "a key contains a NUL character");
				goto fail;
			}
			if (ward_strv_push(&k->parts, (char *)b.data) != 0) {
				oom(ps);
				goto fail;
			}
		} else {
			const char *s = ps->p;
			while (is_bare(peek(ps, 0)))
				ps->p++;
			if (ps->p == s) {
				perr(ps, s, "expected a key");
				goto fail;
			}
			if (ward_strv_push_owned(&k->parts, ward_strndup(s, (size_t)(ps->p - s))) !=
			    0) {
				oom(ps);
				goto fail;
			}
		}
		skip_ws(ps);
		if (peek(ps, 0) != '.')
			break;
		ps->p++;
	}
	ward_buf_free(&b);
	return 0;
fail:
	ward_buf_free(&b);
	return -1;
}

/* ------------------------------------------------------------ numbers, dates */

static int
digits_run(const char *s, const char *e, int (*ok)(int), int underscores)
{
	/* Digits with single underscores between them. */
	if (s >= e || !ok((unsigned char)*s))
		return 0;
	for (const char *q = s; q < e; q++) {
		if (*q == '_') {
			if (!underscores || q + 1 >= e || !ok((unsigned char)q[1]) ||
			    !ok((unsigned char)q[-1]))
				return 0;
		} else if (!ok((unsigned char)*q)) {
			return 0;
		}
	}
	return 1;
}

static int
is_dec(int c)
{
	return c >= '0' && c <= '9';
}
static int
is_hex(int c)
{
	return isxdigit(c) != 0;
}
static int
is_oct(int c)
{
	return c >= '0' && c <= '7';
}
static int
is_bin(int c)
{
	return c == '0' || c == '1';
}

static int
fixed_digits(const char *s, size_t n, int *out)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_dec((unsigned char)s[i]))
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 1;
}

static int
days_in(int y, int m)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[m - 1];
}

/* HH:MM:SS[.frac] at s; returns its length or 0. */
static size_t
time_len(const char *s, const char *e)
{
	int h, mi, se;
	size_t n = 8;

	if (e - s < 8 || s[2] != ':' || s[5] != ':' || !fixed_digits(s, 2, &h) ||
	    !fixed_digits(s + 3, 2, &mi) || !fixed_digits(s + 6, 2, &se) || h > 23 || mi > 59 ||
	    se > 59)
		return 0;
	if (s + n < e && s[n] == '.') {
		size_t f = n + 1;
		while (s + f < e && is_dec((unsigned char)s[f]))
			f++;
		if (f == n + 1)
			return 0;
		n = f;
	}
	return n;
}

/* A date, date-time or time at ps->p, given that the token [s, e) (up to
 * a delimiter) looks like one.  The value is its text, 'T'-separated. */
static json_t *
read_datetime(struct parser *ps)
{
	const char *s = ps->p, *e = ps->end;
	struct ward_buf b = {0};
	int y, mo, d;
	size_t n = 0, tl;
	json_t *v;

	if (e - s >= 10 && s[4] == '-' && s[7] == '-' && fixed_digits(s, 4, &y) &&
	    fixed_digits(s + 5, 2, &mo) && fixed_digits(s + 8, 2, &d)) {
		if (mo < 1 || mo > 12 || d < 1 || d > days_in(y, mo)) {
			perr(ps, s, "invalid date");
			return NULL;
		}
		n = 10;
		if (s + n < e &&
		    (s[n] == 'T' || s[n] == 't' ||
		     (s[n] == ' ' && s + n + 1 < e && is_dec((unsigned char)s[n + 1])))) {
			tl = time_len(s + n + 1, e);
			if (tl == 0) {
				perr(ps, s, "invalid date-time");
				return NULL;
			}
			n += 1 + tl;
			if (s + n < e && (s[n] == 'Z' || s[n] == 'z')) {
				n++;
			} else if (s + n < e && (s[n] == '+' || s[n] == '-')) {
				int oh, om;
				if (e - (s + n) < 6 || s[n + 3] != ':' ||
				    !fixed_digits(s + n + 1, 2, &oh) ||
				    !fixed_digits(s + n + 4, 2, &om) || oh > 23 || om > 59) {
					perr(ps, s, "invalid time offset");
					return NULL;
				}
				n += 6;
			}
		}
	} else if ((tl = time_len(s, e)) != 0) {
		n = tl;
	} else {
		perr(ps, s, "invalid value");
		return NULL;
	}
	if (ward_buf_append(&b, s, n) != 0 || ward_buf_reserve(&b, 1) != 0) {
		ward_buf_free(&b);
		oom(ps);
		return NULL;
	}
	b.data[b.len] = '\0';
	if (n > 10 && s[4] == '-') /* date and time: normalise the separator */
		b.data[10] = 'T';
	for (size_t i = 0; i < b.len; i++)
		if (b.data[i] == 't' || b.data[i] == 'z')
			b.data[i] = (unsigned char)toupper(b.data[i]);
	ps->p += n;
	v = json_string((char *)b.data);
	ward_buf_free(&b);
	if (v == NULL)
		oom(ps);
	return v;
}

static json_t *
read_number(struct parser *ps)
{
	const char *s = ps->p, *e = s;
	char buf[128];
	size_t n = 0;

	while (e < ps->end && (isalnum((unsigned char)*e) || strchr("+-_.", *e) != NULL))
		e++;
	/* Special floats. */
	{
		const char *q = s;
		if (*q == '+' || *q == '-')
			q++;
		if ((e - q == 3) && (memcmp(q, "inf", 3) == 0 || memcmp(q, "nan", 3) == 0)) {
			ps->p = e;
			if (q[0] == 'n')
				return json_string("nan");
			return json_string(*s == '-' ? "-inf" : "inf");
		}
	}
	if (e - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o' || s[1] == 'b')) {
		int (*ok)(int) = s[1] == 'x' ? is_hex : s[1] == 'o' ? is_oct : is_bin;
		int base = s[1] == 'x' ? 16 : s[1] == 'o' ? 8 : 2;
		unsigned long long v;
		if (!digits_run(s + 2, e, ok, 1))
			goto bad;
		for (const char *q = s + 2; q < e && n + 1 < sizeof(buf); q++)
			if (*q != '_')
				buf[n++] = *q;
		if (n + 1 >= sizeof(buf))
			goto range;
		buf[n] = '\0';
		errno = 0;
		v = strtoull(buf, NULL, base);
		if (errno != 0 || v > INT64_MAX)
			goto range;
		ps->p = e;
		return json_integer((json_int_t)v);
	}
	{
		const char *q = s, *int_end, *frac = NULL, *fe = NULL, *ex = NULL;
		int is_float = 0;
		if (*q == '+' || *q == '-')
			q++;
		int_end = q;
		while (int_end < e && (is_dec((unsigned char)*int_end) || *int_end == '_'))
			int_end++;
		if (!digits_run(q, int_end, is_dec, 1))
			goto bad;
		if (*q == '0' && int_end - q > 1)
			return perr(ps, s, "leading zeros are not allowed in a number"), NULL;
		fe = int_end;
		if (fe < e && *fe == '.') {
			frac = fe + 1;
			fe = frac;
			while (fe < e && (is_dec((unsigned char)*fe) || *fe == '_'))
				fe++;
			if (!digits_run(frac, fe, is_dec, 1))
				goto bad;
			is_float = 1;
		}
		if (fe < e && (*fe == 'e' || *fe == 'E')) {
			ex = fe + 1;
			if (ex < e && (*ex == '+' || *ex == '-'))
				ex++;
			if (!digits_run(ex, e, is_dec, 1))
				goto bad;
			fe = e;
			is_float = 1;
		}
		if (fe != e)
			goto bad;
		for (const char *c = s; c < e; c++) {
			if (*c == '_')
				continue;
			if (n + 1 >= sizeof(buf))
				goto range;
			buf[n++] = *c;
		}
		buf[n] = '\0';
		ps->p = e;
		if (is_float) {
			double d = strtod(buf, NULL);
			if (!isfinite(d))
				return json_string(d < 0 ? "-inf" : "inf");
			return json_real(d);
		}
		errno = 0;
		long long v = strtoll(buf, NULL, 10);
		if (errno != 0)
			goto range;
		return json_integer((json_int_t)v);
	}
bad:
	perr(ps, s, "invalid value");
	return NULL;
range:
	perr(ps, s, "integer out of range");
	return NULL;
}

/* ------------------------------------------------------------ values */

static json_t *read_value(struct parser *ps);
static int assign(struct parser *ps, json_t *table, struct key *k, json_t *v, int inline_ctx);

static json_t *
read_array(struct parser *ps)
{
	json_t *a = json_array();
	const char *open = ps->p;

	if (a == NULL || flags_set(ps, a, T_INLINE) != 0) {
		json_decref(a);
		oom(ps);
		return NULL;
	}
	ps->p++;
	for (;;) {
		json_t *v;
		if (skip_ws_nl(ps) != 0)
			goto fail;
		if (at_end(ps)) {
			perr(ps, open, "unterminated array");
			goto fail;
		}
		if (*ps->p == ']') {
			ps->p++;
			return a;
		}
		if ((v = read_value(ps)) == NULL)
			goto fail;
		if (json_array_append_new(a, v) != 0) {
			oom(ps);
			goto fail;
		}
		if (skip_ws_nl(ps) != 0)
			goto fail;
		if (peek(ps, 0) == ',') {
			ps->p++;
			continue;
		}
		if (peek(ps, 0) == ']') {
			ps->p++;
			return a;
		}
		perr(ps, ps->p, "expected ',' or ']' in an array");
		goto fail;
	}
fail:
	json_decref(a);
	return NULL;
}

static json_t *
read_inline_table(struct parser *ps)
{
	json_t *t = json_object();

	if (t == NULL || flags_set(ps, t, T_INLINE) != 0) {
		json_decref(t);
		oom(ps);
		return NULL;
	}
	ps->p++;
	skip_ws(ps);
	if (peek(ps, 0) == '}') {
		ps->p++;
		return t;
	}
	for (;;) {
		struct key k = {0};
		json_t *v;
		int rc;
		if (read_key(ps, &k) != 0) {
			ward_strv_free(&k.parts);
			goto fail;
		}
		if (peek(ps, 0) != '=') {
			perr(ps, ps->p, "expected '=' after a key");
			ward_strv_free(&k.parts);
			goto fail;
		}
		ps->p++;
		skip_ws(ps);
		if ((v = read_value(ps)) == NULL) {
			ward_strv_free(&k.parts);
			goto fail;
		}
		rc = assign(ps, t, &k, v, 1);
		ward_strv_free(&k.parts);
		if (rc != 0)
			goto fail;
		skip_ws(ps);
		if (peek(ps, 0) == ',') {
			ps->p++;
			skip_ws(ps);
			if (peek(ps, 0) == '}') {
				perr(ps, ps->p, "trailing comma in an inline table");
				goto fail;
			}
			continue;
		}
		if (peek(ps, 0) == '}') {
			ps->p++;
			return t;
		}
		perr(ps, ps->p, "expected ',' or '}' in an inline table");
		goto fail;
	}
fail:
	json_decref(t);
	return NULL;
}

static json_t *
read_value(struct parser *ps)
{
	int c = peek(ps, 0);
	json_t *v = NULL;

	if (++ps->depth > MAX_DEPTH) {
		perr(ps, ps->p, "values nested deeper than %d", MAX_DEPTH);
		return NULL;
	}
	if (c == '"' || c == '\'') {
		struct ward_buf b = {0};
		if (read_string(ps, &b, 1) == 0) {
			v = json_stringn((char *)b.data, b.len);
			if (v == NULL)
				oom(ps);
		}
		ward_buf_free(&b);
	} else if (c == '[') {
		v = read_array(ps);
	} else if (c == '{') {
		v = read_inline_table(ps);
	} else if (ps->end - ps->p >= 4 && memcmp(ps->p, "true", 4) == 0 && !is_bare(peek(ps, 4))) {
		ps->p += 4;
		v = json_true();
	} else if (ps->end - ps->p >= 5 && memcmp(ps->p, "false", 5) == 0 &&
		   !is_bare(peek(ps, 5))) {
		ps->p += 5;
		v = json_false();
	} else if (c >= 0 && is_dec(c) &&
		   ((ps->end - ps->p >= 5 && ps->p[4] == '-' && is_dec(peek(ps, 3))) ||
		    (ps->end - ps->p >= 3 && ps->p[2] == ':'))) {
		v = read_datetime(ps);
	} else if (c >= 0 && (is_dec(c) || c == '+' || c == '-' || c == 'i' || c == 'n')) {
		v = read_number(ps);
	} else {
		perr(ps, ps->p, at_end(ps) ? "expected a value" : "invalid value");
	}
	ps->depth--;
	return v;
}

/* ------------------------------------------------------------ tables */

static const char *
key_text(const struct key *k, size_t upto, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < upto && i < k->parts.n; i++)
		n += (size_t)snprintf(buf + (n < size ? n : size), n < size ? size - n : 0, "%s%s",
				      i ? "." : "", k->parts.v[i]);
	return buf;
}

/* Set a dotted key's value in table: the intermediate parts are tables
 * made (or reopened) by dotted keys in this same table. */
static int
assign(struct parser *ps, json_t *table, struct key *k, json_t *v, int inline_ctx)
{
	char kb[256];
	json_t *t = table;

	for (size_t i = 0; i + 1 < k->parts.n; i++) {
		json_t *sub = json_object_get(t, k->parts.v[i]);
		if (sub == NULL) {
			sub = json_object();
			if (sub == NULL || json_object_set_new(t, k->parts.v[i], sub) != 0 ||
			    flags_set(ps, sub, T_DOTTED) != 0) {
				json_decref(v);
				return oom(ps);
			}
		} else {
			/* Tables made by dotted keys, or only implied by a header
			 * below them, may be extended; tables defined by a header
			 * or inline, and values, may not (as tomllib). */
			int f = flags_get(ps, sub);
			if (!json_is_object(sub) || (f & (T_INLINE | T_EXPLICIT))) {
				json_decref(v);
				return perr(ps, k->at, "key \"%s\" is already defined",
					    key_text(k, i + 1, kb, sizeof(kb)));
			}
			if (!(f & T_DOTTED) && flags_set(ps, sub, f | T_DOTTED) != 0) {
				json_decref(v);
				return oom(ps);
			}
		}
		t = sub;
	}
	if (json_object_get(t, k->parts.v[k->parts.n - 1]) != NULL) {
		json_decref(v);
		return perr(ps, k->at, "key \"%s\" is defined twice",
			    key_text(k, k->parts.n, kb, sizeof(kb)));
	}
	(void)inline_ctx;
	if (json_object_set_new(t, k->parts.v[k->parts.n - 1], v) != 0)
		return oom(ps);
	return 0;
}

/* [a.b.c] or [[a.b.c]]: find or create the table the following keys go
 * into. */
static json_t *
open_header(struct parser *ps, struct key *k, int aot)
{
	char kb[256];
	json_t *t = ps->root;
	size_t last = k->parts.n - 1;

	for (size_t i = 0; i < last; i++) {
		json_t *sub = json_object_get(t, k->parts.v[i]);
		if (sub == NULL) {
			sub = json_object();
			if (sub == NULL || json_object_set_new(t, k->parts.v[i], sub) != 0 ||
			    flags_set(ps, sub, T_HEADER) != 0) {
				oom(ps);
				return NULL;
			}
		} else if (json_is_array(sub)) {
			/* The last table of an array of tables. */
			if (!(flags_get(ps, sub) & T_AOT) || json_array_size(sub) == 0) {
				perr(ps, k->at, "\"%s\" is a static array, not a table",
				     key_text(k, i + 1, kb, sizeof(kb)));
				return NULL;
			}
			sub = json_array_get(sub, json_array_size(sub) - 1);
		} else if (!json_is_object(sub) || (flags_get(ps, sub) & T_INLINE)) {
			perr(ps, k->at, "key \"%s\" is already defined as a value",
			     key_text(k, i + 1, kb, sizeof(kb)));
			return NULL;
		}
		t = sub;
	}
	{
		const char *name = k->parts.v[last];
		json_t *cur = json_object_get(t, name);
		if (aot) {
			json_t *tab;
			if (cur == NULL) {
				cur = json_array();
				if (cur == NULL || json_object_set_new(t, name, cur) != 0 ||
				    flags_set(ps, cur, T_AOT) != 0) {
					oom(ps);
					return NULL;
				}
			} else if (!json_is_array(cur) || !(flags_get(ps, cur) & T_AOT)) {
				perr(ps, k->at,
				     "\"%s\" is already defined and is not an array of tables",
				     key_text(k, k->parts.n, kb, sizeof(kb)));
				return NULL;
			}
			tab = json_object();
			if (tab == NULL || json_array_append_new(cur, tab) != 0 ||
			    flags_set(ps, tab, T_EXPLICIT | T_HEADER) != 0) {
				oom(ps);
				return NULL;
			}
			return tab;
		}
		if (cur == NULL) {
			cur = json_object();
			if (cur == NULL || json_object_set_new(t, name, cur) != 0 ||
			    flags_set(ps, cur, T_EXPLICIT | T_HEADER) != 0) {
				oom(ps);
				return NULL;
			}
			return cur;
		}
		{
			int f = flags_get(ps, cur);
			if (!json_is_object(cur) || (f & (T_EXPLICIT | T_INLINE | T_DOTTED))) {
				perr(ps, k->at, "table \"%s\" is defined twice",
				     key_text(k, k->parts.n, kb, sizeof(kb)));
				return NULL;
			}
			if (flags_set(ps, cur, f | T_EXPLICIT) != 0) {
				oom(ps);
				return NULL;
			}
		}
		return cur;
	}
}

static int
parse_doc(struct parser *ps)
{
	json_t *cur = ps->root;

	while (!at_end(ps)) {
		struct key k = {0};
		skip_ws(ps);
		if (skip_comment(ps) != 0)
			return -1;
		if (at_end(ps))
			break;
		if (eat_newline(ps))
			continue;
		if (*ps->p == '[') {
			const char *hdr = ps->p;
			int aot = peek(ps, 1) == '[';
			ps->p += aot ? 2 : 1;
			if (read_key(ps, &k) != 0)
				goto fail;
			k.at = hdr; /* errors about the table name the header */
			if (peek(ps, 0) != ']' || (aot && peek(ps, 1) != ']')) {
				perr(ps, ps->p, "expected '%s' to close a table header",
				     aot ? "]]" : "]");
				goto fail;
			}
			ps->p += aot ? 2 : 1;
			if ((cur = open_header(ps, &k, aot)) == NULL)
				goto fail;
			ward_strv_free(&k.parts);
			if (end_of_line(ps) != 0)
				return -1;
			continue;
		}
		if (read_key(ps, &k) != 0)
			goto fail;
		if (peek(ps, 0) != '=') {
			perr(ps, ps->p, "expected '=' after a key");
			goto fail;
		}
		ps->p++;
		skip_ws(ps);
		{
			json_t *v = read_value(ps);
			if (v == NULL || assign(ps, cur, &k, v, 0) != 0)
				goto fail;
		}
		ward_strv_free(&k.parts);
		if (end_of_line(ps) != 0)
			return -1;
		continue;
	fail:
		ward_strv_free(&k.parts);
		return -1;
	}
	return 0;
}

json_t *
wheel_toml_parse(const char *data, size_t len, const char *what)
{
	struct parser ps = {.p = data, .end = data + len, .start = data, .what = what};
	size_t bad;

	if (!valid_utf8((const unsigned char *)data, len, &bad)) {
		perr(&ps, data + bad, "invalid UTF-8");
		return NULL;
	}
	if ((ps.root = json_object()) == NULL) {
		ward_err(WARD_EENV, "%s: out of memory", what);
		return NULL;
	}
	if (parse_doc(&ps) != 0) {
		json_decref(ps.root);
		ps.root = NULL;
	}
	free(ps.slots);
	return ps.root;
}
