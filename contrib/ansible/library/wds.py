#!/usr/bin/python
# -*- coding: utf-8 -*-
# Ansible module for wds: runs a .wds host-setup script on each host, through
# `wds plan` (check mode) or `wds plan --out` + `wds apply` (normal mode).
# Python standard library and Ansible's module_utils only.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: wds
short_description: Prepare a host with a wds script (plan, then apply exactly that plan)
description:
  - Runs a C(.wds) script with the C(wds) interpreter, either one already on the target host (O(script)),
    or one on the controller (O(src)), which the C(wds) action plugin beside this module
    (C(contrib/ansible/action_plugins)) copies to the target's temporary directory first.
  - In check mode the module runs C(wds plan), which evaluates the script against an in-memory
    copy of the host and changes nothing; the task is C(changed) when the plan has changes.
    It never passes C(--run-probes), so no program of the script runs, not even one it declares
    read-only (C(run --probe)); a script that needs such a program's answer fails the task with
    the statement that needs it.
  - In normal mode the module first saves a plan with C(wds plan --run-probes --out), so the
    script's C(run --probe) programs run, as they would in C(wds run). When the plan has no
    changes, nothing runs and the task is not C(changed). Otherwise it runs C(wds apply --expect DIGEST)
    on that plan, with the digest its own plan run printed, so exactly what was planned is applied;
    apply re-derives the plan from its script (pinned by SHA-256) against the live host, and a host
    whose state moved on between the plan and the apply is refused (nothing is applied, the task fails).
  - With C(--diff), the plan (the change per area, as C(wds plan) prints it) is shown as the
    task's diff, in check mode and in normal mode alike; every file the plan writes, replaces or
    copies is shown besides as a before/after content diff, as the C(copy) module shows it.
  - A script that runs programs (C(run)) always reports C(changed) when it runs one, in check mode
    too, since wds does not simulate what a program does and its plan lists each such program as a change
    it cannot look into. Guard a program with a read-only C(run --probe) (or a builtin test) so that
    a host already set up runs none, and the task reports C(changed) only when there was work.
  - Failures (a check error in the script, a failing command, a refused apply) fail the task
    with the wds diagnostic as C(msg) and the wds exit status as C(rc).
version_added: "0.1"
options:
  script:
    description:
      - Path of the C(.wds) script on the target host. A relative path is taken from O(chdir)
        when it is set, otherwise from the remote user's working directory.
      - Exactly one of O(script) and O(src) is given.
    type: path
  src:
    description:
      - Path of the C(.wds) script on the controller (searched in the role's or playbook's
        C(files/) as C(copy) searches it). The C(wds) action plugin copies it to the target's
        temporary directory and runs it from there, so it cannot C(source) files beside it on
        the controller; those must be on the target (give their absolute paths).
      - Needs the action plugin (C(contrib/ansible/action_plugins/wds.py)) on Ansible's action
        plugin path, beside the module on its library path.
    type: path
  args:
    description:
      - Arguments for the script (C($1), C($2), ... and C($args)), each passed as one argument.
    type: list
    elements: str
    default: []
  environment:
    description:
      - Environment variables for the script (for example C(POOL_NETWORK)), added to the
        module's own environment. Values are converted to strings.
    type: dict
    default: {}
  wds:
    description:
      - The C(wds) binary, a path or a name looked up on the target's C(PATH).
    type: str
    default: wds
  chdir:
    description:
      - Change into this directory on the target before running C(wds).
    type: path
notes:
  - Check mode and diff mode are supported.
  - The target needs only the C(wds) binary (C(make install) builds one with the Swift standard
    library linked statically) and the script; the module uses the Python standard library.
  - The saved plan is kept in the module's temporary directory and removed when the module ends.
requirements:
  - wds with the C(plan) and C(apply) subcommands on the target host
author:
  - wds contributors
"""

EXAMPLES = r"""
- name: Warden's host network (the drop-in replacement for net.sh setup)
  wds:
    script: /opt/wds/scripts/net.wds
    args: [setup]
    environment:
      POOL_NETWORK: 10.254.0.0/22
      ALLOW_NETWORKS: 10.0.0.0/8 192.168.1.0/24
      DENY_NETWORKS: 0.0.0.0/0

