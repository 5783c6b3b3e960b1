/* metrics.c: parsers of what a running container tells us — Prometheus
 * text exposition format 0.0.4 (ward-init's /metrics) and the probe's
 * report lines.  Both read untrusted text: bounded, every byte checked. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check_internal.h"

#define MAX_LINE 65536
#define MAX_SAMPLES 200000

static int
name_start(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}

static int
name_char(int c)
{
	return name_start(c) || (c >= '0' && c <= '9');
}

/* A float as Prometheus writes it (Go's ParseFloat), or +Inf/-Inf/NaN. */
static int
parse_value(const char *s, size_t n, double *out)
{
	char buf[64], *end;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (strcmp(buf, "+Inf") == 0 || strcmp(buf, "Inf") == 0) {
		*out = INFINITY;
		return 0;
	}
	if (strcmp(buf, "-Inf") == 0) {
		*out = -INFINITY;
		return 0;
	}
	if (strcmp(buf, "NaN") == 0) {
		*out = NAN;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789+-.eE", buf[i]))
			return -1;
	*out = strtod(buf, &end);
	return *end == '\0' ? 0 : -1;
}

static int
push(struct check_samples *s, const char *name, size_t nl, const char *labels, size_t ll, double v)
{
	if (s->n >= MAX_SAMPLES)
		return ward_err(WARD_EINPUT, "too many samples (over %d)", MAX_SAMPLES);
	if (ward_vec_reserve(&s->v, &s->cap, s->n + 1, sizeof(*s->v)) != 0)
		return -1;
	s->v[s->n].name = ward_strndup(name, nl);
	s->v[s->n].labels = ward_strndup(labels, ll);
	s->v[s->n].value = v;
	if (s->v[s->n].name == NULL || s->v[s->n].labels == NULL) {
		free(s->v[s->n].name);
		free(s->v[s->n].labels);
		return -1;
	}
	s->n++;
	return 0;
}

static int
parse_comment(const char *l, size_t n, const char *what, size_t line, struct check_samples *s)
{
	static const char *const types[] = {"counter", "gauge", "histogram", "summary", "untyped"};
	size_t i = 1, ns, ne;
	int help;

	while (i < n && l[i] == ' ')
		i++;
	if (!(n - i >= 5 && (memcmp(l + i, "HELP ", 5) == 0 || memcmp(l + i, "TYPE ", 5) == 0)))
		return 0; /* a plain comment */
	help = l[i] == 'H';
	i += 5;
	while (i < n && l[i] == ' ')
		i++;
	ns = i;
	if (i >= n || !name_start((unsigned char)l[i]))
		return ward_err(WARD_EINPUT, "%s:%zu: # %s without a metric name", what, line,
				help ? "HELP" : "TYPE");
	while (i < n && name_char((unsigned char)l[i]))
		i++;
	ne = i;
	(void)ns;
	(void)ne;
	if (help)
		return 0;
	if (i >= n || l[i] != ' ')
		return ward_err(WARD_EINPUT, "%s:%zu: # TYPE without a type", what, line);
	while (i < n && l[i] == ' ')
		i++;
	for (size_t t = 0; t < sizeof(types) / sizeof(*types); t++) {
		size_t tl = strlen(types[t]);
		if (n - i >= tl && memcmp(l + i, types[t], tl) == 0) {
			size_t j = i + tl;
			while (j < n && l[j] == ' ')
				j++;
			if (j == n) {
				s->families++;
				return 0;
			}
		}
	}
	return ward_err(WARD_EINPUT, "%s:%zu: unknown metric type", what, line);
}

static int
parse_sample(const char *l, size_t n, const char *what, size_t line, struct check_samples *s)
{
	size_t i = 0, name_end, lab_start = 0, lab_end = 0, vs;
	double v, ts;

	if (!name_start((unsigned char)l[0]))
		return ward_err(WARD_EINPUT, "%s:%zu: a sample must start with a metric name", what,
				line);
	while (i < n && name_char((unsigned char)l[i]))
		i++;
	name_end = i;
	if (i < n && l[i] == '{') {
		lab_start = ++i;
		for (;;) {
			while (i < n && l[i] == ' ')
				i++;
			if (i < n && l[i] == '}')
				break;
			if (i >= n || !(name_start((unsigned char)l[i]) && l[i] != ':'))
				return ward_err(WARD_EINPUT, "%s:%zu: bad label name", what, line);
			while (i < n && name_char((unsigned char)l[i]) && l[i] != ':')
				i++;
			if (i + 1 >= n || l[i] != '=' || l[i + 1] != '"')
				return ward_err(WARD_EINPUT, "%s:%zu: label without =\"value\"",
						what, line);
			for (i += 2; i < n && l[i] != '"'; i++)
				if (l[i] == '\\') {
					if (i + 1 >= n || !strchr("\\\"n", l[i + 1]))
						return ward_err(
							WARD_EINPUT,
							"%s:%zu: bad escape in a label value", what,
							line);
					i++;
				}
			if (i >= n)
				return ward_err(WARD_EINPUT, "%s:%zu: unterminated label value",
						what, line);
			i++;
			while (i < n && l[i] == ' ')
				i++;
			if (i < n && l[i] == ',') {
				i++;
				continue;
			}
			if (i < n && l[i] == '}')
				break;
			return ward_err(WARD_EINPUT, "%s:%zu: expected , or } after a label", what,
					line);
		}
		lab_end = i++;
	}
	if (i >= n || (l[i] != ' ' && l[i] != '\t'))
		return ward_err(WARD_EINPUT, "%s:%zu: no value", what, line);
	while (i < n && (l[i] == ' ' || l[i] == '\t'))
		i++;
	vs = i;
	while (i < n && l[i] != ' ' && l[i] != '\t')
		i++;
	if (parse_value(l + vs, i - vs, &v) != 0)
		return ward_err(WARD_EINPUT, "%s:%zu: bad sample value", what, line);
	while (i < n && (l[i] == ' ' || l[i] == '\t'))
		i++;
	if (i < n) {
		size_t ts0 = i;
		while (i < n && l[i] != ' ' && l[i] != '\t')
			i++;
		if (parse_value(l + ts0, i - ts0, &ts) != 0 || ts != floor(ts))
			return ward_err(WARD_EINPUT, "%s:%zu: bad timestamp", what, line);
		while (i < n && (l[i] == ' ' || l[i] == '\t'))
			i++;
		if (i < n)
			return ward_err(WARD_EINPUT, "%s:%zu: trailing text after the sample", what,
					line);
	}
	return push(s, l, name_end, lab_start ? l + lab_start : "",
		    lab_start ? lab_end - lab_start : 0, v);
}

int
check_metrics_parse(const char *text, size_t len, const char *what, struct check_samples *out)
{
	size_t line = 0, i = 0;

	memset(out, 0, sizeof(*out));
	while (i < len) {
		const char *l = text + i;
		const char *nl = memchr(l, '\n', len - i);
		size_t n = nl ? (size_t)(nl - l) : len - i;
		int rc = 0;

		line++;
		i += n + (nl != NULL);
		if (n > MAX_LINE) {
			ward_err(WARD_EINPUT, "%s:%zu: line too long", what, line);
			goto fail;
		}
		if (memchr(l, '\0', n) != NULL) {
			ward_err(WARD_EINPUT, "%s:%zu: NUL byte", what, line);
			goto fail;
		}
		while (n > 0 && (l[n - 1] == ' ' || l[n - 1] == '\r'))
			n--;
		if (n == 0)
			continue;
		rc = l[0] == '#' ? parse_comment(l, n, what, line, out)
				 : parse_sample(l, n, what, line, out);
		if (rc != 0)
			goto fail;
	}
	return 0;
fail:
	check_samples_free(out);
	return -1;
}

void
check_samples_free(struct check_samples *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].name);
		free(s->v[i].labels);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

