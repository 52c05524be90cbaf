//! `arazzo-run eval`: evaluate a runtime expression, template, condition or Criterion
//! Object against a context file, to debug them outside a run.
//!
//! Exit codes: 0 when evaluation succeeded (whatever a condition's result), 1 when
//! evaluation failed (a pointer that resolves to nothing, an input that was not
//! supplied, a criterion that could not be evaluated), 2 for invalid input (a syntax
//! error, shown with a caret, or an unreadable context or criterion file).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anstream::{eprintln, println};
use anstyle::{AnsiColor, Style};
use arazzo_expr::{
    Criterion, CriterionError, CriterionType, JsonContext, ParseError, Verdict,
    malformed_expression, parse_condition, parse_expression, parse_operand, parse_template,
};
use arazzo_model::Part;
use serde_json::Value;

use crate::exit::{FAILURE, INVALID, SUCCESS, code};
use crate::output::color_enabled;

/// Arguments of `arazzo-run eval`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Evaluate a runtime expression, template, condition or criterion against a context",
    after_help = "The context file is JSON: {inputs, outputs, steps: {<id>: {outputs}}, \
workflows: {<id>: {inputs, outputs}}, url, method, statusCode, request: {headers, query, path, body}, \
response: {headers, body}, message: {headers, payload}, sourceDescriptions, components, self}.\n\n\
Examples:\n  arazzo-run eval --context ctx.json '$response.body#/items/0/id'\n  \
arazzo-run eval --context ctx.json --condition '$statusCode == 200'\n  \
arazzo-run eval --context ctx.json --criterion criterion.yaml"
)]
#[command(group(clap::ArgGroup::new("mode").required(true).args(["expression", "condition", "criterion"])))]
pub struct EvalArgs {
    /// A runtime expression (`$response.body#/id`) or a template with embedded `{$…}`;
    /// prints its JSON value.
    pub expression: Option<String>,

    /// A `simple` condition; prints `true` or `false`.
    #[arg(long, value_name = "CONDITION")]
    pub condition: Option<String>,

    /// A YAML or JSON file holding one Criterion Object (`condition`, `context`, `type`);
    /// prints `true` or `false`.
    #[arg(long, value_name = "FILE")]
    pub criterion: Option<PathBuf>,

    /// The JSON context file; omit it for an empty context.
    #[arg(long, value_name = "FILE")]
    pub context: Option<PathBuf>,
}

/// Runs `arazzo-run eval`.
pub fn run(args: EvalArgs) -> ExitCode {
    let ctx = match load_context(args.context.as_deref()) {
        Ok(c) => c,
        Err(msg) => return fail(INVALID, &msg),
    };
    if let Some(cond) = args.condition {
        return eval_condition(&cond, &ctx);
    }
    if let Some(path) = args.criterion {
        return eval_criterion(&path, &ctx);
    }
    match args.expression {
        Some(e) => eval_expression(&e, &ctx),
        None => fail(INVALID, "nothing to evaluate"),
    }
}

fn error_style() -> Style {
    Style::new().bold().fg_color(Some(AnsiColor::Red.into()))
}

fn fail(exit: u8, msg: &str) -> ExitCode {
    let s = error_style();
    eprintln!("{s}error{s:#}: {msg}");
    code(exit)
}

/// Prints a parse error with the offending line and a caret, and exits with 2.
fn syntax_error(what: &str, input: &str, err: &ParseError) -> ExitCode {
    let rendered = err.render(input);
    let body = rendered.strip_prefix("error: ").unwrap_or(&rendered);
    let s = error_style();
    eprintln!("{s}error{s:#}: invalid {what}: {body}");
    code(INVALID)
}

