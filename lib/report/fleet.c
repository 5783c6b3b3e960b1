/* fleet.c: the fleet page — which images each vulnerability hits, as a
 * matrix (images x vulnerabilities) and as a list.  Same rules as the
 * release page: every value comes from untrusted JSON, strings are
 * escaped, numbers read as numbers, lists capped. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "report/report_internal.h"

#define MAX_IMAGES 300 /* matrix rows */
#define MAX_VULNS 80   /* matrix columns */
#define MAX_CELLS 3000 /* list rows */

static const char fleet_css[] =
	".mx{overflow:auto;max-height:70vh}.mx table{width:auto}"
	".mx th.v{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;"
	"font-size:11px;padding:4px 2px}"
	".mx td.c{width:14px;height:14px;padding:0;border:1px solid #fff}"
	".mx td.vex{background:repeating-linear-gradient(45deg,#d5dbe1,#d5dbe1 3px,#fff 3px,"
	"#fff 6px)}";

static const char *const sev_order[] = {"critical", "high",    "medium", "low",
					"none",	    "unknown", NULL};

static int
sev_rank(const char *s)
{
	for (int i = 0; s && sev_order[i]; i++)
		if (strcmp(s, sev_order[i]) == 0)
			return i;
	return 6;
}

/* A severity usable as a class name. */
static const char *
sev_class(const char *s)
{
	int r = sev_rank(s);

	return r < 6 ? sev_order[r] : "unknown";
}

static const char *
str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static size_t
index_of(const json_t *o, const char *key, size_t limit)
{
	json_t *v = json_object_get(o, key);
	double d = json_is_number(v) ? json_number_value(v) : -1;

	if (!isfinite(d) || d < 0 || d >= (double)limit)
		return SIZE_MAX;
	return (size_t)d;
}

struct vcol {
	size_t idx;
	int rank;
	const char *id;
};

static int
vcol_cmp(const void *x, const void *y)
{
	const struct vcol *a = x, *b = y;

	if (a->rank != b->rank)
		return a->rank - b->rank;
	return strcmp(a->id ? a->id : "", b->id ? b->id : "");
}

static int
suppressed(const json_t *cell)
{
	const char *v = str(cell, "vex");

	return v && (strcmp(v, "not_affected") == 0 || strcmp(v, "fixed") == 0 ||
		     strcmp(v, "suppressed") == 0);
}

