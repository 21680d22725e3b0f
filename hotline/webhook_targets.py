"""Where outbound webhooks may go, and the POST that goes only there.

An admin (or whoever steals an admin session) chooses a webhook's URL, and the scheduler
POSTs to it from inside the hotline's network. Left open, that is a way to reach the cloud
metadata service, the database or an internal admin page (server-side request forgery).
So a target must be a public https host:

* refused at registration: a scheme other than https, a user name or password in the URL,
  an IP address in a loopback, private (10/8, 172.16/12, 192.168/16), shared (CGNAT
  100.64/10), link-local (169.254/16, fe80::/10), unique-local (fc00::/7), site-local,
  multicast, unspecified or reserved range (also inside IPv4-mapped, 6to4 and NAT64 IPv6
  addresses), IPv4 written any way but four decimal numbers (2130706433, 0x7f000001,
  017700000001, 127.1), and local names (localhost, a name without a dot, *.local,
  *.internal, *.localhost, metadata, instance-data...);
* refused again when sending: the URL is checked once more, the host name is resolved and
  every address it resolves to must pass the same test, then the connection goes to the
  address that was checked (a second DNS answer cannot redirect it: DNS rebinding), with
  the URL's host name in the Host header and in TLS (SNI and certificate check).

WEBHOOK_ALLOWED_HOSTS names hosts a deployment trusts explicitly (an internal receiver, or
127.0.0.1 in tests): for them the address ranges are not checked and plain http is allowed.
Redirects are never followed, no proxy from the environment is used, and the receiver's
answer body is never read: only its status and the time it took are kept.
"""

import ipaddress
import re
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import certifi
import urllib3

# Host names that only make sense inside a network or a cloud, whatever they resolve to.
LOCAL_NAMES = frozenset({
    "localhost", "metadata", "metadata.google.internal", "metadata.goog", "instance-data",
    "instance-data.ec2.internal", "metadata.azure.com", "metadata.platformequinix.com",
})
LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa", ".lan", ".intranet")
SHARED_V4 = ipaddress.ip_network("100.64.0.0/10")  # CGNAT: is_private says no, but it is not public
NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
_DOTTED_QUAD = re.compile(r"^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$")


