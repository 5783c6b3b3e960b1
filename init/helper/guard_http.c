/* guard_http.c: strict HTTP/1.1 request/response heads, paths and chunked
 * bodies for the endpoint guard (see guard_http.h for the rules). */
#include <string.h>
#include <strings.h>

#include "guard_http.h"

static const char *const reason_names[GR_COUNT] = {
	[GR_NONE] = "none",
	[GR_BAD_REQUEST_LINE] = "bad_request_line",
	[GR_VERSION] = "http_version",
	[GR_BAD_TARGET] = "bad_target",
	[GR_PATH_AMBIGUOUS] = "path_ambiguous",
	[GR_BAD_HEADER] = "bad_header",
	[GR_OBS_FOLD] = "obs_fold",
	[GR_BARE_LF] = "bare_lf",
	[GR_BARE_CR] = "bare_cr",
	[GR_HEADER_TOO_LARGE] = "header_too_large",
	[GR_TOO_MANY_HEADERS] = "too_many_headers",
	[GR_HOST] = "host",
	[GR_BAD_CONTENT_LENGTH] = "bad_content_length",
	[GR_DUPLICATE_CONTENT_LENGTH] = "duplicate_content_length",
	[GR_CL_TE_CONFLICT] = "cl_te_conflict",
	[GR_TRANSFER_ENCODING] = "transfer_encoding",
	[GR_UPGRADE] = "upgrade",
	[GR_EXPECT] = "expect",
	[GR_BODY_TOO_LARGE] = "body_too_large",
	[GR_TOO_MANY_CHUNKS] = "too_many_chunks",
	[GR_BAD_CHUNK] = "bad_chunk",
	[GR_REQUEST_TIMEOUT] = "request_timeout",
	[GR_ROUTE_DENIED] = "route_denied",
	[GR_AUTH_MISSING] = "auth_missing",
	[GR_AUTH_MALFORMED] = "auth_malformed",
	[GR_AUTH_INVALID] = "auth_invalid",
	[GR_CLIENT_CERT] = "client_cert",
	[GR_RATE_GLOBAL] = "rate_global",
	[GR_RATE_KEY] = "rate_key",
	[GR_CONCURRENCY_GLOBAL] = "concurrency_global",
	[GR_CONCURRENCY_KEY] = "concurrency_key",
	[GR_TOKEN_BUDGET] = "token_budget",
	[GR_CONNECTION_LIMIT] = "connection_limit",
	[GR_TLS_HANDSHAKE] = "tls_handshake",
};

const char *
guard_reason_name(int reason)
{
	if (reason < 0 || reason >= GR_COUNT || reason_names[reason] == NULL)
		return "unknown";
	return reason_names[reason];
}

int
guard_reason_status(int reason)
{
	switch (reason) {
	case GR_VERSION:
		return 505;
	case GR_HEADER_TOO_LARGE:
	case GR_TOO_MANY_HEADERS:
		return 431;
	case GR_TRANSFER_ENCODING:
		return 501;
	case GR_EXPECT:
		return 417;
	case GR_BODY_TOO_LARGE:
	case GR_TOO_MANY_CHUNKS:
		return 413;
	case GR_REQUEST_TIMEOUT:
		return 408;
	case GR_ROUTE_DENIED:
		return 403;
	case GR_AUTH_MISSING:
	case GR_AUTH_MALFORMED:
	case GR_AUTH_INVALID:
	case GR_CLIENT_CERT:
		return 401;
	case GR_RATE_GLOBAL:
	case GR_RATE_KEY:
	case GR_TOKEN_BUDGET:
	case GR_CONCURRENCY_KEY:
		return 429;
	case GR_CONCURRENCY_GLOBAL:
	case GR_CONNECTION_LIMIT:
		return 503;
	default:
		return 400;
	}
}

/* ------------------------------------------------------------ characters */

static int
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int
is_unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

/* pchar without '%' and ';' (refused as ambiguous): what a path may hold
 * literally, and what the canonical form leaves unencoded. */
