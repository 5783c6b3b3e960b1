/* cyclonedx.c: a catalog as CycloneDX 1.6 JSON (docs/formats/sbom.md). */
#include <stdlib.h>
#include <string.h>

#include "sbom/sbom_internal.h"

static const char *
cdx_type(const struct sbom_component *p)
{
	switch (p->kind) {
	case SBOM_KIND_MODEL:
		return "machine-learning-model";
	case SBOM_KIND_MODEL_FILE:
		return "file";
	case SBOM_KIND_WARD_INIT:
		return "application";
	case SBOM_KIND_ELF:
		return p->elf_type && strcmp(p->elf_type, "executable") == 0 ? "application"
									     : "library";
	default:
		return "library";
	}
}

static json_t *
prop(const char *name, const char *value)
{
	return json_pack("{s:s,s:s}", "name", name, "value", value);
}

static json_t *
hashes(const uint8_t *sha256, const uint8_t *sha1)
{
	char hex[SHA256_HEX_LEN + 1];
	json_t *a = json_array();

	if (sha1 != NULL) {
		ward_hex(sha1, 20, hex);
		json_array_append_new(a, json_pack("{s:s,s:s}", "alg", "SHA-1", "content", hex));
	}
	ward_hex(sha256, SHA256_LEN, hex);
	json_array_append_new(a, json_pack("{s:s,s:s}", "alg", "SHA-256", "content", hex));
	return a;
}

/* Concluded when there is one, else declared; nothing when neither. */
static json_t *
licenses(const struct sbom_license *l)
{
	const char *ack = "concluded", *e = l->concluded;

	if (e == NULL || strcmp(e, "NOASSERTION") == 0) {
		ack = "declared";
		e = l->declared;
	}
	if (e == NULL || strcmp(e, "NOASSERTION") == 0)
		return NULL;
	if (license_is_single_id(e) && strncmp(e, "LicenseRef-", 11) != 0 && !strchr(e, '+'))
		return json_pack("[{s:{s:s,s:s}}]", "license", "id", e, "acknowledgement", ack);
	return json_pack("[{s:s,s:s}]", "expression", e, "acknowledgement", ack);
}

static int
web_url(const char *s)
{
	return s && (ward_str_startswith(s, "https://") || ward_str_startswith(s, "http://")) &&
	       strpbrk(s, " \t\n\"<>\\^`{|}") == NULL;
}

static json_t *
properties(const struct sbom_catalog *c, const struct sbom_component *p)
{
	json_t *a = json_array();
	char *loc = ward_asprintf("/%s", p->location ? p->location : "");

	if (p->location && loc)
		json_array_append_new(a, prop("ward:location", loc));
	free(loc);
	if (p->layer >= 0 && (size_t)p->layer < c->nlayers)
		json_array_append_new(a, prop("ward:layer", c->layers[p->layer].diff_id));
	if (p->owner >= 0)
		json_array_append_new(a, prop("ward:owner", c->comps[p->owner].ref));
	if (p->license.source)
		json_array_append_new(a, prop("ward:license:source", p->license.source));
	if (p->license.declared && strcmp(p->license.declared, "NOASSERTION") != 0 &&
	    strcmp(p->license.declared, p->license.concluded) != 0)
		json_array_append_new(a, prop("ward:license:declared", p->license.declared));
	for (size_t i = 0; i + 1 < p->props.n; i += 2)
		json_array_append_new(a, prop(p->props.v[i], p->props.v[i + 1]));
	return a;
}

static json_t *
model_files(const struct sbom_component *p)
{
	json_t *a = json_array();

	for (size_t i = 0; i < p->nmodel_files; i++) {
		const struct sbom_model_file *f = &p->model_files[i];
		char *ref = ward_asprintf("%s#%s", p->ref, f->name);
		char *loc = f->path ? ward_asprintf("/%s", f->path) : NULL;
		json_t *fc = json_pack("{s:s,s:s,s:s}", "type", "file", "bom-ref", ref ? ref : "",
				       "name", f->name);
		json_t *pr = json_array();

		if (f->path) {
			json_object_set_new(fc, "hashes", hashes(f->sha256, f->sha1));
			json_array_append_new(pr, prop("ward:location", loc ? loc : ""));
		}
		json_array_append_new(pr,
				      prop("ward:model:file-matches", f->path == NULL ? "missing"
								      : f->matches    ? "true"
										      : "false"));
		json_object_set_new(fc, "properties", pr);
		json_array_append_new(a, fc);
		free(ref);
		free(loc);
	}
	return a;
}

