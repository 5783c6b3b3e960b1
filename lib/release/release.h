/*
 * release: `ward release` — build, then the 11 artifacts of DESIGN.md,
 * signed and attached to the image, in one directory that appears whole
 * or not at all (docs/ward-release.md):
 *
 *   OUT/release.json          what the release holds: image digest, every
 *                             artifact file with its SHA-256, summaries
 *   OUT/image/                the OCI layout: image, signatures, attestations
 *   OUT/image.tar             docker-archive (with opts.docker_archive)
 *   OUT/artifacts/            the artifacts under stable names (below)
 *
 * Every artifact is attested about the image (lib/attest) and a "release
 * index" attestation lists the SHA-256 of every artifact file, so `ward
 * verify OUT --key PUB` checks all of them with the signature.  The
 * release is built in a temporary sibling of OUT and moved into place by
 * ward_dir_commit(): an interrupted release leaves the previous one
 * untouched, and a temporary tree without release.json is never a release.
 * Errors follow core.h.
 */
#ifndef WARD_RELEASE_H
#define WARD_RELEASE_H

#include "attest/attest.h"
#include "check/check.h"
#include "core/core.h"
#include "crypto/crypto.h"

/* Stable artifact file names (inside OUT/artifacts/). */
#define REL_SBOM_CDX "sbom.cdx.json"
#define REL_SBOM_SPDX "sbom.spdx.json"
#define REL_PROVENANCE "provenance.json"	      /* the in-toto statement */
#define REL_PROVENANCE_DSSE "provenance.intoto.jsonl" /* its signed DSSE envelope */
#define REL_BUILD_LOG "build-log.jsonl"
#define REL_BUILD_LOG_TXT "build-log.txt"
#define REL_BUILD_RECORD "build-record.json"
#define REL_TEST_JSON "test-report.json"
#define REL_TEST_JUNIT "test-report.junit.xml"
#define REL_VULN_JSON "vulnerabilities.json"
#define REL_VULN_SARIF "vulnerabilities.sarif.json"
#define REL_VULN_TXT "vulnerabilities.txt"
#define REL_VEX "vex.openvex.json"
#define REL_SIG_PAYLOAD "signature.payload.json" /* cosign simple-signing payload */
#define REL_SIG "signature.sig"			 /* base64 signature over it */
#define REL_SIG_BUNDLE "signature.sigstore.json" /* cosign v3 signature bundle */
#define REL_PUBKEY "signing.pub"
#define REL_BUNDLE "attestations.jsonl"
#define REL_FILES_MANIFEST "files.manifest"
#define REL_SOFTWARE_HASH "software-hash.json"
#define REL_LICENSES_JSON "licenses.json"
#define REL_LICENSES_CSV "licenses.csv"
#define REL_LICENSES_MD "licenses.md"
#define REL_INDEX "release.json"

/* ward's own predicate types (docs/ward-release.md). */
#define PREDICATE_WARD_BUILD_LOG "https://ward.dev/attestation/build-log/v1"
#define PREDICATE_WARD_SOFTWARE_HASH "https://ward.dev/attestation/software-hash/v1"
#define PREDICATE_WARD_RELEASE "https://ward.dev/attestation/release/v1"

struct release_opts {
	const char *spec;	    /* ward.yaml (required) */
	const char *lock;	    /* NULL: ward.lock beside the spec */
	const char *output;	    /* the release directory (required) */
	const char *cache;	    /* package/layer cache (deb_cache_dir) */
	const char *context;	    /* build context (build_opts.context), or NULL */
	const char *init;	    /* ward-init for /ward/init */
	const struct ward_key *key; /* private key: models, attestations, signatures */
	const char *db;		    /* OSV store (required) */
	const char *annotations;    /* VEX reachability annotations, or NULL */
	const char *tag;	    /* NULL: the spec's version */
	const char *repo_tag;	    /* docker-archive RepoTag, NULL: localhost/<name>:<tag> */
	int docker_archive;	    /* also write OUT/image.tar */
	int threads;
	int reproducible;	 /* rebuild without the layer cache and compare */
	int allow_test_failures; /* commit even when a required test check fails */
	struct check_opts test;	 /* the test matrix: its runtime and request options
				    (key, db, vex and policy are filled in) */
	check_policy_fn policy;	 /* ward-init's policy reader */
};

