/* render.c: the report model as one static HTML page — inline CSS, inline
 * SVG charts, no script and no external reference.  Every value comes from
 * untrusted JSON: strings are escaped, numbers read as numbers, lists
 * capped. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

#define MAX_ROWS 2000
#define MAX_EVIDENCE 12
#define MAX_BARS 12

static const char css[] =
	"body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;"
	"background:#f4f6f8;color:#1d2733}"
	"header{background:#14324a;color:#fff;padding:22px 32px}"
	"header h1{margin:0 0 4px;font-size:24px}header .sub{opacity:.8;font-family:monospace;"
	"word-break:break-all}"
	"main{padding:18px 32px;max-width:1280px}"
	"section{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12);"
	"padding:16px 20px;margin:0 0 18px}"
	"h2{font-size:18px;margin:0 0 10px;color:#14324a}"
	"table{border-collapse:collapse;width:100%;font-size:13px}"
	"th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e3e8ee;vertical-align:top}"
	"th{background:#eef2f6}code,.mono{font-family:ui-monospace,monospace;font-size:12px;"
	"word-break:break-all}"
	".cards{display:flex;flex-wrap:wrap;gap:14px}.card{flex:1 1 170px;background:#fff;"
	"border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:14px 16px}"
	".card .n{font-size:28px;font-weight:700}.card .l{color:#5b6b7b}"
	".sev-critical{background:#7a0019;color:#fff}.sev-high{background:#d1361b;color:#fff}"
	".sev-medium{background:#f0a202}.sev-low{background:#8fb8de}.sev-info,.sev-unknown,"
	".sev-none{background:#d5dbe1}"
	".st-affected{background:#d1361b;color:#fff}.st-under_investigation{background:#f0a202}"
	".st-fixed,.st-not_affected{background:#3c8d5a;color:#fff}"
	".badge{display:inline-block;border-radius:4px;padding:1px 7px;font-size:12px;"
	"font-weight:600}"
	".r-pass{color:#137333;font-weight:700}.r-fail{color:#b3261e;font-weight:700}"
	".r-warn{color:#a05a00;font-weight:700}.r-skip{color:#5b6b7b}"
	".ok{color:#137333}.bad{color:#b3261e}.muted{color:#5b6b7b}"
	"ul.ev{margin:2px 0 0 16px;padding:0;font-family:ui-monospace,monospace;font-size:12px}"
	".nw,td>code{white-space:nowrap}.grid{display:grid;grid-template-columns:1fr 1fr;gap:18px}"
	"@media(max-width:900px){.grid{grid-template-columns:1fr}}";

int
report_html_escape(struct ward_buf *b, const char *s)
{
	for (; s && *s; s++) {
		int rc;
		switch (*s) {
		case '&':
			rc = ward_buf_puts(b, "&amp;");
			break;
		case '<':
			rc = ward_buf_puts(b, "&lt;");
			break;
		case '>':
			rc = ward_buf_puts(b, "&gt;");
			break;
		case '"':
			rc = ward_buf_puts(b, "&quot;");
			break;
		case '\'':
			rc = ward_buf_puts(b, "&#39;");
			break;
		default:
			rc = ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
				     ? ward_buf_puts(b, "?")
				     : ward_buf_append(b, s, 1);
		}
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* A string field, escaped ("" when absent or not a string). */
static void
esc(struct ward_buf *b, const json_t *o, const char *key)
{
	report_html_escape(b, json_string_value(json_object_get(o, key)));
}

static double
num(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	double d = json_is_number(v) ? json_number_value(v) : 0;

	return isfinite(d) ? d : 0;
}

/* A token safe to use in a class name: [a-z_-] only. */
static const char *
token(const char *s, const char *fallback)
{
	if (s == NULL || *s == '\0' || strlen(s) > 24)
		return fallback;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || *p == '_' || *p == '-'))
			return fallback;
	return s;
}

static void
human(struct ward_buf *b, double n)
{
	if (n >= 1e9)
		ward_buf_printf(b, "%.2f GB", n / 1e9);
	else if (n >= 1e6)
		ward_buf_printf(b, "%.1f MB", n / 1e6);
	else if (n >= 1e3)
		ward_buf_printf(b, "%.1f kB", n / 1e3);
	else
		ward_buf_printf(b, "%.0f B", n);
}

