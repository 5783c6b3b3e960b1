/* release.c: Release files, their OpenPGP signatures (gpgv), decompression. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lz4frame.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "deb/deb_internal.h"

extern char **environ;

/* ------------------------------------------------------------ Release */

static int
parse_sha256_list(const char *v, const char *what, struct deb_release *out)
{
	size_t cap = 0;

	while (v != NULL && *v) {
		const char *nl = strchr(v, '\n');
		size_t len = nl ? (size_t)(nl - v) : strlen(v);
		char line[1024], hex[65], path[900];
		unsigned long long size;
		int used = 0;

		if (len >= sizeof(line))
			return ward_err(WARD_EINPUT, "%s: SHA256 line too long", what);
		memcpy(line, v, len);
		line[len] = '\0';
		v += len + (nl != NULL);
		if (strspn(line, " \t\r") == len)
			continue;
		if (sscanf(line, " %64s %llu %899s %n", hex, &size, path, &used) != 3 ||
		    line[used] != '\0' || strlen(hex) != 64 ||
		    strspn(hex, "0123456789abcdef") != 64)
			return ward_err(WARD_EINPUT, "%s: malformed SHA256 line \"%.80s\"", what,
					line);
		if (ward_vec_reserve(&out->files, &cap, out->nfiles + 1, sizeof(*out->files)) != 0)
			return -1;
		out->files[out->nfiles].path = ward_strdup(path);
		if (out->files[out->nfiles].path == NULL)
			return -1;
		out->files[out->nfiles].size = size;
		memcpy(out->files[out->nfiles].sha256, hex, 65);
		out->nfiles++;
	}
	return 0;
}

int
deb_release_parse(const char *data, size_t len, const char *what, struct deb_release *out)
{
	memset(out, 0, sizeof(*out));
	if (deb_control_parse(data, len, what, &out->ctrl) != 0)
		return -1;
	if (out->ctrl.n != 1) {
		ward_err(WARD_EINPUT, "%s: expected one Release paragraph, found %zu", what,
			 out->ctrl.n);
		goto fail;
	}
	out->para = &out->ctrl.paras[0];
	if (deb_para_get(out->para, "SHA256") == NULL) {
		ward_err(WARD_EINPUT, "%s: no SHA256 list (SHA-256 is required)", what);
		goto fail;
	}
	if (parse_sha256_list(deb_para_get(out->para, "SHA256"), what, out) != 0)
		goto fail;
	return 0;
fail:
	deb_release_free(out);
	return -1;
}

const struct deb_release_file *
deb_release_lookup(const struct deb_release *r, const char *path)
{
	for (size_t i = 0; i < r->nfiles; i++)
		if (strcmp(r->files[i].path, path) == 0)
			return &r->files[i];
	return NULL;
}

void
deb_release_free(struct deb_release *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nfiles; i++)
		free(r->files[i].path);
	free(r->files);
	deb_control_free(&r->ctrl);
	memset(r, 0, sizeof(*r));
}

/* ------------------------------------------------------------ gpgv */

const char *
gpgv_path(void)
{
	static const char *const dirs[] = {"/usr/bin/gpgv", "/bin/gpgv", "/usr/local/bin/gpgv"};
	const char *env = getenv("WARD_GPGV");

	if (env != NULL && *env)
		return access(env, X_OK) == 0 ? env : NULL;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (access(dirs[i], X_OK) == 0)
			return dirs[i];
	return NULL;
}

static int
tmpfile_fd(char *tmpl_out, size_t n, const char *tag)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	snprintf(tmpl_out, n, "%s/ward-%s-XXXXXX", dir && *dir ? dir : "/tmp", tag);
	fd = mkostemp(tmpl_out, O_CLOEXEC);
	if (fd < 0)
		ward_err_io(tmpl_out, "cannot create a temporary file");
	return fd;
}

/* status_fpr: the fingerprint from "[GNUPG:] VALIDSIG <fpr> ...", and
 * whether the key had expired or was revoked. */
