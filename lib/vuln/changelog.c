/*
 * changelog.c: backport evidence from a Debian changelog (debian/changelog,
 * installed as /usr/share/doc/<pkg>/changelog.Debian.gz).
 *
 * Debian fixes most vulnerabilities in stable by patching the version it
 * shipped ("backports"), so the upstream version says little; the
 * package's own changelog says which CVE each upload fixed.  Format
 * (deb-changelog(5)):
 *
 *   package (version) distribution(s); urgency=medium
 *
 *     * change, possibly naming CVE-YYYY-NNNN
 *       continued
 *
 *    -- Maintainer <email>  date
 *
 * Every entry at or below the installed version counts; entries are
 * applied oldest first so that a later "Revert the fix for CVE-X" undoes
 * the fix.  Lines that are not entries (old changelogs end in free text)
 * are skipped, never fatal: the input is untrusted and the evidence is
 * only ever what the file says, quoted in the finding.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "deb/deb.h"
#include "vuln/vuln_internal.h"

#define MAX_CHANGELOG_BYTES (32u << 20)
#define MAX_LINE_QUOTE 400
#define MAX_ITEM_BYTES (1u << 20)

struct item {
	char *text; /* whitespace collapsed */
	size_t entry;
};

struct entry {
	char *version;
};

struct parse {
	struct entry *e;
	size_t ne;
	struct item *it;
	size_t nit;
	struct ward_buf cur; /* the item being collected */
	int have_cur;
};

static int
push_entry(struct parse *p, const char *v, size_t n)
{
	struct entry *e = ward_realloc(p->e, (p->ne + 1) * sizeof(*e));

	if (e == NULL)
		return -1;
	p->e = e;
	if ((p->e[p->ne].version = ward_strndup(v, n)) == NULL)
		return -1;
	p->ne++;
	return 0;
}

/* End the current item: keep it only when it names a CVE. */
static int
flush_item(struct parse *p)
{
	struct item *it;
	char *t;

	if (!p->have_cur)
		return 0;
	p->have_cur = 0;
	while (p->cur.len > 0 && p->cur.data[p->cur.len - 1] == ' ')
		p->cur.len--;
	t = ward_buf_cstr(&p->cur);
	if (t == NULL)
		return -1;
	if (p->ne == 0 || strcasestr(t, "CVE-") == NULL) {
		p->cur.len = 0;
		return 0;
	}
	if ((it = ward_realloc(p->it, (p->nit + 1) * sizeof(*it))) == NULL)
		return -1;
	p->it = it;
	it = &p->it[p->nit];
	if ((it->text = ward_strndup(t, p->cur.len)) == NULL)
		return -1;
	it->entry = p->ne - 1;
	p->nit++;
	p->cur.len = 0;
	return 0;
}

/* Append s (n bytes) to the current item, collapsing runs of white space. */
static int
item_add(struct parse *p, const char *s, size_t n)
{
	if (!p->have_cur) {
		p->have_cur = 1;
		p->cur.len = 0;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (isspace(ch) || ch < 0x20) {
			if (p->cur.len > 0 && p->cur.data[p->cur.len - 1] != ' ' &&
			    ward_buf_append(&p->cur, " ", 1) != 0)
				return -1;
			continue;
		}
		if (p->cur.len > MAX_ITEM_BYTES)
			break; /* a runaway item (no blank line for megabytes) */
		if (ward_buf_append(&p->cur, s + i, 1) != 0)
			return -1;
	}
	if (p->cur.len > 0 && p->cur.data[p->cur.len - 1] != ' ')
		return ward_buf_append(&p->cur, " ", 1);
	return 0;
}

/* "name (version) dists; urgency=x": the version, or 0 when not a header. */
static int
header_version(const char *l, size_t n, const char **v, size_t *vn)
{
	size_t i = 0, s;

	if (n == 0 || !(islower((unsigned char)l[0]) || isdigit((unsigned char)l[0])))
		return 0;
	while (i < n && (islower((unsigned char)l[i]) || isdigit((unsigned char)l[i]) ||
			 l[i] == '+' || l[i] == '-' || l[i] == '.'))
		i++;
	if (i + 2 >= n || l[i] != ' ' || l[i + 1] != '(')
		return 0;
	s = i += 2;
	while (i < n && l[i] != ')' && !isspace((unsigned char)l[i]))
		i++;
	if (i >= n || l[i] != ')' || i == s)
		return 0;
	*v = l + s;
	*vn = i - s;
	return 1;
}

