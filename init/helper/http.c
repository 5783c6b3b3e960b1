/* http.c: parse one HTTP/1.x request head; format a response head. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http.h"

static int
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* The value of a header, trimmed, compared case-insensitively as a list of
 * tokens ("keep-alive, Upgrade"). */
static int
has_token(const char *v, size_t n, const char *token)
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

/* Find "\r\n" (or a bare "\n") from p within [p, end); returns the line end. */
static const char *
line_end(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl;
}

static int
parse_request_line(const char *p, const char *eol, struct http_req *r)
{
	const char *sp1, *sp2, *q;
	size_t mlen, plen;

	if (eol > p && eol[-1] == '\r')
		eol--;
	sp1 = memchr(p, ' ', (size_t)(eol - p));
	if (sp1 == NULL)
		return HTTP_BAD;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1));
	if (sp2 == NULL)
		return HTTP_BAD;
	mlen = (size_t)(sp1 - p);
	for (size_t i = 0; i < mlen; i++)
		if (!is_tchar((unsigned char)p[i]))
			return HTTP_BAD;
	if (mlen == 3 && memcmp(p, "GET", 3) == 0)
		r->method = HTTP_GET;
	else if (mlen == 4 && memcmp(p, "HEAD", 4) == 0)
		r->method = HTTP_HEAD;
	else if (mlen > 0)
		r->method = HTTP_OTHER;
	else
		return HTTP_BAD;
	/* Version: exactly "HTTP/1.0" or "HTTP/1.1". */
	if (eol - sp2 - 1 != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0 ||
	    (sp2[8] != '0' && sp2[8] != '1'))
		return HTTP_BAD;
	r->version_minor = sp2[8] - '0';
	/* Target: origin-form, visible ASCII only; the query is dropped. */
	if (sp1[1] != '/')
		return HTTP_BAD;
	for (q = sp1 + 1; q < sp2; q++)
		if ((unsigned char)*q <= 0x20 || (unsigned char)*q >= 0x7f)
			return HTTP_BAD;
	q = memchr(sp1 + 1, '?', (size_t)(sp2 - sp1 - 1));
	plen = (size_t)((q ? q : sp2) - (sp1 + 1));
	if (plen < sizeof(r->path)) {
		memcpy(r->path, sp1 + 1, plen);
		r->path[plen] = '\0';
	}
	return HTTP_DONE;
}

int
http_parse(const char *buf, size_t n, struct http_req *r)
{
	const char *p = buf, *end, *eol;
	int conn_close = 0, conn_keep = 0, rc;

	memset(r, 0, sizeof(*r));
	if (n > HTTP_MAX_REQUEST)
		n = HTTP_MAX_REQUEST;
	end = buf + n;
	/* Tolerate empty lines before a request (RFC 9112 2.2). */
	while (p < end && (*p == '\r' || *p == '\n'))
		p++;
	if ((eol = line_end(p, end)) == NULL)
		return n == HTTP_MAX_REQUEST ? HTTP_TOO_LARGE : HTTP_INCOMPLETE;
	if ((rc = parse_request_line(p, eol, r)) != HTTP_DONE)
		return rc;
	p = eol + 1;
	for (;;) {
		const char *colon, *v, *ve;
		if ((eol = line_end(p, end)) == NULL)
			return n == HTTP_MAX_REQUEST ? HTTP_TOO_LARGE : HTTP_INCOMPLETE;
		ve = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
		if (ve == p)
			break; /* the empty line: end of the head */
		if (*p == ' ' || *p == '\t')
			return HTTP_BAD; /* obsolete line folding */
		colon = memchr(p, ':', (size_t)(ve - p));
		if (colon == NULL || colon == p)
			return HTTP_BAD;
		for (const char *c = p; c < colon; c++)
			if (!is_tchar((unsigned char)*c))
				return HTTP_BAD;
		for (v = colon + 1; v < ve; v++)
			if ((unsigned char)*v < 0x20 && *v != '\t')
				return HTTP_BAD;
		v = colon + 1;
		size_t nl = (size_t)(colon - p), vl = (size_t)(ve - v);
		if (nl == 14 && strncasecmp(p, "content-length", 14) == 0) {
			/* Only an empty body is accepted. */
			while (vl > 0 && (*v == ' ' || *v == '\t'))
				v++, vl--;
			while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
				vl--;
			if (vl != 1 || *v != '0')
				return HTTP_BAD;
		} else if (nl == 17 && strncasecmp(p, "transfer-encoding", 17) == 0) {
			return HTTP_BAD;
		} else if (nl == 10 && strncasecmp(p, "connection", 10) == 0) {
			conn_close |= has_token(v, vl, "close");
			conn_keep |= has_token(v, vl, "keep-alive");
		}
		p = eol + 1;
	}
	r->consumed = (size_t)(eol + 1 - buf);
	r->keep_alive = r->version_minor == 1 ? !conn_close : conn_keep && !conn_close;
	return HTTP_DONE;
}

static const char *
reason(int code)
{
	switch (code) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 413:
		return "Content Too Large";
	case 503:
		return "Service Unavailable";
	default:
		return "Error";
	}
}

size_t
http_head(char *out, size_t cap, int code, const char *content_type, size_t body_len,
	  int keep_alive)
{
	int n = snprintf(out, cap,
			 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Cache-Control: no-store\r\n%s%s\r\n",
			 code, reason(code), content_type, body_len,
			 keep_alive ? "" : "Connection: close\r\n",
			 code == 405 ? "Allow: GET, HEAD\r\n" : "");
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}
