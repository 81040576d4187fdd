//! The `ioc` binary: everything is in the library (`ioc::cli`).

// glibc's malloc was a third of the ingest and rebuild profile (many small, short-lived
// allocations across threads); mimalloc halves that.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    ioc::cli::main()
}
