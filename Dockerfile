# syntax=docker/dockerfile:1
# Davy's image for machines with Docker or BuildKit: `docker build -t davy:latest .`
# `make image` builds the same layout without Docker (hack/image.sh): Node.js 22 and the
# libraries it links, CA certificates, /etc/passwd with 65532, and the bundled CLI. Nothing else:
# no shell, no package manager, no node_modules (the bundle needs none). It runs as 65532:65532
# and under a read-only root filesystem (deploy/ mounts an emptyDir at /tmp).

FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-fund --no-audit --loglevel=error
COPY tsconfig.json tsconfig.build.json ./
COPY bin bin
COPY hack/build.sh hack/bundle.ts hack/
COPY src src
RUN PATH=/src/node_modules/.bin:$PATH hack/build.sh

# The runtime's files, gathered on Debian: the node binary, each library it links (at the path
# the loader looks for it), the CA bundle, and the two users.
FROM debian:bookworm-slim AS files
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/node /out/usr/local/bin/node
RUN set -eu; \
    for lib in $(ldd /out/usr/local/bin/node | grep -o '/[^ ]*'); do \
      mkdir -p "/out$(dirname "$lib")"; cp -L "$lib" "/out$lib"; \
    done; \
    mkdir -p /out/etc/ssl/certs /out/home/nonroot /out/tmp; \
    cp /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/; \
    printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > /out/etc/passwd; \
    printf 'root:x:0:\nnonroot:x:65532:\n' > /out/etc/group; \
    chmod 1777 /out/tmp

FROM scratch
COPY --from=files /out/ /
COPY --from=build /src/package.json /app/package.json
COPY --from=build /src/bin/davy.js /app/bin/davy.js
COPY --from=build /src/dist/bundle /app/dist/bundle
ENV PATH=/usr/local/bin:/usr/bin:/bin NODE_ENV=production SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
WORKDIR /app
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/node", "/app/bin/davy.js"]
CMD ["--help"]
