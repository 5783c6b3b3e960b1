/* evidence.c: the artifacts made from the built image — SBOMs, software
 * hash, license report, vulnerability report, VEX — and the provenance. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci/oci.h"
#include "release_internal.h"
#include "vuln/vuln.h"

static json_t *
sha_obj(const char *k1, const char *v1)
{
	return json_pack("{s:s}", k1, v1);
}

/* SBOMs, software hash and licenses: one catalog of the image. */
static int
sbom_artifacts(struct rel *x)
{
	struct sbom_opts so = {.threads = x->o->threads};
	uint64_t t0 = ward_now_ns();
	json_t *cdx = NULL, *spdx = NULL, *lic = NULL, *hash = NULL;
	char *manifest = NULL, *md = NULL, *csv = NULL, hex[SHA256_HEX_LEN + 1], dg[72];
	int rc = -1;

	if (sbom_catalog_image(x->ref, &so, &x->cat) != 0)
		goto out;
	if ((cdx = sbom_cyclonedx(x->cat)) == NULL || (spdx = sbom_spdx(x->cat)) == NULL ||
	    (lic = sbom_license_report(x->cat)) == NULL ||
	    (manifest = sbom_files_manifest(x->cat)) == NULL ||
	    (md = sbom_license_markdown(x->cat)) == NULL ||
	    (csv = sbom_license_csv(x->cat)) == NULL)
		goto out;
	if (rel_put_json(x, REL_SBOM_CDX, cdx, 1) != 0 ||
	    rel_put_json(x, REL_SBOM_SPDX, spdx, 1) != 0 ||
	    rel_put(x, REL_FILES_MANIFEST, manifest, strlen(manifest)) != 0 ||
	    rel_put_json(x, REL_LICENSES_JSON, lic, 1) != 0 ||
	    rel_put(x, REL_LICENSES_CSV, csv, strlen(csv)) != 0 ||
	    rel_put(x, REL_LICENSES_MD, md, strlen(md)) != 0)
		goto out;
	sha256_hex(manifest, strlen(manifest), hex);
	snprintf(dg, sizeof(dg), "sha256:%s", hex);
	hash = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:I}", "software_hash", "ward software hash v1",
			 "image", x->r->digest, "files_manifest", REL_FILES_MANIFEST,
			 "files_manifest_sha256", dg, "files", (json_int_t)x->cat->counts.files,
			 "entries", (json_int_t)x->cat->counts.entries, "bytes",
			 (json_int_t)x->cat->counts.bytes);
	if (hash == NULL || rel_put_json(x, REL_SOFTWARE_HASH, hash, 1) != 0)
		goto out;
	{
		size_t concluded = 0, listed = 0, total = 0;
		sbom_license_share(x->cat, &concluded, &listed, &total);
		json_object_set_new(x->summary, "licenses",
				    json_pack("{s:I,s:I,s:I}", "packages", (json_int_t)total,
					      "concluded", (json_int_t)concluded, "spdx_listed",
					      (json_int_t)listed));
		json_object_set_new(x->summary, "sbom",
				    json_pack("{s:I,s:I,s:I,s:I,s:I}", "components",
					      (json_int_t)x->cat->ncomps, "files",
					      (json_int_t)x->cat->counts.files, "unowned",
					      (json_int_t)x->cat->counts.unowned, "entries",
					      (json_int_t)x->cat->counts.entries, "bytes",
					      (json_int_t)x->cat->counts.bytes));
	}
	rc = 0;
out:
	release_log_step(&x->log, "sbom, software hash, licenses", t0, rc == 0,
			 sha_obj("image", x->r->digest),
			 rc == 0 ? json_pack("{s:s,s:s,s:s,s:s}", REL_SBOM_CDX,
					     rel_file_sha(x, REL_SBOM_CDX), REL_SBOM_SPDX,
					     rel_file_sha(x, REL_SBOM_SPDX), REL_FILES_MANIFEST,
					     rel_file_sha(x, REL_FILES_MANIFEST), REL_LICENSES_JSON,
					     rel_file_sha(x, REL_LICENSES_JSON))
				 : NULL,
			 NULL);
	json_decref(cdx);
	json_decref(spdx);
	json_decref(lic);
	json_decref(hash);
	free(manifest);
	free(md);
	free(csv);
	return rc;
}

