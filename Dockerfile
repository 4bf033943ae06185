# Spillway's image: the `spillway` binary with the default plugins built in.
# Build: docker build -t spillway .   Run: see docker-compose.yml.

# Build stage: the toolchain of rust-toolchain.toml (rustup installs it, with
# the wasm32-wasip2 target the default plugins are built for).
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p spillway \
    && install -D target/release/spillway /out/spillway

# Runtime stage: Debian slim, CA certificates for AWS, curl for health checks.
FROM debian:bookworm-slim
# Debian's security updates replace exact versions, so packages are not pinned.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 spillway \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/spillway spillway \
    && mkdir -p /var/lib/spillway /plugins \
    && chown spillway:spillway /var/lib/spillway
COPY --from=build /out/spillway /usr/local/bin/spillway
COPY configs/ /etc/spillway/
USER 10001:10001
# Relative paths of the configuration (checkpoints, capture state) land in the
# data volume; user plugins are mounted at /plugins.
WORKDIR /var/lib/spillway
ENV SPILLWAY_HTTP_ADDRESS=0.0.0.0:9090 \
    SPILLWAY_PLUGINS_CACHE_DIR=/var/lib/spillway/plugin-cache
VOLUME ["/var/lib/spillway", "/plugins"]
EXPOSE 9090
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:9090/health/ready"]
ENTRYPOINT ["spillway"]
CMD ["run", "--config", "/etc/spillway/reference.properties"]
