#!/usr/bin/env bash
# Tests the wds Ansible module (contrib/ansible/library/wds.py) with
# ansible-core from PyPI, against localhost (connection: local) inside
# throwaway network and mount namespaces with a fake uplink, as the
# integration tests make them (Tests/IntegrationTests/Namespace.swift):
# nothing runs on this host itself.
#
#   contrib/ansible/test.sh          # builds wds into .build-ansible-swift
#   WDS=path/to/wds contrib/ansible/test.sh   # uses that binary (scripts/dev/test's)
#
# ansible-core is installed once into a virtualenv in .build-ansible/venv and
# reused while its version matches ANSIBLE_CORE. Skips (exit 77, with a reason,
# as scripts/dev/test counts a skip) where namespaces cannot be made.
# Last line: "ansible: N passed, N failed" or "ansible: skipped: REASON".
set -uo pipefail
cd "$(dirname "$0")/../.."
REPO="$(pwd)"
export PATH="$PATH:/opt/swift/usr/bin"
ANSIBLE_CORE=2.18.19   # supports Python 3.11 (Debian 12) as controller and target
VENV="$REPO/.build-ansible/venv"
REFERENCE="$REPO/Tests/Fixtures/warden/c02-allow-deny"
TESTS="$REPO/contrib/ansible/tests"

