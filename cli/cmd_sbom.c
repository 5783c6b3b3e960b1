/* cmd_sbom.c: ward sbom — SBOMs, license report and software hash. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "sbom/sbom.h"

static const char help[] =
	"usage: ward sbom IMAGE|ROOTFS [-o DIR] [options]\n"
	"\n"
	"Catalog what is inside a root filesystem — Debian packages (dpkg status and\n"
	"status.d), Python distributions (dist-info, egg-info), OMS-signed models and\n"
	"model files, ELF files no package owns, ward-init — and write:\n"
	"  sbom.cdx.json    CycloneDX 1.6        sbom.spdx.json   SPDX 2.3\n"
	"  licenses.json    license report, with licenses.md and licenses.csv\n"
	"  files.manifest   per-file SHA-256 manifest (software hash)\n"
	"  summary.json     completeness counts, unowned files, warnings\n"
	"  owners.tsv       which component owns each regular file\n"
	"IMAGE is an OCI layout (DIR or DIR:tag), an oci-archive or a docker-archive\n"
	"tar (FILE or FILE:name:tag); each layer is read once and verified.  ROOTFS is\n"
	"an unpacked root filesystem directory.\n"
	"\n"
	"  -o, --output DIR    write every output into DIR (replaced as a whole)\n"
	"      --format F      print one output on stdout instead: cyclonedx, spdx,\n"
	"                      licenses, licenses-md, licenses-csv, files, owners,\n"
	"                      summary\n"
	"      --name NAME     the subject's name (default: image or directory name)\n"
	"      --strict        fail (exit 1) when a regular file is owned by no component\n"
	"      --threads N     hashing threads (default: all cores)\n"
	"      --json          print the summary as JSON on stdout\n"
	"\n"
	"Outputs are deterministic: timestamps come from SOURCE_DATE_EPOCH, else the\n"
	"newest file in the root filesystem.\n"
	"Exit codes: 0 ok, 1 unowned files with --strict, 2 bad input, 3 environment.\n";

struct sbom_args {
	const char *input, *output, *format, *name;
	int strict, threads, json;
};

static int
parse(int argc, char **argv, struct sbom_args *a)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},  {"format", required_argument, NULL, 'F'},
		{"name", required_argument, NULL, 'n'},	   {"strict", no_argument, NULL, 'S'},
		{"threads", required_argument, NULL, 't'}, {"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},	   {0},
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			a->output = optarg;
			break;
		case 'F':
			a->format = optarg;
			break;
		case 'n':
			a->name = optarg;
			break;
		case 'S':
			a->strict = 1;
			break;
		case 't':
			if (cli_parse_threads(optarg, &a->threads) != 0)
				return cli_fail();
			break;
		case 'j':
			a->json = 1;
			break;
		case 'h':
			return -1;
		default:
			return cli_usage("sbom", "invalid option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage("sbom", "expected one IMAGE or ROOTFS");
	a->input = argv[optind];
	if (a->format && a->json)
		return cli_usage("sbom", "--format and --json both print on stdout; pick one");
	return 0;
}

static int
is_layout(const char *dir)
{
	char *p = ward_path_join(dir, "oci-layout");
	struct stat st;
	int yes = p && stat(p, &st) == 0;

	free(p);
	return yes;
}

static int
print_format(const struct sbom_catalog *c, const char *f)
{
	json_t *j = NULL;
	char *text = NULL;

	if (strcmp(f, "cyclonedx") == 0)
		j = sbom_cyclonedx(c);
	else if (strcmp(f, "spdx") == 0)
		j = sbom_spdx(c);
	else if (strcmp(f, "licenses") == 0)
		j = sbom_license_report(c);
	else if (strcmp(f, "summary") == 0)
		j = sbom_summary(c);
	else if (strcmp(f, "licenses-md") == 0)
		text = sbom_license_markdown(c);
	else if (strcmp(f, "licenses-csv") == 0)
		text = sbom_license_csv(c);
	else if (strcmp(f, "files") == 0)
		text = sbom_files_manifest(c);
	else if (strcmp(f, "owners") == 0)
		text = sbom_file_owners(c);
	else
		return cli_usage("sbom", "unknown format \"%s\"", f);
	if (j == NULL && text == NULL)
		return cli_fail();
	if (j != NULL) {
		cli_print_json(j);
		json_decref(j);
	} else {
		fputs(text, stdout);
		free(text);
	}
	return 0;
}

static void
report(const struct sbom_catalog *c, const struct sbom_args *a)
{
	size_t n[SBOM_KIND_WARD_INIT + 1] = {0}, yes, listed, total;
	const struct sbom_counts *k = &c->counts;

	if (ward_log_level() < WARD_LOG_INFO)
		return; /* -q */
	for (size_t i = 0; i < c->ncomps; i++)
		n[c->comps[i].kind]++;
	sbom_license_share(c, &yes, &listed, &total);
	fprintf(stderr,
		"ward: %s: %zu components (%zu deb, %zu python, %zu models, %zu model files, "
		"%zu elf, %zu ward-init)\n",
		c->name, c->ncomps, n[SBOM_KIND_DEB], n[SBOM_KIND_PYTHON], n[SBOM_KIND_MODEL],
		n[SBOM_KIND_MODEL_FILE], n[SBOM_KIND_ELF], n[SBOM_KIND_WARD_INIT]);
	fprintf(stderr,
		"ward: files: %zu regular, %zu owned (%zu deb, %zu python, %zu model, %zu elf, "
		"%zu ward-init), %zu unowned\n",
		k->files, k->files - k->unowned, k->owned[SBOM_KIND_DEB],
		k->owned[SBOM_KIND_PYTHON],
		k->owned[SBOM_KIND_MODEL] + k->owned[SBOM_KIND_MODEL_FILE], k->owned[SBOM_KIND_ELF],
		k->owned[SBOM_KIND_WARD_INIT], k->unowned);
	fprintf(stderr,
		"ward: licenses: %zu of %zu packages concluded (%.1f%%); %zu with SPDX License "
		"List ids only (%.1f%%)\n",
		yes, total, total ? 100.0 * (double)yes / (double)total : 0.0, listed,
		total ? 100.0 * (double)listed / (double)total : 0.0);
	if (c->warnings.n > 0) {
		fprintf(stderr, "ward: %zu warning%s%s\n", c->warnings.n,
			c->warnings.n == 1 ? "" : "s",
			ward_log_level() >= WARD_LOG_DEBUG ? ":" : " (-v lists them)");
		for (size_t i = 0; ward_log_level() >= WARD_LOG_DEBUG && i < c->warnings.n; i++)
			fprintf(stderr, "  %s\n", c->warnings.v[i]);
	}
	if (a->strict && k->unowned > 0) {
		for (size_t i = 0; i < k->unowned && i < 20; i++)
			fprintf(stderr, "  unowned /%s\n", c->fs.files[c->unowned[i]].path);
		if (k->unowned > 20)
			fprintf(stderr, "  … and %zu more (summary.json lists them all)\n",
				k->unowned - 20);
	}
}

