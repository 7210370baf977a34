# Tower's game server (tower-server) as a container image; used by docker-compose.yml.
#   docker build -t tower-server .
#   docker run -p 4433:4433/udp tower-server          # dev auth mode, no Nakama
# Configuration: TOWER_* environment variables or a TOML file (--config); see docs/nakama.md.

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p tower-server \
 && install -D target/release/tower-server /out/tower-server

FROM debian:bookworm-slim
# curl is for the compose healthcheck (the server's HTTP /metrics endpoint).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /var/lib/tower tower
COPY --from=build /out/tower-server /usr/local/bin/tower-server
USER tower
WORKDIR /var/lib/tower
ENV TOWER_LISTEN=0.0.0.0:4433 \
    TOWER_CERT_DIR=/var/lib/tower/cert \
    RUST_LOG=info
EXPOSE 4433/udp
ENTRYPOINT ["tower-server"]
