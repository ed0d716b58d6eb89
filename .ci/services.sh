# Real PostgreSQL, Redis and RabbitMQ on loopback for the integration tests (no systemd, as root).
# Exports SCAFFOLD_TEST_DATABASE_URL, SCAFFOLD_TEST_REDIS_URL and SCAFFOLD_TEST_AMQP_URL for pytest.

PG_PORT=${PG_PORT:-55432}
REDIS_PORT=${REDIS_PORT:-56379}
PG_DATA=${PG_DATA:-/tmp/scaffold-ci-pg}

start_services() {
  local pg_bin
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$pg_bin" ]; then
    rm -rf "$PG_DATA"
    mkdir -p "$PG_DATA"
    chown postgres:postgres "$PG_DATA"
    runuser -u postgres -- "$pg_bin/initdb" -D "$PG_DATA" -U postgres --auth=trust >/dev/null
    runuser -u postgres -- "$pg_bin/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/server.log" -w \
      -o "-p $PG_PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null
    export SCAFFOLD_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
    export SCAFFOLD_TEST_PG_CTL="$pg_bin/pg_ctl"
    export SCAFFOLD_TEST_PG_DATA="$PG_DATA"
    echo "PostgreSQL on 127.0.0.1:$PG_PORT"
  fi
  if command -v redis-server >/dev/null; then
    redis-server --daemonize yes --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no >/dev/null
    export SCAFFOLD_TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
    echo "Redis on 127.0.0.1:$REDIS_PORT"
  fi
  if command -v rabbitmq-server >/dev/null; then
    if ! rabbitmqctl -q status >/dev/null 2>&1; then
      RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 rabbitmq-server -detached >/dev/null 2>&1 || true
    fi
    local tries=0
    until rabbitmqctl -q await_startup --timeout 60 >/dev/null 2>&1; do
      tries=$((tries + 1))
      [ "$tries" -lt 30 ] || { echo "RabbitMQ did not start" >&2; return 1; }
      sleep 1
    done
    export SCAFFOLD_TEST_AMQP_URL="amqp://guest:guest@127.0.0.1:5672"
    export SCAFFOLD_TEST_STARTED_RABBITMQ=1
    echo "RabbitMQ on 127.0.0.1:5672"
  fi
}

stop_services() {
  if [ -n "${SCAFFOLD_TEST_PG_CTL:-}" ]; then
    runuser -u postgres -- "$SCAFFOLD_TEST_PG_CTL" -D "$PG_DATA" -m fast stop >/dev/null 2>&1 || true
  fi
  if [ -n "${SCAFFOLD_TEST_REDIS_URL:-}" ]; then
    redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  fi
  if [ -n "${SCAFFOLD_TEST_STARTED_RABBITMQ:-}" ]; then
    rabbitmqctl -q stop >/dev/null 2>&1 || true
  fi
}
