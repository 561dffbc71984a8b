//! Which resolved addresses an outbound request may connect to (WEB-6).
//!
//! A URL a user gives us (an ICS feed, a CalDAV server) is resolved once, and
//! every address it resolves to must be a public unicast address: anything
//! that reaches the function's own host, its VPC, the cloud's metadata
//! service or a range nobody should be serving from is refused. IPv6 forms
//! that carry an IPv4 address (mapped, compatible, NAT64, 6to4) are judged by
//! the IPv4 address inside; tunnels whose far end cannot be judged (Teredo)
//! are refused.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// `0.0.0.0/8`, `::`.
    Unspecified,
    /// `127.0.0.0/8`, `::1`.
    Loopback,
    /// RFC 1918 ranges and the deprecated IPv6 site-local `fec0::/10`.
    Private,
    /// `100.64.0.0/10`, carrier-grade NAT.
    SharedAddressSpace,
    /// `169.254.0.0/16`, `fe80::/10`.
    LinkLocal,
    /// The instance metadata services: `169.254.169.254`, `fd00:ec2::254`.
    CloudMetadata,
    /// `fc00::/7`.
    UniqueLocal,
    /// `224.0.0.0/4`, `ff00::/8`, and the broadcast address.
    Multicast,
    /// Documentation, benchmarking, protocol-assignment and reserved ranges,
    /// and the IPv6 discard prefix: nothing legitimate is served there.
    Reserved,
    /// Teredo (`2001::/32`): the IPv4 end of the tunnel cannot be judged.
    Tunnel,
}

impl Refused {
    /// A stable name for logs and error classes.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unspecified => "unspecified",
            Self::Loopback => "loopback",
            Self::Private => "private",
            Self::SharedAddressSpace => "shared-address-space",
            Self::LinkLocal => "link-local",
            Self::CloudMetadata => "cloud-metadata",
            Self::UniqueLocal => "unique-local",
            Self::Multicast => "multicast",
            Self::Reserved => "reserved",
            Self::Tunnel => "tunnel",
        }
    }
}

/// `Ok` if an outbound request may connect to `ip`.
pub fn check(ip: IpAddr) -> Result<(), Refused> {
    match ip {
        IpAddr::V4(v4) => check_v4(v4),
        IpAddr::V6(v6) => check_v6(v6),
    }
}

fn in_v4(ip: Ipv4Addr, network: [u8; 4], prefix: u32) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    };
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(network)) & mask
}

fn check_v4(ip: Ipv4Addr) -> Result<(), Refused> {
    const RESERVED: [([u8; 4], u32); 6] = [
        ([192, 0, 0, 0], 24),    // IETF protocol assignments
        ([192, 0, 2, 0], 24),    // documentation
        ([198, 18, 0, 0], 15),   // benchmarking
        ([198, 51, 100, 0], 24), // documentation
        ([203, 0, 113, 0], 24),  // documentation
        ([240, 0, 0, 0], 4),     // reserved, and the broadcast address below it
    ];
    if ip == Ipv4Addr::new(169, 254, 169, 254) {
        return Err(Refused::CloudMetadata);
    }
    if in_v4(ip, [0, 0, 0, 0], 8) {
        return Err(Refused::Unspecified);
    }
    if in_v4(ip, [127, 0, 0, 0], 8) {
        return Err(Refused::Loopback);
    }
    if in_v4(ip, [10, 0, 0, 0], 8)
        || in_v4(ip, [172, 16, 0, 0], 12)
        || in_v4(ip, [192, 168, 0, 0], 16)
    {
        return Err(Refused::Private);
    }
    if in_v4(ip, [100, 64, 0, 0], 10) {
        return Err(Refused::SharedAddressSpace);
    }
    if in_v4(ip, [169, 254, 0, 0], 16) {
        return Err(Refused::LinkLocal);
    }
    if in_v4(ip, [224, 0, 0, 0], 4) || ip == Ipv4Addr::BROADCAST {
        return Err(Refused::Multicast);
    }
    if RESERVED
        .iter()
        .any(|(net, prefix)| in_v4(ip, *net, *prefix))
    {
        return Err(Refused::Reserved);
    }
    Ok(())
}

