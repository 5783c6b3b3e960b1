/*
 * sbom: what is inside a root filesystem, and the evidence about it.
 *
 * A catalog is built from a root filesystem — an unpacked directory, or an
 * OCI image / docker-archive read through lib/oci — in three steps:
 *
 *   1. the file index: every entry (path, type, mode, uid, gid, size,
 *      SHA-256, link target, layer), sorted bytewise by path;
 *   2. catalogers turn package metadata into components: Debian packages
 *      (/var/lib/dpkg/status, status.d/), Python distributions (*.dist-info,
 *      *.egg-info), signed models (OMS model.sig), model files by extension,
 *      ELF files no package owns, and ward-init;
 *   3. ownership: every regular file is owned by exactly one component or
 *      listed as unowned (docs/formats/sbom.md says who wins when several
 *      claim a file).
 *
 * From a catalog come CycloneDX 1.6 and SPDX 2.3 JSON, the license report
 * (JSON, Markdown, CSV) and the per-file manifest ("software hash",
 * docs/formats/files-manifest.md), which sbom_files_verify() checks an
 * unpacked root filesystem against.  All outputs are deterministic: the
 * only inputs besides the image are SOURCE_DATE_EPOCH and the options.
 *
 * Paths inside the catalog are relative to the root ("usr/bin/env"); every
 * function that takes a path also accepts it with a leading '/'.  Errors
 * follow core.h.
 */
#ifndef WARD_SBOM_H
#define WARD_SBOM_H

#include <stdint.h>

#include "core/core.h"
#include "crypto/crypto.h"

/* ---------------------------------------------------------- file index */

enum sbom_file_type {
	SBOM_REG = 'f',
	SBOM_DIR = 'd',
	SBOM_SYMLINK = 'l',
	SBOM_CHAR = 'c',
	SBOM_BLOCK = 'b',
	SBOM_FIFO = 'p',
	SBOM_SOCKET = 's',
};

struct sbom_file {
	char *path;    /* relative to the root, never "" */
	char *link;    /* symlink target as stored, else NULL */
	uint64_t size; /* regular files; 0 otherwise */
	int64_t mtime;
	uint32_t mode; /* permission bits including suid/sgid/sticky */
	uint32_t uid, gid;
	uint32_t dev_major, dev_minor; /* character and block devices */
	char type;		       /* enum sbom_file_type */
	uint8_t hashed;		       /* sha256 is valid (regular files) */
	uint8_t sha256[SHA256_LEN];
	int32_t layer; /* index into sbom_catalog.layers; -1 for a directory input */
	int32_t owner; /* index into sbom_catalog.comps; -1 = unowned */
};

/* The whole tree, sorted bytewise by path.  root is where the contents can
 * be read (the directory, or where lib/oci unpacked an image). */
struct sbom_fileset {
	char *root; /* the directory; NULL for an image */
	struct sbom_file *files;
	size_t n;
	void *priv; /* internal: the image the contents come from */
};

/* sbom_fileset_find(fs, path): index of the entry with exactly that path
 * (no symlinks followed), or -1. */
ssize_t sbom_fileset_find(const struct sbom_fileset *fs, const char *path);
/* sbom_fileset_resolve(fs, path, follow_last): resolve symlinks inside the
 * root as a chroot would (absolute targets start at the root, ".." stops
 * at it, at most 40 links).  Index of the final entry, or -1 when it does
 * not exist or loops. */
ssize_t sbom_fileset_resolve(const struct sbom_fileset *fs, const char *path, int follow_last);
/* sbom_fileset_read(fs, i, max, out): append the contents of regular file i
 * (at most max bytes, else a WARD_EINPUT error naming the path) to out. */
int sbom_fileset_read(const struct sbom_fileset *fs, size_t i, size_t max, struct ward_buf *out);

/* ---------------------------------------------------------- components */

