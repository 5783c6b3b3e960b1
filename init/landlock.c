/* landlock.c: the server's Landlock ruleset, best effort by ABI. */
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "jlog.h"
#include "landlock.h"

/* Debian 12's headers stop at ABI 2: the newer constants, from the kernel's
 * include/uapi/linux/landlock.h. */
#define LL_FS_TRUNCATE (1ULL << 14)  /* ABI 3 */
#define LL_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#define LL_NET_BIND_TCP (1ULL << 0)  /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ULL << 1)
#define LL_RULE_NET_PORT 2
#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL (1ULL << 1)
#define LL_RESTRICT_SELF_LOG_NEW_EXEC_ON (1U << 1) /* ABI 7 */

#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#define __NR_landlock_add_rule 445
#define __NR_landlock_restrict_self 446
#endif

struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

struct ll_path_beneath {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

struct ll_net_port {
	uint64_t allowed_access;
	uint64_t port;
};

#define LL_FS_WRITES                                                                               \
	(LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |                           \
	 LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_DIR |                            \
	 LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |                              \
	 LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_SYM | LANDLOCK_ACCESS_FS_REFER |   \
	 LL_FS_TRUNCATE)
#define LL_FS_FILE_RIGHTS                                                                          \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |                              \
	 LANDLOCK_ACCESS_FS_READ_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)

/* Device files every program may open for writing. */
static const char *const harmless_devices[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/tty",
					       NULL};

int
landlock_abi(void)
{
	long abi = syscall(__NR_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	return abi > 0 ? (int)abi : 0;
}

/* Everything Landlock can restrict on this ABI, minus reads and device
 * ioctls, which stay unrestricted (GPU runtimes need both). */
static uint64_t
fs_handled_for(int abi)
{
	uint64_t m = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1; /* ABI 1: bits 0-12 */

	if (abi >= 2)
		m |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		m |= LL_FS_TRUNCATE;
	return m & ~(uint64_t)(LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR);
}

/* Add a path rule; a missing path is skipped (1), other errors are -1. */
static int
add_path(int ruleset, const char *path, uint64_t access, uint64_t handled,
	 struct landlock_result *r)
{
	struct ll_path_beneath pb;
	struct stat st;
	int fd, rc;

	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR)) {
		r->skipped++;
		return 1;
	}
	if (fd < 0)
		return ward_errno(WARD_EENV, "landlock: %s", path);
	if (fstat(fd, &st) != 0) {
		close(fd);
		return ward_errno(WARD_EENV, "landlock: %s", path);
	}
	if (!S_ISDIR(st.st_mode))
		access &= LL_FS_FILE_RIGHTS;
	pb.allowed_access = access & handled;
	pb.parent_fd = fd;
	rc = pb.allowed_access == 0 ? 0
				    : (int)syscall(__NR_landlock_add_rule, ruleset,
						   LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
	close(fd);
	if (rc != 0)
		return ward_errno(WARD_EENV, "landlock: cannot add a rule for %s", path);
	r->rules++;
	return 0;
}

static int
add_ports(int ruleset, const struct policy_ports *pp, uint64_t access, struct landlock_result *r)
{
	for (size_t i = 0; i < pp->n; i++) {
		struct ll_net_port np = {.allowed_access = access, .port = pp->port[i]};
		if (syscall(__NR_landlock_add_rule, ruleset, LL_RULE_NET_PORT, &np, 0) != 0)
			return ward_errno(WARD_EENV, "landlock: cannot add a rule for TCP port %u",
					  pp->port[i]);
		r->rules++;
	}
	return 0;
}

static void
log_skipped(const char *what, const char *path)
{
	struct jlog l;

	jlog_begin(&l, WARD_LOG_WARN, "landlock_path_missing");
	jlog_str(&l, "rule", what);
	jlog_str(&l, "path", path);
	jlog_end(&l);
}

int
landlock_apply(const struct policy *p, const struct ward_strv *exec_files,
	       struct landlock_result *r)
{
	struct ll_ruleset_attr attr = {0};
	int want_net = p->tcp_bind.restricted || p->tcp_connect.restricted;
	unsigned flags = 0;
	int fd, rc;

