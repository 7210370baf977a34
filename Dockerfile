# Tower's game server (tower-server) as a container image; used by docker-compose.yml.
#   docker build -t tower-server .
#   docker run -p 4433:4433/udp tower-server          # dev auth mode, no Nakama
# Configuration: TOWER_* environment variables or a TOML file (--config); see docs/nakama.md.
# Needs BuildKit (the default builder since Docker 23; Docker 20.10: DOCKER_BUILDKIT=1, and
# COMPOSE_DOCKER_CLI_BUILD=1 for docker-compose v1).

FROM rust:1.95-bookworm AS build
WORKDIR /src
# Only the workspace's crates (.dockerignore keeps everything else out of the context), so an
# edit to docs, scripts, Nakama's modules or the Unreal plugin reuses the build. A new
# workspace member needs its line here and in .dockerignore (cargo loads every member).
COPY Cargo.toml Cargo.lock ./
COPY procgen procgen
COPY floor-cli floor-cli
COPY protocol protocol
COPY movement movement
COPY server server
COPY client client
COPY bots bots
COPY meta meta
COPY lobby lobby
COPY ffi ffi
COPY agones agones
# setcap (libcap2-bin), for the file capability below.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libcap2-bin \
 && rm -rf /var/lib/apt/lists/*
# The crate registry and the target dir live in cache mounts that outlast the build, so a
# rebuild after a source change compiles only the crates that changed.
RUN --mount=type=cache,id=tower-cargo-registry,target=/usr/local/cargo/registry \
    --mount=type=cache,id=tower-release-target,target=/src/target \
    cargo build --release --locked -p tower-server \
 && install -D target/release/tower-server /out/tower-server \
 && setcap cap_sys_nice+p /out/tower-server

FROM debian:bookworm-slim
# curl is for the compose healthcheck (the server's HTTP /metrics endpoint). The certificate
# directory exists in the image, owned by `tower`, so a volume mounted there starts with that
# owner (Docker creates a missing mount point root-owned, and the server could not write).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /var/lib/tower tower \
 && install -d -o tower -g tower -m 0700 /var/lib/tower/cert
# `cap_sys_nice+p` (BuildKit's COPY keeps it): where the container is granted SYS_NICE
# (docker-compose.yml's `cap_add`), the server, though not root, may put its tick thread ahead
# of the network workers; the tick thread makes it effective for itself alone. With no
# effective bit, the binary starts as before where it is not granted.
COPY --from=build /out/tower-server /usr/local/bin/tower-server
USER tower
WORKDIR /var/lib/tower
ENV TOWER_LISTEN=0.0.0.0:4433 \
    TOWER_CERT_DIR=/var/lib/tower/cert \
    RUST_LOG=info
EXPOSE 4433/udp
ENTRYPOINT ["tower-server"]
