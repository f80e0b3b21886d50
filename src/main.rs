//! The `invoices-api` binary: all of it lives in the library, so tests run the same code.

/// mimalloc instead of glibc's malloc: tasks migrate between the runtime's threads, so memory
/// is often freed by another thread than the one that allocated it, and glibc's malloc then
/// waits for the other thread's arena lock (BENCHMARKS.md, "fourth pass").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    invoices_api::cli::main()
}
