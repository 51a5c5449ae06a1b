"""This machine's own names and addresses: which Host headers the preview answers when it listens on the
network (a phone on the same Wi-Fi), and the addresses it prints to reach it. Linux: interface addresses
come from the kernel (SIOCGIFADDR for IPv4, /proc/net/if_inet6 for IPv6); nothing is sent anywhere."""

from __future__ import annotations

import fcntl
import ipaddress
import socket
import struct

from generator.core.urls import is_loopback

SIOCGIFADDR = 0x8915
WILDCARDS = ("0.0.0.0", "::", "")


def interface_addresses() -> list[str]:
    """Every address of this machine's network interfaces, IPv4 first, loopback and link-local left out."""
    found: list[str] = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for _index, name in socket.if_nameindex():
            try:
                raw = fcntl.ioctl(probe.fileno(), SIOCGIFADDR, struct.pack("256s", name[:15].encode()))
            except OSError:
                continue  # an interface without an IPv4 address
            found.append(socket.inet_ntoa(raw[20:24]))
    try:
        with open("/proc/net/if_inet6", encoding="ascii") as table:
            for line in table:
                digits = line.split()[0]
                found.append(str(ipaddress.IPv6Address(bytes.fromhex(digits))))
    except (OSError, ValueError, IndexError):
        pass
    usable = []
    for text in dict.fromkeys(found):
        address = ipaddress.ip_address(text)
        if not (address.is_loopback or address.is_link_local or address.is_unspecified):
            usable.append(text)
    return usable


def own_names() -> list[str]:
    """This machine's host names, as a phone would type them (``name``, ``name.local`` on mDNS networks)."""
    names = [name.lower() for name in (socket.gethostname(), socket.getfqdn()) if name and name.lower() != "localhost"]
    names += [f"{name.split('.')[0]}.local" for name in names]
    return list(dict.fromkeys(names))


def bracketed(address: str) -> str:
    return f"[{address}]" if ":" in address else address


def reachable_urls(bound: str, port: int, base_path: str) -> list[str]:
    """The URLs another device on the network could use (none when the preview listens on loopback only)."""
    if is_loopback(bound):
        return []
    addresses = interface_addresses() if bound in WILDCARDS else [bound]
    return [f"http://{bracketed(address)}:{port}{base_path}" for address in addresses]


def allowed_hosts(bound: str, port: int, extra: tuple[str, ...] = ()) -> frozenset[str]:
    """Host headers naming this server: loopback always; when it listens on the network, this machine's
    addresses and names, and ``extra`` (``--allowed-host``). Any other (a DNS-rebinding page's own domain)
    gets 421."""
    names = {"localhost", "127.0.0.1", "[::1]"}
    if not is_loopback(bound):
        local = interface_addresses() if bound in WILDCARDS else [bound]
        names |= {bracketed(address).lower() for address in local} | set(own_names())
    names |= {name.lower() for name in extra}
    if bound not in WILDCARDS:
        names.add(bracketed(bound).lower())
    return frozenset(names | {f"{name}:{port}" for name in names})
