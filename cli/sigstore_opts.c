/* sigstore_opts.c: the keyless options every verifying command shares. */
#include <string.h>

#include "cli.h"

int
cli_sigstore_option(int c, const char *arg, struct cli_sigstore *s)
{
	switch (c) {
	case CLI_OPT_TRUSTED_ROOT:
		s->trusted_root = arg;
		return 0;
	case CLI_OPT_CERT_IDENTITY:
		s->policy.identity = arg;
		break;
	case CLI_OPT_CERT_IDENTITY_RE:
		s->policy.identity_regexp = arg;
		break;
	case CLI_OPT_CERT_ISSUER:
		s->policy.issuer = arg;
		break;
	case CLI_OPT_CERT_ISSUER_RE:
		s->policy.issuer_regexp = arg;
		break;
	default:
		return 1;
	}
	s->keyless = 1;
	return 0;
}

int
cli_sigstore_finish(struct cli_sigstore *s, const char *cmd, int need_root)
{
	const struct sigstore_policy *p = &s->policy;

	if (p->identity != NULL && p->identity_regexp != NULL)
		return cli_usage(cmd,
				 "give --certificate-identity or --certificate-identity-regexp, "
				 "not both");
	if (p->issuer != NULL && p->issuer_regexp != NULL)
		return cli_usage(cmd, "give --certificate-oidc-issuer or "
				      "--certificate-oidc-issuer-regexp, not both");
	if (s->keyless && (p->identity == NULL && p->identity_regexp == NULL))
		return cli_usage(cmd, "keyless verification needs --certificate-identity (or "
				      "-regexp): whose signature to accept");
	if (s->keyless && (p->issuer == NULL && p->issuer_regexp == NULL))
		return cli_usage(cmd, "keyless verification needs --certificate-oidc-issuer (or "
				      "-regexp)");
	if (!s->keyless && !need_root && s->trusted_root == NULL)
		return 0;
	if ((s->root = sigstore_root_load(s->trusted_root)) == NULL)
		return cli_fail();
	return 0;
}

void
cli_sigstore_free(struct cli_sigstore *s)
{
	sigstore_root_free(s->root);
	s->root = NULL;
}