int
cmd_sbom(int argc, char **argv)
{
	struct sbom_args a = {0};
	struct sbom_opts o = {0};
	struct sbom_catalog *c = NULL;
	struct stat st;
	int rc, rootfs;

	if ((rc = parse(argc, argv, &a)) != 0)
		return rc < 0 ? cli_help(help) : rc;
	if (a.output == NULL && a.format == NULL && !a.json)
		return cli_usage("sbom", "say where the outputs go: -o DIR, --format F or --json");
	o.threads = a.threads;
	o.name = a.name;
	/* A directory without oci-layout is a root filesystem; anything else
	 * (a layout, "DIR:tag", an archive) is an image. */
	rootfs = stat(a.input, &st) == 0 && S_ISDIR(st.st_mode) && !is_layout(a.input);
	o.progress = ward_progress_new(rootfs ? "hashing" : "reading layers", 0, 1);
	rc = rootfs ? sbom_catalog_rootfs(a.input, &o, &c) : sbom_catalog_image(a.input, &o, &c);
	ward_progress_done(o.progress);
	if (rc != 0)
		return cli_fail();
	if (a.output && sbom_write_dir(c, a.output) != 0) {
		sbom_catalog_free(c);
		return cli_fail();
	}
	rc = 0;
	if (a.format)
		rc = print_format(c, a.format);
	else if (a.json) {
		json_t *j = sbom_summary(c);
		if (j == NULL)
			rc = cli_fail();
		else
			cli_print_json(j);
		json_decref(j);
	}
	report(c, &a);
	if (rc == 0 && a.output)
		ward_info("wrote %s", a.output);
	if (rc == 0 && a.strict && c->counts.unowned > 0) {
		fprintf(stderr, "ward: --strict: %zu regular file%s owned by no component\n",
			c->counts.unowned, c->counts.unowned == 1 ? "" : "s");
		rc = EXIT_VERIFY;
	}
	sbom_catalog_free(c);
	return rc;
}
