#!/usr/bin/env bash
# The update server under load (issue 6): DEVICES simulated devices (bench/ota_load.cpp) polling one
# `edgeai server` on loopback, first with SQLite, then with PostgreSQL; a phased rollout to all of
# them in each. Writes a markdown section, "## OTA server under load (issue 6)".
#
#   bench/ota_load.sh                            # both engines; the section into OUT_SECTION
#   bench/ota_load.sh --doc docs/benchmarks.md   # ... and into that file, replacing only this section
#   bench/ota_load.sh --insert SECTION DOC       # no run: put SECTION (a file) into DOC
#
# In DOC the section sits between the markers <!-- ota_load:begin --> and <!-- ota_load:end -->;
# without them it goes before "## Steps that failed or did not run", else at the end.
# bench/run_benchmarks.sh runs this script (OTA_LOAD=1) and inserts the section into its report.
#
# Per engine: keys in a temporary directory, a fresh server (and for PostgreSQL a throwaway cluster,
# tests/support/postgres_fixture.sh), DEVICES enrollment tokens, BUNDLE published as version
# VERSION, then ota_load: enroll all, poll, STEADY s measured, a campaign (PHASES, SOAK) created by
# ota_load itself and followed until every device reported the release installed, then the
# server is stopped with SIGTERM.
#
# Needs: build/src/cli/edgeai and build/bench/ota_load (cmake --build build --target edgeai ota_load),
# python3, and for PostgreSQL the postgresql package (scripts/install-deps.sh).
#
# Environment (defaults in brackets):
#   DEVICES          simulated devices                                [1000]
#   INTERVAL         seconds between a device's polls                 [1.0]
#   PHASES           campaign phases, cumulative percentages          [5,25,100]
#   SOAK             campaign soak seconds between phases             [0]
#   SERVER_THREADS   the server's request threads (--threads)         [64]
#   CLIENT_THREADS   ota_load threads = keep-alive connections        [32]
#   CLIENT_NODELAY   1: TCP_NODELAY on ota_load's connections, as curl (0: as the agent) [1]
#   STEADY           seconds of polling measured before the campaign  [10]
#   ENGINES          which databases                                  ["sqlite postgres"]
#   BUNDLE           the release published                            [out/ecg-mitbih.eai]
#   VERSION          its version                                      [2.0.0-load]
#   RUN_TIMEOUT      seconds one engine's ota_load may take           [900]
#   QUIET_WAIT       seconds to wait, before each engine, for other work to drop below 0.25 cores [120]
#   PG_PORT          the throwaway PostgreSQL's port                  [a free one]
#   EDGEAI           edgeai binary                                    [build/src/cli/edgeai]
#   OTA_LOAD_BIN     ota_load binary                                  [build/bench/ota_load]
#   RESULTS_DIR      raw outputs: ENGINE.json, ENGINE.{ota_load,server}.{out,err} [out/bench/ota_load]
#   OUT_SECTION      the markdown section                             [RESULTS_DIR/ota_load.md]
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# insert_section SECTION DOC: the section between its markers in DOC (see above).
insert_section() {
  python3 bench/insert_section.py ota_load "$1" "$2"
}

DOC=""
case "${1:-}" in
  --insert)
    [ $# -eq 3 ] || { echo "usage: $0 --insert SECTION DOC" >&2; exit 2; }
    insert_section "$2" "$3"
    exit $?
    ;;
  --doc)
    [ $# -eq 2 ] || { echo "usage: $0 [--doc DOC]" >&2; exit 2; }
    DOC="$2"
    ;;
  "") ;;
  *) echo "usage: $0 [--doc DOC] | --insert SECTION DOC" >&2; exit 2 ;;
esac