	memset(r, 0, sizeof(*r));
	r->abi = landlock_abi();
	if (r->abi < 1) {
		if (p->landlock_required)
			return ward_err(WARD_EENV, "landlock is required by the policy but this "
						   "kernel does not offer it");
		return 0;
	}
	if (want_net && r->abi < 4 && p->landlock_required)
		return ward_err(WARD_EENV,
				"landlock TCP rules are required but the kernel's "
				"Landlock ABI is %d (TCP needs 4)",
				r->abi);
	attr.handled_access_fs = fs_handled_for(r->abi);
	if (r->abi >= 4) {
		if (p->tcp_bind.restricted)
			attr.handled_access_net |= LL_NET_BIND_TCP;
		if (p->tcp_connect.restricted)
			attr.handled_access_net |= LL_NET_CONNECT_TCP;
	}
	if (r->abi >= 6)
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL;
	if (r->abi >= 7)
		flags |= LL_RESTRICT_SELF_LOG_NEW_EXEC_ON;
	r->fs_handled = attr.handled_access_fs;
	r->net_handled = attr.handled_access_net;

	/* Older kernels take the shorter struct of their ABI. */
	size_t size = r->abi >= 6   ? sizeof(attr)
		      : r->abi >= 4 ? offsetof(struct ll_ruleset_attr, scoped)
				    : offsetof(struct ll_ruleset_attr, handled_access_net);
	fd = (int)syscall(__NR_landlock_create_ruleset, &attr, size, 0);
	if (fd < 0)
		return ward_errno(WARD_EENV, "landlock: cannot create a ruleset");
	rc = -1;
	for (size_t i = 0; i < p->writable.n; i++) {
		int a = add_path(fd, p->writable.v[i], LL_FS_WRITES, attr.handled_access_fs, r);
		if (a < 0)
			goto out;
		if (a > 0)
			log_skipped("writable", p->writable.v[i]);
	}
	for (size_t i = 0; harmless_devices[i] != NULL; i++)
		if (add_path(fd, harmless_devices[i],
			     LANDLOCK_ACCESS_FS_WRITE_FILE | LL_FS_TRUNCATE, attr.handled_access_fs,
			     r) < 0)
			goto out;
	for (size_t i = 0; i < exec_files->n; i++) {
		int a = add_path(fd, exec_files->v[i], LANDLOCK_ACCESS_FS_EXECUTE,
				 attr.handled_access_fs, r);
		if (a < 0)
			goto out;
		if (a > 0)
			log_skipped("exec", exec_files->v[i]);
	}
	if ((attr.handled_access_net & LL_NET_BIND_TCP) &&
	    add_ports(fd, &p->tcp_bind, LL_NET_BIND_TCP, r) != 0)
		goto out;
	if ((attr.handled_access_net & LL_NET_CONNECT_TCP) &&
	    add_ports(fd, &p->tcp_connect, LL_NET_CONNECT_TCP, r) != 0)
		goto out;
	if (syscall(__NR_landlock_restrict_self, fd, flags) != 0) {
		ward_errno(WARD_EENV, "landlock: cannot enforce the ruleset");
		goto out;
	}
	r->enforced = 1;
	r->net_enforced = !want_net || attr.handled_access_net != 0;
	r->scoped = attr.scoped != 0;
	rc = 0;
out:
	close(fd);
	return rc;
}

int
landlock_confine(int allow_reads)
{
	return landlock_confine_with(allow_reads, NULL, 0, 0);
}

int
landlock_confine_with(int allow_reads, const char *const *read_dirs, size_t n,
		      uint16_t connect_port)
{
	struct ll_ruleset_attr attr = {0};
	struct landlock_result r = {0};
	int abi = landlock_abi(), fd, rc;

	if (abi < 1)
		return 0;
	attr.handled_access_fs = fs_handled_for(abi);
	if (!allow_reads)
		attr.handled_access_fs |=
			LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
	if (abi >= 5)
		attr.handled_access_fs |= LL_FS_IOCTL_DEV;
	if (abi >= 4)
		attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
	if (abi >= 6)
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL;
	size_t size = abi >= 6	 ? sizeof(attr)
		      : abi >= 4 ? offsetof(struct ll_ruleset_attr, scoped)
				 : offsetof(struct ll_ruleset_attr, handled_access_net);
	if ((fd = (int)syscall(__NR_landlock_create_ruleset, &attr, size, 0)) < 0)
		return ward_errno(WARD_EENV, "landlock: cannot create a ruleset");
	for (size_t i = 0; i < n; i++)
		if (add_path(fd, read_dirs[i],
			     LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR,
			     attr.handled_access_fs, &r) < 0) {
			close(fd);
			return -1;
		}
	if (connect_port != 0 && abi >= 4) {
		struct policy_ports pp = {.restricted = 1, .n = 1, .port = {connect_port}};
		if (add_ports(fd, &pp, LL_NET_CONNECT_TCP, &r) != 0) {
			close(fd);
			return -1;
		}
	}
	rc = (int)syscall(__NR_landlock_restrict_self, fd, 0);
	close(fd);
	return rc == 0 ? 0 : ward_errno(WARD_EENV, "landlock: cannot enforce the ruleset");
}
