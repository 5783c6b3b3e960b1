/* fuzz_wheel_target.h: the interpreter the wheel fuzz targets check against
 * (Debian 12's: CPython 3.11.2, glibc 2.36, x86_64). */
#ifndef FUZZ_WHEEL_TARGET_H
#define FUZZ_WHEEL_TARGET_H

#include "wheel/wheel.h"

static const struct wheel_target fuzz_target = {
	.py_major = 3,
	.py_minor = 11,
	.py_full = "3.11.2",
	.glibc_major = 2,
	.glibc_minor = 36,
	.machine = "x86_64",
	.arch = "amd64",
};

#endif
