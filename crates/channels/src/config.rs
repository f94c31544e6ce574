//! Channel configuration: the platforms' secrets, held in
//! [`SecretString`]s (redacted `Debug`, never logged) and the API base URLs,
//! configurable so tests run against local mock servers.
//!
//! A platform is enabled when its secrets are set; a platform with only some
//! of them set is a configuration error naming the missing variables.

use secrecy::SecretString;

pub const DEFAULT_GRAPH_URL: &str = "https://graph.facebook.com/v21.0";
pub const DEFAULT_TELEGRAM_API_URL: &str = "https://api.telegram.org";

#[derive(Debug, Clone)]
pub struct MessengerConfig {
    pub app_secret: SecretString,
    pub verify_token: SecretString,
    pub page_token: SecretString,
    pub graph_url: String,
}

#[derive(Debug, Clone)]
pub struct WhatsAppConfig {
    pub app_secret: SecretString,
    pub verify_token: SecretString,
    pub token: SecretString,
    pub graph_url: String,
    /// The template for messages outside the 24-hour customer service
    /// window (`ANUMATI_WHATSAPP_TEMPLATE`, `ANUMATI_WHATSAPP_TEMPLATE_LANGUAGE`,
    /// default `en`); without one such messages are not sent.
    pub template: Option<WhatsAppTemplate>,
}

/// A WhatsApp message template the bank had approved, with one body
/// parameter that carries the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhatsAppTemplate {
    pub name: String,
    pub language: String,
}

#[derive(Debug, Clone)]
pub struct TelegramConfig {
    pub bot_token: SecretString,
    pub secret_token: SecretString,
    pub api_url: String,
}

/// Which platforms are enabled, with their secrets.
#[derive(Debug, Clone, Default)]
pub struct ChannelsConfig {
    pub messenger: Option<MessengerConfig>,
    pub whatsapp: Option<WhatsAppConfig>,
    pub telegram: Option<TelegramConfig>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{platform} is partly configured: {missing:?} not set")]
pub struct ConfigError {
    pub platform: &'static str,
    pub missing: Vec<&'static str>,
}

struct Group<'a, F: Fn(&str) -> Option<String>> {
    lookup: &'a F,
    missing: Vec<&'static str>,
    any: bool,
}

impl<F: Fn(&str) -> Option<String>> Group<'_, F> {
    fn secret(&mut self, key: &'static str) -> SecretString {
        match (self.lookup)(key).filter(|v| !v.is_empty()) {
            Some(v) => {
                self.any = true;
                SecretString::from(v)
            }
            None => {
                self.missing.push(key);
                SecretString::from("")
            }
        }
    }

    fn finish<T>(self, platform: &'static str, value: T) -> Result<Option<T>, ConfigError> {
        match (self.any, self.missing.is_empty()) {
            (false, _) => Ok(None),
            (true, true) => Ok(Some(value)),
            (true, false) => Err(ConfigError {
                platform,
                missing: self.missing,
            }),
        }
    }
}