static void
card(struct ward_buf *b, const char *value_html, const char *label, const char *id)
{
	ward_buf_printf(b, "<div class=\"card\"><div class=\"n\" id=\"%s\">", id);
	ward_buf_puts(b, value_html); /* NULL (a failed text): b fails too */
	ward_buf_printf(b, "</div><div class=\"l\">%s</div></div>", label);
}

/* The score as a ring. */
static void
score_svg(struct ward_buf *b, double score)
{
	double c = 2 * M_PI * 42, f = score < 0 ? 0 : score > 100 ? 1 : score / 100;
	const char *col = score >= 90 ? "#137333" : score >= 60 ? "#f0a202" : "#b3261e";

	ward_buf_printf(b,
			"<svg width=\"120\" height=\"120\" viewBox=\"0 0 100 100\" role=\"img\" "
			"aria-label=\"hardening score %.0f of 100\">"
			"<circle cx=\"50\" cy=\"50\" r=\"42\" fill=\"none\" stroke=\"#e3e8ee\" "
			"stroke-width=\"12\"/>"
			"<circle cx=\"50\" cy=\"50\" r=\"42\" fill=\"none\" stroke=\"%s\" "
			"stroke-width=\"12\" stroke-dasharray=\"%.2f %.2f\" "
			"transform=\"rotate(-90 50 50)\"/>"
			"<text x=\"50\" y=\"57\" text-anchor=\"middle\" font-size=\"24\" "
			"font-weight=\"700\" fill=\"#1d2733\">%.0f</text></svg>",
			score, col, c * f, c, score);
}

/* Horizontal bars of {label_key, value_key} objects, largest first. */
static void
bars_svg(struct ward_buf *b, const json_t *arr, const char *label_key, const char *value_key,
	 const char *title, int bytes)
{
	static const char *const colors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
					     "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
					     "#bcbd22", "#17becf", "#393b79", "#637939"};
	size_t n = json_array_size(arr), shown = 0, *order;
	double max = 0, other = 0;

	if (n == 0) {
		ward_buf_puts(b, "<p class=\"muted\">none</p>");
		return;
	}
	if ((order = ward_calloc(n, sizeof(*order))) == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	for (size_t i = 1; i < n; i++) /* insertion sort by value, descending */
		for (size_t k = i;
		     k > 0 && num(json_array_get(arr, order[k]), value_key) >
				      num(json_array_get(arr, order[k - 1]), value_key);
		     k--) {
			size_t t = order[k];
			order[k] = order[k - 1];
			order[k - 1] = t;
		}
	for (size_t i = 0; i < n; i++) {
		double v = num(json_array_get(arr, order[i]), value_key);
		if (i < MAX_BARS)
			max = v > max ? v : max;
		else
			other += v;
	}
	if (other > max)
		max = other;
	shown = n < MAX_BARS ? n : MAX_BARS;
	ward_buf_printf(b,
			"<svg width=\"100%%\" viewBox=\"0 0 560 %zu\" role=\"img\" aria-label=\"",
			(shown + (other > 0)) * 24 + 8);
	report_html_escape(b, title);
	ward_buf_puts(b, "\">");
	for (size_t i = 0; i < shown + (other > 0); i++) {
		const json_t *o = i < shown ? json_array_get(arr, order[i]) : NULL;
		double v = o ? num(o, value_key) : other;
		double w = max > 0 ? 300 * v / max : 0;
		struct ward_buf lab = {0};
		if (o)
			report_html_escape(&lab, json_string_value(json_object_get(o, label_key)));
		else
			ward_buf_puts(&lab, "other");
		if (ward_buf_check(&lab) != 0)
			ward_buf_puts(b, NULL);
		ward_buf_printf(
			b,
			"<text x=\"0\" y=\"%zu\" font-size=\"12\" fill=\"#1d2733\">%.*s%s</text>"
			"<rect x=\"230\" y=\"%zu\" width=\"%.1f\" height=\"16\" rx=\"3\" "
			"fill=\"%s\"/><text x=\"%.1f\" y=\"%zu\" font-size=\"12\" "
			"fill=\"#1d2733\">",
			i * 24 + 17, lab.len > 180 ? 180 : (int)lab.len,
			lab.data ? (char *)lab.data : "", lab.len > 180 ? "…" : "", i * 24 + 5,
			w < 1 && v > 0 ? 1 : w, colors[i % 12], 236 + w, i * 24 + 17);
		if (bytes)
			human(b, v);
		else
			ward_buf_printf(b, "%.0f", v);
		ward_buf_puts(b, "</text>");
		ward_buf_free(&lab);
	}
	ward_buf_puts(b, "</svg>");
	free(order);
}

