//! Node configuration: defaults → TOML file → `SAMVERKA_*` environment → command-line flags.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Everything a node needs to run. Unknown keys in the file are an error, so a typo is caught.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Directory holding the store and the node key.
    pub data_dir: PathBuf,
    /// Where the HTTP API listens. Loopback by default.
    pub api_listen: SocketAddr,
    /// Host names the API answers for besides `localhost` and IP addresses, e.g. the name a
    /// reverse proxy forwards. Requests naming any other host are refused (421).
    pub api_hosts: Vec<String>,
    /// Most HTTP connections open at once.
    pub api_max_connections: usize,
    /// Writes (POST) one client may make per second.
    pub api_writes_per_second: u32,
    /// A reverse proxy whose `X-Forwarded-For` names the client (only its last address).
    pub api_trusted_proxy: Option<std::net::IpAddr>,
    /// PEM file with the certificate chain (the node's own certificate first) for serving the API
    /// over https. Set together with `api_tls_key`; neither: plain http.
    pub api_tls_cert: Option<PathBuf>,
    /// PEM file with the private key of `api_tls_cert`.
    pub api_tls_key: Option<PathBuf>,
    /// Operator token for endpoints that act as the node itself. Unset: those endpoints are
    /// refused.
    pub api_token: Option<String>,
    /// libp2p listen addresses (multiaddr), e.g. `/ip4/0.0.0.0/tcp/7070`.
    pub p2p_listen: Vec<String>,
    /// Peers to dial at start (multiaddr including `/p2p/<peer id>`).
    pub bootstrap: Vec<String>,
    /// Relay to reserve a slot on when this node cannot accept inbound connections.
    pub relay: Option<String>,
    /// sled page-cache size in bytes.
    pub cache_bytes: u64,
    /// Log format: `text` or `json`.
    pub log_format: LogFormat,
    /// Log filter in `RUST_LOG` syntax.
    pub log: String,
    /// The address people reach this node's web pages at, e.g. `https://samverka.kommun.se`:
    /// links in e-mail are made from it. Unset: e-mail gives the page's path only.
    pub public_url: Option<String>,
    /// The kommun's SMTP relay (host name or address) that e-mails outage notices and support
    /// steps ([`crate::mail`]). Unset: no e-mail is sent.
    pub mail_relay: Option<String>,
    /// The relay's port. Unset: 25 for `none` and `starttls`, 465 for `tls`.
    pub mail_port: Option<u16>,
    /// How the connection to the relay is secured: `starttls` (the default), `tls` (implicit
    /// TLS) or `none` (plain SMTP on the kommun's own network).
    pub mail_security: crate::mail::Security,
    /// The user name to log in to the relay with (AUTH PLAIN or LOGIN, only over TLS). Set
    /// together with `mail_password_file`.
    pub mail_user: Option<String>,
    /// The file holding the relay password on one line, read when the node starts, never
    /// logged; refused if every user on the server may read it.
    pub mail_password_file: Option<PathBuf>,
    /// PEM file with CA certificates trusted for the relay's certificate besides the system's
    /// (a kommun's internal CA).
    pub mail_ca_file: Option<PathBuf>,
    /// The sender address of the e-mail, e.g. `samverka@kommun.se`.
    pub mail_from: Option<String>,
    /// The recipients: functional mailboxes such as `objektspecialist@kommun.se`. Kept in this
    /// file only, never in a record.
    pub mail_to: Vec<String>,
}

/// How logs are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            data_dir: PathBuf::from("samverka-data"),
            api_listen: SocketAddr::from(([127, 0, 0, 1], 7080)),
            api_hosts: Vec::new(),
            api_max_connections: crate::api::server::DEFAULT_MAX_CONNECTIONS,
            api_writes_per_second: crate::api::guard::DEFAULT_WRITES_PER_SECOND,
            api_trusted_proxy: None,
            api_tls_cert: None,
            api_tls_key: None,
            api_token: None,
            p2p_listen: vec!["/ip4/0.0.0.0/tcp/7070".into()],
            bootstrap: Vec::new(),
            relay: None,
            cache_bytes: crate::storage::DEFAULT_CACHE_BYTES,
            log_format: LogFormat::Text,
            log: "info,libp2p_swarm=warn,libp2p_gossipsub=warn".into(),
            public_url: None,
            mail_relay: None,
            mail_port: None,
            mail_security: crate::mail::Security::default(),
            mail_user: None,
            mail_password_file: None,
            mail_ca_file: None,
            mail_from: None,
            mail_to: Vec::new(),
        }
    }
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not valid TOML for a config.
    #[error("config file {path} is invalid: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, with line and column.
        message: String,
    },
    /// An environment variable has a value that does not parse.
    #[error("environment variable {name}={value:?} is invalid: {message}")]
    Env {
        /// The variable.
        name: String,
        /// Its value.
        value: String,
        /// What is wrong.
        message: String,
    },
    /// The e-mail settings do not fit together or an address is not one.
    #[error("the e-mail settings are invalid: {0}")]
    Mail(String),
}