static int
is_path_char(unsigned char c)
{
	return is_unreserved(c) || (c != 0 && strchr("!$&'()*+,=:@", c) != NULL);
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* ------------------------------------------------------------ head scanning */

long
gh_head_scan(struct gh_scan *s, const char *buf, size_t n, size_t max)
{
	while (s->pos < n) {
		unsigned char c = (unsigned char)buf[s->pos];
		if (s->cr) {
			if (c != '\n') {
				s->reason = GR_BARE_CR;
				return -1;
			}
			s->cr = 0;
			s->pos++;
			if (s->line > 0) {
				s->line = 0;
				continue;
			}
			if (s->pos - 2 != s->start)
				return (long)s->pos; /* the empty line that ends the head */
			/* An empty line before the request line: at most two. */
			if (s->leading < 0 || s->leading >= 2) {
				s->reason = GR_BAD_REQUEST_LINE;
				return -1;
			}
			s->leading++;
			s->start = s->pos;
			continue;
		}
		if (c == '\r') {
			s->cr = 1;
		} else if (c == '\n') {
			s->reason = GR_BARE_LF;
			return -1;
		} else {
			s->line++;
		}
		s->pos++;
		if (s->pos - s->start > max) {
			s->reason = GR_HEADER_TOO_LARGE;
			return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ paths */

int
gh_utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t len;
		unsigned cp;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			len = 2, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4, cp = c & 0x07;
		else
			return 0;
		if (i + len > n)
			return 0;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

int
gh_normalize_path(const char *raw, size_t n, char *out, size_t cap, size_t *out_len, int *reason)
{
	size_t i = 0, o = 0;

	if (n == 0 || raw[0] != '/' || cap < 2) {
		*reason = GR_BAD_TARGET;
		return -1;
	}
	i = 1;
	out[o++] = '/';
	for (;;) {
		size_t seg = o;
		while (i < n && raw[i] != '/') {
			unsigned char c = (unsigned char)raw[i];
			if (c == '%') {
				int hi = i + 2 < n ? hexval((unsigned char)raw[i + 1]) : -1;
				int lo = i + 2 < n ? hexval((unsigned char)raw[i + 2]) : -1;
				if (hi < 0 || lo < 0) {
					*reason = GR_BAD_TARGET;
					return -1;
				}
				c = (unsigned char)(hi * 16 + lo);
				/* An encoded separator, dot, escape or parameter
				 * means different paths to different parsers. */
				if (c == '/' || c == '\\' || c == '.' || c == '%' || c == ';' ||
				    c < 0x20 || c == 0x7f) {
					*reason = GR_PATH_AMBIGUOUS;
					return -1;
				}
				i += 3;
			} else if (c == ';' || c == '\\') {
				*reason = GR_PATH_AMBIGUOUS;
				return -1;
			} else if (is_path_char(c)) {
				i++;
			} else {
				*reason = GR_BAD_TARGET;
				return -1;
			}
			if (o + 1 >= cap) {
				*reason = GR_BAD_TARGET;
				return -1;
			}
			out[o++] = (char)c;
		}
		size_t sl = o - seg;
		if (sl == 0 && !(o == 1 && i >= n)) {
			/* "//", a trailing "/": only the root itself is empty */
			*reason = GR_PATH_AMBIGUOUS;
			return -1;
		}
		if ((sl == 1 && out[seg] == '.') ||
		    (sl == 2 && out[seg] == '.' && out[seg + 1] == '.')) {
			*reason = GR_PATH_AMBIGUOUS;
			return -1;
		}
		if (!gh_utf8_ok((const unsigned char *)out + seg, sl)) {
			*reason = GR_PATH_AMBIGUOUS;
			return -1;
		}
		if (i >= n)
			break;
		/* raw[i] == '/' */
		if (o + 1 >= cap) {
			*reason = GR_BAD_TARGET;
			return -1;
		}
		out[o++] = '/';
		i++;
	}
	out[o] = '\0';
	*out_len = o;
	return 0;
}

size_t
gh_canonical_target(const char *path, size_t n, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)path[i];
		if (c == '/' || is_path_char(c)) {
			if (o + 1 >= cap)
				return 0;
			out[o++] = (char)c;
		} else {
			if (o + 3 >= cap)
				return 0;
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (o >= cap)
		return 0;
	out[o] = '\0';
	return o;
}

/* The query: forwarded as it came, so it must be unambiguous too. */
static int
query_ok(const char *q, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)q[i];
		if (c == '%') {
			if (i + 2 >= n || hexval((unsigned char)q[i + 1]) < 0 ||
			    hexval((unsigned char)q[i + 2]) < 0)
				return 0;
			i += 2;
			continue;
		}
		if (!(is_path_char(c) || c == '/' || c == '?' || c == ';'))
			return 0;
	}
	return 1;
}

/* ------------------------------------------------------------ headers */

int
gh_name_is(const char *buf, const struct gh_header *h, const char *name)
{
	size_t n = strlen(name);

	if (h->name_len != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char a = (unsigned char)buf[h->name + i], b = (unsigned char)name[i];
		if (a == '_')
			a = '-';
		if (a >= 'A' && a <= 'Z')
			a = (unsigned char)(a - 'A' + 'a');
		if (b >= 'A' && b <= 'Z')
			b = (unsigned char)(b - 'A' + 'a');
		if (a != b)
			return 0;
	}
	return 1;
}

int
gh_has_token(const char *v, size_t n, const char *token)
{
	size_t tl = strlen(token), i = 0;

	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		size_t s = i;
		while (i < n && v[i] != ',')
			i++;
		size_t e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e - s == tl && strncasecmp(v + s, token, tl) == 0)
			return 1;
	}
	return 0;
}

