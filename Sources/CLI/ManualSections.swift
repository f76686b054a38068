import Builtins

/// The man page's EXIT STATUS (docs/language.md's own section, moved),
/// ENVIRONMENT, FILES and EXAMPLES: what a reader of any man page looks for,
/// written here as Markdown (rendered like docs/language.md) with the
/// constants wds itself uses.
extension ManualPage {
    /// docs/language.md's "Exit statuses" section, as the page's EXIT STATUS,
    /// and the language reference without it.
    func exitStatus(in markdown: String) -> (section: String, rest: String)? {
        guard let heading = markdown.firstRange(of: "\n## Exit statuses\n") else { return nil }
        let after = markdown[heading.upperBound...]
        let next = after.firstRange(of: "\n## ")?.lowerBound ?? after.endIndex
        return ("## Exit status\n" + after[..<next], String(markdown[..<heading.lowerBound]) + "\n" + String(after[next...]))
    }

    var environmentAndFiles: String {
        """
        ## Environment

        A script reads its environment with the `env` builtin; wds itself reads these:

        - `NO_COLOR`: set to anything, diagnostics and `fmt --diff` are not
          coloured (unless `--color=always`).
        - `TERM`: `dumb`, no colour either.
        - `PATH`: where `run` and the builtins find programs (`iptables-restore`,
          `ip`, `mount`, …).
        - `WDS_HISTORY`: the REPL's history file (default `~/.wds_history`, in `HOME`).
        - `WDS_IPTABLES_LOCK`: the lock file held while iptables changes are
          made (default `\(IptablesEngine.defaultLockPath)`).

        ## Files

        - `~/.wds_history`: the REPL's history, one entry a line.
        - `\(IptablesEngine.defaultLockPath)`: held around each iptables commit,
          so that concurrent runs of wds (and `iptables -w`) do not interleave.
        - `share/bash-completion/completions/wds`, `share/zsh/site-functions/_wds`
          and `share/fish/vendor_completions.d/wds.fish` under the install
          prefix: the shell completions.

        """
    }

    var examples: String {
        """
        ## Examples

        Check a script and everything it sources, then see what it would do, changing nothing:

        ```
        wds check scripts/net.wds
        wds trace scripts/net.wds setup
        ```

        Run it for real in throwaway namespaces first, then on the host:

        ```
        wds run --sandbox scripts/net.wds setup
        POOL_NETWORK=10.254.0.0/22 wds scripts/net.wds setup
        ```

        Plan on the host, apply exactly that plan later, and check for drift afterwards:

        ```
        wds plan --out setup.plan scripts/net.wds setup
        wds apply setup.plan
        wds verify scripts/net.wds setup
        ```

        Trace on another machine, unprivileged, from the host's recorded answers:

        ```
        wds state -o host.state scripts/net.wds setup
        wds trace --state host.state scripts/net.wds setup
        ```

        Format every script of a folder, or only list those that are not formatted:

        ```
        wds fmt scripts
        wds fmt --check scripts
        ```

        """
    }
}
