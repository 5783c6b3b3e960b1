/*
 * elf.c: the dynamic linking facts of one ELF object, read with libelf
 * (which converts 32/64-bit and either byte order): DT_SONAME, DT_NEEDED,
 * the undefined symbols of .dynsym with their GNU version (.gnu.version +
 * .gnu.version_r), and the defined function/object symbols (.dynsym, else
 * .symtab of a static executable).  No offset, count or index read from
 * the object is used without a bound: libelf checks section extents, and
 * every walk here is limited by the size of its section.
 */
#include <stdlib.h>
#include <string.h>

#include <gelf.h>
#include <libelf.h>

#include "vuln/vuln_internal.h"

#define MAX_VERSIONS 65536

void
vuln_elf_free(struct vuln_elf *e)
{
	if (e == NULL)
		return;
	free(e->soname);
	ward_strv_free(&e->needed);
	ward_strv_free(&e->imports);
	ward_strv_free(&e->defines);
	memset(e, 0, sizeof(*e));
}

static int
bad(const char *what, const char *msg)
{
	return ward_err(WARD_EINPUT, "%s: malformed ELF object: %s", what, msg);
}

/* Version index → name, from verneed (imports) and verdef (definitions). */
struct versions {
	char **name; /* indexed by version index, MAX_VERSIONS entries at most */
	size_t n;
};

static void
versions_free(struct versions *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->name[i]);
	free(v->name);
}

static int
versions_set(struct versions *v, size_t idx, const char *name)
{
	if (idx >= MAX_VERSIONS || name == NULL)
		return 0;
	if (idx >= v->n) {
		char **n = ward_reallocarray(v->name, idx + 1, sizeof(*n));
		if (n == NULL)
			return ward_err(WARD_EENV, "out of memory");
		memset(n + v->n, 0, (idx + 1 - v->n) * sizeof(*n));
		v->name = n;
		v->n = idx + 1;
	}
	if (v->name[idx] == NULL && (v->name[idx] = strdup(name)) == NULL)
		return ward_err(WARD_EENV, "out of memory");
	return 0;
}

static int
read_verneed(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, struct versions *v)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t off = 0, guard = 0, limit;

	if (d == NULL)
		return 0;
	limit = d->d_size / sizeof(GElf_Verneed) + 1;
	for (size_t n = 0; n < sh->sh_info && guard++ < limit; n++) {
		GElf_Verneed vn;
		size_t aux, g2 = 0;
		if (gelf_getverneed(d, (int)off, &vn) == NULL)
			return 0;
		aux = off + vn.vn_aux;
		for (size_t k = 0; k < vn.vn_cnt && g2++ < limit; k++) {
			GElf_Vernaux va;
			if (aux > (size_t)INT32_MAX || gelf_getvernaux(d, (int)aux, &va) == NULL)
				break;
			if (versions_set(v, va.vna_other & 0x7fff,
					 elf_strptr(elf, sh->sh_link, va.vna_name)) != 0)
				return -1;
			if (va.vna_next == 0)
				break;
			aux += va.vna_next;
		}
		if (vn.vn_next == 0)
			break;
		off += vn.vn_next;
		if (off > (size_t)INT32_MAX)
			break;
	}
	return 0;
}

static int
read_verdef(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, struct versions *v)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t off = 0, guard = 0, limit;

	if (d == NULL)
		return 0;
	limit = d->d_size / sizeof(GElf_Verdef) + 1;
	for (size_t n = 0; n < sh->sh_info && guard++ < limit; n++) {
		GElf_Verdef vd;
		GElf_Verdaux va;
		if (gelf_getverdef(d, (int)off, &vd) == NULL)
			return 0;
		if (vd.vd_cnt > 0 && off + vd.vd_aux <= (size_t)INT32_MAX &&
		    gelf_getverdaux(d, (int)(off + vd.vd_aux), &va) != NULL &&
		    versions_set(v, vd.vd_ndx & 0x7fff,
				 elf_strptr(elf, sh->sh_link, va.vda_name)) != 0)
			return -1;
		if (vd.vd_next == 0)
			break;
		off += vd.vd_next;
		if (off > (size_t)INT32_MAX)
			break;
	}
	return 0;
}

static int
read_symbols(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, Elf_Data *versym,
	     const struct versions *v, int dynamic, struct vuln_elf *out)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t count;

	if (d == NULL || sh->sh_entsize == 0)
		return 0;
	count = d->d_size / gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
	for (size_t i = 1; i < count; i++) {
		GElf_Sym s;
		GElf_Versym ver = 0;
		const char *name;
		int type, bind;
		if (gelf_getsym(d, (int)i, &s) == NULL)
			break;
		name = elf_strptr(elf, sh->sh_link, s.st_name);
		if (name == NULL || *name == '\0')
			continue;
		type = GELF_ST_TYPE(s.st_info);
		bind = GELF_ST_BIND(s.st_info);
		if (bind != STB_GLOBAL && bind != STB_WEAK && bind != STB_GNU_UNIQUE)
			continue;
		if (s.st_shndx == SHN_UNDEF) {
			if (!dynamic)
				continue;
			if (versym != NULL)
				gelf_getversym(versym, (int)i, &ver);
			ver &= 0x7fff;
			if (ver >= 2 && ver < v->n && v->name[ver] != NULL) {
				char *full = ward_asprintf("%s@%s", name, v->name[ver]);
				if (full == NULL || ward_strv_push_owned(&out->imports, full) != 0)
					return -1;
			} else if (ward_strv_push(&out->imports, name) != 0) {
				return -1;
			}
		} else if (type == STT_FUNC || type == STT_OBJECT || type == STT_GNU_IFUNC) {
			if (ward_strv_push(&out->defines, name) != 0)
				return -1;
		}
	}
	return 0;
}

