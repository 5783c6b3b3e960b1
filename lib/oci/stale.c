/*
 * stale.c: clean up after interrupted runs.  Outputs are built under
 * temporary names ("<path>.tmp-<pid>-<n>", "blobs/sha256/.tmp-<pid>-<n>");
 * a run killed with SIGKILL leaves them behind.  Before writing again we
 * remove those whose process is gone, so interrupted builds do not pile up
 * gigabytes of half-written layers.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci_internal.h"

/* "<prefix><pid>-<n>" with a pid that is not running: 1. */
static int
is_stale(const char *name, const char *prefix)
{
	size_t pl = strlen(prefix);
	char *end;
	long pid;

	if (strncmp(name, prefix, pl) != 0)
		return 0;
	pid = strtol(name + pl, &end, 10);
	if (end == name + pl || *end != '-' || pid <= 0 || pid == (long)getpid())
		return 0;
	return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

void
oci_remove_stale(const char *dir, const char *prefix)
{
	struct ward_error saved;
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d == NULL)
		return;
	ward_err_save(&saved);
	while ((de = readdir(d)) != NULL) {
		char *p;
		if (!is_stale(de->d_name, prefix) || (p = ward_path_join(dir, de->d_name)) == NULL)
			continue;
		if (ward_rm_rf(p) == 0)
			ward_debug("removed %s, left by an interrupted run", p);
		free(p);
	}
	closedir(d);
	ward_err_restore(&saved);
}

void
oci_remove_stale_siblings(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? ward_strndup(path, slash == path ? 1 : (size_t)(slash - path))
			  : ward_strdup(".");
	char *prefix = ward_asprintf("%s.tmp-", slash ? slash + 1 : path);

	if (dir && prefix)
		oci_remove_stale(dir, prefix);
	free(dir);
	free(prefix);
}