- name: See what would change on every host, changing nothing (ansible-playbook --check --diff)
  wds:
    script: scripts/setup.wds
    chdir: /opt/wds
    wds: /usr/local/bin/wds
  check_mode: true
  diff: true
  register: planned

- name: Report hosts with pending changes
  debug:
    msg: "{{ planned.plan }}"
  when: planned.changed
"""

RETURN = r"""
plan:
  description: The plan as C(wds plan) printed it (per area, C(+) added, C(-) removed, C(~) changed).
  returned: when the plan was made
  type: str
  sample: |
    iptables IPv4 nat, chain warden-postrouting:
      + new chain warden-postrouting
      + -A warden-postrouting -s 10.254.0.0/22 -j SNAT --to-source 10.0.2.15
    sysctls:
      ~ net.ipv4.ip_forward: 0 -> 1
    4 change(s) in 2 area(s)
rc:
  description: >-
    Exit status of the last wds command: 0 success or no changes; 10 changes were pending
    (check mode); 1 a failure while running or a refused apply; 2 a usage or check error
    (nothing ran); 3 a lock timed out; 4 a needed program is missing; 5 the kernel refused an
    operation; 6 no space left.
  returned: when wds ran (not when the binary or chdir is missing)
  type: int
  sample: 0
phase:
  description: The wds command that ran last, C(plan) or C(apply).
  returned: always
  type: str
  sample: apply
cmd:
  description: The last wds command line that ran.
  returned: when wds ran (not when the binary or chdir is missing)
  type: list
  elements: str
  sample: [wds, apply, /tmp/ansible-tmp/wds-plan-1234.json]
stdout:
  description: Standard output of the last wds command.
  returned: when wds ran (not when the binary or chdir is missing)
  type: str
stderr:
  description: Standard error of the last wds command (the diagnostics).
  returned: when wds ran (not when the binary or chdir is missing)
  type: str
msg:
  description: On failure, the wds diagnostic; otherwise a one-line summary.
  returned: always
  type: str
  sample: "plan applied: 16 change(s) in 9 area(s)"
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

# wds exit statuses (Sources/Interpreter/Effects/Host.swift, ExitStatus).
STATUS_NO_CHANGES = 0
STATUS_CHANGES = 10