passed=0 failed=0
finish() { echo "ansible: $passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit; }
skip() { echo "ansible: skipped: $1"; exit 77; }
pass() { passed=$((passed + 1)); echo "ok: $1"; }
fail() { failed=$((failed + 1)); echo "FAILED: $1"; [ $# -lt 2 ] || sed 's/^/  | /' "$2"; }

# --- what the tests need ------------------------------------------------------
[ "$(id -u)" -eq 0 ] || skip "needs root to create network and mount namespaces"
unshare --net --mount --propagation private true 2>/dev/null || skip "unshare --net --mount failed"
command -v iptables-save >/dev/null || skip "iptables is not installed (scripts/dev/install-deps installs it)"
[ -f "$REFERENCE/expected.rules" ] || skip "no Warden reference data at $REFERENCE"

if ! command -v python3 >/dev/null || ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  echo "installing: python3 python3-venv" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null ||
    { fail "python3 with venv could not be installed"; finish; }
fi

if ! "$VENV/bin/python" -c "import ansible.release as r, sys; sys.exit(r.__version__ != '$ANSIBLE_CORE')" 2>/dev/null; then
  echo "installing ansible-core $ANSIBLE_CORE into $VENV" >&2
  start=$SECONDS
  rm -rf "$VENV" && mkdir -p "$REPO/.build-ansible"
  if ! { python3 -m venv "$VENV" &&
         "$VENV/bin/pip" install -q --disable-pip-version-check "ansible-core==$ANSIBLE_CORE"; } >"$REPO/.build-ansible/pip.log" 2>&1; then
    fail "pip install ansible-core==$ANSIBLE_CORE" "$REPO/.build-ansible/pip.log"
    rm -rf "$VENV"
    finish
  fi
  echo "installed in $((SECONDS - start)) s" >&2
fi

if [ -z "${WDS:-}" ]; then
  mkdir -p "$REPO/.build-ansible"
  if ! swift build --scratch-path .build-ansible-swift >"$REPO/.build-ansible/build.log" 2>&1; then
    fail "swift build --scratch-path .build-ansible-swift" "$REPO/.build-ansible/build.log"
    finish
  fi
  WDS="$(swift build --scratch-path .build-ansible-swift --show-bin-path)/wds"
fi
WDS="$(cd "$(dirname "$WDS")" && pwd)/$(basename "$WDS")"
[ -x "$WDS" ] || { fail "no wds binary at $WDS"; finish; }

WORK="$REPO/.build-ansible/work"
rm -rf "$WORK" && mkdir -p "$WORK"

# --- the module's documentation -----------------------------------------------
# DOCUMENTATION, EXAMPLES and RETURN are YAML, the options it documents are the
# ones the module takes (names, types, defaults, required), and ansible-doc reads it.
if PYTHONDONTWRITEBYTECODE=1 "$VENV/bin/python" - "$REPO/contrib/ansible/library/wds.py" >"$WORK/doc.log" 2>&1 <<'EOF'
import importlib.util, sys, yaml
spec = importlib.util.spec_from_file_location("wds", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
documented = yaml.safe_load(module.DOCUMENTATION)["options"]
yaml.safe_load(module.EXAMPLES)
yaml.safe_load(module.RETURN)
assert set(documented) == set(module.ARGUMENT_SPEC), (set(documented), set(module.ARGUMENT_SPEC))
for name, argument in module.ARGUMENT_SPEC.items():
    doc = documented[name]
    for key in ("type", "default", "required", "elements"):
        assert doc.get(key) == argument.get(key), (name, key, doc.get(key), argument.get(key))
EOF
then
  if LC_ALL=C.UTF-8 ANSIBLE_HOME="$WORK/ansible-home" ANSIBLE_LOCAL_TEMP="$WORK/ansible-local" "$VENV/bin/ansible-doc" --json -M "$REPO/contrib/ansible/library" wds >"$WORK/doc.log" 2>&1 &&
     grep -q '"short_description": "Prepare a host with a wds script' "$WORK/doc.log"; then
    pass "documentation matches the options and ansible-doc shows it"
  else
    fail "ansible-doc wds" "$WORK/doc.log"
  fi
else
  fail "documentation matches the options" "$WORK/doc.log"
fi

# --- playbooks in namespaces --------------------------------------------------
# One namespace per run of `in_namespace`, set up as Namespace.prelude does:
# lo up, a veth fake uplink eth0 10.0.2.15/24 with a default route via 10.0.2.2,
# and a private tmpfs on /tmp for Ansible's temporary files.
in_namespace() {
  unshare --net --mount --propagation private env REPO="$REPO" WDS="$WDS" VENV="$VENV" WORK="$WORK" TESTS="$TESTS" \
    bash -c '
set -e
private_tmp() {
  local keep=""
  case "$REPO/" in /tmp/*) keep="$REPO" ;; esac
  [ -n "$keep" ] && exec 7<"$keep"
  mount -t tmpfs none /tmp
  if [ -n "$keep" ]; then mkdir -p "$keep" && mount --no-canonicalize --bind /proc/self/fd/7 "$keep"; exec 7<&-; fi
}
private_tmp
mount -t tmpfs none /run  # the iptables lock (/run/wds) stays in the namespace
ip link set lo up
ip link add eth0 type veth peer name eth0p
ip link set eth0p up
ip addr add 10.0.2.15/24 dev eth0
ip link set eth0 up
ip route add default via 10.0.2.2 dev eth0
set +e
export LC_ALL=C.UTF-8 ANSIBLE_HOME=/tmp/ansible-home ANSIBLE_LOCAL_TEMP=/tmp/ansible-local ANSIBLE_REMOTE_TMP=/tmp/ansible-remote
export ANSIBLE_LIBRARY="$REPO/contrib/ansible/library" ANSIBLE_ACTION_PLUGINS="$REPO/contrib/ansible/action_plugins" ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0
export ANSIBLE_PYTHON_INTERPRETER="$VENV/bin/python" ANSIBLE_LOCALHOST_WARNING=0 ANSIBLE_FORCE_COLOR=0
playbook() { "$VENV/bin/ansible-playbook" -i localhost, -e "{\"repo\": \"$REPO\", \"wds_binary\": \"$WDS\"}" "$@"; }
rules() { iptables-save | grep -v "^#" | sed -E "/^:/ s/\[[0-9]+:[0-9]+\]$/[0:0]/"; }
'"$1"
}

# First run applies (changed, the plan as diff), the kernel then holds exactly
# the reference ruleset; a second run changes nothing.
in_namespace '
playbook --diff -e expect_changed=true "$TESTS/net-setup.yml" > "$WORK/first.log" 2>&1; echo $? > "$WORK/first.status"
rules > "$WORK/first.rules"; cat /proc/sys/net/ipv4/ip_forward > "$WORK/first.ip_forward"
playbook --diff -e expect_changed=false "$TESTS/net-setup.yml" > "$WORK/second.log" 2>&1; echo $? > "$WORK/second.status"
rules > "$WORK/second.rules"
'
if [ "$(cat "$WORK/first.status" 2>/dev/null)" = 0 ] && grep -q -- '+ -A warden-postrouting -s 10.254.0.0/22 -j SNAT --to-source 10.0.2.15' "$WORK/first.log"; then
  pass "first run: changed, the plan shown as the diff"
else
  fail "first run: changed, the plan shown as the diff" "$WORK/first.log"
fi
if diff -u "$REFERENCE/expected.rules" "$WORK/first.rules" > "$WORK/first.diff" &&
   [ "$(cat "$WORK/first.ip_forward")" = "$(cat "$REFERENCE/expected.ip_forward")" ]; then
  pass "first run: the ruleset is c02-allow-deny/expected.rules, ip_forward as expected"
else
  fail "first run: the ruleset is c02-allow-deny/expected.rules" "$WORK/first.diff"
fi
if [ "$(cat "$WORK/second.status" 2>/dev/null)" = 0 ] && cmp -s "$WORK/first.rules" "$WORK/second.rules" &&
   grep -q 'changed=0' "$WORK/second.log"; then
  pass "second run: not changed, the ruleset as it was"
else
  fail "second run: not changed" "$WORK/second.log"
fi

# Check mode on a fresh host: changed, the diff holds the SNAT rule, nothing applied.
in_namespace '
playbook --check --diff -e expect_changed=true "$TESTS/net-setup.yml" > "$WORK/check.log" 2>&1; echo $? > "$WORK/check.status"
rules > "$WORK/check.rules"; cat /proc/sys/net/ipv4/ip_forward > "$WORK/check.ip_forward"
'
if [ "$(cat "$WORK/check.status" 2>/dev/null)" = 0 ] && grep -q -- '-j SNAT --to-source 10.0.2.15' "$WORK/check.log" &&
   grep -q 'changed=1' "$WORK/check.log"; then
  pass "check mode: changed, the SNAT rule in the diff"
else
  fail "check mode: changed, the SNAT rule in the diff" "$WORK/check.log"
fi
if [ ! -s "$WORK/check.rules" ] && [ "$(cat "$WORK/check.ip_forward")" = 0 ]; then
  pass "check mode: nothing applied (iptables-save empty, ip_forward 0)"
else
  fail "check mode: nothing applied" "$WORK/check.rules"
fi

# The host moves on between plan and apply (a wrapper adds a chain just before
# `wds apply`): the apply is refused, the task fails, nothing of the plan is applied.
in_namespace '
printf "%s\n" "#!/bin/bash" "[ \"\$1\" = apply ] && iptables -t filter -N intruder" "exec \"$WDS\" \"\$@\"" > /tmp/wds-moving
chmod +x /tmp/wds-moving
WDS=/tmp/wds-moving playbook "$TESTS/refused.yml" > "$WORK/refused.log" 2>&1; echo $? > "$WORK/refused.status"
rules > "$WORK/refused.rules"
'
if [ "$(cat "$WORK/refused.status" 2>/dev/null)" = 0 ] && grep -q 'failed=0' "$WORK/refused.log" &&
   [ "$(grep -c '^-A\|^:warden' "$WORK/refused.rules")" = 0 ] && grep -q '^:intruder' "$WORK/refused.rules"; then
  pass "host moved on between plan and apply: refused, nothing applied"
else
  fail "host moved on between plan and apply: refused" "$WORK/refused.log"
fi

# Check mode starts no program, not even a `run --probe` one; a normal run does.
in_namespace '
playbook "$TESTS/probe.yml" > "$WORK/probe.log" 2>&1; echo $? > "$WORK/probe.status"
'
if [ "$(cat "$WORK/probe.status" 2>/dev/null)" = 0 ] && grep -q 'failed=0' "$WORK/probe.log"; then
  pass "check mode: a probe program does not run (no --run-probes); a normal run runs it"
else
  fail "check mode: a probe program does not run" "$WORK/probe.log"
fi

# src: ships the script from the controller; --diff shows the file's before and after.
in_namespace '
playbook "$TESTS/files.yml" > "$WORK/files.log" 2>&1; echo $? > "$WORK/files.status"
'
if [ "$(cat "$WORK/files.status" 2>/dev/null)" = 0 ] && grep -q 'failed=0' "$WORK/files.log"; then
  pass "src: from the controller; --diff shows each file's content before and after"
else
  fail "src: from the controller; --diff shows each file's content" "$WORK/files.log"
fi

# A check error fails the task with wds's diagnostic, in both modes, and runs nothing.
in_namespace '
playbook "$TESTS/check-error.yml" > "$WORK/error.log" 2>&1; echo $? > "$WORK/error.status"
[ -e /tmp/wds-ansible-must-not-exist ] && echo "the script ran" >> "$WORK/error.log" && echo 1 > "$WORK/error.status"
rules >> "$WORK/error.rules"
'
if [ "$(cat "$WORK/error.status" 2>/dev/null)" = 0 ] && [ ! -s "$WORK/error.rules" ] && grep -q 'failed=0' "$WORK/error.log"; then
  pass "check error: failed with the diagnostic, nothing ran"
else
  fail "check error: failed with the diagnostic" "$WORK/error.log"
fi

finish
