/* report.c: the license report (JSON, Markdown, CSV), the summary, and
 * the output directory with every artifact. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "sbom/sbom_internal.h"

void
sbom_uuid_v5(const char *name, char out[37])
{
	/* ward's namespace: the first 16 bytes of SHA-256("ward sbom"). */
	uint8_t ns[SHA256_LEN], h[EVP_MAX_MD_SIZE];
	unsigned int hl = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	sha256("ward sbom", 9, ns);
	memset(h, 0, sizeof(h));
	if (md && EVP_DigestInit_ex(md, EVP_sha1(), NULL)) {
		EVP_DigestUpdate(md, ns, 16);
		EVP_DigestUpdate(md, name, strlen(name));
		EVP_DigestFinal_ex(md, h, &hl);
	}
	EVP_MD_CTX_free(md);
	h[6] = (uint8_t)((h[6] & 0x0f) | 0x50);
	h[8] = (uint8_t)((h[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12],
		 h[13], h[14], h[15]);
}

void
sbom_timestamp(const struct sbom_catalog *c, char out[32])
{
	ward_time_rfc3339(c->epoch, out);
}

static int
is_package(const struct sbom_component *p)
{
	return p->kind == SBOM_KIND_DEB || p->kind == SBOM_KIND_PYTHON;
}

static int
concluded(const struct sbom_component *p)
{
	return p->license.concluded && strcmp(p->license.concluded, "NOASSERTION") != 0;
}

void
sbom_license_share(const struct sbom_catalog *c, size_t *yes, size_t *listed, size_t *total)
{
	size_t l = 0;

	*yes = *total = 0;
	for (size_t i = 0; i < c->ncomps; i++)
		if (is_package(&c->comps[i])) {
			(*total)++;
			if (concluded(&c->comps[i])) {
				(*yes)++;
				l += strstr(c->comps[i].license.concluded, "LicenseRef-") == NULL;
			}
		}
	if (listed)
		*listed = l;
}

static char *
share_text(size_t yes, size_t total)
{
	return total ? ward_asprintf("%.1f%%", 100.0 * (double)yes / (double)total)
		     : ward_strdup("n/a");
}

/* Licenses in the order the report groups them: concluded expressions
 * sorted, NOASSERTION last.  Returns a sorted unique list. */
static int
license_groups(const struct sbom_catalog *c, struct ward_strv *out)
{
	for (size_t i = 0; i < c->ncomps; i++) {
		const char *l = c->comps[i].license.concluded;
		if (l && strcmp(l, "NOASSERTION") != 0 && !ward_strv_contains(out, l) &&
		    ward_strv_push(out, l) != 0)
			return -1;
	}
	ward_strv_sort(out);
	return ward_strv_push(out, "NOASSERTION");
}

static const char *
subject_id(const struct sbom_catalog *c)
{
	return c->digest ? c->digest : c->name;
}