fn load_context(path: Option<&Path>) -> Result<JsonContext, String> {
    let Some(path) = path else {
        return Ok(JsonContext::new());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read context file {}: {e}", path.display()))?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| format!("context file {} is not valid JSON: {e}", path.display()))?;
    JsonContext::from_value(value).map_err(|e| format!("context file {}: {e}", path.display()))
}

fn print_json(v: &Value) -> ExitCode {
    let text = match v {
        Value::Object(_) | Value::Array(_) => serde_json::to_string_pretty(v),
        other => serde_json::to_string(other),
    };
    match text {
        Ok(t) => {
            println!("{t}");
            let _ = std::io::stdout().flush();
            code(SUCCESS)
        }
        Err(e) => fail(FAILURE, &format!("cannot print the value: {e}")),
    }
}

fn eval_expression(input: &str, ctx: &JsonContext) -> ExitCode {
    // What `validate` calls an error in a parameter value or payload is one here too,
    // through the same function: a string that starts like an expression
    // (`$steps.x.outputs`) but does not parse.
    if let Some(err) = malformed_expression(input) {
        return syntax_error("runtime expression", input, &err);
    }
    // `.name`/`[n]` navigation outside a condition: a document's value is evaluated
    // with a warning, and so is it here.
    if parse_expression(input).is_err()
        && let Ok(op) = parse_operand(input)
        && !op.accessors.is_empty()
    {
        let standard = op
            .to_pointer_expression()
            .map(|e| format!("; write `{e}`"))
            .unwrap_or_default();
        let s = Style::new().bold().fg_color(Some(AnsiColor::Yellow.into()));
        eprintln!(
            "{s}warning{s:#}: `{input}` navigates with `.`/`[n]`, which Arazzo allows only in conditions; arazzo-run evaluates it anyway{standard}"
        );
        return match op.resolve(ctx) {
            Ok(v) => print_json(&v),
            Err(e) => fail(FAILURE, &e.to_string()),
        };
    }
    let template = match parse_template(input) {
        Ok(t) => t,
        Err(err) => return syntax_error("template", input, &err),
    };
    match template.evaluate(ctx) {
        Ok(v) => print_json(&v),
        Err(e) => fail(FAILURE, &e.to_string()),
    }
}

fn print_verdict(v: &Verdict) -> ExitCode {
    println!("{}", v.passed);
    let _ = std::io::stdout().flush();
    match (&v.reason, v.error) {
        (Some(reason), true) => fail(FAILURE, reason),
        (Some(reason), false) => {
            let s = Style::new().bold();
            eprintln!("{s}note{s:#}: {reason}");
            code(SUCCESS)
        }
        (None, _) => code(SUCCESS),
    }
}

fn eval_condition(input: &str, ctx: &JsonContext) -> ExitCode {
    match parse_condition(input) {
        Ok(c) => print_verdict(&c.evaluate(ctx)),
        Err(err) => syntax_error("condition", input, &err),
    }
}

fn eval_criterion(path: &Path, ctx: &JsonContext) -> ExitCode {
    let bytes = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) => {
            return fail(
                INVALID,
                &format!("cannot read criterion file {}: {e}", path.display()),
            );
        }
    };
    // The document loader reads YAML 1.2 and JSON, and tells where each member is.
    let name = path.display().to_string();
    let loaded = match arazzo_model::load::load(&name, &bytes) {
        Ok(l) => l,
        Err(d) => {
            let color = color_enabled(std::io::IsTerminal::is_terminal(&std::io::stderr()));
            eprintln!("{}", d.render(color));
            return code(INVALID);
        }
    };
    let at = |member: &str| {
        loaded
            .locate(&format!("/{member}"), Part::Value)
            .to_string()
    };
    let Value::Object(obj) = &loaded.value else {
        return fail(
            INVALID,
            &format!(
                "criterion file {} must hold a Criterion Object",
                path.display()
            ),
        );
    };
    let Some(condition) = obj.get("condition").and_then(Value::as_str) else {
        return fail(INVALID, "the criterion has no string `condition`");
    };
    let context = match obj.get("context") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => return fail(INVALID, "the criterion `context` must be a string"),
    };
    let ty = match CriterionType::from_value(obj.get("type")) {
        Ok(t) => t,
        Err(e) => return fail(INVALID, &e.to_string()),
    };
    let criterion = match Criterion::compile(condition, context, &ty) {
        Ok(c) => c,
        Err(CriterionError::Condition(err)) => {
            return syntax_error(
                &format!("condition at {}", at("condition")),
                condition,
                &err,
            );
        }
        Err(CriterionError::Context(err)) => {
            return syntax_error(
                &format!("context at {}", at("context")),
                context.unwrap_or_default(),
                &err,
            );
        }
        Err(e) => return fail(INVALID, &e.to_string()),
    };
    if let Some(problem) = criterion.query_problem() {
        let s = Style::new().bold().fg_color(Some(AnsiColor::Yellow.into()));
        eprintln!("{s}warning{s:#}: this criterion can never pass: {problem}");
    }
    print_verdict(&criterion.evaluate(ctx))
}
