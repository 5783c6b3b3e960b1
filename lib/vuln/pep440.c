/*
 * pep440.c: PEP 440 version parsing and ordering, and PEP 503 names.
 *
 * The grammar and the sort key follow Python's packaging.version (the
 * oracle of the tests): the VERSION_PATTERN regular expression matched
 * case-insensitively with surrounding whitespace, and _cmpkey().  Numbers
 * of any length are compared as digit strings, never converted, so no
 * input can overflow.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "vuln/vuln_internal.h"

/* Python's str.strip() whitespace, ASCII and the UTF-8 encoded Unicode
 * spaces; returns the length of the space at s (0 when none). */
static size_t
space_len(const unsigned char *s, size_t n)
{
	if (n == 0)
		return 0;
	if (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r') || (s[0] >= 0x1c && s[0] <= 0x1f))
		return 1;
	if (n >= 2 && s[0] == 0xc2 && (s[1] == 0x85 || s[1] == 0xa0))
		return 2;
	if (n >= 3 && s[0] == 0xe1 && s[1] == 0x9a && s[2] == 0x80)
		return 3; /* U+1680 */
	if (n >= 3 && s[0] == 0xe2 && s[1] == 0x80 &&
	    ((s[2] >= 0x80 && s[2] <= 0x8a) || s[2] == 0xa8 || s[2] == 0xa9 || s[2] == 0xaf))
		return 3; /* U+2000..200A, U+2028, U+2029, U+202F */
	if (n >= 3 && s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f)
		return 3; /* U+205F */
	if (n >= 3 && s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80)
		return 3; /* U+3000 */
	return 0;
}

/* Trailing whitespace: scan from the front so multi-byte spaces are found. */
static size_t
trim_end(const unsigned char *s, size_t n)
{
	size_t i = 0, end = 0;

	while (i < n) {
		size_t k = space_len(s + i, n - i);
		if (k == 0) {
			i++;
			end = i;
		} else {
			i += k;
		}
	}
	return end;
}

struct cursor {
	const char *s;
	size_t i, n;
};

static int
at_sep(const struct cursor *c)
{
	return c->i < c->n && (c->s[c->i] == '-' || c->s[c->i] == '_' || c->s[c->i] == '.');
}

static int
at_digit(const struct cursor *c)
{
	return c->i < c->n && c->s[c->i] >= '0' && c->s[c->i] <= '9';
}

/* Match a keyword (the text is already lowercase). */
static int
take_word(struct cursor *c, const char *w)
{
	size_t k = strlen(w);

	if (c->n - c->i >= k && memcmp(c->s + c->i, w, k) == 0) {
		c->i += k;
		return 1;
	}
	return 0;
}

/* A digit run with its leading zeros dropped (an all-zero run is empty). */
static struct pep440_num
take_number(struct cursor *c)
{
	struct pep440_num num;
	size_t start = c->i;

	while (at_digit(c))
		c->i++;
	num.p = c->s + start;
	num.n = c->i - start;
	while (num.n > 0 && num.p[0] == '0') {
		num.p++;
		num.n--;
	}
	return num;
}

/* Optional separator, keyword from the list, optional separator, optional
 * number.  Longest keyword first: no shorter keyword can lead to a match
 * that a longer one misses (see the comment in tests/py/pep440_oracle.py). */
static int
take_segment(struct cursor *c, const char *const *words, int *which, struct pep440_num *num)
{
	struct cursor save = *c;

	if (at_sep(c))
		c->i++;
	for (int k = 0; words[k] != NULL; k++) {
		if (take_word(c, words[k])) {
			*which = k;
			if (at_sep(c))
				c->i++;
			*num = take_number(c);
			return 1;
		}
	}
	*c = save;
	return 0;
}

void
pep440_free(struct pep440 *v)
{
	if (v == NULL)
		return;
	free(v->buf);
	free(v->release);
	free(v->local);
	memset(v, 0, sizeof(*v));
}

int
pep440_parse(const char *text, size_t len, struct pep440 *v)
{
	static const char *const pre_words[] = {"preview", "alpha", "beta", "pre", "rc",
						"a",	   "b",	    "c",    NULL};
	static const int pre_kind[] = {3, 1, 2, 3, 3, 1, 2, 3};
	static const char *const post_words[] = {"post", "rev", "r", NULL};
	static const char *const dev_words[] = {"dev", NULL};
	const unsigned char *u = (const unsigned char *)text;
	size_t start = 0, end, k;
	struct cursor c;
	int which;

	memset(v, 0, sizeof(*v));
	while (start < len && (k = space_len(u + start, len - start)) > 0)
		start += k;
	end = start + trim_end(u + start, len - start);
	if ((v->buf = malloc(end - start + 1)) == NULL)
		return ward_err(WARD_EENV, "out of memory");
	for (size_t i = start; i < end; i++) {
		if (text[i] == '\0')
			goto bad;
		v->buf[i - start] = (char)tolower(u[i]);
	}
	v->buf[end - start] = '\0';
	c.s = v->buf;
	c.i = 0;
	c.n = end - start;

	if (c.i < c.n && c.s[c.i] == 'v')
		c.i++;
	/* epoch: digits followed by '!' (else those digits start the release) */
	{
		struct cursor save = c;
		struct pep440_num e = take_number(&c);
		if (c.i > save.i && c.i < c.n && c.s[c.i] == '!') {
			v->epoch = e;
			c.i++;
		} else {
			c = save;
		}
	}
	/* release: N(.N)* */
	if (!at_digit(&c))
		goto bad;
	for (;;) {
		if (ward_vec_grow(&v->release, v->nrelease, sizeof(*v->release)) != 0) {
			pep440_free(v);
			return -1;
		}
		v->release[v->nrelease++] = take_number(&c);
		if (c.i + 1 < c.n && c.s[c.i] == '.' && c.s[c.i + 1] >= '0' && c.s[c.i + 1] <= '9')
			c.i++;
		else
			break;
	}
	if (take_segment(&c, pre_words, &which, &v->pre))
		v->pre_kind = pre_kind[which];
	/* post: "-N" or [sep](post|rev|r)[sep][N] */
	if (c.i + 1 < c.n && c.s[c.i] == '-' && c.s[c.i + 1] >= '0' && c.s[c.i + 1] <= '9') {
		c.i++;
		v->has_post = 1;
		v->post = take_number(&c);
	} else if (take_segment(&c, post_words, &which, &v->post)) {
		v->has_post = 1;
	}
	if (take_segment(&c, dev_words, &which, &v->dev))
		v->has_dev = 1;
	/* local: +[a-z0-9]+([-_.][a-z0-9]+)* */
	if (c.i < c.n && c.s[c.i] == '+') {
		c.i++;
		for (;;) {
			size_t s0 = c.i;
			int numeric = 1;
			struct pep440_local *l;
			while (c.i < c.n && (isdigit((unsigned char)c.s[c.i]) ||
					     (c.s[c.i] >= 'a' && c.s[c.i] <= 'z'))) {
				if (!isdigit((unsigned char)c.s[c.i]))
					numeric = 0;
				c.i++;
			}
			if (c.i == s0)
				goto bad;
			if (ward_vec_grow(&v->local, v->nlocal, sizeof(*v->local)) != 0) {
				pep440_free(v);
				return -1;
			}
			l = &v->local[v->nlocal++];
			l->p = c.s + s0;
			l->n = c.i - s0;
			l->numeric = numeric;
			if (numeric) {
				while (l->n > 0 && l->p[0] == '0') {
					l->p++;
					l->n--;
				}
			}
			if (at_sep(&c) && c.i + 1 < c.n)
				c.i++;
			else
				break;
		}
	}
	if (c.i != c.n)
		goto bad;
	return 0;
bad:
	pep440_free(v);
	return ward_err(WARD_EINPUT, "\"%.*s\" is not a valid PEP 440 version",
			(int)(len > 80 ? 80 : len), text);
}

static int
num_cmp(struct pep440_num a, struct pep440_num b)
{
	int r;

	if (a.n != b.n)
		return a.n < b.n ? -1 : 1;
	if (a.n == 0)
		return 0;
	r = memcmp(a.p, b.p, a.n);
	return r < 0 ? -1 : r > 0;
}

/* Release segments compare with trailing zeros removed, shorter first. */
static int
release_cmp(const struct pep440 *a, const struct pep440 *b)
{
	size_t na = a->nrelease, nb = b->nrelease;

	while (na > 0 && a->release[na - 1].n == 0)
		na--;
	while (nb > 0 && b->release[nb - 1].n == 0)
		nb--;
	for (size_t i = 0; i < na && i < nb; i++) {
		int r = num_cmp(a->release[i], b->release[i]);
		if (r)
			return r;
	}
	return na < nb ? -1 : na > nb;
}

/* The pre-release key: -inf for a bare dev release, +inf without pre. */
static int
pre_rank(const struct pep440 *v)
{
	if (v->pre_kind == 0 && !v->has_post && v->has_dev)
		return -1;
	return v->pre_kind == 0 ? 1 : 0;
}

static int
local_cmp(const struct pep440 *a, const struct pep440 *b)
{
	for (size_t i = 0; i < a->nlocal && i < b->nlocal; i++) {
		const struct pep440_local *x = &a->local[i], *y = &b->local[i];
		int r;
		if (x->numeric != y->numeric)
			return x->numeric ? 1 : -1; /* numbers sort above words */
		if (x->numeric) {
			struct pep440_num nx = {x->p, x->n}, ny = {y->p, y->n};
			r = num_cmp(nx, ny);
		} else {
			size_t m = x->n < y->n ? x->n : y->n;
			r = m ? memcmp(x->p, y->p, m) : 0;
			if (r == 0)
				r = x->n < y->n ? -1 : x->n > y->n;
		}
		if (r)
			return r < 0 ? -1 : 1;
	}
	return a->nlocal < b->nlocal ? -1 : a->nlocal > b->nlocal;
}

int
pep440_cmp(const struct pep440 *a, const struct pep440 *b)
{
	int r, ra, rb;

	if ((r = num_cmp(a->epoch, b->epoch)) != 0)
		return r;
	if ((r = release_cmp(a, b)) != 0)
		return r;
	ra = pre_rank(a);
	rb = pre_rank(b);
	if (ra != rb)
		return ra < rb ? -1 : 1;
	if (ra == 0) {
		if (a->pre_kind != b->pre_kind)
			return a->pre_kind < b->pre_kind ? -1 : 1;
		if ((r = num_cmp(a->pre, b->pre)) != 0)
			return r;
	}
	if (a->has_post != b->has_post)
		return a->has_post ? 1 : -1;
	if (a->has_post && (r = num_cmp(a->post, b->post)) != 0)
		return r;
	if (a->has_dev != b->has_dev)
		return a->has_dev ? -1 : 1;
	if (a->has_dev && (r = num_cmp(a->dev, b->dev)) != 0)
		return r;
	if ((a->nlocal == 0) != (b->nlocal == 0))
		return a->nlocal == 0 ? -1 : 1;
	return local_cmp(a, b);
}

static int
put_num(struct ward_buf *b, struct pep440_num n)
{
	return n.n == 0 ? ward_buf_puts(b, "0") : ward_buf_append(b, n.p, n.n);
}

char *
pep440_normalize(const struct pep440 *v)
{
	static const char *const pre_names[] = {"", "a", "b", "rc"};
	struct ward_buf b = {0};
	int rc = 0;

	if (v->epoch.n > 0) {
		rc |= put_num(&b, v->epoch);
		rc |= ward_buf_puts(&b, "!");
	}
	for (size_t i = 0; i < v->nrelease; i++) {
		if (i > 0)
			rc |= ward_buf_puts(&b, ".");
		rc |= put_num(&b, v->release[i]);
	}
	if (v->pre_kind) {
		rc |= ward_buf_puts(&b, pre_names[v->pre_kind]);
		rc |= put_num(&b, v->pre);
	}
	if (v->has_post) {
		rc |= ward_buf_puts(&b, ".post");
		rc |= put_num(&b, v->post);
	}
	if (v->has_dev) {
		rc |= ward_buf_puts(&b, ".dev");
		rc |= put_num(&b, v->dev);
	}
	for (size_t i = 0; i < v->nlocal; i++) {
		rc |= ward_buf_puts(&b, i == 0 ? "+" : ".");
		if (v->local[i].numeric && v->local[i].n == 0)
			rc |= ward_buf_puts(&b, "0");
		else
			rc |= ward_buf_append(&b, v->local[i].p, v->local[i].n);
	}
	if (rc != 0) {
		ward_buf_free(&b);
		return NULL;
	}
	return ward_buf_steal(&b);
}

int
vuln_pep440_cmp(const char *a, const char *b, int *out)
{
	struct pep440 va, vb;

	if (pep440_parse(a, strlen(a), &va) != 0)
		return -1;
	if (pep440_parse(b, strlen(b), &vb) != 0) {
		pep440_free(&va);
		return -1;
	}
	*out = pep440_cmp(&va, &vb);
	pep440_free(&va);
	pep440_free(&vb);
	return 0;
}

char *
vuln_pep440_normalize(const char *s)
{
	struct pep440 v;
	char *r;

	if (pep440_parse(s, strlen(s), &v) != 0)
		return NULL;
	r = pep440_normalize(&v);
	pep440_free(&v);
	return r;
}

char *
vuln_pep503_name(const char *name)
{
	size_t n = strlen(name), j = 0;
	char *out = ward_malloc(n + 1);

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];
		if (ch == '-' || ch == '_' || ch == '.') {
			if (j == 0 || out[j - 1] != '-')
				out[j++] = '-';
			continue;
		}
		out[j++] = (char)tolower((unsigned char)ch);
	}
	out[j] = '\0';
	return out;
}
