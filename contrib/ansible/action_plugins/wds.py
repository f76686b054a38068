# -*- coding: utf-8 -*-
# Action plugin for the wds module: with `src:`, the script is on the controller;
# it is copied to the target's temporary directory and the module runs it there
# as `script:`. Without `src:`, the module runs as it is.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    TRANSFERS_FILES = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        src = args.pop("src", None)
        if src is None:
            result.update(self._execute_module(module_name="wds", module_args=args, task_vars=task_vars))
            return result
        if args.get("script") is not None:
            result.update(failed=True, msg="parameters are mutually exclusive: script|src")
            return result
        try:
            # As `copy` and `template` find theirs: the role's files/, then the playbook's.
            local = self._find_needle("files", src)
        except AnsibleError as error:
            result.update(failed=True, msg=to_text(error))
            return result
        remote = self._connection._shell.join_path(self._connection._shell.tmpdir, os.path.basename(local))
        self._transfer_file(local, remote)
        self._fixup_perms2((self._connection._shell.tmpdir, remote))
        args["script"] = remote
        try:
            result.update(self._execute_module(module_name="wds", module_args=args, task_vars=task_vars))
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
