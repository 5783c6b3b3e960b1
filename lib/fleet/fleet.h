/*
 * fleet: an inventory of images and the question "which of them does this
 * advisory hit" (`ward fleet`, docs/fleet.md).
 *
 *   inventory  an SQLite file (default; WAL, one file) or a PostgreSQL
 *              database (a postgresql:// URI), the same schema and queries
 *              on both, versioned migrations applied on open
 *   add        an image (OCI layout, oci-archive, docker-archive), a release
 *              directory or an SBOM: its digest (the key: adding it again
 *              only merges names), names, origin, the package list lib/vuln
 *              matches (Debian binary + source name/version, Python
 *              distributions and their owning Debian package), its VEX
 *              statements and the runtime policy; safe from several
 *              processes at once (one transaction per image)
 *   impact     an advisory (a CVE or record id looked up in the store, or an
 *              OSV file) -> the images it affects, with package, installed
 *              and fixed versions and the image's own VEX status
 *   sync       after `ward db import`: what changed since the last sync
 *              (newly affected, newly fixed, fix available, withdrawn)
 *
 * Matching is lib/vuln's: the inventory is an inverted index from the
 * (ecosystem, name) keys vuln_scan looks packages up by to the package
 * tuples and from those to the images, so an advisory reads only its
 * packages' rows; vuln_scan itself then runs once per distinct package group
 * (the Debian packages of one source version with the Python distributions
 * they ship, or a lone distribution), which is all a finding depends on.
 *
 * Errors follow core.h.  Every struct that owns memory has a _free();
 * _free(NULL) is a no-op.
 */
#ifndef WARD_FLEET_H
#define WARD_FLEET_H

#include "core/core.h"
#include "vuln/vuln.h"

struct fleet;

/* fleet_open(inventory, create): an SQLite file path or a postgresql://
 * URI.  With create, a missing SQLite file is made; the schema is brought
 * to the latest version either way.  fleet_close() releases it. */
struct fleet *fleet_open(const char *inventory, int create);
void fleet_close(struct fleet *f);
/* fleet_upgrade(inventory, version, now, latest): apply the schema
 * migrations up to version (0: the latest) and no further, creating an
 * SQLite file when missing; *now = the version afterwards, *latest = the
 * newest this ward knows.  fleet_open does the same to the latest. */
int fleet_upgrade(const char *inventory, int version, int *now, int *latest);
/* "sqlite" or "postgresql", and the inventory as shown in messages. */
const char *fleet_backend(const struct fleet *f);
const char *fleet_name(const struct fleet *f);

/* ---------------------------------------------------------- images */

struct fleet_image {
	char *digest;		  /* "sha256:<hex>": the image's identity */
	struct ward_strv names;	  /* references it is known by ("name:tag") */
	char *origin;		  /* "image:PATH", "release:DIR" or "sbom:FILE" */
	struct vuln_pkglist pkgs; /* what vuln_scan matches; target and target_ids too */
	json_t *vex;		  /* array of {"source": path, "doc": OpenVEX}, or NULL */
	json_t *facts;		  /* {"policy": effective ward-init policy}, or NULL */
};

struct fleet_load_opts {
	const char *digest;	       /* for an SBOM that names no image digest */
	const struct ward_strv *names; /* extra names */
	const struct ward_strv *vex;   /* OpenVEX files that speak for the image */
};

/* fleet_image_load(what, o, out): read an image reference (OCI layout
 * "DIR[:tag]", oci-archive or docker-archive "FILE[:tag]"), a release
 * directory (release.json: its image, SBOM and VEX) or a CycloneDX/SPDX
 * SBOM.  An SBOM must name its image's digest (a pkg:oci purl or a
 * sha256 digest as the subject) unless o->digest does.  Release with
 * fleet_image_free(). */
int fleet_image_load(const char *what, const struct fleet_load_opts *o, struct fleet_image *out);
void fleet_image_free(struct fleet_image *im);

/* fleet_add(f, im, added): record im in one transaction; *added is 1 when
 * the digest was new, 0 when it was there (its names are merged, nothing
 * else changes).  Concurrent adds, of the same digest too, are safe. */
int fleet_add(struct fleet *f, const struct fleet_image *im, int *added);
/* fleet_rm(f, what, removed): remove the image with digest what (or a
 * unique prefix of its hex of at least 12 characters), or every image
 * known by the name what; the removed digests are appended to removed.
 * 0 also when nothing matched (removed stays empty). */
int fleet_rm(struct fleet *f, const char *what, struct ward_strv *removed);
/* fleet_ls(f, details): [{digest, names, origin, target, distro, added,
 * packages, synced, findings: {severity: count}}] sorted by digest; with
 * details, each image also lists "exposure": the findings of the last
 * sync (suppressed ones with their VEX status).  A new reference. */
