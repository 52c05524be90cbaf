//! The OpenAPI description, the Arazzo documents and the kinds of
//! credential the suite runs.

use super::encodings::{base64, json_escape, pct};
use super::{access_token, secret};

pub const OPENAPI: &str = r#"openapi: 3.0.3
info: {title: echo, version: '1'}
servers: [{url: 'https://api.example.com'}]
components:
  securitySchemes:
    keyHeader: {type: apiKey, in: header, name: X-Api-Key}
    keyQuery: {type: apiKey, in: query, name: api_key}
    keyCookie: {type: apiKey, in: cookie, name: session}
    bearer: {type: http, scheme: bearer}
    basic: {type: http, scheme: basic}
    oauth:
      type: oauth2
      flows:
        clientCredentials:
          tokenUrl: 'https://api.example.com/oauth/token'
          scopes: {}
  parameters:
    fail: {name: X-Fail, in: header, required: false, schema: {type: string}}
  responses:
    ok: {description: ok, content: {application/json: {schema: {type: object}}}}
paths:
  /echo/key-header:
    get: {operationId: keyHeader, security: [{keyHeader: []}], parameters: [{$ref: '#/components/parameters/fail'}], responses: {'200': {$ref: '#/components/responses/ok'}}}
  /echo/key-query:
    get: {operationId: keyQuery, security: [{keyQuery: []}], parameters: [{$ref: '#/components/parameters/fail'}], responses: {'200': {$ref: '#/components/responses/ok'}}}
  /echo/key-cookie:
    get: {operationId: keyCookie, security: [{keyCookie: []}], parameters: [{$ref: '#/components/parameters/fail'}], responses: {'200': {$ref: '#/components/responses/ok'}}}
  /echo/bearer:
    get: {operationId: bearer, security: [{bearer: []}], parameters: [{$ref: '#/components/parameters/fail'}], responses: {'200': {$ref: '#/components/responses/ok'}}}
  /echo/basic:
    get: {operationId: basic, security: [{basic: []}], parameters: [{$ref: '#/components/parameters/fail'}], responses: {'200': {$ref: '#/components/responses/ok'}}}
  /echo/oauth:
    get: {operationId: oauth, security: [{oauth: []}], parameters: [{$ref: '#/components/parameters/fail'}], responses: {'200': {$ref: '#/components/responses/ok'}}}
  /echo/input/{wo}:
    post:
      operationId: input
      parameters:
        - {name: wo, in: path, required: true, schema: {type: string}}
        - {name: q, in: query, schema: {type: string}}
        - {$ref: '#/components/parameters/fail'}
      requestBody: {content: {application/json: {schema: {type: object}}}}
      responses: {'200': {$ref: '#/components/responses/ok'}}
  /echo/form:
    post:
      operationId: form
      parameters: [{$ref: '#/components/parameters/fail'}]
      requestBody: {content: {application/x-www-form-urlencoded: {schema: {type: object}}}}
      responses: {'200': {$ref: '#/components/responses/ok'}}
  /big:
    get:
      operationId: big
      parameters: [{name: q, in: query, schema: {type: string}}, {name: at, in: query, schema: {type: integer}}]
      responses: {'200': {description: ok, content: {text/plain: {schema: {type: string}}}}}
  /evil:
    get: {operationId: evil, responses: {'200': {description: ok, content: {text/plain: {schema: {type: string}}}}}}
"#;

/// The failing criteria: each quotes something the server echoed.
pub const FAILING_CRITERIA: &str = r#"
          - condition: $statusCode == 200
          - condition: $response.body#/credential == 'nope'
          - condition: $response.body#/target == 'nope'
          - condition: $response.body#/basic == 'nope'
          - condition: $response.header.x-echo-authorization == 'nope'
          - context: $response.body#/credential
            condition: '^nope$'
            type: regex
          - context: $response.body
            condition: $.nope
            type: jsonpath"#;

/// The steps of a workflow set calling `operation`, with `extra` step fields
/// (the parameters first: the failing variant adds one).
pub fn steps(id: &str, operation: &str, extra: &str, criteria: &str, fail: bool) -> String {
    let fail = if fail {
        "\n          - {name: X-Fail, in: header, value: 'yes'}"
    } else {
        ""
    };
    let (params, rest) = match extra.strip_prefix("\n        parameters:") {
        Some(r) => r
            .split_once("\n        requestBody:")
            .map_or((r, String::new()), |(p, b)| {
                (p, format!("\n        requestBody:{b}"))
            }),
        None => ("", extra.to_string()),
    };
    let params = if params.is_empty() && fail.is_empty() {
        String::new()
    } else {
        format!("\n        parameters:{params}{fail}")
    };
    format!(
        r#"
      - stepId: {id}
        operationId: {operation}{params}{rest}
        successCriteria:{criteria}
        outputs:
          echo: $response.body
          credential: $response.body#/credential
          authorization: $response.header.x-echo-authorization
          target: $response.header.x-echo-target"#
    )
}

