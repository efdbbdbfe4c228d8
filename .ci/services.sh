# Sourced by .ci/run: Debian's PostgreSQL and Redis on loopback, throwaway, for the tests that need
# them. Exports CKMON_TEST_POSTGRES_URL and CKMON_TEST_REDIS_URL; stops both when the shell exits.
# No systemd: a private PostgreSQL cluster (initdb + pg_ctl) and a daemonized redis-server, each on a
# free port in a temporary folder, so nothing else on the machine is touched.

ci_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

ci_as_postgres() {
  # initdb and postgres refuse to run as root
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

ci_services_install() {
  if command -v redis-server >/dev/null && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    return 0
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "ci: postgresql and redis-server are missing and this is not root: cannot install" >&2
    return 1
  fi
  echo "ci: installing postgresql and redis-server (Debian packages)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    postgresql redis-server >/dev/null
}

ci_services_start() {
  ci_services_install
  CI_SERVICES_DIR=$(mktemp -d /tmp/ckmon-ci-services.XXXXXX)
  chmod 755 "$CI_SERVICES_DIR"
  local pg_bin pg_port redis_port
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  pg_port=$(ci_free_port)
  redis_port=$(ci_free_port)

  mkdir -p "$CI_SERVICES_DIR/pg"
  [ "$(id -u)" = 0 ] && chown postgres "$CI_SERVICES_DIR/pg"
  ci_as_postgres "$pg_bin/initdb" -D "$CI_SERVICES_DIR/pg/data" -U ckmon -A trust --no-sync \
    >"$CI_SERVICES_DIR/pg/initdb.log"
  # -F: no fsync (a throwaway cluster); the socket goes into the cluster's own folder
  ci_as_postgres "$pg_bin/pg_ctl" -D "$CI_SERVICES_DIR/pg/data" -l "$CI_SERVICES_DIR/pg/server.log" \
    -o "-h 127.0.0.1 -p $pg_port -k $CI_SERVICES_DIR/pg -F" -w start >/dev/null
  CI_PG_CTL="$pg_bin/pg_ctl"
  ci_as_postgres "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U ckmon ckmon_test

  redis-server --daemonize yes --bind 127.0.0.1 --port "$redis_port" --dir "$CI_SERVICES_DIR" \
    --save '' --appendonly no --pidfile "$CI_SERVICES_DIR/redis.pid" \
    --logfile "$CI_SERVICES_DIR/redis.log"
  for _ in $(seq 50); do
    redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done

  export CKMON_TEST_POSTGRES_URL="postgresql+psycopg://ckmon@127.0.0.1:$pg_port/ckmon_test"
  export CKMON_TEST_REDIS_URL="redis://127.0.0.1:$redis_port/0"
  echo "ci: PostgreSQL at $CKMON_TEST_POSTGRES_URL, Redis at $CKMON_TEST_REDIS_URL"
  trap ci_services_stop EXIT
}

ci_services_stop() {
  [ -n "${CI_SERVICES_DIR:-}" ] || return 0
  if [ -f "$CI_SERVICES_DIR/redis.pid" ]; then kill "$(cat "$CI_SERVICES_DIR/redis.pid")" || true; fi
  ci_as_postgres "$CI_PG_CTL" -D "$CI_SERVICES_DIR/pg/data" -m fast -w stop >/dev/null || true
  rm -rf "$CI_SERVICES_DIR"
}
