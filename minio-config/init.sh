#!/bin/sh
# Applies VoxPersona's MinIO configuration with `mc`. Idempotent: safe to run on every start.
# Run by docker-compose's init-minio service in the minio/mc image, which holds a shell,
# coreutils and mc only (no sed, grep or awk): this script uses nothing else. Every command's
# failure stops it (set -e): re-running is safe because each step is idempotent by itself,
# never because an error is ignored.
# `voxpersona storage init` applies the same bucket configuration through the SDK (and
# `voxpersona storage check` reports drift); IAM users and policies need MinIO's admin API and
# are applied only here.
set -eu

AUDIO="${MINIO_AUDIO_BUCKET_NAME:-voxpersona-audio}"
RESULTS="${MINIO_BUCKET_NAME:-voxpersona-storage}"
DAYS="${MINIO_CLEANUP_DAYS:-30}"
ENDPOINT="${MINIO_INIT_ENDPOINT:-minio:9000}"
# The id of MinIO's NATS target: the suffix of MINIO_NOTIFY_NATS_ENABLE_PRIMARY in
# docker-compose.yml. MinIO keeps its case and looks ARNs up exactly, so the ARN is derived
# from it here, once (a unit test keeps it equal to compose and to the SDK's).
NATS_TARGET_ID=PRIMARY
ARN="arn:minio:sqs::${NATS_TARGET_ID}:nats"
DIR="$(dirname "$0")"
SCHEME=http
if [ "${MINIO_USE_SSL:-false}" = "true" ]; then
  SCHEME=https
fi
case "$DAYS" in
  '' | *[!0-9]* | 0) echo "MINIO_CLEANUP_DAYS must be a positive number of days, not '$DAYS'" >&2; exit 2 ;;
esac
: "${MINIO_ROOT_USER:?set MINIO_ROOT_USER}" "${MINIO_ROOT_PASSWORD:?set MINIO_ROOT_PASSWORD}"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# replace_all TEXT FROM TO: TEXT with every FROM replaced by TO (shell only: no sed here).
replace_all() {
  rest=$1
  out=
  while :; do
    case $rest in
      *"$2"*)
        out="$out${rest%%"$2"*}$3"
        rest="${rest#*"$2"}"
        ;;
      *) break ;;
    esac
  done
  printf '%s\n' "$out$rest"
}

# with_buckets FILE: FILE with the default bucket names replaced by the configured ones. A
# control character stands in between the two passes, so a bucket name that contains the
# other default name is never replaced twice.
with_buckets() {
  mark="$(printf '\001')"
  text="$(cat "$1")"
  text="$(replace_all "$text" voxpersona-audio "${mark}A")"
  text="$(replace_all "$text" voxpersona-storage "${mark}S")"
  text="$(replace_all "$text" "${mark}A" "$AUDIO")"
  replace_all "$text" "${mark}S" "$RESULTS"
}

mc alias set vp "$SCHEME://$ENDPOINT" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null

# Buckets, with no anonymous access.
for bucket in "$AUDIO" "$RESULTS"; do
  mc mb --ignore-existing "vp/$bucket"
  mc anonymous set none "vp/$bucket"
done

# put = ObjectCreated:*, delete = ObjectRemoved:* on the audio prefix. ILM expiry arrives as an
# ordinary ObjectRemoved:Delete, so the delete rule keeps PostgreSQL in step with expiry.
# The stream (`voxpersona streams init`) exists before this runs: MinIO never creates it.
# MinIO refuses a rule identical to one it has; --ignore-existing makes mc accept exactly that
# refusal, so a second run changes nothing and any other error still stops the script.
mc event add "vp/$AUDIO" "$ARN" --event put --prefix audio/ --ignore-existing
mc event add "vp/$AUDIO" "$ARN" --event delete --prefix audio/ --ignore-existing

# Audio expires after $DAYS days. `mc ilm import` replaces the whole configuration, so
# re-running it changes nothing. (MinIO's lifecycle has no AbortIncompleteMultipartUpload:
# MinIO removes stale multipart uploads itself, MINIO_API_STALE_UPLOADS_EXPIRY.)
lifecycle="$(cat "$DIR/lifecycle.json")"
case $lifecycle in
  *'"Days": 30'*) ;;
  *) echo "$DIR/lifecycle.json: no '\"Days\": 30' to set to $DAYS" >&2; exit 2 ;;
esac
replace_all "$lifecycle" '"Days": 30' "\"Days\": $DAYS" | mc ilm import "vp/$AUDIO"

# Least-privilege policies (`create` overwrites), then the users that carry them (`user add`
# updates the secret; `policy attach` skips a policy already attached and exits 0).
for name in bot library reactor operator; do
  with_buckets "$DIR/policies/$name.json" > "$WORK/$name.json"
  mc admin policy create vp "voxpersona-$name" "$WORK/$name.json"
done

user_with_policy() { # access key, secret key, policy
  mc admin user add vp "$1" "$2"
  mc admin policy attach vp "$3" --user "$1"
}
user_with_policy "${BOT_MINIO_ACCESS_KEY:?set BOT_MINIO_ACCESS_KEY}" \
  "${BOT_MINIO_SECRET_KEY:?set BOT_MINIO_SECRET_KEY}" voxpersona-bot
# The bot's second, separately revocable credential: users' library (download, delete).
user_with_policy "${LIBRARY_MINIO_ACCESS_KEY:?set LIBRARY_MINIO_ACCESS_KEY}" \
  "${LIBRARY_MINIO_SECRET_KEY:?set LIBRARY_MINIO_SECRET_KEY}" voxpersona-library
user_with_policy "${REACTOR_MINIO_ACCESS_KEY:?set REACTOR_MINIO_ACCESS_KEY}" \
  "${REACTOR_MINIO_SECRET_KEY:?set REACTOR_MINIO_SECRET_KEY}" voxpersona-reactor
if [ -n "${OPERATOR_MINIO_ACCESS_KEY:-}" ]; then
  user_with_policy "$OPERATOR_MINIO_ACCESS_KEY" \
    "${OPERATOR_MINIO_SECRET_KEY:?set OPERATOR_MINIO_SECRET_KEY}" voxpersona-operator
fi
echo "minio-config applied"