json_t *
sbom_license_report(const struct sbom_catalog *c)
{
	struct ward_strv groups = {0};
	json_t *comps = json_array(), *by = json_array(), *doc = NULL;
	size_t yes, listed, total;
	char *share;

	if (license_groups(c, &groups) != 0)
		goto out;
	for (size_t i = 0; i < c->ncomps; i++) {
		const struct sbom_component *p = &c->comps[i];
		json_t *found = json_array();
		for (size_t k = 0; k < p->license.found.n; k++)
			json_array_append_new(found, json_string(p->license.found.v[k]));
		json_t *j = json_pack("{s:s,s:s,s:s}", "bom-ref", p->ref, "kind",
				      sbom_kind_name(p->kind), "name", p->name);
		if (p->version)
			json_object_set_new(j, "version", json_string(p->version));
		if (p->purl)
			json_object_set_new(j, "purl", json_string(p->purl));
		json_object_set_new(j, "concluded", json_string(p->license.concluded));
		json_object_set_new(j, "declared", json_string(p->license.declared));
		json_object_set_new(j, "source", json_string(p->license.source));
		json_object_set_new(j, "found", found);
		json_array_append_new(comps, j);
	}
	for (size_t g = 0; g < groups.n; g++) {
		json_t *refs = json_array();
		for (size_t i = 0; i < c->ncomps; i++)
			if (strcmp(c->comps[i].license.concluded, groups.v[g]) == 0)
				json_array_append_new(refs, json_string(c->comps[i].ref));
		if (json_array_size(refs) == 0) {
			json_decref(refs);
			continue;
		}
		json_array_append_new(by, json_pack("{s:s,s:I,s:o}", "license", groups.v[g],
						    "count", (json_int_t)json_array_size(refs),
						    "components", refs));
	}
	sbom_license_share(c, &yes, &listed, &total);
	share = share_text(yes, total);
	doc = json_pack("{s:s,s:s,s:{s:I,s:I,s:I,s:s,s:I},s:o,s:o}", "subject", c->name,
			"subject_id", subject_id(c), "summary", "packages", (json_int_t)total,
			"packages_concluded", (json_int_t)yes, "packages_concluded_spdx_listed",
			(json_int_t)listed, "concluded_share", share ? share : "", "components",
			(json_int_t)c->ncomps, "by_license", by, "components", comps);
	free(share);
	by = comps = NULL;
out:
	json_decref(by);
	json_decref(comps);
	ward_strv_free(&groups);
	return doc;
}

/* Markdown table cells: no pipes or newlines. */
static int
md_cell(struct ward_buf *b, const char *s)
{
	for (; s && *s; s++) {
		int rc = *s == '|'    ? ward_buf_puts(b, "\\|")
			 : *s == '\n' ? ward_buf_puts(b, " ")
				      : ward_buf_append(b, s, 1);
		if (rc != 0)
			return -1;
	}
	return 0;
}

char *
sbom_license_markdown(const struct sbom_catalog *c)
{
	struct ward_buf b = {0};
	struct ward_strv groups = {0};
	size_t yes, listed, total;
	char *share;

	sbom_license_share(c, &yes, &listed, &total);
	share = share_text(yes, total);
	if (share == NULL || license_groups(c, &groups) != 0 ||
	    ward_buf_printf(&b,
			    "# License report: %s\n\n"
			    "%zu of %zu packages (Debian and Python) have a concluded SPDX "
			    "license (%s), %zu of them with SPDX License List ids only; %zu "
			    "components in all.\n"
			    "NOASSERTION means the metadata does not let ward conclude a license "
			    "honestly.\n\n## By license\n\n| License (concluded) | Count | "
			    "Components |\n|---|---:|---|\n",
			    c->name, yes, total, share, listed, c->ncomps) != 0)
		goto fail;
	for (size_t g = 0; g < groups.n; g++) {
		size_t n = 0;
		struct ward_buf names = {0};
		for (size_t i = 0; i < c->ncomps; i++)
			if (strcmp(c->comps[i].license.concluded, groups.v[g]) == 0) {
				if ((n++ && ward_buf_puts(&names, ", ") != 0) ||
				    md_cell(&names, c->comps[i].name) != 0) {
					ward_buf_free(&names);
					goto fail;
				}
			}
		if (n > 0 && (ward_buf_puts(&b, "| ") != 0 || md_cell(&b, groups.v[g]) != 0 ||
			      ward_buf_printf(&b, " | %zu | %s |\n", n,
					      names.data ? ward_buf_cstr(&names) : "") != 0)) {
			ward_buf_free(&names);
			goto fail;
		}
		ward_buf_free(&names);
	}
	if (ward_buf_puts(&b, "\n## Components\n\n| Kind | Name | Version | Concluded | Declared "
			      "| Source |\n|---|---|---|---|---|---|\n") != 0)
		goto fail;
	for (size_t i = 0; i < c->ncomps; i++) {
		const struct sbom_component *p = &c->comps[i];
		if (ward_buf_printf(&b, "| %s | ", sbom_kind_name(p->kind)) != 0 ||
		    md_cell(&b, p->name) != 0 || ward_buf_puts(&b, " | ") != 0 ||
		    md_cell(&b, p->version ? p->version : "") != 0 ||
		    ward_buf_puts(&b, " | ") != 0 || md_cell(&b, p->license.concluded) != 0 ||
		    ward_buf_puts(&b, " | ") != 0 || md_cell(&b, p->license.declared) != 0 ||
		    ward_buf_puts(&b, " | ") != 0 || md_cell(&b, p->license.source) != 0 ||
		    ward_buf_puts(&b, " |\n") != 0)
			goto fail;
	}
	free(share);
	ward_strv_free(&groups);
	return ward_buf_steal(&b);
fail:
	free(share);
	ward_strv_free(&groups);
	ward_buf_free(&b);
	return NULL;
}