char *
report_render_fleet(const json_t *m)
{
	const json_t *images = json_object_get(m, "images"), *vulns = json_object_get(m, "vulns");
	const json_t *cells = json_object_get(m, "cells"), *c;
	size_t ni = json_array_size(images), nv = json_array_size(vulns), i, naff = 0;
	struct ward_buf b = {0};
	struct vcol *cols = NULL;
	size_t *colpos = NULL;
	unsigned char *aff = NULL;
	const json_t **grid = NULL;
	size_t rows = ni < MAX_IMAGES ? ni : MAX_IMAGES, ncol = nv < MAX_VULNS ? nv : MAX_VULNS;

	cols = calloc(nv ? nv : 1, sizeof(*cols));
	colpos = calloc(nv ? nv : 1, sizeof(*colpos));
	aff = calloc(ni ? ni : 1, 1);
	grid = calloc((rows ? rows : 1) * (ncol ? ncol : 1), sizeof(*grid));
	if (cols == NULL || colpos == NULL || aff == NULL || grid == NULL)
		goto out;
	/* columns: the most severe vulnerabilities first */
	for (i = 0; i < nv; i++) {
		const json_t *v = json_array_get(vulns, i);
		cols[i].idx = i;
		cols[i].rank = sev_rank(str(v, "severity"));
		cols[i].id = str(v, "id");
	}
	qsort(cols, nv, sizeof(*cols), vcol_cmp);
	for (i = 0; i < nv; i++)
		colpos[cols[i].idx] = i;
	json_array_foreach(cells, i, c)
	{
		size_t im = index_of(c, "image", ni), v = index_of(c, "vuln", nv);
		if (im == SIZE_MAX || v == SIZE_MAX)
			continue;
		if (!suppressed(c))
			aff[im] = 1;
		if (im < rows && colpos[v] < ncol) {
			const json_t **g = &grid[im * ncol + colpos[v]];
			/* the affected cell wins over a suppressed one */
			if (*g == NULL || (suppressed(*g) && !suppressed(c)))
				*g = c;
		}
	}
	for (i = 0; i < ni; i++)
		naff += aff[i];

	ward_buf_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
			  "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
			  "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
			  "'none'; style-src 'unsafe-inline'; img-src data:\"><title>ward fleet: ");
	report_html_escape(&b, str(m, "title"));
	ward_buf_printf(&b, "</title><style>%s%s</style></head><body><header><h1>ward fleet: ",
			report_css, fleet_css);
	report_html_escape(&b, str(m, "title"));
	ward_buf_puts(&b, "</h1><div class=\"sub\">");
	report_html_escape(&b, str(m, "kind"));
	ward_buf_puts(&b, " · ");
	report_html_escape(&b, str(m, "created"));
	ward_buf_puts(&b, "</div></header><main><section id=\"summary\"><h2>Summary</h2>"
			  "<div class=\"cards\">");
	ward_buf_printf(&b,
			"<div class=\"card\"><div class=\"n\" id=\"images-count\">%zu</div><div "
			"class=\"l\">images with findings</div></div>"
			"<div class=\"card\"><div class=\"n\" id=\"affected-count\">%zu</div><div "
			"class=\"l\">affected (not suppressed by VEX)</div></div>"
			"<div class=\"card\"><div class=\"n\" id=\"vulns-count\">%zu</div><div "
			"class=\"l\">vulnerabilities</div></div>"
			"<div class=\"card\"><div class=\"n\" id=\"cells-count\">%zu</div><div "
			"class=\"l\">findings (image, package, vulnerability)</div></div>",
			ni, naff, nv, json_array_size(cells));
	ward_buf_puts(&b, "</div></section>");

	ward_buf_puts(&b, "<section id=\"matrix\"><h2>Images × vulnerabilities</h2>");
	if (rows < ni || ncol < nv)
		ward_buf_printf(&b,
				"<p class=\"muted\">The first %zu images and the %zu most severe "
				"vulnerabilities; the list below has more.</p>",
				rows, ncol);
	ward_buf_puts(&b, "<div class=\"mx\"><table><tr><th>image</th>");
	for (i = 0; i < ncol; i++) {
		ward_buf_puts(&b, "<th class=\"v\">");
		report_html_escape(&b, cols[i].id);
		ward_buf_puts(&b, "</th>");
	}
	ward_buf_puts(&b, "</tr>");
	for (size_t r = 0; r < rows; r++) {
		const json_t *im = json_array_get(images, r);
		const char *name =
			json_string_value(json_array_get(json_object_get(im, "names"), 0));
		ward_buf_puts(&b, "<tr><td class=\"nw\"><code>");
		report_html_escape(&b, name ? name : str(im, "digest"));
		ward_buf_puts(&b, "</code></td>");
		for (i = 0; i < ncol; i++) {
			const json_t *g = grid[r * ncol + i];
			if (g == NULL) {
				ward_buf_puts(&b, "<td class=\"c\"></td>");
				continue;
			}
			ward_buf_printf(&b, "<td class=\"c %s%s\" title=\"",
					suppressed(g) ? "vex" : "sev-",
					suppressed(g) ? "" : sev_class(str(g, "severity")));
			report_html_escape(&b, str(g, "package"));
			ward_buf_puts(&b, " ");
			report_html_escape(&b, str(g, "installed"));
			if (str(g, "vex") != NULL) {
				ward_buf_puts(&b, " — VEX ");
				report_html_escape(&b, str(g, "vex"));
			}
			ward_buf_puts(&b, "\"></td>");
		}
		ward_buf_puts(&b, "</tr>");
	}
	ward_buf_puts(&b, "</table></div></section>");

	ward_buf_puts(&b, "<section id=\"findings\"><h2>Findings</h2><table><tr><th>severity</th>"
			  "<th>vulnerability</th><th>image</th><th>package</th><th>installed</th>"
			  "<th>fixed in</th><th>VEX</th></tr>");
	json_array_foreach(cells, i, c)
	{
		size_t im = index_of(c, "image", ni), v = index_of(c, "vuln", nv);
		const json_t *img = json_array_get(images, im), *vu = json_array_get(vulns, v);
		const char *name;
		if (i >= MAX_CELLS) {
			ward_buf_printf(
				&b, "<tr><td colspan=\"7\" class=\"muted\">… %zu more</td></tr>",
				json_array_size(cells) - MAX_CELLS);
			break;
		}
		if (im == SIZE_MAX || v == SIZE_MAX)
			continue;
		name = json_string_value(json_array_get(json_object_get(img, "names"), 0));
		ward_buf_printf(&b, "<tr><td><span class=\"badge sev-%s\">",
				sev_class(str(c, "severity")));
		report_html_escape(&b, str(c, "severity"));
		ward_buf_puts(&b, "</span></td><td><code>");
		report_html_escape(&b, str(vu, "id"));
		ward_buf_puts(&b, "</code></td><td><code>");
		report_html_escape(&b, name ? name : str(img, "digest"));
		ward_buf_puts(&b, "</code></td><td>");
		report_html_escape(&b, str(c, "package"));
		ward_buf_puts(&b, "</td><td><code>");
		report_html_escape(&b, str(c, "installed"));
		ward_buf_puts(&b, "</code></td><td><code>");
		report_html_escape(&b, str(c, "fixed") ? str(c, "fixed") : "(unfixed)");
		ward_buf_puts(&b, "</code></td><td>");
		report_html_escape(&b, str(c, "vex") ? str(c, "vex") : "-");
		ward_buf_puts(&b, "</td></tr>");
	}
	ward_buf_puts(&b, "</table></section><footer class=\"muted\" style=\"padding:0 32px 24px\">"
			  "made by ward fleet; a static page: no script, no external "
			  "resource.</footer></main></body></html>\n");
out:
	free(cols);
	free(colpos);
	free(aff);
	free(grid);
	return ward_buf_steal(&b);
}
