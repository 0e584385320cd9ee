#!/bin/sh
# As the official image's entrypoint: leading flags are redis-server's, and a redis-server started without a
# config file is reached over the container network, so protected mode (which refuses every non-loopback
# client when no password is set) is off.
set -e
if [ "${1#-}" != "$1" ]; then set -- redis-server "$@"; fi
if [ "$1" = redis-server ] && ! [ -f "${2:-}" ]; then
  shift
  set -- redis-server --protected-mode no "$@"
fi
exec "$@"
