// Starts `wds lsp` for .wds files: diagnostics as `wds check` gives them,
// completion, hover with a builtin's reference, go to definition, and
// formatting as `wds fmt`. The binary is `wds` on PATH unless the setting
// `wds.path` names another.
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("wds").get("path") || "wds";
  const server = { command, args: ["lsp"], transport: TransportKind.stdio };
  client = new LanguageClient("wds", "wds", { run: server, debug: server }, {
    documentSelector: [{ scheme: "file", language: "wds" }, { scheme: "untitled", language: "wds" }],
  });
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
