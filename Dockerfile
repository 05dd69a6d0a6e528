# One image for the bot, the reactor and the operator CLI (docker-compose picks the command).
# The `local` extra (faster-whisper) is installed: with no OPENAI_API_KEY the reactor
# transcribes on this server and audio never leaves it. EXTRAS=local,gpu adds the CUDA
# libraries faster-whisper needs on an NVIDIA GPU (docker-compose.gpu.yml builds that).
FROM python:3.12-slim
ARG EXTRAS=local
WORKDIR /app
COPY pyproject.toml README.md ./
COPY voxpersona ./voxpersona
COPY bot ./bot
COPY reactor ./reactor
RUN pip install --no-cache-dir ".[${EXTRAS}]" && useradd --system --uid 10001 voxpersona \
    && install -d -o voxpersona /var/lib/voxpersona/spool /var/lib/voxpersona/models
# Where pip puts the CUDA libraries of the gpu extra (absent directories are ignored).
ENV LD_LIBRARY_PATH=/usr/local/lib/python3.12/site-packages/nvidia/cublas/lib:/usr/local/lib/python3.12/site-packages/nvidia/cudnn/lib
USER voxpersona
ENV VOXPERSONA_LOG_FORMAT=json
