//! `arazzo-run mock`: serve an OpenAPI description as a mock HTTP server, for trying a
//! workflow, a client or another tool against an API without its credentials or network.

use std::io::{IsTerminal as _, Write as _};
use std::process::ExitCode;
use std::sync::Arc;

use arazzo_mock::{Exchange, MockOptions, MockServer};
use arazzo_openapi::fetch::{DefaultFetcher, parse_location};

use crate::exit;
use crate::output::color_enabled;

/// Arguments of `arazzo-run mock`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Every operation answers with the response a client most likely expects (the \
lowest documented 2xx), taken from the description's examples or synthesized from its schemas, \
the same every time. Each request is checked against its operation (parameters, Content-Type, \
body) and logged to standard error with its verdict. Send `Prefer: code=404` for another \
documented response, `Prefer: example=NAME` for a named example. Paths match as the description \
writes them (/pets/42), with or without its base path (/v1/pets/42). Stop with Ctrl-C.

Examples:
  arazzo-run mock petstore.yaml --port 4010
  curl http://127.0.0.1:4010/pets/1"
)]
pub struct MockArgs {
    /// The OpenAPI description to serve: a file (YAML or JSON; Swagger 2.0 or OpenAPI 3.0, 3.1,
    /// 3.2) or an http(s) URL.
    #[arg(value_name = "OPENAPI")]
    pub openapi: String,

    /// The port to listen on, on 127.0.0.1 only. The default, 0, picks a free port; the
    /// address is printed on start.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub port: u16,

    /// Answer requests that do not match the description with 400 and an
    /// application/problem+json body listing each violation, instead of answering normally
    /// and only logging the violations.
    #[arg(long)]
    pub strict: bool,
}

/// Runs `arazzo-run mock` until Ctrl-C.
pub fn run(args: MockArgs) -> ExitCode {
    let color = color_enabled(std::io::stderr().is_terminal());
    let Some(url) = parse_location(&args.openapi) else {
        eprintln!(
            "error: `{}` is neither a readable path nor an http(s) URL",
            args.openapi
        );
        return exit::code(exit::INVALID);
    };
    let loaded =
        arazzo_openapi::load_description(&url, &DefaultFetcher::default(), Default::default());
    let (api, store, diagnostics) = match loaded {
        Ok(x) => x,
        Err(diagnostics) => {
            for d in &diagnostics {
                eprintln!("{}", d.render(color));
            }
            if diagnostics.is_empty() {
                eprintln!("error: {} could not be loaded", args.openapi);
            }
            return exit::code(exit::INVALID);
        }
    };
    // Problems that did not stop loading (an external `$ref` that failed…) are worth knowing.
    for d in &diagnostics {
        eprintln!("{}", d.render(color));
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return exit::code(exit::FAILURE);
        }
    };
    let title = api
        .title()
        .map(str::to_string)
        .unwrap_or_else(|| api.name().to_string());
    let operations = api.operations().len();
    runtime.block_on(async move {
        let options = MockOptions {
            strict: args.strict,
            // Logged live; nothing reads the in-memory log of a standalone server.
            log_limit: 0,
            on_exchange: Some(Arc::new(|e: &Exchange| eprintln!("{e}"))),
            ..MockOptions::default()
        };
        let server = match MockServer::start(api, Arc::new(store), options, args.port).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: cannot listen on 127.0.0.1:{}: {e}", args.port);
                return exit::code(exit::FAILURE);
            }
        };
        let base = server.base_url();
        let mut out = std::io::stdout();
        // The address goes to standard output, so scripts can read it; the log goes to stderr.
        let _ = writeln!(
            out,
            "Mock server for {title} listening on {}",
            base.as_str().trim_end_matches('/')
        );
        let _ = out.flush();
        eprintln!(
            "{operations} operation{} served{}; press Ctrl-C to stop.",
            if operations == 1 { "" } else { "s" },
            if args.strict {
                ", requests that violate the description get 400"
            } else {
                ""
            }
        );
        if let Err(e) = tokio::signal::ctrl_c().await {
            eprintln!("error: cannot wait for Ctrl-C: {e}");
        }
        server.shutdown().await;
        exit::code(exit::SUCCESS)
    })
}
