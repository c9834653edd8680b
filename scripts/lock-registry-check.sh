#!/usr/bin/env bash
# `kubeferry lock` against a real registry on loopback (docs/lock.md): Debian's
# docker-registry (the CNCF distribution server) on 127.0.0.1 with a free port, a FROM-scratch
# image with USER, EXPOSE, HEALTHCHECK, VOLUME, WORKDIR, ENTRYPOINT, CMD and STOPSIGNAL
# built by `podman build --format docker` (one per platform, plus an index of both) and
# pushed with skopeo. Checks:
#   - without authentication: every field of the lock, the digest skopeo reports, the
#     platform picked from the index (--platform), and what convert makes of the lock at
#     restricted with --pin-digests; a missing tag is a 404 error, a missing platform an error;
#   - with basic authentication (htpasswd): refused without credentials (401), read with the
#     credentials of a DOCKER_CONFIG config.json (`auths`, then a `credsStore` helper),
#     which appear in no output and no file.
# Needs docker-registry, skopeo, podman and htpasswd (apache2-utils); .ci/run installs them.
#
#   KUBEFERRY_BIN    the binary (default: target/release/kubeferry, built if missing)
#   LOCK_CHECK_SHOW  set: print the lock file written
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${KUBEFERRY_BIN:-$here/target/release/kubeferry}"
[ -x "$bin" ] || (cd "$here" && cargo build --quiet --release)
for tool in docker-registry skopeo podman htpasswd python3; do
  command -v "$tool" >/dev/null || { echo "lock-registry-check: $tool is missing" >&2; exit 2; }
done

work="$(mktemp -d)"
image=localhost/kubeferry-lock-check
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  podman manifest rm "$image:list" >/dev/null 2>&1 || true
  podman rmi -f "$image:amd64" "$image:arm64" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# 1. The image: nothing to pull, nothing to run.
mkdir -p "$work/ctx"
cat > "$work/ctx/Containerfile" <<'IMG'
FROM scratch
USER 10001:10001
EXPOSE 8080/tcp 9090/udp
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=4 CMD ["/bin/check", "--fast"]
VOLUME /data
WORKDIR /app
ENTRYPOINT ["/bin/app"]
CMD ["serve"]
STOPSIGNAL SIGQUIT
IMG
for arch in amd64 arm64; do
  podman build -q --no-cache --format docker --platform "linux/$arch" --label "arch=$arch" -t "$image:$arch" "$work/ctx" >/dev/null
done
podman manifest rm "$image:list" >/dev/null 2>&1 || true
podman manifest create "$image:list" >/dev/null
for arch in amd64 arm64; do
  podman manifest add "$image:list" "containers-storage:$image:$arch" >/dev/null
done

# 2. A registry on loopback; $1: its folder, $2: extra configuration.
start_registry() {
  local dir="$1" port
  port="$(free_port)"
  mkdir -p "$dir/data"
  cat > "$dir/config.yml" <<CFG
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/data
http:
  addr: 127.0.0.1:$port
$2
CFG
  docker-registry serve "$dir/config.yml" > "$dir/log" 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do
    code="$(python3 -c "import urllib.request,sys
try: print(urllib.request.urlopen('http://127.0.0.1:$port/v2/').status)
except urllib.error.HTTPError as e: print(e.code)
except Exception: print(0)")"
    [ "$code" != 0 ] && { echo "$port"; return; }
    sleep 0.2
  done
  cat "$dir/log" >&2
  fail "the registry did not start"
}

push() { # $1: registry, $2: user:password or empty
  local skopeo_creds=() podman_creds=()
  [ -n "$2" ] && skopeo_creds=("--dest-creds=$2") podman_creds=("--creds=$2")
  skopeo copy -q --dest-tls-verify=false "${skopeo_creds[@]}" \
    "containers-storage:$image:amd64" "docker://$1/acme/app:1"
  # skopeo 1.9 does not read podman's manifest lists from containers-storage: podman pushes
  # the index.
  podman manifest push -q --all --tls-verify=false "${podman_creds[@]}" \
    "$image:list" "docker://$1/acme/multi:1"
}

project() { # $1: registry
  mkdir -p "$work/p"
  cat > "$work/p/compose.yaml" <<YML
services:
  app:
    image: $1/acme/app:1
  multi:
    image: $1/acme/multi:1
  built:
    build: ./built
YML
}

# 3. Without authentication.
reg="127.0.0.1:$(start_registry "$work/open" "")"
push "$reg" ""
project "$reg"
cd "$work/p"
"$bin" lock -f compose.yaml --insecure-registry "$reg" 2> "$work/lock.err" || { cat "$work/lock.err"; fail "lock"; }
grep -q "note: service \`built\` has only \`build:\`" "$work/lock.err" || fail "no note for the build-only service"
lockfile="$work/p/kubeferry.lock"
[ -n "${LOCK_CHECK_SHOW:-}" ] && cat "$lockfile"
digest="$(skopeo inspect --tls-verify=false "docker://$reg/acme/app:1" --format '{{.Digest}}')"
python3 - "$lockfile" "$reg" "$digest" <<'PY'
import sys, json
text = open(sys.argv[1]).read()
reg, digest = sys.argv[2], sys.argv[3]
# The lock is YAML that PyYAML may lack: read it through kubeferry's own fields, by line.
def block(ref):
    out, inside = [], False
    for line in text.splitlines():
        if line.startswith("  ") and not line.startswith("    "):
            inside = line.strip() == f"{ref}:"
            continue
        if inside:
            # Values that YAML 1.1 would read otherwise (`10001:10001`) are quoted.
            out.append(line.strip().replace('"', ""))
    return "\n".join(out)