enum sbom_kind {
	SBOM_KIND_DEB,	      /* a Debian binary package */
	SBOM_KIND_PYTHON,     /* a Python distribution (dist-info / egg-info) */
	SBOM_KIND_MODEL,      /* a model signed with OMS (machine-learning-model) */
	SBOM_KIND_MODEL_FILE, /* an unsigned file with a model extension */
	SBOM_KIND_ELF,	      /* an ELF file no package owns */
	SBOM_KIND_WARD_INIT,  /* /ward/init */
};

/* The license of one component.  Expressions are SPDX license expressions;
 * "NOASSERTION" where nothing can honestly be said. */
struct sbom_license {
	char *declared;		/* what the metadata says, mapped to SPDX (may hold
				   LicenseRef-… for names SPDX does not know) */
	char *concluded;	/* declared, when every part is a known SPDX id or
				   a LicenseRef backed by the license text found
				   in the same source; else "NOASSERTION" */
	char *source;		/* where it came from, e.g.
				   "debian-copyright:/usr/share/doc/zlib1g/copyright" */
	struct ward_strv found; /* the names as written in the source, sorted */
	struct ward_strv texts; /* pairs: each LicenseRef-… id used in declared,
				   then its text (or a note saying where the
				   name was found) */
};

/* One file of a signed model, as listed in its OMS manifest. */
struct sbom_model_file {
	char *name;		    /* resource name in the manifest */
	char *path;		    /* matched path in the root, or NULL when missing */
	int matches;		    /* the file on disk has the signed digest (files
				       method); shards are matched by name only */
	uint8_t sha256[SHA256_LEN]; /* of the file on disk, when present */
	uint8_t sha1[20];	    /* ditto, for SPDX file checksums */
};

struct sbom_component {
	int kind;  /* enum sbom_kind */
	char *ref; /* bom-ref, unique in the catalog */
	char *name;
	char *version;	      /* NULL when unknown */
	char *arch;	      /* deb: Architecture */
	char *source;	      /* deb: source package (the binary name when none) */
	char *source_version; /* deb: source version (the binary version when none) */
	char *purl;	      /* NULL when the component has no package identity */
	char *location;	      /* metadata path: status.d file, dist-info dir,
				 model directory, or the file itself */
	char *summary;	      /* one line, or NULL */
	char *supplier;	      /* deb Maintainer, Python Author/Maintainer, or NULL */
	char *homepage;	      /* or NULL */
	struct sbom_license license;
	int hashed; /* sha256: the file (ELF, model file, ward-init) or
		       the OMS root digest (model) */
	uint8_t sha256[SHA256_LEN];
	ssize_t owner; /* the component that contains this one (a deb that
			  ships a dist-info), or -1 */
	int32_t layer; /* layer of the metadata, -1 when unknown */
	size_t *deps;  /* components this one depends on, sorted */
	size_t ndeps;
	size_t *files; /* file index entries owned, sorted */
	size_t nfiles;
	struct ward_strv requires; /* dependencies as written: deb Pre-Depends and
				      Depends groups ("a | b (>= 1)"), Python
				      Requires-Dist */
	struct ward_strv provides; /* deb Provides names */
	/* ELF */
	char *soname;
	struct ward_strv needed;
	char *elf_type; /* "executable", "shared-object", "relocatable" */
	/* models */
	struct sbom_model_file *model_files;
	size_t nmodel_files;
	char *model_format; /* "safetensors", "gguf", …; or "oms" */
	/* properties for the writers, ("name", "value") pairs, sorted by name */
	struct ward_strv props;
};

struct sbom_layer {
	char *digest;  /* the blob digest "sha256:…" */
	char *diff_id; /* the uncompressed digest "sha256:…" */
};

/* Completeness of ownership, over regular files. */
struct sbom_counts {
	size_t files; /* regular files in the root */
	size_t owned[SBOM_KIND_WARD_INIT + 1];
	size_t derived; /* byte code (.pyc) owned through its .py source */
	size_t unowned;
	size_t shared;	/* files claimed by more than one component (the
			   first claimant owns them) */
	size_t entries; /* every entry: files, directories, links, … */
	uint64_t bytes; /* bytes of regular files */
};