/* Headers the guard reads, strips or adds: a name that only equals one of
 * them when '_' counts as '-' is refused, because servers that fold the two
 * (CGI/WSGI environments) would read it as that header. */
static const char *const special_names[] = {"content-length",
					    "transfer-encoding",
					    "host",
					    "connection",
					    "upgrade",
					    "expect",
					    "authorization",
					    "x-api-key",
					    "x-forwarded-for",
					    "forwarded",
					    "x-real-ip",
					    "keep-alive",
					    "te",
					    "trailer",
					    "proxy-connection",
					    "proxy-authorization",
					    "x-ward-key-id",
					    "http2-settings",
					    NULL};

static int
has_underscore(const char *buf, const struct gh_header *h)
{
	return memchr(buf + h->name, '_', h->name_len) != NULL;
}

/* One header line p[0..e) (without CRLF) into h; -1 with *reason. */
static int
parse_header_line(const char *buf, size_t p, size_t e, struct gh_header *h, int *reason)
{
	size_t colon = p;

	if (buf[p] == ' ' || buf[p] == '\t') {
		*reason = GR_OBS_FOLD;
		return -1;
	}
	while (colon < e && buf[colon] != ':') {
		if (!is_tchar((unsigned char)buf[colon])) {
			*reason = GR_BAD_HEADER; /* includes whitespace before ':' */
			return -1;
		}
		colon++;
	}
	if (colon == e || colon == p) {
		*reason = GR_BAD_HEADER;
		return -1;
	}
	size_t v = colon + 1, ve = e;
	for (size_t k = v; k < e; k++) {
		unsigned char c = (unsigned char)buf[k];
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			*reason = c == '\r' ? GR_BARE_CR : GR_BAD_HEADER;
			return -1;
		}
	}
	while (v < ve && (buf[v] == ' ' || buf[v] == '\t'))
		v++;
	while (ve > v && (buf[ve - 1] == ' ' || buf[ve - 1] == '\t'))
		ve--;
	h->name = (uint32_t)p;
	h->name_len = (uint32_t)(colon - p);
	h->value = (uint32_t)v;
	h->value_len = (uint32_t)(ve - v);
	return 0;
}

static int
parse_length(const char *v, size_t n, uint64_t *out)
{
	uint64_t x = 0;

	if (n == 0 || n > 18)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	*out = x;
	return 0;
}

static int
host_ok(const char *v, size_t n)
{
	if (n == 0 || n > 255)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '_'))
			return 0;
	}
	return 1;
}

static const struct {
	const char *name;
	int method;
} methods[] = {
	{"GET", GM_GET},       {"HEAD", GM_HEAD},   {"POST", GM_POST},	     {"PUT", GM_PUT},
	{"DELETE", GM_DELETE}, {"PATCH", GM_PATCH}, {"OPTIONS", GM_OPTIONS},
};

static int
fail(struct gh_request *r, int reason)
{
	r->reason = reason;
	return -1;
}

