//! Runs the native Nakama stack (`scripts/nakama-stack.sh`: PostgreSQL + Nakama with Tower's
//! modules) on free loopback ports for tests and tools, and stops it on drop.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error("cannot run {script}: {reason}")]
    Spawn { script: String, reason: String },
    #[error("the nakama stack failed to {action}:\n{output}")]
    Failed { action: String, output: String },
    #[error("stack.env lacks {0}")]
    Missing(&'static str),
}

/// A running stack; stopped (and its data removed) when dropped.
pub struct NakamaStack {
    dir: tempfile::TempDir,
    env: HashMap<String, String>,
    stopped: bool,
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// psql from PATH, else from the newest PostgreSQL installed under /usr/lib/postgresql.
fn psql_path() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dir| {
            dir.filter_map(Result::ok)
                .map(|e| e.path().join("bin/psql"))
                .filter(|p| p.exists())
                .collect()
        })
        .unwrap_or_default();
    versions.sort();
    versions.pop().unwrap_or_else(|| PathBuf::from("psql"))
}

fn run_script(action: &str, dir: &Path, env: &[(&str, &str)]) -> Result<String, StackError> {
    let script = repo_root().join("scripts/nakama-stack.sh");
    let output = Command::new("bash")
        .arg(&script)
        .arg(action)
        .arg(dir)
        .envs(env.iter().copied())
        .output()
        .map_err(|e| StackError::Spawn {
            script: script.display().to_string(),
            reason: e.to_string(),
        })?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if output.status.success() {
        Ok(text)
    } else {
        Err(StackError::Failed {
            action: action.to_owned(),
            output: text,
        })
    }
}

impl NakamaStack {
    /// Starts PostgreSQL and Nakama (a few seconds).
    pub fn start() -> Result<NakamaStack, StackError> {
        NakamaStack::start_with_env(&[])
    }

    /// Like [`NakamaStack::start`] with knobs of the script, e.g.
    /// `("TOWER_SERVER_TTL_SEC", "2")`. Tries twice: free ports are picked before they are
    /// bound, so a parallel start can rarely take one first.
    pub fn start_with_env(env: &[(&str, &str)]) -> Result<NakamaStack, StackError> {
        match NakamaStack::try_start(env) {
            Ok(stack) => Ok(stack),
            Err(first) => {
                tracing::warn!(error = %first, "nakama stack did not start; retrying once");
                NakamaStack::try_start(env)
            }
        }
    }

    fn try_start(env: &[(&str, &str)]) -> Result<NakamaStack, StackError> {
        let dir = tempfile::Builder::new()
            .prefix("tower-nakama-")
            .tempdir()
            .map_err(|e| StackError::Spawn {
                script: "mkdtemp".into(),
                reason: e.to_string(),
            })?;
        let mut stack = NakamaStack {
            dir,
            env: HashMap::new(),
            stopped: false,
        };
        run_script("start", stack.dir.path(), env)?;
        // The script prints no secret: its settings are in stack.env (mode 0600).
        let path = stack.dir.path().join("stack.env");
        let text = std::fs::read_to_string(&path).map_err(|e| StackError::Spawn {
            script: path.display().to_string(),
            reason: e.to_string(),
        })?;
        stack.env = text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        for key in [
            "NAKAMA_HTTP_URL",
            "NAKAMA_HTTPS_URL",
            "NAKAMA_CA",
            "NAKAMA_GRPC_URL",
            "SERVER_KEY",
            "HTTP_KEY",
            "TICKET_KEY",
        ] {
            if !stack.env.contains_key(key) {
                return Err(StackError::Missing(key));
            }
        }
        Ok(stack)
    }

    fn get(&self, key: &str) -> &str {
        self.env.get(key).map_or("", String::as_str)
    }

    /// Nakama's HTTP/websocket API in plain HTTP on loopback (development), e.g.
    /// `http://127.0.0.1:7350`.
    pub fn http_url(&self) -> &str {
        self.get("NAKAMA_HTTP_URL")
    }
    /// The same API behind the stack's TLS proxy, e.g. `https://127.0.0.1:7443`; its
    /// certificate is signed by [`NakamaStack::ca_path`].
    pub fn https_url(&self) -> &str {
        self.get("NAKAMA_HTTPS_URL")
    }
    /// The PEM file of the CA that signed the TLS port's certificate.
    pub fn ca_path(&self) -> &Path {
        Path::new(self.get("NAKAMA_CA"))
    }
    /// Any value of the stack's `stack.env` (ports, keys, passwords), "" when absent.
    pub fn setting(&self, key: &str) -> &str {
        self.get(key)
    }
    /// Nakama's gRPC API (socket port − 1).
    pub fn grpc_url(&self) -> &str {
        self.get("NAKAMA_GRPC_URL")
    }
    pub fn server_key(&self) -> &str {
        self.get("SERVER_KEY")
    }
    pub fn http_key(&self) -> &str {
        self.get("HTTP_KEY")
    }
    pub fn ticket_key(&self) -> &str {
        self.get("TICKET_KEY")
    }
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Runs one SQL statement in the stack's database as its owner (with the stack's password)
    /// and returns psql's unaligned output. For tests that plant what an operator, an older
    /// version of the modules or a hostile client once left in storage.
    pub fn sql(&self, statement: &str) -> Result<String, StackError> {
        let psql = psql_path();
        let output = Command::new(&psql)
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                self.get("PG_PORT"),
                "-U",
                "postgres",
            ])
            .args([
                "-d",
                "nakama",
                "-v",
                "ON_ERROR_STOP=1",
                "-tA",
                "-c",
                statement,
            ])
            .env("PGPASSWORD", self.get("PG_PASSWORD"))
            .output()
            .map_err(|e| StackError::Spawn {
                script: psql.display().to_string(),
                reason: e.to_string(),
            })?;
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        if output.status.success() {
            Ok(text)
        } else {
            Err(StackError::Failed {
                action: format!("run SQL {statement:?}"),
                output: format!("{text}{}", String::from_utf8_lossy(&output.stderr)),
            })
        }
    }

    /// Stops only Nakama (PostgreSQL keeps the data): an outage.
    pub fn stop_nakama(&self) -> Result<(), StackError> {
        run_script("stop-nakama", self.dir.path(), &[]).map(drop)
    }

    /// Starts Nakama again on the same ports.
    pub fn start_nakama(&self) -> Result<(), StackError> {
        run_script("start-nakama", self.dir.path(), &[]).map(drop)
    }

    pub fn stop(mut self) -> Result<(), StackError> {
        self.stopped = true;
        run_script("stop", self.dir.path(), &[]).map(drop)
    }
}

impl Drop for NakamaStack {
    fn drop(&mut self) {
        if !self.stopped
            && let Err(e) = run_script("stop", self.dir.path(), &[])
        {
            tracing::error!(error = %e, "stopping the nakama stack");
        }
    }
}