/// An Arazzo document with three workflows calling `operation`: `ok`
/// succeeds and outputs the echo, `fail` fails criteria quoting it, `fail401`
/// gets a 401 whose body echoes the request.
pub fn arazzo(operation: &str, inputs: &str, extra: &str) -> String {
    let ok = "\n          - condition: $statusCode == 200";
    let mut doc = String::from(
        "arazzo: 1.0.1\ninfo: {title: secrets, version: '1'}\nsourceDescriptions:\n  - {name: api, url: ./echo.openapi.yaml, type: openapi}\nworkflows:",
    );
    for (wf, criteria, fail) in [
        ("ok", ok, false),
        ("fail", FAILING_CRITERIA, false),
        ("fail401", ok, true),
    ] {
        doc.push_str(&format!(
            "\n  - workflowId: {wf}{inputs}\n    steps:{}\n    outputs:\n      echo: $steps.call.outputs.echo\n      credential: $steps.call.outputs.credential",
            steps("call", operation, extra, criteria, fail)
        ));
    }
    doc.push('\n');
    doc
}

/// One kind of credential: its documents, flags, environment and secrets.
pub struct Kind {
    pub name: &'static str,
    pub operation: &'static str,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// Secrets (besides the tokens) and Basic pairs to look for.
    pub secrets: Vec<String>,
    pub pairs: Vec<(String, String)>,
    pub inputs: &'static str,
    pub extra: &'static str,
    /// What the server must have received (proves the secret was sent).
    pub sent: Vec<String>,
}