/* RFC 4180: quote fields holding a comma, quote or line break. */
static int
csv_cell(struct ward_buf *b, const char *s, int last)
{
	int rc;

	s = s ? s : "";
	if (strpbrk(s, ",\"\r\n") == NULL) {
		rc = ward_buf_puts(b, s);
	} else {
		rc = ward_buf_puts(b, "\"");
		for (; rc == 0 && *s; s++)
			rc = *s == '"' ? ward_buf_puts(b, "\"\"") : ward_buf_append(b, s, 1);
		rc = rc ? rc : ward_buf_puts(b, "\"");
	}
	return rc ? rc : ward_buf_puts(b, last ? "\r\n" : ",");
}

char *
sbom_license_csv(const struct sbom_catalog *c)
{
	struct ward_buf b = {0};

	if (ward_buf_puts(&b, "kind,name,version,purl,concluded,declared,source,bom-ref\r\n"))
		goto fail;
	for (size_t i = 0; i < c->ncomps; i++) {
		const struct sbom_component *p = &c->comps[i];
		if (csv_cell(&b, sbom_kind_name(p->kind), 0) || csv_cell(&b, p->name, 0) ||
		    csv_cell(&b, p->version, 0) || csv_cell(&b, p->purl, 0) ||
		    csv_cell(&b, p->license.concluded, 0) || csv_cell(&b, p->license.declared, 0) ||
		    csv_cell(&b, p->license.source, 0) || csv_cell(&b, p->ref, 1))
			goto fail;
	}
	return ward_buf_steal(&b);
fail:
	ward_buf_free(&b);
	return NULL;
}

json_t *
sbom_summary(const struct sbom_catalog *c)
{
	json_t *owned = json_object(), *kinds = json_object(), *un = json_array();
	json_t *warn = json_array(), *doc;
	char hex[SHA256_HEX_LEN + 1], ts[32], *manifest, *share;
	size_t yes, listed, total, nkind[SBOM_KIND_WARD_INIT + 1] = {0};

	for (size_t i = 0; i < c->ncomps; i++)
		nkind[c->comps[i].kind]++;
	for (int k = 0; k <= SBOM_KIND_WARD_INIT; k++) {
		json_object_set_new(owned, sbom_kind_name(k),
				    json_integer((json_int_t)c->counts.owned[k]));
		json_object_set_new(kinds, sbom_kind_name(k), json_integer((json_int_t)nkind[k]));
	}
	for (size_t i = 0; i < c->counts.unowned; i++) {
		char *p = ward_asprintf("/%s", c->fs.files[c->unowned[i]].path);
		json_array_append_new(un, json_string(p ? p : ""));
		free(p);
	}
	for (size_t i = 0; i < c->warnings.n; i++)
		json_array_append_new(warn, json_string(c->warnings.v[i]));
	ward_hex(c->manifest_sha256, SHA256_LEN, hex);
	manifest = ward_asprintf("sha256:%s", hex);
	sbom_timestamp(c, ts);
	sbom_license_share(c, &yes, &listed, &total);
	share = share_text(yes, total);
	doc = json_pack("{s:s,s:o,s:o,s:s,s:{s:o,s:s},s:{s:I,s:I,s:I,s:o,s:I,s:I,s:I,s:b},"
			"s:o,s:{s:I,s:I,s:I,s:s},s:o,s:o}",
			"subject", c->name, "image_digest",
			c->digest ? json_string(c->digest) : json_null(), "distro",
			c->distro ? json_string(c->distro) : json_null(), "timestamp", ts,
			"software_hash", "image", c->digest ? json_string(c->digest) : json_null(),
			"files_manifest", manifest ? manifest : "", "completeness", "entries",
			(json_int_t)c->counts.entries, "files", (json_int_t)c->counts.files,
			"bytes", (json_int_t)c->counts.bytes, "owned", owned, "derived",
			(json_int_t)c->counts.derived, "shared", (json_int_t)c->counts.shared,
			"unowned", (json_int_t)c->counts.unowned, "complete",
			c->counts.unowned == 0, "components", kinds, "licenses", "packages",
			(json_int_t)total, "packages_concluded", (json_int_t)yes,
			"packages_concluded_spdx_listed", (json_int_t)listed, "concluded_share",
			share ? share : "", "unowned_files", un, "warnings", warn);
	free(manifest);
	free(share);
	return doc;
}

