/* policy.c: the distroless policy's forbidden packages and files.
 *
 * Images carry no shell, no package manager, no compiler and no debugger.
 * The resolver never pulls such a package in as a dependency (the edge is
 * cut and recorded); the image build refuses such a file in the root
 * filesystem.  Both read this one table.  Package patterns match the whole
 * name: "gcc-[0-9]*[0-9]" is gcc-12 but not gcc-12-base. */
#include <fnmatch.h>
#include <string.h>

#include "deb/deb.h"

#define P DEB_FORBID_PACKAGE
#define F DEB_FORBID_FILE

static const char shell[] = "shell";
static const char pkgmgr[] = "package manager";
static const char compiler[] = "compiler";
static const char debugger[] = "debugger";

static const struct deb_forbidden rules[] = {
	/* shells */
	{P, "dash", shell},
	{P, "bash", shell},
	{P, "bash-static", shell},
	{P, "busybox", shell},
	{P, "busybox-static", shell},
	{P, "toybox", shell},
	{P, "zsh", shell},
	{P, "zsh-static", shell},
	{P, "ksh", shell},
	{P, "ksh93u+m", shell},
	{P, "mksh", shell},
	{P, "posh", shell},
	{P, "yash", shell},
	{P, "tcsh", shell},
	{P, "csh", shell},
	{P, "fish", shell},
	{P, "sash", shell},
	{P, "rc", shell},
	{P, "es", shell},
	{P, "elvish", shell},
	{P, "klibc-utils", shell},
	{F, "/bin/sh", shell},
	{F, "/usr/bin/sh", shell},
	{F, "/bin/*bash", shell},
	{F, "/usr/bin/*bash", shell},
	{F, "/bin/dash", shell},
	{F, "/usr/bin/dash", shell},
	{F, "/bin/busybox", shell},
	{F, "/usr/bin/busybox", shell},
	{F, "/bin/toybox", shell},
	{F, "/usr/bin/toybox", shell},
	{F, "/bin/zsh*", shell},
	{F, "/usr/bin/zsh*", shell},
	{F, "/bin/*ksh*", shell},
	{F, "/usr/bin/*ksh*", shell},
	{F, "/bin/*csh", shell},
	{F, "/usr/bin/*csh", shell},
	{F, "/usr/bin/fish", shell},
	{F, "/usr/bin/posh", shell},
	{F, "/usr/bin/yash", shell},
	{F, "/bin/sash", shell},
	{F, "/usr/bin/sash", shell},
	{F, "/usr/lib/klibc/bin/sh*", shell},
	/* package managers (dpkg, apt, debconf which runs maintainer scripts,
	 * language package installers) */
	{P, "dpkg", pkgmgr},
	{P, "apt", pkgmgr},
	{P, "apt-utils", pkgmgr},
	{P, "aptitude", pkgmgr},
	{P, "dselect", pkgmgr},
	{P, "debconf", pkgmgr},
	{P, "cdebconf", pkgmgr},
	{P, "rpm", pkgmgr},
	{P, "python3-pip", pkgmgr},
	{P, "npm", pkgmgr},
	{P, "cargo", pkgmgr},
	{F, "/usr/bin/dpkg*", pkgmgr},
	{F, "/usr/sbin/dpkg*", pkgmgr},
	{F, "/usr/bin/apt", pkgmgr},
	{F, "/usr/bin/apt-*", pkgmgr},
	{F, "/usr/bin/aptitude*", pkgmgr},
	{F, "/usr/bin/debconf*", pkgmgr},
	{F, "/usr/bin/rpm*", pkgmgr},
	{F, "/usr/bin/pip", pkgmgr},
	{F, "/usr/bin/pip[0-9]*", pkgmgr},
	{F, "/usr/bin/npm", pkgmgr},
	/* compilers, assemblers and linkers */
	{P, "gcc", compiler},
	{P, "gcc-[0-9]*[0-9]", compiler},
	{P, "cpp", compiler},
	{P, "cpp-[0-9]*[0-9]", compiler},
	{P, "g++", compiler},
	{P, "g++-[0-9]*[0-9]", compiler},
	{P, "gfortran", compiler},
	{P, "gfortran-[0-9]*[0-9]", compiler},
	{P, "clang", compiler},
	{P, "clang-[0-9]*[0-9]", compiler},
	{P, "tcc", compiler},
	{P, "rustc", compiler},
	{P, "golang-go", compiler},
	{P, "golang-[0-9]*-go", compiler},
	{P, "binutils", compiler},
	{P, "binutils-*-linux-gnu*", compiler},
	{P, "nasm", compiler},
	{P, "yasm", compiler},
	{F, "/usr/bin/cc", compiler},
	{F, "/usr/bin/c++", compiler},
	{F, "/usr/bin/*gcc*", compiler},
	{F, "/usr/bin/*g++*", compiler},
	{F, "/usr/bin/cpp*", compiler},
	{F, "/usr/bin/*-cpp*", compiler},
	{F, "/usr/bin/clang*", compiler},
	{F, "/usr/bin/gfortran*", compiler},
	{F, "/usr/bin/tcc", compiler},
	{F, "/usr/bin/rustc", compiler},
	{F, "/usr/bin/go", compiler},
	{F, "/usr/bin/ld", compiler},
	{F, "/usr/bin/ld.*", compiler},
	{F, "/usr/bin/*-ld", compiler},
	{F, "/usr/bin/*-ld.*", compiler},
	{F, "/usr/bin/as", compiler},
	{F, "/usr/bin/*-as", compiler},
	{F, "/usr/lib/gcc/*/*/cc1*", compiler},
	/* debuggers and tracers */
	{P, "gdb", debugger},
	{P, "gdb-minimal", debugger},
	{P, "gdb-multiarch", debugger},
	{P, "gdbserver", debugger},
	{P, "lldb", debugger},
	{P, "lldb-[0-9]*[0-9]", debugger},
	{P, "strace", debugger},
	{P, "ltrace", debugger},
	{P, "valgrind", debugger},
	{F, "/usr/bin/gdb*", debugger},
	{F, "/usr/bin/lldb*", debugger},
	{F, "/usr/bin/strace", debugger},
	{F, "/usr/bin/ltrace", debugger},
	{F, "/usr/bin/valgrind*", debugger},
};

const struct deb_forbidden *
deb_forbidden_rules(size_t *n)
{
	*n = sizeof(rules) / sizeof(rules[0]);
	return rules;
}

static const char *
match(int kind, const char *s, int flags)
{
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rules[i].kind == kind && fnmatch(rules[i].pattern, s, flags) == 0)
			return rules[i].category;
	return NULL;
}

const char *
deb_forbidden_package(const char *name)
{
	return match(DEB_FORBID_PACKAGE, name, 0);
}

const char *
deb_forbidden_file(const char *path)
{
	return match(DEB_FORBID_FILE, path, FNM_PATHNAME);
}