static int
body_line(struct parse *p, const char *l, size_t n)
{
	size_t i = 0;

	while (i < n && (l[i] == ' ' || l[i] == '\t'))
		i++;
	if (i == n) /* blank: ends the item */
		return flush_item(p);
	if (n - i >= 3 && strncmp(l + i, "-- ", 3) == 0 && i <= 1) /* trailer */
		return flush_item(p);
	if (l[i] == '[' && l[n - 1] == ']') /* "[ Maintainer Name ]" */
		return flush_item(p);
	if (n - i >= 2 && (l[i] == '*' || l[i] == '-' || l[i] == '+') &&
	    (l[i + 1] == ' ' || l[i + 1] == '\t')) {
		if (flush_item(p) != 0)
			return -1;
	}
	return item_add(p, l + i, n - i);
}

static int
cve_at(const char *s, size_t *len)
{
	size_t i = 4, d;

	if (strncasecmp(s, "CVE-", 4) != 0)
		return 0;
	for (d = 0; d < 4 && isdigit((unsigned char)s[i]); d++)
		i++;
	if (d != 4 || s[i] != '-')
		return 0;
	i++;
	for (d = 0; isdigit((unsigned char)s[i]) && d < 12; d++)
		i++;
	if (d < 4 || isdigit((unsigned char)s[i]))
		return 0;
	*len = i;
	return 1;
}

struct order {
	size_t entry;
	const char *version;
};

static int
order_cmp(const void *x, const void *y)
{
	const struct order *a = x, *b = y;
	int r = deb_version_cmp(a->version, b->version);

	if (r != 0)
		return r;
	/* the same version twice: the one written lower (older) first */
	return (a->entry < b->entry) - (a->entry > b->entry);
}

static int
cve_cmp(const void *x, const void *y)
{
	return strcmp(((const struct vuln_changelog_cve *)x)->id,
		      ((const struct vuln_changelog_cve *)y)->id);
}

static struct vuln_changelog_cve *
cve_slot(struct vuln_changelog *out, const char *id)
{
	struct vuln_changelog_cve *c;

	for (size_t i = 0; i < out->n; i++)
		if (strcmp(out->cves[i].id, id) == 0)
			return &out->cves[i];
	if ((c = ward_realloc(out->cves, (out->n + 1) * sizeof(*c))) == NULL)
		return NULL;
	out->cves = c;
	c = &out->cves[out->n];
	memset(c, 0, sizeof(*c));
	if ((c->id = ward_strdup(id)) == NULL)
		return NULL;
	out->n++;
	return c;
}

/* The item as evidence: whole when short, else the part around the id. */
static char *
quote(const char *text, size_t at, size_t idlen)
{
	size_t n = strlen(text), from, to;

	if (n <= MAX_LINE_QUOTE)
		return ward_strdup(text);
	from = at > MAX_LINE_QUOTE / 2 ? at - MAX_LINE_QUOTE / 2 : 0;
	to = from + MAX_LINE_QUOTE < n ? from + MAX_LINE_QUOTE : n;
	if (to < at + idlen)
		to = at + idlen;
	return ward_asprintf("%s%.*s%s", from ? "..." : "", (int)(to - from), text + from,
			     to < n ? "..." : "");
}

