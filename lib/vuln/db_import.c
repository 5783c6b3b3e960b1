/*
 * db_import.c: OSV records into the store from a directory tree of *.json
 * files, a zip (osv.dev's per-ecosystem exports) or any archive libarchive
 * reads, or one JSON file holding a record or an array of records.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "vuln/vuln_internal.h"

#define MAX_RECORD_BYTES (16u << 20)
#define MAX_TRACKER_BYTES (1024u << 20) /* the tracker export is ~100 MB and grows */

void
vuln_import_stats_free(struct vuln_import_stats *st)
{
	if (st == NULL)
		return;
	ward_strv_free(&st->unmatched_ecosystems);
	memset(st, 0, sizeof(*st));
}

static void
note_first(char *dst, size_t n, const char *msg)
{
	if (dst[0] == '\0')
		snprintf(dst, n, "%s", msg);
}

static void
note_ecosystems(struct vuln_import_stats *st, const struct osv_record *r)
{
	for (size_t i = 0; i < r->naff; i++) {
		if (osv_ecosystem_kind(r->aff[i].ecosystem) != OSV_OTHER)
			continue;
		if (!ward_strv_contains(&st->unmatched_ecosystems, r->aff[i].ecosystem))
			ward_strv_push(&st->unmatched_ecosystems, r->aff[i].ecosystem);
		st->unmatched_records++;
		break;
	}
}

static int import_json(struct vuln_db *db, const json_t *j, const char *what,
		       struct vuln_import_stats *st);

static int
put_tracker_record(struct vuln_db *db, const json_t *j, const char *what, const char *source,
		   struct vuln_import_stats *st)
{
	(void)source;
	return import_json(db, j, what, st);
}

/* One record: malformed ones are counted and skipped, never fatal. */
static int
import_json(struct vuln_db *db, const json_t *j, const char *what, struct vuln_import_stats *st)
{
	struct osv_record r;
	int rc;

	st->records++;
	if (osv_record_from_json(j, what, &r) != 0) {
		if (ward_errkind() == WARD_EENV)
			return -1;
		st->malformed++;
		note_first(st->first_error, sizeof(st->first_error), ward_errmsg());
		ward_err_clear();
		return 0;
	}
	st->invalid_versions += r.invalid_versions;
	st->warnings += r.warnings.n;
	if (r.warnings.n > 0)
		note_first(st->first_warning, sizeof(st->first_warning), r.warnings.v[0]);
	note_ecosystems(st, &r);
	if (strcmp(r.modified, st->newest) > 0)
		snprintf(st->newest, sizeof(st->newest), "%s", r.modified);
	rc = db_put_record(db, &r, st->source ? st->source : what);
	osv_record_free(&r);
	switch (rc) {
	case DB_ADDED:
		st->added++;
		break;
	case DB_UPDATED:
		st->updated++;
		break;
	case DB_UNCHANGED:
		st->unchanged++;
		break;
	case DB_WITHDRAWN:
		st->withdrawn++;
		break;
	default:
		return -1;
	}
	return 0;
}

static int
import_bytes(struct vuln_db *db, const void *data, size_t len, const char *what,
	     struct vuln_import_stats *st)
{
	json_t *j = ward_json_loadb(data, len, what), *x;
	size_t i;
	int rc = 0;

	st->files++;
	if (j == NULL) {
		if (ward_errkind() == WARD_EENV)
			return -1;
		st->records++;
		st->malformed++;
		note_first(st->first_error, sizeof(st->first_error), ward_errmsg());
		ward_err_clear();
		return 0;
	}
	if (json_is_array(j)) {
		json_array_foreach(j, i, x)
		{
			char *w = ward_asprintf("%s[%zu]", what, i);
			rc = w ? import_json(db, x, w, st) : -1;
			free(w);
			if (rc != 0)
				break;
		}
	} else {
		rc = import_json(db, j, what, st);
	}
	json_decref(j);
	return rc;
}

