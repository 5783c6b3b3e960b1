/*
 * guard_http.h: the endpoint guard's HTTP/1.1 parsing (RFC 9110/9112), strict
 * and linear.
 *
 * The guard stands between untrusted clients and an inference server whose
 * own parser may disagree with ours about where a request ends or which
 * path it names (request smuggling, path confusion).  So the rules here are
 * the strict reading of RFC 9112 and anything ambiguous is refused, never
 * repaired: a bare LF or CR, obs-fold, whitespace before a colon, both
 * Content-Length and Transfer-Encoding, two Content-Lengths (even equal),
 * any Transfer-Encoding but exactly one "chunked", chunk extensions and
 * trailers in requests, a missing or doubled Host, absolute-form targets,
 * and in the path: encoded '/', '\', '.', '%' or ';', control bytes,
 * invalid UTF-8, empty, "." and ".." segments.  What is forwarded is the
 * canonical form that was matched (guard_canonical_target), so the server
 * sees exactly the path the route allowed.
 *
 * Linear: gh_head_scan() looks at each byte once however the head arrives
 * (one byte per read costs no rescans), gh_parse_request() and
 * gh_parse_response() make one pass over a complete head, and the chunk
 * decoder is a byte-at-a-time state machine.  Nothing allocates; offsets
 * point into the caller's buffer.  fuzz/fuzz_init_guard_http.c drives it.
 */
#ifndef WARD_INIT_GUARD_HTTP_H
#define WARD_INIT_GUARD_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define GH_MAX_HEADERS 256 /* hard bound; the policy's limit is at most this */
#define GH_MAX_PATH 2048   /* normalised path bytes */

/* Why a request (or response) was refused.  The names (guard_reason_name)
 * are the `reason` label of ward_guard_rejected_total and of audit lines. */
enum guard_reason {
	GR_NONE = 0,
	/* the request line and head */
	GR_BAD_REQUEST_LINE,
	GR_VERSION,
	GR_BAD_TARGET,
	GR_PATH_AMBIGUOUS,
	GR_BAD_HEADER,
	GR_OBS_FOLD,
	GR_BARE_LF,
	GR_BARE_CR,
	GR_HEADER_TOO_LARGE,
	GR_TOO_MANY_HEADERS,
	GR_HOST,
	GR_BAD_CONTENT_LENGTH,
	GR_DUPLICATE_CONTENT_LENGTH,
	GR_CL_TE_CONFLICT,
	GR_TRANSFER_ENCODING,
	GR_UPGRADE,
	GR_EXPECT,
	/* the body */
	GR_BODY_TOO_LARGE,
	GR_TOO_MANY_CHUNKS,
	GR_BAD_CHUNK,
	GR_REQUEST_TIMEOUT,
	/* policy */
	GR_ROUTE_DENIED,
	GR_AUTH_MISSING,
	GR_AUTH_MALFORMED,
	GR_AUTH_INVALID,
	GR_CLIENT_CERT,
	GR_RATE_GLOBAL,
	GR_RATE_KEY,
	GR_CONCURRENCY_GLOBAL,
	GR_CONCURRENCY_KEY,
	GR_TOKEN_BUDGET,
	GR_CONNECTION_LIMIT,
	GR_TLS_HANDSHAKE,
	GR_COUNT
};

const char *guard_reason_name(int reason);
/* guard_reason_status(reason): the HTTP status a client gets for it. */
int guard_reason_status(int reason);

/* ------------------------------------------------------------ head scanning */

/* Incremental search for the end of a head ("\r\n\r\n").  Zero it per head. */
struct gh_scan {
	size_t pos;   /* bytes examined so far */
	size_t line;  /* bytes in the current line */
	int cr;	      /* the last byte was a CR */
	int leading;  /* empty lines skipped before the request line; set -1 for
			 responses, where none is allowed */
	size_t start; /* where the request line starts (after those lines) */
	int reason;   /* why it failed (GR_BARE_LF, GR_BARE_CR, ...) */
};

/* gh_head_scan(s, buf, n, max): continue scanning buf[0..n) (which grows
 * between calls, same start).  Returns the head length (> 0) once
 * "\r\n\r\n" is found, 0 when more bytes are needed, -1 when the head is
 * malformed (s->reason) or longer than max (GR_HEADER_TOO_LARGE).  At most
 * two leading CRLFs are skipped (RFC 9112 2.2) in requests. */
long gh_head_scan(struct gh_scan *s, const char *buf, size_t n, size_t max);

/* ------------------------------------------------------------ requests */

