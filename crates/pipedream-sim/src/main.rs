//! `pipedream-sim`: runs the Pipedream Connect simulator on a loopback port until interrupted, so
//! a workflow can be run by hand against it with
//! `arazzo-run run … --server pipedreamApi=http://127.0.0.1:PORT`.

use std::process::ExitCode;

use pipedream_sim::{SimConfig, Simulator};

const USAGE: &str = "\
Usage: pipedream-sim [OPTIONS]

Runs a simulator of the Pipedream Connect API on 127.0.0.1 until Ctrl-C.

Options:
  --port <PORT>                Port to listen on (default 0: pick a free one)
  --client-id <ID>             OAuth client id to accept (default sim-client-id)
  --client-secret <SECRET>     OAuth client secret to accept (default sim-client-secret)
  --project-id <PROJECT>       The Connect project that exists (default proj_Qx7Lm2Ka)
  --strict-environment         Reject requests without an x-pd-environment header
  -h, --help                   Print this help
";

struct Args {
    port: u16,
    config: SimConfig,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut port = 0;
    let mut config = SimConfig::default();
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |what: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value ({what})"))
        };
        match name.as_str() {
            "-h" | "--help" => return Ok(None),
            "--port" => {
                let v = value("a port number")?;
                port = v
                    .parse()
                    .map_err(|_| format!("--port: `{v}` is not a port number"))?;
            }
            "--client-id" => config.client_id = value("the OAuth client id")?,
            "--client-secret" => config.client_secret = value("the OAuth client secret")?,
            "--project-id" => {
                let v = value("a proj_ id")?;
                let well_formed = v
                    .strip_prefix("proj_")
                    .is_some_and(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_alphanumeric()));
                if !well_formed {
                    return Err(format!(
                        "--project-id: `{v}` is not proj_ followed by letters and digits"
                    ));
                }
                config.project_id = v;
            }
            "--strict-environment" => config.strict_environment = true,
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Some(Args { port, config }))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let project_id = args.config.project_id.clone();
    let client_id = args.config.client_id.clone();
    let sim = match Simulator::start_on_port(args.config, args.port).await {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("error: cannot listen on 127.0.0.1:{}: {e}", args.port);
            return ExitCode::FAILURE;
        }
    };
    println!("pipedream-sim listening on {}", sim.base_url());
    println!("  project:   {project_id}");
    println!("  client id: {client_id}");
    println!("  token URL: {}/v1/oauth/token", sim.base_url());
    println!("Press Ctrl-C to stop.");
    wait_for_stop_signal().await;
    sim.shutdown().await;
    ExitCode::SUCCESS
}

/// Waits for Ctrl-C, or on Unix also for SIGTERM, which is how scripts and CI stop a server.
async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("error: cannot wait for Ctrl-C: {e}");
    }
}
