/*
 * http.h: the smallest HTTP/1.x request parser ward-init needs for
 * /metrics and /healthz.  Pure and bounded: it looks at no more than the
 * bytes given, never allocates, and refuses what it does not need (bodies,
 * obsolete line folding, over-long requests).  A fuzz target drives it.
 */
#ifndef WARD_INIT_HTTP_H
#define WARD_INIT_HTTP_H

#include <stddef.h>

#define HTTP_MAX_REQUEST 4096
#define HTTP_MAX_PATH 128

enum http_method { HTTP_GET, HTTP_HEAD, HTTP_OTHER };

enum http_status_parse {
	HTTP_INCOMPLETE = 0, /* need more bytes */
	HTTP_DONE = 1,	     /* a whole request; r->consumed bytes used */
	HTTP_BAD = -1,	     /* malformed: answer 400 and close */
	HTTP_TOO_LARGE = -2, /* no end of headers within the limit: 413 and close */
};

struct http_req {
	int method;
	char path[HTTP_MAX_PATH]; /* without the query string; "" when too long */
	int version_minor;	  /* HTTP/1.0 or HTTP/1.1 */
	int keep_alive;		  /* the client may send another request */
	size_t consumed;
};

/* http_parse(buf, n, r): parse the request at the start of buf[0..n). */
int http_parse(const char *buf, size_t n, struct http_req *r);

/* http_head(out, cap, code, content_type, body_len, keep_alive): the status
 * line and headers; returns their length, 0 when cap is too small. */
size_t http_head(char *out, size_t cap, int code, const char *content_type, size_t body_len,
		 int keep_alive);

#endif