/* Findings, then VEX with ELF evidence from an unpacked copy, applied. */
static int
vuln_artifacts(struct rel *x)
{
	struct vuln_db *db = NULL;
	struct vuln_pkglist pkgs = {0};
	struct vuln_report vr = {0};
	struct vuln_annotations *ann = NULL;
	struct vuln_vex *vex = NULL;
	struct oci_image *img = NULL;
	struct oci_unpack_opts uo = {.owners = 0};
	struct vuln_vex_opts vo = {0};
	struct vuln_runtime rt = {0};
	json_t *doc = NULL, *rep = NULL, *sarif = NULL;
	char *rootfs = ward_path_join(x->scratch, "rootfs"), *dbfile = NULL, dbsha[72] = "";
	char *table = NULL;
	size_t tlen = 0;
	uint64_t t0 = ward_now_ns();
	int rc = -1;
	FILE *mem;

	if (rootfs == NULL || (dbfile = ward_path_join(x->o->db, VULN_DB_FILE)) == NULL)
		goto out;
	if ((db = vuln_db_open(x->o->db, VULN_DB_READ)) == NULL ||
	    rel_digest_file(dbfile, dbsha) != 0 || vuln_pkglist_from_catalog(x->cat, &pkgs) != 0 ||
	    vuln_scan(db, &pkgs, &vr) != 0)
		goto log;
	release_log_step(&x->log, "vulnerability scan", t0, 1,
			 json_pack("{s:s,s:s}", "image", x->r->digest, "osv.sqlite", dbsha), NULL,
			 NULL);
	t0 = ward_now_ns();
	if ((img = oci_image_open(x->ref, NULL)) == NULL || oci_image_unpack(img, rootfs, &uo) != 0)
		goto log;
	/* what ward-init will execute: the entrypoint and the policy in the image */
	if (vuln_runtime_read(rootfs, img->cfg.root, x->r->digest, &rt) != 0)
		goto log;
	vo.runtime = &rt;
	if (x->o->annotations && (ann = vuln_annotations_load(x->o->annotations)) == NULL)
		goto log;
	if (ward_source_date_epoch(&vo.timestamp) != 1)
		vo.timestamp = (time_t)x->spec.source_date_epoch > 0
				       ? (time_t)x->spec.source_date_epoch
				       : time(NULL);
	vo.rootfs = rootfs;
	vo.annotations = ann;
	if (vuln_vex_generate(&vr, &pkgs, &vo, &doc) != 0 || rel_put_json(x, REL_VEX, doc, 1) != 0)
		goto log;
	/* the report carries each finding's VEX status */
	if ((vex = vuln_vex_new()) == NULL || vuln_vex_load_json(vex, doc, REL_VEX) != 0 ||
	    vuln_vex_apply(vex, &vr) != 0)
		goto log;
	if ((rep = vuln_report_json(&vr)) == NULL || (sarif = vuln_report_sarif(&vr)) == NULL ||
	    rel_put_json(x, REL_VULN_JSON, rep, 1) != 0 ||
	    rel_put_json(x, REL_VULN_SARIF, sarif, 1) != 0)
		goto log;
	if ((mem = open_memstream(&table, &tlen)) == NULL) {
		ward_errno(WARD_EENV, "open_memstream");
		goto log;
	}
	vuln_report_table(&vr, mem);
	fclose(mem);
	if (rel_put(x, REL_VULN_TXT, table, tlen) != 0)
		goto log;
	{
		size_t st[4] = {0}, fin[4], i;
		json_t *s;
		vuln_report_status_counts(&vr, fin);
		json_array_foreach(json_object_get(doc, "statements"), i, s)
		{
			const char *v = json_string_value(json_object_get(s, "status"));
			st[strcmp(v, "not_affected") == 0 ? 0
			   : strcmp(v, "affected") == 0	  ? 1
			   : strcmp(v, "fixed") == 0	  ? 2
							  : 3]++;
		}
		json_object_set_new(
			x->summary, "vulnerabilities",
			json_pack("{s:I,s:I,s:I,s:I,s:O,s:{s:I,s:I,s:I,s:I},s:{s:I,s:I,s:I,s:I}}",
				  "packages", (json_int_t)pkgs.n, "findings",
				  (json_int_t)vr.nfindings, "resolved", (json_int_t)vr.nresolved,
				  "suppressed", (json_int_t)vr.nsuppressed, "by_severity",
				  json_object_get(rep, "counts"), "vex", "not_affected",
				  (json_int_t)st[0], "affected", (json_int_t)st[1], "fixed",
				  (json_int_t)st[2], "under_investigation", (json_int_t)st[3],
				  "statuses", "affected", (json_int_t)fin[VULN_AFFECTED],
				  "under_investigation", (json_int_t)fin[VULN_UNDER_INVESTIGATION],
				  "fixed", (json_int_t)fin[VULN_FIXED], "not_affected",
				  (json_int_t)fin[VULN_NOT_AFFECTED]));
	}
	rc = 0;
log:
	release_log_step(&x->log, "VEX (reachability) and reports", t0, rc == 0,
			 json_pack("{s:s,s:s}", "image", x->r->digest, "osv.sqlite", dbsha),
			 rc == 0 ? json_pack("{s:s,s:s,s:s}", REL_VEX, rel_file_sha(x, REL_VEX),
					     REL_VULN_JSON, rel_file_sha(x, REL_VULN_JSON),
					     REL_VULN_SARIF, rel_file_sha(x, REL_VULN_SARIF))
				 : NULL,
			 ann ? "with reachability annotations" : "no reachability annotations");
out:
	if (rootfs != NULL) {
		struct ward_error saved;
		ward_err_save(&saved);
		ward_rm_rf(rootfs);
		ward_err_restore(&saved);
		if (rc == 0)
			ward_err_clear();
	}
	oci_image_close(img);
	json_decref(doc);
	json_decref(rep);
	json_decref(sarif);
	vuln_vex_free(vex);
	vuln_annotations_free(ann);
	vuln_runtime_free(&rt);
	vuln_report_free(&vr);
	vuln_pkglist_free(&pkgs);
	vuln_db_close(db);
	free(rootfs);
	free(dbfile);
	free(table);
	return rc;
}

