#!/bin/sh
# Applies VoxPersona's MinIO configuration with `mc`. Idempotent: safe to run on every start.
# Run by docker-compose's init-minio service. `voxpersona storage init` applies the same bucket
# configuration through the SDK (and `voxpersona storage check` reports drift); IAM users and
# policies need MinIO's admin API and are applied only here.
set -eu

AUDIO="${MINIO_AUDIO_BUCKET_NAME:-voxpersona-audio}"
RESULTS="${MINIO_BUCKET_NAME:-voxpersona-storage}"
DAYS="${MINIO_CLEANUP_DAYS:-30}"
ARN="arn:minio:sqs::primary:nats"
DIR="$(dirname "$0")"
SCHEME=http
[ "${MINIO_USE_SSL:-false}" = "true" ] && SCHEME=https

mc alias set vp "$SCHEME://minio:9000" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null

# Buckets, with no anonymous access.
for bucket in "$AUDIO" "$RESULTS"; do
  mc mb --ignore-existing "vp/$bucket"
  mc anonymous set none "vp/$bucket"
done

# put = ObjectCreated:*, delete = ObjectRemoved:* on the audio prefix. ILM expiry arrives as an
# ordinary ObjectRemoved:Delete, so the delete rule keeps PostgreSQL in step with expiry.
# The stream (`voxpersona streams init`) exists before this runs: MinIO never creates it.
events="$(mc event list "vp/$AUDIO" "$ARN")"
if ! printf '%s\n' "$events" | grep "audio/" | grep -q "put"; then
  mc event add "vp/$AUDIO" "$ARN" --event put --prefix audio/
fi
if ! printf '%s\n' "$events" | grep "audio/" | grep -q "delete"; then
  mc event add "vp/$AUDIO" "$ARN" --event delete --prefix audio/
fi

# Audio expires after $DAYS days; incomplete multipart uploads are aborted after a day.
# `mc ilm import` replaces the whole configuration, so re-running it changes nothing.
sed -e "s/\"Days\": 30/\"Days\": $DAYS/" "$DIR/lifecycle.json" | mc ilm import "vp/$AUDIO"

# Least-privilege policies, then the users that carry them.
for name in bot library reactor operator; do
  sed -e "s/voxpersona-audio/$AUDIO/g" -e "s/voxpersona-storage/$RESULTS/g" \
    "$DIR/policies/$name.json" > "/tmp/$name.json"
  mc admin policy create vp "voxpersona-$name" "/tmp/$name.json"
done

attach() { # user, secret, policy; `attach` fails when already attached, which is fine
  mc admin user add vp "$1" "$2"
  mc admin policy attach vp "$3" --user "$1" >/dev/null 2>&1 || true
}
attach "$BOT_MINIO_ACCESS_KEY" "$BOT_MINIO_SECRET_KEY" voxpersona-bot
# The bot's second, separately revocable credential: users' library (download, delete).
attach "$LIBRARY_MINIO_ACCESS_KEY" "$LIBRARY_MINIO_SECRET_KEY" voxpersona-library
attach "$REACTOR_MINIO_ACCESS_KEY" "$REACTOR_MINIO_SECRET_KEY" voxpersona-reactor
if [ -n "${OPERATOR_MINIO_ACCESS_KEY:-}" ]; then
  attach "$OPERATOR_MINIO_ACCESS_KEY" "${OPERATOR_MINIO_SECRET_KEY:?set OPERATOR_MINIO_SECRET_KEY}" \
    voxpersona-operator
fi
echo "minio-config applied"