static void
findings_table(struct ward_buf *b, const json_t *findings)
{
	size_t i;
	json_t *f;

	if (json_array_size(findings) == 0) {
		ward_buf_puts(b, "<p class=\"ok\" id=\"no-findings\">no findings</p>");
		return;
	}
	ward_buf_puts(b, "<table id=\"findings\"><tr><th>severity</th><th>points</th><th>rule</th>"
			 "<th>explanation and evidence</th></tr>");
	json_array_foreach(findings, i, f)
	{
		const char *sev =
			token(json_string_value(json_object_get(f, "severity")), "unknown");
		size_t k;
		json_t *e;
		if (i >= MAX_ROWS)
			break;
		ward_buf_printf(b,
				"<tr><td><span class=\"badge sev-%s\">%s</span></td><td>-%.0f</td>"
				"<td><code>",
				sev, sev, num(f, "penalty"));
		esc(b, f, "id");
		ward_buf_puts(b, "</code></td><td>");
		esc(b, f, "explanation");
		ward_buf_puts(b, "<ul class=\"ev\">");
		json_array_foreach(json_object_get(f, "evidence"), k, e)
		{
			if (k >= MAX_EVIDENCE) {
				ward_buf_printf(b, "<li>… %.0f in all</li>", num(f, "count"));
				break;
			}
			ward_buf_puts(b, "<li>");
			report_html_escape(b, json_string_value(e));
			ward_buf_puts(b, "</li>");
		}
		ward_buf_puts(b, "</ul></td></tr>");
	}
	ward_buf_puts(b, "</table>");
}

static void
vuln_section(struct ward_buf *b, const json_t *v)
{
	const json_t *rows = json_object_get(v, "rows");
	static const char *const sevs[] = {"critical", "high", "medium", "low", "unknown"};
	size_t i, with_vex = 0;
	json_t *r;

	ward_buf_puts(b, "<section id=\"cves\"><h2>Vulnerabilities and VEX</h2>");
	if (!json_is_true(json_object_get(v, "scanned"))) {
		ward_buf_puts(b, "<p class=\"muted\">not scanned</p></section>");
		return;
	}
	json_array_foreach(rows, i, r) with_vex += json_is_string(json_object_get(r, "vex"));
	ward_buf_printf(b,
			"<p><span id=\"cve-count\">%zu</span> findings, <span "
			"id=\"cve-vex-count\">%zu</span> with a VEX statement.  ",
			json_array_size(rows), with_vex);
	/* what a security team acts on: the count of each status */
	{
		static const char *const st[] = {"affected", "under_investigation", "fixed",
						 "not_affected"};
		size_t n[4] = {0};
		json_array_foreach(rows, i, r)
		{
			const char *x = json_string_value(json_object_get(r, "status"));
			for (size_t k = 0; x != NULL && k < 4; k++)
				n[k] += strcmp(x, st[k]) == 0;
		}
		ward_buf_puts(b, "Status: ");
		for (size_t k = 0; k < 4; k++)
			ward_buf_printf(b,
					"<span class=\"badge st-%s\">%s <span "
					"id=\"cve-status-%s\">%zu</span></span> ",
					st[k], st[k], st[k], n[k]);
		ward_buf_puts(b, "<br>");
	}
	for (size_t s = 0; s < 5; s++)
		ward_buf_printf(b, "<span class=\"badge sev-%s\">%s %.0f</span> ", sevs[s], sevs[s],
				num(json_object_get(v, "counts"), sevs[s]));
	ward_buf_puts(b, "</p><table><tr><th>id</th><th>severity</th><th>package</th><th>installed"
			 "</th><th>fixed</th><th>status (VEX)</th><th>title</th></tr>");
	json_array_foreach(rows, i, r)
	{
		const char *sev =
			token(json_string_value(json_object_get(r, "severity")), "unknown");
		if (i >= MAX_ROWS)
			break;
		ward_buf_puts(b, "<tr><td><code>");
		esc(b, r, "id");
		ward_buf_printf(b,
				"</code></td><td><span class=\"badge sev-%s\">%s</span></td><td>",
				sev, sev);
		esc(b, r, "package");
		ward_buf_puts(b, "</td><td class=\"mono\">");
		esc(b, r, "version");
		ward_buf_puts(b, "</td><td class=\"mono nw\">");
		if (json_is_string(json_object_get(r, "fixed")))
			esc(b, r, "fixed");
		else
			ward_buf_puts(b, "<span class=\"muted\">unfixed</span>");
		ward_buf_puts(b, "</td><td>");
		esc(b, r, "status");
		if (json_is_string(json_object_get(r, "justification"))) {
			ward_buf_puts(b, "<br><span class=\"muted\">");
			esc(b, r, "justification");
			ward_buf_puts(b, "</span>");
		}
		ward_buf_puts(b, "</td><td>");
		esc(b, r, "title");
		ward_buf_puts(b, "</td></tr>");
	}
	ward_buf_puts(b, "</table></section>");
}