DEVICES="${DEVICES:-1000}"
INTERVAL="${INTERVAL:-1.0}"
PHASES="${PHASES:-5,25,100}"
SOAK="${SOAK:-0}"
SERVER_THREADS="${SERVER_THREADS:-64}"
CLIENT_THREADS="${CLIENT_THREADS:-32}"
CLIENT_NODELAY="${CLIENT_NODELAY:-1}"
STEADY="${STEADY:-10}"
ENGINES="${ENGINES:-sqlite postgres}"
BUNDLE="${BUNDLE:-out/ecg-mitbih.eai}"
VERSION="${VERSION:-2.0.0-load}"
RUN_TIMEOUT="${RUN_TIMEOUT:-900}"
QUIET_WAIT="${QUIET_WAIT:-120}"
PG_PORT="${PG_PORT:-}"
EDGEAI="${EDGEAI:-build/src/cli/edgeai}"
OTA_LOAD_BIN="${OTA_LOAD_BIN:-build/bench/ota_load}"
RESULTS_DIR="${RESULTS_DIR:-out/bench/ota_load}"
OUT_SECTION="${OUT_SECTION:-$RESULTS_DIR/ota_load.md}"
GROUP=load

START_SECONDS=$(date +%s)
log() { echo "ota_load.sh: [$(($(date +%s) - START_SECONDS))s] $*" >&2; }

mkdir -p "$RESULTS_DIR" "$(dirname "$OUT_SECTION")"
for f in "$EDGEAI" "$OTA_LOAD_BIN"; do
  if [ ! -x "$f" ]; then
    echo "ota_load.sh: $f not found (cmake --build build --target edgeai ota_load)" >&2
    exit 1
  fi
done
# Every figure from one pair of binaries, even if a build replaces them meanwhile: copies.
mkdir -p "$RESULTS_DIR/bin"
for f in "$EDGEAI" "$OTA_LOAD_BIN"; do
  if [ "$(cd "$(dirname "$f")" && pwd)" != "$(cd "$RESULTS_DIR/bin" && pwd)" ]; then
    cp "$f" "$RESULTS_DIR/bin/$(basename "$f")" || exit 1
  fi
done
EDGEAI="$RESULTS_DIR/bin/$(basename "$EDGEAI")"
OTA_LOAD_BIN="$RESULTS_DIR/bin/$(basename "$OTA_LOAD_BIN")"
if [ ! -s "$BUNDLE" ]; then
  echo "ota_load.sh: no bundle $BUNDLE (set BUNDLE, or train one: edgeai train ecg-mitbih -o $BUNDLE)" >&2
  exit 1
fi

# Connections the kernel dropped because a listen queue was full (TcpExt ListenOverflows, this
# network namespace: the server's loopback listener, and PostgreSQL's).
listen_overflows() {
  awk '/^TcpExt:/ { if (!n) { for (i = 2; i <= NF; i++) if ($i == "ListenOverflows") col = i; n = 1; next }
                   print $col; exit }' /proc/net/netstat 2> /dev/null
}
busy_ticks() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8; exit}' /proc/stat; }

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Cores busy over 3 s (/proc/stat), after waiting up to QUIET_WAIT s for fewer than 0.25: other work
# on a shared machine takes cores from the server and the client alike.
other_work() {
  local waited=0 b0 b1 cores
  while :; do
    b0=$(busy_ticks)
    sleep 3
    b1=$(busy_ticks)
    cores=$(awk -v b0="$b0" -v b1="$b1" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (b1 - b0) / hz / 3 }')
    if awk -v c="$cores" 'BEGIN { exit !(c < 0.25) }' || [ "$waited" -ge "$QUIET_WAIT" ]; then break; fi
    waited=$((waited + 3))
  done
  echo "$cores"
}

