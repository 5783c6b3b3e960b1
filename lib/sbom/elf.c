/* elf.c: ELF files no package owns — type, SONAME and DT_NEEDED through
 * libelf — and the libraries they need, resolved to their owners. */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sbom/sbom_internal.h"

#define ELF_MAX_NEEDED 4096

static pthread_once_t elf_once = PTHREAD_ONCE_INIT;

static void
elf_init(void)
{
	(void)elf_version(EV_CURRENT);
}

static void
machine_name(int m, char out[16])
{
	switch (m) {
	case EM_X86_64:
		snprintf(out, 16, "x86-64");
		break;
	case EM_AARCH64:
		snprintf(out, 16, "aarch64");
		break;
	case EM_386:
		snprintf(out, 16, "x86");
		break;
	case EM_ARM:
		snprintf(out, 16, "arm");
		break;
	case EM_RISCV:
		snprintf(out, 16, "riscv");
		break;
	case EM_PPC64:
		snprintf(out, 16, "ppc64");
		break;
	case EM_S390:
		snprintf(out, 16, "s390");
		break;
	default:
		snprintf(out, 16, "em-%d", m);
		break;
	}
}

/* Parse an ELF image in writable memory (libelf may convert in place). */
static int
parse_image(char *img, size_t len, const char *what, struct sbom_elf_info *out)
{
	Elf *e;
	GElf_Ehdr eh;
	Elf_Scn *scn = NULL;
	size_t nph = 0;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	pthread_once(&elf_once, elf_init);
	if (len < 4 || memcmp(img, ELFMAG, SELFMAG) != 0)
		return ward_err(WARD_EINPUT, "%s: not an ELF file", what);
	if ((e = elf_memory(img, len)) == NULL)
		return ward_err(WARD_EINPUT, "%s: %s", what, elf_errmsg(-1));
	if (elf_kind(e) != ELF_K_ELF || gelf_getehdr(e, &eh) == NULL) {
		ward_err(WARD_EINPUT, "%s: malformed ELF header", what);
		goto out;
	}
	machine_name(eh.e_machine, out->machine);
	if (elf_getphdrnum(e, &nph) == 0) {
		for (size_t i = 0; i < nph && i < 4096; i++) {
			GElf_Phdr ph;
			if (gelf_getphdr(e, (int)i, &ph) == NULL || ph.p_type != PT_INTERP)
				continue;
			if (ph.p_offset < len && ph.p_filesz > 0 && ph.p_filesz <= 4096 &&
			    ph.p_filesz <= len - ph.p_offset && out->interp == NULL)
				out->interp = ward_strndup(img + ph.p_offset,
							   strnlen(img + ph.p_offset, ph.p_filesz));
		}
	}
	switch (eh.e_type) {
	case ET_EXEC:
		out->type = ward_strdup("executable");
		break;
	case ET_DYN:
		out->type = ward_strdup(out->interp ? "executable" : "shared-object");
		break;
	case ET_REL:
		out->type = ward_strdup("relocatable");
		break;
	case ET_CORE:
		out->type = ward_strdup("core");
		break;
	default:
		out->type = ward_strdup("unknown");
		break;
	}
	if (out->type == NULL)
		goto out;
	while ((scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *data;
		size_t n;

		if (gelf_getshdr(scn, &sh) == NULL || sh.sh_type != SHT_DYNAMIC)
			continue;
		if ((data = elf_getdata(scn, NULL)) == NULL || sh.sh_entsize == 0)
			continue;
		n = data->d_size / sh.sh_entsize;
		for (size_t i = 0; i < n; i++) {
			GElf_Dyn dyn;
			const char *s;
			if (gelf_getdyn(data, (int)i, &dyn) == NULL || dyn.d_tag == DT_NULL)
				break;
			if (dyn.d_tag != DT_NEEDED && dyn.d_tag != DT_SONAME)
				continue;
			s = elf_strptr(e, sh.sh_link, dyn.d_un.d_val);
			if (s == NULL || *s == '\0')
				continue;
			if (dyn.d_tag == DT_SONAME && out->soname == NULL) {
				if ((out->soname = ward_strdup(s)) == NULL)
					goto out;
			} else if (dyn.d_tag == DT_NEEDED && out->needed.n < ELF_MAX_NEEDED) {
				if (ward_strv_push(&out->needed, s) != 0)
					goto out;
			}
		}
		break;
	}
	rc = 0;
out:
	elf_end(e);
	if (rc != 0)
		sbom_elf_info_free(out);
	return rc;
}

int
sbom_elf_parse(const void *data, size_t len, const char *what, struct sbom_elf_info *out)
{
	char *copy = ward_malloc(len ? len : 1);
	int rc;

	if (copy == NULL)
		return -1;
	memcpy(copy, data, len);
	rc = parse_image(copy, len, what, out);
	free(copy);
	return rc;
}

void
sbom_elf_info_free(struct sbom_elf_info *e)
{
	if (e == NULL)
		return;
	free(e->type);
	free(e->soname);
	free(e->interp);
	ward_strv_free(&e->needed);
	memset(e, 0, sizeof(*e));
}

/* ---------------------------------------------------------------- catalog */

/* Map the file privately (copy-on-write) and parse it; 1 when not ELF. */
static int
parse_file(const struct sbom_fileset *fs, size_t i, struct sbom_elf_info *info)
{
	const struct sbom_file *f = &fs->files[i];
	char *full = fileset_content_path(fs, i), *what = NULL;
	unsigned char magic[SELFMAG];
	void *map = MAP_FAILED;
	struct stat st;
	int fd = -1, rc = -1;

	if (full == NULL)
		return -1;
	fd = ward_input_openat(AT_FDCWD, full, WARD_IN_NOFOLLOW, full, NULL); /* no FIFO */
	if (fd < 0)
		goto out;
	if (pread(fd, magic, SELFMAG, 0) != SELFMAG || memcmp(magic, ELFMAG, SELFMAG) != 0) {
		rc = 1;
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 16 ||
	    (uint64_t)st.st_size > SBOM_MAX_ELF) {
		rc = 1;
		goto out;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		ward_err_io(full, "cannot map");
		goto out;
	}
	if ((what = ward_asprintf("/%s", f->path)) == NULL)
		goto out;
	rc = parse_image(map, (size_t)st.st_size, what, info);
	if (rc != 0) {
		ward_err_clear();
		rc = 1; /* ELF magic but unreadable: an ordinary unowned file */
	}
out:
	if (map != MAP_FAILED)
		munmap(map, (size_t)st.st_size);
	if (fd >= 0)
		close(fd);
	free(full);
	free(what);
	return rc;
}

static const char *const lib_dirs[] = {
	"lib",
	"usr/lib",
	"lib64",
	"usr/lib64",
	"usr/local/lib",
	"lib/x86_64-linux-gnu",
	"usr/lib/x86_64-linux-gnu",
	"lib/aarch64-linux-gnu",
	"usr/lib/aarch64-linux-gnu",
	"lib/i386-linux-gnu",
	"usr/lib/i386-linux-gnu",
	"lib/arm-linux-gnueabihf",
	"usr/lib/arm-linux-gnueabihf",
	"lib/powerpc64le-linux-gnu",
	"usr/lib/powerpc64le-linux-gnu",
	"lib/s390x-linux-gnu",
	"usr/lib/s390x-linux-gnu",
	"lib/riscv64-linux-gnu",
	"usr/lib/riscv64-linux-gnu",
};

/* The file a needed soname loads: beside the binary ($ORIGIN-style
 * bundles, e.g. wheels), then the standard directories. */
static ssize_t
find_library(const struct sbom_catalog *c, const char *from, const char *soname)
{
	const char *slash = strrchr(from, '/');
	char *p;
	ssize_t i = -1;

	if (strchr(soname, '/') != NULL)
		return -1;
	if (slash) {
		if ((p = ward_asprintf("%.*s/%s", (int)(slash - from), from, soname)) == NULL)
			return -1;
		i = fileset_regular(&c->fs, p);
		free(p);
		if (i >= 0)
			return i;
	}
	for (size_t d = 0; d < sizeof(lib_dirs) / sizeof(*lib_dirs); d++) {
		if ((p = ward_asprintf("%s/%s", lib_dirs[d], soname)) == NULL)
			return -1;
		i = fileset_regular(&c->fs, p);
		free(p);
		if (i >= 0)
			return i;
	}
	return -1;
}

int
catalog_elf(struct sbom_catalog *c)
{
	size_t first = c->ncomps, *want = NULL, nwant = 0;
	int ret = -1;

	/* Only files that start with the ELF magic and that nothing owns. */
	if ((want = ward_calloc(c->fs.n + 1, sizeof(*want))) == NULL)
		return -1;
	for (size_t i = 0; i < c->fs.n; i++)
		if (c->fs.files[i].owner < 0 && fileset_is_elf(&c->fs, i))
			want[nwant++] = i;
	if (fileset_fetch(&c->fs, want, nwant) != 0)
		goto out;
	for (size_t w = 0; w < nwant; w++) {
		size_t i = want[w];
		struct sbom_file *f = &c->fs.files[i];
		struct sbom_elf_info info = {0};
		struct sbom_component *comp;
		const char *base;
		int rc;

		if ((rc = parse_file(&c->fs, i, &info)) < 0)
			goto out;
		if (rc > 0)
			continue;
		base = strrchr(f->path, '/');
		base = base ? base + 1 : f->path;
		if ((comp = catalog_add(c, SBOM_KIND_ELF, base, NULL)) == NULL) {
			sbom_elf_info_free(&info);
			goto out;
		}
		comp->location = ward_strdup(f->path);
		comp->elf_type = info.type, info.type = NULL;
		comp->soname = info.soname, info.soname = NULL;
		comp->needed = info.needed;
		memset(&info.needed, 0, sizeof(info.needed));
		comp->hashed = f->hashed;
		memcpy(comp->sha256, f->sha256, SHA256_LEN);
		comp->layer = f->layer;
		if (comp->location == NULL ||
		    catalog_prop(comp, "ward:elf:machine", info.machine) ||
		    catalog_prop(comp, "ward:elf:type", comp->elf_type) ||
		    catalog_prop(comp, "ward:elf:soname", comp->soname) ||
		    catalog_prop(comp, "ward:elf:interpreter", info.interp) ||
		    license_set(&comp->license, "NOASSERTION", "NOASSERTION", "none") != 0 ||
		    catalog_claim(c, c->ncomps - 1, i) < 0) {
			sbom_elf_info_free(&info);
			goto out;
		}
		for (size_t k = 0; k < comp->needed.n; k++)
			if (catalog_prop(comp, "ward:elf:needed", comp->needed.v[k]) != 0) {
				sbom_elf_info_free(&info);
				goto out;
			}
		sbom_elf_info_free(&info);
	}
	/* Needed libraries, now that every ELF component exists. */
	for (size_t k = first; k < c->ncomps; k++) {
		struct sbom_component *comp = &c->comps[k];
		for (size_t j = 0; j < comp->needed.n; j++) {
			ssize_t lib = find_library(c, comp->location, comp->needed.v[j]);
			int32_t owner = lib >= 0 ? c->fs.files[lib].owner : -1;
			if (owner >= 0 && (size_t)owner != k &&
			    catalog_dep(comp, (size_t)owner) != 0)
				goto out;
		}
	}
	ret = 0;
out:
	free(want);
	return ret;
}
