//! Parsing of the `Prefer` request header (RFC 7240), tolerant of what clients really send.

use stratus_core::execute::Preferences;

/// Parses every `Prefer` header value. Preferences may be separated by commas or semicolons
/// (`respond-async;return=representation` is common), with spaces anywhere, names in any case,
/// values optionally quoted. Unknown preferences are ignored.
///
/// ```
/// let p = stratus_api::parse_prefer(["respond-async ; return=representation", "wait=10"]);
/// assert!(p.respond_async);
/// assert_eq!(p.return_representation, Some(true));
/// assert_eq!(p.wait, Some(10));
/// ```
pub fn parse_prefer<'a>(values: impl IntoIterator<Item = &'a str>) -> Preferences {
    let mut prefs = Preferences::default();
    for value in values {
        for token in value.split([',', ';']) {
            let (name, val) = match token.split_once('=') {
                Some((n, v)) => (n, Some(v.trim().trim_matches('"'))),
                None => (token, None),
            };
            match (name.trim().to_ascii_lowercase().as_str(), val) {
                ("respond-async", _) => prefs.respond_async = true,
                ("wait", Some(v)) => prefs.wait = v.parse().ok().or(prefs.wait),
                ("return", Some(v)) if v.eq_ignore_ascii_case("representation") => {
                    prefs.return_representation = Some(true)
                }
                ("return", Some(v)) if v.eq_ignore_ascii_case("minimal") => {
                    prefs.return_representation = Some(false)
                }
                _ => {}
            }
        }
    }
    prefs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerant() {
        assert!(parse_prefer(["respond-async "]).respond_async);
        assert!(parse_prefer(["RESPOND-ASYNC, wait=5"]).respond_async);
        assert!(!parse_prefer(["return=minimal"]).respond_async);
        assert_eq!(
            parse_prefer(["return=\"minimal\""]).return_representation,
            Some(false)
        );
        assert_eq!(parse_prefer(["wait=abc"]).wait, None);
        assert_eq!(parse_prefer(Vec::<&str>::new()), Preferences::default());
    }
}
