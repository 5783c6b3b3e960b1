/* error.c: the one error idiom of libward (see core.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

static _Thread_local struct ward_error last;

static int record(int kind, const char *suffix, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned int c;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, c = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (len == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0; /* overlong, surrogate or out of range */
	if (len == 2 && c < 0xa0)
		return 0; /* C1 control: escaped as its bytes */
	return len;
}

size_t
ward_escape(const char *str, size_t n, char *out, size_t size)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t o = 0;

	if (size == 0)
		return 0;
	for (size_t i = 0; i < n;) {
		char esc[8];
		const char *piece = esc;
		size_t len = utf8_len(s + i, n - i), plen;
		if (len == 1 && s[i] >= 0x20 && s[i] != 0x7f) {
			piece = (const char *)s + i;
			plen = 1;
		} else if (len > 1) {
			piece = (const char *)s + i;
			plen = len;
		} else {
			switch (s[i]) {
			case '\n':
				memcpy(esc, "\\n", 3);
				break;
			case '\t':
				memcpy(esc, "\\t", 3);
				break;
			case '\r':
				memcpy(esc, "\\r", 3);
				break;
			case 0x1b:
				memcpy(esc, "\\e", 3);
				break;
			default:
				snprintf(esc, sizeof(esc), "\\x%02x", s[i]);
			}
			plen = strlen(esc);
			len = 1;
		}
		if (o + plen >= size)
			break;
		memcpy(out + o, piece, plen);
		o += plen;
		i += len;
	}
	out[o] = '\0';
	return o;
}

char *
ward_escape_dup(const char *s)
{
	size_t n = strlen(s), size = n * 4 + 1;
	char *out = malloc(size);

	if (out == NULL) {
		ward_err(WARD_EENV, "out of memory");
		return NULL;
	}
	ward_escape(s, n, out, size);
	return out;
}

const char *
ward_str_or_none(const char *s)
{
	return s != NULL ? s : "(none)";
}

static int
record(int kind, const char *suffix, const char *fmt, va_list ap)
{
	char raw[sizeof(last.msg)];
	int n;

	last.kind = kind;
	n = vsnprintf(raw, sizeof(raw), fmt, ap);
	if (suffix != NULL && n >= 0 && (size_t)n < sizeof(raw))
		snprintf(raw + n, sizeof(raw) - (size_t)n, ": %s", suffix);
	ward_escape(raw, strnlen(raw, sizeof(raw)), last.msg, sizeof(last.msg));
	return -1;
}

int
ward_err(int kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record(kind, NULL, fmt, ap);
	va_end(ap);
	return -1;
}

int
ward_errno(int kind, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	record(kind, strerror(saved), fmt, ap);
	va_end(ap);
	errno = saved;
	return -1;
}

int
ward_err_io(const char *path, const char *what)
{
	int kind;

	switch (errno) {
	case ENOENT:
	case ENOTDIR:
	case EISDIR:
	case ELOOP:
	case ENAMETOOLONG:
		kind = WARD_EINPUT;
		break;
	default:
		kind = WARD_EENV;
	}
	return ward_errno(kind, "%s: %s", path, what);
}

const char *
ward_errmsg(void)
{
	return last.msg;
}

int
ward_errkind(void)
{
	return last.kind;
}

void
ward_err_clear(void)
{
	last.kind = WARD_OK;
	last.msg[0] = '\0';
}

void
ward_err_save(struct ward_error *e)
{
	*e = last;
}

int
ward_err_restore(const struct ward_error *e)
{
	last = *e;
	return -1;
}