enum gh_method {
	GM_GET,
	GM_HEAD,
	GM_POST,
	GM_PUT,
	GM_DELETE,
	GM_PATCH,
	GM_OPTIONS,
	GM_OTHER, /* any other token (matched by name against routes) */
};

struct gh_header {
	uint32_t name, name_len;   /* offsets into the head */
	uint32_t value, value_len; /* trimmed */
};

struct gh_request {
	int method; /* enum gh_method */
	uint32_t method_off, method_len;
	uint32_t query_off, query_len; /* "?..." with the '?', or 0 length */
	char path[GH_MAX_PATH];	       /* normalised (decoded) path, NUL-terminated */
	size_t path_len;
	int minor;	     /* HTTP/1.<minor>: 0 or 1 */
	int keep_alive;	     /* the client may send another request */
	int chunked;	     /* Transfer-Encoding: chunked */
	int has_length;	     /* Content-Length present */
	uint64_t length;     /* its value */
	int expect_continue; /* Expect: 100-continue */
	uint32_t host, host_len;
	struct gh_header h[GH_MAX_HEADERS];
	unsigned nh;
	size_t head_start, head_len; /* the head is buf[head_start..head_len) */
	int reason;		     /* enum guard_reason when refused */
};

/* gh_parse_request(buf, head_len, start, max_headers, r): parse a complete
 * head (gh_head_scan's result; start = s.start).  0, or -1 with r->reason. */
int gh_parse_request(const char *buf, size_t head_len, size_t start, unsigned max_headers,
		     struct gh_request *r);

/* gh_normalize_path(raw, n, out, cap, out_len): decode and check a path
 * (the target up to '?'); 0 or -1 with the reason returned through *reason. */
int gh_normalize_path(const char *raw, size_t n, char *out, size_t cap, size_t *out_len,
		      int *reason);

/* gh_utf8_ok(s, n): strict UTF-8 (no overlongs, surrogates or values
 * above U+10FFFF). */
int gh_utf8_ok(const unsigned char *s, size_t n);

/* gh_canonical_target(path, n, out, cap): the path re-encoded for the
 * upstream (bytes outside pchar as %XX); returns the length, 0 if cap is
 * too small. */
size_t gh_canonical_target(const char *path, size_t n, char *out, size_t cap);

/* gh_name_is(buf, h, name): header h's name equals name, ignoring case and
 * treating '_' as '-' (some servers fold them together). */
int gh_name_is(const char *buf, const struct gh_header *h, const char *name);

/* gh_has_token(v, n, token): a comma-separated list holds token (case-insensitive). */
int gh_has_token(const char *v, size_t n, const char *token);

/* ------------------------------------------------------------ responses */

struct gh_response {
	int status;
	int minor;
	int chunked;
	int has_length;
	uint64_t length;
	int close;	  /* Connection: close, or HTTP/1.0 without keep-alive */
	int event_stream; /* Content-Type: text/event-stream */
	size_t head_len;
};

/* gh_parse_response(buf, head_len, r): a complete response head from the
 * upstream.  Conflicting or malformed framing is -1 (a bad gateway). */
int gh_parse_response(const char *buf, size_t head_len, struct gh_response *r);

/* ------------------------------------------------------------ chunked bodies */

enum gh_chunk_state {
	GC_SIZE = 0,
	GC_SIZE_EXT,
	GC_SIZE_LF,
	GC_DATA,
	GC_DATA_CR,
	GC_DATA_LF,
	GC_TRAILER_START,
	GC_TRAILER_LINE,
	GC_TRAILER_LF,
	GC_END_LF,
	GC_DONE,
	GC_ERROR,
};

struct gh_chunked {
	int state;
	int strict;	    /* requests: no extensions, no trailers */
	unsigned digits;    /* of the current size */
	uint64_t size;	    /* of the current chunk */
	uint64_t left;	    /* data bytes left in it */
	uint64_t total;	    /* data bytes so far */
	uint64_t chunks;    /* data chunks so far */
	uint64_t max_total; /* 0: unbounded */
	uint64_t max_chunks;
	int reason; /* GR_BAD_CHUNK, GR_BODY_TOO_LARGE, GR_TOO_MANY_CHUNKS */
};

/* gh_chunked_feed(c, p, n, on_data, ctx): advance over p[0..n).  Returns
 * the bytes consumed: n, or fewer when the body ended inside p (state
 * GC_DONE); -1 on an error (c->reason).  on_data (may be NULL) sees the
 * data bytes. */
long gh_chunked_feed(struct gh_chunked *c, const char *p, size_t n,
		     void (*on_data)(void *ctx, const char *p, size_t n), void *ctx);

#endif