def summary(plan_text):
    """The plan's last line ("N change(s) in M area(s)", or the no-changes sentence)."""
    lines = [line for line in plan_text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def read_text(path):
    """A file's text as it is now, or None when it cannot be read (missing, a directory)."""
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", "replace")
    except (IOError, OSError):
        return None


def file_diffs(plan_path, chdir):
    """Before/after diffs, as `copy` shows them, of every file the saved plan writes, replaces or copies.

    The plan file lists the run's effects in order; each file's text is followed through them from
    what the target holds now. A file whose text ends as it began is not shown."""
    import json
    try:
        with open(plan_path) as handle:
            effects = [entry["effect"] for entry in json.load(handle).get("effects", [])]
    except (IOError, OSError, ValueError, KeyError, TypeError):
        return []
    before, after, order = {}, {}, []

    def current(path):
        if path not in after:
            text = read_text(os.path.join(chdir or "", path))
            before[path] = text
            after[path] = text
            order.append(path)
        return after[path]

    for effect in effects:
        kind = effect.get("effect")
        if kind in ("writeFile", "replaceFile"):
            path = effect["path"]
            previous = current(path)
            contents = effect.get("contents", "")
            after[path] = (previous or "") + contents if effect.get("append") else contents
        elif kind == "copyFile":
            source = effect["source"]
            text = after[source] if source in after else read_text(os.path.join(chdir or "", source))
            current(effect["destination"])
            after[effect["destination"]] = text
        elif kind in ("removeFile", "removeTree"):
            path = effect.get("path")
            if path is not None:
                current(path)
                after[path] = None
    diffs = []
    for path in order:
        if before[path] == after[path]:
            continue
        diffs.append(dict(before_header=path if before[path] is not None else "%s (absent)" % path,
                          after_header=path if after[path] is not None else "%s (absent)" % path,
                          before=before[path] or "", after=after[path] or ""))
    return diffs


# The options, as DOCUMENTATION describes them (test.sh checks that the two agree).
ARGUMENT_SPEC = dict(
    script=dict(type="path"),
    src=dict(type="path"),
    args=dict(type="list", elements="str", default=[]),
    environment=dict(type="dict", default={}),
    wds=dict(type="str", default="wds"),
    chdir=dict(type="path"),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True,
                           mutually_exclusive=[("script", "src")], required_one_of=[("script", "src")])
    params = module.params
    if params["src"] is not None:
        # The action plugin turns src into script; the module alone has no controller to copy from.
        module.fail_json(msg="src needs the wds action plugin (contrib/ansible/action_plugins) on the action plugin path",
                         phase="plan")
    chdir = params["chdir"]
    if chdir and not os.path.isdir(chdir):
        module.fail_json(msg="chdir '%s' is not a directory" % chdir, phase="plan")

    wds = params["wds"]
    if os.sep not in wds:
        found = module.get_bin_path(wds)
        if found is None:
            module.fail_json(msg="the wds binary '%s' was not found on the target's PATH" % wds, phase="plan")
        wds = found
    elif not os.access(os.path.join(chdir or "", wds), os.X_OK):
        module.fail_json(msg="the wds binary '%s' is not executable" % wds, phase="plan")

    environment = dict((str(key), str(value)) for key, value in params["environment"].items())
    # `--` ends wds's own options, so a script named like an option is still a script;
    # the script's arguments are passed through as they are.
    script_argv = ["--", params["script"]] + list(params["args"])

    def run(argv, phase):
        rc, out, err = module.run_command(argv, cwd=chdir, environ_update=environment)
        return dict(rc=rc, stdout=out, stderr=err, cmd=argv, phase=phase)

    def fail(result, plan=None):
        message = result["stderr"].strip() or result["stdout"].strip() or \
            "wds %s exited with status %d" % (result["phase"], result["rc"])
        extra = dict(result)
        if plan is not None:
            extra["plan"] = plan
        module.fail_json(msg=message, **extra)

    def finish(result, changed, plan, msg, files=()):
        # failed is explicit: Ansible takes a result with a non-zero rc and no
        # failed key as a failure, and rc 10 (changes pending) is not one.
        output = dict(result, changed=changed, failed=False, plan=plan, msg=msg)
        if changed and module._diff:
            # A list of diffs, as Ansible takes them: each file's content, then the plan.
            output["diff"] = list(files) + [dict(prepared=plan)]
        module.exit_json(**output)

    fd, plan_path = tempfile.mkstemp(prefix="wds-plan-", suffix=".json", dir=module.tmpdir)
    os.close(fd)
    try:
        # Check mode never passes --run-probes: it changes nothing, and a `run --probe` program could.
        # A real run: the script's `run --probe` programs run here as they would in `wds run`.
        probes = [] if module.check_mode else ["--run-probes"]
        planned = run([wds, "plan"] + probes + ["--out", plan_path] + script_argv, "plan")
        if planned["rc"] not in (STATUS_NO_CHANGES, STATUS_CHANGES):
            fail(planned)
        # The digest of the plan file this task made: apply performs that plan and no other file.
        lines = planned["stdout"].splitlines(True)
        digests = [line.split(": ", 1)[1].strip() for line in lines if line.startswith("plan digest: ")]
        plan = "".join(line for line in lines if not line.startswith("plan digest: "))
        if planned["rc"] == STATUS_NO_CHANGES:
            finish(planned, False, plan, summary(plan))
        files = file_diffs(plan_path, chdir) if module._diff else []
        if module.check_mode:
            finish(planned, True, plan, summary(plan), files)
        if len(digests) != 1:
            fail(dict(planned, stderr="wds plan --out printed no plan digest"), plan)
        applied = run([wds, "apply", "--expect", digests[0], plan_path], "apply")
        if applied["rc"] != 0:
            fail(applied, plan)
        finish(applied, True, plan, "plan applied: " + summary(plan), files)
    finally:
        try:
            os.unlink(plan_path)
        except OSError:
            pass


if __name__ == "__main__":
    main()