struct release_result {
	char digest[72]; /* the image manifest digest */
	char *tag;
	size_t files;		    /* artifact files written */
	size_t attestations;	    /* attestations in the bundle */
	size_t tests_failed;	    /* required test checks that failed */
	size_t tests, tests_passed; /* all checks, passed ones */
	int reproducible;	    /* -1 not checked, 0 differs, 1 same digest */
	double seconds;
	json_t *index; /* release.json (owned) */
};

/* release_run(o, r): the whole release.  0 when OUT holds the new release
 * (r->digest its image).  -1 when anything failed (a required test check:
 * WARD_EVERIFY), leaving OUT as it was.  Release r with
 * release_result_free() in every case. */
int release_run(const struct release_opts *o, struct release_result *r);
void release_result_free(struct release_result *r);

/* release_is_dir(path): 1 when path is a release directory (release.json). */
int release_is_dir(const char *path);

/* ------------------------------------------------------------ rebuild */

/* release_rebuild: the verify_rebuild_fn of `ward verify --rebuild`
 * (ctx: struct release_rebuild).  Checks that ward.yaml, ward.lock and
 * ward-init are the files the provenance was made from (WARD_EVERIFY
 * naming the one that differs), then builds offline, without the layer
 * cache, in a scratch directory of the cache, and returns the manifest
 * digest in digest.  The models' model.sig must be present and verify
 * (with their key:, else ctx->key); nothing is signed. */
struct release_rebuild {
	const char *spec;	    /* ward.yaml; NULL: the provenance's */
	const char *lock;	    /* ward.lock; NULL: the provenance's, else beside ward.yaml */
	const char *init;	    /* ward-init; NULL: the provenance's */
	const char *cache;	    /* NULL: deb_cache_dir(NULL) */
	const struct ward_key *key; /* verifies models that name no key: of their own */
	int threads;		    /* 0: every CPU (never changes the result) */
};
int release_rebuild(void *ctx, const json_t *provenance, char digest[OCI_DIGEST_LEN + 1]);

/* release_verify(dir, key, threads, rebuild, out): verify a release: the
 * image and every attestation and signature (attest_verify_image with the
 * bundle and every artifact's predicate type required, SBOMs against a
 * fresh catalog), the signature files, and every artifact file against the
 * SHA-256 the signed release index lists; with rebuild (NULL: none), also
 * the image built again from its signed provenance (release_rebuild; its
 * key defaults to key).  0 when all hold; -1 with WARD_EVERIFY
 * naming the first broken link.  *out (may be NULL) receives
 * {"release","image","verified","checks":[{subject,status,detail}],
 * "verify":<verify_report_json>}; caller decrefs. */
int release_verify(const char *dir, const struct ward_key *key, int threads,
		   const struct release_rebuild *rebuild, json_t **out);

/* ------------------------------------------------------------ build log */

/* The build log: one JSON object per step ({"step","started","seconds",
 * "result","inputs":{name:"sha256:…"},"outputs":{…},"detail"}), written as
 * JSON lines and as a table for people. */
struct release_log {
	json_t *steps; /* array */
};
/* release_log_step(log, name, t0_ns, ok, inputs, outputs, detail): append
 * one step that started at monotonic t0_ns and ends now (inputs/outputs
 * are stolen; either may be NULL). */
int release_log_step(struct release_log *log, const char *name, uint64_t t0_ns, int ok,
		     json_t *inputs, json_t *outputs, const char *detail);
char *release_log_jsonl(const struct release_log *log);
char *release_log_text(const struct release_log *log);
void release_log_free(struct release_log *log);

#endif