static void
tests_section(struct ward_buf *b, const json_t *t)
{
	const json_t *s = json_object_get(t, "summary");
	size_t i;
	json_t *c;

	ward_buf_puts(b, "<section id=\"tests\"><h2>Test matrix</h2>");
	if (!json_is_object(t)) {
		ward_buf_puts(b, "<p class=\"muted\">no test report</p></section>");
		return;
	}
	ward_buf_printf(b,
			"<p><span id=\"tests-total\">%.0f</span> checks: <span class=\"r-pass\" "
			"id=\"tests-pass\">%.0f passed</span>, <span class=\"r-fail\" "
			"id=\"tests-fail\">%.0f failed</span> (%.0f required), <span "
			"class=\"r-warn\">%.0f warnings</span>, <span class=\"r-skip\">%.0f "
			"skipped</span>%s</p>",
			num(s, "checks"), num(s, "pass"), num(s, "fail"), num(s, "required_failed"),
			num(s, "warn"), num(s, "skip"),
			json_is_true(json_object_get(t, "runtime"))
				? "; the image ran in a hardened container"
				: "; no container run");
	ward_buf_puts(b, "<table><tr><th>group</th><th>check</th><th>result</th><th>evidence</th>"
			 "</tr>");
	json_array_foreach(json_object_get(t, "checks"), i, c)
	{
		const char *r = token(json_string_value(json_object_get(c, "result")), "skip");
		if (i >= MAX_ROWS)
			break;
		ward_buf_puts(b, "<tr><td>");
		esc(b, c, "group");
		ward_buf_puts(b, "</td><td><code>");
		esc(b, c, "id");
		ward_buf_printf(b, "</code>%s<br><span class=\"muted\">",
				json_is_true(json_object_get(c, "required")) ? " *" : "");
		esc(b, c, "description");
		ward_buf_printf(b, "</span></td><td class=\"r-%s\">%s</td><td class=\"mono\">", r,
				r);
		esc(b, c, "evidence");
		if (json_is_number(json_object_get(c, "value"))) {
			ward_buf_printf(b, " <b>[%.2f ", num(c, "value"));
			esc(b, c, "unit");
			ward_buf_puts(b, "]</b>");
		}
		ward_buf_puts(b, "</td></tr>");
	}
	ward_buf_puts(b, "</table><p class=\"muted\">* required</p></section>");
}