static json_t *
component(const struct sbom_catalog *c, const struct sbom_component *p)
{
	json_t *j = json_pack("{s:s,s:s}", "type", cdx_type(p), "bom-ref", p->ref), *l;

	if (p->supplier)
		json_object_set_new(j, "supplier", json_pack("{s:s}", "name", p->supplier));
	json_object_set_new(j, "name", json_string(p->name));
	if (p->version)
		json_object_set_new(j, "version", json_string(p->version));
	if (p->summary)
		json_object_set_new(j, "description", json_string(p->summary));
	if (p->hashed)
		json_object_set_new(j, "hashes", hashes(p->sha256, NULL));
	if ((l = licenses(&p->license)) != NULL)
		json_object_set_new(j, "licenses", l);
	if (p->purl)
		json_object_set_new(j, "purl", json_string(p->purl));
	if (web_url(p->homepage))
		json_object_set_new(
			j, "externalReferences",
			json_pack("[{s:s,s:s}]", "type", "website", "url", p->homepage));
	json_object_set_new(j, "properties", properties(c, p));
	if (p->nmodel_files > 0)
		json_object_set_new(j, "components", model_files(p));
	return j;
}

static const char *
subject_ref(const struct sbom_catalog *c)
{
	return c->purl ? c->purl : "subject";
}

static json_t *
subject(const struct sbom_catalog *c)
{
	json_t *j = json_pack("{s:s,s:s,s:s}", "type", "container", "bom-ref", subject_ref(c),
			      "name", c->name),
	       *pr = json_array();
	char hex[SHA256_HEX_LEN + 1], *v;

	if (c->tag || c->digest)
		json_object_set_new(j, "version", json_string(c->tag ? c->tag : c->digest));
	if (c->digest && strncmp(c->digest, "sha256:", 7) == 0)
		json_object_set_new(
			j, "hashes",
			json_pack("[{s:s,s:s}]", "alg", "SHA-256", "content", c->digest + 7));
	if (c->purl)
		json_object_set_new(j, "purl", json_string(c->purl));
	if (c->digest)
		json_array_append_new(pr, prop("ward:image:digest", c->digest));
	for (size_t i = 0; i < c->nlayers; i++)
		json_array_append_new(pr, prop("ward:image:layer", c->layers[i].diff_id));
	ward_hex(c->manifest_sha256, SHA256_LEN, hex);
	if ((v = ward_asprintf("sha256:%s", hex)) != NULL)
		json_array_append_new(pr, prop("ward:files-manifest:sha256", v));
	free(v);
	if (c->distro)
		json_array_append_new(pr, prop("ward:distro", c->distro));
	json_object_set_new(j, "properties", pr);
	return j;
}

static json_t *
counts(const struct sbom_catalog *c)
{
	json_t *a = json_array();
	char buf[64];

#define COUNT(name, v)                                                                             \
	do {                                                                                       \
		snprintf(buf, sizeof(buf), "%zu", (size_t)(v));                                    \
		json_array_append_new(a, prop(name, buf));                                         \
	} while (0)
	COUNT("ward:completeness:files", c->counts.files);
	for (int k = 0; k <= SBOM_KIND_WARD_INIT; k++) {
		char name[64];
		snprintf(name, sizeof(name), "ward:completeness:owned:%s", sbom_kind_name(k));
		COUNT(name, c->counts.owned[k]);
	}
	COUNT("ward:completeness:unowned", c->counts.unowned);
#undef COUNT
	return a;
}

json_t *
sbom_cyclonedx(const struct sbom_catalog *c)
{
	json_t *doc, *comps = json_array(), *deps = json_array(), *top = json_array();
	char ts[32], uuid[37], hex[SHA256_HEX_LEN + 1], *name;

	sbom_timestamp(c, ts);
	ward_hex(c->manifest_sha256, SHA256_LEN, hex);
	name = ward_asprintf("cyclonedx:%s:%s:%lld:%s", c->digest ? c->digest : "-", hex,
			     (long long)c->epoch, WARD_VERSION);
	if (name == NULL)
		return NULL;
	sbom_uuid_v5(name, uuid);
	free(name);
	name = ward_asprintf("urn:uuid:%s", uuid);
	for (size_t i = 0; i < c->ncomps; i++) {
		const struct sbom_component *p = &c->comps[i];
		json_t *d = json_array();

		json_array_append_new(comps, component(c, p));
		for (size_t k = 0; k < p->ndeps; k++)
			json_array_append_new(d, json_string(c->comps[p->deps[k]].ref));
		json_array_append_new(deps, json_pack("{s:s,s:o}", "ref", p->ref, "dependsOn", d));
		if (p->owner < 0)
			json_array_append_new(top, json_string(p->ref));
	}
	json_array_insert_new(deps, 0,
			      json_pack("{s:s,s:o}", "ref", subject_ref(c), "dependsOn", top));
	doc = json_pack("{s:s,s:s,s:s,s:i,s:{s:s,s:{s:[{s:s,s:s,s:s}]},s:o,s:o},s:o,s:o}",
			"bomFormat", "CycloneDX", "specVersion", "1.6", "serialNumber",
			name ? name : "", "version", 1, "metadata", "timestamp", ts, "tools",
			"components", "type", "application", "name", "ward", "version",
			WARD_VERSION, "component", subject(c), "properties", counts(c),
			"components", comps, "dependencies", deps);
	free(name);
	if (doc == NULL)
		ward_err(WARD_EENV, "cannot build the CycloneDX document");
	return doc;
}