static int
status_fpr(const char *status, char fpr[41])
{
	const char *v = strstr(status, "[GNUPG:] VALIDSIG ");
	size_t n;

	if (strstr(status, "[GNUPG:] EXPKEYSIG") || strstr(status, "[GNUPG:] REVKEYSIG") ||
	    strstr(status, "[GNUPG:] BADSIG") || v == NULL)
		return -1;
	v += strlen("[GNUPG:] VALIDSIG ");
	n = strspn(v, "0123456789ABCDEFabcdef");
	if (n < 32 || n > 40)
		return -1;
	memcpy(fpr, v, n);
	fpr[n] = '\0';
	return 0;
}

int
deb_gpgv_verify(const char *signed_path, const char *detached_sig, const char *keyring,
		struct ward_buf *data_out, char fpr_out[41])
{
	const char *gpgv = gpgv_path();
	char outp[256], statp[256], errp[256];
	int outfd = -1, statfd = -1, errfd = -1, status, rc = -1;
	struct ward_buf st = {0}, er = {0};
	posix_spawn_file_actions_t fa;
	char *argv[12];
	int argc = 0;
	pid_t pid;

	if (gpgv == NULL)
		return ward_err(WARD_EENV,
				"%s: gpgv not found, cannot check the OpenPGP signature "
				"(install gpgv, or accept unsigned indices explicitly)",
				signed_path);
	if (keyring == NULL || access(keyring, R_OK) != 0)
		return ward_err(WARD_EENV, "%s: keyring %s cannot be read", signed_path,
				keyring ? keyring : "(none)");
	outp[0] = statp[0] = errp[0] = '\0';
	if ((statfd = tmpfile_fd(statp, sizeof(statp), "gpgv-status")) < 0 ||
	    (errfd = tmpfile_fd(errp, sizeof(errp), "gpgv-err")) < 0)
		goto out;
	if (detached_sig == NULL && (outfd = tmpfile_fd(outp, sizeof(outp), "gpgv-out")) < 0)
		goto out;
	argv[argc++] = (char *)gpgv;
	argv[argc++] = "--status-fd";
	argv[argc++] = "1";
	argv[argc++] = "--keyring";
	argv[argc++] = (char *)keyring;
	if (detached_sig == NULL) {
		argv[argc++] = "--output";
		argv[argc++] = outp;
		argv[argc++] = (char *)signed_path;
	} else {
		argv[argc++] = (char *)detached_sig;
		argv[argc++] = (char *)signed_path;
	}
	argv[argc] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, statfd, 1);
	posix_spawn_file_actions_adddup2(&fa, errfd, 2);
	if (outfd >= 0) {
		/* gpgv refuses to overwrite: let it create the file itself. */
		close(outfd);
		outfd = -1;
		unlink(outp);
	}
	errno = posix_spawn(&pid, gpgv, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (errno != 0) {
		ward_errno(WARD_EENV, "%s: cannot run gpgv", signed_path);
		goto out;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			ward_errno(WARD_EENV, "%s: waiting for gpgv", signed_path);
			goto out;
		}
	if (ward_file_read(statp, 1 << 20, &st) != 0 || ward_file_read(errp, 1 << 20, &er) != 0)
		goto out;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    status_fpr(ward_buf_cstr(&st), fpr_out) != 0) {
		char *e = ward_buf_cstr(&er), *nl;
		/* gpgv's own last line says why ("Can't check signature: No public key"). */
		while ((nl = strrchr(e, '\n')) != NULL && nl[1] == '\0')
			*nl = '\0';
		nl = strrchr(e, '\n');
		ward_err(WARD_EVERIFY, "%s: OpenPGP signature does not verify with %s (%s)",
			 signed_path, keyring, nl ? nl + 1 : (*e ? e : "no valid signature"));
		goto out;
	}
	if (detached_sig == NULL)
		rc = ward_file_read(outp, 256u << 20, data_out);
	else
		rc = ward_file_read(signed_path, 256u << 20, data_out);
