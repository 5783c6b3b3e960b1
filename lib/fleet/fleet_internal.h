/* fleet_internal.h: pieces shared inside lib/fleet, not part of its interface. */
#ifndef WARD_FLEET_INTERNAL_H
#define WARD_FLEET_INTERNAL_H

#include "fleet/fdb.h"
#include "fleet/fleet.h"

struct fleet {
	struct fdb *db;
};

/* schema.c */
int fleet_schema_latest(void);
int fleet_schema_version(struct fdb *db, int *out);
/* fleet_migrate(db, target): apply migrations up to target (0: latest). */
int fleet_migrate(struct fdb *db, int target);

/* 63 bits of SHA-256(text): the row id of an image (its digest) or a
 * package tuple (its canonical JSON and owner). */
int64_t fleet_hash_id(const char *text, size_t len);

/* IN lists: a statement "<head>(?,?,...)<tail>" with BATCH placeholders;
 * short batches repeat their last value (harmless in IN and with ON
 * CONFLICT DO NOTHING), so each statement is prepared once. */
#define FLEET_BATCH 256
char *fleet_in_sql(const char *head, const char *tail, size_t nvals);
/* "INSERT ... VALUES (?,?),(?,?) ... <tail>": rows of width columns. */
char *fleet_values_sql(const char *head, size_t width, size_t rows, const char *tail);

/* ---------------------------------------------------------- the engine */

/* A package tuple as stored. */
struct fleet_pkg {
	int64_t id, owner; /* owner: the owning Debian package's tuple, 0 when none */
	char *data;	   /* vuln_pkg_to_json, compact */
	char *src;	   /* Debian: "ecosystem\tsource\tsource version", else NULL */
};

/* One distinct package group and what vuln_scan says about it.  A group
 * is every Debian package of an image built from one source version, with
 * the Python distributions they ship, or a lone distribution: vuln_scan
 * attributes findings to an owner (a Debian package, or the
 * distribution), and the evidence it weighs for an owner (the changelog of
 * the source version, from that package or a sibling of the same source
 * version, the first found) comes from nothing outside this group. */
struct fleet_class {
	int64_t owner;	  /* the group's owner tuple */
	int64_t *members; /* sorted */
	size_t nmembers;
	struct vuln_report r;
};

/* One image's owner group in the evaluation. */
struct fleet_use {
	int64_t image, owner;
	size_t cls;
};

struct fleet_eval {
	struct fleet_pkg *pkgs; /* sorted by id */
	size_t npkgs, cappkgs;
	struct fleet_class *classes;
	size_t nclasses, capclasses;
	struct fleet_use *uses; /* sorted by image, owner */
	size_t nuses, capuses;
	void *memo;
	struct vuln_debcache *debcache; /* ward's package cache, its index read once
					   for every scan (changelogs SBOMs lack) */
	int debcache_tried;
};

/* fleet_eval_keys(f, db, only, keys, out): every owner group, in every
 * image, that holds a package whose vuln_pkg_keys meet keys ("ecosystem\t
 * name"), evaluated with vuln_scan_with(db, group, {only}).  Runs inside the
 * caller's transaction. */
int fleet_eval_keys(struct fleet *f, struct vuln_db *db, const struct ward_strv *only,
		    const struct ward_strv *keys, struct fleet_eval *out);
/* fleet_eval_images(f, db, images, n, e): every owner group of the images.
 * e starts zeroed and may be used for several batches of images: each call
 * replaces e->uses, and keeps the tuples and classes already made (so a
 * group seen in an earlier batch is not scanned again). */
int fleet_eval_images(struct fleet *f, struct vuln_db *db, const int64_t *images, size_t n,
		      struct fleet_eval *out);
void fleet_eval_free(struct fleet_eval *e);
const struct fleet_pkg *fleet_eval_pkg(const struct fleet_eval *e, int64_t id);

/* Image details for answers (digest, origin, target, names), by id. */
int fleet_image_infos(struct fleet *f, const int64_t *ids, size_t n, struct fleet_image_info **out);
void fleet_image_infos_free(struct fleet_image_info *v, size_t n);
/* The VEX statements of any image about any of names: *out[i] is the
 * statements of image ids[i] (a vuln_vex, or NULL when it has none). */
struct fleet_vex {
	int64_t image;
	struct vuln_vex *vex;
};
int fleet_vex_for(struct fleet *f, const struct ward_strv *names, struct fleet_vex **out,
		  size_t *n);
void fleet_vex_free(struct fleet_vex *v, size_t n);
struct vuln_vex *fleet_vex_find(const struct fleet_vex *v, size_t n, int64_t image);
/* Images with at least one unsuppressed finding of each severity, and
 * those findings, as of the last sync (indexed by enum vuln_severity). */
int fleet_state_counts(struct fleet *f, int64_t images[VULN_SEV_CRITICAL + 1],
		       int64_t findings[VULN_SEV_CRITICAL + 1]);
/* The columns of exposure that count findings, in enum vuln_severity order
 * from VULN_SEV_UNKNOWN. */
extern const char *const fleet_sev_columns[VULN_SEV_CRITICAL + 1];

/* 1 when the hit's findings are its own (VEX applied), 0 when they are
 * copies of a class's (sharing its strings). */
int fleet_answer_owned(const struct fleet_answer *a, size_t hit);

/* Every id and alias of the findings of e's classes, sorted, unique. */
int fleet_eval_names(const struct fleet_eval *e, struct ward_strv *out);

/* Order of int64_t ids for qsort/bsearch. */
int fleet_i64_cmp(const void *x, const void *y);

/* Sort v[0..n) and drop repeats; returns the new count. */
size_t fleet_i64_uniq(int64_t *v, size_t n);

#endif