/* The request line buf[p..e): METHOD SP target SP HTTP/1.x */
static int
parse_request_line(const char *buf, size_t p, size_t e, struct gh_request *r)
{
	size_t m = p, t, te, q;

	while (m < e && buf[m] != ' ') {
		if (!is_tchar((unsigned char)buf[m]))
			return fail(r, GR_BAD_REQUEST_LINE);
		m++;
	}
	if (m == p || m == e || m - p > 32)
		return fail(r, GR_BAD_REQUEST_LINE);
	r->method_off = (uint32_t)p;
	r->method_len = (uint32_t)(m - p);
	r->method = GM_OTHER;
	for (size_t i = 0; i < sizeof(methods) / sizeof(*methods); i++)
		if (strlen(methods[i].name) == m - p &&
		    memcmp(buf + p, methods[i].name, m - p) == 0)
			r->method = methods[i].method;
	t = m + 1;
	te = t;
	while (te < e && buf[te] != ' ')
		te++;
	if (te == t || te == e)
		return fail(r, GR_BAD_REQUEST_LINE);
	/* "HTTP/" then no more spaces: a version, if not 1.0 or 1.1 one we refuse */
	if (e - te - 1 < 5 || memcmp(buf + te + 1, "HTTP/", 5) != 0 ||
	    memchr(buf + te + 1, ' ', e - te - 1) != NULL)
		return fail(r, GR_BAD_REQUEST_LINE);
	if (e - te - 1 != 8 || buf[te + 6] != '1' || buf[te + 7] != '.' ||
	    (buf[te + 8] != '0' && buf[te + 8] != '1'))
		return fail(r, GR_VERSION);
	r->minor = buf[te + 8] - '0';
	/* origin-form only: no absolute-form (we are not a forward proxy), no
	 * authority-form (CONNECT), no asterisk-form. */
	if (buf[t] != '/')
		return fail(r, GR_BAD_TARGET);
	for (q = t; q < te && buf[q] != '?'; q++)
		if (buf[q] == '#')
			return fail(r, GR_BAD_TARGET);
	if (gh_normalize_path(buf + t, q - t, r->path, sizeof(r->path), &r->path_len, &r->reason) !=
	    0)
		return -1;
	r->query_off = (uint32_t)q;
	r->query_len = (uint32_t)(te - q);
	if (r->query_len > 0 && !query_ok(buf + q + 1, te - q - 1))
		return fail(r, GR_BAD_TARGET);
	return 0;
}

int
gh_parse_request(const char *buf, size_t head_len, size_t start, unsigned max_headers,
		 struct gh_request *r)
{
	size_t p = start, e;
	int host = 0, cl = 0, te = 0, conn_close = 0, conn_keep = 0, expect = 0;

	memset(r, 0, offsetof(struct gh_request, h));
	r->nh = 0;
	r->head_start = start;
	r->head_len = head_len;
	if (max_headers > GH_MAX_HEADERS)
		max_headers = GH_MAX_HEADERS;
	/* gh_head_scan guarantees CRLF line ends and the final empty line. */
	e = p;
	while (e + 1 < head_len && !(buf[e] == '\r' && buf[e + 1] == '\n'))
		e++;
	if (e + 1 >= head_len)
		return fail(r, GR_BAD_REQUEST_LINE);
	if (parse_request_line(buf, p, e, r) != 0)
		return -1;
	p = e + 2;
	while (p + 2 <= head_len) {
		struct gh_header h;
		e = p;
		while (e + 1 < head_len && !(buf[e] == '\r' && buf[e + 1] == '\n'))
			e++;
		if (e + 1 >= head_len)
			return fail(r, GR_BAD_HEADER);
		if (e == p)
			break; /* the empty line */
		if (parse_header_line(buf, p, e, &h, &r->reason) != 0)
			return -1;
		if (r->nh >= max_headers)
			return fail(r, GR_TOO_MANY_HEADERS);
		r->h[r->nh++] = h;
		p = e + 2;
		for (size_t k = 0; special_names[k] != NULL; k++)
			if (gh_name_is(buf, &h, special_names[k]) && has_underscore(buf, &h))
				return fail(r, GR_BAD_HEADER);
		const char *v = buf + h.value;
		size_t vl = h.value_len;
		if (gh_name_is(buf, &h, "host")) {
			if (host++ > 0 || !host_ok(v, vl))
				return fail(r, GR_HOST);
			r->host = h.value;
			r->host_len = h.value_len;
		} else if (gh_name_is(buf, &h, "content-length")) {
			if (cl++ > 0)
				return fail(r, GR_DUPLICATE_CONTENT_LENGTH);
			if (parse_length(v, vl, &r->length) != 0)
				return fail(r, GR_BAD_CONTENT_LENGTH);
			r->has_length = 1;
		} else if (gh_name_is(buf, &h, "transfer-encoding")) {
			if (te++ > 0 || vl != 7 || strncasecmp(v, "chunked", 7) != 0)
				return fail(r, GR_TRANSFER_ENCODING);
			r->chunked = 1;
		} else if (gh_name_is(buf, &h, "connection")) {
			conn_close |= gh_has_token(v, vl, "close");
			conn_keep |= gh_has_token(v, vl, "keep-alive");
			if (gh_has_token(v, vl, "upgrade") || gh_has_token(v, vl, "http2-settings"))
				return fail(r, GR_UPGRADE);
		} else if (gh_name_is(buf, &h, "upgrade") ||
			   gh_name_is(buf, &h, "http2-settings")) {
			return fail(r, GR_UPGRADE);
		} else if (gh_name_is(buf, &h, "expect")) {
			if (expect++ > 0 || vl != 12 || strncasecmp(v, "100-continue", 12) != 0)
				return fail(r, GR_EXPECT);
			r->expect_continue = 1;
		}
	}
	if (r->chunked && r->has_length)
		return fail(r, GR_CL_TE_CONFLICT);
	if (r->chunked && r->minor == 0)
		return fail(r, GR_TRANSFER_ENCODING);
	if (r->minor == 1 && host == 0)
		return fail(r, GR_HOST);
	r->keep_alive = r->minor == 1 ? !conn_close : conn_keep && !conn_close;
	return 0;
}