struct sbom_catalog {
	struct sbom_fileset fs;
	struct sbom_component *comps; /* sorted by kind, name, version, location */
	size_t ncomps;
	/* The subject: an image, or a directory. */
	char *name;	   /* image name or directory basename */
	char *tag;	   /* image tag, or NULL */
	char *digest;	   /* image digest "sha256:…" (sbom_catalog_image), or NULL */
	char *digest_kind; /* "manifest" or "config", or NULL */
	char *purl;	   /* pkg:oci/… for images, else NULL */
	struct sbom_layer *layers;
	size_t nlayers;
	char *distro;			     /* purl distro qualifier: "debian-12", or NULL */
	char *os_id;			     /* os-release ID ("debian"), or NULL */
	time_t epoch;			     /* SOURCE_DATE_EPOCH, else the newest mtime */
	uint8_t manifest_sha256[SHA256_LEN]; /* SHA-256 of the files manifest */
	struct sbom_counts counts;
	size_t *unowned;	   /* regular files owned by nothing, sorted */
	struct ward_strv warnings; /* sorted, deduplicated */
};

struct sbom_opts {
	int threads;			/* hashing threads, 0 = online CPUs */
	struct ward_progress *progress; /* or NULL */
	const char *name;		/* override the subject's name */
};

/* sbom_catalog_rootfs(dir, opts, out): catalog an unpacked root filesystem.
 * Mount points below dir are recorded but not entered (like find -xdev).
 * A malformed dpkg status file is an error naming file:line; a malformed
 * Python METADATA, RECORD or copyright file is a warning (documented
 * partial result).  *out is freed with sbom_catalog_free(). */
int sbom_catalog_rootfs(const char *dir, const struct sbom_opts *opts, struct sbom_catalog **out);
/* sbom_catalog_image(ref, opts, out): catalog an image — an OCI layout
 * "DIR" or "DIR:tag", an oci-archive or docker-archive tar "FILE[:tag]"
 * (oci_image_open) — from its layers: every layer is read once, verified
 * (blob digest, diff_id) and every file hashed on the way; a second pass
 * reads only ELF files no package owns and signed model files, if any.
 * A corrupt or truncated layer is an error naming the image and layer.
 * The image digest is the manifest digest (the config digest, i.e. the
 * image ID, for a docker-archive, which has no manifest). */
int sbom_catalog_image(const char *ref, const struct sbom_opts *opts, struct sbom_catalog **out);
void sbom_catalog_free(struct sbom_catalog *c);

const char *sbom_kind_name(int kind); /* "deb", "python", "model", … */

/* ---------------------------------------------------------- outputs */

/* Each returns a new JSON document the caller json_decref()s. */
json_t *sbom_cyclonedx(const struct sbom_catalog *c);
json_t *sbom_spdx(const struct sbom_catalog *c);
json_t *sbom_license_report(const struct sbom_catalog *c);
/* The summary: counts, completeness, unowned files, warnings, license share. */
json_t *sbom_summary(const struct sbom_catalog *c);
/* Text outputs, malloc'd, caller frees. */
char *sbom_license_markdown(const struct sbom_catalog *c);
char *sbom_license_csv(const struct sbom_catalog *c);
char *sbom_files_manifest(const struct sbom_catalog *c);
/* sbom_file_owners(c): "/path<TAB>bom-ref" for every regular file ("-" when
 * unowned), sorted by path (paths escaped as in the files manifest). */
char *sbom_file_owners(const struct sbom_catalog *c);

/* Share of packages (deb + python) whose concluded license is not
 * NOASSERTION: *concluded of *total; *listed of them use only ids from the
 * SPDX License List (no LicenseRef).  listed may be NULL. */
void sbom_license_share(const struct sbom_catalog *c, size_t *concluded, size_t *listed,
			size_t *total);

