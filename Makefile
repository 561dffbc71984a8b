# Bookwarden: `make dev` runs the API locally, `make test` runs every check.
# Both install what they need (a pinned Python venv, a pinned cargo-audit).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV        := .venv
PYTHON      := $(VENV)/bin/python
REQS        := infra/requirements.txt
VENV_STAMP  := $(VENV)/.installed-$(shell sha256sum $(REQS) | cut -c1-16)
CHECKOV_VENV  := .venv-checkov
CHECKOV_REQS  := infra/checkov-requirements.txt
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-$(shell sha256sum $(CHECKOV_REQS) | cut -c1-16)
BROWSER_VENV  := .venv-browser
BROWSER_REQS  := infra/browser/requirements.txt
BROWSER_STAMP := $(BROWSER_VENV)/.installed-$(shell sha256sum $(BROWSER_REQS) | cut -c1-16)
BROWSER_NODE  := infra/browser/node_modules
BROWSER_LOCK  := infra/browser/package-lock.json
BROWSER_NODE_STAMP := $(BROWSER_NODE)/.installed-$(shell sha256sum $(BROWSER_LOCK) | cut -c1-16)
CHROMIUM      := /usr/bin/chromium
TOOLS       := .local
AUDIT_VERSION := 0.22.2
CARGO_AUDIT := $(TOOLS)/bin/cargo-audit
ADVISORY_DB := ../shared/advisory-db

export BOOKWARDEN_PYTHON := $(abspath $(PYTHON))
export SAM_CLI_TELEMETRY := 0

.PHONY: fuzz openapi help dev test venv browser-tools browser fmt-check clippy cargo-test lint-template template audit dns-records mail bench release-size package

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

dev: venv ## Run the whole API on http://127.0.0.1:3000 against a local moto
	@echo "Building the local API (the first build compiles the AWS SDK: several minutes on two cores)..."
	cargo build --locked -p bookwarden-functions --bin bookwarden_local
	$${CARGO_TARGET_DIR:-target}/debug/bookwarden_local

test: venv fmt-check clippy cargo-test lint-template audit ## Every check: fmt, clippy, tests, template lint, advisories
	@echo "make test: all checks passed"

venv: $(VENV_STAMP) ## Install the pinned Python tools (moto, dkimpy, cfn-lint, sam)

$(VENV_STAMP): $(REQS)
	rm -rf $(VENV)
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r $(REQS)
	touch $@

fmt-check:
	cargo fmt --all -- --check

clippy:
	cargo clippy --workspace --all-targets --locked -- -D warnings

cargo-test: venv browser-tools
	cargo test --workspace --locked

browser-tools: $(CHROMIUM) $(BROWSER_STAMP) $(BROWSER_NODE_STAMP) ## Install what the browser tests use: Debian's Chromium, Playwright (.venv-browser), axe-core and the HTTP Observatory

browser: venv browser-tools ## Run the browser tests (screenshots in target/browser-artifacts/)
	cargo test --locked -p bookwarden-tests --test browser

# Debian's Chromium and its driver, when the machine has none. Playwright
# drives this build; `playwright install` (a download of its own) is never run.
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; \
	else echo "make browser-tools: $(CHROMIUM) is missing; install the Debian packages chromium and chromium-driver as root (no sudo here)" >&2; exit 1; fi; \
	$$sudo apt-get update -q; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver fonts-noto-cjk

$(BROWSER_STAMP): $(BROWSER_REQS)
	rm -rf $(BROWSER_VENV)
	python3 -m venv $(BROWSER_VENV)
	$(BROWSER_VENV)/bin/pip install --quiet --disable-pip-version-check -r $(BROWSER_REQS)
	touch $@

# --ignore-scripts: the scanner's install scripts download Chromium's HSTS
# preload list and Mozilla's CA bundle, which a scan of a local host needs
# neither of; it reads the preload list at run time, so an empty one stands
# in (no host counts as preloaded). npm ci starts from an empty node_modules.
$(BROWSER_NODE_STAMP): $(BROWSER_LOCK) infra/browser/package.json
	npm ci --prefix infra/browser --ignore-scripts --no-audit --no-fund --loglevel=error
	echo '{}' > $(BROWSER_NODE)/@mdn/mdn-http-observatory/conf/hsts-preload.json
	touch $@

$(CHECKOV_STAMP): $(CHECKOV_REQS)
	rm -rf $(CHECKOV_VENV)
	python3 -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check -r $(CHECKOV_REQS)
	touch $@

template: ## Regenerate template.yaml from infra/template/ and the route table (a test checks it is current)
	cargo run --quiet --locked -p bookwarden-functions --bin route_table | $(PYTHON) infra/template/generate.py > template.yaml.new
	mv template.yaml.new template.yaml

lint-template: venv $(CHECKOV_STAMP) ## cfn-lint, sam validate --lint, and checkov on the SAM-expanded template (0 failed checks)
	$(VENV)/bin/cfn-lint template.yaml infra/backup-copy-vault.yaml infra/directory.yaml
	$(VENV)/bin/sam validate --lint --template-file template.yaml --region us-east-1
	mkdir -p target
	$(PYTHON) infra/template/expand.py template.yaml > target/template.expanded.json
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation -f target/template.expanded.json -f infra/backup-copy-vault.yaml -f infra/directory.yaml