/* ------------------------------------------------------------ responses */

int
gh_parse_response(const char *buf, size_t head_len, struct gh_response *r)
{
	size_t p = 0, e;
	int cl = 0, te = 0, conn_close = 0, conn_keep = 0;

	memset(r, 0, sizeof(*r));
	r->head_len = head_len;
	e = 0;
	while (e + 1 < head_len && !(buf[e] == '\r' && buf[e + 1] == '\n'))
		e++;
	if (e + 1 >= head_len || e < 12 || memcmp(buf, "HTTP/1.", 7) != 0 ||
	    (buf[7] != '0' && buf[7] != '1') || buf[8] != ' ')
		return -1;
	r->minor = buf[7] - '0';
	for (int i = 9; i < 12; i++)
		if (buf[i] < '0' || buf[i] > '9')
			return -1;
	r->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	if (r->status < 100 || r->status > 599 || (e > 12 && buf[12] != ' '))
		return -1;
	for (size_t k = 13; k < e; k++)
		if (((unsigned char)buf[k] < 0x20 && buf[k] != '\t') || buf[k] == 0x7f)
			return -1;
	p = e + 2;
	while (p + 2 <= head_len) {
		struct gh_header h;
		int reason;
		e = p;
		while (e + 1 < head_len && !(buf[e] == '\r' && buf[e + 1] == '\n'))
			e++;
		if (e + 1 >= head_len)
			return -1;
		if (e == p)
			break;
		if (parse_header_line(buf, p, e, &h, &reason) != 0)
			return -1;
		p = e + 2;
		const char *v = buf + h.value;
		size_t vl = h.value_len;
		if (gh_name_is(buf, &h, "content-length")) {
			if (cl++ > 0 || parse_length(v, vl, &r->length) != 0 ||
			    has_underscore(buf, &h))
				return -1;
			r->has_length = 1;
		} else if (gh_name_is(buf, &h, "transfer-encoding")) {
			if (te++ > 0 || vl != 7 || strncasecmp(v, "chunked", 7) != 0 ||
			    has_underscore(buf, &h))
				return -1;
			r->chunked = 1;
		} else if (gh_name_is(buf, &h, "connection")) {
			conn_close |= gh_has_token(v, vl, "close");
			conn_keep |= gh_has_token(v, vl, "keep-alive");
		} else if (gh_name_is(buf, &h, "content-type")) {
			r->event_stream = vl >= 17 && strncasecmp(v, "text/event-stream", 17) == 0;
		}
	}
	if (r->chunked && r->has_length)
		return -1;
	r->close = r->minor == 1 ? conn_close : !conn_keep || conn_close;
	return 0;
}

/* ------------------------------------------------------------ chunked */