# run_engine ENGINE: one measured run; its notes (what went wrong) in RESULTS_DIR/ENGINE.notes.
run_engine() {
  local engine=$1
  local raw="$RESULTS_DIR/$engine"
  local work
  work=$(mktemp -d /tmp/edgeai-ota-load.XXXXXX)
  rm -f "$raw".json "$raw".notes "$raw".listen_overflows "$raw".other
  : > "$raw.notes"
  note() { echo "$*" >> "$raw.notes"; log "$engine: $*"; }
  other_work > "$raw.other"

  if ! "$EDGEAI" keygen "$work/root" > /dev/null || ! "$EDGEAI" keygen "$work/release" > /dev/null; then
    note "edgeai keygen failed"
    rm -rf "$work"
    return 1
  fi
  local db_args=() pg_dir="" pg_port=""
  if [ "$engine" = postgres ]; then
    pg_port="${PG_PORT:-$(free_port)}"
    pg_dir="$work/pg"
    log "postgres: throwaway cluster on 127.0.0.1:$pg_port"
    if ! bash tests/support/postgres_fixture.sh start "$pg_dir" "$pg_port" > "$raw.postgres.out" 2>&1; then
      note "PostgreSQL did not start: $(tail -1 "$raw.postgres.out")"
      rm -rf "$work"
      return 1
    fi
    db_args=(--db "postgresql://postgres@127.0.0.1:$pg_port/edgeai")
  fi

  log "$engine: server (--threads $SERVER_THREADS)"
  "$EDGEAI" server --data-dir "$work/data" --listen 127.0.0.1:0 --root-key "$work/root.key" \
    --release-pub "$work/release.pub" --url-file "$work/url" --threads "$SERVER_THREADS" "${db_args[@]}" \
    > "$raw.server.out" 2> "$raw.server.err" &
  local server_pid=$!
  local url="" i
  for i in $(seq 300); do
    [ -s "$work/url" ] && break
    kill -0 "$server_pid" 2> /dev/null || break
    sleep 0.1
  done
  url="$(cat "$work/url" 2> /dev/null)"
  local rc=0
  if [ -z "$url" ]; then
    note "the server did not start: $(tail -1 "$raw.server.err")"
    rc=1
  fi

  local release="" version=""
  if [ "$rc" = 0 ]; then
    if ! "$EDGEAI" devices token --group "$GROUP" --count "$DEVICES" --server "$url" --data-dir "$work/data" \
      > "$work/tokens.txt" 2> "$raw.tokens.err"; then
      note "devices token failed: $(tail -1 "$raw.tokens.err")"
      rc=1
    elif ! "$EDGEAI" publish "$BUNDLE" --key "$work/release.key" --group "$GROUP" --version "$VERSION" \
      --server "$url" --data-dir "$work/data" --json > "$raw.publish.out" 2> "$raw.publish.err"; then
      note "publish failed: $(tail -1 "$raw.publish.err")"
      rc=1
    else
      release=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["name"])' "$raw.publish.out")
      version=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["version"])' "$raw.publish.out")
    fi
  fi

  # The server's CPU time, and with PostgreSQL its backend's (the server holds one connection).
  local pids=(--server-pid "$server_pid") pid
  if [ "$rc" = 0 ] && [ -n "$pg_port" ]; then
    local psql
    psql="$(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -1)/psql"
    for pid in $("$psql" -X -At -h 127.0.0.1 -p "$pg_port" -U postgres -d edgeai \
      -c "SELECT pid FROM pg_stat_activity WHERE datname = 'edgeai' AND pid <> pg_backend_pid()" 2> /dev/null); do
      pids+=(--server-pid "$pid")
    done
    [ ${#pids[@]} -gt 2 ] || note "no PostgreSQL backend found: the server's CPU is the server process alone"
  fi

  if [ "$rc" = 0 ]; then
    local overflows0
    overflows0=$(listen_overflows)
    log "$engine: ota_load, $DEVICES devices every $INTERVAL s, rollout of $release $version (phases $PHASES)"
    timeout "$RUN_TIMEOUT" "$OTA_LOAD_BIN" --server "$url" --tokens "$work/tokens.txt" --devices "$DEVICES" \
      --threads "$CLIENT_THREADS" --interval "$INTERVAL" --steady "$STEADY" --release "$release" \
      --version "$version" --admin-token "$work/data/admin-token" --phases "$PHASES" --soak "$SOAK" \
      --tcp-nodelay "$CLIENT_NODELAY" "${pids[@]}" --json-out "$raw.json" > "$raw.ota_load.out" 2> "$raw.ota_load.err" || rc=$?
    local overflows1
    overflows1=$(listen_overflows)
    if [ -n "$overflows0" ] && [ -n "$overflows1" ]; then
      echo $((overflows1 - overflows0)) > "$raw.listen_overflows"
      [ $((overflows1 - overflows0)) != 0 ] &&
        note "the kernel dropped $((overflows1 - overflows0)) connection handshakes on a full listen queue (TcpExt ListenOverflows)"
    fi
    [ "$rc" = 124 ] && note "ota_load timed out after $RUN_TIMEOUT s"
    [ "$rc" != 0 ] && [ "$rc" != 124 ] && note "ota_load exited with $rc: $(tail -1 "$raw.ota_load.err")"
  fi

  # The server: still up after the load, and stops on SIGTERM within 15 s.
  if ! kill -0 "$server_pid" 2> /dev/null; then
    wait "$server_pid"
    note "the server exited during the run (exit code $?): $(tail -1 "$raw.server.err")"
    rc=1
  else
    kill -TERM "$server_pid"
    for i in $(seq 150); do
      kill -0 "$server_pid" 2> /dev/null || break
      sleep 0.1
    done
    if kill -0 "$server_pid" 2> /dev/null; then
      note "the server did not stop within 15 s of SIGTERM; killed"
      kill -KILL "$server_pid"
    fi
    wait "$server_pid"
    local server_rc=$?
    [ "$server_rc" != 0 ] && [ "$server_rc" != 137 ] && note "the server exited with $server_rc after SIGTERM"
  fi
  local rejected
  rejected=$(grep -c "rejected" "$raw.server.err" 2> /dev/null)
  [ "${rejected:-0}" != 0 ] && note "the server rejected $rejected requests (see $raw.server.err)"
  grep -q "campaigns:" "$raw.server.err" 2> /dev/null &&
    note "the server's campaign ticker failed: $(grep -m1 "campaigns:" "$raw.server.err")"

  [ -n "$pg_dir" ] && bash tests/support/postgres_fixture.sh stop "$pg_dir" > /dev/null 2>&1
  rm -rf "$work"
  return "$rc"
}

overall=0
for engine in $ENGINES; do
  case "$engine" in
    sqlite | postgres) run_engine "$engine" || overall=1 ;;
    *)
      echo "ota_load.sh: unknown engine '$engine' (sqlite, postgres)" >&2
      overall=1
      ;;
  esac
