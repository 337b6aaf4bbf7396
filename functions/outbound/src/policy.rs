//! Which addresses outbound requests may reach.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Address classes outbound requests may reach. Public addresses are always allowed;
/// unspecified, broadcast and multicast addresses never are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetPolicy {
    /// 127.0.0.0/8 and ::1. The local engine allows it by default (local STAC items and
    /// callbacks to a client on the same machine are its normal use).
    pub allow_loopback: bool,
    /// RFC 1918 / RFC 4193 / CGNAT ranges.
    pub allow_private: bool,
    /// 169.254.0.0/16 and fe80::/10, which hold the cloud metadata endpoints
    /// (169.254.169.254, fd00:ec2::254 is covered by `allow_private`).
    pub allow_link_local: bool,
}

impl NetPolicy {
    /// The AWS engine's default: public addresses only.
    pub const PUBLIC_ONLY: NetPolicy = NetPolicy {
        allow_loopback: false,
        allow_private: false,
        allow_link_local: false,
    };

    /// The local engine's default: public addresses and loopback.
    pub const LOCAL_DEFAULT: NetPolicy = NetPolicy {
        allow_loopback: true,
        allow_private: false,
        allow_link_local: false,
    };

    /// `None` if the address may be reached, else the rule that refuses it.
    pub fn check(&self, ip: IpAddr) -> Option<&'static str> {
        let ip = match ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(v6),
            },
            v4 => v4,
        };
        match ip {
            IpAddr::V4(v4) => self.check_v4(v4),
            IpAddr::V6(v6) => self.check_v6(v6),
        }
    }

    fn check_v4(&self, ip: Ipv4Addr) -> Option<&'static str> {
        let o = ip.octets();
        if ip.is_unspecified() || ip.is_broadcast() || ip.is_multicast() || o[0] == 0 {
            return Some("unspecified, broadcast or multicast address");
        }
        if ip.is_loopback() {
            return (!self.allow_loopback).then_some("loopback address");
        }
        if ip.is_link_local() {
            return (!self.allow_link_local).then_some("link-local address (cloud metadata)");
        }
        let cgnat = o[0] == 100 && (64..128).contains(&o[1]);
        if ip.is_private() || cgnat || o[0] >= 240 {
            return (!self.allow_private).then_some("private address");
        }
        None
    }

    fn check_v6(&self, ip: Ipv6Addr) -> Option<&'static str> {
        let s = ip.segments();
        if ip.is_unspecified() || ip.is_multicast() {
            return Some("unspecified or multicast address");
        }
        if ip.is_loopback() {
            return (!self.allow_loopback).then_some("loopback address");
        }
        if s[0] & 0xffc0 == 0xfe80 {
            return (!self.allow_link_local).then_some("link-local address (cloud metadata)");
        }
        if s[0] & 0xfe00 == 0xfc00 {
            return (!self.allow_private).then_some("private address");
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_metadata_and_private_by_default() {
        let p = NetPolicy::PUBLIC_ONLY;
        for bad in [
            "169.254.169.254",
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.20.0.1",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:169.254.169.254",
        ] {
            assert!(p.check(bad.parse().unwrap()).is_some(), "{bad}");
        }
        for good in ["52.92.1.1", "2600:1f18::1", "8.8.8.8"] {
            assert!(p.check(good.parse().unwrap()).is_none(), "{good}");
        }
        let local = NetPolicy::LOCAL_DEFAULT;
        assert!(local.check("127.0.0.1".parse().unwrap()).is_none());
        assert!(local.check("169.254.169.254".parse().unwrap()).is_some());
    }
}
