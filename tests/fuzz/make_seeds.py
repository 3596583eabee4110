#!/usr/bin/env python3
"""Regenerates the non-.NET seeds of tests/fuzz/corpus/clienthello.

Captures the first flight of real TLS clients (Python's ssl module through a memory BIO; openssl s_client and curl
against a listener on 127.0.0.1 that reads the ClientHello and hangs up), then derives edge cases from one of them
(odd record framings, bytes after the hello, non-TLS openings) and builds a few minimal hellos (pre-extension,
server_name corners the fuzzer does not reach on its own). Captured hellos carry random fields,
so a rerun changes the bytes but not what each seed exercises. The .NET SslStream seeds (dotnet-*.bin) come from
RealClientHello.Capture in tests/Gateway.Tests/Sni; see tests/fuzz/README.md.

Usage: python3 tests/fuzz/make_seeds.py [output-dir]   (default: tests/fuzz/corpus/clienthello)
"""

import os
import socket
import ssl
import struct
import subprocess
import sys
import threading

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "clienthello")


def first_flight(sock):
    """Reads whole handshake records until the handshake message they carry is complete."""
    data = b""
    sock.settimeout(10)
    while True:
        records, payload, offset = data, b"", 0
        while len(records) - offset >= 5:
            length = struct.unpack(">H", records[offset + 3:offset + 5])[0]
            if len(records) - offset - 5 < length:
                break
            payload += records[offset + 5:offset + 5 + length]
            offset += 5 + length
        if len(payload) >= 4 and len(payload) >= 4 + int.from_bytes(payload[1:4], "big"):
            return data[:offset]
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("client closed before its ClientHello was complete")
        data += chunk


def capture_from(command):
    """Runs a TLS client against a one-shot listener and returns its ClientHello records."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    result = {}

    def accept():
        conn, _ = server.accept()
        with conn:
            result["hello"] = first_flight(conn)

    thread = threading.Thread(target=accept)
    thread.start()
    argv = [part.replace("PORT", str(port)) for part in command]
    subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=20,
                   check=False)
    thread.join(20)
    server.close()
    return result["hello"]


def python_hello(server_name=None, alpn=None, minimum=None, maximum=None):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if alpn:
        context.set_alpn_protocols(alpn)
    if minimum:
        context.minimum_version = minimum
    if maximum:
        context.maximum_version = maximum
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname=server_name)
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def payload_of(records):
    payload, offset = b"", 0
    while offset < len(records):
        length = struct.unpack(">H", records[offset + 3:offset + 5])[0]
        payload += records[offset + 5:offset + 5 + length]
        offset += 5 + length
    return payload


def frame(message, sizes, version=b"\x03\x01"):
    """Frames message into handshake records whose payload sizes cycle through sizes."""
    out, offset, i = b"", 0, 0
    while offset < len(message):
        size = min(sizes[i % len(sizes)], len(message) - offset)
        out += b"\x16" + version + struct.pack(">H", size) + message[offset:offset + size]
        offset += size
        i += 1
    return out


def hello(extensions=None):
    """A minimal ClientHello; extensions is a list of (type, body), None for a pre-extension hello."""
    body = b"\x03\x03" + bytes(range(32)) + b"\x00" + b"\x00\x04\x00\x2f\x00\x35" + b"\x01\x00"
    if extensions is not None:
        block = b"".join(struct.pack(">HH", kind, len(data)) + data for kind, data in extensions)
        body += struct.pack(">H", len(block)) + block
    return frame(b"\x01" + len(body).to_bytes(3, "big") + body, [16384])


def server_name(*entries):
    """A server_name extension body from (name_type, name) entries."""
    names = b"".join(struct.pack(">BH", kind, len(name)) + name for kind, name in entries)
    return 0, struct.pack(">H", len(names)) + names


def main():
    os.makedirs(OUT, exist_ok=True)
    openssl = ["openssl", "s_client", "-connect", "127.0.0.1:PORT", "-ign_eof"]
    curl = ["curl", "-sk", "--max-time", "5", "--connect-to", "curl.example:PORT:127.0.0.1:PORT"]
    seeds = {
        "python-sni-alpn.bin": python_hello("python.example", ["h2", "http/1.1"]),
        "python-tls12-only-nosni.bin": python_hello(maximum=ssl.TLSVersion.TLSv1_2),
        "python-tls13-only.bin": python_hello("tls13.example", minimum=ssl.TLSVersion.TLSv1_3),
        "openssl-sni-alpn.bin": capture_from(openssl + ["-servername", "openssl.example", "-alpn", "h2,http/1.1"]),
        "openssl-tls12-nosni.bin": capture_from(openssl + ["-noservername", "-tls1_2"]),
        "openssl-tls13-status.bin": capture_from(openssl + ["-servername", "status.example", "-tls1_3", "-status"]),
        "curl-h2.bin": capture_from(curl + ["--http2", "https://curl.example:PORT/"]),
        "curl-http11-tls12.bin": capture_from(curl + ["--http1.1", "--tls-max", "1.2", "https://curl.example:PORT/"]),
    }

    message = payload_of(seeds["openssl-sni-alpn.bin"])
    seeds.update({
        # A record boundary inside the 4-byte handshake header, then uneven fragments.
        "edge-fragmented-header-split.bin": frame(message, [2, 3, 50, 7, 200]),
        "edge-fragmented-1-byte-records.bin": frame(message[:60], [1]) + frame(message[60:], [16384]),
        "edge-fragmented-tls12-record-version.bin": frame(message, [100], b"\x03\x03"),
        # The client's next bytes (a change_cipher_spec record) arriving with the hello.
        "edge-trailing-bytes.bin": seeds["openssl-sni-alpn.bin"] + b"\x14\x03\x03\x00\x01\x01",
        "edge-pre-extension-hello.bin": hello(),
        # server_name corners: a name type other than host_name is skipped; two host_names and 256 bytes are not.
        "edge-sni-other-name-type.bin": hello([server_name((7, b"opaque"), (0, b"typed.example"))]),
        "edge-sni-two-host-names.bin": hello([server_name((0, b"one.example"), (0, b"two.example"))]),
        "edge-sni-256-byte-host-name.bin": hello([server_name((0, b"a" * 252 + b".com"))]),
        # Host name syntax: one trailing dot is the root; two, an empty label or an address literal are refused.
        "edge-sni-trailing-dot.bin": hello([server_name((0, b"exchange.example."))]),
        "edge-sni-two-trailing-dots.bin": hello([server_name((0, b"exchange.example.."))]),
        "edge-sni-empty-label.bin": hello([server_name((0, b"mail..example"))]),
        "edge-sni-address-literal.bin": hello([server_name((0, b"127.1"))]),
        "edge-truncated.bin": seeds["python-sni-alpn.bin"][:100],
        "edge-sslv2-compatible.bin": bytes.fromhex("802e0103010015000000100100800300800700c0060040020080040080") + bytes(16),
        "edge-plain-http.bin": b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
    })

    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