$(CARGO_AUDIT):
	cargo install --locked --quiet cargo-audit --version $(AUDIT_VERSION) --root $(TOOLS)

audit: $(CARGO_AUDIT) ## Check dependencies against the offline RustSec snapshot
	@if [ -d $(ADVISORY_DB) ]; then \
	  $(CARGO_AUDIT) audit --no-fetch --db $(ADVISORY_DB) --deny warnings; \
	else \
	  echo "warning: $(ADVISORY_DB) not found; dependency audit skipped"; \
	fi

dns-records: ## Print the DNS records for the mail domain of a running `make dev`
	AWS_ENDPOINT_URL=http://127.0.0.1:$${MOTO_PORT:-4566} AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
	AWS_REGION=us-east-1 TABLE_NAME=bookwarden-data DATA_KEY_ID=alias/bookwarden/data \
	DKIM_KEY_ID=alias/bookwarden/dkim MAIL_DOMAIN=mail.bookwarden.test APP_BASE_URL=http://127.0.0.1:$${PORT:-3000} \
	cargo run --quiet -p bookwarden-functions --bin dns_records

mail: venv ## Show the latest 10 messages a running `make dev` has sent, newest first (ARGS=--all: every one)
	$(PYTHON) infra/local/show_mail.py $(ARGS) http://127.0.0.1:$${MOTO_PORT:-4566}

bench: venv ## Print performance figures: availability engine, Argon2, login, DynamoDB and KMS calls, 5,000 bookings (SCALE_BOOKINGS=n), ICS feed reading against Python, calendar sync of 100 connections, a data export of 20,000 bookings (EXPORT_BOOKINGS=n), booking page weight, binary size
	BOOKWARDEN_SCALE_BOOKINGS=$${SCALE_BOOKINGS:-5000} BOOKWARDEN_EXPORT_BOOKINGS=$${EXPORT_BOOKINGS:-20000} cargo bench --locked -p bookwarden-tests --bench booking --bench identity --bench local_scale --bench ics --bench calendar_sync --bench export --bench pages
	cargo build --release --locked -p bookwarden-functions --bin bookwarden
	@ls -l $${CARGO_TARGET_DIR:-target}/release/bookwarden | awk '{printf "bookwarden release binary (stripped, every function): %.1f MiB\n", $$5/1048576}'

fuzz: venv ## A longer Schemathesis campaign over every operation (make test runs a short one)
	BOOKWARDEN_FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-100} cargo test --locked -p bookwarden-tests --test fuzz -- --nocapture

openapi: ## Write the API's OpenAPI 3.1 document to docs/openapi.json (a test checks it is current)
	cargo run --quiet --locked -p bookwarden-functions --bin openapi_document > docs/openapi.json

release-size: ## Build the Lambda binary for release and print its stripped size
	cargo build --release --locked -p bookwarden-functions --bin bookwarden
	@ls -l $${CARGO_TARGET_DIR:-target}/release/bookwarden | awk '{printf "bookwarden release binary: %.1f MiB\n", $$5/1048576}'

# ---------------------------------------------------------------- package
# Every function deploys the same binary as `bootstrap` from build/lambda/ and
# picks its route at cold start from BOOKWARDEN_FUNCTION (functions/src/entry.rs).
ARCH        ?= arm64
PACKAGE_DIR := build/lambda
ifeq ($(ARCH),arm64)
RUST_TARGET := aarch64-unknown-linux-gnu
else ifeq ($(ARCH),x86_64)
RUST_TARGET := x86_64-unknown-linux-gnu
else
$(if $(filter package,$(MAKECMDGOALS)),$(error ARCH must be arm64 or x86_64, not '$(ARCH)'))
endif

package: ## Build the Lambda artifact build/lambda/bootstrap (ARCH=arm64, the default, or x86_64)
	@if [ ! -d "$$(rustc --print sysroot)/lib/rustlib/$(RUST_TARGET)/lib" ]; then \
	  echo "make package: the Rust target $(RUST_TARGET) (ARCH=$(ARCH)) is not installed." >&2; \
	  echo "  Either: rustup target add $(RUST_TARGET), plus a linker for it, e.g." >&2; \
	  echo "          apt-get install gcc-aarch64-linux-gnu and" >&2; \
	  echo "          export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc;" >&2; \
	  echo "  or:     cargo install cargo-lambda (it links with zig), then" >&2; \
	  echo "          cargo lambda build --release --arm64 -p bookwarden-functions --bin bookwarden" >&2; \
	  echo "          and copy target/lambda/bookwarden/bootstrap to $(PACKAGE_DIR)/bootstrap;" >&2; \
	  echo "  or:     make package ARCH=x86_64 and deploy with --parameter-overrides Architecture=x86_64." >&2; \
	  exit 1; \
	fi
	cargo build --release --locked -p bookwarden-functions --bin bookwarden --target $(RUST_TARGET)
	mkdir -p $(PACKAGE_DIR)
	cp $${CARGO_TARGET_DIR:-target}/$(RUST_TARGET)/release/bookwarden $(PACKAGE_DIR)/bootstrap
	@ls -l $(PACKAGE_DIR)/bootstrap | awk '{printf "$(PACKAGE_DIR)/bootstrap ($(ARCH)): %d bytes (%.1f MiB)\n", $$5, $$5/1048576}'