double
check_metric_sum(const struct check_samples *s, const char *name, const char *label_substr,
		 size_t *found)
{
	double sum = 0;
	size_t k = 0;

	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].name, name) == 0 &&
		    (label_substr == NULL || strstr(s->v[i].labels, label_substr) != NULL)) {
			sum += s->v[i].value;
			k++;
		}
	if (found != NULL)
		*found = k;
	return sum;
}

/* ------------------------------------------------------------ probe lines */

int
check_probe_parse(const char *text, size_t len, json_t **out)
{
	json_t *a = json_array();
	size_t i = 0, line = 0;

	if (a == NULL)
		return -1;
	while (i < len) {
		const char *l = text + i;
		const char *nl = memchr(l, '\n', len - i);
		size_t n = nl ? (size_t)(nl - l) : len - i;
		char name[64], result[16], err[32];
		const char *p, *q;

		line++;
		i += n + (nl != NULL);
		if (n < 10 || memcmp(l, "WARDPROBE ", 10) != 0)
			continue;
		/* three space-separated words of [A-Za-z0-9_.-] */
		p = l + 10;
		q = l + n;
		{
			const char *w[3];
			size_t wl[3], k = 0;
			while (p < q && k < 3) {
				const char *s = p;
				while (p < q && *p != ' ') {
					if (!(name_char((unsigned char)*p) || *p == '-' ||
					      *p == '.'))
						goto bad;
					p++;
				}
				w[k] = s;
				wl[k++] = (size_t)(p - s);
				while (p < q && *p == ' ')
					p++;
			}
			if (k != 3 || p != q || wl[0] == 0 || wl[0] >= sizeof(name) || wl[1] == 0 ||
			    wl[1] >= sizeof(result) || wl[2] == 0 || wl[2] >= sizeof(err))
				goto bad;
			memcpy(name, w[0], wl[0]);
			name[wl[0]] = '\0';
			memcpy(result, w[1], wl[1]);
			result[wl[1]] = '\0';
			memcpy(err, w[2], wl[2]);
			err[wl[2]] = '\0';
		}
		if (strcmp(result, "blocked") != 0 && strcmp(result, "open") != 0 &&
		    strcmp(result, "skipped") != 0)
			goto bad;
		json_array_append_new(a, json_pack("{s:s,s:s,s:s}", "name", name, "result", result,
						   "errno", err));
		continue;
	bad:
		json_decref(a);
		return ward_err(WARD_EINPUT, "probe output:%zu: malformed WARDPROBE line", line);
	}
	*out = a;
	return 0;
}
