/* http.c: small HTTP requests (libcurl) to a container: through a
 * published port, or from inside the container's network namespace for
 * endpoints bound to its loopback (ward-init's /metrics by default). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "check_internal.h"

#define BODY_MAX (16u << 20)

static size_t
on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct ward_buf *b = ctx;

	if (b->len + size * n > BODY_MAX)
		return 0;
	return ward_buf_append(b, p, size * n) == 0 ? size * n : 0;
}

/* The request itself, in this process. */
static int
request(const char *url, const void *body, size_t len, int timeout_ms, struct check_http *r)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	CURLcode cc;
	uint64_t t0 = ward_now_ns();

	if (c == NULL) {
		snprintf(r->error, sizeof(r->error), "curl_easy_init failed");
		return -1;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)(timeout_ms < 2000 ? timeout_ms : 2000));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
	if (body != NULL) {
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	cc = curl_easy_perform(c);
	r->ms = (double)(ward_now_ns() - t0) / 1e6;
	if (cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->code);
	else
		snprintf(r->error, sizeof(r->error), "%s", curl_easy_strerror(cc));
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	ward_buf_cstr(&r->body);
	return cc == CURLE_OK ? 0 : -1;
}

static int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* In a child that joined the network namespace of pid: the child writes
 * "code ms error\n" and the body to a pipe. */
static int
request_in_netns(const char *url, const void *body, size_t len, int pid, int timeout_ms,
		 struct check_http *r)
{
	int p[2], status;
	pid_t child;
	struct ward_buf all = {0};
	char buf[16384];
	char *nl;

	if (pipe2(p, O_CLOEXEC) != 0) {
		snprintf(r->error, sizeof(r->error), "pipe: %s", strerror(errno));
		return -1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if ((child = fork()) < 0) {
		snprintf(r->error, sizeof(r->error), "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (child == 0) {
		char path[64], head[256];
		struct check_http cr = {0};
		int fd, ok;
		close(p[0]);
		snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
			snprintf(head, sizeof(head),
				 "0 0 cannot join the network namespace of pid %d: %s\n", pid,
				 strerror(errno));
			(void)write_all(p[1], head, strlen(head));
			_exit(1);
		}
		ok = request(url, body, len, timeout_ms, &cr) == 0;
		snprintf(head, sizeof(head), "%ld %.3f %s\n", ok ? cr.code : 0L, cr.ms,
			 ok ? "-" : cr.error);
		(void)write_all(p[1], head, strlen(head));
		(void)write_all(p[1], cr.body.data ? (void *)cr.body.data : "", cr.body.len);
		_exit(0);
	}
	close(p[1]);
	for (;;) {
		ssize_t n = read(p[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (all.len + (size_t)n > BODY_MAX + 512 ||
		    ward_buf_append(&all, buf, (size_t)n) != 0)
			break;
	}
	close(p[0]);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	ward_buf_cstr(&all);
	if (all.data == NULL || (nl = memchr(all.data, '\n', all.len)) == NULL) {
		snprintf(r->error, sizeof(r->error), "no answer from the namespace helper");
		ward_buf_free(&all);
		return -1;
	}
	*nl = '\0';
	{
		char *end;
		const char *msg;
		r->code = strtol((char *)all.data, &end, 10);
		r->ms = strtod(end, &end);
		msg = *end == ' ' ? end + 1 : end;
		if (r->code == 0)
			snprintf(r->error, sizeof(r->error), "%s", msg);
	}
	ward_buf_append(&r->body, nl + 1, all.len - (size_t)(nl + 1 - (char *)all.data));
	ward_buf_free(&all);
	if (ward_buf_cstr(&r->body) == NULL) {
		snprintf(r->error, sizeof(r->error), "out of memory reading the answer");
		return -1;
	}
	return r->code != 0 ? 0 : -1;
}

int
check_http_request(const char *url, const void *body, size_t len, int netns_pid, int timeout_ms,
		   struct check_http *r)
{
	memset(r, 0, sizeof(*r));
	if (netns_pid > 0)
		return request_in_netns(url, body, len, netns_pid, timeout_ms, r);
	return request(url, body, len, timeout_ms, r);
}

void
check_http_free(struct check_http *r)
{
	if (r != NULL)
		ward_buf_free(&r->body);
}

int
check_tcp_connect(const char *host, int port, int timeout_ms)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int s, rc = -1, err = 0;
	socklen_t el = sizeof(err);
	struct pollfd p;

	if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
		return -1;
	if ((s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) == 0)
		rc = 0;
	else if (errno == EINPROGRESS) {
		p.fd = s;
		p.events = POLLOUT;
		if (poll(&p, 1, timeout_ms) == 1 &&
		    getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0)
			rc = 0;
	}
	close(s);
	return rc;
}