fn in_v6(ip: Ipv6Addr, network: [u16; 8], prefix: u32) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - prefix)
    };
    u128::from(ip) & mask == u128::from(Ipv6Addr::from(network)) & mask
}

/// The IPv4 address an IPv6 address carries in its low 32 bits.
fn low_v4(ip: Ipv6Addr) -> Ipv4Addr {
    let bits = u128::from(ip);
    Ipv4Addr::from((bits & 0xffff_ffff) as u32)
}

fn check_v6(ip: Ipv6Addr) -> Result<(), Refused> {
    if ip.is_unspecified() {
        return Err(Refused::Unspecified);
    }
    if ip.is_loopback() {
        return Err(Refused::Loopback);
    }
    // Forms that carry an IPv4 address are judged by it.
    if in_v6(ip, [0, 0, 0, 0, 0, 0xffff, 0, 0], 96)
        || in_v6(ip, [0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96)
    {
        // IPv4-mapped, and NAT64's well-known prefix.
        return check_v4(low_v4(ip));
    }
    if in_v6(ip, [0, 0, 0, 0, 0, 0, 0, 0], 96) {
        // IPv4-compatible: deprecated and unroutable; named by what it carries
        // when that is refused too.
        return check_v4(low_v4(ip)).and(Err(Refused::Reserved));
    }
    if in_v6(ip, [0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48) {
        // Local-use NAT64: the translator is inside someone's network.
        return Err(Refused::Private);
    }
    if in_v6(ip, [0x2002, 0, 0, 0, 0, 0, 0, 0], 16) {
        // 6to4 carries the IPv4 address in bits 16..48.
        let bits = u128::from(ip);
        return check_v4(Ipv4Addr::from(((bits >> 80) & 0xffff_ffff) as u32));
    }
    if in_v6(ip, [0x2001, 0, 0, 0, 0, 0, 0, 0], 32) {
        return Err(Refused::Tunnel);
    }
    if ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) {
        return Err(Refused::CloudMetadata);
    }
    if in_v6(ip, [0xfe80, 0, 0, 0, 0, 0, 0, 0], 10) {
        return Err(Refused::LinkLocal);
    }
    if in_v6(ip, [0xfec0, 0, 0, 0, 0, 0, 0, 0], 10) {
        return Err(Refused::Private);
    }
    if in_v6(ip, [0xfc00, 0, 0, 0, 0, 0, 0, 0], 7) {
        return Err(Refused::UniqueLocal);
    }
    if ip.is_multicast() {
        return Err(Refused::Multicast);
    }
    if in_v6(ip, [0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32) // documentation
        || in_v6(ip, [0x100, 0, 0, 0, 0, 0, 0, 0], 64) // discard-only
        || in_v6(ip, [0x2001, 0x2, 0, 0, 0, 0, 0, 0], 48) // benchmarking
        || in_v6(ip, [0x3fff, 0, 0, 0, 0, 0, 0, 0], 20)
    // documentation (RFC 9637)
    {
        return Err(Refused::Reserved);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn refused(s: &str) -> Option<Refused> {
        check(s.parse().expect("an address")).err()
    }

    #[test]
    fn each_refused_class_is_refused_and_public_addresses_pass() {
        let cases = [
            ("0.0.0.0", Refused::Unspecified),
            ("0.1.2.3", Refused::Unspecified),
            ("127.0.0.1", Refused::Loopback),
            ("127.255.255.254", Refused::Loopback),
            ("10.0.0.1", Refused::Private),
            ("172.16.0.1", Refused::Private),
            ("172.31.255.255", Refused::Private),
            ("192.168.1.1", Refused::Private),
            ("100.64.0.1", Refused::SharedAddressSpace),
            ("100.127.255.255", Refused::SharedAddressSpace),
            ("169.254.0.1", Refused::LinkLocal),
            ("169.254.169.254", Refused::CloudMetadata),
            ("224.0.0.1", Refused::Multicast),
            ("239.255.255.250", Refused::Multicast),
            ("255.255.255.255", Refused::Multicast),
            ("192.0.2.10", Refused::Reserved),
            ("198.18.0.1", Refused::Reserved),
            ("203.0.113.5", Refused::Reserved),
            ("240.0.0.1", Refused::Reserved),
            ("::", Refused::Unspecified),
            ("::1", Refused::Loopback),
            ("fe80::1", Refused::LinkLocal),
            ("fec0::1", Refused::Private),
            ("fc00::1", Refused::UniqueLocal),
            ("fd12:3456::1", Refused::UniqueLocal),
            ("fd00:ec2::254", Refused::CloudMetadata),
            ("ff02::1", Refused::Multicast),
            ("2001:db8::1", Refused::Reserved),
            ("3fff::1", Refused::Reserved),
            ("100::1", Refused::Reserved),
            ("2001::1", Refused::Tunnel),
            // IPv4 inside IPv6 is judged by the IPv4 address.
            ("::ffff:127.0.0.1", Refused::Loopback),
            ("::ffff:169.254.169.254", Refused::CloudMetadata),
            ("::ffff:10.1.2.3", Refused::Private),
            ("::127.0.0.1", Refused::Loopback),
            ("::93.184.216.34", Refused::Reserved),
            ("64:ff9b::a9fe:a9fe", Refused::CloudMetadata),
            ("64:ff9b:1::1", Refused::Private),
            ("2002:7f00:1::1", Refused::Loopback),
            ("2002:c0a8:101::1", Refused::Private),
        ];
        for (address, class) in cases {
            assert_eq!(refused(address), Some(class), "{address}");
        }
        for address in [
            "1.1.1.1",
            "93.184.216.34",
            "172.32.0.1",
            "100.128.0.1",
            "169.253.255.255",
            "2606:4700:4700::1111",
            "2a00:1450:4001:81a::200e",
            "::ffff:93.184.216.34",
            "64:ff9b::5db8:d822",
            "2002:5db8:d822::1",
        ] {
            assert_eq!(refused(address), None, "{address}");
        }
        assert_eq!(Refused::CloudMetadata.as_str(), "cloud-metadata");
    }

    proptest! {
        /// Every IPv4 address gets the same answer in each IPv6 form that
        /// carries it: a refused address cannot be smuggled through one.
        #[test]
        fn ipv4_inside_ipv6_is_judged_like_ipv4(bits in any::<u32>()) {
            let v4 = Ipv4Addr::from(bits);
            let plain = check(IpAddr::V4(v4));
            let mapped = check(IpAddr::V6(v4.to_ipv6_mapped()));
            let nat64 = Ipv6Addr::from((0x0064_ff9b_u128 << 96) | u128::from(bits));
            let six_to_four = Ipv6Addr::from((0x2002_u128 << 112) | (u128::from(bits) << 80) | 1);
            prop_assert_eq!(plain, mapped);
            prop_assert_eq!(plain, check(IpAddr::V6(nat64)));
            prop_assert_eq!(plain, check(IpAddr::V6(six_to_four)));
        }

        /// Every address of a refused IPv4 range is refused, not only its edges.
        #[test]
        fn whole_private_ranges_are_refused(low in any::<u32>()) {
            for (network, prefix) in [([10, 0, 0, 0], 8), ([172, 16, 0, 0], 12), ([192, 168, 0, 0], 16),
                                      ([127, 0, 0, 0], 8), ([169, 254, 0, 0], 16), ([100, 64, 0, 0], 10)] {
                let host = low & (u32::MAX >> prefix);
                let ip = Ipv4Addr::from(u32::from(Ipv4Addr::from(network)) | host);
                prop_assert!(check(IpAddr::V4(ip)).is_err(), "{}", ip);
            }
        }
    }
}