static void
signatures_section(struct ward_buf *b, const json_t *s, const json_t *repro)
{
	const char *st = json_string_value(json_object_get(s, "status"));
	const json_t *atts = json_object_get(s, "attestations");
	const char *k;
	json_t *v;
	size_t i;

	ward_buf_puts(b, "<section id=\"signatures\"><h2>Signatures, attestations, "
			 "reproducibility</h2><p>Signatures: <b id=\"signature-status\" class=\"");
	ward_buf_puts(b, st && (strcmp(st, "verified") == 0 || strcmp(st, "recorded") == 0) ? "ok"
			 : st && strcmp(st, "failed") == 0				    ? "bad"
							   : "muted");
	ward_buf_puts(b, "\">");
	report_html_escape(b, st ? st : "not checked");
	ward_buf_puts(b, "</b> — ");
	esc(b, s, "detail");
	ward_buf_puts(b, "</p>");
	if (json_is_object(atts) && json_object_size(atts) > 0) {
		ward_buf_puts(
			b,
			"<table><tr><th>attestation (predicate type)</th><th>statement</th></tr>");
		json_object_foreach((json_t *)atts, k, v)
		{
			ward_buf_puts(b, "<tr><td><code>");
			report_html_escape(b, k);
			ward_buf_puts(b, "</code></td><td class=\"mono\">");
			report_html_escape(b, json_string_value(v));
			ward_buf_puts(b, "</td></tr>");
		}
		ward_buf_puts(b, "</table>");
	} else if (json_is_array(atts) && json_array_size(atts) > 0) {
		ward_buf_puts(
			b,
			"<table><tr><th>attestation (predicate type)</th><th>statement</th></tr>");
		json_array_foreach(atts, i, v)
		{
			ward_buf_puts(b, "<tr><td><code>");
			esc(b, v, "predicateType");
			esc(b, v, "predicate_type");
			ward_buf_puts(b, "</code></td><td class=\"mono\">");
			esc(b, v, "statement");
			ward_buf_puts(b, "</td></tr>");
		}
		ward_buf_puts(b, "</table>");
	}
	ward_buf_puts(b, "<p>Reproducible build: <b id=\"reproducible-status\">");
	esc(b, repro, "status");
	ward_buf_puts(b, "</b> ");
	if (json_is_string(json_object_get(repro, "first"))) {
		ward_buf_puts(b, "<span class=\"mono\">");
		esc(b, repro, "first");
		ward_buf_puts(b, " / ");
		esc(b, repro, "second");
		ward_buf_puts(b, "</span>");
	} else {
		ward_buf_puts(b, "<span class=\"muted\">");
		esc(b, repro, "detail");
		ward_buf_puts(b, "</span>");
	}
	ward_buf_puts(b, "</p></section>");
}

static void
artifacts_section(struct ward_buf *b, const json_t *arts)
{
	size_t i, k;
	json_t *a, *f;

	if (json_array_size(arts) == 0)
		return;
	ward_buf_puts(b, "<section id=\"artifacts\"><h2>Release artifacts</h2><table><tr><th>#</th>"
			 "<th>artifact</th><th>files (SHA-256)</th></tr>");
	json_array_foreach(arts, i, a)
	{
		if (i >= 64)
			break;
		ward_buf_printf(b, "<tr><td>%.0f</td><td>", num(a, "id"));
		esc(b, a, "name");
		ward_buf_puts(b, "</td><td class=\"mono\">");
		json_array_foreach(json_object_get(a, "files"), k, f)
		{
			if (k >= 16)
				break;
			esc(b, f, "path");
			ward_buf_puts(b, " ");
			esc(b, f, "sha256");
			ward_buf_puts(b, "<br>");
		}
		ward_buf_puts(b, "</td></tr>");
	}
	ward_buf_puts(b, "</table></section>");
}

static void
comparison_section(struct ward_buf *b, const json_t *c)
{
	const json_t *l = json_object_get(c, "left"), *r = json_object_get(c, "right");
	size_t i;
	json_t *ru;

	ward_buf_puts(b, "<section id=\"comparison\"><h2>Side by side</h2><table><tr><th>rule</th>"
			 "<th>severity</th><th>");
	esc(b, json_object_get(l, "subject"), "target");
	ward_buf_puts(b, "</th><th>");
	esc(b, json_object_get(r, "subject"), "target");
	ward_buf_printf(b,
			"</th></tr><tr><td><b>hardening score</b></td><td></td><td "
			"id=\"left-score\">%.0f</td><td id=\"right-score\">%.0f</td></tr>",
			num(l, "score"), num(r, "score"));
	json_array_foreach(json_object_get(c, "rules"), i, ru)
	{
		const char *sev =
			token(json_string_value(json_object_get(ru, "severity")), "unknown");
		if (i >= MAX_ROWS)
			break;
		ward_buf_puts(b, "<tr><td><code>");
		esc(b, ru, "id");
		ward_buf_printf(b,
				"</code></td><td><span class=\"badge sev-%s\">%s</span></td>"
				"<td>%.0f</td><td>%.0f</td></tr>",
				sev, sev, num(ru, "left"), num(ru, "right"));
	}
	ward_buf_puts(b, "</table></section>");
}