/* File names inside the output directory written by sbom_write_dir. */
#define SBOM_CYCLONEDX_FILE "sbom.cdx.json"
#define SBOM_SPDX_FILE "sbom.spdx.json"
#define SBOM_LICENSES_JSON_FILE "licenses.json"
#define SBOM_LICENSES_MD_FILE "licenses.md"
#define SBOM_LICENSES_CSV_FILE "licenses.csv"
#define SBOM_FILES_MANIFEST_FILE "files.manifest"
#define SBOM_SUMMARY_FILE "summary.json"
#define SBOM_OWNERS_FILE "owners.tsv"

/* sbom_write_dir(c, dir): write every output into dir, which appears
 * complete or not at all.  An existing dir is replaced as a whole, and only
 * when it is empty or holds nothing but these files (ward_outdir). */
int sbom_write_dir(const struct sbom_catalog *c, const char *dir);

/* ---------------------------------------------------------- files manifest */

/* One parsed manifest line. */
struct sbom_manifest_entry {
	char *path; /* relative, unescaped */
	char *link; /* unescaped target or NULL */
	uint64_t size;
	uint32_t mode, uid, gid, dev_major, dev_minor;
	char type;
	uint8_t hashed;
	uint8_t sha256[SHA256_LEN];
};

struct sbom_manifest {
	char *image;		       /* "sha256:…" or NULL when the header says "-" */
	struct sbom_manifest_entry *e; /* sorted by path */
	size_t n;
};

/* sbom_manifest_parse(data, len, what, out): parse a files manifest (untrusted
 * input: bounded, every field checked, sorted and unique paths required).
 * Release with sbom_manifest_free(). */
int sbom_manifest_parse(const char *data, size_t len, const char *what, struct sbom_manifest *out);
void sbom_manifest_free(struct sbom_manifest *m);

enum sbom_verify_flags {
	SBOM_VERIFY_IGNORE_OWNER = 1, /* uid/gid not compared (rootless unpack) */
	SBOM_VERIFY_IGNORE_MODE = 2,  /* permission bits not compared */
	SBOM_VERIFY_IGNORE_DIRS = 4,  /* directories only need to exist */
};

enum sbom_diff_kind {
	SBOM_DIFF_MISSING, /* in the manifest, not on disk */
	SBOM_DIFF_EXTRA,   /* on disk, not in the manifest */
	SBOM_DIFF_TYPE,
	SBOM_DIFF_MODE,
	SBOM_DIFF_OWNER,
	SBOM_DIFF_SIZE,
	SBOM_DIFF_CONTENT, /* SHA-256 differs */
	SBOM_DIFF_LINK,	   /* symlink target differs */
	SBOM_DIFF_DEVICE,
};

struct sbom_diff {
	char *path;
	int kind;
	char *expected, *actual; /* human-readable values, or NULL */
};

struct sbom_verify_result {
	struct sbom_diff *d; /* sorted by path */
	size_t n;
	size_t checked; /* manifest entries compared */
	uint64_t bytes; /* bytes hashed */
};

/* sbom_files_verify(manifest_path, rootfs, flags, threads, progress, r):
 * walk rootfs (as sbom_catalog_rootfs does), hash every regular file and
 * compare with the manifest.  0 when identical; -1 with WARD_EVERIFY when
 * anything differs (r lists every difference), WARD_EINPUT for a malformed
 * manifest.  r may be NULL; otherwise release it with
 * sbom_verify_result_free(). */
int sbom_files_verify(const char *manifest_path, const char *rootfs, int flags, int threads,
		      struct ward_progress *progress, struct sbom_verify_result *r);
void sbom_verify_result_free(struct sbom_verify_result *r);
const char *sbom_diff_name(int kind); /* "missing", "extra", "type", … */

/* ---------------------------------------------------------- parsers
 * Exposed for the fuzz targets and tests; the catalogers use them. */

