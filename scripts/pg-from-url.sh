# Sourced by scripts/backup and scripts/restore: the PostgreSQL client binaries, and libpq's
# PG* variables from DATABASE_URL (postgres://user:password@host:port/name?sslmode=...), so
# no password ever appears on a command line (where `ps` would show it).
#
#   pg_bin NAME      the path of a client binary: $PG_BIN/NAME if PG_BIN is set, else the
#                    newest /usr/lib/postgresql/*/bin (pg_dump must not be older than the
#                    server), else the one on PATH
#   pg_from_url URL  export PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE (and PGSSLMODE)

die() { echo "error: $*" >&2; exit 2; }

pg_bin() {
  local name=$1 dir
  if [ -n "${PG_BIN:-}" ]; then
    [ -x "$PG_BIN/$name" ] || die "$PG_BIN/$name not found (PG_BIN)"
    echo "$PG_BIN/$name"; return
  fi
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$dir/$name" ] && { echo "$dir/$name"; return; }
  done
  command -v "$name" 2>/dev/null || die "$name not found: install the PostgreSQL client (postgresql-client)"
}

_urldecode() { local s=${1//+/ }; printf '%b' "${s//%/\\x}"; }

pg_from_url() {
  local url=$1 rest userinfo hostport query
  [[ $url =~ ^(postgres|postgresql|pgsql|psql)://(.*)$ ]] || die "DATABASE_URL is not a PostgreSQL URL"
  rest=${BASH_REMATCH[2]}
  query=
  if [[ $rest == *\?* ]]; then query=${rest#*\?}; rest=${rest%%\?*}; fi
  if [[ $rest == *@* ]]; then userinfo=${rest%@*}; rest=${rest##*@}; else userinfo=; fi
  hostport=${rest%%/*}
  export PGDATABASE
  PGDATABASE=$(_urldecode "${rest#*/}")
  [ "$hostport" != "$rest" ] || PGDATABASE=
  if [ -n "$userinfo" ]; then
    export PGUSER PGPASSWORD
    PGUSER=$(_urldecode "${userinfo%%:*}")
    if [[ $userinfo == *:* ]]; then PGPASSWORD=$(_urldecode "${userinfo#*:}"); else unset PGPASSWORD; fi
  fi
  if [ -n "$hostport" ]; then
    export PGHOST
    if [[ $hostport =~ ^(.*):([0-9]+)$ ]]; then
      PGHOST=$(_urldecode "${BASH_REMATCH[1]}")
      export PGPORT=${BASH_REMATCH[2]}
    else
      PGHOST=$(_urldecode "$hostport")
    fi
  fi
  if [[ "&$query&" =~ \&sslmode=([a-z-]+)\& ]]; then export PGSSLMODE=${BASH_REMATCH[1]}; fi
  [ -n "$PGDATABASE" ] || die "DATABASE_URL names no database"
}

# gpg with a keyring of its own in a temporary folder (nothing read from or left in ~/.gnupg)
# and the passphrase from the file BACKUP_PASSPHRASE_FILE names.
gpg_with_passphrase() {
  local home=$1; shift
  [ -r "${BACKUP_PASSPHRASE_FILE:-}" ] || die "BACKUP_PASSPHRASE_FILE must name a readable file"
  command -v gpg >/dev/null 2>&1 || die "gpg not found: install gnupg"
  gpg --homedir "$home" --batch --yes --quiet --pinentry-mode loopback \
    --passphrase-file "$BACKUP_PASSPHRASE_FILE" "$@"
}
