/*
 * vex.c: OpenVEX documents read and applied to a scan report with go-vex's
 * matching (pkg/vex: Statement.Matches, Product.Matches, Component.Matches,
 * PurlMatches): the vulnerability by name, @id or alias; the product by
 * @id, a purl that is as general as the package's, an identifier or a
 * hash; subcomponents when the product names the scanned image.  The
 * latest statement (its timestamp, else its document's) decides.
 */
#include <stdlib.h>
#include <string.h>

#include "vuln/vuln_internal.h"

#define MAX_VEX_BYTES (64u << 20)

struct vex_component {
	char *id;
	struct ward_strv identifiers; /* values of identifiers{} */
	struct ward_strv purls;	      /* identifiers.purl */
	struct ward_strv hashes;
};

struct vex_product {
	struct vex_component c;
	struct vex_component *sub;
	size_t nsub;
};

struct vex_stmt {
	char *name, *vid;
	struct ward_strv aliases;
	struct vex_product *products;
	size_t nproducts;
	char *status, *justification, *impact, *action, *source;
	char when[40];
	size_t order;
};

struct vuln_vex {
	struct vex_stmt *s;
	size_t n;
};

static void
component_free(struct vex_component *c)
{
	free(c->id);
	ward_strv_free(&c->identifiers);
	ward_strv_free(&c->purls);
	ward_strv_free(&c->hashes);
}

static void
stmt_free(struct vex_stmt *s)
{
	free(s->name);
	free(s->vid);
	ward_strv_free(&s->aliases);
	for (size_t i = 0; i < s->nproducts; i++) {
		component_free(&s->products[i].c);
		for (size_t k = 0; k < s->products[i].nsub; k++)
			component_free(&s->products[i].sub[k]);
		free(s->products[i].sub);
	}
	free(s->products);
	free(s->status);
	free(s->justification);
	free(s->impact);
	free(s->action);
	free(s->source);
}

struct vuln_vex *
vuln_vex_new(void)
{
	return ward_calloc(1, sizeof(struct vuln_vex));
}

void
vuln_vex_free(struct vuln_vex *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->n; i++)
		stmt_free(&v->s[i]);
	free(v->s);
	free(v);
}

size_t
vuln_vex_count(const struct vuln_vex *v)
{
	return v ? v->n : 0;
}

static int
opt_dup(char **dst, const json_t *obj, const char *key, const char *what)
{
	json_t *x = json_object_get(obj, key);

	*dst = NULL;
	if (x == NULL || json_is_null(x))
		return 0;
	if (!json_is_string(x))
		return ward_err(WARD_EINPUT, "%s: %s is not a string", what, key);
	if (json_string_length(x) == 0)
		return 0;
	return (*dst = ward_strdup(json_string_value(x))) ? 0 : -1;
}

static int
read_component(const json_t *j, struct vex_component *c, const char *what)
{
	json_t *ids, *hashes, *x;
	const char *k;

	memset(c, 0, sizeof(*c));
	if (json_is_string(j)) /* v0.0.1: a bare product id */
		return (c->id = ward_strdup(json_string_value(j))) ? 0 : -1;
	if (!json_is_object(j))
		return ward_err(WARD_EINPUT, "%s: a product must be an object", what);
	if (opt_dup(&c->id, j, "@id", what) != 0)
		return -1;
	ids = json_object_get(j, "identifiers");
	json_object_foreach(ids, k, x)
	{
		if (!json_is_string(x))
			return ward_err(WARD_EINPUT, "%s: identifier %s is not a string", what, k);
		if (ward_strv_push(&c->identifiers, json_string_value(x)) != 0)
			return -1;
		if (strcmp(k, "purl") == 0 && ward_strv_push(&c->purls, json_string_value(x)) != 0)
			return -1;
	}
	hashes = json_object_get(j, "hashes");
	json_object_foreach(hashes, k, x)
	{
		if (json_is_string(x) && ward_strv_push(&c->hashes, json_string_value(x)) != 0)
			return -1;
	}
	if (c->id == NULL && c->identifiers.n == 0 && c->hashes.n == 0)
		return ward_err(WARD_EINPUT,
				"%s: a product names nothing (@id, identifiers, hashes)", what);
	return 0;
}

static int
read_products(const json_t *st, struct vex_stmt *s, const char *what)
{
	json_t *products = json_object_get(st, "products"), *p, *subs, *x;
	json_t *old_subs = json_object_get(st, "subcomponents"); /* v0.0.1 */
	size_t i, k;

	if (!json_is_array(products) || json_array_size(products) == 0)
		return ward_err(WARD_EINPUT, "%s: a statement needs products", what);
	if ((s->products = ward_calloc(json_array_size(products), sizeof(*s->products))) == NULL)
		return -1;
	json_array_foreach(products, i, p)
	{
		struct vex_product *vp = &s->products[s->nproducts++];
		if (read_component(p, &vp->c, what) != 0)
			return -1;
		subs = json_is_object(p) ? json_object_get(p, "subcomponents") : old_subs;
		if (subs != NULL && !json_is_array(subs))
			return ward_err(WARD_EINPUT, "%s: subcomponents is not an array", what);
		if (json_array_size(subs) == 0)
			continue;
		if ((vp->sub = ward_calloc(json_array_size(subs), sizeof(*vp->sub))) == NULL)
			return -1;
		json_array_foreach(subs, k, x)
		{
			if (read_component(x, &vp->sub[vp->nsub++], what) != 0)
				return -1;
		}
	}
	return 0;
}

