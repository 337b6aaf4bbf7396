//! The guarded HTTP client.

use std::net::{IpAddr, SocketAddr};
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{CONTENT_RANGE, RANGE};
use url::Url;

use crate::error::{Error, Result};
use crate::policy::NetPolicy;

/// Timeouts, retries and size limits of outbound requests.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Time to establish a connection.
    pub connect_timeout: Duration,
    /// Time for a whole request, body included.
    pub request_timeout: Duration,
    /// Attempts per request (1 = no retry). Retried: connection errors, timeouts, 429, 5xx.
    pub attempts: u32,
    /// First backoff delay; doubles per retry.
    pub backoff: Duration,
    /// Largest whole document fetched by [`HttpClient::get_bytes`].
    pub max_document_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            attempts: 4,
            backoff: Duration::from_millis(200),
            max_document_bytes: 16 * 1024 * 1024,
        }
    }
}

/// An HTTP client that only reaches addresses its [`NetPolicy`] allows: host names are resolved
/// by a resolver that drops refused addresses (so DNS rebinding cannot sneak past a check),
/// IP literals are checked before connecting, and every redirect hop is checked again.
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    policy: NetPolicy,
    limits: Limits,
}

struct GuardedResolver {
    policy: NetPolicy,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = addrs
                .iter()
                .copied()
                .filter(|a| policy.check(a.ip()).is_none())
                .collect();
            if allowed.is_empty() {
                let why = addrs
                    .first()
                    .and_then(|a| policy.check(a.ip()))
                    .unwrap_or("no address");
                return Err(format!("{host} resolves only to refused addresses ({why})").into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

impl HttpClient {
    /// A client with this policy and these limits.
    pub fn new(policy: NetPolicy, limits: Limits) -> Self {
        let redirect_policy = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= 5 {
                return attempt.error("more than 5 redirects");
            }
            match literal_refusal(attempt.url(), policy) {
                Some(why) => attempt.error(why),
                None => attempt.follow(),
            }
        });
        let client = reqwest::Client::builder()
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver { policy }))
            .redirect(redirect_policy)
            .connect_timeout(limits.connect_timeout)
            .timeout(limits.request_timeout)
            .user_agent(concat!("stratus/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        HttpClient {
            client,
            policy,
            limits,
        }
    }

    /// The policy.
    pub fn policy(&self) -> NetPolicy {
        self.policy
    }

