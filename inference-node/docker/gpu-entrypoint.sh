#!/bin/sh
# GPU image entry: starts Ollama next to the node (unless OLLAMA_AUTOSTART=0, e.g. when Ollama runs in
# its own container), then runs the node in the foreground so it receives the container's signals.
set -eu
if [ "${OLLAMA_AUTOSTART:-1}" != "0" ] && command -v ollama >/dev/null 2>&1; then
  ollama serve >/tmp/ollama.log 2>&1 &
fi
exec "$@"
