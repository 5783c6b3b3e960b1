/* evil_python.c: what a malicious package could ship as its Python
 * interpreter.  ward build runs the image's interpreter to compile
 * bytecode; this one tries to leave the build sandbox instead and prints
 * one line saying how far it got (test_build_hostile.sh reads it):
 * each field is "ok" when the attempt worked, else the errno name.
 * CANARY (a host directory) and PORT (a listener on the host's loopback)
 * are given when it is compiled. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *
r(int rc)
{
	return rc == 0 ? "ok" : strerrorname_np(errno);
}

int
main(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(PORT),
				.sin_addr.s_addr = htonl(0x7f000001)};
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {{0}};
	const char *tcp, *nl, *wr, *rd, *mnt, *ns, *chr, *tr;
	int s, fd;

	s = socket(AF_INET, SOCK_STREAM, 0);
	tcp = s < 0 ? r(-1) : r(connect(s, (struct sockaddr *)&a, sizeof(a)));
	s = socket(AF_NETLINK, SOCK_RAW, 0);
	nl = r(s < 0 ? -1 : 0);
	fd = open(CANARY "/pwned-by-sandbox", O_WRONLY | O_CREAT, 0644);
	wr = r(fd < 0 ? -1 : 0);
	fd = open(CANARY "/secret", O_RDONLY);
	rd = r(fd < 0 ? -1 : 0);
	mnt = r(mount("none", "/tmp", "tmpfs", 0, NULL));
	ns = r(unshare(CLONE_NEWUSER));
	mkdir("x", 0755);
	chr = r(chroot("x"));
	tr = r(ptrace(PTRACE_TRACEME, 0, 0, 0) == 0 ? 0 : -1);
	syscall(SYS_capget, &h, d);
	printf("SANDBOX tcp=%s netlink=%s write-host=%s read-host=%s mount=%s userns=%s "
	       "chroot=%s ptrace=%s capeff=%x uid=%d pid=%d\n",
	       tcp, nl, wr, rd, mnt, ns, chr, tr, d[0].effective | d[1].effective, (int)getuid(),
	       (int)getpid());
	return 1;
}