int
rel_evidence(struct rel *x)
{
	return sbom_artifacts(x) == 0 && vuln_artifacts(x) == 0 ? 0 : -1;
}

int
rel_provenance(struct rel *x, const json_t *record)
{
	struct ward_strv inputs = {0};
	struct slsa_files sf = {0};
	json_t *pred = NULL, *st = NULL, *by = NULL;
	const char *rsha = rel_file_sha(x, REL_BUILD_RECORD);
	uint64_t t0 = ward_now_ns();
	int rc = -1;

	(void)record;
	for (size_t i = 0; i < x->spec.nfiles; i++)
		if (ward_strv_push(&inputs, x->spec.files[i].src) != 0)
			goto out;
	for (size_t i = 0; i < x->spec.nmodels; i++)
		if (ward_strv_push(&inputs, x->spec.models[i].src) != 0)
			goto out;
	if (x->o->init && ward_strv_push(&inputs, x->o->init) != 0)
		goto out;
	by = json_pack("[{s:s,s:{s:s}}]", "name", REL_BUILD_RECORD, "digest", "sha256",
		       rsha ? oci_digest_hex(rsha) : "");
	sf.spec_path = x->o->spec;
	sf.lock_path = x->lockpath;
	sf.inputs = &inputs;
	sf.started_on = sf.finished_on = -1;
	sf.byproducts = by;
	if ((pred = slsa_provenance_from_files(&sf)) == NULL ||
	    (st = intoto_statement(x->identity, oci_digest_hex(x->r->digest), PREDICATE_SLSA_V1,
				   pred)) == NULL ||
	    rel_put_json(x, REL_PROVENANCE, st, 1) != 0)
		goto out;
	release_log_step(&x->log, "provenance (SLSA v1)", t0, 1,
			 json_pack("{s:s,s:s}", "ward.yaml", x->spec_sha, "ward.lock", x->lock_sha),
			 json_pack("{s:s}", REL_PROVENANCE, rel_file_sha(x, REL_PROVENANCE)), NULL);
	rc = rel_attest(x, "provenance", PREDICATE_SLSA_V1, pred, REL_PROVENANCE);
out:
	ward_strv_free(&inputs);
	json_decref(pred);
	json_decref(st);
	json_decref(by);
	return rc;
}
