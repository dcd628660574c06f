# Sourced by scripts/run-tests and scripts/run-bench: a throwaway PostgreSQL cluster from the
# installed server binaries (scripts/install-system-packages test installs them), in a
# folder of the caller's, removed with it. As root the server runs as the postgres user.
#
#   throwaway_postgres FOLDER [-c setting=value ...]   start it; sets DATABASE_URL, PG_PORT,
#                                                       ECM_TEST_PG_BIN (its binaries' folder)
#   stop_throwaway_postgres FOLDER                      stop it (for the caller's EXIT trap)

die() { echo "error: $*" >&2; exit 2; }

find_pg_bin() {
  local name=$1 dir
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return; fi
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$dir/$name" ] && { echo "$dir/$name"; return; }
  done
  return 1
}

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

as_pg=()
PG_STARTED=

throwaway_postgres() {
  local folder=$1 initdb pgport
  shift
  initdb=$(find_pg_bin initdb) && PG_CTL=$(find_pg_bin pg_ctl) && CREATEDB=$(find_pg_bin createdb) \
    || die "PostgreSQL server binaries not found: run scripts/install-system-packages test"
  mkdir -p "$folder/pg" "$folder/sock"
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown postgres "$folder/pg" "$folder/sock"
    as_pg=(runuser -u postgres --)
  fi
  pgport=$(free_port)
  "${as_pg[@]}" "$initdb" -D "$folder/pg" -U ecm --auth=trust -E UTF8 --locale=C.UTF-8 >"$folder/initdb.log" 2>&1 \
    || { cat "$folder/initdb.log" >&2; die "initdb failed"; }
  # Durability off: the cluster lives for one run.
  "${as_pg[@]}" "$PG_CTL" -D "$folder/pg" -l "$folder/sock/pg.log" -w -o \
    "-p $pgport -k $folder/sock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off $*" \
    start >/dev/null || { cat "$folder/sock/pg.log" >&2; die "PostgreSQL did not start"; }
  PG_STARTED=1
  PG_PORT=$pgport
  export DATABASE_URL="postgres://ecm@127.0.0.1:${pgport}/ecm"
  # tests/ecm/test_replica.py starts a streaming standby of it from the same binaries (initdb's
  # pg_hba.conf already lets the superuser replicate over 127.0.0.1; wal_level is replica).
  ECM_TEST_PG_BIN=$(dirname "$(readlink -f "$initdb")")
  export ECM_TEST_PG_BIN
  echo "Throwaway PostgreSQL on port ${pgport}"
}

stop_throwaway_postgres() {
  if [ -n "$PG_STARTED" ]; then "${as_pg[@]}" "$PG_CTL" -D "$1/pg" -m immediate -w stop >/dev/null 2>&1; fi
}
