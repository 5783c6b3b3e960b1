/* error.c: the one error idiom of libward (see core.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"

static _Thread_local struct ward_error last;

static int record(int kind, const char *suffix, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static int
record(int kind, const char *suffix, const char *fmt, va_list ap)
{
	int n;

	last.kind = kind;
	n = vsnprintf(last.msg, sizeof(last.msg), fmt, ap);
	if (suffix != NULL && n >= 0 && (size_t)n < sizeof(last.msg))
		snprintf(last.msg + n, sizeof(last.msg) - (size_t)n, ": %s", suffix);
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
