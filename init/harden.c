/* harden.c: dumps, user, capabilities, no_new_privs, read-only mounts. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "harden.h"
#include "jlog.h"

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

int
harden_no_dumps(void)
{
	struct rlimit rl = {0, 0};

	if (setrlimit(RLIMIT_CORE, &rl) != 0)
		return ward_errno(WARD_EENV, "cannot set RLIMIT_CORE to 0");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return ward_errno(WARD_EENV, "cannot clear the dumpable flag");
	return 0;
}

/* ------------------------------------------------------------ read-only */

static int
is_read_only(const char *path, int *ro)
{
	struct statvfs sv;

	if (statvfs(path, &sv) != 0)
		return ward_err_io(path, "cannot check the mount of");
	*ro = (sv.f_flag & ST_RDONLY) != 0;
	return 0;
}

static int
under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return 1;
	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

static void
log_mount(int level, const char *event, const char *path, const char *why)
{
	struct jlog l;

	jlog_begin(&l, level, event);
	jlog_str(&l, "path", path);
	jlog_str(&l, "why", why);
	jlog_end(&l);
}

/* Unescape a mountinfo field in place (\040 for space, \011, \012, \134). */
static void
unescape(char *s)
{
	char *o = s;

	for (; *s; s++, o++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*o = *s;
		}
	}
	*o = '\0';
}

/* A read-write mount at or beneath path (a bind mount of one file of the
 * model, a tmpfs over a subdirectory): its mount point in out, 1; 0 none. */
static int
writable_submount(const char *path, char *out, size_t cap)
{
	char line[8192];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int found = 0;

	if (f == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		char *field[6], *save = NULL, *t = strtok_r(line, " ", &save);
		int n = 0;
		for (; t != NULL && n < 6; t = strtok_r(NULL, " ", &save))
			field[n++] = t;
		if (n < 6)
			continue;
		unescape(field[4]);
		if (!under(field[4], path))
			continue;
		if (strncmp(field[5], "rw", 2) == 0 && (field[5][2] == ',' || !field[5][2])) {
			snprintf(out, cap, "%s", field[4]);
			found = 1;
		}
	}
	fclose(f);
	return found;
}

int
harden_readonly(const struct policy *p, int landlock_abi, struct init_state *st)
{
	int ro = 0;

	if (is_read_only("/", &ro) != 0)
		return -1;
	st->root_read_only = ro;
	if (!ro && p->ro_root != POLICY_IGNORE) {
		if (p->ro_root == POLICY_REFUSE) {
			log_mount(WARD_LOG_ERROR, "root_writable", "/",
				  "policy read_only.root is refuse");
			return ward_err(WARD_EENV, "/ is mounted read-write (policy: refuse)");
		}
		log_mount(WARD_LOG_WARN, "root_writable", "/",
			  "run the container with a read-only root file system");
	}
	for (size_t i = 0; i < p->nmodels; i++) {
		const char *m = p->models[i].path;
		char where[PATH_MAX];
		int covered = 0;

		/* Anyone who can write the model's mount (or one beneath it)
		 * could change the bytes after they were verified. */
		if (is_read_only(m, &ro) != 0)
			return -1;
		if (ro && writable_submount(m, where, sizeof(where)))
			ro = 0;
		else
			snprintf(where, sizeof(where), "%s", m);
		if (ro || p->ro_models == POLICY_IGNORE)
			continue;
		for (size_t w = 0; w < p->writable.n; w++)
			covered |= under(m, p->writable.v[w]) || under(p->writable.v[w], m);
		int protected_ = landlock_abi >= 1 && !covered;
		if (p->ro_models == POLICY_REFUSE ||
		    (p->ro_models == POLICY_LANDLOCK && !protected_)) {
			log_mount(WARD_LOG_ERROR, "model_writable", where,
				  p->ro_models == POLICY_REFUSE
					  ? "models must be on read-only mounts (read_only.models)"
					  : "writable mount not protected by Landlock");
			return ward_err(
				WARD_EENV, "model %s: %s is on a read-write mount (%s)", m, where,
				p->ro_models == POLICY_REFUSE
					? "mount it read-only"
					: "and Landlock cannot keep the server from writing it");
		}
		log_mount(WARD_LOG_WARN, "model_writable", where,
			  protected_ ? "read-write mount; only Landlock keeps the server from "
				       "writing (read_only.models loosened)"
				     : "read-write mount, not protected");
	}
	return 0;
}

