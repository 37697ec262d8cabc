# Sprout: the two commands are `make up` and `make test`.

CARGO ?= cargo
TESTDATA ?= testdata/ethereum-tests/BlockchainTests
NPM_BIN := $(CURDIR)/node_modules/.bin
export PATH := $(NPM_BIN):$(PATH)


.PHONY: up dev test tools build vm-programs fp-program fp-prestate test-rust blocktest riscv contracts contracts-test contracts-check bench crash-trials fmt lint

## up: build and run the local devnet: anvil L1 (:8546), contracts, genesis, sequencer (L2 :8545)
up: tools fp-program
	$(CARGO) run --release -p sprout-node --bin sprout -- up --proofs games

## dev: a standalone dev chain without L1 (RPC on http://127.0.0.1:8545)
dev:
	$(CARGO) run --release -p sprout-node --bin sprout -- node --dev

## tools: install the pinned npm tools (anvil, cast, forge, solc, viem) if missing
tools:
	@if [ ! -x $(NPM_BIN)/cast ] || [ ! -x $(NPM_BIN)/forge ] || [ ! -x $(NPM_BIN)/anvil ] || [ ! -f node_modules/viem/package.json ]; then npm ci --no-audit --no-fund; fi

build:
	$(CARGO) build --workspace --all-targets

## test: every test: Rust unit and integration tests, Ethereum BlockchainTests, the no_std
## RISC-V build of the protocol crate, and the contracts' forge suite with its artifact check
test: tools riscv test-rust blocktest contracts-test contracts-check

## vm-programs: build the fault-proof VM's riscv64 test programs (no_std Rust, own workspace)
vm-programs:
	fault-proof/programs/build.sh

## fp-program: the fault-proof program's RISC-V ELF, where `sprout fp prove` looks for it
## (target/riscv64imac-unknown-none-elf/release/sprout-fp-program). Reproducible: no debug
## info, no symbols, and no build path in it, so any clone builds the same bytes.
FP_RUSTFLAGS := -C debuginfo=0 -C strip=symbols --remap-path-prefix=$(CURDIR)=/sprout \
	--remap-path-prefix=$(or $(CARGO_HOME),$(HOME)/.cargo)=/cargo
fp-program:
	RUSTFLAGS="$(FP_RUSTFLAGS)" $(CARGO) build -p sprout-fp-program --bin sprout-fp-program \
		--release --target riscv64imac-unknown-none-elf

## fp-prestate: record the program's absolute prestate in fault-proof/program/PRESTATE, which
## `make test` checks a fresh build reproduces
fp-prestate: fp-program
	$(CARGO) run -q -p sprout-node --bin sprout -- fp prestate > fault-proof/program/PRESTATE

test-rust: vm-programs fp-program
	$(CARGO) test --workspace --all-targets

blocktest:
	$(CARGO) run -q -p sprout-node --bin sprout -- blocktest $(TESTDATA)

riscv:
	$(CARGO) build -p sprout-protocol --no-default-features --target riscv64imac-unknown-none-elf

## contracts: compile the Solidity sources and export contracts/artifacts/
contracts: tools
	cd contracts && ./script/build.sh

contracts-test: tools
	cd contracts && forge test --use ../scripts/solc-wrapper --offline

## contracts-check: fail if the committed artifacts differ from a fresh build
contracts-check: contracts
	git diff --exit-code -- contracts/artifacts

## crash-trials: the crash trials' long mode: 50 SIGKILLs and crash points under load, each
## followed by `sprout db check` (make test runs 10)
crash-trials:
	SPROUT_CRASH_TRIALS=50 $(CARGO) test -p sprout-node --test it -- --exact --nocapture \
		crash::crash_trials_at_random_moments_under_load_lose_no_receipted_transaction

## bench: benchmark figures (not pass/fail), side by side with anvil
bench: tools fp-program
	$(CARGO) run --release -p sprout-bench

fmt:
	$(CARGO) fmt --all

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
