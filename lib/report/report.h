/*
 * report: `ward report` — one static, self-contained HTML page for a
 * release or an audit: hardening score, findings, the CVE table with VEX
 * status, the license breakdown (inline SVG), SBOM component counts by
 * type, signature/attestation status, reproducibility, the test matrix.
 * No script, no external fetch: CSS and SVG are inline, so the page can be
 * mailed, archived and opened offline (docs/ward-report.md).
 *
 * Two steps: a model (JSON, every field optional) is gathered from the
 * inputs, then rendered.  The renderer takes untrusted JSON (a release
 * directory may come from anywhere): every string is escaped, numbers are
 * read as numbers, lists are capped.  Errors follow core.h.
 */
#ifndef WARD_REPORT_H
#define WARD_REPORT_H

#include "core/core.h"
#include "crypto/crypto.h"

/* report_model_release(dir, key, threads, out): the model of a release
 * directory (release.json and artifacts/).  With key, the release is
 * verified now (release_verify) and the page says so; without, the page
 * shows what the release recorded and says it was not re-checked. */
int report_model_release(const char *dir, const struct ward_key *key, int threads, json_t **out);
/* report_model_audit(doc, out): the model of `ward audit --json` output
 * (a report, or a comparison with --compare). */
int report_model_audit(const json_t *doc, json_t **out);
/* report_render(model): the HTML page; caller frees.  NULL only when out
 * of memory. */
char *report_render(const json_t *model);

/* report_render_fleet(model): the page of a fleet (fleet_state_model or
 * fleet_answers_model in lib/fleet): images x vulnerabilities, each cell
 * coloured by severity and showing the VEX status; caller frees.  NULL
 * only when out of memory. */
char *report_render_fleet(const json_t *model);

/* report_html_escape(b, s): s with & < > " ' escaped, appended to b. */
int report_html_escape(struct ward_buf *b, const char *s);

#endif
