/* spdx.c: a catalog as SPDX 2.3 JSON (docs/formats/sbom.md). */
#include <stdlib.h>
#include <string.h>

#include "sbom/sbom_internal.h"

/* SPDXRef-<kind>-<name, sanitised>-<16 hex of SHA-256(key)>: stable and unique. */
static char *
spdx_id(const char *kind, const char *name, const char *key)
{
	char hex[SHA256_HEX_LEN + 1];
	struct ward_buf b = {0};

	sha256_hex(key, strlen(key), hex);
	if (ward_buf_printf(&b, "SPDXRef-%s-", kind) != 0)
		goto fail;
	for (const char *p = name; *p && b.len < 80; p++) {
		char ch = ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			   (*p >= '0' && *p <= '9') || *p == '.')
				  ? *p
				  : '-';
		if (ward_buf_append(&b, &ch, 1) != 0)
			goto fail;
	}
	if (ward_buf_printf(&b, "-%.16s", hex) != 0)
		goto fail;
	return ward_buf_steal(&b);
fail:
	ward_buf_free(&b);
	return NULL;
}

static const char *
purpose(const struct sbom_component *p)
{
	switch (p->kind) {
	case SBOM_KIND_MODEL:
		return "OTHER";
	case SBOM_KIND_MODEL_FILE:
		return "FILE";
	case SBOM_KIND_WARD_INIT:
		return "APPLICATION";
	case SBOM_KIND_ELF:
		return p->elf_type && strcmp(p->elf_type, "executable") == 0 ? "APPLICATION"
									     : "LIBRARY";
	default:
		return "LIBRARY";
	}
}

static json_t *
relationship(const char *a, const char *type, const char *b)
{
	return json_pack("{s:s,s:s,s:s}", "spdxElementId", a, "relationshipType", type,
			 "relatedSpdxElement", b);
}

static int
web_url(const char *s)
{
	return s && (ward_str_startswith(s, "https://") || ward_str_startswith(s, "http://")) &&
	       strpbrk(s, " \t\n\"<>\\^`{|}") == NULL;
}

/* "Name <mail>" -> "Person: Name (mail)" (SPDX's form); teams and
 * projects are Organizations. */
