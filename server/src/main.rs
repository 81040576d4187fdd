//! The `ioc` binary: everything is in the library (`ioc::cli`).
fn main() -> std::process::ExitCode {
    ioc::cli::main()
}
