//! The `samverka` binary: parses the command line, installs logging, runs the command.

mod cli;

use clap::Parser;
use samverka_node::config::LogFormat;
use tracing_subscriber::EnvFilter;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    let config = match cli.config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("samverka: {e:#}");
            return std::process::ExitCode::from(2);
        }
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&config.log));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    match config.log_format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime starts");
    match runtime.block_on(cli::execute(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // The reader of standard output went away (`samverka show FILE | head`): it has what it wanted.
        Err(e) if cli::output::is_closed(&e) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("samverka: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
