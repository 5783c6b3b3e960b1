/*
 * cvss.c: CVSS v3.0/v3.1 base scores from vector strings (FIRST's
 * specification, section 7.1 and Appendix A's Roundup), and severity names.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vuln/vuln_internal.h"

/* CVSS v3.1 Roundup: the smallest number with one decimal that is >= x,
 * computed on integers so that 4.000000001 does not become 4.1. */
static double
roundup31(double x)
{
	long long i = llround(x * 100000.0);

	if (i % 10000 == 0)
		return (double)i / 100000.0;
	return (double)(i / 10000 + 1) / 10.0;
}

static double
roundup30(double x)
{
	return ceil(x * 10.0) / 10.0;
}

struct metric {
	const char *name;
	const char *values; /* accepted letters */
	double weights[4];  /* by position in values */
};

static const struct metric base_metrics[] = {
	{"AV", "NALP", {0.85, 0.62, 0.55, 0.2}},
	{"AC", "LH", {0.77, 0.44}},
	{"PR", "NLH", {0.85, 0.62, 0.27}},
	{"UI", "NR", {0.85, 0.62}},
	{"S", "UC", {0, 0}},
	{"C", "HLN", {0.56, 0.22, 0}},
	{"I", "HLN", {0.56, 0.22, 0}},
	{"A", "HLN", {0.56, 0.22, 0}},
};

/* Temporal and environmental metrics may follow; they do not change the
 * base score but must be well formed. */
static const char *const other_metrics[] = {"E",   "RL",  "RC", "CR", "IR", "AR", "MAV", "MAC",
					    "MPR", "MUI", "MS", "MC", "MI", "MA", NULL};

int
vuln_cvss3_base_score(const char *vector, double *score)
{
	int idx[8], v31;
	const char *p;
	double w[8], iss, impact, expl, base;
	char seen_other[16] = {0};

	for (int i = 0; i < 8; i++)
		idx[i] = -1;
	if (strncmp(vector, "CVSS:3.1/", 9) == 0)
		v31 = 1;
	else if (strncmp(vector, "CVSS:3.0/", 9) == 0)
		v31 = 0;
	else
		return ward_err(WARD_EINPUT,
				"CVSS vector \"%.60s\" does not start with CVSS:3.0/ or CVSS:3.1/",
				vector);
	p = vector + 9;
	while (*p) {
		const char *colon = strchr(p, ':'), *slash;
		size_t nl;
		int found = 0;

		if (colon == NULL)
			goto bad;
		slash = strchr(colon, '/');
		nl = (size_t)(colon - p);
		if (slash == NULL)
			slash = colon + strlen(colon);
		if (slash - colon != 2) /* every value is one letter */
			goto bad;
		for (int m = 0; m < 8; m++) {
			const char *pos;
			if (strlen(base_metrics[m].name) != nl ||
			    strncmp(p, base_metrics[m].name, nl) != 0)
				continue;
			if (idx[m] >= 0 || (pos = strchr(base_metrics[m].values, colon[1])) == NULL)
				goto bad;
			idx[m] = (int)(pos - base_metrics[m].values);
			found = 1;
		}
		for (int m = 0; !found && other_metrics[m] != NULL; m++) {
			if (strlen(other_metrics[m]) == nl &&
			    strncmp(p, other_metrics[m], nl) == 0) {
				if (seen_other[m]++)
					goto bad;
				found = 1;
			}
		}
		if (!found)
			goto bad;
		p = *slash ? slash + 1 : slash;
		if (*slash && *p == '\0')
			goto bad; /* trailing slash */
	}
	for (int m = 0; m < 8; m++) {
		if (idx[m] < 0)
			return ward_err(WARD_EINPUT,
					"CVSS vector \"%.80s\" lacks the base metric %s", vector,
					base_metrics[m].name);
		w[m] = base_metrics[m].weights[idx[m]];
	}
	if (idx[4] == 1) { /* scope changed raises the privilege weights */
		if (idx[2] == 1)
			w[2] = 0.68;
		else if (idx[2] == 2)
			w[2] = 0.5;
	}
	iss = 1.0 - (1.0 - w[5]) * (1.0 - w[6]) * (1.0 - w[7]);
	if (idx[4] == 0)
		impact = 6.42 * iss;
	else
		impact = 7.52 * (iss - 0.029) - 3.25 * pow(iss - 0.02, 15);
	expl = 8.22 * w[0] * w[1] * w[2] * w[3];
	if (impact <= 0)
		base = 0;
	else if (idx[4] == 0)
		base = fmin(impact + expl, 10);
	else
		base = fmin(1.08 * (impact + expl), 10);
	*score = v31 ? roundup31(base) : roundup30(base);
	return 0;
bad:
	return ward_err(WARD_EINPUT, "CVSS vector \"%.80s\" is malformed", vector);
}

int
vuln_severity_from_score(double score)
{
	if (score <= 0)
		return VULN_SEV_NONE;
	if (score < 4.0)
		return VULN_SEV_LOW;
	if (score < 7.0)
		return VULN_SEV_MEDIUM;
	if (score < 9.0)
		return VULN_SEV_HIGH;
	return VULN_SEV_CRITICAL;
}

static const char *const severity_names[] = {"unknown", "none", "low",
					     "medium",	"high", "critical"};

const char *
vuln_severity_name(int sev)
{
	if (sev < 0 || sev > VULN_SEV_CRITICAL)
		return "unknown";
	return severity_names[sev];
}

int
vuln_severity_parse(const char *s)
{
	for (int i = 0; i <= VULN_SEV_CRITICAL; i++)
		if (strcasecmp(s, severity_names[i]) == 0)
			return i;
	return -1;
}

/* Debian's urgency: the tracker's levels, or its free-text reason for an
 * open issue ("Minor issue", "Minor issue; ..."), which the security team
 * uses for issues it rates low. */
int
vuln_severity_from_urgency(const char *u)
{
	static const struct {
		const char *prefix;
		int sev;
	} map[] = {
		{"unimportant", VULN_SEV_LOW}, {"low", VULN_SEV_LOW},
		{"minor issue", VULN_SEV_LOW}, {"medium", VULN_SEV_MEDIUM},
		{"high", VULN_SEV_HIGH},
	};

	if (u == NULL)
		return VULN_SEV_UNKNOWN;
	for (size_t i = 0; i < sizeof(map) / sizeof(*map); i++)
		if (strncasecmp(u, map[i].prefix, strlen(map[i].prefix)) == 0)
			return map[i].sev;
	return VULN_SEV_UNKNOWN;
}
