# One image for the bot, the reactor and the operator CLI (docker-compose picks the command).
FROM python:3.12-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY voxpersona ./voxpersona
COPY bot ./bot
COPY reactor ./reactor
RUN pip install --no-cache-dir . && useradd --system --uid 10001 voxpersona \
    && install -d -o voxpersona /var/lib/voxpersona/spool
USER voxpersona
ENV VOXPERSONA_LOG_FORMAT=json