static char *
supplier(const char *who)
{
	static const char *org[] = {"Team",  "Maintainers", "Developers", "Project",
				    "Group", "lists.",	    "Foundation"};
	const char *lt = strchr(who, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	const char *kind = "Person";
	size_t nlen = lt ? (size_t)(lt - who) : strlen(who);
	char *s;

	for (size_t i = 0; i < sizeof(org) / sizeof(*org); i++)
		if (strstr(who, org[i]) != NULL)
			kind = "Organization";
	while (nlen > 0 && who[nlen - 1] == ' ')
		nlen--;
	if (lt && gt)
		s = ward_asprintf("%s: %.*s (%.*s)", kind, (int)nlen, who, (int)(gt - lt - 1),
				  lt + 1);
	else
		s = ward_asprintf("%s: %.*s", kind, (int)nlen, who);
	for (char *q = s; q && *q; q++)
		if (*q == '\n' || *q == '\t')
			*q = ' ';
	return s;
}

static json_t *
package(const struct sbom_catalog *c, const struct sbom_component *p, const char *id)
{
	json_t *j = json_pack("{s:s,s:s}", "SPDXID", id, "name", p->name);
	char hex[SHA256_HEX_LEN + 1], *s;

	if (p->version)
		json_object_set_new(j, "versionInfo", json_string(p->version));
	if (p->supplier && (s = supplier(p->supplier)) != NULL) {
		json_object_set_new(j, "supplier", json_string(s));
		free(s);
	}
	{
		/* A wheel's archive URL (PEP 610/710 in its dist-info). */
		const char *url = NULL;
		for (size_t i = 0; i + 1 < p->props.n; i += 2)
			if (strcmp(p->props.v[i], "ward:python:archive") == 0)
				url = p->props.v[i + 1];
		int web = url &&
			  (strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0);
		json_object_set_new(j, "downloadLocation", json_string(web ? url : "NOASSERTION"));
	}
	json_object_set_new(j, "filesAnalyzed", json_false());
	if (p->hashed) {
		ward_hex(p->sha256, SHA256_LEN, hex);
		json_object_set_new(
			j, "checksums",
			json_pack("[{s:s,s:s}]", "algorithm", "SHA256", "checksumValue", hex));
	}
	if (web_url(p->homepage))
		json_object_set_new(j, "homepage", json_string(p->homepage));
	if (p->location &&
	    (p->kind == SBOM_KIND_ELF || p->kind == SBOM_KIND_MODEL_FILE ||
	     p->kind == SBOM_KIND_WARD_INIT) &&
	    (s = ward_asprintf("./%s", p->location)) != NULL) {
		json_object_set_new(j, "packageFileName", json_string(s));
		free(s);
	}
	if (p->kind == SBOM_KIND_DEB &&
	    (s = ward_asprintf("built package from: %s %s", p->source, p->source_version))) {
		json_object_set_new(j, "sourceInfo", json_string(s));
		free(s);
	}
	json_object_set_new(j, "licenseConcluded", json_string(p->license.concluded));
	json_object_set_new(j, "licenseDeclared", json_string(p->license.declared));
	json_object_set_new(j, "copyrightText", json_string("NOASSERTION"));
	if (p->summary)
		json_object_set_new(j, "summary", json_string(p->summary));
	if (p->purl)
		json_object_set_new(j, "externalRefs",
				    json_pack("[{s:s,s:s,s:s}]", "referenceCategory",
					      "PACKAGE-MANAGER", "referenceType", "purl",
					      "referenceLocator", p->purl));
	json_object_set_new(j, "primaryPackagePurpose", json_string(purpose(p)));
	if ((s = ward_asprintf("bom-ref %s%s%s", p->ref, p->location ? "; location /" : "",
			       p->location ? p->location : "")) != NULL) {
		json_object_set_new(j, "comment", json_string(s));
		free(s);
	}
	(void)c;
	return j;
}

static json_t *
subject(const struct sbom_catalog *c, const char *id)
{
	json_t *j = json_pack("{s:s,s:s}", "SPDXID", id, "name", c->name);

	if (c->tag || c->digest)
		json_object_set_new(j, "versionInfo", json_string(c->tag ? c->tag : c->digest));
	json_object_set_new(j, "downloadLocation", json_string("NOASSERTION"));
	json_object_set_new(j, "filesAnalyzed", json_false());
	if (c->digest && strncmp(c->digest, "sha256:", 7) == 0)
		json_object_set_new(j, "checksums",
				    json_pack("[{s:s,s:s}]", "algorithm", "SHA256", "checksumValue",
					      c->digest + 7));
	json_object_set_new(j, "licenseConcluded", json_string("NOASSERTION"));
	json_object_set_new(j, "licenseDeclared", json_string("NOASSERTION"));
	json_object_set_new(j, "copyrightText", json_string("NOASSERTION"));
	if (c->purl)
		json_object_set_new(j, "externalRefs",
				    json_pack("[{s:s,s:s,s:s}]", "referenceCategory",
					      "PACKAGE-MANAGER", "referenceType", "purl",
					      "referenceLocator", c->purl));
	json_object_set_new(j, "primaryPackagePurpose", json_string("CONTAINER"));
	return j;
}

/* hasExtractedLicensingInfos: every LicenseRef used, once, first text wins. */
static int
extracted(const struct sbom_catalog *c, json_t *out)
{
	struct ward_strv seen = {0};

	for (size_t i = 0; i < c->ncomps; i++) {
		const struct sbom_license *l = &c->comps[i].license;
		for (size_t k = 0; k + 1 < l->texts.n; k += 2) {
			const char *ref = l->texts.v[k];
			const char *d = l->declared ? strstr(l->declared, ref) : NULL;
			size_t n = strlen(ref);
			/* Only refs the expression uses (a whole token). */
			if (d == NULL || (d[n] && d[n] != ' ' && d[n] != ')'))
				continue;
			if (ward_strv_contains(&seen, ref))
				continue;
			if (ward_strv_push(&seen, ref) != 0) {
				ward_strv_free(&seen);
				return -1;
			}
			json_array_append_new(out, json_pack("{s:s,s:s,s:s}", "licenseId", ref,
							     "extractedText", l->texts.v[k + 1],
							     "name", ref + 11));
		}
	}
	ward_strv_free(&seen);
	return 0;
}

json_t *
sbom_spdx(const struct sbom_catalog *c)
{
	json_t *doc = NULL, *pkgs = json_array(), *files = json_array(), *rels = json_array();
	json_t *lic = json_array();
	char ts[32], uuid[37], hex[SHA256_HEX_LEN + 1], *name = NULL, *ns = NULL, *creator = NULL;
	char **ids = ward_calloc(c->ncomps + 1, sizeof(char *));
	char *subj = spdx_id("Image", c->name, c->digest ? c->digest : c->name);

	if (ids == NULL || subj == NULL)
		goto out;
	sbom_timestamp(c, ts);
	ward_hex(c->manifest_sha256, SHA256_LEN, hex);
	if ((name = ward_asprintf("spdx:%s:%s:%lld:%s", c->digest ? c->digest : "-", hex,
				  (long long)c->epoch, WARD_VERSION)) == NULL)
		goto out;
	sbom_uuid_v5(name, uuid);
	/* documentNamespace: unique per document, derived from its content. */
	{
		struct ward_buf b = {0};
		if (ward_buf_puts(&b, "https://spdx.org/spdxdocs/ward-sbom/") != 0 ||
		    sbom_purl_encode(c->name, &b) != 0 || ward_buf_printf(&b, "-%s", uuid) != 0) {
			ward_buf_free(&b);
			goto out;
		}
		ns = ward_buf_steal(&b);
	}
	creator = ward_asprintf("Tool: ward-%s", WARD_VERSION);
	if (ns == NULL || creator == NULL)
		goto out;
	for (size_t i = 0; i < c->ncomps; i++)
		if ((ids[i] = spdx_id("Package", c->comps[i].name, c->comps[i].ref)) == NULL)
			goto out;
	json_array_append_new(pkgs, subject(c, subj));
	json_array_append_new(rels, relationship("SPDXRef-DOCUMENT", "DESCRIBES", subj));
	for (size_t i = 0; i < c->ncomps; i++) {
		const struct sbom_component *p = &c->comps[i];

		json_array_append_new(pkgs, package(c, p, ids[i]));
		json_array_append_new(rels, relationship(p->owner >= 0 ? ids[p->owner] : subj,
							 "CONTAINS", ids[i]));
		for (size_t k = 0; k < p->ndeps; k++) {
			size_t d = p->deps[k];
			if (c->comps[d].owner == (ssize_t)i)
				continue; /* CONTAINS, said above */
			json_array_append_new(rels, relationship(ids[i], "DEPENDS_ON", ids[d]));
		}
		for (size_t k = 0; k < p->nmodel_files; k++) {
			const struct sbom_model_file *f = &p->model_files[k];
			char *key, *fid, *fname, h1[41], h256[SHA256_HEX_LEN + 1];
			if (f->path == NULL)
				continue;
			key = ward_asprintf("%s#%s", p->ref, f->name);
			fid = key ? spdx_id("File", f->name, key) : NULL;
			fname = ward_asprintf("./%s", f->path);
			if (fid && fname) {
				ward_hex(f->sha1, 20, h1);
				ward_hex(f->sha256, SHA256_LEN, h256);
				json_array_append_new(
					files,
					json_pack("{s:s,s:s,s:[{s:s,s:s},{s:s,s:s}],s:s,s:s}",
						  "SPDXID", fid, "fileName", fname, "checksums",
						  "algorithm", "SHA1", "checksumValue", h1,
						  "algorithm", "SHA256", "checksumValue", h256,
						  "licenseConcluded", "NOASSERTION",
						  "copyrightText", "NOASSERTION"));
				json_array_append_new(rels, relationship(ids[i], "CONTAINS", fid));
			}
			free(key), free(fid), free(fname);
		}
	}
	if (extracted(c, lic) != 0)
		goto out;
	doc = json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:s,s:[s]}}", "spdxVersion", "SPDX-2.3",
			"dataLicense", "CC0-1.0", "SPDXID", "SPDXRef-DOCUMENT", "name", c->name,
			"documentNamespace", ns, "creationInfo", "created", ts, "creators",
			creator);
	if (doc == NULL)
		goto out;
	json_object_set(doc, "packages", pkgs);
	if (json_array_size(files) > 0)
		json_object_set(doc, "files", files);
	if (json_array_size(lic) > 0)
		json_object_set(doc, "hasExtractedLicensingInfos", lic);
	json_object_set(doc, "relationships", rels);
out:
	if (doc == NULL)
		ward_err(WARD_EENV, "cannot build the SPDX document");
	for (size_t i = 0; ids && i < c->ncomps; i++)
		free(ids[i]);
	free(ids);
	free(subj), free(name), free(ns), free(creator);
	json_decref(pkgs), json_decref(files), json_decref(rels), json_decref(lic);
	return doc;
}
