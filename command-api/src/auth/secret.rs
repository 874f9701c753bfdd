//! Where the token secret comes from: `CARTCAST_SECRET`, else a file in the
//! data dir that the first process to need it creates.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use anyhow::{Context, bail};

use cartcast_infra::config::{SECRET_VAR, Secret};

/// The token secret: the configured one (`CARTCAST_SECRET`) if set, else
/// `<data_dir>/secret` (created with 32 random bytes, hex-encoded, mode 0600
/// on first use).
pub fn load_secret(configured: Option<&Secret>, data_dir: Option<&Path>) -> anyhow::Result<Vec<u8>> {
    resolve(configured.map(Secret::expose), data_dir)
}

fn resolve(configured: Option<&str>, data_dir: Option<&Path>) -> anyhow::Result<Vec<u8>> {
    if let Some(secret) = configured.filter(|s| !s.is_empty()) {
        return Ok(secret.as_bytes().to_vec());
    }
    let Some(dir) = data_dir else {
        bail!("no token secret: pass --data-dir DIR or set {SECRET_VAR}");
    };
    let path = dir.join("secret");
    match fs::read(&path) {
        Ok(secret) => non_empty(secret, &path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            create(dir, &path)?;
            non_empty(fs::read(&path).with_context(|| format!("reading {}", path.display()))?, &path)
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Writes a fresh secret beside `path` and links it into place, so that two
/// processes starting together agree on one secret and neither reads a half-written file.
fn create(dir: &Path, path: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("creating data dir {}", dir.display()))?;
    let secret: [u8; 32] = rand::random();
    let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    let staging = dir.join(format!(".secret.{}", uuid::Uuid::new_v4()));
    let written = write_private(&staging, hex.as_bytes()).and_then(|()| match fs::hard_link(&staging, path) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => Err(e),
        _ => Ok(()),
    });
    let removed = fs::remove_file(&staging);
    written.with_context(|| format!("creating {}", path.display()))?;
    removed.with_context(|| format!("removing {}", staging.display()))
}

fn write_private(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

fn non_empty(secret: Vec<u8>, path: &Path) -> anyhow::Result<Vec<u8>> {
    let secret = secret.trim_ascii().to_vec();
    if secret.is_empty() {
        bail!("{} is empty", path.display());
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir() -> std::path::PathBuf {
        std::env::temp_dir().join(format!("cartcast-secret-{}", uuid::Uuid::new_v4()))
    }

    #[test]
    fn the_environment_wins() {
        let secret = resolve(Some("from-env"), Some(&temp_dir())).unwrap();
        assert_eq!(secret, b"from-env");
    }

    #[test]
    fn without_env_or_data_dir_it_says_what_to_pass() {
        let error = resolve(None, None).unwrap_err().to_string();
        assert!(error.contains("--data-dir") && error.contains(SECRET_VAR), "{error}");
    }

    #[test]
    fn the_first_use_creates_a_private_secret_that_later_uses_read() {
        let dir = temp_dir().join("nested");
        let first = resolve(None, Some(&dir)).unwrap();
        assert_eq!(first.len(), 64);
        assert!(first.iter().all(u8::is_ascii_hexdigit));
        assert_eq!(resolve(Some(""), Some(&dir)).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.join("secret")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1, "no staging file is left behind");
        fs::remove_dir_all(dir.parent().unwrap()).unwrap();
    }

    #[test]
    fn an_empty_secret_file_is_an_error() {
        let dir = temp_dir();
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("secret"), "\n").unwrap();
        assert!(resolve(None, Some(&dir)).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}
