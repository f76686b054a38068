# Builds and installs wds: a release binary with the Swift standard library
# linked statically (it runs without the toolchain), the wds(1) man page and
# the bash, zsh and fish completions, all generated from that binary.
#
#   make                                  build into $(BUILD) (make build is the same)
#   make install PREFIX=/usr/local        (PREFIX defaults to /usr/local; DESTDIR is honoured;
#                                          the binary is stripped unless STRIP_FLAG= is given)
#   make uninstall PREFIX=/usr/local

PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= .build-release
SWIFT ?= swift
INSTALL ?= install
# The installed binary is stripped of its symbol table (27.3 MB -> about 12 MB);
# `make install STRIP_FLAG=` keeps it, for a debugger or a symbolicated backtrace.
STRIP_FLAG ?= -s

# scripts/dev does the same: Swift may live in /opt/swift without being on PATH.
export PATH := $(PATH):/opt/swift/usr/bin

BIN := $(BUILD)/release/wds
GEN := $(BUILD)/share
MAN := $(GEN)/wds.1
COMPLETIONS := $(GEN)/wds.bash $(GEN)/_wds $(GEN)/wds.fish

bindir := $(DESTDIR)$(PREFIX)/bin
man1dir := $(DESTDIR)$(PREFIX)/share/man/man1
bashdir := $(DESTDIR)$(PREFIX)/share/bash-completion/completions
zshdir := $(DESTDIR)$(PREFIX)/share/zsh/site-functions
fishdir := $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d

.PHONY: all build install uninstall clean

all: build

build: $(BIN) $(MAN) $(COMPLETIONS)

# Rebuilt when a source changes (SwiftPM then rebuilds only what it must), so
# that `make && sudo make install` does not build again as root.
SOURCES := Package.swift $(wildcard Package.resolved) $(shell find Sources -type f)

$(BIN): $(SOURCES)
	$(SWIFT) build -c release --static-swift-stdlib --product wds --scratch-path $(BUILD)
	@touch $@

# The man page: command definitions (as --help), docs/language.md and the builtin registry.
$(MAN): $(BIN) docs/language.md
	@mkdir -p $(GEN)
	$(BIN) manual --language docs/language.md > $@.tmp && mv $@.tmp $@

$(GEN)/wds.bash: $(BIN)
	@mkdir -p $(GEN)
	$(BIN) --generate-completion-script bash > $@.tmp && mv $@.tmp $@

$(GEN)/_wds: $(BIN)
	@mkdir -p $(GEN)
	$(BIN) --generate-completion-script zsh > $@.tmp && mv $@.tmp $@

$(GEN)/wds.fish: $(BIN)
	@mkdir -p $(GEN)
	$(BIN) --generate-completion-script fish > $@.tmp && mv $@.tmp $@

install: build
	$(INSTALL) -d $(bindir) $(man1dir) $(bashdir) $(zshdir) $(fishdir)
	$(INSTALL) $(STRIP_FLAG) -m 755 $(BIN) $(bindir)/wds
	$(INSTALL) -m 644 $(MAN) $(man1dir)/wds.1
	$(INSTALL) -m 644 $(GEN)/wds.bash $(bashdir)/wds
	$(INSTALL) -m 644 $(GEN)/_wds $(zshdir)/_wds
	$(INSTALL) -m 644 $(GEN)/wds.fish $(fishdir)/wds.fish
	@# zsh searches /usr/local/share/zsh/site-functions, not ~/.local's: say what to add.
	@if command -v zsh >/dev/null 2>&1 && \
	    ! zsh -fc 'print -l -- $$fpath' | grep -qxF '$(PREFIX)/share/zsh/site-functions'; then \
	  echo "note: zsh does not search $(PREFIX)/share/zsh/site-functions; for wds's completion, add to ~/.zshrc (before compinit):"; \
	  echo "  fpath=($(PREFIX)/share/zsh/site-functions \$$fpath)"; \
	fi

uninstall:
	rm -f $(bindir)/wds $(man1dir)/wds.1 $(bashdir)/wds $(zshdir)/_wds $(fishdir)/wds.fish

clean:
	rm -rf $(BUILD)
