//! Configuration of the AWS engine, read once per cold start from the environment the SAM
//! template sets.
//!
//! | Variable | Meaning | Default |
//! |---|---|---|
//! | `STRATUS_JOBS_TABLE` | DynamoDB table of job records | required |
//! | `STRATUS_BUCKET` | S3 bucket of requests, plans, item results and published files | required |
//! | `STRATUS_STATE_MACHINE_ARN` | the job state machine (only functions that start or stop jobs) | none |
//! | `STRATUS_PUBLIC_URL` | base URL of the API for links | from each request's headers |
//! | `STRATUS_ALLOW_LOOPBACK` | outbound requests may reach 127.0.0.0/8 (emulator tests) | `false` |
//! | `STRATUS_ALLOW_PRIVATE` | outbound requests may reach private ranges | `false` |
//! | `STRATUS_PRESIGN_SECS` | lifetime of presigned download URLs | `3600` |
//! | `STRATUS_DISMISSED_TTL_DAYS` | days a dismissed job stays listed before DynamoDB TTL removes it | `30` |
//! | `AWS_ENDPOINT_URL` | emulator endpoint; S3 then uses path-style addressing | AWS |

use std::time::Duration;

use stratus_outbound::NetPolicy;

use crate::error::{Error, Result};

/// Settings of the AWS engine.
#[derive(Debug, Clone, PartialEq)]
pub struct AwsConfig {
    /// DynamoDB table of job records.
    pub jobs_table: String,
    /// S3 bucket of everything the engine stores.
    pub bucket: String,
    /// ARN of the job state machine, where this function starts or stops jobs.
    pub state_machine_arn: Option<String>,
    /// Base URL of the API for absolute links.
    pub public_url: Option<String>,
    /// Which addresses outbound requests (inputs by reference, callbacks) may reach.
    pub net_policy: NetPolicy,
    /// Lifetime of presigned download URLs.
    pub presign_ttl: Duration,
    /// How long a dismissed job stays listed.
    pub dismissed_ttl: Duration,
    /// A custom endpoint (an emulator), if set.
    pub endpoint_url: Option<String>,
}

impl AwsConfig {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let required = |name: &'static str| get(name).ok_or(Error::MissingEnv(name));
        let flag = |name: &'static str| -> Result<bool> {
            match get(name).as_deref().map(str::to_ascii_lowercase).as_deref() {
                None | Some("false" | "0" | "no") => Ok(false),
                Some("true" | "1" | "yes") => Ok(true),
                Some(other) => Err(Error::BadEnv {
                    name,
                    reason: format!("'{other}' is not true or false"),
                }),
            }
        };
        let number = |name: &'static str, default: u64| -> Result<u64> {
            match get(name) {
                None => Ok(default),
                Some(v) => v.trim().parse().map_err(|_| Error::BadEnv {
                    name,
                    reason: format!("'{v}' is not a whole number"),
                }),
            }
        };
        let net_policy = NetPolicy {
            allow_loopback: flag("STRATUS_ALLOW_LOOPBACK")?,
            allow_private: flag("STRATUS_ALLOW_PRIVATE")?,
            ..NetPolicy::PUBLIC_ONLY
        };
        let presign = number("STRATUS_PRESIGN_SECS", 3600)?;
        if !(1..=7 * 24 * 3600).contains(&presign) {
            return Err(Error::BadEnv {
                name: "STRATUS_PRESIGN_SECS",
                reason: format!("{presign} is not between 1 and 604800 (7 days)"),
            });
        }
        Ok(AwsConfig {
            jobs_table: required("STRATUS_JOBS_TABLE")?,
            bucket: required("STRATUS_BUCKET")?,
            state_machine_arn: get("STRATUS_STATE_MACHINE_ARN"),
            public_url: get("STRATUS_PUBLIC_URL").map(|u| u.trim_end_matches('/').to_string()),
            net_policy,
            presign_ttl: Duration::from_secs(presign),
            dismissed_ttl: Duration::from_secs(number("STRATUS_DISMISSED_TTL_DAYS", 30)? * 86_400),
            endpoint_url: get("AWS_ENDPOINT_URL"),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<AwsConfig> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        AwsConfig::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_are_public_only() {
        let c = config(&[("STRATUS_JOBS_TABLE", "jobs"), ("STRATUS_BUCKET", "b")]).unwrap();
        assert_eq!(c.net_policy, NetPolicy::PUBLIC_ONLY);
        assert_eq!(c.presign_ttl, Duration::from_secs(3600));
        assert_eq!(c.state_machine_arn, None);
        assert_eq!(c.endpoint_url, None);
    }

    #[test]
    fn flags_and_errors() {
        let c = config(&[
            ("STRATUS_JOBS_TABLE", "jobs"),
            ("STRATUS_BUCKET", "b"),
            ("STRATUS_ALLOW_LOOPBACK", "true"),
            ("STRATUS_PUBLIC_URL", "https://api.example.com/"),
        ])
        .unwrap();
        assert!(c.net_policy.allow_loopback && !c.net_policy.allow_link_local);
        assert_eq!(c.public_url.as_deref(), Some("https://api.example.com"));
        assert!(matches!(
            config(&[("STRATUS_BUCKET", "b")]),
            Err(Error::MissingEnv("STRATUS_JOBS_TABLE"))
        ));
        assert!(
            config(&[
                ("STRATUS_JOBS_TABLE", "jobs"),
                ("STRATUS_BUCKET", "b"),
                ("STRATUS_ALLOW_PRIVATE", "maybe"),
            ])
            .is_err()
        );
    }
}
