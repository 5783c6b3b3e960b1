/*
 * exe.h: find the server binary and every file the kernel opens to exec it
 * (the binary, "#!" interpreters, the ELF program interpreter), which is
 * what Landlock must let the server execute.  The parsers are pure and
 * bounded; a fuzz target drives them.
 */
#ifndef WARD_INIT_EXE_H
#define WARD_INIT_EXE_H

#include <stddef.h>

#include "core/core.h"

/* How many bytes of an executable the parsers look at. */
#define EXE_HEAD_MAX 16384

/* exe_shebang(buf, n, out, cap): 1 with the interpreter path of a "#!"
 * script in out, 0 when buf is not a script, -1 when the line is
 * malformed (no path, too long, relative). */
int exe_shebang(const void *buf, size_t n, char *out, size_t cap);
/* exe_elf_interp(buf, n, out, cap): for a 64-bit native-endian ELF file
 * whose first n bytes are buf: 1 with PT_INTERP in out, 0 when it has none
 * (static), -1 when buf is not such an ELF or the header is malformed or
 * points past n. */
int exe_elf_interp(const void *buf, size_t n, char *out, size_t cap);

/* exe_resolve(name, path_env): the file execvp() would run: name itself
 * when it contains '/', else the first executable regular file along
 * path_env (NULL: "/usr/local/bin:/usr/bin:/bin").  Caller frees.  NULL
 * with WARD_EINPUT and *status 127 (not found) or 126 (not executable). */
char *exe_resolve(const char *name, const char *path_env, int *status);

/* exe_chain(path, files, loaders, unreadable): append path and the
 * interpreters the kernel will open to exec it to files (no duplicates),
 * and its ELF program interpreter to loaders too.  A binary we may not read
 * (mode 0711) is trusted to be dynamic: the usual program loaders that
 * exist are added to both and *unreadable is set. */
int exe_chain(const char *path, struct ward_strv *files, struct ward_strv *loaders,
	      int *unreadable);

#endif
