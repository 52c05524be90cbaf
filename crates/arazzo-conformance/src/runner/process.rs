//! Runs an engine process with a time limit, killing its whole process group
//! when it overruns (npm and Python engines start children of their own).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How a process ended.
#[derive(Debug, Clone)]
pub struct Finished {
    /// The exit code (`None` when killed by a signal, or when it timed out).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// It overran its time limit and was killed.
    pub timed_out: bool,
}

impl Finished {
    /// Standard error's last lines, for messages.
    pub fn stderr_tail(&self) -> String {
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        let start = lines.len().saturating_sub(5);
        lines[start..].join(" / ")
    }
}

/// Runs `cmd` to completion or until `timeout`; its output goes through files in `scratch`.
pub fn run(cmd: &mut Command, timeout: Duration, scratch: &Path) -> Result<Finished, String> {
    let out_path = scratch.join("engine.stdout");
    let err_path = scratch.join("engine.stderr");
    let out = std::fs::File::create(&out_path).map_err(|e| e.to_string())?;
    let err = std::fs::File::create(&err_path).map_err(|e| e.to_string())?;
    cmd.stdin(Stdio::null()).stdout(out).stderr(err);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {:?}: {e}", cmd.get_program()))?;
    let started = Instant::now();
    let mut timed_out = false;
    let code = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status.code(),
            Ok(None) => {}
            Err(e) => return Err(format!("waiting for the engine: {e}")),
        }
        if started.elapsed() >= timeout {
            timed_out = true;
            kill_group(&mut child);
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Ok(Finished {
        code,
        stdout: std::fs::read_to_string(&out_path).unwrap_or_default(),
        stderr: std::fs::read_to_string(&err_path).unwrap_or_default(),
        timed_out,
    })
}

fn kill_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    {
        // The child leads its own process group: signal the whole group.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let _ = child.kill();
}

/// Runs a short command (an install, a version query) and returns its output, or why it failed.
pub fn capture(cmd: &mut Command, timeout: Duration) -> Result<Finished, String> {
    let scratch = super::Scratch::new("cmd").map_err(|e| e.to_string())?;
    run(cmd, timeout, scratch.path())
}