static int
import_file(struct vuln_db *db, const char *path, int flags, struct vuln_import_stats *st)
{
	struct ward_buf b = {0};
	struct stat sb;
	int rc;

	/* a record is a file of the tree: a symlink (to /etc/shadow?) is never
	 * followed, a FIFO never read (flags: WARD_IN_NOFOLLOW) */
	if (ward_file_readx(path, flags, MAX_TRACKER_BYTES, &b) == 0 && stat(path, &sb) == 0 &&
	    tracker_sniff(b.data, b.len)) {
		snprintf(st->format, sizeof(st->format), "debian-tracker");
		rc = tracker_import(db, b.data, b.len, path, st->source, sb.st_mtime, st,
				    put_tracker_record);
		ward_buf_free(&b);
		return rc;
	}
	ward_err_clear();
	if (st->format[0] == '\0')
		snprintf(st->format, sizeof(st->format), "osv");
	if (b.len > MAX_RECORD_BYTES) {
		ward_buf_free(&b);
		st->files++;
		st->records++;
		st->malformed++;
		note_first(st->first_error, sizeof(st->first_error), "record too large");
		return 0;
	}
	if (b.data != NULL) {
		rc = import_bytes(db, b.data, b.len, path, st);
		ward_buf_free(&b);
		return rc;
	}
	if (ward_file_readx(path, flags, MAX_RECORD_BYTES, &b) != 0) {
		if (ward_errkind() == WARD_EENV)
			return -1;
		st->files++;
		st->records++;
		st->malformed++;
		note_first(st->first_error, sizeof(st->first_error), ward_errmsg());
		ward_err_clear();
		return 0;
	}
	rc = import_bytes(db, b.data, b.len, path, st);
	ward_buf_free(&b);
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.json below dir, sorted so imports are reproducible. */
static int
list_json(const char *dir, struct ward_strv *out, int depth)
{
	DIR *d;
	struct dirent *e;
	struct ward_strv names = {0};
	int rc = 0;

	if (depth > 16)
		return ward_err(WARD_EINPUT, "%s: directories nested too deep", dir);
	if ((d = opendir(dir)) == NULL)
		return ward_err_io(dir, "cannot open directory");
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (ward_strv_push(&names, e->d_name) != 0) {
			rc = -1;
			break;
		}
	}
	closedir(d);
	if (rc == 0 && names.n > 0)
		qsort(names.v, names.n, sizeof(*names.v), cmp_str);
	for (size_t i = 0; rc == 0 && i < names.n; i++) {
		char *p = ward_path_join(dir, names.v[i]);
		struct stat sb;
		if (p == NULL) {
			rc = -1;
		} else if (lstat(p, &sb) != 0) {
			rc = ward_err_io(p, "cannot stat");
		} else if (S_ISLNK(sb.st_mode)) {
			ward_warn("%s: a symbolic link, not followed", p);
		} else if (S_ISDIR(sb.st_mode)) {
			rc = list_json(p, out, depth + 1);
		} else if (S_ISREG(sb.st_mode) && ward_str_endswith(p, ".json")) {
			rc = ward_strv_push(out, p);
		}
		free(p);
	}
	ward_strv_free(&names);
	return rc;
}

static int
import_dir(struct vuln_db *db, const char *dir, struct vuln_import_stats *st,
	   struct ward_progress *pr)
{
	struct ward_strv files = {0};
	int rc;

	if ((rc = list_json(dir, &files, 0)) == 0) {
		ward_progress_set_total(pr, files.n);
		for (size_t i = 0; rc == 0 && i < files.n; i++) {
			rc = import_file(db, files.v[i], WARD_IN_NOFOLLOW, st);
			ward_progress_add(pr, 1);
		}
	}
	ward_strv_free(&files);
	return rc;
}

