# A fleet on this machine for the main job and the examples (sourced, not run): an update
# server on 127.0.0.1 with SQLite in $FLEET/server, and device agents in $FLEET/devices/NAME,
# each streaming a source through the model the server assigns it. Everything started here is
# stopped when the sourcing script exits, unless KEEP=1.
#   fleet_start_server FLEET        keys, server; sets SERVER_URL and exports the operator token
#   fleet_start_agents GROUP N ARGS...  N agents named GROUP-1..N with the agent options ARGS
#   fleet_start_agent GROUP NAME ARGS...  one agent (its own source)
#   fleet_wait_campaign ID SECONDS  until the campaign is completed (or halted: returns 1)
EDGEAI=${EDGEAI:-build/src/cli/edgeai}
AGENT=${AGENT:-build/src/agent/edgeai-agent}
FLEET_PIDS=()

fleet_stop() {
  if [ "${KEEP:-0}" = "1" ]; then
    echo "KEEP=1: the server and agents keep running (pids ${FLEET_PIDS[*]})"
    return
  fi
  for pid in "${FLEET_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${FLEET_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap fleet_stop EXIT

fleet_start_server() {
  FLEET=$1
  rm -rf "$FLEET"
  mkdir -p "$FLEET/keys" "$FLEET/devices"
  $EDGEAI keygen "$FLEET/keys/root" >/dev/null
  $EDGEAI keygen "$FLEET/keys/release" >/dev/null
  $EDGEAI server --data-dir "$FLEET/server" --listen 127.0.0.1:0 --url-file "$FLEET/url" \
    --root-key "$FLEET/keys/root.key" --release-pub "$FLEET/keys/release.pub" > "$FLEET/server.log" 2>&1 &
  FLEET_PIDS+=($!)
  for _ in $(seq 100); do [ -f "$FLEET/url" ] && break; sleep 0.1; done
  [ -f "$FLEET/url" ] || { cat "$FLEET/server.log"; echo "the server did not start" >&2; return 1; }
  SERVER_URL=$(cat "$FLEET/url")
  export EDGEAI_SERVER=$SERVER_URL
  EDGEAI_ADMIN_TOKEN=$(cat "$FLEET/server/admin-token")
  export EDGEAI_ADMIN_TOKEN
  echo "server $SERVER_URL (SQLite in $FLEET/server, log $FLEET/server.log)"
}

fleet_start_agents() {
  local group=$1 count=$2
  shift 2
  local tokens
  mapfile -t tokens < <($EDGEAI devices token --group "$group" --count "$count" | grep '^enr_')
  for i in $(seq "$count"); do
    local name="$group-$i"
    $AGENT --server "$SERVER_URL" --enroll "${tokens[$((i - 1))]}" --data-dir "$FLEET/devices/$name" --name "$name" \
      --wait 5 "$@" > "$FLEET/devices/$name.log" 2>&1 &
    FLEET_PIDS+=($!)
  done
  echo "$count agents in group $group (logs in $FLEET/devices/)"
}

fleet_start_agent() {
  local group=$1 name=$2
  shift 2
  local token
  token=$($EDGEAI devices token --group "$group" | grep '^enr_')
  $AGENT --server "$SERVER_URL" --enroll "$token" --data-dir "$FLEET/devices/$name" --name "$name" --wait 5 "$@" \
    > "$FLEET/devices/$name.log" 2>&1 &
  FLEET_PIDS+=($!)
}

fleet_wait_campaign() {
  local id=$1 seconds=$2 state=""
  for _ in $(seq "$((seconds * 2))"); do
    state=$($EDGEAI campaign status "$id" --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')
    [ "$state" = "completed" ] && return 0
    [ "$state" = "halted" ] && return 1
    sleep 0.5
  done
  echo "campaign $id still $state after ${seconds}s" >&2
  return 1
}
