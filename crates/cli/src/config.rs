//! Configuration: a TOML file plus `ANUMATI_*` environment variables, with
//! defaults that work for the embedded demo.
//!
//! | key (file) | environment | default |
//! |---|---|---|
//! | `data` | `ANUMATI_DATA` | `./anumati-data` |
//! | `host` | `ANUMATI_HOST` | `127.0.0.1` |
//! | `port` | `ANUMATI_PORT` | `7420` |
//! | `log` | `ANUMATI_LOG` | `info` |
//! | `public_url` | `ANUMATI_PUBLIC_URL` | `http://{host}:{port}` |
//! | `[channels]` `messenger_app_secret`, … | `ANUMATI_MESSENGER_APP_SECRET`, … | off |
//!
//! The `[channels]` table takes the messaging platforms' keys named as the
//! environment variables without `ANUMATI_`, in lower case
//! (`messenger_app_secret`, `messenger_verify_token`, `messenger_page_token`,
//! `messenger_graph_url`, `whatsapp_app_secret`, `whatsapp_verify_token`,
//! `whatsapp_token`, `whatsapp_graph_url`, `whatsapp_template`,
//! `whatsapp_template_language`, `telegram_bot_token`,
//! `telegram_secret_token`, `telegram_api_url`); a platform is on when its
//! secrets are set. The public URL is where the platforms and the
//! customers' browsers reach this process (account-linking pages, chart
//! images).
//!
//! The bank's FAQ file is `ANUMATI_FAQ` (default: the FAQ the project ships)
//! and the chat app's master key `ANUMATI_MASTER_KEY`; both are read where the
//! roles are opened (`System::open`).
//!
//! The file is `anumati.toml` in the working directory, or the one named by
//! `--config`/`ANUMATI_CONFIG`. Flags beat the environment, which beats the file.

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub const DEFAULT_PORT: u16 = 7420;
pub const DEFAULT_DATA: &str = "./anumati-data";

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data: Option<PathBuf>,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub log: Option<String>,
    pub public_url: Option<String>,
    #[serde(default)]
    pub channels: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub data: PathBuf,
    pub host: String,
    pub port: u16,
    pub log: String,
    pub public_url: Option<String>,
    /// The file's `[channels]` table (the environment is read on top).
    pub channels_file: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{var}: {message}")]
    Env { var: &'static str, message: String },
}

impl Config {
    /// Loads the file (if any) and the environment.
    pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        let env_path = std::env::var_os("ANUMATI_CONFIG").map(PathBuf::from);
        let path = explicit.map(Path::to_path_buf).or(env_path);
        let file = match path {
            Some(path) => read_file(&path)?,
            None if Path::new("anumati.toml").is_file() => read_file(Path::new("anumati.toml"))?,
            None => FileConfig::default(),
        };
        let port = match std::env::var("ANUMATI_PORT") {
            Ok(p) => Some(p.parse().map_err(|_| ConfigError::Env {
                var: "ANUMATI_PORT",
                message: format!("{p:?} is not a port number"),
            })?),
            Err(_) => file.port,
        };
        Ok(Config {
            data: std::env::var_os("ANUMATI_DATA")
                .map(PathBuf::from)
                .or(file.data)
                .unwrap_or_else(|| DEFAULT_DATA.into()),
            host: std::env::var("ANUMATI_HOST")
                .ok()
                .or(file.host)
                .unwrap_or_else(|| "127.0.0.1".into()),
            port: port.unwrap_or(DEFAULT_PORT),
            log: std::env::var("ANUMATI_LOG")
                .ok()
                .or(file.log)
                .unwrap_or_else(|| "info".into()),
            public_url: std::env::var("ANUMATI_PUBLIC_URL").ok().or(file.public_url),
            channels_file: file.channels,
        })
    }
}

impl Config {
    /// The messaging platforms' configuration: `ANUMATI_*` variables first,
    /// then the file's `[channels]` table.
    pub fn channels(
        &self,
    ) -> Result<anumati_channels::ChannelsConfig, anumati_channels::config::ConfigError> {
        let file = &self.channels_file;
        anumati_channels::ChannelsConfig::from_lookup(|key| {
            std::env::var(key).ok().or_else(|| {
                let short = key.trim_start_matches("ANUMATI_").to_lowercase();
                file.get(&short).cloned()
            })
        })
    }

    /// Where customers and platforms reach this process.
    pub fn public_url(&self, bound: std::net::SocketAddr) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{bound}"))
    }
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::Parse {
        path: path.to_owned(),
        message: e.to_string(),
    })
}
