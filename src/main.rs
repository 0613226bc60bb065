//! The `komo` binary: all the work is in `komo::cli`.

fn main() -> std::process::ExitCode {
    komo::cli::main()
}