    fn checked_url(&self, url: &str) -> Result<Url> {
        let bad = |reason: &str| Error::BadUrl {
            url: redact(url),
            reason: reason.into(),
        };
        let parsed = Url::parse(url).map_err(|e| bad(&e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(bad("only http and https are fetched"));
        }
        if parsed.host_str().is_none() {
            return Err(bad("no host"));
        }
        if let Some(ip) = host_ip(&parsed)
            && let Some(why) = self.policy.check(ip)
        {
            return Err(Error::Forbidden {
                url: redact(url),
                addr: ip.to_string(),
                why,
            });
        }
        Ok(parsed)
    }

    async fn send_with_retries(
        &self,
        url: &Url,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response> {
        let mut delay = self.limits.backoff;
        let mut attempt = 1;
        loop {
            let err = match build().send().await {
                Ok(resp) if resp.status().is_success() => return Ok(resp),
                Ok(resp) => Error::Status {
                    url: redact(url.as_str()),
                    status: resp.status().as_u16(),
                },
                Err(e) => self.transport_error(url, &e),
            };
            if !err.is_transient() || attempt >= self.limits.attempts {
                return Err(err);
            }
            tracing::debug!(url = %redact(url.as_str()), attempt, error = %err, "retrying");
            tokio::time::sleep(delay).await;
            delay *= 2;
            attempt += 1;
        }
    }

    fn transport_error(&self, url: &Url, e: &reqwest::Error) -> Error {
        let mut reason = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            reason = format!("{reason}: {s}");
            source = s.source();
        }
        if e.is_redirect() {
            return Error::Forbidden {
                url: redact(url.as_str()),
                addr: reason,
                why: "redirected to a URL the network policy refuses",
            };
        }
        if reason.contains("refused addresses") {
            return Error::Forbidden {
                url: redact(url.as_str()),
                addr: url.host_str().unwrap_or_default().to_string(),
                why: "resolves to an address the network policy refuses",
            };
        }
        Error::Unreachable {
            url: redact(url.as_str()),
            reason,
        }
    }

    /// GETs a whole document of at most `Limits::max_document_bytes`, with its declared media
    /// type.
    pub async fn get_bytes(&self, url: &str) -> Result<(Bytes, Option<String>)> {
        let parsed = self.checked_url(url)?;
        let limit = self.limits.max_document_bytes;
        let resp = self
            .send_with_retries(&parsed, || self.client.get(parsed.clone()))
            .await?;
        let media_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok((read_limited(resp, &parsed, limit).await?, media_type))
    }

    /// GETs a byte range (end exclusive) with a `Range` request. A server that ignores `Range`
    /// is refused rather than downloaded whole.
    pub async fn get_range(&self, url: &str, range: Range<u64>) -> Result<Bytes> {
        let parsed = self.checked_url(url)?;
        if range.end <= range.start {
            return Ok(Bytes::new());
        }
        let header = format!("bytes={}-{}", range.start, range.end - 1);
        let resp = self
            .send_with_retries(&parsed, || {
                self.client
                    .get(parsed.clone())
                    .header(RANGE, header.clone())
            })
            .await?;
        if resp.status() != reqwest::StatusCode::PARTIAL_CONTENT && range.start > 0 {
            return Err(Error::Unreachable {
                url: redact(url),
                reason: "the server does not support range requests".into(),
            });
        }
        read_limited(resp, &parsed, range.end - range.start).await
    }

    /// The size of a remote object, from `Content-Range` of a one-byte range request (works
    /// on servers and presigned URLs that refuse HEAD).
    pub async fn content_length(&self, url: &str) -> Result<u64> {
        let parsed = self.checked_url(url)?;
        let resp = self
            .send_with_retries(&parsed, || {
                self.client.get(parsed.clone()).header(RANGE, "bytes=0-0")
            })
            .await?;
        let total = resp
            .headers()
            .get(CONTENT_RANGE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit('/').next())
            .and_then(|n| n.parse::<u64>().ok())
            .or_else(|| {
                (resp.status() == reqwest::StatusCode::OK)
                    .then(|| resp.content_length())
                    .flatten()
            });
        total.ok_or_else(|| Error::Unreachable {
            url: redact(url),
            reason: "the server reports no size".into(),
        })
    }

    /// POSTs a JSON document and returns the response body (at most
    /// `Limits::max_document_bytes`) with its media type; any 2xx is success.
    pub async fn post_json_for(
        &self,
        url: &str,
        body: &serde_json::Value,
    ) -> Result<(Bytes, Option<String>)> {
        let parsed = self.checked_url(url)?;
        let resp = self
            .send_with_retries(&parsed, || {
                self.client
                    .post(parsed.clone())
                    .header(
                        reqwest::header::ACCEPT,
                        "application/geo+json, application/json",
                    )
                    .json(body)
            })
            .await?;
        let media_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok((
            read_limited(resp, &parsed, self.limits.max_document_bytes).await?,
            media_type,
        ))
    }

    /// POSTs a JSON document; any 2xx is success.
    pub async fn post_json(&self, url: &str, body: &serde_json::Value) -> Result<()> {
        let parsed = self.checked_url(url)?;
        self.send_with_retries(&parsed, || self.client.post(parsed.clone()).json(body))
            .await
            .map(|_| ())
    }
}

async fn read_limited(resp: reqwest::Response, url: &Url, limit: u64) -> Result<Bytes> {
    if resp.content_length().is_some_and(|n| n > limit) {
        return Err(Error::TooLarge {
            url: redact(url.as_str()),
            limit,
        });
    }
    let mut body = BytesMut::new();
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| Error::Unreachable {
            url: redact(url.as_str()),
            reason: e.to_string(),
        })?;
        if (body.len() + chunk.len()) as u64 > limit {
            return Err(Error::TooLarge {
                url: redact(url.as_str()),
                limit,
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

fn host_ip(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        url::Host::Domain(_) => None,
    }
}

fn literal_refusal(url: &Url, policy: NetPolicy) -> Option<&'static str> {
    if !matches!(url.scheme(), "http" | "https") {
        return Some("redirect to a non-http URL");
    }
    host_ip(url).and_then(|ip| policy.check(ip))
}

/// The URL without user info, query or fragment (which may hold credentials or signatures).
pub(crate) fn redact(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.set_query(None);
            u.set_fragment(None);
            u.to_string()
        }
        Err(_) => url.chars().take(200).collect(),
    }
}