class RefusedTarget(ValueError):
    """A URL or address webhooks may not go to; `reason` is a code the admin pages translate."""

    def __init__(self, reason, detail=""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


# Reasons (shown translated on the registration form and in the delivery log).
INVALID, SCHEME, CREDENTIALS, LOCAL_NAME, IP_SPELLING, PRIVATE_ADDRESS = (
    "invalid", "scheme", "credentials", "local_name", "ip_spelling", "private_address",
)


@dataclass(frozen=True)
class Target:
    """A checked URL, split the way the pinned POST needs it."""

    url: str
    scheme: str
    host: str  # lower case, no brackets, no trailing dot
    port: int
    path: str  # path and query, never empty
    allowed: bool  # listed in WEBHOOK_ALLOWED_HOSTS: ranges not checked

    @property
    def host_header(self):
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def normalise_hosts(hosts):
    """WEBHOOK_ALLOWED_HOSTS as a set of lower-case host names or addresses."""
    if isinstance(hosts, str):
        hosts = hosts.split(",")
    return frozenset(h.strip().lower().strip("[]").rstrip(".") for h in hosts or () if h.strip())


def check_url(url, allowed_hosts=()):
    """The Target `url` stands for, or RefusedTarget. Does not resolve the host name."""
    url = (url or "").strip()
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise RefusedTarget(INVALID, "spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise RefusedTarget(INVALID, "malformed URL") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedTarget(SCHEME if parts.scheme not in ("http", "https") else INVALID, parts.scheme)
    if "@" in parts.netloc:
        raise RefusedTarget(CREDENTIALS)
    host = _ascii_host(parts.hostname.rstrip("."))
    allowed = host in normalise_hosts(allowed_hosts)
    if parts.scheme != "https" and not allowed:
        raise RefusedTarget(SCHEME, parts.scheme)
    if not allowed:
        _check_host(host)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(url=url, scheme=parts.scheme, host=host, port=port or (443 if parts.scheme == "https" else 80),
                  path=path, allowed=allowed)


def _ascii_host(host):
    """The host as DNS will see it: IDNA folds full-width letters and digits (ｌｏｃａｌｈｏｓｔ,
    １２７.０.０.１) to ASCII, so the checks below see what the resolver would."""
    if ":" in host:  # an IPv6 literal
        return host
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise RefusedTarget(INVALID, "host name") from exc


def _check_host(host):
    if "%" in host or not host:
        raise RefusedTarget(INVALID, host)
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None:
        check_address(address)
        return
    labels = host.split(".")
    if _NUMERIC_LABEL.match(labels[-1]):
        # The last label is a number, so browsers and libc read the whole host as an IPv4
        # address (2130706433, 0x7f.1, 127.1 all mean 127.0.0.1). Only the plain dotted form
        # is accepted, and then checked like any address.
        if not _DOTTED_QUAD.match(host):
            raise RefusedTarget(IP_SPELLING, host)
        check_address(ipaddress.ip_address(host))
        return
    if "." not in host or host in LOCAL_NAMES or host.endswith(LOCAL_SUFFIXES):
        raise RefusedTarget(LOCAL_NAME, host)


def check_address(address):
    """RefusedTarget unless `address` (an ipaddress object or text) is a public unicast one."""
    address = ipaddress.ip_address(address)
    if address.version == 6:
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            check_address(embedded)
            if address.ipv4_mapped:
                return
        if address.is_site_local:
            raise RefusedTarget(PRIVATE_ADDRESS, str(address))
    if (
        not address.is_global or address.is_private or address.is_loopback or address.is_link_local
        or address.is_multicast or address.is_reserved or address.is_unspecified
        or (address.version == 4 and address in SHARED_V4)
    ):
        raise RefusedTarget(PRIVATE_ADDRESS, str(address))


def resolve(target):
    """The address to connect to for `target`: every address its host resolves to must be
    public (unless the host is allowed explicitly); the first one is used. OSError when the
    name does not resolve (a passing DNS failure: retried later)."""
    infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    addresses = []
    for _family, _type, _proto, _name, sockaddr in infos:
        text = sockaddr[0].split("%", 1)[0]
        if text not in addresses:
            addresses.append(text)
    if not addresses:
        raise OSError(f"{target.host} resolved to no address")
    if not target.allowed:
        for address in addresses:
            check_address(address)
    return addresses[0]


@dataclass(frozen=True)
class Answer:
    status: int
    milliseconds: int


def post(target, body, headers, timeout, ca_bundle=None):
    """POST `body` to `target` at an address checked just now; returns the receiver's status and
    the time taken. Never reads the answer's body, never follows a redirect. Raises
    RefusedTarget for a forbidden address, OSError/urllib3 errors for transport failures."""
    address = resolve(target)
    started = time.monotonic()
    pool = _pool(target, address, timeout, ca_bundle)
    try:
        response = pool.urlopen(
            "POST", target.path, body=body, headers={**headers, "Host": target.host_header},
            redirect=False, retries=False, preload_content=False, assert_same_host=False,
        )
        status = response.status
        response.close()  # the body is not ours to keep: an internal service's answer is unread
    finally:
        pool.close()
    return Answer(status=status, milliseconds=round((time.monotonic() - started) * 1000))


def _pool(target, address, timeout, ca_bundle):
    timeout = urllib3.Timeout(connect=timeout, read=timeout)
    if target.scheme == "https":
        context = ssl.create_default_context(cafile=ca_bundle or certifi.where())
        return urllib3.HTTPSConnectionPool(
            address, target.port, timeout=timeout, maxsize=1, retries=False,
            server_hostname=target.host, assert_hostname=target.host, ssl_context=context,
        )
    return urllib3.HTTPConnectionPool(address, target.port, timeout=timeout, maxsize=1, retries=False)
