#!/bin/sh
# Applies VoxPersona's MinIO configuration with `mc`. Idempotent: safe to run on every start.
# Run by docker-compose's init-minio service; `voxpersona` applies the same through the SDK.
set -eu

AUDIO="${MINIO_AUDIO_BUCKET_NAME:-voxpersona-audio}"
RESULTS="${MINIO_BUCKET_NAME:-voxpersona-storage}"
DAYS="${MINIO_CLEANUP_DAYS:-30}"
ARN="arn:minio:sqs::primary:nats"
DIR="$(dirname "$0")"

mc alias set vp http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null

for bucket in "$AUDIO" "$RESULTS"; do
  mc mb --ignore-existing "vp/$bucket"
  mc anonymous set none "vp/$bucket"
done

# put = ObjectCreated:*, delete = ObjectRemoved:* (ILM expiry arrives as an ObjectRemoved:Delete).
if ! mc event list "vp/$AUDIO" "$ARN" | grep -q "put"; then
  mc event add "vp/$AUDIO" "$ARN" --event put --prefix audio/
fi
if ! mc event list "vp/$AUDIO" "$ARN" | grep -q "delete"; then
  mc event add "vp/$AUDIO" "$ARN" --event delete --prefix audio/
fi

# Audio expires after $DAYS days; incomplete multipart uploads are aborted after a day.
# `mc ilm import` replaces the whole configuration, so re-running it changes nothing.
sed -e "s/\"Days\": 30/\"Days\": $DAYS/" "$DIR/lifecycle.json" | mc ilm import "vp/$AUDIO"

for name in bot reactor operator; do
  sed -e "s/voxpersona-audio/$AUDIO/g" -e "s/voxpersona-storage/$RESULTS/g" \
    "$DIR/policies/$name.json" > "/tmp/$name.json"
  mc admin policy create vp "voxpersona-$name" "/tmp/$name.json"
done

mc admin user add vp "$BOT_MINIO_ACCESS_KEY" "$BOT_MINIO_SECRET_KEY"
mc admin policy attach vp voxpersona-bot --user "$BOT_MINIO_ACCESS_KEY" 2>/dev/null || true
mc admin user add vp "$REACTOR_MINIO_ACCESS_KEY" "$REACTOR_MINIO_SECRET_KEY"
mc admin policy attach vp voxpersona-reactor --user "$REACTOR_MINIO_ACCESS_KEY" 2>/dev/null || true
echo "minio-config applied"