#define GC_MAX_EXT 1024	     /* response chunk-extension bytes per chunk */
#define GC_MAX_TRAILER 16384 /* response trailer bytes */

static long
chunk_fail(struct gh_chunked *c, int reason)
{
	c->state = GC_ERROR;
	c->reason = reason;
	return -1;
}

long
gh_chunked_feed(struct gh_chunked *c, const char *p, size_t n,
		void (*on_data)(void *ctx, const char *p, size_t n), void *ctx)
{
	size_t i = 0;

	while (i < n) {
		unsigned char ch = (unsigned char)p[i];
		switch (c->state) {
		case GC_SIZE: {
			int d = hexval(ch);
			if (d >= 0) {
				if (++c->digits > 15)
					return chunk_fail(c, GR_BAD_CHUNK);
				c->size = c->size * 16 + (uint64_t)d;
				i++;
				break;
			}
			if (c->digits == 0)
				return chunk_fail(c, GR_BAD_CHUNK);
			if (ch == '\r') {
				c->state = GC_SIZE_LF;
			} else if (!c->strict && (ch == ';' || ch == ' ' || ch == '\t')) {
				c->state = GC_SIZE_EXT;
				c->left = 0; /* extension bytes so far */
			} else {
				return chunk_fail(c, GR_BAD_CHUNK);
			}
			i++;
			break;
		}
		case GC_SIZE_EXT:
			if (ch == '\r')
				c->state = GC_SIZE_LF;
			else if (ch == '\n' || ++c->left > GC_MAX_EXT)
				return chunk_fail(c, GR_BAD_CHUNK);
			i++;
			break;
		case GC_SIZE_LF:
			if (ch != '\n')
				return chunk_fail(c, GR_BAD_CHUNK);
			i++;
			c->digits = 0;
			if (c->size == 0) {
				c->state = GC_TRAILER_START;
				c->left = 0; /* trailer bytes so far */
				break;
			}
			if (c->max_chunks && c->chunks + 1 > c->max_chunks)
				return chunk_fail(c, GR_TOO_MANY_CHUNKS);
			if (c->max_total && c->size > c->max_total - c->total)
				return chunk_fail(c, GR_BODY_TOO_LARGE);
			c->chunks++;
			c->total += c->size;
			c->left = c->size;
			c->size = 0;
			c->state = GC_DATA;
			break;
		case GC_DATA: {
			size_t take = n - i < c->left ? n - i : (size_t)c->left;
			if (on_data != NULL)
				on_data(ctx, p + i, take);
			i += take;
			c->left -= take;
			if (c->left == 0)
				c->state = GC_DATA_CR;
			break;
		}
		case GC_DATA_CR:
			if (ch != '\r')
				return chunk_fail(c, GR_BAD_CHUNK);
			c->state = GC_DATA_LF;
			i++;
			break;
		case GC_DATA_LF:
			if (ch != '\n')
				return chunk_fail(c, GR_BAD_CHUNK);
			c->state = GC_SIZE;
			i++;
			break;
		case GC_TRAILER_START:
			if (ch == '\r') {
				c->state = GC_END_LF;
			} else if (c->strict || ch == '\n' || ch == ' ' || ch == '\t') {
				return chunk_fail(c, GR_BAD_CHUNK);
			} else {
				c->state = GC_TRAILER_LINE;
			}
			if (++c->left > GC_MAX_TRAILER)
				return chunk_fail(c, GR_BAD_CHUNK);
			i++;
			break;
		case GC_TRAILER_LINE:
			if (ch == '\r')
				c->state = GC_TRAILER_LF;
			else if (ch == '\n' || (ch < 0x20 && ch != '\t'))
				return chunk_fail(c, GR_BAD_CHUNK);
			if (++c->left > GC_MAX_TRAILER)
				return chunk_fail(c, GR_BAD_CHUNK);
			i++;
			break;
		case GC_TRAILER_LF:
			if (ch != '\n')
				return chunk_fail(c, GR_BAD_CHUNK);
			c->state = GC_TRAILER_START;
			i++;
			break;
		case GC_END_LF:
			if (ch != '\n')
				return chunk_fail(c, GR_BAD_CHUNK);
			c->state = GC_DONE;
			return (long)(i + 1);
		case GC_DONE:
			return (long)i;
		default:
			return -1;
		}
	}
	return (long)i;
}
