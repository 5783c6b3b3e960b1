/*
 * ward-init: PID 1 of ward images.  This is the skeleton that issue #5
 * fills (verify models, harden, exec once, supervise).  Until then it only
 * verifies that the pieces it needs link statically.
 */
#include <stdio.h>
#include <string.h>

#include "attest/attest.h"

/* The version, also where SBOM tools find it in the binary (lib/sbom). */
static const char ward_init_ident[] = "@(#)ward-init " WARD_VERSION;

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("%s\n", ward_init_ident + 4);
		return 0;
	}
	fprintf(stderr, "ward-init: not implemented yet\n");
	return 100;
}