done

# ---- the section --------------------------------------------------------------------------------
commit="$(git rev-parse --short HEAD 2> /dev/null || echo unknown)"
if [ "$commit" != unknown ] && ! git diff --quiet HEAD -- src bench/ota_load.cpp CMakeLists.txt 2> /dev/null; then
  commit="$commit (with uncommitted changes)"
fi
export OTA_COMMIT="$commit" OTA_CPU="$(grep -m1 '^model name' /proc/cpuinfo | sed 's/^model name[[:space:]]*:[[:space:]]*//')" \
  OTA_CORES="$(nproc)" OTA_TMPFS="$(df -T /tmp 2> /dev/null | awk 'NR == 2 {print $2}')" \
  OTA_BUNDLE_BYTES="$(stat -c %s "$BUNDLE")" OTA_ELAPSED=$(($(date +%s) - START_SECONDS))
export DEVICES INTERVAL CLIENT_NODELAY PHASES SOAK SERVER_THREADS CLIENT_THREADS STEADY ENGINES BUNDLE RESULTS_DIR
python3 - "$OUT_SECTION" <<'PY'
import datetime, json, math, os, sys

E = os.environ
out = sys.argv[1]
names = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


def load(engine):
    try:
        with open(os.path.join(E["RESULTS_DIR"], engine + ".json")) as f:
            return json.loads(f.read())
    except Exception:
        return None


def notes(engine):
    try:
        with open(os.path.join(E["RESULTS_DIR"], engine + ".notes")) as f:
            return [l.strip() for l in f if l.strip()]
    except Exception:
        return []


def other(engine):
    try:
        with open(os.path.join(E["RESULTS_DIR"], engine + ".other")) as f:
            return f.read().strip()
    except Exception:
        return "n/a"


def get(obj, *path):
    for p in path:
        if not isinstance(obj, dict) or obj.get(p) is None:
            return None
        obj = obj[p]
    return obj


def num(v, digits=1):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    return "{:,.{}f}".format(v, digits)


now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
engines = E["ENGINES"].split()
runs = {e: load(e) for e in engines}
lines = []
add = lines.append
add("## OTA server under load (issue 6)")
add("")
add("Written by `bench/ota_load.sh` (%s; the run took %d min %02d s): `bench/ota_load.cpp` simulates %s devices"
    " on %s OS threads against one `edgeai server` on loopback. Each thread owns its share of the devices and one"
    " keep-alive HTTP/1.1 connection (TCP_NODELAY %s) that they take turns on; client and server share this"
    " machine's cores." % (now, int(E["OTA_ELAPSED"]) // 60, int(E["OTA_ELAPSED"]) % 60, E["DEVICES"],
                          E["CLIENT_THREADS"], "on" if E["CLIENT_NODELAY"] == "1" else "off"))