char *
report_render(const json_t *m)
{
	struct ward_buf b = {0}, v = {0};
	const json_t *subj = json_object_get(m, "subject");
	const json_t *tests = json_object_get(m, "tests");
	const json_t *vulns = json_object_get(m, "vulns");
	double score = num(m, "score");

	ward_buf_puts(&b,
		      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
		      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
		      "'none'; style-src 'unsafe-inline'; img-src data:\"><title>ward report: ");
	esc(&b, m, "title");
	ward_buf_printf(&b, "</title><style>%s</style></head><body><header><h1>ward ", css);
	report_html_escape(&b, json_string_value(json_object_get(m, "kind")) ?: "report");
	ward_buf_puts(&b, ": ");
	esc(&b, m, "title");
	ward_buf_puts(&b, "</h1><div class=\"sub\">");
	esc(&b, subj, "target");
	ward_buf_puts(&b, " ");
	esc(&b, subj, "digest");
	if (json_is_string(json_object_get(m, "created"))) {
		ward_buf_puts(&b, " · ");
		esc(&b, m, "created");
	}
	ward_buf_puts(&b, "</div></header><main>");

	/* the numbers first */
	ward_buf_puts(&b, "<section id=\"summary\"><h2>Summary</h2><div class=\"cards\">"
			  "<div class=\"card\">");
	score_svg(&b, score);
	ward_buf_printf(&b,
			"<div class=\"l\">hardening score <b id=\"score\">%.0f</b>/100, "
			"grade <b id=\"grade\">",
			score);
	esc(&b, m, "grade");
	ward_buf_puts(&b, "</b></div></div>");
	ward_buf_printf(&v, "%zu", json_array_size(json_object_get(m, "findings")));
	card(&b, ward_buf_cstr(&v), "findings", "findings-count");
	v.len = 0;
	ward_buf_printf(&v, "%.0f", num(m, "severe"));
	card(&b, ward_buf_cstr(&v), "severe findings (critical/high)", "severe-count");
	v.len = 0;
	if (json_is_object(vulns)) {
		size_t open = 0, i;
		json_t *r;
		json_array_foreach(json_object_get(vulns, "rows"), i, r)
		{
			const char *x = json_string_value(json_object_get(r, "status"));
			open += x == NULL || strcmp(x, "affected") == 0 ||
				strcmp(x, "under_investigation") == 0;
		}
		ward_buf_printf(&v, "%zu", open);
		card(&b, ward_buf_cstr(&v),
		     "open vulnerabilities (affected or under investigation)", "summary-cves");
		v.len = 0;
	}
	if (json_is_object(tests)) {
		const json_t *s = json_object_get(tests, "summary");
		ward_buf_printf(&v, "%.0f/%.0f", num(s, "pass"), num(s, "checks"));
		card(&b, ward_buf_cstr(&v), "test checks passed", "summary-tests");
		v.len = 0;
	}
	human(&v, num(m, "total_bytes"));
	card(&b, ward_buf_cstr(&v), "in files", "summary-size");
	v.len = 0;
	ward_buf_puts(&b, "</div></section>");
	ward_buf_free(&v);

	if (json_is_object(json_object_get(m, "comparison")))
		comparison_section(&b, json_object_get(m, "comparison"));
	ward_buf_puts(&b, "<section id=\"hardening\"><h2>Hardening findings</h2>");
	findings_table(&b, json_object_get(m, "findings"));
	ward_buf_puts(&b, "</section>");
	if (json_is_object(vulns))
		vuln_section(&b, vulns);
	ward_buf_puts(&b, "<div class=\"grid\"><section id=\"licenses\"><h2>Licenses</h2>");
	bars_svg(&b, json_object_get(m, "licenses"), "license", "count", "packages by license", 0);
	ward_buf_puts(&b, "</section><section id=\"components\"><h2>SBOM components by type</h2>");
	bars_svg(&b, json_object_get(m, "components"), "type", "count", "components by type", 0);
	ward_buf_puts(&b, "</section></div><section id=\"sizes\"><h2>Size by category</h2>");
	bars_svg(&b, json_object_get(m, "sizes"), "category", "bytes", "bytes by category", 1);
	ward_buf_puts(&b, "</section>");
	signatures_section(&b, json_object_get(m, "signatures"),
			   json_object_get(m, "reproducible"));
	if (json_is_object(tests))
		tests_section(&b, tests);
	artifacts_section(&b, json_object_get(m, "artifacts"));
	ward_buf_puts(&b, "<footer class=\"muted\" style=\"padding:0 32px 24px\">made by ward; a "
			  "static page: no script, no external resource.</footer></main></body>"
			  "</html>\n");
	return ward_buf_steal(&b);
}