out:
	if (outfd >= 0)
		close(outfd);
	if (statfd >= 0)
		close(statfd);
	if (errfd >= 0)
		close(errfd);
	if (outp[0])
		unlink(outp);
	if (statp[0])
		unlink(statp);
	if (errp[0])
		unlink(errp);
	ward_buf_free(&st);
	ward_buf_free(&er);
	return rc;
}

/* ------------------------------------------------------------ decompression */

static int
too_big(const char *name, size_t max)
{
	return ward_err(WARD_EINPUT, "%s: decompresses to more than %zu bytes", name, max);
}

static int
room(struct ward_buf *out, size_t max, size_t start, const char *name)
{
	if (out->len - start >= max + 1)
		return too_big(name, max);
	return ward_buf_reserve(out, 1 << 20);
}

static int
gunzip(const unsigned char *in, size_t len, const char *name, size_t max, struct ward_buf *out)
{
	z_stream z = {0};
	size_t start = out->len;
	int r = Z_OK;

	if (len > UINT32_MAX)
		return ward_err(WARD_EINPUT, "%s: too large for gzip decoding", name);
	if (inflateInit2(&z, 15 + 32) != Z_OK)
		return ward_err(WARD_EENV, "%s: cannot start zlib", name);
	z.next_in = (unsigned char *)in;
	z.avail_in = (uInt)len;
	for (;;) {
		if (room(out, max, start, name) != 0)
			goto fail;
		z.next_out = out->data + out->len;
		z.avail_out = (uInt)(out->cap - out->len - 1);
		r = inflate(&z, Z_NO_FLUSH);
		out->len = (size_t)(z.next_out - out->data);
		if (r == Z_STREAM_END) {
			/* Concatenated gzip members continue the stream. */
			if (z.avail_in == 0)
				break;
			if (inflateReset(&z) != Z_OK)
				goto bad;
			continue;
		}
		if (r != Z_OK && r != Z_BUF_ERROR)
			goto bad;
		if (r == Z_BUF_ERROR && z.avail_in == 0)
			goto bad; /* truncated */
	}
	inflateEnd(&z);
	if (out->len - start > max)
		return too_big(name, max);
	return 0;
bad:
	ward_err(WARD_EINPUT, "%s: corrupt or truncated gzip data", name);
fail:
	inflateEnd(&z);
	return -1;
}

static int
unxz(const unsigned char *in, size_t len, const char *name, size_t max, struct ward_buf *out)
{
	lzma_stream s = LZMA_STREAM_INIT;
	size_t start = out->len;
	lzma_ret r;

	if (lzma_stream_decoder(&s, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
		return ward_err(WARD_EENV, "%s: cannot start liblzma", name);
	s.next_in = in;
	s.avail_in = len;
	for (;;) {
		if (room(out, max, start, name) != 0)
			goto fail;
		s.next_out = out->data + out->len;
		s.avail_out = out->cap - out->len - 1;
		r = lzma_code(&s, s.avail_in == 0 ? LZMA_FINISH : LZMA_RUN);
		out->len = (size_t)(s.next_out - out->data);
		if (r == LZMA_STREAM_END)
			break;
		if (r != LZMA_OK) {
			ward_err(WARD_EINPUT, "%s: corrupt or truncated xz data", name);
			goto fail;
		}
	}
	lzma_end(&s);
	if (out->len - start > max)
		return too_big(name, max);
	return 0;
fail:
	lzma_end(&s);
	return -1;
}

static int
unlz4(const unsigned char *in, size_t len, const char *name, size_t max, struct ward_buf *out)
{
	LZ4F_dctx *ctx;
	size_t start = out->len, hint = 1;

	if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION)))
		return ward_err(WARD_EENV, "%s: cannot start lz4", name);
	while (len > 0 || hint != 0) {
		size_t src = len, dst;
		if (room(out, max, start, name) != 0)
			goto fail;
		dst = out->cap - out->len - 1;
		hint = LZ4F_decompress(ctx, out->data + out->len, &dst, in, &src, NULL);
		if (LZ4F_isError(hint)) {
			ward_err(WARD_EINPUT, "%s: corrupt lz4 data (%s)", name,
				 LZ4F_getErrorName(hint));
			goto fail;
		}
		out->len += dst;
		in += src;
		len -= src;
		if (len == 0 && hint != 0 && src == 0 && dst == 0) {
			ward_err(WARD_EINPUT, "%s: truncated lz4 data", name);
			goto fail;
		}
	}
	LZ4F_freeDecompressionContext(ctx);
	if (out->len - start > max)
		return too_big(name, max);
	return 0;