add("")
add("- CPU: %s, %s cores (`/proc/cpuinfo`); cores busy with other work in the 3 s before each engine's run"
    " (/proc/stat): %s" % (E["OTA_CPU"], E["OTA_CORES"],
                           ", ".join("%s %s" % (names.get(e, e), other(e)) for e in engines)))
add("- edgeai: git commit %s; server `--threads %s`" % (E["OTA_COMMIT"], E["SERVER_THREADS"]))
add("- Devices: %s, each polling `GET /api/v1/device/desired` every %s s (jittered start; `If-None-Match` with its"
    " last ETag, so a poll with nothing new is answered 304)" % (E["DEVICES"], E["INTERVAL"]))
add("- Steady: %s s of polling only, measured once every device had its first answer. Rollout: `%s` (%s bytes)"
    " published, then a campaign, phases %s, soak %s s, created by the tool through the operator API; a device"
    " that sees the target reports `downloading`, fetches the artifact with Range requests (1 MiB a request, as"
    " the agent: one here), checks size and SHA-256, and reports `idle` on the new version. The rollout time runs"
    " from the campaign request until the last device's `idle` report was answered; rollout requests/s counts"
    " every request in that time." % (E["STEADY"], os.path.basename(E["BUNDLE"]),
                                      "{:,}".format(int(E["OTA_BUNDLE_BYTES"])), E["PHASES"], E["SOAK"]))
add("- Databases: SQLite in the data directory (WAL, `synchronous=FULL`; /tmp is %s here); PostgreSQL 15 is the"
    " throwaway cluster of `tests/support/postgres_fixture.sh` (`fsync=off`, `synchronous_commit=off`): its"
    " commits do not wait for the disk, SQLite's do." % (E.get("OTA_TMPFS") or "?"))
add("- Latencies: per request as the client saw it, milliseconds, nearest-rank percentiles. Errors: transport"
    " failures and unexpected HTTP statuses (listed below the tables).")
add("")
add("| engine | devices | poll interval | steady requests/s | poll p50 ms | poll p99 ms | rollout requests/s"
    " | download p99 ms | rollout time to all devices s | errors |")