impl ChannelsConfig {
    /// Reads the `ANUMATI_MESSENGER_*`, `ANUMATI_WHATSAPP_*` and
    /// `ANUMATI_TELEGRAM_*` environment variables.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// As [`ChannelsConfig::from_env`], with any key → value lookup (a
    /// config file, a test map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let url = |key: &str, default: &str| {
            lookup(key)
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| default.to_owned())
                .trim_end_matches('/')
                .to_owned()
        };

        let mut g = Group {
            lookup: &lookup,
            missing: Vec::new(),
            any: false,
        };
        let messenger = MessengerConfig {
            app_secret: g.secret("ANUMATI_MESSENGER_APP_SECRET"),
            verify_token: g.secret("ANUMATI_MESSENGER_VERIFY_TOKEN"),
            page_token: g.secret("ANUMATI_MESSENGER_PAGE_TOKEN"),
            graph_url: url("ANUMATI_MESSENGER_GRAPH_URL", DEFAULT_GRAPH_URL),
        };
        let messenger = g.finish("messenger", messenger)?;

        let mut g = Group {
            lookup: &lookup,
            missing: Vec::new(),
            any: false,
        };
        let whatsapp = WhatsAppConfig {
            app_secret: g.secret("ANUMATI_WHATSAPP_APP_SECRET"),
            verify_token: g.secret("ANUMATI_WHATSAPP_VERIFY_TOKEN"),
            token: g.secret("ANUMATI_WHATSAPP_TOKEN"),
            graph_url: url("ANUMATI_WHATSAPP_GRAPH_URL", DEFAULT_GRAPH_URL),
            template: lookup("ANUMATI_WHATSAPP_TEMPLATE")
                .filter(|v| !v.is_empty())
                .map(|name| WhatsAppTemplate {
                    name,
                    language: lookup("ANUMATI_WHATSAPP_TEMPLATE_LANGUAGE")
                        .filter(|v| !v.is_empty())
                        .unwrap_or_else(|| "en".into()),
                }),
        };
        let whatsapp = g.finish("whatsapp", whatsapp)?;

        let mut g = Group {
            lookup: &lookup,
            missing: Vec::new(),
            any: false,
        };
        let telegram = TelegramConfig {
            bot_token: g.secret("ANUMATI_TELEGRAM_BOT_TOKEN"),
            secret_token: g.secret("ANUMATI_TELEGRAM_SECRET_TOKEN"),
            api_url: url("ANUMATI_TELEGRAM_API_URL", DEFAULT_TELEGRAM_API_URL),
        };
        let telegram = g.finish("telegram", telegram)?;

        Ok(ChannelsConfig {
            messenger,
            whatsapp,
            telegram,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn reads_all_and_debug_redacts() {
        let c = ChannelsConfig::from_lookup(lookup(&[
            ("ANUMATI_MESSENGER_APP_SECRET", "msecret-AAA"),
            ("ANUMATI_MESSENGER_VERIFY_TOKEN", "mverify-BBB"),
            ("ANUMATI_MESSENGER_PAGE_TOKEN", "mpage-CCC"),
            ("ANUMATI_MESSENGER_GRAPH_URL", "http://127.0.0.1:9/"),
            ("ANUMATI_WHATSAPP_APP_SECRET", "wsecret-DDD"),
            ("ANUMATI_WHATSAPP_VERIFY_TOKEN", "wverify-EEE"),
            ("ANUMATI_WHATSAPP_TOKEN", "wtoken-FFF"),
            ("ANUMATI_TELEGRAM_BOT_TOKEN", "123:tgbot-GGG"),
            ("ANUMATI_TELEGRAM_SECRET_TOKEN", "tgsecret-HHH"),
        ]))
        .unwrap();
        let m = c.messenger.as_ref().unwrap();
        assert_eq!(m.app_secret.expose_secret(), "msecret-AAA");
        assert_eq!(m.graph_url, "http://127.0.0.1:9");
        assert_eq!(c.whatsapp.as_ref().unwrap().graph_url, DEFAULT_GRAPH_URL);
        assert_eq!(
            c.telegram.as_ref().unwrap().api_url,
            DEFAULT_TELEGRAM_API_URL
        );
        let debug = format!("{c:?}");
        for s in ["AAA", "BBB", "CCC", "DDD", "EEE", "FFF", "GGG", "HHH"] {
            assert!(!debug.contains(s), "{s} leaked in {debug}");
        }
    }

    #[test]
    fn absent_platform_disabled_partial_platform_error() {
        let c = ChannelsConfig::from_lookup(lookup(&[])).unwrap();
        assert!(c.messenger.is_none() && c.whatsapp.is_none() && c.telegram.is_none());
        let e = ChannelsConfig::from_lookup(lookup(&[("ANUMATI_TELEGRAM_BOT_TOKEN", "1:x")]))
            .unwrap_err();
        assert_eq!(e.platform, "telegram");
        assert_eq!(e.missing, vec!["ANUMATI_TELEGRAM_SECRET_TOKEN"]);
    }
}
