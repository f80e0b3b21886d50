//! The `invoices-api` binary: all of it lives in the library, so tests run the same code.

fn main() -> std::process::ExitCode {
    invoices_api::cli::main()
}