app = block(f"{reg}/acme/app:1")
want = [
    f"digest: {digest}", "platform: linux/amd64", "user: 10001:10001",
    "- 8080/tcp", "- 9090/udp", "- /bin/check", "- --fast", "interval: 15s", "timeout: 3s",
    "retries: 4", "start_period: 20s", "- /data", "working_dir: /app", "- /bin/app",
    "- serve", "stop_signal: SIGQUIT",
]
missing = [w for w in want if w not in app]
assert not missing, f"app lock lacks {missing}:\n{app}"
multi = block(f"{reg}/acme/multi:1")
assert "platform: linux/amd64" in multi and "manifest: sha256:" in multi, multi
print(f"lock: {len(want)} fields of the app image, the index's linux/amd64 manifest")
PY
# The same tag for arm64 picks the other manifest of the index.
"$bin" lock -f compose.yaml -q --insecure-registry "$reg" --platform linux/arm64 -o "$work/arm.lock" 2> "$work/err" || true
grep -q "platform: linux/arm64" "$work/arm.lock" || { cat "$work/err" "$work/arm.lock"; fail "--platform linux/arm64 not read from the index"; }
# What convert makes of it, offline.
"$bin" convert -f compose.yaml -q --harden restricted --pin-digests -o "$work/out.yaml"
python3 - "$work/out.yaml" "$reg" "$digest" <<'PY'
import sys
y = open(sys.argv[1]).read()
reg, digest = sys.argv[2], sys.argv[3]
for w in [f"image: {reg}/acme/app:1@{digest}", "runAsUser: 10001", "runAsGroup: 10001",
          "containerPort: 8080", "- /bin/check", "mountPath: /data", "periodSeconds: 15"]:
    assert w in y, f"convert output lacks `{w}`"
print("convert: pinned digest, runAsUser 10001, port 8080, exec probe, /data mounted")
PY
# Errors per image: a tag that is not there, a platform the index lacks.
sed -i 's,acme/app:1,acme/app:2,' compose.yaml
if "$bin" lock -f compose.yaml -q --insecure-registry "$reg" -o "$work/x.lock" 2> "$work/err"; then fail "a missing tag locked"; fi
grep -q "error\[K010\].*404 not found" "$work/err" || { cat "$work/err"; fail "no 404 error"; }
if "$bin" lock -f compose.yaml -q --insecure-registry "$reg" --platform linux/s390x -o "$work/x.lock" 2> "$work/err"; then fail "a missing platform locked"; fi
grep -q "no linux/s390x image: the index has linux/amd64, linux/arm64" "$work/err" || { cat "$work/err"; fail "no platform error"; }
echo "errors: 404 for a missing tag, no linux/s390x in the index"

# 4. With basic authentication.
user=kubeferry pass="s3cret-$RANDOM$RANDOM"
htpasswd -Bbn "$user" "$pass" > "$work/htpasswd" 2>/dev/null
reg="127.0.0.1:$(start_registry "$work/auth" "auth:
  htpasswd:
    realm: kubeferry-check
    path: $work/htpasswd")"
push "$reg" "$user:$pass"
project "$reg"
mkdir -p "$work/docker"
export DOCKER_CONFIG="$work/docker"
echo '{}' > "$DOCKER_CONFIG/config.json"
if "$bin" lock -f compose.yaml --insecure-registry "$reg" -o "$work/auth.lock" 2> "$work/err"; then fail "locked without credentials"; fi
grep -q "401 unauthorized" "$work/err" || { cat "$work/err"; fail "no 401 error"; }
auth="$(printf '%s:%s' "$user" "$pass" | base64 -w0)"
printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$reg" "$auth" > "$DOCKER_CONFIG/config.json"
"$bin" lock -f compose.yaml --insecure-registry "$reg" -o "$work/auth.lock" 2> "$work/err" || { cat "$work/err"; fail "lock with credentials"; }
grep -qE 'user: "?10001:10001"?' "$work/auth.lock" || fail "the authenticated lock lacks the user"
if grep -rqF -e "$pass" -e "$auth" "$work/auth.lock" "$work/err" "$work/p"; then fail "a credential was written or printed"; fi
# The same credentials from a credential helper (credsStore), as `docker login` leaves them.
mkdir -p "$work/bin"
cat > "$work/bin/docker-credential-kfcheck" <<HELPER
#!/bin/sh
[ "\$1" = get ] || exit 1
read -r server
[ "\$server" = "$reg" ] || { echo "credentials not found in native keychain"; exit 1; }
printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}' "\$server" "$user" "$pass"
HELPER
chmod +x "$work/bin/docker-credential-kfcheck"
echo '{"credsStore": "kfcheck"}' > "$DOCKER_CONFIG/config.json"
PATH="$work/bin:$PATH" "$bin" lock -f compose.yaml --insecure-registry "$reg" -o "$work/helper.lock" 2> "$work/err" || { cat "$work/err"; fail "lock with a credential helper"; }
cmp -s "$work/auth.lock" "$work/helper.lock" || fail "the helper's lock differs from the auths one"
if grep -rqF -e "$pass" "$work/helper.lock" "$work/err"; then fail "a credential was written or printed"; fi
echo "auth: 401 without credentials; read with DOCKER_CONFIG auths and with a credential helper; no credential in the lock or the output"
echo "lock-registry-check: ok"
