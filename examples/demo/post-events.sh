#!/usr/bin/env bash
# Activates the demo workflows and posts the sample events to a running `komo serve`.
# Usage (from the repository root, with the server started by the README's command):
#   KOMO_KEY=$(cargo run -q -- keys create --project examples/demo) examples/demo/post-events.sh
set -euo pipefail
server=${KOMO_SERVER:-http://127.0.0.1:8080}
: "${KOMO_KEY:?set KOMO_KEY to a key from: komo keys create --project examples/demo}"
here=$(cd "$(dirname "$0")" && pwd)
auth=(-H "Authorization: Bearer $KOMO_KEY")
for wf in welcome quiz_rewards entries newsletter_welcome; do
  curl -fsS "${auth[@]}" -X POST "$server/v1/workflows/$wf/activate" > /dev/null
  echo "activated $wf"
done
for event in "$here"/events/*.json; do
  echo "posting $(basename "$event"):"
  curl -fsS "${auth[@]}" -H "Content-Type: application/json" --data-binary "@$event" "$server/v1/events"
  echo
done
echo "runs: $server/v1/runs"