fail:
	LZ4F_freeDecompressionContext(ctx);
	return -1;
}

static int
unzstd(const unsigned char *in, size_t len, const char *name, size_t max, struct ward_buf *out)
{
	ZSTD_DStream *z = ZSTD_createDStream();
	ZSTD_inBuffer ib = {in, len, 0};
	size_t start = out->len, r = 1;

	if (z == NULL)
		return ward_err(WARD_EENV, "%s: cannot start zstd", name);
	while (ib.pos < ib.size || r != 0) {
		ZSTD_outBuffer ob;
		size_t before = ib.pos;
		if (room(out, max, start, name) != 0)
			goto fail;
		ob.dst = out->data + out->len;
		ob.size = out->cap - out->len - 1;
		ob.pos = 0;
		r = ZSTD_decompressStream(z, &ob, &ib);
		if (ZSTD_isError(r)) {
			ward_err(WARD_EINPUT, "%s: corrupt zstd data (%s)", name,
				 ZSTD_getErrorName(r));
			goto fail;
		}
		out->len += ob.pos;
		if (ib.pos == ib.size && r != 0 && ob.pos == 0 && before == ib.pos) {
			ward_err(WARD_EINPUT, "%s: truncated zstd data", name);
			goto fail;
		}
	}
	ZSTD_freeDStream(z);
	if (out->len - start > max)
		return too_big(name, max);
	return 0;
fail:
	ZSTD_freeDStream(z);
	return -1;
}

int
deb_decompress(const void *data, size_t len, const char *name, size_t max, struct ward_buf *out)
{
	int rc;

	if (ward_str_endswith(name, ".gz"))
		rc = gunzip(data, len, name, max, out);
	else if (ward_str_endswith(name, ".xz"))
		rc = unxz(data, len, name, max, out);
	else if (ward_str_endswith(name, ".lz4"))
		rc = unlz4(data, len, name, max, out);
	else if (ward_str_endswith(name, ".zst"))
		rc = unzstd(data, len, name, max, out);
	else if (len > max)
		rc = too_big(name, max);
	else
		rc = ward_buf_append(out, data, len);
	if (rc == 0 && ward_buf_reserve(out, 0) == 0)
		out->data[out->len] = '\0';
	return rc;
}

/* ------------------------------------------------------------ clearsigned text */

int
clearsign_strip(const char *data, size_t len, struct ward_buf *out)
{
	static const char begin[] = "-----BEGIN PGP SIGNED MESSAGE-----";
	static const char sig[] = "-----BEGIN PGP SIGNATURE-----";
	const char *p = data, *end = data + len;
	int in_body = 0;

	if (len < sizeof(begin) - 1 || memcmp(data, begin, sizeof(begin) - 1) != 0)
		return -1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		size_t content = l > 0 && p[l - 1] == '\r' ? l - 1 : l;

		if (!in_body) {
			if (content == 0)
				in_body = 1; /* armor headers end at the first blank line */
		} else {
			if (content == sizeof(sig) - 1 && memcmp(p, sig, content) == 0)
				return 0;
			if (content >= 2 && p[0] == '-' && p[1] == ' ') {
				p += 2;
				content -= 2;
				l -= 2;
			}
			if (ward_buf_append(out, p, content) != 0 || ward_buf_puts(out, "\n") != 0)
				return -1;
		}
		p += l + (nl != NULL);
	}
	return -1; /* no signature block: not a complete clearsigned message */
}