/* Debian packages from a status file or a status.d entry. */
struct sbom_deb_pkg {
	char *name, *version, *arch, *source, *source_version;
	char *maintainer, *homepage, *summary, *multi_arch;
	char *depends; /* Pre-Depends and Depends joined by ", " */
	char *provides;
	struct ward_strv conffiles; /* paths */
	size_t line;
};
/* sbom_dpkg_status_parse(data, len, what, pkgs, n): the installed packages
 * (Status "… installed" or no Status field; config-files and not-installed
 * are skipped).  A paragraph without Package or Version, or with a
 * malformed version, is an error "what:line: …". */
int sbom_dpkg_status_parse(const char *data, size_t len, const char *what,
			   struct sbom_deb_pkg **pkgs, size_t *n);
void sbom_deb_pkgs_free(struct sbom_deb_pkg *pkgs, size_t n);
/* sbom_dpkg_md5sums_parse(data, len, what, paths): the paths of an .md5sums
 * file ("<32 hex>  <path>" lines), appended to paths. */
int sbom_dpkg_md5sums_parse(const char *data, size_t len, const char *what,
			    struct ward_strv *paths);

/* Core metadata of a Python distribution (METADATA / PKG-INFO): RFC 822
 * style headers, then an optional body. */
struct sbom_pymeta {
	char *name, *version, *summary, *home_page, *author, *maintainer;
	char *license;		  /* License (may be a long text) */
	char *license_expression; /* License-Expression (metadata 2.4) */
	struct ward_strv classifiers;
	struct ward_strv requires; /* Requires-Dist, as written */
};
int sbom_pymeta_parse(const char *data, size_t len, const char *what, struct sbom_pymeta *out);
void sbom_pymeta_free(struct sbom_pymeta *m);

/* One RECORD row: path,hash,size (CSV as Python's csv module writes it). */
struct sbom_record_row {
	char *path;
	int hashed; /* a sha256= hash was given */
	uint8_t sha256[SHA256_LEN];
};
int sbom_record_parse(const char *data, size_t len, const char *what, struct sbom_record_row **rows,
		      size_t *n);
void sbom_record_rows_free(struct sbom_record_row *rows, size_t n);

/* sbom_dep5_license(data, len, what, out): the license of a Debian
 * machine-readable copyright file (DEP-5), with Debian short names mapped to
 * SPDX (docs/formats/sbom.md).  A file that is not DEP-5 yields NOASSERTION
 * (not an error).  out->source is set to "debian-copyright:<what>". */
int sbom_dep5_license(const char *data, size_t len, const char *what, struct sbom_license *out);
/* sbom_python_license(m, what, out): from License-Expression, License, or
 * the License :: classifiers, in that order of trust. */
int sbom_python_license(const struct sbom_pymeta *m, const char *what, struct sbom_license *out);
void sbom_license_free(struct sbom_license *l);
/* sbom_spdx_expression_ok(expr): 1 when expr is a valid SPDX license
 * expression over known SPDX ids (LicenseRef-… allowed when allow_refs). */
int sbom_spdx_expression_ok(const char *expr, int allow_refs);

/* ELF facts from the dynamic section (libelf). */
struct sbom_elf_info {
	char *type;		 /* "executable", "shared-object", "relocatable", "core" */
	char *soname;		 /* or NULL */
	char *interp;		 /* PT_INTERP, or NULL */
	struct ward_strv needed; /* DT_NEEDED in order */
	char machine[16];	 /* "x86-64", "aarch64", … */
};
/* sbom_elf_parse(data, len, what, out): 0 and out filled for an ELF file,
 * -1 with WARD_EINPUT for anything else or a malformed one. */
int sbom_elf_parse(const void *data, size_t len, const char *what, struct sbom_elf_info *out);
void sbom_elf_info_free(struct sbom_elf_info *e);

/* ---------------------------------------------------------- identifiers */

/* sbom_purl_encode(s, out): percent-encode for a purl (FORMATS.md). */
int sbom_purl_encode(const char *s, struct ward_buf *out);
/* sbom_pep503_name(name): normalised Python name, caller frees. */
char *sbom_pep503_name(const char *name);

#endif