pub fn kinds() -> Vec<Kind> {
    let mut kinds = Vec::new();
    let auth = |a: &str| vec!["--auth".to_string(), a.to_string()];
    let s = secret("KeyHdr-001", false);
    kinds.push(Kind {
        name: "api-key-header",
        operation: "keyHeader",
        args: auth(&format!("keyHeader={s}")),
        env: vec![],
        sent: vec![format!("x-api-key: {}", s.trim_end())],
        secrets: vec![s],
        pairs: vec![],
        inputs: "",
        extra: "",
    });
    // `--header` values: every one is masked, for every request or one source.
    let (all, one) = (secret("HdrAll-017", false), secret("HdrSrc-018", false));
    let mut args = auth(&format!("keyHeader={}", secret("HdrKey-019", false)));
    args.extend(["--header".to_string(), format!("X-Gateway={all}")]);
    args.extend(["--header".to_string(), format!("api:X-Source={one}")]);
    kinds.push(Kind {
        name: "header-flags",
        operation: "keyHeader",
        args,
        env: vec![],
        sent: vec![format!("x-gateway: {all}"), format!("x-source: {one}")],
        secrets: vec![all, one, secret("HdrKey-019", false)],
        pairs: vec![],
        inputs: "",
        extra: "",
    });
    let s = secret("KeyQry-002", true);
    kinds.push(Kind {
        name: "api-key-query",
        operation: "keyQuery",
        args: auth(&format!("keyQuery={s}")),
        env: vec![],
        sent: vec![pct(
            &s,
            &|b: u8| b.is_ascii_alphanumeric() || b"*-._".contains(&b),
            true,
            false,
        )],
        secrets: vec![s],
        pairs: vec![],
        inputs: "",
        extra: "",
    });
    let s = secret("KeyCk1-003", false);
    kinds.push(Kind {
        name: "api-key-cookie",
        operation: "keyCookie",
        args: auth(&format!("keyCookie={s}")),
        env: vec![],
        sent: vec![format!("cookie: session={s}")],
        secrets: vec![s],
        pairs: vec![],
        inputs: "",
        extra: "",
    });
    let s = secret("Bearer-004", false);
    kinds.push(Kind {
        name: "bearer",
        operation: "bearer",
        args: auth(&format!("bearer={s}")),
        env: vec![],
        sent: vec![format!("authorization: Bearer {s}")],
        secrets: vec![s],
        pairs: vec![],
        inputs: "",
        extra: "",
    });
    let (u, p) = ("user-é".to_string(), secret("BasicP-005", true));
    let mut args = auth(&format!("basic.username={u}"));
    args.extend(auth(&format!("basic.password={p}")));
    kinds.push(Kind {
        name: "basic",
        operation: "basic",
        args,
        env: vec![],
        sent: vec![format!(
            "authorization: Basic {}",
            base64(format!("{u}:{p}").as_bytes(), false, true)
        )],
        secrets: vec![p.clone()],
        pairs: vec![(u, p)],
        inputs: "",
        extra: "",
    });
    let (u, p) = ("pair-user".to_string(), secret("BasicV-006", true));
    kinds.push(Kind {
        name: "basic-as-one-value",
        operation: "basic",
        args: auth(&format!("basic={u}:{p}")),
        env: vec![],
        sent: vec![format!(
            "authorization: Basic {}",
            base64(format!("{u}:{p}").as_bytes(), false, true)
        )],
        secrets: vec![p.clone()],
        pairs: vec![(u, p)],
        inputs: "",
        extra: "",
    });
    for (i, style) in ["basic", "post", "json"].into_iter().enumerate() {
        let id = format!("client-{style}");
        let s = secret(&format!("Client-00{}", 7 + i), true);
        let mut args = auth(&format!("oauth.client_id={id}"));
        args.extend(auth(&format!("oauth.client_secret={s}")));
        args.extend(auth(&format!("oauth.client_auth={style}")));
        let sent = match style {
            "basic" => {
                let form = |x: &str| {
                    pct(
                        x,
                        &|b: u8| b.is_ascii_alphanumeric() || b"*-._".contains(&b),
                        true,
                        false,
                    )
                };
                format!(
                    "Basic {}",
                    base64(
                        format!("{}:{}", form(&id), form(&s)).as_bytes(),
                        false,
                        true
                    )
                )
            }
            "post" => pct(
                &s,
                &|b: u8| b.is_ascii_alphanumeric() || b"*-._".contains(&b),
                true,
                false,
            ),
            _ => json_escape(&s, false, true, false),
        };
        kinds.push(Kind {
            name: [
                "oauth2-client-secret-basic",
                "oauth2-client-secret-post",
                "oauth2-client-secret-json",
            ][i],
            operation: "oauth",
            args,
            env: vec![],
            sent: vec![sent, format!("authorization: Bearer {}", access_token())],
            secrets: vec![s.clone()],
            pairs: vec![(id, s)],
            inputs: "",
            extra: "",
        });
    }
    let k = secret("EnvKey-010", false);
    let (u, p) = ("env-user".to_string(), secret("EnvPwd-011", true));
    let cs = secret("EnvCli-012", true);
    let env = vec![
        ("ARAZZO_AUTH_KEYHEADER".to_string(), k.clone()),
        ("ARAZZO_AUTH_BASIC_USERNAME".into(), u.clone()),
        ("ARAZZO_AUTH_BASIC_PASSWORD".into(), p.clone()),
        ("ARAZZO_AUTH_OAUTH_CLIENT_ID".into(), "env-client".into()),
        ("ARAZZO_AUTH_OAUTH_CLIENT_SECRET".into(), cs.clone()),
        ("ARAZZO_AUTH_OAUTH_CLIENT_AUTH".into(), "post".into()),
    ];
    let form = |x: &str| {
        pct(
            x,
            &|b: u8| b.is_ascii_alphanumeric() || b"*-._".contains(&b),
            true,
            false,
        )
    };
    for (name, operation, sent) in [
        (
            "environment-api-key",
            "keyHeader",
            format!("x-api-key: {k}"),
        ),
        (
            "environment-basic",
            "basic",
            format!(
                "authorization: Basic {}",
                base64(format!("{u}:{p}").as_bytes(), false, true)
            ),
        ),
        ("environment-oauth2", "oauth", form(&cs)),
    ] {
        kinds.push(Kind {
            name,
            operation,
            args: vec![],
            env: env.clone(),
            sent: vec![sent],
            secrets: vec![k.clone(), p.clone(), cs.clone()],
            pairs: vec![(u.clone(), p.clone()), ("env-client".into(), cs.clone())],
            inputs: "",
            extra: "",
        });
    }
    let (pw, wo) = (secret("InPass-013", true), secret("InWrit-014", true));
    kinds.push(Kind {
        name: "secret-inputs",
        operation: "input",
        args: vec![
            "--input".into(),
            format!("pw={pw}"),
            "--input".into(),
            format!("wo={wo}"),
        ],
        env: vec![],
        sent: vec![
            json_escape(&pw, false, true, false),
            json_escape(&wo, false, true, false),
        ],
        secrets: vec![pw, wo],
        pairs: vec![],
        inputs: SECRET_INPUTS,
        extra: INPUT_REQUEST,
    });
    let (pw, wo) = (secret("InFile-015", true), secret("InFilW-016", true));
    kinds.push(Kind {
        name: "secret-inputs-form-from-file",
        operation: "form",
        // The `--inputs` file is written by `run_kind` from these.
        args: vec!["--inputs".into(), format!("FILE:{pw}\u{0}{wo}")],
        env: vec![],
        sent: vec![pct(
            &pw,
            &|b: u8| b.is_ascii_alphanumeric() || b"*-._".contains(&b),
            false,
            false,
        )],
        secrets: vec![pw, wo],
        pairs: vec![],
        inputs: SECRET_INPUTS,
        extra: FORM_REQUEST,
    });
    kinds
}

pub const SECRET_INPUTS: &str = r#"
    inputs:
      type: object
      required: [pw, wo]
      properties:
        pw: {type: string, format: password}
        wo: {type: string, writeOnly: true}"#;

pub const INPUT_REQUEST: &str = r#"
        parameters:
          - {name: wo, in: path, value: $inputs.wo}
          - {name: q, in: query, value: $inputs.pw}
        requestBody:
          contentType: application/json
          payload: {pw: $inputs.pw, wo: $inputs.wo, both: '{$inputs.pw}|{$inputs.wo}'}"#;

pub const FORM_REQUEST: &str = r#"
        requestBody:
          contentType: application/x-www-form-urlencoded
          payload: {pw: $inputs.pw, wo: $inputs.wo}"#;