static const char *const statuses[] = {"not_affected", "affected", "fixed", "under_investigation",
				       NULL};
static const char *const justifications[] = {
	"component_not_present",
	"vulnerable_code_not_present",
	"vulnerable_code_not_in_execute_path",
	"vulnerable_code_cannot_be_controlled_by_adversary",
	"inline_mitigations_already_exist",
	NULL,
};

static int
in_list(const char *s, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

static int
read_statement(struct vuln_vex *v, const json_t *st, const char *doc_when, const char *what)
{
	struct vex_stmt s = {0};
	json_t *vul = json_object_get(st, "vulnerability"), *x;
	const char *t = ward_json_str(st, "timestamp");
	size_t i;

	if (!json_is_object(st)) {
		ward_err(WARD_EINPUT, "%s: a statement must be an object", what);
		goto fail;
	}
	if (json_is_string(vul)) { /* v0.0.1 */
		if ((s.name = ward_strdup(json_string_value(vul))) == NULL)
			goto fail;
	} else if (json_is_object(vul)) {
		if (opt_dup(&s.name, vul, "name", what) != 0 ||
		    opt_dup(&s.vid, vul, "@id", what) != 0)
			goto fail;
		json_array_foreach(json_object_get(vul, "aliases"), i, x)
		{
			if (json_is_string(x) &&
			    ward_strv_push(&s.aliases, json_string_value(x)) != 0)
				goto fail;
		}
	}
	if (s.name == NULL && s.vid == NULL) {
		ward_err(WARD_EINPUT, "%s: a statement without a vulnerability name", what);
		goto fail;
	}
	if (opt_dup(&s.status, st, "status", what) != 0 ||
	    opt_dup(&s.justification, st, "justification", what) != 0 ||
	    opt_dup(&s.impact, st, "impact_statement", what) != 0 ||
	    opt_dup(&s.action, st, "action_statement", what) != 0)
		goto fail;
	if (s.status == NULL || !in_list(s.status, statuses)) {
		ward_err(WARD_EINPUT, "%s: statement for %s has an invalid status", what,
			 s.name ? s.name : s.vid);
		goto fail;
	}
	if (strcmp(s.status, "not_affected") == 0 && s.justification == NULL && s.impact == NULL) {
		ward_err(WARD_EINPUT,
			 "%s: not_affected statement for %s needs a justification or an "
			 "impact_statement",
			 what, s.name ? s.name : s.vid);
		goto fail;
	}
	if (s.justification != NULL && !in_list(s.justification, justifications)) {
		ward_err(WARD_EINPUT, "%s: unknown justification \"%s\"", what, s.justification);
		goto fail;
	}
	if (read_products(st, &s, what) != 0)
		goto fail;
	if (t != NULL) {
		if (osv_time_canonical(t, s.when) != 0) {
			ward_err(WARD_EINPUT, "%s: statement timestamp \"%.40s\" is not RFC 3339",
				 what, t);
			goto fail;
		}
	} else {
		snprintf(s.when, sizeof(s.when), "%s", doc_when);
	}
	if ((s.source = ward_strdup(what)) == NULL)
		goto fail;
	if (ward_vec_grow(&v->s, v->n, sizeof(*v->s)) != 0)
		goto fail;
	s.order = v->n;
	v->s[v->n++] = s;
	return 0;
fail:
	stmt_free(&s);
	return -1;
}

int
vuln_vex_load_json(struct vuln_vex *v, const json_t *doc, const char *what)
{
	const char *ctx = ward_json_str(doc, "@context"), *ts = ward_json_str(doc, "timestamp");
	json_t *stmts = json_object_get(doc, "statements"), *st;
	char when[40] = "";
	size_t i, before = v->n;

	if (ctx == NULL || strncmp(ctx, "https://openvex.dev/ns", 22) != 0)
		return ward_err(WARD_EINPUT, "%s: not an OpenVEX document (@context)", what);
	if (ts != NULL && osv_time_canonical(ts, when) != 0)
		return ward_err(WARD_EINPUT, "%s: timestamp \"%.40s\" is not RFC 3339", what, ts);
	if (!json_is_array(stmts))
		return ward_err(WARD_EINPUT, "%s: statements is not an array", what);
	json_array_foreach(stmts, i, st)
	{
		if (read_statement(v, st, when, what) != 0) {
			while (v->n > before)
				stmt_free(&v->s[--v->n]);
			return -1;
		}
	}
	return 0;
}

int
vuln_vex_load(struct vuln_vex *v, const char *path)
{
	json_t *doc = ward_json_load_file(path, MAX_VEX_BYTES);
	int rc;

	if (doc == NULL)
		return -1;
	rc = vuln_vex_load_json(v, doc, path);
	json_decref(doc);
	return rc;
}

/* go-vex Component.Matches. */
static int
component_matches(const struct vex_component *c, const char *identifier)
{
	if (c->id != NULL && strcmp(c->id, identifier) == 0)
		return 1;
	if (c->id != NULL && strncmp(c->id, "pkg:", 4) == 0 && purl_matches(c->id, identifier))
		return 1;
	if (ward_strv_contains(&c->identifiers, identifier))
		return 1;
	for (size_t i = 0; strncmp(identifier, "pkg:", 4) == 0 && i < c->purls.n; i++)
		if (purl_matches(c->purls.v[i], identifier))
			return 1;
	return ward_strv_contains(&c->hashes, identifier);
}

/* go-vex Product.Matches(identifier, subIdentifier). */
static int
product_matches(const struct vex_product *p, const char *identifier, const char *sub)
{
	if (!component_matches(&p->c, identifier))
		return 0;
	if (p->nsub == 0 || sub == NULL)
		return 1;
	for (size_t i = 0; i < p->nsub; i++)
		if (component_matches(&p->sub[i], sub))
			return 1;
	return 0;
}

static int
vuln_matches(const struct vex_stmt *s, const struct vuln_finding *f)
{
	for (size_t i = 0; i <= f->aliases.n; i++) {
		const char *id = i == 0 ? f->id : f->aliases.v[i - 1];
		if ((s->vid && strcmp(s->vid, id) == 0) || (s->name && strcmp(s->name, id) == 0) ||
		    ward_strv_contains(&s->aliases, id))
			return 1;
	}
	return 0;
}

static int
stmt_matches(const struct vex_stmt *s, const struct vuln_finding *f,
	     const struct ward_strv *targets)
{
	if (!vuln_matches(s, f))
		return 0;
	for (size_t i = 0; i < s->nproducts; i++) {
		/* the package itself as the product */
		if (f->purl != NULL && product_matches(&s->products[i], f->purl, NULL))
			return 1;
		/* the scanned image as the product, the package as a subcomponent */
		for (size_t t = 0; t < targets->n; t++)
			if (product_matches(&s->products[i], targets->v[t], f->purl))
				return 1;
	}
	return 0;
}

static const struct vex_stmt *
effective(const struct vuln_vex *v, const struct vuln_finding *f, const struct ward_strv *targets)
{
	const struct vex_stmt *best = NULL;

	for (size_t i = 0; i < v->n; i++) {
		const struct vex_stmt *s = &v->s[i];
		if (!stmt_matches(s, f, targets))
			continue;
		/* later timestamp wins; equal timestamps: the later statement */
		if (best == NULL || strcmp(s->when, best->when) >= 0)
			best = s;
	}
	return best;
}

static int
annotate(struct vuln_finding *f, const struct vex_stmt *s)
{
	const char *text = s->impact ? s->impact : s->action;

	f->vex_status = ward_strdup(s->status);
	f->vex_justification = s->justification ? ward_strdup(s->justification) : NULL;
	f->vex_statement = text ? ward_strdup(text) : NULL;
	f->vex_source = ward_strdup(s->source);
	return f->vex_status && f->vex_source ? 0 : -1;
}

int
vuln_vex_apply(const struct vuln_vex *v, struct vuln_report *r)
{
	size_t keep = 0;

	struct vuln_finding *room;

	if (v == NULL || v->n == 0 || r->nfindings == 0)
		return 0;
	/* room for every finding up front, so no failure leaves one in both lists */
	if (r->nfindings > SIZE_MAX - r->nsuppressed)
		return ward_err(WARD_EENV, "out of memory");
	room = ward_reallocarray(r->suppressed, r->nsuppressed + r->nfindings, sizeof(*room));
	if (room == NULL)
		return -1;
	r->suppressed = room;
	for (size_t i = 0; i < r->nfindings; i++) {
		struct vuln_finding *f = &r->findings[i];
		const struct vex_stmt *s = effective(v, f, &r->target_ids);
		if (s != NULL && annotate(f, s) != 0) {
			while (i < r->nfindings)
				r->findings[keep++] = r->findings[i++];
			r->nfindings = keep;
			return -1;
		}
		if (s != NULL &&
		    (strcmp(s->status, "not_affected") == 0 || strcmp(s->status, "fixed") == 0)) {
			r->suppressed[r->nsuppressed++] = *f;
			continue;
		}
		r->findings[keep++] = *f;
	}
	r->nfindings = keep;
	report_sort(r);
	return 0;
}