json_t *fleet_ls(struct fleet *f, int details);

/* ---------------------------------------------------------- answers */

struct fleet_class;
/* One image's part of an answer: its findings and, after its VEX
 * statements were applied, those they suppress (pointers into the
 * answer; do not free). */
struct fleet_hit {
	size_t image; /* index into fleet_answer.images */
	struct vuln_report report;
};

struct fleet_image_info {
	int64_t id;
	char *digest, *origin, *target;
	struct ward_strv names;
	struct ward_strv target_ids; /* VEX product identifiers (as the scan's) */
};

struct fleet_answer {
	char *query;		  /* what was asked: an id, or an OSV file */
	struct ward_strv records; /* the store records considered, sorted */
	json_t *modified;	  /* {record id: modified time} */
	struct fleet_image_info *images;
	size_t nimages;
	struct fleet_hit *hits; /* images with findings or suppressed findings */
	size_t nhits;
	size_t candidates; /* images holding a package the advisory names */
	size_t classes;	   /* distinct package groups vuln_scan ran on */
	void *priv;
};

/* fleet_impact(f, db, id, out): the images the advisory id (a CVE, GHSA,
 * PYSEC, DSA... known to the store, as an id or an alias) affects: every
 * finding vuln_scan would report for the image that names id.  Release
 * with fleet_answer_free(). */
int fleet_impact(struct fleet *f, struct vuln_db *db, const char *id, struct fleet_answer *out);
/* fleet_impact_file(f, path, out): the same for the OSV records of a file
 * (one record or an array) taken alone, as if the store held only them. */
int fleet_impact_file(struct fleet *f, const char *path, struct fleet_answer *out);
void fleet_answer_free(struct fleet_answer *a);

/* Outputs of answers. */
json_t *fleet_answers_json(const struct fleet_answer *a, size_t n);
/* SARIF 2.1.0: one run per image hit (the scan's SARIF of that image). */
json_t *fleet_answers_sarif(const struct fleet_answer *a, size_t n);
/* Prometheus text exposition: ward_fleet_affected_images{severity=...}
 * (images with at least one unsuppressed finding of that severity) over
 * the answers, and per advisory; caller frees. */
char *fleet_answers_prometheus(const struct fleet_answer *a, size_t n);
int fleet_answers_table(const struct fleet_answer *a, size_t n, FILE *out);
/* The model of the HTML page (report_render_fleet): images x CVEs. */
json_t *fleet_answers_model(const struct fleet_answer *a, size_t n, const char *title);

/* ---------------------------------------------------------- sync */

enum fleet_change_kind {
	FLEET_NEWLY_AFFECTED = 1, /* a finding that was not there */
	FLEET_NEWLY_FIXED,	  /* a finding that is gone: the advisory no longer matches */
	FLEET_FIX_AVAILABLE,	  /* still affected, and now a fixed version is known */
	FLEET_WITHDRAWN,	  /* a finding whose records were all withdrawn */
	FLEET_CHANGED,		  /* still affected; severity or other details changed */
};

struct fleet_sync_opts {
	int list_new_images; /* list the findings of images added since the last
				sync as changes too (else they are only counted) */
};

/* fleet_sync(f, db, o, out): bring the inventory's view of the store up to
 * date and say what changed.  Only records whose modified time (or
 * withdrawal) differs from the last sync's are looked at, through the
 * index; images added since are evaluated whole (their findings counted,
 * listed only with o->list_new_images).  One transaction.  Release *out
 * with fleet_sync_result_free(). */
struct fleet_sync_result;
int fleet_sync(struct fleet *f, struct vuln_db *db, const struct fleet_sync_opts *o,
	       struct fleet_sync_result **out);
void fleet_sync_result_free(struct fleet_sync_result *r);
/* {"inventory", "backend", "previous_sync", "synced", "records": {new,
 * modified, withdrawn, removed}, "counts": {change: n}, "new_images":
 * {images, findings}, "affected": {severity: {images, findings}}}
 * (borrowed). */
const json_t *fleet_sync_summary(const struct fleet_sync_result *r);
/* The highest severity of a newly affected finding, or -1. */
int fleet_sync_worst_new(const struct fleet_sync_result *r);
/* The summary plus "changes": [{"change", "reason", "finding" (the scan's
 * JSON), "records": {id: modified}, "images": [digest...]}], each distinct
 * (change, finding) once with every image it concerns; written as it goes,
 * so a large change set is not held in memory twice. */
int fleet_sync_write_json(const struct fleet_sync_result *r, FILE *out);
int fleet_sync_write_table(const struct fleet_sync_result *r, FILE *out);
/* The fleet's state after the last sync. */
char *fleet_state_prometheus(struct fleet *f);
json_t *fleet_state_model(struct fleet *f, const char *title);

#endif
