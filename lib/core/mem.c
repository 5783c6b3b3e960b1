/* mem.c: allocation, buffers, string vectors and small text helpers. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

void *
ward_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		ward_err(WARD_EENV, "out of memory (%zu bytes)", n);
	return p;
}

void *
ward_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		ward_err(WARD_EENV, "out of memory (%zu x %zu bytes)", n, size);
	return p;
}

void *
ward_realloc(void *old, size_t n)
{
	void *p = realloc(old, n ? n : 1);

	if (p == NULL)
		ward_err(WARD_EENV, "out of memory (%zu bytes)", n);
	return p;
}

char *
ward_strdup(const char *s)
{
	return ward_strndup(s, strlen(s));
}

char *
ward_strndup(const char *s, size_t n)
{
	char *p = ward_malloc(n + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
ward_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0) {
		ward_err(WARD_EENV, "out of memory");
		return NULL;
	}
	return s;
}

void
ward_wipe(void *p, size_t n)
{
	if (p != NULL)
		explicit_bzero(p, n);
}

void *
ward_reallocarray(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size) {
		ward_err(WARD_EENV, "out of memory (%zu x %zu bytes)", n, size);
		return NULL;
	}
	return ward_realloc(p, n * size);
}

int
ward_vec_grow(void *vp, size_t n, size_t elem)
{
	size_t cap = n == 0 ? 0 : n <= 8 ? 8 : n;

	/* the implied capacity: 8, then the power of two the array reached */
	if (n > 8 && (n & (n - 1)) != 0)
		return 0;
	if (n != 0 && n < 8)
		return 0;
	return ward_vec_reserve(vp, &cap, n + 1, elem);
}

int
ward_vec_reserve(void *vp, size_t *cap, size_t need, size_t elem)
{
	void *v, *nv;
	size_t c;

	if (need <= *cap)
		return 0;
	if (elem == 0 || need > SIZE_MAX / elem)
		return ward_err(WARD_EENV, "out of memory (%zu x %zu bytes)", need, elem);
	c = *cap ? *cap : 8;
	while (c < need)
		c = c > SIZE_MAX / 2 / elem ? need : c * 2;
	/* vp points at a pointer of any object type: copied, not aliased */
	memcpy(&v, vp, sizeof(v));
	if ((nv = ward_reallocarray(v, c, elem)) == NULL)
		return -1;
	memcpy(vp, &nv, sizeof(nv));
	*cap = c;
	return 0;
}

static int
buf_failed(void)
{
	return ward_err(WARD_EENV, "out of memory (an earlier append to this text failed)");
}

int
ward_buf_reserve(struct ward_buf *b, size_t extra)
{
	size_t need, cap;
	unsigned char *p;

	if (b->failed)
		return buf_failed();
	if (extra > SIZE_MAX - b->len - 1) {
		b->failed = 1;
		return ward_err(WARD_EENV, "buffer too large");
	}
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = ward_realloc(b->data, cap);
	if (p == NULL) {
		b->failed = 1;
		return -1;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

int
ward_buf_check(const struct ward_buf *b)
{
	return b->failed ? buf_failed() : 0;
}

int
ward_buf_append(struct ward_buf *b, const void *p, size_t n)
{
	if (ward_buf_reserve(b, n) != 0)
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
ward_buf_puts(struct ward_buf *b, const char *s)
{
	if (s == NULL) { /* the text of a failed step: this buffer fails too */
		b->failed = 1;
		return buf_failed();
	}
	return ward_buf_append(b, s, strlen(s));
}

int
ward_buf_printf(struct ward_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = 1;
		return ward_err(WARD_EENV, "formatting failed");
	}
	if (ward_buf_reserve(b, (size_t)n) != 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

char *
ward_buf_cstr(struct ward_buf *b)
{
	if (b->failed) {
		buf_failed();
		return NULL;
	}
	if (b->data == NULL && ward_buf_reserve(b, 0) != 0)
		return NULL;
	b->data[b->len] = '\0';
	return (char *)b->data;
}

char *
ward_buf_steal(struct ward_buf *b)
{
	char *s = ward_buf_cstr(b);

	if (s == NULL) {
		ward_buf_free(b);
		return NULL;
	}
	b->data = NULL;
	b->len = b->cap = 0;
	return s;
}

void
ward_buf_free(struct ward_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->failed = 0;
}

void
ward_buf_wipe(struct ward_buf *b)
{
	ward_wipe(b->data, b->cap);
	ward_buf_free(b);
}

int
ward_strv_push_owned(struct ward_strv *sv, char *s)
{
	if (sv->failed) {
		free(s);
		return ward_err(WARD_EENV, "out of memory (an earlier push to this list failed)");
	}
	if (s == NULL || ward_vec_reserve(&sv->v, &sv->cap, sv->n + 2, sizeof(*sv->v)) != 0) {
		free(s);
		sv->failed = 1;
		return -1;
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
	return 0;
}

int
ward_strv_check(const struct ward_strv *sv)
{
	return sv->failed ? ward_err(WARD_EENV, "out of memory (a list is incomplete)") : 0;
}

int
ward_strv_vpushf(struct ward_strv *sv, const char *fmt, va_list ap)
{
	char *m = NULL;

	if (vasprintf(&m, fmt, ap) < 0) {
		sv->failed = 1;
		return ward_err(WARD_EENV, "out of memory");
	}
	return ward_strv_push_owned(sv, m);
}

int
ward_strv_pushf(struct ward_strv *sv, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = ward_strv_vpushf(sv, fmt, ap);
	va_end(ap);
	return rc;
}

int
ward_strv_push(struct ward_strv *sv, const char *s)
{
	return ward_strv_push_owned(sv, ward_strdup(s));
}

int
ward_strv_contains(const struct ward_strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return 1;
	return 0;
}

void
ward_qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

void
ward_qsort_r(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *, void *),
	     void *arg)
{
	if (n > 1)
		qsort_r(base, n, size, cmp, arg);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
ward_strv_sort(struct ward_strv *sv)
{
	if (sv->n > 1)
		qsort(sv->v, sv->n, sizeof(*sv->v), cmp_str);
}

void
ward_strv_free(struct ward_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
	sv->failed = 0;
}

void
ward_hex(const void *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[s[i] >> 4];
		out[2 * i + 1] = digits[s[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
ward_unhex(const char *hex, void *out, size_t n, const char *what)
{
	unsigned char *o = out;

	if (strlen(hex) != 2 * n)
		return ward_err(WARD_EINPUT, "%s: expected %zu hex digits, got %zu", what, 2 * n,
				strlen(hex));
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return ward_err(WARD_EINPUT, "%s: invalid hex digit", what);
		o[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int
ward_str_endswith(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

int
ward_str_startswith(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}