add("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for engine in engines:
    r = runs[engine]
    add("| %s | %s | %s s | %s | %s | %s | %s | %s | %s | %s |" % (
        names.get(engine, engine), get(r, "enrolled") if r else E["DEVICES"], E["INTERVAL"],
        num(get(r, "steady", "requests_per_s")), num(get(r, "steady", "poll", "p50_ms"), 2),
        num(get(r, "steady", "poll", "p99_ms"), 2), num(get(r, "rollout", "requests_per_s")),
        num(get(r, "rollout", "download", "p99_ms"), 2), num(get(r, "rollout", "time_to_all_s"), 2),
        num(get(r, "errors", "total"), 0) if r else "n/a"))
add("")
add("Poll latencies here are the steady window's (polling only); the download's is the rollout's, one Range"
    " request of the whole bundle.")
add("")
add("More of the same runs: when each phase's share of the devices had installed; the rollout's poll and report"
    " latencies; the mean time the server spent inside its handlers (its `/metrics`: without the network, the"
    " accept queue and httplib's own reading and writing); CPU cores used by the server (with PostgreSQL: and its"
    " backend process), by this tool, and by the whole machine.")
add("")
add("| engine | phases done at s | poll p50 / p99 ms, rollout | report p50 / p99 ms, rollout"
    " | server handler mean ms, steady: desired | rollout: desired / artifacts / status"
    " | CPU cores steady: server / client / machine | rollout | campaign |")
add("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
for engine in engines:
    r = runs[engine]
    phases = ", ".join("%s%%: %s" % (p.get("percent"), num(p.get("s"), 2))
                       for p in (get(r, "rollout", "phase_done_s") or []))
    counts = get(r, "campaign", "counts") or {}
    campaign = "n/a"
    if get(r, "campaign", "state"):
        campaign = "%s: %s installed, %s pending, %s failed" % (
            get(r, "campaign", "state"), counts.get("installed", "?"), counts.get("pending", "?"),
            counts.get("failed", "?"))

    def handler(window, route):
        return num(get(r, window, "server_handlers", "/api/v1/device/" + route, "mean_ms"), 2)

    def cores(window):
        return " / ".join(num(get(r, window, k), 2)
                          for k in ("server_cpu_cores", "client_cpu_cores", "machine_busy_cores"))

    add("| %s | %s | %s / %s | %s / %s | %s | %s / %s / %s | %s | %s | %s |" % (
        names.get(engine, engine), phases or "n/a",
        num(get(r, "rollout", "poll", "p50_ms"), 2), num(get(r, "rollout", "poll", "p99_ms"), 2),
        num(get(r, "rollout", "report", "p50_ms"), 2), num(get(r, "rollout", "report", "p99_ms"), 2),
        handler("steady", "desired"), handler("rollout", "desired"), handler("rollout", "artifacts"),
        handler("rollout", "status"), cores("steady"), cores("rollout"), campaign))

problems = []
for e in engines:
    problems += [(names.get(e, e), n) for n in notes(e)]
    for kind, n in sorted((get(runs[e], "errors", "kinds") or {}).items()):
        problems.append((names.get(e, e), "%s: %s time(s) (window/request: error)" % (kind, n)))
    for window in ("steady", "rollout"):
        busy = [get(runs[e], window, k) for k in ("machine_busy_cores", "server_cpu_cores", "client_cpu_cores")]
        if None not in busy and busy[0] - busy[1] - busy[2] > 0.3:
            problems.append((names.get(e, e), "other work took about %.1f cores in the %s window (the machine's busy"
                             " cores less the server's and the client's): its figures are disturbed" % (
                                 busy[0] - busy[1] - busy[2], window)))
    # Requests queued inside the server while cores were idle.
    server_cores = get(runs[e], "rollout", "server_cpu_cores")
    machine_cores = get(runs[e], "rollout", "machine_busy_cores")
    status_ms = get(runs[e], "rollout", "server_handlers", "/api/v1/device/status", "mean_ms")
    poll_ms = get(runs[e], "steady", "server_handlers", "/api/v1/device/desired", "mean_ms")
    if None not in (server_cores, machine_cores, status_ms, poll_ms) and status_ms > 10 * poll_ms and \
            machine_cores < int(E["OTA_CORES"]) - 0.5:
        problems.append((names.get(e, e), "in the rollout the server used %.2f cores (the machine %.2f of %s) while"
                         " a status report spent %.1f ms in its handler and a poll %s ms (%.2f ms in the steady"
                         " window): the requests wait for one another, not for a core. The store serialises them"
                         " on one database connection behind a mutex, and a report that settles an assignment"
                         " also runs the campaign step (a few aggregate queries) in its own transaction" % (
                             server_cores, machine_cores, E["OTA_CORES"], status_ms,
                             num(get(runs[e], "rollout", "server_handlers", "/api/v1/device/desired", "mean_ms"), 1),
                             poll_ms)))
    enroll_ms = get(runs[e], "enroll", "enroll", "p50_ms")
    enroll_handler = get(runs[e], "enroll", "server_handlers", "/api/v1/enroll", "mean_ms")
    if enroll_ms is not None and enroll_handler is not None and 30 < enroll_ms - enroll_handler < 60:
        problems.append((names.get(e, e), "an enrollment took %s ms (p50) at the client against %s ms inside the"
                         " server's handler: on a reused connection an answer with a body waits for the client's"
                         " delayed ACK (about 40 ms), as the server does not set TCP_NODELAY and cpp-httplib"
                         " writes headers and body separately" % (num(enroll_ms, 1), num(enroll_handler, 1))))
if problems:
    add("")
    add("Seen in these runs:")
    add("")
    for engine, text in problems:
        add("- %s: %s" % (engine, text.replace("|", "\\|")))
add("")
add("Reproduce: `bench/ota_load.sh --doc docs/benchmarks.md` (variables at the top of the script; raw outputs in"
    " `%s/`); `bench/run_benchmarks.sh` runs it too (`OTA_LOAD=0` leaves it out)." % E["RESULTS_DIR"])
with open(out, "w") as f:
    f.write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
[ -n "$DOC" ] && [ -s "$OUT_SECTION" ] && insert_section "$OUT_SECTION" "$DOC" && log "section written into $DOC"
exit "$overall"
