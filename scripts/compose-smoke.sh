#!/usr/bin/env bash
# Brings the production compose stack up (MinIO, NATS, PostgreSQL, the init services and the
# reactor), pushes one recording through it and waits for its transcript in PostgreSQL:
# upload into MinIO -> MinIO's NATS target -> JetStream -> reactor (local Whisper) -> PostgreSQL.
# Needs a Docker engine with compose v2; elsewhere it says why it is skipped and exits 0.
#
#   scripts/compose-smoke.sh            # project name vp-smoke, removed (with volumes) at the end
#   KEEP=1 scripts/compose-smoke.sh     # leave the stack running for a look around
set -euo pipefail
cd "$(dirname "$0")/.."

skip() { echo "compose smoke test skipped: $1"; exit 0; }
command -v docker >/dev/null 2>&1 || skip "no docker command on PATH"
docker info >/dev/null 2>&1 || skip "no Docker engine reachable"
docker compose version >/dev/null 2>&1 || skip "docker compose v2 is not installed"

PROJECT="${PROJECT:-vp-smoke}"
WORK="$(mktemp -d)"
ENV_FILE="$WORK/.env"
secret() { head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20; }

# .env.example with every required value filled in (generated secrets, a tiny Whisper model).
while IFS= read -r line; do
  case "$line" in
    MINIO_ROOT_USER=*) echo "MINIO_ROOT_USER=vp-root" ;;
    *_ACCESS_KEY=*) echo "${line%%=*}=vp-$(secret | head -c 8 | tr 'A-Z' 'a-z')" ;;
    MINIO_ROOT_PASSWORD=* | *_SECRET_KEY=* | NATS_PASSWORD=* | POSTGRES_PASSWORD=*)
      echo "${line%%=*}=$(secret)" ;;
    NATS_USER=*) echo "NATS_USER=voxpersona" ;;
    TELEGRAM_BOT_TOKEN=*) echo "TELEGRAM_BOT_TOKEN=123456:smoke-test-token-not-used" ;;
    VOXPERSONA_WHISPER_MODEL=*) echo "VOXPERSONA_WHISPER_MODEL=tiny" ;;
    MINIO_API_PORT=*) echo "MINIO_API_PORT=0" ;;
    MINIO_CONSOLE_PORT=*) echo "MINIO_CONSOLE_PORT=0" ;;
    VOXPERSONA_STATUS_PORT=*) echo "VOXPERSONA_STATUS_PORT=0" ;;
    *) echo "$line" ;;
  esac
done < .env.example > "$ENV_FILE"

compose() { docker compose --project-name "$PROJECT" --env-file "$ENV_FILE" "$@"; }
cleanup() {
  if [ -z "${KEEP:-}" ]; then compose down --volumes --remove-orphans >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "building the image and fetching the Whisper model into the whisper_models volume"
compose build reactor
compose run --rm --no-deps reactor voxpersona models fetch

echo "starting MinIO, NATS, PostgreSQL, the init services and the reactor"
compose up -d reactor
for _ in $(seq 1 120); do
  state="$(docker inspect -f '{{.State.Health.Status}}' "$(compose ps -q reactor)" 2>/dev/null || true)"
  [ "$state" = healthy ] && break
  sleep 5
done
[ "${state:-}" = healthy ] || { compose logs --tail 80; echo "the reactor never became ready"; exit 1; }

USER_ID=424242
KEY="audio/$USER_ID/$(date -u +%Y/%m/%d)/$(cat /proc/sys/kernel/random/uuid).ogg"
echo "uploading tests/fixtures/speech/en_budget.ogg as $KEY"
compose run --rm --no-deps -v "$PWD/tests/fixtures/speech/en_budget.ogg:/tmp/sample.ogg:ro" \
  --entrypoint /bin/sh init-minio -c '
    scheme=http; [ "$MINIO_USE_SSL" = true ] && scheme=https
    mc alias set vp "$scheme://minio:9000" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null
    mc cp --attr "User-Id='"$USER_ID"';Chat-Id='"$USER_ID"';Source=smoke" /tmp/sample.ogg \
      "vp/$MINIO_AUDIO_BUCKET_NAME/'"$KEY"'"'

sql() { compose exec -T postgres psql -U voxpersona -d voxpersona -tAc "$1"; }
for _ in $(seq 1 120); do
  status="$(sql "SELECT status FROM recordings WHERE object_key = '$KEY'" 2>/dev/null || true)"
  case "$status" in done | failed) break ;; esac
  sleep 5
done
echo "recording status: ${status:-none}"
[ "$status" = done ] || { compose logs --tail 80 reactor; exit 1; }
echo "transcript: $(sql "SELECT left(transcript_text, 200) FROM recordings WHERE object_key = '$KEY'")"
echo "compose smoke test passed: the recording went through MinIO, NATS and the reactor"