static int
read_dynamic(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, struct vuln_elf *out)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t count;

	if (d == NULL)
		return 0;
	count = d->d_size / gelf_fsize(elf, ELF_T_DYN, 1, EV_CURRENT);
	for (size_t i = 0; i < count; i++) {
		GElf_Dyn dyn;
		const char *s;
		if (gelf_getdyn(d, (int)i, &dyn) == NULL || dyn.d_tag == DT_NULL)
			break;
		if (dyn.d_tag != DT_NEEDED && dyn.d_tag != DT_SONAME)
			continue;
		if ((s = elf_strptr(elf, sh->sh_link, dyn.d_un.d_val)) == NULL)
			continue;
		if (dyn.d_tag == DT_NEEDED) {
			if (ward_strv_push(&out->needed, s) != 0)
				return -1;
		} else if (out->soname == NULL && (out->soname = ward_strdup(s)) == NULL) {
			return -1;
		}
	}
	return 0;
}

int
vuln_elf_read(void *data, size_t len, const char *what, struct vuln_elf *out)
{
	static int initialised;
	struct versions v = {0};
	Elf *elf = NULL;
	Elf_Scn *scn = NULL, *dynsym = NULL, *symtab = NULL;
	Elf_Data *versym = NULL;
	GElf_Ehdr eh;
	GElf_Shdr sh, dynsym_sh, symtab_sh;
	size_t shnum, seen = 0;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!initialised) {
		if (elf_version(EV_CURRENT) == EV_NONE)
			return ward_err(WARD_EENV, "libelf is out of date");
		initialised = 1;
	}
	if (len < EI_NIDENT || memcmp(data, ELFMAG, SELFMAG) != 0)
		return bad(what, "no ELF magic");
	if ((elf = elf_memory(data, len)) == NULL)
		return bad(what, elf_errmsg(-1));
	if (elf_kind(elf) != ELF_K_ELF || gelf_getehdr(elf, &eh) == NULL) {
		bad(what, elf_errmsg(-1));
		goto out;
	}
	out->elf_class = gelf_getclass(elf) == ELFCLASS64 ? 64 : 32;
	out->big_endian = eh.e_ident[EI_DATA] == ELFDATA2MSB;
	if (elf_getshdrnum(elf, &shnum) != 0) {
		bad(what, elf_errmsg(-1));
		goto out;
	}
	/* A truncated object would otherwise read as one with fewer symbols. */
	/* (libelf reports no sections at all when their table is cut off, so
	 * the raw header fields are checked; 0 with an offset means the count
	 * is in section 0) */
	if (eh.e_shoff != 0 &&
	    (eh.e_shoff > len || eh.e_shentsize == 0 ||
	     (size_t)(eh.e_shnum ? eh.e_shnum : 1) > (len - eh.e_shoff) / eh.e_shentsize ||
	     shnum > (len - eh.e_shoff) / eh.e_shentsize)) {
		bad(what, "the section header table lies outside the file");
		goto out;
	}
	if (eh.e_phnum > 0 && (eh.e_phoff > len || eh.e_phentsize == 0 ||
			       eh.e_phnum > (len - eh.e_phoff) / eh.e_phentsize)) {
		bad(what, "the program header table lies outside the file");
		goto out;
	}
	/* first pass: version tables and the dynamic section */
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		seen++;
		if (gelf_getshdr(scn, &sh) == NULL) {
			bad(what, elf_errmsg(-1));
			goto out;
		}
		if (sh.sh_type != SHT_NOBITS && sh.sh_type != SHT_NULL &&
		    (sh.sh_offset > len || sh.sh_size > len - sh.sh_offset)) {
			bad(what, "a section lies outside the file");
			goto out;
		}
		switch (sh.sh_type) {
		case SHT_DYNSYM:
			if (dynsym == NULL) {
				dynsym = scn;
				dynsym_sh = sh;
			}
			break;
		case SHT_SYMTAB:
			if (symtab == NULL) {
				symtab = scn;
				symtab_sh = sh;
			}
			break;
		case SHT_GNU_versym:
			versym = elf_getdata(scn, NULL);
			break;
		case SHT_GNU_verneed:
			if (read_verneed(elf, scn, &sh, &v) != 0)
				goto out;
			break;
		case SHT_GNU_verdef:
			if (read_verdef(elf, scn, &sh, &v) != 0)
				goto out;
			break;
		case SHT_DYNAMIC:
			out->has_dynamic = 1;
			if (read_dynamic(elf, scn, &sh, out) != 0)
				goto out;
			break;
		default:
			break;
		}
	}
	if (shnum > 0 && seen != shnum - 1) {
		bad(what, "unreadable section headers");
		goto out;
	}
	if (dynsym != NULL && read_symbols(elf, dynsym, &dynsym_sh, versym, &v, 1, out) != 0)
		goto out;
	if (symtab != NULL && !out->has_dynamic) {
		out->has_symtab = 1;
		if (read_symbols(elf, symtab, &symtab_sh, NULL, &v, 0, out) != 0)
			goto out;
	}
	/* a program: ET_EXEC, or a PIE (PT_INTERP) that is no library (libc.so.6
	 * has PT_INTERP too, and a SONAME) */
	for (size_t i = 0; i < eh.e_phnum; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(elf, (int)i, &ph) != NULL && ph.p_type == PT_INTERP)
			out->has_interp = 1;
	}
	out->executable = eh.e_type == ET_EXEC || (out->has_interp && out->soname == NULL);
	ward_strv_sort(&out->imports);
	ward_strv_sort(&out->defines);
	rc = 0;
out:
	versions_free(&v);
	elf_end(elf);
	if (rc != 0)
		vuln_elf_free(out);
	return rc;
}