impl Config {
    /// Loads defaults, then `file` if given, then `SAMVERKA_*` variables from `env`, and checks
    /// that the `mail_*` keys fit together (the files they name are read by [`Config::mail`] when
    /// the node starts, so a command that only talks to a node needs no access to them).
    pub fn load(file: Option<&Path>, env: impl IntoIterator<Item = (String, String)>) -> Result<Config, Error> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| Error::Read { path: path.into(), source })?;
                toml::from_str(&text).map_err(|e| Error::Parse { path: path.into(), message: e.to_string() })?
            }
            None => Config::default(),
        };
        for (name, value) in env {
            config.apply_env(&name, &value)?;
        }
        crate::mail::Settings::check(&config).map_err(Error::Mail)?;
        Ok(config)
    }

    fn apply_env(&mut self, name: &str, value: &str) -> Result<(), Error> {
        let bad = |message: String| Error::Env { name: name.into(), value: value.into(), message };
        let list = |v: &str| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect();
        match name {
            "SAMVERKA_DATA_DIR" => self.data_dir = value.into(),
            "SAMVERKA_API_LISTEN" => self.api_listen = value.parse().map_err(|e| bad(format!("{e}")))?,
            "SAMVERKA_API_TOKEN" => self.api_token = Some(value.into()),
            "SAMVERKA_API_HOSTS" => self.api_hosts = list(value),
            "SAMVERKA_API_MAX_CONNECTIONS" => {
                self.api_max_connections = value.parse().map_err(|e| bad(format!("{e}")))?
            }
            "SAMVERKA_API_WRITES_PER_SECOND" => {
                self.api_writes_per_second = value.parse().map_err(|e| bad(format!("{e}")))?
            }
            "SAMVERKA_API_TRUSTED_PROXY" => {
                self.api_trusted_proxy = Some(value.parse().map_err(|e| bad(format!("{e}")))?)
            }
            "SAMVERKA_API_TLS_CERT" => self.api_tls_cert = Some(value.into()),
            "SAMVERKA_API_TLS_KEY" => self.api_tls_key = Some(value.into()),
            "SAMVERKA_P2P_LISTEN" => self.p2p_listen = list(value),
            "SAMVERKA_BOOTSTRAP" => self.bootstrap = list(value),
            "SAMVERKA_RELAY" => self.relay = Some(value.into()),
            "SAMVERKA_CACHE_BYTES" => self.cache_bytes = value.parse().map_err(|e| bad(format!("{e}")))?,
            "SAMVERKA_LOG_FORMAT" => {
                self.log_format = match value {
                    "text" => LogFormat::Text,
                    "json" => LogFormat::Json,
                    _ => return Err(bad("expected text or json".into())),
                }
            }
            "SAMVERKA_LOG" => self.log = value.into(),
            "SAMVERKA_PUBLIC_URL" => self.public_url = Some(value.into()),
            "SAMVERKA_MAIL_RELAY" => self.mail_relay = Some(value.into()),
            "SAMVERKA_MAIL_PORT" => self.mail_port = Some(value.parse().map_err(|e| bad(format!("{e}")))?),
            "SAMVERKA_MAIL_SECURITY" => {
                self.mail_security = match value {
                    "none" => crate::mail::Security::None,
                    "starttls" => crate::mail::Security::Starttls,
                    "tls" => crate::mail::Security::Tls,
                    _ => return Err(bad("expected none, starttls or tls".into())),
                }
            }
            "SAMVERKA_MAIL_USER" => self.mail_user = Some(value.into()),
            "SAMVERKA_MAIL_PASSWORD_FILE" => self.mail_password_file = Some(value.into()),
            "SAMVERKA_MAIL_CA_FILE" => self.mail_ca_file = Some(value.into()),
            "SAMVERKA_MAIL_FROM" => self.mail_from = Some(value.into()),
            "SAMVERKA_MAIL_TO" => self.mail_to = list(value),
            _ => {}
        }
        Ok(())
    }

    /// The API's TLS configuration from `api_tls_cert` and `api_tls_key`, read and checked now:
    /// `None` when neither is set (plain http).
    pub fn api_tls(&self) -> Result<Option<std::sync::Arc<rustls::ServerConfig>>, crate::api::tls::Error> {
        crate::api::tls::load(self.api_tls_cert.as_deref(), self.api_tls_key.as_deref())
    }

    /// The e-mail settings, checked now with the password and CA files read: `None` when
    /// `mail_relay` is unset (no e-mail).
    pub fn mail(&self) -> Result<Option<crate::mail::Settings>, Error> {
        crate::mail::Settings::from_config(self).map_err(Error::Mail)
    }

    /// The store's directory.
    pub fn store_dir(&self) -> PathBuf {
        self.data_dir.join("store")
    }

    /// The node key file.
    pub fn node_key_file(&self) -> PathBuf {
        self.data_dir.join("node.key")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_file_and_defaults() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("samverka.toml");
        std::fs::write(&file, "data_dir = \"/srv/samverka\"\nlog = \"debug\"\n").expect("write");
        let env = [("SAMVERKA_LOG".to_string(), "warn".to_string()), ("HOME".into(), "/root".into())];
        let config = Config::load(Some(&file), env).expect("loads");
        assert_eq!(config.data_dir, PathBuf::from("/srv/samverka"));
        assert_eq!(config.log, "warn");
        assert_eq!(config.api_listen, Config::default().api_listen);
    }

    #[test]
    fn rejects_unknown_keys_naming_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("samverka.toml");
        std::fs::write(&file, "data_dri = \"x\"\n").expect("write");
        let err = Config::load(Some(&file), []).expect_err("typo is an error");
        assert!(err.to_string().contains("data_dri"), "{err}");
    }

    fn load_text(text: &str) -> Result<Config, Error> {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("samverka.toml");
        std::fs::write(&file, text).expect("write");
        Config::load(Some(&file), [])
    }

    #[test]
    fn mail_settings_load_and_are_off_by_default() {
        assert!(Config::default().mail().expect("valid").is_none());
        let config = load_text(
            "mail_relay = \"smtp.kommun.se\"\nmail_from = \"samverka@kommun.se\"\n\
             mail_to = [\"objektspecialist@kommun.se\", \"it-drift@kommun.se\"]\n\
             public_url = \"https://samverka.kommun.se/\"\n",
        )
        .expect("loads");
        let mail = config.mail().expect("valid").expect("configured");
        assert_eq!((mail.relay.as_str(), mail.port), ("smtp.kommun.se", 25));
        assert_eq!(mail.security, crate::mail::Security::Starttls, "STARTTLS unless told otherwise");
        assert_eq!(mail.login, None);
        assert_eq!(mail.to.len(), 2);
        assert_eq!(mail.public_url.as_deref(), Some("https://samverka.kommun.se"));
    }

    /// A relay, a sender and a recipient: the keys every mail case below adds to.
    const MAIL: &str = "mail_relay = \"smtp\"\nmail_from = \"s@kommun.se\"\nmail_to = [\"a@kommun.se\"]\n";

    #[test]
    fn mail_settings_that_do_not_fit_are_refused_naming_what_to_fix() {
        let cases: [(&str, &str); 14] = [
            ("mail_relay = \"smtp\"\nmail_to = [\"a@kommun.se\"]\n", "mail_from"),
            ("mail_relay = \"smtp\"\nmail_from = \"s@kommun.se\"\n", "mail_to"),
            ("mail_relay = \"smtp\"\nmail_from = \"s@kommun.se\"\nmail_to = [\"a@kommun.se\", \"nej\"]\n", "\"nej\""),
            ("mail_relay = \"smtp\"\nmail_from = \"s kommun\"\nmail_to = [\"a@kommun.se\"]\n", "\"s kommun\""),
            ("mail_to = [\"a@kommun.se\"]\n", "mail_relay"),
            (
                "mail_relay = \"smtp\"\nmail_port = 0\nmail_from = \"s@kommun.se\"\nmail_to = [\"a@kommun.se\"]\n",
                "mail_port",
            ),
            ("public_url = \"samverka.kommun.se\"\n", "public_url"),
            ("mail_user = \"samverka\"\n", "mail_relay"),
            (&format!("{MAIL}mail_user = \"samverka\"\n"), "mail_password_file"),
            (&format!("{MAIL}mail_password_file = \"/etc/samverka/smtp\"\n"), "mail_user"),
            (&format!("{MAIL}mail_user = \" \"\nmail_password_file = \"/p\"\n"), "mail_user is empty"),
            (
                &format!("{MAIL}mail_security = \"none\"\nmail_user = \"s\"\nmail_password_file = \"/p\"\n"),
                "unencrypted",
            ),
            (&format!("{MAIL}mail_security = \"none\"\nmail_ca_file = \"/ca.pem\"\n"), "mail_ca_file"),
            (&format!("{MAIL}mail_security = \"ssl\"\n"), "starttls"),
        ];
        for (text, named) in cases {
            let err = load_text(text).expect_err(text).to_string();
            assert!(err.contains(named), "{text}: {err}");
        }
    }

    #[test]
    fn implicit_tls_defaults_to_port_465_and_the_environment_sets_the_mail_keys() {
        let config = load_text(&format!("{MAIL}mail_security = \"tls\"\n")).expect("loads");
        assert_eq!(config.mail().expect("valid").expect("configured").port, 465);
        let env = [
            ("SAMVERKA_MAIL_RELAY", "smtp.kommun.se"),
            ("SAMVERKA_MAIL_FROM", "s@kommun.se"),
            ("SAMVERKA_MAIL_TO", "a@kommun.se"),
            ("SAMVERKA_MAIL_SECURITY", "none"),
            ("SAMVERKA_MAIL_PORT", "2525"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        let config = Config::load(None, env).expect("loads");
        let mail = config.mail().expect("valid").expect("configured");
        assert_eq!((mail.security, mail.port), (crate::mail::Security::None, 2525));
        let bad = [("SAMVERKA_MAIL_SECURITY".to_owned(), "ssl".to_owned())];
        assert!(Config::load(None, bad).expect_err("refused").to_string().contains("none, starttls or tls"));
    }

    #[test]
    fn the_password_file_is_read_at_start_and_refused_when_open_to_all_or_empty() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("smtp-password");
        std::fs::write(&file, "hemligt lösen\n").expect("write");
        let text = format!("{MAIL}mail_user = \"samverka\"\nmail_password_file = {:?}\n", file.display().to_string());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
            let config = load_text(&text).expect("the keys fit: the file is not read on load");
            let err = config.mail().expect_err("open to all").to_string();
            assert!(err.contains("chmod 600") && err.contains("0644"), "{err}");
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        }
        let config = load_text(&text).expect("loads");
        let mail = config.mail().expect("valid").expect("configured");
        let login = mail.login.clone().expect("a login");
        assert_eq!(login.user, "samverka");
        assert_eq!(login.password, crate::mail::Password::new("hemligt lösen"), "the line break is not part of it");
        assert!(!format!("{mail:?}").contains("hemligt"), "Debug never shows the password");
        std::fs::write(&file, "\n").expect("write");
        assert!(config.mail().expect_err("empty").to_string().contains("one line"));
        std::fs::remove_file(&file).expect("remove");
        let err = config.mail().expect_err("missing").to_string();
        assert!(err.contains("cannot read mail_password_file"), "{err}");
    }

    #[test]
    fn the_ca_file_must_hold_a_certificate() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("ca.pem");
        std::fs::write(&file, "inte ett certifikat\n").expect("write");
        let config = load_text(&format!("{MAIL}mail_ca_file = {:?}\n", file.display().to_string())).expect("loads");
        let err = config.mail().expect_err("no certificate").to_string();
        assert!(err.contains("holds no certificate"), "{err}");
        let cert = rcgen::generate_simple_self_signed(vec!["smtp.kommun.se".into()]).expect("a certificate");
        std::fs::write(&file, cert.cert.pem()).expect("write");
        assert_eq!(config.mail().expect("valid").expect("configured").ca.len(), 1);
    }

    #[test]
    fn committed_example_config_loads() {
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../samverka.example.toml");
        Config::load(Some(&example), []).expect("the example config is valid");
    }
}
