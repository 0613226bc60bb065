#!/usr/bin/env bash
# Runs the public example workflows end to end on a real `komo serve`, against local
# stand-ins (stand-ins.py: an SMTP sink and an HTTP server answering as Salesforce,
# Mailchimp, Twilio, Braze and the examples' webhooks do).
#
# Usage (from anywhere): examples/demo/run-public-examples.sh [EXAMPLES_DIR]
#   EXAMPLES_DIR  the public examples' *.komo files [default: ../shared/examples from the
#                 repository root]
#   KOMO_BIN      the komo binary [default: target/debug/komo, built if missing]
#   KEEP=1        keep the temporary directory (project, store, logs) and print it
#
# It makes a temporary project (the demo's komo.toml and templates/, the examples as
# workflows/, connectors and [http] stand_ins pointing at the stand-ins, dummy secrets),
# checks it, starts the stand-ins and `komo serve`, activates every workflow, posts
# public-events/*.json, and waits for the runs. Runs parked on a `wait` (3 days, 2 days)
# are fast-forwarded: the server is stopped, their due time in the store is moved to
# now, and the server is started again (overdue waits fire at once after downtime).
# Then it prints each run with its steps, and what the stand-ins received.
#
# Exit status: 0 every workflow activated and every run succeeded; 1 otherwise.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
examples=$(cd "${1:-$repo/../shared/examples}" && pwd)
komo=${KOMO_BIN:-$repo/target/debug/komo}
if [[ ! -x $komo ]]; then
  (cd "$repo" && cargo build -q)
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/komo-public.XXXXXX")
project=$work/project
stand_ins_pid=
serve_pid=
cleanup() {
  for pid in $serve_pid $stand_ins_pid; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [[ ${KEEP:-} == 1 ]]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

read -r smtp_port http_port api_port < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
for s in socks: s.close()')
stand_in=http://127.0.0.1:$http_port
server=http://127.0.0.1:$api_port

# ---- the project
mkdir -p "$project/workflows"
cp "$here/komo.toml" "$project/"
cp -r "$here/templates" "$project/"
shopt -s nullglob
files=("$examples"/*.komo)
if ((${#files[@]} == 0)); then echo "no *.komo in $examples" >&2; exit 1; fi
cp "${files[@]}" "$project/workflows/"
cat >> "$project/komo.toml" <<EOF

# ---- added by run-public-examples.sh: everything goes to the local stand-ins
[secrets]
SPONSOR_A_TOKEN = { env = "DEMO_SPONSOR_A_TOKEN" }

[connectors.email]
smtp_host = "127.0.0.1"
smtp_port = $smtp_port
tls = "none"
from = "Komo Demo <demo@komo.example>"

[connectors.sms]
base_url = "$stand_in"
account_sid_env = "DEMO_SMS_ACCOUNT_SID"
auth_token_env = "DEMO_SMS_AUTH_TOKEN"
from = "+15550100"

[connectors.salesforce]
instance_url = "$stand_in"
client_id_env = "DEMO_SALESFORCE_CLIENT_ID"
client_secret_env = "DEMO_SALESFORCE_CLIENT_SECRET"

[connectors.mailchimp]
api_key_env = "DEMO_MAILCHIMP_API_KEY"
base_url = "$stand_in"

[connectors.braze]
base_url = "$stand_in"
api_key_env = "DEMO_BRAZE_API_KEY"

[http]
allow_hosts = ["127.0.0.1:$smtp_port", "127.0.0.1:$http_port"]
stand_ins = { "https://ops.example.com" = "$stand_in", "https://hooks.sponsor-a.example.com" = "$stand_in", "https://hooks.example.com" = "$stand_in", "https://api.example.com" = "$stand_in" }
EOF
export DEMO_SPONSOR_A_TOKEN="Bearer demo-sponsor-token" DEMO_SMS_ACCOUNT_SID=ACdemo DEMO_SMS_AUTH_TOKEN=demo-sms-token
export DEMO_SALESFORCE_CLIENT_ID=demo-client DEMO_SALESFORCE_CLIENT_SECRET=demo-secret
export DEMO_MAILCHIMP_API_KEY=demo-key-us1 DEMO_BRAZE_API_KEY=demo-braze-key

echo "== komo check"
"$komo" check "$project"

# ---- the stand-ins and the server
python3 "$here/stand-ins.py" --smtp-port "$smtp_port" --http-port "$http_port" \
  --mail-log "$work/mail.jsonl" --http-log "$work/http.jsonl" > "$work/stand-ins.log" 2>&1 &
stand_ins_pid=$!
for _ in $(seq 100); do grep -q '^ready$' "$work/stand-ins.log" && break; sleep 0.1; done
grep -q '^ready$' "$work/stand-ins.log" || { cat "$work/stand-ins.log" >&2; echo "the stand-ins did not start" >&2; exit 1; }

start_server() {
  RUST_LOG=${RUST_LOG:-info,komo::connectors=debug} \
    "$komo" serve --project "$project" --listen "127.0.0.1:$api_port" >> "$work/serve.log" 2>&1 &
  serve_pid=$!
  for _ in $(seq 200); do curl -fsS "$server/healthz" > /dev/null 2>&1 && return 0; sleep 0.1; done
  cat "$work/serve.log" >&2
  echo "komo serve did not start" >&2
  exit 1
}
stop_server() {
  kill -TERM "$serve_pid"
  wait "$serve_pid" 2>/dev/null || true
  serve_pid=
}

key=$("$komo" keys create --project "$project")
start_server
auth=(-H "Authorization: Bearer $key")
api() { curl -sS "${auth[@]}" "$@"; }
json() { python3 -c "import json, sys; data = json.load(sys.stdin); $1"; }

status=0
workflows=$(api "$server/v1/workflows" | json 'print("\n".join(w["name"] for w in data["workflows"]))')
if [[ -z $workflows ]]; then echo "the server lists no workflow" >&2; exit 1; fi
echo "== activating"
for wf in $workflows; do
  code=$(api -o "$work/activate.json" -w '%{http_code}' -X POST "$server/v1/workflows/$wf/activate")
  if [[ $code == 200 ]]; then
    echo "activated $wf"
  else
    echo "REFUSED $wf (HTTP $code): $(cat "$work/activate.json")"
    status=1
  fi
done

echo "== posting public-events/"
for event in "$here"/public-events/*.json; do
  answer=$(api -H "Content-Type: application/json" --data-binary "@$event" "$server/v1/events")
  echo "$(basename "$event"): $(json 'print(", ".join(r["workflow"] for r in data.get("runs", [])) or "no run: " + json.dumps(data))' <<< "$answer")"
done

# Prints how many runs are pending or running, and how many are waiting.
open_runs() {
  api "$server/v1/runs?limit=500" | json '
runs = data["runs"]
print(sum(r["status"] in ("pending", "running") for r in runs), sum(r["status"] == "waiting" for r in runs))'
}
settle() {
  for _ in $(seq 300); do
    read -r busy waiting < <(open_runs)
    ((busy == 0)) && return 0
    sleep 0.2
  done
  echo "runs still pending or running after 60s" >&2
  status=1
}

echo "== waiting for the runs"
settle
for _ in 1 2 3; do
  read -r busy waiting < <(open_runs)
  ((waiting == 0)) && break
  echo "fast-forwarding $waiting waiting run(s): their due time becomes now"
  stop_server
  python3 - "$project/.komo/komo.db" <<'EOF'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
with db:
    db.execute("UPDATE runs SET due_at = ? WHERE status = 'waiting' AND due_at IS NOT NULL", (int(time.time() * 1000),))
db.close()
EOF
  start_server
  settle
done

echo "== runs"
report=$(api "$server/v1/runs?limit=500" | json 'print(" ".join(r["id"] for r in reversed(data["runs"])))')
ran=""
for id in $report; do
  line=$(api "$server/v1/runs/$id" | json '
print(data["workflow"], data["status"])
for s in data["steps"]:
    error = s.get("error")
    why = " (%s)" % (error.get("message") if isinstance(error, dict) else error) if error else ""
    print("    %-22s %-32s %s%s" % (s["name"], s["action"], s["status"], why))')
  first=${line%%$'\n'*}
  echo "$id ${first}"
  [[ $line == *$'\n'* ]] && echo "${line#*$'\n'}"
  ran="$ran ${first%% *}"
  [[ ${first##* } == succeeded ]] || status=1
done
for wf in $workflows; do
  [[ " $ran " == *" $wf "* ]] || { echo "NO RUN of $wf"; status=1; }
done

echo "== the SMTP sink received"
python3 - "$work/mail.jsonl" <<'EOF'
import json, os, sys
for line in open(sys.argv[1]) if os.path.exists(sys.argv[1]) else []:
    m = json.loads(line)
    print("  to %s: %s" % (", ".join(m["to"]), m["subject"]))
EOF
echo "== the HTTP stand-in received"
python3 - "$work/http.jsonl" <<'EOF'
import json, os, sys
for line in open(sys.argv[1]) if os.path.exists(sys.argv[1]) else []:
    r = json.loads(line)
    print("  %s %s%s -> %s" % (r["method"], r["host"], r["path"], r["status"]))
EOF
if [[ -n ${RESULTS_DIR:-} ]]; then
  mkdir -p "$RESULTS_DIR"
  cp "$work"/*.jsonl "$work/serve.log" "$RESULTS_DIR/" 2>/dev/null || true
fi

stop_server
if ((status == 0)); then echo "all public examples activated and every run succeeded"; else echo "FAILED" >&2; fi
exit $status
