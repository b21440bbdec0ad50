fn main() -> std::process::ExitCode {
    onewindow_hub::cli::main()
}