/* ------------------------------------------------------------ capabilities */

static int
caps_get(uint64_t *eff, uint64_t *perm, uint64_t *inh)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (syscall(__NR_capget, &h, d) != 0)
		return ward_errno(WARD_EENV, "capget");
	*eff = d[0].effective | (uint64_t)d[1].effective << 32;
	*perm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	*inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	return 0;
}

static int
caps_set(uint64_t eff, uint64_t perm, uint64_t inh)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2] = {
		{(uint32_t)eff, (uint32_t)perm, (uint32_t)inh},
		{(uint32_t)(eff >> 32), (uint32_t)(perm >> 32), (uint32_t)(inh >> 32)},
	};

	if (syscall(__NR_capset, &h, d) != 0)
		return ward_errno(WARD_EENV, "capset");
	return 0;
}

static int drop_bounding(void);

uint64_t
harden_caps_held(void)
{
	uint64_t e = 0, p = 0, i = 0;

	return caps_get(&e, &p, &i) == 0 ? p : 0;
}

int
harden_switch_user(uid_t uid, gid_t gid, uint64_t keep)
{
	uint64_t held = harden_caps_held() & keep;

	if (geteuid() != 0) {
		if (geteuid() != uid) {
			struct jlog l;
			jlog_begin(&l, WARD_LOG_WARN, "user_not_switched");
			jlog_uint(&l, "uid", geteuid());
			jlog_uint(&l, "policy_uid", uid);
			jlog_str(&l, "why", "not started as root; keeping the runtime's user");
			jlog_end(&l);
		}
		return 0;
	}
	drop_bounding(); /* while we still hold CAP_SETPCAP */
	if (setgroups(0, NULL) != 0)
		return ward_errno(WARD_EENV, "cannot clear supplementary groups");
	if (setresgid(gid, gid, gid) != 0)
		return ward_errno(WARD_EENV, "cannot switch to gid %u", (unsigned)gid);
	if (held && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
		return ward_errno(WARD_EENV, "PR_SET_KEEPCAPS");
	if (setresuid(uid, uid, uid) != 0)
		return ward_errno(WARD_EENV, "cannot switch to uid %u", (unsigned)uid);
	if (held) {
		prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
		if (caps_set(held, held, 0) != 0)
			return -1;
	}
	if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid)
		return ward_err(WARD_EENV, "user switch to %u:%u did not take", (unsigned)uid,
				(unsigned)gid);
	return 0;
}

/* Empty the bounding set as far as we may; returns how many remain (no
 * CAP_SETPCAP: harmless once no_new_privs is set).  The set is inherited
 * and never grows: once empty, the children's calls have nothing to do. */
static int
drop_bounding(void)
{
	static int empty;
	int left = 0;

	if (empty)
		return 0;
	for (int c = 0; c < 64; c++) {
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) == 0)
			continue;
		if (errno == EINVAL) /* past the kernel's last capability */
			break;
		int held = prctl(PR_CAPBSET_READ, c, 0, 0, 0); /* EPERM: no CAP_SETPCAP */
		if (held < 0)
			break;
		left += held == 1;
	}
	empty = left == 0;
	return left;
}

int
harden_drop_caps(uint64_t keep)
{
	uint64_t e = 0, p = 0, i = 0;
	int bset_left = drop_bounding();

	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (caps_get(&e, &p, &i) != 0)
		return -1;
	keep &= p;
	if (caps_set(keep, keep, 0) != 0)
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return ward_errno(WARD_EENV, "cannot set no_new_privs");
	if (caps_get(&e, &p, &i) != 0)
		return -1;
	if ((p & ~keep) || (e & ~keep) || i)
		return ward_err(WARD_EENV, "capabilities remain after dropping them");
	if (bset_left && keep == 0) {
		struct jlog l;
		jlog_begin(&l, WARD_LOG_DEBUG, "bounding_set_kept");
		jlog_int(&l, "capabilities", bset_left);
		jlog_str(&l, "why", "no CAP_SETPCAP; no_new_privs keeps them unreachable");
		jlog_end(&l);
	}
	return 0;
}

int
harden_readable_by_self(const char *path)
{
	return faccessat(AT_FDCWD, path, R_OK, AT_EACCESS) == 0;
}
