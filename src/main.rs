//! The `komo` binary: all the work is in `komo::cli`.

/// mimalloc rather than the system allocator: the engine allocates and frees many small
/// objects per run (JSON, values, rows), and glibc's malloc was 13% of its CPU
/// (docs/decisions.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    komo::cli::main()
}