static int
import_archive(struct vuln_db *db, const char *path, struct vuln_import_stats *st,
	       struct ward_progress *pr)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	struct ward_buf b = {0};
	int rc = 0, r, fd;

	if (a == NULL)
		return ward_err(WARD_EENV, "out of memory");
	/* a FIFO or a device named as the archive is refused, never waited on */
	if ((fd = ward_input_open(path, 0, NULL)) < 0) {
		archive_read_free(a);
		return -1;
	}
	archive_read_support_format_zip(a);
	archive_read_support_format_tar(a);
	archive_read_support_filter_all(a);
	if (archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK) {
		rc = ward_err(WARD_EINPUT, "%s: not a directory, JSON file or readable archive: %s",
			      path, archive_error_string(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		la_int64_t size = archive_entry_size(e);
		char *what;
		if (archive_entry_filetype(e) != AE_IFREG || name == NULL ||
		    !ward_str_endswith(name, ".json"))
			continue;
		if (size < 0 || size > (la_int64_t)MAX_RECORD_BYTES) {
			st->files++;
			st->records++;
			st->malformed++;
			note_first(st->first_error, sizeof(st->first_error), "record too large");
			continue;
		}
		b.len = 0;
		if (ward_buf_reserve(&b, (size_t)size + 1) != 0) {
			rc = -1;
			break;
		}
		la_ssize_t got = archive_read_data(a, b.data, (size_t)size);
		if (got != size) {
			rc = ward_err(WARD_EINPUT,
				      "%s: %s: truncated or corrupt archive member: %s", path, name,
				      archive_error_string(a));
			break;
		}
		b.len = (size_t)got;
		if ((what = ward_asprintf("%s:%s", path, name)) == NULL) {
			rc = -1;
			break;
		}
		rc = import_bytes(db, b.data, b.len, what, st);
		free(what);
		ward_progress_add(pr, 1);
		if (rc != 0)
			break;
	}
	if (rc == 0 && r != ARCHIVE_EOF)
		rc = ward_err(WARD_EINPUT, "%s: corrupt archive: %s", path,
			      archive_error_string(a));
out:
	ward_buf_free(&b);
	archive_read_free(a);
	close(fd);
	return rc;
}

/* 1 when text (lines) holds line exactly. */
static int
line_in(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; p != NULL && *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len == n && strncmp(p, line, n) == 0)
			return 1;
		p = nl ? nl + 1 : NULL;
	}
	return 0;
}

int
vuln_db_import(struct vuln_db *db, const char *path, struct vuln_import_stats *st,
	       struct ward_progress *pr)
{
	struct stat sb;
	uint64_t t0 = ward_now_ns();
	char now[32], *sources = NULL, *list = NULL;
	int rc;

	if (stat(path, &sb) != 0)
		return ward_err_io(path, "cannot read");
	if (db_begin(db) != 0)
		return -1;
	st->source = path;
	st->newest[0] = '\0';
	st->format[0] = '\0';
	if (!S_ISDIR(sb.st_mode) && !ward_str_endswith(path, ".json"))
		snprintf(st->format, sizeof(st->format), "osv");
	if (S_ISDIR(sb.st_mode))
		rc = import_dir(db, path, st, pr);
	else if (ward_str_endswith(path, ".json"))
		rc = import_file(db, path, 0, st); /* the user named it */
	else
		rc = import_archive(db, path, st, pr);
	if (rc == 0)
		rc = ward_strv_check(&st->unmatched_ecosystems);
	if (rc == 0) {
		time_t t;
		/* Remember where records came from, so that `ward db update` can
		 * read the same sources again. */
		sources = db_meta_get(db, "sources");
		ward_err_clear();
		if (!line_in(sources, path))
			list = sources ? ward_asprintf("%s\n%s", sources, path) : ward_strdup(path);
		if (ward_source_date_epoch(&t) != 1)
			t = time(NULL);
		ward_time_rfc3339(t, now);
		rc = db_meta_set(db, "imported", now);
		if (rc == 0 && list != NULL)
			rc = db_meta_set(db, "sources", list);
		if (rc == 0)
			rc = db_source_set(db, path, st->format[0] ? st->format : "osv", now,
					   st->newest[0] ? st->newest : NULL);
	}
	st->source = NULL;
	free(sources);
	free(list);
	if (rc != 0 || db_commit(db) != 0) {
		db_rollback(db);
		return -1;
	}
	st->ns += ward_now_ns() - t0;
	return 0;
}

int
vuln_db_sources(struct vuln_db *db, struct ward_strv *out)
{
	char *s = db_meta_get(db, "sources"), *line, *save = NULL;

	if (s == NULL)
		return ward_errkind() ? -1 : 0;
	for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (ward_strv_push(out, line) != 0) {
			free(s);
			return -1;
		}
	free(s);
	return 0;
}
