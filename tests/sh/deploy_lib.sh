# deploy_lib.sh: a small ward image for the deploy tests (source after lib.sh).
# Builds, in $T, a static test server and probe, a model signed with a fresh
# key, and an OCI layout $T/img whose entrypoint is ward-init with a policy
# (writable /tmp and /var/cache/app, the model mounted at /models/m,
# metrics on every address), and loads it into podman as $DEPLOY_IMAGE.
chmod 755 "$T"
export CONTAINERS_CONF=$T/containers.conf
cat >"$CONTAINERS_CONF" <<'EOF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
runtime = "runc"
EOF
DEPLOY_IMAGE=localhost/ward-test-deploy-$$:latest
DEPLOY_CONTAINERS=()

deploy_cleanup() {
	local c
	for c in "${DEPLOY_CONTAINERS[@]}"; do podman rm -f "$c" >/dev/null 2>&1; done
	podman rmi -f "$DEPLOY_IMAGE" >/dev/null 2>&1
}
trap 'deploy_cleanup; chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT

# free_port: an unused TCP port on 127.0.0.1.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_http URL [SECONDS]: until URL answers 200.
wait_http() {
	local i
	for ((i = 0; i < ${2:-20} * 10; i++)); do
		curl -sf -o /dev/null "$1" && return 0
		sleep 0.1
	done
	return 1
}

deploy_build_image() {
	mkdir -p "$T/src" "$T/root/ward/keys" "$T/root/srv" "$T/root/tmp" "$T/root/etc" \
		"$T/root/var/cache/app" "$T/root/models" "$T/model"
	# The server answers every request with what it could do: read the
	# model, write /tmp, write the model (it must not).
	cat >"$T/src/server.c" <<'EOF'
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
static int try_write(const char *p) {
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) return errno;
	close(fd);
	return 0;
}
int main(int argc, char **argv) {
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[1]))};
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (void *)&a, sizeof(a)) || listen(s, 16)) { perror("bind"); return 1; }
	for (;;) {
		int c = accept(s, NULL, NULL);
		char buf[4096], body[512], resp[1024];
		struct stat st;
		if (c < 0) continue;
		(void)!read(c, buf, sizeof(buf));
		long model = stat("/models/m/weights.bin", &st) == 0 ? (long)st.st_size : -1;
		snprintf(body, sizeof(body),
		         "{\"prediction\":42,\"uid\":%d,\"model_bytes\":%ld,\"tmp_write\":%d,"
		         "\"cache_write\":%d,\"model_write\":%d,\"root_write\":%d}\n",
		         (int)getuid(), model, try_write("/tmp/t"), try_write("/var/cache/app/t"),
		         try_write("/models/m/t"), try_write("/srv/t"));
		int m = snprintf(resp, sizeof(resp), "HTTP/1.0 200 OK\r\nContent-Type: "
		                 "application/json\r\nContent-Length: %zu\r\n\r\n%s", strlen(body), body);
		(void)!write(c, resp, (size_t)m);
		close(c);
	}
}
EOF
	# The probe tries system calls the seccomp profile decides on.
	cat >"$T/src/probe.c" <<'EOF'
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
static void report(const char *name, long rc) { printf("%s %d\n", name, rc < 0 ? errno : 0); }
int main(void) {
	report("getpid", syscall(SYS_getpid));
	report("socket_inet_stream", socket(AF_INET, SOCK_STREAM, 0));
	report("socket_packet", socket(AF_PACKET, SOCK_RAW, 0));
	report("prctl_dumpable_0", prctl(PR_SET_DUMPABLE, 0, 0, 0, 0));
	report("prctl_dumpable_1", prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
	report("personality_query", personality(0xffffffff));
	report("personality_no_aslr", personality(ADDR_NO_RANDOMIZE));
	report("keyctl", syscall(SYS_keyctl, 0, -3, 0));
	report("unshare_newuser", unshare(CLONE_NEWUSER));
	report("clone3", syscall(SYS_clone3, NULL, 0));
	report("ptrace_traceme", syscall(SYS_ptrace, 0, 0, 0, 0));
	return 0;
}
EOF
	gcc -static -O2 -o "$T/root/srv/server" "$T/src/server.c" &&
		gcc -static -O2 -o "$T/root/srv/probe" "$T/src/probe.c" || return 1
	cp "$WARD_INIT" "$T/root/ward/init"
	printf 'root:x:0:0::/root:/sbin/nologin\nnonroot:x:65532:65532::/home/nonroot:/sbin/nologin\n' \
		>"$T/root/etc/passwd"
	printf 'root:x:0:\nnonroot:x:65532:\n' >"$T/root/etc/group"
	cat >"$T/root/ward/policy.json" <<'EOF'
{"version": 1, "writable": ["/tmp", "/var/cache/app"],
 "models": [{"path": "/models/m", "key": "model.pub"}],
 "landlock": {"tcp_bind": [8080]},
 "metrics": {"address": ":9090"}}
EOF
	chmod 1777 "$T/root/tmp"
	chmod -R a+rX "$T/root"
	head -c 4096 /dev/urandom >"$T/model/weights.bin"
	echo '{"layers": [8, 4]}' >"$T/model/config.json"
	WARD_PASSWORD=test "$WARD" keygen -o "$T/signing" >/dev/null 2>&1 &&
		WARD_PASSWORD=test "$WARD" model sign "$T/model" --key "$T/signing.key" \
			>/dev/null 2>&1 || return 1
	cp "$T/signing.pub" "$T/root/ward/keys/model.pub"
	chmod -R a+rX "$T/model" "$T/root/ward"
	"$WARD" image pack "$T/root" -o "$T/img:latest" --tar "$T/img.tar" \
		--tar-tag ward-test-deploy-archive:1 \
		--entrypoint /ward/init --entrypoint -- --entrypoint /srv/server --cmd 8080 \
		--user 65532:65532 --port 8080/tcp \
		--label dev.ward.deploy.memory=256M --label dev.ward.deploy.pids=64 \
		>/dev/null 2>"$T/pack.err" || { cat "$T/pack.err"; return 1; }
	skopeo copy -q "oci:$T/img:latest" "containers-storage:$DEPLOY_IMAGE" 2>"$T/skopeo.err" ||
		{ cat "$T/skopeo.err"; return 1; }
}