/* What an SBOM directory holds (the summary, written last, is its marker):
 * a directory with anything else was not written by ward sbom. */
static const char *const sbom_dir_names[] = {
	SBOM_SUMMARY_FILE,	  SBOM_CYCLONEDX_FILE,	 SBOM_SPDX_FILE,
	SBOM_LICENSES_JSON_FILE,  SBOM_LICENSES_MD_FILE, SBOM_LICENSES_CSV_FILE,
	SBOM_FILES_MANIFEST_FILE, SBOM_OWNERS_FILE,	 NULL};

int
sbom_write_dir(const struct sbom_catalog *c, const char *dir)
{
	struct ward_outdir *o = ward_outdir_begin(dir, sbom_dir_names, 0755, 0);
	char *p = NULL, *text = NULL;
	const char *tmp;
	json_t *j = NULL;
	int rc = -1;

	if (o == NULL)
		return -1;
	tmp = ward_outdir_tmp(o);
#define JSON_OUT(name, expr)                                                                       \
	do {                                                                                       \
		if ((j = (expr)) == NULL || (p = ward_path_join(tmp, name)) == NULL ||             \
		    ward_json_write_file(p, j, 1) != 0)                                            \
			goto out;                                                                  \
		json_decref(j), j = NULL;                                                          \
		free(p), p = NULL;                                                                 \
	} while (0)
#define TEXT_OUT(name, expr)                                                                       \
	do {                                                                                       \
		if ((text = (expr)) == NULL || (p = ward_path_join(tmp, name)) == NULL ||          \
		    ward_file_write(p, text, strlen(text), 0644) != 0)                             \
			goto out;                                                                  \
		free(text), text = NULL;                                                           \
		free(p), p = NULL;                                                                 \
	} while (0)
	JSON_OUT(SBOM_CYCLONEDX_FILE, sbom_cyclonedx(c));
	JSON_OUT(SBOM_SPDX_FILE, sbom_spdx(c));
	JSON_OUT(SBOM_LICENSES_JSON_FILE, sbom_license_report(c));
	JSON_OUT(SBOM_SUMMARY_FILE, sbom_summary(c));
	TEXT_OUT(SBOM_LICENSES_MD_FILE, sbom_license_markdown(c));
	TEXT_OUT(SBOM_LICENSES_CSV_FILE, sbom_license_csv(c));
	TEXT_OUT(SBOM_FILES_MANIFEST_FILE, sbom_files_manifest(c));
	TEXT_OUT(SBOM_OWNERS_FILE, sbom_file_owners(c));
#undef JSON_OUT
#undef TEXT_OUT
	rc = ward_outdir_commit(o);
	o = NULL;
out:
	ward_outdir_abort(o);
	json_decref(j);
	free(text);
	free(p);
	return rc;
}
