# signald on Debian 12: build in one stage, run in a slim one as an unprivileged user.
#   docker build -f docker/signald.Dockerfile -t signald .
#   docker run -p 8080:8080 signald
FROM debian:12 AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config libwebsockets-dev libjansson-dev \
      libglib2.0-dev libnice-dev libgnutls28-dev libusrsctp-dev && \
    rm -rf /var/lib/apt/lists/*
COPY . /src
RUN cmake -S /src -B /build -DCMAKE_BUILD_TYPE=Release -DRTC_BUILD_TESTS=OFF \
      -DRTC_BUILD_BENCH=OFF -DCMAKE_INSTALL_PREFIX=/usr && \
    cmake --build /build -j"$(nproc)" && DESTDIR=/out cmake --install /build

FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      libwebsockets17 libwebsockets-evlib-glib libjansson4 libnice10 libgnutls30 \
      libusrsctp2 && rm -rf /var/lib/apt/lists/* && \
    useradd --system --no-create-home signald
COPY --from=build /out/ /
USER signald
EXPOSE 8080
HEALTHCHECK CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080"]
ENTRYPOINT ["/usr/sbin/signald", "--listen", "0.0.0.0:8080"]
