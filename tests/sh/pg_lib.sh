# pg_lib.sh: a private PostgreSQL cluster for tests and benchmarks.  Source
# it after lib.sh (it needs $T), then:
#   pg_start        initdb + pg_ctl start in $T/pg as the unprivileged user
#                   ward-pgtest (made when missing: tests run as root, and
#                   PostgreSQL refuses to run as root); it listens on a Unix
#                   socket in $T/pg only (listen_addresses=''), never on a
#                   network port.  Sets PG_URI (postgresql:///…?host=…).
#   pg_stop         stop it (also done on exit)
# Needs Debian's postgresql (scripts/install-deps.sh --test).
PG_USER=${PG_USER:-ward-pgtest}
PG_DIR=""
PG_URI=""

pg_bin() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
	[ -n "$d" ] && [ -x "$d/initdb" ] && echo "$d"
}

# as_pg CMD...: run CMD as the cluster's user.
as_pg() {
	if [ "$(id -u)" = 0 ]; then
		setpriv --reuid="$PG_USER" --regid="$(id -g "$PG_USER")" --clear-groups \
			--reset-env -- "$@"
	else
		"$@"
	fi
}

pg_start() {
	local bin
	bin=$(pg_bin) || { echo "pg_lib: PostgreSQL is not installed (apt-get install postgresql)" >&2; return 1; }
	if [ "$(id -u)" = 0 ] && ! id "$PG_USER" >/dev/null 2>&1; then
		useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
			"$PG_USER" || return 1
	fi
	[ "$(id -u)" = 0 ] || PG_USER=$(id -un)
	PG_DIR=$T/pg
	chmod 711 "$T"
	mkdir -p "$PG_DIR/sock"
	[ "$(id -u)" = 0 ] && chown -R "$PG_USER" "$PG_DIR"
	as_pg "$bin/initdb" -D "$PG_DIR/data" -U ward --auth=trust -E UTF8 --no-sync \
		>"$PG_DIR/initdb.log" 2>&1 || { tail -3 "$PG_DIR/initdb.log" >&2; return 1; }
	as_pg "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
		-o "-c listen_addresses='' -c unix_socket_directories='$PG_DIR/sock' -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
		start >"$PG_DIR/pg_ctl.log" 2>&1 || { tail -5 "$PG_DIR/server.log" >&2; return 1; }
	trap 'pg_stop; chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
	as_pg "$bin/createdb" -h "$PG_DIR/sock" -U ward wardtest || return 1
	PG_URI="postgresql:///wardtest?host=$PG_DIR/sock&user=ward"
	export PG_URI
}

# pg_newdb NAME: another empty database in the cluster; prints its URI.
pg_newdb() {
	as_pg "$(pg_bin)/createdb" -h "$PG_DIR/sock" -U ward "$1" >&2 &&
		echo "postgresql:///$1?host=$PG_DIR/sock&user=ward"
}

pg_stop() {
	[ -n "$PG_DIR" ] && [ -f "$PG_DIR/data/postmaster.pid" ] &&
		as_pg "$(pg_bin)/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1
	PG_DIR_STOPPED=1
}
