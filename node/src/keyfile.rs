//! Key files: a private key lives in exactly one file, created where it is used, readable only
//! by its owner. Only the public part is ever exported.

use std::path::{Path, PathBuf};

use samverka_protocol::{PublicKey, SigningKey};
use serde::{Deserialize, Serialize};

/// Why a key file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing failed.
    #[error("key file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not a samverka key file.
    #[error("key file {path} is not a samverka key file: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Refusing to overwrite an existing key.
    #[error("key file {0} already exists; refusing to overwrite a key")]
    Exists(PathBuf),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    label: String,
    public: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

/// Generates a new key from the operating system's randomness and writes it to `path` (mode 0600).
pub fn generate(path: &Path, label: &str) -> Result<SigningKey, Error> {
    let mut seed = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
    let key = SigningKey::from_seed(&seed);
    write_secret(path, label, &key)?;
    Ok(key)
}

/// Writes a secret key file that must not exist yet.
pub fn write_secret(path: &Path, label: &str, key: &SigningKey) -> Result<(), Error> {
    use std::io::Write;
    let file = KeyFile { label: label.into(), public: key.public().to_hex(), secret: Some(hex::encode(key.to_seed())) };
    let text = toml::to_string(&file).expect("a key file serialises");
    let io = |source| Error::Io { path: path.into(), source };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => Error::Exists(path.into()),
        _ => io(e),
    })?;
    f.write_all(format!("# samverka private key: keep this file on this machine only\n{text}").as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(io)
}

/// Writes the public part of a key to `path`.
pub fn write_public(path: &Path, label: &str, key: &PublicKey) -> Result<(), Error> {
    let file = KeyFile { label: label.into(), public: key.to_hex(), secret: None };
    let text = toml::to_string(&file).expect("a key file serialises");
    std::fs::write(path, text).map_err(|source| Error::Io { path: path.into(), source })
}

fn read(path: &Path) -> Result<KeyFile, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io { path: path.into(), source })?;
    toml::from_str(&text).map_err(|e| Error::Invalid { path: path.into(), reason: e.to_string() })
}

/// Reads a private key.
pub fn read_secret(path: &Path) -> Result<SigningKey, Error> {
    let file = read(path)?;
    let invalid = |reason: &str| Error::Invalid { path: path.into(), reason: reason.into() };
    let secret = file.secret.ok_or_else(|| invalid("it holds only a public key"))?;
    let mut seed = [0u8; 32];
    hex::decode_to_slice(secret.trim(), &mut seed).map_err(|_| invalid("the secret is not 64 hex digits"))?;
    let key = SigningKey::from_seed(&seed);
    if key.public().to_hex() != file.public {
        return Err(invalid("the public key does not match the secret"));
    }
    Ok(key)
}

/// Reads the public key from a key file (private or public), or parses 64 hex digits.
pub fn read_public(path_or_hex: &str) -> Result<PublicKey, Error> {
    if let Ok(key) = PublicKey::from_hex(path_or_hex) {
        return Ok(key);
    }
    let path = Path::new(path_or_hex);
    let file = read(path)?;
    PublicKey::from_hex(&file.public)
        .map_err(|_| Error::Invalid { path: path.into(), reason: "the public key is not 64 hex digits".into() })
}

/// Copies the private key at `from` to a new file `to` (mode 0600, refusing to overwrite), with
/// `label`: a backup of a node key.
pub fn copy_secret(from: &Path, to: &Path, label: &str) -> Result<(), Error> {
    write_secret(to, label, &read_secret(from)?)
}

/// Installs the private key at `from` as the key file `to`: refused if `to` holds another key;
/// nothing changes if it holds the same one.
pub fn install_secret(from: &Path, to: &Path) -> Result<(), Error> {
    let key = read_secret(from)?;
    if to.exists() {
        return match read_secret(to)?.public() == key.public() {
            true => Ok(()),
            false => Err(Error::Exists(to.into())),
        };
    }
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io { path: dir.into(), source })?;
    }
    write_secret(to, "node", &key)
}

/// Reads the node key at `path`, generating it on first start.
pub fn node_key(path: &Path) -> Result<SigningKey, Error> {
    if path.exists() {
        read_secret(path)
    } else {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| Error::Io { path: dir.into(), source })?;
        }
        generate(path, "node")
    }
}