/* Apply one item: every id it names is fixed, or unfixed by a revert. */
static int
apply_item(struct vuln_changelog *out, const struct item *it, const char *version)
{
	int revert = strcasestr(it->text, "revert") != NULL;
	size_t at;

	for (const char *s = it->text; (s = strcasestr(s, "CVE-")) != NULL;) {
		char id[32];
		size_t n;
		struct vuln_changelog_cve *c;
		if (!cve_at(s, &n) || n >= sizeof(id) ||
		    (s > it->text && isalnum((unsigned char)s[-1]))) {
			s += 4;
			continue;
		}
		for (size_t i = 0; i < n; i++)
			id[i] = (char)toupper((unsigned char)s[i]);
		id[n] = '\0';
		at = (size_t)(s - it->text);
		s += n;
		if ((c = cve_slot(out, id)) == NULL)
			return -1;
		if (c->version != NULL && !revert && !c->reverted)
			continue; /* already fixed: the first fix is the evidence */
		free(c->version);
		free(c->line);
		c->version = ward_strdup(version);
		c->line = quote(it->text, at, n);
		c->reverted = revert;
		if (c->version == NULL || c->line == NULL)
			return -1;
	}
	return 0;
}

int
vuln_changelog_parse(const char *text, size_t len, const char *what, const char *upto,
		     struct vuln_changelog *out)
{
	struct parse p = {0};
	struct order *ord = NULL;
	size_t nord = 0;
	int rc = -1, stop = 0;

	(void)what;
	memset(out, 0, sizeof(*out));
	for (size_t off = 0; off < len && !stop;) {
		const char *l = text + off, *nl = memchr(l, '\n', len - off);
		size_t n = nl ? (size_t)(nl - l) : len - off, vn;
		const char *v;
		off += n + (nl != NULL);
		if (n > 0 && l[n - 1] == '\r')
			n--;
		if (n > 0 && l[0] != ' ' && l[0] != '\t') {
			if (flush_item(&p) != 0)
				goto out;
			if (header_version(l, n, &v, &vn)) {
				if (push_entry(&p, v, vn) != 0)
					goto out;
			} else if ((n >= 16 && strncasecmp(l, "Local variables:", 16) == 0) ||
				   (n >= 14 && strncasecmp(l, "Old Changelog:", 14) == 0)) {
				stop = 1; /* free text follows */
			}
			continue;
		}
		if (p.ne > 0 && body_line(&p, l, n) != 0)
			goto out;
	}
	if (flush_item(&p) != 0)
		goto out;
	if (p.ne > 0 && (out->version = ward_strdup(p.e[0].version)) == NULL)
		goto out;
	/* entries at or below upto with a valid version, oldest first */
	if ((ord = ward_calloc(p.ne + 1, sizeof(*ord))) == NULL)
		goto out;
	for (size_t i = 0; i < p.ne; i++) {
		if (deb_version_check(p.e[i].version, "changelog version") != 0) {
			ward_err_clear();
			continue;
		}
		if (upto != NULL && deb_version_cmp(p.e[i].version, upto) > 0)
			continue;
		ord[nord].entry = i;
		ord[nord].version = p.e[i].version;
		nord++;
	}
	qsort(ord, nord, sizeof(*ord), order_cmp);
	for (size_t k = 0; k < nord; k++)
		for (size_t i = 0; i < p.nit; i++)
			if (p.it[i].entry == ord[k].entry &&
			    apply_item(out, &p.it[i], ord[k].version) != 0)
				goto out;
	if (out->n > 1)
		qsort(out->cves, out->n, sizeof(*out->cves), cve_cmp);
	rc = 0;
out:
	for (size_t i = 0; i < p.ne; i++)
		free(p.e[i].version);
	for (size_t i = 0; i < p.nit; i++)
		free(p.it[i].text);
	free(p.e);
	free(p.it);
	free(ord);
	ward_buf_free(&p.cur);
	if (rc != 0)
		vuln_changelog_free(out);
	return rc;
}

int
vuln_changelog_read(const void *data, size_t len, const char *name, const char *upto,
		    struct vuln_changelog *out)
{
	struct ward_buf b = {0};
	int rc;

	memset(out, 0, sizeof(*out));
	if (ward_str_endswith(name, ".gz")) {
		if (deb_decompress(data, len, name, MAX_CHANGELOG_BYTES, &b) != 0) {
			ward_buf_free(&b);
			return -1;
		}
		rc = vuln_changelog_parse((const char *)b.data, b.len, name, upto, out);
		ward_buf_free(&b);
		return rc;
	}
	return vuln_changelog_parse(data, len, name, upto, out);
}

