//! The `ioc` binary: everything is in the library (`ioc::cli`).

// glibc's malloc was a third of the ingest and rebuild profile (many small, short-lived
// allocations across threads); mimalloc halves that. Built without asking for transparent huge
// pages (`no_thp`): with them, every 2 MiB region it touched at all stayed resident, about 17 MiB
// more at every start whatever the tasks (README, "Rebuild at start").
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    ioc::cli::main()
}
