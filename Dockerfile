# toyscope in a container, for the transparent gateway (docker-compose.yml): Node 20 on Debian, with nftables
# and iproute2 for `toyscope gateway up`, and the compiler the native modules build with at `npm ci`
# (better-sqlite3 and proxy/native, from source; no prebuilt binary is downloaded).
FROM node:20-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends nftables iproute2 g++ make python3 \
  && rm -rf /var/lib/apt/lists/*
# node-gyp finds Node's headers in the image instead of downloading them.
ENV npm_config_nodedir=/usr/local
WORKDIR /app
COPY package.json package-lock.json ./
COPY proxy/native/ proxy/native/
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
ENTRYPOINT ["node", "bin/toyscope.js"]
