/*
 * ward-init: PID 1 of ward images.  This is the skeleton that issue #5
 * fills (verify models, harden, exec once, supervise).  Until then it only
 * verifies that the pieces it needs link statically.
 */
#include <stdio.h>
#include <string.h>

#include "attest/attest.h"

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("ward-init %s\n", WARD_VERSION);
		return 0;
	}
	fprintf(stderr, "ward-init: not implemented yet\n");
	return 100;
}
