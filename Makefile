# OneWindow: `make run` and `make test` work on a fresh Debian 12 / Ubuntu machine; each
# installs what it is missing first (scripts/install-deps.sh).
SHELL := /bin/bash
.DEFAULT_GOAL := help
export PATH := $(HOME)/.cargo/bin:$(PATH)

UI_SOURCES := $(shell find ui/src -type f 2>/dev/null) ui/index.html ui/vite.config.ts ui/svelte.config.js ui/tsconfig.json

.PHONY: help run test test-pg test-packages package bench e2e bindings deps-run deps-test deps-bench ui-deps ui-build lint fmt clean-data

help:
	@echo "make run       start a local hub with the demo catalog and the desk app"
	@echo "make test      every check: fmt, clippy, Rust tests, UI check + tests, e2e under Xvfb"
	@echo "make bench     benchmarks; figures in target/bench/summary.tsv"
	@echo "make e2e       only the end-to-end test of the real window"
	@echo "make package   release .deb packages of the desk and the hub in target/package/"
	@echo "make test-pg   the hub's integration suite with its store on PostgreSQL"
	@echo "make bindings  regenerate ui/src/ipc/bindings from crates/app/src/dto.rs"

deps-run:
	@scripts/install-deps.sh run

deps-test:
	@scripts/install-deps.sh test

ui/node_modules/.installed: ui/package.json ui/package-lock.json
	cd ui && npm ci --no-audit --no-fund
	touch $@

ui-deps: ui/node_modules/.installed

ui/dist/index.html: ui/node_modules/.installed $(UI_SOURCES)
	cd ui && npm run build

# The desk binary embeds ui/dist, so the UI is built before any cargo command touches src-tauri.
ui-build: ui/dist/index.html

run: deps-run ui-build
	cargo build -p onewindow-hub -p onewindow-desk
	scripts/run.sh

lint: ui-build
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --all-features -- -D warnings

test: deps-test ui-build
	cargo fmt --all --check
	cargo fetch --locked
	cargo deny --offline check licenses bans sources
	cargo clippy --workspace --all-targets --all-features -- -D warnings
	cargo test --workspace --exclude onewindow-desk
	# The hub's integration suite again with its store on PostgreSQL (a throwaway cluster).
	scripts/with-postgres.sh cargo test -p onewindow-tests --test integration
	cd ui && npm run check && npm test
	$(MAKE) --no-print-directory e2e
	$(MAKE) --no-print-directory test-packages

test-pg: deps-test ui-build
	cargo build -p onewindow-hub
	scripts/with-postgres.sh cargo test -p onewindow-tests --test integration

e2e: deps-test ui-build
	cargo build -p onewindow-hub -p onewindow-desk
	cargo test -p onewindow-tests --features e2e --test e2e -- --test-threads=1

# The .deb packages of the debug build: lintian, the unit's checks, installed on this machine
# and run (scripts/test-packages.sh; root or sudo).
test-packages: deps-test ui-build
	cargo build -p onewindow-hub -p onewindow-desk
	scripts/test-packages.sh

package: deps-run ui-build
	cargo build --release -p onewindow-hub -p onewindow-desk
	rm -f target/package/onewindow-*.deb
	scripts/package-deb.sh release target/package

deps-bench:
	@scripts/install-deps.sh bench

bench: deps-bench ui-build
	mkdir -p target/bench && rm -f target/bench/summary.tsv
	cargo build --release -p onewindow-hub -p onewindow-desk
	cargo bench -p onewindow-domain --bench catalog_search
	cargo bench -p onewindow-domain --bench prereview
	cargo bench -p onewindow-intake --bench intake
	cargo bench -p onewindow-hub --bench catalog_import
	cargo bench -p onewindow-tests --bench catalog_pull
	cargo bench -p onewindow-tests --bench window_intake
	scripts/with-postgres.sh cargo bench -p onewindow-tests --bench sync
	scripts/with-postgres.sh cargo bench -p onewindow-tests --bench county
	cargo bench -p onewindow-tests --bench queue
	cargo bench -p onewindow-tests --bench web_face
	scripts/with-keyring.sh cargo bench -p onewindow-tests --bench encryption
	scripts/with-keyring.sh scripts/bench-desk.sh
	@echo; echo "target/bench/summary.tsv:"; column -t -s $$'\t' target/bench/summary.tsv

bindings:
	UPDATE_BINDINGS=1 cargo test -p onewindow-app --test bindings

fmt:
	cargo fmt --all

clean-data:
	rm -rf .onewindow
