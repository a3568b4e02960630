//! The API's own TLS (optional): the certificate chain and private key from the PEM files named by
//! `api_tls_cert` and `api_tls_key`, made into a rustls server configuration. Browsers sign in
//! with WebCrypto keys only in a secure context, so a node reached by other machines serves
//! https, either itself (this module) or behind a reverse proxy (docs/ops.md).
//!
//! The crypto provider is ring, the one libp2p already brings into the build. Each error names
//! the file and the setting, and says what to do.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;

/// Protocols offered by ALPN, most preferred first.
const ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// Why the API's TLS cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A certificate without its key.
    #[error("api_tls_cert is set ({}) but api_tls_key is not: set both (a PEM certificate chain and its private key) to serve https, or neither to serve plain http", .0.display())]
    CertWithoutKey(PathBuf),
    /// A key without its certificate.
    #[error("api_tls_key is set ({}) but api_tls_cert is not: set both (a PEM certificate chain and its private key) to serve https, or neither to serve plain http", .0.display())]
    KeyWithoutCert(PathBuf),
    /// A file cannot be read.
    #[error("cannot read {setting} file {}: {source}; check the path and that the node's user may read it", path.display())]
    Read {
        /// `api_tls_cert` or `api_tls_key`.
        setting: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A file is not valid PEM.
    #[error("{setting} file {} is not valid PEM: {message}", path.display())]
    Pem {
        /// `api_tls_cert` or `api_tls_key`.
        setting: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The certificate file holds no certificate.
    #[error("api_tls_cert file {} holds no certificate: it must hold the certificate chain in PEM (-----BEGIN CERTIFICATE-----), the node's own certificate first", .0.display())]
    NoCertificate(PathBuf),
    /// The key file holds no private key.
    #[error("api_tls_key file {} holds no private key: it must hold the certificate's private key in PEM (-----BEGIN PRIVATE KEY-----, or an RSA or EC PRIVATE KEY)", .0.display())]
    NoKey(PathBuf),
    /// rustls refuses the pair (say, the key is not the certificate's).
    #[error("the certificate in {} and the key in {} cannot serve together: {source}; check that the key is the certificate's own", cert.display(), key.display())]
    Refused {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// What rustls says.
        source: rustls::Error,
    },
}

/// The TLS configuration for `cert` and `key` (both or neither): `None` serves plain http.
pub fn load(cert: Option<&Path>, key: Option<&Path>) -> Result<Option<Arc<ServerConfig>>, Error> {
    match (cert, key) {
        (None, None) => Ok(None),
        (Some(cert), None) => Err(Error::CertWithoutKey(cert.into())),
        (None, Some(key)) => Err(Error::KeyWithoutCert(key.into())),
        (Some(cert), Some(key)) => server_config(cert, key).map(Some),
    }
}

fn server_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, Error> {
    let chain = certificates(cert)?;
    let private = private_key(key)?;
    let refused = |source| Error::Refused { cert: cert.into(), key: key.into(), source };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(refused)?
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .map_err(refused)?;
    config.alpn_protocols = ALPN.iter().map(|p| p.to_vec()).collect();
    Ok(Arc::new(config))
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, Error> {
    let bytes = read("api_tls_cert", path)?;
    let chain = CertificateDer::pem_slice_iter(&bytes).collect::<Result<Vec<_>, _>>().map_err(|e| Error::Pem {
        setting: "api_tls_cert",
        path: path.into(),
        message: e.to_string(),
    })?;
    if chain.is_empty() {
        return Err(Error::NoCertificate(path.into()));
    }
    Ok(chain)
}

fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, Error> {
    let bytes = read("api_tls_key", path)?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| match e {
        pem::Error::NoItemsFound => Error::NoKey(path.into()),
        e => Error::Pem { setting: "api_tls_key", path: path.into(), message: e.to_string() },
    })
}

fn read(setting: &'static str, path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|source| Error::Read { setting, path: path.into(), source })
}
