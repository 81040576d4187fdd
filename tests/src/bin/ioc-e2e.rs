//! The `ioc` binary, built inside the test crate so tests can start it as a real process (and
//! kill it with SIGKILL) via `CARGO_BIN_EXE_ioc-e2e`.

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    ioc::cli::main()
}