const struct vuln_changelog_cve *
vuln_changelog_find(const struct vuln_changelog *c, const char *id)
{
	size_t lo = 0, hi;

	if (c == NULL || id == NULL)
		return NULL;
	hi = c->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(c->cves[mid].id, id);
		if (r == 0)
			return &c->cves[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int
vuln_changelog_copy(struct vuln_changelog *dst, const struct vuln_changelog *src)
{
	memset(dst, 0, sizeof(*dst));
	if ((src->where && (dst->where = ward_strdup(src->where)) == NULL) ||
	    (src->version && (dst->version = ward_strdup(src->version)) == NULL) ||
	    (src->n && (dst->cves = ward_calloc(src->n, sizeof(*dst->cves))) == NULL))
		goto fail;
	for (size_t i = 0; i < src->n; i++) {
		struct vuln_changelog_cve *d = &dst->cves[i];
		const struct vuln_changelog_cve *s = &src->cves[i];
		dst->n++;
		d->reverted = s->reverted;
		if ((d->id = ward_strdup(s->id)) == NULL ||
		    (s->version && (d->version = ward_strdup(s->version)) == NULL) ||
		    (s->line && (d->line = ward_strdup(s->line)) == NULL))
			goto fail;
	}
	return 0;
fail:
	vuln_changelog_free(dst);
	return -1;
}

void
vuln_changelog_free(struct vuln_changelog *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->cves[i].id);
		free(c->cves[i].version);
		free(c->cves[i].line);
	}
	free(c->cves);
	free(c->where);
	free(c->version);
	memset(c, 0, sizeof(*c));
}

json_t *
vuln_changelog_to_json(const struct vuln_changelog *c)
{
	json_t *cves = json_array(), *j;

	if (cves == NULL)
		return NULL;
	for (size_t i = 0; i < c->n; i++) {
		const struct vuln_changelog_cve *v = &c->cves[i];
		json_t *o = json_pack("{s:s,s:o,s:o}", "id", v->id, "version",
				      ward_json_str_or_null(v->version), "line",
				      ward_json_str_or_null(v->line));
		if (o == NULL || json_array_append_new(cves, o) != 0) {
			json_decref(cves);
			return NULL;
		}
		if (v->reverted)
			json_object_set_new(o, "reverted", json_true());
	}
	j = json_pack("{s:o,s:o,s:o}", "where", ward_json_str_or_null(c->where), "version",
		      ward_json_str_or_null(c->version), "cves", cves);
	return j;
}

int
vuln_changelog_from_json(const json_t *j, const char *what, struct vuln_changelog *out)
{
	json_t *cves = json_object_get(j, "cves"), *x;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(j) || !json_is_array(cves))
		return ward_err(WARD_EINPUT, "%s: not a changelog summary", what);
	if ((ward_json_str(j, "where") &&
	     (out->where = ward_strdup(ward_json_str(j, "where"))) == NULL) ||
	    (ward_json_str(j, "version") &&
	     (out->version = ward_strdup(ward_json_str(j, "version"))) == NULL) ||
	    (json_array_size(cves) > 0 &&
	     (out->cves = ward_calloc(json_array_size(cves), sizeof(*out->cves))) == NULL))
		goto fail;
	json_array_foreach(cves, i, x)
	{
		struct vuln_changelog_cve *c = &out->cves[out->n];
		const char *id = ward_json_str(x, "id"), *v = ward_json_str(x, "version");
		const char *line = ward_json_str(x, "line");
		if (id == NULL || strncmp(id, "CVE-", 4) != 0 ||
		    (i > 0 && strcmp(out->cves[out->n - 1].id, id) >= 0)) {
			ward_err(WARD_EINPUT, "%s: cves[%zu]: no id, or not sorted", what, i);
			goto fail;
		}
		if ((c->id = ward_strdup(id)) == NULL ||
		    (v && (c->version = ward_strdup(v)) == NULL) ||
		    (line && (c->line = ward_strdup(line)) == NULL))
			goto fail;
		c->reverted = json_is_true(json_object_get(x, "reverted"));
		out->n++;
	}
	return 0;
fail:
	vuln_changelog_free(out);
	return -1;
}
