/*
 * guard_drive: the endpoint guard (init/helper/guard*.c) in a process of its own,
 * for the shell tests and bench/guard.sh — the same code ward-init's helper
 * runs, without the rest of ward-init (no server to start, no hardening).
 *
 *   guard_drive POLICY METRICS_ADDR
 *
 * Serves the policy's guard, and GET /metrics (the guard's exposition) on
 * METRICS_ADDR.  SIGHUP reloads the API keys, SIGTERM/SIGINT exit.
 * Prints "ready" on stdout once both listeners are up; audit lines go to
 * stderr as ward-init writes them.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "guard.h"
#include "jlog.h"
#include "policy.h"

#define TAG_SIGNAL 1
#define TAG_METRICS 2
#define TAG_GUARD 100

static void
serve_metrics(struct guard *g, int lfd)
{
	static char out[1 << 20];
	char req[4096], head[256];
	struct timeval tv = {.tv_sec = 2};
	size_t got = 0;
	int fd = accept(lfd, NULL, NULL);

	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (got < sizeof(req) - 1) {
		ssize_t n = recv(fd, req + got, sizeof(req) - 1 - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
		req[got] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	size_t n = guard_metrics(g, out, sizeof(out));
	int hl = snprintf(head, sizeof(head),
			  "HTTP/1.1 %s\r\nContent-Type: text/plain; version=0.0.4\r\n"
			  "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			  n ? "200 OK" : "503 Service Unavailable", n);
	if (write(fd, head, (size_t)hl) == hl && n > 0 && write(fd, out, n) < 0)
		perror("guard_drive: metrics");
	close(fd);
}

int
main(int argc, char **argv)
{
	struct policy p;
	struct guard *g;
	sigset_t set;
	int ep, sfd, lfd, mfd;

	if (argc != 3) {
		fprintf(stderr, "usage: guard_drive POLICY METRICS_ADDR\n");
		return 2;
	}
	if (policy_load(argv[1], &p) != 0 || p.guard == NULL) {
		fprintf(stderr, "guard_drive: %s\n",
			p.guard == NULL && ward_errkind() == 0 ? "no guard section"
							       : ward_errmsg());
		return 2;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	ep = epoll_create1(EPOLL_CLOEXEC);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if ((lfd = guard_listen(p.guard->listen)) < 0 || (mfd = guard_listen(argv[2])) < 0) {
		fprintf(stderr, "guard_drive: %s\n", ward_errmsg());
		return 3;
	}
	if ((g = guard_new(p.guard, lfd, ep, TAG_GUARD)) == NULL) {
		fprintf(stderr, "guard_drive: %s\n", ward_errmsg());
		policy_free(&p);
		return 3;
	}
	struct epoll_event e1 = {.events = EPOLLIN, .data.u64 = TAG_SIGNAL};
	struct epoll_event e2 = {.events = EPOLLIN, .data.u64 = TAG_METRICS};
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &e1);
	epoll_ctl(ep, EPOLL_CTL_ADD, mfd, &e2);
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		struct epoll_event ev[64];
		int n = epoll_wait(ep, ev, 64, guard_timeout_ms(g, ward_now_ns()));
		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			uint64_t t = ev[i].data.u64;
			if (t == TAG_SIGNAL) {
				struct signalfd_siginfo si;
				while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
					if (si.ssi_signo == SIGHUP) {
						guard_reload(g);
						continue;
					}
					guard_free(g);
					policy_free(&p);
					return 0;
				}
			} else if (t == TAG_METRICS) {
				serve_metrics(g, mfd);
			} else {
				guard_event(g, t, ev[i].events);
			}
		}
		guard_expire(g, ward_now_ns());
	}
	guard_free(g);
	policy_free(&p);
	return 3;
}
