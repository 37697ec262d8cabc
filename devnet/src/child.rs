//! Child processes with their output in log files, stopped with SIGTERM.

use std::{
    fs::OpenOptions,
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    time::{Duration, Instant},
};

use crate::Result;

/// A free TCP port on 127.0.0.1.
pub(crate) fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// A role process the devnet watches.
#[derive(Debug)]
pub(crate) struct Supervised {
    name: &'static str,
    bin: PathBuf,
    args: Vec<String>,
    log: PathBuf,
    child: Child,
}

fn spawn(bin: &Path, args: &[String], log: &Path) -> Result<Child> {
    let out = OpenOptions::new().create(true).append(true).open(log)?;
    let err = out.try_clone()?;
    Ok(Command::new(bin)
        .args(args)
        .env(
            "SPROUT_LOG",
            std::env::var("SPROUT_LOG").unwrap_or_else(|_| "info".into()),
        )
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()?)
}

impl Supervised {
    pub(crate) fn spawn(
        name: &'static str,
        bin: &Path,
        args: &[String],
        log: &Path,
    ) -> Result<Self> {
        let child = spawn(bin, args, log)?;
        Ok(Self {
            name,
            bin: bin.to_path_buf(),
            args: args.to_vec(),
            log: log.to_path_buf(),
            child,
        })
    }

    pub(crate) fn name(&self) -> &'static str {
        self.name
    }

    /// The exit status, if the child has exited.
    pub(crate) fn exited(&mut self) -> Result<Option<ExitStatus>> {
        Ok(self.child.try_wait()?)
    }

    pub(crate) fn restart(&mut self) -> Result<()> {
        self.child = spawn(&self.bin, &self.args, &self.log)?;
        Ok(())
    }

    /// SIGTERM, then SIGKILL after `grace`.
    pub(crate) fn stop(&mut self, grace: Duration) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // SAFETY-free: libc::kill only sends a signal to our own child's pid.
            terminate(pid);
        }
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[allow(unsafe_code)]
fn terminate(pid: i32) {
    // SAFETY: sending SIGTERM to a pid has no memory-safety preconditions.
    unsafe {
        libc::kill(pid, libc::SIGTERM);
    }
}
