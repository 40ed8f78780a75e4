# Sourced by .ci/run and .ci/pre-commit-test.sh (from the repository root): how CI builds in
# release mode, for the wheel and for the pre-commit hook's `pip install`.
#
# Cargo.toml's [profile.release] (thin LTO, one codegen unit) is what users get from the
# release workflow and `cargo install`; CI checks the packaging, not the optimiser, so it
# builds release with no LTO, parallel codegen and opt-level 1 (timings: README,
# "Developing"). One target directory for both builds: the hook's build, from a copy of the
# repository, compiles the two pipelint crates and reuses every dependency.
export CARGO_TARGET_DIR="$PWD/target/ci-release"
export CARGO_PROFILE_RELEASE_LTO=false
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
export CARGO_PROFILE_RELEASE_OPT_LEVEL=1
