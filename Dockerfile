# syntax=docker/dockerfile:1
# Precise as one image, like Loki's one binary: `precise run --target <service>[,...]` picks what a container
# runs. deploy/helm starts one Deployment per service from it; `docker run <image>` runs them all.

FROM python:3.11-slim AS build

# Compile bytecode now: at run time the root filesystem is read-only (deploy/helm), so Python cannot.
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

# The same uv range as the Makefile.
RUN pip install "uv>=0.9,<1"

WORKDIR /src
COPY . .

# The root project's dependencies (contracts, chassis, tools, the services) exactly as uv.lock pins them.
# Not the dev group, which is where pytest and the test-only precise-probe live; its source is not even in
# the build context (.dockerignore). Non-editable, so /app/.venv stands without /src.
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable


FROM python:3.11-slim

# The uid/gid deploy/helm's podSecurityContext runs as; numeric, so runAsNonRoot can verify it.
RUN groupadd --system --gid 10001 precise \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin precise

COPY --from=build /app/.venv /app/.venv

# PRECISE_DATA_DIR only matters for the embedded profile; /tmp is the one writable path in the pods.
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PRECISE_PROFILE=azure \
    PRECISE_DATA_DIR=/tmp/precise

WORKDIR /app
USER 10001:10001
EXPOSE 8000

ENTRYPOINT ["precise"]
CMD ["run", "--target", "all", "--profile", "azure", "--host", "0.0.0.0"]
