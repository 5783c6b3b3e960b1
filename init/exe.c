/* exe.c: the server binary, its "#!" and ELF interpreters. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exe.h"

int
exe_shebang(const void *buf, size_t n, char *out, size_t cap)
{
	const char *s = buf, *p, *end;
	size_t len;

	if (n < 2 || s[0] != '#' || s[1] != '!')
		return 0;
	/* The kernel reads at most 256 bytes of the line. */
	if (n > 256)
		n = 256;
	p = s + 2;
	end = s + n;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	const char *q = p;
	while (q < end && *q != ' ' && *q != '\t' && *q != '\n' && *q != '\0')
		q++;
	len = (size_t)(q - p);
	if (len == 0 || len >= cap || p[0] != '/')
		return -1;
	if (q == end && n == 256)
		return -1; /* interpreter path cut by the kernel's limit */
	memcpy(out, p, len);
	out[len] = '\0';
	return 1;
}

#if defined(__x86_64__)
#define EXE_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define EXE_MACHINE EM_AARCH64
#else
#error "ward-init supports x86_64 and aarch64"
#endif

int
exe_elf_interp(const void *buf, size_t n, char *out, size_t cap)
{
	const unsigned char *b = buf;
	Elf64_Ehdr eh;

	if (n < sizeof(eh) || memcmp(b, ELFMAG, SELFMAG) != 0)
		return -1;
	memcpy(&eh, b, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_machine != EXE_MACHINE)
		return -1;
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > 4096 || eh.e_phoff > n ||
	    (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > n - eh.e_phoff)
		return -1;
	for (size_t i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, b + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_INTERP)
			continue;
		if (ph.p_filesz < 2 || ph.p_filesz > cap || ph.p_filesz > PATH_MAX ||
		    ph.p_offset > n || ph.p_filesz > n - ph.p_offset)
			return -1;
		/* A NUL-terminated absolute path, with no NUL inside. */
		const char *s = (const char *)b + ph.p_offset;
		if (s[ph.p_filesz - 1] != '\0' || strlen(s) != ph.p_filesz - 1 || s[0] != '/')
			return -1;
		memcpy(out, s, ph.p_filesz);
		return 1;
	}
	return 0;
}

static int
is_exec_file(const char *path, int *err)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		*err = errno;
		return 0;
	}
	if (!S_ISREG(st.st_mode) || access(path, X_OK) != 0) {
		*err = EACCES;
		return 0;
	}
	return 1;
}

char *
exe_resolve(const char *name, const char *path_env, int *status)
{
	const char *p;
	int err = ENOENT, seen_eacces = 0;

	*status = 127;
	if (name[0] == '\0') {
		ward_err(WARD_EINPUT, "empty server command");
		return NULL;
	}
	if (strchr(name, '/') != NULL) {
		if (is_exec_file(name, &err))
			return ward_strdup(name);
		*status = err == EACCES ? 126 : 127;
		ward_err(WARD_EINPUT, "server binary %s: %s", name,
			 err == EACCES ? "not an executable file" : strerror(err));
		return NULL;
	}
	p = path_env && *path_env ? path_env : "/usr/local/bin:/usr/bin:/bin";
	while (*p) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);
		char *cand = len == 0 ? ward_asprintf("./%s", name)
				      : ward_asprintf("%.*s/%s", (int)len, p, name);
		if (cand == NULL)
			return NULL;
		if (is_exec_file(cand, &err))
			return cand;
		if (err == EACCES)
			seen_eacces = 1;
		free(cand);
		p += len + (colon != NULL);
	}
	*status = seen_eacces ? 126 : 127;
	ward_err(WARD_EINPUT, "server binary %s: %s in PATH", name,
		 seen_eacces ? "no executable file" : "not found");
	return NULL;
}

static const char *const known_loaders[] = {
#if defined(__x86_64__)
	"/lib64/ld-linux-x86-64.so.2",
	"/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
	"/lib/ld-musl-x86_64.so.1",
#else
	"/lib/ld-linux-aarch64.so.1",
	"/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1",
	"/lib/ld-musl-aarch64.so.1",
#endif
	NULL,
};

static int
add_unique(struct ward_strv *files, const char *path)
{
	if (ward_strv_contains(files, path))
		return 0;
	return ward_strv_push(files, path);
}

int
exe_chain(const char *path, struct ward_strv *files, struct ward_strv *loaders, int *unreadable)
{
	static unsigned char head[EXE_HEAD_MAX];
	char interp[PATH_MAX], cur[PATH_MAX];
	int depth;

	*unreadable = 0;
	snprintf(cur, sizeof(cur), "%s", path);
	/* The kernel follows at most a few levels of "#!" (BINPRM_MAX_RECURSION). */
	for (depth = 0; depth < 5; depth++) {
		ssize_t n;
		int fd, r;

		if (add_unique(files, cur) != 0)
			return -1;
		fd = open(cur, O_RDONLY | O_CLOEXEC);
		if (fd < 0 && errno == EACCES) {
			*unreadable = 1;
			for (size_t i = 0; known_loaders[i] != NULL; i++)
				if (access(known_loaders[i], F_OK) == 0 &&
				    (add_unique(files, known_loaders[i]) != 0 ||
				     add_unique(loaders, known_loaders[i]) != 0))
					return -1;
			return 0;
		}
		if (fd < 0)
			return ward_err_io(cur, "cannot open executable");
		n = pread(fd, head, sizeof(head), 0);
		close(fd);
		if (n < 0)
			return ward_err_io(cur, "cannot read executable");
		r = exe_shebang(head, (size_t)n, interp, sizeof(interp));
		if (r < 0)
			return ward_err(WARD_EINPUT, "%s: malformed \"#!\" line", cur);
		if (r == 1) {
			snprintf(cur, sizeof(cur), "%s", interp);
			continue;
		}
		r = exe_elf_interp(head, (size_t)n, interp, sizeof(interp));
		if (r < 0)
			return ward_err(WARD_EINPUT,
					"%s: neither a script nor a native 64-bit ELF executable",
					cur);
		if (r == 1)
			return add_unique(files, interp) != 0 ? -1 : add_unique(loaders, interp);
		return 0;
	}
	return ward_err(WARD_EINPUT, "%s: too many levels of \"#!\" interpreters", path);
}
